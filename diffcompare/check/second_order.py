"""Second order for a learner's engine: Hessians by ``backward(create_graph=True)``.

PyTorch spells double backward ``loss.backward(create_graph=True)``: the backward pass
is itself recorded, so each leaf's ``.grad`` is a value with a graph of its own, and a
second ``backward()`` from ``x.grad`` gives row x of the Hessian (reverse-over-reverse).
A class whose ``backward`` takes ``create_graph`` is checked on a few Hessians against
sympy's exact values; one whose ``backward`` does not is "unsupported" for second order,
never a failure (micrograd's, and our own ``Value``, have first order only).

Each Hessian row is read the way PyTorch users do it: zero the leaves' grads, call
``backward()`` on the first pass's ``x.grad``, read the leaves' grads.
"""

from __future__ import annotations

import contextlib
import inspect
import io
from dataclasses import dataclass, field
from typing import Mapping

from diffcompare.check.user_engine import DEFAULT_TIMEOUT, time_limit
from diffcompare.check.user_graph import _build
from diffcompare.language.corpus import TANH_NEURON, TANH_NEURON_POINT
from diffcompare.language.parse import parse
from diffcompare.language.point import parse_point
from diffcompare.matrix_compare import TOLERANCES, measure
from diffcompare.methods import symbolic_matrices
from diffcompare.methods.matrices import MatrixDerivatives
from diffcompare.methods.results import Cost

METHOD = "engine (reverse-over-reverse)"
TOLERANCE = TOLERANCES["forward_over_reverse"]  # the exact float operations: a few ulps

# (name, expression, point): a polynomial, the lecture's neuron, a mix of functions.
CASES = (
    ("Rosenbrock at its minimum", "(1 - x)**2 + 100*(y - x**2)**2", "x=1,y=1"),
    ("tanh neuron", TANH_NEURON, TANH_NEURON_POINT),
    ("product and quotient", "x*y*y + x/(y + 2) - x**3", "x=0.7,y=1.3"),
)


@dataclass(frozen=True)
class SecondOrderResult:
    name: str
    expression: str
    hessian: MatrixDerivatives | None  # None when the engine failed; ``failure`` says how
    exact: symbolic_matrices.SymbolicMatrix
    failure: str = ""
    # entries outside the tolerance: (row, column) -> (engine's number, exact text)
    wrong: Mapping[tuple[int, int], tuple[float | None, str]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.failure and not self.wrong


@dataclass(frozen=True)
class SecondOrderReport:
    """``supported`` False: the class's backward takes no ``create_graph`` (``reason``)."""

    supported: bool
    reason: str = ""
    results: tuple[SecondOrderResult, ...] = ()

    @property
    def ok(self) -> bool:
        return all(result.ok for result in self.results)


def supports_create_graph(cls: type) -> bool:
    """Whether ``cls.backward`` accepts ``create_graph`` (by name, or through **kwargs)."""
    try:
        parameters = inspect.signature(cls.backward).parameters.values()
    except (TypeError, ValueError, AttributeError):
        return False
    return any(p.name == "create_graph" or p.kind is inspect.Parameter.VAR_KEYWORD
               for p in parameters)


def check_second_order(cls: type, timeout: float | None = DEFAULT_TIMEOUT) -> SecondOrderReport:
    """Every case of ``CASES`` with the user's class, against sympy's Hessian.

    >>> from diffcompare import Value
    >>> check_second_order(Value).supported
    False
    """
    if not supports_create_graph(cls):
        return SecondOrderReport(False, f"{cls.__name__}.backward() takes no create_graph, "
                                 "so it cannot differentiate its own backward pass")
    return SecondOrderReport(True, "", tuple(_check(cls, *case, timeout) for case in CASES))


def _check(cls: type, name: str, text: str, at: str, timeout) -> SecondOrderResult:
    expression = parse(text)
    point = parse_point(at, expression)
    names = expression.variables
    exact = symbolic_matrices.hessian(expression, point)
    try:
        with time_limit(timeout), contextlib.redirect_stdout(io.StringIO()):
            rows = _hessian(cls, expression, point)
    except Exception as error:  # noqa: BLE001 - whatever the engine raises is its failure
        return SecondOrderResult(name, text, None, exact,
                                 f"{type(error).__name__}: {error}".strip())
    hessian = MatrixDerivatives(METHOD, "hessian", names, names, rows, Cost(len(names), 0.0))
    wrong = {}
    for i in range(len(names)):
        for j in range(len(names)):
            error = measure(hessian, exact, (i, j), TOLERANCE)
            if error.within is False:
                wrong[(i, j)] = (rows[i][j], exact.exact[(i, j)])
    return SecondOrderResult(name, text, hessian, exact, "", wrong)


def _hessian(cls: type, expression, point) -> tuple:
    names = expression.variables
    leaves = {name: cls(float(point[name])) for name in names}
    out = _build(cls, expression, leaves)
    out.backward(create_graph=True)
    gradient = [leaves[name].grad for name in names]
    rows = []
    for first in gradient:
        for leaf in leaves.values():
            leaf.grad = 0.0
        if hasattr(first, "backward"):
            first.backward()
            rows.append(tuple(_float(leaf.grad) for leaf in leaves.values()))
        else:  # a number: this partial does not depend on any leaf
            rows.append((0.0,) * len(names))
    return tuple(rows)


def _float(grad) -> float:
    return float(getattr(grad, "data", grad))
