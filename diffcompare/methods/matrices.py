"""What the methods return for Jacobians and Hessians: plain frozen data.

Shapes: a Jacobian has one row per output (m) and one column per variable (n); a Hessian
one row and one column per variable (n × n). ``entries[i][j]`` is a float, or None when
the method could not give it, and then ``reasons[(i, j)]`` says why.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

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
