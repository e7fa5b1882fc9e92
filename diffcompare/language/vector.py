"""Vector outputs: several expressions over one set of variables, sharing nodes.

``"[x*y, sin(x)*z]"`` or a program ending in a tuple (``"a = x*y; a, sin(a)*z"``) is a
function from n inputs to m outputs; its derivative is the m × n Jacobian. A name
assigned once and used by two outputs is one node, as in a scalar program, so a method
that walks ``nodes`` does the shared work once.
"""

from __future__ import annotations

import ast
import warnings
from dataclasses import dataclass, field
from typing import Any, Mapping

from diffcompare.language.expression import (
    Call,
    Expression,
    Interpretation,
    Var,
    float_interpretation,
    topological_order,
)
from diffcompare.language.limits import DEFAULT, Limits
from diffcompare.language.parse import _AST_LOCK, parse_outputs


@dataclass(frozen=True, eq=False)
class VectorExpression:
    """m output nodes over n variables.

    ``nodes`` lists every node reachable from any output, children before parents, each
    once; ``variables`` every free variable in order of appearance; ``listed`` is True
    when the text ended in a list or tuple (a one-element list is still a vector).
    """

    text: str
    outputs: tuple
    nodes: tuple = field(repr=False)
    variables: tuple[str, ...]
    listed: bool = True

    @classmethod
    def from_outputs(cls, text: str, outputs: tuple, listed: bool = True) -> "VectorExpression":
        seen_nodes: dict[int, object] = {}
        for output in outputs:
            for node in topological_order(output):
                seen_nodes.setdefault(id(node), node)
        variables: dict[str, None] = {}
        for node in seen_nodes.values():
            if isinstance(node, Var):
                variables.setdefault(node.name, None)
        return cls(text, tuple(outputs), tuple(seen_nodes.values()), tuple(variables), listed)

    @property
    def size(self) -> int:
        """Number of distinct nodes, shared ones counted once (as ``Expression.size``)."""
        return len(self.nodes)

    @property
    def shape(self) -> tuple[int, int]:
        """(m, n): outputs by inputs, the shape of the Jacobian."""
        return len(self.outputs), len(self.variables)

    def component(self, index: int) -> Expression:
        """Output ``index`` alone, as a scalar expression (its own variables only)."""
        return Expression.from_output(f"{self.text} [{index}]", self.outputs[index])

    def output_names(self) -> tuple[str, ...]:
        """f1, f2, ...: how the outputs are named to people."""
        return tuple(f"f{i + 1}" for i in range(len(self.outputs)))


def parse_vector(text: str, limits: Limits = DEFAULT) -> VectorExpression:
    """Parse a list of expressions, or a program ending in a tuple or list.

    >>> f = parse_vector("[x*y, sin(x)*z]")
    >>> f.variables, f.shape
    (('x', 'y', 'z'), (2, 3))
    >>> parse_vector("a = x*y; a, sin(a)*z").shape
    (2, 3)
    """
    outputs, listed = parse_outputs(text, limits)
    return VectorExpression.from_outputs(text, outputs, listed)


def evaluate_outputs(vector: VectorExpression, interpretation: Interpretation) -> tuple:
    """Run one interpreter over every node once; the outputs' values, in order."""
    values: dict[int, Any] = {}
    for node in vector.nodes:
        if isinstance(node, Call):
            values[id(node)] = interpretation.call(node.primitive,
                                                   *(values[id(arg)] for arg in node.args))
        elif isinstance(node, Var):
            values[id(node)] = interpretation.variable(node.name)
        else:
            values[id(node)] = interpretation.constant(node)
    return tuple(values[id(output)] for output in vector.outputs)


def evaluate_vector(vector: VectorExpression, point: Mapping[str, float]) -> tuple[float, ...]:
    """The outputs in floats; a fault raises with the failing operation named.

    >>> evaluate_vector(parse_vector("[x*y, x + y]"), {"x": 2.0, "y": 5.0})
    (10.0, 7.0)
    """
    return evaluate_outputs(vector, float_interpretation(point))


def ends_in_list(text: str, limits: Limits = DEFAULT) -> bool:
    """Whether ``text`` is a list of expressions or a program ending in a tuple or list,
    by Python's parser alone (which runs nothing). Text it cannot parse is not a list:
    ``parse`` then says what is wrong with it.

    >>> ends_in_list("[x*y, sin(x)]"), ends_in_list("a = x; a, a"), ends_in_list("(x + 1)")
    (True, True, False)
    """
    if not isinstance(text, str) or len(text) > limits.length:
        return False
    try:
        # as in parse: Python's SyntaxWarnings would be extra lines on stderr
        with _AST_LOCK, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            module = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    last = module.body[-1] if module.body else None
    return isinstance(last, ast.Expr) and isinstance(last.value, (ast.List, ast.Tuple))
