"""A small neural-net library on top of ``engine.Value``, compatible with micrograd's.

``Neuron(nin)``, ``Layer(nin, nout)`` and ``MLP(nin, nouts)`` are called on a list of
inputs (numbers or ``Value`` nodes) and have ``parameters()`` and ``zero_grad()``, as in
micrograd. The activation is tanh in every neuron by default, as in the lecture;
``activation="relu"`` or ``"linear"`` choose another, and an ``MLP`` also takes one
activation per layer (micrograd's own MLP is ``activation=["relu", ..., "linear"]``).

Weights and biases start uniform in [-1, 1], as in the lecture, drawn from ``rng`` (a
``random.Random``) when one is given, otherwise from the ``random`` module like micrograd.

>>> import random
>>> model = MLP(3, [4, 4, 1], rng=random.Random(0))
>>> model
MLP of [Layer of [TanhNeuron(3), TanhNeuron(3), TanhNeuron(3), TanhNeuron(3)], \
Layer of [TanhNeuron(4), TanhNeuron(4), TanhNeuron(4), TanhNeuron(4)], Layer of [TanhNeuron(4)]]
>>> len(model.parameters())
41
>>> loss = (model([2.0, 3.0, -1.0]) - 1.0) ** 2
>>> loss.backward(); model.zero_grad()
"""

from __future__ import annotations

import random
from operator import methodcaller
from typing import Sequence

from diffcompare.engine import Value


def _linear(act):
    return act


# activation name -> what it does to a neuron's weighted sum: a call of the ``Value``
# method of that name (so ``gradcheck`` can run it on expression nodes too).
ACTIVATIONS = {
    "tanh": methodcaller("tanh"),
    "relu": methodcaller("relu"),
    "linear": _linear,
}


def weighted_sum(weights: Sequence, bias, x: Sequence):
    """``b + w0*x0 + w1*x1 + ...``, added left to right as micrograd's ``sum`` does."""
    act = bias
    for w, xi in zip(weights, x):
        act = act + w * xi
    return act


class Module:
    """What every part of a network has: its parameters, and a way to zero their grads."""

    def parameters(self) -> list[Value]:
        return []

    def zero_grad(self) -> None:
        """Set every parameter's ``.grad`` to 0; call it before each ``backward()``."""
        for p in self.parameters():
            p.grad = 0.0


class Neuron(Module):
    """One neuron, as in the lecture: ``activation(w · x + b)`` over ``nin`` inputs, with
    weights drawn uniformly from [-1, 1] (``rng``, for reproducible runs). Calling it
    on ``nin`` numbers or Values returns one Value."""

    def __init__(self, nin: int, activation: str = "tanh", rng: random.Random | None = None):
        if activation not in ACTIVATIONS:
            raise ValueError(f"unknown activation {activation!r}; "
                             f"choose one of {', '.join(ACTIVATIONS)}")
        uniform = (rng or random).uniform
        self.w = [Value(uniform(-1, 1)) for _ in range(nin)]
        self.b = Value(uniform(-1, 1))
        self.activation = activation
        self._activate = ACTIVATIONS[activation]

    def __call__(self, x: Sequence) -> Value:
        return self._activate(weighted_sum(self.w, self.b, x))

    def parameters(self) -> list[Value]:
        return self.w + [self.b]

    def __repr__(self) -> str:
        return f"{self.activation.capitalize()}Neuron({len(self.w)})"


class Layer(Module):
    """``nout`` neurons over the same ``nin`` inputs; calling it returns a list of
    ``nout`` Values (one Value when ``nout`` is 1, as in micrograd)."""

    def __init__(self, nin: int, nout: int, activation: str = "tanh",
                 rng: random.Random | None = None):
        self.neurons = [Neuron(nin, activation, rng) for _ in range(nout)]

    def __call__(self, x: Sequence):
        """The neurons' outputs: a list, or a single ``Value`` for a layer of one neuron."""
        out = [n(x) for n in self.neurons]
        return out[0] if len(out) == 1 else out

    def parameters(self) -> list[Value]:
        return [p for n in self.neurons for p in n.parameters()]

    def __repr__(self) -> str:
        return f"Layer of [{', '.join(str(n) for n in self.neurons)}]"


class MLP(Module):
    """A multilayer perceptron, ``MLP(nin, [sizes of the layers])``, as in the lecture:
    each layer's activation is ``activation`` (one name, or one per layer: "tanh",
    "relu" or "linear"). Raises ValueError for an unknown activation."""

    def __init__(self, nin: int, nouts: Sequence[int], activation: str | Sequence[str] = "tanh",
                 rng: random.Random | None = None):
        nouts = list(nouts)
        if isinstance(activation, str):
            activation = [activation] * len(nouts)
        if len(activation) != len(nouts):
            raise ValueError(f"give one activation per layer: {len(nouts)} layers, "
                             f"{len(activation)} activations")
        sizes = [nin] + nouts
        self.layers = [Layer(sizes[i], sizes[i + 1], activation[i], rng)
                       for i in range(len(nouts))]

    def __call__(self, x: Sequence):
        for layer in self.layers:
            # A layer of one neuron gives a bare Value, as in micrograd; the next layer
            # takes a list (micrograd's MLP(3, [1, 1]) fails here with a TypeError).
            x = layer([x] if isinstance(x, Value) else x)
        return x

    def parameters(self) -> list[Value]:
        return [p for layer in self.layers for p in layer.parameters()]

    def __repr__(self) -> str:
        return f"MLP of [{', '.join(str(layer) for layer in self.layers)}]"


def squared_error(predictions: Sequence, targets: Sequence[float]):
    """The lecture's loss, ``sum((yout - ygt)**2)``, in the lecture's order."""
    loss = 0.0
    for yout, ygt in zip(predictions, targets):
        loss = loss + (yout - ygt) ** 2
    return loss


def sgd_step(parameters: Sequence[Value], learning_rate: float) -> None:
    """Plain gradient descent: ``p.data -= learning_rate * p.grad`` for every parameter."""
    for p in parameters:
        p.data -= learning_rate * p.grad
