"""Run the methods side by side and measure each against the symbolic reference.

Each method works alone from the expression tree; nothing here passes one method's
answer to another. The symbolic values, exact to ``symbolic.DIGITS`` digits, are the
reference every error is measured against.

Each method reports a bound on its own error in this run (``Derivatives.error_bounds``:
autograd a running rounding bound over its graph, finite differences the scheme's error
model on the stencil's own numbers). An estimate passes when

    |estimate - exact| <= SAFETY_FACTOR * bound

an absolute test, so that an exact zero is judged as any other number. A quantity
without a bound (a method that reports none) passes when

    |estimate - exact| <= tolerance * max(|exact|, |f|)

with the method's relative tolerance (``registry.REGISTRY``). The caller's ``rtol`` and
``atol`` replace both.

At a kink (abs or relu at 0, see ``kinks``) f has two one-sided derivatives and no
derivative; there a method passes when its number lies between them, and the verdict is
"kink" rather than "agree" or "disagree".

When the symbolic method gives no reference at all (it timed out, sympy failed, or the
exact numbers would be too large), the other methods are measured against the first
one, autograd, with their own tolerances: the verdict then reads "AGREE WITHOUT EXACT
REFERENCE" (or "DISAGREE WITHOUT EXACT REFERENCE") and never claims exact agreement.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Any, Callable, Mapping, Sequence

import mpmath

from diffcompare import value_graph
from diffcompare.language.errors import InputError
from diffcompare.language.expression import Expression
from diffcompare.language.limits import DEFAULT as DEFAULT_LIMITS
from diffcompare.language.limits import Limits, check_work
from diffcompare.language.parse import parse
from diffcompare.language.point import default_point, parse_point
from diffcompare.language.vector import ends_in_list
from diffcompare.methods import autograd, budget, kinks, registry, symbolic
from diffcompare.methods.results import Cost, Derivatives, SymbolicDerivatives

Method = Callable[[Expression, Mapping[str, Fraction]], Derivatives]

# The methods compared against the reference, in the order they are shown: the
# registry's, read when used (``{**METHODS, "mine": differentiate}`` adds one).
METHODS: Mapping[str, Method] = registry.Differentiators()
DEFAULT_TOLERANCE = registry.DEFAULT_TOLERANCE  # a method not registered, e.g. a user's engine

# Finite differences: the tolerance depends on the scheme (the result's details["scheme"]).
# Each is about 1e5 to 1e6 times the scheme's modelled error at its default step (see
# finite_difference), room for curvature: forward and backward differences are good to
# about √ε ≈ 1.5e-8, central to ε^(2/3) ≈ 4e-11, the 5-point stencil to ε^(4/5) ≈ 3e-13,
# Richardson to ε^(6/7) ≈ 4e-14; the complex step, which subtracts nothing, to a few ulps.
SCHEME_TOLERANCES: dict[str, float] = {
    "forward": 1e-3,
    "backward": 1e-3,
    "central": 1e-5,
    "five_point": 1e-7,
    "richardson": 1e-8,
    "complex_step": 1e-9,
}
# A forced step (--step) may be far from the optimum, where the scheme's error model
# (details["model_errors"]) predicts more than the tolerance: the verdict then allows
# this many times the model's error.
MODEL_SAFETY = 10.0

# How many times its own error bound a method may be off before the verdict blames it.
# The bounds are first-order (running error analysis; a difference-based truncation
# estimate), so they can be exceeded a little. Measured by benchmarks/verdicts.py on
# 10,000 seeded random smooth expressions: the largest |error| / bound was 1 for
# autograd and 3.1 for central differences; at factor 1, 4 of 191 known cases (all
# ill-conditioned but correct) are misjudged, at 2 none. 8 leaves 2.5 times the largest
# ratio seen, while a wrong engine misses its bound by orders of magnitude (wrong_tanh
# on 1e9*y + tanh(x): 3.6e14 times).
SAFETY_FACTOR = 8.0

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
    kink: bool = False  # at a kink: within means between the one-sided derivatives
    # absolute / max(|exact|, |f|): what the tolerance bounds (the relative error, unless
    # the exact number is much smaller than f)
    scaled: float | None = None
    bound: float | None = None  # the method's own bound on this error, when it gave one
    allowed: float | None = None  # the absolute error allowed: tolerance·max(|exact|, |f|)
    # why the number is not judged although it is within its bound (its bound is as large
    # as the number: see distrust_unreliable); "" when it is judged
    unreliable: str = ""

    @property
    def checked(self) -> bool:
        return self.within is not None


@dataclass(frozen=True)
class Comparison:
    """Every method's answer at one point, each measured against the exact reference,
    and the verdict: what ``compare()`` returns.

    - ``expression``: the parsed expression; ``point``: variable -> exact coordinate
      (a Fraction; the decimal text as typed, not its nearest double);
    - ``reference``: the symbolic method's value and gradient (``exact`` holds each to
      40 significant digits as text) and its formulas;
    - ``methods``: one ``Derivatives`` per registered method (``methods/registry.py``), in
      the registry's order; a number is None where the method gave none (``reasons``);
    - ``errors[method][quantity]``: the ``Error`` of that number ("value" or a variable
      name) against the reference, with the bound it was held to;
    - ``verdict``: the ``Verdict`` (status "agree", "disagree", "kink", "undefined" or
      "unknown", and the failures as data); ``present.verdict_text`` says it in words;
    - ``kinks``: the non-smooth points found here, one per variable, with the one-sided
      derivatives.

    In a notebook it shows as an HTML table; ``present.report(comparison)`` is the text
    the command line prints.
    """

    expression: Expression
    point: Mapping[str, Fraction]
    point_chosen: bool  # True when the user gave no point and we picked it
    reference: SymbolicDerivatives
    methods: tuple[Derivatives, ...]
    errors: Mapping[str, Mapping[str, Error]]  # method -> quantity -> Error
    verdict: Verdict
    kinks: tuple[kinks.Kink, ...] = ()  # abs or relu at 0 here, one entry per variable
    # The method the errors are measured against: "symbolic" (exact), or, when it gave
    # no reference, the first other method (autograd).
    measured_against: str = symbolic.METHOD
    straddles: tuple[kinks.Straddle, ...] = ()  # kinks inside a stencil, off the point

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


def checked_arguments(expression: Any, at: Any) -> tuple[str | Expression, str | Mapping | None]:
    """``compare()``'s expression and point as it takes them: a ``Value`` graph becomes its
    expression tree and point. Raises ``TypeError`` for an argument of the wrong type."""
    expression, at = value_graph.as_expression(expression, at)  # a Value graph: its tree
    if not isinstance(expression, (str, Expression)):
        raise TypeError(f"compare() takes the expression as a str, e.g. \"x**2*sin(y)\", or "
                        f"an Expression from diffcompare.parse, not {type(expression).__name__}")
    if at is not None and not isinstance(at, (str, Mapping)):
        raise TypeError(f"compare() takes the point as a str, e.g. \"x=1,y=2\", a mapping, "
                        f"e.g. {{\"x\": 1, \"y\": 2}}, or None to have one chosen, "
                        f"not {type(at).__name__}")
    return expression, at


def compare(expression: str | Expression, at: str | Mapping | None = None,
            methods: Mapping[str, Method] | None = None,
            tolerances: Mapping[str, float] | None = None, *,
            timeout: float | None = symbolic.DEFAULT_TIMEOUT, simplify: bool = False,
            limits: Limits | None = None, rtol: float | None = None,
            atol: float | None = None) -> Comparison:
    """Differentiate ``expression`` at ``at`` by every method and compare.

    ``timeout`` is the symbolic method's budget in seconds (None or 0: no budget),
    ``simplify`` shows simplified formulas, ``limits`` bounds what the input may cost.
    ``rtol`` and ``atol`` replace every method's own error bound by the user's: a number
    passes when |estimate - exact| <= atol + rtol·|exact| (a missing one counts as 0),
    as in numpy.isclose and torch.autograd.gradcheck.

    >>> result = compare("3*x**2 - 4*x + 5", at="x=3")
    >>> result.reference.gradient["x"], result.agree
    (14.0, True)

    Raises ``TypeError`` for an argument of the wrong type, ``InputError`` for bad input.
    """
    expression, at = checked_arguments(expression, at)
    limits = limits or DEFAULT_LIMITS
    if isinstance(expression, str) and ends_in_list(expression, limits):
        raise InputError("compare() takes one expression; a list of expressions has a "
                         "Jacobian: use compare_jacobian(\"[x*y, sin(x)]\", at=\"x=1,y=2\")")
    if isinstance(expression, str):
        expression = parse(expression, limits)
    methods = METHODS if methods is None else methods
    check_work(expression, limits, registry.work_passes(methods, expression))
    point_chosen = at is None
    point = (default_point(expression, lambda point: _finite_by_autograd(expression, point))
             if at is None else parse_point(at, expression, limits))

    reference = symbolic.differentiate_within(expression, point, timeout, simplify, limits)
    results = tuple(run_method(name, method, expression, point) for name, method in methods.items())
    quantities = ("value", *expression.variables)
    standard = reference
    if reference.details.get("unavailable") and results:
        standard = _stand_in(results[0])
    given = None if rtol is None and atol is None else (rtol or 0.0, atol or 0.0)
    errors = {
        result.method: {
            q: measure(result.number(q), standard, q, tolerance_for(result, q, tolerances),
                       _bound(result, standard, q, tolerances), given)
            if result.method != standard.method and not result.details.get("unsupported")
            and not result.details.get("failed")
            else Error(None, None, None, tolerance_for(result, q, tolerances), None)
            for q in quantities
        }
        for result in results
    }
    errors = distrust_unreliable(errors, results)
    steps = _stencil_steps(results)
    searched, straddles = _search_kinks(expression, point, timeout, limits, steps)
    found = searched or ()
    errors = judge_kinks(found, results, errors, reference)
    errors = excuse_straddled(straddles, results, errors)
    errors = excuse_float_overflow(errors, reference)
    verdict = replace(judge(reference, results, errors, quantities, found, standard),
                      straddles=straddles, given=given)
    if searched is None and verdict.status == "agree":
        # a switch (abs, relu, max, ...) may sit on its kink here, where f has no
        # derivative to agree on (present.verdict_text says so, then what the numbers say)
        verdict = replace(verdict, status="unknown")
    return Comparison(expression, point, point_chosen, reference, results, errors,
                      verdict, found, standard.method, straddles)


def run_method(name: str, method: Method, expression: Expression,
         point: Mapping[str, Fraction]) -> Derivatives:
    """``method``'s result; a method that raises gives no numbers, and the reason."""
    start = time.perf_counter()
    try:
        return method(expression, point)
    except InputError:
        raise  # the user's input (a forced step too large, say), not the method's fault
    except Exception as error:  # noqa: BLE001 - a method's fault is its reason, not ours
        reason = f"the method failed: {type(error).__name__}: {error}"
        return Derivatives(
            method=name, value=None, gradient={v: None for v in expression.variables},
            cost=Cost(evaluations=0, seconds=time.perf_counter() - start),
            reasons={q: reason for q in ("value", *expression.variables)},
            details={"failed": reason})


def _finite_by_autograd(expression: Expression, point: Mapping[str, Fraction]) -> bool:
    """Whether our engine gives a finite value and gradient at ``point``: what makes a
    point a good default."""
    result = autograd.differentiate(expression, point)
    return result.value is not None and all(g is not None for g in result.gradient.values())


def _find_kinks(expression: Expression, point: Mapping[str, Fraction],
                timeout: float | None, limits: Limits) -> tuple[kinks.Kink, ...] | None:
    """The kinks at the point (``_search_kinks`` without a stencil); None when the search
    ran out of time or failed: whether there is a kink is then unknown."""
    return _search_kinks(expression, point, timeout, limits, {})[0]


def _search_kinks(expression: Expression, point: Mapping[str, Fraction],
                  timeout: float | None, limits: Limits, steps: Mapping[str, float]
                  ) -> tuple[tuple[kinks.Kink, ...] | None, tuple[kinks.Straddle, ...]]:
    """``kinks.find`` and ``kinks.near``, under the symbolic method's time budget: they
    ask sympy whether each switch's argument is 0 here (or near), which hostile input can
    make as slow as any sympy work. Without a switch, a root or a power there is nothing
    to ask, and no child process. The kinks are None when the search ran out of time or
    failed: whether there is a kink is then unknown."""
    if not kinks.may_have_kink(expression):
        return (), ()

    def search():
        return kinks.find(expression, point), kinks.near(expression, point, steps)

    if not timeout:
        return search()
    try:
        return budget.run(search, timeout, memory_mib=limits.memory)
    except (budget.OutOfTime, budget.Failed):
        return None, ()  # whether there is a kink is unknown (the verdict says so)


def _stencil_steps(results: Sequence[Derivatives]) -> dict[str, float]:
    """The largest finite-difference step per variable among the methods."""
    steps: dict[str, float] = {}
    for result in results:
        for name, step in (result.details.get("steps") or {}).items():
            steps[name] = max(steps.get(name, 0.0), float(step))
    return steps


def excuse_straddled(straddles: Sequence[kinks.Straddle], results: Sequence[Derivatives],
                     errors: Mapping[str, Mapping[str, Error]]) -> dict[str, dict[str, Error]]:
    """``errors`` without the finite-difference partials whose stencil straddles a kink
    near the point: f is not smooth across the stencil, so the scheme's number and its
    error estimate are not evidence either way (``Verdict.straddles`` says so)."""
    excused = {method: dict(by_quantity) for method, by_quantity in errors.items()}
    for straddle in straddles:
        for result in results:
            steps = result.details.get("steps") or {}
            if straddle.distance <= steps.get(straddle.variable, 0.0):
                error = excused[result.method][straddle.variable]
                # kink: its error estimate is not shown as if it held
                excused[result.method][straddle.variable] = replace(error, within=None,
                                                                    kink=True)
    return excused


def tolerance_for(result: Derivatives, quantity: str,
                  overrides: Mapping[str, float] | None = None) -> float:
    """The verdict's tolerance for one of ``result``'s numbers: an override for the
    method, else the finite-difference scheme's or the method's own, widened for a
    forced step to MODEL_SAFETY times the scheme's modelled error at that step."""
    if overrides and result.method in overrides:
        return overrides[result.method]
    scheme = result.details.get("scheme")
    entry = registry.REGISTRY.get(result.method)
    own = entry.tolerance if entry is not None else DEFAULT_TOLERANCE
    base = SCHEME_TOLERANCES.get(scheme, own)
    model = result.details.get("model_errors", {}).get(quantity, 0.0)
    return max(base, MODEL_SAFETY * model)


def judge_kinks(found: Sequence[kinks.Kink], results: Sequence[Derivatives],
                errors: Mapping[str, Mapping[str, Error]],
                reference: SymbolicDerivatives) -> dict[str, dict[str, Error]]:
    """``errors`` with each kink's quantity judged by the interval between the
    one-sided derivatives instead of by the distance to sympy's convention."""
    judged = {method: dict(by_quantity) for method, by_quantity in errors.items()}
    f_value = abs(reference.value or 0.0)
    for kink in found:
        if kink.jump:  # f is not continuous: no number is right or wrong
            for result in results:
                error = judged[result.method][kink.variable]
                judged[result.method][kink.variable] = replace(error, within=None, kink=True)
            continue
        if not kink.differs:
            continue
        for result in results:
            error = judged[result.method][kink.variable]
            number = result.number(kink.variable)
            # No number at a kink (autograd's NaN from ∞·0 at sqrt(x**2)) is the method's
            # convention there, not a disagreement: f has no derivative to give.
            within = (None if number is None
                      else kink.contains(number, error.tolerance, f_value))
            judged[result.method][kink.variable] = replace(error, within=within, kink=True)
    return judged


def distrust_unreliable(errors: Mapping[str, Mapping[str, Error]],
                        results: Sequence[Derivatives]) -> dict[str, dict[str, Error]]:
    """``errors`` without the passes that say nothing: a finite-difference number off by
    100% or more of the exact one (no correct digit) that is within its bound only
    because its own error estimate is as large as the number (a jump or a cut inside the
    stencil, a step that leaves the useful range). Such a number is not judged
    (``Error.unreliable``), never a pass. An exact zero is judged on its absolute bound
    as before (x**3 at 0)."""
    distrusted = {method: dict(by_quantity) for method, by_quantity in errors.items()}
    for result in results:
        if not result.details.get("scheme"):
            continue
        for quantity, error in distrusted[result.method].items():
            if quantity == "value":
                continue  # f itself is evaluated, not differenced
            if (error.within and error.bound is not None and error.relative is not None
                    and error.relative >= 1 and error.bound > 0
                    and SAFETY_FACTOR * error.bound >= error.absolute):
                distrusted[result.method][quantity] = replace(
                    error, within=None,
                    unreliable=f"{quantity}: its own error estimate {error.bound:.1e} is as "
                               f"large as the number it estimates, so no digit of "
                               f"{result.number(quantity)!r} is certain")
    return distrusted


def excuse_float_overflow(errors: Mapping[str, Mapping[str, Error]],
                          reference: SymbolicDerivatives) -> dict[str, dict[str, Error]]:
    """``errors`` without the numbers a method could not give because f itself is
    beyond the float range here (x**2 at 1e200): no float method can evaluate f, so,
    as for exp(1000), the point is UNDEFINED in floats rather than a disagreement."""
    excused = {method: dict(by_quantity) for method, by_quantity in errors.items()}
    if not f_beyond_floats(reference):
        return excused
    for by_quantity in excused.values():
        for quantity, error in by_quantity.items():
            if error.within is False and error.absolute is None:
                by_quantity[quantity] = replace(error, within=None)
    return excused


def f_beyond_floats(reference: SymbolicDerivatives) -> bool:
    """Whether sympy found f's exact value, and it is too large for any float."""
    return reference.reasons.get("value", "").startswith(symbolic.BEYOND_FLOATS)


def _stand_in(result: Derivatives) -> SymbolicDerivatives:
    """A method's numbers in the place of the exact reference, which is missing."""
    numbers = {q: result.number(q) for q in ("value", *result.gradient)}
    return SymbolicDerivatives(
        method=result.method, value=result.value, gradient=result.gradient, cost=result.cost,
        reasons=result.reasons, error_bounds=result.error_bounds,
        exact={q: repr(n) for q, n in numbers.items() if n is not None},
        digits=17)


def measure(estimate: float | None, reference: SymbolicDerivatives, quantity: str,
            tolerance: float, bound: float | None = None,
            given: tuple[float, float] | None = None) -> Error:
    """The error of ``estimate`` against the exact value of ``quantity``, and whether it
    is within what the method is allowed:

    - ``given`` (rtol, atol), the user's: atol + rtol·|exact|;
    - else ``bound``, the method's own bound on its error in this run: SAFETY_FACTOR
      times it (an exact zero is judged on this absolute bound too);
    - else ``tolerance`` relative to max(|exact|, |f|).
    """
    return measure_number(estimate, reference.exact.get(quantity),
                          reference.exact.get("value", "0"), tolerance, bound, given)


def measure_number(estimate: float | None, exact_text: str | None, f_text: str | None,
                   tolerance: float, bound: float | None = None,
                   given: tuple[float, float] | None = None) -> Error:
    """``measure``'s rule for one number against its exact decimal text, with f's exact
    value ``f_text`` for the scale: what a Jacobian or Hessian entry is measured by too."""
    if exact_text is None:
        return Error(None, None, None, tolerance, None)
    if estimate is None:
        return Error(None, None, None, tolerance, False)
    with mpmath.workdps(_WORK_DIGITS):
        exact = mpmath.mpf(exact_text)
        absolute = abs(mpmath.mpf(estimate) - exact)
        relative = absolute / abs(exact) if exact != 0 else (mpmath.mpf(0) if absolute == 0 else None)
        f_value = mpmath.mpf(f_text or "0")
        scale = max(abs(exact), abs(f_value), mpmath.mpf(_SMALLEST_SCALE))
        if given is not None:
            allowed = given[1] + given[0] * abs(exact)
        elif bound is not None:
            # plus the distance from exact to the nearest double: no float can do better
            allowed = SAFETY_FACTOR * mpmath.mpf(bound) + abs(mpmath.mpf(float(exact)) - exact)
        else:
            allowed = tolerance * scale
        within = bool(absolute <= allowed)
        return Error(float(absolute), None if relative is None else float(relative),
                     correct_digits(relative), float(allowed / scale), within,
                     scaled=float(absolute / scale),
                     bound=None if given is not None or bound is None else float(bound),
                     allowed=float(allowed))


def _bound(result: Derivatives, standard: SymbolicDerivatives, quantity: str,
           overrides: Mapping[str, float] | None) -> float | None:
    """The bound on ``result``'s error in ``quantity``: its own, plus the stand-in's own
    when the standard is another method; None when either has none, or when the caller
    gave the method a tolerance of its own (``tolerances``)."""
    if overrides and result.method in overrides:
        return None
    own = result.error_bounds.get(quantity)
    if own is None or standard.method == symbolic.METHOD:
        return own
    theirs = standard.error_bounds.get(quantity)
    return None if theirs is None else own + theirs


def correct_digits(relative) -> float | None:
    """Correct significant digits, -log10 of the relative error, between 0 and 17."""
    if relative is None:
        return 0.0
    if relative == 0:
        return 17.0
    return float(min(17.0, max(0.0, -mpmath.log10(relative))))


@dataclass(frozen=True)
class Failure:
    """One number that fails the verdict: ``method``'s ``estimate`` of ``quantity``
    against ``exact`` (the standard's decimal text), with its ``error`` and bound.

    ``reason`` says why the method gave no number (``estimate`` None); ``kink`` is the
    kink whose one-sided interval the number misses; ``smooth_kink`` the abs or relu
    nodes at 0 here where f is nevertheless smooth (the method's convention applies)."""

    method: str
    quantity: str
    estimate: float | None
    exact: str | None
    error: Error
    reason: str = ""
    kink: kinks.Kink | None = None
    smooth_kink: tuple[str, ...] = ()


@dataclass(frozen=True)
class Held:
    """How a method that passed was held: its largest tolerance relative to the verdict's
    scale and its worst error on that scale; and, for its number nearest its limit, the
    absolute ``error``, the ``allowed`` error, and ``bound``, the method's own error bound
    that ``allowed`` is SAFETY_FACTOR times (None when it was held to a tolerance)."""

    method: str
    scheme: str | None
    tolerance: float
    worst: float
    error: float | None = None
    allowed: float | None = None
    bound: float | None = None


@dataclass(frozen=True)
class Verdict:
    """The verdict as data; ``present.verdict_text`` writes it as a sentence.

    ``status``: "agree", "disagree", "kink", "undefined" or "unknown" (the numbers agree,
    but the search for kinks ran out of time, so f may have no derivative here).
    ``failures``: the numbers outside their bound. ``held``: each judged method's bound and worst error.
    ``not_judged``: (method, why) for a method that does not support the expression or
    failed. ``kinks``: the kinks found (f has no derivative there). ``undefined``:
    (quantity, reason) for each quantity without an exact value. ``missing_reference``:
    why the symbolic method gave no reference (None when it gave one); the errors are
    then measured against ``measured_against``. ``beyond_floats``: f's exact value is
    too large for any float. ``given``: the caller's (rtol, atol), which replaced every
    bound (None when not given)."""

    status: str
    failures: tuple[Failure, ...] = ()
    held: tuple[Held, ...] = ()
    not_judged: tuple[tuple[str, str], ...] = ()
    kinks: tuple[kinks.Kink, ...] = ()
    undefined: tuple[tuple[str, str], ...] = ()
    missing_reference: str | None = None
    measured_against: str = symbolic.METHOD
    beyond_floats: bool = False
    # The partials whose exact value is a limit of f's difference quotients, where
    # sympy's formula is indeterminate (x**y at x = 0: log(0)·0)
    from_limit: tuple[str, ...] = ()
    # Kinks near the point inside a finite-difference stencil: those partials not judged
    straddles: tuple[kinks.Straddle, ...] = ()
    given: tuple[float, float] | None = None  # the caller's (rtol, atol), when given

    @property
    def agree(self) -> bool:
        return self.status == "agree"


def judge(reference: SymbolicDerivatives, results: Sequence[Derivatives],
          errors: Mapping[str, Mapping[str, Error]], quantities: Sequence[str],
          found: Sequence[kinks.Kink] = (),
          standard: SymbolicDerivatives | None = None) -> Verdict:
    """The verdict. ``standard`` is what the errors were measured against, when it is not
    the exact ``reference`` (which then has ``details["unavailable"]``)."""
    standard = standard or reference
    exact = standard is reference
    common = {"not_judged": _not_judged(results) + _unreliable(errors),
              "from_limit": tuple(reference.details.get("from_limit", ())),
              "missing_reference": None if exact else _unavailable(reference),
              "measured_against": standard.method}
    jumps = tuple(kink for kink in found if kink.jump)
    if jumps:  # f is not continuous here (sign(x) at 0): no derivative to agree on
        return Verdict("kink", kinks=jumps, **common)
    failures = tuple(_failure(result, quantity, errors[result.method][quantity], standard, found)
                     for result in results for quantity in quantities
                     if errors[result.method][quantity].within is False)
    if failures:
        return Verdict("disagree", failures, **common)
    kinked = tuple(kink for kink in found if kink.differs)
    if kinked:
        return Verdict("kink", kinks=kinked, **common)
    checked = any(error.within is not None for by_quantity in errors.values()
                  for error in by_quantity.values())
    if not checked:
        reasons = reference.reasons if exact else standard.reasons
        return Verdict("undefined", undefined=tuple(reasons.items()),
                       beyond_floats=exact and f_beyond_floats(reference), **common)
    held = tuple(_held(result, errors[result.method]) for result in results
                 if any(e.within is not None for e in errors[result.method].values()))
    skipped = tuple((q, standard.reasons.get(q, "no exact value")) for q in quantities
                    if standard.exact.get(q) is None)
    # sqrt(x) at 0: f agrees, but df/dx does not exist; the README's exit status 3
    status = "undefined" if exact and skipped else "agree"
    return Verdict(status, held=held, undefined=skipped, **common)


def _not_judged(results: Sequence[Derivatives]) -> tuple[tuple[str, str], ...]:
    found = []
    for result in results:
        if result.details.get("unsupported"):
            found.append((result.method, "it does not support "
                          + ", ".join(result.details["unsupported"])))
        elif result.details.get("failed"):
            found.append((result.method, str(result.details["failed"])))
    return tuple(found)


def _unreliable(errors: Mapping[str, Mapping[str, Error]]) -> tuple[tuple[str, str], ...]:
    return tuple((method, f"the stencil is unreliable here: {error.unreliable}")
                 for method, by_quantity in errors.items()
                 for error in by_quantity.values() if error.unreliable)


def _held(result: Derivatives, errors: Mapping[str, Error]) -> Held:
    measured = [e for e in errors.values() if e.within is not None]
    worst = max((e.scaled for e in measured if e.scaled is not None and not e.kink),
                default=0.0)
    tolerance = max(e.tolerance for e in measured)
    bounded = [e for e in measured if e.bound is not None and not e.kink]
    if len(bounded) < len(measured):
        return Held(result.method, result.details.get("scheme"), tolerance, worst)
    nearest = max(bounded, key=lambda e: e.absolute / e.allowed if e.allowed
                  else float(e.absolute > 0))
    return Held(result.method, result.details.get("scheme"), tolerance, worst,
                nearest.absolute, nearest.allowed, nearest.bound)


def _unavailable(reference: SymbolicDerivatives) -> str:
    return str(reference.details.get("unavailable", "no reference"))


def _failure(result: Derivatives, quantity: str, error: Error,
             standard: SymbolicDerivatives, found: Sequence[kinks.Kink]) -> Failure:
    kink = next((k for k in found if k.variable == quantity), None) if error.kink else None
    smooth = next((k.sources for k in found
                   if k.variable == quantity and not k.differs and not k.jump), ())
    return Failure(result.method, quantity, result.number(quantity),
                   standard.exact.get(quantity), error,
                   reason=result.reasons.get(quantity, "no number"), kink=kink,
                   smooth_kink=tuple(smooth))
