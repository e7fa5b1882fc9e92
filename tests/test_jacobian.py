"""Vector outputs: parsing lists and tuples, and the Jacobian four ways."""

from fractions import Fraction

import pytest

from diffcompare.language.corpus import CORPUS
from diffcompare.language.errors import InputError
from diffcompare.language.expression import Call
from diffcompare.language.parse import parse
from diffcompare.language.point import parse_point
from diffcompare.language.primitives import PRIMITIVES
from diffcompare.language.vector import VectorExpression, ends_in_list, parse_vector
from diffcompare.matrix_compare import compare_jacobian
from diffcompare.methods import autograd_jacobian, forward
from helpers import run_cli

# Forward and reverse mode do the same float operations in another order: a few ulps.
FORWARD_REVERSE_AGREEMENT = 1e-14


# ---- parsing ----

def test_parse_vector_list_and_program_ending_in_a_tuple_share_nodes():
    vector = parse_vector("a = x*y; a, sin(a)*z")
    first, second = vector.outputs
    assert second.args[0].args[0] is first  # sin(a) reads the node a itself
    assert vector.variables == ("x", "y", "z") and vector.shape == (2, 3)


def test_parse_vector_of_one_expression_is_not_listed():
    assert not parse_vector("x*y").listed and parse_vector("[x*y]").listed


def test_parse_vector_refuses_an_empty_list_with_a_caret():
    with pytest.raises(InputError, match="empty list"):
        parse_vector("[]")


def test_parse_still_refuses_a_list_for_a_scalar():
    with pytest.raises(InputError, match="lists"):
        parse("[x, y]")


def test_ends_in_list_needs_the_last_line_to_be_a_list_or_tuple():
    assert ends_in_list("[x, y]") and ends_in_list("a = x; (a, a*a)")
    assert not ends_in_list("x + (y)") and not ends_in_list("[x, y") and not ends_in_list("")


# ---- forward (n passes) and reverse (m passes) agree on the corpus ----

def _vector_from(case) -> tuple[VectorExpression, dict]:
    """Three outputs sharing the case's nodes: f, f·x₁ and sin(f)."""
    expression = parse(case.expression)
    f = expression.output
    first = next(node for node in expression.nodes if not isinstance(node, Call)
                 and hasattr(node, "name"))
    outputs = (f, Call(PRIMITIVES["mul"], (f, first)), Call(PRIMITIVES["sin"], (f,)))
    vector = VectorExpression.from_outputs(case.expression, outputs)
    return vector, parse_point(case.at, expression)


@pytest.mark.parametrize("case", CORPUS, ids=lambda case: case.name)
def test_jacobian_forward_and_reverse_agree_on_the_corpus(case):
    vector, point = _vector_from(case)
    by_forward = forward.jacobian(vector, point)
    by_reverse = autograd_jacobian.jacobian(vector, point)
    assert by_forward.details["passes"] == len(vector.variables)
    assert by_reverse.details["passes"] == 3
    for row_f, row_r in zip(by_forward.entries, by_reverse.entries):
        scale = max(abs(v) for v in row_r)
        for a, b in zip(row_f, row_r):
            assert abs(a - b) <= FORWARD_REVERSE_AGREEMENT * scale, (a, b)


@pytest.mark.parametrize("case", CORPUS[:8], ids=lambda case: case.name)
def test_jacobian_comparison_agrees_on_the_corpus(case):
    vector, _ = _vector_from(case)
    assert compare_jacobian(vector, at=case.at).agree


def test_jacobian_of_a_list_has_the_exact_entries():
    result = compare_jacobian("[x*y, sin(x)*z]", at="x=1,y=2,z=3")
    assert result.reference.entries[0] == (2.0, 1.0, 0.0)
    assert result.agree and [m.method for m in result.methods] == [
        "forward", "autograd", "finite_difference"]


def test_jacobian_undefined_output_gives_reasons_not_a_crash():
    result = compare_jacobian("[log(x), x*y]", at="x=-1,y=2")
    assert result.verdict.status == "undefined"
    assert all(e is None for row in result.methods[1].entries for e in row)


def test_jacobian_chosen_point_when_none_is_given():
    result = compare_jacobian("[log(x), sqrt(y)]")
    assert result.point_chosen and result.agree


# ---- the command line ----

def test_cli_list_prints_the_jacobian_with_passes_in_the_cost_line():
    done = run_cli("[x*y, sin(x)*z]", "--at", "x=1,y=2,z=3")
    assert done.returncode == 0, done.stderr
    assert "∂f2/∂x" in done.stdout
    assert "3 forward passes, one per input" in done.stdout
    assert "2 backward passes, one per output" in done.stdout


def test_cli_program_ending_in_a_tuple_json():
    import json

    done = run_cli("a = x*y; a, sin(a)*z", "--at", "x=1,y=2,z=3", "--json")
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert document["kind"] == "jacobian" and document["verdict"] == "agree"
    assert document["methods"]["forward"]["passes"] == 3


def test_cli_list_refuses_engine_in_one_line():
    done = run_cli("[x, y]", "--at", "x=1,y=1", "--engine", "x.py:Value")
    assert done.returncode == 2 and done.stderr.count("\n") == 1


def test_jacobian_at_a_kink_is_a_kink_not_a_disagreement():
    # abs'(0): sympy says 0, the engines 0, central differences 0; the one-sided
    # derivatives are -1 and 1; relu(y)·x at x = 0 is smooth (0) along both
    result = compare_jacobian("[abs(x), relu(y)*x]", at="x=0,y=0")
    assert result.verdict.status == "kink" and result.verdict.kinks == ("abs(x)",)
    assert result.errors["forward"][(0, 0)].kink


@pytest.mark.parametrize("option, word", [
    (["--fd", "complex_step"], "--fd"), (["--sweep"], "--sweep")])
def test_jacobian_cli_refuses_fd_and_sweep_it_would_ignore(option, word):
    # --fd complex_step and --sweep were silently ignored: central differences, no sweep
    done = run_cli("[x*y, sin(x)]", "--at", "x=1,y=2", *option)
    assert done.returncode == 2 and done.stdout == ""
    assert word in done.stderr and done.stderr.count("\n") == 1
