"""The autograd method: our own reverse-mode engine, ``engine.Value``, over the tree."""

from __future__ import annotations

import math
import time
from fractions import Fraction
from typing import Mapping

from diffcompare import engine
from diffcompare.engine import Value, _reachable
from diffcompare.language import faults
from diffcompare.language.expression import Expression, Interpretation, evaluate
from diffcompare.language.faults import ARITHMETIC_ERRORS, describe
from diffcompare.methods.results import Cost, Derivatives

METHOD = "autograd"


class _Calls:
    """The engine's reading of one expression's calls, each through ``engine.apply``.

    An operation outside its domain does not stop the build: it becomes an ``undefined``
    node (NaN, as PyTorch computes it), remembered with its fault. Only a selection
    (``where``) can drop it, when it selects the other branch; at the end, an output that
    depends on a fault raises that fault (``output``). So where(x > 0, sqrt(x), x) at -1
    has the value -1 and a NaN gradient, the where-trap of PyTorch and JAX.
    """

    def __init__(self):
        self.faults: dict[int, Exception] = {}  # id of an undefined node -> its fault

    def __call__(self, primitive, *args):
        upstream = self.upstream(primitive, args)
        if upstream is not None:
            return self.undefined(primitive, args, upstream)
        if not any(isinstance(arg, Value) for arg in args):
            # Constants only: plain float arithmetic, no node.
            try:
                return faults.call(primitive, *args)
            except ARITHMETIC_ERRORS as error:
                return self.undefined(primitive, args, error)
        numbers = [arg.data if isinstance(arg, Value) else arg for arg in args]
        try:
            out = engine.apply(primitive, *args)
        except ARITHMETIC_ERRORS as error:
            return self.undefined(primitive, args, faults.explain_engine(primitive, numbers,
                                                                          error))
        try:
            # The engine answers NaN or inf quietly, as PyTorch does; the method says where.
            faults.check_finite(primitive, numbers, out.data)
        except ARITHMETIC_ERRORS as error:
            return self.undefined(primitive, args, error)
        return out

    def upstream(self, primitive, args) -> Exception | None:
        """The fault this call inherits: its first faulty argument's, or for a selection,
        that of the condition or the selected argument only."""
        faulty = [self.faults.get(id(arg)) for arg in args]
        if primitive.selects is not None:
            numbers = [math.nan if fault else _data(arg) for arg, fault in zip(args, faulty)]
            kept = [*primitive.conditions]
            if not any(faulty[position] for position in kept):
                kept.append(primitive.selects(*numbers))
            faulty = [faulty[position] for position in kept]
        return next((fault for fault in faulty if fault is not None), None)

    def undefined(self, primitive, args, fault: Exception) -> Value:
        out = engine.undefined(primitive, *args)
        self.faults[id(out)] = fault
        return out

    def output(self, out) -> Value:
        """The graph's output as a Value; raises the fault it depends on, if any."""
        if id(out) in self.faults:
            raise self.faults[id(out)]
        return out if isinstance(out, Value) else Value(out)


def _call(primitive, *args):
    """One call on its own, its fault raised at once (a float when every argument is)."""
    calls = _Calls()
    out = calls(primitive, *args)
    if id(out) in calls.faults:
        raise calls.faults[id(out)]
    return out


def _data(arg) -> float:
    return arg.data if isinstance(arg, Value) else arg


def build_graph(expression: Expression, leaves: Mapping[str, Value]) -> Value:
    """The expression as a ``Value`` graph over the given leaves (one per variable).

    Raises the first fault the output depends on (``ValueError``, ``ZeroDivisionError``,
    ``OverflowError``, explained by ``faults``)."""
    calls = _Calls()
    out = evaluate(expression, Interpretation(
        constant=lambda node: node.value,
        variable=lambda name: leaves[name],
        call=calls,
    ))
    return calls.output(out)


def labelled_graph(expression: Expression, point: Mapping) -> tuple[Value, dict[int, str]]:
    """The engine's graph of ``expression`` at ``point`` after one backward pass, and the
    names to show for its nodes (``draw.svg``'s ``labels``): the variable names on the
    leaves, and an operation with a number operand shows it (``* 2``, ``1 -``), since the
    engine folds numbers into the node."""
    leaves = {name: Value(float(point[name]), label=name) for name in expression.variables}
    labels: dict[int, str] = {}
    calls = _Calls()

    def call(primitive, *args):
        out = calls(primitive, *args)
        if isinstance(out, Value) and len(args) == 2 and primitive.symbol:
            left, right = (a if isinstance(a, Value) else f"{a:.6g}" for a in args)
            if isinstance(left, str):
                labels[id(out)] = f"{left} {primitive.symbol}"
            elif isinstance(right, str):
                labels[id(out)] = f"{primitive.symbol} {right}"
        return out

    root = calls.output(evaluate(expression, Interpretation(
        constant=lambda node: node.value, variable=lambda name: leaves[name], call=call)))
    if not root._prev and not root.label:
        root.label = expression.text
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
