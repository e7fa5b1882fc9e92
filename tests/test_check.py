"""Checking a learner's engine: the battery, the diagnoses, loading, the check command."""

import dataclasses
import json
import os
import sys
import textwrap

import pytest
from helpers import ROOT, run_cli

from diffcompare import InputError, Value, check_engine, compare
from diffcompare.check.battery import BATTERY, DEEP_OPERATIONS
from diffcompare.check.diagnose import NO_TOPOLOGICAL_SORT, RECURSIVE_SORT, SEED
from diffcompare.check.user_engine import check_shape, load
from diffcompare.check.user_graph import method
from diffcompare.cli import main
from diffcompare.present import verdict_text

ENGINES = ROOT / "tests" / "engines"


def engine(name: str) -> type:
    return load(f"{ENGINES / name}.py:Value")


@pytest.fixture(scope="module")
def reports():
    """Each engine of tests/engines checked once; the battery is the slow part."""
    cache = {}

    def report(name):
        if name not in cache:
            cache[name] = check_engine(Value if name == "ours" else engine(name))
        return cache[name]
    return report


def _result(report, name, at=None):
    return next(r for r in report.results if r.name == name and (at is None or r.check.at == at))


# ---- engines that must pass ----


def test_check_our_value_passes_every_check(reports):
    report = reports("ours")
    assert report.ok and report.counts == {"pass": len(BATTERY), "fail": 0, "unsupported": 0,
                                         "limit": 0, "not_run": 0}
    assert report.causes == ()


def test_check_correct_lecture_engine_passes_and_lists_what_it_lacks(reports):
    report = reports("correct")
    assert report.ok and report.counts["fail"] == 0
    # micrograd has no log, no Value exponent and no __rpow__: unsupported, not failed.
    assert {"log(x)", "x ** y", "2 ** x"} <= set(report.unsupported)
    assert "__rpow__" in report.unsupported["2 ** x"]
    assert "int/float powers" in report.unsupported["x ** y"]
    reused_log = _result(report, "log(x) * x")
    assert reused_log.status == "unsupported" and reused_log.failure.operation == "log(x)"


# ---- each broken engine: the right cause, named ----

BROKEN = {
    # engine: (words of the first cause, checks that must fail, checks that must pass)
    "grad_assigned_add": ("add's _backward assigns the grad (=)", ["x + x", "(x + y) * x"],
                          ["x * x", "(x * y) + x", "tanh neuron"]),
    "grad_assigned_all": ("every operation's _backward assigns the grad (=)",
                          ["x + x", "x * x", "tanh(x) * x", "exp(x) * x"],
                          ["x + y", "tanh(x)", "tanh neuron"]),
    "wrong_tanh": ("tanh's derivative is 1 - t: the square is missing", ["tanh(x)", "tanh neuron"],
                   ["x * y", "x + x", "micrograd README"]),
    "wrong_radd": ("__radd__ calls itself", ["2 + x"], ["x + 2", "x + x"]),
    "wrong_rsub": ("__rsub__ computes self - other", ["2 - x", "1 - x/y"], ["x - 2", "-(x/y) + 1"]),
    "pow_off_by_one": ("off by one in the exponent", ["x**3", "x**-2", "x**0.5"],
                       ["x * x", "tanh(x)"]),
    "no_topo": (NO_TOPOLOGICAL_SORT, ["b = x*y; c = b + y; b*c", "a = x + y; a*x + a*y"],
                ["x + x", "b = x*x; b + b", "tanh(x) * x"]),
    "no_seed": (SEED, ["x + y", "tanh(x)", "x + x"], []),
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_check_broken_engine_is_diagnosed_with_its_one_cause(reports, name):
    cause, failing, passing = BROKEN[name]
    report = reports(name)
    assert not report.ok
    assert len(report.causes) == 1 and cause in report.causes[0], report.causes
    for check in failing:
        result = _result(report, check)
        assert result.status == "fail", check
        assert result.cause == report.causes[0] and result.diagnosis.startswith(check)
    for check in passing:
        assert _result(report, check).status == "pass", check


def test_check_assignment_diagnosis_names_the_numbers_and_the_share(reports):
    result = _result(reports("grad_assigned_all"), "tanh(x) * x")
    # x*tanh(x) at 0.5: exact 0.8553; with tanh assigning, only x*(1 - tanh²) = 0.3932.
    assert "got 0.3932, expected 0.8553" in result.diagnosis
    assert "assigned (=) rather than accumulated (+=) in tanh's _backward" in result.diagnosis
    assert "right only when tanh's input is used nowhere else" in result.diagnosis


def test_check_wrong_tanh_diagnosis_shows_the_formulas(reports):
    result = _result(reports("wrong_tanh"), "tanh(x)")
    assert "got 0.5379, expected 0.7864 = 1 - tanh(x)**2" in result.diagnosis
    observation = result.observation("x")
    assert observation.finite_difference == pytest.approx(observation.exact, rel=1e-9)


def test_check_derived_operation_points_at_its_base(reports):
    report = reports("pow_off_by_one")
    division = _result(report, "x / y")  # micrograd: x * y**-1
    assert division.status == "fail" and "written with pow" in division.diagnosis
    assert division.cause == report.causes[0]


def test_check_recursive_sort_is_a_limit_named_with_its_fix(reports):
    report = reports("recursive_topo")
    assert report.ok and report.causes == () and RECURSIVE_SORT in report.limits[0]
    assert not dataclasses.replace(report, strict=True).ok
    for check in ("micrograd README", "b = x*y; c = b + y; b*c"):
        assert _result(report, check).status == "pass"


def test_check_recursion_is_caught_and_the_limit_restored(reports):
    limit = sys.getrecursionlimit()
    result = _result(reports("recursive_topo"), f"a chain of {DEEP_OPERATIONS:,} operations")
    assert result.status == "limit"
    assert result.failure.exception == "RecursionError"
    assert result.failure.recursing == "build_topo"
    assert "build_topo" in result.diagnosis and sys.getrecursionlimit() == limit


def test_check_report_is_frozen_data(reports):
    report = reports("correct")
    with pytest.raises(dataclasses.FrozenInstanceError):
        report.results[0].status = "fail"  # type: ignore[misc]


# ---- engines that raise or hang ----


def _write_engine(tmp_path, name, source):
    path = tmp_path / f"{name}.py"
    path.write_text((ENGINES / "correct.py").read_text() + textwrap.dedent(source))
    return load(f"{path}:Value")


def test_check_engine_that_raises_fails_with_the_exception_named(tmp_path):
    cls = _write_engine(tmp_path, "typo_in_exp", """
        def _exp(self):
            out = Value(math.exp(self.dta), (self,), 'exp')
            return out
        Value.exp = _exp
    """)
    report = check_engine(cls)
    result = _result(report, "exp(x)")
    assert result.status == "fail" and result.failure.exception == "AttributeError"
    assert "AttributeError" in result.diagnosis and "typo_in_exp.py" in result.diagnosis
    assert _result(report, "tanh(x)", "x=0.5").status == "pass"


def test_check_lecture_tanh_through_exp_overflows_at_1000(tmp_path):
    cls = _write_engine(tmp_path, "lecture_tanh", """
        def _tanh(self):
            x = self.data
            t = (math.exp(2*x) - 1)/(math.exp(2*x) + 1)
            out = Value(t, (self, ), 'tanh')
            def _backward():
                self.grad += (1 - t**2) * out.grad
            out._backward = _backward
            return out
        Value.tanh = _tanh
    """)
    report = check_engine(cls)
    # A limit, in its own section with its fix: not a failure unless strict.
    limits = [r for r in report.results if r.status == "limit"]
    assert report.ok and report.failures == ()
    assert [(r.name, r.check.at) for r in limits] == [("tanh(x)", "x=1000")]
    assert limits[0].failure.exception == "OverflowError"
    assert report.limits == ("tanh overflows for large |x| (computed through exp)",)
    assert "use math.tanh(x)" in limits[0].diagnosis
    assert not dataclasses.replace(report, strict=True).ok


def test_check_engine_that_hangs_is_stopped(tmp_path):
    cls = _write_engine(tmp_path, "hangs", """
        def _backward_forever(self):
            while True:
                pass
        Value.backward = _backward_forever
    """)
    report = check_engine(cls, timeout=0.1)
    timeouts = [r for r in report.results if r.failure and r.failure.kind == "timeout"]
    assert len(timeouts) == report.counts["fail"] == 3 and not report.ok
    assert "took longer than 0.1 s" in timeouts[0].diagnosis
    # the rest are not run: neither failures nor hangs nor causes of their own
    assert report.counts["not_run"] > 0
    assert report.causes == tuple(f"{r.name} does not finish" for r in timeouts)


# ---- loading a user's class ----


def test_load_file_module_and_default_class_name():
    # An Engine says where the class is; the class itself is only ever loaded apart.
    assert load(str(ENGINES / "correct.py")).__name__ == "Value"
    assert load("diffcompare.engine:Value").spec == "diffcompare.engine:Value"
    assert load(Value).spec == "diffcompare.engine:Value"


@pytest.mark.parametrize("spec, words", [
    ("tests/engines/nothing_here.py:Value", "no such file"),
    ("tests/engines/correct.py:Valeu", "has no 'Valeu'; it defines Value"),
    ("tests/engines/correct.py:math", "is a module; give the class"),
    ("no_such_package.engine:Value", "no module named 'no_such_package.engine'"),
    ("tests/engines/correct.py:2x", "cannot read the engine"),
])
def test_load_bad_spec_is_an_input_error(spec, words):
    with pytest.raises(InputError) as caught:
        load(str(ROOT / spec) if spec.startswith("tests/") else spec)
    assert words in str(caught.value)


def test_load_file_that_fails_to_import_names_the_error(tmp_path, capsys):
    path = tmp_path / "broken_import.py"
    path.write_text("print('hello from the engine')\nclass Value:\n    def __init__(self, data)\n")
    with pytest.raises(InputError) as caught:
        load(f"{path}:Value")
    assert "importing broken_import.py failed: SyntaxError" in str(caught.value)
    path.write_text("print('hello from the engine')\nclass Value:\n    pass\n")
    load(f"{path}:Value")
    captured = capsys.readouterr()
    assert captured.out == "" and "hello from the engine" in captured.err
    waits = tmp_path / "waits_for_input.py"
    waits.write_text("name = input('your name? ')\n")
    with pytest.raises(InputError, match="EOFError"):
        load(f"{waits}:Value")


def test_check_shape_refuses_a_class_that_is_not_a_value():
    class NeedsTwo:
        def __init__(self, data, other):
            self.data = data

    with pytest.raises(InputError, match="does not look like a micrograd Value"):
        check_shape(NeedsTwo)
    with pytest.raises(InputError, match="does not look like a micrograd Value"):
        check_shape(dict)


# ---- the battery itself ----


@pytest.mark.parametrize("check", BATTERY, ids=[f"{c.name} at {c.at}" for c in BATTERY])
def test_check_battery_references_agree(check):
    # Symbolic, autograd and finite differences agree on every graph of the battery, so
    # a failure always means the learner's engine, never a doubtful reference.
    expression = check.build() if check.build else check.expression
    result = compare(expression, at=check.at)
    assert result.agree, verdict_text(result.verdict)


# ---- the command line ----


def test_cli_check_broken_engine_exits_1_with_table_diagnoses_and_summary(capsys):
    assert main(["check", str(ENGINES / "wrong_rsub.py")]) == 1
    out = capsys.readouterr().out
    assert "2 - x" in out and "FAIL" in out and "unsupported" in out
    assert "likely cause:\n  1. __rsub__ computes self - other" in out
    assert out.strip().splitlines()[-1].startswith("FAIL: 50 passed, 2 failed")


def test_cli_check_correct_engine_exits_0():
    done = run_cli("check", "tests/engines/correct.py:Value")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1].startswith("PASS: 52 passed, 0 failed")


def test_cli_check_json(capsys):
    assert main(["check", f"{ENGINES / 'no_seed.py'}:Value", "--json"]) == 1
    document = json.loads(capsys.readouterr().out)
    assert document["ok"] is False and document["causes"] == [SEED]
    first = document["checks"][0]
    assert first["numbers"]["x"]["got"] == 0.0 and first["numbers"]["x"]["exact"] == 1.0


@pytest.mark.parametrize("args", [
    ["check"],
    ["check", "tests/engines/nothing_here.py"],
    ["check", "tests/engines/correct.py:Valeu"],
    ["check", "tests/engines/correct.py:math"],
])
def test_cli_check_bad_input_is_one_line_and_exit_2(args, capsys):
    assert main(args) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and len(captured.err.strip().splitlines()) == 1


def test_cli_check_help_says_importing_runs_the_code():
    done = run_cli("check", "--help")
    assert done.returncode == 0
    assert "runs the file's code" in " ".join(done.stdout.split())


def test_cli_engine_option_adds_a_fourth_column(capsys):
    status = main(["x*tanh(x) + x", "--at", "x=0.5", "--engine", str(ENGINES / "wrong_tanh.py")])
    captured = capsys.readouterr()
    assert status == 1
    table_rows = [line for line in captured.out.splitlines() if line.startswith(("f ", "df/dx", " "))]
    assert any("wrong_tanh.py:Value" in row for row in table_rows)  # a row of the table
    assert "DISAGREE: wrong_tanh.py:Value df/dx" in captured.out
    assert "diffcompare check" in captured.err
    status = main(["x*tanh(x) + x", "--at", "x=0.5", "--engine", str(ENGINES / "correct.py")])
    assert status == 0 and "correct.py:Value" in capsys.readouterr().out


def test_cli_engine_option_reports_unsupported_operations(capsys):
    status = main(["sin(x) + x", "--at", "x=0.5", "--engine", str(ENGINES / "correct.py")])
    out = capsys.readouterr().out
    assert status == 0 and "sin(x) is not supported: the class has no sin() method" in out


def test_engine_method_matches_our_autograd_on_the_corpus():
    from diffcompare.language.corpus import CORPUS

    ours = method(Value)
    for case in CORPUS:
        result = compare(case.expression, at=case.at, methods={"ours": ours})
        # where has no spelling a micrograd-style class could have: unsupported, unjudged
        unsupported = result.methods[0].details.get("unsupported")
        assert result.agree or unsupported, (case.name, verdict_text(result.verdict))


def test_cli_engine_unsupported_operation_is_not_judged_a_disagreement(capsys):
    # Regression: a missing sin() counted as a disagreement with --engine, while check
    # calls it unsupported.
    status = main(["x*sin(x)", "--at", "x=0.5", "--engine", str(ENGINES / "correct.py")])
    out = capsys.readouterr().out
    assert status == 0 and "correct.py:Value not judged" in out


def test_check_engine_that_calls_os_exit_fails_instead_of_ending_the_process(tmp_path,
                                                                            monkeypatch):
    # os._exit used to end the check with no output and status 0: a silent pass. Should
    # that come back, the stand-in below fails this test instead of ending pytest.
    def real_exit_reached(status):
        raise AssertionError("the real os._exit was reached")

    monkeypatch.setattr(os, "_exit", real_exit_reached)
    cls = _write_engine(tmp_path, "exits", """
        import os
        def _backward_and_exit(self):
            os._exit(0)
        Value.backward = _backward_and_exit
    """)
    report = check_engine(cls)
    assert report.counts["pass"] == 0 and report.counts["fail"] > 0
    assert "process ended with exit status 0" in report.results[0].failure.message


def test_check_command_on_an_engine_that_exits_at_import_is_one_line(tmp_path):
    path = tmp_path / "exits_at_import.py"
    path.write_text("import os\nos._exit(0)\n")
    done = run_cli("check", str(path))
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and "ended with exit status 0" in done.stderr
