"""The correct engine (tests/engines/correct.py) that the hostile engines start from. Not
an engine to check itself: its name starts with "_".
"""
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from correct import Value  # noqa: E402


def use_tanh_derivative(derivative):
    """Give tanh the local derivative ``derivative(t)``, t = tanh(x)."""
    def tanh(self):
        t = math.tanh(self.data)
        out = Value(t, (self,), 'tanh')

        def _backward():
            self.grad += derivative(t) * out.grad
        out._backward = _backward
        return out
    Value.tanh = tanh
