"""A user's engine in a process of its own: the parent's side of ``child.py``.

``EngineProcess(spec)`` starts a fresh interpreter (``sys.executable -I child.py``, in a
new session so that its whole process group can be killed), loads the user's class
there, and answers requests within a wall-clock time limit. The parent never imports
the user's code: whatever the engine does (exit by any route, fork, start threads,
ignore signals, patch sympy, print megabytes, crash the interpreter) ends at most that
child, and comes back as a ``ChildLost`` naming the cause, never as a pass.

Limits the parent sets: the wall clock of each request (the child is killed with its
group), the child's address space (``MEMORY_LIMIT``, applied by the child to itself
before it imports anything of the user's) and the output it may print
(``OUTPUT_LIMIT``; the last ``_KEPT_OUTPUT`` bytes are kept to name the cause).
"""

from __future__ import annotations

import json
import os
import select
import selectors
import signal
import subprocess
import sys
import time
from pathlib import Path

from diffcompare.methods.budget import LONGEST_SECONDS

_CHILD = str(Path(__file__).resolve().parent / "child.py")

# Bytes of address space the engine's process may use: a scalar engine needs megabytes;
# numpy or torch imports reserve a few GiB of address space without touching it.
MEMORY_LIMIT = 8 << 30
# Bytes the engine may print (stdout and stderr together) before its process is killed.
OUTPUT_LIMIT = 8 << 20
# Bytes of its last output kept to name a cause ("last output: ...").
_KEPT_OUTPUT = 2000
_READ_CHUNK = 1 << 16
# Seconds an import may take by default (``diffcompare check --import-timeout``): a file
# that trains a model at import time, or waits for input, is stopped and told to move
# that under ``if __name__ == "__main__":``. Generous: a first import of numpy or torch
# on a busy machine takes seconds.
IMPORT_TIMEOUT = 60.0
# Seconds the interpreter may take to start and answer, before the import's own limit
# begins: an idle machine needs a few tens of milliseconds.
_START_SECONDS = 10.0
# What the parent is doing while the child imports the user's file: a ``ChildLost`` with
# this ``doing`` happened during the import.
IMPORTING = "importing the engine"


class ChildLost(Exception):
    """The engine's process died, stayed silent past its time limit, or printed too much.

    ``kind`` is "timeout", "died" or "output"; ``doing`` what was asked of it (e.g.
    ``IMPORTING``); ``seconds`` the time limit of a "timeout"; ``output`` the end of
    what the engine printed, on one line. The message names the cause and that output.
    """

    def __init__(self, kind: str, message: str, doing: str = "",
                 seconds: float | None = None, output: str = ""):
        super().__init__(message)
        self.kind, self.doing, self.seconds, self.output = kind, doing, seconds, output


class EngineProcess:
    """One child process running the user's class; restarted after it is lost."""

    def __init__(self, spec: str, path: tuple[str, ...] = (), source: str | None = None,
                 import_timeout: float | None = IMPORT_TIMEOUT):
        self.spec, self.path, self.source = spec, list(path), source
        self.import_timeout = import_timeout
        self._process: subprocess.Popen | None = None
        self._replies = b""
        self._output = b""
        self._printed = 0

    # ---- life ----

    def start(self) -> dict:
        """Start the child and load the class: its reply ({"ok": True} or {"error": ...}).

        The import's time limit starts once the interpreter answers, so that an import
        that hangs costs ``import_timeout`` and the start of Python, no more."""
        self.close()
        self._replies, self._output, self._printed = b"", b"", 0
        self._process = subprocess.Popen(
            [sys.executable, "-I", _CHILD, str(os.getpid())], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, start_new_session=True, close_fds=True)
        self._ask({"ready": True}, _START_SECONDS, "starting Python")
        return self._ask({"load": self.spec, "path": self.path, "source": self.source,
                          "memory": MEMORY_LIMIT}, self.import_timeout, IMPORTING)

    @property
    def alive(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def close(self) -> None:
        """Kill the child and everything in its process group, and reap it."""
        process, self._process = self._process, None
        if process is None:
            return
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        for stream in (process.stdin, process.stdout, process.stderr):
            try:
                stream.close()
            except OSError:
                pass
        process.wait()

    def __enter__(self) -> "EngineProcess":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ---- requests ----

    def ask(self, request: dict, seconds: float | None, doing: str) -> dict:
        """The child's reply to ``request``, within ``seconds``; raises ``ChildLost``."""
        if not self.alive:
            loaded = self.start()
            if "error" in loaded:
                raise ChildLost("died", f"{IMPORTING} failed: {loaded['error']}", IMPORTING)
        return self._ask(request, seconds, doing)

    def _ask(self, request: dict, seconds: float | None, doing: str) -> dict:
        process = self._process
        try:
            process.stdin.write((json.dumps(request) + "\n").encode())
            process.stdin.flush()
        except (BrokenPipeError, OSError):
            pass  # it died already: the read below says how
        limit = min(seconds or LONGEST_SECONDS, LONGEST_SECONDS)  # None: a week at most
        deadline = time.monotonic() + limit
        with selectors.DefaultSelector() as selector:
            selector.register(process.stdout, selectors.EVENT_READ, "reply")
            selector.register(process.stderr, selectors.EVENT_READ, "output")
            while b"\n" not in self._replies:
                left = deadline - time.monotonic()
                if left <= 0:
                    self._lose("timeout", f"{doing} took longer than {limit:g} s", doing,
                               limit)
                ready = selector.select(left)
                for key, _ in ready:
                    chunk = os.read(key.fileobj.fileno(), _READ_CHUNK)
                    if key.data == "output":
                        self._printed_more(chunk, selector, doing)
                    elif chunk:
                        self._replies += chunk
                    else:
                        self._died(doing)
        line, _, self._replies = self._replies.partition(b"\n")
        return json.loads(line)

    def _printed_more(self, chunk: bytes, selector, doing: str) -> None:
        if not chunk:
            selector.unregister(self._process.stderr)
            return
        self._printed += len(chunk)
        self._output = (self._output + chunk)[-_KEPT_OUTPUT:]
        if self._printed > OUTPUT_LIMIT:
            self._lose("output", f"{doing}: the engine printed more than "
                                 f"{OUTPUT_LIMIT >> 20} MiB (the output limit)", doing)

    def _died(self, doing: str) -> None:
        process = self._process
        try:
            status = process.wait(timeout=1.0)
        except subprocess.TimeoutExpired:
            status = None  # it closed its stdout but lives on (execv, or a closed fd)
        self._lose("died", f"{doing}: the engine's process {describe_status(status)}", doing)

    def _lose(self, kind: str, message: str, doing: str, seconds: float | None = None):
        output = self.last_output()
        self.close()
        raise ChildLost(kind, f"{message}{'; last output: ' + output if output else ''}",
                        doing, seconds, output)

    def printed(self) -> str:
        """The end of what the engine printed (at most ``_KEPT_OUTPUT`` bytes)."""
        process = self._process
        if process is not None and process.stderr is not None:
            while select.select([process.stderr], [], [], 0)[0]:
                chunk = os.read(process.stderr.fileno(), _READ_CHUNK)
                if not chunk:
                    break
                self._output = (self._output + chunk)[-_KEPT_OUTPUT:]
        return self._output.decode("utf-8", "replace")

    def last_output(self) -> str:
        """The end of what the engine printed, on one line."""
        text = " ".join(self._output.decode("utf-8", "replace").split())
        return text if len(text) <= 200 else "…" + text[-199:]


def describe_status(status: int | None) -> str:
    """"ended with exit status 3", "was killed by SIGSEGV", or "closed its pipe"."""
    if status is None:
        return "stopped answering (it closed its pipe, or replaced itself with execv)"
    if status < 0:
        try:
            name = signal.Signals(-status).name
        except ValueError:
            name = f"signal {-status}"
        return f"was killed by {name}"
    return f"ended with exit status {status}"
