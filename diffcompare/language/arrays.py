"""numpy code, traced into our expression tree: arrays whose entries are tree nodes.

``trace_arrays(f, leaves, values)`` calls ``f`` on one ``TracedArray`` per input. A
``TracedArray`` holds two arrays of the same shape: ``items``, an object array of
``Traced`` nodes (what each entry is, as a tree), and ``values``, the float64 numbers at
the point (what each entry is worth there). numpy hands every operation on it to
``__array_ufunc__`` (NEP 13) or ``__array_function__`` (NEP 18), which apply the same
numpy function to both. So each output entry becomes one ``Expression`` over the input
entries, which every method (symbolic, autograd, finite differences) interprets.

What is traced, each row of one table below:

- the elementwise ufuncs of the primitive table (``np.sin`` for the row ``sin``, the
  operators, ``np.abs``), found by name, so a new row is traced the moment it exists;
  ``np.square``; ``np.maximum``/``np.minimum`` and ``np.max``/``np.min``, the table's
  ``max`` and ``min`` rows (``relu`` against 0), whose kinks the kink search finds;
  ``log1p``, ``expm1``, ``logaddexp`` and ``np.linalg.norm`` written with the table's rows;
- reductions and linear algebra on object arrays (``sum``, ``mean``, ``dot``, ``@``);
- indexing, reshaping, broadcasting, stacking;
- comparisons and ``np.where``: a comparison is decided by the values at the point, so
  the tree records the branch taken there (as autograd does); a tie is noted.

Anything else is refused with an ``InputError`` naming the numpy function.

>>> import numpy as np
>>> x = np.array([1.0, 2.0])
>>> traced = trace_arrays(lambda x: np.sum(x * x), [entry_variables("x", x.shape)], [x])
>>> traced.outputs[0].text
'x_0*x_0 + x_1*x_1'
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

from diffcompare.language.errors import InputError
from diffcompare.language.expression import Call, Const, Expression, Var
from diffcompare.language.primitives import FUNCTIONS, PRIMITIVES
from diffcompare.language.trace import Traced, constant, render

# A rendered output longer than this is named by the function and the entry instead.
_LONGEST_TEXT = 200


@dataclass
class Session:
    """What one trace collects: notes for the user, and in ``split`` mode, a fresh set
    of variables for every use of an input (to tell the branches' shares apart)."""

    notes: list = field(default_factory=list)
    split: bool = False
    inputs: dict = field(default_factory=dict)  # id(input TracedArray) -> its name
    uses: list = field(default_factory=list)  # (input name, operation, object array of Var)

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)


class TracedArray:
    """An array of tree nodes with the values at the point; numpy dispatches to it."""

    __slots__ = ("items", "values", "session")

    def __init__(self, items: np.ndarray, values: np.ndarray, session: Session):
        self.items = items
        self.values = values
        self.session = session

    # ---- what numpy asks of an array ----

    shape = property(lambda self: self.values.shape)
    ndim = property(lambda self: self.values.ndim)
    size = property(lambda self: self.values.size)
    dtype = property(lambda self: self.values.dtype)
    T = property(lambda self: np.transpose(self))

    def __len__(self) -> int:
        return len(self.values)

    def __repr__(self) -> str:
        return f"TracedArray(shape={self.shape})"

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        return apply_ufunc(self.session, ufunc, method, inputs, kwargs)

    def __array_function__(self, func, types, args, kwargs):
        return apply_function(self.session, func, args, kwargs)

    def __array__(self, dtype=None, copy=None):
        raise InputError("a traced array was turned into a plain numpy array (np.array, "
                         "np.asarray, or storing it into a float array): build arrays of "
                         "traced values with np.stack or np.concatenate instead")

    def __getitem__(self, key):
        key = _concrete_key(key)
        items = _items(self.session, self)[key]
        return _wrap(items, self.values[key], self.session)

    def __setitem__(self, key, value):
        key = _concrete_key(key)
        self.items = self.items.copy()
        self.items[key] = _items(self.session, value)
        self.values = self.values.copy()
        self.values[key] = _values(value)

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    # ---- what cannot be traced ----

    def __float__(self):
        raise InputError("float() of a traced array entry: its value cannot be recorded in "
                         "the tree; keep it as an array (or use np.where for a branch)")

    def __bool__(self):
        raise InputError("the function tests a traced array itself for truth (if x:); "
                         "compare it with something (x > 0), which is decided at the point")

    __int__ = __index__ = __complex__ = __float__

    def item(self, *args):
        return self.__float__()

    def tolist(self):
        return self.__float__()

    # ---- the methods numpy arrays have, through the numpy functions ----

    def sum(self, axis=None, keepdims=False):
        return np.sum(self, axis=axis, keepdims=keepdims)

    def mean(self, axis=None, keepdims=False):
        return np.mean(self, axis=axis, keepdims=keepdims)

    def max(self, axis=None, keepdims=False):
        return np.max(self, axis=axis, keepdims=keepdims)

    def min(self, axis=None, keepdims=False):
        return np.min(self, axis=axis, keepdims=keepdims)

    def reshape(self, *shape):
        return np.reshape(self, shape[0] if len(shape) == 1 else shape)

    def transpose(self, *axes):
        return np.transpose(self, axes or None)

    def dot(self, other):
        return np.dot(self, other)

    def ravel(self):
        return np.ravel(self)

    def flatten(self):
        return np.ravel(self)

    def squeeze(self, axis=None):
        return np.squeeze(self, axis)

    def clip(self, lower=None, upper=None):
        return np.clip(self, lower, upper)

    def copy(self):
        return TracedArray(self.items.copy(), self.values.copy(), self.session)

    def astype(self, dtype, copy=True):
        _check_dtype(np.dtype(dtype), f"astype({np.dtype(dtype).name})", self.session)
        return self.copy()


def _operator(ufunc, reflected: bool = False):
    if reflected:
        return lambda self, other: ufunc(other, self)
    return lambda self, other: ufunc(self, other)


_OPERATORS = {"add": np.add, "sub": np.subtract, "mul": np.multiply, "truediv": np.true_divide,
              "pow": np.power, "matmul": np.matmul}
for _name, _ufunc in _OPERATORS.items():
    setattr(TracedArray, f"__{_name}__", _operator(_ufunc))
    setattr(TracedArray, f"__r{_name}__", _operator(_ufunc, reflected=True))
for _name, _ufunc in {"lt": np.less, "le": np.less_equal, "gt": np.greater,
                      "ge": np.greater_equal, "eq": np.equal, "ne": np.not_equal}.items():
    setattr(TracedArray, f"__{_name}__", _operator(_ufunc))
TracedArray.__neg__ = lambda self: np.negative(self)
TracedArray.__pos__ = lambda self: self
TracedArray.__abs__ = lambda self: np.absolute(self)
TracedArray.__hash__ = None


# ---- entries: Traced nodes in object arrays ----


def _call(name: str, *args: Traced) -> Traced:
    return Traced(Call(PRIMITIVES[name], tuple(arg.node for arg in args)))


def _maximum(a: Traced, b: Traced) -> Traced:
    # The table's max row, whose switch at a tie the kink search finds; max(x, 0), numpy's
    # relu, is the table's relu itself.
    if _is_zero(b):
        return _call("relu", a)
    if _is_zero(a):
        return _call("relu", b)
    return _call("max", a, b)


def _is_zero(entry: Traced) -> bool:
    return isinstance(entry.node, Const) and entry.node.value == 0.0


def _minimum(a: Traced, b: Traced) -> Traced:
    return _call("min", a, b)


# numpy's spelling of the operators of the table; every function row is found by name.
_UFUNC_NAMES = {"add": np.add, "sub": np.subtract, "mul": np.multiply, "div": np.true_divide,
                "pow": np.power, "neg": np.negative}


def _elementwise_table() -> dict:
    table = {}
    for name, primitive in PRIMITIVES.items():
        ufunc = _UFUNC_NAMES.get(name, getattr(np, name, None) if name in FUNCTIONS else None)
        if isinstance(ufunc, np.ufunc) and ufunc.nin == primitive.arity and ufunc.nout == 1:
            table[ufunc] = (lambda n: lambda *args: _call(n, *args))(name)
    table[np.absolute] = table.get(np.absolute, lambda a: _call("abs", a))
    table[np.square] = lambda a: _call("mul", a, a)
    table[np.positive] = lambda a: a
    table[np.maximum] = table[np.fmax] = _maximum
    table[np.minimum] = table[np.fmin] = _minimum
    # Written with the table's rows, unless the table has a row of that name.
    table.setdefault(np.log1p, lambda a: _call("log", _call("add", _one(), a)))
    table.setdefault(np.expm1, lambda a: _call("sub", _call("exp", a), _one()))
    table.setdefault(np.logaddexp, _logaddexp)
    return table


def _one() -> Traced:
    return Traced(constant(1))


def _logaddexp(a: Traced, b: Traced) -> Traced:
    # log(exp(a) + exp(b)) = m + log(exp(a - m) + exp(b - m)), m = max(a, b): no overflow
    m = _maximum(a, b)
    return _call("add", m, _call("log", _call("add", _call("exp", _call("sub", a, m)),
                                                     _call("exp", _call("sub", b, m)))))


ELEMENTWISE = _elementwise_table()

# Decided by the values at the point; the result is a plain array, a constant of the tree.
COMPARISONS = (np.less, np.less_equal, np.greater, np.greater_equal, np.equal, np.not_equal)
# Piecewise constant: derivative 0 almost everywhere, so a constant of the tree.
VALUE_ONLY = (np.sign, np.floor, np.ceil, np.rint, np.isfinite, np.isnan, np.isinf,
              np.logical_and, np.logical_or, np.logical_not)

_REDUCERS = {np.add: None, np.maximum: _maximum, np.minimum: _minimum}


def _object_array(result) -> np.ndarray:
    if isinstance(result, np.ndarray):
        return result
    array = np.empty((), dtype=object)
    array[()] = result
    return array


def _as_node(entry) -> Traced:
    return entry if isinstance(entry, Traced) else Traced(constant(entry))


_AS_NODES = np.frompyfunc(_as_node, 1, 1)


def _check_dtype(dtype: np.dtype, what: str, session: Session) -> None:
    if dtype.kind == "c":
        raise InputError(f"{what} is complex; diffcompare checks real functions")
    if dtype.kind == "f" and dtype.itemsize < 8:
        session.note(f"a {dtype.name} constant was upcast to float64 (its value exactly; "
                     "the function computes in float64 here)")
    if dtype.kind not in "biuf":
        raise InputError(f"{what} has dtype {dtype.name}, not a number")


def _items(session: Session, operand) -> np.ndarray:
    """The operand's entries as an object array of Traced nodes."""
    if isinstance(operand, TracedArray):
        if session.split and id(operand) in session.inputs:
            return _fresh_use(session, operand)
        return operand.items
    if isinstance(operand, Traced):
        return _object_array(operand)
    array = np.asarray(operand)
    _check_dtype(array.dtype, "a constant array", session)
    # astype(object) gives Python ints and floats: np.int64 keeps its exact value, a
    # float32 its value exactly (as a float64), a bool mask becomes 0 or 1.
    wider = {"f": np.float64, "b": np.int64}.get(array.dtype.kind, array.dtype)
    return _object_array(_AS_NODES(array.astype(wider).astype(object)))


def _fresh_use(session: Session, operand: TracedArray) -> np.ndarray:
    """Split mode: a new variable per entry for this use of an input."""
    name = session.inputs[id(operand)]
    k = sum(1 for use in session.uses if use[0] == name) + 1
    variables = np.empty(operand.shape, dtype=object)
    for index in np.ndindex(operand.shape):
        variables[index] = Traced(Var(f"{entry_name(name, index)}__use{k}"))
    session.uses.append((name, k, variables))
    return variables


def _values(operand) -> np.ndarray:
    if isinstance(operand, TracedArray):
        return operand.values
    return np.asarray(operand, dtype=np.float64)


def _wrap(items, values, session: Session) -> TracedArray:
    items = _object_array(items)
    values = np.asarray(values, dtype=np.float64)
    if items.shape != values.shape:  # a numpy function that treats objects differently
        raise InputError("numpy gave traced entries and values of different shapes "
                         f"{items.shape} and {values.shape}; this use cannot be traced")
    return TracedArray(_object_array(_AS_NODES(items)) if items.size else items, values,
                       session)


def _concrete_key(key):
    parts = key if isinstance(key, tuple) else (key,)
    if any(isinstance(part, TracedArray) for part in parts):
        raise InputError("an index is itself a traced value; indices must be constants")
    return key


def _refuse(name: str) -> InputError:
    return InputError(f"numpy's {name} cannot be traced into diffcompare's expression tree "
                      f"(traced: the table's elementwise functions, sum, mean, dot, @, max, "
                      f"min, maximum, minimum, where, indexing, reshaping, stacking)")


# ---- ufuncs (NEP 13) ----


def apply_ufunc(session: Session, ufunc, method: str, inputs, kwargs):
    if kwargs.get("out") is not None:
        raise InputError(f"numpy's {ufunc.__name__} with out= (in place) cannot be traced; "
                         "assign the result instead")
    if method == "reduce" and ufunc in _REDUCERS:
        return _reduce(session, ufunc, inputs[0], kwargs.get("axis", 0),
                       kwargs.get("keepdims", False))
    if method != "__call__":
        raise _refuse(f"{ufunc.__name__}.{method}")
    if ufunc in COMPARISONS or ufunc in VALUE_ONLY:
        return _decide(session, ufunc, inputs)
    values = ufunc(*(_values(x) for x in inputs))
    if ufunc is np.matmul:
        items = np.matmul(*(_items(session, x) for x in inputs))
        return _wrap(items, values, session)
    rule = ELEMENTWISE.get(ufunc)
    if rule is None:
        raise _refuse(ufunc.__name__)
    items = np.frompyfunc(rule, ufunc.nin, 1)(*(_items(session, x) for x in inputs))
    return _wrap(items, values, session)


def apply_primitive(name: str, *operands) -> TracedArray:
    """A row of the primitive table applied entry by entry: what ``diffcompare.functions``
    (``sin(x)``) does on a traced array, a Python number given to ``check_gradients``
    included (a 0-d traced array)."""
    session = next(x.session for x in operands if isinstance(x, TracedArray))
    primitive = FUNCTIONS[name]
    items = np.frompyfunc(lambda *args: _call(name, *args), primitive.arity, 1)(
        *(_items(session, x) for x in operands))
    values = np.vectorize(primitive.evaluate, otypes=[np.float64])(
        *(_values(x) for x in operands))
    return _wrap(items, values, session)


def _decide(session: Session, ufunc, inputs) -> np.ndarray:
    values = [_values(x) for x in inputs]
    if ufunc in COMPARISONS and len(values) == 2 and np.any(np.equal(*values)):
        session.note(f"{ufunc.__name__} compares equal values at the point: the branch "
                     "taken there is a kink, and only its side is checked")
    return ufunc(*values)


def _reduce(session: Session, ufunc, operand, axis, keepdims: bool):
    items = _items(session, operand)
    values = _values(operand)
    if axis is None:
        items, values, axis = items.ravel(), values.ravel(), 0
        if keepdims:
            raise _refuse(f"{ufunc.__name__}.reduce with axis=None and keepdims")
    if values.size == 0:
        raise InputError(f"numpy's {ufunc.__name__}.reduce of an empty array")
    rule = _REDUCERS[ufunc]
    if rule is None:
        reduced = np.add.reduce(items, axis=axis, keepdims=keepdims)
    else:
        reduced = np.frompyfunc(rule, 2, 1).reduce(items, axis=axis, keepdims=keepdims)
    return _wrap(reduced, ufunc.reduce(values, axis=axis, keepdims=keepdims), session)


# ---- array functions (NEP 18) ----

# Functions numpy computes from + and * on object arrays, or by moving entries: the same
# call on the entries and on the values.
SAME_CALL = frozenset([
    np.sum, np.mean, np.dot, np.vdot, np.inner, np.outer, np.tensordot, np.trace, np.cumsum,
    np.prod, np.diff, np.average, np.reshape, np.transpose, np.ravel, np.squeeze,
    np.expand_dims, np.concatenate, np.stack, np.hstack, np.vstack, np.broadcast_to,
    np.swapaxes, np.moveaxis, np.atleast_1d, np.atleast_2d, np.flip, np.tile, np.repeat,
    np.diagonal, np.diag, np.take, np.copy, np.triu, np.tril, np.roll,
])
# Functions of the shape alone: answered from the values.
SHAPE_ONLY = frozenset([np.shape, np.ndim, np.size, np.zeros_like, np.ones_like,
                        np.full_like, np.empty_like])


def apply_function(session: Session, func, args, kwargs):
    if func in SHAPE_ONLY:
        return func(*_map(args, _values), **_map(kwargs, _values))
    if func in (np.max, np.amax, np.min, np.amin):
        ufunc = np.maximum if func in (np.max, np.amax) else np.minimum
        axis = kwargs.get("axis", args[1] if len(args) > 1 else None)
        return _reduce(session, ufunc, args[0], axis, kwargs.get("keepdims", False))
    if func is np.where:
        return _where(session, *args, **kwargs)
    if func is np.clip:
        return _clip(*args, **kwargs)
    if func is np.linalg.norm:
        return _norm(*args, **kwargs)
    if func not in SAME_CALL:
        raise _refuse(f"{func.__module__.replace('numpy', 'np')}.{func.__name__}")
    values = func(*_map(args, _values), **_map(kwargs, _values))
    items = func(*_map(args, lambda x: _items(session, x)),
                 **_map(kwargs, lambda x: _items(session, x)))
    return _wrap(items, values, session)


def _map(structure, convert):
    """``convert`` applied to every array-like in args (lists of arrays included)."""
    if isinstance(structure, dict):
        return {key: _map(value, convert) for key, value in structure.items()}
    if isinstance(structure, (list, tuple)) and any(
            isinstance(x, (TracedArray, np.ndarray, list, tuple)) for x in structure):
        return type(structure)(_map(x, convert) for x in structure)
    if isinstance(structure, (TracedArray, np.ndarray)):
        return convert(structure)
    return structure


def _where(session: Session, condition=None, a=None, b=None):
    if a is None or b is None:
        raise _refuse("np.where with one argument")
    if isinstance(condition, TracedArray):
        raise InputError("np.where's condition is a traced array; compare it (x > 0), "
                         "which is decided at the point")
    condition = np.asarray(condition, dtype=bool)
    items = np.where(condition, _items(session, a), _items(session, b))
    return _wrap(items, np.where(condition, _values(a), _values(b)), session)


def _norm(x, ord=None, axis=None, keepdims=False):
    if ord is not None:
        raise _refuse(f"np.linalg.norm with ord={ord!r}")
    return np.sqrt(np.sum(x * x, axis=axis, keepdims=keepdims))  # the 2- or Frobenius norm


def _clip(a, lower=None, upper=None, **kwargs):
    if kwargs:
        raise _refuse(f"np.clip with {', '.join(kwargs)}")
    out = a if lower is None else np.maximum(a, lower)
    return out if upper is None else np.minimum(out, upper)


# ---- the trace ----


def entry_name(name: str, index: tuple) -> str:
    """The variable of one entry: ``W_1_2`` for ``W[1, 2]``, ``x`` for a 0-d ``x``."""
    return "_".join([name, *map(str, index)])


def entry_label(name: str, index: tuple) -> str:
    """How an entry is shown: ``W[1,2]``, or ``x`` for a 0-d ``x``."""
    return f"{name}[{','.join(map(str, index))}]" if index else name


def entry_variables(name: str, shape: tuple) -> np.ndarray:
    """One variable per entry, as an object array of Traced."""
    variables = np.empty(shape, dtype=object)
    for index in np.ndindex(shape):
        variables[index] = Traced(Var(entry_name(name, index)))
    return variables


def along_direction(values: np.ndarray, direction: np.ndarray, t: Traced) -> np.ndarray:
    """The entries ``values + t * direction``: an input moved along one direction, so
    that d/dt at t = 0 is the directional derivative."""
    items = np.empty(values.shape, dtype=object)
    for index in np.ndindex(values.shape):
        base = Traced(constant(float(values[index])))
        items[index] = base + t * Traced(constant(float(direction[index])))
    return items


@dataclass(frozen=True)
class ArrayTrace:
    """The function as one expression per output entry (row-major), over ``variables``."""

    outputs: tuple
    output_shape: tuple
    variables: tuple
    notes: tuple
    uses: tuple = ()  # split mode: (input name, use number, object array of Var)


def trace_arrays(function: Callable, leaves: Sequence[np.ndarray], values: Sequence[np.ndarray],
                 variables: Sequence[str] | None = None, *, wrap: Callable | None = None,
                 unwrap: Callable | None = None, names: Sequence[str] = (),
                 split: bool = False) -> ArrayTrace:
    """Run ``function`` on traced arrays (``leaves``: object arrays of Traced, ``values``:
    the float64 values at the point) and return its outputs as expressions.

    ``wrap``/``unwrap`` convert between TracedArray and what the function takes and
    returns (the torch tracer's tensors). ``split`` (with ``names``) gives every use of
    an input its own variables. Raises ``InputError`` for what cannot be traced.
    """
    session = Session(split=split)
    arrays = [TracedArray(leaf, np.asarray(value, dtype=np.float64), session)
              for leaf, value in zip(leaves, values)]
    for name, array in zip(names, arrays):
        session.inputs[id(array)] = name
    wrap = wrap or (lambda array: array)
    try:
        out = function(*(wrap(array) for array in arrays))
    except (TypeError, ValueError) as error:
        if isinstance(error, InputError):
            raise
        raise InputError(f"{getattr(function, '__name__', 'the function')} failed on traced "
                         f"arrays ({type(error).__name__}: {error}); a traced value stored "
                         "into a float array (out[i] = ...) is the usual cause: build arrays "
                         "with np.stack or np.concatenate") from error
    except Exception as error:  # noqa: BLE001 - the user's function may raise anything
        detail = (str(error).strip().splitlines() or [""])[0]
        raise InputError(f"{getattr(function, '__name__', 'the function')} failed on traced "
                         f"arrays ({type(error).__name__}: {detail})") from error
    out = unwrap(out) if unwrap else out
    items = _output_items(session, out, getattr(function, "__name__", "the function"))
    if variables is None:
        variables = [node.node.name for leaf in leaves for node in leaf.ravel()
                     if isinstance(node.node, Var)]
    if split:
        variables = [*variables, *(v.node.name for _, _, use in session.uses
                                   for v in use.ravel())]
    label = getattr(function, "__name__", "f")
    outputs = tuple(_expression(node.node, tuple(variables), label, index, items.shape)
                    for index, node in zip(np.ndindex(items.shape), items.ravel()))
    return ArrayTrace(outputs, items.shape, tuple(variables), tuple(session.notes),
                      tuple(session.uses))


def _output_items(session: Session, out, name: str) -> np.ndarray:
    if isinstance(out, TracedArray):
        return out.items
    if isinstance(out, (Traced, numbers.Real, np.ndarray)) and not isinstance(out, bool):
        return _items(session, out)
    raise InputError(f"{name} returned a {type(out).__name__}, not an array or a number")


def _expression(output, variables: tuple, label: str, index: tuple, shape: tuple) -> Expression:
    text = render(output)
    if len(text) > _LONGEST_TEXT:
        text = f"{label}(...)" + (f"[{','.join(map(str, index))}]" if shape else "")
    traced = Expression.from_output(text, output)
    return Expression(text, traced.output, traced.nodes, variables)


def weighted_sum(traced: ArrayTrace, weights: np.ndarray) -> Expression:
    """Σ weights[i]·output[i] as one expression: a vector output seen along one direction."""
    total = None
    for expression, weight in zip(traced.outputs, np.asarray(weights, dtype=float).ravel()):
        term = Traced(constant(float(weight))) * Traced(expression.output)
        total = term if total is None else total + term
    node = total.node
    text = render(node)
    if len(text) > _LONGEST_TEXT:
        text = "u·f(x + t·v)"
    traced_sum = Expression.from_output(text, node)
    return Expression(text, traced_sum.output, traced_sum.nodes, traced.variables)
