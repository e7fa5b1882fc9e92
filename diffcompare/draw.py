"""The computation graph as an SVG picture, with no program outside Python.

Each node is a box with its name (a leaf's label, or the operation), its data and its
grad. Data flows left to right, as in the lecture's graphviz pictures: a node sits in
the column of its longest path from a leaf (a leaf just before its first use), and
within a column nodes are ordered by the mean position of their neighbours (a few
sweeps of the barycentre heuristic), which keeps most edges from crossing. Output is
deterministic: same graph, same bytes.

``svg(root)`` returns the document; ``write_svg(root, path)`` (and ``Value.draw(path)``)
writes it atomically (``files.write_atomically``). It reads only micrograd's node
attributes (``_prev``, ``_op``, ``label``, ``data``, ``grad``), so it draws a user's
engine as well as ours, and imports nothing of the engine. ``pictures`` draws an
expression's graph at a point.
"""

from __future__ import annotations

from html import escape
from typing import Mapping

_BOX_WIDTH, _BOX_HEIGHT = 150, 46
_COLUMN_GAP, _ROW_GAP, _MARGIN = 60, 18, 10
_SWEEPS = 4  # barycentre sweeps; more rarely changes a small graph's picture
_NAME_CHARACTERS = 20  # longer names are cut, with the whole name in the hover title

# A picture of more nodes than this is unreadable and slow to open.
MAX_NODES = 2000

_STYLE = {
    "leaf": ('fill="#eef7ee"', 'stroke="#3b7a3b"'),
    "op": ('fill="#f4f6fb"', 'stroke="#4a5d8f"'),
    "root": ('fill="#fdf3e6"', 'stroke="#a8651b"'),
}


def svg(root, labels: Mapping[int, str] | None = None) -> str:
    """An SVG document of the graph that ``root`` depends on: name, data and grad per node.

    ``labels`` maps ``id(node)`` to the name to show instead of the node's label or op.

    >>> from diffcompare import Value
    >>> x = Value(2.0, label="x"); y = (x * x).tanh(); y.backward()
    >>> svg(y).count("<rect")
    3
    """
    order = topological_order(root)
    rows = _layout(order)
    height_rows = max(len(nodes) for nodes in rows)
    width = _MARGIN * 2 + len(rows) * (_BOX_WIDTH + _COLUMN_GAP) - _COLUMN_GAP
    height = _MARGIN * 2 + height_rows * (_BOX_HEIGHT + _ROW_GAP) - _ROW_GAP
    corner = {}
    for c, nodes in enumerate(rows):
        offset = (height_rows - len(nodes)) * (_BOX_HEIGHT + _ROW_GAP) // 2
        for r, node in enumerate(nodes):
            corner[id(node)] = (_MARGIN + c * (_BOX_WIDTH + _COLUMN_GAP),
                                _MARGIN + offset + r * (_BOX_HEIGHT + _ROW_GAP))

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" font-family="monospace" font-size="11">',
             '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" '
             'markerWidth="7" markerHeight="7" orient="auto">'
             '<path d="M 0 0 L 10 5 L 0 10 z" fill="#888"/></marker></defs>']
    for node in order:
        x, y = corner[id(node)]
        for child in node._prev:
            cx, cy = corner[id(child)]
            x1, y1, x2, y2 = cx + _BOX_WIDTH, cy + _BOX_HEIGHT // 2, x, y + _BOX_HEIGHT // 2
            bend = (x2 - x1) // 2
            parts.append(f'<path d="M {x1} {y1} C {x1 + bend} {y1} {x2 - bend} {y2} {x2} {y2}" '
                         'fill="none" stroke="#888" marker-end="url(#arrow)"/>')
    for node in order:
        x, y = corner[id(node)]
        name = (labels or {}).get(id(node)) or node.label or node._op or "input"
        kind = "root" if node is root else ("leaf" if not node._prev else "op")
        fill, stroke = _STYLE[kind]
        shown = name if len(name) <= _NAME_CHARACTERS else name[:_NAME_CHARACTERS - 1] + "…"
        parts.append(f'<g><title>{escape(name)}: data {node.data!r}, grad {node.grad!r}</title>')
        parts.append(f'<rect x="{x}" y="{y}" width="{_BOX_WIDTH}" height="{_BOX_HEIGHT}" '
                     f'rx="6" {fill} {stroke}/>')
        parts.append(f'<text x="{x + 6}" y="{y + 14}" font-weight="bold">{escape(shown)}</text>')
        parts.append(f'<text x="{x + 6}" y="{y + 28}">data {node.data:.6g}</text>')
        parts.append(f'<text x="{x + 6}" y="{y + 41}">grad {node.grad:.6g}</text></g>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def _layout(order: list) -> list[list]:
    """The nodes of each column, from top to bottom."""
    column: dict[int, int] = {}
    for node in order:  # children come first, so their columns are known
        column[id(node)] = 1 + max((column[id(c)] for c in node._prev), default=-1)
    parents: dict[int, list] = {id(node): [] for node in order}
    for node in order:
        for child in node._prev:
            parents[id(child)].append(node)
    for node in order:  # a leaf sits just before its first use, as graphviz puts it
        if not node._prev and parents[id(node)]:
            column[id(node)] = min(column[id(p)] for p in parents[id(node)]) - 1
    rows: list[list] = [[] for _ in range(max(column.values()) + 1)]
    for node in order:
        rows[column[id(node)]].append(node)
    position: dict[int, float] = {}  # a node's place in its column, from 0 (top) to 1 (bottom)
    for nodes in rows:
        _place(nodes, position)
    for _ in range(_SWEEPS):
        for c in range(1, len(rows)):  # left to right: by the children's places
            _sort_by_neighbours(rows[c], lambda node: node._prev, position)
        for c in range(len(rows) - 2, -1, -1):  # right to left: by the parents'
            _sort_by_neighbours(rows[c], lambda node: parents[id(node)], position)
    return rows


def _place(nodes: list, position: dict) -> None:
    for r, node in enumerate(nodes):
        position[id(node)] = (r + 0.5) / len(nodes)


def _sort_by_neighbours(nodes: list, neighbours, position: dict) -> None:
    def key(node):
        around = [position[id(n)] for n in neighbours(node)]
        return sum(around) / len(around) if around else position[id(node)]

    nodes.sort(key=key)  # stable: ties keep their order, so the result is deterministic
    _place(nodes, position)


def write_svg(root, path, labels: Mapping[int, str] | None = None,
              max_nodes: int = MAX_NODES) -> None:
    """Write ``svg(root)`` to ``path`` atomically; refuse graphs over ``max_nodes``."""
    size = len(topological_order(root))
    if size > max_nodes:
        raise ValueError(f"the graph has {size} nodes; a picture of more than {max_nodes} "
                         "is unreadable, so none was written")
    from diffcompare.files import write_atomically

    write_atomically(path, svg(root, labels))


def topological_order(root) -> list:
    """Every node ``root`` depends on, children before parents, without recursion.

    Works on any micrograd-style node: it reads only ``_prev``.
    """
    parents: dict[int, int] = {}
    seen = {id(root)}
    nodes = [root]
    for node in nodes:  # the list grows while we walk it
        for child in node._prev:
            parents[id(child)] = parents.get(id(child), 0) + 1
            if id(child) not in seen:
                seen.add(id(child))
                nodes.append(child)
    order = []
    stack = [root]
    while stack:
        node = stack.pop()
        order.append(node)
        for child in node._prev:
            parents[id(child)] -= 1
            if not parents[id(child)]:
                stack.append(child)
    order.reverse()
    return order


def notebook_svg(root) -> str | None:
    """What a notebook shows for ``root``: the SVG picture, or None (the text repr then
    shows) for a graph of more than ``MAX_NODES`` nodes, which no one could read.

    >>> from diffcompare import Value
    >>> x = Value(1.0)
    >>> for _ in range(MAX_NODES):
    ...     x = x + 1
    >>> notebook_svg(x) is None
    True
    """
    if len(topological_order(root)) > MAX_NODES:
        return None
    return svg(root)


class Drawing:
    """A graph's picture that a notebook displays: the lecture's ``draw_dot(root)``.

    Jupyter shows it as SVG (``_repr_svg_``), drawn by ``svg`` with no program outside
    Python; ``to_dot()`` gives Graphviz source for those who have Graphviz. The picture is
    of the graph as it is when displayed, so a ``backward()`` after ``draw_dot`` shows.
    """

    def __init__(self, root):
        self.root = root

    def _repr_svg_(self) -> str | None:
        return notebook_svg(self.root)

    def __repr__(self) -> str:
        return f"<Drawing of {len(topological_order(self.root))} nodes>"

    def to_dot(self) -> str:
        """Graphviz source, as the lecture's ``draw_dot``: one record per value (label,
        data, grad) and one small node per operation, left to right.

        >>> from diffcompare import Value
        >>> a = Value(2.0, label="a"); b = (a * a).tanh()
        >>> print(draw_dot(b).to_dot().splitlines()[1])
          rankdir=LR;
        """
        lines = ["digraph {", "  rankdir=LR;"]
        number = {id(node): f"n{i}" for i, node in enumerate(topological_order(self.root))}
        for node in topological_order(self.root):
            name = number[id(node)]
            text = f"{node.label} | data {node.data:.4f} | grad {node.grad:.4f}"
            lines.append(f'  {name} [shape=record, label="{{ {_dot_escape(text)} }}"];')
            if node._op:
                lines.append(f'  {name}_op [label="{_dot_escape(node._op)}"];')
                lines.append(f"  {name}_op -> {name};")
            for child in node._prev:
                lines.append(f"  {number[id(child)]} -> {name}_op;" if node._op
                             else f"  {number[id(child)]} -> {name};")
        lines.append("}")
        return "\n".join(lines) + "\n"


def draw_dot(root) -> Drawing:
    """The lecture's ``draw_dot(root)``: a displayable picture of the graph under ``root``
    (any micrograd-style node: ``_prev``, ``_op``, ``label``, ``data``, ``grad``).

    >>> from diffcompare import Value
    >>> draw_dot(Value(1.0, label="x") * 2)
    <Drawing of 2 nodes>
    """
    return Drawing(root)


def _dot_escape(text: str) -> str:
    return "".join("\\" + ch if ch in '"{}|<>\\' else ch for ch in str(text))
