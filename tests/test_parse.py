import pytest

from diffcompare import InputError, parse
from diffcompare.language.expression import Call, Const, Var, evaluate_float


def test_parse_expression_variables_in_order_of_appearance():
    assert parse("x**2*sin(y) + tanh(x*y)").variables == ("x", "y")


@pytest.mark.parametrize("text, point, expected", [
    ("3*x**2 - 4*x + 5", {"x": 3.0}, 20.0),
    ("-x + +x - -x", {"x": 2.0}, 2.0),
    ("2**3**2", {}, 512.0),  # ** is right-associative, as in Python
    ("pi - e", {}, 3.141592653589793 - 2.718281828459045),
    ("c = a + b; c += 1; c *= 2; c -= a; c /= 2; c", {"a": 1.0, "b": 2.0}, 3.5),
    ("x = 1\ny = x*3\ny", {}, 3.0),
])
def test_parse_evaluates_like_python(text, point, expected):
    assert evaluate_float(parse(text), point) == pytest.approx(expected, rel=1e-15)


def test_parse_intermediate_name_used_twice_is_one_shared_node():
    expression = parse("c = a*b; c + c")
    output = expression.output
    assert isinstance(output, Call) and output.args[0] is output.args[1]
    assert expression.size == 4  # a, b, a*b, c + c


def test_parse_variable_is_one_node_however_often_used():
    expression = parse("x*x + x")
    assert sum(isinstance(node, Var) for node in expression.nodes) == 1


def test_parse_decimal_literal_is_exact():
    const = parse("0.1").output
    assert isinstance(const, Const) and str(const.exact) == "1/10"


def test_parse_assignment_may_shadow_constant_e():
    # micrograd's README calls an intermediate e.
    assert evaluate_float(parse("e = 2*x; e + 1"), {"x": 1.0}) == 3.0


def test_parse_long_flat_sum_does_not_recurse():
    expression = parse(" + ".join(f"x{i}" for i in range(2000)))
    assert len(expression.variables) == 2000


REFUSED = {
    "attribute access": "x.real",
    "call of an unknown name": "foo(x)",
    "import": "__import__('os').system('true')",
    "comprehension": "[x for x in y]",
    "lambda": "(lambda: 1)()",
    "string": "'abc'",
    "keyword argument": "sin(x=1)",
    "subscript": "x[0]",
    "comparison": "x < 1",
    "walrus": "(y := 2)",
    "statement": "import os",
    "function definition": "def f(): pass\nf()",
    "wrong arity": "sin(x, y)",
    "function as value": "sin + 1",
    "underscore name": "_x + 1",
    "floor division": "x // 2",
    "complex literal": "2j",
    "syntax error": "x +",
    "empty": "   ",
    "bare expression before the end": "x; y",
    "ends with an assignment": "y = x",
}


@pytest.mark.parametrize("text", REFUSED.values(), ids=REFUSED.keys())
def test_parse_refuses_with_one_exception_type(text):
    with pytest.raises(InputError):
        parse(text)


def test_parse_error_shows_caret_under_offending_part():
    with pytest.raises(InputError) as caught:
        parse("1 + x.real")
    text = str(caught.value)
    source_line, caret_line = text.splitlines()[-2:]
    assert source_line.strip() == "1 + x.real"
    start = caret_line.index("^")
    assert source_line[start:start + caret_line.count("^")] == "x.real"


def test_parse_error_one_line_names_the_place():
    with pytest.raises(InputError) as caught:
        parse("x + foo(1)")
    line = caught.value.one_line()
    assert "\n" not in line and "foo" in line and "column 5" in line


# ---- functions that used to get a wrong hint; comparisons under where ----

@pytest.mark.parametrize("text", ["cosh(x)", "atan2(y, x)", "sinh(x)"])
def test_parse_functions_that_used_to_get_a_wrong_hint_are_functions(text):
    # cosh used to get "did you mean cos?", atan2 "did you mean tan?"
    parse(text)


def test_parse_where_builds_a_comparison_under_where():
    expression = parse("where(x > 0, sqrt(x), x)")
    condition = expression.output.args[0]
    assert expression.output.primitive.name == "where"
    assert condition.primitive.name == "gt" and condition.primitive.comparison


@pytest.mark.parametrize("text, words", [
    # "did you mean": a near miss, or another language's spelling
    ("ln(x)", "did you mean log?"),
    ("arctan(x)", "did you mean atan?"),
    ("arcsin(x)", "did you mean asin?"),
    ("atan3(x)", "did you mean atan?"),
    ("coth(x)", "did you mean 1/tanh(x)?"),
    ("sinn(x)", "did you mean sin?"),
    # comparisons: only as where's condition
    ("x > 0", "only as the condition of where"),
    ("(x < 1) * x", "only as the condition of where"),
    ("where(x > 0, x >= 1, x)", "only as the condition of where"),
    ("where(x, 1, 2)", "must be a comparison"),
    ("where(0 < x < 1, x, 0)", "one comparison at a time"),
    ("where(x == 0, 1, x)", "not supported; use < <= > >="),
])
def test_parse_refusal_of_a_function_or_comparison_says_why_in_one_line(text, words):
    with pytest.raises(InputError) as caught:
        parse(text)
    assert words in caught.value.one_line() and "\n" not in caught.value.one_line()
