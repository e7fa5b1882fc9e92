"""The report as one self-contained HTML page.

Inline CSS; plots as SVG images in data URLs; formulas in MathML, which browsers render
natively. No script, no external resource: a Content-Security-Policy forbids both.
Every user-supplied string goes through ``html.escape``.
"""

from __future__ import annotations

import base64
import re
from html import escape
from typing import Callable, Mapping, Sequence

import sympy
from sympy.printing.mathml import mathml

from diffcompare import __version__
from diffcompare.report import content
from diffcompare.report.cases import CaseResult, Report
from diffcompare.report.content import Table
from diffcompare.report.plots import MAX_SWEEP_PANELS

# A formula with more operations than this is folded away (it still shows, on a click);
# past cases.MAX_RENDERED_OPERATIONS it is only counted: a page of symbols teaches nothing.
MAX_SHOWN_OPERATIONS = 40

POLICY = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"

CSS = """
:root { --ink: #1d2330; --muted: #5b6475; --rule: #d9dde5; --soft: #f5f7fa;
        --good: #1e7b34; --bad: #b3261e; --accent: #2f5597; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); background: #fff;
       font: 15px/1.5 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; }
main { max-width: 1080px; margin: 0 auto; padding: 28px 28px 60px; }
header { border-bottom: 3px solid var(--accent); margin-bottom: 18px; }
h1 { font-size: 28px; margin: 0 0 6px; }
h2 { font-size: 21px; margin: 34px 0 8px; padding-top: 10px; border-top: 1px solid var(--rule); }
#overview h2 { border-top: none; margin-top: 10px; }
h3 { font-size: 16px; margin: 20px 0 6px; }
p { margin: 6px 0 10px; }
.lede { color: var(--muted); max-width: 820px; }
code, pre, .num { font-family: "DejaVu Sans Mono", ui-monospace, Menlo, Consolas, monospace; }
pre.source { background: var(--soft); border: 1px solid var(--rule); border-radius: 6px;
             padding: 8px 12px; white-space: pre-wrap; word-break: break-word; font-size: 13.5px; }
table { border-collapse: collapse; margin: 8px 0 14px; font-size: 13px; }
th, td { border-bottom: 1px solid var(--rule); padding: 4px 10px; text-align: left;
         vertical-align: top; }
th { background: var(--soft); font-weight: 600; }
td.n { text-align: right; font-family: "DejaVu Sans Mono", ui-monospace, monospace;
       white-space: nowrap; }
td.bad { color: var(--bad); font-weight: 600; }
.wide { overflow-x: auto; }
.badge { display: inline-block; font-size: 12px; font-weight: 600; padding: 1px 8px;
         border-radius: 10px; vertical-align: middle; }
.badge.agree { background: #e3f3e6; color: var(--good); }
.badge.disagree { background: #fbe4e2; color: var(--bad); }
.badge.undefined { background: #eceef2; color: var(--muted); }
.meta { color: var(--muted); font-size: 13.5px; }
.note { border-left: 4px solid var(--accent); background: #eef3fb; padding: 6px 12px; }
.verdict { font-size: 13px; font-family: "DejaVu Sans Mono", ui-monospace, monospace;
           word-break: break-word; }
.verdict.agree { color: var(--good); } .verdict.disagree { color: var(--bad); }
.reasons { font-size: 13px; color: var(--muted); }
.formulas { overflow-x: auto; padding: 2px 0; }
.formula { margin: 6px 0; }
.formula math { font-size: 17px; math-style: normal; }
td code { font-size: 12px; color: var(--muted); }
details { margin: 6px 0; }
summary { cursor: pointer; color: var(--accent); }
figure { margin: 10px 0 16px; }
figure img { max-width: 100%; height: auto; }
figcaption { color: var(--muted); font-size: 13px; max-width: 860px; }
.graph { overflow-x: auto; border: 1px solid var(--rule); border-radius: 6px; padding: 6px; }
.graph img { max-width: none; }
nav ol { columns: 2; font-size: 14px; margin: 6px 0; }
footer { margin-top: 40px; color: var(--muted); font-size: 13px;
         border-top: 1px solid var(--rule); padding-top: 10px; }
@media (max-width: 600px) {
  main { padding: 16px 10px 40px; } table { font-size: 12px; } th, td { padding: 3px 5px; }
  td.point { word-break: break-word; min-width: 6em; } nav ol { columns: 1; }
}
@media print { main { max-width: none; padding: 0; } section.case { break-before: page; }
               .graph { overflow: visible; } }
"""


def render(report: "Report", figures: Mapping[str, str],
           cases: Sequence["CaseResult"] | None = None,
           case_href: Callable[[int], str] = lambda number: f"#case-{number}") -> str:
    """The report's index page: with ``cases`` (default: all of them) in full, and the
    overview linking each case through ``case_href`` (to another page, when paged)."""
    shown = report.cases if cases is None else cases
    return _page(report.title, [
        _header(report),
        _overview(report, case_href),
        _summary(report, figures),
        *(_case(case, figures) for case in shown),
        _problems(report),
        _footer(report),
    ])


def render_cases(report: "Report", figures: Mapping[str, str],
                 cases: Sequence["CaseResult"], index_href: str) -> str:
    """A page of some of the report's cases, in full, linking back to the index."""
    first, last = cases[0].number, cases[-1].number
    return _page(f"{report.title}: cases {first}–{last}", [
        f"<header><h1>{escape(report.title)}</h1>"
        f'<p class="meta">Cases {first}–{last} of {len(report.cases):,} · '
        f'<a href="{escape(index_href)}">back to the overview</a></p></header>',
        *(_case(case, figures) for case in cases),
        _footer(report),
    ])


def _page(title: str, body: Sequence[str]) -> str:
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f'<meta name="generator" content="{content.MARK}">',
        f'<meta http-equiv="Content-Security-Policy" content="{POLICY}">',
        '<link rel="icon" href="data:,">',
        f"<title>{escape(title)}</title>",
        f"<style>{CSS}</style>",
        "</head>",
        "<body>",
        "<main>",
        *body,
        "</main>",
        "</body>",
        "</html>",
    ]
    return "\n".join(part for part in parts if part) + "\n"


# ---- building blocks ----


def _image(svg: str, alt: str) -> str:
    width, height = _size(svg)
    size = f' width="{width}" height="{height}"' if width else ""
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return f'<img src="data:image/svg+xml;base64,{data}" alt="{escape(alt)}"{size}>'


_SIZE = re.compile(r'<svg[^>]*?\swidth="([\d.]+)(pt|px)?"[^>]*?\sheight="([\d.]+)(pt|px)?"')


def _size(svg: str) -> tuple[int, int] | tuple[None, None]:
    """The picture's size in CSS pixels, so the page does not jump as images decode."""
    found = _SIZE.search(svg)
    if not found:
        return None, None
    scale = 4 / 3 if found.group(2) == "pt" else 1
    return round(float(found.group(1)) * scale), round(float(found.group(3)) * scale)


def _figure(figures: Mapping[str, str], name: str, alt: str, caption: str = "") -> str:
    if name not in figures:
        return ""
    caption_html = f"<figcaption>{escape(caption)}</figcaption>" if caption else ""
    return f"<figure>{_image(figures[name], alt)}{caption_html}</figure>"


def _table(table: Table) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in table.headers)
    body = []
    for r, row in enumerate(table.rows):
        cells = []
        for c, cell in enumerate(row):
            classes = []
            if c in table.numeric:
                classes.append("n")
            if (r, c) in table.bad:
                classes.append("bad")
            attribute = f' class="{" ".join(classes)}"' if classes else ""
            cells.append(f"<td{attribute}>{escape(cell)}</td>")
        body.append(f"<tr>{''.join(cells)}</tr>")
    return (f'<div class="wide"><table><thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(body)}</tbody></table></div>")


def _short(text: str, length: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= length else text[:length - 1] + "…"


def _badge(status: str) -> str:
    return f'<span class="badge {escape(status)}">{escape(status)}</span>'


# ---- sections ----


def _header(report: "Report") -> str:
    return (f"<header><h1>{escape(report.title)}</h1>"
            f'<p class="lede">{escape(content.INTRO)}</p>'
            f'<p class="meta">{content.count(len(report.cases), "expression")} from '
            f"{escape(report.corpus)}"
            " · made by <code>diffcompare report</code></p></header>")


def _overview(report: "Report", case_href: Callable[[int], str]) -> str:
    table = content.overview(report)
    # The verdict comes second, before the long expression and point, so that a phone's
    # 400 px show it without scrolling the table sideways.
    number_header, title_header, point_header, verdict_header, *rest = table.headers
    head = "".join(f"<th>{escape(h)}</th>" for h in (number_header, verdict_header,
                                                      title_header, point_header, *rest))
    rows = []
    for case, row in zip(report.cases, table.rows):
        number, title, point, status, *digits = row
        cells = [f'<td class="n">{escape(number)}</td>', f"<td>{_badge(status)}</td>",
                 f'<td><a href="{escape(case_href(case.number))}">{escape(title)}</a><br>'
                 f"<code>{escape(_short(case.comparison.expression.text))}</code></td>",
                 f'<td class="point">{escape(point)}</td>']
        cells += [f'<td class="n">{escape(d)}</td>' for d in digits]
        rows.append(f"<tr>{''.join(cells)}</tr>")
    sections = [("accuracy", "Accuracy across the corpus")]
    if report.scaling is not None:
        sections += [("cost-scaling", "Cost scaling"), ("swell", "Expression swell")]
    if report.orders is not None:
        sections.append(("orders", "Beyond the gradient"))
    contents = "".join(f'<li><a href="#{anchor}">{escape(text)}</a></li>'
                       for anchor, text in sections)
    return (f'<section id="overview"><h2>At a glance</h2>'
            f'<div class="wide"><table><thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table></div>"
            "<p>How the methods relate, over the whole corpus:</p>"
            f"<nav><ol>{contents}</ol></nav></section>")


def _summary(report: "Report", figures: Mapping[str, str]) -> str:
    parts = ['<section id="accuracy"><h2>1. Accuracy across the corpus</h2>',
             f"<p>{escape(content.ACCURACY_TEXT)}</p>",
             _figure(figures, "accuracy.svg", "correct digits per method and case"),
             _table(content.accuracy_table(report)), "</section>"]
    if report.scaling is None:
        return "\n".join(parts + [f'<p class="meta">{escape(content.NO_STUDIES_TEXT)}</p>'])
    parts += ['<section id="cost-scaling"><h2>2. Cost scaling</h2>',
             f"<p>{escape(content.SCALING_TEXT)}</p>",
             _figure(figures, "cost-scaling.svg", "counted cost of a full gradient against n",
                     content.cap_text(report.scaling)),
             f'<p class="meta">{escape(content.COUNTED_TEXT)}</p>',
             _details("the numbers", _table(content.scaling_table(report.scaling)))]
    if report.timed_scaling is not None:
        parts += ["<h3>Measured time</h3>", f"<p>{escape(content.TIMED_TEXT)}</p>",
                  _figure(figures, "cost-scaling-seconds.svg",
                          "measured seconds of a full gradient against n",
                          content.cap_text(report.timed_scaling)),
                  _details("the numbers", _table(content.scaling_table(report.timed_scaling)))]
    families = "".join(f"<li>{escape(family)}: <code>{escape(description)}</code></li>"
                       for family, description in content.swell_families())
    parts += ["</section>", '<section id="swell"><h2>3. Expression swell</h2>',
              f"<p>{escape(content.SWELL_TEXT)}</p>", f"<ul>{families}</ul>",
              _figure(figures, "swell.svg",
                      "symbolic derivative size against autograd graph size"),
              _details("the numbers", _table(content.swell_table(report.swell))),
              "</section>"]
    if report.orders is not None:
        parts += ['<section id="orders"><h2>4. Beyond the gradient</h2>',
                  f"<p>{escape(content.ORDERS_TEXT)}</p>", _table(content.orders_table(report)),
                  f"<p>{escape(content.JACOBIAN_TEXT)}</p>",
                  _table(content.jacobian_table(report)),
                  f"<p>{escape(content.crossing_text(report))}</p>", "</section>"]
    return "\n".join(part for part in parts if part)


def _details(summary: str, inner: str) -> str:
    return f"<details><summary>{escape(summary)}</summary>{inner}</details>"


def _case(case: "CaseResult", figures: Mapping[str, str]) -> str:
    comparison = case.comparison
    status = comparison.verdict.status
    note = content.note(case)
    reasons = content.reasons(case)
    parts = [
        f'<section class="case" id="case-{case.number}">',
        f"<h2>{case.number}. {escape(case.title)} {_badge(status)}</h2>",
        f'<p class="meta">{escape(case.entry.origin)} · at {escape(content.point_text(case))}</p>',
        f'<pre class="source">{escape(comparison.expression.text)}</pre>',
        f'<div class="formulas">{_formulas(case)}</div>',
        f'<p class="note">{escape(note)}</p>' if note else "",
        _table(content.numbers(case)),
        f'<p class="verdict {escape(status)}">{escape(content.verdict_text(comparison))}</p>',
        ('<ul class="reasons">' + "".join(f"<li>{escape(r)}</li>" for r in reasons) + "</ul>")
        if reasons else "",
        "<h3>Error against step</h3>",
        _figure(figures, f"{case.number:02d}-steps.svg",
                f"error against step for case {case.number}", _sweep_caption(case))
        or "<p class=\"meta\">No sweep: no derivative has an exact value at this point.</p>",
        "<h3>Computation graph</h3>",
        _graph(case, figures),
        "<h3>Cost</h3>",
        _table(content.costs(case)),
        f'<p class="meta">{escape(content.COST_TEXT)}</p>',
        "</section>",
    ]
    return "\n".join(part for part in parts if part)


def _sweep_caption(case: "CaseResult") -> str:

    caption = content.SWEEP_TEXT
    if len(case.sweeps) > MAX_SWEEP_PANELS:
        caption += (f" Showing the first {MAX_SWEEP_PANELS} of {len(case.sweeps)} variables; "
                    "the table above has them all.")
    return caption


def _graph(case: "CaseResult", figures: Mapping[str, str]) -> str:
    name = f"{case.number:02d}-graph.svg"
    if name not in figures:
        return f'<p class="meta">Not drawn: {escape(case.graph_note)}.</p>'
    return (f'<div class="graph">{_image(figures[name], f"computation graph of case {case.number}")}'
            "</div><p class=\"meta\">Each box is a node of the engine's graph after "
            "backward(): its operation, its value (data) and d f / d node (grad).</p>")


def _formulas(case: "CaseResult") -> str:
    variables = case.comparison.expression.variables
    symbols = {name: sympy.Symbol(name) for name in variables}
    arguments = "<mo>,</mo>".join(mathml(symbols[name], printer="presentation")
                                  for name in variables)
    blocks = [f'<p class="meta">{escape(case.formulas_note)}</p>'] if case.formulas_note else []
    for quantity, formula in case.formulas.items():
        operations = formula.operations
        label = content.quantity_label(quantity)
        if not formula.mathml:
            blocks.append(f'<p class="meta">{escape(label)}: {operations:,} operations, too '
                          "long to show.</p>")
            continue
        if quantity == "value":
            left = f"<mi>f</mi><mo>(</mo>{arguments}<mo>)</mo>" if variables else "<mi>f</mi>"
        else:
            left = ("<mfrac><mrow><mo>∂</mo><mi>f</mi></mrow><mrow><mo>∂</mo>"
                    f"{mathml(symbols[quantity], printer='presentation')}</mrow></mfrac>")
        # Inline math in a block of its own: display="block" would centre it.
        math = (f'<div class="formula"><math displaystyle="true"><mrow>{left}<mo>=</mo>'
                f"{formula.mathml}</mrow></math></div>")
        if operations > MAX_SHOWN_OPERATIONS:
            blocks.append(_details(f"{label}: {operations} operations, folded (show)", math))
        else:
            blocks.append(math)
    return "".join(blocks)


def _problems(report: "Report") -> str:
    if not report.problems:
        return ""
    items = "".join(f"<li>{_title(p.title)}<code>{escape(p.text)}</code><br>"
                    f"{escape(p.message)}</li>" for p in report.problems)
    return (f'<section id="refused"><h2>Lines not reported</h2><p>These corpus lines could '
            f"not be read; the rest of the corpus is reported above.</p><ul>{items}</ul>"
            "</section>")


def _title(title: str) -> str:
    return f"<b>{escape(title)}</b>: " if title else ""


def _footer(report: "Report") -> str:
    reproducible = ("Measured times make this copy differ from run to run."
                    if report.timings else
                    "The same corpus gives the same bytes: no timestamps, counted costs.")
    return (f"<footer>Made by <code>diffcompare report</code> (diffcompare {__version__}). "
            f"{escape(reproducible)}</footer>")
