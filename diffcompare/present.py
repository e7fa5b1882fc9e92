"""Presentation of a comparison: the terminal table and the JSON document.

Only this module and the CLI format numbers; everything else returns data.
"""

from __future__ import annotations

import json
from typing import Any

import mpmath
from tabulate import tabulate

from .compare import Comparison, Error
from .results import Derivatives

# Doubles need up to 17 significant digits to show where two of them part.
SIGNIFICANT_DIGITS = 17

METHOD_TITLES = {
    "symbolic": "symbolic (exact)",
    "autograd": "autograd",
    "finite_difference": "finite difference",
}


def title(method: str) -> str:
    return METHOD_TITLES.get(method, method)


def label(quantity: str) -> str:
    return "f" if quantity == "value" else f"df/d{quantity}"


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
    if error.absolute is None:
        return "missing"
    if error.relative is None:
        return f"abs {error.absolute:.1e}"
    return "0" if error.relative == 0 else f"{error.relative:.1e}"


def table(comparison: Comparison, tablefmt: str = "simple") -> str:
    """The side-by-side table: one row per quantity, a column per method and its error."""
    headers = ["", title("symbolic")]
    for result in comparison.methods:
        headers += [title(result.method), "rel. error"]
    rows = []
    for quantity in comparison.quantities:
        row = [label(quantity), format_exact(comparison.reference.exact.get(quantity))]
        for result in comparison.methods:
            row += [format_number(result.number(quantity)),
                    format_error(comparison.errors[result.method][quantity])]
        rows.append(row)
    return tabulate(rows, headers=headers, tablefmt=tablefmt, disable_numparse=True)


def report(comparison: Comparison, tablefmt: str = "simple") -> str:
    """Everything the terminal shows: formulas, point, table, reasons, costs, verdict."""
    reference = comparison.reference
    names = ", ".join(comparison.expression.variables)
    unavailable = reference.details.get("unavailable")
    lines = [f"f({names}) = {reference.formula or f'(no formula: {unavailable})'}"]
    for name, formula in reference.gradient_formulas.items():
        lines.append(f"df/d{name} = {formula}")
    chosen = "  (chosen for you; pass --at to pick another)" if comparison.point_chosen else ""
    if comparison.point:
        lines.append(f"at {format_point(comparison.point)}{chosen}")
    lines += ["", table(comparison, tablefmt), ""]
    notes = [note for result in comparison.all_methods for note in _notes(result)]
    if comparison.measured_against != reference.method:
        notes.append(f"no exact reference: errors are measured against "
                     f"{title(comparison.measured_against)}")
    lines += [f"note: {note}" for note in notes]
    lines.append("cost: " + "; ".join(_cost(result) for result in comparison.all_methods))
    lines.append(comparison.verdict.text)
    return "\n".join(lines)


def _notes(result: Derivatives) -> list[str]:
    """One note per reason; a reason shared by every quantity is said once."""
    reasons = list(result.reasons.values())
    if len(reasons) > 1 and len(set(reasons)) == 1 and len(reasons) == 1 + len(result.gradient):
        return [f"{title(result.method)}: {reasons[0]}"]
    return [f"{title(result.method)}, {label(q)}: {reason}" for q, reason in result.reasons.items()]


def _cost(result: Derivatives) -> str:
    cost = result.cost
    if result.details.get("unavailable"):
        spent = "no result"
    elif result.method == "symbolic":
        spent = f"{cost.evaluations} formulas, {cost.size} operations in the derivatives"
    elif cost.size is not None:
        spent = f"1 forward and backward pass, {cost.size} graph nodes"
    else:
        spent = f"{cost.evaluations} evaluation{'s' if cost.evaluations != 1 else ''}"
    return f"{result.method} {spent}, {cost.seconds * 1e3:.2f} ms"


def document(comparison: Comparison) -> dict[str, Any]:
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
        "measured_against": comparison.measured_against,
        "agree": comparison.agree,
        "verdict": comparison.verdict.status,
        "verdict_text": comparison.verdict.text,
    }


def _error_document(error: Error) -> dict[str, Any]:
    return {"absolute": error.absolute, "relative": error.relative, "digits": error.digits,
            "tolerance": error.tolerance, "within": error.within}


def to_json(comparison: Comparison) -> str:
    return json.dumps(document(comparison), indent=2, allow_nan=False)
