"""The error-against-step plot of one case, written as SVG by hand.

matplotlib took about a second per plot, most of the report's time (issue 12: 38% of
15.8 s); these are log-log line plots, which a hundred lines draw in a millisecond.
Same sweeps, same bytes: every number is formatted with a fixed precision.

One panel per variable (at most ``MAX_PANELS``): each scheme's error as the step
shrinks, a star at its best step, a dashed line at the step theory predicts, autograd's
error (solid) and the exact value rounded to a double (dotted) as horizontal lines. An
error of exactly 0 is a triangle on the bottom edge.
"""

from __future__ import annotations

import math
from html import escape
from typing import Sequence

MAX_PANELS = 6  # the table still shows every variable
COLUMNS = 3
PANEL_WIDTH, PANEL_HEIGHT = 300, 210
MIN_WIDTH = 600  # one or two panels are widened to this, so the legend fits beside them
# Room around a panel's plot area: left for the tick labels, bottom for the axis name.
LEFT, RIGHT, TOP, BOTTOM = 52, 12, 26, 40
LEGEND_ROW = 18
SCHEME_COLORS = {"central": "#ff7f0e", "forward": "#9467bd"}
EXTRA_COLORS = ("#8c564b", "#e377c2", "#17becf", "#bcbd22", "#d62728")
AUTOGRAD_COLOR = "#1f77b4"
FLOOR_WHEN_ALL_ZERO = 1e-20

_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def scheme_color(name: str, names: Sequence[str]) -> str:
    if name in SCHEME_COLORS:
        return SCHEME_COLORS[name]
    others = [s for s in names if s not in SCHEME_COLORS]
    index = others.index(name) if name in others else len(others)
    return EXTRA_COLORS[index % len(EXTRA_COLORS)]


def svg(sweeps: Sequence, autograd_errors: Sequence[float | None],
        rounding_errors: Sequence[float]) -> str:
    """The plot of ``sweeps`` (``finite_difference.Sweep``), one panel each, with
    autograd's absolute error and the rounding error of the exact value per panel.

    >>> from diffcompare.methods.finite_difference import Sweep
    >>> sweep = Sweep("x", (0.1, 0.01), {"central": (1e-3, 1e-7)}, {"central": 0.01},
    ...               {"central": 0.005})
    >>> picture = svg([sweep], [1e-16], [1e-17])
    >>> picture.startswith("<svg") and picture.count("<polyline") == 1
    True
    """
    sweeps = list(sweeps)[:MAX_PANELS]
    columns = max(1, min(len(sweeps), COLUMNS))
    rows = max(1, math.ceil(len(sweeps) / columns))
    names = list(sweeps[0].errors) if sweeps else []
    width = max(columns * PANEL_WIDTH, MIN_WIDTH)
    panel_width = width // columns
    legend = _legend(names, width)
    height = rows * PANEL_HEIGHT + len(legend[1]) * LEGEND_ROW + 8
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" font-family="DejaVu Sans, sans-serif" '
             'font-size="10">', f'<rect width="{width}" height="{height}" fill="#fff"/>']
    for index, sweep in enumerate(sweeps):
        row, column = divmod(index, columns)
        parts.append(_panel(sweep, names, autograd_errors[index], rounding_errors[index],
                            _Axes(column * panel_width, row * PANEL_HEIGHT, panel_width)))
    parts.append(legend[0].replace("{y}", str(rows * PANEL_HEIGHT + 4)))
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


class _Axes:
    """Log-log coordinates of one panel's plot area (ranges set by ``scale``)."""

    def __init__(self, left: float, top: float, width: float):
        self.left, self.top = left + LEFT, top + TOP
        self.width = width - LEFT - RIGHT
        self.height = PANEL_HEIGHT - TOP - BOTTOM
        self.x0 = self.x1 = self.y0 = self.y1 = 0.0

    def scale(self, x_range, y_range) -> "_Axes":
        self.x0, self.x1 = (math.log10(v) for v in x_range)
        self.y0, self.y1 = (math.log10(v) for v in y_range)
        return self

    def x(self, value: float) -> float:
        return self.left + (math.log10(value) - self.x0) / (self.x1 - self.x0) * self.width

    def y(self, value: float) -> float:
        return self.top + (self.y1 - math.log10(value)) / (self.y1 - self.y0) * self.height


def _panel(sweep, names, autograd_error, rounding, axes: _Axes) -> str:
    values = [e for errors in sweep.errors.values() for e in errors if e]
    values += [v for v in (autograd_error, rounding) if v]
    floor = min(values) / 10 if values else FLOOR_WHEN_ALL_ZERO
    ceiling = max(values) * 3 if values else floor * 1000
    steps = [h for h in sweep.steps if h > 0]
    axes.scale((min(steps), max(steps)), (floor / 3, ceiling))
    parts = [_frame(axes, f"∂f/∂{sweep.variable}")]
    for name, errors in sweep.errors.items():
        color = scheme_color(name, names)
        theoretical = sweep.theoretical_step.get(name)
        if theoretical and min(steps) <= theoretical <= max(steps):
            x = _n(axes.x(theoretical))
            parts.append(f'<line x1="{x}" y1="{_n(axes.top)}" x2="{x}" '
                         f'y2="{_n(axes.top + axes.height)}" stroke="{color}" '
                         'stroke-width="0.9" stroke-dasharray="4 3"/>')
        parts += _lines(axes, sweep.steps, errors, color)
        parts += [_triangle(axes.x(h), axes.y(floor), color)
                  for h, e in zip(sweep.steps, errors) if e == 0]
        best = sweep.best_step.get(name)
        if best is not None:
            error = errors[sweep.steps.index(best)] or floor
            parts.append(_star(axes.x(best), axes.y(error), color))
    if autograd_error is not None:
        parts.append(_horizontal(axes, autograd_error or floor, AUTOGRAD_COLOR, "1.6", ""))
    parts.append(_horizontal(axes, rounding or floor, "#000", "1.2", "1.5 2.5"))
    if not values:
        parts.append(f'<text x="{_n(axes.left + axes.width / 2)}" y="{_n(axes.top + 30)}" '
                     'text-anchor="middle" fill="#555">every error is exactly 0</text>')
    return "\n".join(parts)


def _frame(axes: _Axes, title: str) -> str:
    bottom = axes.top + axes.height
    parts = [f'<rect x="{_n(axes.left)}" y="{_n(axes.top)}" width="{_n(axes.width)}" '
             f'height="{_n(axes.height)}" fill="none" stroke="#bbb"/>',
             f'<text x="{_n(axes.left + axes.width / 2)}" y="{_n(axes.top - 8)}" '
             f'text-anchor="middle" font-size="11">{escape(title)}</text>',
             f'<text x="{_n(axes.left + axes.width / 2)}" y="{_n(bottom + 30)}" '
             'text-anchor="middle">step h</text>']
    for exponent in _decades(axes.x0, axes.x1, 4):
        x = _n(axes.x(10.0 ** exponent))
        parts.append(f'<line x1="{x}" y1="{_n(axes.top)}" x2="{x}" y2="{_n(bottom)}" '
                     'stroke="#e4e4e4" stroke-width="0.6"/>')
        parts.append(f'<text x="{x}" y="{_n(bottom + 14)}" text-anchor="middle">'
                     f"{_power(exponent)}</text>")
    for exponent in _decades(axes.y0, axes.y1, 5):
        y = _n(axes.y(10.0 ** exponent))
        parts.append(f'<line x1="{_n(axes.left)}" y1="{y}" x2="{_n(axes.left + axes.width)}" '
                     f'y2="{y}" stroke="#e4e4e4" stroke-width="0.6"/>')
        parts.append(f'<text x="{_n(axes.left - 4)}" y="{y}" text-anchor="end" '
                     f'dominant-baseline="middle">{_power(exponent)}</text>')
    return "\n".join(parts)


def _decades(low: float, high: float, most: int) -> list[int]:
    """Whole powers of ten in [low, high] (log10 units), thinned to at most ``most``."""
    exponents = list(range(math.ceil(low - 1e-9), math.floor(high + 1e-9) + 1))
    stride = max(1, math.ceil(len(exponents) / most))
    return [e for e in exponents if e % stride == 0]


def _lines(axes: _Axes, steps, errors, color: str) -> list[str]:
    """One polyline per run of positive errors: a zero or a missing error breaks it."""
    runs, current = [], []
    for h, error in zip(steps, errors):
        if error and h > 0:
            current.append(f"{_n(axes.x(h))},{_n(axes.y(error))}")
        elif current:
            runs.append(current)
            current = []
    if current:
        runs.append(current)
    return [f'<polyline points="{" ".join(run)}" fill="none" stroke="{color}" '
            'stroke-width="1.3"/>' for run in runs]


def _horizontal(axes: _Axes, value: float, color: str, width: str, dashes: str) -> str:
    y = _n(min(max(axes.y(value), axes.top), axes.top + axes.height))
    dash = f' stroke-dasharray="{dashes}"' if dashes else ""
    return (f'<line x1="{_n(axes.left)}" y1="{y}" x2="{_n(axes.left + axes.width)}" '
            f'y2="{y}" stroke="{color}" stroke-width="{width}"{dash}/>')


def _triangle(x: float, y: float, color: str) -> str:
    return (f'<path d="M{_n(x - 3)},{_n(y - 3)} L{_n(x + 3)},{_n(y - 3)} L{_n(x)},{_n(y + 2)} '
            f'z" fill="{color}"/>')


def _star(x: float, y: float, color: str, radius: float = 6.0) -> str:
    points = []
    for k in range(10):
        r = radius if k % 2 == 0 else radius * 0.45
        angle = math.pi / 2 + k * math.pi / 5
        points.append(f"{_n(x + r * math.cos(angle))},{_n(y - r * math.sin(angle))}")
    return (f'<polygon points="{" ".join(points)}" fill="{color}" stroke="#000" '
            'stroke-width="0.5"/>')


def _legend(names: Sequence[str], width: int) -> tuple[str, list]:
    """The legend as SVG with ``{y}`` for its top, and its rows of entries."""
    entries = [(f"{name} difference", f'stroke="{scheme_color(name, names)}"')
               for name in names]
    entries += [("autograd", f'stroke="{AUTOGRAD_COLOR}" stroke-width="1.6"'),
                ("exact value rounded to a double", 'stroke="#000" stroke-dasharray="1.5 2.5"'),
                ("theoretical step", 'stroke="#555" stroke-dasharray="4 3"')]
    per_row = max(1, width // 200)
    rows = [entries[i:i + per_row] for i in range(0, len(entries), per_row)]
    parts = ['<g transform="translate(0,{y})">']
    for r, row in enumerate(rows):
        for c, (label, stroke) in enumerate(row):
            x, y = 12 + c * 200, r * LEGEND_ROW + 9
            parts.append(f'<line x1="{x}" y1="{y}" x2="{x + 22}" y2="{y}" {stroke}/>'
                         f'<text x="{x + 28}" y="{y}" dominant-baseline="middle">'
                         f"{escape(label)}</text>")
    parts.append("</g>")
    return "".join(parts), rows


def _power(exponent: int) -> str:
    return "1" if exponent == 0 else "10" + str(exponent).translate(_SUPERSCRIPT)


def _n(value: float) -> str:
    """A coordinate with one decimal: the same sweep gives the same bytes."""
    return f"{value:.1f}"
