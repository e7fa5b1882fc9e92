"""The autograd method: our own reverse-mode engine, ``engine.Value``, over the tree."""

from __future__ import annotations

import math
import time
from fractions import Fraction
from typing import Mapping

from diffcompare.engine import Value, _reachable
from diffcompare.language import faults
from diffcompare.language.expression import Expression, Interpretation, evaluate
from diffcompare.language.faults import ARITHMETIC_ERRORS, describe
from diffcompare.methods.results import Cost, Derivatives

METHOD = "autograd"

# Our tree names primitives; the engine spells them as operators and methods.
_VALUE_RULES = {
    "add": lambda x, y: x + y,
    "sub": lambda x, y: x - y,
    "mul": lambda x, y: x * y,
    "div": lambda x, y: x / y,
    "pow": lambda x, y: x ** y,
    "neg": lambda x: -x,
    "sin": Value.sin,
    "cos": Value.cos,
    "tan": Value.tan,
    "exp": Value.exp,
    "log": Value.log,
    "sqrt": Value.sqrt,
    "tanh": Value.tanh,
    "sigmoid": Value.sigmoid,
    "relu": Value.relu,
    "abs": Value.abs,
}



def _call(primitive, *args):
    if not any(isinstance(arg, Value) for arg in args):
        # Constants only: plain float arithmetic, no node.
        return faults.call(primitive, *args)
    numbers = [arg.data if isinstance(arg, Value) else arg for arg in args]
    try:
        out = _VALUE_RULES[primitive.name](*args)
    except ARITHMETIC_ERRORS as error:
        raise faults.explain_engine(primitive, numbers, error) from None
    # The engine answers NaN or inf quietly, as PyTorch does; the method says where.
    faults.check_finite(primitive, numbers, out.data)
    return out


def build_graph(expression: Expression, leaves: Mapping[str, Value]) -> Value:
    """The expression as a ``Value`` graph over the given leaves (one per variable)."""
    out = evaluate(expression, Interpretation(
        constant=lambda node: node.value,
        variable=lambda name: leaves[name],
        call=_call,
    ))
    return out if isinstance(out, Value) else Value(out)


def labelled_graph(expression: Expression, point: Mapping) -> tuple[Value, dict[int, str]]:
    """The engine's graph of ``expression`` at ``point`` after one backward pass, and the
    names to show for its nodes (``draw.svg``'s ``labels``): the variable names on the
    leaves, and an operation with a number operand shows it (``* 2``, ``1 -``), since the
    engine folds numbers into the node."""
    leaves = {name: Value(float(point[name]), label=name) for name in expression.variables}
    labels: dict[int, str] = {}

    def call(primitive, *args):
        out = _call(primitive, *args)
        if isinstance(out, Value) and len(args) == 2 and primitive.symbol:
            left, right = (a if isinstance(a, Value) else f"{a:.6g}" for a in args)
            if isinstance(left, str):
                labels[id(out)] = f"{left} {primitive.symbol}"
            elif isinstance(right, str):
                labels[id(out)] = f"{primitive.symbol} {right}"
        return out

    root = evaluate(expression, Interpretation(
        constant=lambda node: node.value, variable=lambda name: leaves[name], call=call))
    if not isinstance(root, Value):
        root = Value(root, label=expression.text)
    root.backward()
    return root, labels


def differentiate(expression: Expression, point: Mapping[str, Fraction]) -> Derivatives:
    """Value and gradient by one forward and one backward pass of our engine."""
    start = time.perf_counter()
    leaves = {name: Value(float(point[name]), label=name) for name in expression.variables}
    try:
        out = build_graph(expression, leaves)
        out.backward()
    except ARITHMETIC_ERRORS as error:
        reason = f"the engine failed at this point: {describe(error)}"
        return Derivatives(
            method=METHOD, value=None, gradient={name: None for name in leaves},
            cost=Cost(evaluations=1, seconds=time.perf_counter() - start),
            reasons={quantity: reason for quantity in ["value", *leaves]},
        )
    seconds = time.perf_counter() - start
    reasons = {}
    value = _finite(out.data, "value", reasons)
    gradient = {name: _finite(leaf.grad, name, reasons) for name, leaf in leaves.items()}
    return Derivatives(
        method=METHOD, value=value, gradient=gradient,
        cost=Cost(evaluations=1, seconds=seconds, size=len(_reachable(out))),
        reasons=reasons,
    )


def _finite(number: float, quantity: str, reasons: dict) -> float | None:
    if math.isfinite(number):
        return number
    if math.isnan(number):
        reasons[quantity] = "the engine gave NaN (not a number): no real derivative here"
    else:
        reasons[quantity] = ("the engine gave infinity: the slope is infinite here, or a "
                             "product overflowed in the backward pass")
    return None
