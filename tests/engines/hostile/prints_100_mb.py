"""Hostile: backward() prints 100 MB. Outcome: FAIL, the output limit named.
"""
import sys

from _correct import Value


_correct_backward = Value.backward


def _backward_and_print(self):
    chunk = "x" * (1 << 20)
    for _ in range(100):
        sys.stdout.write(chunk)
    _correct_backward(self)

Value.backward = _backward_and_print
