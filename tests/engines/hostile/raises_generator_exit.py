"""Hostile: backward() raises GeneratorExit. Outcome: FAIL naming it, no traceback.
"""
from _correct import Value


def _backward_exits_generator(self):
    raise GeneratorExit

Value.backward = _backward_exits_generator
