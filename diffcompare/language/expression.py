"""The expression tree: the one data structure every method interprets.

A parsed expression is a small immutable DAG of three kinds of node: constants,
variables and calls of primitives. A name assigned once in a program and used twice
is one shared node, exactly as a micrograd ``Value`` used twice is one node.

``Expression.nodes`` lists every node reachable from the output with children before
parents, so an interpreter is a loop over that list (``evaluate``), never a recursion:
depth is no limit anywhere.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from fractions import Fraction
from functools import cached_property
from typing import Any, Callable, Mapping

from diffcompare.language.primitives import Primitive


@dataclass(frozen=True, eq=False)
class Const:
    """A number. ``exact`` is a Fraction (0.1 is 1/10), or a constant's name ("pi", "e")."""

    value: float
    exact: Fraction | str
    text: str

    @property
    def children(self) -> tuple:
        return ()


@dataclass(frozen=True, eq=False)
class Var:
    name: str

    @property
    def children(self) -> tuple:
        return ()


@dataclass(frozen=True, eq=False)
class Call:
    primitive: Primitive
    args: tuple

    @property
    def children(self) -> tuple:
        return self.args


Node = Const | Var | Call


@dataclass(frozen=True, eq=False)
class Expression:
    """A parsed expression: the output node, its nodes in evaluation order, its variables."""

    text: str
    output: Node
    nodes: tuple = field(repr=False)
    variables: tuple[str, ...]

    @classmethod
    def from_output(cls, text: str, output: Node) -> "Expression":
        nodes = topological_order(output)
        seen: dict[str, None] = {}
        for node in nodes:
            if isinstance(node, Var):
                seen.setdefault(node.name, None)
        return cls(text=text, output=output, nodes=tuple(nodes), variables=tuple(seen))

    @cached_property
    def selects(self) -> bool:
        """Whether a selection (``where``) occurs: then the float interpreters carry
        faults until the selection, instead of raising at once."""
        return any(isinstance(node, Call) and node.primitive.selects is not None
                   for node in self.nodes)

    @property
    def size(self) -> int:
        """Number of distinct nodes: the size of the DAG, shared nodes counted once."""
        return len(self.nodes)


def topological_order(output: Node) -> list:
    """Every node reachable from ``output``, children first, without recursion."""
    order: list = []
    visited: set[int] = set()
    stack: list[tuple[Node, bool]] = [(output, False)]
    while stack:
        node, children_done = stack.pop()
        if children_done:
            order.append(node)
            continue
        if id(node) in visited:
            continue
        visited.add(id(node))
        stack.append((node, True))
        for child in reversed(node.children):
            if id(child) not in visited:
                stack.append((child, False))
    return order


@dataclass(frozen=True)
class Interpretation:
    """How one interpreter reads the three kinds of node.

    ``constant(node)``, ``variable(name)`` and ``call(primitive, *argument_values)``.
    """

    constant: Callable[[Const], Any]
    variable: Callable[[str], Any]
    call: Callable[..., Any]


def evaluate(expression: Expression, interpretation: Interpretation) -> Any:
    """Run one interpreter over the expression: the loop every method shares."""
    values: dict[int, Any] = {}
    for node in expression.nodes:
        if isinstance(node, Call):
            args = [values[id(arg)] for arg in node.args]
            values[id(node)] = interpretation.call(node.primitive, *args)
        elif isinstance(node, Var):
            values[id(node)] = interpretation.variable(node.name)
        else:
            values[id(node)] = interpretation.constant(node)
    return values[id(expression.output)]


class Fault:
    """A value that could not be computed (log(-1)), carried until a selection drops it.

    A float interpreter that meets a selection (``where``) evaluates both branches, as
    NumPy, PyTorch and JAX do; a fault in the branch not selected must not stop it.
    """

    __slots__ = ("error",)

    def __init__(self, error: Exception):
        self.error = error


def _carrying_faults(call: Callable) -> Callable:
    """``call`` that returns a ``Fault`` instead of raising, and passes faults on: to
    every call, except a selection whose condition and selected argument have none."""
    from diffcompare.language.faults import ARITHMETIC_ERRORS

    def carrying(primitive, *args):
        faulty = [arg for arg in args if isinstance(arg, Fault)]
        if faulty and primitive.selects is not None:
            conditions = [args[position] for position in primitive.conditions]
            faulty = [arg for arg in conditions if isinstance(arg, Fault)]
            if not faulty:
                chosen = args[primitive.selects(*[math.nan if isinstance(arg, Fault) else arg
                                                  for arg in args])]
                faulty = [chosen] if isinstance(chosen, Fault) else []
        if faulty:
            return faulty[0]
        try:
            return call(primitive, *args)
        except ARITHMETIC_ERRORS as error:
            return Fault(error)

    return carrying


def _raising(out):
    if isinstance(out, Fault):
        raise out.error
    return out


def float_interpretation(point: Mapping[str, float]) -> Interpretation:
    """Plain float evaluation, the interpreter that finite differences use. A fault
    (log(-1), overflow, ...) raises with a message naming the operation."""
    from diffcompare.language.faults import call

    return Interpretation(
        constant=lambda node: node.value,
        variable=lambda name: float(point[name]),
        call=call,
    )


def evaluate_float(expression: Expression, point: Mapping[str, float]) -> float:
    """f at ``point`` in floats; raises the fault the output depends on (a fault in a
    branch that a ``where`` does not select is dropped)."""
    interpretation = float_interpretation(point)
    if expression.selects:
        interpretation = replace(interpretation, call=_carrying_faults(interpretation.call))
    return _raising(evaluate(expression, interpretation))


def complex_interpretation(point: Mapping[str, complex]) -> Interpretation:
    """Evaluation over complex numbers near the real axis, the interpreter of the complex
    step. Every primitive must have a complex implementation (abs and relu have none):
    check with ``non_analytic`` first; a row without one raises ``MissingRule``."""
    return Interpretation(
        constant=lambda node: node.value,
        variable=lambda name: point[name],
        call=lambda primitive, *args: primitive.need(
            "evaluate_complex", "the complex step")(*args),
    )


def evaluate_complex(expression: Expression, point: Mapping[str, complex]) -> complex:
    interpretation = complex_interpretation(point)
    if expression.selects:
        interpretation = replace(interpretation, call=_carrying_faults(interpretation.call))
    return complex(_raising(evaluate(expression, interpretation)))


def misplaced_comparison(expression: Expression):
    """The first comparison node that is not a condition of a row that takes one (where's
    first argument), or None. A comparison is 1 or 0, with no use as a number."""
    allowed: set[int] = set()
    for node in expression.nodes:
        if isinstance(node, Call):
            allowed.update(id(node.args[position]) for position in node.primitive.conditions)
    for node in expression.nodes:
        if isinstance(node, Call) and node.primitive.comparison and id(node) not in allowed:
            return node
    return None


def non_analytic(expression: Expression) -> tuple[str, ...]:
    """Names of the primitives in ``expression`` that have no complex implementation."""
    names = {node.primitive.name for node in expression.nodes
             if isinstance(node, Call) and node.primitive.evaluate_complex is None}
    return tuple(sorted(names))
