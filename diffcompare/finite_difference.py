"""The finite-difference method: plain float evaluation at nearby points, nothing else."""

from __future__ import annotations

import math
import sys
import time
from fractions import Fraction
from typing import Mapping

from .autograd import ARITHMETIC_ERRORS, describe
from .expression import Expression, evaluate_float
from .results import Cost, Derivatives

METHOD = "finite_difference"

EPSILON = sys.float_info.epsilon  # 2**-52, the spacing of doubles at 1


def central_step(x: float) -> float:
    """h ≈ ∛ε·max(1, |x|): balances the O(h²) truncation error against the O(ε/h)
    round-off of central differences. Rounded so that x + h - x == h exactly."""
    h = EPSILON ** (1 / 3) * max(1.0, abs(x))
    return (x + h) - x


def differentiate(expression: Expression, point: Mapping[str, Fraction]) -> Derivatives:
    """Central differences, (f(x+h) - f(x-h)) / 2h, one variable at a time."""
    start = time.perf_counter()
    floats = {name: float(point[name]) for name in expression.variables}
    reasons: dict[str, str] = {}
    evaluations = 0

    def f(at: Mapping[str, float]) -> float:
        nonlocal evaluations
        evaluations += 1
        return evaluate_float(expression, at)

    try:
        value = f(floats)
    except ARITHMETIC_ERRORS as error:
        value = None
        reasons["value"] = f"the function cannot be evaluated here: {describe(error)}"

    gradient: dict[str, float | None] = {}
    steps: dict[str, float] = {}
    for name, x in floats.items():
        h = central_step(x)
        steps[name] = h
        try:
            f_plus = f({**floats, name: x + h})
            f_minus = f({**floats, name: x - h})
            gradient[name] = (f_plus - f_minus) / (2 * h)
        except ARITHMETIC_ERRORS as error:
            gradient[name] = None
            reasons[name] = f"f cannot be evaluated at {name}±h: {describe(error)}"
            continue
        if not math.isfinite(gradient[name]):
            gradient[name] = None
            reasons[name] = "the difference quotient is not finite"
    return Derivatives(
        method=METHOD, value=value, gradient=gradient,
        cost=Cost(evaluations=evaluations, seconds=time.perf_counter() - start),
        reasons=reasons, details={"scheme": "central", "steps": steps},
    )
