"""Forward mode: dual numbers over the expression tree, one pass per input.

A pass seeds one direction v (a tangent per variable) and carries (value, tangent)
through the tree, dual numbers, with the primitive table's local derivatives: it gives
the Jacobian-vector product J·v. The value parts and local derivatives are the same in
every pass, so ``linearize`` computes them once and each pass carries the tangents
(``tangent_pass``): per node the same work as a backward pass, which keeps the cost
comparison with reverse mode fair (``benchmarks/jacobian_cost.py``). Seeding the unit
vectors gives the gradient, or a Jacobian's columns, one per pass: n passes for n inputs,
against reverse mode's one backward pass per output. It does the same float operations
as reverse mode, so it is exact in the same sense: only rounding separates it from the
exact derivative.

Second order, ``hessian``: forward-over-reverse. Each pass pushes a tangent v through
the forward sweep and then through the reverse sweep, which gives the gradient and its
directional derivative, the Hessian-vector product H·v (Pearlmutter, "Fast exact
multiplication by the Hessian", Neural Computation 6, 1994; Griewank and Walther,
"Evaluating Derivatives", 2nd ed., SIAM 2008, ch. 5). The reverse sweep's tangent needs
the primitives' second derivatives: the primitive table's ``second_derivative`` column.
n passes give the n × n Hessian, column by column.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from fractions import Fraction
from typing import Mapping

from diffcompare.language.expression import Call, Expression, Var
from diffcompare.language.faults import ARITHMETIC_ERRORS, call, describe
from diffcompare.language.primitives import MissingRule, symmetric
from diffcompare.methods.matrices import MatrixDerivatives, by_passes
from diffcompare.methods.results import Cost, Derivatives

METHOD = "forward"
HESSIAN_METHOD = "forward_over_reverse"
WHERE_TRAP = ("forward mode gave NaN: a node outside its domain here sits in a branch that "
              "where does not select, and its NaN tangent times where's zero partial is NaN "
              "(the where-trap of PyTorch and JAX: mask the input, not the output); the "
              "exact derivative can exist")


@dataclass(frozen=True)
class Linearization:
    """f's linear part at a point: what every forward pass shares.

    A dual number's value part and the local derivatives do not depend on the direction,
    so they are computed once (JAX's ``linearize``); a pass then carries the tangents
    alone. ``steps`` lists, in evaluation order, each node that depends on a variable as
    (its slot, ((argument slot, ∂node/∂argument), ...)); ``leaves`` maps each variable to
    its slot; ``outputs`` each output's slot (None for an output that is a constant) and
    ``values`` the outputs' values. ``trapped`` says whether a node outside its domain sits
    in a branch that ``where`` does not select: its NaN tangent times where's zero partial
    is NaN (the where-trap of PyTorch and JAX), as in reverse mode.
    """

    leaves: Mapping[str, int]
    steps: tuple
    outputs: tuple
    values: tuple
    slots: int
    trapped: bool = False


def linearize(nodes, outputs, floats: Mapping[str, float]) -> Linearization:
    """Evaluate every node once with its local derivatives from the primitive table.
    Raises ``ValueError``, ``ZeroDivisionError`` or ``OverflowError`` with the failing
    operation named, where an output depends on it; a fault in a branch that ``where``
    does not select is a NaN node instead."""
    value: dict[int, float] = {}
    slot: dict[int, int] = {}
    leaves: dict[str, int] = {}
    faults: dict[int, Exception] = {}
    steps = []
    for node in nodes:
        key = id(node)
        if isinstance(node, Var):
            value[key], slot[key] = floats[node.name], len(slot)
            leaves[node.name] = slot[key]
        elif not isinstance(node, Call):
            value[key] = node.value
        else:
            args = [value[id(arg)] for arg in node.args]
            fault = _upstream(node, args, faults)
            if fault is None:
                try:
                    value[key] = call(node.primitive, *args)
                except ARITHMETIC_ERRORS as error:
                    fault = error
            if fault is not None:
                faults[key], value[key] = fault, math.nan
            out = value[key]
            live = [(k, slot[id(arg)]) for k, arg in enumerate(node.args) if id(arg) in slot]
            if not live:
                continue
            if fault is not None:
                partials = (math.nan,) * node.primitive.arity
            else:
                partials = node.primitive.need("derivative", "forward mode")(*args, out)
                if node.primitive.arity == 1:
                    partials = (partials,)
            slot[key] = len(slot)
            steps.append((slot[key], tuple((source, partials[k]) for k, source in live)))
    for output in outputs:
        if id(output) in faults:
            raise faults[id(output)]
    return Linearization(leaves, tuple(steps), tuple(slot.get(id(o)) for o in outputs),
                         tuple(value[id(o)] for o in outputs), len(slot), bool(faults))


def _upstream(node: Call, args: list, faults: Mapping[int, Exception]) -> Exception | None:
    """The fault a call inherits: its first faulty argument's, or for a selection
    (``where``), that of a condition or of the selected argument only."""
    faulty = [faults.get(id(arg)) for arg in node.args]
    primitive = node.primitive
    if primitive.selects is not None and not any(faulty[k] for k in primitive.conditions):
        faulty = [faulty[k] for k in (*primitive.conditions, primitive.selects(*args))]
    return next((fault for fault in faulty if fault is not None), None)


def tangent_pass(linear: Linearization, direction: Mapping[str, float]) -> tuple:
    """One forward pass: the outputs' tangents J·v for the tangents ``direction`` (a
    variable not in it has tangent 0). A zero tangent adds nothing, even where its
    partial is NaN or infinite (x**y at x < 0 has no real partial in y, which must not
    spoil the partial in x)."""
    tangent = [0.0] * linear.slots
    for name, index in linear.leaves.items():
        tangent[index] = direction.get(name, 0.0)
    for target, terms in linear.steps:
        total = 0.0
        for source, partial in terms:
            if tangent[source]:
                total += partial * tangent[source]
        tangent[target] = total
    return tuple(0.0 if index is None else tangent[index] for index in linear.outputs)


def differentiate(expression: Expression, point: Mapping[str, Fraction]) -> Derivatives:
    """Value and gradient by n forward passes, one per variable.

    >>> from diffcompare.language.parse import parse
    >>> result = differentiate(parse("x**2*y"), {"x": Fraction(3), "y": Fraction(2)})
    >>> result.gradient, result.details["passes"]
    ({'x': 12.0, 'y': 9.0}, 2)
    """
    start = time.perf_counter()
    floats = {name: float(point[name]) for name in expression.variables}
    outputs = (expression.output,)
    value, gradient, reasons = None, {}, {}
    passes = len(floats)
    try:
        linear = linearize(expression.nodes, outputs, floats)
        value = linear.values[0]
        for name in floats:
            gradient[name] = tangent_pass(linear, {name: 1.0})[0]
    except ARITHMETIC_ERRORS as error:
        reason = f"a forward pass failed at this point: {describe(error)}"
        return Derivatives(
            method=METHOD, value=None, gradient={name: None for name in floats},
            cost=Cost(evaluations=passes, seconds=time.perf_counter() - start),
            reasons={quantity: reason for quantity in ["value", *floats]},
            details={"passes": passes})
    seconds = time.perf_counter() - start
    value = _finite(value, "value", reasons)
    gradient = {name: _finite(number, name, reasons) for name, number in gradient.items()}
    if linear.trapped:
        reasons.update({name: WHERE_TRAP for name, number in gradient.items() if number is None})
    return Derivatives(method=METHOD, value=value, gradient=gradient,
                       cost=Cost(evaluations=passes, seconds=seconds, size=expression.size),
                       reasons=reasons, details={"passes": passes})


def jacobian(vector, point: Mapping[str, Fraction]) -> MatrixDerivatives:
    """The m × n Jacobian of a ``VectorExpression``, a column per forward pass (n passes).

    >>> from diffcompare.language.vector import parse_vector
    >>> jacobian(parse_vector("[x*y, x + y]"), {"x": Fraction(2), "y": Fraction(5)}).entries
    ((5.0, 2.0), (1.0, 1.0))
    """
    start = time.perf_counter()
    floats = {name: float(point[name]) for name in vector.variables}
    columns = vector.variables

    def compute():
        linear = linearize(vector.nodes, vector.outputs, floats)
        by_column = [tangent_pass(linear, {name: 1.0}) for name in columns]
        return list(zip(*by_column)), linear.values, len(vector.nodes)

    return by_passes(METHOD, "jacobian", vector.output_names(), columns, len(columns), start,
                     compute, "a forward pass failed at this point", _finite)


# ---- second order: forward-over-reverse ----


def hessian_vector_product(expression: Expression, floats: Mapping[str, float],
                           direction: Mapping[str, float]) -> tuple[float, dict, dict]:
    """(f, ∇f, H·v) at ``floats`` by one forward-over-reverse pass.

    The forward sweep computes each node's value, tangent, local first and second
    derivatives. The reverse sweep carries each node's adjoint ā = ∂f/∂node and its
    tangent ȧ; for out = φ(a, b), argument k gets
        ā_k += ā·φ_k,    ȧ_k += ȧ·φ_k + ā·Σ_l φ_kl·ṫ_l
    over the arguments that depend on a variable. Raises ``MissingRule`` for a primitive
    with no second-derivative row, and the arithmetic errors of ``linearize``.
    """
    value, tangent, first, second, active = {}, {}, {}, {}, {}
    for node in expression.nodes:
        key = id(node)
        if isinstance(node, Var):
            value[key], tangent[key] = floats[node.name], direction.get(node.name, 0.0)
            active[key] = True
        elif not isinstance(node, Call):
            value[key], tangent[key], active[key] = node.value, 0.0, False
        else:
            args = [value[id(a)] for a in node.args]
            out = call(node.primitive, *args)
            value[key] = out
            active[key] = any(active[id(a)] for a in node.args)
            if not active[key]:
                tangent[key] = 0.0
                continue
            arity = node.primitive.arity
            d1 = node.primitive.need("derivative", "forward mode")(*args, out)
            rule = node.primitive.need("second_derivative", "forward-over-reverse Hessians")
            d2 = symmetric(rule(*args, out), arity)
            if arity == 1:
                d1 = (d1,)
            first[key], second[key] = d1, d2
            tangent[key] = sum(d1[k] * tangent[id(a)] for k, a in enumerate(node.args)
                               if active[id(a)] and tangent[id(a)])
    adjoint = {id(expression.output): 1.0}
    adjoint_tangent = {id(expression.output): 0.0}
    for node in reversed(expression.nodes):
        key = id(node)
        if not isinstance(node, Call) or not active[key] or key not in adjoint:
            continue
        a_bar, a_dot = adjoint[key], adjoint_tangent[key]
        live = [(k, id(arg)) for k, arg in enumerate(node.args) if active[id(arg)]]
        for k, child in live:
            curvature = sum(second[key][k][l] * tangent[other] for l, other in live
                            if tangent[other])
            adjoint[child] = adjoint.get(child, 0.0) + a_bar * first[key][k]
            adjoint_tangent[child] = (adjoint_tangent.get(child, 0.0)
                                      + a_dot * first[key][k] + a_bar * curvature)
    leaves = {node.name: id(node) for node in expression.nodes if isinstance(node, Var)}
    gradient = {name: adjoint.get(key, 0.0) for name, key in leaves.items()}
    product = {name: adjoint_tangent.get(key, 0.0) for name, key in leaves.items()}
    return value[id(expression.output)], gradient, product


def hessian(expression: Expression, point: Mapping[str, Fraction]) -> MatrixDerivatives:
    """The n × n Hessian by n forward-over-reverse passes, column j from direction e_j.

    >>> from diffcompare.language.parse import parse
    >>> rosenbrock = parse("(1 - x)**2 + 100*(y - x**2)**2")
    >>> hessian(rosenbrock, {"x": Fraction(1), "y": Fraction(1)}).entries
    ((802.0, -400.0), (-400.0, 200.0))
    """
    start = time.perf_counter()
    names = expression.variables
    floats = {name: float(point[name]) for name in names}

    def compute():
        value, columns = None, []
        for name in names:
            value, _, column = hessian_vector_product(expression, floats, {name: 1.0})
            columns.append([column[row] for row in names])
        return list(zip(*columns)), (value,), expression.size

    return by_passes(HESSIAN_METHOD, "hessian", names, names, len(names), start, compute,
                     "a forward-over-reverse pass failed at this point", _finite,
                     (*ARITHMETIC_ERRORS, MissingRule))


def _finite(number: float, quantity, reasons: dict) -> float | None:
    if math.isfinite(number):
        return number
    reasons[quantity] = ("forward mode gave NaN (not a number): no real derivative here"
                         if math.isnan(number) else
                         "forward mode gave infinity: the slope is infinite here, or a "
                         "product overflowed")
    return None
