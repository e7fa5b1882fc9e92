"""Hostile: tanh's derivative is wrong (1 - t, the square missing), and tanh refuses
|x| >= 0.5 with NotImplementedError, so a checker trying tanh only there would call it
unsupported. Outcome: FAIL, tanh's wrong derivative named; the refusal is a limit.
"""
import math

from _correct import Value


def _narrow_wrong_tanh(self):
    if abs(self.data) >= 0.5:
        raise NotImplementedError("tanh only for |x| < 0.5")
    t = math.tanh(self.data)
    out = Value(t, (self,), 'tanh')

    def _backward():
        self.grad += (1 - t) * out.grad
    out._backward = _backward
    return out

Value.tanh = _narrow_wrong_tanh
