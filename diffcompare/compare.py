"""Run the methods side by side and measure each against the symbolic reference.

Each method works alone from the expression tree; nothing here passes one method's
answer to another. The symbolic values, exact to ``symbolic.DIGITS`` digits, are the
reference every error is measured against.

The verdict's tolerance depends on the method (``TOLERANCES``): an estimate passes when

    |estimate - exact| <= tolerance * max(|exact|, |f|)

that is, relative to the exact number, or to the function's value when the exact
number is near zero (a finite difference's round-off scales with |f|, not with f').

At a kink (abs or relu at 0, see ``kinks``) f has two one-sided derivatives and no
derivative; there a method passes when its number lies between them, and the verdict is
"kink" rather than "agree" or "disagree".

When the symbolic method gives no reference at all (it timed out, sympy failed, or the
exact numbers would be too large), the other methods are measured against the first
one, autograd, with their own tolerances: the verdict then reads "AGREE WITHOUT EXACT
REFERENCE" (or "DISAGREE WITHOUT EXACT REFERENCE") and never claims exact agreement.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Callable, Mapping, Sequence

import mpmath

from diffcompare.language.expression import Call, Expression
from diffcompare.language.limits import DEFAULT as DEFAULT_LIMITS
from diffcompare.language.limits import Limits, check_work
from diffcompare.language.parse import parse
from diffcompare.language.point import default_point, parse_point
from diffcompare.methods import autograd, budget, finite_difference, forward, kinks, symbolic
from diffcompare.methods.results import Derivatives, SymbolicDerivatives
from diffcompare.methods.results import quantity_label as _label

Method = Callable[[Expression, Mapping[str, Fraction]], Derivatives]

# The methods compared against the reference, in the order they are shown.
METHODS: dict[str, Method] = {
    autograd.METHOD: autograd.differentiate,
    finite_difference.METHOD: finite_difference.differentiate,
    forward.METHOD: forward.differentiate,
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

    @property
    def checked(self) -> bool:
        return self.within is not None


@dataclass(frozen=True)
class Verdict:
    status: str  # "agree", "disagree", "kink" or "undefined"
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
    kinks: tuple[kinks.Kink, ...] = ()  # abs or relu at 0 here, one entry per variable
    # The method the errors are measured against: "symbolic" (exact), or, when it gave
    # no reference, the first other method (autograd).
    measured_against: str = symbolic.METHOD

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
            tolerances: Mapping[str, float] | None = None, *,
            timeout: float | None = symbolic.DEFAULT_TIMEOUT, simplify: bool = False,
            limits: Limits | None = None) -> Comparison:
    """Differentiate ``expression`` at ``at`` by every method and compare.

    ``timeout`` is the symbolic method's budget in seconds (None or 0: no budget),
    ``simplify`` shows simplified formulas, ``limits`` bounds what the input may cost.

    >>> result = compare("3*x**2 - 4*x + 5", at="x=3")
    >>> result.reference.gradient["x"], result.agree
    (14.0, True)

    Raises ``TypeError`` for an argument of the wrong type, ``InputError`` for bad input.
    """
    if not isinstance(expression, (str, Expression)):
        raise TypeError(f"compare() takes the expression as a str, e.g. \"x**2*sin(y)\", or "
                        f"an Expression from diffcompare.parse, not {type(expression).__name__}")
    if at is not None and not isinstance(at, (str, Mapping)):
        raise TypeError(f"compare() takes the point as a str, e.g. \"x=1,y=2\", a mapping, "
                        f"e.g. {{\"x\": 1, \"y\": 2}}, or None to have one chosen, "
                        f"not {type(at).__name__}")
    limits = limits or DEFAULT_LIMITS
    if isinstance(expression, str):
        expression = parse(expression, limits)
    check_work(expression, limits)
    point_chosen = at is None
    point = (default_point(expression, lambda point: _finite_by_autograd(expression, point))
             if at is None else parse_point(at, expression, limits))
    methods = METHODS if methods is None else methods

    reference = symbolic.differentiate_within(expression, point, timeout, simplify, limits)
    results = tuple(method(expression, point) for method in methods.values())
    quantities = ("value", *expression.variables)
    standard = reference
    if reference.details.get("unavailable") and results:
        standard = _stand_in(results[0])
    errors = {
        result.method: {
            q: measure(result.number(q), standard, q, tolerance_for(result, q, tolerances))
            if result.method != standard.method and not result.details.get("unsupported")
            else Error(None, None, None, tolerance_for(result, q, tolerances), None)
            for q in quantities
        }
        for result in results
    }
    found = _find_kinks(expression, point, timeout, limits)
    errors = judge_kinks(found, results, errors, reference)
    errors = excuse_float_overflow(errors, reference)
    return Comparison(expression, point, point_chosen, reference, results, errors,
                      judge(reference, results, errors, quantities, found, standard),
                      found, standard.method)


def _finite_by_autograd(expression: Expression, point: Mapping[str, Fraction]) -> bool:
    """Whether our engine gives a finite value and gradient at ``point``: what makes a
    point a good default."""
    result = autograd.differentiate(expression, point)
    return result.value is not None and all(g is not None for g in result.gradient.values())


def _find_kinks(expression: Expression, point: Mapping[str, Fraction],
                timeout: float | None, limits: Limits) -> tuple[kinks.Kink, ...]:
    """``kinks.find``, under the symbolic method's time budget: it asks sympy whether each
    abs or relu argument is 0 here, which hostile input can make as slow as any sympy
    work. Without abs or relu there is nothing to ask, and no child process."""
    has_branch = any(isinstance(node, Call) and node.primitive.name in kinks.BRANCHES
                     for node in expression.nodes)
    if not has_branch or not timeout:
        return kinks.find(expression, point) if has_branch else ()
    try:
        return budget.run(lambda: kinks.find(expression, point), timeout,
                          memory_mib=limits.memory)
    except (budget.OutOfTime, budget.Failed):
        return ()  # no kink found in time: the numbers are judged as anywhere else


def tolerance_for(result: Derivatives, quantity: str,
                  overrides: Mapping[str, float] | None = None) -> float:
    """The verdict's tolerance for one of ``result``'s numbers: an override for the
    method, else the finite-difference scheme's or the method's own, widened for a
    forced step to MODEL_SAFETY times the scheme's modelled error at that step."""
    if overrides and result.method in overrides:
        return overrides[result.method]
    scheme = result.details.get("scheme")
    base = SCHEME_TOLERANCES.get(scheme, TOLERANCES.get(result.method, DEFAULT_TOLERANCE))
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
        if not kink.differs:
            continue
        for result in results:
            error = judged[result.method][kink.variable]
            within = kink.contains(result.number(kink.variable), error.tolerance, f_value)
            judged[result.method][kink.variable] = replace(error, within=within, kink=True)
    return judged


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
        reasons=result.reasons, exact={q: repr(n) for q, n in numbers.items() if n is not None},
        digits=17)


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
                     correct_digits(relative), tolerance, within,
                     scaled=float(absolute / scale))


def correct_digits(relative) -> float | None:
    """Correct significant digits, -log10 of the relative error, between 0 and 17."""
    if relative is None:
        return 0.0
    if relative == 0:
        return 17.0
    return float(min(17.0, max(0.0, -mpmath.log10(relative))))


def judge(reference: SymbolicDerivatives, results: Sequence[Derivatives],
          errors: Mapping[str, Mapping[str, Error]], quantities: Sequence[str],
          found: Sequence[kinks.Kink] = (),
          standard: SymbolicDerivatives | None = None) -> Verdict:
    """The verdict. ``standard`` is what the errors were measured against, when it is not
    the exact ``reference`` (which then has ``details["unavailable"]``)."""
    standard = standard or reference
    exact = standard is reference
    failures = []
    checked = 0
    for result in results:
        for quantity in quantities:
            error = errors[result.method][quantity]
            if error.within is None:
                continue
            checked += 1
            if not error.within:
                failures.append(_failure_text(result, quantity, error, standard, found))
    missing = "" if exact else f" WITHOUT EXACT REFERENCE (symbolic: {_unavailable(reference)})"
    if failures:
        return Verdict("disagree", f"DISAGREE{missing}: " + "; ".join(failures))
    kinked = [kink for kink in found if kink.differs]
    if kinked:
        return Verdict("kink", "KINK: " + "; ".join(
            f"f has a kink in {kink.variable} here ({', '.join(kink.sources)} at 0): "
            f"left derivative {_number(kink.left)}, right derivative {_number(kink.right)}"
            for kink in kinked) + "; every method reports a value between them and the "
            "other numbers agree. f has no derivative there: a kink, not a disagreement")
    if checked == 0:
        reasons = reference.reasons if exact else {**standard.reasons}
        why = "; ".join(f"{_label(q)}: {reason}" for q, reason in reasons.items())
        if not exact:
            why = f"symbolic: {_unavailable(reference)}" + (f"; {standard.method}, {why}"
                                                             if why else "")
        nothing = "no exact value to compare against"
        if exact and f_beyond_floats(reference):
            nothing = "f is beyond the float range here, so no float method can evaluate it"
        return Verdict("undefined", f"UNDEFINED: {nothing} ({why})")
    parts = []
    for result in results:
        measured = [e for e in errors[result.method].values() if e.within is not None]
        if result.details.get("unsupported"):
            parts.append(f"{result.method} not judged (it does not support "
                         f"{', '.join(result.details['unsupported'])})")
        if not measured:
            continue
        worst = max((e.scaled for e in measured if e.scaled is not None and not e.kink),
                    default=0.0)
        tolerance = max(e.tolerance for e in measured)
        scheme = f" ({result.details['scheme']})" if "scheme" in result.details else ""
        parts.append(f"{result.method}{scheme} within {format_tolerance(tolerance)}"
                     f" (worst error {_short(worst)})")
    skipped = [q for q in quantities if standard.exact.get(q) is None]
    if exact:
        if skipped:
            # sqrt(x) at 0: f agrees, but df/dx does not exist; the README's exit status 3
            why = "; ".join(f"{_label(q)}: {reference.reasons.get(q, 'no exact value')}"
                            for q in skipped)
            return Verdict("undefined", f"UNDEFINED here: {why}. The rest agrees: "
                           + ", ".join(parts) + " of the exact values")
        return Verdict("agree", "AGREE: " + ", ".join(parts) + " of the exact values")
    note = f"; {standard.method} gives no {', '.join(map(_label, skipped))}" if skipped else ""
    return Verdict("agree", f"AGREE{missing}: " + ", ".join(parts)
                   + f" of {standard.method}'s values" + note)


def _unavailable(reference: SymbolicDerivatives) -> str:
    return str(reference.details.get("unavailable", "no reference"))


def _failure_text(result: Derivatives, quantity: str, error: Error,
                  standard: SymbolicDerivatives, found: Sequence[kinks.Kink] = ()) -> str:
    label = _label(quantity)
    if error.absolute is None:
        reason = result.reasons.get(quantity, "no number")
        return f"{result.method} gives no {label} ({reason})"
    if error.kink:
        kink = next(k for k in found if k.variable == quantity)
        return (f"{result.method} {label} = {result.number(quantity)!r} is not between the "
                f"one-sided derivatives {_number(kink.left)} and {_number(kink.right)}")
    smooth = [k for k in found if k.variable == quantity and not k.differs]
    note = (f"; {', '.join(smooth[0].sources)} at 0 here, where the method's convention "
            "for the kink applies although f is smooth") if smooth else ""
    against = "exact is" if standard.method == symbolic.METHOD else f"{standard.method} gives"
    return (f"{result.method} {label} = {result.number(quantity)!r} but {against} "
            f"{float(standard.exact[quantity])!r} (relative error "
            f"{_short(error.relative) if error.relative is not None else 'inf'}"
            f" > {format_tolerance(error.tolerance)}{note})")


def format_tolerance(tolerance: float) -> str:
    """Two significant digits, as the errors beside it: 1e-05, 3.1e-05, 0.42."""
    return f"{tolerance:.2g}"


def _number(text: str | None) -> str:
    """A one-sided derivative's decimal text, short: -1.000…0 is -1."""
    return "undefined" if text is None else f"{float(text):.17g}"


def _short(number: float) -> str:
    return "0" if number == 0 else f"{number:.1e}"
