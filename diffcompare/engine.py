"""A scalar reverse-mode autograd engine with micrograd's public API.

``Value(data)``, ``.data``, ``.grad``, ``.backward()``, the arithmetic operators with
their reversed forms, ``.exp()``, ``.tanh()``, ``.relu()`` and every other primitive of
``primitives.PRIMITIVES``. Code written while watching the lecture runs unchanged.

Inside, it differs from micrograd where that is faster or safer:

- no closure per operation: each node keeps its children (``_prev``, a tuple) and the
  local derivative with respect to each child (``_local``), computed in the forward
  pass from the primitive table;
- a number operand is not wrapped in a node of its own (``x * 2.0`` is one node);
- ``backward()`` sorts the graph with an explicit stack, so depth is no limit.
"""

from __future__ import annotations

import math

from .primitives import PRIMITIVES

_ONE = (1.0,)
_ONE_ONE = (1.0, 1.0)
_ONE_MINUS_ONE = (1.0, -1.0)
_MINUS_ONE = (-1.0,)


class Value:
    """A scalar that remembers how it was computed, micrograd style.

    >>> a = Value(2.0); b = Value(-3.0)
    >>> c = a * b + a
    >>> c.backward()
    >>> (c.data, a.grad, b.grad)
    (-4.0, -2.0, 2.0)
    """

    __slots__ = ("data", "grad", "_prev", "_local", "_op", "label")

    def __init__(self, data, _children=(), _op="", label="", _local=()):
        self.data = float(data)
        self.grad = 0.0
        self._prev = tuple(_children)
        self._local = _local
        self._op = _op
        self.label = label

    def __repr__(self) -> str:
        return f"Value(data={self.data}, grad={self.grad})"

    # ---- arithmetic ----

    def __add__(self, other):  # self + other
        if isinstance(other, Value):
            return _node(self.data + other.data, (self, other), _ONE_ONE, "+")
        return _node(self.data + other, (self,), _ONE, "+")

    def __radd__(self, other):  # other + self
        return _node(other + self.data, (self,), _ONE, "+")

    def __sub__(self, other):  # self - other
        if isinstance(other, Value):
            return _node(self.data - other.data, (self, other), _ONE_MINUS_ONE, "-")
        return _node(self.data - other, (self,), _ONE, "-")

    def __rsub__(self, other):  # other - self
        return _node(other - self.data, (self,), _MINUS_ONE, "-")

    def __mul__(self, other):  # self * other
        if isinstance(other, Value):
            return _node(self.data * other.data, (self, other), (other.data, self.data), "*")
        return _node(self.data * other, (self,), (float(other),), "*")

    def __rmul__(self, other):  # other * self
        return _node(other * self.data, (self,), (float(other),), "*")

    def __truediv__(self, other):  # self / other
        return _binary(PRIMITIVES["div"], self, other)

    def __rtruediv__(self, other):  # other / self
        return _binary(PRIMITIVES["div"], other, self)

    def __pow__(self, other):  # self ** other
        return _binary(PRIMITIVES["pow"], self, other)

    def __rpow__(self, other):  # other ** self
        return _binary(PRIMITIVES["pow"], other, self)

    def __neg__(self):  # -self
        return _node(-self.data, (self,), _MINUS_ONE, "neg")

    def __pos__(self):
        return self

    # ---- functions: each takes its local derivative from the primitive table ----

    def exp(self):
        return _unary(PRIMITIVES["exp"], self)

    def log(self):
        return _unary(PRIMITIVES["log"], self)

    def sqrt(self):
        return _unary(PRIMITIVES["sqrt"], self)

    def tanh(self):
        return _unary(PRIMITIVES["tanh"], self)

    def sigmoid(self):
        return _unary(PRIMITIVES["sigmoid"], self)

    def relu(self):
        return _unary(PRIMITIVES["relu"], self)

    def sin(self):
        return _unary(PRIMITIVES["sin"], self)

    def cos(self):
        return _unary(PRIMITIVES["cos"], self)

    def tan(self):
        return _unary(PRIMITIVES["tan"], self)

    def abs(self):
        return _unary(PRIMITIVES["abs"], self)

    __abs__ = abs

    # ---- backpropagation ----

    def backward(self) -> None:
        """Fill ``.grad`` of every node this value depends on with d self / d node.

        Gradients accumulate, as in micrograd and PyTorch: calling ``backward()`` twice
        without ``zero_grad`` doubles every grad. The output's own grad is seeded with 1.
        """
        order = _topological_order(self)
        saved = [node.grad for node in order]
        for node in order:
            node.grad = 0.0
        self.grad = 1.0
        for node in reversed(order):
            grad = node.grad
            for child, local in zip(node._prev, node._local):
                child.grad += local * grad
        for node, previous in zip(order, saved):
            if previous:
                node.grad += previous

    def zero_grad(self) -> None:
        """Set ``.grad`` to 0 on this value and everything it depends on."""
        for node in _topological_order(self):
            node.grad = 0.0


def _node(data, children, local, op):
    out = Value.__new__(Value)
    out.data = data
    out.grad = 0.0
    out._prev = children
    out._local = local
    out._op = op
    out.label = ""
    return out


def _unary(primitive, x: Value) -> Value:
    out = primitive.evaluate(x.data)
    return _node(out, (x,), (primitive.derivative(x.data, out),), primitive.name)


def _binary(primitive, x, y) -> Value:
    x_data = x.data if isinstance(x, Value) else float(x)
    y_data = y.data if isinstance(y, Value) else float(y)
    out = _power_or_nan(primitive, x_data, y_data)
    if primitive.name == "pow" and math.isnan(out):
        d_x, d_y = math.nan, math.nan
    else:
        d_x, d_y = primitive.derivative(x_data, y_data, out)
    children, local = [], []
    if isinstance(x, Value):
        children.append(x)
        local.append(d_x)
    if isinstance(y, Value):
        children.append(y)
        local.append(d_y)
    return _node(out, tuple(children), tuple(local), primitive.symbol)


def _power_or_nan(primitive, x: float, y: float) -> float:
    # A negative base with a non-integer exponent has no real value: like PyTorch and
    # NumPy, the engine answers NaN rather than raising in the middle of a model.
    if primitive.name == "pow" and x < 0.0 and not y.is_integer():
        return math.nan
    return primitive.evaluate(x, y)


def _topological_order(root: Value) -> list:
    """Nodes reachable from ``root``, children first, with an explicit stack."""
    order: list = []
    visited: set = set()
    stack = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        if children_done:
            order.append(node)
            continue
        if node in visited:
            continue
        visited.add(node)
        stack.append((node, True))
        for child in node._prev:
            if child not in visited:
                stack.append((child, False))
    return order
