"""The symbolic method: sympy differentiates, and the reference values come from it.

The expression tree is interpreted with sympy's functions over real symbols (a chain of
``+``/``-`` becomes one sympy sum, built in one piece), and sympy's chain rule runs over
that formula's DAG: each node's derivative by each of its arguments is ``sympy.diff`` of
the node with dummy arguments, and each variable goes only through the nodes that
contain it (``derivation.partials``). The derivation grows about linearly with the size
of the expression, where ``sympy.diff`` of the whole formula re-walks it for every
variable and every nesting level; the formulas are the same up to sympy's ordering.

Values are computed from the point's exact rationals (0.1 is 1/10) to ``DIGITS``
significant digits by ``exact_value``: exact rational arithmetic where the numbers stay
rational, mpmath at escalating precision elsewhere, sympy's evalf (``value_by_evalf``)
for what that cannot decide.

sympy has no timeout, and some expressions take it forever (``exp(exp(exp(exp(exp(x)))))``
at x = 1 needs a number with millions of digits in its exponent). ``differentiate_within``
runs the method in a child process under a time budget (``budget.run``); when the budget
runs out, or sympy fails in any way, the result has no exact values and every quantity's
reason says why, and ``details["unavailable"]`` holds that reason. Before any sympy work,
``limits.check_exact`` refuses points at which the exact numbers would be too large.
"""

from __future__ import annotations

import decimal
import math
import sys
import time
from fractions import Fraction
from typing import Mapping

import mpmath
import sympy
from sympy.core.evalf import PrecisionExhausted

from diffcompare.language.expression import Expression
from diffcompare.language.limits import (
    DEFAULT,
    LimitExceeded,
    Limits,
    check_exact,
    recursion_limit,
)
from diffcompare.methods import as_written, budget, exact_value
from diffcompare.methods.derivation import (  # noqa: F401 - symbols, to_sympy: public here too
    Printer,
    _constant,
    partials,
    symbols,
    to_sympy,
)
from diffcompare.methods.results import Cost, SymbolicDerivatives

METHOD = "symbolic"

# The reference must be good well past double precision (about 16 digits) so that an
# error of one ulp is still measured correctly.
DIGITS = 40

# Seconds sympy may take by default: a person waits this long, and a smooth expression
# of a few hundred nodes needs well under a second.
DEFAULT_TIMEOUT = 5.0

# The start of the reason for an exact value that exists but no float can hold.
BEYOND_FLOATS = "its value is outside the float range"

# Below 10**-1000 a value is far beneath the smallest float (about 4.9e-324): it is not
# formatted, and not compared (decimal formatting of such exponents is slow or fails).
_SMALLEST_DECIMAL_EXPONENT = -1000


def differentiate_within(expression: Expression, point: Mapping[str, Fraction],
                         seconds: float | None = DEFAULT_TIMEOUT, simplify: bool = False,
                         limits: Limits = DEFAULT) -> SymbolicDerivatives:
    """``differentiate`` in a child process that may take at most ``seconds``.

    ``seconds`` None or 0 runs it here, without a budget. Never raises: a timeout, a
    crash or an exception of sympy's becomes the reason of every quantity.

    >>> from diffcompare.language.parse import parse
    >>> slow = parse("exp(exp(exp(exp(exp(x)))))")
    >>> differentiate_within(slow, {"x": Fraction(1)}, seconds=0.5).reasons["x"]
    'timed out after 0.5 s'
    """
    if not seconds:
        return differentiate(expression, point, simplify, limits)
    _warm_up_before_second_child()
    start = time.perf_counter()
    try:
        return budget.run(lambda: differentiate(expression, point, simplify, limits),
                          seconds, memory_mib=limits.memory)
    except budget.OutOfTime as error:
        return unavailable(expression, str(error), time.perf_counter() - start)
    except budget.Failed as error:
        return unavailable(expression, f"sympy failed: {error}", time.perf_counter() - start)


# sympy initialises much of itself lazily, on first use (printers, evalf tables, ...).
# Work done in a child is lost to the parent, so every child would pay for it again,
# and a run of many comparisons gets four times slower. The second call therefore
# does that first use here, once (about 0.1 s); a single comparison (the command line)
# does not pay for it.
_WARM_UP = ("sin(a)*cos(b)/tan(c) + exp(d)*log(f) - sqrt(g)**h + tanh(i)*sigmoid(j) "
            "+ relu(k) + abs(l)")
_children = 0


def _warm_up_before_second_child() -> None:
    global _children
    _children += 1
    if _children != 2:
        return
    from diffcompare.language.parse import parse

    warm_up = parse(_WARM_UP)
    differentiate(warm_up, {name: Fraction(1, 3) for name in warm_up.variables})


def unavailable(expression: Expression, reason: str, seconds: float) -> SymbolicDerivatives:
    """A symbolic result with no formulas and no values: every quantity says ``reason``."""
    quantities = ["value", *expression.variables]
    return SymbolicDerivatives(
        method=METHOD, value=None, gradient={name: None for name in expression.variables},
        cost=Cost(evaluations=0, seconds=seconds), reasons={q: reason for q in quantities},
        details={"unavailable": reason}, digits=DIGITS,
    )


def differentiate(expression: Expression, point: Mapping[str, Fraction],
                  simplify: bool = False, limits: Limits = DEFAULT) -> SymbolicDerivatives:
    """The formulas of f and its partial derivatives, and their exact values at ``point``.

    ``simplify`` shows the formulas after ``sympy.simplify`` (the values always come
    from the derivatives as sympy first finds them). No time budget: see
    ``differentiate_within``. Whatever sympy raises becomes a reason.

    >>> from diffcompare.language.parse import parse
    >>> from fractions import Fraction
    >>> result = differentiate(parse("3*x**2 - 4*x + 5"), {"x": Fraction(3)})
    >>> result.gradient_formulas["x"], result.gradient["x"]
    ('6*x - 4', 14.0)
    """
    start = time.perf_counter()
    try:
        check_exact(expression, point, limits)
    except LimitExceeded as error:
        return unavailable(expression, error.message, time.perf_counter() - start)
    try:
        return _differentiate(expression, point, simplify, start)
    except RecursionError:
        reason = "the expression is nested too deeply for sympy (Python's recursion limit)"
    except MemoryError:
        reason = "sympy ran out of memory"
    except Exception as error:  # noqa: BLE001 - whatever sympy raises is a reason
        reason = budget.one_line(f"sympy failed: {type(error).__name__}: {error}")
    return unavailable(expression, reason, time.perf_counter() - start)


def formulas(expression: Expression) -> tuple[dict[str, sympy.Symbol], sympy.Expr,
                                              dict[str, sympy.Expr]]:
    """The symbols, f as a sympy expression, and its partial derivatives by sympy.

    >>> from diffcompare.language.parse import parse
    >>> _, function, gradient = formulas(parse("x**2*sin(y)"))
    >>> gradient["x"], gradient["y"]
    (2*x*sin(y), x**2*cos(y))
    """
    symbol_table = symbols(expression)
    function = to_sympy(expression, symbol_table)
    return symbol_table, function, partials(function, symbol_table)


def _differentiate(expression: Expression, point: Mapping[str, Fraction], simplify: bool,
                   start: float) -> SymbolicDerivatives:
    with recursion_limit(_SYMPY_RECURSION_LIMIT):
        symbol_table, function, gradient_formulas = formulas(expression)
        return _results(expression, point, simplify, start, symbol_table, function,
                        gradient_formulas)


def _results(expression, point, simplify, start, symbol_table, function,
             partials) -> SymbolicDerivatives:
    at = {symbol_table[name]: value for name, value in point.items() if name in symbol_table}
    quantities = [("value", function), *partials.items()]
    numbers = exact_value.values([formula for _, formula in quantities], at, DIGITS)

    exact: dict[str, str] = {}
    reasons: dict[str, str] = {}
    written_fault = as_written.fault(expression, point)
    if written_fault is not None:
        # x/x at 0: sympy's formula is 1, but the tree as written divides 0 by 0
        reasons["value"] = f"{AS_WRITTEN}: {written_fault}"
    f_defined = written_fault is None
    from_limit: dict[str, bool] = {}
    for (quantity, formula), number in zip(quantities, numbers):
        if not f_defined:
            # log(x) at -1: 1/x has a value, but a function undefined at a point has
            # no derivative there.
            reasons.setdefault(quantity, "f itself is not defined at this point")
            continue
        text, reason = _text(formula, at, number)
        if text is None and quantity != "value" and reason in _INDETERMINATE:
            text = _limit(expression, point, quantity)
            from_limit[quantity] = text is not None
        if text is None:
            reasons[quantity] = reason
            # A value beyond the float range exists; its derivatives are still asked for.
            f_defined = quantity != "value" or reason.startswith(BEYOND_FLOATS)
        else:
            exact[quantity] = text

    def as_float(quantity):
        return float(exact[quantity]) if quantity in exact else None

    shown, shown_partials = function, partials
    if simplify:
        shown = sympy.simplify(function)
        shown_partials = {name: sympy.simplify(formula) for name, formula in partials.items()}
    printer = Printer()
    with _unlimited_integer_digits():  # a formula may hold a constant like 2**20000
        formula = printer.doprint(shown)
        gradient_formulas = {name: printer.doprint(f) for name, f in shown_partials.items()}
    return SymbolicDerivatives(
        method=METHOD,
        value=as_float("value"),
        gradient={name: as_float(name) for name in partials},
        cost=Cost(evaluations=1 + len(partials), seconds=time.perf_counter() - start,
                  size=sum(sympy.count_ops(f) for f in shown_partials.values())),
        reasons=reasons,
        formula=formula,
        gradient_formulas=gradient_formulas,
        exact=exact,
        digits=DIGITS,
        # The sympy formulas themselves (f, then each partial as first derived), so
        # that the report counts their operations without differentiating again.
        details={"simplified": simplify, "formulas": {"value": function, **partials},
                 "from_limit": tuple(q for q, found in from_limit.items() if found)},
    )


# The start of the reason f has no value when a node of the tree as written has none.
AS_WRITTEN = "as written, f is not defined here"
# What sympy's derivative formula says where it is indeterminate (log(0)·0, 0/0): the
# derivative of f as written may still exist, as a limit.
_INDETERMINATE = ("it is undefined (NaN) at this point", "it is infinite at this point")


def _limit(expression: Expression, point: Mapping[str, Fraction], variable: str) -> str | None:
    """The derivative by ``variable`` as the limit of f's difference quotients of the
    tree as written, when both sides settle on the same number (x**y at x = 0, y = 1:
    sympy's x**y*y/x is 0/0 there, the quotient x/x is 1); else None."""
    try:
        right = as_written.one_sided(expression, point, variable, +1)
        left = as_written.one_sided(expression, point, variable, -1)
    except (ArithmeticError, ValueError, TypeError):
        return None  # sympy could not evaluate a side: the formula's reason stands
    if right is None or left is None or sympy.Float(left, DIGITS) != sympy.Float(right, DIGITS):
        return None
    return right


class _unlimited_integer_digits:
    """Python refuses to print integers of more than 4300 digits; ``limits`` already
    bounds the size of sympy's exact numbers, so formulas may print any of them."""

    def __enter__(self):
        self.old = getattr(sys, "get_int_max_str_digits", lambda: None)()
        if self.old:
            sys.set_int_max_str_digits(0)

    def __exit__(self, *exc):
        if self.old:
            sys.set_int_max_str_digits(self.old)


# evalf raises its working precision until the digits are right, up to this many (its
# ``maxn``). A plain evalf(40) stops early and calls 1 - tanh(1000)**2, which is
# 1.03e-868, "0.e-172"; strict mode with room to about 1e-1500 gets it right.
_MAX_WORKING_PRECISION = 5000


def _evaluate(number: sympy.Expr) -> sympy.Expr:
    """``number`` to DIGITS significant digits; 0 when it cannot be told apart from 0."""
    try:
        return number.evalf(DIGITS, strict=True, maxn=_MAX_WORKING_PRECISION)
    except PrecisionExhausted as error:
        if "from zero" in str(error):
            # sin(x)**2 + cos(x)**2 - 1: zero to every digit evalf could reach
            return sympy.Integer(0)
        return number.evalf(DIGITS)


def _value_at(formula: sympy.Expr, substitutions: Mapping[sympy.Symbol, sympy.Rational]
              ) -> tuple[str | None, str]:
    """One formula's value at the point (symbol -> sympy Rational) as a decimal string, or
    None and the reason it has none: what ``differentiate`` finds for each quantity."""
    at = {symbol: Fraction(int(value.p), int(value.q)) for symbol, value in substitutions.items()}
    return _text(formula, at, exact_value.values([formula], at, DIGITS)[0])


def _text(formula: sympy.Expr, at: Mapping[sympy.Symbol, Fraction], number
          ) -> tuple[str | None, str]:
    if number is None:  # exact_value could not tell: sympy decides
        return value_by_evalf(formula, at)
    text, reason = _decimal(_as_sympy(number))
    if text is None or text == "0" or isinstance(number, Fraction):
        return text, reason
    # Rounded to DIGITS decimal digits from all the digits mpmath has, not through a
    # Float of DIGITS digits first: rounding twice can end one unit off in the last digit
    # (exp(3/4) is ...6101344916: once, ...610134; twice, ...610135).
    return _float_text(number._mpf_), ""


def _float_text(mpf) -> str:
    """A real number as ``format(sympy.Float(...), "")`` writes DIGITS digits of it
    (sympy's ``str`` of the Float, read back as a Decimal and formatted)."""
    text = mpmath.libmp.to_str(mpf, DIGITS, strip_zeros=False, min_fixed=None, max_fixed=None)
    if text.startswith("-.0"):
        text = "-0." + text[3:]
    elif text.startswith(".0"):
        text = "0." + text[2:]
    return format(decimal.Decimal(text.removeprefix("+")), "")


def value_by_evalf(formula: sympy.Expr, point: Mapping[sympy.Symbol, Fraction]
                   ) -> tuple[str | None, str]:
    """The formula's value as a decimal string by sympy's exact substitution and evalf, or
    None and the reason it has none. Slow on nested formulas (its time grows exponentially
    with nesting), but it decides every case: ``exact_value`` hands it what it cannot."""
    substitutions = {symbol: sympy.Rational(value.numerator, value.denominator)
                     for symbol, value in point.items()}
    try:
        # Substitute the exact rationals first, so that rational arithmetic stays exact
        # (evalf(subs=...) can turn an exact 0 into a tiny number), then evaluate.
        number = _evaluate(formula.xreplace(substitutions))
    except (ZeroDivisionError, ValueError, TypeError, ArithmeticError) as error:
        return None, f"sympy could not evaluate it: {error}"
    if number.has(sympy.zoo, sympy.oo, -sympy.oo) or number == sympy.zoo:
        return None, "it is infinite at this point"
    if number.has(sympy.nan):
        return None, "it is undefined (NaN) at this point"
    if not number.is_number:
        return None, budget.one_line(f"sympy left it unevaluated: {sympy.sstr(number)}")
    real, imaginary = number.as_real_imag()
    if imaginary != 0 and abs(imaginary) > 0:
        return None, "it is not a real number at this point"
    if real.has(sympy.zoo, sympy.oo, -sympy.oo, sympy.nan):
        return None, "it is infinite at this point"
    return _decimal(real)


def _as_sympy(number) -> sympy.Expr:
    """An exact Fraction or an mpmath number from ``exact_value`` as a sympy number."""
    if isinstance(number, Fraction):
        return sympy.Rational(number.numerator, number.denominator).evalf(DIGITS)
    return sympy.Float(number, DIGITS)


def _decimal(real: sympy.Expr) -> tuple[str | None, str]:
    """A real sympy number as a decimal string of DIGITS digits, or None and why not."""
    if real == 0:
        return "0", ""
    magnitude = float(sympy.log(abs(real), 10).evalf(15))
    if abs(real) > sys.float_info.max:
        return None, (f"{BEYOND_FLOATS}: about {_power_of_ten(real, magnitude)}, more than "
                      f"the largest float ({sys.float_info.max:.1e})")
    if magnitude < _SMALLEST_DECIMAL_EXPONENT:
        return None, (f"{BEYOND_FLOATS}: about {_power_of_ten(real, magnitude)}, far below "
                      "the smallest float (a float holds 0)")
    return sympy.Float(real, DIGITS).__format__(""), ""


# sympy builds, differentiates and prints expressions recursively, about ten Python
# frames per level of nesting; the depth limit (200 levels) then needs more than
# Python's default 1000 (the tanh program repeated 50 times needs about 1500).
_SYMPY_RECURSION_LIMIT = 20_000


def _power_of_ten(real, magnitude: float) -> str:
    """1.97e+434, or 10**(2.34e+78) when even the exponent is huge."""
    sign = "-" if real < 0 else ""
    if abs(magnitude) >= 1e15:
        return f"{sign}10**({magnitude:.3g})"
    exponent = math.floor(magnitude)
    return f"{sign}{10 ** (magnitude - exponent):.2f}e{exponent:+d}"
