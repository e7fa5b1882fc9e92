"""Check on learners' engines as they are written (issue 11 §5): each fault kind found in
real learner engines, with the outcome a learner can believe. The engines are in
tests/engines/learners/ and tests/engines/lecture.py; their docstrings say what each shows.
"""

import dataclasses

import pytest
from helpers import ROOT, run_cli

from diffcompare import InputError, check_engine
from diffcompare.check.diagnose import OVERCOUNT, RECURSIVE_SORT
from diffcompare.check.user_engine import load

ENGINES = ROOT / "tests" / "engines"
LEARNERS = ENGINES / "learners"


@pytest.fixture(scope="module")
def reports():
    cache = {}

    def report(spec):
        if spec not in cache:
            cache[spec] = check_engine(str(spec))
        return cache[spec]
    return report


def _result(report, name):
    return next(r for r in report.results if r.name == name)


def test_check_lecture_engine_as_written(reports):
    report = reports(ENGINES / "lecture.py")
    # every gradient of a single backward() is right: only the second-backward checks fail
    assert {r.name for r in report.failures} == {"backward() twice on (x + y) * x",
                                                 "backward() twice on the tanh neuron"}
    assert report.causes == (OVERCOUNT,)
    assert "as the lecture's does, is not affected" in OVERCOUNT
    assert "df/dx got 6, expected 4.5" in _result(report, "backward() twice on (x + y) * x").diagnosis
    assert len(report.limits) == 2 and RECURSIVE_SORT in report.limits[0]
    assert "tanh overflows" in report.limits[1]
    overflow = next(r for r in report.results if r.status == "limit" and r.name == "tanh(x)")
    assert "use math.tanh(x)" in overflow.diagnosis


def test_check_lecture_engine_lists_what_it_lacks_in_a_few_lines(reports):
    from diffcompare.check.command import render, table

    report = reports(ENGINES / "lecture.py")
    text = render(report)
    unsupported = report.counts["unsupported"]
    assert unsupported > 40  # the table's functions a micrograd engine has no method for
    # one table row for all of them, not a row each
    rows = table(report).splitlines()[2:]
    assert len(rows) == len(report.results) - unsupported + 1
    assert sum(" unsupported " in row for row in rows) == 1
    assert f"not supported        {unsupported} checks" in text
    assert f"not supported by this class ({unsupported} checks need these" in text
    missing = next(line for line in text.splitlines() if line.startswith("  - no method: "))
    assert "sin, cos, tan, log, sqrt, sigmoid, relu" in missing and "tanh" not in missing
    assert "  - 2 - x: no __rsub__ (TypeError" in text
    assert "  - x ** y: AssertionError: only supporting int/float powers" in text


def test_check_correct_engine_zeroing_intermediate_grads_passes():
    done = run_cli("check", str(ENGINES / "correct.py"))
    assert done.returncode == 0 and "PASS" in done.stdout


def test_check_lecture_over_count_named_on_a_learner_engine(reports):
    report = reports(LEARNERS / "twice_overcounts.py")
    assert report.causes == (OVERCOUNT,)


@pytest.mark.parametrize("name", ["narrow_unsupported.py", "int_power.py",
                                  "function_style_ops.py", "values_only_recursive.py"])
def test_check_unsupported_is_not_failed(reports, name):
    report = reports(LEARNERS / name)
    single = [r for r in report.failures if r.check.role != "twice"]
    assert single == [], [(r.name, r.diagnosis) for r in single]


def test_check_missing_neg_and_int_exponent(reports):
    narrow = reports(LEARNERS / "narrow_unsupported.py")
    assert "__neg__" in narrow.unsupported["-x"]
    power = reports(LEARNERS / "int_power.py")
    assert _result(power, "x**3").status == "pass"  # __pow__(3), an int, as Python calls it
    assert _result(power, "x**-2").status == "pass"


def test_check_static_function_operations_are_found(reports):
    report = reports(LEARNERS / "function_style_ops.py")
    assert _result(report, "tanh(x)").status == "pass"
    assert _result(report, "exp(x)").status == "pass"


def test_check_values_only_engine_gets_its_deep_graph(reports):
    report = reports(LEARNERS / "values_only_recursive.py")
    deep = _result(report, "a chain of 5,000 additions of x")
    assert deep.status == "limit" and RECURSIVE_SORT in deep.cause


def test_check_partial_domain_is_a_limit_only_with_strict(reports):
    report = reports(ENGINES / "lecture.py")
    assert not report.ok  # the over-count
    strict = dataclasses.replace(report, strict=True)
    assert strict.counts["limit"] == 3 and not strict.ok


@pytest.mark.parametrize("spec", [LEARNERS / "notebook_engine.ipynb",
                                  LEARNERS / "jupytext_engine.py"])
def test_check_engine_in_a_notebook_loads_and_is_checked(reports, spec):
    report = reports(spec)
    assert _result(report, "x + y").status == "pass"
    assert _result(report, "micrograd README").status in ("pass", "unsupported")


def test_check_notebook_runs_the_cells_up_to_the_class(tmp_path):
    done = run_cli("check", "notebook_engine.ipynb", cwd=LEARNERS)
    assert done.returncode in (0, 1) and "notebook_engine.ipynb:Value" in done.stdout


def test_check_backprop_named_method_gets_a_hint():
    with pytest.raises(InputError) as caught:
        check_engine(str(LEARNERS / "named_backprop.py"))
    message = caught.value.one_line()
    assert "no .backward() method" in message and "Value.backward = Value.backprop" in message


def test_check_relative_import_gets_the_package_hint():
    with pytest.raises(InputError) as caught:
        load(str(LEARNERS / "relative_import_pkg" / "engine.py"))
    assert "give relative_import_pkg.engine:Value" in caught.value.one_line()
    done = run_cli("check", "relative_import_pkg.engine:Value", cwd=LEARNERS)
    assert done.returncode in (0, 1) and "Traceback" not in done.stderr


@pytest.mark.parametrize("name, cause", [
    ("equal_by_value.py", "nodes compare and hash by value"),
    ("preorder_walk.py", "walks the graph in pre-order"),
    ("radd_multiplies.py", "__radd__ computes 2 * x"),
])
def test_check_diagnosis_names_the_real_cause(reports, name, cause):
    report = reports(LEARNERS / name)
    assert not report.ok and cause in report.causes[0], report.causes


def test_check_preorder_walk_keeps_the_second_bug_named(reports):
    report = reports(LEARNERS / "preorder_walk.py")
    assert any("div's _backward" in cause for cause in report.causes[1:])


def test_check_numpy_grad_is_zeroed_in_place_not_replaced(reports):
    # The engine adds into a 0-d array in place: a float written over it broke the engine.
    report = reports(LEARNERS / "array_grad.py")
    assert _result(report, "zero grads, new graph, backward()").status == "pass"
    assert [r.check.role for r in report.failures] == ["twice"]  # its real over-count


def test_check_failure_is_blamed_on_the_form_that_fails(reports):
    report = reports(LEARNERS / "pow_ratio.py")
    square = next(r for r in report.failures if r.name == "x**2")
    assert "x**y" not in square.diagnosis and "x**2 gives NaN at x=0" == square.cause
    rsub = reports(LEARNERS / "rsub_hidden.py")
    assert any("__rsub__ computes self - other" in cause for cause in rsub.causes)


def test_check_upstream_grad_bug_is_named(reports):
    report = reports(LEARNERS / "tanh_precedence.py")
    assert "tanh's _backward multiplies only part of its local derivative" in report.causes[0]
