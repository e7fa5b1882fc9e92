"""Regression tests for numbers at the edges of the options: huge time budgets and
steps, values beyond the float range, repeated --at, limits beyond their bound."""

import math
import re

import pytest
from helpers import ROOT

from diffcompare import compare
from diffcompare.check import user_engine
from diffcompare.cli import EXIT_UNDEFINED, main
from diffcompare.compare import MODEL_SAFETY
from diffcompare.language.errors import InputError
from diffcompare.methods import budget
from diffcompare.methods.finite_difference import (
    LARGEST_MODEL_ERROR,
    METHOD,
    SCHEMES,
    check_step,
    method,
)
from diffcompare.present import verdict_text

# ---- time budgets beyond what select() and setitimer() take ----


def test_budget_run_takes_a_budget_beyond_the_platforms_time_t():
    # select() raised OverflowError for 1e10 s and more; now a week is the cap
    assert budget.run(lambda: 6 * 7, seconds=1e11) == 42


def test_compare_takes_a_huge_timeout():
    assert compare("x", at="x=1", timeout=1e10).agree


def test_cli_huge_timeout_is_no_internal_error(capsys):
    assert main(["x**2", "--at", "x=1", "--timeout", "1e11"]) == 0
    assert "AGREE" in capsys.readouterr().out


# ---- limits beyond their bound ----


def test_limit_beyond_its_bound_says_the_bound(capsys):
    assert main(["x", "--at", "x=1", "--limit", "nodes=99999999999999999999999999999"]) == 2
    err = capsys.readouterr().err
    assert "at most 1e+18" in err and "at least 1" not in err
    assert len(err.splitlines()) == 1


# ---- repeated --at ----


def test_cli_repeated_at_options_merge(capsys):
    # the second --at used to replace the first: "--at gives no value for x"
    assert main(["x*y", "--at", "x=1", "--at", "y=2"]) == 0
    assert "at x = 1, y = 2" in capsys.readouterr().out


def test_cli_variable_given_in_two_at_options_is_one_line_error(capsys):
    assert main(["x*y", "--at", "x=1,y=2", "--at", "x=3"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "x twice" in captured.err
    assert len(captured.err.splitlines()) == 1


# ---- check --timeout ----

CORRECT_ENGINE = str(ROOT / "tests" / "engines" / "correct.py")


@pytest.mark.parametrize("value", ["-1", "nan", "inf", "abc"])
def test_check_timeout_refuses_what_the_main_command_refuses(value, capsys):
    assert main(["check", CORRECT_ENGINE, "--timeout", value]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "--timeout" in captured.err
    assert len(captured.err.splitlines()) == 1


def test_check_takes_a_huge_timeout(capsys):
    # setitimer() raised OverflowError, blamed on the engine's shape
    assert main(["check", CORRECT_ENGINE, "--timeout", "1e10"]) == 0
    assert "PASS" in capsys.readouterr().out


def test_time_limit_takes_a_huge_timeout_from_python():
    # The cap lives in the timer itself, so Python callers get it as the CLI does.
    with user_engine.time_limit(1e10):
        total = sum(range(10))
    assert total == 45


class _SlowToBuild:
    def __init__(self, data):
        while True:
            pass


def test_check_shape_out_of_time_blames_the_time_limit():
    with pytest.raises(InputError) as caught:
        user_engine.check_shape(_SlowToBuild, timeout=0.05)
    message = caught.value.one_line()
    assert "time limit (0.05 s)" in message and "does not look like" not in message


# ---- forced finite-difference steps far from any meaningful one ----


@pytest.mark.parametrize("scheme, step", [
    ("richardson", "1e100"), ("five_point", "1e100"), ("central", "1e155"),
    ("complex_step", "1e155"), ("central", "1e308"), ("forward", "1e10"),
])
def test_cli_huge_step_is_refused_in_one_line(scheme, step, capsys):
    # model_error raised OverflowError (exit 70) from 1e100 on
    assert main(["x**2", "--at", "x=1", "--fd", scheme, "--step", step]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and len(captured.err.splitlines()) == 1
    assert "too large" in captured.err and "give a step of at most" in captured.err


def test_scheme_model_error_beyond_floats_is_inf():
    assert SCHEMES["richardson"].model_error(1e100) == math.inf


def test_step_whose_tolerance_would_pass_anything_is_refused():
    # --step 1e10 gave "within 1.66667e+20": a tolerance that lets any estimate pass
    with pytest.raises(InputError, match="too large.*at most about 0.77"):
        compare("x**2", at="x=1", methods={METHOD: method("central", 1e10)})
    with pytest.raises(InputError, match="too small.*at least about 4e-16"):
        compare("x**2", at="x=1", methods={METHOD: method("central", 1e-16)})


@pytest.mark.parametrize("scheme", list(SCHEMES))
@pytest.mark.parametrize("x", [1.0, 3.0, -1e6, 1e15])
@pytest.mark.parametrize("step", [1e-300, 1e300])
def test_step_quoted_in_the_refusal_is_accepted(scheme, x, step):
    chosen = SCHEMES[scheme]
    try:
        check_step(chosen, step, "x", x)
    except InputError as error:
        quoted = float(error.message.split("about ")[1].split()[0])
        check_step(chosen, quoted, "x", x)
    else:
        assert chosen.is_complex and step < 1  # the complex step has no smallest step


def test_forced_step_tolerance_never_reaches_1():
    assert MODEL_SAFETY * LARGEST_MODEL_ERROR <= 1


def test_verdict_formats_a_widened_tolerance_like_the_others():
    verdict = verdict_text(compare("x**2", at="x=1",
                                   methods={METHOD: method("central", 0.5)}).verdict)
    # held to its own error bound now; the numbers keep two significant digits
    assert re.search(r"within 8× its own error bound \(closest: error (0|\d\.\de[-+]\d\d) "
                     r"of \d\.\de[-+]\d\d allowed\)", verdict), verdict


# ---- f beyond the float range ----


@pytest.mark.parametrize("expression", ["x**2", "x*x", "x**2 + y"])
def test_f_beyond_floats_is_undefined_like_exp_1000(expression):
    # x**2 at 1e200 said DISAGREE (exit 1): "autograd gives no df/dx", though sympy's
    # df/dx = 2e200 is a float; f = 1e400 is not, and no float method can evaluate it
    at = "x=1e200,y=1" if "y" in expression else "x=1e200"
    result = compare(expression, at=at)
    assert result.verdict.status == "undefined"
    assert "beyond the float range" in verdict_text(result.verdict)
    assert result.errors["autograd"]["x"].within is None


def test_cli_f_beyond_floats_exits_3_as_exp_1000_does(capsys):
    assert main(["x**2", "--at", "x=1e200"]) == EXIT_UNDEFINED
    assert main(["exp(x)", "--at", "x=1000"]) == EXIT_UNDEFINED
    out = capsys.readouterr().out
    assert out.count("UNDEFINED: f is beyond the float range here") == 2


def test_overflow_inside_a_representable_f_is_still_judged():
    # only f beyond floats excuses a missing number: log(exp(x)) = 1000 is a float
    assert compare("log(exp(x))", at="x=1000").verdict.status == "disagree"
