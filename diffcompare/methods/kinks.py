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
from diffcompare.methods import as_written
from diffcompare.methods.symbolic import _constant, _value_at, symbols, to_sympy

# How far to look for the side on which an argument is positive: the sign of its first
# non-zero derivative along the variable, up to this order.
_SIGN_ORDER = 4
# Below this, a number evaluated to 60 digits from exact rationals counts as exactly 0
# when sympy cannot decide.
_ZERO = sympy.Float("1e-50")

# What each method reports at a kink: by primitive (its row's switch), and by
# finite-difference scheme.


def symbolic_convention(name: str) -> str:
    """What sympy's derivative gives at the switch of primitive ``name``, or at a kink
    of sympy's form (``HIDDEN``)."""
    if name in HIDDEN:
        return HIDDEN[name]
    return PRIMITIVES[name].need("switch", "the kink search").symbolic


def autograd_convention(name: str) -> str:
    """What our engine gives at the switch of primitive ``name``."""
    if name in HIDDEN:
        return HIDDEN_AUTOGRAD
    return PRIMITIVES[name].need("switch", "the kink search").autograd


def has_switch(expression: Expression) -> bool:
    """Whether any call in ``expression`` is of a primitive with a switch."""
    return any(isinstance(node, Call) and node.primitive.switch is not None
               for node in expression.nodes)


def may_have_kink(expression: Expression) -> bool:
    """Whether a kink may be here: a switch on the tree, or a root or power that sympy's
    form may turn into one (sqrt(x**2) is Abs(x))."""
    return has_switch(expression) or as_written.uses_switch_free_roots(expression)


# Kinks that only sympy's form shows: what sympy's derivative of each gives at 0.
HIDDEN = {
    "Abs": "sympy's form has Abs there, and sign(0) = 0",
    "sign": "sympy's form has sign there, whose derivative is 0 away from 0",
    "Heaviside": "sympy's form has Heaviside there, and Heaviside(0) = 1/2",
    "Max": "sympy's form has Max there: Heaviside(0) = 1/2",
    "Min": "sympy's form has Min there: Heaviside(0) = 1/2",
    "Pow": "sympy's form has a fractional power of 0 there",
}
HIDDEN_AUTOGRAD = ("the chain rule through the nodes as written at 0 (NaN where an "
                   "infinite local derivative meets a 0)")


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
    symbol_table = symbols(expression)
    at = {symbol_table[name]: sympy.Rational(value.numerator, value.denominator)
          for name, value in point.items() if name in symbol_table}
    found = _on_tree(expression, point, symbol_table, at) if has_switch(expression) else ()
    seen = {kink.variable for kink in found}
    if not as_written.uses_switch_free_roots(expression):
        return found
    return found + tuple(kink for kink in _hidden(expression, point, symbol_table, at)
                         if kink.variable not in seen)


def _hidden(expression: Expression, point: Mapping[str, Fraction], symbol_table,
            at) -> tuple[Kink, ...]:
    """Kinks of sympy's form that the tree hides (sqrt(x**2) is Abs(x), (x**2)**0.5 is
    Abs(x)**1.0): an Abs, sign, Heaviside, Max or Min whose argument, or a fractional
    power whose base, is 0 here; the one-sided derivatives come from the tree as
    written (``as_written.one_sided``), and a kink is reported only where they differ."""
    if as_written.fault(expression, point) is not None:
        return ()
    form = to_sympy(expression, symbol_table)
    sources = [atom for atom in _switching_atoms(form) if _is_zero(_switching_argument(atom)
                                                                    .xreplace(at))]
    if not sources:
        return ()
    kinks = []
    for name, symbol in symbol_table.items():
        if not any(_switching_argument(atom).has(symbol) for atom in sources):
            continue
        left = as_written.one_sided(expression, point, name, -1)
        right = as_written.one_sided(expression, point, name, +1)
        kink = Kink(variable=name, left=left, right=right,
                    sources=tuple(dict.fromkeys(f"{_Printer().doprint(atom)} in sympy's form"
                                                for atom in sources)),
                    primitives=tuple(sorted({type(atom).__name__ for atom in sources})))
        if kink.differs:
            kinks.append(kink)
    return tuple(kinks)


def _switching_atoms(form: sympy.Expr) -> list:
    pieces = form.atoms(sympy.Abs, sympy.sign, sympy.Heaviside, sympy.Max, sympy.Min)
    powers = [p for p in form.atoms(sympy.Pow) if p.exp.is_integer is not True]
    return sorted([*pieces, *powers], key=sympy.default_sort_key)


def _switching_argument(atom: sympy.Expr) -> sympy.Expr:
    """What is 0 at the atom's kink: its argument, the difference of a Max's two
    arguments, or a power's base."""
    if isinstance(atom, sympy.Pow):
        return atom.base
    if isinstance(atom, (sympy.Max, sympy.Min)):
        return atom.args[0] - atom.args[1] if len(atom.args) == 2 else sympy.Integer(1)
    return atom.args[0]


def _on_tree(expression: Expression, point: Mapping[str, Fraction], symbol_table,
             at) -> tuple[Kink, ...]:
    """The kinks of the switches on the tree as written."""
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
    value = _switch_value(primitive, args, at)
    return value is not None and _is_zero(value)


def _switch_value(primitive, args, at):
    """The switch's argument at the point; None where it is no real number (atan2's cut
    asks whether x < 0, and sympy refuses to compare acos(-677/250): no real switch)."""
    try:
        return primitive.switch.argument(*args).xreplace(at)
    except TypeError:  # "Invalid comparison of non-real acos(-677/250)"
        return None


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


@dataclass(frozen=True)
class Straddle:
    """A kink near the point, inside a finite-difference stencil along ``variable``:
    ``source`` is 0 at ``distance`` from the point (to first order), and the stencil
    reaches ``step`` either way. f is not smooth across the stencil, so the scheme's
    number and its error estimate (which assume a smooth f) say nothing there."""

    variable: str
    source: str
    distance: float
    step: float


def near(expression: Expression, point: Mapping[str, Fraction],
         steps: Mapping[str, float]) -> tuple[Straddle, ...]:
    """The kinks of the tree's switches that a stencil of ``steps`` (variable -> h)
    straddles without the point being on them.

    >>> from diffcompare.language.parse import parse
    >>> [(s.variable, s.source, f"{s.distance:.1e}") for s in near(
    ...     parse("abs(3*x - 1)"), {"x": Fraction(3333333333333333, 10**16)}, {"x": 1e-5})]
    [('x', 'abs(3*x - 1)', '3.3e-17')]
    """
    if not steps or not has_switch(expression):
        return ()
    symbol_table = symbols(expression)
    at = {symbol_table[name]: sympy.Rational(value.numerator, value.denominator)
          for name, value in point.items() if name in symbol_table}
    switching: list[tuple] = []

    def record(primitive, *args):
        if primitive.switch is not None:
            switching.append((primitive, args))
        return primitive.to_sympy(*args)

    evaluate(expression, _interpretation(symbol_table, record))
    found = []
    for primitive, args in switching:
        argument = primitive.switch.argument(*args)
        value = _switch_value(primitive, args, at)
        if value is None or _is_zero(value) or not value.is_number:
            continue
        for name, step in steps.items():
            slope = sympy.diff(argument, symbol_table[name]).xreplace(at)
            if _is_zero(slope) or not slope.is_number:
                continue
            distance = float(abs(value / slope).evalf(20))
            if distance <= step:
                found.append(Straddle(name, _source(primitive, args), distance, step))
    return tuple(dict.fromkeys(found))
