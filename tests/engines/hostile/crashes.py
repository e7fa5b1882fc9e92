"""Hostile: backward() crashes the interpreter (reads address 0). Outcome: FAIL, killed by
SIGSEGV.
"""
import ctypes

from _correct import Value


def _backward_and_crash(self):
    ctypes.string_at(0)

Value.backward = _backward_and_crash
