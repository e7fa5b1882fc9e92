"""Beyond the gradient, as data: correct digits by order, and Jacobian cost by mode.

**Digits by order.** For each case, every method's correct significant digits on the
gradient (order 1) and on the Hessian's upper triangle (order 2), against sympy's exact
values; entries exactly 0 are skipped (no relative error). The lesson: a finite
difference loses about half its digits at second order, automatic differentiation none.
``benchmarks/orders.py`` runs the same measurement on the smooth corpus with targets.

**Jacobian cost**, counted as the rest of the report is (reproducible, not seconds): one
multiply-add per edge of the linearized function per pass. Forward mode makes n tangent
passes over the whole function, reverse mode one backward pass per output over the part
that output depends on. The function: n inputs summed into a trunk of ``TRUNK`` tanh
steps shared by m cheap outputs (``program``). ``benchmarks/jacobian_cost.py`` times the
same functions.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Callable, Iterable, Mapping

import mpmath

from diffcompare.compare import correct_digits
from diffcompare.language.expression import Expression, non_analytic
from diffcompare.language.vector import parse_vector
from diffcompare.methods import (
    autograd,
    difference_matrices,
    finite_difference,
    forward,
    symbolic_matrices,
)
from diffcompare.methods.symbolic import DEFAULT_TIMEOUT

# Each row: a family, its first-order method and its second-order one.
FAMILIES = (
    ("reverse mode / forward-over-reverse", "autograd", "forward_over_reverse"),
    ("forward mode / forward-over-reverse", "forward", "forward_over_reverse"),
    ("central / 3-point second difference", "central", "3-point"),
    ("5-point", "five_point", "5-point"),
    ("Richardson", "richardson", "richardson"),
    ("complex step / then Richardson", "complex_step", "complex_step"),
)

TRUNK = 50  # tanh steps shared by every output
JACOBIAN_SHAPES = {"square": (20, 20), "tall": (4, 200), "wide": (200, 4)}  # (n, m)
CROSSING_INPUTS = 10
CROSSING_OUTPUTS = (1, 2, 4, 7, 10, 15, 20, 30, 50, 80, 120)

Digits = dict[tuple[str, int], list[float]]  # (method, order) -> digits of every entry


def digits(estimate: float | None, exact_text: str | None) -> float | None:
    """Correct significant digits of ``estimate``; None when there is nothing to measure
    (no exact value, or an exact 0); 0 for a missing estimate."""
    if exact_text is None:
        return None
    with mpmath.workdps(50):
        exact = mpmath.mpf(exact_text)
        if exact == 0:
            return None
        if estimate is None:
            return 0.0
        return correct_digits(abs(mpmath.mpf(estimate) - exact) / abs(exact))


def case_digits(expression: Expression, point: Mapping[str, Fraction],
                exact_gradient: Mapping[str, str],
                exact_hessian: Mapping[tuple[int, int], str]) -> Digits:
    """Every method's digits on one case, at order 1 and 2."""
    analytic = not non_analytic(expression)
    first = {"autograd": autograd.differentiate(expression, point),
             "forward": forward.differentiate(expression, point)}
    for scheme in ("central", "five_point", "richardson", "complex_step"):
        if scheme != "complex_step" or analytic:
            first[scheme] = finite_difference.differentiate(expression, point, scheme)
    second = {"forward_over_reverse": forward.hessian(expression, point)}
    for scheme in difference_matrices.SCHEME_NAMES:
        if scheme != "complex_step" or analytic:
            second[scheme] = difference_matrices.hessian(expression, point, scheme)
    found: Digits = {}
    for name, result in first.items():
        for variable in expression.variables:
            _add(found, (name, 1), digits(result.gradient[variable], exact_gradient.get(variable)))
    n = len(expression.variables)
    for name, result in second.items():
        for i in range(n):
            for j in range(i, n):
                _add(found, (name, 2), digits(result.entries[i][j], exact_hessian.get((i, j))))
    return found


def _add(found: Digits, key, number: float | None) -> None:
    if number is not None:
        found.setdefault(key, []).append(number)


def merge(parts: Iterable[Digits]) -> Digits:
    merged: Digits = {}
    for part in parts:
        for key, numbers in part.items():
            merged.setdefault(key, []).extend(numbers)
    return merged


def exact_hessian(expression: Expression, point, timeout: float | None = DEFAULT_TIMEOUT):
    """sympy's Hessian values as decimal text, under the symbolic method's time budget."""
    names = expression.variables
    return symbolic_matrices.within_budget(symbolic_matrices.hessian, expression, point,
                                           names, names, "hessian", timeout).exact


# ---- Jacobian cost, counted ----


def program(n: int, m: int) -> str:
    """x1..xn in, y1..ym out: s = Σ x_j, then TRUNK steps s = tanh(s)·0.9 + 0.1, then
    y_i = sin(s·c_i + x_k)."""
    lines = ["s = " + " + ".join(f"x{j + 1}" for j in range(n))]
    lines += ["s = tanh(s)*0.9 + 0.1"] * TRUNK
    outputs = [f"sin(s*{1 + i / m:.6f} + x{i % n + 1})" for i in range(m)]
    return "; ".join(lines) + "; " + ", ".join(outputs) + ("," if m == 1 else "")


def sample_point(vector) -> dict[str, Fraction]:
    return {name: Fraction(1, 10 + k) for k, name in enumerate(vector.variables)}


@dataclass(frozen=True)
class JacobianWork:
    shape: str
    inputs: int  # n
    outputs: int  # m
    forward: int  # multiply-adds of n tangent passes
    reverse: int  # multiply-adds of m backward passes


def jacobian_work(shape: str, n: int, m: int) -> JacobianWork:
    vector = parse_vector(program(n, m))
    floats = {name: float(x) for name, x in sample_point(vector).items()}
    linear = forward.linearize(vector.nodes, vector.outputs, floats)
    edges = {target: [source for source, _ in terms] for target, terms in linear.steps}
    per_pass = sum(len(sources) for sources in edges.values())
    backward = 0
    for output in linear.outputs:
        seen, stack = set(), [] if output is None else [output]
        while stack:
            node = stack.pop()
            if node in seen:
                continue
            seen.add(node)
            backward += len(edges.get(node, ()))
            stack.extend(edges.get(node, ()))
    return JacobianWork(shape, n, m, n * per_pass, backward)


@dataclass(frozen=True)
class Orders:
    """Digits by order (median and fewest, per family) and the Jacobian study."""

    medians: Mapping[tuple[str, int], tuple[float, float, int]]  # (median, fewest, count)
    jacobians: tuple[JacobianWork, ...]
    crossing: tuple[JacobianWork, ...]  # n = CROSSING_INPUTS, m = each of CROSSING_OUTPUTS

    @property
    def crossing_outputs(self) -> int | None:
        """The smallest m at which forward mode does no more work than reverse mode."""
        return next((work.outputs for work in self.crossing if work.forward <= work.reverse),
                    None)


def study(found: Digits, tick: Callable[[], None] = lambda: None) -> Orders:
    import statistics

    medians = {key: (statistics.median(numbers), min(numbers), len(numbers))
               for key, numbers in found.items() if numbers}
    jacobians = tuple(jacobian_work(shape, n, m) for shape, (n, m) in JACOBIAN_SHAPES.items())
    tick()
    crossing = tuple(jacobian_work("crossing", CROSSING_INPUTS, m) for m in CROSSING_OUTPUTS)
    return Orders(medians, jacobians, crossing)
