"""Fuzzing the command line: every input ends in a result or in exit status 2 with one
line on stderr, within a time bound, and never in a traceback or an internal error.

Most inputs run in-process through ``cli.main`` (fast); a handful through a real
subprocess. ``benchmarks/fuzz.py`` runs the same check over 100,000 inputs.
"""

import contextlib
import io
import sys
import tempfile
import time
from pathlib import Path

from helpers import ROOT, run_cli
from hypothesis import given, settings
from hypothesis import strategies as st

from diffcompare import InputError
from diffcompare.cli import EXIT_BAD_INPUT, main
from diffcompare.gradients import check_gradients
from diffcompare.language.corpus import CORPUS

BUDGET = "0.5"  # seconds for sympy per input
TIME_BOUND = 10.0  # seconds per input, everything included

TOKENS = [
    "x", "y", "z", "e", "pi", "E", "I", "N", "oo", "_x", "sin", "exp", "log", "sqrt", "tanh",
    "sigmoid", "relu", "abs", "cos", "tan", "0", "1", "2", "0.5", "1e308", "1e-400",
    "10**10**10", "9" * 400, "+", "-", "*", "/", "**", "//", "%", "@", "(", ")", "[", "]",
    ",", ";", "=", "+=", "**=", ":=", "\n", " ", ".", "'", "\"", "#", "\\", "lambda", "if",
    "else", "for", "import", "__import__", "os", "1j", "True", "None", "...", "\x00", "\t",
    "\r", "λ", "ｘ", "\u2028",
]

SEEDS = [case.expression for case in CORPUS] + [
    "x**2*sin(y) + tanh(x*y)",
    "c = a + b; d = a*b + b**3; c += c + 1; e = c - d; f = e**2; f",
    "log(x) + sqrt(y) + 1/(x - y)",
    "exp(exp(exp(x)))",
]

AT_VALUES = ["1", "-1", "0", "0.5", "1e308", "1e-320", "nan", "inf", "abc", "", "1e999",
             "0x10", "1_0"]


def _mutate(text: str, edits: list) -> str:
    for position, kind, token in edits:
        position %= len(text) + 1
        if kind == "insert":
            text = text[:position] + token + text[position:]
        elif kind == "delete":
            text = text[:position] + text[position + len(token):]
        else:  # duplicate a stretch: towers, long sums
            text = text[:position] + text[position:position + len(token) * 3] * 3 + text[position:]
    return text


raw_bytes = st.binary(max_size=120).map(lambda b: b.decode("utf-8", "surrogateescape"))
token_strings = st.lists(st.sampled_from(TOKENS), max_size=30).map("".join)
mutated = st.builds(_mutate, st.sampled_from(SEEDS), st.lists(
    st.tuples(st.integers(0, 500), st.sampled_from(["insert", "delete", "duplicate"]),
              st.sampled_from(TOKENS)), max_size=4))
expressions = st.one_of(raw_bytes, st.text(max_size=80), token_strings, mutated)
points = st.one_of(st.none(), st.lists(st.tuples(st.sampled_from(["x", "y", "z", "a", "b", "e"]),
                                                 st.sampled_from(AT_VALUES)), max_size=4)
                   .map(lambda pairs: ",".join(f"{name}={value}" for name, value in pairs)))
options = st.lists(st.sampled_from([["--json"], ["--simplify"], ["--format", "github"],
                                    ["--limit", "depth=20"], ["--timeout", "0.1"]]),
                   max_size=2).map(lambda chosen: [word for option in chosen for word in option])


def check_outcome(status: int, out: str, err: str, seconds: float) -> None:
    """The promise, for one input."""
    assert "Traceback" not in out + err
    assert status in (0, 1, 2, 3), (status, err)
    if status == EXIT_BAD_INPUT:
        assert out == "" and len(err.splitlines()) == 1 and err.endswith("\n"), err
    else:
        assert err == "" and out.strip(), err
    assert seconds < TIME_BOUND


def run_in_process(args: list) -> tuple[int, str, str, float]:
    out, err = io.StringIO(), io.StringIO()
    start = time.monotonic()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(args)
    return status, out.getvalue(), err.getvalue(), time.monotonic() - start


@settings(max_examples=150)
@given(expressions, points, options)
def test_fuzz_every_input_ends_in_a_result_or_one_line(expression, at, extra):
    args = [expression, "--timeout", BUDGET, *extra]
    if at is not None:
        args += ["--at", at]
    check_outcome(*run_in_process(args))


@settings(max_examples=60)
@given(st.lists(st.text(max_size=20), max_size=5))
def test_fuzz_any_argument_list_ends_in_a_result_or_one_line(argv):
    check_outcome(*run_in_process(argv))


@settings(max_examples=4)
@given(st.one_of(token_strings, mutated))
def test_fuzz_through_a_real_process(expression):
    start = time.monotonic()
    done = run_cli(expression, "--timeout", BUDGET, timeout=60)
    check_outcome(done.returncode, done.stdout, done.stderr, time.monotonic() - start)


def test_fuzz_named_hostile_cases_through_a_real_process():
    for expression in ["2**2**2**2**2**2", "10**10**10", "x**(10**10)", "1e999999999",
                       "1" * 5000, "(" * 300 + "x" + ")" * 300, "exp(exp(exp(exp(exp(x)))))"]:
        start = time.monotonic()
        done = run_cli(expression, "--timeout", BUDGET, timeout=60)
        check_outcome(done.returncode, done.stdout, done.stderr, time.monotonic() - start)


# ---- the newer surfaces (issue 16 §8): the generators of benchmarks/fuzz_surfaces.py ----

sys.path.insert(0, str(ROOT / "benchmarks"))
import fuzz_surfaces  # noqa: E402

surface_seeds = st.randoms(use_true_random=False)


def run_case(case) -> tuple[int, str, str, float]:
    with tempfile.TemporaryDirectory() as folder:
        for name, text in case.files.items():
            Path(folder, name).write_text(text, encoding="utf-8", errors="surrogateescape")
        return run_in_process([arg.replace("{dir}", folder) for arg in case.args])


@settings(max_examples=40)
@given(surface_seeds)
def test_fuzz_every_function_of_the_table_and_where(rng):
    case = fuzz_surfaces.functions_case(rng)
    check_outcome(*run_in_process([*case.args, "--timeout", BUDGET]))


@settings(max_examples=15)
@given(surface_seeds)
def test_fuzz_grade_answers_files_end_in_grades_or_one_line(rng):
    status, out, err, seconds = run_case(fuzz_surfaces.grade_case(rng))
    if status == 0:  # one stderr line per unreadable row is part of the result
        err = "".join(line for line in err.splitlines(True)
                      if not line.startswith("diffcompare: row "))
    check_outcome(status, out, err, seconds)


@settings(max_examples=10)
@given(surface_seeds)
def test_fuzz_check_on_mutated_notebooks_ends_in_a_verdict_or_one_line(rng):
    status, out, err, seconds = run_case(fuzz_surfaces.notebook_case(rng))
    check_outcome(status, out, "" if status in (0, 1) else err, seconds)


@settings(max_examples=40)
@given(surface_seeds)
def test_fuzz_check_gradients_inputs_give_a_result_or_one_line_input_error(rng):
    function, inputs, options = fuzz_surfaces.gradients_case(rng).call
    start = time.monotonic()
    try:
        check_gradients(function, *inputs, **options)
    except InputError as error:
        assert "\n" not in error.one_line()
    assert time.monotonic() - start < TIME_BOUND


def test_fuzz_syntax_warning_of_the_vector_check_is_not_a_second_stderr_line():
    # found by the fuzz run: ends_in_list's ast.parse printed Python's "SyntaxWarning:
    # invalid decimal literal" before the one-line refusal
    check_outcome(*run_in_process(["loglambda+1if2**2", "--timeout", BUDGET]))


def test_fuzz_nul_byte_in_an_at_file_path_is_one_line():
    # found by the fuzz run: open() raised ValueError (embedded null byte), exit 70
    check_outcome(*run_in_process(["@x\x00y", "--timeout", BUDGET]))


def test_fuzz_grade_student_id_with_a_newline_stays_on_one_stderr_line(tmp_path):
    # found by the fuzz run: the row's message printed the id's newline and NUL raw
    answers = tmp_path / "answers.csv"
    answers.write_text('student,function,at,derivative\n"s\n1\x00",x**2,x=1\n')
    status, out, err, _ = run_in_process(["grade", str(answers), "--out", str(tmp_path / "o")])
    assert status == 0 and len(err.splitlines()) == 1 and "\\n1\\x00" in err, err
