"""Hostile: backward() cancels any alarm and interval timer, then loops. Outcome: FAIL,
timeout.
"""
import signal

from _correct import Value


def _backward_forever(self):
    signal.alarm(0)
    signal.setitimer(signal.ITIMER_REAL, 0)
    while True:
        signal.alarm(0)

Value.backward = _backward_forever
