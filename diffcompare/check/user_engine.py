"""A user's own ``Value`` class: loading it, and bounding the time its code may take.

``load("path/to/engine.py:Value")`` or ``load("package.module:Value")`` imports the
user's code, which runs it exactly as ``python engine.py`` would (except for its
``if __name__ == "__main__":`` block). What it prints while importing goes to stderr,
so that our own output stays clean. ``user_graph`` runs our expressions through the
class; ``time_limit`` stops the user's code when it hangs.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import io
import os
import signal
import sys
import threading
import traceback
from pathlib import Path

from diffcompare.language.errors import InputError
from diffcompare.methods.budget import LONGEST_SECONDS

SPEC_HELP = "path/to/engine.py:Value or package.module:Value"
DEFAULT_CLASS = "Value"

# Seconds one run of the user's engine may take. A correct engine needs milliseconds
# even for the deep-graph check; a hung one is stopped and reported.
DEFAULT_TIMEOUT = 5.0
# Seconds an import may take: a file that trains a model at import time, or waits for
# input, is stopped and told to move that under ``if __name__ == "__main__":``.
IMPORT_TIMEOUT = 60.0
# If the user's code swallows our timeout exception, it is raised again this often.
_TIMEOUT_REPEAT = 0.25


# ---- loading ----


def load(spec: str) -> type:
    """The class named by ``spec``, imported from a file or a module.

    Raises ``InputError`` for a spec that names no file, module, attribute or class.
    """
    location, colon, name = spec.rpartition(":")
    if not colon or _is_windows_drive(location):
        location, name = spec, DEFAULT_CLASS
    if not location or not name.isidentifier():
        raise InputError(f"cannot read the engine {spec!r}; give {SPEC_HELP}")
    if location.endswith(".py") or os.sep in location or "/" in location:
        module = _import_file(Path(location))
        where = Path(location).name
    else:
        module = _import_module(location)
        where = location
    if not hasattr(module, name):
        classes = sorted(key for key, value in vars(module).items()
                         if isinstance(value, type) and getattr(value, "__module__", "") == module.__name__)
        defined = f"; it defines {', '.join(classes)}" if classes else "; it defines no classes"
        raise InputError(f"{where} has no {name!r}{defined}")
    found = getattr(module, name)
    if not isinstance(found, type):
        raise InputError(f"{where}:{name} is a {type(found).__name__}, not a class; "
                         f"give the class of your values, e.g. {where}:Value")
    return found


def _is_windows_drive(location: str) -> bool:
    return len(location) == 1 and location.isalpha()


def _import_file(path: Path):
    if not path.is_file():
        raise InputError(f"no such file: {path}" if not path.exists()
                         else f"{path} is not a file")
    stem = path.stem if path.stem.isidentifier() else "user_engine"
    # Its own name when free, so that sibling files can import it by that name.
    module_name = stem if stem not in sys.modules else f"_diffcompare_user_{stem}"
    folder = str(path.resolve().parent)
    if folder not in sys.path:
        sys.path.insert(0, folder)
    module_spec = importlib.util.spec_from_file_location(module_name, path)
    if module_spec is None or module_spec.loader is None:
        raise InputError(f"cannot import {path}: Python does not see a module there")
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[module_name] = module
    try:
        with _importing():
            module_spec.loader.exec_module(module)
    except (Exception, SystemExit, EngineTimeout) as error:
        sys.modules.pop(module_name, None)
        raise _import_error(path.name, error) from None
    return module


@contextlib.contextmanager
def _importing():
    """What the user's module prints goes to stderr; input() gets end of file; and the
    import has ``IMPORT_TIMEOUT`` seconds."""
    printed = io.StringIO()
    stdin, sys.stdin = sys.stdin, io.StringIO("")
    try:
        with time_limit(IMPORT_TIMEOUT), contextlib.redirect_stdout(printed):
            yield
    finally:
        sys.stdin = stdin
        text = printed.getvalue()
        if text:
            sys.stderr.write(text if text.endswith("\n") else text + "\n")


def _import_error(what: str, error: BaseException) -> InputError:
    if isinstance(error, EngineTimeout):
        return InputError(f"importing {what} took longer than {IMPORT_TIMEOUT:g} s; if it "
                          "trains or runs examples at import time, move that code under "
                          "if __name__ == \"__main__\":")
    where = user_frames(error)
    located = f" ({Path(where[-1].filename).name}:{where[-1].lineno})" if where else ""
    if isinstance(error, SyntaxError) and error.lineno:
        # str(SyntaxError) usually names the line already: "invalid syntax (syn.py, line 1)"
        already = f"line {error.lineno}" in str(error)
        located = "" if already else f" (line {error.lineno})"
    return InputError(f"importing {what} failed: {describe(error)}{located}")


def _import_module(name: str):
    if os.getcwd() not in sys.path and "" not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        with _importing():
            return importlib.import_module(name)
    except ModuleNotFoundError as error:
        if error.name and name.startswith(error.name):
            raise InputError(f"no module named {name!r}; run from the folder that holds it, "
                             f"or give a file: path/to/{name.replace('.', '/')}.py:Value") from None
        raise _import_error(name, error) from None
    except (Exception, SystemExit, EngineTimeout) as error:
        raise _import_error(name, error) from None


def name_of(cls: type) -> str:
    """A short name for the user's class, e.g. ``engine.py:Value``."""
    module = sys.modules.get(cls.__module__)
    path = getattr(module, "__file__", None)
    where = Path(path).name if path else cls.__module__
    return f"{where}:{cls.__qualname__}"


def check_shape(cls: type, timeout: float | None = DEFAULT_TIMEOUT) -> None:
    """Raise ``InputError`` unless ``cls`` looks like a micrograd ``Value``:
    ``cls(2.0)`` works, has ``.data == 2.0``, a ``.grad`` and a ``.backward()``."""
    if not isinstance(cls, type):
        raise InputError(f"expected a class such as Value, got a {type(cls).__name__}")
    name = name_of(cls)
    try:
        with time_limit(timeout), contextlib.redirect_stdout(io.StringIO()):
            value = cls(2.0)
            data = float(value.data)
            has_grad = hasattr(value, "grad")
    except EngineTimeout:
        raise InputError(f"{name}: {cls.__name__}(2.0) took longer than the time limit "
                         f"({timeout:g} s); raise the limit (diffcompare check --timeout "
                         f"SECONDS), or look for a loop in {cls.__name__}.__init__") from None
    except (Exception, SystemExit) as error:
        raise InputError(f"{name} does not look like a micrograd Value: "
                         f"{cls.__name__}(2.0).data failed ({describe(error)})") from None
    if data != 2.0:
        raise InputError(f"{name} does not look like a micrograd Value: "
                         f"{cls.__name__}(2.0).data is {data!r}, not 2.0")
    if not has_grad or not callable(getattr(value, "backward", None)):
        raise InputError(f"{name} does not look like a micrograd Value: it needs a .grad "
                         "attribute and a .backward() method")


# ---- bounding the time of a run ----


class EngineTimeout(BaseException):
    """The user's engine ran past its time limit.

    A ``BaseException``, like ``KeyboardInterrupt``, so that an ``except Exception`` in
    the user's code does not swallow it.
    """


@contextlib.contextmanager
def time_limit(seconds: float | None):
    """Raise ``EngineTimeout`` in the block after ``seconds`` of wall time (at most
    ``budget.LONGEST_SECONDS``: the timer overflows beyond about 1e10 s).

    Uses SIGALRM, so it works in the main thread on POSIX systems; elsewhere, or when
    another timer is already running, the block runs without a limit. Either way the
    user's ``os._exit`` cannot end our process (``_no_process_exit``).
    """
    with _no_process_exit():
        if not _can_time(seconds):
            yield
            return

        def expire(signum, frame):
            raise EngineTimeout(f"took longer than {seconds:g} s")

        previous = signal.signal(signal.SIGALRM, expire)
        signal.setitimer(signal.ITIMER_REAL, min(seconds, LONGEST_SECONDS), _TIMEOUT_REPEAT)
        try:
            yield
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)


@contextlib.contextmanager
def _no_process_exit():
    """``os._exit`` in the user's code raises SystemExit instead of ending our process:
    otherwise an engine that calls it would end ``check`` with no output and status 0,
    a silent pass."""
    os_exit = os._exit

    def refuse(status):
        raise SystemExit(f"os._exit({status}) was called")

    os._exit = refuse
    try:
        yield
    finally:
        os._exit = os_exit


def _can_time(seconds: float | None) -> bool:
    return (seconds is not None and seconds > 0 and hasattr(signal, "setitimer")
            and threading.current_thread() is threading.main_thread()
            and signal.getitimer(signal.ITIMER_REAL)[0] == 0)


# ---- what went wrong, in words ----


def describe(error: BaseException) -> str:
    """``TypeName: message``, on one line."""
    text = " ".join(str(error).split())
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def user_frames(error: BaseException) -> list[traceback.FrameSummary]:
    package = str(Path(__file__).resolve().parent)
    frames = traceback.extract_tb(error.__traceback__)
    return [frame for frame in frames if not str(Path(frame.filename).resolve()).startswith(package)
            and not frame.filename.startswith("<frozen")]
