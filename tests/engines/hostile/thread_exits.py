"""Hostile: importing starts a thread that calls os._exit(0) as soon as backward() has run
once, in the middle of whatever the process does then. Outcome: FAIL, the process ended with exit status 0.
"""
import os
import threading

from _correct import Value


_first_backward = threading.Event()
_correct_backward = Value.backward


def _exit_after_first_backward():
    _first_backward.wait()
    os._exit(0)


def _backward_and_signal(self):
    _correct_backward(self)
    _first_backward.set()


Value.backward = _backward_and_signal
threading.Thread(target=_exit_after_first_backward, daemon=True).start()
