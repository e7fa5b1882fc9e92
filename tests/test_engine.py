from fractions import Fraction

import pytest

from diffcompare import Value, compare
from diffcompare.language.corpus import MICROGRAD_README


def micrograd_readme():
    """micrograd's README example, written exactly as there."""
    a = Value(-4.0)
    b = Value(2.0)
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    g.backward()
    return a, b, g


def test_engine_micrograd_readme_example_matches_exact_values():
    a, b, g = micrograd_readme()
    assert g.data == pytest.approx(float(Fraction(2421, 98)), rel=1e-12)
    assert a.grad == pytest.approx(float(Fraction(47620, 343)), rel=1e-12)
    assert b.grad == pytest.approx(float(Fraction(221433, 343)), rel=1e-12)


def test_engine_micrograd_readme_as_program_agrees_with_symbolic():
    result = compare(MICROGRAD_README, at="a=-4,b=2")
    assert result.reference.exact["value"].startswith("24.704081632653")  # 2421/98
    assert float(result.reference.exact["a"]) == pytest.approx(47620 / 343, rel=1e-15)
    assert float(result.reference.exact["b"]) == pytest.approx(221433 / 343, rel=1e-15)
    assert result.errors["autograd"]["a"].relative < 1e-12
    assert result.errors["autograd"]["b"].relative < 1e-12
    assert result.agree


def test_engine_tanh_neuron_from_the_lecture():
    x1, x2 = Value(2.0), Value(0.0)
    w1, w2 = Value(-3.0), Value(1.0)
    b = Value(6.8813735870195432)
    o = (x1 * w1 + x2 * w2 + b).tanh()
    o.backward()
    assert o.data == pytest.approx(0.7071067811865476, rel=1e-15)
    assert (x1.grad, w1.grad, x2.grad, w2.grad) == pytest.approx((-1.5, 1.0, 0.5, 0.0), abs=1e-12)


def test_engine_reused_node_accumulates():
    a = Value(3.0)
    (a + a).backward()
    assert a.grad == 2.0
    a = Value(3.0)
    b = a * a
    (b + b).backward()
    assert a.grad == 12.0


def test_engine_backward_twice_accumulates_like_pytorch():
    a = Value(3.0)
    b = a * a
    b.backward()
    b.backward()
    assert a.grad == 12.0
    b.zero_grad()
    assert a.grad == 0.0 and b.grad == 0.0


def test_engine_deep_graph_has_no_recursion_limit():
    x = Value(0.5)
    y = x
    for _ in range(100_000):
        y = y * 1.0 + 0.0
    y.backward()
    assert x.grad == 1.0


def test_engine_keeps_micrograd_public_api():
    a = Value(2.0, label="a")
    b = a.exp().tanh().relu() - 1
    assert {"data", "grad", "backward"} <= set(dir(b))
    assert b._op and isinstance(b._prev, (tuple, set))
    assert a.label == "a"
    assert repr(Value(1.5)) == "Value(data=1.5, grad=0.0)"


# ---- every operation against sympy, at several points, domain edges included ----

import gc
import math
import operator

import sympy
from hypothesis import assume, given
from hypothesis import strategies as st

from diffcompare.engine import _reachable, gc_paused
from diffcompare.language.primitives import PRIMITIVES

# operation -> (the engine's spelling, sympy's spelling, points). The points include
# domain edges on purpose: saturated tanh and sigmoid, exp next to overflow, log and sqrt
# of the smallest and largest doubles. Kinks are pinned separately below.
UNARY_CASES = {
    "neg": (operator.neg, operator.neg, [-2.0, 0.0, 1.5]),
    "exp": (Value.exp, sympy.exp, [-745.0, -1.0, 0.0, 2.0, 709.0]),
    "log": (Value.log, sympy.log, [5e-324, 1e-300, 0.5, 1.0, 1e300]),
    "sqrt": (Value.sqrt, sympy.sqrt, [1e-300, 0.25, 2.0, 1e300]),
    "tanh": (Value.tanh, sympy.tanh, [-1000.0, -20.0, -0.5, 0.0, 1e-8, 0.5, 20.0, 1000.0]),
    "sigmoid": (Value.sigmoid, lambda x: 1 / (1 + sympy.exp(-x)),
                [-1000.0, -30.0, 0.0, 2.0, 30.0, 1000.0]),
    "relu": (Value.relu, lambda x: sympy.Max(0, x), [-1.0, 1e-300, 2.5]),
    "sin": (Value.sin, sympy.sin, [-3.0, 0.0, 1.5, 1e6]),
    "cos": (Value.cos, sympy.cos, [-3.0, 0.0, 1.5, 1e6]),
    "tan": (Value.tan, sympy.tan, [-1.2, 0.0, 1.4, 1.5707963267948966]),
    "abs": (Value.abs, sympy.Abs, [-2.0, -1e-300, 3.0]),
}

BINARY_CASES = {
    "add": (operator.add, [(1.5, -2.25), (0.0, 0.0), (1e300, 1e300)]),
    "sub": (operator.sub, [(1.5, -2.25), (0.1, 0.1), (-1e300, 1e300)]),
    "mul": (operator.mul, [(1.5, -2.25), (0.0, 3.0), (1e-200, 1e-200)]),
    "div": (operator.truediv, [(1.0, 3.0), (-2.5, 1e-300), (0.0, 2.0), (1e300, 1e-10)]),
    "pow": (operator.pow, [(2.0, 3.0), (1.5, 2.5), (0.5, -1.5), (2.0, 0.0), (1e-5, 0.5),
                           (10.0, 300.0)]),
}


def _exact(x: float) -> sympy.Rational:
    return sympy.Rational(*Fraction(x).as_integer_ratio())


def _sympy_value_and_slopes(function, point):
    symbols = sympy.symbols(f"s0:{len(point)}", real=True)
    expression = function(*symbols)
    at = {s: _exact(v) for s, v in zip(symbols, point)}
    # maxn: let evalf raise its precision far enough to resolve 1 - tanh(1000)**2.
    value = float(expression.xreplace(at).evalf(40, maxn=5000))
    slopes = [float(sympy.diff(expression, s).xreplace(at).evalf(40, maxn=5000))
              for s in symbols]
    return value, slopes


def _close(ours: float, exact: float) -> bool:
    # A few ulps: the engine does the float operations the exact formula describes.
    return ours == pytest.approx(exact, rel=4e-15, abs=1e-300)


@pytest.mark.parametrize("name", sorted(UNARY_CASES))
def test_engine_unary_value_and_gradient_match_sympy(name):
    ours, theirs, points = UNARY_CASES[name]
    for x in points:
        leaf = Value(x)
        out = ours(leaf)
        out.backward()
        value, (slope,) = _sympy_value_and_slopes(theirs, (x,))
        assert _close(out.data, value), (name, x, out.data, value)
        assert _close(leaf.grad, slope), (name, x, leaf.grad, slope)


@pytest.mark.parametrize("name", sorted(BINARY_CASES))
@pytest.mark.parametrize("form", ["value op value", "value op number", "number op value"])
def test_engine_binary_value_and_gradient_match_sympy(name, form):
    spelling, points = BINARY_CASES[name]
    for x, y in points:
        a, b = Value(x), Value(y)
        left = a if form != "number op value" else x
        right = b if form != "value op number" else y
        out = spelling(left, right)
        out.backward()
        value, (d_x, d_y) = _sympy_value_and_slopes(spelling, (x, y))
        assert _close(out.data, value), (name, form, x, y)
        if isinstance(left, Value):
            assert _close(a.grad, d_x), (name, form, x, y, a.grad, d_x)
        if isinstance(right, Value):
            assert _close(b.grad, d_y), (name, form, x, y, b.grad, d_y)


# ---- kinks and domain edges: the documented conventions ----


@pytest.mark.parametrize("build, x, value, slope", [
    (Value.relu, 0.0, 0.0, 0.0),  # relu'(0) = 0, as micrograd and PyTorch
    (Value.abs, 0.0, 0.0, 0.0),  # abs'(0) = 0, as PyTorch
    (Value.sqrt, 0.0, 0.0, math.inf),  # the slope at 0 is infinite
    (lambda v: v ** 2.0, 0.0, 0.0, 0.0),
    (lambda v: 0.0 ** v, 2.0, 0.0, 0.0),  # 0**y is 0 for every y near 2: slope 0
])
def test_engine_kinks_take_the_documented_values(build, x, value, slope):
    leaf = Value(x)
    out = build(leaf)
    out.backward()
    assert (out.data, leaf.grad) == (value, slope)


def test_engine_tanh_of_plus_minus_1000_is_plus_minus_one_with_finite_gradient():
    for x, sign in [(1000.0, 1.0), (-1000.0, -1.0)]:
        leaf = Value(x)
        out = leaf.tanh()
        out.backward()
        assert out.data == sign
        assert math.isfinite(leaf.grad) and leaf.grad >= 0.0


def test_engine_tanh_gradient_keeps_relative_accuracy_where_1_minus_tanh_squared_is_0():
    leaf = Value(20.0)
    leaf.tanh().backward()
    exact = float((1 / sympy.cosh(20) ** 2).evalf(30))
    assert 1 - math.tanh(20.0) ** 2 == 0.0  # micrograd's rule loses it entirely
    assert leaf.grad == pytest.approx(exact, rel=1e-14)


def test_engine_sigmoid_gradient_keeps_relative_accuracy_for_large_x():
    # Regression: the table's rule was out*(1 - out), which is 0 from x = 37 on and
    # wrong in the 4th digit at x = 30.
    for x in (30.0, 40.0, -40.0):
        leaf = Value(x)
        leaf.sigmoid().backward()
        exact = float((sympy.exp(-abs(x)) / (1 + sympy.exp(-abs(x))) ** 2).evalf(30))
        assert leaf.grad == pytest.approx(exact, rel=1e-14)


def test_engine_power_with_value_exponent_and_number_base():
    x = Value(0.3)
    out = 2 ** x
    out.backward()
    assert out.data == pytest.approx(2 ** 0.3, rel=1e-15)
    assert x.grad == pytest.approx(2 ** 0.3 * math.log(2), rel=1e-15)
    base, exponent = Value(1.5), Value(2.5)
    (base ** exponent).backward()
    assert base.grad == pytest.approx(2.5 * 1.5 ** 1.5, rel=1e-15)
    assert exponent.grad == pytest.approx(1.5 ** 2.5 * math.log(1.5), rel=1e-15)


def test_engine_negative_base_with_fractional_exponent_is_nan_not_a_crash():
    base, exponent = Value(-8.0), Value(0.5)
    out = base ** exponent
    out.backward()
    assert math.isnan(out.data) and math.isnan(base.grad) and math.isnan(exponent.grad)
    assert math.isnan((Value(-2.0) ** 1.5).data)


def test_engine_negative_base_with_integer_exponent_has_a_value_and_a_nan_exponent_slope():
    base, exponent = Value(-2.0), Value(3.0)
    out = base ** exponent
    out.backward()
    assert (out.data, base.grad) == (-8.0, 12.0)
    assert math.isnan(exponent.grad)  # (-2)**y is not real for y near 3


@pytest.mark.parametrize("build, error", [
    (lambda: Value(0.0).log(), ValueError),
    (lambda: Value(-1.0).log(), ValueError),
    (lambda: Value(-1.0).sqrt(), ValueError),
    (lambda: Value(1.0) / 0, ZeroDivisionError),
    (lambda: Value(1.0) / Value(0.0), ZeroDivisionError),
    (lambda: 1 / Value(0.0), ZeroDivisionError),
    (lambda: Value(0.0) ** -1, ZeroDivisionError),
    (lambda: Value(1000.0).exp(), OverflowError),
])
def test_engine_outside_the_domain_raises_like_the_math_module(build, error):
    with pytest.raises(error):
        build()


# ---- the inlined operators use the table's local derivatives ----

finite = st.floats(min_value=-1e150, max_value=1e150, allow_nan=False, allow_infinity=False)


@given(finite, finite)
def test_engine_inlined_add_sub_mul_equal_the_table(x, y):
    for name, spelling in [("add", operator.add), ("sub", operator.sub),
                           ("mul", operator.mul)]:
        table = PRIMITIVES[name]
        out = spelling(Value(x), Value(y))
        assert out.data == table.evaluate(x, y)
        assert (out._da, out._db) == table.derivative(x, y, out.data)
        d_x, d_y = table.derivative(x, y, out.data)
        assert spelling(Value(x), y)._da == d_x  # value op number
        assert spelling(x, Value(y))._da == d_y  # number op value


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_engine_inlined_neg_and_tanh_equal_the_table(x):
    for name, out in [("neg", -Value(x)), ("tanh", Value(x).tanh())]:
        table = PRIMITIVES[name]
        assert out.data == table.evaluate(x)
        assert out._da == table.derivative(x, out.data)
        assert out._op == (name if name != "neg" else "neg")


# ---- backward(): accumulation, shared nodes, the graph's bookkeeping ----


def test_engine_backward_twice_doubles_every_grad_intermediates_included():
    a = Value(1.5)
    b = (a * a).tanh()
    c = b * 3.0 + a
    c.backward()
    first = {id(n): n.grad for n in _reachable(c)}
    c.backward()
    assert all(n.grad == 2 * first[id(n)] for n in _reachable(c))


def test_engine_zero_grad_clears_every_node():
    a = Value(1.5)
    c = (a * a).tanh() + a
    c.backward()
    c.zero_grad()
    assert all(n.grad == 0.0 for n in _reachable(c))


def test_engine_two_outputs_sharing_a_subgraph_each_add_their_gradient():
    x = Value(0.5)
    shared = x.tanh() * x
    first, second = shared * 2.0, shared + x
    first.backward()
    after_first = x.grad
    second.backward()
    exact_shared = (1 - math.tanh(0.5) ** 2) * 0.5 + math.tanh(0.5)
    assert after_first == pytest.approx(2 * exact_shared, rel=1e-15)
    assert x.grad == pytest.approx(3 * exact_shared + 1, rel=1e-15)


def test_engine_backward_leaves_every_parent_count_at_zero():
    x = Value(0.5)
    y = x
    for _ in range(50):
        y = y * x + y.tanh()
    y.backward()
    assert all(n._pending == 0 for n in _reachable(y))


def test_engine_interrupted_backward_leaves_the_graph_usable():
    class Interrupting(float):
        def __mul__(self, other):
            raise KeyboardInterrupt

    x = Value(2.0)
    y = x * 3.0
    z = y * y
    y._da = Interrupting(3.0)
    with pytest.raises(KeyboardInterrupt):
        z.backward()
    assert all(n._pending == 0 for n in _reachable(z))
    y._da = 3.0
    z.zero_grad()
    z.backward()
    assert x.grad == 2 * 6.0 * 3.0


def test_engine_backward_allocates_nothing_the_garbage_collector_tracks():
    collections = []

    def record(phase, info):
        if phase == "start":
            collections.append(info["generation"])

    x = Value(0.5)
    y = x
    for _ in range(20_000):
        y = (y * 1.0001 + 0.1).tanh()
    gc.collect()
    gc.callbacks.append(record)
    try:
        y.backward()
    finally:
        gc.callbacks.remove(record)
    assert collections == []


def test_engine_gc_paused_restores_the_collector():
    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()  # it was off before: it stays off
    finally:
        gc.enable()


# ---- a million nodes, deep and wide ----


def test_engine_million_node_chain_backpropagates():
    factor = 1.0000001
    x = Value(1.0)
    y = x
    for _ in range(1_000_000):
        y = y * factor
    y.backward()
    expected = 1.0
    for _ in range(1_000_000):
        expected *= factor
    assert x.grad == expected


def test_engine_million_node_fan_in_backpropagates():
    x = Value(0.5)
    total = x
    for _ in range(1_000_000):
        total = total + x  # x feeds every one of the million nodes
    total.backward()
    assert x.grad == 1_000_001.0


# ---- against an independent reference: forward-mode dual numbers ----


class Dual:
    """value + slope·ε, with the textbook derivative rules written out here."""

    def __init__(self, value, slope=0.0):
        self.value, self.slope = value, slope

    def __add__(self, other):
        return Dual(self.value + other.value, self.slope + other.slope)

    def __sub__(self, other):
        return Dual(self.value - other.value, self.slope - other.slope)

    def __mul__(self, other):
        return Dual(self.value * other.value,
                    self.slope * other.value + self.value * other.slope)

    def tanh(self):
        return Dual(math.tanh(self.value), self.slope / math.cosh(self.value) ** 2)

    def sin(self):
        return Dual(math.sin(self.value), self.slope * math.cos(self.value))

    def sigmoid(self):
        s = 1 / (1 + math.exp(-self.value))
        return Dual(s, self.slope * s * (1 - s))


PROGRAM_OPS = ["add", "sub", "mul", "tanh", "sin", "sigmoid"]


def _run(program, inputs):
    values = list(inputs)
    for op, i, j in program:
        a, b = values[i % len(values)], values[j % len(values)]
        if op in ("add", "sub", "mul"):
            values.append(getattr(operator, op)(a, b))
        else:
            values.append(getattr(a, op)())
    return values[-1]


@given(st.lists(st.tuples(st.sampled_from(PROGRAM_OPS), st.integers(0, 50),
                          st.integers(0, 50)), min_size=1, max_size=25),
       st.lists(st.floats(-2, 2), min_size=3, max_size=3))
def test_engine_gradient_of_random_programs_matches_dual_numbers(program, inputs):
    leaves = [Value(v) for v in inputs]
    out = _run(program, leaves)
    assume(math.isfinite(out.data) and abs(out.data) < 1e6)
    out.backward()
    for k in range(3):
        duals = [Dual(v, 1.0 if i == k else 0.0) for i, v in enumerate(inputs)]
        slope = _run(program, duals).slope
        assert leaves[k].grad == pytest.approx(slope, rel=1e-9, abs=1e-9)


# ---- micrograd's API, numbers of every kind ----


def test_engine_operators_take_ints_fractions_and_bools_and_refuse_text():
    x = Value(2.0)
    assert (x * 3).data == 6.0 and (3 * x).data == 6.0
    assert (x + Fraction(1, 2)).data == 2.5
    assert (x - True).data == 1.0
    assert isinstance((x * 3).data, float)
    with pytest.raises(TypeError):
        x + "1"
    with pytest.raises(TypeError):
        "1" * x


def test_engine_prev_lists_each_child_once_like_micrograds_set():
    a, b = Value(1.0), Value(2.0)
    assert (a * a)._prev == (a,)
    assert set((a * b)._prev) == {a, b}
    assert (a * 2)._prev == (a,)
    assert a._prev == ()


def test_engine_constructor_takes_children_and_their_local_derivatives():
    a, b = Value(1.0), Value(2.0)
    c = Value(3.0, (a, b), "+", _local=(1.0, 1.0))
    c.backward()
    assert (a.grad, b.grad, c._op) == (1.0, 1.0, "+")
    with pytest.raises(ValueError):
        Value(1.0, (a, b, c), "sum3", _local=(1.0, 1.0, 1.0))
    with pytest.raises(ValueError):
        Value(1.0, (a,), "?")  # a child without its local derivative
