"""Run a function under a time budget, in a child process that is killed when it runs out.

sympy has no timeout of its own, and a thread cannot be stopped from outside, so the
symbolic method runs in a forked child process. The child sends its result back through
a pipe (pickled); when the budget runs out the parent kills the child (SIGKILL) and
raises ``OutOfTime``. Whatever goes wrong in the child (an exception, a crash, running
out of memory) comes back as ``Failed`` with a one-line reason; the parent never hangs
and never sees a traceback.

Forking costs a few milliseconds (``benchmarks/fuzz.py`` and the README give figures);
where ``os.fork`` does not exist (Windows) the function runs in a daemon thread instead:
the caller still gets its answer or ``OutOfTime`` in time, but the abandoned work goes on
in the background until the process exits.
"""

from __future__ import annotations

import faulthandler
import gc
import os
import pickle
import select
import signal
import threading
import time
from contextlib import contextmanager
from typing import Any, Callable

# How much address space the child may add to what it inherits, in MiB: sympy's exact
# arithmetic can otherwise eat the machine's memory before the time budget runs out.
DEFAULT_MEMORY_MIB = 2048

_READ_CHUNK = 1 << 16
_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>

# The longest budget, in seconds: a week. A longer one is the same in practice, and
# select() refuses timeouts beyond the platform's time_t (about 1e10 s and up).
LONGEST_SECONDS = 7 * 24 * 3600.0


# True in a process that exists only to do this work and may be killed as a whole (a
# worker of ``batch``): there ``run`` computes in place under an interval timer, which is
# far cheaper than a child per call (sympy's caches survive, no fork); the pool's
# deadline is what stops a computation that the timer cannot interrupt.
_disposable = False


def run_in_place() -> None:
    """Make ``run`` compute in this process from now on: for worker processes only,
    whose pool kills them when they pass their deadline."""
    global _disposable
    _disposable = True


class OutOfTime(Exception):
    """The budget ran out; the child was killed."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        super().__init__(f"timed out after {format_seconds(seconds)} s")


class Failed(Exception):
    """The function raised, or the child process died; ``str()`` says how, in one line."""


def format_seconds(seconds: float) -> str:
    """5.0 -> "5", 0.25 -> "0.25": the budget as the user wrote it."""
    return f"{seconds:g}"


def one_line(text: str, limit: int = 300) -> str:
    """A message squeezed onto one line of at most ``limit`` characters."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def run(function: Callable[[], Any], seconds: float,
        memory_mib: int | None = DEFAULT_MEMORY_MIB) -> Any:
    """``function()``, computed in a child process that may take at most ``seconds``.

    Returns what ``function`` returns (it must be picklable). Raises ``OutOfTime`` when
    the budget runs out and ``Failed`` when the function raises or the child dies.
    A budget beyond ``LONGEST_SECONDS`` is that long.

    >>> run(lambda: 6 * 7, seconds=10)
    42
    """
    seconds = min(seconds, LONGEST_SECONDS)
    if _disposable and threading.current_thread() is threading.main_thread():
        return _run_in_place(function, seconds)
    if not hasattr(os, "fork"):
        return _run_in_thread(function, seconds)
    read_end, write_end = os.pipe()
    parent = os.getpid()
    try:
        pid = _fork()
    except OSError:  # no more processes allowed: still answer, in a thread
        os.close(read_end)
        os.close(write_end)
        return _run_in_thread(function, seconds)
    if pid == 0:  # the child: compute, send, and leave without running any cleanup
        os.close(read_end)
        _child(function, write_end, memory_mib, parent)
    os.close(write_end)
    try:
        data = _read_until(read_end, time.monotonic() + seconds)
    except OutOfTime:
        _kill(pid)
        raise OutOfTime(seconds) from None
    except BaseException:  # Ctrl-C while waiting: do not leave the child behind
        _kill(pid)
        raise
    finally:
        os.close(read_end)
    _, status = os.waitpid(pid, 0)
    return _outcome(data, status)


_fork_lock = threading.Lock()  # one fork at a time: freeze and unfreeze come in pairs


def _fork() -> int:
    """``os.fork()``, cheaper: objects that exist before the fork are shared
    copy-on-write, and a garbage collection in the child would touch (and so copy) every
    one of them. Freezing them moves them out of the collector's reach, which makes the
    child about twice as cheap. A caller that froze objects itself keeps them frozen:
    unfreezing would undo its ``gc.freeze()`` too, so then nothing more is frozen."""
    with _fork_lock:
        ours = gc.get_freeze_count() == 0
        if ours:
            gc.freeze()
        try:
            pid = os.fork()
        except OSError:
            if ours:
                gc.unfreeze()
            raise
        if pid != 0 and ours:
            gc.unfreeze()
        return pid


def _die_with_parent(parent: int) -> None:
    """Linux: the kernel kills this child when the parent dies (SIGTERM, SIGKILL, SIGHUP,
    a crash), so no sympy computation outlives the program that asked for it."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        return  # not Linux: the parent's own cleanup (``_kill``) is all there is
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)


def _child(function: Callable[[], Any], write_end: int, memory_mib: int | None,
           parent: int) -> None:
    status = 0
    try:
        _die_with_parent(parent)
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C
        _silence()
        limit_memory(memory_mib)
        try:
            outcome = ("result", function())
        except MemoryError:
            outcome = ("error", f"ran out of memory (the limit is {memory_mib} MiB more "
                                "than the parent uses; raise it with --limit memory=N)")
        except RecursionError:
            outcome = ("error", "the expression is nested too deeply for sympy "
                                "(Python's recursion limit)")
        except Exception as error:  # noqa: BLE001 - everything becomes a reason
            outcome = ("error", one_line(f"{type(error).__name__}: {error}"))
        try:
            data = pickle.dumps(outcome)
        except Exception as error:  # noqa: BLE001
            data = pickle.dumps(("error", f"its result could not be sent back: {error}"))
        with os.fdopen(write_end, "wb") as pipe:
            pipe.write(data)
    except BaseException:  # noqa: BLE001 - the child must never return into the caller
        status = 1
    finally:
        os._exit(status)


def _silence() -> None:
    """Nothing the child does may reach the user's terminal (a crash report would add
    lines to stderr): its stdout and stderr go to /dev/null, and the fault handler,
    which may write to a copy of stderr, is off."""
    faulthandler.disable()
    devnull = os.open(os.devnull, os.O_WRONLY)
    for fd in (1, 2):
        try:
            os.dup2(devnull, fd)
        except OSError:
            pass
    os.close(devnull)


def limit_memory(memory_mib: int | None) -> None:
    """Let this process add at most ``memory_mib`` MiB of address space (Linux)."""
    if not memory_mib:
        return
    try:
        import resource

        with open("/proc/self/statm") as statm:
            used = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        limit = used + memory_mib * 1024 * 1024
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (ImportError, OSError, ValueError):
        pass  # not Linux: no memory limit, the time budget still holds


def _read_until(fd: int, deadline: float) -> bytes:
    chunks = []
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise OutOfTime(0)
        ready, _, _ = select.select([fd], [], [], remaining)
        if not ready:
            raise OutOfTime(0)
        chunk = os.read(fd, _READ_CHUNK)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass


def _outcome(data: bytes, status: int) -> Any:
    if not data:
        raise Failed(f"the process computing it died ({_describe_status(status)})")
    try:
        kind, payload = pickle.loads(data)
    except Exception as error:  # noqa: BLE001
        raise Failed(f"its result could not be read back: {error}") from None
    if kind == "error":
        raise Failed(payload)
    return payload


def _describe_status(status: int) -> str:
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        try:
            name = signal.Signals(number).name
        except ValueError:
            name = f"signal {number}"
        return f"killed by {name}"
    return f"exit status {os.WEXITSTATUS(status)}"


class _Alarm(BaseException):
    """The in-place budget ran out (a BaseException, so that sympy's own ``except
    Exception`` cannot swallow it)."""


def _run_in_place(function: Callable[[], Any], seconds: float) -> Any:
    def ring(signum, frame):
        raise _Alarm()

    previous = signal.signal(signal.SIGALRM, ring)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        return function()
    except _Alarm:
        raise OutOfTime(seconds) from None
    except MemoryError:
        raise Failed("ran out of memory") from None
    except RecursionError:
        raise Failed("the expression is nested too deeply for sympy "
                     "(Python's recursion limit)") from None
    except Exception as error:  # noqa: BLE001 - everything becomes a reason
        raise Failed(one_line(f"{type(error).__name__}: {error}")) from None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _run_in_thread(function: Callable[[], Any], seconds: float) -> Any:
    box: dict[str, Any] = {}

    def work():
        try:
            box["result"] = function()
        except RecursionError:
            box["error"] = "the expression is nested too deeply for sympy"
        except BaseException as error:  # noqa: BLE001
            box["error"] = one_line(f"{type(error).__name__}: {error}")

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        raise OutOfTime(seconds)
    if "error" in box:
        raise Failed(box["error"])
    return box["result"]



@contextmanager
def alarm(seconds: float, error: Callable[[], BaseException]):
    """Raise ``error()`` inside the block after ``seconds`` (a SIGALRM timer): a budget
    with no child process, for pure-Python work such as sympy's. Only the main thread
    receives signals, so elsewhere (or without ``setitimer``) the block runs unbounded."""
    if threading.current_thread() is not threading.main_thread() \
            or not hasattr(signal, "setitimer"):
        yield
        return

    def ring(signum, frame):
        raise error()

    previous = signal.signal(signal.SIGALRM, ring)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
