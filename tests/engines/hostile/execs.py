"""Hostile: backward() replaces the process with another program (os.execv). Outcome:
FAIL, the engine's process stopped answering.
"""
import os

from _correct import Value


def _backward_and_exec(self):
    os.execv("/bin/sleep", ["sleep", "60"])

Value.backward = _backward_and_exec
