
import pytest
from hypothesis import given
from hypothesis import strategies as st

from diffcompare import compare, parse
from diffcompare.language.corpus import CORPUS, TANH_NEURON, TANH_NEURON_POINT
from diffcompare.language.primitives import FUNCTIONS
from diffcompare.present import verdict_text


def test_compare_quadratic_derivative_is_14_by_all_methods():
    result = compare("3*x**2 - 4*x + 5", at="x=3")
    assert result.reference.gradient["x"] == 14.0
    assert result.methods[0].gradient["x"] == 14.0  # autograd
    assert result.methods[1].gradient["x"] == pytest.approx(14.0, rel=1e-9)  # central
    assert result.agree


def test_compare_tanh_neuron_as_expression():
    result = compare(TANH_NEURON, at=TANH_NEURON_POINT)
    autograd = result.methods[0]
    assert autograd.value == pytest.approx(0.7071067811865476, rel=1e-15)
    assert autograd.gradient["x1"] == pytest.approx(-1.5, rel=1e-12)
    assert autograd.gradient["w1"] == pytest.approx(1.0, rel=1e-12)
    assert autograd.gradient["x2"] == pytest.approx(0.5, rel=1e-12)
    assert autograd.gradient["w2"] == 0.0
    assert result.agree


def test_compare_corpus_uses_every_primitive():
    names = set()
    for case in CORPUS:
        names |= {node.primitive.name for node in parse(case.expression).nodes
                  if hasattr(node, "primitive")}
    assert set(FUNCTIONS) <= names and len(CORPUS) >= 30


def _relative(result, method, quantity):
    return result.errors[method][quantity].relative


@pytest.mark.parametrize("case", CORPUS, ids=[case.name for case in CORPUS])
def test_compare_corpus_methods_agree(case):
    result = compare(case.expression, at=case.at)
    assert result.agree, verdict_text(result.verdict)
    for quantity in result.quantities:
        exact = abs(float(result.reference.exact[quantity]))
        autograd_error = result.errors["autograd"][quantity].absolute
        fd_error = result.errors["finite_difference"][quantity].absolute
        # relative to the exact number, or absolute when that is 0
        assert autograd_error <= 1e-12 * max(exact, 1e-300) or autograd_error == 0
        assert fd_error <= 1e-6 * max(exact, 1e-300) or fd_error == 0


def test_compare_disagreement_is_reported():
    # A deliberately wrong "method" shows that the verdict can fail.
    from diffcompare.compare import METHODS
    from diffcompare.methods.results import Cost, Derivatives

    def wrong(expression, point):
        return Derivatives("wrong", 0.0, {name: 0.0 for name in expression.variables},
                           Cost(1, 0.0))

    result = compare("x**2", at="x=3", methods={**METHODS, "wrong": wrong})
    assert not result.agree and "wrong" in verdict_text(result.verdict)


def test_compare_default_point_is_deterministic_and_finite():
    first = compare("log(x) + sqrt(y) + 1/(x - 0.5)")
    second = compare("log(x) + sqrt(y) + 1/(x - 0.5)")
    assert first.point == second.point and first.point_chosen
    assert all(value is not None for value in first.methods[0].gradient.values())


def test_compare_point_decimal_is_exact():
    result = compare("x*exp(-x)", at="x=0.1")
    assert str(result.point["x"]) == "1/10"
    # d/dx x e^-x = (1 - x) e^-x at exactly 1/10
    assert result.reference.exact["x"].startswith("0.81435367623236361584782")


# ---- property: random expression trees over every primitive ----

def _leaf():
    return st.sampled_from(["x", "y", "0.5", "2", "1.5"])


def _grow(children):
    u, v = children, children
    return st.one_of(
        st.tuples(u, st.sampled_from(["+", "-", "*"]), v).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        st.tuples(u, v).map(lambda t: f"({t[0]} / (2 + sin({t[1]})))"),
        st.tuples(u, st.sampled_from(["2", "3", "-1"])).map(lambda t: f"({t[0]})**{t[1]}"
                                                             if t[1] != "-1" else f"(2 + cos({t[0]}))**-1"),
        u.map(lambda a: f"(2 + sin({a}))**tanh(x)"),
        st.tuples(st.sampled_from(["sin", "cos", "tanh", "sigmoid"]), u).map(lambda t: f"{t[0]}({t[1]})"),
        u.map(lambda a: f"exp(tanh({a}))"),
        u.map(lambda a: f"log(2 + sin({a}))"),
        u.map(lambda a: f"sqrt(2 + cos({a}))"),
        u.map(lambda a: f"tan(0.5*sin({a}))"),
        u.map(lambda a: f"relu(2 + sin({a}))"),
        u.map(lambda a: f"abs(2 + cos({a}))"),
    )


EXPRESSIONS = st.recursive(_leaf(), _grow, max_leaves=8)
COORDINATES = st.floats(min_value=-2, max_value=2, allow_nan=False).map(lambda v: round(v, 3))


@given(EXPRESSIONS, COORDINATES, COORDINATES)
def test_compare_property_random_trees_agree(text, x, y):
    expression = parse(text)
    at = {"x": x, "y": y}
    # No time budget: sympy takes seconds on a few trees (the derivative of abs asks many
    # questions of its argument), and a budget would make the reference depend on the load.
    result = compare(expression, at={k: v for k, v in at.items() if k in expression.variables},
                     timeout=None)
    for quantity in result.quantities:
        exact = float(result.reference.exact[quantity])
        scale = max(abs(exact), 1.0)
        assert result.errors["autograd"][quantity].absolute <= 1e-12 * scale
        assert result.errors["finite_difference"][quantity].absolute <= 1e-6 * scale


def test_compare_default_point_finds_a_domain_away_from_the_origin():
    # Regression: log(x - 3) got x = 0.5, outside its domain.
    result = compare("log(x - 3) + sqrt(y - 5)")
    assert result.point["x"] > 3 and result.point["y"] > 5 and result.agree


# ---- where: the where-trap of PyTorch and JAX ----

def test_compare_where_trap_autograd_gives_nan_where_the_derivative_is_one():
    # At x = -1 where selects x; the sqrt branch is computed too, and its local derivative
    # (NaN at -1, inf at 0) times the 0 that where sends it is NaN: the gradient is NaN.
    result = compare("where(x > 0, sqrt(x), x)", at="x=-1")
    autograd, finite_difference, forward = result.methods
    assert result.reference.gradient["x"] == 1.0
    assert autograd.value == -1.0 and autograd.gradient["x"] is None
    assert "NaN" in autograd.reasons["x"]
    assert forward.value == -1.0 and forward.gradient["x"] is None  # forward mode: the same trap
    assert "where-trap" in forward.reasons["x"]
    assert finite_difference.gradient["x"] == pytest.approx(1.0, rel=1e-9)
    assert result.verdict.status == "disagree"
    assert "autograd" in verdict_text(result.verdict) and "NaN" in verdict_text(result.verdict)


@pytest.mark.parametrize("text, at", [
    ("where(x > 0, x, log(x - x))", "x=1"),  # log'(0) = 1/0 in the branch not selected
    ("where(x > 0, x, 1/(x - x))", "x=2"),  # and 1/0
])
def test_compare_where_trap_with_no_local_derivative_is_the_trap_not_a_failed_method(text, at):
    # The rounding bound asked log for its derivative at 0 and met ZeroDivisionError:
    # autograd and forward mode were "not judged (the method failed)" and the verdict AGREE.
    result = compare(text, at=at)
    autograd, _, forward = result.methods
    assert autograd.value is not None and autograd.gradient["x"] is None
    assert "where-trap" in autograd.reasons["x"]
    assert forward.value is not None  # forward mode ran and was judged
    assert result.verdict.status == "disagree"


@pytest.mark.parametrize("text", ["where(0.5 >= atan(-1), 1, log(erf(0)))",
                                  "where(softplus(2) >= 0*pi, 0.5/pi, 0.5/0)"])
def test_compare_constant_where_with_a_pole_in_the_branch_not_selected(text):
    # The fuzzer's internal error (exit 70): ZeroDivisionError from the same bound.
    assert compare(text).agree


def test_compare_where_fault_in_the_selected_branch_still_counts():
    result = compare("where(x > 0, x, log(x))", at="x=-1")
    assert result.methods[0].value is None and "log(-1.0)" in result.methods[0].reasons["value"]
    assert result.methods[1].value is None


def test_compare_where_away_from_its_switch_agrees():
    assert compare("where(x >= 1, x**2, 2*x - 1) + max(x, y)", at="x=1.5,y=0.5").agree


def test_compare_list_points_to_compare_jacobian():
    # compare("[x, y]") said "lists: not allowed; use numbers, ..." though the command
    # line takes lists: the Python API names the function that does
    import pytest

    from diffcompare.language.errors import InputError
    with pytest.raises(InputError, match="compare_jacobian"):
        compare("[x, y]", at="x=1,y=2")


def test_compare_corpus_line_with_a_list_says_reports_do_not_support_it_yet():
    from diffcompare.language.corpus_file import parse_corpus
    entries, (problem,) = parse_corpus("[x*y, sin(x)] @ x=1,y=2\n", "c.txt")
    assert entries == [] and "not supported in reports yet" in problem.message
