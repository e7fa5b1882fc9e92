"""Hostile: backward() forks a child that lives on, holding the pipes. The engine's
numbers are correct. Outcome: PASS, and the forked child is killed with the engine's group.
"""
import os
import time

from _correct import Value


_correct_backward = Value.backward


def _backward_and_fork(self):
    if os.fork() == 0:
        time.sleep(3600)
        os._exit(0)
    _correct_backward(self)

Value.backward = _backward_and_fork
