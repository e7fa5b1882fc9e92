"""The pytest helper, the math functions and the tracer behind it."""

import importlib.util
import math
import os
import subprocess
import sys
import textwrap

import pytest
from helpers import ROOT

from diffcompare import InputError, Value, parse
from diffcompare.check.user_engine import load
from diffcompare.functions import abs as abs_
from diffcompare.functions import exp, log, relu, sigmoid, sin, sqrt, tan, tanh
from diffcompare.language.expression import evaluate_float
from diffcompare.language.trace import trace
from diffcompare.testing import assert_gradients_agree

ENGINES = ROOT / "tests" / "engines"


def neuron(x, w, b):
    return tanh(x * w + b)


def test_assert_gradients_agree_on_a_function_returns_the_comparison():
    comparison = assert_gradients_agree(neuron, x=0.5, w=-1.2, b=0.3)
    assert comparison.agree and comparison.expression.variables == ("x", "w", "b")
    assert comparison.reference.gradient["b"] == pytest.approx(1 - math.tanh(-0.3) ** 2)


def test_assert_gradients_agree_on_an_expression_string():
    assert assert_gradients_agree("x**2*sin(y) + tanh(x*y)", x=1, y=2).agree


def test_assert_gradients_agree_fails_with_the_side_by_side_table():
    with pytest.raises(AssertionError) as caught:
        assert_gradients_agree(neuron, x=0.5, w=-1.2, b=0.3,
                               engine=load(f"{ENGINES / 'wrong_tanh.py'}:Value"))
    message = str(caught.value)
    for words in ("symbolic (exact)", "autograd", "finite difference", "wrong_tanh.py:Value",
                  "df/dw", "DISAGREE: wrong_tanh.py:Value df/dx"):
        assert words in message


def test_assert_gradients_agree_fails_at_a_kink():
    # relu'(0) does not exist: sympy's Heaviside(0) is 1/2, the engine's convention is 0;
    # the verdict names the kink rather than claiming agreement.
    with pytest.raises(AssertionError, match="KINK"):
        assert_gradients_agree(lambda x: relu(x), x=0.0)


def test_assert_gradients_agree_fails_where_f_is_undefined():
    with pytest.raises(AssertionError, match="UNDEFINED"):
        assert_gradients_agree("log(x)", x=-1)


def test_assert_gradients_agree_with_a_correct_engine_passes():
    comparison = assert_gradients_agree(neuron, x=0.5, w=-1.2, b=0.3,
                                        engine=load(f"{ENGINES / 'correct.py'}:Value"))
    assert [result.method for result in comparison.methods][-1] == "correct.py:Value"


def test_assert_gradients_agree_names_a_missing_variable():
    with pytest.raises(InputError, match="takes w, b but no value was given"):
        assert_gradients_agree(neuron, x=0.5)


def test_assert_gradients_agree_refuses_math_module_functions():
    with pytest.raises(InputError, match="diffcompare.functions"):
        assert_gradients_agree(lambda x: math.sin(x), x=0.5)


def test_assert_gradients_agree_refuses_branches_on_a_variable():
    with pytest.raises(InputError, match="relu or abs"):
        assert_gradients_agree(lambda x: x if x > 0 else -x, x=0.5)


def test_assert_gradients_agree_works_in_a_users_pytest(tmp_path):
    (tmp_path / "test_mine.py").write_text(textwrap.dedent("""
        from diffcompare.functions import sin, exp
        from diffcompare.testing import assert_gradients_agree

        def f(x, y):
            return sin(x) * exp(-y) + x / y

        def test_f_agrees():
            assert_gradients_agree(f, x=0.3, y=1.7)

        def test_a_wrong_engine_fails():
            from diffcompare.check.user_engine import load
            assert_gradients_agree(lambda x: x**3, x=1.5,
                                   engine=load(%r))
    """ % f"{ENGINES / 'pow_off_by_one.py'}:Value"))
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           str(tmp_path / "test_mine.py")], capture_output=True, text=True,
                          timeout=120, cwd=tmp_path,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert "1 failed, 1 passed" in done.stdout, done.stdout + done.stderr
    assert "pow_off_by_one.py:Value" in done.stdout and "DISAGREE" in done.stdout


# ---- the functions: floats, our Value, a user's Value, traced ----

FUNCTIONS = [sin, tan, exp, log, sqrt, tanh, sigmoid, relu, abs_]


@pytest.mark.parametrize("function", FUNCTIONS, ids=lambda f: f.__name__)
def test_functions_agree_on_floats_and_on_value(function):
    x = 0.7
    value = Value(x)
    out = function(value)
    out.backward()
    assert out.data == function(x)
    h = 1e-6
    assert value.grad == pytest.approx((function(x + h) - function(x - h)) / (2 * h), rel=1e-6)


def test_functions_call_a_users_own_method():
    spec = importlib.util.spec_from_file_location("correct_engine", ENGINES / "correct.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # the test's own import: check never imports it here
    cls = module.Value
    out = tanh(cls(0.5))
    assert isinstance(out, cls) and out.data == math.tanh(0.5)


def test_functions_refuse_what_is_not_a_number():
    with pytest.raises(TypeError, match="sin\\(\\) takes a number"):
        sin("0.5")


# ---- the tracer ----


def test_trace_micrograd_style_methods_and_operators():
    expression = trace(lambda x, y: (x * y).tanh() + 2 ** x - y / 3, ["x", "y"])
    assert expression.text == "tanh(x*y) + 2**x - y/3"


def test_trace_unused_variable_has_derivative_zero():
    comparison = assert_gradients_agree(lambda x, y: x * 2, x=1.0, y=3.0)
    assert comparison.reference.gradient["y"] == 0.0
    assert comparison.methods[0].gradient["y"] == 0.0


@pytest.mark.parametrize("function", [
    lambda x, y: -(x - y) / (x * y) ** -2,
    lambda x, y: (-x) ** 2 - x ** y ** 2 - (x - (y - x)),
    lambda x, y: x / (y / x) - -x * 3,
    lambda x, y: abs_(x - y) * -1.5 + sqrt(x * x),
])
def test_trace_text_parses_back_to_the_same_function(function):
    expression = trace(function, ["x", "y"])
    point = {"x": 1.3, "y": 0.7}
    # Same tree, same float operations in the same order: exactly the same number.
    assert evaluate_float(parse(expression.text), point) == function(**point)


def test_trace_shared_node_stays_shared():
    def f(x):
        u = sin(x) * x
        return u * u + u

    expression = trace(f, ["x"])
    assert expression.size == 5  # x, sin(x), u = sin(x)*x, u*u, u*u + u: u is one node
    assert expression.text == "sin(x)*x*(sin(x)*x) + sin(x)*x"


def test_functions_where_and_max_trace_to_text_that_parses_back():
    from diffcompare.functions import max as maximum
    from diffcompare.functions import sqrt, where
    from diffcompare.language.trace import trace

    expression = trace(lambda x, y: where(x > y, sqrt(x), -x) + maximum(x, 2 * y), ["x", "y"])
    assert expression.text == "where(x > y, sqrt(x), -x) + max(x, 2*y)"
    assert assert_gradients_agree(lambda x, y: where(x > y, sqrt(x), -x), x=2.0, y=1.0).agree


def test_functions_comparison_used_as_a_number_is_refused():
    from diffcompare.language.trace import trace

    with pytest.raises(InputError, match="comparison x > 0 as a number"):
        trace(lambda x: (x > 0) * 2, ["x"])


def test_assert_gradients_agree_takes_the_point_as_a_mapping_with_options():
    by_keyword = assert_gradients_agree("x**2*sin(y)", at={"x": 1.0, "y": 2.0}, rtol=1e-9)
    by_position = assert_gradients_agree("x**2*sin(y)", {"x": 1.0, "y": 2.0})
    old_form = assert_gradients_agree("x**2*sin(y)", x=1.0, y=2.0)
    assert by_keyword.point == by_position.point == old_form.point
    assert by_keyword.errors["autograd"]["x"].bound is None  # rtol replaced the bound
    with pytest.raises(AssertionError):
        assert_gradients_agree("x**2*sin(y)", at={"x": 1.0, "y": 2.0}, rtol=0.0, atol=0.0,
                               engine=load(f"{ROOT / 'tests' / 'engines' / 'pow_off_by_one.py'}:Value"))


def test_assert_gradients_agree_positional_numbers_with_diffcompare_functions():
    # Regression: "f failed on traced arrays (TypeError: sin() takes a number ... not
    # TracedArray)": Python numbers as positional inputs are 0-d traced arrays.
    np = pytest.importorskip("numpy")
    from diffcompare.gradients import check_gradients

    check = assert_gradients_agree(lambda x, y: x**2 * sin(y) + tanh(x * y), 1.0, 2.0)
    assert check.ok and check.reference == "exact"
    assert [e.label for e in check.entries] == ["x", "y"]
    assert check_gradients(lambda x: np.sum(sin(x) * x), np.array([0.5, -1.0])).ok


def test_diffcompare_function_on_a_plain_array_says_to_use_numpy():
    np = pytest.importorskip("numpy")
    with pytest.raises(TypeError, match="for arrays use numpy's np.sin"):
        sin(np.array([1.0]))
