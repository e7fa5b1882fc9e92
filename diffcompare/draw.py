"""The computation graph as an SVG picture, with no program outside Python.

Layout: each node sits in the column of its longest path from a leaf, so data flows
left to right as in the lecture's graphviz pictures; within a column, nodes keep the
order in which they were reached. Output is deterministic: same graph, same bytes.
"""

from __future__ import annotations

from html import escape

from .engine import Value, _topological_order

_BOX_WIDTH, _BOX_HEIGHT = 150, 46
_COLUMN_GAP, _ROW_GAP, _MARGIN = 60, 18, 10


def svg(root: Value, labels: dict | None = None) -> str:
    """An SVG document of the graph that ``root`` depends on: op, data and grad per node."""
    order = _topological_order(root)
    column: dict[int, int] = {}
    for node in order:  # children come first, so their columns are known
        column[id(node)] = 1 + max((column[id(c)] for c in node._prev), default=-1)
    rows: dict[int, int] = {}
    place: dict[int, tuple[int, int]] = {}
    for node in order:
        c = column[id(node)]
        rows[c] = rows.get(c, 0) + 1
        place[id(node)] = (c, rows[c] - 1)
    width = _MARGIN * 2 + (max(column.values()) + 1) * (_BOX_WIDTH + _COLUMN_GAP) - _COLUMN_GAP
    height = _MARGIN * 2 + max(rows.values()) * (_BOX_HEIGHT + _ROW_GAP) - _ROW_GAP

    def corner(node):
        c, r = place[id(node)]
        return (_MARGIN + c * (_BOX_WIDTH + _COLUMN_GAP), _MARGIN + r * (_BOX_HEIGHT + _ROW_GAP))

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" font-family="monospace" font-size="11">']
    for node in order:
        x, y = corner(node)
        for child in node._prev:
            cx, cy = corner(child)
            parts.append(f'<line x1="{cx + _BOX_WIDTH}" y1="{cy + _BOX_HEIGHT // 2}" '
                         f'x2="{x}" y2="{y + _BOX_HEIGHT // 2}" stroke="#888"/>')
    for node in order:
        x, y = corner(node)
        name = (labels or {}).get(id(node)) or node.label or node._op or "input"
        parts.append(f'<rect x="{x}" y="{y}" width="{_BOX_WIDTH}" height="{_BOX_HEIGHT}" '
                     f'rx="6" fill="#f4f6fb" stroke="#4a5d8f"/>')
        parts.append(f'<text x="{x + 6}" y="{y + 14}" font-weight="bold">{escape(name)}</text>')
        parts.append(f'<text x="{x + 6}" y="{y + 28}">data {node.data:.6g}</text>')
        parts.append(f'<text x="{x + 6}" y="{y + 41}">grad {node.grad:.6g}</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"
