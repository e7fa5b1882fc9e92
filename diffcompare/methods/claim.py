"""A claimed derivative (a student's, a textbook's) as one more column of a comparison.

The claim is text, read by our own parser (never ``eval`` or sympy's parser), one
expression per variable. The column's value of f is plain float evaluation of f; its
partial derivatives are the claimed expressions evaluated in floats at the point. The
comparison then judges them against the exact ones like any other method's numbers.

>>> from diffcompare import compare
>>> from diffcompare.language.parse import parse
>>> f = parse("3*x**2 - 4*x + 5")
>>> claims = parse_claims(["6*x - 4"], f)
>>> compare(f, at="x=3", methods={METHOD: claimed_method(claims)}).agree
True
>>> compare(f, at="x=3", methods={METHOD: claimed_method(parse_claims(["6*x"], f))}).agree
False
"""

from __future__ import annotations

import time
from fractions import Fraction
from typing import Callable, Mapping, Sequence

from diffcompare.language.errors import InputError
from diffcompare.language.expression import Expression, evaluate_float
from diffcompare.language.faults import ARITHMETIC_ERRORS, describe
from diffcompare.language.limits import DEFAULT, Limits
from diffcompare.language.parse import parse
from diffcompare.methods.results import Cost, Derivatives

METHOD = "claim"


def parse_claims(texts: Sequence[str], function: Expression,
                 limits: Limits = DEFAULT) -> dict[str, Expression]:
    """``["6*x - 4"]`` or ``["x: 2*x*y", "y: x**2"]`` as variable -> parsed derivative.

    Without ``VAR:`` a single claim is the derivative by f's only variable. A claim may
    use only f's variables. Raises ``InputError`` for an unreadable claim, a variable f
    does not have, a variable claimed twice, or a variable of f left unclaimed.
    """
    claims: dict[str, Expression] = {}
    for text in texts:
        name, _, body = text.rpartition(":") if ":" in text else ("", "", text)
        name = name.strip()
        if not name:
            if len(function.variables) != 1:
                raise InputError(f"f has {len(function.variables)} variables: say which "
                                 f"derivative the claim is, e.g. --claim "
                                 f"\"{(function.variables or ('x',))[0]}: {text.strip()}\"")
            name = function.variables[0]
        if name not in function.variables:
            raise InputError(f"the claim names {name!r}, which is not a variable of f "
                             f"({', '.join(function.variables) or 'none'})")
        if name in claims:
            raise InputError(f"df/d{name} is claimed twice")
        claims[name] = read_claim(body.strip(), function, limits, f"df/d{name}")
    missing = [name for name in function.variables if name not in claims]
    if missing:
        raise InputError("no claim for " + ", ".join(f"df/d{name}" for name in missing)
                         + f"; add e.g. --claim \"{missing[0]}: ...\"")
    return claims


def read_claim(text: str, function: Expression, limits: Limits = DEFAULT,
               what: str = "the claim") -> Expression:
    """One claimed derivative, parsed, using no variable that f lacks.

    Raises ``InputError`` (with the parser's caret) when it cannot be read.
    """
    try:
        claim = parse(text, limits)
    except InputError as error:
        raise InputError(f"{what} cannot be read: {error.one_line()}") from None
    extra = [name for name in claim.variables if name not in function.variables]
    if extra:
        raise InputError(f"{what} uses {', '.join(extra)}, which f does not have "
                         f"({', '.join(function.variables) or 'no variables'})")
    return claim


def claimed_method(claims: Mapping[str, Expression]
                   ) -> Callable[[Expression, Mapping[str, Fraction]], Derivatives]:
    """A method (as ``compare`` takes them) whose gradient is the claims at the point."""
    def differentiate(expression: Expression, point: Mapping[str, Fraction]) -> Derivatives:
        started = time.perf_counter()
        at = {name: float(value) for name, value in point.items()}
        reasons: dict[str, str] = {}
        value = _evaluate(expression, at, "value", reasons)
        gradient = {name: _evaluate(claims[name], at, name, reasons)
                    for name in expression.variables}
        return Derivatives(METHOD, value, gradient,
                           Cost(1 + len(claims), time.perf_counter() - started), reasons)
    return differentiate


def _evaluate(expression: Expression, at: Mapping[str, float], quantity: str,
              reasons: dict[str, str]) -> float | None:
    try:
        return evaluate_float(expression, at)
    except ARITHMETIC_ERRORS as error:
        reasons[quantity] = describe(error)
        return None
