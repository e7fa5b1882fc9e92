"""The finite-difference method: plain float evaluation at nearby points, nothing else."""

from __future__ import annotations

import math
import sys
import time
from fractions import Fraction
from dataclasses import dataclass
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


# ---- the step sweep: the error of a scheme as the step shrinks ----

# Steps from 1e-1 down to 1e-16, a decade apart.
SWEEP_STEPS = tuple(10.0 ** -k for k in range(1, 17))


@dataclass(frozen=True)
class Sweep:
    """True error of each scheme at each step, for one variable.

    ``errors[scheme][i]`` is the absolute error at ``steps[i]`` (None where f could not
    be evaluated); ``best_step`` is the step with the smallest error; ``theoretical_step``
    the optimum predicted by balancing truncation and round-off.
    """

    variable: str
    steps: tuple[float, ...]
    errors: Mapping[str, tuple[float | None, ...]]
    best_step: Mapping[str, float | None]
    theoretical_step: Mapping[str, float]


def _central(f, x: float, h: float) -> float:
    return (f(x + h) - f(x - h)) / (2 * h)


def _forward(f, x: float, h: float) -> float:
    return (f(x + h) - f(x)) / h


# scheme name -> (estimate(f, x, h), theoretical optimal step for |x| <= 1)
SCHEMES = {
    "forward": (_forward, EPSILON ** (1 / 2)),
    "central": (_central, EPSILON ** (1 / 3)),
}


def sweep(expression: Expression, point: Mapping[str, Fraction], variable: str,
          exact: float, schemes=None, steps=SWEEP_STEPS) -> Sweep:
    """The true error of every scheme for each step in ``steps``, against ``exact``."""
    floats = {name: float(point[name]) for name in expression.variables}
    x = floats[variable]

    def f(value: float) -> float:
        return evaluate_float(expression, {**floats, variable: value})

    errors, best = {}, {}
    for name in schemes or SCHEMES:
        estimate, _ = SCHEMES[name]
        row = []
        for h in steps:
            h = (x + h * max(1.0, abs(x))) - x
            try:
                row.append(abs(estimate(f, x, h) - exact) if h else None)
            except ARITHMETIC_ERRORS:
                row.append(None)
        errors[name] = tuple(row)
        finite = [(e, h) for e, h in zip(row, steps) if e is not None]
        best[name] = min(finite)[1] if finite else None
    return Sweep(variable, tuple(steps), errors, best,
                 {name: SCHEMES[name][1] * max(1.0, abs(x)) for name in errors})
