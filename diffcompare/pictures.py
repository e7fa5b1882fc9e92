"""Pictures of an expression: its autograd graph at a point, as SVG (the CLI's ``--graph``
and the report's graphs)."""

from __future__ import annotations

from typing import Mapping

from diffcompare import draw
from diffcompare.files import write_atomically
from diffcompare.language.faults import ARITHMETIC_ERRORS, describe
from diffcompare.language.input_files import refusal
from diffcompare.methods import autograd


def expression_svg(expression, point: Mapping) -> str:
    """The autograd graph of ``expression`` at ``point``, after one backward pass.

    Leaves are labelled with the variable names; an operation with a number operand
    shows it (``* 2``, ``1 -``), since the engine folds numbers into the node.
    Raises what the engine raises where the expression is not defined.
    """
    return draw.svg(*autograd.labelled_graph(expression, point))


def write_expression_svg(expression, point: Mapping, path) -> str | None:
    """Write ``expression_svg`` to ``path`` atomically. Returns None when the file was
    written, otherwise why it was not (the expression is not defined at the point, or
    its graph is too big to draw); a file that cannot be written is an ``InputError``."""
    try:
        root, labels = autograd.labelled_graph(expression, point)
    except ARITHMETIC_ERRORS as error:
        return f"the engine cannot build the graph at this point: {describe(error)}"
    return write_graph_svg(root, labels, path)


def write_graph_svg(root, labels: Mapping[int, str], path) -> str | None:
    """Write the picture of a graph already built (autograd's ``details["graph"]`` and
    ``details["labels"]``) to ``path`` atomically: None when written, else why not."""
    size = len(draw.topological_order(root))  # the engine's nodes, as the cost line counts them
    if size > draw.MAX_NODES:
        return f"the graph has {size} nodes, more than the {draw.MAX_NODES} a picture can show"
    try:
        write_atomically(path, draw.svg(root, labels))
    except OSError as error:
        raise refusal(path, "write the graph to", error, "give another --graph FILE.svg") \
            from None
    return None
