"""Hostile: backward() ends the process with posix._exit(0), which no patch of os._exit
catches. Outcome: FAIL, the process ended with exit status 0.
"""
import posix

from _correct import Value


def _backward_and_exit(self):
    posix._exit(0)

Value.backward = _backward_and_exit
