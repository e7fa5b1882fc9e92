"""Jacobians and Hessians, every method side by side, measured against sympy's.

``compare_jacobian("[x*y, sin(x)*z]", at="x=1,y=2,z=3")``: symbolic, forward mode (n
passes), reverse mode (m passes) and central differences. ``compare_hessian("...")``:
symbolic, forward-over-reverse, the 3-point, 5-point and Richardson second differences
and the complex step differenced once more. Each entry is measured as first-order
numbers are (``compare.measure_number``'s rule): an exact zero with the method's own
error estimate passes when

    |estimate - exact| <= SAFETY_FACTOR · estimate

an absolute test, since 0 has no relative scale; any other entry when |estimate - exact| <= tolerance · max(|exact|, |f|), with the method's tolerance
(``TOLERANCES``). The verdict is data (``MatrixVerdict``);
``present_matrix`` writes it out.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Callable, Mapping

import mpmath

from diffcompare.compare import Error, measure_number
from diffcompare.language.errors import InputError
from diffcompare.language.expression import Expression
from diffcompare.language.limits import DEFAULT as DEFAULT_LIMITS
from diffcompare.language.limits import Limits, check_work
from diffcompare.language.parse import parse
from diffcompare.language.point import default_point, parse_point
from diffcompare.language.vector import VectorExpression, parse_vector
from diffcompare.methods import autograd_jacobian, difference_matrices, forward, kinks
from diffcompare.methods import symbolic_matrices
from diffcompare.methods.matrices import MatrixDerivatives, SymbolicMatrix
from diffcompare.methods.symbolic import DEFAULT_TIMEOUT

# Relative tolerances, each about 1e4 to 1e5 times the method's modelled error at its
# default step (difference_matrices.STENCILS[...].model_error): AD does the exact float
# operations, so only rounding separates it from the exact value (as compare.TOLERANCES);
# the 3-point second difference is good to about ε^(1/2) ≈ 7e-9, the 5-point one to
# ε^(2/3) ≈ 1e-11, Richardson to 7e-13, the complex step differenced by Richardson to
# ε^(6/7) ≈ 4e-14; central first differences to ε^(2/3) ≈ 4e-11.
TOLERANCES: dict[str, float] = {
    forward.METHOD: 1e-9,
    forward.HESSIAN_METHOD: 1e-9,
    autograd_jacobian.METHOD: 1e-9,
    difference_matrices.METHOD: 1e-5,
    "finite_difference (3-point)": 1e-3,
    "finite_difference (5-point)": 1e-6,
    "finite_difference (richardson)": 1e-7,
    "finite_difference (complex_step)": 1e-8,
}


Entry = tuple[int, int]


@dataclass(frozen=True)
class Failure:
    """One entry of one method outside its tolerance, or missing where exact exists."""

    method: str
    entry: Entry
    estimate: float | None
    exact: str
    error: Error
    reason: str = ""  # why the method gave no number


@dataclass(frozen=True)
class MatrixVerdict:
    """``status``: "agree", "disagree" or "undefined" (no entry has an exact value, or
    some have none, or f has a kink here); the failures; the worst scaled error and the
    tolerance of each method that was checked."""

    status: str
    failures: tuple[Failure, ...] = ()
    # method -> (worst scaled error, tolerance), for each method with a checked entry
    worst: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    undefined: Mapping[Entry, str] = field(default_factory=dict)  # no exact value -> why
    kinks: tuple[str, ...] = ()  # "abs(x)": at its kink here, where f' jumps

    @property
    def agree(self) -> bool:
        return self.status == "agree"


@dataclass(frozen=True)
class MatrixComparison:
    kind: str  # "jacobian" or "hessian"
    expression: Expression | VectorExpression
    point: Mapping[str, Fraction]
    point_chosen: bool
    reference: SymbolicMatrix
    methods: tuple[MatrixDerivatives, ...]
    errors: Mapping[str, Mapping[Entry, Error]]  # method -> entry -> Error
    verdict: MatrixVerdict

    @property
    def agree(self) -> bool:
        return self.verdict.agree

    @property
    def entries(self) -> tuple[Entry, ...]:
        """Every (row, column), row by row; a Hessian's upper triangle only (it is
        symmetric, and each method computes it once)."""
        return tuple(_checked_entries(self.kind, self.reference))


def compare_jacobian(expression: str | VectorExpression, at: str | Mapping | None = None, *,
                     timeout: float | None = DEFAULT_TIMEOUT,
                     limits: Limits | None = None) -> MatrixComparison:
    """The Jacobian of a list of expressions (or a program ending in a tuple), four ways.

    ``at`` as for ``compare`` (text, a mapping, or None to have a point chosen);
    ``timeout`` is sympy's budget in seconds. The result's matrices are m × n (outputs by
    variables). Raises ``InputError`` for bad input or a point that does not fit.

    >>> result = compare_jacobian("[x*y, sin(x)*z]", at="x=1,y=2,z=3")
    >>> result.reference.entries[0], result.agree
    ((2.0, 1.0, 0.0), True)
    """
    limits = limits or DEFAULT_LIMITS
    vector = expression if isinstance(expression, VectorExpression) else parse_vector(
        _text(expression), limits)
    n, m = len(vector.variables), len(vector.outputs)
    check_work(vector, limits, {"forward mode": n, "autograd": 2 * m,
                                "the finite differences (central)": 1 + 4 * n})
    point, chosen = _point(vector, at, limits, lambda p: _finite(forward.jacobian(vector, p)))
    reference = symbolic_matrices.within_budget(
        symbolic_matrices.jacobian, vector, point, vector.output_names(), vector.variables,
        "jacobian", timeout, limits)
    methods = (forward.jacobian(vector, point), autograd_jacobian.jacobian(vector, point),
               difference_matrices.jacobian(vector, point))
    comparison = _compare("jacobian", vector, point, chosen, reference, methods, ())
    kinked = _jacobian_kinks(vector, point)
    if not kinked:
        return comparison
    errors = judge_kinks(comparison, kinked)
    sources = tuple(sorted({s for kink in kinked.values() for s in kink.sources}))
    verdict = judge(reference, methods, errors, comparison.entries, sources, kink_status="kink")
    return replace(comparison, errors=errors, verdict=verdict)


def compare_hessian(expression: str | Expression, at: str | Mapping | None = None, *,
                    timeout: float | None = DEFAULT_TIMEOUT,
                    limits: Limits | None = None) -> MatrixComparison:
    """The Hessian of one expression, six ways: symbolic, forward-over-reverse, and four
    finite-difference schemes. The matrices are n × n; ``entries`` of the comparison is
    the upper triangle. Raises ``InputError`` for bad input, or when the second
    differences' work (nodes × n²) is beyond ``limits.work``.

    >>> result = compare_hessian("(1 - x)**2 + 100*(y - x**2)**2", at="x=1,y=1")
    >>> result.reference.entries, result.agree
    (((802.0, -400.0), (-400.0, 200.0)), True)
    """
    limits = limits or DEFAULT_LIMITS
    if isinstance(expression, str):
        expression = parse(_text(expression), limits)
    check_hessian_work(expression, limits)
    point, chosen = _point(expression, at, limits,
                           lambda p: _finite(forward.hessian(expression, p)))
    names = expression.variables
    reference = symbolic_matrices.within_budget(
        symbolic_matrices.hessian, expression, point, names, names, "hessian", timeout, limits)
    methods = (forward.hessian(expression, point),
               *difference_matrices.hessians(expression, point).values())
    return _compare("hessian", expression, point, chosen, reference, methods,
                    _kinks(expression, point, timeout, limits))


# Evaluations of f by the four second-difference schemes together, per n² (n variables):
# measured 115 at n = 2 and 261 at n = 3 (3-point 37, 5-point 103, Richardson 73, complex
# step 48), about 29·n².
HESSIAN_EVALUATIONS = 30


def check_hessian_work(expression: Expression, limits: Limits) -> None:
    """Refuse a Hessian whose methods would pass ``limits.work``: the second differences
    evaluate f about HESSIAN_EVALUATIONS·n² times, forward over reverse makes 2n passes."""
    n = len(expression.variables)
    check_work(expression, limits, {"the Hessian's second differences": HESSIAN_EVALUATIONS * n * n,
                                    "forward over reverse": 2 * n})


def _text(expression) -> str:
    if not isinstance(expression, str):
        raise TypeError(f"the expression must be a str, not {type(expression).__name__}")
    return expression


def _point(subject, at, limits: Limits, finite_at: Callable) -> tuple[dict, bool]:
    if at is None:
        return default_point(subject, finite_at), True
    return parse_point(at, subject, limits), False


def _finite(result: MatrixDerivatives) -> bool:
    return all(entry is not None for row in result.entries for entry in row)


def _kinks(expression: Expression, point, timeout, limits) -> tuple[str, ...]:
    """abs or relu at 0 here: f' has a kink, so the Hessian does not exist (the methods'
    numbers are their conventions). The same test as first order's, ``kinks.find``."""
    if not kinks.has_switch(expression):
        return ()
    try:
        found = kinks.find(expression, point)
    except Exception:  # noqa: BLE001 - sympy failed: no kink known, judged as elsewhere
        return ()
    return tuple(sorted({source for kink in found for source in kink.sources}))


def _jacobian_kinks(vector: VectorExpression, point) -> dict[Entry, kinks.Kink]:
    """Entry (i, j) -> the kink of output i along variable j (abs or relu at 0, one-sided
    derivatives that differ), found by ``kinks.find`` as at first order."""
    found = {}
    for i in range(len(vector.outputs)):
        component = vector.component(i)
        if not kinks.has_switch(component):
            continue
        try:
            output_kinks = kinks.find(component, point)
        except Exception:  # noqa: BLE001 - sympy failed: no kink known, judged as elsewhere
            continue
        for kink in output_kinks:
            if kink.differs:
                found[(i, vector.variables.index(kink.variable))] = kink
    return found


def judge_kinks(comparison: MatrixComparison,
                kinked: Mapping[Entry, kinks.Kink]) -> dict[str, dict[Entry, Error]]:
    """The errors with each kink's entry judged by the interval between the one-sided
    derivatives, as ``compare.judge_kinks`` does at first order."""
    judged = {method: dict(by_entry) for method, by_entry in comparison.errors.items()}
    for (i, j), kink in kinked.items():
        scale = abs(comparison.reference.values[i] or 0.0)
        for result in comparison.methods:
            error = judged[result.method][(i, j)]
            within = kink.contains(result.entries[i][j], error.tolerance, scale)
            judged[result.method][(i, j)] = replace(error, within=within, kink=True)
    return judged


def _compare(kind, subject, point, chosen, reference, methods, kinked) -> MatrixComparison:
    errors = {result.method: {entry: measure(result, reference, entry)
                              for entry in _all_entries(reference)}
              for result in methods}
    verdict = judge(reference, methods, errors, _checked_entries(kind, reference), kinked)
    return MatrixComparison(kind, subject, point, chosen, reference, methods, errors, verdict)


def _checked_entries(kind: str, reference: SymbolicMatrix) -> list[Entry]:
    """Every entry of a Jacobian; a Hessian's upper triangle (each method computes it once)."""
    return [(i, j) for i, j in _all_entries(reference) if kind == "jacobian" or j >= i]


def _all_entries(reference: SymbolicMatrix) -> list[Entry]:
    rows, columns = reference.shape
    return [(i, j) for i in range(rows) for j in range(columns)]


def tolerance_for(method: str) -> float:
    if method not in TOLERANCES:
        raise InputError(f"no tolerance for the method {method!r} (matrix_compare.TOLERANCES)")
    return TOLERANCES[method]


def measure(result: MatrixDerivatives, reference: SymbolicMatrix, entry: Entry,
            tolerance: float | None = None) -> Error:
    """The error of one entry against the exact value, scaled by max(|exact|, |f|);
    ``tolerance`` by default the method's (``TOLERANCES``)."""
    tolerance = tolerance_for(result.method) if tolerance is None else tolerance
    exact_text = reference.exact.get(entry)
    if exact_text is None or result.details.get("unsupported") or not _defined(reference):
        return Error(None, None, None, tolerance, None)
    estimate = result.entries[entry[0]][entry[1]]
    if estimate is None:
        return Error(None, None, None, tolerance, False)
    row_value = reference.exact_values[entry[0] if reference.kind == "jacobian" else 0]
    # an exact zero has no relative scale: the method's own error estimate, as at first order
    bound = result.error_estimates.get(entry) if _is_zero(exact_text) else None
    return measure_number(estimate, exact_text, row_value, tolerance, bound)


def _is_zero(exact_text: str) -> bool:
    return mpmath.mpf(exact_text) == 0


def _defined(reference: SymbolicMatrix) -> bool:
    """Whether every output has an exact value (a Jacobian of a function that is not
    defined at the point does not exist, even where one output's partials do)."""
    return not reference.exact_values or None not in reference.exact_values


def judge(reference: SymbolicMatrix, methods, errors: Mapping[str, Mapping[Entry, Error]],
          entries, kinked: tuple[str, ...] = (), kink_status: str = "undefined") -> MatrixVerdict:
    """Every checked entry of every method within its tolerance: "agree"; any outside:
    "disagree"; entries with no exact value: "undefined". At a kink (``kinked`` names the
    nodes): ``kink_status``, "kink" for a Jacobian whose kinked entries lie between the
    one-sided derivatives, "undefined" for a Hessian, which does not exist there."""
    failures, worst = [], {}
    for result in methods:
        for entry in entries:
            error = errors[result.method][entry]
            if error.within is None:
                continue
            if error.kink and error.within:
                continue  # between the one-sided derivatives: the method's convention
            if error.bound is not None:  # an exact zero, held to an absolute bound
                worst.setdefault(result.method, (0.0, tolerance_for(result.method)))
                if not error.within:
                    failures.append(Failure(result.method, entry,
                                            result.entries[entry[0]][entry[1]],
                                            reference.exact[entry], error))
                continue
            scaled = error.scaled if error.scaled is not None else float("inf")
            previous = worst.get(result.method, (0.0, error.tolerance))[0]
            worst[result.method] = (max(previous, scaled), error.tolerance)
            if not error.within:
                failures.append(Failure(result.method, entry, result.entries[entry[0]][entry[1]],
                                        reference.exact[entry], error,
                                        result.reasons.get(entry, "")))
    undefined = {entry: reference.reasons.get(entry, "no exact value")
                 for entry in entries if entry not in reference.exact}
    if not _defined(reference):
        missing = ", ".join(reference.rows[i] for i, v in enumerate(reference.exact_values)
                            if v is None)
        undefined = {entry: f"{missing} has no value here, so the function has no derivative"
                     for entry in entries}
    if failures and kink_status == "kink":
        status = "disagree"
    elif kinked:
        status = kink_status
    elif failures:
        status = "disagree"
    elif undefined:
        status = "undefined"
    else:
        status = "agree"
    return MatrixVerdict(status, tuple(failures), worst, undefined, kinked)
