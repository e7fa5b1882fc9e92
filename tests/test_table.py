"""The primitive table is the one source: a row added to it, and nothing else, reaches
the parser, every method, the terminal and JSON output, the report and check."""

import json
from fractions import Fraction

import pytest

from diffcompare import compare, engine, parse, present
from diffcompare.check.battery import battery, check_engine
from diffcompare.cli import main
from diffcompare.compare import METHODS
from diffcompare.engine import Value
from diffcompare.language.corpus import Case
from diffcompare.language.corpus_file import Entry
from diffcompare.language.expression import evaluate_complex
from diffcompare.language.primitives import PRIMITIVES, MissingRule, Primitive
from diffcompare.methods import finite_difference
from diffcompare.present import verdict_text
from diffcompare.report import cases as report

CUBE = Primitive(
    name="cube", arity=1, evaluate=lambda x: x * x * x, to_sympy=lambda x: x**3,
    derivative=lambda x, out: 3.0 * x * x, evaluate_complex=lambda z: z * z * z,
    second_derivative=lambda x, out: 6.0 * x,
    method="cube", samples=(-1.5, 0.0, 2.0), description="x cubed",
)


@pytest.fixture
def cube(monkeypatch):
    """The throwaway row in the table, and a user's engine that spells it x.cube()."""
    monkeypatch.setitem(PRIMITIVES, "cube", CUBE)
    monkeypatch.setattr(Value, "cube", engine._method(CUBE), raising=False)
    return CUBE


def test_table_new_row_is_parsed(cube):
    expression = parse("cube(x) + x")
    assert expression.output.args[0].primitive is cube


def test_table_new_row_runs_through_every_method(cube):
    methods = {**METHODS, "complex step": finite_difference.method("complex_step")}
    result = compare("cube(x)*y", at="x=1.5,y=-2", methods=methods)
    assert result.agree, verdict_text(result.verdict)
    assert result.reference.gradient_formulas["x"] == "3*x**2*y"
    assert [m.gradient["x"] for m in result.methods] == pytest.approx([-13.5] * len(result.methods))
    assert evaluate_complex(parse("cube(x)"), {"x": complex(2.0, 1e-20)}).imag == \
        pytest.approx(12e-20)


def test_table_new_row_reaches_the_hessian(cube):
    from diffcompare import compare_hessian

    result = compare_hessian("cube(x)*y", at="x=1.5,y=-2")
    assert result.agree
    forward_over_reverse = next(m for m in result.methods if m.method == "forward_over_reverse")
    assert forward_over_reverse.entries == ((-18.0, 6.75), (6.75, 0.0))


def test_table_new_row_in_the_terminal_and_json(cube, capsys):
    result = compare("cube(x)", at="x=2")
    assert "x**3" in present.report(result) and "AGREE" in present.report(result)
    assert main(["cube(x)", "--at", "x=2", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["formulas"] == {"value": "x**3", "x": "3*x**2"}
    assert document["gradient"]["x"]["autograd"] == 12.0 and document["verdict"] == "agree"


def test_table_new_row_in_the_report(cube):
    case = report.build_case(1, Entry(Case("cube", "cube(x) - x", "x=0.5"), "built-in"))
    assert case.comparison.agree and case.comparison.reference.gradient["x"] == -0.25


def test_table_new_row_in_check(cube, tmp_path):
    assert ("cube(x)", "x=0.5") in [(c.expression, c.at) for c in battery()]
    # The engine runs in a process of its own, where this test's monkeypatch is not: its
    # file spells the row itself.
    (tmp_path / "cubing.py").write_text(
        "from diffcompare.engine import Value as Base\n\n\n"
        "class Value(Base):\n"
        "    def cube(self):\n"
        "        return self * self * self\n")
    result = check_engine(f"{tmp_path / 'cubing.py'}:Value")
    checked = [r for r in result.results if r.check.role == "alone:cube"]
    assert result.ok and checked and checked[0].status == "pass"


def test_table_row_without_a_derivative_fails_naming_it(monkeypatch):
    row = Primitive(name="mystery", arity=1, evaluate=lambda x: x, to_sympy=lambda x: x,
                    derivative=None, samples=(1.0,))
    monkeypatch.setitem(PRIMITIVES, "mystery", row)
    with pytest.raises(MissingRule, match="primitive 'mystery' has no derivative "
                                          r"\(needed by the autograd engine\)"):
        engine.apply(row, Value(1.0))


def test_table_row_added_is_no_kink_without_a_switch(cube):
    from diffcompare.methods.kinks import find

    assert find(parse("cube(x)"), {"x": Fraction(0)}) == ()
