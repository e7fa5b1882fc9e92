from fractions import Fraction

import pytest

from diffcompare import Value, compare
from diffcompare.corpus import MICROGRAD_README


def micrograd_readme():
    """micrograd's README example, written exactly as there."""
    a = Value(-4.0)
    b = Value(2.0)
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    g.backward()
    return a, b, g


def test_engine_micrograd_readme_example_matches_exact_values():
    a, b, g = micrograd_readme()
    assert g.data == pytest.approx(float(Fraction(2421, 98)), rel=1e-12)
    assert a.grad == pytest.approx(float(Fraction(47620, 343)), rel=1e-12)
    assert b.grad == pytest.approx(float(Fraction(221433, 343)), rel=1e-12)


def test_engine_micrograd_readme_as_program_agrees_with_symbolic():
    result = compare(MICROGRAD_README, at="a=-4,b=2")
    assert result.reference.exact["value"].startswith("24.704081632653")  # 2421/98
    assert float(result.reference.exact["a"]) == pytest.approx(47620 / 343, rel=1e-15)
    assert float(result.reference.exact["b"]) == pytest.approx(221433 / 343, rel=1e-15)
    assert result.errors["autograd"]["a"].relative < 1e-12
    assert result.errors["autograd"]["b"].relative < 1e-12
    assert result.agree


def test_engine_tanh_neuron_from_the_lecture():
    x1, x2 = Value(2.0), Value(0.0)
    w1, w2 = Value(-3.0), Value(1.0)
    b = Value(6.8813735870195432)
    o = (x1 * w1 + x2 * w2 + b).tanh()
    o.backward()
    assert o.data == pytest.approx(0.7071067811865476, rel=1e-15)
    assert (x1.grad, w1.grad, x2.grad, w2.grad) == pytest.approx((-1.5, 1.0, 0.5, 0.0), abs=1e-12)


def test_engine_reused_node_accumulates():
    a = Value(3.0)
    (a + a).backward()
    assert a.grad == 2.0
    a = Value(3.0)
    b = a * a
    (b + b).backward()
    assert a.grad == 12.0


def test_engine_backward_twice_accumulates_like_pytorch():
    a = Value(3.0)
    b = a * a
    b.backward()
    b.backward()
    assert a.grad == 12.0
    b.zero_grad()
    assert a.grad == 0.0 and b.grad == 0.0


def test_engine_deep_graph_has_no_recursion_limit():
    x = Value(0.5)
    y = x
    for _ in range(100_000):
        y = y * 1.0 + 0.0
    y.backward()
    assert x.grad == 1.0


def test_engine_keeps_micrograd_public_api():
    a = Value(2.0, label="a")
    b = a.exp().tanh().relu() - 1
    assert {"data", "grad", "backward"} <= set(dir(b))
    assert b._op and isinstance(b._prev, (tuple, set))
    assert a.label == "a"
    assert repr(Value(1.5)) == "Value(data=1.5, grad=0.0)"
