"""Forward mode: dual numbers over the tree (methods.forward) and for Value users (dual)."""

import math
from fractions import Fraction

import pytest

from diffcompare import Value
from diffcompare.compare import compare
from diffcompare.dual import Dual, jvp
from diffcompare.language.corpus import CORPUS
from diffcompare.language.parse import parse
from diffcompare.language.point import parse_point
from diffcompare.methods import autograd, forward

# Forward and reverse mode do the same float operations in another order: a few ulps.
FORWARD_REVERSE_AGREEMENT = 1e-14


@pytest.mark.parametrize("case", CORPUS, ids=lambda case: case.name)
def test_forward_gradient_matches_reverse_mode_on_the_corpus(case):
    expression = parse(case.expression)
    point = parse_point(case.at, expression)
    by_forward = forward.differentiate(expression, point)
    by_reverse = autograd.differentiate(expression, point)
    for name in expression.variables:
        assert by_forward.gradient[name] == pytest.approx(
            by_reverse.gradient[name], rel=FORWARD_REVERSE_AGREEMENT, abs=1e-300), name


def test_forward_counts_one_pass_per_input():
    result = forward.differentiate(parse("sin(x*y*z) + z"), {n: Fraction(1) for n in "xyz"})
    assert result.details["passes"] == 3 and result.cost.evaluations == 3


def test_forward_is_a_column_of_compare_and_agrees():
    result = compare("x**2*sin(y) + tanh(x*y)", at="x=1,y=2")
    assert "forward" in result.errors and result.agree
    assert all(error.within for error in result.errors["forward"].values())


def test_forward_undefined_point_gives_a_reason_not_a_crash():
    result = forward.differentiate(parse("log(x)"), {"x": Fraction(-1)})
    assert result.value is None and "log(-1.0)" in result.reasons["x"]


def test_forward_nan_partial_of_a_constant_direction_does_not_leak():
    # x**y at x < 0: no real partial in y, but the partial in x exists (2·x = -4)
    result = forward.differentiate(parse("x**y"), {"x": Fraction(-2), "y": Fraction(2)})
    assert result.gradient["x"] == -4.0 and result.gradient["y"] is None


def test_dual_runs_a_function_written_for_value_unchanged():
    def f(x, y):
        return (x * y + x ** 2).tanh() + y.exp() / (1 + x.sigmoid())

    def reverse(xs):
        leaves = [Value(v) for v in xs]
        f(*leaves).backward()
        return [leaf.grad for leaf in leaves]

    grad = reverse([0.3, -0.7])
    for j in range(2):
        _, tangent = jvp(f, [0.3, -0.7], [float(i == j) for i in range(2)])
        assert tangent == pytest.approx(grad[j], rel=FORWARD_REVERSE_AGREEMENT)


def test_jvp_of_a_vector_function_is_a_jacobian_column():
    out, tangent = jvp(lambda x, y: (x * y, x.sin()), [2.0, 3.0], [1.0, 0.0])
    assert out == (6.0, math.sin(2.0)) and tangent == (3.0, math.cos(2.0))


def test_jvp_refuses_mismatched_lengths():
    with pytest.raises(ValueError, match="as many directions as inputs"):
        jvp(lambda x: x, [1.0], [1.0, 0.0])


def test_dual_outside_the_domain_raises_like_value():
    with pytest.raises(ValueError, match="log"):
        Dual(-1.0, 1.0).log()
