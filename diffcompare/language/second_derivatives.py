"""Second local derivatives of the primitives: what forward-over-reverse needs.

Forward-over-reverse (the Hessian-vector product H·v) pushes a tangent through the
reverse pass. The adjoint of an argument is ``adjoint(out) · d out/d arg``; its tangent
needs the tangent of that local derivative, which is the primitive's *second* derivative
times the arguments' tangents. The primitive table's ``derivative`` column holds first
derivatives on floats; this table holds the second, row for row:

- unary rows:  ``second(x, out) -> d² out / dx²``
- binary rows: ``second(x, y, out) -> (∂²/∂x², ∂²/∂x∂y, ∂²/∂y²)``
- rows of arity k: the upper triangle of the k × k matrix, row by row (``symmetric``)

A primitive without a row fails loudly and by name (``second_derivative``), and
``tests/test_second_derivatives.py`` checks every row of ``PRIMITIVES`` against
``sympy.diff`` twice, so a new primitive is tested the moment it exists. (This belongs
in the primitive table as a column; it lives here while that table is being reshaped.)

At a kink (abs and relu at 0) the second derivative does not exist; the rows give 0, the
value away from the kink, as PyTorch does. Where a partial is not a real number (the
exponent partials of x**y for x <= 0) the row gives NaN, as the first-order column does;
forward-over-reverse only reads the partials of arguments that depend on a variable.
"""

from __future__ import annotations

import math
from typing import Callable

from diffcompare.language.primitives import Primitive, _power, _sigmoid_derivative, _tanh_derivative

# erf''(x) = -2x·(2/√π)·exp(-x²), from erf'(x) = 2/√π·exp(-x²) (Abramowitz & Stegun 7.1.19).
_TWO_OVER_ROOT_PI = 2.0 / math.sqrt(math.pi)
_LINEAR_BINARY = (0.0, 0.0, 0.0)  # max, min, comparisons: piecewise linear or constant


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


def _log_second(x: float, out: float) -> float:
    # log'' = -1/x²
    return -1.0 / (x * x)


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


SECOND_DERIVATIVES: dict[str, Callable] = {
    "add": lambda x, y, out: (0.0, 0.0, 0.0),
    "sub": lambda x, y, out: (0.0, 0.0, 0.0),
    "mul": lambda x, y, out: (0.0, 1.0, 0.0),
    # x/y: ∂²/∂x² = 0, ∂²/∂x∂y = -1/y², ∂²/∂y² = 2x/y³ = 2·out/y²
    "div": lambda x, y, out: (0.0, -1.0 / (y * y), 2.0 * out / (y * y)),
    "pow": _power_second,
    "neg": lambda x, out: 0.0,
    "sin": lambda x, out: -out,
    "cos": lambda x, out: -out,
    "tan": _tan_second,
    "exp": lambda x, out: out,
    "log": _log_second,
    "sqrt": _sqrt_second,
    "tanh": _tanh_second,
    "sigmoid": _sigmoid_second,
    "relu": lambda x, out: 0.0,
    "abs": lambda x, out: 0.0,
    # rows of the reshaped primitive table (ignored where a table lacks them)
    "max": lambda x, y, out: _LINEAR_BINARY,
    "min": lambda x, y, out: _LINEAR_BINARY,
    "lt": lambda x, y, out: _LINEAR_BINARY,
    "le": lambda x, y, out: _LINEAR_BINARY,
    "gt": lambda x, y, out: _LINEAR_BINARY,
    "ge": lambda x, y, out: _LINEAR_BINARY,
    "atan2": _atan2_second,
    "sign": lambda x, out: 0.0,
    "log1p": lambda x, out: -1.0 / ((1.0 + x) * (1.0 + x)),
    "expm1": lambda x, out: math.exp(x),
    # softplus' = σ, softplus'' = σ' (the table's accurate σ', which ignores ``out``)
    "softplus": lambda x, out: _sigmoid_derivative(x, out),
    "asin": lambda x, out: _unit_root_second(x),
    "acos": lambda x, out: -_unit_root_second(x),
    "atan": lambda x, out: -2.0 * x / ((1.0 + x * x) * (1.0 + x * x)),
    "sinh": lambda x, out: out,
    "cosh": lambda x, out: out,
    "erf": lambda x, out: -2.0 * x * _TWO_OVER_ROOT_PI * math.exp(-x * x),
    "cbrt": _cbrt_second,
    # where(condition, a, b): linear in a and b, a step in the condition
    "where": lambda condition, a, b, out: (0.0,) * 6,
}


class MissingRule(LookupError):
    """A primitive has no second-derivative row."""


def second_derivative(primitive: Primitive) -> Callable:
    """The row of ``primitive``, or ``MissingRule`` naming it."""
    rule = SECOND_DERIVATIVES.get(primitive.name)
    if rule is None:
        raise MissingRule(f"no second derivative for the primitive {primitive.name!r}: add "
                          "its row to language.second_derivatives.SECOND_DERIVATIVES")
    return rule


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
