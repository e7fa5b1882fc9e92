"""Hostile input end to end: numerical faults, bad points, names, the time budget."""

import os
import time

import pytest
from helpers import ROOT, run_cli

from diffcompare import InputError, compare, parse
from diffcompare.cli import EXIT_BAD_INPUT, EXIT_INTERNAL, EXIT_UNDEFINED, main
from diffcompare.language.expression import evaluate_float
from diffcompare.present import verdict_text


def _run(capsys, *args):
    status = main(list(args))
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    assert status != EXIT_INTERNAL, captured.err
    return status, captured.out, captured.err


# ---- numerical faults at the point: each method says what went wrong, in words ----

FAULTS = {
    # name: (expression, point, words every float method uses, symbolic's words)
    "log(-1)": ("log(x)", "x=-1", "log(-1.0): the logarithm of a negative number",
                "not a real number"),
    "sqrt(-1)": ("sqrt(x)", "x=-1", "sqrt(-1.0): the square root of a negative number",
                 "not a real number"),
    "1/0": ("1/x", "x=0", "1.0 / 0.0: division by zero", "infinite"),
    "0**-1": ("x**-1", "x=0", "0.0 ** (-1.0): 0 raised to a negative power", "infinite"),
    "log(0)": ("log(x)", "x=0", "log(0.0) is minus infinity", "infinite"),
    "exp(1000) overflows": ("exp(x)", "x=1000", "exp(1000.0) overflows the float range",
                            "outside the float range: about 1.97e+434"),
    "product overflows": ("x*1e308*10", "x=1", "1e+308 * 10.0 overflows the float range",
                          "outside the float range"),
}


@pytest.mark.parametrize("expression, at, words, symbolic_words", FAULTS.values(),
                         ids=FAULTS.keys())
def test_fault_at_the_point_is_reported_per_method_with_exit_3(capsys, expression, at, words,
                                                               symbolic_words):
    status, out, err = _run(capsys, expression, "--at", at)
    assert status == EXIT_UNDEFINED and err == ""
    notes = {}
    for line in out.splitlines():
        if line.startswith("note: "):
            method = line[len("note: "):].split(",")[0].split(":")[0]
            notes[method] = notes.get(method, "") + line
    assert words in notes["autograd"]
    assert words in notes["finite difference"]
    assert symbolic_words in notes["symbolic (exact)"]
    assert out.splitlines()[-1].startswith("UNDEFINED")


@pytest.mark.parametrize("expression", ["log(-1)", "sqrt(-1)", "1/0", "0**-1", "log(0)",
                                        "exp(1000)"])
def test_fault_in_a_constant_expression_is_reported_too(capsys, expression):
    status, out, _ = _run(capsys, expression)
    assert status == EXIT_UNDEFINED and "note: autograd" in out


def test_fault_nan_derivative_is_named_by_every_method():
    # (-2)**y is real only at whole y: df/dy is NaN to the engine, complex to sympy.
    result = compare("x**y", at="x=-2,y=2")
    # f and df/dx are fine and agree; df/dy does not exist, so the verdict is undefined
    assert result.verdict.status == "undefined" and "The rest agrees" in verdict_text(result.verdict)
    autograd, finite_difference, _forward = result.methods
    assert "NaN" in autograd.reasons["y"]
    assert "negative base with a non-integer exponent" in finite_difference.reasons["y"]
    assert "not a real number" in result.reference.reasons["y"]


def test_fault_negative_base_is_named_instead_of_nan():
    result = compare("(x - 2)**0.5", at="x=1")
    assert "(-1.0) ** 0.5: a negative base" in result.methods[0].reasons["value"]
    assert result.verdict.status == "undefined"


def test_fault_infinite_slope_is_a_reason_not_a_failure():
    result = compare("sqrt(x)", at="x=0")
    assert "slope is infinite" in result.methods[0].reasons["x"]
    # f agrees, df/dx does not exist: the verdict says so (exit status 3), not AGREE
    assert result.verdict.status == "undefined" and "df/dx: it is infinite" in verdict_text(result.verdict)
    assert "The rest agrees" in verdict_text(result.verdict)


def test_fault_json_has_no_nan_or_infinity(capsys):
    status, out, _ = _run(capsys, "exp(x) + 1/y", "--at", "x=1000,y=0", "--json")
    assert status == EXIT_UNDEFINED
    assert "NaN" not in out and "Infinity" not in out


# ---- bad points are usage errors ----

BAD_POINTS = {
    "not a number": ("x", "x=abc", "not a number"),
    "NaN": ("x", "x=nan", "NaN"),
    "infinity": ("x", "x=inf", "infinite"),
    "minus infinity": ("x", "x=-inf", "infinite"),
    "given twice": ("x", "x=1,x=2", "twice"),
    "not in the expression": ("x", "y=1", "not in the expression"),
    "a constant": ("x + e", "x=1,e=2", "the constant e"),
    "a function": ("x", "x=1,sin=2", "a function"),
    "missing": ("x*y", "x=1", "no value for y"),
    "beyond the float range": ("x", "x=1e309", "beyond the float range"),
    "underflows to zero": ("x", "x=1e-999", "too small for a float"),
    "too many digits": ("x", "x=0." + "1" * 5000, "--limit digits=N"),
    "no equals sign": ("x", "x", "name=number"),
    "underscore name": ("x", "_x=1", "not a variable name"),
    "hexadecimal": ("x", "x=0x10", "not a number"),
}


@pytest.mark.parametrize("expression, at, words", BAD_POINTS.values(), ids=BAD_POINTS.keys())
def test_point_bad_at_is_a_one_line_usage_error(capsys, expression, at, words):
    status, out, err = _run(capsys, expression, "--at", at)
    assert status == EXIT_BAD_INPUT and out == ""
    assert len(err.splitlines()) == 1 and words in err


def test_point_names_are_read_as_python_reads_them():
    # Python's parser turns a fullwidth ｘ into x; so does --at.
    assert compare("ｘ**2", at="ｘ=3").reference.gradient["x"] == 6.0


# ---- names: plain variables, whatever they mean to sympy ----

SYMPY_NAMES = ["E", "I", "N", "S", "Q", "O", "beta", "gamma", "zeta", "oo", "nan", "zoo",
               "Symbol", "Integer", "Lambda", "lambda_", "pi_", "exp_", "Max", "Abs"]


def test_names_special_to_sympy_are_plain_variables():
    text = " + ".join(f"{name}**2" for name in SYMPY_NAMES) + " + E*I*N"
    at = ",".join(f"{name}={k + 1}/{len(SYMPY_NAMES)}" for k, name in enumerate(SYMPY_NAMES))
    at = ",".join(f"{name}={(k + 1) / 8}" for k, name in enumerate(SYMPY_NAMES))
    result = compare(text, at=at)
    assert result.agree, verdict_text(result.verdict)
    point = {name: (k + 1) / 8 for k, name in enumerate(SYMPY_NAMES)}
    assert result.reference.value == pytest.approx(evaluate_float(parse(text), point), rel=1e-15)
    assert result.reference.gradient_formulas["I"] == "E*N + 2*I"
    assert result.reference.gradient_formulas["oo"] == "2*oo"
    assert result.reference.gradient["E"] == pytest.approx(2 * point["E"] + point["I"] * point["N"])


def test_names_pi_and_e_are_constants_and_e_may_be_reassigned():
    assert parse("pi*x + e").variables == ("x",)
    assert evaluate_float(parse("e = 2*x; e + 1"), {"x": 1.0}) == 3.0


@pytest.mark.parametrize("text, words", [
    ("_x + 1", "underscore"),
    ("__class__", "underscore"),
    ("sin + 1", "is a function"),
    ("sin = x; sin", "cannot be assigned"),
    ("exp(x) + exp", "is a function"),
])
def test_names_refused_with_a_reason(text, words):
    with pytest.raises(InputError, match=words):
        parse(text)


# ---- the symbolic time budget ----

def test_budget_symbolic_times_out_while_the_others_report(capsys):
    start = time.monotonic()
    status, out, err = _run(capsys, "exp(exp(exp(exp(exp(x)))))", "--at", "x=1",
                            "--simplify", "--timeout", "0.5")
    assert time.monotonic() - start < 5
    assert "note: symbolic (exact): timed out after 0.5 s" in out
    assert "note: autograd" in out and "note: finite difference" in out
    assert status == EXIT_UNDEFINED and err == ""


def test_budget_timeout_compares_autograd_with_finite_differences(capsys):
    sigmoids = "sigmoid(" * 5 + "x" + ")" * 5
    status, out, _ = _run(capsys, sigmoids, "--at", "x=0.5", "--simplify", "--timeout", "0.3")
    verdict = out.splitlines()[-1]
    assert status == 0
    assert verdict.startswith("AGREE WITHOUT EXACT REFERENCE (symbolic: timed out after 0.3 s)")
    assert "of autograd's values" in verdict and "exact values" not in verdict
    assert "errors are measured against autograd" in out


def test_budget_disagreement_without_reference_is_reported():
    from diffcompare.compare import METHODS
    from diffcompare.methods.results import Derivatives

    def off_by_one(expression, point):
        right = METHODS["autograd"](expression, point)
        return Derivatives("off_by_one", right.value, {n: g + 1 for n, g in
                                                       right.gradient.items()}, right.cost)

    sigmoids = "sigmoid(" * 5 + "x" + ")" * 5
    result = compare(sigmoids, at="x=0.5", timeout=0.2, simplify=True,
                     methods={**METHODS, "off_by_one": off_by_one})
    assert verdict_text(result.verdict).startswith("DISAGREE WITHOUT EXACT REFERENCE")
    assert "off_by_one df/dx" in verdict_text(result.verdict) and "but autograd gives" in verdict_text(result.verdict)


def test_budget_simplify_shows_simpler_formulas():
    plain = compare("sin(x)**2 + cos(x)**2 + x", at="x=1")
    simple = compare("sin(x)**2 + cos(x)**2 + x", at="x=1", simplify=True)
    assert simple.reference.formula == "x + 1" and simple.reference.gradient_formulas["x"] == "1"
    assert plain.reference.formula != "x + 1"
    assert simple.reference.exact == plain.reference.exact


def test_budget_nesting_once_too_deep_for_sympy_gets_its_exact_reference():
    # Regression: sympy.diff of the whole formula hit Python's recursion limit here; the
    # chain rule over the DAG and the mpmath evaluation do not recurse that deep.
    program = "a = x; " + "; ".join(["a = sigmoid(a)"] * 60) + "; a"
    result = compare(program, at="x=0.5", timeout=20)
    assert not result.reference.details.get("unavailable")
    assert result.agree, verdict_text(result.verdict)


def test_budget_cli_process_ends_within_the_budget():
    start = time.monotonic()
    done = run_cli("exp(exp(exp(exp(exp(x)))))", "--at", "x=1", "--timeout", "1")
    assert time.monotonic() - start < 30
    assert done.returncode == EXIT_UNDEFINED and "timed out after 1 s" in done.stdout
    assert done.stderr == ""


@pytest.mark.parametrize("value", ["abc", "-1", "nan", "inf"])
def test_budget_bad_timeout_is_a_usage_error(capsys, value):
    status, out, err = _run(capsys, "x", f"--timeout={value}")
    assert status == EXIT_BAD_INPUT and "--timeout" in err and len(err.splitlines()) == 1


# ---- the command line: one line on stderr, whatever the input ----

@pytest.mark.parametrize("args", [
    ["x\x00"],
    ["x", "--bogus\rmore"],
    ["x", "--at", "x=1\ny=2"],
    ["1" * 5000],
    ["(" * 300 + "x" + ")" * 300],
    ["x" * 200_000],
    ["\ud800"],
    ["x", "--limit", "speed=1"],
])
def test_cli_hostile_arguments_give_one_line(capsys, args):
    status, out, err = _run(capsys, *args)
    assert status == EXIT_BAD_INPUT and out == ""
    assert len(err.splitlines()) == 1 and len(err) < 1000


def test_cli_limit_option_raises_a_limit(capsys):
    program = "a = x; " + "; ".join(["a = abs(a)"] * 250) + "; a"
    status, _, err = _run(capsys, program, "--at", "x=0.5")
    assert status == EXIT_BAD_INPUT and "--limit depth=N" in err
    status, out, _ = _run(capsys, program, "--at", "x=0.5", "--limit", "depth=300")
    assert status == 0 and out.splitlines()[-1].startswith("AGREE")


def test_cli_readme_documents_every_exit_status():
    readme = (ROOT / "README.md").read_text()
    for status in (0, 1, 2, 3, 70):
        assert f"| {status} |" in readme


def test_cli_leaves_no_child_process_behind(capsys):
    _run(capsys, "exp(exp(exp(exp(exp(x)))))", "--at", "x=1", "--timeout", "0.2")
    with pytest.raises(ChildProcessError):
        os.waitpid(-1, os.WNOHANG)


def test_cli_ascii_terminal_gets_escapes_not_an_internal_error(monkeypatch):
    monkeypatch.setenv("PYTHONIOENCODING", "ascii")
    done = run_cli("exp(x)", "--at", "x=1000")
    assert done.returncode == EXIT_UNDEFINED and done.stderr == ""


def test_cli_undecodable_bytes_are_a_one_line_error(capsys):
    # What Python makes of bytes that are not text in the locale's encoding.
    status, _, err = _run(capsys, "\udcce\udcbb*2")
    assert status == EXIT_BAD_INPUT and "undecodable bytes" in err


def test_cli_expression_may_start_with_a_minus(capsys):
    status, out, _ = _run(capsys, "-x**2", "--at", "x=3")
    assert status == 0 and "df/dx = -2*x" in out
