"""The expression tree: the one data structure every method interprets.

A parsed expression is a small immutable DAG of three kinds of node: constants,
variables and calls of primitives. A name assigned once in a program and used twice
is one shared node, exactly as a micrograd ``Value`` used twice is one node.

``Expression.nodes`` lists every node reachable from the output with children before
parents, so an interpreter is a loop over that list (``evaluate``), never a recursion:
depth is no limit anywhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
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
    return evaluate(expression, float_interpretation(point))


def complex_interpretation(point: Mapping[str, complex]) -> Interpretation:
    """Evaluation over complex numbers near the real axis, the interpreter of the complex
    step. Every primitive must have a complex implementation (abs and relu have none):
    check with ``non_analytic`` first."""
    return Interpretation(
        constant=lambda node: node.value,
        variable=lambda name: point[name],
        call=lambda primitive, *args: primitive.evaluate_complex(*args),
    )


def evaluate_complex(expression: Expression, point: Mapping[str, complex]) -> complex:
    return complex(evaluate(expression, complex_interpretation(point)))


def non_analytic(expression: Expression) -> tuple[str, ...]:
    """Names of the primitives in ``expression`` that have no complex implementation."""
    names = {node.primitive.name for node in expression.nodes
             if isinstance(node, Call) and node.primitive.evaluate_complex is None}
    return tuple(sorted(names))
