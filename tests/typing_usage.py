"""The public API as a user's code uses it: tests/test_packaging.py runs mypy on this file
(never imported by the tests: every use sits inside a function)."""

from diffcompare import Comparison, Expression, InputError, Value, compare, parse


def use_compare() -> bool:
    result: Comparison = compare("x**2*sin(y)", at="x=1,y=2")
    formula: str = result.reference.formula
    gradient: float | None = result.reference.gradient["x"]
    return result.agree and bool(formula) and gradient is not None


def use_value() -> float:
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    out = (a * b + a ** 2).tanh()
    out.backward()
    return a.grad + out.data


def use_parse() -> tuple[str, ...]:
    try:
        expression: Expression = parse("x*y")
    except InputError as error:
        return (error.one_line(),)
    return expression.variables
