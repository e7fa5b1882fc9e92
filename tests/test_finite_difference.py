"""Finite-difference schemes: convergence orders, complex step, error estimates, steps,
the sweep, and the CLI options --fd, --step and --sweep."""

import json
import math
import random
import statistics
from fractions import Fraction
from functools import lru_cache

import mpmath
import pytest
from helpers import run_cli
from hypothesis import given
from hypothesis import strategies as st

from diffcompare import InputError, compare, parse
from diffcompare.cli import main
from diffcompare.compare import METHODS, SAFETY_FACTOR, SCHEME_TOLERANCES
from diffcompare.engine import Value, _reachable
from diffcompare.language.corpus import SMOOTH
from diffcompare.language.expression import (
    Interpretation,
    evaluate,
    evaluate_complex,
    evaluate_float,
    non_analytic,
)
from diffcompare.language.point import parse_point
from diffcompare.language.primitives import PRIMITIVES
from diffcompare.methods import symbolic
from diffcompare.methods.autograd import _call as autograd_call
from diffcompare.methods.autograd import differentiate as autograd_differentiate
from diffcompare.methods.finite_difference import (
    EPSILON,
    METHOD,
    SCHEMES,
    SWEEP_STEPS,
    differentiate,
    method,
    observed_order,
    step_size,
    sweep,
)
from diffcompare.present import verdict_text

# Smooth functions whose derivatives of every order are of moderate size near the point.
ORDER_CASES = [
    ("sin(x)*exp(x)", "x=1.3"),
    ("exp(-x**2/2)/sqrt(2*pi)", "x=0.75"),
    ("sigmoid(3*x - 1)", "x=0.2"),
    ("exp(x)/sqrt(sin(x)**3 + cos(x)**3)", "x=1.5"),
    ("x**y", "x=1.5,y=2.5"),
]
# Richardson's error falls by 64 per halving: decades reach round-off in one step, so its
# order is measured on steps a factor of 2 apart.
HALVING_STEPS = tuple(2.0 ** -k for k in range(3, 45))


@lru_cache(maxsize=None)
def _reference(text: str, at: str):
    expression = parse(text)
    point = parse_point(at, expression)
    return expression, point, symbolic.differentiate(expression, point)


def _error(number: float, exact_text: str) -> float:
    with mpmath.workdps(50):
        return float(abs(mpmath.mpf(number) - mpmath.mpf(exact_text)))


# ---- convergence orders ----

@pytest.mark.parametrize("name", list(SCHEMES))
@pytest.mark.parametrize("text, at", ORDER_CASES)
def test_sweep_observed_order_within_half_of_theory(name, text, at):
    expression, point, reference = _reference(text, at)
    variable = expression.variables[0]
    steps = HALVING_STEPS if name == "richardson" else SWEEP_STEPS
    result = sweep(expression, point, variable, reference.exact[variable], [name], steps)
    assert result.order[name] == SCHEMES[name].order
    assert result.observed_order[name] == pytest.approx(SCHEMES[name].order, abs=0.5)


def test_scheme_orders_are_those_of_the_theory():
    orders = {name: scheme.order for name, scheme in SCHEMES.items()}
    assert orders == {"forward": 1, "backward": 1, "central": 2, "five_point": 4,
                      "richardson": 6, "complex_step": 2}


def test_scheme_optimal_steps_are_about_the_classic_powers_of_epsilon():
    # √ε for one-sided differences, ∛ε for central, ε^(1/5) for the 5-point stencil.
    for name, power in [("forward", 1 / 2), ("backward", 1 / 2), ("central", 1 / 3),
                        ("five_point", 1 / 5)]:
        ratio = SCHEMES[name].optimal_step / EPSILON ** power
        assert 1 / 3 < ratio < 3, name


def test_observed_order_ignores_the_round_off_side():
    steps = [1e-1, 1e-2, 1e-3, 1e-4, 1e-5]
    assert observed_order(steps, [1e-3, 1e-5, 1e-7, 1e-6, 1e-5]) == 2.0
    assert observed_order(steps, [1e-9, 1e-9, 1e-9, 1e-9, 1e-9]) is None
    assert observed_order(steps, [None] * 5) is None


# ---- the complex step ----

SQUIRE_TRAPP = "exp(x)/sqrt(sin(x)**3 + cos(x)**3)"
SQUIRE_TRAPP_DERIVATIVE = "4.05342789389862065771"  # at x = 1.5 (Squire and Trapp 1998)


def test_complex_step_squire_trapp_to_a_few_ulps():
    result = differentiate(parse(SQUIRE_TRAPP), {"x": Fraction(3, 2)}, "complex_step")
    exact = float(SQUIRE_TRAPP_DERIVATIVE)
    assert abs(result.gradient["x"] - exact) <= 4 * math.ulp(exact)


def test_complex_step_squire_trapp_reference_agrees_with_the_literature():
    _, _, reference = _reference(SQUIRE_TRAPP, "x=1.5")
    assert reference.exact["x"].startswith(SQUIRE_TRAPP_DERIVATIVE)


def test_richardson_searched_step_on_squire_trapp_to_3e_13_with_an_honest_estimate():
    # Regression: one fixed step left 1.8e-11 here (f's 7th derivative is about 1e4).
    _, _, reference = _reference(SQUIRE_TRAPP, "x=1.5")
    result = differentiate(parse(SQUIRE_TRAPP), {"x": Fraction(3, 2)}, "richardson")
    error = _error(result.gradient["x"], reference.exact["x"])
    assert error <= 3e-13
    estimate = result.error_estimates["x"] / abs(result.gradient["x"])
    assert error / 10 <= estimate <= error * 10


def test_richardson_search_skips_steps_that_leave_the_domain():
    # log(x) at 0.3: the largest candidate steps reach x <= 0, the smaller ones do not.
    result = differentiate(parse("log(x)"), {"x": Fraction(3, 10)}, "richardson")
    assert result.gradient["x"] == pytest.approx(1 / 0.3, rel=1e-12)
    assert result.details["steps"]["x"] < 0.3 / 2


@pytest.mark.parametrize("text", ["abs(x) + sin(x)", "relu(x - 1)*x", "abs(relu(x))"])
def test_complex_step_refuses_non_analytic_primitives(text):
    with pytest.raises(InputError) as caught:
        differentiate(parse(text), {"x": Fraction(2)}, "complex_step")
    message = caught.value.one_line()
    assert "complex step" in message and "analytic" in message
    assert all(name in message for name in non_analytic(parse(text)))


UNARY_POINTS = {"neg": -0.7, "sin": 0.9, "cos": -1.1, "tan": 0.6, "exp": 1.3, "log": 2.2,
                "sqrt": 0.45, "tanh": -0.8, "sigmoid": -1.7}


@pytest.mark.parametrize("name", sorted(UNARY_POINTS))
def test_complex_row_extends_the_float_row_and_its_derivative(name):
    primitive = PRIMITIVES[name]
    x, h = UNARY_POINTS[name], 1e-20
    out = primitive.evaluate_complex(complex(x, h))
    assert out.real == pytest.approx(primitive.evaluate(x), rel=1e-15)
    assert out.imag / h == pytest.approx(primitive.derivative(x, primitive.evaluate(x)),
                                         rel=1e-14)


@pytest.mark.parametrize("name", ["add", "sub", "mul", "div", "pow"])
def test_complex_binary_row_gives_both_partials(name):
    primitive = PRIMITIVES[name]
    x, y, h = 1.7, 2.3, 1e-20
    out = primitive.evaluate(x, y)
    d_x, d_y = primitive.derivative(x, y, out)
    assert primitive.evaluate_complex(complex(x, h), y).imag / h == pytest.approx(d_x, rel=1e-14)
    assert primitive.evaluate_complex(x, complex(y, h)).imag / h == pytest.approx(d_y, rel=1e-14)


def test_complex_rows_are_missing_exactly_for_abs_and_relu():
    # ... and the other rows that switch branches (max, min, sign, where): not analytic.
    missing = {name for name, p in PRIMITIVES.items() if p.evaluate_complex is None}
    assert {"abs", "relu"} <= missing
    assert all(PRIMITIVES[name].switch is not None for name in missing)


@pytest.mark.parametrize("name, args", [
    ("log", (complex(0.0, 1e-20),)), ("log", (complex(-1.0, 1e-20),)),
    ("sqrt", (complex(-1.0, 1e-20),)), ("sqrt", (complex(0.0, 1e-20),)),
    ("div", (1.0, complex(0.0, 1e-20))), ("pow", (complex(-2.0, 1e-20), 0.5)),
    ("pow", (-2.0, complex(3.0, 1e-20))),
])
def test_complex_rows_refuse_where_the_real_function_is_not_analytic(name, args):
    with pytest.raises((ValueError, ZeroDivisionError)):
        PRIMITIVES[name].evaluate_complex(*args)


def test_complex_step_negative_base_integer_power():
    result = differentiate(parse("x**3 + x**-2"), {"x": Fraction(-6, 5)}, "complex_step")
    exact = 3 * 1.44 + 2 / 1.2**3
    assert result.gradient["x"] == pytest.approx(exact, rel=4 * EPSILON)


# ---- random analytic trees: the complex step against the engine ----

def _leaf():
    return st.sampled_from(["x", "y", "0.5", "2", "1.5"])


def _grow(children):
    return st.one_of(
        st.tuples(children, st.sampled_from(["+", "-", "*"]), children)
          .map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        st.tuples(children, children).map(lambda t: f"({t[0]} / (2 + sin({t[1]})))"),
        st.tuples(st.sampled_from(["sin", "cos", "tanh", "sigmoid"]), children)
          .map(lambda t: f"{t[0]}({t[1]})"),
        children.map(lambda a: f"exp(tanh({a}))"),
        children.map(lambda a: f"log(2 + sin({a}))"),
        children.map(lambda a: f"sqrt(2 + cos({a}))"),
        children.map(lambda a: f"({a})**3"),
        children.map(lambda a: f"(2 + sin({a}))**tanh(x)"),
    )


ANALYTIC = st.recursive(_leaf(), _grow, max_leaves=8)
COORDINATES = st.floats(min_value=-2, max_value=2, allow_nan=False).map(lambda v: round(v, 3))


def _engine_graph(expression, at, perturbation=None):
    """Our engine over the tree with a node for every rounded intermediate, constant parts
    included, so that each has an adjoint. ``perturbation()``, if given, scales each call's
    result by 1 + perturbation(): a rounding error of that size made on purpose."""
    leaves = {name: Value(at[name]) for name in expression.variables}

    def constant(node):
        # An exact constant (2, 0.5) is not rounded; one like 0.1 is, once.
        return node.value if node.value == node.exact else Value(node.value)

    def call(primitive, *args):
        out = autograd_call(primitive, *args)
        out = out if isinstance(out, Value) else Value(out)  # sin(2) is rounded too
        return out * (1.0 + perturbation()) if perturbation else out

    out = evaluate(expression, Interpretation(
        constant=constant,
        variable=lambda name: leaves[name],
        call=call,
    ))
    out = out if isinstance(out, Value) else Value(out)
    out.backward()
    return out, leaves


def _rounding_bound(expression, at):
    """First-order bound on the float evaluation's rounding error: each node's value is
    rounded once, and that error reaches the output scaled by the node's adjoint. A constant
    exponent of a negative base has a NaN adjoint; being exact, it adds nothing."""
    out, _ = _engine_graph(expression, at)
    terms = (abs(node.grad * node.data) for node in _reachable(out))
    return EPSILON * sum(term for term in terms if not math.isnan(term))


def _gradient_noise(expression, at, trials=4):
    """How far the engine's gradient moves when every intermediate is perturbed by a few
    units of rounding (the idea of stochastic arithmetic). Two correct gradients of an
    ill-conditioned tree, sin((x**3)**3) say, differ by about this much."""
    randomness = random.Random(0)
    _, exact_leaves = _engine_graph(expression, at)
    noise = dict.fromkeys(expression.variables, 0.0)
    for _ in range(trials):
        _, leaves = _engine_graph(expression, at, lambda: randomness.uniform(-4, 4) * EPSILON)
        for name in noise:
            noise[name] = max(noise[name], abs(leaves[name].grad - exact_leaves[name].grad))
    return noise


@given(ANALYTIC, COORDINATES, COORDINATES)
def test_complex_step_property_matches_float_value_and_engine_gradient(text, x, y):
    expression = parse(text)
    floats = {"x": x, "y": y}
    point = {name: Fraction(str(floats[name])) for name in expression.variables}
    at = {name: floats[name] for name in expression.variables}
    # Complex arithmetic rounds differently from float arithmetic (z**3 multiplies where
    # math.pow rounds once), so the two values may differ by rounding, never by more.
    difference = abs(evaluate_complex(expression, at).real - evaluate_float(expression, at))
    assert difference <= 4 * _rounding_bound(expression, at)
    result = differentiate(expression, point, "complex_step")
    engine = autograd_differentiate(expression, point)
    noise = _gradient_noise(expression, at)
    for name in expression.variables:
        scale = max(1.0, abs(engine.gradient[name]))
        assert abs(result.gradient[name] - engine.gradient[name]) <= (
            1e-12 * scale + 4 * noise[name]), name


def test_rounding_allowances_are_small_where_the_tree_is_well_conditioned():
    # The allowances above must not hide a wrong complex implementation: on a plain tree
    # they are a few units of rounding, far below any real mistake.
    expression = parse("sin(x)*exp(y) + x/y")
    at = {"x": 0.7, "y": 1.3}
    assert _rounding_bound(expression, at) < 1e-14
    assert max(_gradient_noise(expression, at).values()) < 1e-14


def test_rounding_allowances_grow_with_the_condition_of_the_tree():
    # sin of x**27 near x = 2 turns one rounding of x**27 (about 1e8) into an error of
    # about 1e-8 in the value: the allowance must see that.
    expression = parse("sin(((x**3)**3)**3)")
    at = {"x": 1.982}
    assert _rounding_bound(expression, at) > 1e-9
    assert _gradient_noise(expression, at)["x"] > 1e-9


# ---- error estimates ----

def _smooth_results(name):
    for case in SMOOTH:
        expression, point, reference = _reference(case.expression, case.at)
        if SCHEMES[name].is_complex and non_analytic(expression):
            continue
        yield case, expression, reference, differentiate(expression, point, name)


@pytest.mark.parametrize("name", list(SCHEMES))
def test_error_estimate_within_factor_100_of_true_error_on_smooth_corpus(name):
    checked = 0
    for case, expression, reference, result in _smooth_results(name):
        for variable in expression.variables:
            estimate = result.error_estimates[variable]
            error = _error(result.gradient[variable], reference.exact[variable])
            where = f"{case.name}, d/d{variable}: estimate {estimate:.1e}, error {error:.1e}"
            if error == 0:
                # No ratio exists. This happens where f is affine in the variable and
                # rounding cancels exactly; the estimate must still be small.
                assert estimate <= 1e-6 * max(1.0, abs(result.gradient[variable])), where
                continue
            # The result cannot be closer to the exact value than its own rounding.
            floor = 4 * math.ulp(float(reference.exact[variable]))
            assert error <= 100 * estimate, where
            assert estimate <= 100 * max(error, floor), where
            checked += 1
    assert checked >= 30


def test_error_estimate_is_reported_for_every_derivative():
    result = differentiate(parse("x**2*sin(y)"), {"x": Fraction(1), "y": Fraction(2)})
    assert set(result.error_estimates) == {"x", "y"}
    assert all(0 < e < 1e-6 for e in result.error_estimates.values())


# ---- accuracy: the benchmark's targets, as a regression check ----

ACCURACY_TARGETS = {"central": 1e-9, "five_point": 1e-11, "richardson": 1e-12,
                    "complex_step": 1e-15}


@pytest.mark.parametrize("name", list(ACCURACY_TARGETS))
def test_accuracy_median_on_smooth_corpus_meets_target(name):
    errors = []
    for _, expression, reference, result in _smooth_results(name):
        for variable in expression.variables:
            exact = float(reference.exact[variable])
            if exact != 0:
                errors.append(_error(result.gradient[variable], reference.exact[variable])
                              / abs(exact))
    assert statistics.median(errors) <= ACCURACY_TARGETS[name]


# ---- steps and cost ----

def test_step_size_default_is_a_power_of_two_scaled_by_x():
    for name, scheme in SCHEMES.items():
        if scheme.is_complex:
            continue
        for x in (0.0, 0.3, -1.3, 250.0):
            h = step_size(scheme, x)
            assert math.log2(h).is_integer(), (name, x, h)
            assert scheme.optimal_step * max(1, abs(x)) / 2 <= h <= \
                scheme.optimal_step * max(1, abs(x)) * 2


@pytest.mark.parametrize("x", [1.3, -0.7, 0.1, 1e5])
def test_step_size_forced_keeps_every_stencil_point_exact(x):
    for scheme in SCHEMES.values():
        if scheme.is_complex:
            continue
        h = step_size(scheme, x, 1e-3)
        assert h == pytest.approx(1e-3, rel=1e-9) or x > 1e4
        for k in range(-scheme.reach * scheme.finest, scheme.reach * scheme.finest + 1):
            offset = k * h / scheme.finest
            assert Fraction(x + offset) == Fraction(x) + Fraction(offset)


def test_step_size_below_the_spacing_of_doubles_becomes_the_spacing():
    h = step_size(SCHEMES["central"], 1.0, 1e-20)
    assert h == math.ulp(1.0)


def test_cost_counts_distinct_evaluations():
    expression = parse("sin(x)*y")
    point = {"x": Fraction(1), "y": Fraction(2)}
    # f(x) once, then per variable the stencil and its error estimate's D(2h); Richardson
    # searches 6 steps whose central differences share 9 steps, 18 evaluations.
    expected = {"forward": 1 + 2 * 2, "backward": 1 + 2 * 2, "central": 1 + 2 * 4,
                "five_point": 1 + 2 * 6, "richardson": 1 + 2 * 18, "complex_step": 1 + 2 * 2}
    for name, evaluations in expected.items():
        assert differentiate(expression, point, name).cost.evaluations == evaluations, name


def test_differentiate_reports_scheme_and_steps_in_details():
    result = differentiate(parse("x**2"), {"x": Fraction(3)}, "five_point", step=0.01)
    assert result.details["scheme"] == "five_point" and result.details["order"] == 4
    assert result.details["steps"]["x"] == pytest.approx(0.01)
    assert result.details["step_forced"] is True


def test_differentiate_unknown_scheme_is_input_error():
    with pytest.raises(InputError, match="forward, backward, central"):
        differentiate(parse("x"), {"x": Fraction(1)}, "simpson")


def test_differentiate_outside_the_domain_gives_a_reason():
    result = differentiate(parse("sqrt(x)"), {"x": Fraction(0)}, "central")
    assert result.gradient["x"] is None and "cannot be evaluated" in result.reasons["x"]


# ---- the verdict: each scheme held to its own error bound ----

def test_compare_tolerance_depends_on_the_scheme():
    allowed = set()
    for name in SCHEME_TOLERANCES:
        result = compare("sin(x)*exp(x)", at="x=1.3",
                         methods={**METHODS, METHOD: method(name)})
        error = result.errors[METHOD]["x"]
        fd = result.methods[1]
        assert error.bound == fd.error_bounds["x"]
        assert error.allowed == pytest.approx(SAFETY_FACTOR * error.bound, rel=1e-9)
        assert result.agree, verdict_text(result.verdict)
        allowed.add(f"{error.allowed:.1e}")
    assert len(allowed) >= 4


def test_compare_forced_large_step_widens_the_tolerance_by_the_model():
    result = compare("sin(x)", at="x=1", methods={**METHODS, METHOD: method("forward", 0.1)})
    error = result.errors[METHOD]["x"]
    assert error.relative > SCHEME_TOLERANCES["forward"]  # 8% off at h = 0.1 ...
    assert error.within and error.tolerance < 1  # ... and expected there, but not anything


def test_compare_wrong_scheme_result_still_disagrees():
    def off(expression, point):
        result = differentiate(expression, point, "richardson")
        gradient = {name: g * (1 + 1e-6) for name, g in result.gradient.items()}
        return type(result)(**{**result.__dict__, "gradient": gradient})

    result = compare("exp(x)", at="x=0.5", methods={**METHODS, METHOD: off})
    assert not result.agree  # 1e-6 is fine for central differences, not for Richardson


# ---- the sweep ----

def test_sweep_sin_exp_marks_best_and_theoretical_steps():
    expression, point, reference = _reference("sin(x)*exp(x)", "x=1.3")
    result = sweep(expression, point, "x", reference.exact["x"])
    assert result.steps == SWEEP_STEPS and set(result.errors) == set(SCHEMES)
    for name, row in result.errors.items():
        assert len(row) == len(SWEEP_STEPS)
        best = min(e for e in row if e is not None)
        assert row[SWEEP_STEPS.index(result.best_step[name])] == best
    # The best step sits within two decades of the theory's for the real schemes.
    for name in ("forward", "backward", "central", "five_point", "richardson"):
        ratio = result.best_step[name] / result.theoretical_step[name]
        assert 1e-2 <= ratio <= 1e2, name


def test_sweep_leaves_out_complex_step_for_non_analytic_expressions():
    expression, point, reference = _reference("abs(x - 2)*x", "x=0.5")
    result = sweep(expression, point, "x", reference.exact["x"])
    assert "complex_step" not in result.errors and "central" in result.errors


def test_sweep_accepts_a_float_exact_value():
    expression = parse("exp(x)")
    result = sweep(expression, {"x": Fraction(0)}, "x", 1.0, ["central"])
    assert result.exact == 1.0 and result.observed_order["central"] == pytest.approx(2, abs=0.5)


# ---- command line ----

def test_cli_fd_option_selects_scheme(capsys):
    assert main(["exp(x)/sqrt(sin(x)**3 + cos(x)**3)", "--at", "x=1.5",
                 "--fd", "complex_step"]) == 0
    out = capsys.readouterr().out
    assert "finite difference (complex_step)" in out and "4.053427893898621" in out


def test_cli_table_shows_estimated_error_and_digits(capsys):
    assert main(["sin(x)*exp(x)", "--at", "x=1.3", "--fd", "richardson"]) == 0
    out = capsys.readouterr().out
    header = next(line for line in out.splitlines() if "rel. error" in line)
    assert "est. error" in header and "digits" in header
    row = next(line for line in out.splitlines() if "finite difference (richardson)" in line
               and "4.51711339927" in line)
    cells = row.split()
    assert len(cells) >= 7  # name words, number, rel. error, est. error, digits
    assert float(cells[-1]) > 12  # correct digits of Richardson's estimate


def test_cli_complex_step_on_abs_is_refused_in_one_line():
    done = run_cli("abs(x) + x", "--at", "x=1", "--fd", "complex_step")
    assert done.returncode == 2 and done.stdout == ""
    assert len(done.stderr.strip().splitlines()) == 1 and "abs" in done.stderr


@pytest.mark.parametrize("value", ["abc", "0", "-1e-3", "inf", "nan"])
def test_cli_bad_step_is_one_line_and_exit_2(value, capsys):
    assert main(["x**2", "--at", "x=1", "--step", value]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "--step" in captured.err


def test_cli_step_is_used(capsys):
    assert main(["x**3", "--at", "x=1", "--fd", "forward", "--step", "0.001",
                 "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["finite_difference"][METHOD]["steps"]["x"] == pytest.approx(0.001)
    # (1.001**3 - 1)/0.001 = 3.003001
    assert document["gradient"]["x"][METHOD] == pytest.approx(3.003001, rel=1e-9)


def test_cli_sweep_prints_every_scheme_with_marks_and_orders():
    done = run_cli("sin(x)*exp(x)", "--at", "x=1.3", "--sweep")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    header = next(line for line in lines if line.startswith("h "))
    assert header.split()[1:] == list(SCHEMES)
    assert sum(line.startswith("1e-") for line in lines) == len(SWEEP_STEPS)
    order = next(line for line in lines if line.startswith("order")).split()
    assert order[1:3] == ["1.0", "(1)"] and order[5:7] == ["2.0", "(2)"]
    assert order[7:9] == ["4.0", "(4)"]
    assert "*" in done.stdout and "^" in done.stdout
    assert lines[-1].startswith("AGREE")


def test_cli_sweep_json_has_one_sweep_per_variable(capsys):
    assert main(["x*sin(y)", "--at", "x=1,y=2", "--sweep", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert [s["variable"] for s in document["sweeps"]] == ["x", "y"]
    assert document["sweeps"][1]["observed_order"]["central"] == pytest.approx(2, abs=0.5)


def test_cli_default_remains_central_with_scaled_step(capsys):
    assert main(["x**2", "--at", "x=100", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    details = document["finite_difference"][METHOD]
    assert details["scheme"] == "central"
    ratio = details["steps"]["x"] / (100 * SCHEMES["central"].optimal_step)
    assert 2 ** -0.5 <= ratio <= 2 ** 0.5  # scaled by |x|, rounded to a power of two



def test_sweep_theoretical_step_is_in_the_units_of_steps_when_x_is_large():
    # Regression: the theoretical step was scaled by max(1, |x|) while steps were not.
    at_one = sweep(parse("x**3"), {"x": Fraction(1)}, "x", "3", ["central"])
    at_ten = sweep(parse("x**3"), {"x": Fraction(10)}, "x", "300", ["central"])
    assert at_one.theoretical_step == at_ten.theoretical_step


# ---- the default step near 0, where max(1, |x|) would leave f's domain ----

@pytest.mark.parametrize("text, at", [("log(x)", "x=1e-10"), ("sqrt(x) + log(y)", "x=1e-8,y=3e-7")])
def test_default_step_near_zero_stays_inside_the_domain(text, at):
    result = compare(text, at=at)
    assert result.agree, verdict_text(result.verdict)
    for name, x in result.point.items():
        steps = next(m for m in result.methods if m.method == "finite_difference").details["steps"]
        assert steps[name] < float(x)


def test_step_outside_the_domain_at_zero_suggests_a_one_sided_scheme():
    result = differentiate(parse("sqrt(x)"), {"x": Fraction(0)}, "central")
    assert result.gradient["x"] is None
    assert "--fd forward or --fd backward" in result.reasons["x"]
    one_sided = differentiate(parse("sqrt(x)"), {"x": Fraction(0)}, "forward")
    assert one_sided.gradient["x"] > 1000  # 1/sqrt(h): the slope is infinite there


def test_forced_step_is_never_shrunk():
    result = differentiate(parse("log(x)"), {"x": Fraction(1, 1000)}, "central", step=0.01)
    assert result.gradient["x"] is None and result.details["steps"]["x"] == pytest.approx(0.01)


def test_evaluations_along_a_variable_equal_plain_evaluation_and_explain_faults():
    from diffcompare.language.corpus import SMOOTH
    from diffcompare.language.expression import evaluate_float
    from diffcompare.methods.finite_difference import _Evaluations

    for case in SMOOTH:
        expression = parse(case.expression)
        floats = {n: float(v) for n, v in parse_point(case.at, expression).items()}
        evaluations = _Evaluations(expression, floats)
        for name in expression.variables:
            f = evaluations.along(name)
            for offset in (2.0**-3, -(2.0**-9), 0.1):
                value = floats[name] + offset
                assert f(value) == evaluate_float(expression, {**floats, name: value})
    f = _Evaluations(parse("log(x)*y"), {"x": 1.0, "y": 2.0}).along("x")
    with pytest.raises(ValueError, match="log"):
        f(-1.0)
