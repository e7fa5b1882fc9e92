"""Hostile: backward() hangs and swallows every exception, BaseException included
(a time limit raised inside the process would be caught). Outcome: FAIL, timeout.
"""
import time

from _correct import Value


def _backward_forever(self):
    while True:
        try:
            time.sleep(0.05)
        except BaseException:
            pass

Value.backward = _backward_forever
