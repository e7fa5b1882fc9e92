"""The report's plots, drawn with matplotlib's SVG backend (no GUI, no pyplot state).

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
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, NullFormatter

from diffcompare.methods import finite_difference
from diffcompare.report.cases import (
    CaseResult,
    Report,
    accuracy,
    method_names,
    rounding_error,
)
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
SCHEME_COLORS = {"central": "#ff7f0e", "forward": "#9467bd"}
EXTRA_COLORS = ("#8c564b", "#e377c2", "#17becf", "#bcbd22", "#d62728")
CAP_COLOR = "#d62728"
CAP_MARKER_STEP = 1.3  # capped markers of successive methods sit this factor apart
MAX_SWEEP_PANELS = 6  # the table still shows every variable
SWEEP_COLUMNS = 3
LABEL_LENGTH = 38


def figures(report: "Report", tick: Callable[[str], None] = lambda what: None) -> dict[str, str]:
    """Every figure of the report as SVG text, by file name, in a fixed order.

    ``tick`` is called after each plot that matplotlib draws (``plot_count`` of them).
    """
    out = {}
    for case in report.cases:
        if case.sweeps:
            out[f"{case.number:02d}-steps.svg"] = sweep_figure(case)
            tick(f"plot {case.number}")
        if case.graph is not None:
            out[f"{case.number:02d}-graph.svg"] = case.graph
    out["accuracy.svg"] = accuracy_figure(report)
    out["cost-scaling.svg"] = scaling_figure(report.scaling)
    if report.timed_scaling is not None:
        out["cost-scaling-seconds.svg"] = scaling_figure(report.timed_scaling)
    out["swell.svg"] = swell_figure(report.swell)
    tick("summary plots")
    return out


def plot_count(report: "Report") -> int:
    """How many times ``figures`` calls its ``tick``."""
    return sum(1 for case in report.cases if case.sweeps) + 1


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
    if name in SCHEME_COLORS:
        return SCHEME_COLORS[name]
    others = [s for s in finite_difference.SCHEMES if s not in SCHEME_COLORS]
    index = others.index(name) if name in others else len(others)
    return EXTRA_COLORS[index % len(EXTRA_COLORS)]


def plain(text: str) -> str:
    """User text as a matplotlib label: ``$`` would start mathtext, ``\\$`` is a dollar."""
    return text.replace("$", r"\$")


def shorten(text: str, length: int = LABEL_LENGTH) -> str:
    text = " ".join(text.split())
    return plain(text if len(text) <= length else text[:length - 1] + "…")


# ---- error against step ----


def sweep_figure(case: "CaseResult") -> str:
    """One log-log panel per variable: each scheme's error as the step shrinks."""
    return to_svg(sweep_matplotlib_figure(case))


def sweep_matplotlib_figure(case: "CaseResult") -> Figure:
    """``sweep_figure`` before it becomes SVG (tests measure its legend)."""
    sweeps = case.sweeps[:MAX_SWEEP_PANELS]
    columns = min(len(sweeps), SWEEP_COLUMNS)
    rows = math.ceil(len(sweeps) / columns)
    with matplotlib.rc_context(STYLE):
        figure = _figure(max(3.1 * columns + 0.4, 6.0), 2.5 * rows + 0.8)
        axes = figure.subplots(rows, columns, squeeze=False)
        comparison = case.comparison
        for index, sweep in enumerate(sweeps):
            exact = comparison.reference.exact[sweep.variable]
            autograd_error = comparison.errors["autograd"][sweep.variable].absolute
            _sweep_panel(axes[index // columns][index % columns], sweep, autograd_error,
                         rounding_error(exact))
        for index in range(len(sweeps), rows * columns):
            axes[index // columns][index % columns].set_visible(False)
        # Two legend columns up to two panels wide: three overflowed a 6.6-inch figure
        # and were clipped at both edges.
        figure.legend(handles=_sweep_legend(sweeps), loc="outside lower center",
                      ncols=2 if columns <= 2 else 4)
    return figure


def _sweep_panel(axis, sweep, autograd_error: float | None, rounding: float) -> None:
    values = [e for errors in sweep.errors.values() for e in errors if e]
    values += [v for v in (autograd_error, rounding) if v]
    floor = min(values) / 10 if values else 1e-20

    def line(errors):  # zeros and gaps break the line; zeros get a marker at the floor
        return [e if e else math.nan for e in errors]

    for name, errors in sweep.errors.items():
        color = scheme_color(name)
        axis.plot(sweep.steps, line(errors), color=color, linewidth=1.3, zorder=3)
        zeros = [h for h, e in zip(sweep.steps, errors) if e == 0]
        if zeros:
            axis.plot(zeros, [floor] * len(zeros), linestyle="none", marker="v",
                      markersize=4, color=color, zorder=3)
        best = sweep.best_step.get(name)
        if best is not None:
            axis.plot([best], [errors[sweep.steps.index(best)] or floor], marker="*",
                      markersize=10, color=color, markeredgecolor="black",
                      markeredgewidth=0.5, linestyle="none", zorder=4)
        theoretical = sweep.theoretical_step.get(name)
        if theoretical:
            axis.axvline(theoretical, color=color, linestyle="--", linewidth=0.9)
    if autograd_error is not None:
        axis.axhline(autograd_error or floor, color=METHOD_COLORS["autograd"], linewidth=1.6)
    axis.axhline(rounding or floor, color="black", linestyle=":", linewidth=1.2)
    if not values:
        axis.text(0.5, 0.6, "every error is exactly 0", transform=axis.transAxes,
                  ha="center", color="#555555")
    if values:
        _log_axes(axis)
        axis.set_ylim(floor / 3, None)
    else:  # every line sits at the floor: give the axis a range before it goes log
        axis.set_ylim(floor / 3, floor * 10)
        _log_axes(axis)
    axis.set_title(plain(f"∂f/∂{sweep.variable}"))
    axis.set_xlabel("step h")
    axis.set_ylabel("absolute error")


def _sweep_legend(sweeps) -> list:
    handles = [Line2D([], [], color=scheme_color(name), label=f"{name} difference")
               for name in sweeps[0].errors]
    handles += [
        Line2D([], [], color="#555555", marker="v", linestyle="none", markersize=4,
               label="error exactly 0 (bottom edge)"),
        Line2D([], [], color=METHOD_COLORS["autograd"], linewidth=1.6, label="autograd"),
        Line2D([], [], color="black", linestyle=":", label="exact value rounded to a double"),
        Line2D([], [], color="#555555", marker="*", linestyle="none", markersize=9,
               markeredgecolor="black", markeredgewidth=0.5, label="best step"),
        Line2D([], [], color="#555555", linestyle="--", linewidth=0.9,
               label="theoretical step"),
    ]
    return handles


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
