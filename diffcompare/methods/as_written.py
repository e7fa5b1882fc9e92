"""The expression as the user wrote it, evaluated exactly, node by node.

sympy simplifies as it builds: x/x becomes 1, exp(log(x)) becomes x, sqrt(x**2) becomes
Abs(x). Whether f is defined at a point is a property of the user's tree, so it is
decided here, on that tree, with sympy's exact numbers at each node (0/0 is nan, log(-1)
is not real), never on sympy's simplified formula. A selection (``where``) keeps only
the fault of its condition and of the branch it selects, as the float interpreters do.

The same exact evaluation gives one-sided difference quotients of f along one variable,
(f(x0 ± t) - f(x0)) / ±t for t = 10**-k, k in ``_STEPS``, each to ``_DIGITS`` digits by
sympy's evalf (which raises its precision until the difference is right). When they
settle (successive quotients within ``_SETTLED``), their last value is the one-sided
derivative of f as written: the reference where sympy's derivative formula is
indeterminate (0/0, ∞·0), and the one-sided derivatives at a kink that sympy's form
hides (sqrt(x**2) is Abs(x)).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Mapping

import sympy

from diffcompare.language.expression import Call, Const, Expression, Interpretation, evaluate
from diffcompare.methods.derivation import _constant

# The steps of the one-sided quotients, 10**-k: far below any float's resolution near
# the point (so the quotient is the derivative to the digits a double holds), and
# three of them, so that the check of their settling has two differences to compare.
_STEPS = (20, 30, 40)
# The quotients' digits: the reference's (symbolic.DIGITS).
_DIGITS = 40
# Successive quotients closer than this (relative to max(1, |q|)) have settled: a
# smooth side converges like t, so the last two differ by about 10**-30.
_SETTLED = sympy.Float("1e-20")
# The working digits of a node's value that is not rational: a quotient at the smallest
# step loses 40 digits to the difference, which leaves the reference's 40 and a margin.
_WORK = 120
# The digits a settled quotient keeps: the reference's 40, less the 15 the last step
# (10**-40) may cost through f's curvature.
_KEPT_DIGITS = 25


class _Fault:
    """The value of a node that is not defined at the point, and of every node using it."""

    def __init__(self, reason: str):
        self.reason = reason


def fault(expression: Expression, point: Mapping[str, Fraction]) -> str | None:
    """Why f as written is not defined at ``point`` (the first node that is not), or None.

    >>> from diffcompare.language.parse import parse
    >>> fault(parse("x/x"), {"x": Fraction(0)})
    'div(0, 0) is undefined (NaN)'
    >>> fault(parse("x/x"), {"x": Fraction(2)}) is None
    True
    """
    out = _value(expression, _exact_point(point))
    return out.reason if isinstance(out, _Fault) else None


def one_sided(expression: Expression, point: Mapping[str, Fraction], variable: str,
              side: int) -> str | None:
    """f's derivative by ``variable`` from one side (+1 right, -1 left) as decimal text,
    or None when f is not defined there or the quotients do not settle (an infinite slope).

    >>> from diffcompare.language.parse import parse
    >>> one_sided(parse("sqrt(x**2)"), {"x": Fraction(0)}, "x", -1)
    '-1.000000000000000000000000'
    >>> one_sided(parse("sqrt(x)"), {"x": Fraction(0)}, "x", +1) is None  # infinite slope
    True
    """
    at = _exact_point(point)
    centre = _value(expression, at)
    if isinstance(centre, _Fault):
        return None
    quotients = []
    for k in _STEPS:
        step = side * sympy.Rational(1, 10**k)
        moved = _value(expression, {**at, variable: at[variable] + step})
        if isinstance(moved, _Fault):
            return None
        quotient = ((moved - centre) / step).evalf(_DIGITS)
        if not quotient.is_real or not quotient.is_finite:
            return None
        quotients.append(quotient)
    first, second, last = quotients
    change = abs(last - second)
    if change > _SETTLED * max(1, abs(last)) or change > abs(second - first):
        return None
    # The quotients approach the derivative at least like t, so the last is within
    # ``change`` of it: keep the digits that change leaves, at most _KEPT_DIGITS.
    if abs(last) <= change:
        return "0"  # x**2 at 0: the quotients are t, 10**-40 is 0
    digits = _KEPT_DIGITS if change == 0 else min(
        _KEPT_DIGITS, int(sympy.floor(sympy.log(abs(last) / change, 10))))
    return format(sympy.Float(last, max(digits, 1)), "")


def _exact_point(point: Mapping[str, Fraction]) -> dict[str, sympy.Rational]:
    return {name: sympy.Rational(value.numerator, value.denominator)
            for name, value in point.items()}


def _value(expression: Expression, at: Mapping[str, sympy.Rational], digits: int = _WORK):
    """f as written at ``at``: a sympy number, or the _Fault of its first undefined node.

    Rational arithmetic stays exact (0/0 is nan, whatever the route to 0); any other
    node's value is evaluated at once to ``digits`` digits, so that each node holds one
    number and the work grows linearly with the tree (an exact nested number would be
    re-evaluated at every level above it)."""
    def call(primitive, *args):
        faulty = [arg.reason if isinstance(arg, _Fault) else None for arg in args]
        if primitive.selects is not None:
            kept = [*primitive.conditions]
            if not any(faulty[position] for position in kept):
                kept.append(primitive.selects(*args))
            faulty = [faulty[position] for position in kept]
            if not any(faulty):
                args = tuple(sympy.nan if isinstance(arg, _Fault) else arg for arg in args)
        inherited = next((reason for reason in faulty if reason), None)
        if inherited is not None:
            return _Fault(inherited)
        out = primitive.to_sympy(*args)
        if isinstance(out, sympy.Expr) and not out.is_Number and out.is_number:
            out = out.evalf(digits)
        problem = _problem(out)
        if problem is not None:
            shown = ", ".join(sympy.sstr(arg) for arg in args)
            return _Fault(f"{primitive.name}({shown}) is {problem}")
        return out

    return evaluate(expression, Interpretation(
        constant=_constant, variable=lambda name: at[name], call=call))


def _problem(out) -> str | None:
    """What is wrong with a node's exact value, if anything."""
    if not isinstance(out, sympy.Basic) or isinstance(out, sympy.logic.boolalg.Boolean):
        return None
    if out.has(sympy.nan):
        return "undefined (NaN)"
    if out.has(sympy.zoo, sympy.oo, -sympy.oo):
        return "infinite"
    if out.is_real is False:
        return "not a real number"
    return None


def uses_switch_free_roots(expression: Expression) -> bool:
    """Whether the tree has a root, or a power whose exponent is not a whole-number
    constant, which sympy's form may turn into a kink (sqrt(x**2) is Abs(x),
    (x**2)**0.5 is Abs(x)**1.0): only then is sympy's form searched for hidden kinks."""
    return any(isinstance(node, Call) and _may_hide_kink(node) for node in expression.nodes)


def _may_hide_kink(call: Call) -> bool:
    if call.primitive.name in ("sqrt", "cbrt"):
        return True
    if call.primitive.name != "pow":
        return False
    exponent = call.args[1]
    return not (isinstance(exponent, Const) and float(exponent.value).is_integer())
