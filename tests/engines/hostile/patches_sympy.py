"""Hostile: never seeds the output's grad (every grad stays 0), and patches sympy.diff,
math and builtins so that an in-process checker would find nothing wrong. Outcome: FAIL,
the missing seed named.
"""
import builtins
import math
import sympy

from _correct import Value


def _backward_unseeded(self):
    order, seen, stack = [], set(), [(self, False)]
    while stack:
        node, done = stack.pop()
        if done:
            order.append(node)
        elif node not in seen:
            seen.add(node)
            stack.append((node, True))
            stack.extend((child, False) for child in node._prev)
    for node in reversed(order):  # the bug: self.grad is never set to 1 first
        node._backward()


Value.backward = _backward_unseeded
sympy.diff = lambda *args, **kwargs: sympy.Integer(0)
math.isclose = lambda *args, **kwargs: True
builtins.abs = lambda number: 0
