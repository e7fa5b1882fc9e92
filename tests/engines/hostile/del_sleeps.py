"""Hostile: every node sleeps for an hour when it is garbage collected. Outcome: FAIL,
timeout.
"""
import time

from _correct import Value


def _sleep_on_delete(self):
    time.sleep(3600)

Value.__del__ = _sleep_on_delete
