"""How results look in a notebook: HTML for a comparison and a check report, short reprs.

Jupyter calls ``_repr_html_`` on the object a cell returns. The result classes live in
lower layers (``compare``, ``methods``, ``check``), which may not import presentation, so
``install()`` attaches these functions to them from above; the package ``__init__`` calls
it once. (The other way, IPython's ``for_type`` formatters, would need IPython at import
and give nothing outside Jupyter; attributes also give every result its short ``repr``.)
A ``Value`` draws itself (``Value._repr_svg_``, via ``draw.svg``): it needs no text.

Everything here reads the results' data fields and ``present``'s formatting functions;
nothing is computed again.
"""

from __future__ import annotations

from html import escape
from typing import Any

from diffcompare import gradient_table, present, present_matrix
from diffcompare.compare import Comparison
from diffcompare.gradients import GradientCheck
from diffcompare.matrix_compare import MatrixComparison
from diffcompare.methods.results import Derivatives, SymbolicDerivatives
from diffcompare.present import verdict_text

_STATUS_COLOURS = {"agree": "#2e7d32", "disagree": "#c62828", "kink": "#ef6c00",
                   "undefined": "#6d4c41"}
_SHOWN_FAILURES = 10  # a check report's failures shown in full; the rest are counted
_STYLE = ("<style>.dc-box{max-width:100%;overflow-x:auto}.dc-box table{border-collapse:"
          "collapse;font-family:monospace;font-size:12px}.dc-box td,.dc-box th{padding:2px 8px;"
          "border-bottom:1px solid #ddd;text-align:left}</style>")


def _badge(status: str, text: str) -> str:
    colour = _STATUS_COLOURS.get(status, "#444")
    return (f'<span style="background:{colour};color:white;padding:1px 6px;border-radius:3px;'
            f'font-weight:bold">{escape(text)}</span>')


def comparison_html(comparison: Comparison) -> str:
    """A comparison as an HTML fragment: the verdict, the formulas, the point and the
    side-by-side table (``present.table`` in tabulate's HTML format), in a box that scrolls
    sideways on a narrow screen."""
    reference = comparison.reference
    formulas = [("f", comparison.expression.text)]
    formulas += [(present.label(name), text) for name, text in reference.gradient_formulas.items()]
    chosen = " (chosen for you)" if comparison.point_chosen else ""
    parts = [_STYLE, '<div class="dc-box">',
             f"<p>{_badge(comparison.verdict.status, comparison.verdict.status.upper())} "
             f"{escape(verdict_text(comparison.verdict))}</p>",
             "<p>" + "<br>".join(f"<code>{escape(name)} = {escape(text)}</code>"
                                 for name, text in formulas) + "</p>",
             f"<p>at {escape(present.format_point(comparison.point))}{chosen}</p>",
             present.table(comparison, "html"),
             f"<p><small>{escape(present.TABLE_LEGEND)}</small></p>"]
    parts += [f"<p>{escape(line)}</p>" for line in present.kink_lines(comparison)]
    parts.append("</div>")
    return "\n".join(parts)


def _shorten(text: str, longest: int = 60) -> str:
    return text if len(text) <= longest else text[:longest - 3] + "..."


def comparison_repr(comparison: Comparison) -> str:
    """``<Comparison of 'x**2' at x = 3: agree>``"""
    return (f"<Comparison of {_shorten(comparison.expression.text)!r} at "
            f"{_point(comparison.point)}: {comparison.verdict.status}>")


def gradient_check_html(check: GradientCheck) -> str:
    """A ``check_gradients`` result as HTML: the headline, the pattern, the notes and
    the worst entries (``gradient_table.worst_table`` in tabulate's HTML format)."""
    status = "agree" if check.ok else check.status
    parts = [_STYLE, '<div class="dc-box">',
             f"<p>{_badge(status, 'PASS' if check.ok else 'FAIL')} "
             f"{escape(gradient_table.headline(check))}</p>"]
    if check.pattern:
        parts.append(f"<p>pattern: {escape(check.pattern)}</p>")
    parts += [f"<p><small>note: {escape(note)}</small></p>" for note in check.notes]
    parts += [gradient_table.worst_table(check, _SHOWN_FAILURES, "html"), "</div>"]
    return "\n".join(parts)


def gradient_check_repr(check: GradientCheck) -> str:
    """``<GradientCheck of softmax_ce: 6 entries, pass>``, with the pattern or the kinks."""
    count = (f"{check.directions} directions" if check.mode == "directions"
             else f"{len(check.entries)} entries")
    extra = f", pattern: {_shorten(check.pattern)}" if check.pattern else ""
    kinked = check.kinked()
    if kinked:
        extra += f", kink at entry {', '.join(kinked[:3])}" + (", ..." if len(kinked) > 3 else "")
    return (f"<GradientCheck of {check.function}: {count}, "
            f"{'pass' if check.ok else 'fail'} ({check.status}){extra}>")


def matrix_comparison_html(comparison: MatrixComparison) -> str:
    """A Jacobian or Hessian comparison as HTML: the verdict, the point and the entry
    table (``present_matrix.table`` in tabulate's HTML format)."""
    status = comparison.verdict.status
    parts = [_STYLE, '<div class="dc-box">',
             f"<p>{_badge(status, status.upper())} "
             f"{escape(present_matrix.verdict_text(comparison).removeprefix(status.upper() + ': '))}"
             "</p>",
             f"<p>{escape(comparison.kind.capitalize())} of "
             f"<code>{escape(comparison.expression.text)}</code>"]
    if comparison.point:
        parts[-1] += f" at {escape(present.format_point(comparison.point))}"
    parts[-1] += "</p>"
    parts += [present_matrix.table(comparison, "html"),
              f"<p><small>{escape(present_matrix.cost_line(comparison))}</small></p>", "</div>"]
    return "\n".join(parts)


def matrix_comparison_repr(comparison: MatrixComparison) -> str:
    """``<MatrixComparison jacobian of 'x*y, x + y' at x = 1, y = 2: agree>``"""
    m, n = comparison.reference.shape
    return (f"<MatrixComparison {comparison.kind} ({m}×{n}) of "
            f"{_shorten(comparison.expression.text)!r} at {_point(comparison.point)}: "
            f"{comparison.verdict.status}>")


def _point(point) -> str:
    return present.format_point(point) if point else "no variables"


def derivatives_repr(result: Derivatives) -> str:
    """``<autograd: f = 20.0, df/dx = 14.0>``"""
    numbers = [f"f = {result.value!r}"]
    numbers += [f"{present.label(name)} = {number!r}" for name, number in result.gradient.items()]
    shown = ", ".join(numbers[:6]) + (", ..." if len(numbers) > 6 else "")
    return f"<{result.method}: {shown}>"


def engine_report_html(report: Any) -> str:
    """A ``check_engine`` report (``check.battery.EngineReport``) as HTML: the counts, a
    table of checks per group, the likely causes and the first failures' diagnoses."""
    counts = report.counts
    status = "agree" if report.ok else "disagree"
    summary = (f"{counts['pass']} passed, {counts['fail']} failed, "
               f"{counts['unsupported']} not supported")
    if counts.get("not_run"):
        summary += f", {counts['not_run']} not run"
    groups: dict[str, dict[str, int]] = {}
    for result in report.results:  # a limit or a check not run has no column of its own
        group = groups.setdefault(result.group, {"pass": 0, "fail": 0, "unsupported": 0})
        group[result.status] = group.get(result.status, 0) + 1
    rows = "".join(f"<tr><td>{escape(group)}</td><td>{c['pass']}</td><td>{c['fail']}</td>"
                   f"<td>{c['unsupported']}</td></tr>" for group, c in groups.items())
    parts = [_STYLE, '<div class="dc-box">',
             f"<p>{_badge(status, 'PASS' if report.ok else 'FAIL')} "
             f"<code>{escape(report.engine)}</code>: {summary}</p>",
             "<table><tr><th>group</th><th>pass</th><th>fail</th><th>not supported</th></tr>"
             f"{rows}</table>"]
    if report.causes:
        parts.append("<p>likely cause" + ("s" if len(report.causes) > 1 else "") + ":</p><ol>"
                     + "".join(f"<li>{escape(cause)}</li>" for cause in report.causes) + "</ol>")
    failures = report.failures
    if failures:
        parts.append("<ul>" + "".join(
            f"<li><code>{escape(r.name)}</code>: {escape(r.diagnosis or r.cause)}</li>"
            for r in failures[:_SHOWN_FAILURES]) + "</ul>")
        if len(failures) > _SHOWN_FAILURES:
            parts.append(f"<p>... and {len(failures) - _SHOWN_FAILURES} more failures</p>")
    if report.unsupported:
        parts.append("<p>not supported (not counted as failures): "
                     + escape(", ".join(report.unsupported)) + "</p>")
    parts.append("</div>")
    return "\n".join(parts)


def engine_report_repr(report: Any) -> str:
    """``<EngineReport of correct.py:Value: 120 pass, 0 fail, 0 unsupported>``"""
    counts = report.counts
    return (f"<EngineReport of {report.engine}: {counts['pass']} pass, {counts['fail']} "
            f"fail, {counts['unsupported']} unsupported>")


def check_result_repr(result: Any) -> str:
    return f"<CheckResult {result.name!r} ({result.group}): {result.status}>"


def check_repr(check: Any) -> str:
    """``<Check 'x + y'>``: short, so that ``help(check_engine)``, whose default is the
    whole battery, stays readable."""
    return f"<Check {check.name!r}>"


def install(engine_report: type | None = None, check_result: type | None = None,
            check: type | None = None) -> None:
    """Attach the displays above to the result classes (idempotent). The check classes
    are passed in by the caller, which may import the commands layer; this module may not.
    """
    setattr(Comparison, "_repr_html_", comparison_html)
    setattr(Comparison, "__repr__", comparison_repr)
    setattr(Derivatives, "__repr__", derivatives_repr)
    setattr(SymbolicDerivatives, "__repr__", derivatives_repr)  # a dataclass has its own
    setattr(GradientCheck, "_repr_html_", gradient_check_html)
    setattr(GradientCheck, "__repr__", gradient_check_repr)
    setattr(MatrixComparison, "_repr_html_", matrix_comparison_html)
    setattr(MatrixComparison, "__repr__", matrix_comparison_repr)
    if engine_report is not None:
        setattr(engine_report, "_repr_html_", engine_report_html)
        setattr(engine_report, "__repr__", engine_report_repr)
    if check_result is not None:
        setattr(check_result, "__repr__", check_result_repr)
    if check is not None:
        setattr(check, "__repr__", check_repr)
