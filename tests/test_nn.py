"""nn: Neuron, Layer and MLP, compatible with micrograd's, on top of our Value."""

import math
import random

import pytest

from diffcompare import Value
from diffcompare.nn import MLP, Layer, Neuron, sgd_step, squared_error

XS = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
YS = [1.0, -1.0, -1.0, 1.0]


def test_nn_mlp_has_the_lectures_shape_and_41_parameters():
    model = MLP(3, [4, 4, 1], rng=random.Random(0))
    assert [len(layer.neurons) for layer in model.layers] == [4, 4, 1]
    assert len(model.parameters()) == 3 * 4 + 4 + 4 * 4 + 4 + 4 + 1
    assert all(isinstance(p, Value) and -1 <= p.data <= 1 for p in model.parameters())


def test_nn_default_activation_is_tanh_in_every_neuron():
    model = MLP(3, [4, 4, 1], rng=random.Random(0))
    assert all(n.activation == "tanh" for layer in model.layers for n in layer.neurons)
    out = model(XS[0])
    assert out._op == "tanh"
    neuron = model.layers[-1].neurons[0]
    hidden = model.layers[1]([n(XS[0]) for n in model.layers[0].neurons])
    act = neuron.b.data + sum(w.data * h.data for w, h in zip(neuron.w, hidden))
    assert out.data == pytest.approx(math.tanh(act), rel=1e-14)


@pytest.mark.parametrize("activation, expected", [
    ("relu", lambda act: max(act, 0.0)),
    ("linear", lambda act: act),
    ("tanh", math.tanh),
])
def test_nn_neuron_applies_its_activation_to_the_weighted_sum(activation, expected):
    for seed in range(5):
        neuron = Neuron(3, activation, rng=random.Random(seed))
        act = neuron.b.data + sum(w.data * x for w, x in zip(neuron.w, XS[1]))
        assert neuron(XS[1]).data == pytest.approx(expected(act), rel=1e-14, abs=1e-300)


def test_nn_mlp_takes_one_activation_per_layer_like_micrograds_own_mlp():
    model = MLP(3, [4, 1], activation=["relu", "linear"], rng=random.Random(0))
    assert str(model) == ("MLP of [Layer of [ReluNeuron(3), ReluNeuron(3), ReluNeuron(3), "
                          "ReluNeuron(3)], Layer of [LinearNeuron(4)]]")
    with pytest.raises(ValueError, match="one activation per layer"):
        MLP(3, [4, 1], activation=["relu"])
    with pytest.raises(ValueError, match="unknown activation"):
        Neuron(3, "sigmoidish")


def test_nn_layer_of_one_neuron_returns_a_value_and_wider_layers_a_list():
    assert isinstance(Layer(3, 1, rng=random.Random(0))(XS[0]), Value)
    outs = Layer(3, 2, rng=random.Random(0))(XS[0])
    assert isinstance(outs, list) and len(outs) == 2


def test_nn_same_rng_seed_gives_the_same_network():
    first = [p.data for p in MLP(3, [4, 4, 1], rng=random.Random(7)).parameters()]
    again = [p.data for p in MLP(3, [4, 4, 1], rng=random.Random(7)).parameters()]
    other = [p.data for p in MLP(3, [4, 4, 1], rng=random.Random(8)).parameters()]
    assert first == again != other


def test_nn_without_rng_uses_the_random_module_like_micrograd():
    random.seed(1337)
    first = [p.data for p in MLP(3, [2, 1]).parameters()]
    random.seed(1337)
    assert [p.data for p in MLP(3, [2, 1]).parameters()] == first


def test_nn_zero_grad_clears_every_parameter_after_backward():
    model = MLP(3, [4, 4, 1], rng=random.Random(0))
    squared_error([model(x) for x in XS], YS).backward()
    assert any(p.grad != 0.0 for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())


def test_nn_squared_error_is_the_lectures_sum():
    predictions = [Value(0.5), Value(-0.25)]
    loss = squared_error(predictions, [1.0, -1.0])
    assert loss.data == (0.5 - 1.0) ** 2 + (-0.25 + 1.0) ** 2
    loss.backward()
    assert [p.grad for p in predictions] == [2 * (0.5 - 1.0), 2 * (-0.25 + 1.0)]


def test_nn_sgd_lowers_the_loss_step_by_step_at_the_start():
    model = MLP(3, [4, 4, 1], rng=random.Random(1337))
    losses = []
    for _ in range(5):
        loss = squared_error([model(x) for x in XS], YS)
        losses.append(loss.data)
        model.zero_grad()
        loss.backward()
        sgd_step(model.parameters(), 0.05)
    assert losses == sorted(losses, reverse=True) and losses[-1] < losses[0]


def test_nn_mlp_with_a_hidden_layer_of_one_neuron_runs():
    # MLP(3, [1, 1]) gave "TypeError: 'Value' object is not iterable" (train --sizes 1,1
    # was an internal error): the one-neuron layer's bare Value goes on as a list.
    model = MLP(3, [1, 4, 1], rng=random.Random(0))
    out = model([2.0, 3.0, -1.0])
    out.backward()
    assert isinstance(out, Value) and all(p.grad == p.grad for p in model.parameters())
