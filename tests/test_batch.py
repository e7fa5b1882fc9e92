"""compare_many and run_many: many cases over worker processes, one failure costing only
its own case (issue 12 §7)."""

import multiprocessing
import os
import time

import pytest

from diffcompare import compare, compare_many
from diffcompare.batch import (CHUNK_SECONDS, MAX_CHUNK, Failure, _Pace, run_many,
                               split_case)
from diffcompare.language.errors import InputError


def _misbehave(item):
    if item == "hang":
        time.sleep(60)
    if item == "crash":
        os._exit(3)
    if item == "bad":
        raise InputError("a bad case")
    return item * 2


def test_run_many_a_hung_or_crashed_case_costs_only_itself():
    start = time.monotonic()
    results = list(run_many(_misbehave, [1, "hang", 2, "crash", "bad", 3], jobs=2,
                            deadline=2.0))
    assert results[0] == 2 and results[2] == 4 and results[5] == 6
    assert results[1] == Failure(1, "timeout", results[1].reason)
    assert "2 s" in results[1].reason
    assert results[3].kind == "crash" and "exit status 3" in results[3].reason
    assert results[4] == Failure(4, "input", "a bad case")
    assert time.monotonic() - start < 30
    assert multiprocessing.active_children() == []  # the pool is gone


def test_run_many_a_hang_or_crash_inside_a_chunk_costs_only_its_own_item():
    # Fast items travel in chunks; the chunk holding the hang (or the crash) fails as a
    # whole and its items run again one at a time: only the bad ones are failures.
    items = [k for k in range(80)]
    items[50], items[60], items[70] = "hang", "crash", "bad"
    start = time.monotonic()
    results = list(run_many(_misbehave, items, jobs=2, deadline=2.0))
    assert [r for k, r in enumerate(results) if k not in (50, 60, 70)] == \
        [2 * k for k in range(80) if k not in (50, 60, 70)]
    assert results[50] == Failure(50, "timeout", results[50].reason)
    assert results[60].kind == "crash" and results[60].index == 60
    assert results[70] == Failure(70, "input", "a bad case")
    assert time.monotonic() - start < 30
    assert multiprocessing.active_children() == []


def test_chunks_hold_about_chunk_seconds_of_work():
    pace = _Pace()
    assert pace.chunk_size() == 1  # nothing timed yet
    pace.add(0.002 * 10, 10)  # 2 ms an item: as many as fit, up to the cap
    assert pace.chunk_size() == min(MAX_CHUNK, int(CHUNK_SECONDS / 0.002))
    pace.add(10.0, 10)  # now about half a second an item: one at a time
    assert pace.chunk_size() == 1
    assert pace.chunk_timeout(1) == float("inf")  # a lone item has the whole deadline


def test_run_many_stopped_early_leaves_no_worker():
    results = run_many(_misbehave, range(100), jobs=2)
    assert next(results) == 0
    results.close()
    assert multiprocessing.active_children() == []


def test_compare_many_gives_what_compare_gives_in_order():
    cases = ["3*x**2 - 4*x + 5 @ x=3", ("x**2*sin(y)", "x=1,y=2"), "abs(x) @ x=0",
             "foo(x) @ x=1", "log(x) @ x=-1"]
    results = list(compare_many(cases, jobs=2))
    assert isinstance(results[3], Failure) and "unknown function 'foo'" in results[3].reason
    for case, result in zip(cases, results):
        if isinstance(result, Failure):
            continue
        expression, at = split_case(case)
        alone = compare(expression, at=at)
        assert result.verdict == alone.verdict
        assert result.reference.exact == alone.reference.exact


def test_compare_many_in_this_process_too():
    assert [r.agree for r in compare_many(["x**2 @ x=3", "sin(x)"], jobs=0)] == [True, True]


@pytest.mark.parametrize("jobs", [0, 2])
def test_compare_many_a_case_it_cannot_read_is_that_cases_failure(jobs):
    # One None among the cases raised TypeError half-way and the rest of the batch was
    # lost; ("x", 5) came back as a "crash".
    results = list(compare_many(["x**2 @ x=3", None, 42, ("x", 5), (3, "x=1"), "sin(x)"],
                                jobs=jobs))
    assert results[0].agree and results[5].agree
    for index in (1, 2, 3, 4):
        assert results[index].kind == "input" and results[index].index == index
    assert "compare_many() takes cases" in results[1].reason
    assert "point" in results[3].reason and "int" in results[3].reason
    assert "expression" in results[4].reason


@pytest.mark.parametrize("arguments, error, words", [
    (("x**2 @ x=3",), TypeError, "not one str"),
    ((["x"], -1), ValueError, ">= 0"),
    ((["x"], "2"), TypeError, "not str"),
    ((["x"], True), TypeError, "not bool"),
])
def test_compare_many_refuses_bad_arguments_at_once(arguments, error, words):
    with pytest.raises(error, match=words):
        compare_many(*arguments)  # at the call, not at the first result


@pytest.mark.parametrize("deadline", [0, -1, float("nan"), float("inf"), "10"])
def test_compare_many_refuses_a_deadline_that_is_no_positive_number(deadline):
    with pytest.raises((TypeError, ValueError), match="deadline"):
        compare_many(["x"], jobs=0, deadline=deadline)


# ---- without pebble (an optional dependency: the batch and report extras) ----

_NO_PEBBLE = "import sys; sys.modules['pebble'] = None  # as if not installed\n"


def _without_pebble(code: str) -> "subprocess.CompletedProcess":
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-c", _NO_PEBBLE + code], capture_output=True,
                          text=True, timeout=120)


def test_compare_many_without_pebble_says_what_to_install_in_one_line():
    done = _without_pebble(
        "from diffcompare import compare_many\n"
        "try:\n    compare_many(['x**2 @ x=3'], jobs=2)\n"
        "except ImportError as error:\n    print(error)\n"
        "print([r.agree for r in compare_many(['x**2 @ x=3'], jobs=0)])\n")
    assert done.returncode == 0, done.stderr
    refusal, here = done.stdout.splitlines()
    assert 'pip install "diffcompare[batch]"' in refusal and here == "[True]"


def test_report_jobs_1_runs_in_this_process_without_pebble(tmp_path):
    corpus = tmp_path / "class.txt"
    corpus.write_text("x**2 @ x=3\nsin(x) @ x=1\n")
    done = _without_pebble(
        "from diffcompare.cli import main\n"
        f"print(main(['report', '--corpus', {str(corpus)!r}, '--out', {str(tmp_path / 'a')!r},"
        " '--jobs', '1']))\n"
        f"print(main(['report', '--corpus', {str(corpus)!r}, '--out', {str(tmp_path / 'b')!r},"
        " '--jobs', '2']))\n")
    assert done.returncode == 0, done.stderr
    wrote, first, second = done.stdout.splitlines()
    assert wrote.startswith("wrote ") and (first, second) == ("0", "2")
    assert (tmp_path / "a" / "index.html").is_file() and not (tmp_path / "b").exists()
    assert "--jobs 2 needs pebble" in done.stderr
    assert "pip install 'diffcompare[report]'" in done.stderr


def test_compare_many_a_large_expression_crosses_from_its_worker():
    # autograd's recorded graph does not pickle past a few hundred nodes (recursion);
    # compare_many's results leave it out, in a worker or here alike
    many = " + ".join(f"x{k}*x{k}" for k in range(400))
    (far,) = compare_many([many], jobs=1)
    (here,) = compare_many([many], jobs=0)
    assert not isinstance(far, Failure) and far.agree and far.verdict == here.verdict
    assert all("graph" not in result.details for result in (*far.methods, *here.methods))
    assert any("graph" in result.details for result in compare(many).methods)


def test_compare_many_takes_value_graphs_as_compare_does():
    from diffcompare import Value

    x = Value(2.0, label="x")
    y = x * x + x
    results = list(compare_many([(y, None), "x**2 @ x=1"], jobs=1))
    assert results[0].agree and results[0].reference.gradient["x"] == 5.0 and results[1].agree


@pytest.mark.parametrize("keywords", [{"timeout": "5"}, {"timeout": -1}, {"limits": "x"}])
def test_compare_many_refuses_a_bad_timeout_or_limits_at_the_call(keywords):
    with pytest.raises(TypeError, match=next(iter(keywords))):
        compare_many(["x"], jobs=0, **keywords)


def test_run_many_in_this_process_makes_an_items_exception_its_failure():
    def explode(item):
        if item == 2:
            raise RuntimeError("boom")
        return item

    results = list(run_many(explode, [1, 2, 3], jobs=0))
    assert results[0] == 1 and results[2] == 3
    assert results[1] == Failure(1, "crash", "RuntimeError: boom")
