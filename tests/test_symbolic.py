from fractions import Fraction

from diffcompare import parse
from diffcompare.methods import symbolic


def test_symbolic_tiny_value_is_evaluated_to_full_precision():
    # Regression: a plain evalf(40) called 1 - tanh(1000)**2 "0.e-172" (6.5e-173).
    result = symbolic.differentiate(parse("tanh(x)"), {"x": Fraction(1000)})
    assert result.exact["x"].startswith("1.03061434918445986087606")
    assert result.exact["x"].lower().endswith("e-868")


def test_symbolic_value_indistinguishable_from_zero_is_zero():
    result = symbolic.differentiate(parse("sin(x)**2 + cos(x)**2 - 1"), {"x": Fraction(1, 10)})
    assert result.exact["value"] == "0"


def test_symbolic_sympy_names_are_plain_variables():
    result = symbolic.differentiate(parse("E*I + N"), {"E": Fraction(2), "I": Fraction(3),
                                                     "N": Fraction(5)})
    assert result.gradient == {"E": 3.0, "I": 2.0, "N": 1.0}
