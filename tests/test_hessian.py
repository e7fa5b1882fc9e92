"""Second derivatives: the Hessian by sympy, forward-over-reverse, second differences and
the complex step (``--order 2``), each entry measured against the exact value."""

import math
from fractions import Fraction

import pytest

from diffcompare.language.corpus import SMOOTH, TANH_NEURON, TANH_NEURON_POINT
from diffcompare.language.parse import parse
from diffcompare.language.point import parse_point
from diffcompare.matrix_compare import compare_hessian
from diffcompare.methods import difference_matrices, forward, symbolic_matrices
from helpers import run_cli

ROSENBROCK = "(1 - x)**2 + 100*(y - x**2)**2"
AT_MINIMUM = {"x": Fraction(1), "y": Fraction(1)}
ROSENBROCK_HESSIAN = ((802.0, -400.0), (-400.0, 200.0))

# The bounds: the exact-in-floats methods agree to 1e-14 relative; second
# differences at their optimal step to 1e-7; Richardson to 1e-10.
EXACT_AGREEMENT = 1e-14
SECOND_DIFFERENCE_BOUND = 1e-7
RICHARDSON_BOUND = 1e-10
# The observed order of a second difference must be within this of its theory.
ORDER_SLACK = 0.5


def _relative(matrix, exact=ROSENBROCK_HESSIAN) -> float:
    return max(abs(matrix[i][j] - exact[i][j]) / abs(exact[i][j])
               for i in range(len(exact)) for j in range(len(exact)))


# ---- Rosenbrock at its minimum: the must-show ----

def test_hessian_rosenbrock_is_exactly_802_400_200_by_sympy_and_forward_over_reverse():
    expression = parse(ROSENBROCK)
    assert symbolic_matrices.hessian(expression, AT_MINIMUM).entries == ROSENBROCK_HESSIAN
    assert forward.hessian(expression, AT_MINIMUM).entries == ROSENBROCK_HESSIAN


def test_hessian_rosenbrock_complex_step_agrees_to_1e_14():
    result = difference_matrices.hessian(parse(ROSENBROCK), AT_MINIMUM, "complex_step")
    assert _relative(result.entries) <= EXACT_AGREEMENT


@pytest.mark.parametrize("scheme", ["3-point", "5-point"])
def test_hessian_rosenbrock_second_differences_reach_1e_7_at_their_optimal_step(scheme):
    result = difference_matrices.hessian(parse(ROSENBROCK), AT_MINIMUM, scheme)
    assert _relative(result.entries) <= SECOND_DIFFERENCE_BOUND


def test_hessian_rosenbrock_richardson_reaches_1e_10():
    result = difference_matrices.hessian(parse(ROSENBROCK), AT_MINIMUM, "richardson")
    assert _relative(result.entries) <= RICHARDSON_BOUND


def test_hessian_rosenbrock_comparison_agrees_and_every_entry_is_checked():
    result = compare_hessian(ROSENBROCK, at="x=1,y=1")
    assert result.agree
    assert all(error.within for by_entry in result.errors.values() for error in by_entry.values())


# ---- the error model ----

def test_hessian_three_point_optimal_step_is_about_the_fourth_root_of_epsilon():
    diagonal, _ = difference_matrices.STENCILS["3-point"]
    assert 0.5 < diagonal.optimal_step / sys_epsilon() ** 0.25 < 2


def sys_epsilon() -> float:
    import sys
    return sys.float_info.epsilon


def test_hessian_richardson_stencil_cancels_h2_and_h4_on_polynomials():
    # exact for x**6 (the h⁶ term is the first to remain, 1/64 of the 3-point one)
    diagonal, _ = difference_matrices.STENCILS["richardson"]
    assert sum(w for _, _, w in diagonal.points) == pytest.approx(0, abs=1e-12)
    for power in (2, 4):
        moment = sum(w * a**power for a, _, w in diagonal.points)
        assert moment == pytest.approx(2 if power == 2 else 0, abs=1e-9)


@pytest.mark.parametrize("scheme", ["3-point", "5-point"])
@pytest.mark.parametrize("entry", [("x", "x"), ("x", "y")])
def test_hessian_sweep_shows_the_observed_order_of_the_theory(scheme, entry):
    expression = parse("sin(x)*exp(2*y)")
    point = {"x": Fraction(1, 2), "y": Fraction(1, 3)}
    i, j = entry
    exact = (-math.sin(0.5) * math.exp(2 / 3) if i == j
             else 2 * math.cos(0.5) * math.exp(2 / 3))
    result = difference_matrices.sweep(expression, point, i, j, exact, [scheme])
    assert result.observed_order[scheme] == pytest.approx(result.order[scheme], abs=ORDER_SLACK)
    best = result.best_step[scheme]
    assert 0.1 < best / result.theoretical_step[scheme] < 10  # the bottom of the V


def test_hessian_error_estimates_bound_the_true_error_on_the_smooth_corpus():
    misses = []
    for case in SMOOTH[:12]:
        comparison = compare_hessian(case.expression, at=case.at)
        for result in comparison.methods:
            for entry, estimate in result.error_estimates.items():
                error = comparison.errors[result.method][entry]
                if error.absolute is not None and error.absolute > 10 * estimate + 1e-300:
                    misses.append((case.name, result.method, entry))
    assert len(misses) <= 2, misses


# ---- every method agrees on the smooth corpus ----

@pytest.mark.parametrize("case", SMOOTH, ids=lambda case: case.name)
def test_hessian_methods_agree_on_the_smooth_corpus(case):
    result = compare_hessian(case.expression, at=case.at)
    assert result.verdict.status == "agree", [
        (f.method, f.entry, f.error.relative) for f in result.verdict.failures]


# ---- undefined points and kinks: a reason, never a crash ----

def test_hessian_undefined_point_gives_reasons():
    result = compare_hessian("log(x)*y", at="x=-1,y=2")
    assert result.verdict.status == "undefined"
    assert all(entry is None for row in result.methods[0].entries for entry in row)
    assert "log(-1.0)" in next(iter(result.methods[0].reasons.values()))


def test_hessian_at_a_kink_is_undefined_with_the_kink_named():
    result = compare_hessian("abs(x)*y", at="x=0,y=2")
    assert result.verdict.status == "undefined" and result.verdict.kinks == ("abs(x)",)


def test_hessian_complex_step_refuses_a_non_analytic_function_with_a_reason():
    result = difference_matrices.hessian(parse("relu(x)*x"), {"x": Fraction(1)}, "complex_step")
    assert "analytic" in result.reasons[(0, 0)]


# ---- the lecture's tanh neuron against PyTorch ----

def test_hessian_tanh_neuron_matches_torch_autograd_functional_hessian():
    torch = pytest.importorskip("torch", reason="torch is not installed (CI installs "
                                "torch==2.13.0); this test compares against its Hessian")
    expression = parse(TANH_NEURON)
    point = parse_point(TANH_NEURON_POINT, expression)
    names = expression.variables
    ours = forward.hessian(expression, point).entries

    def neuron(v):
        values = dict(zip(names, v))
        return torch.tanh(values["x1"] * values["w1"] + values["x2"] * values["w2"]
                          + values["b"])

    inputs = torch.tensor([float(point[n]) for n in names], dtype=torch.float64)
    theirs = torch.autograd.functional.hessian(neuron, inputs).tolist()
    for i in range(len(names)):
        for j in range(len(names)):
            assert ours[i][j] == pytest.approx(theirs[i][j], rel=1e-12, abs=1e-15)


# ---- the command line ----

def test_cli_order_2_prints_the_hessian_table_and_agrees():
    done = run_cli(ROSENBROCK, "--order", "2", "--at", "x=1,y=1")
    assert done.returncode == 0, done.stderr
    assert "∂²f/∂x∂y" in done.stdout and "forward-over-reverse" in done.stdout
    assert done.stdout.rstrip().splitlines()[-1].startswith("AGREE")


def test_cli_order_2_sweep_prints_the_v_curve():
    done = run_cli("sin(x)*exp(y)", "--order", "2", "--at", "x=0.5,y=0.3", "--sweep")
    assert done.returncode == 0, done.stderr
    assert "step sweep for ∂²f/∂x²" in done.stdout and "theory h" in done.stdout


def test_cli_order_2_refuses_a_list_in_one_line():
    done = run_cli("[x, y]", "--order", "2", "--at", "x=1,y=1")
    assert done.returncode == 2 and "tensor" in done.stderr and done.stderr.count("\n") == 1


# ---- property: random trees ----

from hypothesis import given, settings  # noqa: E402
from test_compare import COORDINATES, EXPRESSIONS  # noqa: E402

# sympy differentiates each tree twice: fewer examples than the first-order property.
HESSIAN_EXAMPLES = 20
# Bounds relative to max(|H_ij|, |f|, 1): AD does the exact float operations (a few ulps
# per operation, times the tree's condition); the 3-point stencil is good to about √ε
# times the size of f's fourth derivatives; forward-over-reverse's H_ij and H_ji are
# summed in different orders.
AD_BOUND = 1e-10
THREE_POINT_BOUND = 1e-4
SYMMETRY_BOUND = 1e-12


@settings(max_examples=HESSIAN_EXAMPLES)
@given(EXPRESSIONS, COORDINATES, COORDINATES)
def test_hessian_property_random_trees_forward_over_reverse_matches_sympy(text, x, y):
    expression = parse(text)
    point = {name: Fraction(repr(v)) for name, v in (("x", x), ("y", y))
             if name in expression.variables}
    exact = symbolic_matrices.hessian(expression, point)
    ours = forward.hessian(expression, point)
    three_point = difference_matrices.hessian(expression, point, "3-point")
    n = len(expression.variables)
    for i in range(n):
        for j in range(n):
            if (i, j) not in exact.exact:
                continue
            reference = float(exact.exact[(i, j)])
            scale = max(abs(reference), abs(exact.values[0] or 0.0), 1.0)
            assert abs(ours.entries[i][j] - reference) <= AD_BOUND * scale
            assert abs(three_point.entries[i][j] - reference) <= THREE_POINT_BOUND * scale
            assert abs(ours.entries[i][j] - ours.entries[j][i]) <= SYMMETRY_BOUND * scale


def test_hessian_exact_zero_is_judged_on_the_absolute_bound():
    # x**3 at 0 read DISAGREE: Richardson's -4.3e-19 against the exact 0 was "relative
    # error inf"; as at first order, an exact zero is held to the method's own estimate
    result = compare_hessian("x**3", at="x=0")
    error = result.errors["finite_difference (richardson)"][(0, 0)]
    assert error.absolute > 0 and error.bound is not None and error.within
    assert result.verdict.status == "agree"
