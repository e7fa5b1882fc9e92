import json
import os
import signal
import time

import pytest

from diffcompare import present
from diffcompare.methods import budget
from diffcompare.options import json_text
from diffcompare.present import verdict_text


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


# ---- the budget and the caller's program (issue 16 §6) ----

THREADED_CASES = [("x**2*sin(y) + tanh(x*y)", "x=1,y=2"), ("abs(x) + x", "x=0"),
                  ("log(x)", "x=-1"), ("exp(x)/(1 + x**2)", "x=0.3"), ("relu(x)*y", "x=0,y=2")]


def test_budget_compare_from_several_threads_gives_the_same_results():
    from concurrent.futures import ThreadPoolExecutor

    from diffcompare import compare

    alone = [compare(e, at=a) for e, a in THREADED_CASES]
    with ThreadPoolExecutor(max_workers=4) as pool:
        together = list(pool.map(lambda case: compare(*case), THREADED_CASES * 2))
    for one, other in zip(alone * 2, together):
        assert (one.verdict, one.reference.exact) == (other.verdict, other.reference.exact)


def test_budget_keeps_the_callers_gc_freeze():
    import gc

    gc.freeze()
    frozen = gc.get_freeze_count()
    try:
        assert budget.run(lambda: 42, seconds=10) == 42
        # still frozen (gc.unfreeze() would make it 0); a frozen object freed meanwhile
        # leaves the count, so it may be a little lower
        assert gc.get_freeze_count() >= frozen * 0.9
    finally:
        gc.unfreeze()


def test_budget_keeps_the_callers_timer_and_leaves_no_child():
    from diffcompare import compare

    rang = []

    def ring(signum, frame):
        rang.append(signum)

    previous = signal.signal(signal.SIGALRM, ring)
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.002, 0.002)  # rings all through compare()
        compare("exp(exp(exp(exp(x))))*sin(x)", at="x=0.5")
        remaining, interval = signal.getitimer(signal.ITIMER_REAL)
        assert rang and interval == 0.002 and 0 < remaining <= 0.002
        assert signal.getsignal(signal.SIGALRM) is ring
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    with pytest.raises(ChildProcessError):
        os.waitpid(-1, os.WNOHANG)


def test_budget_child_dies_with_its_parent():
    import subprocess
    import sys

    from helpers import ROOT

    code = ("from diffcompare.methods import budget; import time; "
            "budget.run(lambda: time.sleep(60), seconds=60)")
    parent = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT,
                              env={**os.environ, "PYTHONPATH": str(ROOT)})
    children = []
    deadline = time.monotonic() + 30
    while not children and time.monotonic() < deadline:
        time.sleep(0.1)
        children = open(f"/proc/{parent.pid}/task/{parent.pid}/children").read().split()
    assert children, "the budget's child did not start"
    parent.kill()
    parent.wait()
    child = int(children[0])
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and _alive(child):
        time.sleep(0.05)
    assert not _alive(child)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has died
    except OSError:
        return False


def test_budget_kink_search_out_of_time_is_unknown_never_agree(monkeypatch):
    from diffcompare import compare
    from diffcompare.methods import kinks

    monkeypatch.setattr(kinks, "find", lambda *args: time.sleep(30))
    result = compare("abs(x) + x", at="x=0", timeout=1.0)
    assert result.verdict.status == "unknown" and not result.agree
    text = verdict_text(result.verdict)
    assert text.startswith("UNKNOWN: the search for kinks ran out of time") and "AGREE" in text
    document = json.loads(json_text(present.document(result)))
    assert document["verdict"] == "unknown" and document["verdict_text"] == text


def test_parse_from_several_threads_leaves_the_recursion_limit_as_it_was():
    import sys
    from concurrent.futures import ThreadPoolExecutor

    from diffcompare import parse

    before = sys.getrecursionlimit()
    long_sum = " + ".join(f"x{k}" for k in range(300))
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda _: parse(long_sum), range(200)))
    assert sys.getrecursionlimit() == before
