"""Forward mode for ``Value`` users: dual numbers and ``jvp``.

A dual number carries a value and a tangent, ``x + ẋ·δ`` with ``δ² = 0``; every operation
maps ``(x, ẋ)`` to ``(f(x), f'(x)·ẋ)``, so one pass gives a Jacobian-vector product
(JVP) J·v, one column of the Jacobian per pass: forward mode costs one pass per input,
reverse mode (``Value.backward``) one pass per output. The local derivatives are the
primitive table's, the same ones ``Value`` uses, so the two agree to rounding.

``Dual`` has the operators and methods of ``Value`` (``+ - * / **``, ``.tanh()``,
``.exp()``, ...), so a function written for ``Value`` runs on it unchanged:

>>> def neuron(x1, x2, w1, w2, b):
...     return (x1*w1 + x2*w2 + b).tanh()
>>> out, tangent = jvp(neuron, [2.0, 0.0, -3.0, 1.0, 6.8813735870195432], [0, 0, 1, 0, 0])
>>> round(out, 6), round(tangent, 6)        # d out / d w1 = x1·(1 - out²)
(0.707107, 1.0)

Outside a function's domain an operation raises as ``Value``'s does (``ValueError``,
``ZeroDivisionError``, ``OverflowError``).
"""

from __future__ import annotations

import numbers
from typing import Callable, Sequence

from diffcompare.language.faults import call as evaluate_primitive
from diffcompare.language.primitives import PRIMITIVES, Primitive


class Dual:
    """A value and its tangent (``data``, ``tangent``): a JVP one operation at a time."""

    __slots__ = ("data", "tangent")

    def __init__(self, data, tangent=0.0):
        self.data = float(data)
        self.tangent = float(tangent)

    def __repr__(self) -> str:
        return f"Dual(data={self.data}, tangent={self.tangent})"

    def __add__(self, other):  # self + other
        return _binary("add", self, other)

    def __radd__(self, other):  # other + self
        return _binary("add", other, self)

    def __sub__(self, other):  # self - other
        return _binary("sub", self, other)

    def __rsub__(self, other):  # other - self
        return _binary("sub", other, self)

    def __mul__(self, other):  # self * other
        return _binary("mul", self, other)

    def __rmul__(self, other):  # other * self
        return _binary("mul", other, self)

    def __truediv__(self, other):  # self / other
        return _binary("div", self, other)

    def __rtruediv__(self, other):  # other / self
        return _binary("div", other, self)

    def __pow__(self, other):  # self ** other
        return _binary("pow", self, other)

    def __rpow__(self, other):  # other ** self
        return _binary("pow", other, self)

    def __neg__(self):  # -self
        return apply(PRIMITIVES["neg"], self)

    def __pos__(self):
        return self

    def exp(self):
        return apply(PRIMITIVES["exp"], self)

    def log(self):
        return apply(PRIMITIVES["log"], self)

    def sqrt(self):
        return apply(PRIMITIVES["sqrt"], self)

    def tanh(self):
        return apply(PRIMITIVES["tanh"], self)

    def sigmoid(self):
        return apply(PRIMITIVES["sigmoid"], self)

    def relu(self):
        return apply(PRIMITIVES["relu"], self)

    def sin(self):
        return apply(PRIMITIVES["sin"], self)

    def cos(self):
        return apply(PRIMITIVES["cos"], self)

    def tan(self):
        return apply(PRIMITIVES["tan"], self)

    def abs(self):
        return apply(PRIMITIVES["abs"], self)

    __abs__ = abs


def _binary(name: str, x, y):
    if not (_operand(x) and _operand(y)):
        return NotImplemented
    return apply(PRIMITIVES[name], x, y)


def _operand(x) -> bool:
    return isinstance(x, Dual) or (isinstance(x, numbers.Real) and not isinstance(x, bool))


def apply(primitive: Primitive, *args):
    """``primitive`` on dual numbers and plain numbers: its value from the table's
    ``evaluate``, its tangent Σ ∂out/∂arg·arg.tangent from the table's ``derivative``.
    Plain numbers are constants. All-constant arguments give a plain float."""
    duals = [isinstance(arg, Dual) for arg in args]
    data = [arg.data if dual else float(arg) for arg, dual in zip(args, duals)]
    out = evaluate_primitive(primitive, *data)
    if not any(duals):
        return out
    partials = primitive.need("derivative", "dual numbers")(*data, out)
    if primitive.arity == 1:
        partials = (partials,)
    tangent = 0.0
    for arg, dual, partial in zip(args, duals, partials):
        # A zero tangent adds nothing, even where the partial is NaN or infinite: x**y at
        # x < 0 has no real partial in y, which must not spoil the partial in x.
        if dual and arg.tangent:
            tangent += partial * arg.tangent
    return Dual(out, tangent)


def jvp(f: Callable, x: Sequence[float], v: Sequence[float]) -> tuple:
    """``(f(x), J·v)`` by one forward pass over dual numbers.

    ``f`` takes ``len(x)`` numbers and returns a number or a sequence of numbers (the
    outputs, m of them); ``x`` and ``v`` are sequences of the same length n. Returns a
    float and a float, or two tuples of m floats. Raises ``ValueError`` when the lengths
    differ, and whatever ``f`` raises outside its domain.
    """
    if len(x) != len(v):
        raise ValueError(f"jvp needs as many directions as inputs: {len(x)} inputs, "
                         f"{len(v)} directions")
    out = f(*(Dual(x_i, v_i) for x_i, v_i in zip(x, v)))
    if isinstance(out, (list, tuple)):
        return tuple(_data(o) for o in out), tuple(_tangent(o) for o in out)
    return _data(out), _tangent(out)


def _data(out) -> float:
    return out.data if isinstance(out, Dual) else float(out)


def _tangent(out) -> float:
    return out.tangent if isinstance(out, Dual) else 0.0
