"""Every row of the primitive table, each tested the moment it exists: its float value
and local derivative against sympy, its complex extension against the float row, our
engine against the row, and finite differences against the derivative."""

import math

import pytest
import sympy

from diffcompare import engine
from diffcompare.engine import Value
from diffcompare.language.primitives import PRIMITIVES, MissingRule, symmetric

ROWS = list(PRIMITIVES.values())
NAMES = [row.name for row in ROWS]

# Relative step of the central differences that check each row's derivative, and the
# agreement expected of them: truncation h²·f'''/6 and round-off ε/h are both ~1e-10.
FD_STEP = 1e-5
FD_TOLERANCE = 1e-6
COMPLEX_STEP = 1e-20
# The second-derivative column against sympy's, both at 30 digits.
SECOND_DERIVATIVE_TOLERANCE = 1e-12


def _points(primitive):
    assert primitive.samples, f"{primitive.name} has no sample points"
    return [point if isinstance(point, tuple) else (point,) for point in primitive.samples]


def _sympy_arguments(primitive):
    """Symbols, and what to hand to_sympy: a condition is the comparison symbol > 0."""
    symbols = sympy.symbols(f"a0:{primitive.arity}", real=True)
    arguments = [symbol > 0 if position in primitive.conditions else symbol
                 for position, symbol in enumerate(symbols)]
    return symbols, arguments


def _sympy_derivative(primitive, point):
    symbols, arguments = _sympy_arguments(primitive)
    expression = primitive.to_sympy(*arguments)
    if primitive.comparison:  # a sympy relational: true or false, and flat where defined
        subs = {s: sympy.Rational(repr(float(v))) for s, v in zip(symbols, point)}
        return float(bool(expression.xreplace(subs))), [0.0] * primitive.arity
    # A condition's sample is 1 (holds) or 0 (not): the symbol is then 1 or -1.
    values = [(1 if v else -1) if position in primitive.conditions else v
              for position, v in enumerate(point)]
    subs = {s: sympy.Rational(repr(float(v))) for s, v in zip(symbols, values)}
    value = float(expression.xreplace(subs).evalf(30))
    partials = [float(sympy.diff(expression, s).xreplace(subs).evalf(30)) for s in symbols]
    return value, partials


def _partials(primitive, point, out):
    derivative = primitive.derivative(*point, out)
    return list(derivative) if primitive.arity > 1 else [derivative]


@pytest.mark.parametrize("primitive", ROWS, ids=NAMES)
def test_primitive_row_matches_sympy(primitive):
    for point in _points(primitive):
        exact_value, exact_partials = _sympy_derivative(primitive, point)
        out = primitive.evaluate(*point)
        assert out == pytest.approx(exact_value, rel=1e-14, abs=1e-300), point
        assert _partials(primitive, point, out) == pytest.approx(
            exact_partials, rel=1e-13, abs=1e-300), point


@pytest.mark.parametrize("primitive", ROWS, ids=NAMES)
def test_primitive_second_derivative_matches_sympy(primitive):
    rule = primitive.need("second_derivative", "forward-over-reverse Hessians")
    symbols, arguments = _sympy_arguments(primitive)
    for point in _points(primitive):
        matrix = symmetric(rule(*point, primitive.evaluate(*point)), primitive.arity)
        if primitive.comparison or primitive.conditions:
            # a comparison is constant, where() linear in its branches: no curvature
            assert all(value == 0.0 for row in matrix for value in row), point
            continue
        expression = primitive.to_sympy(*arguments)
        subs = {s: sympy.Rational(repr(float(v))) for s, v in zip(symbols, point)}
        for i in range(primitive.arity):
            for j in range(primitive.arity):
                formula = sympy.diff(expression, symbols[i], symbols[j])
                try:  # maxn: softplus'' at 800 is 3.7e-348, all cancellation at 30 digits
                    exact = complex(formula.xreplace(subs).evalf(30, maxn=4000))
                except TypeError:  # DiracDelta(0): at a kink, where the row gives 0
                    continue
                if exact.imag or not math.isfinite(exact.real):
                    continue  # outside the real domain: the row's convention (NaN)
                assert matrix[i][j] == pytest.approx(
                    exact.real, rel=SECOND_DERIVATIVE_TOLERANCE, abs=1e-300), (point, i, j)


@pytest.mark.parametrize("primitive", [row for row in ROWS if row.evaluate_complex],
                         ids=[row.name for row in ROWS if row.evaluate_complex])
def test_primitive_complex_row_extends_the_float_row_and_its_derivative(primitive):
    for point in _points(primitive):
        out = primitive.evaluate(*point)
        partials = _partials(primitive, point, out)
        for position in range(primitive.arity):
            if position in primitive.conditions:
                continue
            shifted = list(point)
            shifted[position] = complex(point[position], COMPLEX_STEP)
            z = complex(primitive.evaluate_complex(*shifted))
            # the real part is f(x) - h²f''(x)/2: exact but for a term far below an ulp
            assert z.real == pytest.approx(out, rel=1e-15, abs=COMPLEX_STEP), point
            assert z.imag / COMPLEX_STEP == pytest.approx(partials[position], rel=1e-13,
                                                          abs=1e-300), point


@pytest.mark.parametrize("primitive", ROWS, ids=NAMES)
def test_primitive_engine_matches_the_row(primitive):
    # Through the row's spelling (x + y, x.tanh(), x.max(y)) or the generic node.
    for point in _points(primitive):
        leaves = [Value(v) for v in point]
        out = engine.apply(primitive, *leaves)
        out.backward()
        expected = primitive.evaluate(*point)
        partials = _partials(primitive, point, expected)
        assert out.data == expected
        for position, leaf in enumerate(leaves):
            wanted = 0.0 if position in primitive.conditions else partials[position]
            assert leaf.grad == pytest.approx(wanted, rel=1e-15, abs=1e-300), point


@pytest.mark.parametrize("primitive", [row for row in ROWS if row.method],
                         ids=[row.name for row in ROWS if row.method])
def test_primitive_with_a_method_spelling_is_a_value_method(primitive):
    point = _points(primitive)[0]
    first, *others = [Value(v) for v in point]
    out = getattr(first, primitive.method)(*others)
    assert out.data == primitive.evaluate(*point)


@pytest.mark.parametrize("primitive", ROWS, ids=NAMES)
def test_primitive_finite_differences_match_the_derivative(primitive):
    for point in _points(primitive):
        partials = _partials(primitive, point, primitive.evaluate(*point))
        for position in range(primitive.arity):
            if position in primitive.conditions:
                continue
            h = FD_STEP * max(1.0, abs(point[position]))
            up, down = list(point), list(point)
            up[position] += h
            down[position] -= h
            estimate = (primitive.evaluate(*up) - primitive.evaluate(*down)) / (2 * h)
            assert estimate == pytest.approx(partials[position], rel=FD_TOLERANCE,
                                             abs=FD_TOLERANCE), point


@pytest.mark.parametrize("primitive", ROWS, ids=NAMES)
def test_primitive_row_has_what_the_parts_need(primitive):
    # The columns every part reads: sample points for the tests, an example for the
    # corpus and check, and a spelling or a reason (a comparison or a selection) not to.
    assert primitive.samples
    assert primitive.example[0]
    assert primitive.spelled or primitive.comparison or primitive.selects is not None
    if primitive.symbol:
        assert primitive.precedence in range(5)


def test_primitive_table_has_every_named_function():
    assert {"add", "sub", "mul", "div", "pow", "neg", "sin", "cos", "tan", "exp", "log",
            "sqrt", "tanh", "sigmoid", "relu", "abs", "max", "min", "atan2", "sign", "log1p",
            "expm1", "softplus", "asin", "acos", "atan", "sinh", "cosh", "erf", "cbrt",
            "where"} <= set(PRIMITIVES)


def test_primitive_tanh_and_sigmoid_do_not_overflow():
    assert PRIMITIVES["tanh"].evaluate(1000.0) == 1.0
    assert PRIMITIVES["sigmoid"].evaluate(-1000.0) == 0.0
    assert PRIMITIVES["sigmoid"].evaluate(1000.0) == 1.0
    assert PRIMITIVES["softplus"].evaluate(1000.0) == 1000.0


@pytest.mark.parametrize("name, args, error", [
    ("log", (0.0,), ValueError),
    ("log", (-1.0,), ValueError),
    ("sqrt", (-1.0,), ValueError),
    ("div", (1.0, 0.0), ZeroDivisionError),
    ("pow", (0.0, -1.0), ZeroDivisionError),
    ("pow", (-8.0, 0.5), ValueError),
    ("exp", (1000.0,), OverflowError),
    ("log1p", (-1.0,), ValueError),
    ("asin", (1.5,), ValueError),
    ("acos", (-1.5,), ValueError),
    ("atan2", (0.0, 0.0), ValueError),
    ("cosh", (1000.0,), OverflowError),
    ("cbrt", (-1e308,), None),  # defined everywhere: no error, even far out
])
def test_primitive_domain_errors_raise_arithmetic_errors(name, args, error):
    if error is None:
        assert math.isfinite(PRIMITIVES[name].evaluate(*args))
        return
    with pytest.raises(error):
        PRIMITIVES[name].evaluate(*args)


def test_primitive_kink_conventions_match_pytorch():
    assert PRIMITIVES["relu"].derivative(0.0, 0.0) == 0.0
    assert PRIMITIVES["abs"].derivative(0.0, 0.0) == 0.0
    assert PRIMITIVES["sqrt"].derivative(0.0, 0.0) == math.inf
    assert PRIMITIVES["cbrt"].derivative(0.0, 0.0) == math.inf
    # torch.maximum and torch.minimum split the gradient evenly at a tie
    assert PRIMITIVES["max"].derivative(1.0, 1.0, 1.0) == (0.5, 0.5)
    assert PRIMITIVES["min"].derivative(1.0, 1.0, 1.0) == (0.5, 0.5)


def test_primitive_pow_slope_at_zero_is_infinite_not_an_error():
    # Regression: x**0.5 at 0 raised ZeroDivisionError, so autograd lost f(0) = 0 too.
    assert PRIMITIVES["pow"].derivative(0.0, 0.5, 0.0)[0] == math.inf


def test_primitive_missing_column_names_the_primitive_and_the_part():
    with pytest.raises(MissingRule, match="primitive 'relu' has no evaluate_complex "
                                          r"\(needed by the complex step\)"):
        PRIMITIVES["relu"].need("evaluate_complex", "the complex step")
    assert isinstance(MissingRule("x", "y", "z"), LookupError)


def test_primitive_engine_inline_operators_equal_the_table():
    # + - * neg and tanh are written out inline in engine.py for speed.
    x, y = Value(1.25), Value(-0.5)
    for name, out in [("add", x + y), ("sub", x - y), ("mul", x * y)]:
        assert (out._da, out._db) == PRIMITIVES[name].derivative(x.data, y.data, out.data)
    assert (-x)._da == PRIMITIVES["neg"].derivative(x.data, -x.data)
    for data in (-20.0, 0.3, 1000.0):
        out = Value(data).tanh()
        assert out._da == PRIMITIVES["tanh"].derivative(data, out.data)
