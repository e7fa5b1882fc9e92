import os
import signal
import time

import pytest

from diffcompare.methods import budget


def test_budget_run_returns_the_childs_result():
    assert budget.run(lambda: {"answer": [6 * 7]}, seconds=10) == {"answer": [42]}


def test_budget_run_kills_the_child_when_the_budget_runs_out():
    start = time.monotonic()
    with pytest.raises(budget.OutOfTime, match="timed out after 0.2 s"):
        budget.run(lambda: time.sleep(60), seconds=0.2)
    assert time.monotonic() - start < 5
    with pytest.raises(ChildProcessError):  # killed and reaped: no zombie
        os.waitpid(-1, os.WNOHANG)


def test_budget_run_exception_in_the_child_is_a_one_line_failure():
    def fail():
        raise ValueError("first line\nsecond line")

    with pytest.raises(budget.Failed, match="^ValueError: first line second line$"):
        budget.run(fail, seconds=10)


def test_budget_run_crash_of_the_child_is_a_failure():
    with pytest.raises(budget.Failed, match="SIGSEGV"):
        budget.run(lambda: os.kill(os.getpid(), signal.SIGSEGV), seconds=10)


def test_budget_run_memory_is_limited():
    with pytest.raises(budget.Failed, match="ran out of memory"):
        budget.run(lambda: len(bytearray(1 << 30)), seconds=10, memory_mib=256)


def test_budget_run_recursion_error_is_named():
    def deep(n):
        return deep(n + 1)

    with pytest.raises(budget.Failed, match="nested too deeply"):
        budget.run(lambda: deep(0), seconds=10)


def test_budget_run_large_results_come_back_whole():
    assert len(budget.run(lambda: "x" * 5_000_000, seconds=20)) == 5_000_000


def test_budget_thread_fallback_answers_in_time():
    assert budget._run_in_thread(lambda: 7, seconds=5) == 7
    with pytest.raises(budget.OutOfTime):
        budget._run_in_thread(lambda: time.sleep(1), seconds=0.05)
