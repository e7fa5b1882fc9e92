"""Every row of the primitive table: float value and local derivative against sympy."""

import math

import pytest
import sympy

from diffcompare.language.primitives import PRIMITIVES

# Sample points inside each primitive's domain, including domain edges on purpose.
UNARY_POINTS = {
    "neg": [-2.0, 0.0, 1.5],
    "sin": [-1.0, 0.0, 2.5],
    "cos": [-1.0, 0.0, 2.5],
    "tan": [-1.0, 0.0, 1.2],
    "exp": [-3.0, 0.0, 2.0],
    "log": [0.1, 1.0, 7.5],
    "sqrt": [0.01, 1.0, 9.0],
    "tanh": [-20.0, 0.0, 0.7],
    "sigmoid": [-30.0, 0.0, 2.0],
    "relu": [-1.0, 0.5, 3.0],
    "abs": [-1.5, 0.25, 3.0],
}
BINARY_POINTS = [(1.5, 2.5), (0.3, -1.7), (2.0, 3.0), (-1.2, 0.8)]


def _sympy_derivative(primitive, point):
    symbols = sympy.symbols(f"a0:{primitive.arity}", real=True)
    expression = primitive.to_sympy(*symbols)
    subs = {s: sympy.Rational(repr(v)) for s, v in zip(symbols, point)}
    value = float(expression.xreplace(subs).evalf(30))
    partials = [float(sympy.diff(expression, s).xreplace(subs).evalf(30)) for s in symbols]
    return value, partials


def test_primitive_table_has_every_named_function():
    assert {"add", "sub", "mul", "div", "pow", "neg", "sin", "cos", "tan", "exp", "log",
            "sqrt", "tanh", "sigmoid", "relu", "abs"} <= set(PRIMITIVES)


@pytest.mark.parametrize("name", sorted(UNARY_POINTS))
def test_primitive_unary_row_matches_sympy(name):
    primitive = PRIMITIVES[name]
    for x in UNARY_POINTS[name]:
        exact_value, (exact_slope,) = _sympy_derivative(primitive, (x,))
        out = primitive.evaluate(x)
        assert out == pytest.approx(exact_value, rel=1e-14, abs=1e-300)
        assert primitive.derivative(x, out) == pytest.approx(exact_slope, rel=1e-13, abs=1e-300)


@pytest.mark.parametrize("name", ["add", "sub", "mul", "div", "pow"])
def test_primitive_binary_row_matches_sympy(name):
    primitive = PRIMITIVES[name]
    for x, y in BINARY_POINTS:
        if name == "pow" and x < 0:
            continue  # not real; covered by the domain tests below
        exact_value, exact_partials = _sympy_derivative(primitive, (x, y))
        out = primitive.evaluate(x, y)
        assert out == pytest.approx(exact_value, rel=1e-14)
        assert primitive.derivative(x, y, out) == pytest.approx(exact_partials, rel=1e-13)


def test_primitive_tanh_and_sigmoid_do_not_overflow():
    assert PRIMITIVES["tanh"].evaluate(1000.0) == 1.0
    assert PRIMITIVES["sigmoid"].evaluate(-1000.0) == 0.0
    assert PRIMITIVES["sigmoid"].evaluate(1000.0) == 1.0


@pytest.mark.parametrize("name, args, error", [
    ("log", (0.0,), ValueError),
    ("log", (-1.0,), ValueError),
    ("sqrt", (-1.0,), ValueError),
    ("div", (1.0, 0.0), ZeroDivisionError),
    ("pow", (0.0, -1.0), ZeroDivisionError),
    ("pow", (-8.0, 0.5), ValueError),
    ("exp", (1000.0,), OverflowError),
])
def test_primitive_domain_errors_raise_arithmetic_errors(name, args, error):
    with pytest.raises(error):
        PRIMITIVES[name].evaluate(*args)


def test_primitive_kink_conventions_match_pytorch():
    assert PRIMITIVES["relu"].derivative(0.0, 0.0) == 0.0
    assert PRIMITIVES["abs"].derivative(0.0, 0.0) == 0.0
    assert PRIMITIVES["sqrt"].derivative(0.0, 0.0) == math.inf


def test_primitive_pow_slope_at_zero_is_infinite_not_an_error():
    # Regression: x**0.5 at 0 raised ZeroDivisionError, so autograd lost f(0) = 0 too.
    assert PRIMITIVES["pow"].derivative(0.0, 0.5, 0.0)[0] == math.inf
