"""The report's summary plots, drawn with matplotlib's SVG backend (no GUI, no pyplot
state). The per-case step plots are drawn by hand (``report.steps``), as the graphs are.

Output is deterministic: a fixed hash salt for SVG ids, no date or creator in the
metadata, text kept as text (``svg.fonttype = none``) and every input in a fixed order.
A ``$`` in a user's text is escaped (``plain``) so matplotlib never reads it as mathtext;
matplotlib escapes ``<`` and ``&`` in SVG text.
"""

from __future__ import annotations

import io
import math
from typing import Callable, Mapping

import matplotlib
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, NullFormatter

from diffcompare.methods import finite_difference
from diffcompare.report import steps as report_steps
from diffcompare.report.cases import Report, accuracy, method_names
from diffcompare.report.studies import SWELL_FAMILIES, Scaling, Swell

STYLE = {
    "svg.hashsalt": "diffcompare",
    "svg.fonttype": "none",
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.grid": True,
    "grid.color": "#e4e4e4",
    "grid.linewidth": 0.6,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "legend.frameon": False,
    "path.simplify": False,
}
METADATA = {"Date": None, "Creator": None}

METHOD_COLORS = {"autograd": "#1f77b4", "finite_difference": "#ff7f0e",
                 "symbolic": "#2ca02c", "evaluation": "#7f7f7f"}
METHOD_NAMES = {"autograd": "autograd (reverse mode)", "finite_difference": "finite differences",
                "symbolic": "symbolic (sympy)"}
CAP_COLOR = "#d62728"
CAP_MARKER_STEP = 1.3  # capped markers of successive methods sit this factor apart
# One row per case: past this the plot is taller than any screen (and slow to draw); the
# table beside it still sums the digits up.
MAX_ACCURACY_ROWS = 100
MAX_SWEEP_PANELS = report_steps.MAX_PANELS  # the step plots are drawn by report.steps
LABEL_LENGTH = 38


def figures(report: "Report", tick: Callable[[str], None] = lambda what: None) -> dict[str, str]:
    """Every figure of the report as SVG text, by file name, in a fixed order.

    ``tick`` is called after each plot that matplotlib draws (``plot_count`` of them).
    """
    out = {}
    for case in report.cases:
        if case.steps is not None:  # drawn by hand as the case was built (report.steps)
            out[f"{case.number:02d}-steps.svg"] = case.steps
        if case.graph is not None:
            out[f"{case.number:02d}-graph.svg"] = case.graph
    if len(report.cases) <= MAX_ACCURACY_ROWS:
        out["accuracy.svg"] = accuracy_figure(report)
    if report.scaling is not None:
        out["cost-scaling.svg"] = scaling_figure(report.scaling)
    if report.timed_scaling is not None:
        out["cost-scaling-seconds.svg"] = scaling_figure(report.timed_scaling)
    if report.swell is not None:
        out["swell.svg"] = swell_figure(report.swell)
    tick("summary plots")
    return out


def plot_count(report: "Report") -> int:
    """How many times ``figures`` calls its ``tick``."""
    return 1


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def _power_of_ten(value: float, position=None) -> str:
    """Tick label 10⁻³ for a decade, nothing between: plain text, no mathtext to lay out."""
    if value <= 0:
        return ""
    exponent = round(math.log10(value))
    if not math.isclose(value, 10.0 ** exponent, rel_tol=1e-9):
        return ""
    return "1" if exponent == 0 else "10" + str(exponent).translate(_SUPERSCRIPT)


def _log_axes(axis, x: bool = True, y: bool = True) -> None:
    for wanted, scale, which in ((x, axis.set_xscale, axis.xaxis), (y, axis.set_yscale, axis.yaxis)):
        if wanted:
            scale("log")
            which.set_major_formatter(FuncFormatter(_power_of_ten))
            which.set_minor_formatter(NullFormatter())


def to_svg(figure: Figure) -> str:
    buffer = io.StringIO()
    with matplotlib.rc_context(STYLE):
        FigureCanvasSVG(figure)
        figure.savefig(buffer, format="svg", metadata=METADATA)
    return buffer.getvalue()


def _figure(width: float, height: float) -> Figure:
    with matplotlib.rc_context(STYLE):
        return Figure(figsize=(width, height), layout="constrained")


# Methods without a colour of their own (a registered method, a user's engine), in turn.
OTHER_METHOD_COLORS = ("#2f4b7c", "#a05195", "#665191", "#d45087")


def method_color(method: str, index: int) -> str:
    """A method's colour: its own, or the ``index``-th of the others'."""
    return METHOD_COLORS.get(method, OTHER_METHOD_COLORS[index % len(OTHER_METHOD_COLORS)])


def scheme_color(name: str) -> str:
    return report_steps.scheme_color(name, tuple(finite_difference.SCHEMES))


def plain(text: str) -> str:
    """User text as a matplotlib label: ``$`` would start mathtext, ``\\$`` is a dollar."""
    return text.replace("$", r"\$")


def shorten(text: str, length: int = LABEL_LENGTH) -> str:
    text = " ".join(text.split())
    return plain(text if len(text) <= length else text[:length - 1] + "…")


# ---- accuracy across the corpus ----


def accuracy_figure(report: "Report") -> str:

    labels, rows = accuracy(report)
    methods = method_names(report)
    colors = [method_color(method, i) for i, method in enumerate(methods)]
    colors += [scheme_color(label.split(",")[0]) for label in labels[len(methods):]]
    markers = ["o", "s", "^", "v", "D", "P", "X"]
    with matplotlib.rc_context(STYLE):
        figure = _figure(7.6, 1.3 + 0.26 * max(len(rows), 1))
        axis = figure.subplots()
        offsets = _offsets(len(labels))
        for i, label in enumerate(labels):
            xs = [row.digits.get(label) for row in rows]
            ys = [k + offsets[i] for k in range(len(rows))]
            axis.plot([math.nan if x is None else x for x in xs], ys, linestyle="none",
                      marker=markers[i % len(markers)], markersize=5, color=colors[i],
                      label=label, alpha=0.9 if i < len(methods) else 0.75,
                      fillstyle="full" if i < len(methods) else "none")
        axis.set_yticks(range(len(rows)),
                        [shorten(f"{row.number}. {row.title}") for row in rows])
        axis.set_ylim(max(len(rows), 1) - 0.5, -0.5)  # one empty row's height when none
        if not rows:
            axis.text(0.5, 0.5, "no case has an exact derivative to compare with",
                      transform=axis.transAxes, ha="center", va="center", color="#555555")
        axis.set_xlim(-0.5, 17.5)
        axis.set_xticks(range(0, 18, 2))
        axis.set_xlabel("correct significant digits of the gradient (fewest over the variables)")
        axis.grid(axis="y", visible=False)
        figure.legend(loc="outside upper center", ncols=min(4, len(labels)))
    return to_svg(figure)


def _offsets(count: int) -> list[float]:
    if count == 1:
        return [0.0]
    spread = 0.5
    return [-spread / 2 + spread * i / (count - 1) for i in range(count)]


# ---- cost scaling ----


def scaling_figure(scaling: Scaling) -> str:
    """The cost of a full gradient against n, and the same divided by one evaluation."""
    counted = scaling.unit == "operations"
    cap_text = (f"cap: {scaling.cap:,.0f} operations (not run above it)" if counted
                else f"cap: {scaling.cap:g} s per run (stopped there)")
    with matplotlib.rc_context(STYLE):
        figure = _figure(8.2, 3.6)
        absolute, ratio = figure.subplots(1, 2)
        absolute.plot(scaling.sizes, scaling.evaluation, color=METHOD_COLORS["evaluation"],
                      linestyle="--", linewidth=1.2, label="one evaluation of f")
        for index, (method, costs) in enumerate(scaling.costs.items()):
            color = METHOD_COLORS[method]
            shown = [math.nan if c is None else c for c in costs]
            absolute.plot(scaling.sizes, shown, color=color, marker="o", markersize=3.5,
                          linewidth=1.5, label=METHOD_NAMES[method])
            ratio.plot(scaling.sizes, [c / e for c, e in zip(shown, scaling.evaluation)],
                       color=color, marker="o", markersize=3.5, linewidth=1.5)
            capped = [n for n, c in zip(scaling.sizes, costs) if c is None]
            if capped:
                lifted = scaling.cap * CAP_MARKER_STEP ** index  # so markers do not hide
                absolute.plot(capped, [lifted] * len(capped), linestyle="none",
                              marker="^", markersize=6, color=color, fillstyle="none")
        absolute.axhline(scaling.cap, color=CAP_COLOR, linestyle=":", linewidth=1.2,
                         label=cap_text)
        absolute.set_ylabel("primitive operations (counted)" if counted else "seconds")
        absolute.set_title("cost of a full gradient")
        ratio.axhline(1.0, color=METHOD_COLORS["evaluation"], linestyle="--", linewidth=1.2)
        ratio.set_title("the same, divided by one evaluation")
        ratio.set_ylabel("× one evaluation")
        if all(c is None for costs in scaling.costs.values() for c in costs):
            # only the line at 1 is left: give the axis ranges before they go log
            ratio.sharex(absolute)
            ratio.set_ylim(0.1, 10)
            ratio.text(0.5, 0.6, "every run passed the cap", transform=ratio.transAxes,
                       ha="center", color="#555555")
        for axis in (absolute, ratio):
            _log_axes(axis)
            axis.set_xlabel("n, the number of variables")
        figure.legend(*absolute.get_legend_handles_labels(), loc="outside lower center",
                      ncols=3)
    return to_svg(figure)


# ---- expression swell ----


def swell_figure(swell: Swell) -> str:
    palette = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#8c564b"]
    with matplotlib.rc_context(STYLE):
        figure = _figure(7.0, 5.0)
        axis = figure.subplots()
        widest = 1
        for i, (family, points) in enumerate(swell.families.items()):
            color = palette[i % len(palette)]
            nodes = [p.graph_nodes for p in points]
            axis.plot(nodes, [p.symbolic for p in points], color=color, marker="o",
                      markersize=3.5, linewidth=1.5, label=f"{family}: sympy derivative")
            axis.plot(nodes, [p.symbolic_cse for p in points], color=color, marker="o",
                      markersize=3.5, linewidth=1.2, linestyle="--", fillstyle="none",
                      label=f"{family}: after cse")
            last = points[-1]
            axis.annotate(f"depth {last.depth}", (last.graph_nodes, last.symbolic),
                          textcoords="offset points", xytext=(4, 0), fontsize=7,
                          color=color, va="center")
            widest = max(widest, *nodes)
        axis.plot([1, widest], [1, widest], color="#999999", linestyle=":", linewidth=1,
                  label="as many operations as graph nodes")
        _log_axes(axis)
        axis.set_xlabel("autograd graph of f (nodes)")
        axis.set_ylabel("operations in the symbolic derivative")
        figure.legend(loc="outside lower center", ncols=2, fontsize=8)
    return to_svg(figure)


def family_descriptions() -> Mapping[str, str]:
    return {family: description for family, (description, _) in SWELL_FAMILIES.items()}
