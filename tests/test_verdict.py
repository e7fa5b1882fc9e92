"""The verdict from error bounds: each method is held to SAFETY_FACTOR times a bound on its
own error computed in the same run, and every NaN autograd gives is explained by its cause."""

from fractions import Fraction

import pytest
from helpers import ROOT

from diffcompare import compare
from diffcompare.check import user_engine, user_graph
from diffcompare.compare import METHODS, SAFETY_FACTOR
from diffcompare.language.parse import parse
from diffcompare.language.rounding import UNIT_ROUNDOFF, value_bound
from diffcompare.methods import autograd
from diffcompare.present import verdict_text

WRONG_TANH = f"{ROOT / 'tests' / 'engines' / 'wrong_tanh.py'}:Value"


def test_verdict_exact_zero_is_judged_on_the_absolute_bound():
    # central differences give h² ≈ 1.5e-11 for d/dx x**3 at 0, and say so
    result = compare("x**3", at="x=0")
    error = result.errors["finite_difference"]["x"]
    assert error.absolute > 0 and error.bound is not None
    assert error.absolute <= SAFETY_FACTOR * error.bound
    assert result.verdict.status == "agree", verdict_text(result.verdict)


def test_verdict_large_constant_term_does_not_hide_a_wrong_engine():
    engine = user_engine.load(WRONG_TANH)
    methods = {**METHODS, user_engine.name_of(engine): user_graph.method(engine)}
    result = compare("1e9*y + tanh(x)", at="x=0.5,y=3", methods=methods)
    assert result.verdict.status == "disagree"
    blamed = {(f.method, f.quantity) for f in result.verdict.failures}
    assert blamed == {(user_engine.name_of(engine), "x")}
    # the bound on df/dx is tied to tanh's part, not to the 3e9 of f
    assert result.verdict.failures[0].error.bound < 1e-12


def test_verdict_ill_conditioned_f_is_judged_by_what_floats_allow():
    result = compare("log(1 + (y**2*cos(4*x - 3)*tanh(y))**2)", at="x=0.3,y=0.1")
    assert result.verdict.status == "agree", verdict_text(result.verdict)
    # f ≈ 5e-8 but the rounding of 1 + u is ~1e-16: far above ε·|f|
    bound = value_bound(result.expression, result.point)
    assert bound > 100 * UNIT_ROUNDOFF * abs(result.reference.value)


def test_verdict_wrong_by_more_than_the_bound_disagrees():
    def nudged(expression, point):
        right = autograd.differentiate(expression, point)
        gradient = {name: g * (1 + 1e-12) for name, g in right.gradient.items()}
        return type(right)(**{**right.__dict__, "method": "nudged", "gradient": gradient})

    result = compare("sin(x)*exp(x)", at="x=1.3", methods={**METHODS, "nudged": nudged})
    assert result.verdict.status == "disagree"
    assert {f.method for f in result.verdict.failures} == {"nudged"}


def test_verdict_user_rtol_and_atol_replace_the_bounds():
    loose = compare("x**2", at="x=3", methods={**METHODS, "off": _off_by(1e-6)}, rtol=1e-5)
    assert loose.agree and loose.errors["off"]["x"].bound is None
    tight = compare("x**2", at="x=3", methods={**METHODS, "off": _off_by(1e-6)}, rtol=1e-8)
    assert tight.verdict.status == "disagree"
    absolute = compare("x**2", at="x=0", methods={**METHODS, "off": _shifted(1e-9)}, atol=1e-8)
    assert absolute.agree


def _off_by(relative):
    def off(expression, point):
        right = autograd.differentiate(expression, point)
        return type(right)(**{**right.__dict__, "method": "off",
                              "gradient": {n: g * (1 + relative) for n, g in right.gradient.items()}})
    return off


def _shifted(amount):
    def shifted(expression, point):
        right = autograd.differentiate(expression, point)
        return type(right)(**{**right.__dict__, "method": "off",
                              "gradient": {n: g + amount for n, g in right.gradient.items()}})
    return shifted


def test_autograd_rounding_bound_holds_on_a_long_sum():
    # 0.1 added 1000 times: the float sum drifts, the bound covers the drift
    text = " + ".join(["0.1*x"] * 1000)
    result = autograd.differentiate(parse(text), {"x": Fraction(1)})
    exact = 100
    assert abs(result.value - exact) <= result.error_bounds["value"]
    assert result.error_bounds["value"] < 1e-10


def test_autograd_nan_from_a_dead_branch_is_named_at_the_sqrt():
    # sqrt(x**2)**2 at 0: d/dx is 0 exactly, the engine meets inf·0 at the sqrt node
    result = compare("sqrt(x**2)**2", at="x=0")
    assert result.reference.exact["x"] is not None and float(result.reference.exact["x"]) == 0
    found = result.methods[0].details["non_finite"]["x"]
    assert (found.op, found.cause) == ("sqrt", autograd.DEAD_BRANCH)
    text = verdict_text(result.verdict)
    assert "∞·0" in text and "sqrt" in text and "no real derivative" not in text


@pytest.mark.parametrize("text, at, cause", [
    ("sqrt(relu(x))", "x=-1", autograd.DEAD_BRANCH),
    ("sqrt(x)", "x=0", autograd.INFINITE_SLOPE),
    ("x**y", "x=-2,y=2", autograd.NOT_REAL),
])
def test_autograd_nan_and_inf_are_explained_by_cause(text, at, cause):
    expression = parse(text)
    from diffcompare.language.point import parse_point

    result = autograd.differentiate(expression, parse_point(at, expression))
    causes = {found.cause for found in result.details["non_finite"].values()}
    assert cause in causes, result.reasons


def test_verdict_jump_of_sign_at_0_is_not_agreement():
    # sign(x) at 0 read AGREE, exit 0: sympy failed on f, and central differences' 262144
    # passed "within its bound"; f is not continuous there, so it has no derivative
    result = compare("sign(x)", at="x=0")
    assert result.verdict.status == "kink"
    assert [k.variable for k in result.verdict.kinks if k.jump] == ["x"]
    assert result.errors["finite_difference"]["x"].within is None
    assert "f jumps in x" in verdict_text(result.verdict)


def test_verdict_assert_gradients_agree_fails_at_a_jump():
    from diffcompare.testing import assert_gradients_agree
    with pytest.raises(AssertionError):
        assert_gradients_agree("sign(x)", x=0.0)


def test_verdict_atan2_branch_cut_is_a_jump():
    # atan2(y, x) at x = -1, y = 0 read AGREE with df/dy = 823548 from central differences
    result = compare("atan2(y,x)", at="x=-1,y=0")
    assert result.verdict.status == "kink"
    assert [k.variable for k in result.verdict.kinks] == ["y"]
    assert "atan2(y, x)" in verdict_text(result.verdict)
    # off the cut atan2 stays smooth
    assert compare("atan2(y,x)", at="x=1,y=0").verdict.status == "agree"


def test_verdict_stencil_with_no_correct_digit_is_not_a_pass():
    # without the kink search, the straddled cut leaves central differences' 823548 for -1
    # "within its bound": such a pass says nothing, and is "not judged" instead
    from diffcompare.compare import distrust_unreliable, measure
    result = compare("atan2(y,x)", at="x=-1,y=0")
    fd = next(r for r in result.methods if r.method == "finite_difference")
    error = measure(fd.number("y"), result.reference, "y", 1e-5, fd.error_bounds["y"])
    assert error.within and error.digits == 0
    distrusted = distrust_unreliable({"finite_difference": {"y": error}}, [fd])
    judged = distrusted["finite_difference"]["y"]
    assert judged.within is None and "no digit of" in judged.unreliable


def test_verdict_subnormal_point_bound_includes_rounding_the_point():
    # sqrt(x) at 1e-320 read DISAGREE: the point's rounding to a double (a relative gap
    # of 1e-5 there) underflowed to 0 in the bound, which was 2.2e-176 for an error of
    # 5.6e-166; and the step relative to |x| underflowed, so finite differences gave none
    from diffcompare.language.rounding import SMALLEST_DOUBLE, point_error
    assert point_error(Fraction("1e-320")) == SMALLEST_DOUBLE
    result = compare("sqrt(x)", at="x=1e-320")
    assert result.verdict.status == "agree", verdict_text(result.verdict)


def test_verdict_subnormal_point_stencil_out_of_range_is_not_judged():
    # x**2 at 1e-320: central differences' 0.0 for 2e-320, with an error estimate of
    # 6e-22, was "held to 2.4e+299"; a bound that large says nothing
    result = compare("x**2", at="x=1e-320")
    error = result.errors["finite_difference"]["x"]
    assert error.within is None and error.unreliable
    assert "the stencil is unreliable here" in verdict_text(result.verdict)


def test_verdict_names_the_tolerance_the_user_gave():
    # --atol 1e-3 alone printed "within 0.011", a relative equivalent
    text = verdict_text(compare("exp(-x)", at="x=2.4", atol=1e-3).verdict)
    assert text.startswith("AGREE") and "within atol 0.001 (" in text and "0.011" not in text


def test_verdict_exact_value_shows_more_digits_when_it_prints_as_the_estimate():
    # rtol 0 printed "f = 2.718281828459045 but exact is 2.718281828459045"
    text = verdict_text(compare("exp(x)", at="x=1", rtol=0).verdict)
    assert "f = 2.718281828459045 but exact is 2.718281828459045235" in text
    assert "allowed by rtol 0" in text


def test_verdict_groups_alike_kinks_into_one_clause():
    # 60 abs terms at 0 made a verdict line of 5,031 characters, one clause per variable
    from diffcompare.compare import Verdict
    from diffcompare.methods.kinks import Kink
    found = tuple(Kink(f"x{i}", "-1", "1", (f"abs(x{i})",), ("abs",)) for i in range(60))
    text = verdict_text(Verdict("kink", kinks=found))
    assert "60 variables, x0 … x59" in text and "x17" not in text and len(text) < 400
    # two alike kinks are still said one by one
    two = verdict_text(compare("abs(x) + abs(y)", at="x=0,y=0").verdict)
    assert "kink in x here (abs(x) at 0)" in two and "kink in y here (abs(y) at 0)" in two


@pytest.mark.parametrize("text, at", [("sqrt(x)*y", "x=1e-320,y=2"),
                                      ("x*y", "x=1e-320,y=1e-320"),
                                      ("exp(x)*y", "x=1e-320,y=1e-320")])
def test_verdict_subnormal_values_round_absolutely(text, at):
    # sqrt(x)*y: the sensitivity |Δd|·F/step underflowed to 0 (bound 4e-176 on df/dy for
    # an error of 1e-164); x*y and exp(x)*y: f is subnormal, rounded to a multiple of
    # 4.9e-324, which u·|f| missed, so central differences' 0.0 failed "8 × 0"
    result = compare(text, at=at)
    assert result.verdict.status == "agree", verdict_text(result.verdict)


def test_verdict_a_method_judged_on_some_numbers_only_is_partly_not_judged():
    # "finite difference not judged (...)" and "finite_difference (central) within 8×"
    # stood side by side in one AGREE: its f was judged, its df/dx (no digit certain) not.
    text = verdict_text(compare("exp(-x)", at="x=1000").verdict)
    assert text.startswith("AGREE") and "finite difference partly not judged" in text
    assert "within" in text.split("finite_difference (central)")[1]
