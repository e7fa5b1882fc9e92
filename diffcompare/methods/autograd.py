"""The autograd method: our own reverse-mode engine, ``engine.Value``, over the tree."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from fractions import Fraction
from typing import Mapping

from diffcompare import draw, engine
from diffcompare.engine import Value, _reachable
from diffcompare.language import faults
from diffcompare.language.expression import Expression, Interpretation, evaluate
from diffcompare.language.faults import ARITHMETIC_ERRORS, describe
from diffcompare.language import rounding
from diffcompare.language.rounding import (
    ROUNDINGS_PER_OPERATION,
    UNIT_ROUNDOFF,
    constant_error,
    point_error,
)
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
    """Value and gradient by one forward and one backward pass of our engine, each with a
    bound on its rounding error (``error_bounds``, see ``rounding_bounds``).

    ``details["graph"]`` holds the graph after the backward pass and
    ``details["labels"]`` the names to draw on its nodes (``draw.svg``), so that a
    picture needs no second graph."""
    start = time.perf_counter()
    leaves = {name: Value(float(point[name]), label=name) for name in expression.variables}
    records: dict[int, tuple] = {}
    labels: dict[int, str] = {}
    try:
        out = _recorded_graph(expression, leaves, records, labels)
        out.backward()
    except ARITHMETIC_ERRORS as error:
        reason = f"the engine failed at this point: {describe(error)}"
        return Derivatives(
            method=METHOD, value=None, gradient={name: None for name in leaves},
            cost=Cost(evaluations=1, seconds=time.perf_counter() - start),
            reasons={quantity: reason for quantity in ["value", *leaves]},
            details={"failure": describe(error)},
        )
    seconds = time.perf_counter() - start
    reasons = {}
    value = _finite(out.data, "value", reasons)
    gradient = {name: _finite(leaf.grad, name, reasons) for name, leaf in leaves.items()}
    first = {name: first_non_finite(out, leaf, records)
             for name, leaf in leaves.items() if gradient[name] is None}
    for name, found in first.items():
        if found is not None:
            reasons[name] = found.reason()
    bounds = rounding_bounds(out, leaves, point, records)
    return Derivatives(
        method=METHOD, value=value, gradient=gradient,
        cost=Cost(evaluations=1, seconds=seconds, size=len(_reachable(out))),
        reasons=reasons,
        error_bounds={q: bound for q, bound in bounds.items()
                      if math.isfinite(bound) and (value if q == "value" else gradient[q])
                      is not None},
        details={"graph": out, "labels": labels,
                 "non_finite": {name: found for name, found in first.items() if found}},
    )


def _recorded_graph(expression: Expression, leaves: Mapping[str, Value],
                    records: dict[int, tuple], labels: dict[int, str]) -> Value:
    """``build_graph``, noting for each node its primitive and arguments (``records``,
    by node id: what the rounding bound needs) and its label (as ``labelled_graph``)."""

    # Constants-only operations give plain floats, no node (the engine folds them): their
    # rounding is kept here, by id, with the float itself so that the id stays its own.
    computed: dict[int, tuple[float, float]] = {}
    calls = _Calls()  # a fault in a branch that where does not select becomes a NaN node

    def error_of(arg) -> float | None:
        if isinstance(arg, Value):
            return None
        kept = computed.get(id(arg))
        return kept[1] if kept is not None and kept[0] is arg else constant_error(arg)

    def call(primitive, *args):
        out = calls(primitive, *args)
        errors = tuple(error_of(arg) for arg in args)
        if isinstance(out, Value):
            records[id(out)] = (primitive, args, errors)
            _label(out, primitive, args, labels)
        else:
            local = [math.inf if math.isnan(d) else d  # no derivative: no bound
                     for d in rounding.local_derivatives(primitive, list(args), out)]
            carried = sum(abs(d) * e for d, e in zip(local, errors) if e)
            computed[id(out)] = (out, carried + ROUNDINGS_PER_OPERATION * UNIT_ROUNDOFF * abs(out))
        return out

    root = calls.output(evaluate(expression, Interpretation(
        constant=lambda node: node.value, variable=lambda name: leaves[name], call=call)))
    if not root._prev and not root.label:
        root.label = expression.text
    return root


def _label(out: Value, primitive, args, labels: dict[int, str]) -> None:
    if len(args) == 2 and primitive.symbol:
        left, right = (a if isinstance(a, Value) else f"{a:.6g}" for a in args)
        if isinstance(left, str):
            labels[id(out)] = f"{left} {primitive.symbol}"
        elif isinstance(right, str):
            labels[id(out)] = f"{primitive.symbol} {right}"


# ---- running error analysis over the graph as evaluated ----

# The local derivative's sensitivity to its inputs' errors is measured by re-evaluating it
# at inputs moved by this relative step (√u: far above rounding noise, small enough for
# the first-order term to dominate), then scaled down to the inputs' actual error bounds.
SENSITIVITY_STEP = 2.0 ** -26


def rounding_bounds(root: Value, leaves: Mapping[str, Value], point: Mapping[str, Fraction],
                    records: Mapping[int, tuple]) -> dict[str, float]:
    """A first-order bound on the rounding error of f's value and of each partial, by
    running error analysis over the graph as evaluated, with ``language.rounding``'s u
    and k (Higham, "Accuracy and Stability
    of Numerical Algorithms", 2nd ed., §3.3).

    Forward: a node's value error F is what its inputs' errors F_i carry through its local
    derivatives d_i, plus its own rounding: F = Σ|d_i|·F_i + k·u·|out| (k =
    ROUNDINGS_PER_OPERATION); a leaf's F is the distance of the float to the exact point,
    a number constant's u·|c|. f's bound is F at the root.

    Backward, parents before children, with A the adjoint over absolute local derivatives
    (a bound on the terms the adjoint sums) and E the bound on the adjoint's error:
    E_child += |d|·E + (δd + 2u·|d|)·A, where δd is the local derivative's own error (its
    rounding k·u·|d|, and its change when the inputs move by their F) and 2u covers the
    multiply and the add. The partial by x is bounded by E at x's leaf.

    Returns {"value": bound, name: bound, ...}; a bound may be inf or NaN where the
    numbers are not finite.
    """
    u = UNIT_ROUNDOFF
    order = draw.topological_order(root)  # children before parents
    forward: dict[int, float] = {}
    for name, leaf in leaves.items():
        forward[id(leaf)] = point_error(point[name])
    locals_: dict[int, list] = {}
    for node in order:
        if id(node) in forward:
            continue
        record = records.get(id(node))
        if record is None:  # a constant expression: no operation recorded
            forward[id(node)] = u * abs(node.data)
            continue
        primitive, args, constant_errors = record
        edges = _local_derivatives(primitive, args, constant_errors, node.data, forward)
        locals_[id(node)] = edges
        numbers = [arg.data if isinstance(arg, Value) else arg for arg in args]
        carried = rounding.carried(primitive, numbers, node.data,
                                   [error for _, _, _, error in edges])
        forward[id(node)] = float(carried) + ROUNDINGS_PER_OPERATION * u * abs(node.data)
    absolute = {id(root): 1.0}
    error = {id(root): 0.0}
    for node in reversed(order):  # parents before children
        a, e = absolute.get(id(node), 0.0), error.get(id(node), 0.0)
        for child, d, wobble, _ in locals_.get(id(node), ()):
            if child is None:
                continue
            absolute[id(child)] = absolute.get(id(child), 0.0) + abs(d) * a
            error[id(child)] = (error.get(id(child), 0.0) + abs(d) * e
                                + (wobble + 2 * u * abs(d)) * a)
    bounds = {"value": float(forward[id(root)])}
    bounds.update({name: error.get(id(leaf), 0.0) for name, leaf in leaves.items()})
    return bounds


def _local_derivatives(primitive, args, constant_errors, out: float,
                       forward: Mapping[int, float]) -> list:
    """(child or None, d out/d arg, error bound of that local derivative, error bound of
    the argument's value) for each argument of one node; ``constant_errors`` holds the
    bound of each number argument (None for a node)."""
    numbers = [arg.data if isinstance(arg, Value) else arg for arg in args]
    derivatives = rounding.local_derivatives(primitive, numbers, out)
    errors = [forward.get(id(arg), math.inf) if isinstance(arg, Value) else constant
              for arg, constant in zip(args, constant_errors)]
    edges = []
    for k, (arg, d) in enumerate(zip(args, derivatives)):
        if not isinstance(arg, Value) and errors[k] == 0.0:
            # An exact constant (the 2 of x**2): its local derivative does not matter,
            # and may not even be finite (log of a negative base for the exponent).
            edges.append((None, 0.0, 0.0, 0.0))
            continue
        wobble = ROUNDINGS_PER_OPERATION * UNIT_ROUNDOFF * abs(d)
        for j, error_j in enumerate(errors):
            wobble += _sensitivity(primitive, numbers, j, k, d, error_j)
        # tanh' = 1 - out², computed from the rounded out: its own rounding moves it too
        wobble += _out_sensitivity(primitive, numbers, out, k, d)
        edges.append((arg if isinstance(arg, Value) else None, d, wobble, errors[k]))
    return edges


def _sensitivity(primitive, numbers, j: int, k: int, d: float, error_j: float) -> float:
    """How much the k-th local derivative moves when argument j moves by its error bound:
    the largest change over a step of SENSITIVITY_STEP·|x_j| either way, scaled to it."""
    if error_j == 0.0 or not math.isfinite(d):
        return 0.0
    x = numbers[j]
    step = max(abs(error_j), SENSITIVITY_STEP * abs(x))
    largest = 0.0
    for moved in (x - step, x + step):
        shifted = list(numbers)
        shifted[j] = moved
        try:
            moved_out = primitive.evaluate(*shifted)
            d_moved = rounding.local_derivatives(primitive, shifted, moved_out)[k]
        except ARITHMETIC_ERRORS:
            continue  # that side leaves the domain: the other side measures
        if math.isfinite(d_moved):
            largest = max(largest, abs(d_moved - d))
    # error_j / step <= 1: the ratio first, as the product underflows near x = 1e-320
    return largest * (abs(error_j) / step)


def _out_sensitivity(primitive, numbers, out: float, k: int, d: float) -> float:
    """How much the k-th local derivative moves when ``out``, which the table's rules
    reuse (tanh, exp, sqrt, sigmoid), moves by its own rounding."""
    error = ROUNDINGS_PER_OPERATION * UNIT_ROUNDOFF * abs(out)
    if error == 0.0 or not math.isfinite(d) or not math.isfinite(out):
        return 0.0
    step = SENSITIVITY_STEP * abs(out)
    largest = 0.0
    for moved in (out - step, out + step):
        try:
            d_moved = rounding.local_derivatives(primitive, numbers, moved)[k]
        except ARITHMETIC_ERRORS:
            continue
        if math.isfinite(d_moved):
            largest = max(largest, abs(d_moved - d))
    return largest * error / step


# ---- NaN and inf in the backward pass, by their cause ----

DEAD_BRANCH = "dead_branch"  # ∞·0: an infinite local derivative times a zero adjoint
OVERFLOW = "overflow"  # finite factors whose product is beyond the float range
INFINITE_SLOPE = "infinite_slope"  # an infinite local derivative with a non-zero adjoint
NOT_REAL = "not_real"  # a NaN local derivative: not a real number here (log of (-2) in d/dy (-2)**y)
INHERITED = "inherited"  # the forward value itself is not finite
# a node outside its domain (NaN) in the branch a selection does not take: its zero
# adjoint times the NaN is NaN, the where-trap of PyTorch and JAX
UNSELECTED_BRANCH = "unselected_branch"


@dataclass(frozen=True)
class NonFinite:
    """Where a partial derivative first stops being finite in the backward pass: the
    node (``op``, its ``node`` text e.g. "sqrt") whose local derivative times its adjoint
    is the first NaN or inf on the way to the variable, and the ``cause``."""

    variable: str
    op: str
    cause: str
    local: float  # the local derivative at that node
    adjoint: float  # the adjoint it multiplied

    def reason(self) -> str:
        """The cause in words."""
        at = f"at the {self.op} node"
        if self.cause == DEAD_BRANCH:
            return (f"the engine gave NaN from ∞·0 in the chain rule {at}: its local "
                    f"derivative {self.local!r} times the adjoint {self.adjoint!r} reaching "
                    "it (a dead branch, as sqrt at 0 behind relu or abs, or the where "
                    "trap); the exact derivative can still exist")
        if self.cause == OVERFLOW:
            return (f"the engine's backward pass overflowed {at}: local derivative "
                    f"{self.local!r} times adjoint {self.adjoint!r} is beyond the float range")
        if self.cause == INFINITE_SLOPE:
            return (f"the engine gave {self.local!r} {at}: its slope is infinite here, "
                    "so the derivative is infinite or undefined unless another path "
                    "cancels it")
        if self.cause == NOT_REAL:
            return (f"the engine gave NaN {at}: its local derivative is not a real number "
                    "here, so there is no real derivative")
        if self.cause == UNSELECTED_BRANCH:
            return (f"the engine gave NaN {at}: that node is outside its domain here, in a "
                    "branch that where does not select; where sends it a zero adjoint, "
                    "and 0 × NaN is NaN in the chain rule (the where-trap of PyTorch and "
                    "JAX: mask the input, not the output); the exact derivative can exist")
        return f"the engine's value is not finite {at}"


def rounding_bounds_at(expression: Expression, point: Mapping[str, Fraction]) -> dict[str, float]:
    """``rounding_bounds`` of our engine's graph of ``expression`` at ``point``: what
    floats allow a correct reverse pass, the bound a user's engine is held to; empty
    where the engine cannot build the graph."""
    leaves = {name: Value(float(point[name]), label=name) for name in expression.variables}
    records: dict[int, tuple] = {}
    try:
        out = _recorded_graph(expression, leaves, records, {})
        out.backward()
    except ARITHMETIC_ERRORS:
        return {}
    return {q: bound for q, bound in rounding_bounds(out, leaves, point, records).items()
            if math.isfinite(bound)}


def first_non_finite(root: Value, leaf: Value, records: Mapping[int, tuple]) -> NonFinite | None:
    """The node, in the backward pass's order, where ``leaf``'s partial stops being finite,
    and why; None when every contribution is finite.

    For a NaN partial it is the first NaN: an inf met by a 0 (∞·0: a local derivative
    that is inf times an adjoint that is 0, or an inf adjoint times a 0 local derivative,
    relu behind sqrt at 0) or a local derivative that is NaN itself. For an inf partial
    it is the first inf: an infinite slope or an overflow."""
    order = draw.topological_order(root)
    reaches = _reaching(order, leaf)
    want_nan = math.isnan(leaf.grad)
    for node in reversed(order):  # parents before children, as the backward pass goes
        if id(node) not in reaches or node is leaf:
            continue
        adjoint = node.grad
        for child, local in ((node._a, node._da), (node._b, node._db)):
            if child is None or id(child) not in reaches:
                continue
            product = local * adjoint
            if math.isfinite(product) or (want_nan and not math.isnan(product)):
                continue
            if math.isnan(adjoint) or (not want_nan and math.isinf(adjoint)):
                continue  # inherited from a parent: the cause is further up
            record = records.get(id(node))
            op = record[0].name if record else (node._op or "operation")  # (primitive, ...)
            return NonFinite(leaf.label, op, _cause(node, local, adjoint), local, adjoint)
    return None


def _cause(node: Value, local: float, adjoint: float) -> str:
    if math.isnan(node.data) and adjoint == 0.0:
        return UNSELECTED_BRANCH
    if not math.isfinite(node.data):
        return INHERITED
    if math.isnan(local):
        return NOT_REAL
    if math.isinf(local) and adjoint == 0.0 or math.isinf(adjoint) and local == 0.0:
        return DEAD_BRANCH
    if math.isinf(local):
        return INFINITE_SLOPE
    return OVERFLOW


def _reaching(order: list, leaf: Value) -> set[int]:
    """The ids of the nodes that depend on ``leaf`` (``leaf`` included)."""
    reaching = {id(leaf)}
    for node in order:  # children before parents
        if any(child is not None and id(child) in reaching for child in (node._a, node._b)):
            reaching.add(id(node))
    return reaching


def _finite(number: float, quantity: str, reasons: dict) -> float | None:
    if math.isfinite(number):
        return number
    if math.isnan(number):
        reasons[quantity] = "the engine gave NaN (not a number)"
    else:
        reasons[quantity] = ("the engine gave infinity: the slope is infinite here, or a "
                             "product overflowed in the backward pass")
    return None
