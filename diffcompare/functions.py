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
import sys

from diffcompare.engine import Value, apply
from diffcompare.language.primitives import FUNCTIONS
from diffcompare.language.trace import Traced, constant


def _traced_array(arguments) -> bool:
    """Whether an argument is a ``language.arrays.TracedArray`` (check_gradients' trace);
    that module needs numpy, so it is looked up only once something has imported it."""
    arrays = sys.modules.get("diffcompare.language.arrays")
    return arrays is not None and any(isinstance(a, arrays.TracedArray) for a in arguments)


def _apply(name: str, x, *others):
    if _traced_array((x, *others)):
        return sys.modules["diffcompare.language.arrays"].apply_primitive(name, x, *others)
    if isinstance(x, Traced):
        return x.apply(name, *others)
    if any(isinstance(other, Traced) for other in others):
        return Traced(constant(x)).apply(name, *others)
    primitive = FUNCTIONS[name]
    if isinstance(x, Value) or any(isinstance(other, Value) for other in others):
        return apply(primitive, x, *others)
    arguments = (x, *others)
    if all(isinstance(a, numbers.Real) and not isinstance(a, bool) for a in arguments):
        return primitive.evaluate(*(float(a) for a in arguments))
    method = getattr(x, primitive.method, None) if primitive.method else None
    if callable(method):
        return method(*others)  # a user's Value with its own x.tanh()
    hint = f"; for arrays use numpy's np.{name}" if hasattr(x, "shape") else ""
    raise TypeError(f"{name}() takes a number, a Value or a traced variable, "
                    f"not {type(x).__name__}{hint}")


def _function(name: str):
    primitive = FUNCTIONS[name]

    def function(*args):
        if len(args) != primitive.arity:
            raise TypeError(f"{name}() takes {primitive.arity} argument"
                            f"{'s' if primitive.arity != 1 else ''}, got {len(args)}")
        return _apply(name, *args)

    function.__name__ = function.__qualname__ = name
    function.__doc__ = f"{name}: {primitive.description or name}."
    return function


# One function per row of the table that a user may call: sin, cos, ..., max, where.
__all__ = list(FUNCTIONS)
for _name in __all__:
    globals()[_name] = _function(_name)
