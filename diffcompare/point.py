"""The point at which to differentiate: parsed from ``x=1,y=2``, or chosen for the user.

Coordinates are kept exact: the decimal text ``0.1`` is the rational 1/10, so the
symbolic reference is computed at exactly the point the user wrote.
"""

from __future__ import annotations

import math
import re
from fractions import Fraction
from typing import Mapping

from .errors import InputError
from .expression import Expression

Point = dict  # variable name -> Fraction, in the expression's variable order

_NUMBER = re.compile(r"[+-]?(\d[\d_]*\.?\d*|\.\d+)([eE][+-]?\d{1,3})?")
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")


def parse_point(text: str | Mapping[str, object], expression: Expression) -> Point:
    """``"x=1,y=0.1"`` (or a mapping) to ``{"x": Fraction(1), "y": Fraction(1, 10)}``.

    Every variable of the expression needs a value, and only those.
    """
    pairs = _pairs(text) if isinstance(text, str) else [(k, str(v)) for k, v in text.items()]
    point: dict[str, Fraction] = {}
    for name, number in pairs:
        if name in point:
            raise InputError(f"--at gives {name} twice; give each variable once")
        if name not in expression.variables:
            known = ", ".join(expression.variables) or "no variables"
            raise InputError(f"--at names {name}, which is not in the expression "
                             f"(it has {known})")
        point[name] = parse_number(number, name)
    missing = [name for name in expression.variables if name not in point]
    if missing:
        example = ",".join(f"{name}=1" for name in missing)
        raise InputError(f"--at gives no value for {', '.join(missing)}; add e.g. {example}")
    return {name: point[name] for name in expression.variables}


def _pairs(text: str) -> list[tuple[str, str]]:
    pairs = []
    for item in text.replace(";", ",").split(","):
        if not item.strip():
            continue
        name, equals, number = item.partition("=")
        name = name.strip()
        if not equals or not _NAME.fullmatch(name):
            raise InputError(f"--at expects name=number pairs such as x=1,y=2, "
                             f"not {item.strip()!r}")
        pairs.append((name, number.strip()))
    return pairs


def parse_number(text: str, name: str = "the value") -> Fraction:
    """A finite decimal number, exactly."""
    if not _NUMBER.fullmatch(text.strip()):
        raise InputError(f"{name}={text!r} is not a finite decimal number; "
                         "write e.g. 1, -0.5 or 2.5e-3")
    exact = Fraction(text.strip().replace("_", ""))
    try:
        as_float = float(exact)
    except OverflowError:
        as_float = math.inf
    if math.isinf(as_float):
        raise InputError(f"{name}={text} is too large for a float")
    return exact


# Candidate coordinates for a default point: small, irregular, distinct from each other
# and from the kinks and singular points that expressions tend to have (0, ±1, ±pi/2).
_CANDIDATES = ["0.5", "1.25", "-0.75", "2", "0.3", "-1.5", "1.7", "0.9", "-0.4", "3"]


def default_point(expression: Expression) -> Point:
    """A deterministic point where the value and the gradient are finite.

    Tries rotations of a fixed list of coordinates, giving each variable a different one,
    and keeps the first at which float evaluation and our engine both give finite numbers.
    """
    from .autograd import differentiate as autograd_differentiate

    names = expression.variables
    first = None
    for attempt in range(len(_CANDIDATES) * 3):
        point = {name: Fraction(_CANDIDATES[(attempt + 3 * i) % len(_CANDIDATES)])
                 for i, name in enumerate(names)}
        if first is None:
            first = point
        result = autograd_differentiate(expression, point)
        if result.value is not None and all(g is not None for g in result.gradient.values()):
            return point
    return first
