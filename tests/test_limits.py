import re
import time
from dataclasses import fields
from fractions import Fraction

import pytest

from helpers import ROOT, run_cli

from diffcompare import InputError, compare, parse
from diffcompare.cli import LIMITS_HELP
from diffcompare.compare import METHODS
from diffcompare.language.expression import evaluate_float
from diffcompare.language.limits import DEFAULT, LimitExceeded, Limits, check_exact, check_work
from diffcompare.methods import finite_difference, registry
from diffcompare.present import verdict_text

LIMIT_NAMES = [item.name for item in fields(Limits)]


def _program(function: str, levels: int) -> str:
    return "a = x; " + "; ".join([f"a = {function}(a)"] * levels) + "; a"


# One input beyond each limit, and the limit it must name.
BEYOND = {
    "long input": ("x" + " " * 120_000, "length"),
    "many nodes": ("a = x*x; " * 7_000 + "a", "nodes"),
    "deep program": (_program("sin", 300), "depth"),
    "power tower": ("x**" * 250 + "x", "depth"),
    "5,000-digit literal": ("0" * 5000, "digits"),
    "long decimal fraction": ("0." + "3" * 5000, "digits"),
    "long hexadecimal literal": ("0x" + "0" * 2000 + "ff", "digits"),
    "2**2**2**2**2**2": ("2**2**2**2**2**2", "exponent"),
    "10**10**10": ("10**10**10", "exponent"),
    "x**(10**10)": ("x**(10**10)", "exponent"),
    "irrational constant exponent": ("x**(pi*10**5)", "exponent"),
}


@pytest.mark.parametrize("text, limit", BEYOND.values(), ids=BEYOND.keys())
def test_parse_refuses_input_beyond_a_limit_naming_it(text, limit):
    with pytest.raises(LimitExceeded) as caught:
        parse(text)
    assert caught.value.limit == limit
    line = caught.value.one_line()
    assert f"--limit {limit}=N" in line and str(getattr(DEFAULT, limit)) in line
    assert "\n" not in line and len(line) < 400


# Raising the exponent limit only meets the next one, exact_digits (tested below).
RAISABLE = {name: case for name, case in BEYOND.items() if case[1] != "exponent"}


@pytest.mark.parametrize("text, limit", RAISABLE.values(), ids=RAISABLE.keys())
def test_parse_accepts_the_same_input_when_the_limit_is_raised(text, limit):
    raised = Limits(**{limit: getattr(DEFAULT, limit) * 100, "nodes": 200_000})
    assert parse(text, raised).size >= 1


def test_parse_raised_exponent_meets_exact_digits():
    with pytest.raises(LimitExceeded) as caught:
        parse("10**10**10", Limits(exponent=10**12))
    assert caught.value.limit == "exact_digits"


def test_parse_5000_digit_literal_beyond_pythons_own_4300_digit_limit_when_raised():
    literal = "0." + "7" * 5000
    expression = parse(literal + " * x", Limits(digits=6000))
    assert expression.output.args[0].exact == Fraction(int("7" * 2500) * (10**2500 + 1),
                                                       10**5000)


def test_parse_literal_digits_refused_before_python_converts_them():
    with pytest.raises(LimitExceeded) as caught:
        parse("1" * 5000)
    assert "4300" not in str(caught.value) and "5000 digits" in str(caught.value)


def test_parse_digits_in_names_are_not_literals():
    assert parse("x" + "1" * 2000 + " + 1").variables == ("x" + "1" * 2000,)


def test_parse_constant_exponents_are_folded_exactly_within_limits():
    assert evaluate_float(parse("2**2**2**2"), {}) == 65536.0
    assert parse("x**(2**13)").size == 5


@pytest.mark.parametrize("text, message", [
    ("1e999999999", "beyond the float range"),
    ("-1.5e400", "beyond the float range"),
    ("1e-999999999", "far outside the float range"),
    ("1e-400", "too small for a float"),
])
def test_parse_literal_outside_float_range_refused(text, message):
    with pytest.raises(InputError, match=message):
        parse(text)


def test_parse_300_nested_parentheses_refused_in_one_line():
    with pytest.raises(InputError) as caught:
        parse("(" * 300 + "x" + ")" * 300)
    assert "nested parentheses" in caught.value.one_line()
    assert len(caught.value.one_line()) < 400


def test_parse_flat_sum_of_2000_terms_is_one_level_deep():
    text = " + ".join(f"{i}*x**{i % 7}" for i in range(2000))
    assert parse(text, Limits(depth=3)).size > 4000


def test_compare_flat_sum_of_2000_terms_agrees():
    result = compare(" + ".join(f"{i}*x**{i % 7}" for i in range(2000)), at="x=0.3")
    assert result.agree and result.measured_against == "symbolic", verdict_text(result.verdict)


def test_parse_thousands_of_unary_minus_do_not_recurse():
    # 2,501 is within what Python's own parser takes on 3.10 to 3.13 (3.12: about 3,000).
    expression = parse("-" * 2501 + "x")
    assert evaluate_float(expression, {"x": 2.0}) == -2.0
    assert compare(expression, at="x=2").agree


def test_parse_deeper_than_pythons_parser_is_one_line_input_error():
    with pytest.raises(InputError, match="nested too deeply"):
        parse("-" * 200_000 + "x", Limits(length=10**6))


def test_parse_depth_counts_chains_of_sums_and_products_once():
    assert parse("a*b*c*d/e + f - g - -h", Limits(depth=2)).variables[0] == "a"
    with pytest.raises(LimitExceeded):
        parse("sin(sin(x))", Limits(depth=1))


def test_check_exact_refuses_huge_exact_numbers_at_the_point():
    expression = parse("(x**9999)**9999")
    with pytest.raises(LimitExceeded) as caught:
        check_exact(expression, {"x": Fraction(3, 10)}, DEFAULT)
    assert caught.value.limit == "exact_digits"
    check_exact(parse("x**9999"), {"x": Fraction(3, 10)}, DEFAULT)  # about 10,000 digits


def test_check_exact_follows_rational_values_not_just_sizes():
    # Each term is small, and so is their exact sum: a flat sum is no reason to refuse.
    expression = parse(" + ".join(f"x**{k}" for k in range(1, 2000)))
    check_exact(expression, {"x": Fraction(3, 10)}, Limits(exact_digits=5000))


def test_compare_huge_exact_numbers_become_a_symbolic_reason():
    result = compare("x**y", at="x=0.5,y=1e9")
    assert "exact_digits" in result.reference.reasons["value"]
    assert result.methods[0].value == 0.0  # the float methods still report


def test_compare_refuses_too_much_finite_difference_work():
    program = "s = x0\n" + "".join(f"s += x{i}\n" for i in range(1, 4000)) + "s"
    with pytest.raises(LimitExceeded) as caught:
        compare(program)
    assert caught.value.limit == "work"


def test_cli_work_estimate_refuses_a_3000_variable_richardson_chain_before_running():
    # issue 16 §7: the quotient chain's finite differences were not bounded; the estimate
    # (nodes × passes of every method) refuses this one before any method starts
    chain = " / ".join(f"x{i}" for i in range(3000))
    start = time.monotonic()
    result = run_cli(chain, "--fd", "richardson", timeout=60)
    seconds = time.monotonic() - start
    assert result.returncode == 2
    assert result.stdout == "" and len(result.stderr.splitlines()) == 1
    assert "--limit work=N" in result.stderr and "richardson" in result.stderr
    assert seconds < 10  # parse and estimate only: the work itself would take minutes


def test_work_estimate_counts_every_method_and_is_raised_by_the_limit():
    chain = parse(" / ".join(f"x{i}" for i in range(300)))
    fd = finite_difference.method("richardson")
    passes = registry.work_passes({**METHODS, finite_difference.METHOD: fd}, chain)
    assert passes == {"autograd": 2, "the finite differences (richardson)": 1 + 18 * 300,
                      "forward mode": 300}
    with pytest.raises(LimitExceeded, match="richardson") as caught:
        check_work(chain, Limits(work=chain.size * sum(passes.values()) - 1), passes)
    assert caught.value.limit == "work"
    check_work(chain, Limits(work=chain.size * sum(passes.values())), passes)


@pytest.mark.parametrize("scheme", list(finite_difference.SCHEMES))
def test_scheme_evaluations_column_is_what_differentiate_counts(scheme):
    expression = parse("sin(x)*y + x")
    result = finite_difference.differentiate(expression, {"x": Fraction(3, 10),
                                                          "y": Fraction(7, 10)}, scheme)
    assert result.cost.evaluations == finite_difference.evaluations(expression, scheme)


def test_limits_from_spec_sets_named_limits():
    limits = Limits.from_spec(["depth=500, nodes=1e5", "digits=2_000"])
    assert (limits.depth, limits.nodes, limits.digits) == (500, 100_000, 2000)
    assert limits.length == DEFAULT.length


@pytest.mark.parametrize("spec", ["depth", "speed=3", "depth=0", "depth=-1", "depth=1.5",
                                  "depth=abc", "depth=nan", "depth=inf"])
def test_limits_from_spec_refuses_bad_specs(spec):
    with pytest.raises(InputError, match="--limit"):
        Limits.from_spec(spec)


def test_limits_refuse_non_positive_values_from_python():
    with pytest.raises(InputError):
        Limits(depth=0)


@pytest.mark.parametrize("name", LIMIT_NAMES)
def test_limits_every_limit_is_documented_with_its_default(name):
    default = str(getattr(DEFAULT, name))
    security = (ROOT / "README.md").read_text().split("## Security", 1)[1]
    assert re.search(rf"`{name}`.*{default}", security), name
    assert re.search(rf"{name} \({default}", LIMITS_HELP), name


def test_hessian_work_counts_its_second_differences_evaluations():
    from diffcompare.matrix_compare import HESSIAN_EVALUATIONS, check_hessian_work

    expression = parse(" + ".join(f"sin(x{i})" for i in range(300)))
    with pytest.raises(LimitExceeded, match="the Hessian's second differences") as caught:
        check_hessian_work(expression, DEFAULT)
    assert caught.value.limit == "work"
    small = parse("sin(x)*y")
    check_hessian_work(small, Limits(work=small.size * (HESSIAN_EVALUATIONS * 4 + 4)))
