"""What the methods return for Jacobians and Hessians: plain frozen data.

Shapes: a Jacobian has one row per output (m) and one column per variable (n); a Hessian
one row and one column per variable (n × n). ``entries[i][j]`` is a float, or None when
the method could not give it, and then ``reasons[(i, j)]`` says why.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable, Mapping

from diffcompare.language.faults import ARITHMETIC_ERRORS, describe
from diffcompare.methods.results import Cost


@dataclass(frozen=True)
class MatrixDerivatives:
    """One method's Jacobian or Hessian at a point.

    ``values`` are the function's values (one per output; None where it has none);
    ``error_estimates[(i, j)]`` the method's own estimate of its absolute error, where it
    makes one; ``details`` what else it wants to say (scheme, steps, passes).
    """

    method: str
    kind: str  # "jacobian" or "hessian"
    rows: tuple[str, ...]
    columns: tuple[str, ...]
    entries: tuple[tuple[float | None, ...], ...]
    cost: Cost
    values: tuple[float | None, ...] = ()
    reasons: Mapping[tuple[int, int], str] = field(default_factory=dict)
    error_estimates: Mapping[tuple[int, int], float] = field(default_factory=dict)
    details: Mapping[str, object] = field(default_factory=dict)

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.rows), len(self.columns)


@dataclass(frozen=True)
class SymbolicMatrix(MatrixDerivatives):
    """The reference: sympy's formulas and their exact values as decimal text (``exact``,
    missing an entry that is not a finite real number here; ``exact_values`` likewise for
    the function's values, None where missing)."""

    formulas: Mapping[tuple[int, int], str] = field(default_factory=dict)
    exact: Mapping[tuple[int, int], str] = field(default_factory=dict)
    exact_values: tuple[str | None, ...] = ()
    digits: int = 0


def empty(method: str, kind: str, rows, columns, cost: Cost, reason: str,
          **extra) -> MatrixDerivatives:
    """A result with no numbers at all: every entry says ``reason``."""
    rows, columns = tuple(rows), tuple(columns)
    return MatrixDerivatives(
        method=method, kind=kind, rows=rows, columns=columns,
        entries=tuple((None,) * len(columns) for _ in rows), cost=cost,
        values=(None,) * (len(rows) if kind == "jacobian" else 1),
        reasons={(i, j): reason for i in range(len(rows)) for j in range(len(columns))},
        **extra)


def by_passes(method: str, kind: str, rows, columns, passes: int, start: float,
              compute: Callable[[], tuple], failure: str, finite: Callable,
              errors: tuple = ARITHMETIC_ERRORS) -> MatrixDerivatives:
    """The result of an AD method that makes ``passes`` passes: ``compute()`` returns the
    matrix (rows of floats), the function's values and the size of what it built. An
    error of ``errors`` becomes every entry's reason (``failure: what went wrong``); a
    number that is not finite becomes None with the reason ``finite(number, entry,
    reasons)`` records."""
    try:
        matrix, values, size = compute()
    except errors as error:
        return empty(method, kind, rows, columns,
                     Cost(evaluations=passes, seconds=time.perf_counter() - start),
                     f"{failure}: {describe(error)}", details={"passes": passes})
    seconds = time.perf_counter() - start
    reasons: dict = {}
    entries = tuple(tuple(finite(number, (i, j), reasons) for j, number in enumerate(row))
                    for i, row in enumerate(matrix))
    return MatrixDerivatives(
        method=method, kind=kind, rows=tuple(rows), columns=tuple(columns), entries=entries,
        cost=Cost(evaluations=passes, seconds=seconds, size=size), values=tuple(values),
        reasons=reasons, details={"passes": passes})
