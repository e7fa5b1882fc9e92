"""The verdict reads the expression as the user wrote it (issue 11, §2 and §3).

- defined or not is decided on the user's tree at the exact point, not on sympy's
  simplified form (x/x is 1 to sympy);
- where sympy's derivative formula is indeterminate (0/0, ∞·0) but f as written has a
  derivative, the reference is a limit, and the verdict says so;
- kinks that only sympy's form shows (sqrt(x**2) is Abs(x)) are kinks;
- a finite-difference stencil that straddles a kink near the point is named, with the
  distance, and not judged.
"""

from __future__ import annotations

from fractions import Fraction

import pytest

from diffcompare import compare
from diffcompare.cli import main
from diffcompare.language.parse import parse
from diffcompare.language.rounding import value_bound
from diffcompare.methods import as_written
from diffcompare.present import report, verdict_text

EXIT = {"agree": 0, "disagree": 1, "kink": 3, "undefined": 3}


def _cli_status(text: str, at: str, capsys) -> int:
    status = main([text, "--at", at])
    capsys.readouterr()
    return status


@pytest.mark.parametrize("text, at", [
    ("x/x", "x=0"), ("exp(log(x))", "x=-1"), ("x*y/y", "x=1,y=0"), ("sin(x)/x", "x=0"),
    ("(x**2 - 1)/(x - 1)", "x=1"), ("x**2*log(x)", "x=0"),
])
def test_as_written_undefined_on_the_users_tree(text, at, capsys):
    result = compare(text, at=at)
    assert result.verdict.status == "undefined"
    assert "as written" in result.reference.reasons["value"]
    assert "UNDEFINED" in verdict_text(result.verdict)
    assert _cli_status(text, at, capsys) == 3


def test_as_written_names_the_node_that_fails():
    assert as_written.fault(parse("x/x"), {"x": Fraction(0)}) == "div(0, 0) is undefined (NaN)"
    assert as_written.fault(parse("exp(log(x))"), {"x": Fraction(-1)}) == (
        "log(-1) is not a real number")


def test_as_written_where_keeps_only_the_selected_branch_fault():
    assert as_written.fault(parse("where(x > 0, sqrt(x), x)"), {"x": Fraction(-1)}) is None


@pytest.mark.parametrize("text, at, gradient", [
    ("x**y", "x=0,y=1", {"x": 1.0, "y": 0.0}),
    ("x**y", "x=0,y=2", {"x": 0.0, "y": 0.0}),
    ("x**(2*y)", "x=0,y=1", {"x": 0.0, "y": 0.0}),
    ("3*x**y", "x=0,y=1", {"x": 3.0, "y": 0.0}),
])
def test_limit_reference_where_sympys_formula_is_indeterminate(text, at, gradient, capsys):
    result = compare(text, at=at)
    assert result.verdict.status == "agree"
    assert result.reference.gradient == gradient
    assert set(result.verdict.from_limit) == set(gradient)
    assert "from a limit" in verdict_text(result.verdict)
    assert _cli_status(text, at, capsys) == 0


@pytest.mark.parametrize("text, at, variable, left, right", [
    ("sqrt(x**2)", "x=0", "x", -1.0, 1.0),
    ("sqrt((x - 1)**2)", "x=1", "x", -1.0, 1.0),
    ("(x**2)**0.5", "x=0", "x", -1.0, 1.0),
    ("sqrt((2*x + 1)**2)", "x=-0.5", "x", -2.0, 2.0),
    ("sqrt(x**2)*exp(y)", "x=0,y=0", "x", -1.0, 1.0),
])
def test_hidden_kink_in_sympys_form_is_a_kink(text, at, variable, left, right, capsys):
    result = compare(text, at=at)
    assert result.verdict.status == "kink"
    kink = next(k for k in result.kinks if k.variable == variable)
    assert (float(kink.left), float(kink.right)) == (left, right)
    assert "in sympy's form" in verdict_text(result.verdict)
    assert _cli_status(text, at, capsys) == 3


def test_hidden_kink_autograds_nan_is_its_convention_not_a_disagreement():
    result = compare("sqrt(x**2)", at="x=0")
    autograd = next(m for m in result.methods if m.method == "autograd")
    assert autograd.gradient["x"] is None
    assert "autograd reports" in report(result)


def test_hidden_power_with_equal_sides_is_not_a_kink():
    # sqrt(x**4) is x**2: smooth, derivative 0 (autograd's NaN there is the ∞·0 trap)
    assert all(not kink.differs for kink in compare("sqrt(x**4)", at="x=0").kinks)


@pytest.mark.parametrize("text, at, source, distance", [
    ("abs(3*x - 1)", "x=0.3333333333333333", "abs(3*x - 1)", 3.3e-17),
    ("abs(x - 1e-7)", "x=0", "abs(x - 1/10000000)", 1e-7),
    ("relu(x - 1e-7)", "x=0", "relu(x - 1/10000000)", 1e-7),
])
def test_straddled_kink_is_named_with_its_distance(text, at, source, distance, capsys):
    result = compare(text, at=at)
    assert result.verdict.status == "agree"
    (straddle,) = result.straddles
    assert straddle.source == source
    assert straddle.distance == pytest.approx(distance, rel=0.01)
    text_out = verdict_text(result.verdict)
    assert "straddles the kink" in text_out and f"{distance:.1e}" in text_out
    finite_difference = result.errors["finite_difference"]["x"]
    assert finite_difference.within is None  # not a failure of finite differences
    assert _cli_status(text, at, capsys) == 0


def test_rounding_bound_at_a_switch_counts_the_rounded_point():
    # 3*x - 1 rounds to 0 at the double nearest 0.3333333333333333: abs'(0) = 0 must not
    # make the bound 0, since the point itself moved by its rounding
    point = {"x": Fraction(3333333333333333, 10**16)}
    assert value_bound(parse("abs(3*x - 1)"), point) > 1e-16
    result = compare("abs(3*x - 1)", at="x=0.3333333333333333")
    assert result.errors["autograd"]["value"].bound > 1e-17


@pytest.mark.parametrize("text, at", [
    ("x**3", "x=0"), ("log(1 + (y**2*cos(4*x - 3)*tanh(y))**2)", "x=0.3,y=0.1"),
])
def test_smooth_cases_still_agree(text, at):
    assert compare(text, at=at).verdict.status == "agree"
