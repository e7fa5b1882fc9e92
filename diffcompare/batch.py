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
keep them uses flat memory however many cases there are; workers are replaced after at
most ``TASKS_PER_WORKER`` cases (after ``TASKS_PER_WORKER // MAX_CHUNK`` chunks: fewer
cases when they are slow enough to travel alone) so that their own memory stays flat too.
"""

from __future__ import annotations

import gc
import importlib.util
import itertools
import math
import os
import signal
import sys
import time
from collections import deque
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, replace
from typing import Any, Callable, Iterable, Iterator, Sequence

from diffcompare.compare import Comparison, checked_arguments, compare
from diffcompare.language.errors import InputError
from diffcompare.language.limits import Limits
from diffcompare.methods import budget, symbolic

# A case may take this long in all (the symbolic budget bounds only sympy's part).
DEFAULT_DEADLINE = 120.0
# Cases a worker runs (at most) before it is replaced by a fresh one: sympy's caches grow
# with every expression it has seen, so a long run would otherwise grow without bound.
# The pool counts chunks: a worker is replaced after TASKS_PER_WORKER // MAX_CHUNK of them.
TASKS_PER_WORKER = 500
# What pickling a result may recurse in a worker: as deep as the parser goes.
RESULT_RECURSION_LIMIT = 20_000
_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
# Cases in flight per worker: enough that a worker never waits for its next case, few
# enough that neither the cases nor their results pile up in memory.
WINDOW = 4
# Items sent to a worker at once: about CHUNK_SECONDS of work each, at most MAX_CHUNK items.
# A chunk may take CHUNK_GRACE seconds plus CHUNK_SLACK times its expected time before its
# items are run again one at a time, each with the whole deadline.
CHUNK_SECONDS, MAX_CHUNK = 0.05, 16
CHUNK_GRACE, CHUNK_SLACK = 10.0, 20.0


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


def check_pool_arguments(jobs: Any, deadline: Any) -> None:
    """``TypeError`` or ``ValueError`` in one line for a ``jobs`` that is not None or a
    whole number >= 0, or a ``deadline`` that is not a positive number of seconds."""
    if jobs is not None and (not isinstance(jobs, int) or isinstance(jobs, bool)):
        raise TypeError(f"jobs is a number of worker processes (0: here; None: one per "
                        f"core), not {type(jobs).__name__}")
    if jobs is not None and jobs < 0:
        raise ValueError(f"jobs is a number of worker processes >= 0 (0: here; None: one "
                         f"per core), not {jobs}")
    if isinstance(deadline, bool) or not isinstance(deadline, (int, float)):
        raise TypeError(f"deadline is a number of seconds, not {type(deadline).__name__}")
    if not 0 < deadline < math.inf:
        raise ValueError(f"deadline is the seconds a case may take, a positive number, not "
                         f"{deadline}")


def require_pool(jobs: int | None) -> None:
    """``ImportError`` in one line when ``jobs`` asks for worker processes without pebble."""
    if jobs != 0 and not has_pool():
        raise ImportError('worker processes need pebble: pip install "diffcompare[batch]" '
                          "(or jobs=0: every case in this process)")


def run_many(function: Callable[[Any], Any], items: Iterable[Any], jobs: int | None = None,
             deadline: float = DEFAULT_DEADLINE,
             tasks_per_worker: int = TASKS_PER_WORKER) -> Iterator[Any]:
    """``function(item)`` for every item, in order, over ``jobs`` worker processes.

    Yields each result, or a ``Failure`` for an item that raised ``InputError`` (or
    another exception), took longer than ``deadline`` seconds or whose worker died.
    ``jobs`` None is one per core; 0 runs here, in this process, without deadline or
    isolation (and without pebble). ``function`` must be picklable (a module-level
    function), and so must its items and results. Without pebble, any other ``jobs``
    raises ``ImportError``.

    Short items travel in chunks (``CHUNK_SECONDS`` of work, ``MAX_CHUNK`` items at most):
    the pool's own cost, about 1 ms an item in each process (pickling, pebble's pipes and
    threads), would otherwise eat half of what a second worker gains on items of 2-3 ms.
    A chunk that runs past its expected time or whose worker dies is run again one item at
    a time, each with the whole ``deadline``, so a hang or a
    crash still costs only its own item (and the seconds its chunk ran).
    """
    check_pool_arguments(jobs, deadline)
    if jobs == 0:
        yield from _here(function, items)
        return
    require_pool(jobs)
    from pebble import ProcessExpired, ProcessPool

    jobs = jobs or os.cpu_count() or 1
    pool = ProcessPool(max_workers=jobs, max_tasks=max(1, tasks_per_worker // MAX_CHUNK),
                       initializer=_worker_start)
    pending: deque = deque()  # at most WINDOW chunks per worker in flight: memory stays flat
    items = iter(items)
    pace = _Pace()

    def send(chunk: list, first: int, timeout: float) -> tuple:
        return pool.schedule(_run_chunk, (function, chunk), timeout=timeout), chunk, first

    try:
        index = 0  # of the next item to send
        for item in itertools.islice(items, WINDOW * jobs):
            pending.append(send([item], index, deadline))
            index += 1
        while pending:
            future, chunk, first = pending.popleft()
            outcomes = _chunk_outcomes(future, chunk, first, deadline, ProcessExpired, pace)
            if outcomes is None:  # a chunk that failed as a whole: each item alone, now
                pending.extendleft(reversed([send([item], first + k, deadline)
                                             for k, item in enumerate(chunk)]))
                continue
            size = pace.chunk_size()
            chunk = list(itertools.islice(items, size))
            if chunk:
                pending.append(send(chunk, index, min(deadline, pace.chunk_timeout(size))))
                index += len(chunk)
            yield from outcomes
    finally:  # also on Ctrl-C or when the caller stops early: no worker left behind
        pool.stop()
        pool.join()


class _Pace:
    """How long items take, from the chunks done so far: the size of the next chunk
    (about ``CHUNK_SECONDS`` of work, at most ``MAX_CHUNK`` items; 1 until an item has
    been timed) and the time a chunk may take before its items are run one at a time."""

    def __init__(self):
        self.seconds, self.count = 0.0, 0

    def add(self, seconds: float, count: int) -> None:
        self.seconds += seconds
        self.count += count

    def chunk_size(self) -> int:
        if not self.count or not self.seconds:
            return 1 if not self.count else MAX_CHUNK
        return max(1, min(MAX_CHUNK, int(CHUNK_SECONDS * self.count / self.seconds)))

    def chunk_timeout(self, size: int) -> float:
        if size == 1 or not self.count:
            return float("inf")
        return CHUNK_GRACE + CHUNK_SLACK * size * self.seconds / self.count


def _run_chunk(function: Callable[[Any], Any], chunk: list) -> tuple[float, list]:
    """In a worker: ``function`` of each item, and the seconds they took in all. Each
    outcome is ``(True, result)`` or ``(False, (kind, reason))``."""
    start = time.perf_counter()
    outcomes = []
    for item in chunk:
        try:
            outcomes.append((True, function(item)))
        except InputError as error:
            outcomes.append((False, ("input", error.one_line())))
        except Exception as error:  # noqa: BLE001 - one item's bug is that item's failure
            outcomes.append((False, ("crash", f"{type(error).__name__}: {error}"[:300])))
    return time.perf_counter() - start, outcomes


def _chunk_outcomes(future, chunk: list, first: int, deadline: float, expired: type,
                    pace: _Pace) -> list | None:
    """The results (or ``Failure``) of a chunk's items, or None when the chunk failed as
    a whole with more than one item in it (it is then run again an item at a time)."""
    try:
        seconds, outcomes = future.result()
    except FutureTimeout:
        failure = Failure(first, "timeout", f"took longer than {deadline:g} s; its worker "
                          "was stopped")
    except expired as error:
        failure = Failure(first, "crash", f"its worker died ({_describe(error.exitcode)})")
    except Exception as error:  # noqa: BLE001 - say, a result that cannot be pickled
        failure = Failure(first, "crash", f"{type(error).__name__}: {error}"[:300])
    else:
        pace.add(seconds, len(chunk))
        return [result if done else Failure(first + k, *result)
                for k, (done, result) in enumerate(outcomes)]
    return None if len(chunk) > 1 else [failure]


def _here(function: Callable[[Any], Any], items: Iterable[Any]) -> Iterator[Any]:
    """``function`` of each item in this process, an exception becoming that item's
    ``Failure`` as in a worker (``_run_chunk``)."""
    for index, item in enumerate(items):
        (done, outcome), = _run_chunk(function, [item])[1]
        yield outcome if done else Failure(index, *outcome)


def _worker_start() -> None:
    """A worker leaves Ctrl-C to the parent (which stops the pool) and dies with it. It
    runs sympy in place under the time budget: the pool's deadline is its fence. Its
    results are pickled back with the recursion limit the parser allows (an expression
    of a few hundred terms is that deep); the parent's unpickling does not recurse."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # What the worker inherits from the parent (sympy, matplotlib: over 100 MiB) stays
    # out of its garbage collections, which would otherwise write to every page of it
    # and so copy it: the worker's own memory is then about what its cases need.
    gc.freeze()
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
    if isinstance(cases, (str, bytes)):
        raise TypeError("compare_many() takes many cases (a list, or any iterable), not one "
                        "str: compare_many([\"x**2 @ x=3\"]), or compare() for one case")
    check_pool_arguments(jobs, deadline)  # now, not at the first result
    if timeout is not None and (isinstance(timeout, bool)
                                or not isinstance(timeout, (int, float)) or timeout < 0):
        raise TypeError(f"timeout is the symbolic budget in seconds (a number >= 0, or "
                        f"None), not {timeout!r}")
    if limits is not None and not isinstance(limits, Limits):
        raise TypeError(f"limits is a diffcompare.language.limits.Limits, not "
                        f"{type(limits).__name__}")
    require_pool(jobs)
    return run_many(_compare_one, (_task(case, timeout, limits) for case in cases), jobs,
                    deadline)


def _task(case: Any, timeout: float | None, limits: Limits | None) -> tuple:
    """A case as ``_compare_one`` takes it; a case of a form it cannot read becomes that
    case's ``Failure`` (kind "input"), in its place, rather than an exception that would
    end the whole batch."""
    try:  # a Value graph becomes its expression tree here: that is what pickles
        expression, at = checked_arguments(*split_case(case))
    except TypeError as error:
        return None, str(error), timeout, limits
    return expression, at, timeout, limits


def _compare_one(task: tuple) -> Comparison:
    expression, at, timeout, limits = task
    if expression is None:  # the case could not be read: ``at`` says why
        raise InputError(at)
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
