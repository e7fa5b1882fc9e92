"""gradcheck: the network's loss unrolled into one expression, and its three gradients."""

import random
from fractions import Fraction

from diffcompare import gradcheck
from diffcompare.engine import Value
from diffcompare.language.expression import evaluate_float
from diffcompare.nn import MLP, squared_error
from diffcompare.present import verdict_text
from diffcompare.train import XS, YS


def test_gradcheck_unrolled_loss_is_the_networks_loss_to_the_last_bit():
    for activation in ("tanh", "relu", "linear"):
        model = MLP(3, [4, 4, 1], activation=activation, rng=random.Random(3))
        expression, point = gradcheck.loss_expression(model, XS, YS)
        floats = {name: float(Fraction(value)) for name, value in point.items()}
        loss = squared_error([model(x) for x in XS], YS)
        assert evaluate_float(expression, floats) == loss.data


def test_gradcheck_point_is_each_parameter_exactly_in_parameter_order():
    model = MLP(3, [2, 1], rng=random.Random(3))
    expression, point = gradcheck.loss_expression(model, XS, YS)
    assert list(point) == list(expression.variables) == gradcheck.parameter_names(model)
    assert expression.variables[:4] == ("w1_1_1", "w1_1_2", "w1_1_3", "b1_1")
    assert [Fraction(v) for v in point.values()] == [Fraction(p.data)
                                                      for p in model.parameters()]


def test_gradcheck_lecture_network_three_gradients_agree_to_1e_10():
    # MLP(3, [4, 4, 1]): all 41 parameters, on the first of the lecture's points (the
    # four points take sympy about half a minute: `diffcompare train --check`).
    model = MLP(3, [4, 4, 1], rng=random.Random(1337))
    comparison = gradcheck.check(model, XS[:1], YS[:1])
    assert comparison.agree, verdict_text(comparison.verdict)
    assert len(comparison.expression.variables) == 41
    loss = abs(comparison.reference.value)
    for name, exact in comparison.reference.gradient.items():
        assert comparison.errors["autograd"][name].relative <= gradcheck.TOLERANCE
        # Finite differences: relative to the exact number, or to the loss where that
        # is larger (round-off is relative to f), as in every verdict of diffcompare.
        error = comparison.errors["finite_difference"][name].absolute
        assert error <= gradcheck.TOLERANCE * max(abs(exact), loss)


def test_gradcheck_small_network_on_all_four_points_agrees_to_1e_10():
    comparison = gradcheck.check(MLP(3, [2, 1], rng=random.Random(5)), XS, YS)
    assert comparison.agree, verdict_text(comparison.verdict)
    assert len(comparison.errors["autograd"]) == 1 + 11
    assert all(error.within for by_quantity in comparison.errors.values()
               for error in by_quantity.values())


def test_gradcheck_catches_a_wrong_backward_rule(monkeypatch):
    right_tanh = Value.tanh

    def tanh_with_wrong_slope(x):
        out = right_tanh(x)
        out._da *= 1 + 1e-7  # a slightly wrong local derivative
        return out

    # The autograd method reaches tanh through the row's method spelling, Value.tanh.
    monkeypatch.setattr(Value, "tanh", tanh_with_wrong_slope)
    comparison = gradcheck.check(MLP(3, [2, 1], rng=random.Random(5)), XS, YS)
    assert comparison.verdict.status == "disagree"
    assert "autograd" in verdict_text(comparison.verdict)


def test_gradcheck_richardson_differences_beat_central_differences():
    model = MLP(3, [2, 1], rng=random.Random(5))
    comparison = gradcheck.check(model, XS, YS)
    exact = comparison.reference.gradient
    estimate = comparison.methods[1].gradient
    worst = max(abs(estimate[n] - exact[n]) / abs(exact[n]) for n in exact)
    assert worst < 1e-10
    assert comparison.methods[1].details["scheme"].startswith("central, Richardson")
