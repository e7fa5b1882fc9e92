"""Second order for a learner's engine: Hessians by ``backward(create_graph=True)``.

PyTorch spells double backward ``loss.backward(create_graph=True)``: the backward pass
is itself recorded, so each leaf's ``.grad`` is a value with a graph of its own, and a
second ``backward()`` from ``x.grad`` gives row x of the Hessian (reverse-over-reverse).
A class whose ``backward`` takes ``create_graph`` is checked on a few Hessians against
sympy's exact values; one whose ``backward`` does not is "unsupported" for second order,
never a failure (micrograd's, and our own ``Value``, have first order only).

Each Hessian row is read the way PyTorch users do it: zero the leaves' grads, call
``backward()`` on the first pass's ``x.grad``, read the leaves' grads. That happens in
the engine's own process (``child.hessian``): the learner's class never runs in ours;
the exact Hessians (sympy) are computed here, once per case.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Mapping

from diffcompare.check import user_graph
from diffcompare.check.child import supports_create_graph  # noqa: F401 - part of this API
from diffcompare.check.isolation import ChildLost, EngineProcess
from diffcompare.check.user_engine import DEFAULT_TIMEOUT, load
from diffcompare.language.corpus import TANH_NEURON, TANH_NEURON_POINT
from diffcompare.language.expression import Expression
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


def check_second_order(engine, timeout: float | None = DEFAULT_TIMEOUT,
                       process: EngineProcess | None = None) -> SecondOrderReport:
    """Every case of ``CASES`` with the user's class, against sympy's Hessian.

    ``engine`` is a class or where one is (as for ``check_engine``); it runs in the
    engine's process, ``process`` when given (``check_engine`` shares its own), else one
    of its own. A class whose ``backward`` takes no ``create_graph`` is unsupported.
    Raises ``InputError`` when the class does not load.

    >>> from diffcompare import Value
    >>> check_second_order(Value).supported
    False
    """
    if process is None:
        found = load(engine)
        with found.process() as own:
            return check_second_order(found, timeout, own)
    results = []
    for case in CASES:
        result = _check(process, *case, timeout)
        if isinstance(result, str):
            return SecondOrderReport(False, result)
        results.append(result)
    return SecondOrderReport(True, "", tuple(results))


@functools.lru_cache(maxsize=None)
def _exact(text: str, at: str) -> tuple[Expression, Mapping, symbolic_matrices.SymbolicMatrix]:
    expression = parse(text)
    point = parse_point(at, expression)
    return expression, point, symbolic_matrices.hessian(expression, point)


def warm() -> None:
    """Compute the exact Hessians now (before threads check several engines at once)."""
    for _, text, at in CASES:
        _exact(text, at)


def _check(process: EngineProcess, name: str, text: str, at: str,
           timeout) -> SecondOrderResult | str:
    """The case's result, or the reason second order is unsupported (a string)."""
    expression, point, exact = _exact(text, at)
    names = expression.variables
    request = {"hessian": user_graph.encode(expression),
               "point": {variable: float(point[variable]) for variable in names}}
    try:
        reply = process.ask(request, timeout, "a Hessian by backward(create_graph=True)")
    except ChildLost as lost:
        return SecondOrderResult(name, text, None, exact, str(lost))
    if "unsupported" in reply:
        return reply["unsupported"]
    if "rows" not in reply:
        return SecondOrderResult(name, text, None, exact,
                                 reply.get("failure") or reply.get("error", "no reply"))
    rows = tuple(tuple(row) for row in reply["rows"])
    hessian = MatrixDerivatives(METHOD, "hessian", names, names, rows, Cost(len(names), 0.0))
    wrong = {}
    for i in range(len(names)):
        for j in range(len(names)):
            error = measure(hessian, exact, (i, j), TOLERANCE)
            if error.within is False:
                wrong[(i, j)] = (rows[i][j], exact.exact[(i, j)])
    return SecondOrderResult(name, text, hessian, exact, "", wrong)
