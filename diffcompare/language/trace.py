"""A Python function, turned into our expression tree by running it on traced variables.

``trace(f, ["x", "y"])`` calls ``f(x=<traced x>, y=<traced y>)``. Each traced value
records the operations done to it, as ``Call`` nodes of the same tree the parser builds,
so every method (symbolic, autograd, finite differences) can interpret the function.
Write the function with operators and ``diffcompare.functions`` (``sin(x)``) or
micrograd's methods (``x.tanh()``); what cannot become a tree (``math.sin(x)``, an
``if`` on a variable's value) is refused with an ``InputError`` that says so.

>>> from diffcompare.functions import sin
>>> trace(lambda x, y: x**2 * sin(y), ["x", "y"]).text
'x**2*sin(y)'
"""

from __future__ import annotations

import numbers
from fractions import Fraction
from typing import Callable, Sequence

from diffcompare.language.errors import InputError
from diffcompare.language.expression import (
    Call,
    Const,
    Expression,
    Var,
    misplaced_comparison,
)
from diffcompare.language.primitives import FUNCTIONS, operator_row

# A rendered expression longer than this is replaced by the function's name.
_LONGEST_TEXT = 400


class Traced:
    """A value inside a traced function: a node of the expression tree."""

    __slots__ = ("node",)

    def __init__(self, node):
        self.node = node

    def __repr__(self) -> str:
        return f"Traced({render(self.node)})"

    # ---- arithmetic, with the reflected forms ----

    def __add__(self, other):
        return _binary("+", self, other)

    def __radd__(self, other):
        return _binary("+", other, self)

    def __sub__(self, other):
        return _binary("-", self, other)

    def __rsub__(self, other):
        return _binary("-", other, self)

    def __mul__(self, other):
        return _binary("*", self, other)

    def __rmul__(self, other):
        return _binary("*", other, self)

    def __truediv__(self, other):
        return _binary("/", self, other)

    def __rtruediv__(self, other):
        return _binary("/", other, self)

    def __pow__(self, other):
        return _binary("**", self, other)

    def __rpow__(self, other):
        return _binary("**", other, self)

    def __neg__(self):
        return Traced(Call(operator_row("-", 1), (self.node,)))

    def __pos__(self):
        return self

    def __abs__(self):
        return self.apply("abs")

    def apply(self, name: str, *others) -> "Traced":
        """A function of the table applied to this value (and ``others``), e.g.
        ``apply("sin")`` or ``apply("max", y)``."""
        return Traced(Call(FUNCTIONS[name], (self.node, *(_node(other) for other in others))))

    # ---- comparisons: a node, for where's condition ----

    def __lt__(self, other):
        return Traced(Call(operator_row("<", 2), (self.node, _node(other))))

    def __le__(self, other):
        return Traced(Call(operator_row("<=", 2), (self.node, _node(other))))

    def __gt__(self, other):
        return Traced(Call(operator_row(">", 2), (self.node, _node(other))))

    def __ge__(self, other):
        return Traced(Call(operator_row(">=", 2), (self.node, _node(other))))

    # ---- what cannot be traced ----

    def __float__(self):
        raise InputError("a traced variable has no float value: use diffcompare.functions "
                         "(e.g. functions.sin(x)) rather than math.sin(x), or pass an "
                         "expression string")

    def __bool__(self):
        raise InputError("the function branches on a variable's value (if, and, or, "
                         "comparisons), which a tree cannot record; write it with where, max, "
                         "relu or abs, or pass an expression string")

    __index__ = __int__ = __float__


def _method(name: str):
    def method(self, *others):
        return self.apply(name, *others)
    method.__name__ = name
    method.__doc__ = f"{name}(self), as micrograd's Value spells it."
    return method


# micrograd style: x.tanh(), x.exp(), x.relu(), and every other function of the table
# that a Value spells as a method.
for _name, _primitive in FUNCTIONS.items():
    if _primitive.method:
        setattr(Traced, _primitive.method, _method(_name))


def constant(number) -> Const:
    """A Python number as a constant node: exactly the float the function computes with."""
    if isinstance(number, bool) or not isinstance(number, numbers.Real):
        raise InputError(f"the function uses a {type(number).__name__} where a number "
                         "or a variable belongs")
    if isinstance(number, numbers.Integral):
        number = int(number)  # np.int64 (np.mean's count): its exact value, as a Python int
    value = float(number)
    exact = Fraction(number) if isinstance(number, numbers.Rational) else Fraction(value)
    text = str(number) if isinstance(number, int) else repr(value)
    return Const(value, exact, text)


def _node(operand):
    return operand.node if isinstance(operand, Traced) else constant(operand)


def _binary(symbol: str, left, right) -> Traced:
    return Traced(Call(operator_row(symbol, 2), (_node(left), _node(right))))


def trace(function: Callable, names: Sequence[str]) -> Expression:
    """``function`` as an expression over the variables ``names`` (passed by keyword)."""
    variables = {name: Traced(Var(name)) for name in names}
    out = function(**variables)
    if not isinstance(out, (Traced, numbers.Real)) or isinstance(out, bool):
        raise InputError(f"{getattr(function, '__name__', 'the function')} returned a "
                         f"{type(out).__name__}, not a number")
    node = out.node if isinstance(out, Traced) else constant(out)
    text = render(node)
    if len(text) > _LONGEST_TEXT:
        text = f"{getattr(function, '__name__', 'f')}({', '.join(names)})"
    traced = Expression.from_output(text, node)
    misplaced = misplaced_comparison(traced)
    if misplaced is not None:
        raise InputError(f"the function uses the comparison {render(misplaced)} as a number; "
                         "comparisons are allowed only as the condition of "
                         "functions.where(condition, a, b)")
    # Every name is a variable, even one the function ignores (its derivative is 0).
    return Expression(text, traced.output, traced.nodes, tuple(names))


# ---- the tree as text, in our expression language ----

# Calls, names and numbers bind tighter than any operator (rows' ``precedence``, 0 to 4).
_ATOM = 5


def render(output) -> str:
    """The tree as an expression string, with the parentheses it needs."""
    texts: dict[int, tuple[str, int]] = {}
    for node in Expression.from_output("", output).nodes:
        texts[id(node)] = _render_node(node, texts)
    return texts[id(output)][0]


def _render_node(node, texts) -> tuple[str, int]:
    if isinstance(node, Var):
        return node.name, _ATOM
    if isinstance(node, Const):
        return node.text, (operator_row("-", 1).precedence if node.text.startswith("-")
                           else _ATOM)
    primitive = node.primitive
    if not primitive.symbol:
        arguments = ", ".join(texts[id(arg)][0] for arg in node.args)
        return f"{primitive.name}({arguments})", _ATOM
    precedence = primitive.precedence
    if primitive.arity == 1:
        return f"{primitive.symbol}{_wrap(texts[id(node.args[0])], precedence)}", precedence
    left, right = (texts[id(arg)] for arg in node.args)
    # The text parses back to the same tree: + - * / group to the left, ** to the right,
    # so an operand of equal precedence on the other side keeps its parentheses.
    # (Python's ** is the one right-associative operator: it binds tighter than unary
    # minus on its left, so -x**2 is -(x**2).)
    right_associative = primitive.symbol == "**"
    left_text = _wrap(left, precedence + right_associative)
    right_text = _wrap(right, precedence + (not right_associative) - right_associative)
    spaced = f" {primitive.symbol} " if precedence <= 1 else primitive.symbol
    return f"{left_text}{spaced}{right_text}", precedence


def _wrap(text_and_precedence: tuple[str, int], needed: int) -> str:
    text, precedence = text_and_precedence
    return f"({text})" if precedence < needed else text
