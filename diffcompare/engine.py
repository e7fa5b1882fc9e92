"""A scalar reverse-mode autograd engine with micrograd's public API.

``Value(data)``, ``.data``, ``.grad``, ``.backward()``, ``.zero_grad()``, the operators
``+ - * / **`` with their reversed forms and unary minus, ``.exp()``, ``.log()``,
``.sqrt()``, ``.tanh()``, ``.sigmoid()``, ``.relu()``, ``.sin()``, ``.cos()``, ``.tan()``,
``.abs()``, ``._prev``, ``._op`` and the lecture's ``label``. Code written while watching
the lecture runs unchanged. Every other row of the primitive table with a method
spelling is a method too (``x.max(y)``, ``x.erf()``), made from its row; ``apply`` applies
any row, ``where`` included, to Values and numbers.

What each operation means at its edges
---------------------------------------

- Every local derivative is the primitive table's (``primitives.PRIMITIVES``). The hot
  operators (``+ - *``, negation, ``tanh``) are written out inline for speed; a test
  checks that they equal the table's rules.
- Kinks take the value PyTorch and micrograd use: relu'(0) = 0, abs'(0) = 0, and max
  and min give 1/2 to each argument at a tie. The slope of sqrt at 0 is +inf.
- ``tanh`` never overflows: tanh(±1000) is ±1.0, and its slope there, sech²(1000) ≈
  1e-868, underflows to 0.0: finite, not an OverflowError or NaN.
- ``x ** y`` works for a ``Value`` exponent and a number base (``2 ** x``). A negative
  base with a non-integer exponent has no real value: the result and its gradients are
  NaN, as in PyTorch, rather than an exception in the middle of a model.
- Outside a function's domain (``log`` of a number <= 0, ``sqrt`` of a negative,
  division by 0, ``exp`` of more than 709.78) the operation raises ``ValueError``,
  ``ZeroDivisionError`` or ``OverflowError``, as Python's ``math`` module does.

backward()
----------

``backward()`` sets, on every node the output depends on, ``grad += d output / d node``.
Gradients accumulate, as in micrograd and PyTorch: call it twice and every grad is
doubled. (Precisely: each call adds one gradient to every node, intermediate nodes
included; micrograd instead re-propagates the accumulated grads of intermediate nodes,
which over-counts.) Call ``zero_grad()`` on the output, or on an ``nn`` module, between
steps.

Inside, it differs from micrograd where that is faster, leaner or safer:

- a node stores at most two children (``_a``, ``_b``) and the local derivative with
  respect to each (``_da``, ``_db``), computed in the forward pass. There is no closure
  per operation, no set per node, no ``__dict__`` (``__slots__``): about 130 bytes per
  operation instead of 700 to 1,000 (``benchmarks/engine.py``);
- a number operand is not wrapped in a node of its own (``x * 2.0`` is one node);
- ``backward()`` orders the graph by Kahn's algorithm with an explicit stack: first it
  counts, on each node, its parents inside the graph (``_pending``), then it hands a
  node's gradient to its children once all its parents have handed theirs. No recursion
  (no depth limit), no dict or set (the counts live on the nodes and are back to zero
  when it returns), and no allocation of objects the garbage collector tracks, so the
  cyclic GC never runs during a backward pass.

A graph of ``Value`` nodes never contains a reference cycle (children exist before their
parents), so reference counting frees it as soon as the last reference goes: the cyclic
garbage collector has nothing to find in it, yet it still walks every node of a large
graph while it is being built. ``gc_paused()`` switches it off for a block of code; the
engine never does so on its own, since that would change the user's whole program.

Not thread-safe: two threads must not run ``backward()`` on graphs that share nodes.
"""

from __future__ import annotations

import gc
import math
import numbers
from contextlib import contextmanager

from diffcompare.language.primitives import PRIMITIVES

# Rows of the primitive table the inline operators below use, looked up once.
_ADD, _SUB, _DIV, _POW, _NEG, _TANH = (PRIMITIVES[name] for name in
                                       ("add", "sub", "div", "pow", "neg", "tanh"))

# The constant local derivatives of + and - and of negation, read from the table.
_ADD_DX, _ADD_DY = _ADD.need("derivative", "the engine's +")(0.0, 0.0, 0.0)
_SUB_DX, _SUB_DY = _SUB.need("derivative", "the engine's -")(0.0, 0.0, 0.0)
_NEG_DX = _NEG.need("derivative", "the engine's negation")(0.0, 0.0)

_new = object.__new__
_tanh = _TANH.evaluate
_exp = math.exp


class Value:
    """A scalar that remembers how it was computed, micrograd style.

    >>> a = Value(2.0); b = Value(-3.0)
    >>> c = a * b + a
    >>> c.backward()
    >>> (c.data, a.grad, b.grad)
    (-4.0, -2.0, 2.0)
    >>> c.backward()        # gradients accumulate, as in micrograd and PyTorch
    >>> (a.grad, b.grad)
    (-4.0, 4.0)
    """

    __slots__ = ("data", "grad", "_a", "_b", "_da", "_db", "_op", "_pending", "label")

    def __init__(self, data, _children=(), _op="", label="", _local=()):
        children, local = tuple(_children), tuple(_local)
        if len(children) > 2 or len(local) != len(children):
            raise ValueError("a Value node has at most two children and one local "
                             "derivative per child (_children and _local)")
        self.data = float(data)
        self.grad = 0.0
        self._a, self._da = (children[0], local[0]) if children else (None, 0.0)
        self._b, self._db = (children[1], local[1]) if len(children) == 2 else (None, 0.0)
        self._op = _op
        self._pending = 0
        self.label = label

    def __repr__(self) -> str:
        return f"Value(data={self.data}, grad={self.grad})"

    @property
    def _prev(self) -> tuple:
        """The children this value was computed from (each once), as micrograd's ``_prev``."""
        if self._a is None:
            return ()
        if self._b is None or self._b is self._a:
            return (self._a,)
        return (self._a, self._b)

    # ---- arithmetic: + - * inline (the hot path), the rest through the table ----

    def __add__(self, other):  # self + other
        out = _new(Value)
        if isinstance(other, Value):
            out.data = self.data + other.data
            out._b = other
            out._db = _ADD_DY
        else:
            if type(other) is not float:
                other = _number(other)
                if other is None:
                    return NotImplemented
            out.data = self.data + other
            out._b = None
            out._db = 0.0
        out.grad = 0.0
        out._a = self
        out._da = _ADD_DX
        out._op = "+"
        out._pending = 0
        out.label = ""
        return out

    def __radd__(self, other):  # other + self, other a number
        if type(other) is not float:
            other = _number(other)
            if other is None:
                return NotImplemented
        out = _new(Value)
        out.data = other + self.data
        out.grad = 0.0
        out._a = self
        out._da = _ADD_DY
        out._b = None
        out._db = 0.0
        out._op = "+"
        out._pending = 0
        out.label = ""
        return out

    def __sub__(self, other):  # self - other
        out = _new(Value)
        if isinstance(other, Value):
            out.data = self.data - other.data
            out._b = other
            out._db = _SUB_DY
        else:
            if type(other) is not float:
                other = _number(other)
                if other is None:
                    return NotImplemented
            out.data = self.data - other
            out._b = None
            out._db = 0.0
        out.grad = 0.0
        out._a = self
        out._da = _SUB_DX
        out._op = "-"
        out._pending = 0
        out.label = ""
        return out

    def __rsub__(self, other):  # other - self, other a number
        if type(other) is not float:
            other = _number(other)
            if other is None:
                return NotImplemented
        return _node(other - self.data, self, _SUB_DY, None, 0.0, "-")

    def __mul__(self, other):  # self * other
        out = _new(Value)
        if isinstance(other, Value):
            # d(xy)/dx = y and d(xy)/dy = x: the table's rule, (y, x)
            out.data = self.data * other.data
            out._da = other.data
            out._b = other
            out._db = self.data
        else:
            if type(other) is not float:
                other = _number(other)
                if other is None:
                    return NotImplemented
            out.data = self.data * other
            out._da = other
            out._b = None
            out._db = 0.0
        out.grad = 0.0
        out._a = self
        out._op = "*"
        out._pending = 0
        out.label = ""
        return out

    def __rmul__(self, other):  # other * self, other a number
        if type(other) is not float:
            other = _number(other)
            if other is None:
                return NotImplemented
        out = _new(Value)
        out.data = other * self.data
        out.grad = 0.0
        out._a = self
        out._da = other
        out._b = None
        out._db = 0.0
        out._op = "*"
        out._pending = 0
        out.label = ""
        return out

    def __truediv__(self, other):  # self / other
        return _binary(_DIV, self, other)

    def __rtruediv__(self, other):  # other / self
        return _binary(_DIV, other, self)

    def __pow__(self, other):  # self ** other
        return _binary(_POW, self, other)

    def __rpow__(self, other):  # other ** self
        return _binary(_POW, other, self)

    def __neg__(self):  # -self
        return _node(-self.data, self, _NEG_DX, None, 0.0, "neg")

    def __pos__(self):  # +self
        return self

    # ---- functions: tanh inline (the hot path); the others come from the table ----

    def tanh(self):
        x = self.data
        out = _new(Value)
        out.data = _tanh(x)  # math.tanh: ±1.0 at ±1000, no overflow
        # The table's rule (primitives._tanh_derivative), inlined because a Python call
        # costs as much as the rest of this method: sech²(x) = 4t/(1+t)², t = exp(-2|x|).
        t = _exp(-2.0 * abs(x))
        out._da = 4.0 * t / ((1.0 + t) * (1.0 + t))
        out.grad = 0.0
        out._a = self
        out._b = None
        out._db = 0.0
        out._op = "tanh"
        out._pending = 0
        out.label = ""
        return out

    # exp, log, sqrt, sigmoid, relu, sin, cos, tan, abs and every other row of the table
    # with a method spelling are added below the class, from the table (``_method``).

    def __abs__(self):  # abs(self)
        return _unary(PRIMITIVES["abs"], self)

    # ---- backpropagation ----

    def backward(self) -> None:
        """Add d self / d node to ``.grad`` of every node this value depends on.

        Gradients accumulate, as in micrograd and PyTorch: calling ``backward()`` twice
        without ``zero_grad()`` doubles every grad. Works on graphs of any depth.
        """
        try:
            stale = _count_parents(self)  # and set every grad to 0, keeping what it was
            _propagate(self)
        except BaseException:  # e.g. KeyboardInterrupt: leave the counts at zero
            for node in _reachable(self):
                node._pending = 0
            raise
        for node, grad in stale:
            node.grad += grad

    def _backward(self) -> None:
        """The lecture's manual step: add this node's share of the gradient to its
        children, ``child.grad += local derivative * self.grad``, as micrograd's closure
        does. ``backward()`` does this for every node in order."""
        if self._a is not None:
            self._a.grad += self._da * self.grad
        if self._b is not None:
            self._b.grad += self._db * self.grad

    def zero_grad(self) -> None:
        """Set ``.grad`` to 0 on this value and on everything it depends on."""
        for node in _reachable(self):
            node.grad = 0.0

    # ---- the picture ----

    def draw(self, path) -> None:
        """Write an SVG picture of the graph to ``path``: op, data and grad of each node.

        Needs no program outside Python. The file is replaced atomically.
        """
        from diffcompare.draw import write_svg

        write_svg(self, path)

    def _repr_svg_(self) -> str | None:
        """Jupyter shows a ``Value`` as the SVG picture of its graph (``draw.svg``)."""
        from diffcompare.draw import notebook_svg

        return notebook_svg(self)



def _count_parents(root: Value) -> list[tuple[Value, float]]:
    """Backward's pass 1: count on each node (``_pending``) its parents inside the graph,
    and set every grad to 0. Returns the (node, grad) pairs of the grads left by earlier
    passes, which ``backward`` adds back at the end (gradients accumulate)."""
    stale: list[tuple[Value, float]] = []
    _set_aside(root, stale)
    stack = [root]
    while stack:
        node = stack.pop()
        child = node._a
        if child is None:
            continue  # a leaf; a node with no _a has no _b either
        if child._pending:
            child._pending += 1
        else:  # reached for the first time
            child._pending = 1
            stack.append(child)
            if child.grad:  # tested here: a call per node would cost 40 ns
                _set_aside(child, stale)
        other = node._b
        if other is not None:
            if other._pending:
                other._pending += 1
            else:
                other._pending = 1
                stack.append(other)
                if other.grad:
                    _set_aside(other, stale)
    return stale


def _set_aside(node: Value, stale: list) -> None:
    """Keep a grad left by an earlier pass in ``stale`` and start this pass from 0."""
    if node.grad:
        stale.append((node, node.grad))
        node.grad = 0.0


def _propagate(root: Value) -> None:
    """Backward's pass 2 (Kahn's algorithm): a node hands ``local derivative × grad`` to
    each child once all its parents have handed theirs, so each grad is complete when
    it is used.

    Both children are written out rather than looped over, here and in pass 1: a loop
    over (child, local) pairs made the backward pass twice as slow (138 → 301 ns per
    operation on a chain of 3,000 tanh operations; benchmarks/engine.py's backward
    column shows the same)."""
    root.grad = 1.0
    stack = [root]
    while stack:
        node = stack.pop()
        child = node._a
        if child is None:
            continue
        grad = node.grad
        child.grad += node._da * grad
        if child._pending == 1:
            child._pending = 0
            stack.append(child)
        else:
            child._pending -= 1
        other = node._b
        if other is not None:
            other.grad += node._db * grad
            if other._pending == 1:
                other._pending = 0
                stack.append(other)
            else:
                other._pending -= 1


def _number(other) -> float | None:
    """A number operand as a float; None when it is not a real number."""
    if type(other) is int or isinstance(other, numbers.Real):
        return float(other)
    return None


def _node(data, a, da, b, db, op) -> Value:
    """A new node: its value, its children and their local derivatives, its op."""
    out = _new(Value)
    out.data = data
    out.grad = 0.0
    out._a = a
    out._da = da
    out._b = b
    out._db = db
    out._op = op
    out._pending = 0
    out.label = ""
    return out


def _unary(primitive, x: Value) -> Value:
    data = x.data
    out = primitive.evaluate(data)
    return _node(out, x, primitive.derivative(data, out), None, 0.0,
                 primitive.symbol or primitive.name)


def _binary(primitive, x, y):
    """``x op y`` for a row of arity 2, where either operand may be a number."""
    x_is_value, y_is_value = isinstance(x, Value), isinstance(y, Value)
    x_data = x.data if x_is_value else _number(x)
    y_data = y.data if y_is_value else _number(y)
    if x_data is None or y_data is None:
        return NotImplemented
    if primitive is _POW and x_data < 0.0 and not y_data.is_integer():
        # No real value: NaN, as in PyTorch and NumPy, rather than an exception.
        out = d_x = d_y = math.nan
    else:
        out = primitive.evaluate(x_data, y_data)
        d_x, d_y = primitive.derivative(x_data, y_data, out)
    op = primitive.symbol or primitive.name
    if x_is_value and y_is_value:
        return _node(out, x, d_x, y, d_y, op)
    if x_is_value:
        return _node(out, x, d_x, None, 0.0, op)
    return _node(out, y, d_y, None, 0.0, op)


def _gathered(primitive, args, out: float, local) -> Value:
    """One node over the ``Value`` arguments of a row of any arity, with their local
    derivatives ``local``. A condition (``primitive.conditions``, where's comparison) is
    no child: its derivative is 0 wherever it exists. A node holds at most two children."""
    children: list[tuple[Value | None, float]] = [
        (arg, d) for position, (arg, d) in enumerate(zip(args, local))
        if isinstance(arg, Value) and position not in primitive.conditions]
    if len(children) > 2:
        raise TypeError(f"{primitive.name} has {len(children)} operands that are Values; "
                        "a Value node has at most two children")
    children += [(None, 0.0)] * (2 - len(children))
    (a, d_a), (b, d_b) = children
    return _node(out, a, d_a, b, d_b, primitive.symbol or primitive.name)


def apply(primitive, *args):
    """``primitive`` applied to Values and numbers, as a ``Value`` spells it: through its
    operator (``x + y``) or method (``x.tanh()``) when the row has one, otherwise as
    one node whose local derivatives are the row's. Dispatch is by the row's columns
    and arity, never by its name.

    >>> from diffcompare.language.primitives import PRIMITIVES
    >>> apply(PRIMITIVES["max"], Value(2.0), 3.0).data
    3.0

    Raises ``TypeError`` for the wrong number of arguments, and what the row's float
    implementation raises outside its domain (``ValueError``, ``ZeroDivisionError``,
    ``OverflowError``).
    """
    if len(args) != primitive.arity:
        raise TypeError(f"{primitive.name} takes {primitive.arity} arguments, got {len(args)}")
    if primitive.operator is not None:
        return primitive.operator(*args)
    if primitive.method and isinstance(args[0], Value):
        return getattr(args[0], primitive.method)(*args[1:])
    data = [arg.data if isinstance(arg, Value) else _number(arg) for arg in args]
    out = primitive.evaluate(*data)
    derivative = primitive.need("derivative", "the autograd engine")(*data, out)
    local = (derivative,) if primitive.arity == 1 else derivative
    return _gathered(primitive, args, out, local)


def undefined(primitive, *args) -> Value:
    """A node of value NaN whose local derivatives are NaN: what PyTorch computes for an
    operation outside its domain (sqrt(-1)). Its gradient is NaN even when multiplied by
    0, which is the where-trap: where(x > 0, sqrt(x), x) at x = -1 has a NaN gradient."""
    return _gathered(primitive, args, math.nan, (math.nan,) * len(args))


def _method(primitive):
    """A ``Value`` method for a row of the table: ``x.name(*others)``."""
    def unary(self):
        return _unary(primitive, self)

    def binary(self, other):
        return _binary(primitive, self, other)

    def any_arity(self, *others):
        return apply(primitive, self, *others)

    method = {1: unary, 2: binary}.get(primitive.arity, any_arity)
    method.__name__ = primitive.method
    method.__qualname__ = f"Value.{primitive.method}"
    method.__doc__ = (f"{primitive.description or primitive.name}; the local derivative "
                      "is the primitive table's.")
    return method


for _primitive in PRIMITIVES.values():
    if _primitive.method and _primitive.method not in Value.__dict__:
        setattr(Value, _primitive.method, _method(_primitive))


def _reachable(root: Value) -> list:
    """Every node ``root`` depends on, itself included, each once, in no useful order."""
    seen = {id(root)}
    nodes = [root]
    for node in nodes:  # the list grows while we walk it
        for child in (node._a, node._b):
            if child is not None and id(child) not in seen:
                seen.add(id(child))
                nodes.append(child)
    return nodes


@contextmanager
def gc_paused():
    """Pause Python's cyclic garbage collector inside a ``with`` block, then restore it.

    Building a large graph makes the collector walk every live node again and again
    although a graph of ``Value`` nodes has no cycles for it to find; reference counting
    still frees everything as usual. Use it around a forward and backward pass on a big
    graph::

        with gc_paused():
            loss = model_loss()
            loss.backward()

    Cycles created by other code inside the block are collected after it.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
