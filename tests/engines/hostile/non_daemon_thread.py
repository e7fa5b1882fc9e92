"""Hostile: importing starts a non-daemon thread that never ends, which keeps an
interpreter from exiting. The engine itself is correct. Outcome: PASS, in bounded time.
"""
import threading
import time

from _correct import Value


def _forever():
    while True:
        time.sleep(1)


threading.Thread(target=_forever, daemon=False).start()
