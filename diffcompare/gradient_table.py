"""A ``GradientCheck`` as text: the verdict, the pattern, the worst entries as a table.

>>> import numpy as np
>>> from diffcompare.gradients import check_gradients
>>> check = check_gradients(lambda x: np.sum(x * x), np.array([1.0, 2.0]), grad=lambda x: x)
>>> print(report(check).splitlines()[0])
DISAGREE: 2 of 2 gradient entries wrong (grad against the exact reference, full gradient)
"""

from __future__ import annotations

from tabulate import tabulate

from diffcompare.gradients import GradientCheck
from diffcompare.present import verdict_text

WORST_SHOWN = 6  # rows of the table in a failure message


def headline(check: GradientCheck) -> str:
    count = len({entry.label for entry, _ in check.failures()})
    what = check.under_test or "our methods"
    against = {"exact": "the exact reference", "autograd": "autograd (no exact reference)",
               "finite_difference": "finite differences (not traced)"}[check.reference]
    mode = "full gradient" if check.mode == "full" else f"{check.directions} random directions"
    if check.ok:
        kinked = check.kinked()
        at_kink = f", kink at entry {', '.join(kinked)}" if kinked else ""
        return (f"AGREE: {len(check.entries)} gradient entries ({what} against {against}, "
                f"{mode}{at_kink})")
    if check.status != "disagree":  # a kink or an undefined derivative: compare's words
        verdict = next(verdict_text(c.verdict) for c in check.comparisons
                       if c.verdict.status == check.status)
        return f"{verdict} ({mode})"
    return (f"DISAGREE: {count} of {len(check.entries)} gradient entries wrong "
            f"({what} against {against}, {mode})")


def report(check: GradientCheck, rows: int = WORST_SHOWN) -> str:
    """The headline, the pattern, the notes and a compact table of the worst entries."""
    lines = [headline(check)]
    if check.pattern:
        lines.append(f"pattern: {check.pattern}")
    lines.extend(f"note: {note}" for note in check.notes)
    lines.append(worst_table(check, rows))
    failing = list(dict.fromkeys(entry.label for entry, _ in check.failures()))
    if len(failing) > rows:
        lines.append(f"... and {len(failing) - rows} more wrong entries")
    return "\n".join(lines)


def worst_table(check: GradientCheck, rows: int = WORST_SHOWN, tablefmt: str = "simple") -> str:
    """The worst ``rows`` failing entries (the first entries when none fails): each
    method's number, ✗ where it is outside its bound, and the digits of the first."""
    failing = list(dict.fromkeys(entry.label for entry, _ in check.failures()))
    shown = [entry for entry in check.entries if entry.label in failing[:rows]] or \
        list(check.entries[:rows])
    table = []
    for entry in shown:
        row = [entry.label, _number(entry.exact)]
        for method in check.methods:
            error = entry.errors.get(method)
            mark = "" if error is None or error.within is not False else " ✗"
            row.append(_number(entry.numbers.get(method)) + mark)
        error = entry.errors.get(check.methods[0])
        row.append("" if error is None or error.digits is None else f"{error.digits:.1f}")
        table.append(row)
    headers = ["entry", "exact", *check.methods, f"digits ({check.methods[0]})"]
    return tabulate(table, headers=headers, tablefmt=tablefmt, disable_numparse=True)


def _number(value) -> str:
    return "—" if value is None else f"{value:.10g}"
