"""The methods compared against the exact reference: one entry per method.

A method is a module with a ``differentiate(expression, point) -> Derivatives`` function
and one ``Method`` entry here, which states its cost: ``evaluations(expression)``, the
passes over the expression it makes, which the work limit adds up before any method
starts (``work_passes``). ``compare``, ``present`` (table, verdict, cost line,
``--json``), the report and ``check`` read this registry, so a new method shows
everywhere once it is registered (``register``, or an entry in ``REGISTRY``).

The symbolic method is not an entry: it is the reference the others are measured
against, not one of the methods being judged.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Callable, Iterator, Mapping

from diffcompare.language.expression import Expression
from diffcompare.methods import autograd, finite_difference, forward
from diffcompare.methods.results import Derivatives

Differentiate = Callable[[Expression, Mapping[str, Fraction]], Derivatives]
Evaluations = Callable[[Expression], int]

# Relative tolerance for a method that reports no bound on its own error
# (``Derivatives.error_bounds``): reverse mode's, a few ulps per operation for a
# well-conditioned expression, with room for a few hundred operations.
DEFAULT_TOLERANCE = 1e-9


@dataclass(frozen=True)
class Method:
    """One method: its ``name`` (the key in results and JSON), its ``label`` for people,
    its ``differentiate`` function, its cost ``evaluations(expression)`` in passes over
    the expression, and the relative ``tolerance`` it is held to when it reports no error
    bound of its own."""

    name: str
    label: str
    differentiate: Differentiate
    evaluations: Evaluations
    tolerance: float = DEFAULT_TOLERANCE


def _one_pass_per_variable(expression: Expression) -> int:
    return max(1, len(expression.variables))


def _forward_and_backward(expression: Expression) -> int:
    return 2


# A method of unknown cost (a user's engine, a claim): one forward and one backward pass.
UNKNOWN_COST = _forward_and_backward


def _forward_with_bounds(expression: Expression, point: Mapping[str, Fraction]) -> Derivatives:
    """Forward mode, held to the rounding bound of its float operations.

    Forward and reverse mode compute the same values and the same local derivatives; the
    first-order running error bound sums absolute values over the graph's paths, so it is
    the same whichever way the chain rule runs. The bound is therefore reverse mode's
    ``rounding_bounds_at``, the one a user's engine is held to too (``check.user_graph``):
    forward mode's numbers stay its own, only the yardstick is shared.
    """
    result = forward.differentiate(expression, point)
    bounds = autograd.rounding_bounds_at(expression, point)
    return replace(result, error_bounds={quantity: bound for quantity, bound in bounds.items()
                                         if result.number(quantity) is not None})


# The order here is the order of the table's rows and the report's columns.
REGISTRY: dict[str, Method] = {
    entry.name: entry for entry in (
        Method(autograd.METHOD, "autograd", autograd.differentiate, _forward_and_backward),
        Method(finite_difference.METHOD, "finite difference", finite_difference.differentiate,
               finite_difference.evaluations,
               tolerance=1e-5),  # gradcheck's own rtol: central differences' ~4e-11 and room
        Method(forward.METHOD, "forward mode", _forward_with_bounds, _one_pass_per_variable),
    )
}


def register(method: Method) -> None:
    """Add ``method`` (or replace the entry of the same name)."""
    REGISTRY[method.name] = method


def label(name: str) -> str:
    """How a method is named to people; a method not registered (a user's engine) by its
    own name."""
    entry = REGISTRY.get(name)
    return entry.label if entry is not None else name


def work_passes(methods: Mapping[str, Differentiate], expression: Expression) -> dict[str, int]:
    """{label: passes over ``expression``} for the methods ``compare`` is about to run: a
    method's own ``evaluations`` attribute (``finite_difference.method`` with its
    scheme), else its registry entry's, else ``UNKNOWN_COST``."""
    passes = {}
    for name, differentiate in methods.items():
        entry = REGISTRY.get(name)
        cost = getattr(differentiate, "evaluations", None)
        if cost is None:
            cost = entry.evaluations if entry is not None else UNKNOWN_COST
        passes[getattr(differentiate, "label", label(name))] = cost(expression)
    return passes


class Differentiators(Mapping):
    """The registry as ``{name: differentiate}``, read when used, so a method registered
    later (a test's fixture) is included: what ``compare(methods=None)`` runs."""

    def __getitem__(self, name: str) -> Differentiate:
        return REGISTRY[name].differentiate

    def __iter__(self) -> Iterator[str]:
        return iter(REGISTRY)

    def __len__(self) -> int:
        return len(REGISTRY)
