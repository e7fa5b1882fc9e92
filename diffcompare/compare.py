"""Run the methods side by side and measure each against the symbolic reference.

Each method works alone from the expression tree; nothing here passes one method's
answer to another. The symbolic values, exact to ``symbolic.DIGITS`` digits, are the
reference every error is measured against.

The verdict's tolerance depends on the method (``TOLERANCES``): an estimate passes when

    |estimate - exact| <= tolerance * max(|exact|, |f|)

that is, relative to the exact number, or to the function's value when the exact
number is near zero (a finite difference's round-off scales with |f|, not with f').
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Callable, Mapping, Sequence

import mpmath

from . import autograd, finite_difference, symbolic
from .expression import Expression
from .parse import parse
from .point import default_point, parse_point
from .results import Derivatives, SymbolicDerivatives

Method = Callable[[Expression, Mapping[str, Fraction]], Derivatives]

# The methods compared against the reference, in the order they are shown.
METHODS: dict[str, Method] = {
    autograd.METHOD: autograd.differentiate,
    finite_difference.METHOD: finite_difference.differentiate,
}

# Relative tolerance of each method's verdict. Reverse mode does the same float
# operations as the exact derivative, so only rounding separates them: a few ulps per
# operation, far below 1e-9 unless the expression itself is ill-conditioned. Central
# differences with h = cbrt(eps) are good to about eps**(2/3) ~ 4e-11 times the scale
# of f''' and f; 1e-5 leaves room for curvature and is gradcheck's own rtol.
TOLERANCES: dict[str, float] = {
    autograd.METHOD: 1e-9,
    finite_difference.METHOD: 1e-5,
}
DEFAULT_TOLERANCE = TOLERANCES[autograd.METHOD]  # a method not listed, e.g. a user's engine

# Below this scale every number counts as zero, so 0 vs 1e-300 is agreement.
_SMALLEST_SCALE = 1e-300
_WORK_DIGITS = 60  # mpmath precision for errors: well past the reference's digits


@dataclass(frozen=True)
class Error:
    """How far one method's number is from the exact one."""

    absolute: float | None  # None when there is nothing to compare
    relative: float | None  # None when the exact number is 0 and the error is not
    digits: float | None  # correct significant digits, at most 17
    tolerance: float
    within: bool | None  # None when the exact number does not exist

    @property
    def checked(self) -> bool:
        return self.within is not None


@dataclass(frozen=True)
class Verdict:
    status: str  # "agree", "disagree" or "undefined"
    text: str

    @property
    def agree(self) -> bool:
        return self.status == "agree"


@dataclass(frozen=True)
class Comparison:
    expression: Expression
    point: Mapping[str, Fraction]
    point_chosen: bool  # True when the user gave no point and we picked it
    reference: SymbolicDerivatives
    methods: tuple[Derivatives, ...]
    errors: Mapping[str, Mapping[str, Error]]  # method -> quantity -> Error
    verdict: Verdict

    @property
    def quantities(self) -> tuple[str, ...]:
        """"value", then one partial derivative per variable."""
        return ("value", *self.expression.variables)

    @property
    def agree(self) -> bool:
        return self.verdict.agree

    @property
    def all_methods(self) -> tuple[Derivatives, ...]:
        return (self.reference, *self.methods)


def compare(expression: str | Expression, at: str | Mapping | None = None,
            methods: Mapping[str, Method] | None = None,
            tolerances: Mapping[str, float] | None = None) -> Comparison:
    """Differentiate ``expression`` at ``at`` by every method and compare.

    >>> result = compare("3*x**2 - 4*x + 5", at="x=3")
    >>> result.reference.gradient["x"], result.agree
    (14.0, True)
    """
    if isinstance(expression, str):
        expression = parse(expression)
    point_chosen = at is None
    point = default_point(expression) if at is None else parse_point(at, expression)
    methods = METHODS if methods is None else methods
    tolerances = {**TOLERANCES, **(tolerances or {})}

    reference = symbolic.differentiate(expression, point)
    results = tuple(method(expression, point) for method in methods.values())
    quantities = ("value", *expression.variables)
    errors = {
        result.method: {
            q: measure(result.number(q), reference, q,
                       tolerances.get(result.method, DEFAULT_TOLERANCE))
            for q in quantities
        }
        for result in results
    }
    return Comparison(expression, point, point_chosen, reference, results, errors,
                      judge(reference, results, errors, quantities))


def measure(estimate: float | None, reference: SymbolicDerivatives, quantity: str,
            tolerance: float) -> Error:
    """The error of ``estimate`` against the exact value of ``quantity``."""
    exact_text = reference.exact.get(quantity)
    if exact_text is None:
        return Error(None, None, None, tolerance, None)
    if estimate is None:
        return Error(None, None, None, tolerance, False)
    with mpmath.workdps(_WORK_DIGITS):
        exact = mpmath.mpf(exact_text)
        absolute = abs(mpmath.mpf(estimate) - exact)
        relative = absolute / abs(exact) if exact != 0 else (mpmath.mpf(0) if absolute == 0 else None)
        f_value = mpmath.mpf(reference.exact.get("value", "0"))
        scale = max(abs(exact), abs(f_value), mpmath.mpf(_SMALLEST_SCALE))
        within = bool(absolute <= tolerance * scale)
        return Error(float(absolute), None if relative is None else float(relative),
                     correct_digits(relative), tolerance, within)


def correct_digits(relative) -> float | None:
    """Correct significant digits, -log10 of the relative error, between 0 and 17."""
    if relative is None:
        return 0.0
    if relative == 0:
        return 17.0
    return float(min(17.0, max(0.0, -mpmath.log10(relative))))


def judge(reference: SymbolicDerivatives, results: Sequence[Derivatives],
          errors: Mapping[str, Mapping[str, Error]], quantities: Sequence[str]) -> Verdict:
    failures = []
    checked = 0
    for result in results:
        for quantity in quantities:
            error = errors[result.method][quantity]
            if error.within is None:
                continue
            checked += 1
            if not error.within:
                failures.append(_failure_text(result, quantity, error, reference))
    if failures:
        return Verdict("disagree", "DISAGREE: " + "; ".join(failures))
    if checked == 0:
        why = "; ".join(f"{_label(q)}: {reason}" for q, reason in reference.reasons.items())
        return Verdict("undefined", f"UNDEFINED: no exact value to compare against ({why})")
    parts = []
    for result in results:
        worst = max((e.relative for e in errors[result.method].values()
                     if e.within and e.relative is not None), default=0.0)
        parts.append(f"{result.method} within {errors[result.method][quantities[0]].tolerance:g}"
                     f" (worst relative error {_short(worst)})")
    skipped = [q for q in quantities if reference.exact.get(q) is None]
    note = f"; not defined here: {', '.join(map(_label, skipped))}" if skipped else ""
    return Verdict("agree", "AGREE: " + ", ".join(parts)
                   + " of the exact values" + note)


def _failure_text(result: Derivatives, quantity: str, error: Error,
                  reference: SymbolicDerivatives) -> str:
    label = _label(quantity)
    if error.absolute is None:
        reason = result.reasons.get(quantity, "no number")
        return f"{result.method} gives no {label} ({reason})"
    return (f"{result.method} {label} = {result.number(quantity)!r} but exact is "
            f"{float(reference.exact[quantity])!r} (relative error "
            f"{_short(error.relative) if error.relative is not None else 'inf'}"
            f" > {error.tolerance:g})")


def _label(quantity: str) -> str:
    return "f" if quantity == "value" else f"df/d{quantity}"


def _short(number: float) -> str:
    return "0" if number == 0 else f"{number:.1e}"
