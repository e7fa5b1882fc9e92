"""The report as Markdown that renders on a code host, with its figures as SVG files.

Formulas are LaTeX in ``$$ … $$`` blocks (GitHub renders them). User-supplied text is
HTML-escaped and its Markdown punctuation backslash-escaped; inside tables ``|`` is
written as ``&#124;``.
"""

from __future__ import annotations

import re
from html import escape
from typing import Callable, Mapping, Sequence

import sympy

from diffcompare import __version__
from diffcompare.report import content
from diffcompare.report.cases import CaseResult, Report
from diffcompare.report.content import Table
from diffcompare.report.plots import MAX_SWEEP_PANELS

# Markdown's inline punctuation; text never starts a line, so # - + . need no escape.
_PUNCTUATION = re.compile(r"([\\`*_\[\]~$])")
# Same limit as the HTML page: a longer formula is folded (a very long one is only
# counted: cases.MAX_RENDERED_OPERATIONS).
MAX_SHOWN_OPERATIONS = 40


def text(value: str) -> str:
    """Plain text, safe anywhere in Markdown: escaped HTML, escaped punctuation."""
    plain = escape(" ".join(value.split()), quote=False)  # quotes are safe outside tags
    return _PUNCTUATION.sub(r"\\\1", plain).replace("|", "&#124;")


def code(value: str) -> str:
    """Inline code that survives any content: an HTML <code> element."""
    return ("<code>" + escape(" ".join(value.split()), quote=False).replace("|", "&#124;")
            + "</code>")


def render(report: "Report", figures: Mapping[str, str], folder: str,
           cases: Sequence["CaseResult"] | None = None,
           case_href: Callable[["CaseResult"], str] | None = None) -> str:
    """The report in Markdown, its figures linked in ``folder``; with ``cases`` (default:
    all) in full, and the overview linking each case through ``case_href`` (default: its
    heading's anchor on this page)."""
    shown = report.cases if cases is None else cases
    lines = [f"<!-- {content.MARK}: regenerate it, do not edit it -->", "",
             f"# {text(report.title)}", "", text(content.INTRO), "",
             f"{content.count(len(report.cases), 'expression')} from {text(report.corpus)}. "
             "The same page, "
             "self-contained, is [index.html](index.html).", ""]
    lines += _overview(report, case_href or (lambda case: f"#{_anchor(case)}"))
    lines += _summary(report, figures, folder)
    for case in shown:
        lines += _case(case, figures, folder)
    lines += _problems(report)
    return "\n".join(lines + _footer(report))


def render_cases(report: "Report", figures: Mapping[str, str], folder: str,
                 cases: Sequence["CaseResult"], index_href: str) -> str:
    """A page of some of the report's cases, linking back to the overview."""
    lines = [f"<!-- {content.MARK}: regenerate it, do not edit it -->", "",
             f"# {text(report.title)}: cases {cases[0].number}–{cases[-1].number}", "",
             f"[Back to the overview]({index_href})", ""]
    for case in cases:
        lines += _case(case, figures, folder)
    return "\n".join(lines + _footer(report))


def _footer(report: "Report") -> list[str]:
    reproducible = ("Measured times make this copy differ from run to run."
                    if report.timings else
                    "The same corpus gives the same bytes: no timestamps, counted costs.")
    return ["---", "", f"Made by `diffcompare report` (diffcompare {__version__}). "
            f"{reproducible}", ""]


def _alignment(table: Table) -> str:
    """The table's second line: one column each, numbers to the right."""
    return "| " + " | ".join("---:" if i in table.numeric else "---"
                             for i in range(len(table.headers))) + " |"


def _table(table: Table) -> list[str]:
    lines = ["| " + " | ".join(text(h) or " " for h in table.headers) + " |",
             _alignment(table)]
    for r, row in enumerate(table.rows):
        cells = [f"**{text(cell)}**" if (r, c) in table.bad and cell else text(cell)
                 for c, cell in enumerate(row)]
        lines.append("| " + " | ".join(cells) + " |")
    return lines + [""]


def _figure(figures: Mapping[str, str], folder: str, name: str, alt: str) -> list[str]:
    if name not in figures:
        return []
    return [f"![{text(alt)}]({folder}/{name})", ""]


def _details(summary: str, body: list[str]) -> list[str]:
    return ["<details>", f"<summary>{escape(summary)}</summary>", "", *body, "</details>", ""]


def _overview(report: "Report", case_href: Callable[["CaseResult"], str]) -> list[str]:
    table = content.overview(report)
    rows = []
    for case, row in zip(report.cases, table.rows):
        rows.append((row[0], f"[{text(row[1])}]({case_href(case)})", *row[2:]))
    lines = ["## At a glance", "",
             "| " + " | ".join(text(h) for h in table.headers) + " |",
             _alignment(table)]
    for row in rows:
        lines.append("| " + " | ".join([text(row[0]), row[1], *(text(c) for c in row[2:])])
                     + " |")
    return lines + [""]


def _anchor(case: "CaseResult") -> str:
    # GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens.
    heading = f"{case.number} {case.title} {case.comparison.verdict.status}"
    slug = re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")
    return slug


def _summary(report: "Report", figures: Mapping[str, str], folder: str) -> list[str]:
    lines = ["## 1. Accuracy across the corpus", "", text(content.ACCURACY_TEXT), ""]
    lines += _figure(figures, folder, "accuracy.svg", "correct digits per method and case")
    lines += _table(content.accuracy_table(report))
    if report.scaling is None:
        return lines + [text(content.NO_STUDIES_TEXT), ""]
    lines += ["## 2. Cost scaling", "", text(content.SCALING_TEXT), ""]
    lines += _figure(figures, folder, "cost-scaling.svg", "cost of a full gradient against n")
    lines += [text(content.cap_text(report.scaling)), "", text(content.COUNTED_TEXT), ""]
    lines += _details("the numbers", _table(content.scaling_table(report.scaling)))
    if report.timed_scaling is not None:
        lines += ["### Measured time", "", text(content.TIMED_TEXT), ""]
        lines += _figure(figures, folder, "cost-scaling-seconds.svg",
                         "measured seconds of a full gradient against n")
        lines += [text(content.cap_text(report.timed_scaling)), ""]
        lines += _details("the numbers", _table(content.scaling_table(report.timed_scaling)))
    lines += ["## 3. Expression swell", "", text(content.SWELL_TEXT), ""]
    lines += [f"- {text(family)}: {code(description)}"
              for family, description in content.swell_families()] + [""]
    lines += _figure(figures, folder, "swell.svg",
                     "symbolic derivative size against autograd graph size")
    lines += _details("the numbers", _table(content.swell_table(report.swell)))
    if report.orders is not None:
        lines += ["## 4. Beyond the gradient", "", text(content.ORDERS_TEXT), ""]
        lines += _table(content.orders_table(report))
        lines += [text(content.JACOBIAN_TEXT), ""]
        lines += _table(content.jacobian_table(report))
        lines += [text(content.crossing_text(report)), ""]
    return lines


def _case(case: "CaseResult", figures: Mapping[str, str], folder: str) -> list[str]:

    comparison = case.comparison
    lines = [f"## {case.number}. {text(case.title)} ({comparison.verdict.status})", "",
             f"{text(case.entry.origin)} · at {text(content.point_text(case))}", "",
             "```", comparison.expression.text.replace("```", "` ` `"), "```", ""]
    lines += _formulas(case)
    note = content.note(case)
    if note:
        lines += [f"> {text(note)}", ""]
    lines += _table(content.numbers(case))
    lines += [code(content.verdict_text(comparison)), ""]
    lines += [f"- {text(reason)}" for reason in content.reasons(case)]
    if content.reasons(case):
        lines.append("")
    lines += ["### Error against step", ""]
    steps = _figure(figures, folder, f"{case.number:02d}-steps.svg",
                    f"error against step for case {case.number}")
    if steps:
        caption = content.SWEEP_TEXT
        if len(case.sweeps) > MAX_SWEEP_PANELS:
            caption += (f" Showing the first {MAX_SWEEP_PANELS} of {len(case.sweeps)} "
                        "variables; the table above has them all.")
        lines += steps + [text(caption), ""]
    else:
        lines += ["No sweep: no derivative has an exact value at this point.", ""]
    lines += ["### Computation graph", ""]
    graph = _figure(figures, folder, f"{case.number:02d}-graph.svg",
                    f"computation graph of case {case.number}")
    lines += graph or [f"Not drawn: {text(case.graph_note)}.", ""]
    lines += ["### Cost", ""] + _table(content.costs(case)) + [text(content.COST_TEXT), ""]
    return lines


def _formulas(case: "CaseResult") -> list[str]:
    variables = case.comparison.expression.variables
    symbols = {name: sympy.Symbol(name) for name in variables}
    arguments = ", ".join(sympy.latex(symbols[name]) for name in variables)
    lines = [text(case.formulas_note), ""] if case.formulas_note else []
    for quantity, formula in case.formulas.items():
        operations = formula.operations
        label = content.quantity_label(quantity)
        if not formula.latex:
            lines += [f"{text(label)}: {operations:,} operations, too long to show.", ""]
            continue
        if quantity == "value":
            left = f"f({arguments})" if variables else "f"
        else:
            left = rf"\frac{{\partial f}}{{\partial {sympy.latex(symbols[quantity])}}}"
        block = ["$$", f"{left} = {formula.latex}", "$$", ""]
        if operations > MAX_SHOWN_OPERATIONS:
            lines += _details(f"{label}: {operations} operations, folded (show)", block)
        else:
            lines += block
    return lines


def _problems(report: "Report") -> list[str]:
    if not report.problems:
        return []
    lines = ["## Lines not reported", "",
             "These corpus lines could not be read; the rest of the corpus is reported above.",
             ""]
    for problem in report.problems:
        title = f"**{text(problem.title)}**: " if problem.title else ""
        lines.append(f"- {title}{code(problem.text)}: {text(problem.message)}")
    return lines + [""]
