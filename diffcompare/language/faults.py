"""Numerical faults in words: which operation failed at the point, and why.

The float methods report a fault per method (``log(-1.0): the logarithm of a negative
number is not a real number``) instead of Python's bare ``math domain error``. A
primitive applied through ``call`` raises the same exception type as before
(``ValueError``, ``ZeroDivisionError`` or ``OverflowError``, so every ``except`` still
catches it) with a message that names the operation and its arguments. A result that
is not finite although its arguments are, like ``1e308 * 10``, which Python's float
arithmetic turns into ``inf`` without a word, is an ``OverflowError`` too.
"""

from __future__ import annotations

import math
import sys

ARITHMETIC_ERRORS = (ValueError, ZeroDivisionError, OverflowError)

_LARGEST = f"{sys.float_info.max:.1e}"


def call(primitive, *args):
    """``primitive.evaluate(*args)``, with faults explained (floats in, float out).

    >>> from diffcompare.language.primitives import PRIMITIVES
    >>> call(PRIMITIVES["log"], -1.0)
    Traceback (most recent call last):
    ValueError: log(-1.0): the logarithm of a negative number is not a real number
    """
    try:
        out = primitive.evaluate(*args)
    except ARITHMETIC_ERRORS as error:
        raise type(error)(explain(primitive, args, error)) from None
    check_finite(primitive, args, out)
    return out


def check_finite(primitive, args, out: float) -> None:
    """Raise when ``out`` is infinite or NaN although every argument is finite."""
    if math.isfinite(out) or not all(math.isfinite(arg) for arg in args):
        return
    if math.isnan(out):
        raise ValueError(explain(primitive, args, ValueError()))
    raise OverflowError(explain(primitive, args, OverflowError()))


def explain_engine(primitive, args, error: Exception) -> Exception:
    """An engine fault in words: in the value itself, or only in its local derivative
    (``sqrt`` at 0 has a value but an infinite slope)."""
    try:
        out = primitive.evaluate(*args)
    except ARITHMETIC_ERRORS as forward:
        return type(forward)(explain(primitive, args, forward))
    if not math.isfinite(out):
        return type(error)(explain(primitive, args, error))
    return type(error)(f"the local derivative of {spell(primitive, args)} is not finite "
                       f"({error or type(error).__name__})")


def spell(primitive, args) -> str:
    """The operation as the user would write it: ``log(-1.0)``, ``1.0 / 0.0``."""
    shown = [_number(arg, bracket=bool(primitive.symbol)) for arg in args]
    if primitive.symbol and len(args) == 2:
        return f"{shown[0]} {primitive.symbol} {shown[1]}"
    if primitive.symbol:
        return f"{primitive.symbol}{shown[0]}"
    return f"{primitive.name}({', '.join(shown)})"


def explain(primitive, args, error: Exception) -> str:
    """What went wrong when ``primitive`` was applied to ``args``, in words."""
    operation = spell(primitive, args)
    if isinstance(error, OverflowError):
        return f"{operation} overflows the float range (beyond ±{_LARGEST})"
    # The row's domain says why, when one of its predicates holds for these arguments.
    for outside, why in primitive.domain:
        try:
            applies = outside(*args)
        except (TypeError, ArithmeticError):  # a NaN or complex argument: no such reason
            applies = False
        if applies:
            return why.format(operation=operation)
    if isinstance(error, ZeroDivisionError):
        return f"{operation}: division by zero"
    return f"{operation} is outside the function's domain ({error or type(error).__name__})"


def _number(value, bracket: bool) -> str:
    text = repr(float(value)) if isinstance(value, (int, float)) else str(value)
    return f"({text})" if bracket and text.startswith("-") else text


def describe(error: Exception) -> str:
    """An arithmetic fault in words: Python's terse math errors spelled out."""
    text = str(error)
    if text == "math domain error":
        return "an argument is outside a function's domain (math domain error)"
    if text == "math range error":
        return "a result overflowed the float range"
    return text or type(error).__name__
