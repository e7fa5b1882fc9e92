"""Presentation of a comparison: the terminal table and the JSON document.

Only this module and the CLI format numbers; everything else returns data.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any, Mapping, Sequence

import mpmath
from tabulate import tabulate

from diffcompare.compare import SAFETY_FACTOR, Comparison, Error, Failure, Held, Verdict
from diffcompare.methods import kinks, registry, symbolic
from diffcompare.methods.finite_difference import Sweep
from diffcompare.methods.results import Derivatives, quantity_label
from diffcompare.options import json_text

# Doubles need up to 17 significant digits to show where two of them part.
SIGNIFICANT_DIGITS = 17
# An exact value printed beside an estimate whose 17 digits it shares: enough of the
# reference's 40 digits for the difference to show.
_EXACT_DIGITS_SHOWN = 25

SYMBOLIC_TITLE = "symbolic (exact)"


def title(method: str) -> str:
    """A method's name for people: the registry's label, the reference's, or its own."""
    return SYMBOLIC_TITLE if method == symbolic.METHOD else registry.label(method)


def result_title(result: Derivatives) -> str:
    """The column title of a method's result: a finite difference names its scheme."""
    scheme = result.details.get("scheme")
    return f"{title(result.method)} ({scheme})" if scheme else title(result.method)


label = quantity_label


def format_point(point) -> str:
    return ", ".join(f"{name} = {format_coordinate(value)}" for name, value in point.items())


def format_coordinate(value) -> str:
    as_float = float(value)
    return repr(as_float) if value != int(value) else str(int(value))


def format_exact(text: str | None) -> str:
    if text is None:
        return "—"
    with mpmath.workdps(SIGNIFICANT_DIGITS + 5):
        return mpmath.nstr(mpmath.mpf(text), SIGNIFICANT_DIGITS, min_fixed=-4, max_fixed=17)


def format_number(number: float | None) -> str:
    return "—" if number is None else repr(number)


def format_error(error: Error) -> str:
    if error.within is None:
        return ""
    if error.kink:
        return "kink"
    if error.absolute is None:
        return "missing"
    if error.relative is None:
        return f"abs {error.absolute:.1e}"
    return "0" if error.relative == 0 else f"{error.relative:.1e}"


def format_held_to(error: Error, exact: str | None) -> str:
    """The error the verdict allowed this number, relative to the exact value like the
    error beside it (absolute, "abs", where that is 0); marked * when it is a tolerance
    rather than the method's own bound."""
    if error.within is None or error.kink or error.allowed is None:
        return ""
    mark = "" if error.bound is not None else "*"
    scale = abs(float(exact)) if exact is not None else 0.0
    if scale == 0.0:
        return f"abs {error.allowed:.1e}{mark}"
    return f"{error.allowed / scale:.1e}{mark}"


def format_digits(error: Error) -> str:
    if error.within is None or error.kink or error.digits is None:
        return ""
    return f"{error.digits:.1f}"


def format_estimate(result: Derivatives, quantity: str, error: Error, exact: str | None) -> str:
    """A method's own error estimate, relative like the true error beside it."""
    estimate = result.error_estimates.get(quantity)
    if estimate is None or error.kink:
        return ""
    scale = abs(float(exact)) if exact is not None else 0.0
    if scale == 0.0:
        return f"abs {estimate:.1e}"
    return f"{estimate / scale:.1e}"


def table(comparison: Comparison, tablefmt: str = "simple") -> str:
    """The side-by-side table: for each quantity, a row per method with its number (one
    above the other, so the eye sees where they part), its relative error, its own error
    estimate when it gives one, and its correct significant digits."""
    headers = ["", "method", "value", "rel. error", "est. error", "held to", "digits"]
    rows = []
    for quantity in comparison.quantities:
        exact = comparison.reference.exact.get(quantity)
        rows.append([label(quantity), title("symbolic"), format_exact(exact), "", "", "",
                     str(comparison.reference.digits) if exact is not None else ""])
        for result in comparison.methods:
            error = comparison.errors[result.method][quantity]
            rows.append(["", result_title(result), format_number(result.number(quantity)),
                         format_error(error), format_estimate(result, quantity, error, exact),
                         format_held_to(error, exact), format_digits(error)])
    return tabulate(rows, headers=headers, tablefmt=tablefmt, disable_numparse=True)


TABLE_LEGEND = ("rel. error: against the exact value; est. error: the method's own estimate "
                "of it; held to: the error the verdict allows, relative like rel. error "
                f"({SAFETY_FACTOR:g} × the method's own error bound, * a tolerance instead); "
                "digits: correct significant digits")


def kink_lines(comparison: Comparison) -> list[str]:
    """In words: where f has a kink, its one-sided derivatives, and what each method
    reports there and why."""
    lines = []
    for kink in comparison.kinks:
        d = label(kink.variable)
        at = ", ".join(kink.sources)
        if not kink.defined:
            lines.append(f"kink: {at} at 0 (its kink); the one-sided {d} are not finite here")
            continue
        if kink.jump:
            lines.append(f"jump in {kink.variable}: {at} at 0, so f is not continuous in "
                         f"{kink.variable} here and has no derivative; on each side "
                         f"{d} = {_exact_short(kink.left)} and {_exact_short(kink.right)}")
            continue
        if not kink.differs:
            lines.append(f"note: {at} at 0 (its kink), but f is smooth in {kink.variable} here: "
                         f"{d} = {_exact_short(kink.left)} from both sides; a method's "
                         "convention at the kink can still make its number wrong")
            continue
        lines.append(f"kink in {kink.variable}: {at} at 0, so f has no derivative in "
                     f"{kink.variable} here: from the left {d} = {_exact_short(kink.left)}, "
                     f"from the right {d} = {_exact_short(kink.right)}")
        for result in comparison.all_methods:
            number = result.number(kink.variable)
            shown = (_exact_short(comparison.reference.exact.get(kink.variable))
                     if result is comparison.reference else format_number(number))
            lines.append(f"  {result_title(result)} reports {shown}: "
                         f"{_convention(result, kink)}")
    return lines


def _convention(result: Derivatives, kink: kinks.Kink) -> str:
    if result.method == "symbolic":
        return " and ".join(kinks.symbolic_convention(p) for p in kink.primitives)
    if result.method == "autograd":
        return ("its convention " + " and ".join(kinks.autograd_convention(p)
                                                 for p in kink.primitives) + ", as in PyTorch")
    scheme = result.details.get("scheme")
    if scheme:
        return kinks.SCHEME_CONVENTIONS.get(scheme, kinks.SYMMETRIC_CONVENTION)
    return "its own convention"


def _exact_short(text: str | None) -> str:
    if text is None:
        return "—"
    with mpmath.workdps(SIGNIFICANT_DIGITS + 5):
        return mpmath.nstr(mpmath.mpf(text), SIGNIFICANT_DIGITS, min_fixed=-4, max_fixed=17)


def sweep_table(sweep: Sweep, tablefmt: str = "simple") -> str:
    """The error of each scheme at each step: one row per step, one column per scheme,
    the best step marked *, the theory's optimum ^; then best, theory and order rows."""
    schemes = list(sweep.errors)
    scale = abs(sweep.exact) if sweep.exact else 0.0
    rows = []
    for i, h in enumerate(sweep.steps):
        row = [f"{h:.0e}"]
        for name in schemes:
            error = sweep.errors[name][i]
            cell = "—" if error is None else f"{error / scale if scale else error:.1e}"
            marks = ("*" if sweep.best_step.get(name) == h else "") + \
                    ("^" if _nearest(sweep.steps, sweep.theoretical_step[name]) == h else "")
            row.append(f"{cell} {marks}".rstrip())
        rows.append(row)
    rows.append(["best h"] + [_step(sweep.best_step.get(n)) for n in schemes])
    rows.append(["theory h"] + [_step(sweep.theoretical_step[n]) for n in schemes])
    rows.append(["order"] + [_order(sweep.observed_order.get(n), sweep.order.get(n))
                             for n in schemes])
    return tabulate(rows, headers=["h", *schemes], tablefmt=tablefmt, disable_numparse=True)


def sweep_lines(sweep: Sweep, tablefmt: str = "simple") -> list[str]:
    kind = "relative" if sweep.exact else "absolute"
    return [f"step sweep for {label(sweep.variable)}: {kind} error of each scheme at step "
            f"h·max(1, |{sweep.variable}|); * best step, ^ theoretical optimum; order: the "
            "slope of the error where truncation dominates (— when fewer than two steps "
            "show it), the theory's in parentheses",
            "", sweep_table(sweep, tablefmt), ""]


def _nearest(steps, target: float) -> float:
    return min(steps, key=lambda h: abs(math.log10(h) - math.log10(target)))


def _step(h: float | None) -> str:
    return "—" if h is None else f"{h:.1e}"


def _order(observed: float | None, theory: int | None) -> str:
    seen = "—" if observed is None else f"{observed:.1f}"
    return seen if theory is None else f"{seen} ({theory})"


def report(comparison: Comparison, tablefmt: str = "simple",
           sweeps: Sequence[Sweep] = (), written: Sequence[str] = ()) -> str:
    """Everything the terminal shows: formulas, point, table, reasons, kinks, step
    sweeps, the files ``written`` beside it (one line each), costs, verdict."""
    reference = comparison.reference
    names = ", ".join(comparison.expression.variables)
    unavailable = reference.details.get("unavailable")
    lines = [f"f({names}) = {reference.formula or f'(no formula: {unavailable})'}"]
    for name, formula in reference.gradient_formulas.items():
        lines.append(f"df/d{name} = {formula}")
    chosen = "  (chosen for you; pass --at to pick another)" if comparison.point_chosen else ""
    if comparison.point:
        lines.append(f"at {format_point(comparison.point)}{chosen}")
    lines += ["", table(comparison, tablefmt),
              TABLE_LEGEND, ""]
    notes = [note for result in comparison.all_methods for note in _notes(result)]
    if comparison.measured_against != reference.method:
        notes.append(f"no exact reference: errors are measured against "
                     f"{title(comparison.measured_against)}")
    lines += [f"note: {note}" for note in notes]
    lines += [f"note: {straddle_text(straddle)}" for straddle in comparison.straddles]
    kinked = kink_lines(comparison)
    lines += kinked + ([""] if kinked else [])
    if sweeps and lines[-1]:
        lines.append("")
    for sweep in sweeps:
        lines += sweep_lines(sweep, tablefmt)
    lines += written
    lines.append(cost_line(comparison))
    lines.append(verdict_text(comparison.verdict))
    return "\n".join(lines)


def _notes(result: Derivatives) -> list[str]:
    """One note per reason; a reason shared by every quantity is said once."""
    reasons = list(result.reasons.values())
    if len(reasons) > 1 and len(set(reasons)) == 1 and len(reasons) == 1 + len(result.gradient):
        return [f"{title(result.method)}: {reasons[0]}"]
    return [f"{title(result.method)}, {label(q)}: {reason}" for q, reason in result.reasons.items()]


def cost_line(comparison: Comparison) -> str:
    """What each method spent, on one line."""
    return "cost: " + "; ".join(_cost(result) for result in comparison.all_methods)


def _cost(result: Derivatives) -> str:
    cost = result.cost
    if result.details.get("unavailable"):
        spent = "no result"
    elif result.method == "symbolic":
        spent = (f"{_count(cost.evaluations, 'formula')}, "
                 f"{_count(cost.size, 'operation')} in the derivatives")
    elif "passes" in result.details:  # forward mode: one pass per input
        passes = result.details["passes"]
        spent = f"{passes} forward pass{'' if passes == 1 else 'es'}, one per input"
    elif cost.size is not None:
        spent = f"1 forward and backward pass, {_count(cost.size, 'graph node')}"
    else:
        spent = _count(cost.evaluations, "evaluation")
    if "scheme" in result.details:
        steps = _steps_text(result.details.get("steps", {}))
        steps = f"; {steps}" if steps else ""
        spent += f" of f, the error estimates' included ({result.details['scheme']}{steps})"
    return f"{result.method} {spent}, {_duration(cost.seconds)}"


# Past this many variables the cost line gives the range of the steps, not each one.
_STEPS_LISTED = 6


def _steps_text(steps: Mapping[str, float]) -> str:
    """"h = 1.5e-05 for x, h = 7.6e-06 for y", or for many variables the range:
    "h from 3.8e-06 to 0.00012 over 2000 variables"."""
    if len(steps) <= _STEPS_LISTED:
        return ", ".join(f"h = {h:.2g} for {name}" for name, h in steps.items())
    if min(steps.values()) == max(steps.values()):
        return f"h = {min(steps.values()):.2g} for each of {len(steps)} variables"
    return (f"h from {min(steps.values()):.2g} to {max(steps.values()):.2g} over "
            f"{len(steps)} variables")


def _count(number: int | None, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _duration(seconds: float) -> str:
    return f"{seconds:.2f} s" if seconds >= 1 else f"{seconds * 1e3:.2f} ms"


def document(comparison: Comparison, sweeps: Sequence[Sweep] = ()) -> dict[str, Any]:
    """The comparison as JSON-ready data (numbers or null, never NaN)."""
    everything = comparison.all_methods
    reference = comparison.reference
    return {
        "expression": comparison.expression.text,
        "variables": list(comparison.expression.variables),
        "point": {name: float(value) for name, value in comparison.point.items()},
        "point_exact": {name: str(value) for name, value in comparison.point.items()},
        "point_chosen": comparison.point_chosen,
        "value": {result.method: result.value for result in everything},
        "gradient": {
            name: {result.method: result.gradient.get(name) for result in everything}
            for name in comparison.expression.variables
        },
        "exact": dict(reference.exact),
        "formulas": {"value": reference.formula, **reference.gradient_formulas},
        "errors": {
            method: {q: _error_document(error) for q, error in by_quantity.items()}
            for method, by_quantity in comparison.errors.items()
        },
        "reasons": {result.method: dict(result.reasons) for result in everything
                    if result.reasons},
        "cost": {
            result.method: {"evaluations": result.cost.evaluations,
                            "seconds": result.cost.seconds, "size": result.cost.size}
            for result in everything
        },
        "error_estimates": {result.method: dict(result.error_estimates)
                            for result in everything if result.error_estimates},
        "error_bounds": {result.method: dict(result.error_bounds)
                         for result in comparison.methods if result.error_bounds},
        "safety_factor": SAFETY_FACTOR,
        "finite_difference": {
            result.method: {"scheme": result.details["scheme"],
                            "order": result.details.get("order"),
                            "steps": dict(result.details.get("steps", {}))}
            for result in comparison.methods if "scheme" in result.details
        },
        "kinks": [{"variable": k.variable, "left": k.left, "right": k.right,
                   "sources": list(k.sources), "kink": k.differs}
                  for k in comparison.kinks],
        "sweeps": [_sweep_document(sweep) for sweep in sweeps],
        "measured_against": comparison.measured_against,
        "agree": comparison.agree,
        "verdict": comparison.verdict.status,
        "verdict_text": verdict_text(comparison.verdict),
    }


def _sweep_document(sweep: Sweep) -> dict[str, Any]:
    return {"variable": sweep.variable, "exact": sweep.exact, "steps": list(sweep.steps),
            "errors": {name: list(row) for name, row in sweep.errors.items()},
            "best_step": dict(sweep.best_step),
            "theoretical_step": dict(sweep.theoretical_step),
            "observed_order": dict(sweep.observed_order), "order": dict(sweep.order)}


def _error_document(error: Error) -> dict[str, Any]:
    return {"absolute": error.absolute, "relative": error.relative, "digits": error.digits,
            "tolerance": error.tolerance, "bound": error.bound, "allowed": error.allowed,
            "within": error.within}


def to_json(comparison: Comparison, sweeps: Sequence[Sweep] = ()) -> str:
    return json_text(document(comparison, sweeps))


# ---- the verdict in words ----


def verdict_text(verdict: Verdict) -> str:
    """The verdict as one line: its status in capitals, then why.

    >>> from diffcompare import compare
    >>> verdict_text(compare("abs(x)", at="x=0").verdict)[:5]
    'KINK:'
    """
    if verdict.status == "unknown":
        return ("UNKNOWN: the search for kinks ran out of time, so f may have no derivative "
                "here; the numbers say " + verdict_text(replace(verdict, status="agree")))
    missing = ("" if verdict.missing_reference is None
               else f" WITHOUT EXACT REFERENCE (symbolic: {verdict.missing_reference})")
    # A method judged on some numbers (held, or failing) and not on others is "partly"
    # not judged.
    partly = ({held.method for held in verdict.held}
              | {failure.method for failure in verdict.failures})
    not_judged = [f"{title(method)} {'partly ' if method in partly else ''}not judged ({why})"
                  for method, why in verdict.not_judged]
    if verdict.status == "disagree":
        return f"DISAGREE{missing}: " + "; ".join(
            [_failure_text(failure, verdict.measured_against, verdict.given)
             for failure in verdict.failures]
            + not_judged)
    if verdict.status == "kink" and all(kink.jump for kink in verdict.kinks):
        return "KINK: " + "; ".join(_kink_group(group, jump=True)
                                    for group in _kink_groups(verdict.kinks)) + (
            ", so it has no derivative there and no method's number for it is judged: "
            "a jump, not an agreement")
    if verdict.status == "kink":
        return "KINK: " + "; ".join(_kink_group(group, jump=False)
                                    for group in _kink_groups(verdict.kinks)) + (
            "; every method reports a value between them and the other numbers agree. f has "
            "no derivative there: a kink, not a disagreement")
    if not verdict.held:
        return "UNDEFINED: " + _nothing_to_compare(verdict)
    parts = not_judged + [_held_text(held, verdict.given) for held in verdict.held]
    if verdict.missing_reference is None:
        if verdict.undefined:
            why = "; ".join(f"{label(q)}: {reason}" for q, reason in verdict.undefined)
            return (f"UNDEFINED here: {why}. The rest agrees: " + ", ".join(parts)
                    + " of the exact values")
        return ("AGREE: " + ", ".join(parts) + " of the exact values" + _limit_note(verdict)
                + _straddle_note(verdict))
    standard = verdict.measured_against
    note = (f"; {standard} gives no {', '.join(label(q) for q, _ in verdict.undefined)}"
            if verdict.undefined else "")
    return f"AGREE{missing}: " + ", ".join(parts) + f" of {standard}'s values" + note


def straddle_text(straddle: kinks.Straddle) -> str:
    """A kink inside the finite-difference stencil, in words."""
    return (f"the finite-difference stencil for {label(straddle.variable)} (h = "
            f"{straddle.step:.1e}) straddles the kink of {straddle.source}, "
            f"{straddle.distance:.1e} from the point in {straddle.variable}: f is not smooth "
            f"across it, so that scheme's {label(straddle.variable)} and its error estimate "
            "are not trustworthy here, and not judged")


def _straddle_note(verdict: Verdict) -> str:
    return "".join(f"; {straddle_text(straddle)}" for straddle in verdict.straddles)


def _limit_note(verdict: Verdict) -> str:
    if not verdict.from_limit:
        return ""
    which = " and ".join(f"the exact {label(q)}" for q in verdict.from_limit)
    return (f"; {which} from a limit: sympy's formula is indeterminate here (0/0 or ∞·0), "
            "so the reference is the limit of f's difference quotients as written, "
            "from both sides")


# Kinks alike in this many variables or more are said once (60 abs terms at 0: one
# clause, not 60): "60 kinks, in x0 … x59 (abs at 0 in each)".
_GROUPED_KINKS = 3


def _kink_groups(found: Sequence[kinks.Kink]) -> list[list[kinks.Kink]]:
    """The kinks in order, those alike (primitives, one-sided derivatives) together."""
    groups: dict[tuple, list[kinks.Kink]] = {}
    for kink in found:
        key = (kink.primitives, _one_sided(kink.left), _one_sided(kink.right), kink.jump)
        groups.setdefault(key, []).append(kink)
    return [group if len(group) >= _GROUPED_KINKS else [kink]
            for group in groups.values() for kink in (group if len(group) < _GROUPED_KINKS
                                                      else group[:1])]


def _kink_group(group: Sequence[kinks.Kink], jump: bool) -> str:
    kink = group[0]
    if len(group) == 1:
        where, what, each = kink.variable, f"{', '.join(kink.sources)} at 0", ""
    else:
        where = f"{len(group)} variables, {kink.variable} … {group[-1].variable},"
        what, each = f"{', '.join(kink.primitives)} at 0 in each", " in each"
    if jump:
        return f"f jumps in {where} here ({what}): it is not continuous there"
    return (f"f has a kink in {where} here ({what}): left derivative "
            f"{_one_sided(kink.left)}, right derivative {_one_sided(kink.right)}{each}")


def _nothing_to_compare(verdict: Verdict) -> str:
    why = "; ".join(f"{label(q)}: {reason}" for q, reason in verdict.undefined)
    if verdict.missing_reference is not None:
        why = f"symbolic: {verdict.missing_reference}" + (
            f"; {verdict.measured_against}, {why}" if why else "")
    nothing = "no exact value to compare against"
    if verdict.beyond_floats:
        nothing = "f is beyond the float range here, so no float method can evaluate it"
    return f"{nothing} ({why})"


def _held_text(held: Held, given: tuple[float, float] | None = None) -> str:
    scheme = f" ({held.scheme})" if held.scheme else ""
    if given is not None:
        return f"{held.method}{scheme} within {_given(given)} (worst error {short_number(held.worst)})"
    if held.bound is None:
        return (f"{held.method}{scheme} within {format_tolerance(held.tolerance)}"
                f" (worst error {short_number(held.worst)})")
    return (f"{held.method}{scheme} within {SAFETY_FACTOR:g}× its own error bound "
            f"(closest: error {short_number(held.error)} of {short_number(held.allowed)} allowed)")


def _given(given: tuple[float, float]) -> str:
    """The caller's tolerance as given: "atol 0.001", "rtol 1e-06, atol 0.001"."""
    rtol, atol = given
    parts = [f"rtol {rtol:g}" if rtol or not atol else "", f"atol {atol:g}" if atol else ""]
    return ", ".join(part for part in parts if part)


def _exact_beside(estimate: float, exact: str) -> str:
    """The exact value as it is printed beside ``estimate``: the shortest repr of its
    double, or, when that prints as the estimate does, enough of its 40 digits to differ."""
    if float(exact) != estimate:
        return repr(float(exact))
    with mpmath.workdps(_EXACT_DIGITS_SHOWN):
        return mpmath.nstr(mpmath.mpf(exact), _EXACT_DIGITS_SHOWN, min_fixed=-4, max_fixed=16)


def _failure_text(failure: Failure, measured_against: str,
                  given: tuple[float, float] | None = None) -> str:
    name, quantity, error = failure.method, label(failure.quantity), failure.error
    if error.absolute is None and failure.exact is not None:
        return (f"{name} gives no {quantity} although the exact value is "
                f"{float(failure.exact)!r} ({failure.reason})")
    if error.absolute is None:
        return f"{name} gives no {quantity} ({failure.reason})"
    if failure.kink is not None:
        return (f"{name} {quantity} = {failure.estimate!r} is not between the one-sided "
                f"derivatives {_one_sided(failure.kink.left)} and "
                f"{_one_sided(failure.kink.right)}")
    note = (f"; {', '.join(failure.smooth_kink)} at 0 here, where the method's convention "
            "for the kink applies although f is smooth") if failure.smooth_kink else ""
    against = ("exact is" if measured_against == symbolic.METHOD
               else f"{measured_against} gives")
    if given is not None:
        limit = (f"error {short_number(error.absolute)} > {short_number(error.allowed or 0.0)} allowed "
                 f"by {_given(given)}")
    elif error.bound is not None:
        limit = (f"error {short_number(error.absolute)} > {SAFETY_FACTOR:g} × its own error bound "
                 f"{short_number(error.bound)}")
    else:
        relative = short_number(error.relative) if error.relative is not None else "inf"
        limit = f"relative error {relative} > {format_tolerance(error.tolerance)}"
    return (f"{name} {quantity} = {failure.estimate!r} but {against} "
            f"{_exact_beside(failure.estimate, failure.exact)} ({limit}{note})")


def format_tolerance(tolerance: float) -> str:
    """Two significant digits, as the errors beside it: 1e-05, 3.1e-05, 0.42."""
    return f"{tolerance:.2g}"


def _one_sided(text: str | None) -> str:
    """A one-sided derivative's decimal text, short: -1.000…0 is -1."""
    return "undefined" if text is None else f"{float(text):.17g}"


def short_number(number: float) -> str:
    """An error in two significant digits: "0", "3.1e-05"."""
    return "0" if number == 0 else f"{number:.1e}"
