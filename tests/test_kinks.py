"""Kinks: abs and relu at 0, alone and inside compositions."""

import json
from fractions import Fraction

import pytest

from diffcompare import compare, parse, present
from diffcompare.cli import EXIT_UNDEFINED, main
from diffcompare.compare import METHODS
from diffcompare.language.primitives import PRIMITIVES
from diffcompare.methods.finite_difference import METHOD, method
from diffcompare.methods.kinks import find
from diffcompare.methods.results import Cost, Derivatives
from diffcompare.present import verdict_text


def _one_sided(text, **point):
    kinks = find(parse(text), {name: Fraction(value) for name, value in point.items()})
    return {k.variable: (float(k.left), float(k.right), k.differs) for k in kinks}


@pytest.mark.parametrize("text, point, left, right", [
    ("abs(x)", {"x": "0"}, -1.0, 1.0),
    ("relu(x)", {"x": "0"}, 0.0, 1.0),
    ("3*abs(x - 1)", {"x": "1"}, -3.0, 3.0),
    ("abs(x - 0.1)", {"x": "0.1"}, -1.0, 1.0),
    ("abs(abs(x) - 1)", {"x": "1"}, -1.0, 1.0),
    ("abs(abs(x))", {"x": "0"}, -1.0, 1.0),
    ("relu(-x) + 2*x", {"x": "0"}, 1.0, 2.0),
    ("abs(sin(x))", {"x": "0"}, -1.0, 1.0),
    ("x**2 + relu(x - 2)*exp(x)", {"x": "2"}, 4.0, 4.0 + 7.38905609893065),
])
def test_kink_one_sided_derivatives(text, point, left, right):
    found = _one_sided(text, **point)
    assert found["x"][:2] == pytest.approx((left, right), rel=1e-12)
    assert found["x"][2] is True


def test_kink_only_in_the_variable_that_moves_the_argument():
    found = _one_sided("abs(x*y) + y", x="0", y="2")
    assert found == {"x": (-2.0, 2.0, True)}  # along y, x*y stays 0


@pytest.mark.parametrize("text", ["abs(x)**2", "relu(x)**2", "relu(x) - relu(-x)",
                                  "relu(x**3)"])
def test_kink_of_a_primitive_that_f_smooths_out_is_not_a_kink_of_f(text):
    (left, right, differs), = _one_sided(text, x="0").values()
    assert left == right and not differs


def test_kink_none_away_from_zero():
    assert find(parse("abs(x - 1) + relu(x)"), {"x": Fraction(1, 2)}) == ()
    assert find(parse("sin(x)"), {"x": Fraction(0)}) == ()


def test_kink_infinite_one_sided_derivatives_are_undefined():
    (kink,) = find(parse("sqrt(abs(x))"), {"x": Fraction(0)})
    assert kink.left is None and kink.right is None and not kink.differs


# ---- what each method reports, and the verdict ----

@pytest.mark.parametrize("text, symbolic, autograd, central", [
    ("abs(x)", 0.0, 0.0, 0.0),       # sign(0) = 0; abs'(0) = 0; the average of -1 and 1
    ("relu(x)", 0.5, 0.0, 0.5),      # Heaviside(0) = 1/2; relu'(0) = 0; the average of 0, 1
    ("3*abs(x - 1)", 0.0, 0.0, 0.0),
])
def test_kink_each_method_reports_its_convention(text, symbolic, autograd, central):
    result = compare(text, at="x=1" if "x - 1" in text else "x=0")
    assert result.reference.gradient["x"] == symbolic
    assert result.methods[0].gradient["x"] == autograd
    assert result.methods[1].gradient["x"] == pytest.approx(central, abs=1e-9)
    assert result.verdict.status == "kink"
    assert all(result.errors[m.method]["x"].kink for m in result.methods)


@pytest.mark.parametrize("scheme, expected", [("forward", 1.0), ("backward", 0.0),
                                              ("five_point", 0.5), ("richardson", 0.5)])
def test_kink_one_sided_schemes_report_one_side(scheme, expected):
    result = compare("relu(x)", at="x=0", methods={**METHODS, METHOD: method(scheme)})
    assert result.methods[1].gradient["x"] == pytest.approx(expected, abs=1e-9)
    assert result.verdict.status == "kink"


def test_kink_value_outside_the_one_sided_derivatives_is_a_disagreement():
    def wrong(expression, point):
        return Derivatives("wrong", 0.0, {"x": 5.0}, Cost(1, 0.0))

    result = compare("abs(x)", at="x=0", methods={**METHODS, "wrong": wrong})
    assert result.verdict.status == "disagree"
    assert "not between the one-sided derivatives -1 and 1" in verdict_text(result.verdict)


def test_kink_smoothed_out_reports_autograd_convention_as_disagreement():
    # relu(x) - relu(-x) is x: its derivative at 0 is 1, but relu'(0) = 0 gives 0 - 0.
    result = compare("relu(x) - relu(-x)", at="x=0")
    assert result.verdict.status == "disagree"
    assert "autograd" in verdict_text(result.verdict) and "relu(x), relu(-x) at 0" in verdict_text(result.verdict)


def test_kink_other_variables_are_still_judged():
    result = compare("abs(x) + y**2", at="x=0,y=3")
    assert result.verdict.status == "kink"
    assert not result.errors["autograd"]["y"].kink and result.errors["autograd"]["y"].within


def test_cli_kink_report_in_words_and_exit_3(capsys):
    assert main(["relu(x)", "--at", "x=0"]) == EXIT_UNDEFINED
    out = capsys.readouterr().out
    assert "kink in x" in out and "from the left df/dx = 0" in out
    assert "from the right df/dx = 1" in out
    assert "Heaviside(0) = 1/2" in out and "relu'(0) = 0" in out and "average" in out
    assert out.strip().splitlines()[-1].startswith("KINK")


def test_cli_kink_abs_shows_minus_one_and_one(capsys):
    assert main(["abs(x)", "--at", "x=0", "--json"]) == EXIT_UNDEFINED

    document = json.loads(capsys.readouterr().out)
    (kink,) = document["kinks"]
    assert float(kink["left"]) == -1 and float(kink["right"]) == 1 and kink["kink"]
    assert document["verdict"] == "kink"


def test_kinks_search_runs_under_the_symbolic_budget():
    # kinks.find asks sympy about each abs/relu argument; hostile input must not hang it.
    from diffcompare.compare import _find_kinks
    from diffcompare.language.limits import DEFAULT

    expression = parse("abs(x)")
    assert len(_find_kinks(expression, {"x": Fraction(0)}, 5.0, DEFAULT)) == 1
    # out of time: not "no kink" but unknown, which makes an agreement UNKNOWN
    assert _find_kinks(expression, {"x": Fraction(0)}, 1e-9, DEFAULT) is None


# ---- every row with a switch: its kink is found at its switching point ----

SWITCHES = [row for row in PRIMITIVES.values() if row.switch is not None]


def _at_its_switch(row) -> tuple[str, dict]:
    """The row called so that its switching argument is 0 at x = y = 1/2 (atan2 on its
    cut: first argument 0, second negative)."""
    if row.name == "atan2":
        return "atan2(x, y)", {"x": Fraction(0), "y": Fraction(-1)}
    if row.arity == 1:
        return f"{row.name}(x - 1/2)", {"x": Fraction(1, 2)}
    operands = iter(["x", "y"])
    arguments = ["x > y" if position in row.conditions else next(operands)
                 for position in range(row.arity)]
    return f"{row.name}({', '.join(arguments)})", {"x": Fraction(1, 2), "y": Fraction(1, 2)}


@pytest.mark.parametrize("row", SWITCHES, ids=[row.name for row in SWITCHES])
def test_kink_of_every_switching_row_is_found_at_its_switch(row):
    text, point = _at_its_switch(row)
    found = find(parse(text), point)
    assert found and found[0].variable == "x"
    assert row.name in found[0].primitives and row.name in found[0].sources[0]
    away = {name: value + 1 for name, value in point.items()}
    away["x"] += 1  # the switching argument is 1 (or x - y is 1) here: no kink
    assert find(parse(text), away) == ()


@pytest.mark.parametrize("text, point, left, right", [
    ("max(x, y)", {"x": "1", "y": "1"}, 0.0, 1.0),
    ("min(x, y)", {"x": "1", "y": "1"}, 1.0, 0.0),
    ("where(x > 0, x**2, -x)", {"x": "0"}, -1.0, 0.0),
    ("where(x <= 1, 2*x, x**3)", {"x": "1"}, 2.0, 3.0),
])
def test_kink_of_new_functions_one_sided_derivatives(text, point, left, right):
    assert _one_sided(text, **point)["x"] == pytest.approx((left, right, True))


def test_kink_verdict_for_max_at_a_tie_reads_the_rows_conventions():
    result = compare("max(x, y)", at="x=1,y=1")
    assert result.verdict.status == "kink"
    assert result.methods[0].gradient == {"x": 0.5, "y": 0.5}


def test_kink_jump_of_sign_is_a_jump_not_a_smooth_point():
    (kink,) = find(parse("sign(x)"), {"x": Fraction(0)})
    assert kink.jump and not kink.differs
    (kink,) = find(parse("sign(x)*x"), {"x": Fraction(0)})  # |x|: continuous, a kink
    assert not kink.jump and kink.differs
    lines = present.kink_lines(compare("sign(x) + x", at="x=0"))
    assert lines[0].startswith("jump in x: sign(x) at 0") and "smooth" not in lines[0]
