"""Reverse mode for vector outputs: the Jacobian by our engine, one backward pass per output.

The m outputs are one ``Value`` graph over shared nodes, built once; each backward pass
from output i gives row i (a vector-Jacobian product eᵢᵀ·J). m passes for m outputs,
against forward mode's one pass per input: reverse mode wins when m ≪ n (a loss and its
many parameters), forward mode when n ≪ m.
"""

from __future__ import annotations

import time
from fractions import Fraction
from typing import Mapping

from diffcompare.engine import Value
from diffcompare.language.expression import Interpretation
from diffcompare.language.vector import evaluate_outputs
from diffcompare.methods.autograd import METHOD, _call, _finite
from diffcompare.methods.matrices import MatrixDerivatives, by_passes


def jacobian(vector, point: Mapping[str, Fraction]) -> MatrixDerivatives:
    """The m × n Jacobian of a ``VectorExpression``, a row per backward pass.

    >>> from diffcompare.language.vector import parse_vector
    >>> jacobian(parse_vector("[x*y, x + y]"), {"x": Fraction(2), "y": Fraction(5)}).entries
    ((5.0, 2.0), (1.0, 1.0))
    """
    start = time.perf_counter()
    leaves = {name: Value(float(point[name]), label=name) for name in vector.variables}

    def compute():
        outputs = evaluate_outputs(vector, Interpretation(
            constant=lambda node: node.value, variable=lambda name: leaves[name], call=_call))
        matrix = [_backward(out, leaves) for out in outputs]
        values = [out.data if isinstance(out, Value) else out for out in outputs]
        return matrix, values, None

    return by_passes(METHOD, "jacobian", vector.output_names(), vector.variables,
                     len(vector.outputs), start, compute, "the engine failed at this point",
                     _finite)


def _backward(out, leaves: Mapping[str, Value]) -> list[float]:
    """One backward pass from ``out``: d out / d leaf for every leaf. The leaves are
    zeroed first (backward adds; the graph's inner grads it restores itself)."""
    for leaf in leaves.values():
        leaf.grad = 0.0
    if not isinstance(out, Value):
        return [0.0] * len(leaves)
    out.backward()
    return [leaf.grad for leaf in leaves.values()]
