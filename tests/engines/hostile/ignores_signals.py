"""Hostile: ignores SIGTERM, SIGINT, SIGHUP and SIGALRM, then backward() hangs. Outcome:
FAIL, timeout (SIGKILL cannot be ignored).
"""
import signal

from _correct import Value


for _signal in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGALRM):
    signal.signal(_signal, signal.SIG_IGN)


def _backward_forever(self):
    while True:
        pass

Value.backward = _backward_forever
