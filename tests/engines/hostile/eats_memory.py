"""Hostile: backward() asks for 100 GB. Outcome: FAIL, MemoryError under the memory limit.
"""
from _correct import Value


def _backward_greedy(self):
    bytearray(10**11)

Value.backward = _backward_greedy
