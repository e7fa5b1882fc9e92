"""What the methods return: plain frozen data, formatted only by ``present``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping


def quantity_label(quantity: str) -> str:
    """How a quantity is named to people: "f" for the value, "df/dx" for a partial."""
    return "f" if quantity == "value" else f"df/d{quantity}"


@dataclass(frozen=True)
class Cost:
    """What a method spent: function evaluations, wall time, and the size of what it built
    (graph nodes for autograd, operation count of the formulas for symbolic)."""

    evaluations: int
    seconds: float
    size: int | None = None


@dataclass(frozen=True)
class Derivatives:
    """One method's answer: the function's value and its gradient at the point.

    A ``None`` number means the method could not produce it; ``reasons`` says why,
    keyed by quantity ("value" or a variable name).
    """

    method: str
    value: float | None
    gradient: Mapping[str, float | None]
    cost: Cost
    reasons: Mapping[str, str] = field(default_factory=dict)
    error_estimates: Mapping[str, float] = field(default_factory=dict)
    # A bound on the method's own error, computed in the same run, by quantity (absolute,
    # in f's units); a quantity without one is judged by the method's relative tolerance.
    error_bounds: Mapping[str, float] = field(default_factory=dict)
    details: Mapping[str, object] = field(default_factory=dict)

    def number(self, quantity: str) -> float | None:
        """The value for "value", otherwise the partial derivative by that variable."""
        return self.value if quantity == "value" else self.gradient.get(quantity)


@dataclass(frozen=True)
class SymbolicDerivatives(Derivatives):
    """The reference: sympy's formulas and their values to ``digits`` significant digits.

    ``exact`` holds each quantity's value as a decimal string of that many digits, or
    is missing the quantity when it is not a finite real number at the point.
    """

    formula: str = ""
    gradient_formulas: Mapping[str, str] = field(default_factory=dict)
    exact: Mapping[str, str] = field(default_factory=dict)
    digits: int = 0
