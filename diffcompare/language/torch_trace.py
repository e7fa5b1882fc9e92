"""PyTorch code, traced into our expression tree through ``__torch_function__``.

A ``TracedTensor`` wraps a ``language.arrays.TracedArray``. It is not a ``torch.Tensor``:
torch hands every ``torch.*`` function called on it to ``__torch_function__``, and a
custom ``torch.autograd.Function``'s ``apply`` runs its ``forward`` on it unchanged (the
hand-written ``backward`` is never traced: it is the code under test). Each operation in
``OPERATIONS`` becomes the same numpy operation on the traced array, so the op set is
numpy's. Anything else is refused with an ``InputError`` naming the torch function.
Comparisons give concrete bool tensors, decided at the point.
"""

from __future__ import annotations

import numpy as np
import torch

from diffcompare.language.arrays import TracedArray
from diffcompare.language.errors import InputError


def wrap(array: TracedArray) -> "TracedTensor":
    return TracedTensor(array)


def unwrap(value):
    if isinstance(value, TracedTensor):
        return value.array
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy()
    if isinstance(value, (tuple, list)) and len(value) == 1:
        return unwrap(value[0])
    return value


def _plain(value):
    """A TracedTensor as its traced array, a tensor as a numpy array, others unchanged."""
    if isinstance(value, TracedTensor):
        return value.array
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy()
    if isinstance(value, (list, tuple)):
        return type(value)(_plain(v) for v in value)
    return value


def _dressed(value):
    if isinstance(value, TracedArray):
        return TracedTensor(value)
    if isinstance(value, np.ndarray):
        return torch.from_numpy(value.copy())
    return value


def _axis(kwargs, args, position=1):
    dim = kwargs.pop("dim", args[position] if len(args) > position else None)
    return tuple(dim) if isinstance(dim, list) else dim


def _reduction(numpy_function):
    def reduce(x, *args, **kwargs):
        axis = _axis(kwargs, (x, *args))
        return numpy_function(x, axis=axis, keepdims=kwargs.pop("keepdim", False))
    return reduce


def _max(x, *args, **kwargs):
    axis = _axis(kwargs, (x, *args))
    if axis is None:
        return np.max(x)
    if isinstance(args[0] if args else None, (TracedArray, np.ndarray)):
        return np.maximum(x, args[0])
    keepdims = kwargs.pop("keepdim", False)
    indices = np.argmax(x.values, axis=axis)
    return torch.return_types.max((_dressed(np.max(x, axis=axis, keepdims=keepdims)),
                                   torch.from_numpy(indices)))


def _softmax(x, dim=None, **kwargs):
    shifted = np.exp(x - np.max(x, axis=dim, keepdims=True))
    return shifted / np.sum(shifted, axis=dim, keepdims=True)


def _log_softmax(x, dim=None, **kwargs):
    shifted = x - np.max(x, axis=dim, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=dim, keepdims=True))


def _logsumexp(x, dim, keepdim=False):
    top = np.max(x, axis=dim, keepdims=True)
    out = top + np.log(np.sum(np.exp(x - top), axis=dim, keepdims=True))
    return out if keepdim else np.squeeze(out, axis=dim)


def _reduce_loss(losses, reduction="mean"):
    reductions = {"mean": np.mean, "sum": np.sum, "none": lambda x: x}
    if reduction not in reductions:
        raise InputError(f"torch's loss with reduction={reduction!r} cannot be traced")
    return reductions[reduction](losses)


def _mse_loss(prediction, target, reduction="mean", **kwargs):
    return _reduce_loss((prediction - target) ** 2, reduction)


def _nll_loss(logp, target, reduction="mean", **kwargs):
    if kwargs.get("weight") is not None or np.ndim(target) != 1:
        raise InputError("torch's nll_loss/cross_entropy is traced for class indices "
                         "without weights only")
    return _reduce_loss(-logp[np.arange(len(target)), target], reduction)


def _cross_entropy(logits, target, reduction="mean", **kwargs):
    if kwargs.get("label_smoothing"):
        raise InputError("torch's cross_entropy with label_smoothing cannot be traced")
    return _nll_loss(_log_softmax(logits, dim=1), target, reduction, **kwargs)


def _linear(x, weight, bias=None):
    out = x @ np.transpose(weight)
    return out if bias is None else out + bias


def _norm(x, p="fro", dim=None, keepdim=False, **kwargs):
    if p not in ("fro", 2, None):
        raise InputError(f"torch's norm with p={p!r} cannot be traced")
    return np.sqrt(np.sum(x * x, axis=dim, keepdims=keepdim))


def _clamp(x, min=None, max=None):
    return np.clip(x, min, max)


def _transpose(x, dim0=0, dim1=1):
    return np.swapaxes(x, dim0, dim1)


def _view(x, *shape):
    return np.reshape(x, shape[0] if len(shape) == 1 else shape)


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _relu(x, inplace=False):
    return np.maximum(x, 0)


def _expand(x, *shape):
    shape = shape[0] if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape
    shape = tuple(x.shape[i - (len(shape) - x.ndim)] if s == -1 else s
                  for i, s in enumerate(shape))
    return np.broadcast_to(x, shape)


def _same(x, *args, **kwargs):
    return x.copy()


def _unsqueeze(x, dim):
    return np.expand_dims(x, dim)


def _squeeze(x, dim=None):
    return np.squeeze(x, dim)


def _where(condition, a, b):
    return np.where(condition, a, b)


# torch's names -> the numpy operation on traced arrays. Elementwise functions of the
# primitive table keep numpy's name (torch.sin is np.sin).
OPERATIONS = {
    "add": np.add, "__add__": np.add, "__radd__": lambda x, y: np.add(y, x),
    "sub": np.subtract, "__sub__": np.subtract, "__rsub__": lambda x, y: np.subtract(y, x),
    "mul": np.multiply, "__mul__": np.multiply, "__rmul__": lambda x, y: np.multiply(y, x),
    "div": np.true_divide, "__truediv__": np.true_divide,
    "__rtruediv__": lambda x, y: np.true_divide(y, x),
    "pow": np.power, "__pow__": np.power, "__rpow__": lambda x, y: np.power(y, x),
    "neg": np.negative, "__neg__": np.negative,
    "matmul": np.matmul, "__matmul__": np.matmul, "__rmatmul__": lambda x, y: np.matmul(y, x),
    "mm": np.matmul, "mv": np.matmul, "dot": np.dot,
    "exp": np.exp, "log": np.log, "tanh": np.tanh, "sin": np.sin, "cos": np.cos,
    "tan": np.tan, "sqrt": np.sqrt, "abs": np.absolute, "square": np.square,
    "sigmoid": _sigmoid, "relu": _relu,
    "sum": _reduction(np.sum), "mean": _reduction(np.mean), "max": _max, "amax": _max,
    "maximum": np.maximum, "minimum": np.minimum, "clamp": _clamp, "clip": _clamp,
    "softmax": _softmax, "log_softmax": _log_softmax, "where": _where,
    "logsumexp": _logsumexp, "linear": _linear, "norm": _norm, "mse_loss": _mse_loss,
    "nll_loss": _nll_loss, "cross_entropy": _cross_entropy,
    "t": np.transpose, "transpose": _transpose, "permute": lambda x, *d: np.transpose(x, d),
    "view": _view, "reshape": _view, "unsqueeze": _unsqueeze, "squeeze": _squeeze,
    "expand": _expand, "flatten": lambda x: np.ravel(x),
    "clone": _same, "detach": _same, "contiguous": _same, "double": _same, "to": _same,
    "__getitem__": lambda x, key: x[key],
}
# In-place methods: the traced tensor now holds the result (as the real tensor would).
IN_PLACE = {"add_": "add", "sub_": "sub", "mul_": "mul", "div_": "div", "pow_": "pow",
            "exp_": "exp", "tanh_": "tanh", "clamp_": "clamp", "relu_": "relu",
            "neg_": "neg", "__iadd__": "add", "__isub__": "sub", "__imul__": "mul",
            "__itruediv__": "div"}
COMPARISONS = {"gt": np.greater, "__gt__": np.greater, "lt": np.less, "__lt__": np.less,
               "ge": np.greater_equal, "__ge__": np.greater_equal, "le": np.less_equal,
               "__le__": np.less_equal, "eq": np.equal, "ne": np.not_equal}


class TracedTensor:
    """A traced array dressed as a tensor for PyTorch code."""

    def __init__(self, array: TracedArray):
        self.array = array

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        return _call(getattr(func, "__name__", str(func)), args, kwargs or {})

    shape = property(lambda self: torch.Size(self.array.shape))
    ndim = property(lambda self: self.array.ndim)
    dtype = property(lambda self: torch.float64)
    T = property(lambda self: _call("t", (self,), {}))
    requires_grad = property(lambda self: True)

    def size(self, dim=None):
        return self.shape if dim is None else self.shape[dim]

    def dim(self) -> int:
        return self.array.ndim

    def numel(self) -> int:
        return self.array.size

    def __len__(self) -> int:
        return len(self.array)

    def __setitem__(self, key, value):
        self.array[_plain(key)] = _plain(value)

    def __repr__(self) -> str:
        return f"TracedTensor(shape={tuple(self.array.shape)})"

    def __bool__(self):
        return self.array.__bool__()

    def __float__(self):
        return self.array.__float__()

    def item(self):
        return self.array.__float__()


def _call(name: str, args, kwargs):
    if name in COMPARISONS:
        return _dressed(COMPARISONS[name](*_plain(args)))
    if name in IN_PLACE:
        target = args[0]
        result = _call(IN_PLACE[name], args, kwargs)
        target.array = result.array
        return target
    operation = OPERATIONS.get(name)
    if operation is None:
        raise InputError(f"torch's {name} cannot be traced into diffcompare's expression tree "
                         "(traced: the operations of diffcompare.language.torch_trace.OPERATIONS)")
    plain_kwargs = {key: _plain(value) for key, value in kwargs.items()}
    return _dressed(operation(*_plain(args), **plain_kwargs))


def _method(name: str):
    def method(self, *args, **kwargs):
        return _call(name, (self, *args), kwargs)
    method.__name__ = name
    return method


for _name in [*OPERATIONS, *IN_PLACE, *COMPARISONS]:
    if _name not in ("shape", "T"):
        setattr(TracedTensor, _name, _method(_name))
