"""The symbolic method: sympy differentiates, and the reference values come from it.

The expression tree is interpreted with sympy's functions over real symbols; each
partial derivative is ``sympy.diff`` of that. Values are computed from the point's
exact rationals (0.1 is 1/10) to ``DIGITS`` significant digits with sympy's evalf,
which raises its working precision until those digits are right.
"""

from __future__ import annotations

import time
from fractions import Fraction
from typing import Mapping

import sympy

from .expression import Expression, Interpretation, evaluate
from .primitives import CONSTANTS
from .results import Cost, SymbolicDerivatives

METHOD = "symbolic"

# The reference must be good well past double precision (about 16 digits) so that an
# error of one ulp is still measured correctly.
DIGITS = 40


def symbols(expression: Expression) -> dict[str, sympy.Symbol]:
    # Our own Symbol objects: a variable called E, I or N stays a plain real variable.
    return {name: sympy.Symbol(name, real=True) for name in expression.variables}


def to_sympy(expression: Expression, symbol_table: Mapping[str, sympy.Symbol]) -> sympy.Expr:
    """The expression as a sympy expression over the given symbols."""
    return evaluate(expression, Interpretation(
        constant=_constant,
        variable=lambda name: symbol_table[name],
        call=lambda primitive, *args: primitive.to_sympy(*args),
    ))


def _constant(node) -> sympy.Expr:
    if isinstance(node.exact, str):
        return CONSTANTS[node.exact][1]
    return sympy.Rational(node.exact.numerator, node.exact.denominator)


def differentiate(expression: Expression, point: Mapping[str, Fraction]) -> SymbolicDerivatives:
    """The formulas of f and its partial derivatives, and their exact values at ``point``.

    >>> from diffcompare.parse import parse
    >>> from fractions import Fraction
    >>> result = differentiate(parse("3*x**2 - 4*x + 5"), {"x": Fraction(3)})
    >>> result.gradient_formulas["x"], result.gradient["x"]
    ('6*x - 4', 14.0)
    """
    start = time.perf_counter()
    symbol_table = symbols(expression)
    function = to_sympy(expression, symbol_table)
    partials = {name: sympy.diff(function, symbol) for name, symbol in symbol_table.items()}
    substitutions = {symbol_table[name]: sympy.Rational(value.numerator, value.denominator)
                     for name, value in point.items() if name in symbol_table}

    exact: dict[str, str] = {}
    reasons: dict[str, str] = {}
    for quantity, formula in [("value", function), *partials.items()]:
        if quantity != "value" and "value" in reasons:
            # log(x) at -1: 1/x has a value, but a function undefined at a point has
            # no derivative there.
            reasons[quantity] = "f itself is not defined at this point"
            continue
        number, reason = _value_at(formula, substitutions)
        if number is None:
            reasons[quantity] = reason
        else:
            exact[quantity] = number
    seconds = time.perf_counter() - start

    def as_float(quantity):
        return float(exact[quantity]) if quantity in exact else None

    return SymbolicDerivatives(
        method=METHOD,
        value=as_float("value"),
        gradient={name: as_float(name) for name in partials},
        cost=Cost(evaluations=1 + len(partials), seconds=seconds,
                  size=sum(sympy.count_ops(formula) for formula in partials.values())),
        reasons=reasons,
        formula=sympy.sstr(function),
        gradient_formulas={name: sympy.sstr(formula) for name, formula in partials.items()},
        exact=exact,
        digits=DIGITS,
    )


def _value_at(formula: sympy.Expr, substitutions) -> tuple[str | None, str]:
    """The formula's value as a decimal string, or None and the reason it has none."""
    try:
        # Substitute the exact rationals first, so that rational arithmetic stays exact
        # (evalf(subs=...) can turn an exact 0 into a tiny number), then evaluate.
        number = formula.xreplace(substitutions).evalf(DIGITS)
    except (ZeroDivisionError, ValueError, TypeError, ArithmeticError) as error:
        return None, f"sympy could not evaluate it: {error}"
    if number.has(sympy.zoo, sympy.oo, -sympy.oo) or number == sympy.zoo:
        return None, "it is infinite at this point"
    if number.has(sympy.nan):
        return None, "it is undefined (NaN) at this point"
    if not number.is_number:
        return None, f"sympy left it unevaluated: {sympy.sstr(number)}"
    real, imaginary = number.as_real_imag()
    if imaginary != 0 and abs(imaginary) > 0:
        return None, "it is not a real number at this point"
    if real.has(sympy.zoo, sympy.oo, -sympy.oo, sympy.nan):
        return None, "it is infinite at this point"
    if real == 0:
        return "0", ""
    return sympy.Float(real, DIGITS).__format__(""), ""
