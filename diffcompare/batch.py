"""Many comparisons at once, over a pool of worker processes (pebble's ``ProcessPool``).

    >>> from diffcompare import compare_many
    >>> [result.agree for result in compare_many(["x**2 @ x=3", ("sin(x)", "x=1")], jobs=1)]
    [True, True]

Each case runs in a worker with a deadline. A case that hangs past it has its worker
killed and replaced; a case whose worker dies (a crash, running out of memory) has a new
worker too. Either way only that case is lost: it comes back as a ``Failure`` saying
why, and the other cases go on. pebble does exactly this (concurrent.futures' pool
breaks as a whole when a worker dies, and cannot stop one task), hence the dependency:
an optional one (``pip install "diffcompare[batch]"``); ``jobs=0`` needs none.

Results come back in the order of the cases, one at a time, so a caller that does not
keep them uses flat memory however many cases there are; workers are replaced after
``TASKS_PER_WORKER`` cases so that their own memory stays flat too.
"""

from __future__ import annotations

import importlib.util
import itertools
import os
import signal
import sys
from collections import deque
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, replace
from typing import Any, Callable, Iterable, Iterator, Sequence

from diffcompare.compare import Comparison, compare
from diffcompare.language.errors import InputError
from diffcompare.language.limits import Limits
from diffcompare.methods import budget, symbolic

# A case may take this long in all (the symbolic budget bounds only sympy's part).
DEFAULT_DEADLINE = 120.0
# Cases a worker runs before it is replaced by a fresh one: sympy's caches grow with
# every expression it has seen, so a long run would otherwise grow without bound.
TASKS_PER_WORKER = 500
# What pickling a result may recurse in a worker: as deep as the parser goes.
RESULT_RECURSION_LIMIT = 20_000
_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
# Cases in flight per worker: enough that a worker never waits for its next case, few
# enough that neither the cases nor their results pile up in memory.
WINDOW = 4


@dataclass(frozen=True)
class Failure:
    """A case that gave no result: bad input, a deadline passed, or its worker died."""

    index: int  # 0-based, in the order of the cases
    kind: str  # "input", "timeout" or "crash"
    reason: str  # one line

    @property
    def agree(self) -> bool:
        return False


def has_pool() -> bool:
    """Whether pebble is installed, so that cases can run in worker processes."""
    return importlib.util.find_spec("pebble") is not None


def require_pool(jobs: int | None) -> None:
    """``ImportError`` in one line when ``jobs`` asks for worker processes without pebble."""
    if jobs != 0 and not has_pool():
        raise ImportError('worker processes need pebble: pip install "diffcompare[batch]" '
                          "(or jobs=0: every case in this process)")


def run_many(function: Callable[[Any], Any], items: Iterable[Any], jobs: int | None = None,
             deadline: float = DEFAULT_DEADLINE,
             tasks_per_worker: int = TASKS_PER_WORKER) -> Iterator[Any]:
    """``function(item)`` for every item, in order, over ``jobs`` worker processes.

    Yields each result, or a ``Failure`` for an item that raised ``InputError``, took
    longer than ``deadline`` seconds or whose worker died. ``jobs`` None is one per
    core; 0 runs here, in this process, without deadline or isolation (and without
    pebble). ``function`` must be picklable (a module-level function), and so must its
    items and results. Without pebble, any other ``jobs`` raises ``ImportError``.
    """
    if jobs == 0:
        yield from _here(function, items)
        return
    require_pool(jobs)
    from pebble import ProcessExpired, ProcessPool

    jobs = jobs or os.cpu_count() or 1
    pool = ProcessPool(max_workers=jobs, max_tasks=tasks_per_worker, initializer=_worker_start)
    pending: deque = deque()  # at most WINDOW per worker in flight: memory stays flat
    items = iter(items)
    try:
        for item in itertools.islice(items, WINDOW * jobs):
            pending.append(pool.schedule(function, (item,), timeout=deadline))
        index = 0
        while pending:
            outcome = _outcome(pending.popleft(), index, deadline, ProcessExpired)
            for item in itertools.islice(items, 1):
                pending.append(pool.schedule(function, (item,), timeout=deadline))
            yield outcome
            index += 1
    finally:  # also on Ctrl-C or when the caller stops early: no worker left behind
        pool.stop()
        pool.join()


def _outcome(future, index: int, deadline: float, expired: type) -> Any:
    """The result of one case, or the ``Failure`` it came to."""
    try:
        return future.result()
    except InputError as error:
        return Failure(index, "input", error.one_line())
    except FutureTimeout:
        return Failure(index, "timeout", f"took longer than {deadline:g} s; its worker was "
                       "stopped")
    except expired as error:
        return Failure(index, "crash", f"its worker died ({_describe(error.exitcode)})")
    except Exception as error:  # noqa: BLE001 - one case's bug is that case's failure
        return Failure(index, "crash", f"{type(error).__name__}: {error}"[:300])


def _here(function: Callable[[Any], Any], items: Iterable[Any]) -> Iterator[Any]:
    for index, item in enumerate(items):
        try:
            yield function(item)
        except InputError as error:
            yield Failure(index, "input", error.one_line())


def _worker_start() -> None:
    """A worker leaves Ctrl-C to the parent (which stops the pool) and dies with it. It
    runs sympy in place under the time budget: the pool's deadline is its fence. Its
    results are pickled back with the recursion limit the parser allows (an expression
    of a few hundred terms is that deep); the parent's unpickling does not recurse."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    sys.setrecursionlimit(max(sys.getrecursionlimit(), RESULT_RECURSION_LIMIT))
    budget.run_in_place()
    budget.limit_memory(budget.DEFAULT_MEMORY_MIB)
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() == 1:  # the parent died before prctl: nothing would wake us
            os._exit(1)
    except (OSError, AttributeError):
        pass  # not Linux: a worker then exits when it finds its pipe closed


def _describe(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        try:
            return f"killed by {signal.Signals(-exitcode).name}"
        except ValueError:
            return f"killed by signal {-exitcode}"
    return f"exit status {exitcode}"


# ---- comparisons ----

def compare_many(cases: Iterable[Any], jobs: int | None = None, *,
                 timeout: float | None = symbolic.DEFAULT_TIMEOUT,
                 limits: Limits | None = None,
                 deadline: float = DEFAULT_DEADLINE) -> Iterator[Comparison | Failure]:
    """``compare()`` of every case, over ``jobs`` processes; one result per case, in order.

    A case is an expression (``"x**2"``, or ``"x**2 @ x=3"`` with its point after ``@``),
    an ``(expression, at)`` pair, or anything with ``expression`` and ``at`` attributes
    (``corpus.Case``). ``timeout`` and ``limits`` are ``compare()``'s; ``deadline``
    bounds a whole case. A case that cannot be compared is a ``Failure``, never an
    exception: the others still come. Worker processes need pebble
    (``pip install "diffcompare[batch]"``): without it, ``ImportError`` at once, unless
    ``jobs`` is 0.
    """
    require_pool(jobs)  # now, not at the first result
    tasks = ((*split_case(case), timeout, limits) for case in cases)
    return run_many(_compare_one, tasks, jobs, deadline)


def _compare_one(task: tuple) -> Comparison:
    expression, at, timeout, limits = task
    return portable(compare(expression, at=at, timeout=timeout, limits=limits))


def portable(comparison: Comparison) -> Comparison:
    """``comparison`` without the graph autograd recorded (``details["graph"]``, for
    pictures), so that it crosses to the parent process: pickling a graph recurses once
    per node, past Python's limit for an expression of a few hundred terms. Whatever
    ``jobs``, so that every ``compare_many`` result is the same; ``compare()`` keeps it."""
    if not any("graph" in result.details for result in comparison.methods):
        return comparison
    return replace(comparison, methods=tuple(
        replace(result, details={k: v for k, v in result.details.items() if k != "graph"})
        for result in comparison.methods))


def split_case(case: Any) -> tuple[str, Any]:
    """The expression and point of a case given in any form ``compare_many`` takes."""
    if isinstance(case, str):
        expression, separator, at = case.partition("@")
        return expression.strip(), (at.strip() or None) if separator else None
    if isinstance(case, Sequence) and len(case) == 2:
        return case[0], case[1] or None
    if hasattr(case, "expression") and hasattr(case, "at"):
        return case.expression, case.at or None
    raise TypeError("compare_many() takes cases as \"x**2 @ x=3\", (expression, at) pairs "
                    f"or objects with .expression and .at, not {type(case).__name__}")
