"""Finite-difference Jacobians and Hessians: plain evaluations of f, nothing else.

Jacobian: central differences, one column per variable, all m outputs from each
evaluation (1 + 4n evaluations of the vector function, the error estimate's included).

Hessian, by a second-difference stencil. Every scheme is data: offsets (a, b) in units
of the step and weights w, estimating ∂²f/∂x_i∂x_j as Σ w·f(x + a·h_i·e_i + b·h_j·e_j)
/ (h_i·h_j). Its error follows the same two-term model as first order
(``finite_difference``), for f and its derivatives of size about 1:

    error(h) ≈ K·h^p + R·ε/h²,   R = NOISE·√(Σw²)

so the optimal step balances them, p·K·h^(p-1) = 2·R·ε/h³:

    h* = (2·R·ε / (p·K))^(1/(p+2))

about ε^(1/4) ≈ 1e-4 for the 3-point second difference, whose error there is about
ε^(1/2): second differences lose half the digits (Gill, Murray and Wright, "Practical
Optimization", Academic Press 1981, §8.6; Sauer, "Numerical Analysis", §5.1). The
stencils and their truncation constants K, from Taylor expansions:

- 3-point, diagonal: (f(x+h) - 2f(x) + f(x-h))/h² = f'' + h²/12·f'''' + ...  K = 1/12
- 3-point, mixed: (f(+,+) - f(+,-) - f(-,+) + f(-,-))/4h² = f_xy + h²/6·(f_xxxy + f_xyyy)
  + ...; K = 1/3
- 5-point, diagonal: (-f(x+2h) + 16f(x+h) - 30f(x) + 16f(x-h) - f(x-2h))/12h²
  = f'' - h⁴/90·f⁽⁶⁾ + ...; K = 1/90
- 5-point, mixed: the 5-point first difference in x applied to the one in y (16 points),
  f_xy - h⁴/30·(f_x⁵y + f_xy⁵) + ...; K = 1/15
- Richardson: the 3-point stencils at h, h/2, h/4 combined as (D(h) - 20·D(h/2) +
  64·D(h/4))/45, which cancels the h² and h⁴ terms (both expansions are in even powers);
  the h⁶ term is 1/64 of the 3-point one: K = 2/8!/64 diagonal, (2/7! + 2/(3!·5!))/64 mixed.

Complex step: the complex-step gradient g_i(x) = Im f(x + i·h_c·e_i)/h_c (no subtraction,
so accurate to a few ε·|g_i| for h_c = 1e-20, its truncation h_c²·f'''/6 far below
rounding) differenced once more by Richardson-extrapolated central differences in x_j.
Its error is first-order Richardson's on g: K·h⁶ + R·ε·|g|/h, K = 1/(64·7!), optimal
h ≈ ε^(1/7) ≈ 0.03, error about ε^(6/7) ≈ 4e-14 (``finite_difference.SCHEMES``).

Every entry has an error estimate: Richardson's |D(h) - D(2h)|/(2^p - 1) for the
truncation, plus the model's round-off R·ε·F/(h_i·h_j), F the largest |f| the stencil saw.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from fractions import Fraction
from typing import Callable, Mapping, Sequence

import mpmath

from diffcompare.language.expression import Expression, evaluate_complex, evaluate_float, non_analytic
from diffcompare.language.faults import ARITHMETIC_ERRORS, describe
from diffcompare.language.vector import evaluate_vector
from diffcompare.methods import finite_difference
from diffcompare.methods.finite_difference import (
    COMPLEX_STEP,
    EPSILON,
    NOISE,
    SCHEMES,
    Sweep,
    estimate_with_error,
    observed_order,
    step_size,
)
from diffcompare.methods.matrices import MatrixDerivatives, empty
from diffcompare.methods.results import Cost

METHOD = "finite_difference"


@dataclass(frozen=True)
class Stencil:
    """Σ weight·f(x + a·h_i·e_i + b·h_j·e_j)/(h_i·h_j) over ``points`` (a, b, weight);
    for a diagonal entry (i = j) the offset is (a + b)·h_i along e_i."""

    points: tuple[tuple[float, float, float], ...]
    order: int  # p: the truncation error falls like h^p
    truncation: float  # K

    @property
    def roundoff(self) -> float:
        """R = NOISE·√(Σw²): independent rounding errors of size NOISE·ε·|f|, weighed."""
        return NOISE * math.sqrt(sum(w * w for _, _, w in self.points))

    @property
    def optimal_step(self) -> float:
        """h* = (2·R·ε/(p·K))^(1/(p+2)), for |x| <= 1 (see the module docstring)."""
        return (2 * self.roundoff * EPSILON / (self.order * self.truncation)) ** (
            1 / (self.order + 2))

    def model_error(self, h: float) -> float:
        return self.truncation * h**self.order + self.roundoff * EPSILON / (h * h)

    @property
    def reach(self) -> float:
        return max(max(abs(a), abs(b)) for a, b, _ in self.points)

    @property
    def finest(self) -> int:
        """The smallest offset is h/finest (Richardson's h/4)."""
        offsets = [abs(o) for a, b, _ in self.points for o in (a, b) if o]
        return round(1 / min(offsets)) if min(offsets) < 1 else 1


def _line(weights: Mapping[float, float]) -> tuple:
    return tuple((a, 0.0, w) for a, w in weights.items())


def _product(first: Mapping[float, float]) -> tuple:
    """The first-difference stencil in x_i times the one in x_j: a mixed partial."""
    return tuple((a, b, wa * wb) for a, wa in first.items() for b, wb in first.items()
                 if wa and wb)


def _richardson(points: tuple, levels: int) -> tuple:
    """The stencil at h, h/2, ..., h/2^(levels-1), combined as first-order Richardson
    combines central differences (the same weights: 1, -20, 64 over 45 for 3 levels),
    each level's weights scaled by 4^k for its 1/(h/2^k)²."""
    rows = [[(a / 2**k, b / 2**k, w * 4**k) for a, b, w in points] for k in range(levels)]
    combined = [{(a, b): w for a, b, w in row} for row in rows]
    for j in range(1, levels):
        factor = 4**j
        combined = [_combine(finer, coarser, factor)
                    for coarser, finer in zip(combined, combined[1:])]
    return tuple((a, b, w) for (a, b), w in sorted(combined[0].items()) if w)


def _combine(finer: dict, coarser: dict, factor: int) -> dict:
    out: dict = {}
    for key, w in finer.items():
        out[key] = out.get(key, 0.0) + factor * w / (factor - 1)
    for key, w in coarser.items():
        out[key] = out.get(key, 0.0) - w / (factor - 1)
    return out


_CENTRAL = {-1.0: -0.5, 1.0: 0.5}
_FIVE_POINT = {-2.0: 1 / 12, -1.0: -8 / 12, 1.0: 8 / 12, 2.0: -1 / 12}
_SECOND = {-1.0: 1.0, 0.0: -2.0, 1.0: 1.0}
_SECOND_FIVE = {-2.0: -1 / 12, -1.0: 16 / 12, 0.0: -30 / 12, 1.0: 16 / 12, 2.0: -1 / 12}
RICHARDSON_LEVELS = finite_difference.RICHARDSON_LEVELS  # h, h/2, h/4

# (diagonal, mixed) stencils of each scheme; K from the module docstring's expansions.
STENCILS: dict[str, tuple[Stencil, Stencil]] = {
    "3-point": (Stencil(_line(_SECOND), 2, 1 / 12),
                Stencil(_product(_CENTRAL), 2, 1 / 3)),
    "5-point": (Stencil(_line(_SECOND_FIVE), 4, 1 / 90),
                Stencil(_product(_FIVE_POINT), 4, 1 / 15)),
    "richardson": (Stencil(_richardson(_line(_SECOND), RICHARDSON_LEVELS), 6,
                           2 / math.factorial(8) / 64),
                   Stencil(_richardson(_product(_CENTRAL), RICHARDSON_LEVELS), 6,
                           (2 / math.factorial(7) + 2 / (6 * 120)) / 64)),
}
COMPLEX_STEP_SCHEME = "complex_step"
SCHEME_NAMES = (*STENCILS, COMPLEX_STEP_SCHEME)
# The first-order scheme that differences the complex-step gradient once more.
_OUTER = SCHEMES["richardson"]


def _step(stencil: Stencil, x: float, nominal: float | None = None) -> float:
    """The stencil's step at x: h* (or ``nominal``) scaled by max(1, |x|), a power of two,
    then a multiple of the spacing of doubles near x so every stencil point is exact."""
    scale = max(1.0, abs(x))
    h = 2.0 ** round(math.log2((nominal or stencil.optimal_step) * scale))
    quantum = math.ulp(abs(x) + 2 * stencil.reach * h) * stencil.finest
    return max(1, round(h / quantum)) * quantum


class _Function:
    """f at points near x, each distinct point evaluated once and counted."""

    def __init__(self, evaluate: Callable, floats: Mapping[str, float]):
        self.evaluate = evaluate
        self.floats = dict(floats)
        self.names = tuple(floats)
        self.cache: dict[tuple, object] = {}
        self.largest = 0.0

    def at(self, shifts: Mapping[str, float | complex]):
        point = {name: self.floats[name] + shifts.get(name, 0.0) for name in self.names}
        key = tuple(point.values())
        if key not in self.cache:
            self.cache[key] = self.evaluate(point)
        return self.cache[key]

    def count(self) -> int:
        return len(self.cache)


def stencil_estimate(stencil: Stencil, f: _Function, i: str, j: str, h_i: float,
                     h_j: float) -> tuple[float, float]:
    """One entry's estimate and the largest |f| the stencil saw."""
    total, largest = 0.0, 0.0
    for a, b, w in stencil.points:
        shifts = {i: (a + b) * h_i} if i == j else {i: a * h_i, j: b * h_j}
        value = f.at(shifts)
        largest = max(largest, abs(value))
        total += w * value
    return total / (h_i * h_j), largest


def _entry(stencil: Stencil, f: _Function, i: str, j: str,
           nominal: float | None) -> tuple[float, float, float]:
    """(estimate, error estimate, step) of one Hessian entry."""
    h_i, h_j = _step(stencil, f.floats[i], nominal), _step(stencil, f.floats[j], nominal)
    estimate, largest = stencil_estimate(stencil, f, i, j, h_i, h_j)
    coarser, largest_coarser = stencil_estimate(stencil, f, i, j, 2 * h_i, 2 * h_j)
    truncation = abs(estimate - coarser) / (2**stencil.order - 1)
    roundoff = stencil.roundoff * EPSILON * max(largest, largest_coarser) / (h_i * h_j)
    return estimate, truncation + roundoff, h_i


def _complex_entry(f: _Function, i: str, j: str,
                   nominal: float | None) -> tuple[float, float, float]:
    """H_ij as the Richardson central difference in x_j of the complex-step ∂f/∂x_i."""
    def gradient_i(x_j: float) -> float:
        shifted = {j: x_j - f.floats[j]}
        shifted[i] = shifted.get(i, 0.0) + complex(0.0, COMPLEX_STEP)
        return f.at(shifted).imag / COMPLEX_STEP

    x_j = f.floats[j]
    h = step_size(_OUTER, x_j, None if nominal is None else nominal * max(1.0, abs(x_j)))
    estimate, error = estimate_with_error(_OUTER, gradient_i, x_j, h)
    return estimate, error, h


def hessian(expression: Expression, point: Mapping[str, Fraction], scheme: str = "3-point",
            step: float | None = None) -> MatrixDerivatives:
    """The n × n Hessian by one scheme of ``SCHEME_NAMES``; ``step`` forces the nominal
    step (scaled by max(1, |x|)) instead of the scheme's optimum. Entries where f cannot
    be evaluated near the point are None, with the reason.

    >>> from diffcompare.language.parse import parse
    >>> result = hessian(parse("x**3*y**2"), {"x": Fraction(1), "y": Fraction(2)}, "richardson")
    >>> [[round(h, 9) for h in row] for row in result.entries]
    [[24.0, 12.0], [12.0, 2.0]]
    """
    if scheme not in SCHEME_NAMES:
        raise ValueError(f"unknown second-difference scheme {scheme!r}; choose one of "
                         + ", ".join(SCHEME_NAMES))
    start = time.perf_counter()
    names = expression.variables
    floats = {name: float(point[name]) for name in names}
    is_complex = scheme == COMPLEX_STEP_SCHEME
    title = f"{METHOD} ({scheme})"
    refused = non_analytic(expression) if is_complex else ()
    if refused:
        reason = (f"the complex step needs an analytic function, and {', '.join(refused)} "
                  f"{'is' if len(refused) == 1 else 'are'} not")
        return empty(title, "hessian", names, names, Cost(0, 0.0), reason,
                     details={"scheme": scheme, "unsupported": reason})
    f = _Function((lambda p: evaluate_complex(expression, p)) if is_complex
                  else (lambda p: evaluate_float(expression, p)), floats)
    entries = [[None] * len(names) for _ in names]
    errors, reasons, steps = {}, {}, {}
    for row, i in enumerate(names):
        for column in range(row, len(names)):
            j = names[column]
            try:
                if is_complex:
                    estimate, error, h = _complex_entry(f, i, j, step)
                else:
                    diagonal, mixed = STENCILS[scheme]
                    estimate, error, h = _entry(diagonal if i == j else mixed, f, i, j, step)
            except ARITHMETIC_ERRORS as fault:
                for key in {(row, column), (column, row)}:
                    reasons[key] = f"f cannot be evaluated near the point: {describe(fault)}"
                continue
            steps[(row, column)] = h
            for key in {(row, column), (column, row)}:
                if math.isfinite(estimate) and math.isfinite(error):
                    entries[key[0]][key[1]] = estimate
                    errors[key] = error
                else:
                    reasons[key] = "the difference quotient is not finite"
    try:
        value = evaluate_float(expression, floats)
    except ARITHMETIC_ERRORS:
        value = None
    return MatrixDerivatives(
        method=title, kind="hessian", rows=names, columns=names,
        entries=tuple(tuple(row) for row in entries),
        cost=Cost(evaluations=f.count(), seconds=time.perf_counter() - start),
        values=(value,), reasons=reasons, error_estimates=errors,
        details={"scheme": scheme, "steps": steps})


def hessians(expression: Expression, point: Mapping[str, Fraction]) -> dict[str, MatrixDerivatives]:
    """Every scheme's Hessian, by scheme name."""
    return {scheme: hessian(expression, point, scheme) for scheme in SCHEME_NAMES}


# ---- Jacobians ----


_JACOBIAN = SCHEMES["central"]


def jacobian(vector, point: Mapping[str, Fraction]) -> MatrixDerivatives:
    """The m × n Jacobian by central differences, each evaluation giving all m outputs;
    each entry with the error estimate of ``finite_difference.estimate_with_error``
    (Richardson's D(h) - D(2h) plus the model's round-off)."""
    start = time.perf_counter()
    names, rows = vector.variables, vector.output_names()
    floats = {name: float(point[name]) for name in names}
    f = _Function(lambda p: evaluate_vector(vector, p), floats)
    try:
        values = f.at({})
    except ARITHMETIC_ERRORS as fault:
        return empty(METHOD, "jacobian", rows, names, Cost(1, time.perf_counter() - start),
                     f"the function cannot be evaluated here: {describe(fault)}")
    entries = [[None] * len(names) for _ in rows]
    errors, reasons, steps = {}, {}, {}
    for column, name in enumerate(names):
        h = step_size(_JACOBIAN, floats[name])
        steps[name] = h
        for row in range(len(rows)):
            def along(x, row=row, name=name):
                return f.at({name: x - floats[name]})[row]
            try:
                estimate, error = estimate_with_error(_JACOBIAN, along, floats[name], h)
            except ARITHMETIC_ERRORS as fault:
                reasons[(row, column)] = (f"f cannot be evaluated near {name} (step "
                                          f"{h:.1e}): {describe(fault)}")
                continue
            entries[row][column] = estimate
            errors[(row, column)] = error
    return MatrixDerivatives(
        method=METHOD, kind="jacobian", rows=rows, columns=names,
        entries=tuple(tuple(row) for row in entries),
        cost=Cost(evaluations=f.count(), seconds=time.perf_counter() - start),
        values=tuple(values), reasons=reasons, error_estimates=errors,
        details={"scheme": _JACOBIAN.name, "steps": steps})


# ---- the step sweep of second differences ----

# Nominal steps 1, 10^-0.5, ..., 1e-8 (scaled by max(1, |x|)), half a decade apart, so that
# the steep truncation side of the 5-point and Richardson V-curves shows; below 1e-8 a
# second difference
# is all round-off (ε/h² > 1).
SWEEP_STEPS = tuple(10.0 ** (-k / 2) for k in range(0, 17))
_EXACT_DIGITS = 50


def sweep(expression: Expression, point: Mapping[str, Fraction], i: str, j: str,
          exact: float | str, schemes: Sequence[str] = tuple(STENCILS),
          steps: Sequence[float] = SWEEP_STEPS) -> Sweep:
    """The true error of each second-difference scheme for entry (i, j) at each step:
    the V-curve, truncation falling like h^p on the right, round-off growing like ε/h²
    on the left. ``variable`` of the result is "i,j"."""
    floats = {name: float(point[name]) for name in expression.variables}
    f = _Function(lambda p: evaluate_float(expression, p), floats)
    with mpmath.workdps(_EXACT_DIGITS):
        reference = mpmath.mpf(exact)
    errors, best, orders, theory, order = {}, {}, {}, {}, {}
    for scheme in schemes:
        stencil = STENCILS[scheme][0 if i == j else 1]
        row = []
        for nominal in steps:
            h_i, h_j = _step(stencil, floats[i], nominal), _step(stencil, floats[j], nominal)
            try:
                estimate, _ = stencil_estimate(stencil, f, i, j, h_i, h_j)
            except ARITHMETIC_ERRORS:
                row.append(None)
                continue
            with mpmath.workdps(_EXACT_DIGITS):
                row.append(float(abs(mpmath.mpf(estimate) - reference))
                           if math.isfinite(estimate) else None)
        errors[scheme] = tuple(row)
        finite = [(e, h) for e, h in zip(row, steps) if e is not None]
        best[scheme] = min(finite)[1] if finite else None
        orders[scheme] = observed_order(steps, row)
        theory[scheme] = stencil.optimal_step
        order[scheme] = stencil.order
    return Sweep(f"{i},{j}", tuple(steps), errors, best, theory, orders, order,
                 float(reference))
