"""A user's own ``Value`` class: where it is, and how it runs apart from us.

``load("path/to/engine.py:Value")``, ``load("package.module:Value")`` or
``load(SomeClass)`` gives an ``Engine``: where the class can be found, never the class
itself. The user's code runs only in a child process (``isolation``), which imports the
file exactly as ``python engine.py`` would (except for its ``if __name__ ==
"__main__":`` block); its printing goes to stderr. ``load`` tries the import once in
such a child so that a file that does not import is one line of bad input.
"""

from __future__ import annotations

import builtins
import inspect
import os
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

from diffcompare.check.child import describe
from diffcompare.check.isolation import IMPORT_TIMEOUT, IMPORTING, ChildLost, EngineProcess
from diffcompare.language import input_files
from diffcompare.language.errors import InputError

SPEC_HELP = ("path/to/engine.py:Value, package.module:Value or a notebook, "
             "engine.ipynb:Value")
DEFAULT_CLASS = "Value"

# Seconds one run of the user's engine may take. A correct engine needs milliseconds
# even for the deep-graph check; a hung one is stopped and reported.
DEFAULT_TIMEOUT = 5.0
# IMPORT_TIMEOUT (imported above): seconds an import may take, ``--import-timeout``.


@dataclass(frozen=True)
class Engine:
    """Where a user's class is: ``spec`` as the child loads it ("file.py:Value" or
    "module:Value"), folders to put first on its ``sys.path``, or the class's own source
    text (for a class defined in a notebook or at the prompt)."""

    spec: str
    name: str  # a short name for people, e.g. "engine.py:Value"
    path: tuple[str, ...] = ()
    source: str | None = None

    @property
    def __name__(self) -> str:  # noqa: PLW3201 - reads like the class it stands for
        return self.spec.rpartition(":")[2]

    def process(self, import_timeout: float | None = IMPORT_TIMEOUT) -> EngineProcess:
        return EngineProcess(self.spec, self.path, self.source, import_timeout)


# ---- loading ----


def load(engine, import_timeout: float | None = IMPORT_TIMEOUT) -> Engine:
    """The ``Engine`` for a spec or a class, its import tried once in a child process.
    What the file prints while importing goes to stderr, as with ``python engine.py``.

    Raises ``InputError`` for a spec that names no file, module, attribute or class, or
    a file whose import fails or takes longer than ``import_timeout`` seconds.
    """
    found = resolve(engine)
    with found.process(import_timeout) as process:
        show_printed(start(found, process))
    return found


def start(found: Engine, process: EngineProcess) -> str:
    """Import the engine in ``process`` (left running): what it printed while importing.

    Raises ``InputError``, in one line, when the import fails or takes longer than the
    process's import limit; what it printed then is left out (a refusal is one line).
    """
    try:
        loaded = process.start()
    except ChildLost as lost:
        raise InputError(_import_failure(found, lost)) from None
    if "error" in loaded:
        raise InputError(_import_error(found, loaded))
    return process.printed()


def show_printed(printed: str) -> None:
    """What the user's file printed while importing, on stderr, as ``python engine.py``."""
    if printed:
        sys.stderr.write(printed if printed.endswith("\n") else printed + "\n")


def resolve(engine) -> Engine:
    """Where ``engine`` (a spec, an ``Engine`` or a class) can be loaded from, without
    running any of its code."""
    if isinstance(engine, Engine):
        return engine
    if isinstance(engine, type):
        return _of_class(engine)
    if not isinstance(engine, str):
        raise InputError(f"expected a class such as Value or {SPEC_HELP}, "
                         f"got a {type(engine).__name__}")
    location, name = _split(engine)
    if not location or not name.isidentifier():
        raise InputError(f"cannot read the engine {engine!r}; give {SPEC_HELP}")
    if location.endswith((".py", ".ipynb")) or os.sep in location or "/" in location:
        path = Path(location)
        kind = path_kind(path)
        if kind != "file":
            raise InputError(f"no such file: {shown(location)}" if kind == "missing"
                             else f"{shown(location)} is not a file")
        return Engine(f"{path.resolve()}:{name}", f"{shown(path.name)}:{name}")
    if not all(part.isidentifier() for part in location.split(".")):
        raise InputError(f"cannot read the engine {engine!r}; give {SPEC_HELP}")
    return Engine(f"{location}:{name}", f"{location}:{name}", (os.getcwd(),))


def _of_class(cls: type) -> Engine:
    """A class already imported by the caller: its module's file, or its own source."""
    module = sys.modules.get(cls.__module__)
    file = getattr(module, "__file__", None)
    qualname = cls.__qualname__
    if cls.__module__ == "builtins" and getattr(builtins, qualname, None) is cls:
        raise InputError(f"{qualname} does not look like a micrograd Value: it is a "
                         "built-in type")
    if cls.__module__ == "__main__" and getattr(module, qualname, None) is not cls:
        file = None  # not the running script's own class: pytest's __main__, a notebook
    if file and file.endswith(".py") and "<locals>" not in qualname:
        if cls.__module__ == "__main__" or "." not in qualname and cls.__module__ \
                == Path(file).stem:
            return Engine(f"{file}:{qualname}", f"{Path(file).name}:{qualname}")
        root = Path(file).resolve().parents[cls.__module__.count(".")]
        if Path(file).name == "__init__.py":
            root = root.parent
        return Engine(f"{cls.__module__}:{qualname}", f"{Path(file).name}:{qualname}",
                      (str(root),))
    # its own source after its bases' (a class defined in a test or a notebook cell that
    # extends another), base classes first, each defined before it is used
    bases = [base for base in reversed(cls.__mro__) if base.__module__ != "builtins"]
    try:
        source = "\n\n".join(textwrap.dedent(inspect.getsource(base)) for base in bases)
    except (OSError, TypeError):
        raise InputError(f"cannot run {qualname} apart from this process: its source "
                         "cannot be found (a class defined at the prompt); save it in a "
                         f"file and give path/to/engine.py:{qualname}") from None
    return Engine(f"<source>:{cls.__name__}", f"{cls.__name__} (from its source)",
                  source=source)


def _split(spec: str) -> tuple[str, str]:
    """("path/engine.py", "Value") for "path/engine.py:Value" and for "path/engine.py"."""
    location, colon, name = spec.rpartition(":")
    if not colon or _is_windows_drive(location):
        return spec, DEFAULT_CLASS
    return location, name


def _is_windows_drive(location: str) -> bool:
    return len(location) == 1 and location.isalpha()


def given_name(spec: str) -> str:
    """The engine as the user named it, with its class: "subm/alice/engine.py:Value"
    (unique in a class run, where two students' files may both be engine.py)."""
    location, name = _split(spec)
    return f"{shown(location)}:{name}"


def shown(name: str) -> str:
    """A file name as typed, on one line and whole: as it is when every character
    prints, else quoted with Python's escapes ('a\\nb.py')."""
    return name if name.isprintable() else repr(name)


def path_kind(path: Path) -> str:
    """"file", "folder", "missing" or "other" (a device, a socket); ``InputError`` in
    one line when the system cannot look (a name too long, a folder not readable)."""
    try:
        if path.is_file():
            return "file"
        if path.is_dir():
            return "folder"
        return "other" if path.exists() else "missing"
    except OSError as error:
        raise InputError(f"cannot read {shown(str(path))}: {input_files.reason(error)}") \
            from None


def _import_failure(engine: Engine, lost: ChildLost) -> str:
    if lost.kind == "timeout" and lost.doing == IMPORTING:
        printed = f"; last output: {lost.output}" if lost.output else ""
        return (f"importing {engine.name} took longer than the {lost.seconds:g} s import "
                f"limit (--import-timeout){printed}; if it trains or runs examples at "
                "import time, move that code under if __name__ == \"__main__\":, or "
                "raise the limit")
    return f"importing {engine.name} failed: {str(lost).split(': ', 1)[-1]}"


def _import_error(engine: Engine, loaded: dict) -> str:
    where, _, name = engine.name.rpartition(":")
    message = loaded["error"]
    if loaded.get("exception") == "AttributeError" and f"attribute {name!r}" in message:
        classes = loaded.get("classes") or []
        defined = f"; it defines {', '.join(classes)}" if classes else "; it defines no classes"
        return f"{where} has no {name!r}{defined}"
    if loaded.get("exception") == "ModuleNotFoundError" and not engine.spec.endswith(".py") \
            and "/" not in engine.spec and engine.spec.split(":")[0].startswith(
                message.split("'")[1] if "'" in message else "\0"):
        module = engine.spec.split(":")[0]
        return (f"no module named {module!r}; run from the folder that holds it, or give a "
                f"file: path/to/{module.replace('.', '/')}.py:Value")
    if "relative import" in message and engine.spec.split(":")[0].endswith(".py"):
        file = Path(engine.spec.rpartition(":")[0])
        return (f"importing {engine.name} failed: {message}; it is part of a package: "
                f"run from {shown(str(file.parent.parent))} and give "
                f"{shown(file.parent.name)}.{shown(file.stem)}:{name}")
    if " is a " in message and "not a class" in message:
        return (f"{where}:{name} is a {message.split(' is a ')[1].split(',')[0]}; "
                f"give the class of your values, e.g. {where}:Value")
    return f"importing {where} failed: {message}"


def name_of(engine) -> str:
    """A short name for the user's class, e.g. ``engine.py:Value``."""
    return resolve(engine).name


def check_shape(engine, timeout: float | None = DEFAULT_TIMEOUT,
                process: EngineProcess | None = None) -> dict:
    """Raise ``InputError`` unless the class looks like a micrograd ``Value``:
    ``cls(2.0)`` works, has ``.data == 2.0``, a ``.grad`` and a ``.backward()``. Returns
    what the child found, e.g. ``{"ok": True, "merges": False}``."""
    found = resolve(engine)
    own = process is None
    if process is None:
        process = found.process()
    try:
        if own:
            start(found, process)  # what it prints is not shown: it is a column, not a check
        reply = process.ask({"shape": True}, timeout, f"{found.__name__}(2.0)")
    except ChildLost as lost:
        if lost.doing == IMPORTING:
            raise InputError(_import_failure(found, lost)) from None
        if lost.kind == "timeout":
            raise InputError(f"{found.name}: {found.__name__}(2.0) took longer than the "
                             f"time limit ({lost.seconds:g} s); raise the limit (diffcompare "
                             "check --timeout SECONDS), or look for a loop in "
                             f"{found.__name__}.__init__") from None
        raise InputError(f"{found.name}: {lost}") from None
    finally:
        if own:
            process.close()
    if "error" in reply:
        raise InputError(f"{found.name} does not look like a micrograd Value: {reply['error']}")
    return reply
