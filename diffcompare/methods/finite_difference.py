"""The finite-difference method: derivatives from plain evaluations of f, nothing else.

Each scheme (``SCHEMES``) estimates f'(x) from values of f near x. Its error at step h
follows a two-term model, for f and its derivatives of size about 1:

    error(h) ≈ K·h^p  +  R·ε/h

- K·h^p is the truncation error: p is the order, K the leading Taylor coefficient;
- R·ε/h is the round-off: each computed value of f is off by about NOISE·ε·|f|
  (NOISE = 1/4: a few roundings), the stencil weighs those errors by its weights w/h,
  and independent errors add in quadrature, so R = NOISE·√(Σw²).

The best step balances the two: h* = (R·ε / (p·K))^(1/(p+1)), about √ε for one-sided
differences, ∛ε for central differences and ε^(1/5) for the 5-point stencil. The default
step is h* scaled by max(1, |x|) and rounded to a power of two, so that x + k·h, and
sums such as x + k·h + 3 inside f, are exact doubles (otherwise the spacing itself
carries an error of about ε·|x|/h). A forced step is rounded to a multiple of the
spacing of doubles near x, which keeps the stencil points exact.

Richardson's step is searched instead (``RICHARDSON_SEARCHED_STEPS``): its best step
depends on the size of f's 7th derivative, which no fixed step can guess; the candidate
with the smallest own error estimate wins, at 18 evaluations of f per derivative.

The complex step, Im f(x + ih)/h, subtracts nothing: it has no round-off term that
grows as h shrinks, so any h far below √ε gives f' to about ε. It needs every primitive
to be analytic, and refuses abs and relu.

Every estimate comes with an error estimate (``Derivatives.error_estimates``): Richardson's
difference |D(h) - D(2h)| / (2^p - 1) for the truncation, plus the model's round-off
R·ε·F/h, F the largest |f| seen (for the complex step, ε·|D(h)|); and with its cost,
every distinct evaluation of f, those for the error estimate included.
"""

from __future__ import annotations

import functools
import math
import sys
import time
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Callable, Mapping, Sequence

import mpmath

from diffcompare.language.errors import InputError
from diffcompare.language.expression import (
    Call,
    Expression,
    Var,
    evaluate_complex,
    evaluate_float,
    non_analytic,
)
from diffcompare.language.faults import ARITHMETIC_ERRORS, describe
from diffcompare.language.rounding import value_bound
from diffcompare.methods.results import Cost, Derivatives

METHOD = "finite_difference"

EPSILON = sys.float_info.epsilon  # 2**-52, the spacing of doubles at 1

# The complex step's default h: far below √ε, so that the truncation h²·f'''/6 is lost
# in rounding, and far above the underflow threshold, so that h·f' stays a normal double.
COMPLEX_STEP = 1e-20

# The typical error of a computed value of f, in units of ε·|f|. One rounding to nearest
# is uniform within half an ulp (root mean square about 0.2·ε·|f|); evaluating f takes
# a few. Calibrated on random expressions (not the corpus the tests use): with 0.25,
# the median of estimated error / true error is about 1.
NOISE = 0.25

# A forced step (--step) is refused where the error model predicts a relative error
# beyond this: the verdict allows compare.MODEL_SAFETY (10) times the model's error, and
# a tolerance of 1 would let any estimate pass, 0 included.
LARGEST_MODEL_ERROR = 0.1


# ---- the schemes: each estimates f'(x) from f, x and a step h ----


def _forward(f, x: float, h: float) -> float:
    return (f(x + h) - f(x)) / h


def _backward(f, x: float, h: float) -> float:
    return (f(x) - f(x - h)) / h


def _central(f, x: float, h: float) -> float:
    return (f(x + h) - f(x - h)) / (2 * h)


def _five_point(f, x: float, h: float) -> float:
    return (f(x - 2 * h) - 8 * f(x - h) + 8 * f(x + h) - f(x + 2 * h)) / (12 * h)


RICHARDSON_LEVELS = 3  # central differences at h, h/2, h/4: the h² and h⁴ terms cancel


def _richardson(f, x: float, h: float) -> float:
    # Central differences D(h) = f' + c₂h² + c₄h⁴ + ...; combining D at h and h/2 as
    # (4^j·D(h/2) - D(h)) / (4^j - 1) removes the h^(2j) term, one column at a time.
    row = [_central(f, x, h / 2**k) for k in range(RICHARDSON_LEVELS)]
    for j in range(1, RICHARDSON_LEVELS):
        factor = 4**j
        row = [(factor * finer - coarser) / (factor - 1)
               for coarser, finer in zip(row, row[1:])]
    return row[0]


def _complex_step(f, x: float, h: float) -> float:
    return f(complex(x, h)).imag / h


@dataclass(frozen=True)
class Scheme:
    """A finite-difference formula and the constants of its error model."""

    name: str
    formula: str
    estimate: Callable  # estimate(f, x, h) -> f'(x)
    order: int  # p: the truncation error falls like h^p
    truncation: float  # K: the truncation error is about K·h^p·|f^(p+1)|
    roundoff: float  # R: NOISE·√(Σw²) for stencil weights w/h (0 for the complex step)
    reach: int = 2  # the largest multiple of h used, the error estimate's D(2h) included
    finest: int = 1  # the smallest offset is h/finest
    is_complex: bool = False
    # Steps to search (each times max(1, |x|)) when no step is forced: the one whose own
    # error estimate is smallest wins. Empty: the default step alone.
    searched_steps: tuple[float, ...] = ()
    # Distinct evaluations of f per variable, D(2h) for the error estimate and every
    # searched step included: the work limit's estimate (``evaluations``).
    evaluations: int = 4

    @property
    def optimal_step(self) -> float:
        """The step that minimises the model's error, for |x| <= 1.

        For the complex step there is no minimum: every h below √(ε/K) is as good (the
        truncation is below rounding), and this returns that bound.
        """
        if self.is_complex:
            return math.sqrt(EPSILON / self.truncation)
        return (self.roundoff * EPSILON / (self.order * self.truncation)) ** (1 / (self.order + 1))

    @property
    def default_step(self) -> float:
        return COMPLEX_STEP if self.is_complex else self.optimal_step

    def model_error(self, h: float) -> float:
        """The relative error the model predicts at step h (f and its derivatives ~ 1);
        inf where it is beyond the float range (h = 1e100 for Richardson)."""
        try:
            truncation = self.truncation * h**self.order
        except OverflowError:
            return math.inf
        if self.is_complex:
            return truncation + EPSILON
        return truncation + self.roundoff * EPSILON / h

    def meaningful_steps(self) -> tuple[float, float]:
        """The steps, for |x| <= 1, where the model's error is at most
        LARGEST_MODEL_ERROR, roughly: each bound from its own term of the model."""
        smallest = self.roundoff * EPSILON / LARGEST_MODEL_ERROR
        largest = (LARGEST_MODEL_ERROR / self.truncation) ** (1 / self.order)
        return smallest, largest


# Every constant comes from the stencil's Taylor expansion (K) and weights (R = NOISE·√(Σw²)):
#   forward:    (f(x+h) - f(x))/h = f' + h/2·f'' + ...        w = (1, -1)           K = 1/2
#   central:    (f(x+h) - f(x-h))/2h = f' + h²/6·f''' + ...   w = (1, -1)/2         K = 1/6
#   five_point: f' - h⁴/30·f⁽⁵⁾ + ...                          w = (1, -8, 8, -1)/12  K = 1/30
#   richardson: (D(h) - 20·D(h/2) + 64·D(h/4))/45 = f' + h⁶/64·f⁽⁷⁾/7! + ...
#               w = ±(1/2, 20, 128)/45                        K = 1/(64·5040)
#   complex:    Im f(x+ih)/h = f' - h²/6·f''' + ...                                 K = 1/6
_RICHARDSON_WEIGHTS = (1 / 90, 20 / 45, 128 / 45)

# Richardson's step is searched, not fixed: its best step depends on f⁽⁷⁾, which the
# model takes as 1 and which is 1e4 on Squire and Trapp's function at 1.5 (one fixed step
# left a 1.8e-11 error there). The candidates 2⁻², ..., 2⁻⁷ use central differences at
# 2⁻¹ (the error estimate's D(2h)) down to 2⁻⁹: 9 steps, 18 evaluations of f per
# derivative (f(x) aside), against numdifftools' 30. Each candidate's error estimate is
# Richardson's |D(h) - D(2h)|/63 plus the model's round-off, and the smallest wins.
RICHARDSON_SEARCHED_STEPS = tuple(2.0 ** -k for k in range(2, 8))


def _roundoff_constant(*weights: float) -> float:
    return math.sqrt(sum(w * w for w in weights)) * NOISE


SCHEMES: dict[str, Scheme] = {
    s.name: s
    for s in [
        Scheme("forward", "(f(x+h) - f(x))/h", _forward, 1, 1 / 2, _roundoff_constant(1, 1),
               evaluations=2),  # x+h, x+2h
        Scheme("backward", "(f(x) - f(x-h))/h", _backward, 1, 1 / 2, _roundoff_constant(1, 1),
               evaluations=2),
        Scheme("central", "(f(x+h) - f(x-h))/2h", _central, 2, 1 / 6, _roundoff_constant(1 / 2, 1 / 2),
               evaluations=4),  # x±h, x±2h
        Scheme("five_point", "(f(x-2h) - 8f(x-h) + 8f(x+h) - f(x+2h))/12h", _five_point,
               4, 1 / 30, _roundoff_constant(1 / 12, 8 / 12, 8 / 12, 1 / 12), reach=4,
               evaluations=6),  # x±h, x±2h, x±4h
        Scheme("richardson", "Richardson extrapolation of central differences at h, h/2, "
               "h/4", _richardson, 2 * RICHARDSON_LEVELS, 1 / (64 * 5040),
               _roundoff_constant(*_RICHARDSON_WEIGHTS, *_RICHARDSON_WEIGHTS),
               finest=2 ** (RICHARDSON_LEVELS - 1), searched_steps=RICHARDSON_SEARCHED_STEPS,
               evaluations=18),  # central differences at 9 steps
        Scheme("complex_step", "Im f(x+ih)/h", _complex_step, 2, 1 / 6, 0.0, reach=2,
               is_complex=True, evaluations=2),  # x+ih, x+2ih
    ]
}
DEFAULT_SCHEME = "central"


def find_scheme(name: str) -> Scheme:
    """The scheme called ``name``, or an InputError that lists them."""
    if name not in SCHEMES:
        raise InputError(f"unknown finite-difference scheme {name!r}; choose one of "
                         + ", ".join(SCHEMES))
    return SCHEMES[name]


def check_analytic(expression: Expression, chosen: Scheme) -> None:
    """Refuse the complex step for an expression with a non-analytic primitive."""
    refused = non_analytic(expression) if chosen.is_complex else ()
    if refused:
        raise InputError(f"the complex step needs an analytic function, and "
                         f"{', '.join(refused)} {'is' if len(refused) == 1 else 'are'} not "
                         "(its slope is not determined by values off the real axis); "
                         "choose another scheme, e.g. --fd richardson")


def step_size(chosen: Scheme, x: float, step: float | None = None) -> float:
    """The step used at x.

    By default the scheme's optimum scaled by max(1, |x|), rounded to a power of two;
    a forced ``step`` is rounded to the nearest multiple of the spacing of doubles near
    x. Either way every stencil point x + k·h (|k| <= reach, k a multiple of 1/finest)
    is a double exactly; a step below that spacing becomes the spacing. The complex
    step is used as it is: x stays real.
    """
    if chosen.is_complex:
        return step if step is not None else chosen.default_step * max(1.0, abs(x))
    if step is None:
        h = 2.0 ** round(math.log2(chosen.default_step * max(1.0, abs(x))))
    else:
        h = step
    quantum = math.ulp(abs(x) + chosen.reach * h) * chosen.finest
    return max(1, round(h / quantum)) * quantum


def _step_relative_to(chosen: Scheme, x: float) -> float:
    """The scheme's optimal step scaled by |x| itself (not max(1, |x|)), rounded like
    ``step_size``: the fallback for a point near 0 where the default step leaves f's domain."""
    # log2 of each factor: their product underflows to 0 for a subnormal x (1e-320)
    exponent = round(math.log2(chosen.default_step) + math.log2(abs(x)))
    return step_size(chosen, x, 2.0 ** exponent)


def check_step(chosen: Scheme, step: float, name: str, x: float) -> None:
    """Refuse a forced step at which the scheme's error model predicts more than
    LARGEST_MODEL_ERROR: so large (or so small) that no verdict on it would mean anything."""
    predicted = _predicted_error(chosen, step, x)
    if predicted <= LARGEST_MODEL_ERROR:
        return
    scale = max(1.0, abs(x))
    smallest, largest = chosen.meaningful_steps()
    if step_size(chosen, x, step) / scale > chosen.optimal_step:
        what, advice = "large", f"at most about {_quoted_step(chosen, x, largest * scale, -1)}"
    else:
        what, advice = "small", f"at least about {_quoted_step(chosen, x, smallest * scale, 1)}"
    raise InputError(f"--step {step:g} is too {what} for the {chosen.name} scheme at "
                     f"{name} = {x:g}: its error model predicts a relative error "
                     f"{_magnitude(predicted)} there, so no verdict would mean anything; "
                     f"give a step of {advice} (or leave --step out)")


def _predicted_error(chosen: Scheme, step: float, x: float) -> float:
    return chosen.model_error(step_size(chosen, x, step) / max(1.0, abs(x)))


def _magnitude(number: float) -> str:
    return f"of {number:.2g}" if math.isfinite(number) else "beyond the float range"


# How far _quoted_step walks from a bound of meaningful_steps, in units of its second digit.
_QUOTE_TRIES = 100


def _quoted_step(chosen: Scheme, x: float, bound: float, direction: int) -> str:
    """``bound`` to two significant digits, moved towards the meaningful steps (direction
    -1: down, +1: up) until it is one: the bound is rough (each term of the model alone)
    and the step is rounded to the spacing of doubles near x."""
    unit = 10.0 ** (math.floor(math.log10(bound)) - 1)
    count = math.floor(bound / unit) if direction < 0 else math.ceil(bound / unit)
    for _ in range(_QUOTE_TRIES):
        if _predicted_error(chosen, count * unit, x) <= LARGEST_MODEL_ERROR:
            break
        count += direction
    return f"{count * unit:.2g}"


class _Evaluations:
    """f along one variable, each distinct point evaluated once and counted."""

    def __init__(self, expression: Expression, floats: Mapping[str, float]):
        self.expression = expression
        self.floats = floats
        self.values: dict[tuple, float | complex] = {}
        self.count = 0
        self._graph: _Graph | None = None

    def at(self, point: Mapping[str, float | complex]):
        key = tuple(point.values())
        if key not in self.values:
            self.count += 1
            if any(isinstance(v, complex) for v in key):
                self.values[key] = evaluate_complex(self.expression, point)
            else:
                self.values[key] = evaluate_float(self.expression, point)
        return self.values[key]

    def along(self, name: str) -> Callable:
        seen: dict[float, float] = {}
        line = None

        def f(value):
            nonlocal line
            if isinstance(value, complex) or value == self.floats[name]:
                return self.at({**self.floats, name: value})
            if value not in seen:
                if line is None:
                    if self._graph is None:
                        self._graph = _Graph(self.expression, self.floats)
                    line = self._graph.line(name)
                self.count += 1
                seen[value] = line(value)
            return seen[value]
        return f


class _Graph:
    """The expression's nodes as a list, with their values at the point, for ``line``."""

    def __init__(self, expression: Expression, floats: Mapping[str, float]):
        self.expression, self.floats = expression, floats
        index = {id(node): k for k, node in enumerate(expression.nodes)}
        self.args = [tuple(index[id(arg)] for arg in node.children) for node in expression.nodes]
        self.users: list[list[int]] = [[] for _ in expression.nodes]
        for k, args in enumerate(self.args):
            for arg in set(args):
                self.users[arg].append(k)
        self.output = index[id(expression.output)]
        self.base = self._values_at_point()
        self.places: dict[str, list[int]] = {}  # a variable's nodes (one, once parsed)
        for k, node in enumerate(expression.nodes):
            if isinstance(node, Var):
                self.places.setdefault(node.name, []).append(k)

    def _values_at_point(self) -> list | None:
        """Every node's value at the point; None when f has a fault there."""
        values: list = []
        try:
            for node, args in zip(self.expression.nodes, self.args):
                if isinstance(node, Call):
                    out = node.primitive.evaluate(*(values[a] for a in args))
                    if out - out:  # inf or NaN
                        return None
                    values.append(out)
                elif isinstance(node, Var):
                    values.append(self.floats[node.name])
                else:
                    values.append(node.value)
        except ARITHMETIC_ERRORS:
            return None
        return values

    def line(self, name: str) -> Callable[[float], float]:
        """f along ``name``, fast: only the nodes that depend on it are computed again,
        by the primitives' float implementations straight. Anything unusual (an
        exception, a result that is not finite) is computed again by ``evaluate_float``,
        which explains it or returns what it returns: the same numbers, faster (the
        searched Richardson's 18 evaluations per derivative are most of its time, and a
        variable of a long sum touches a few of its nodes)."""
        nodes = self.expression.nodes
        starts = self.places.get(name, [])
        cone = set(starts)
        stack = list(starts)
        while stack:
            for user in self.users[stack.pop()]:
                if user not in cone:
                    cone.add(user)
                    stack.append(user)
        steps = [(k, nodes[k].primitive.evaluate, self.args[k])
                 for k in sorted(cone) if isinstance(nodes[k], Call)]

        def f(value: float) -> float:
            if self.base is not None:
                values = self.base.copy()
                for k in starts:
                    values[k] = value
                try:
                    for k, evaluate, args in steps:
                        out = evaluate(*[values[a] for a in args])
                        if out - out:  # inf or NaN: the slow way says which operation
                            raise OverflowError
                        values[k] = out
                except ARITHMETIC_ERRORS:
                    pass
                else:
                    return values[self.output]
            return evaluate_float(self.expression, {**self.floats, name: value})
        return f


def estimate_with_error(chosen: Scheme, f: Callable, x: float, h: float) -> tuple[float, float]:
    """The scheme's estimate at step h and an estimate of its absolute error.

    The truncation part is Richardson's: D(h) - D(2h) ≈ (2^p - 1)·(error of D(h)). The
    round-off part is the model's R·ε·F/h, F the largest |f| the stencils touched; for
    the complex step, whose round-off does not grow as h shrinks, ε·|D(h)|.
    """
    magnitudes: list[float] = []

    def recorded(value):
        out = f(value)
        magnitudes.append(abs(out.real) if isinstance(out, complex) else abs(out))
        return out

    estimate = chosen.estimate(recorded, x, h)
    coarser = chosen.estimate(recorded, x, 2 * h)
    truncation = abs(estimate - coarser) / (2**chosen.order - 1)
    if chosen.is_complex:
        roundoff = EPSILON * abs(estimate)
    else:
        roundoff = chosen.roundoff * EPSILON * max(magnitudes) / h
    return estimate, truncation + roundoff


def _searched(chosen: Scheme, f: Callable, x: float) -> tuple[float, float, float]:
    """(h, estimate, error estimate) at the searched step whose error estimate is smallest.

    Candidates where f cannot be evaluated (a large step leaving f's domain) are skipped;
    when every one fails, the last failure is raised.
    """
    # Scaled by the power of two at or below max(1, |x|), so that every step stays a power
    # of two (x ± h and sums inside f stay exact, as for the default step) and none is
    # rounded up past the candidates' range.
    scale = 2.0 ** math.floor(math.log2(max(1.0, abs(x))))
    best, failure = None, None
    for candidate in chosen.searched_steps:
        h = step_size(chosen, x, candidate * scale)
        try:
            estimate, error = estimate_with_error(chosen, f, x, h)
        except ARITHMETIC_ERRORS as error:
            failure = error
            continue
        if not (math.isfinite(estimate) and math.isfinite(error)):
            continue
        if best is None or error < best[2]:
            best = (h, estimate, error)
    if best is None:
        if failure is not None:
            raise failure
        return h, math.nan, math.nan
    return best


def differentiate(expression: Expression, point: Mapping[str, Fraction],
                  scheme: str = DEFAULT_SCHEME, step: float | None = None) -> Derivatives:
    """Value and gradient by a finite-difference scheme, one variable at a time.

    ``step`` forces h (the same for every variable); by default each variable gets the
    scheme's optimal step scaled by max(1, |x|).

    >>> from diffcompare.language.parse import parse
    >>> result = differentiate(parse("x**3"), {"x": Fraction(2)}, "five_point")
    >>> round(result.gradient["x"], 9), result.cost.evaluations
    (12.0, 7)
    """
    chosen = find_scheme(scheme)
    check_analytic(expression, chosen)
    start = time.perf_counter()
    floats = {name: float(point[name]) for name in expression.variables}
    if step is not None:
        for name, x in floats.items():
            check_step(chosen, step, name, x)
    evaluations = _Evaluations(expression, floats)
    reasons: dict[str, str] = {}

    try:
        value = evaluations.at(floats)
    except ARITHMETIC_ERRORS as error:
        value = None
        reasons["value"] = f"the function cannot be evaluated here: {describe(error)}"

    gradient: dict[str, float | None] = {}
    error_estimates: dict[str, float] = {}
    steps: dict[str, float] = {}
    model_errors: dict[str, float] = {}
    for name, x in floats.items():
        h, scale = step_size(chosen, x, step), max(1.0, abs(x))
        try:
            try:
                if chosen.searched_steps and step is None:
                    h, estimate, error = _searched(chosen, evaluations.along(name), x)
                else:
                    estimate, error = estimate_with_error(chosen, evaluations.along(name), x, h)
            except ARITHMETIC_ERRORS:
                if step is not None or not 0.0 < abs(x) < 1.0:
                    raise
                # The default step, scaled by max(1, |x|), can leave f's domain near 0
                # (log(x) at 1e-10): the same step relative to |x| stays inside it.
                h, scale = _step_relative_to(chosen, x), abs(x)
                estimate, error = estimate_with_error(chosen, evaluations.along(name), x, h)
        except ARITHMETIC_ERRORS as error:
            gradient[name] = None
            hint = ("" if value is None or chosen.name in ("forward", "backward") else
                    "; a one-sided scheme (--fd forward or --fd backward) stays on one side of x")
            reasons[name] = (f"f cannot be evaluated near {name} (step {h:.1e}): "
                             f"{describe(error)}{hint}")
            continue
        finally:
            steps[name] = h
            model_errors[name] = chosen.model_error(h / scale)
        if not (math.isfinite(estimate) and math.isfinite(error)):
            gradient[name] = None
            reasons[name] = "the difference quotient is not finite"
            continue
        gradient[name] = estimate
        error_estimates[name] = error
    return Derivatives(
        method=METHOD, value=value, gradient=gradient,
        cost=Cost(evaluations=evaluations.count, seconds=time.perf_counter() - start),
        reasons=reasons, error_estimates=error_estimates,
        error_bounds=error_bounds(chosen, expression, point, value, error_estimates, steps),
        details={"scheme": chosen.name, "order": chosen.order, "steps": steps,
                 "step_forced": step is not None, "model_errors": model_errors},
    )


def error_bounds(chosen: Scheme, expression: Expression, point: Mapping[str, Fraction],
                 value: float | None, error_estimates: Mapping[str, float],
                 steps: Mapping[str, float]) -> dict[str, float]:
    """The bound the verdict holds each number to: the error estimate (the error model
    with f's magnitude on the stencil for the round-off and the derivative scale the
    stencil measures for the truncation), plus the round-off of f's own rounding error
    B (``rounding.value_bound``) through the stencil's weights, R·B/h: where f is
    ill-conditioned (log(1 + u), u ≈ 5e-8) B is far above ε·|f|. f's value is held to B."""
    rounding = value_bound(expression, point)
    bounds = {"value": rounding} if value is not None and math.isfinite(rounding) else {}
    for name, estimate in error_estimates.items():
        # rounding / h first: R·B underflows to 0 where B is subnormal (f near 1e-320)
        extra = 0.0 if chosen.is_complex else chosen.roundoff * (rounding / steps[name])
        if math.isfinite(estimate + extra):
            bounds[name] = estimate + extra
    return bounds


def evaluations(expression: Expression, scheme: str = DEFAULT_SCHEME) -> int:
    """Passes over the expression ``differentiate`` makes at most: f at the point, and
    the scheme's evaluations per variable (each over the nodes that depend on it, so
    fewer nodes in fact: this is a bound).

    >>> from diffcompare.language.parse import parse
    >>> evaluations(parse("x*y"), "richardson")
    37
    """
    return 1 + find_scheme(scheme).evaluations * len(expression.variables)


def method(scheme: str = DEFAULT_SCHEME, step: float | None = None) -> Callable:
    """``differentiate`` with a scheme and step fixed: a method for ``compare``.

    >>> from diffcompare import compare
    >>> compare("sin(x)", at="x=1", methods={METHOD: method("richardson")}).agree
    True
    """
    find_scheme(scheme)  # fail early on a bad name
    chosen = functools.partial(differentiate, scheme=scheme, step=step)
    chosen.evaluations = functools.partial(evaluations, scheme=scheme)  # the work estimate
    chosen.label = f"the finite differences ({scheme})"
    return chosen


# ---- the step sweep: the error of each scheme as the step shrinks ----

# Steps from 1e-1 down to 1e-16, a decade apart (scaled by max(1, |x|)).
SWEEP_STEPS = tuple(10.0 ** -k for k in range(1, 17))

# A step's error counts as truncation when it is this many times the smallest error of
# the sweep: the round-off there is at most about 1/ORDER_MARGIN of the error.
ORDER_MARGIN = 100.0
_EXACT_DIGITS = 50  # mpmath precision for errors against the reference's decimal text


@dataclass(frozen=True)
class Sweep:
    """True error of each scheme at each step, for one variable.

    ``errors[scheme][i]`` is the absolute error at ``steps[i]`` (None where f could not
    be evaluated); ``best_step`` is the step with the smallest error; ``theoretical_step``
    the optimum predicted by balancing truncation and round-off (for the complex step,
    the largest step at which the truncation falls below rounding), in the units of
    ``steps``: both are multiplied by max(1, |x|) before use. ``observed_order``
    is the slope of log error against log h where truncation dominates (None when fewer
    than two steps show it); ``order`` is the theory's.
    """

    variable: str
    steps: tuple[float, ...]
    errors: Mapping[str, tuple[float | None, ...]]
    best_step: Mapping[str, float | None]
    theoretical_step: Mapping[str, float]
    observed_order: Mapping[str, float | None] = field(default_factory=dict)
    order: Mapping[str, int] = field(default_factory=dict)
    exact: float | None = None


def sweep(expression: Expression, point: Mapping[str, Fraction], variable: str,
          exact: float | str, schemes: Sequence[str] | None = None,
          steps: Sequence[float] = SWEEP_STEPS) -> Sweep:
    """The true error of every scheme for each step in ``steps``, against ``exact``
    (a float, or the reference's decimal text to measure errors below one ulp).

    Without ``schemes``, every scheme that applies (the complex step only for analytic
    expressions). Each step is scaled by max(1, |x|) and rounded as in ``step_size``.

    >>> from diffcompare.language.parse import parse
    >>> result = sweep(parse("exp(x)"), {"x": Fraction(0)}, "x", 1.0, ["forward"])
    >>> result.best_step["forward"], round(result.observed_order["forward"])
    (1e-08, 1)
    """
    if schemes is None:
        schemes = [name for name, s in SCHEMES.items()
                   if not (s.is_complex and non_analytic(expression))]
    floats = {name: float(point[name]) for name in expression.variables}
    x = floats[variable]
    scale = max(1.0, abs(x))
    evaluations = _Evaluations(expression, floats)
    f = evaluations.along(variable)

    with mpmath.workdps(_EXACT_DIGITS):
        reference = mpmath.mpf(exact)

    def error_of(estimate: float) -> float | None:
        if not math.isfinite(estimate):
            return None
        with mpmath.workdps(_EXACT_DIGITS):
            return float(abs(mpmath.mpf(estimate) - reference))

    errors, best, orders = {}, {}, {}
    for name in schemes:
        chosen = find_scheme(name)
        check_analytic(expression, chosen)
        row = []
        for nominal in steps:
            try:
                row.append(error_of(chosen.estimate(f, x, step_size(chosen, x, nominal * scale))))
            except ARITHMETIC_ERRORS:
                row.append(None)
        errors[name] = tuple(row)
        finite = [(e, h) for e, h in zip(row, steps) if e is not None]
        best[name] = min(finite)[1] if finite else None
        orders[name] = observed_order(steps, row)
    return Sweep(variable, tuple(steps), errors, best,
                 # in the units of ``steps``: relative to max(1, |x|)
                 {name: SCHEMES[name].optimal_step for name in errors},
                 orders, {name: SCHEMES[name].order for name in errors}, float(reference))


def observed_order(steps: Sequence[float], errors: Sequence[float | None]) -> float | None:
    """The slope of log(error) against log(h) where truncation makes the error.

    From the largest step down, the steps whose error keeps falling and stays at least
    ORDER_MARGIN times the smallest error of the sweep: below that, round-off takes
    over. Fitted by least squares; None with fewer than two such steps.

    >>> observed_order([1e-1, 1e-2, 1e-3, 1e-4], [1e-2, 1e-4, 1e-6, 1e-5])
    2.0
    """
    finite = [e for e in errors if e is not None and e > 0]
    if not finite:
        return None
    threshold = ORDER_MARGIN * min(finite)
    points: list[tuple[float, float]] = []
    for h, e in sorted(zip(steps, errors), reverse=True):
        if e is None or e < threshold or (points and math.log10(e) >= points[-1][1]):
            break
        points.append((math.log10(h), math.log10(e)))
    if len(points) < 2:
        return None
    mean_h = sum(p[0] for p in points) / len(points)
    mean_e = sum(p[1] for p in points) / len(points)
    spread = sum((p[0] - mean_h) ** 2 for p in points)
    slope = sum((p[0] - mean_h) * (p[1] - mean_e) for p in points) / spread
    return round(slope, 2)
