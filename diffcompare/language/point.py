"""The point at which to differentiate: parsed from ``x=1,y=2``, or chosen for the user.

Coordinates are kept exact: the decimal text ``0.1`` is the rational 1/10, so the
symbolic reference is computed at exactly the point the user wrote.
"""

from __future__ import annotations

import math
import re
import unicodedata
from fractions import Fraction
from typing import Callable, Mapping

from diffcompare.language.errors import InputError
from diffcompare.language.expression import Expression
from diffcompare.language.limits import DEFAULT, Limits, integer_digits, refuse
from diffcompare.language.primitives import CONSTANTS, FUNCTIONS

Point = dict  # variable name -> Fraction, in the expression's variable order

_DIGITS = r"[0-9](?:_?[0-9])*"
_NUMBER = re.compile(rf"[+-]?(?:{_DIGITS}(?:\.(?:{_DIGITS})?)?|\.{_DIGITS})"
                     r"(?:[eE](?P<exponent>[+-]?[0-9]+))?")
# Beyond this decimal exponent a coordinate is far outside the float range anyway.
_MAX_EXPONENT = 400


def parse_point(text: str | Mapping[str, object], expression: Expression,
                limits: Limits = DEFAULT) -> Point:
    """``"x=1,y=0.1"`` (or a mapping) to ``{"x": Fraction(1), "y": Fraction(1, 10)}``.

    Every variable of the expression needs a value, and only those. Values are finite
    decimal numbers (in a mapping also ints and Fractions); a name given twice, a name
    that is not a variable of the expression, NaN, infinity, or a number that a float
    cannot hold is refused with an ``InputError``.
    """
    pairs = _pairs(text) if isinstance(text, str) else [(_name(str(k)), v)
                                                        for k, v in text.items()]
    point: dict[str, Fraction] = {}
    for name, number in pairs:
        if name in point:
            raise InputError(f"the point gives {name} twice; give each variable once")
        if name not in expression.variables:
            raise InputError(f"the point names {name}, {_not_a_variable(name, expression)}")
        point[name] = _coordinate(number, name, limits)
    missing = [name for name in expression.variables if name not in point]
    if missing:
        example = ",".join(f"{name}=1" for name in missing)
        raise InputError(f"the point gives no value for {', '.join(missing)}; add e.g. {example}")
    return {name: point[name] for name in expression.variables}


def _not_a_variable(name: str, expression: Expression) -> str:
    if name in CONSTANTS:
        return f"which is the constant {name}, not a variable"
    if name in FUNCTIONS:
        return "which is a function, not a variable"
    known = ", ".join(expression.variables) or "no variables"
    return f"which is not in the expression (it has {known})"


def _name(text: str) -> str:
    # Python reads identifiers in NFKC form (a fullwidth ｘ is x); so do we.
    name = unicodedata.normalize("NFKC", text.strip())
    if not name.isidentifier() or name.startswith("_"):
        raise InputError(f"the point expects name=number pairs such as x=1,y=2; "
                         f"{text.strip()[:40]!r} is not a variable name")
    return name


def _pairs(text: str) -> list[tuple[str, str]]:
    pairs = []
    for item in text.replace(";", ",").split(","):
        if not item.strip():
            continue
        name, equals, number = item.partition("=")
        if not equals:
            raise InputError(f"the point expects name=number pairs such as x=1,y=2, "
                             f"not {item.strip()[:40]!r}")
        pairs.append((_name(name), number.strip()))
    return pairs


def _coordinate(number: object, name: str, limits: Limits) -> Fraction:
    if isinstance(number, (int, Fraction)) and not isinstance(number, bool):
        return _representable(Fraction(number), str(number)[:40], name)
    return parse_number(str(number), name, limits)


def parse_number(text: str, name: str = "the value", limits: Limits = DEFAULT) -> Fraction:
    """A finite decimal number, exactly.

    >>> parse_number("0.1")
    Fraction(1, 10)
    """
    text = text.strip()
    shown = text if len(text) <= 40 else text[:20] + "…" + text[-20:]
    digits = sum(ch.isdigit() for ch in text)
    if digits > limits.digits:
        raise refuse(f"{name} has {digits} digits", "digits", limits)
    match = _NUMBER.fullmatch(text)
    if not match:
        lowered = text.lower().lstrip("+-")
        what = {"nan": "is not a number (NaN)", "inf": "is infinite",
                "infinity": "is infinite"}.get(lowered, "is not a number")
        raise InputError(f"{name}={shown} {what}; give a finite decimal number such as "
                         "1, -0.5 or 2.5e-3")
    exponent = int(match.group("exponent") or 0)
    if exponent > _MAX_EXPONENT:
        raise InputError(f"{name}={shown} is beyond the float range (about ±1.8e308)")
    if exponent < -_MAX_EXPONENT:
        raise InputError(f"{name}={shown} is too small for a float (it would be 0)")
    with integer_digits(limits.digits + 1):
        exact = Fraction(text.replace("_", ""))
    return _representable(exact, shown, name)


def _representable(exact: Fraction, shown: str, name: str) -> Fraction:
    try:
        as_float = float(exact)
    except OverflowError:
        as_float = math.inf
    if math.isinf(as_float):
        raise InputError(f"{name}={shown} is beyond the float range (about ±1.8e308)")
    if as_float == 0.0 and exact != 0:
        raise InputError(f"{name}={shown} is too small for a float (it would be 0)")
    return exact


# Candidate coordinates for a default point: small, irregular, distinct from each other
# and from the kinks and singular points that expressions tend to have (0, ±1, ±pi/2).
_CANDIDATES = ["0.5", "1.25", "-0.75", "2", "0.3", "-1.5", "1.7", "0.9", "-0.4", "3",
               # farther out, for domains such as log(x - 3) or sqrt(x - 5)
               "4.5", "-3.5", "7.25", "12.5", "-8.5", "25.5"]


def default_point(expression: Expression, finite_at: Callable[[Point], bool]) -> Point:
    """A deterministic point where ``finite_at(point)`` holds (the caller decides what
    must be finite there: ``compare`` asks for the value and the gradient).

    Tries rotations of a fixed list of coordinates, giving each variable a different one,
    and keeps the first that passes; the first tried when none does.
    """

    names = expression.variables
    first = None
    for attempt in range(len(_CANDIDATES) * 3):
        point = {name: Fraction(_CANDIDATES[(attempt + 3 * i) % len(_CANDIDATES)])
                 for i, name in enumerate(names)}
        if first is None:
            first = point
        if finite_at(point):
            return point
    return first
