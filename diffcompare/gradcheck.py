"""The gradient check of a network: its loss gradient by all three methods, side by side.

``loss_expression(model, xs, ys)`` unrolls the network's squared-error loss into one
expression tree: the same operations in the same order as ``nn`` (``weighted_sum``,
``ACTIVATIONS``, ``squared_error``), run on expression nodes instead of ``Value`` nodes,
with one variable per parameter and the data as exact constants. ``check`` hands that
tree to ``compare.compare``, so sympy differentiates the unrolled loss, our engine
backpropagates through it, and finite differences evaluate it, each on its own.

The finite differences here are central differences extrapolated twice by Richardson
(error O(h⁶)), because plain central differences (error about 1e-9 relative on this
loss) cannot show an agreement to ``TOLERANCE``.

>>> import random
>>> from diffcompare.nn import MLP
>>> expression, point = loss_expression(MLP(2, [1], rng=random.Random(0)), [[1, 2]], [1])
>>> expression.variables
('w1_1_1', 'w1_1_2', 'b1_1')
"""

from __future__ import annotations

import math
import sys
import time
from dataclasses import replace
from decimal import Decimal
from fractions import Fraction
from typing import Mapping, Sequence

from diffcompare.compare import Comparison, compare
from diffcompare.language.errors import InputError
from diffcompare.language.expression import Call, Const, Expression, Var, evaluate_float
from diffcompare.language.faults import ARITHMETIC_ERRORS, describe
from diffcompare.language.primitives import PRIMITIVES
from diffcompare.methods import autograd
from diffcompare.methods.results import Cost, Derivatives
from diffcompare.nn import ACTIVATIONS, MLP, squared_error, weighted_sum

# The relative agreement the issue asks of the three gradients.
TOLERANCE = 1e-10

EPSILON = sys.float_info.epsilon
# Richardson levels and first step. Two levels cancel the h² and h⁴ terms, leaving
# O(h⁶) truncation against O(ε/h) round-off: the optimum is near h ≈ ε^(1/7) ≈ 6e-3;
# twice that measured best on the lecture's network (worst relative error ~2e-11).
RICHARDSON_LEVELS = 2
RICHARDSON_STEP = 2 * EPSILON ** (1 / 7)


# ---- the network's loss as an expression tree ----


class _Traced:
    """An expression node with ``Value``'s operators, so network code can build trees."""

    __slots__ = ("node",)

    def __init__(self, node):
        self.node = node

    def __add__(self, other):
        return _call("add", self, other)

    def __radd__(self, other):
        return _call("add", other, self)

    def __sub__(self, other):
        return _call("sub", self, other)

    def __rsub__(self, other):
        return _call("sub", other, self)

    def __mul__(self, other):
        return _call("mul", self, other)

    def __rmul__(self, other):
        return _call("mul", other, self)

    def __pow__(self, other):
        return _call("pow", self, other)

    def tanh(self):
        return _call("tanh", self)

    def relu(self):
        return _call("relu", self)


def _call(name: str, *args) -> _Traced:
    return _Traced(Call(PRIMITIVES[name], tuple(_tree(arg) for arg in args)))


def _tree(arg):
    if isinstance(arg, _Traced):
        return arg.node
    number = float(arg)
    return Const(number, Fraction(number), repr(number))


def parameter_names(model: MLP) -> list[str]:
    """``w{layer}_{neuron}_{input}`` and ``b{layer}_{neuron}``, counted from 1, in the
    order of ``model.parameters()``."""
    names = []
    for l, layer in enumerate(model.layers, start=1):
        for j, neuron in enumerate(layer.neurons, start=1):
            names += [f"w{l}_{j}_{i}" for i in range(1, len(neuron.w) + 1)]
            names.append(f"b{l}_{j}")
    return names


def loss_expression(model: MLP, xs: Sequence[Sequence[float]],
                    ys: Sequence[float]) -> tuple[Expression, dict[str, str]]:
    """The squared-error loss of ``model`` on the data as an expression over one variable
    per parameter, and the point: each parameter's current value, exactly.

    Raises ``InputError`` when a parameter is infinite or NaN (training diverged).
    """
    names = parameter_names(model)
    not_finite = [name for p, name in zip(model.parameters(), names)
                  if not math.isfinite(p.data)]
    if not_finite:
        shown = ", ".join(not_finite[:3]) + (", ..." if len(not_finite) > 3 else "")
        verb = "is" if len(not_finite) == 1 else "are"
        raise InputError(f"the gradient can only be checked at finite parameters, and {shown} "
                         f"{verb} not finite (did the training diverge?)")
    variable = {id(p): _Traced(Var(name)) for p, name in zip(model.parameters(), names)}

    def forward(x):  # MLP.__call__, Layer.__call__ and Neuron.__call__ on the variables
        for layer in model.layers:
            x = [ACTIVATIONS[n.activation](weighted_sum([variable[id(w)] for w in n.w],
                                                        variable[id(n.b)], x))
                 for n in layer.neurons]
        return x[0] if len(x) == 1 else x

    loss = squared_error([forward(x) for x in xs], ys)
    sizes = [len(layer.neurons) for layer in model.layers]
    text = f"squared error of MLP({len(model.layers[0].neurons[0].w)}, {sizes}) " \
           f"on {len(xs)} points"
    # Variables in the order of model.parameters(), not in order of first use.
    expression = replace(Expression.from_output(text, _tree(loss)), variables=tuple(names))
    # Exact decimal expansions of the floats: the reference is at exactly this point.
    point = {name: format(Decimal(p.data), "f") for p, name in zip(model.parameters(), names)}
    return expression, point


# ---- finite differences good to about 1e-11 ----


def richardson(expression: Expression, point: Mapping[str, Fraction]) -> Derivatives:
    """Central differences, extrapolated ``RICHARDSON_LEVELS`` times: plain float
    evaluation at nearby points, nothing else. ``(2·levels + 2)·n + 1`` evaluations."""
    start = time.perf_counter()
    floats = {name: float(point[name]) for name in expression.variables}
    evaluations = 0

    def f(name, value):
        nonlocal evaluations
        evaluations += 1
        return evaluate_float(expression, {**floats, name: value})

    reasons: dict[str, str] = {}
    try:
        value = evaluate_float(expression, floats)
        evaluations += 1
    except ARITHMETIC_ERRORS as error:
        value = None
        reasons["value"] = f"the function cannot be evaluated here: {describe(error)}"
    gradient: dict[str, float | None] = {}
    for name, x in floats.items():
        try:
            estimate = _extrapolated_slope(lambda v: f(name, v), x)
        except ARITHMETIC_ERRORS as error:
            estimate = None
            reasons[name] = f"f cannot be evaluated near {name}: {describe(error)}"
        if estimate is not None and not math.isfinite(estimate):
            estimate = None
            reasons[name] = "the difference quotient is not finite"
        gradient[name] = estimate
    return Derivatives(
        method="finite_difference", value=value, gradient=gradient,
        cost=Cost(evaluations=evaluations, seconds=time.perf_counter() - start),
        reasons=reasons,
        details={"scheme": f"central, Richardson-extrapolated {RICHARDSON_LEVELS} times"},
    )


def _extrapolated_slope(f, x: float) -> float:
    h = RICHARDSON_STEP * max(1.0, abs(x))
    estimates = []
    for k in range(RICHARDSON_LEVELS + 1):
        step = (x + h / 2 ** k) - x  # exactly representable: x + step - x == step
        estimates.append((f(x + step) - f(x - step)) / (2 * step))
    for level in range(1, RICHARDSON_LEVELS + 1):
        factor = 4 ** level  # halving h divides the h^(2·level) term by this
        estimates = [(factor * finer - coarser) / (factor - 1)
                     for coarser, finer in zip(estimates, estimates[1:])]
    return estimates[0]


# ---- the check ----


def check(model: MLP, xs: Sequence[Sequence[float]], ys: Sequence[float],
          tolerance: float = TOLERANCE) -> Comparison:
    """The loss gradient of ``model`` on the data by all three methods, compared.

    The verdict asks autograd and finite differences to be within ``tolerance`` of the
    symbolic values, relative as everywhere in diffcompare (to the exact number, or to
    the loss when the exact number is near zero).
    """
    expression, point = loss_expression(model, xs, ys)
    methods = {autograd.METHOD: autograd.differentiate, "finite_difference": richardson}
    # Our own network (train caps it at MAX_CHECK_PARAMETERS), not hostile input: sympy gets
    # all the time it needs (timeout=0), since the check means nothing without it.
    return compare(expression, at=point, methods=methods,
                   tolerances={name: tolerance for name in methods}, timeout=0)
