"""Math functions for code you want to check: on floats, on ``Value``, and when traced.

Write a function with these instead of ``math``'s, and the same code runs on plain
numbers, on our engine's ``Value`` (and on any class with a method of that name, such
as your own micrograd ``Value``), and under ``trace``, which turns it into an
expression that every method can differentiate:

>>> from diffcompare.functions import sin, tanh
>>> def f(x, y):
...     return x**2 * sin(y) + tanh(x * y)
>>> round(f(1.0, 2.0), 6)
1.873325

``assert_gradients_agree(f, x=1.0, y=2.0)`` (in ``diffcompare.testing``) uses exactly
this to compare f's derivatives by every method.
"""

from __future__ import annotations

import numbers

from diffcompare.engine import Value
from diffcompare.language.primitives import FUNCTIONS
from diffcompare.language.trace import Traced

__all__ = ["sin", "cos", "tan", "exp", "log", "sqrt", "tanh", "sigmoid", "relu", "abs"]


def _apply(name: str, x):
    if isinstance(x, Traced):
        return x.apply(name)
    if isinstance(x, Value):
        return getattr(x, name)()
    if isinstance(x, numbers.Real) and not isinstance(x, bool):
        return FUNCTIONS[name].evaluate(float(x))
    method = getattr(x, name, None)
    if callable(method):
        return method()  # a user's Value with its own x.tanh()
    raise TypeError(f"{name}() takes a number, a Value or a traced variable, "
                    f"not {type(x).__name__}")


def sin(x):
    """Sine.

    >>> sin(0.0)
    0.0
    """
    return _apply("sin", x)


def cos(x):
    """Cosine.

    >>> cos(0.0)
    1.0
    """
    return _apply("cos", x)


def tan(x):
    """Tangent.

    >>> tan(0.0)
    0.0
    """
    return _apply("tan", x)


def exp(x):
    """Exponential.

    >>> exp(0.0)
    1.0
    """
    return _apply("exp", x)


def log(x):
    """Natural logarithm.

    >>> log(1.0)
    0.0
    """
    return _apply("log", x)


def sqrt(x):
    """Square root.

    >>> sqrt(4.0)
    2.0
    """
    return _apply("sqrt", x)


def tanh(x):
    """Hyperbolic tangent.

    >>> tanh(0.0)
    0.0
    """
    return _apply("tanh", x)


def sigmoid(x):
    """Logistic sigmoid, 1/(1 + exp(-x)).

    >>> sigmoid(0.0)
    0.5
    """
    return _apply("sigmoid", x)


def relu(x):
    """max(0, x); its derivative at 0 is taken as 0, as in micrograd and PyTorch.

    >>> relu(-2.0), relu(3.0)
    (0.0, 3.0)
    """
    return _apply("relu", x)


def abs(x):  # noqa: A001 - the function's usual name; the builtin is not used here
    """Absolute value; its derivative at 0 is taken as 0, as in PyTorch.

    >>> abs(-1.5)
    1.5
    """
    return _apply("abs", x)
