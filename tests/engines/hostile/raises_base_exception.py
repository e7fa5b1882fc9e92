"""Hostile: backward() raises a BaseException subclass, which `except Exception` lets
through. Outcome: FAIL naming it, no traceback.
"""
from _correct import Value


class Interrupted(BaseException):
    pass


def _backward_interrupted(self):
    raise Interrupted("not today")

Value.backward = _backward_interrupted
