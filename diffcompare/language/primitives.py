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

``evaluate_complex`` is the primitive's analytic extension near the real axis, used by
the complex-step method (``f'(x) = Im f(x + ih) / h``). It raises where the real
function is not defined or not analytic (log and sqrt at 0 or below, division by a
number whose real part is 0), and it is ``None`` for abs and relu, which are not
analytic: their derivative is not determined by values near the real axis.
"""

from __future__ import annotations

import cmath
import math
from dataclasses import dataclass
from typing import Callable


def _sympy():
    """sympy, imported on first use: the engine and the float methods never need it, and
    importing it costs a quarter of a second and tens of thousands of objects that every
    full garbage collection of a user's graph would walk again."""
    import sympy

    return sympy


@dataclass(frozen=True)
class Primitive:
    name: str
    arity: int
    evaluate: Callable  # floats in, float out; raises ValueError/ZeroDivisionError/OverflowError
    to_sympy: Callable  # sympy expressions in, sympy expression out
    derivative: Callable  # see the module docstring
    symbol: str = ""  # infix spelling for binary operators and negation, "" for calls
    evaluate_complex: Callable | None = None  # analytic extension, None if not analytic

    def __repr__(self) -> str:
        return f"<primitive {self.name}>"

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


# ---- the table ----

PRIMITIVES: dict[str, Primitive] = {
    p.name: p
    for p in [
        # arithmetic
        Primitive("add", 2, lambda x, y: x + y, lambda x, y: x + y,
                  lambda x, y, out: (1.0, 1.0), symbol="+",
                  evaluate_complex=lambda x, y: x + y),
        Primitive("sub", 2, lambda x, y: x - y, lambda x, y: x - y,
                  lambda x, y, out: (1.0, -1.0), symbol="-",
                  evaluate_complex=lambda x, y: x - y),
        Primitive("mul", 2, lambda x, y: x * y, lambda x, y: x * y,
                  lambda x, y, out: (y, x), symbol="*",
                  evaluate_complex=lambda x, y: x * y),
        Primitive("div", 2, _divide, lambda x, y: x / y,
                  lambda x, y, out: (_divide(1.0, y), _divide(-out, y)), symbol="/",
                  evaluate_complex=_complex_divide),
        Primitive("pow", 2, _power, lambda x, y: x**y, _power_derivative, symbol="**",
                  evaluate_complex=_complex_power),
        Primitive("neg", 1, lambda x: -x, lambda x: -x, lambda x, out: -1.0, symbol="-",
                  evaluate_complex=lambda x: -x),
        # functions
        Primitive("sin", 1, math.sin, lambda x: _sympy().sin(x), lambda x, out: math.cos(x),
                  evaluate_complex=cmath.sin),
        Primitive("cos", 1, math.cos, lambda x: _sympy().cos(x), lambda x, out: -math.sin(x),
                  evaluate_complex=cmath.cos),
        Primitive("tan", 1, math.tan, lambda x: _sympy().tan(x), _tan_derivative,
                  evaluate_complex=cmath.tan),
        Primitive("exp", 1, math.exp, lambda x: _sympy().exp(x), lambda x, out: out,
                  evaluate_complex=cmath.exp),
        Primitive("log", 1, _log, lambda x: _sympy().log(x), lambda x, out: _divide(1.0, x),
                  evaluate_complex=_complex_log),
        Primitive("sqrt", 1, math.sqrt, lambda x: _sympy().sqrt(x), _sqrt_derivative,
                  evaluate_complex=_complex_sqrt),
        Primitive("tanh", 1, math.tanh, lambda x: _sympy().tanh(x), _tanh_derivative,
                  evaluate_complex=cmath.tanh),
        Primitive("sigmoid", 1, _sigmoid, lambda x: 1 / (1 + _sympy().exp(-x)),
                  _sigmoid_derivative, evaluate_complex=_complex_sigmoid),
        # not analytic: no complex implementation
        Primitive("relu", 1, _relu, lambda x: _sympy().Max(0, x), _relu_derivative),
        Primitive("abs", 1, abs, lambda x: _sympy().Abs(x), _abs_derivative),
    ]
}

# Names a user may call in an expression: the functions, not the operators.
FUNCTIONS: dict[str, Primitive] = {
    name: p for name, p in PRIMITIVES.items() if not p.symbol
}

# Named constants: float value, and a function giving the exact sympy value.
CONSTANTS: dict[str, tuple[float, Callable]] = {
    "pi": (math.pi, lambda: _sympy().pi),
    "e": (math.e, lambda: _sympy().E),
}
