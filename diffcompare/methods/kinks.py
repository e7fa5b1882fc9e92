"""Kinks: points where f has two different one-sided derivatives.

A primitive with a switch (the ``switch`` column of its row: abs, relu, max, min, sign,
where, ...) has no derivative where its switching argument is 0 (abs(x) and relu(x) at
x = 0, max(x, y) at x = y, where(x > 0, a, b) at x = 0). There f's one-sided
derivatives can differ (abs(x) at 0: -1 from the left, 1 from the right), so f has no
derivative, and each method reports a value by its own convention (the row's
``switch.symbolic`` and ``switch.autograd``):

- symbolic: sympy differentiates Abs to sign, and sign(0) = 0; Max(0, x) to
  Heaviside(x), and Heaviside(0) = 1/2;
- autograd: our engine takes abs'(0) = 0 and relu'(0) = 0, as PyTorch does;
- finite differences: a symmetric stencil gives the average of the left and right
  derivatives, a forward difference the right one, a backward difference the left one.

Each of these lies between the one-sided derivatives: a defensible answer (a
generalized gradient), so a kink is reported as a kink, not as a disagreement. A value
outside that interval is still a disagreement.

Detection uses the tree: a node with a switch whose switching argument is exactly 0 at
the exact (rational) point, by sympy. The one-sided derivatives come from sympy too. On
one side of the point, along one variable, every such node takes one branch (abs(a) is
a or -a, relu(a) is a or 0, max(x, y) is x or y, by the sign its switching argument
takes there); f with those branches is smooth, and its derivative at the point is the
one-sided derivative. Nothing here uses a method's answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Mapping

import sympy
from sympy.printing.str import StrPrinter

from diffcompare.language.expression import Call, Expression, Interpretation, evaluate
from diffcompare.language.primitives import PRIMITIVES
from diffcompare.methods.symbolic import _constant, _value_at, symbols

# How far to look for the side on which an argument is positive: the sign of its first
# non-zero derivative along the variable, up to this order.
_SIGN_ORDER = 4
# Below this, a number evaluated to 60 digits from exact rationals counts as exactly 0
# when sympy cannot decide.
_ZERO = sympy.Float("1e-50")

# What each method reports at a kink: by primitive (its row's switch), and by
# finite-difference scheme.


def symbolic_convention(name: str) -> str:
    """What sympy's derivative gives at the switch of primitive ``name``."""
    return PRIMITIVES[name].need("switch", "the kink search").symbolic


def autograd_convention(name: str) -> str:
    """What our engine gives at the switch of primitive ``name``."""
    return PRIMITIVES[name].need("switch", "the kink search").autograd


def has_switch(expression: Expression) -> bool:
    """Whether any call in ``expression`` is of a primitive with a switch."""
    return any(isinstance(node, Call) and node.primitive.switch is not None
               for node in expression.nodes)


SCHEME_CONVENTIONS = {
    "forward": "the right derivative (a forward difference looks right)",
    "backward": "the left derivative (a backward difference looks left)",
}
SYMMETRIC_CONVENTION = "the average of the left and right derivatives (a symmetric stencil)"


@dataclass(frozen=True)
class Kink:
    """What f does along one variable at a point where a primitive sits at its switch
    (abs or relu at 0, max at a tie, ...).

    ``left`` and ``right`` are the one-sided derivatives as decimal text (None when
    infinite or undefined); ``sources`` the nodes at their kink, e.g. "abs(x - 1)";
    ``primitives`` their names; ``jump`` whether f's own values from the two sides
    differ (sign(x) at 0): then f is not continuous there.
    """

    variable: str
    left: str | None
    right: str | None
    sources: tuple[str, ...]
    primitives: tuple[str, ...]
    jump: bool = False

    @property
    def differs(self) -> bool:
        """True when f has a kink: both one-sided derivatives exist and differ."""
        if self.left is None or self.right is None:
            return False
        return sympy.Float(self.left, 40) != sympy.Float(self.right, 40)

    @property
    def defined(self) -> bool:
        return self.left is not None and self.right is not None

    def contains(self, number: float | None, tolerance: float, scale: float) -> bool:
        """Whether ``number`` lies between the one-sided derivatives, give or take
        ``tolerance × scale``."""
        if number is None or not self.defined:
            return False
        low, high = sorted((float(self.left), float(self.right)))
        slack = tolerance * max(scale, abs(low), abs(high))
        return low - slack <= number <= high + slack


def find(expression: Expression, point: Mapping[str, Fraction]) -> tuple[Kink, ...]:
    """One Kink per variable that moves the argument of an abs or relu sitting at 0.

    >>> from diffcompare.language.parse import parse
    >>> [(k.variable, float(k.left), float(k.right), k.sources)
    ...  for k in find(parse("3*abs(x - 1)"), {"x": Fraction(1)})]
    [('x', -3.0, 3.0, ('abs(x - 1)',))]
    """
    if not has_switch(expression):
        return ()
    symbol_table = symbols(expression)
    at = {symbol_table[name]: sympy.Rational(value.numerator, value.denominator)
          for name, value in point.items() if name in symbol_table}
    if not _any_at_kink(expression, symbol_table, at):
        return ()
    kinks = []
    for name, symbol in symbol_table.items():
        right, moved, right_value = _one_sided(expression, symbol_table, at, symbol, +1)
        if not moved:
            continue
        left, _, left_value = _one_sided(expression, symbol_table, at, symbol, -1)
        kinks.append(Kink(
            variable=name, left=left, right=right,
            jump=None not in (left_value, right_value) and left_value != right_value,
            sources=tuple(dict.fromkeys(_source(PRIMITIVES[p], a) for p, a in moved)),
            primitives=tuple(sorted({p for p, _ in moved})),
        ))
    return tuple(kinks)


def _any_at_kink(expression: Expression, symbol_table, at) -> bool:
    """Whether any switching argument is exactly 0 (one sympy pass)."""
    found = []

    def record(primitive, *args):
        if _at_switch(primitive, args, at):
            found.append(primitive.name)
        return primitive.to_sympy(*args)

    evaluate(expression, _interpretation(symbol_table, record))
    return bool(found)


def _interpretation(symbol_table, call) -> Interpretation:
    return Interpretation(constant=_constant, variable=lambda name: symbol_table[name],
                          call=call)


def _one_sided(expression: Expression, symbol_table, at, symbol: sympy.Symbol,
               side: int) -> tuple[str | None, list[tuple[str, tuple]], str | None]:
    """f's derivative by ``symbol`` from one side (side = +1 right, -1 left), as text;
    the switching nodes that move along ``symbol`` (primitive, arguments); and f's
    limit from that side, as text."""
    moved: list[tuple[str, tuple]] = []

    def branch(primitive, *args):
        if not _at_switch(primitive, args, at):
            return primitive.to_sympy(*args)
        # Children come first, so any kink inside the argument already took its branch.
        sign = _side_sign(primitive.switch.argument(*args), symbol, at, side)
        if sign is None:
            return primitive.to_sympy(*args)  # constant along symbol: no kink this way
        moved.append((primitive.name, args))
        return primitive.switch.branch(*args, sign)

    try:
        smooth = evaluate(expression, _interpretation(symbol_table, branch))
        number, _ = _value_at(sympy.diff(smooth, symbol), at)
        value, _ = _value_at(smooth, at)
    except (ValueError, TypeError, ArithmeticError):
        return None, moved, None
    return number, moved, value


def _at_switch(primitive, args, at) -> bool:
    """Whether this call sits exactly at its primitive's switch."""
    if primitive.switch is None:
        return False
    return _is_zero(primitive.switch.argument(*args).xreplace(at))


def _source(primitive, args: tuple) -> str:
    """What is 0 at the switch, in our language: "abs(x - 1)" (its argument), or
    "x - y in max(x, y)"."""
    call = f"{primitive.name}({', '.join(_Printer().doprint(arg) for arg in args)})"
    argument = primitive.switch.argument(*args)
    if len(args) == 1 and argument == args[0]:
        return call
    return f"{_Printer().doprint(argument)} in {call}"


def _side_sign(argument: sympy.Expr, symbol: sympy.Symbol, at, side: int) -> int | None:
    """The sign ``argument`` (0 at the point) takes just to one side along ``symbol``:
    that of its first non-zero derivative, times side^k for the k-th derivative; None
    when it does not move along ``symbol``."""
    derivative = argument
    for order in range(1, _SIGN_ORDER + 1):
        derivative = sympy.diff(derivative, symbol)
        value = derivative.xreplace(at)
        if not _is_zero(value):
            positive = bool(value.evalf(30) > 0)
            return (1 if positive else -1) * side**order
    return None


class _Printer(StrPrinter):
    """sympy's printer, spelling Abs and Max(0, a) as our abs and relu."""

    def _print_Abs(self, expr):
        return f"abs({self._print(expr.args[0])})"

    def _print_Max(self, expr):
        others = [a for a in expr.args if a != 0]
        if len(expr.args) == 2 and len(others) == 1:
            return f"relu({self._print(others[0])})"
        return super()._print_Max(expr)

    def _print_Piecewise(self, expr):
        # a switch that exists only where a condition holds (atan2's cut): "y (where x < 0)"
        if len(expr.args) == 2 and expr.args[1].cond == sympy.true:
            argument, condition = expr.args[0]
            return f"{self._print(argument)} (where {self._print(condition)})"
        return super()._print_Piecewise(expr)


def _is_zero(value: sympy.Expr) -> bool:
    if value.is_zero is not None:
        return bool(value.is_zero)
    number = value.evalf(60)
    if number.has(sympy.nan, sympy.zoo, sympy.oo, -sympy.oo) or not number.is_number:
        return False
    try:
        return bool(abs(number) < _ZERO)
    except TypeError:  # sympy cannot order it (e.g. it holds DiracDelta(0))
        return False
