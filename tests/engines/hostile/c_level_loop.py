"""Hostile: backward() spends minutes inside C code (a regular expression's catastrophic
backtracking), where no Python-level signal handler runs. Outcome: FAIL, timeout.
"""
import re

from _correct import Value


def _backward_in_c(self):
    re.match(r"(a+)+$", "a" * 64 + "b")

Value.backward = _backward_in_c
