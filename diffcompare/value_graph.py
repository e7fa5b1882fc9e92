"""A ``Value`` graph read back as an expression, so ``compare(o)`` works on the lecture's ``o``.

Each leaf with a label becomes a variable of that name, at the leaf's data (a label that
names a constant or function, ``pi`` or ``sin``, gets a trailing underscore: ``pi_``); a
leaf without a label is a constant. Each operation becomes a call of its primitive. Our engine keeps no
node for a number operand (``x * 2.0`` is one node), so the number is recovered from the
node: for ``*`` it is the local derivative itself (exact); for ``+ - / **`` it is solved
from the node's data, then shortened to the fewest decimal digits that give the same data
(``e - 1`` reads back as ``e - 1``, not ``e - 0.9999999999999998``). Which side a number
stood on (``x / 2`` or ``2 / x``) is decided the same way: the reading that reproduces the
node's data and local derivative.

>>> from diffcompare.engine import Value
>>> x = Value(0.5, label="x"); w = Value(-3.0, label="w")
>>> expression, point = to_expression((x * w + 1).tanh())
>>> expression.text, point
('tanh(x*w + 1)', {'x': 0.5, 'w': -3.0})
"""

from __future__ import annotations

import keyword
import math
from typing import Callable

from diffcompare.draw import topological_order
from diffcompare.engine import Value
from diffcompare.language.errors import InputError
from diffcompare.language.expression import Call, Const, Expression, Node, Var
from diffcompare.language.primitives import CONSTANTS, FUNCTIONS, PRIMITIVES
from diffcompare.language.trace import constant, render

# Our engine's op labels: the operators' symbols, negation's "neg", the functions' names.
_BY_OP = {**{p.symbol: p for p in PRIMITIVES.values() if p.symbol and p.arity == 2},
          **{name: p for name, p in PRIMITIVES.items() if not p.symbol}, "neg": PRIMITIVES["neg"]}

_SIGNIFICANT_DIGITS = 17  # enough for any double


def as_expression(expression, at):
    """``(expression, at)`` unchanged, unless ``expression`` is a ``Value``: then its graph
    as an Expression, and, when ``at`` is None, the leaves' data as the point."""
    if not isinstance(expression, Value):
        return expression, at
    converted, point = to_expression(expression)
    return converted, point if at is None else at


def to_expression(root: Value) -> tuple[Expression, dict[str, float]]:
    """The graph under ``root`` as an Expression and the point its leaves hold.

    Raises ``InputError`` when a leaf's label is not a variable name, two leaves share a
    label, or a node's op is not one of our engine's (e.g. a ``Value`` built by hand with
    ``_op="custom"``).
    """
    nodes: dict[int, Node] = {}
    point: dict[str, float] = {}
    leaves: dict[str, Value] = {}
    for node in topological_order(root):
        if node._a is None:
            nodes[id(node)] = _leaf(node, leaves, point)
        else:
            nodes[id(node)] = _call(node, nodes)
    output = nodes[id(root)]
    return Expression.from_output(render(output), output), point


def _leaf(node: Value, leaves: dict[str, Value], point: dict[str, float]):
    if not node.label:
        return _constant(node.data)
    name = node.label
    if not name.isidentifier() or keyword.iskeyword(name):
        raise InputError(f"a leaf is labelled {name!r}, which is not a variable name; "
                         "label leaves like x, w1 or b")
    if name in CONSTANTS or name in FUNCTIONS:
        # Typed back, "pi" would be the constant and "sin" the function: the variable
        # gets its own name, which the expression and the point show.
        name += "_"
    if name in leaves:
        raise InputError(f"two different leaves are labelled {name!r}; give each its own "
                         "label (a variable is one leaf, used as often as needed)")
    leaves[name] = node
    point[name] = node.data
    return Var(name)


def _call(node: Value, nodes: dict[int, Node]) -> Call:
    primitive = _BY_OP.get(node._op)
    if primitive is None:
        raise InputError(f"a node has the op {node._op!r}, which diffcompare cannot read "
                         f"back; known ops: {', '.join(sorted(_BY_OP))}")
    a = nodes[id(node._a)]
    if primitive.arity == 1:
        return Call(primitive, (a,))
    if node._b is not None:
        return Call(primitive, (a, nodes[id(node._b)]))
    left, right = _with_number(primitive.name, node)
    return Call(primitive, (a if left is None else left, a if right is None else right))


def _with_number(name: str, node: Value) -> tuple[Const | None, Const | None]:
    """(number, None) when the number stood left of the node's one child, else
    (None, number)."""
    x, out, local = node._a.data, node.data, node._da
    if name == "mul":
        return None, _constant(local)
    candidates: list[tuple[bool, float, Callable[[float], bool]]] = []
    if name == "add":
        candidates.append((False, out - x, lambda c: x + c == out))
    elif name == "sub":
        right = (False, x - out, lambda c: x - c == out)
        left = (True, out + x, lambda c: c - x == out)
        candidates += [right, left] if local > 0 else [left, right]
    else:  # div or pow: the guesses come from the data and the local derivative
        right_guesses = {"div": (_safe(lambda: 1.0 / local),),
                         "pow": (_safe(lambda: local * x / out),
                                 _safe(lambda: math.log(abs(out)) / math.log(abs(x))))}[name]
        left_guesses = {"div": (_safe(lambda: out * x),),
                        "pow": (_safe(lambda: math.exp(local / out)),
                                _safe(lambda: abs(out) ** (1.0 / x)))}[name]
        for guess in right_guesses:
            candidates.append((False, guess, lambda c: _same(name, x, c, 0, out, local)))
        for guess in left_guesses:
            candidates.append((True, guess, lambda c: _same(name, c, x, 1, out, local)))
    for number_left, guess, check in candidates:
        if guess is None or not math.isfinite(guess):
            continue
        number = _shortest(guess, check)
        if number is not None:
            return (_constant(number), None) if number_left else (None, _constant(number))
    raise InputError(f"cannot read back the number in a {name} node (data {out!r}); build "
                     "the graph with Value operands, e.g. x * Value(2.0)")


def _constant(number: float) -> Const:
    """A constant node; a whole number shows as one (1, not 1.0)."""
    whole = number.is_integer() and abs(number) < 2.0**53
    return constant(int(number) if whole else number)


def _shortest(guess: float, check: Callable[[float], bool]) -> float | None:
    """The float with the fewest significant digits near ``guess`` that passes ``check``."""
    for digits in range(1, _SIGNIFICANT_DIGITS + 1):
        number = float(f"{guess:.{digits}g}")
        if _safe(lambda: check(number)):
            return number
    return None


def _same(name: str, x: float, y: float, child: int, out: float, local: float) -> bool:
    """Whether ``x name y`` gives the node's data and, by its ``child``-th operand (the
    Value), the node's local derivative."""
    primitive = PRIMITIVES[name]
    result = _safe(lambda: primitive.evaluate(x, y))
    if result is None or result != out:
        return False
    derivative = _safe(lambda: primitive.need("derivative", "value_graph")(x, y, result))
    return derivative is not None and derivative[child] == local


def _safe(thunk: Callable):
    try:
        return thunk()
    except (ValueError, ZeroDivisionError, OverflowError):
        return None
