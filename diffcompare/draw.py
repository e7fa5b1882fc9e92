"""The computation graph as an SVG picture, with no program outside Python.

Each node is a box with its name (a leaf's label, or the operation), its data and its
grad. Data flows left to right, as in the lecture's graphviz pictures: a node sits in
the column of its longest path from a leaf (a leaf just before its first use), and
within a column nodes are ordered by the mean position of their neighbours (a few
sweeps of the barycentre heuristic), which keeps most edges from crossing. Output is
deterministic: same graph, same bytes.

``svg(root)`` returns the document; ``write_svg(root, path)`` (and ``Value.draw(path)``)
writes it atomically (``write_atomically``); ``expression_svg(expression, point)`` draws
an expression's graph at a point, each node annotated with its autograd gradient (the
CLI's ``--graph``).
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from html import escape
from typing import Mapping

from diffcompare.engine import Value, _reachable, _topological_order

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


def svg(root: Value, labels: Mapping[int, str] | None = None) -> str:
    """An SVG document of the graph that ``root`` depends on: name, data and grad per node.

    ``labels`` maps ``id(node)`` to the name to show instead of the node's label or op.

    >>> x = Value(2.0, label="x"); y = (x * x).tanh(); y.backward()
    >>> svg(y).count("<rect")
    3
    """
    order = _topological_order(root)
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
    position = {}  # a node's place in its column, from 0 (top) to 1 (bottom)
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


def expression_svg(expression, point: Mapping) -> str:
    """The autograd graph of ``expression`` at ``point``, after one backward pass.

    Leaves are labelled with the variable names; an operation with a number operand
    shows it (``* 2``, ``1 -``), since the engine folds numbers into the node.
    Raises what the engine raises where the expression is not defined.
    """
    return svg(*expression_graph(expression, point))


def expression_graph(expression, point: Mapping) -> tuple[Value, dict[int, str]]:
    """The engine's graph of ``expression`` at ``point`` after one backward pass, and the
    names to show for its nodes (``svg``'s ``labels``)."""
    from diffcompare.methods.autograd import _call
    from diffcompare.language.expression import Interpretation, evaluate

    leaves = {name: Value(float(point[name]), label=name) for name in expression.variables}
    labels: dict[int, str] = {}

    def call(primitive, *args):
        out = _call(primitive, *args)
        if isinstance(out, Value) and len(args) == 2 and primitive.symbol:
            left, right = (a if isinstance(a, Value) else _number_text(a) for a in args)
            if isinstance(left, str):
                labels[id(out)] = f"{left} {primitive.symbol}"
            elif isinstance(right, str):
                labels[id(out)] = f"{primitive.symbol} {right}"
        return out

    root = evaluate(expression, Interpretation(
        constant=lambda node: node.value, variable=lambda name: leaves[name], call=call))
    if not isinstance(root, Value):
        root = Value(root, label=expression.text)
    root.backward()
    return root, labels


def write_expression_svg(expression, point: Mapping, path) -> str | None:
    """Write ``expression_svg`` to ``path`` atomically. Returns None when the file was
    written, otherwise why it was not (the expression is not defined at the point, or
    its graph is too big to draw); a file that cannot be written is an ``InputError``."""
    from diffcompare.methods.autograd import ARITHMETIC_ERRORS, describe
    from diffcompare.language.errors import InputError

    try:
        root, labels = expression_graph(expression, point)
    except ARITHMETIC_ERRORS as error:
        return f"the engine cannot build the graph at this point: {describe(error)}"
    size = len(_reachable(root))  # the engine's nodes, as the cost line counts them
    if size > MAX_NODES:
        return f"the graph has {size} nodes, more than the {MAX_NODES} a picture can show"
    try:
        write_atomically(path, svg(root, labels))
    except OSError as error:
        raise InputError(f"cannot write the graph to {os.fspath(path)!r}: "
                         f"{error.strerror or error}") from None
    return None


def _number_text(number: float) -> str:
    return f"{number:.6g}"


def write_svg(root: Value, path, labels: Mapping[int, str] | None = None,
              max_nodes: int = MAX_NODES) -> None:
    """Write ``svg(root)`` to ``path`` atomically; refuse graphs over ``max_nodes``."""
    size = len(_reachable(root))
    if size > max_nodes:
        raise ValueError(f"the graph has {size} nodes; a picture of more than {max_nodes} "
                         "is unreadable, so none was written")
    write_atomically(path, svg(root, labels))


def write_atomically(path, data: str | bytes) -> None:
    """Write ``data`` (text is UTF-8) to ``path`` so that the file is either the old one
    or complete, never half-written: through a temporary file in the same directory and
    ``os.replace``.

    A symbolic link keeps pointing where it did: its target is what is replaced. An
    existing file keeps its permission bits. A device or a pipe (``/dev/null``, a fifo)
    is written into, since replacing it would put a plain file in its place; a directory
    is an ``IsADirectoryError``.
    """
    path = os.path.realpath(os.fspath(path))
    try:
        existing = os.stat(path)
    except FileNotFoundError:
        existing = None
    if existing is not None and stat.S_ISDIR(existing.st_mode):
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), path)
    if existing is not None and not stat.S_ISREG(existing.st_mode):
        with _open_for(path, data) as file:
            file.write(data)
        return
    mode = stat.S_IMODE(existing.st_mode) if existing else 0o666 & ~_umask()
    handle, temporary = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".diffcompare-",
                                         suffix=".tmp")
    try:
        with _open_for(handle, data) as file:
            file.write(data)
        os.chmod(temporary, mode)  # mkstemp makes it private (0600)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise


def _open_for(file, data: str | bytes):
    if isinstance(data, bytes):
        return open(file, "wb")
    return open(file, "w", encoding="utf-8")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
