"""The one table of primitives.

Every function the expression language knows is a row here: its name, its arity,
its float implementation, its sympy implementation and its local derivative.
Adding a function is adding a row. ``tests/test_primitives.py`` checks every row's
derivative against ``sympy.diff`` of the row's sympy implementation.

Local derivatives work on floats only. They are used by our autograd engine and never
by the symbolic method, which differentiates the sympy implementation itself.

- unary rows:  ``derivative(x, out) -> d out / d x``
- binary rows: ``derivative(x, y, out) -> (d out / d x, d out / d y)``

``out`` is the primitive's value at the point, passed so that exp, tanh, sigmoid and
sqrt can reuse it.

``second_derivative`` holds the second local derivatives on floats, what
forward-over-reverse (the Hessian-vector product) needs, row for row:

- unary rows:  ``second_derivative(x, out) -> d² out / dx²``
- binary rows: ``second_derivative(x, y, out) -> (∂²/∂x², ∂²/∂x∂y, ∂²/∂y²)``
- rows of arity k: the upper triangle of the k × k matrix, row by row (``symmetric``)

At a kink (abs and relu at 0) the second derivative does not exist; the rows give 0, the
value away from the kink, as PyTorch does. Where a partial is not a real number (the
exponent partials of x**y for x <= 0) the row gives NaN, as the first-order column does.

``evaluate_complex`` is the primitive's analytic extension near the real axis, used by
the complex-step method (``f'(x) = Im f(x + ih) / h``). It raises where the real
function is not defined or not analytic (log and sqrt at 0 or below, division by a
number whose real part is 0), and it is ``None`` for abs and relu, which are not
analytic: their derivative is not determined by values near the real axis.
"""

from __future__ import annotations

import cmath
import math
import operator
from dataclasses import dataclass
from fractions import Fraction
from typing import Callable, Mapping

from diffcompare.language.errors import InputError


def _sympy():
    """sympy, imported on first use: the engine and the float methods never need it, and
    importing it costs a quarter of a second and tens of thousands of objects that every
    full garbage collection of a user's graph would walk again."""
    import sympy

    return sympy


class MissingRule(LookupError):
    """A part of the program needs a column that a primitive's row lacks.

    >>> try:
    ...     PRIMITIVES["relu"].need("evaluate_complex", "the complex step")
    ... except MissingRule as error:
    ...     print(error)
    primitive 'relu' has no evaluate_complex (needed by the complex step)
    """

    def __init__(self, primitive: str, column: str, part: str):
        self.primitive, self.column, self.part = primitive, column, part
        super().__init__(f"primitive {primitive!r} has no {column} (needed by {part})")

    def __str__(self) -> str:
        return self.args[0]


# Where a row is tried out by default (``Primitive.example``): one and two variables.
EXAMPLE_POINT = ("x=0.5", "x=1.5,y=-0.75")


@dataclass(frozen=True)
class Switch:
    """Where a primitive switches between two smooth branches (a kink or a jump).

    ``argument(*sympy_args)`` is 0 at the switch; ``branch(*sympy_args, sign)`` is the
    smooth sympy expression the primitive follows where that argument has ``sign``
    (+1 or -1). ``symbolic`` and ``autograd`` say what sympy's derivative and our
    engine report exactly at the switch; the kink search (``methods/kinks.py``) and the
    verdict's sentences read them.
    """

    argument: Callable
    branch: Callable
    symbolic: str
    autograd: str


@dataclass(frozen=True)
class WrongDerivative:
    """A classic wrong local derivative, for ``check``'s diagnosis: ``formula(*args,
    out)`` is what an engine with this bug gives for d out / d (first argument)."""

    formula: Callable
    cause: str  # short, the engine's likely bug
    text: str  # a sentence: what the number is, and the right formula


@dataclass(frozen=True, kw_only=True)
class Primitive:
    """One row of the table: everything any part of the program knows about a primitive.

    A part that needs a column the row lacks calls ``need`` and fails with
    ``MissingRule`` naming the primitive, never with a bare KeyError.
    """

    name: str
    arity: int
    evaluate: Callable  # floats in, float out; raises ValueError/ZeroDivisionError/OverflowError
    to_sympy: Callable  # sympy expressions in, sympy expression out
    derivative: Callable | None  # see the module docstring
    evaluate_complex: Callable | None = None  # analytic extension, None if not analytic
    # Second local derivatives on floats, for forward-over-reverse Hessians: see the
    # module docstring (the upper triangle of the arity × arity matrix, ``symmetric``).
    second_derivative: Callable | None = None
    # An operator: its Python spelling, Python's function for it, and how tightly it binds
    # (Python's order: comparisons 0, + - 1, * / 2, unary minus 3, ** 4; calls bind tightest).
    symbol: str = ""
    operator: Callable | None = None
    precedence: int = 0
    family: str = ""  # a chain of one family ("sum", "product") is one nesting level for sympy
    # How a micrograd-style engine spells it: a dunder (``__add__``) or a method (``tanh``).
    dunder: str = ""
    method: str = ""
    # Domain: (predicate(*args), "{operation}: why") pairs, the explanation of a fault.
    domain: tuple = ()
    switch: Switch | None = None  # its kink or jump, where it has one
    # Exact rational arguments -> the exact rational value sympy computes, or None (the
    # special values: sin(0) = 0, sqrt(9/4) = 3/2); the limits estimate sympy's sizes by it.
    exact_value: Callable | None = None
    samples: tuple = ()  # points inside the domain, edges included, for the tests
    checks: tuple = ()  # (expression, point) pairs for check's battery; default: the first sample
    wrong_derivatives: tuple[WrongDerivative, ...] = ()
    comparison: bool = False  # a condition: allowed only where a row's ``conditions`` says
    conditions: tuple[int, ...] = ()  # positions of arguments that must be comparisons
    selects: Callable | None = None  # where: the index of the argument whose value is the result
    description: str = ""  # one line, for the functions module and the README

    def __repr__(self) -> str:
        return f"<primitive {self.name}>"

    def need(self, column: str, part: str):
        """The column's value, or ``MissingRule`` naming this primitive and ``part``."""
        value = getattr(self, column)
        if value is None or value == "" or value == ():
            raise MissingRule(self.name, column, part)
        return value

    @property
    def example(self) -> tuple[str, str]:
        """(expression, point): the row's first check, or its name called on x (and y) at
        a point inside every function's domain and away from every switch."""
        if self.checks:
            return self.checks[0]
        if self.arity == 1:
            return f"{self.name}(x)", EXAMPLE_POINT[0]
        return f"{self.name}({', '.join('xyz'[:self.arity])})", EXAMPLE_POINT[1]

    @property
    def spelled(self) -> bool:
        """Whether a micrograd-style engine has a spelling for it (dunder or method)."""
        return bool(self.dunder or self.method)

    def __reduce__(self):
        # Pickled by name, so that expressions cross to worker processes (batch).
        return (_named, (self.name,))


def _named(name: str) -> "Primitive":
    return PRIMITIVES[name]


# ---- float implementations that need more care than the math module gives ----


def _divide(x: float, y: float) -> float:
    if y == 0.0:
        raise ZeroDivisionError("division by zero")
    return x / y


def _power(x: float, y: float) -> float:
    # Python's ``**`` returns a complex number for (-8.0) ** 0.5; we want a real or an error.
    if x == 0.0 and y < 0.0:
        raise ZeroDivisionError("0 raised to a negative power")
    if x < 0.0 and not float(y).is_integer():
        raise ValueError("a negative base with a non-integer exponent has no real value")
    return math.pow(x, y)


def _power_derivative(x: float, y: float, out: float) -> tuple[float, float]:
    if y == 0.0:
        d_base = 0.0
    elif x == 0.0 and y < 1.0:
        d_base = math.inf  # sqrt-like at 0 (0 < y < 1): the slope is infinite, as in PyTorch
    else:
        d_base = y * _power(x, y - 1.0)
    if x > 0.0:
        d_exponent = out * math.log(x)
    elif x == 0.0 and y > 0.0:
        d_exponent = 0.0  # 0**y is 0 for every positive y near this one
    else:
        d_exponent = math.nan  # x**y is not a real function of y for x < 0
    return d_base, d_exponent


def _sigmoid(x: float) -> float:
    # Two branches so that neither overflows: exp of a large positive number never happens.
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


def _relu(x: float) -> float:
    return x if x > 0.0 else 0.0


def _relu_derivative(x: float, out: float) -> float:
    # relu'(0) = 0, as in micrograd and PyTorch.
    return 1.0 if x > 0.0 else 0.0


def _abs_derivative(x: float, out: float) -> float:
    # abs'(0) = 0, as in PyTorch (the subgradient in the middle of [-1, 1]).
    if x > 0.0:
        return 1.0
    if x < 0.0:
        return -1.0
    return 0.0


def _log(x: float) -> float:
    if x == 0.0:
        raise ValueError("log(0) is minus infinity")
    return math.log(x)


def _sqrt_derivative(x: float, out: float) -> float:
    # The slope is infinite at 0 (as PyTorch reports it), not an error.
    return 0.5 / out if out != 0.0 else math.inf


def _tanh_derivative(x: float, out: float) -> float:
    # sech²(x) = 4t/(1+t)² with t = exp(-2|x|). micrograd's 1 - out² is 0 for |x| > 19
    # (out rounds to ±1); this keeps full relative accuracy and never overflows.
    t = math.exp(-2.0 * abs(x))
    return 4.0 * t / ((1.0 + t) * (1.0 + t))


def _sigmoid_derivative(x: float, out: float) -> float:
    # σ'(x) = t/(1+t)² with t = exp(-|x|). The usual out·(1 - out) loses every digit
    # for x > 37 (out rounds to 1) and many from x ≈ 20 on; this keeps full accuracy.
    t = math.exp(-abs(x))
    return t / ((1.0 + t) * (1.0 + t))


def _tan_derivative(x: float, out: float) -> float:
    return 1.0 + out * out


# ---- complex implementations: the analytic extension near the real axis ----
# The real part of an argument is the value the real function sees, so each domain check
# is made on it; the imaginary part carries the complex step's perturbation.


def _complex_divide(x: complex, y: complex) -> complex:
    if complex(y).real == 0.0:
        raise ZeroDivisionError("division by zero")
    return x / y


def _complex_power(x: complex, y: complex) -> complex:
    x, y = complex(x), complex(y)
    if x == 0:
        if y.real > 0.0 and y.imag == 0.0:
            return 0j
        raise ZeroDivisionError("0 raised to a negative or varying power")
    if x.real <= 0.0 and (y.imag != 0.0 or not y.real.is_integer()):
        raise ValueError("a negative base with a non-integer exponent has no real value")
    # Python's complex power multiplies repeatedly for small integer exponents and uses
    # pow/atan2 otherwise: both keep the tiny imaginary part to full relative accuracy.
    return x ** y


def _complex_log(z: complex) -> complex:
    if complex(z).real <= 0.0:
        raise ValueError("log of a number that is not positive")
    return cmath.log(z)


def _complex_sqrt(z: complex) -> complex:
    z = complex(z)
    if z.real < 0.0 or (z.real == 0.0 and z.imag != 0.0):
        raise ValueError("sqrt is not analytic at 0 nor real below it")
    return cmath.sqrt(z)


def _complex_sigmoid(z: complex) -> complex:
    # The same two branches as the real one, chosen by the real part.
    if complex(z).real >= 0.0:
        return 1.0 / (1.0 + cmath.exp(-z))
    t = cmath.exp(z)
    return t / (1.0 + t)


# ---- the new functions' float, complex and derivative rules ----


def _sign(x: float) -> float:
    if x > 0.0:
        return 1.0
    if x < 0.0:
        return -1.0
    return 0.0


def _maximum(x: float, y: float) -> float:
    return x if x >= y else y


def _minimum(x: float, y: float) -> float:
    return x if x <= y else y


# At a tie, max and min split the gradient evenly, as PyTorch's torch.maximum and JAX's
# jnp.maximum do (both give 1/2 to each argument).
_TIE_SHARE = 0.5


def _maximum_derivative(x: float, y: float, out: float) -> tuple[float, float]:
    if x > y:
        return 1.0, 0.0
    if x < y:
        return 0.0, 1.0
    return _TIE_SHARE, _TIE_SHARE


def _minimum_derivative(x: float, y: float, out: float) -> tuple[float, float]:
    # min(x, y) = -max(-x, -y): the same shares, with the comparison reversed.
    return _maximum_derivative(-x, -y, -out)


def _by_real_part(choose: Callable) -> Callable:
    """A selection (max, min) near the real axis: chosen by the real parts."""
    def complex_version(x: complex, y: complex) -> complex:
        return x if choose(complex(x).real, complex(y).real) == complex(x).real else y
    return complex_version


def _atan2(y: float, x: float) -> float:
    if x == 0.0 and y == 0.0:
        raise ValueError("atan2(0, 0) is undefined")
    return math.atan2(y, x)


def _atan2_derivative(y: float, x: float, out: float) -> tuple[float, float]:
    # d atan2(y, x) = (x dy - y dx) / (x² + y²); hypot avoids overflow in the square.
    r = math.hypot(x, y)
    return (x / r) / r, (-y / r) / r


def _atan2_cut(y, x):
    # 0 exactly on atan2's branch cut (y = 0 with x < 0), 1 (never 0) elsewhere
    sympy = _sympy()
    return sympy.Piecewise((y, sympy.StrictLessThan(x, 0)), (sympy.Integer(1), True))


def _complex_atan2(y: complex, x: complex) -> complex:
    # atan(y/x) plus the branch's constant, chosen by the real parts; analytic off (0, 0).
    y, x = complex(y), complex(x)
    if x.real > 0.0:
        return cmath.atan(y / x)
    if x.real < 0.0:
        return cmath.atan(y / x) + math.copysign(math.pi, y.real)
    if y.real == 0.0:
        raise ValueError("atan2(0, 0) is undefined")
    return math.copysign(math.pi / 2, y.real) - cmath.atan(x / y)


def _log1p(x: float) -> float:
    if x == -1.0:
        raise ValueError("log1p(-1) is minus infinity")
    return math.log1p(x)


def _complex_log1p(z: complex) -> complex:
    # log(1 + z) with |1 + z| = (1 + x)·sqrt(1 + (y/(1 + x))²): the real part stays as
    # accurate as log1p(x) for tiny x, where cmath.log(1 + z) would round 1 + x first.
    z = complex(z)
    if z.real <= -1.0:
        raise ValueError("log1p of a number not above -1")
    ratio = z.imag / (1.0 + z.real)
    return complex(math.log1p(z.real) + 0.5 * math.log1p(ratio * ratio),
                   math.atan2(z.imag, 1.0 + z.real))


def _complex_expm1(z: complex) -> complex:
    # exp(z) - 1 = expm1(x)·cos(y) - 2·sin²(y/2) + i·exp(x)·sin(y): no cancellation for
    # tiny x, where cmath.exp(z) - 1 would lose the real part's digits.
    z = complex(z)
    half = math.sin(z.imag / 2.0)
    return complex(math.expm1(z.real) * math.cos(z.imag) - 2.0 * half * half,
                   math.exp(z.real) * math.sin(z.imag))


def _softplus(x: float) -> float:
    # log(1 + exp(x)) = max(x, 0) + log1p(exp(-|x|)): exp never overflows.
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


def _complex_softplus(z: complex) -> complex:
    # The real row's two branches, each through the accurate log1p.
    if complex(z).real >= 0.0:
        return z + _complex_log1p(cmath.exp(-z))
    return _complex_log1p(cmath.exp(z))


# One third, as the exponent of a real cube root.
_THIRD = 1.0 / 3.0


def _cbrt(x: float) -> float:
    # The C library's cbrt (math.cbrt, Python 3.11) is within about an ulp, not correctly
    # rounded: glibc gives 3.0000000000000004 for cbrt(27). Of that double and its two
    # neighbours, the one whose cube is exactly closest to x is taken (a Newton step in
    # floats can step to the wrong neighbour: cbrt(0.001) would be 0.09999999999999999).
    cube_root = getattr(math, "cbrt", None)
    y = cube_root(x) if cube_root is not None else math.copysign(abs(x) ** _THIRD, x)
    if y == 0.0 or not math.isfinite(y):
        return y
    target = Fraction(x)
    candidates = (math.nextafter(y, -math.inf), y, math.nextafter(y, math.inf))
    return min(candidates, key=lambda c: abs(Fraction(c) ** 3 - target))


def _cbrt_derivative(x: float, out: float) -> float:
    # 1/(3·cbrt(x)²): infinite at 0, as PyTorch's x.pow(1/3) reports it.
    return 1.0 / (3.0 * out * out) if out != 0.0 else math.inf


def _complex_cbrt(z: complex) -> complex:
    z = complex(z)
    if z.real == 0.0:
        raise ValueError("cbrt is not analytic at 0")
    if z.real > 0.0:
        return z ** _THIRD
    return -((-z) ** _THIRD)


def _arc_domain(name: str) -> Callable:
    def evaluate(x: float) -> float:
        if not -1.0 <= x <= 1.0:
            raise ValueError(f"{name} of a number outside [-1, 1]")
        return getattr(math, name)(x)
    return evaluate


def _complex_arc(function: Callable) -> Callable:
    def evaluate(z: complex) -> complex:
        if not -1.0 < complex(z).real < 1.0:
            raise ValueError("not analytic at ±1 nor real beyond")
        return function(z)
    return evaluate


def _unit_root_slope(x: float) -> float:
    """1/sqrt(1 - x²), the slope of asin (and minus that of acos); infinite at ±1."""
    rest = (1.0 - x) * (1.0 + x)  # 1 - x², without the cancellation of 1 - x*x near ±1
    return 1.0 / math.sqrt(rest) if rest > 0.0 else math.inf


# erf'(x) = 2/sqrt(pi)·exp(-x²) (Abramowitz & Stegun 7.1.19).
_TWO_OVER_ROOT_PI = 2.0 / math.sqrt(math.pi)


# Decimal digits for the complex erf: mpmath's series at double precision loses about
# five digits of the tiny imaginary part (erf(-2 + 1e-20i)); 30 keeps all sixteen.
_ERF_DIGITS = 30


def _complex_erf(z: complex) -> complex:
    import mpmath  # a core dependency; only the complex step asks for a complex erf

    with mpmath.workdps(_ERF_DIGITS):
        return complex(mpmath.erf(mpmath.mpc(z)))


def _compare(holds: Callable) -> Callable:
    """A comparison as a number: 1.0 where it holds, 0.0 where not (on the real parts)."""
    def evaluate(x, y) -> float:
        return 1.0 if holds(complex(x).real, complex(y).real) else 0.0
    return evaluate


def _where(condition, a, b):
    return a if condition else b


def _where_sympy(condition, a, b):
    return _sympy().Piecewise((a, condition), (b, True))


def _where_branch(condition, a, b, sign: int):
    # The condition is lhs OP rhs; with argument = lhs - rhs of the given sign, > and >=
    # hold on the positive side, < and <= on the negative side.
    sympy = _sympy()
    positive_side = isinstance(condition, (sympy.StrictGreaterThan, sympy.GreaterThan))
    return a if (sign > 0) == positive_side else b


def _where_argument(condition, a, b):
    sympy = _sympy()
    if not isinstance(condition, sympy.core.relational.Relational):
        return sympy.Integer(1)  # sympy decided the condition already: no switch
    return condition.lhs - condition.rhs


def _at(values: dict) -> Callable:
    """Special values: the exact value sympy computes at these rational arguments."""
    table = {Fraction(k): Fraction(v) for k, v in values.items()}
    return lambda x: table.get(x)


def _exact_sqrt(value: Fraction) -> Fraction | None:
    if value < 0:
        return None
    root_num, root_den = math.isqrt(value.numerator), math.isqrt(value.denominator)
    if root_num * root_num == value.numerator and root_den * root_den == value.denominator:
        return Fraction(root_num, root_den)
    return None


def _exact_divide(x: Fraction, y: Fraction) -> Fraction | None:
    return x / y if y != 0 else None


# ---- second derivatives (the second_derivative column) ----

_LINEAR_BINARY = (0.0, 0.0, 0.0)  # max, min, comparisons: piecewise linear or constant


def _divide_second(x: float, y: float, out: float) -> tuple[float, float, float]:
    # x/y: ∂²/∂x² = 0, ∂²/∂x∂y = -1/y², ∂²/∂y² = 2x/y³ = 2·out/y²
    return 0.0, -1.0 / (y * y), 2.0 * out / (y * y)


def _power_second(x: float, y: float, out: float) -> tuple[float, float, float]:
    # x**y: ∂²/∂x² = y(y-1)·x^(y-2), ∂²/∂x∂y = x^(y-1)·(1 + y·ln x), ∂²/∂y² = x^y·ln²x
    if y in (0.0, 1.0):
        d_xx = 0.0
    else:
        try:
            d_xx = y * (y - 1.0) * _power(x, y - 2.0)
        except ZeroDivisionError:
            d_xx = math.inf  # x = 0 and y < 2: the curvature is infinite
    if x > 0.0:
        log_x = math.log(x)
        d_xy = _power(x, y - 1.0) * (1.0 + y * log_x)
        d_yy = out * log_x * log_x
    else:
        d_xy = d_yy = math.nan  # x**y is not a real function of y for x <= 0 (nor smooth at 0)
    return d_xx, d_xy, d_yy


def _tan_second(x: float, out: float) -> float:
    # tan'' = 2·tan·sec² = 2·out·(1 + out²)
    return 2.0 * out * (1.0 + out * out)


def _tanh_second(x: float, out: float) -> float:
    # tanh'' = -2·tanh·sech², with the table's accurate sech²
    return -2.0 * out * _tanh_derivative(x, out)


def _sigmoid_second(x: float, out: float) -> float:
    # σ'' = σ'·(1 - 2σ) = -σ'·tanh(x/2): no cancellation when σ is near 1/2 or 1
    return -_sigmoid_derivative(x, out) * math.tanh(x / 2.0)


def _sqrt_second(x: float, out: float) -> float:
    # sqrt'' = -1/(4·x^(3/2)) = -1/(4·out³); infinite at 0, as the first derivative is
    return -0.25 / (out * out * out) if out != 0.0 else -math.inf


def _atan2_second(y: float, x: float, out: float) -> tuple[float, float, float]:
    # atan2(y, x): ∂/∂y = x/r², ∂/∂x = -y/r², so ∂²/∂y² = -2xy/r⁴, ∂²/∂y∂x = (y² - x²)/r⁴,
    # ∂²/∂x² = 2xy/r⁴ (r² = x² + y²; each factor divided by r on its own, as the first
    # derivative's row does, so that r⁴ never overflows)
    r = math.hypot(x, y)
    cos, sin = x / r, y / r
    return -2.0 * cos * sin / r / r, (sin - cos) * (sin + cos) / r / r, 2.0 * cos * sin / r / r


def _unit_root_second(x: float) -> float:
    """x/(1 - x²)^(3/2), asin'' (and minus acos''); infinite at ±1."""
    rest = (1.0 - x) * (1.0 + x)
    return x / (rest * math.sqrt(rest)) if rest > 0.0 else math.inf


def _cbrt_second(x: float, out: float) -> float:
    # cbrt'' = -2/(9·x^(5/3)) = -2/(9·out⁵); not defined at 0 (infinite, of either sign)
    return -2.0 / (9.0 * out**5) if out != 0.0 else math.nan


def symmetric(rule_output, arity: int) -> tuple[tuple[float, ...], ...]:
    """A row's output as the full arity × arity matrix of second partials.

    >>> symmetric((1.0, 2.0, 3.0), 2)
    ((1.0, 2.0), (2.0, 3.0))
    """
    if arity == 1:
        return ((rule_output,),)
    matrix = [[0.0] * arity for _ in range(arity)]
    upper = iter(rule_output)
    for i in range(arity):
        for j in range(i, arity):
            matrix[i][j] = matrix[j][i] = next(upper)
    return tuple(tuple(row) for row in matrix)


def _switch_at_zero(branch: Callable, symbolic: str, autograd: str) -> Switch:
    """A switch of a unary primitive where its argument crosses 0."""
    return Switch(argument=lambda a: a, branch=branch, symbolic=symbolic, autograd=autograd)


def _extremum(name: str, evaluate: Callable, derivative: Callable, sympy_name: str,
               larger: bool) -> Primitive:
    """max or min: x on one side of the switch x = y, y on the other."""
    return Primitive(
        name=name, arity=2, evaluate=evaluate,
        to_sympy=lambda x, y: getattr(_sympy(), sympy_name)(x, y), derivative=derivative,
        second_derivative=lambda x, y, out: _LINEAR_BINARY,
        method=name, exact_value=max if larger else min,
        samples=((1.5, -0.75), (-2.0, 3.0), (0.5, 0.5)),
        switch=Switch(argument=lambda x, y: x - y,
                      branch=lambda x, y, sign: x if (sign > 0) == larger else y,
                      symbolic="sympy's Heaviside(0) = 1/2",
                      autograd="1/2 to each argument at a tie"),
        description=f"the {'larger' if larger else 'smaller'} of x and y; at a tie each "
                    "gets half the gradient, as in PyTorch",
    )


def _comparison(name: str, symbol: str, holds: Callable, to_sympy: Callable) -> Primitive:
    def sympy_comparison(x, y):
        try:
            return to_sympy(x, y)
        except TypeError:  # sympy: "Invalid comparison of non-real asin(2)"
            raise InputError(f"where's condition compares {x} {symbol} {y}, and a number "
                             "that is not real (as asin(2)) cannot be compared") from None

    return Primitive(
        name=name, arity=2, evaluate=_compare(holds), to_sympy=sympy_comparison,
        derivative=lambda x, y, out: (0.0, 0.0), evaluate_complex=_compare(holds),
        second_derivative=lambda x, y, out: _LINEAR_BINARY,
        symbol=symbol, precedence=0, comparison=True,
        exact_value=lambda x, y: Fraction(int(holds(x, y))), samples=((1.5, 2.5), (2.5, 1.5)),
    )


# ---- the table ----

_SIN, _COS, _TAN, _EXP = (lambda x: _sympy().sin(x)), (lambda x: _sympy().cos(x)), \
    (lambda x: _sympy().tan(x)), (lambda x: _sympy().exp(x))

# Pairs where the arithmetic rows are tried: signs mixed, no zero divisor.
_ARITHMETIC_SAMPLES = ((1.5, 2.5), (0.3, -1.7), (2.0, 3.0), (-1.2, 0.8))

_ROWS = [
    # arithmetic
    Primitive(name="add", arity=2, evaluate=lambda x, y: x + y, to_sympy=lambda x, y: x + y,
              derivative=lambda x, y, out: (1.0, 1.0), evaluate_complex=lambda x, y: x + y,
              second_derivative=lambda x, y, out: (0.0, 0.0, 0.0),
              symbol="+", operator=operator.add, precedence=1, family="sum", dunder="__add__",
              exact_value=lambda x, y: x + y, samples=_ARITHMETIC_SAMPLES,
              checks=(("x + y", "x=1.5,y=-0.75"),)),
    Primitive(name="sub", arity=2, evaluate=lambda x, y: x - y, to_sympy=lambda x, y: x - y,
              derivative=lambda x, y, out: (1.0, -1.0), evaluate_complex=lambda x, y: x - y,
              second_derivative=lambda x, y, out: (0.0, 0.0, 0.0),
              symbol="-", operator=operator.sub, precedence=1, family="sum", dunder="__sub__",
              exact_value=lambda x, y: x - y, samples=_ARITHMETIC_SAMPLES,
              checks=(("x - y", "x=1.5,y=-0.75"),)),
    Primitive(name="mul", arity=2, evaluate=lambda x, y: x * y, to_sympy=lambda x, y: x * y,
              derivative=lambda x, y, out: (y, x), evaluate_complex=lambda x, y: x * y,
              second_derivative=lambda x, y, out: (0.0, 1.0, 0.0),
              symbol="*", operator=operator.mul, precedence=2, family="product",
              dunder="__mul__", exact_value=lambda x, y: x * y,
              samples=_ARITHMETIC_SAMPLES, checks=(("x * y", "x=1.5,y=-0.75"),)),
    Primitive(name="div", arity=2, evaluate=_divide, to_sympy=lambda x, y: x / y,
              derivative=lambda x, y, out: (_divide(1.0, y), _divide(-out, y)),
              second_derivative=_divide_second,
              evaluate_complex=_complex_divide, symbol="/", operator=operator.truediv,
              precedence=2, family="product", dunder="__truediv__", exact_value=_exact_divide,
              samples=_ARITHMETIC_SAMPLES, checks=(("x / y", "x=1.5,y=-0.75"),)),
    Primitive(name="pow", arity=2, evaluate=_power, to_sympy=lambda x, y: x**y,
              derivative=_power_derivative, evaluate_complex=_complex_power, symbol="**",
              second_derivative=_power_second,
              operator=operator.pow, precedence=4, dunder="__pow__",
              domain=((lambda x, y: x == 0 and y < 0,
                       "{operation}: 0 raised to a negative power is infinite"),
                      (lambda x, y: x < 0, "{operation}: a negative base with a non-integer "
                                           "exponent is not a real number")),
              samples=((1.5, 2.5), (2.0, 3.0), (0.5, -2.0)),
              checks=(("x**3", "x=1.5"), ("x**-2", "x=1.5"), ("x**0.5", "x=1.5"),
                      ("x**y", "x=1.5,y=2.5")),
              wrong_derivatives=(
                  WrongDerivative(lambda x, n, out: n * x**n,
                                  "pow's derivative is off by one in the exponent: the power "
                                  "rule is n·x**(n-1)",
                                  "that is n·x**n: the exponent is off by one; the power "
                                  "rule is n·x**(n-1)"),
                  WrongDerivative(lambda x, n, out: n * x**(n - 2),
                                  "pow's derivative is off by one in the exponent: the power "
                                  "rule is n·x**(n-1)",
                                  "that is n·x**(n-2): the exponent is off by one; the power "
                                  "rule is n·x**(n-1)"),
                  WrongDerivative(lambda x, n, out: x**(n - 1),
                                  "pow's derivative lacks the factor n",
                                  "that is x**(n-1) without the factor n; the power rule is "
                                  "n·x**(n-1)"))),
    Primitive(name="neg", arity=1, evaluate=lambda x: -x, to_sympy=lambda x: -x,
              derivative=lambda x, out: -1.0, evaluate_complex=lambda x: -x, symbol="-",
              second_derivative=lambda x, out: 0.0,
              operator=operator.neg, precedence=3, family="sum", dunder="__neg__",
              exact_value=lambda x: -x, samples=(-2.0, 0.0, 1.5), checks=(("-x", "x=1.5"),)),
    # comparisons: only inside where's condition
    _comparison("lt", "<", operator.lt, lambda x, y: x < y),
    _comparison("le", "<=", operator.le, lambda x, y: x <= y),
    _comparison("gt", ">", operator.gt, lambda x, y: x > y),
    _comparison("ge", ">=", operator.ge, lambda x, y: x >= y),
    # functions
    Primitive(name="sin", arity=1, evaluate=math.sin, to_sympy=_SIN,
              derivative=lambda x, out: math.cos(x), evaluate_complex=cmath.sin, method="sin",
              second_derivative=lambda x, out: -out,
              exact_value=_at({0: 0}), samples=(-1.0, 0.0, 2.5), description="sine"),
    Primitive(name="cos", arity=1, evaluate=math.cos, to_sympy=_COS,
              derivative=lambda x, out: -math.sin(x), evaluate_complex=cmath.cos, method="cos",
              second_derivative=lambda x, out: -out,
              exact_value=_at({0: 1}), samples=(-1.0, 0.0, 2.5), description="cosine"),
    Primitive(name="tan", arity=1, evaluate=math.tan, to_sympy=_TAN,
              derivative=_tan_derivative, evaluate_complex=cmath.tan, method="tan",
              second_derivative=_tan_second,
              exact_value=_at({0: 0}), samples=(-1.0, 0.0, 1.2), description="tangent"),
    Primitive(name="exp", arity=1, evaluate=math.exp, to_sympy=_EXP,
              derivative=lambda x, out: out, evaluate_complex=cmath.exp, method="exp",
              second_derivative=lambda x, out: out,
              exact_value=_at({0: 1}), samples=(-3.0, 0.0, 2.0), description="exponential"),
    Primitive(name="log", arity=1, evaluate=_log, to_sympy=lambda x: _sympy().log(x),
              derivative=lambda x, out: _divide(1.0, x), evaluate_complex=_complex_log,
              second_derivative=lambda x, out: -1.0 / (x * x),  # -1/x²
              method="log", exact_value=_at({1: 0}), samples=(0.1, 1.0, 7.5),
              checks=(("log(x)", "x=1.5"),),
              domain=((lambda x: x == 0, "{operation} is minus infinity"),
                      (lambda x: x < 0, "{operation}: the logarithm of a negative number "
                                        "is not a real number")),
              wrong_derivatives=(WrongDerivative(lambda x, out: x,
                                                 "log's derivative is x, not 1/x",
                                                 "that is x: the derivative of log(x) is 1/x"),),
              description="natural logarithm"),
    Primitive(name="sqrt", arity=1, evaluate=math.sqrt, to_sympy=lambda x: _sympy().sqrt(x),
              derivative=_sqrt_derivative, evaluate_complex=_complex_sqrt, method="sqrt",
              second_derivative=_sqrt_second,
              exact_value=_exact_sqrt, samples=(0.01, 1.0, 9.0), checks=(("sqrt(x)", "x=1.5"),),
              domain=((lambda x: x < 0, "{operation}: the square root of a negative number "
                                        "is not a real number"),),
              wrong_derivatives=(WrongDerivative(
                  lambda x, out: math.sqrt(x) / 2,
                  "sqrt's derivative is sqrt(x)/2, not 1/(2·sqrt(x))",
                  "that is sqrt(x)/2: the derivative is 1/(2·sqrt(x))"),),
              description="square root"),
    Primitive(name="tanh", arity=1, evaluate=math.tanh, to_sympy=lambda x: _sympy().tanh(x),
              derivative=_tanh_derivative, evaluate_complex=cmath.tanh, method="tanh",
              second_derivative=_tanh_second,
              exact_value=_at({0: 0}), samples=(-20.0, 0.0, 0.5, 0.7),
              wrong_derivatives=(
                  WrongDerivative(lambda x, out: 1 - out,
                                  "tanh's derivative is 1 - t: the square is missing (1 - t**2)",
                                  "that is 1 − tanh(x): the square is missing; use 1 - t**2"),
                  WrongDerivative(lambda x, out: 1 - x * x,
                                  "tanh's derivative uses the input x, not the output t",
                                  "that is 1 − x²: it uses the input x where the output t = "
                                  "tanh(x) belongs; use 1 - t**2"),
                  WrongDerivative(lambda x, out: 1 + out * out,
                                  "tanh's derivative has the wrong sign (1 + t**2)",
                                  "that is 1 + tanh(x)²: the sign is wrong; use 1 - t**2")),
              description="hyperbolic tangent"),
    Primitive(name="sigmoid", arity=1, evaluate=_sigmoid,
              to_sympy=lambda x: 1 / (1 + _sympy().exp(-x)), derivative=_sigmoid_derivative,
              second_derivative=_sigmoid_second,
              evaluate_complex=_complex_sigmoid, method="sigmoid",
              exact_value=_at({0: Fraction(1, 2)}), samples=(0.5, -30.0, 0.0, 2.0),
              wrong_derivatives=(
                  WrongDerivative(lambda x, out: out, "sigmoid's derivative lacks the factor "
                                                      "(1 - s)",
                                  "that is sigmoid(x) itself: the factor (1 - s) is missing"),
                  WrongDerivative(lambda x, out: 1 - out * out,
                                  "sigmoid's derivative is tanh's formula",
                                  "that is 1 − s²: tanh's formula; sigmoid's is s·(1 - s)")),
              description="logistic sigmoid, 1/(1 + exp(-x))"),
    # not analytic: no complex implementation
    Primitive(name="relu", arity=1, evaluate=_relu, to_sympy=lambda x: _sympy().Max(0, x),
              derivative=_relu_derivative, method="relu", exact_value=lambda x: max(x, 0),
              second_derivative=lambda x, out: 0.0,
              samples=(-1.0, 0.5, 3.0), checks=(("relu(x)", "x=0.75"), ("relu(x)", "x=-0.75")),
              switch=_switch_at_zero(lambda a, sign: a if sign > 0 else _sympy().Integer(0),
                                     "sympy's Heaviside(0) = 1/2", "relu'(0) = 0"),
              description="max(0, x); its derivative at 0 is taken as 0, as in micrograd "
                          "and PyTorch"),
    Primitive(name="abs", arity=1, evaluate=abs, to_sympy=lambda x: _sympy().Abs(x),
              derivative=_abs_derivative, method="abs", dunder="__abs__",
              second_derivative=lambda x, out: 0.0,
              exact_value=lambda x: abs(x), samples=(-1.5, 0.25, 3.0),
              checks=(("abs(x)", "x=-1.5"),),
              switch=_switch_at_zero(lambda a, sign: a if sign > 0 else -a,
                                     "sympy's sign(0) = 0", "abs'(0) = 0"),
              description="absolute value; its derivative at 0 is taken as 0, as in PyTorch"),
    # the functions users ask for
    _extremum("max", _maximum, _maximum_derivative, "Max", larger=True),
    _extremum("min", _minimum, _minimum_derivative, "Min", larger=False),
    Primitive(name="atan2", arity=2, evaluate=_atan2, to_sympy=lambda y, x: _sympy().atan2(y, x),
              derivative=_atan2_derivative, evaluate_complex=_complex_atan2, method="atan2",
              second_derivative=_atan2_second,
              exact_value=lambda y, x: Fraction(0) if y == 0 and x > 0 else None,
              samples=((1.5, -0.75), (-2.0, 3.0), (0.5, 0.5), (-1.0, -1.0)),
              domain=((lambda y, x: y == 0 and x == 0, "{operation} is undefined"),),
              # its branch cut: on y = 0, x < 0 it jumps from -pi (y < 0) to pi (y > 0)
              switch=Switch(argument=_atan2_cut,
                            branch=lambda y, x, sign: _sympy().atan(y / x) + sign * _sympy().pi,
                            symbolic="sympy's atan2 = pi on the cut",
                            autograd="its formula x/(x² + y²), as on either side"),
              description="the angle of the point (x, y), in (-pi, pi]; atan2(y, x)"),
    Primitive(name="sign", arity=1, evaluate=_sign, to_sympy=lambda x: _sympy().sign(x),
              derivative=lambda x, out: 0.0, method="sign",
              second_derivative=lambda x, out: 0.0,
              exact_value=lambda x: Fraction(_sign(x)),
              samples=(-1.5, 0.25, 3.0),
              switch=_switch_at_zero(lambda a, sign: _sympy().Integer(sign),
                                     "sympy's DiracDelta(0), no number", "sign'(0) = 0"),
              description="-1, 0 or 1; a jump at 0, where every method's slope is 0"),
    Primitive(name="log1p", arity=1, evaluate=_log1p, to_sympy=lambda x: _sympy().log(1 + x),
              derivative=lambda x, out: _divide(1.0, 1.0 + x), evaluate_complex=_complex_log1p,
              second_derivative=lambda x, out: -1.0 / ((1.0 + x) * (1.0 + x)),
              method="log1p", exact_value=_at({0: 0}), samples=(-0.5, 1e-10, 0.0, 3.0),
              domain=((lambda x: x == -1, "{operation} is minus infinity"),
                      (lambda x: x < -1, "{operation}: the logarithm of a negative number "
                                         "is not a real number")),
              description="log(1 + x), accurate for tiny x"),
    Primitive(name="expm1", arity=1, evaluate=math.expm1,
              to_sympy=lambda x: _sympy().exp(x) - 1, derivative=lambda x, out: math.exp(x),
              second_derivative=lambda x, out: math.exp(x),
              evaluate_complex=_complex_expm1, method="expm1",
              exact_value=_at({0: 0}), samples=(-3.0, 1e-10, 0.0, 2.0),
              description="exp(x) - 1, accurate for tiny x"),
    Primitive(name="softplus", arity=1, evaluate=_softplus,
              to_sympy=lambda x: _sympy().log(1 + _sympy().exp(x)),
              derivative=lambda x, out: _sigmoid(x), evaluate_complex=_complex_softplus,
              second_derivative=_sigmoid_derivative,  # softplus'' = σ', accurate
              method="softplus", samples=(-30.0, 0.0, 0.5, 2.0, 800.0),
              description="log(1 + exp(x)), without overflow"),
    Primitive(name="asin", arity=1, evaluate=_arc_domain("asin"),
              to_sympy=lambda x: _sympy().asin(x), derivative=lambda x, out: _unit_root_slope(x),
              second_derivative=lambda x, out: _unit_root_second(x),
              evaluate_complex=_complex_arc(cmath.asin), method="asin", exact_value=_at({0: 0}),
              samples=(-0.9, 0.0, 0.5), description="inverse sine, on [-1, 1]"),
    Primitive(name="acos", arity=1, evaluate=_arc_domain("acos"),
              to_sympy=lambda x: _sympy().acos(x),
              derivative=lambda x, out: -_unit_root_slope(x),
              second_derivative=lambda x, out: -_unit_root_second(x),
              evaluate_complex=_complex_arc(cmath.acos), method="acos", exact_value=_at({1: 0}),
              samples=(-0.9, 0.0, 0.5), description="inverse cosine, on [-1, 1]"),
    Primitive(name="atan", arity=1, evaluate=math.atan, to_sympy=lambda x: _sympy().atan(x),
              derivative=lambda x, out: 1.0 / (1.0 + x * x), evaluate_complex=cmath.atan,
              second_derivative=lambda x, out: -2.0 * x / ((1.0 + x * x) * (1.0 + x * x)),
              method="atan", exact_value=_at({0: 0}), samples=(-3.0, 0.0, 0.5),
              description="inverse tangent"),
    Primitive(name="sinh", arity=1, evaluate=math.sinh, to_sympy=lambda x: _sympy().sinh(x),
              derivative=lambda x, out: math.cosh(x), evaluate_complex=cmath.sinh,
              second_derivative=lambda x, out: out,
              method="sinh", exact_value=_at({0: 0}), samples=(-3.0, 0.0, 0.5),
              description="hyperbolic sine"),
    Primitive(name="cosh", arity=1, evaluate=math.cosh, to_sympy=lambda x: _sympy().cosh(x),
              derivative=lambda x, out: math.sinh(x), evaluate_complex=cmath.cosh,
              second_derivative=lambda x, out: out,
              method="cosh", exact_value=_at({0: 1}), samples=(-3.0, 0.0, 0.5),
              description="hyperbolic cosine"),
    Primitive(name="erf", arity=1, evaluate=math.erf, to_sympy=lambda x: _sympy().erf(x),
              derivative=lambda x, out: _TWO_OVER_ROOT_PI * math.exp(-x * x),
              second_derivative=lambda x, out: -2.0 * x * _TWO_OVER_ROOT_PI * math.exp(-x * x),
              evaluate_complex=_complex_erf, method="erf", exact_value=_at({0: 0}),
              samples=(-2.0, 0.0, 0.5, 3.0), description="the error function"),
    Primitive(name="cbrt", arity=1, evaluate=_cbrt, to_sympy=lambda x: _sympy().real_root(x, 3),
              derivative=_cbrt_derivative, evaluate_complex=_complex_cbrt, method="cbrt",
              second_derivative=_cbrt_second,
              samples=(-8.0, -0.5, 0.3, 2.0, 27.0),
              switch=_switch_at_zero(
                  lambda a, sign: sign * (sign * a) ** _sympy().Rational(1, 3),
                  "sympy's derivative, infinite at 0", "cbrt'(0) = inf"),
              description="the real cube root; its slope is infinite at 0"),
    Primitive(name="where", arity=3, evaluate=_where, to_sympy=_where_sympy,
              derivative=lambda condition, a, b, out: (0.0, condition, 1.0 - condition),
              second_derivative=lambda condition, a, b, out: (0.0,) * 6,  # linear in a, b
              method="", conditions=(0,), selects=lambda condition, a, b: 1 if condition else 2,
              samples=((1.0, 1.5, -0.75), (0.0, 1.5, -0.75)),
              checks=(("where(x > y, x*y, x - y)", "x=1.5,y=-0.75"),),
              switch=Switch(argument=_where_argument, branch=_where_branch,
                            symbolic="sympy's Piecewise: the branch whose condition holds",
                            autograd="the branch the condition selects"),
              description="a if the condition holds, else b; the condition is a comparison "
                          "(< <= > >=), e.g. where(x > 0, sqrt(x), 0)"),
]

PRIMITIVES: dict[str, Primitive] = {p.name: p for p in _ROWS}


class _Functions(Mapping):
    """The rows a user may call by name (not the operators), read live from
    ``PRIMITIVES``: a row added to the table is a function at once."""

    def __getitem__(self, name: str) -> Primitive:
        primitive = PRIMITIVES[name]
        if primitive.symbol:
            raise KeyError(name)
        return primitive

    def __iter__(self):
        return (name for name, primitive in PRIMITIVES.items() if not primitive.symbol)

    def __len__(self) -> int:
        return sum(1 for _ in self)


# Names a user may call in an expression: the functions, not the operators.
FUNCTIONS: Mapping[str, Primitive] = _Functions()


def operator_row(symbol: str, arity: int) -> Primitive:
    """The row spelled ``symbol`` with ``arity`` operands ("-" is sub or neg)."""
    for primitive in PRIMITIVES.values():
        if primitive.symbol == symbol and primitive.arity == arity:
            return primitive
    raise LookupError(f"no row of the primitive table is the operator {symbol!r} with "
                      f"{arity} operand{'s' if arity != 1 else ''}")


# Common spellings of our functions in other languages and libraries, for "did you mean".
ALIASES: dict[str, str] = {
    "ln": "log", "arcsin": "asin", "arccos": "acos", "arctan": "atan", "arctan2": "atan2",
    "maximum": "max", "minimum": "min", "fabs": "abs", "signum": "sign", "sgn": "sign",
    "heaviside": "where", "logistic": "sigmoid", "expit": "sigmoid", "log1pexp": "softplus",
    "coth": "1/tanh(x)", "cot": "1/tan(x)", "sec": "1/cos(x)", "csc": "1/sin(x)",
    "exp2": "2**x",
    "log10": "log(x)/log(10)", "log2": "log(x)/log(2)", "pow": "x**y", "power": "x**y",
}

# Named constants: float value, and a function giving the exact sympy value.
CONSTANTS: dict[str, tuple[float, Callable]] = {
    "pi": (math.pi, lambda: _sympy().pi),
    "e": (math.e, lambda: _sympy().E),
}
