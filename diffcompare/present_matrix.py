"""Presentation of a Jacobian or Hessian comparison: the terminal table and JSON.

Entry by entry, one row per method under sympy's exact value, as ``present.table`` does
for first derivatives: the number, its relative error, the method's own error estimate
and its correct digits. Then the reasons, the cost of each method (passes for forward and
reverse mode, evaluations for finite differences) and the verdict in words.
"""

from __future__ import annotations

from typing import Any, Sequence

from tabulate import tabulate

from diffcompare.compare import SAFETY_FACTOR
from diffcompare.matrix_compare import Failure, MatrixComparison
from diffcompare.methods.finite_difference import Sweep
from diffcompare.options import json_text
from diffcompare.present import (
    TABLE_LEGEND,
    _duration,
    format_digits,
    format_error,
    format_estimate,
    format_exact,
    format_number,
    format_point,
    format_tolerance,
    short_number,
    sweep_table,
)

TITLES = {
    "forward": "forward mode",
    "forward_over_reverse": "forward-over-reverse",
    "autograd": "reverse mode (autograd)",
    "finite_difference": "finite difference (central)",
    "finite_difference (3-point)": "3-point second difference",
    "finite_difference (5-point)": "5-point second difference",
    "finite_difference (richardson)": "Richardson (3-point at h, h/2, h/4)",
    "finite_difference (complex_step)": "complex step, then Richardson",
}


def title(method: str) -> str:
    return TITLES.get(method, method)


def entry_label(comparison: MatrixComparison, entry: tuple[int, int]) -> str:
    """∂f1/∂x for a Jacobian, ∂²f/∂x² or ∂²f/∂x∂y for a Hessian."""
    reference = comparison.reference
    row, column = reference.rows[entry[0]], reference.columns[entry[1]]
    if comparison.kind == "jacobian":
        return f"∂{row}/∂{column}"
    return f"∂²f/∂{row}²" if row == column else f"∂²f/∂{row}∂{column}"


def table(comparison: MatrixComparison, tablefmt: str = "simple") -> str:
    headers = ["", "method", "value", "rel. error", "est. error", "digits"]
    rows = []
    for entry in comparison.entries:
        exact = comparison.reference.exact.get(entry)
        rows.append([entry_label(comparison, entry), "symbolic (exact)", format_exact(exact),
                     "", "", str(comparison.reference.digits) if exact is not None else ""])
        for result in comparison.methods:
            error = comparison.errors[result.method][entry]
            rows.append(["", title(result.method),
                         format_number(result.entries[entry[0]][entry[1]]),
                         format_error(error), format_estimate(result, entry, error, exact),
                         format_digits(error)])
    return tabulate(rows, headers=headers, tablefmt=tablefmt, disable_numparse=True)


def report(comparison: MatrixComparison, tablefmt: str = "simple",
           sweeps: Sequence[Sweep] = ()) -> str:
    """Everything the terminal shows for ``--order 2`` or a list of expressions."""
    reference = comparison.reference
    names = ", ".join(comparison.expression.variables)
    m, n = reference.shape
    what = (f"Jacobian ({m} outputs × {n} inputs)" if comparison.kind == "jacobian"
            else f"Hessian ({n} × {n}; symmetric, so the upper triangle)")
    lines = [f"{what} of {comparison.expression.text}"]
    prefix = "f{}" if comparison.kind == "jacobian" else "f"
    lines += [f"{prefix.format(i + 1)}({names}) = {output}"
              for i, output in enumerate(_outputs(comparison))]
    chosen = "  (chosen for you; pass --at to pick another)" if comparison.point_chosen else ""
    if comparison.point:
        lines.append(f"at {format_point(comparison.point)}{chosen}")
    lines += ["", table(comparison, tablefmt), TABLE_LEGEND, ""]
    lines += [f"note: {note}" for note in _notes(comparison)]
    for sweep in sweeps:
        lines += [f"step sweep for {sweep_label(sweep)}: relative error of each second "
                  "difference at step h·max(1, |x|); * best step, ^ theoretical optimum; "
                  "order: the slope where truncation dominates, the theory's in parentheses",
                  "", sweep_table(sweep, tablefmt), ""]
    lines.append(cost_line(comparison))
    lines.append(verdict_text(comparison))
    return "\n".join(lines)


def sweep_label(sweep: Sweep) -> str:
    i, j = sweep.variable.split(",")
    return f"∂²f/∂{i}²" if i == j else f"∂²f/∂{i}∂{j}"


def _outputs(comparison: MatrixComparison) -> list[str]:
    formulas = comparison.reference.details.get("functions")
    if formulas:
        return list(formulas)
    unavailable = comparison.reference.details.get("unavailable", "sympy gave none")
    count = 1 if comparison.kind == "hessian" else comparison.reference.shape[0]
    return [f"(no formula: {unavailable})"] * count


def _notes(comparison: MatrixComparison) -> list[str]:
    notes = []
    for result in (comparison.reference, *comparison.methods):
        reasons = {}
        for entry in comparison.entries:
            if entry in result.reasons:
                reasons.setdefault(result.reasons[entry], []).append(entry)
        for reason, entries in reasons.items():
            which = ("every entry" if len(entries) == len(comparison.entries) else
                     ", ".join(entry_label(comparison, e) for e in entries))
            notes.append(f"{title(result.method)}, {which}: {reason}")
    for source in comparison.verdict.kinks:
        what = ("f' jumps, so the Hessian does not exist" if comparison.kind == "hessian"
                else "the one-sided derivatives differ")
        notes.append(f"{source} is at its kink here: {what}; each method reports its own "
                     "convention")
    return notes


def cost_line(comparison: MatrixComparison) -> str:
    parts = [f"symbolic {_count(comparison.reference.cost.evaluations, 'formula')}, "
             f"{_duration(comparison.reference.cost.seconds)}"]
    for result in comparison.methods:
        passes = result.details.get("passes")
        if result.method == "forward":
            spent = f"{_count(passes, 'forward pass')}, one per input"
        elif result.method == "forward_over_reverse":
            spent = f"{_count(passes, 'forward-over-reverse pass')}, one per input"
        elif passes is not None:
            spent = f"{_count(passes, 'backward pass')}, one per output"
        else:
            spent = f"{_count(result.cost.evaluations, 'evaluation')} of f"
        parts.append(f"{title(result.method)} {spent}, {_duration(result.cost.seconds)}")
    return "cost: " + "; ".join(parts)


def _count(number: int | None, noun: str) -> str:
    plural = "es" if noun.endswith("ss") else "s"
    return f"{number} {noun}{'' if number == 1 else plural}"


def verdict_text(comparison: MatrixComparison) -> str:
    verdict = comparison.verdict
    if verdict.kinks and verdict.status == "kink":
        kinked = [entry_label(comparison, e) for e, by_method in _kinked(comparison)]
        return (f"KINK: {', '.join(verdict.kinks)} at 0 here, so {', '.join(kinked)} "
                "does not exist: every method reports a value between the one-sided "
                "derivatives, and the other entries agree")
    if verdict.kinks:
        return (f"UNDEFINED: {', '.join(verdict.kinks)} at its kink here, so the "
                f"{comparison.kind.capitalize()} does not exist")
    if verdict.status == "disagree":
        return "DISAGREE: " + "; ".join(_failure(comparison, f) for f in verdict.failures)
    parts = ", ".join(f"{title(method)} within {format_tolerance(tolerance)} (worst error "
                      f"{short_number(worst)})" for method, (worst, tolerance) in verdict.worst.items())
    if verdict.status == "undefined":
        if not verdict.worst:
            reasons = set(verdict.undefined.values())
            why = (f"every entry: {reasons.pop()}" if len(reasons) == 1 else
                   "; ".join(f"{entry_label(comparison, e)}: {reason}"
                             for e, reason in verdict.undefined.items()))
            return f"UNDEFINED: no exact value to compare against ({why})"
        return (f"UNDEFINED here for {', '.join(entry_label(comparison, e) for e in verdict.undefined)}"
                f". The rest agrees: {parts} of the exact values")
    if not verdict.worst:
        return f"AGREE: the {comparison.kind.capitalize()} has no entries (no variables)"
    return f"AGREE: {parts} of the exact values"


def _kinked(comparison: MatrixComparison) -> list:
    """The entries judged at a kink, with their errors by method."""
    first = comparison.methods[0].method
    return [(entry, {m: errors[entry] for m, errors in comparison.errors.items()})
            for entry in comparison.entries if comparison.errors[first][entry].kink]


def _failure(comparison: MatrixComparison, failure: Failure) -> str:
    label = entry_label(comparison, failure.entry)
    if failure.estimate is None:
        return f"{title(failure.method)} gives no {label} ({failure.reason or 'no number'})"
    relative = failure.error.relative
    if failure.error.bound is not None:
        return (f"{title(failure.method)} {label} = {failure.estimate!r} but exact is "
                f"{float(failure.exact)!r} (error {short_number(failure.error.absolute)} > "
                f"{SAFETY_FACTOR:g} × its own error estimate {short_number(failure.error.bound)})")
    return (f"{title(failure.method)} {label} = {failure.estimate!r} but exact is "
            f"{float(failure.exact)!r} (relative error "
            f"{short_number(relative) if relative is not None else 'inf'} > "
            f"{format_tolerance(failure.error.tolerance)})")


def document(comparison: MatrixComparison) -> dict[str, Any]:
    """The comparison as JSON-ready data (numbers or null)."""
    reference = comparison.reference
    return {
        "kind": comparison.kind,
        "expression": comparison.expression.text,
        "variables": list(comparison.expression.variables),
        "rows": list(reference.rows),
        "point": {name: float(value) for name, value in comparison.point.items()},
        "point_chosen": comparison.point_chosen,
        "exact": [[reference.exact.get((i, j)) for j in range(len(reference.columns))]
                  for i in range(len(reference.rows))],
        "methods": {
            result.method: {
                "entries": [list(row) for row in result.entries],
                "relative_errors": [[comparison.errors[result.method][(i, j)].relative
                                     for j in range(len(reference.columns))]
                                    for i in range(len(reference.rows))],
                "error_estimates": [[result.error_estimates.get((i, j))
                                     for j in range(len(reference.columns))]
                                    for i in range(len(reference.rows))],
                "passes": result.details.get("passes"),
                "evaluations": result.cost.evaluations, "seconds": result.cost.seconds,
            }
            for result in comparison.methods
        },
        "verdict": comparison.verdict.status,
        "verdict_text": verdict_text(comparison),
    }


def to_json(comparison: MatrixComparison) -> str:
    """The document as RFC 8259 JSON, ``schema_version`` first, as every ``--json``."""
    return json_text(document(comparison))
