"""check_gradients: numpy and PyTorch code, hand-written gradients, patterns, dtypes."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from diffcompare import InputError
from diffcompare.gradient_table import report
from diffcompare.gradients import check_gradients
from diffcompare.present import verdict_text
from diffcompare.testing import assert_gradients_agree

try:
    import torch
except ImportError:  # pragma: no cover - CI installs torch (.ci/run)
    torch = None
needs_torch = pytest.mark.skipif(torch is None, reason="torch cannot be imported here")


def softmax_ce(logits):
    targets = np.array([0, 2])
    z = logits - logits.max(axis=1, keepdims=True)
    logp = z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))
    return -np.mean(logp[np.arange(2), targets])


LOGITS = np.array([[0.1, -0.3, 0.7], [1.2, 0.4, -0.5]])


def test_check_gradients_numpy_softmax_ce_has_an_exact_reference_per_entry():
    check = check_gradients(softmax_ce, LOGITS)
    assert check.ok and check.reference == "exact" and check.mode == "full"
    assert [e.label for e in check.entries][:2] == ["logits[0,0]", "logits[0,1]"]
    assert all(e.errors["autograd"].digits > 14 for e in check.entries)


def test_check_gradients_two_layer_mlp_with_matmul():
    rng = np.random.default_rng(0)
    x, w1, w2 = rng.normal(size=(3, 2)), rng.normal(size=(2, 3)), rng.normal(size=3)
    check = check_gradients(lambda x, w1, w2: np.mean(np.tanh(x @ w1) @ w2), x, w1, w2)
    assert check.ok and len(check.entries) == 6 + 6 + 3


def test_check_gradients_maximum_and_where_are_traced():
    x = np.array([-1.5, 0.5, 2.0])
    check = check_gradients(lambda x: np.sum(np.maximum(x, 0) + np.where(x > 1, x * x, -x)), x,
                            grad=lambda x: (x > 0) + np.where(x > 1, 2 * x, -1.0))
    assert check.ok


def test_check_gradients_refuses_an_untraceable_numpy_function_by_name():
    with pytest.raises(InputError, match="numpy's np.fft.fft|numpy's np.fft|fft"):
        check_gradients(lambda x: np.sum(np.abs(np.fft.fft(x))), np.array([1.0, 2.0]))
    with pytest.raises(InputError, match="numpy's hypot"):
        check_gradients(lambda x: np.sum(np.hypot(x, 1.0)), np.array([1.0, 2.0]))


def test_check_gradients_traces_numpy_spellings_of_new_table_rows():
    # np.arctan2 is the table's atan2 row (numpy 2 spells it np.atan2 too), np.maximum its max
    x = np.array([1.0, -2.0])
    check = check_gradients(lambda x: np.sum(np.arctan2(x, 2.0) + np.maximum(x, 0.5 * x)), x)
    assert check.ok


def test_check_gradients_int64_constant_keeps_the_exact_reference():
    check = check_gradients(lambda x: np.sum(x) * np.int64(3) / np.int64(7), np.array([1.0, 2.0]))
    assert check.ok and check.reference == "exact"
    assert check.entries[0].exact == pytest.approx(3 / 7, rel=1e-15)


def test_check_gradients_int64_input_is_taken_as_float_with_a_note():
    check = check_gradients(lambda x: np.sum(x * x), np.array([1, 2], dtype=np.int64))
    assert check.ok and any("int64" in note for note in check.notes)


def test_check_gradients_float32_input_and_constant_are_upcast_with_a_note():
    check = check_gradients(lambda x: np.sum(x * np.float32(0.5) * np.ones(2, np.float32)),
                            np.array([1.0, 2.0], dtype=np.float32))
    assert check.ok
    assert any("float32: upcast" in note for note in check.notes)
    assert any("float32 constant was upcast" in note for note in check.notes)


def test_check_gradients_zero_dimensional_arrays_as_inputs_and_constants():
    check = check_gradients(lambda x, y: x * np.sin(y) * np.array(2.0), np.array(1.5), 0.5)
    assert check.ok and [e.label for e in check.entries] == ["x", "y"]


def test_check_gradients_complex_input_is_refused():
    with pytest.raises(InputError, match="complex128"):
        check_gradients(lambda x: np.sum(x), np.array([1j]))


def test_check_gradients_large_input_checks_random_directions_and_says_so():
    x = np.linspace(-1, 1, 40)
    check = check_gradients(lambda x: np.sum(np.tanh(x)), x, grad=lambda x: 1 - np.tanh(x) ** 2,
                            directions=2)
    assert check.ok and check.mode == "directions" and len(check.entries) == 2
    assert any("2 random ±1 directions" in note for note in check.notes)


def test_check_gradients_vector_output_checks_the_jacobian():
    x = np.array([0.3, -0.8])
    check = check_gradients(lambda x: np.sin(x) * x[0], x,
                            grad=lambda x: np.diag(np.cos(x) * x[0]) + np.outer(np.sin(x), [1, 0]))
    assert check.ok and len(check.entries) == 4 and check.entries[1].label == "out[0] by x[1]"


def test_check_gradients_bad_grad_is_caught_with_the_factor_pattern():
    check = check_gradients(lambda x: np.sum(x * x), np.array([1.0, -2.0]), grad=lambda x: x)
    assert not check.ok and "factor 0.5" in check.pattern


def test_assert_gradients_agree_on_arrays_shows_the_pattern_and_a_table():
    with pytest.raises(AssertionError) as failure:
        assert_gradients_agree(lambda x: np.sum(x * x), np.array([1.0, -2.0]), grad=lambda x: -2 * x)
    text = str(failure.value)
    assert "pattern: the sign is flipped" in text and "x[1]" in text and "✗" in text


def test_report_of_a_passing_check_starts_with_agree():
    assert report(check_gradients(softmax_ce, LOGITS)).startswith("AGREE: 6 gradient entries")


@needs_torch
def test_check_gradients_torch_function_gradient_is_under_test():
    x = torch.tensor([[0.5, -1.0], [2.0, 0.3]], dtype=torch.float64)
    check = check_gradients(lambda x: torch.tanh(x @ x).sum(), x)
    assert check.ok and check.under_test == "torch" and check.reference == "exact"


@needs_torch
def test_check_gradients_untraceable_torch_function_uses_finite_differences_and_says_so():
    x = torch.tensor([0.5, -1.0, 2.0], dtype=torch.float64)
    check = check_gradients(lambda x: torch.cumprod(x, 0).sum(), x)
    assert check.ok and check.reference == "finite_difference"
    assert any("torch's cumprod cannot be traced" in note for note in check.notes)


# Every case of the corpus but the 600-entry one (16 s of sympy; the benchmark runs it).
CORPUS_FAST = ["softmax_ce_missing_N", "matmul_grad_transposed", "wrong_sign",
               "tanh_missing_chain_factor", "bias_forgotten_sum", "relu_mask_on_output",
               "inplace_corrupts_saved", "accumulation_lost", "stale_last_row",
               "frozen_weight_zeros", "penalty_branch_dropped", "softmax_ce", "matmul", "relu",
               "sin", "linear", "regularized"]


def test_corpus_fast_list_is_the_corpus_but_the_large_case():
    gradient_corpus = pytest.importorskip("gradient_corpus", reason="torch cannot be imported")
    names = {case.name for case in gradient_corpus.CASES}
    assert names - set(CORPUS_FAST) == {"mean_off_by_one_large"}
    assert sum(case.expected is not None for case in gradient_corpus.CASES) >= 10
    assert sum(case.expected is None for case in gradient_corpus.CASES) >= 5


@needs_torch
@pytest.mark.parametrize("name", CORPUS_FAST)
def test_corpus_case_is_judged_and_its_pattern_named(name):
    from gradient_corpus import CASES

    case = next(case for case in CASES if case.name == name)
    args, options = case.diffcompare_args()
    check = check_gradients(*args, **options)
    assert check.ok == (case.expected is None), check.pattern
    if case.expected:
        assert case.expected in check.pattern


@needs_torch
def test_untraced_torch_function_uses_the_complex_step_only_where_it_is_analytic():
    x = torch.tensor([0.5, -1.0, 2.0], dtype=torch.float64)
    smooth = check_gradients(lambda x: torch.cumprod(x, 0).sum(), x)
    with_abs = check_gradients(lambda x: (torch.cumprod(x, 0).abs() * x).sum(), x)
    assert smooth.ok and any("complex_step" in note for note in smooth.notes)
    assert with_abs.ok and any(": richardson" in note for note in with_abs.notes)


@needs_torch
def test_untraced_torch_function_with_a_wrong_backward_is_caught():
    class CumprodWrong(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return torch.cumprod(x, 0)

        @staticmethod
        def backward(ctx, g):
            return -g

    check = check_gradients(lambda x: CumprodWrong.apply(x).sum(),
                            torch.tensor([0.5, -1.0, 2.0], dtype=torch.float64))
    assert not check.ok and check.reference == "finite_difference"


@needs_torch
def test_torch_float32_tensor_is_upcast_with_a_note():
    check = check_gradients(lambda x: torch.exp(x).sum(), torch.tensor([0.5, -1.0]))
    assert check.ok and any("float32: upcast" in note for note in check.notes)


def test_assert_gradients_agree_takes_arrays_by_keyword():
    """Issue 13: a numpy softmax cross-entropy given x=array failed with a raw
    TypeError ('Traced' object is not subscriptable)."""
    check = assert_gradients_agree(softmax_ce, logits=LOGITS)
    assert check.ok and check.entries[0].label == "logits[0,0]"


def test_assert_gradients_agree_np_int64_constant_keeps_the_exact_reference():
    """Issue 13: an np.int64 constant made sympy fail, and the test passed WITHOUT EXACT
    REFERENCE."""
    comparison = assert_gradients_agree(lambda x: x * np.int64(3) / np.int64(2), x=1.0)
    assert comparison.measured_against == "symbolic"
    assert "WITHOUT" not in verdict_text(comparison.verdict)


def test_package_imports_and_compares_without_numpy_or_torch():
    import subprocess
    import sys

    code = ("import sys; sys.modules['numpy'] = sys.modules['torch'] = None\n"
            "import diffcompare\n"
            "assert diffcompare.compare('x*sin(x)', at='x=1').agree\n"
            "try:\n    diffcompare.check_gradients(lambda x: x, 1.0)\n"
            "except ImportError as error:\n    print(error)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "check_gradients needs numpy: pip install diffcompare[numpy]"


def test_check_gradients_vector_output_in_directions_weighs_the_jacobian():
    x = np.linspace(0.1, 1.0, 6)
    check = check_gradients(lambda x: np.exp(x) * 2, x, grad=lambda x: np.diag(2 * np.exp(x)),
                            directions=2)
    bad = check_gradients(lambda x: np.exp(x) * 2, x, grad=lambda x: np.diag(np.exp(x)),
                          directions=2)
    assert check.ok and not bad.ok and "extra /2" in bad.pattern


@pytest.mark.parametrize("f", [
    lambda x: np.sum(x * (x > 0)),
    lambda x: np.sum(x[x > 0] ** 2),
    lambda x: np.sum(np.log1p(x ** 2) + np.expm1(x) + np.logaddexp(0, x)),
    lambda x: np.linalg.norm(x) + np.sum(np.clip(x, -1, 1)),
    lambda x: sum(row.sum() for row in x) + np.sum(np.stack([x[0], 2 * x[1]])),
], ids=["mask", "bool index", "log1p expm1 logaddexp", "norm clip", "iteration stack"])
def test_check_gradients_traces_common_numpy_idioms(f):
    assert check_gradients(f, np.array([[0.5, -1.2], [0.3, 2.0]])).ok


def test_check_gradients_store_into_a_float_array_is_refused_in_one_line():
    def f(x):
        out = np.zeros(2)
        out[0] = x[0]
        return out.sum()

    with pytest.raises(InputError, match=r"f failed on traced arrays .*out\[i\] = "):
        check_gradients(f, np.array([1.0, 2.0]))


@pytest.mark.parametrize("factor, hint", [
    (3.0, "(a missing /3?)"), (0.25, "(an extra /4?)"), (600 / 601, "(= 600/601: a /601 where /600 belongs?)"),
    (1.7320508, ""),
])
def test_pattern_factor_hint_names_the_integer_behind_the_factor(factor, hint):
    from diffcompare.patterns import _factor_hint

    assert _factor_hint(factor).strip() == hint


TORCH_IDIOMS = {
    "softmax relu": lambda x, w: (torch.nn.functional.softmax(x @ w, dim=1)
                                  * torch.tensor([1.0, 2.0], dtype=torch.float64)).sum()
    + torch.relu(w).sum(),
    "cross_entropy": lambda x, w: torch.nn.functional.cross_entropy(x @ w, torch.tensor([0, 1])),
    "mse linear": lambda x, w: torch.nn.functional.mse_loss(
        torch.nn.functional.linear(x, w.T), torch.zeros(2, 2, dtype=torch.float64)),
    "logsumexp norm": lambda x, w: torch.logsumexp(x @ w, dim=1).sum() + torch.norm(w),
    "max where view": lambda x, w: (x @ w).max(dim=1).values.sum()
    + torch.where(x > 0, x, 0.1 * x).view(-1).sum(),
}


@needs_torch
@pytest.mark.parametrize("name", sorted(TORCH_IDIOMS))
def test_check_gradients_traces_common_torch_idioms(name):
    x = torch.tensor([[0.5, -1.2, 0.3], [0.3, 2.0, -0.7]], dtype=torch.float64)
    w = torch.tensor([[0.2, -0.4], [1.1, 0.3], [-0.6, 0.9]], dtype=torch.float64)
    check = check_gradients(TORCH_IDIOMS[name], x, w)
    assert check.ok and check.reference == "exact", check.notes


@needs_torch
def test_check_gradients_our_own_methods_off_is_a_note_when_the_reference_is_exact(monkeypatch):
    # Our finite differences made to miss (as on an ill-conditioned f): with an exact
    # reference, only the gradient under test decides; our own method's miss is a note.
    from diffcompare.methods import finite_difference
    from diffcompare.methods.results import Derivatives

    real = finite_difference.method

    def off_by_a_percent(scheme):
        differentiate = real(scheme)

        def shifted(expression, point):
            result = differentiate(expression, point)
            gradient = {name: None if g is None else g * 1.01
                        for name, g in result.gradient.items()}
            return Derivatives(result.method, result.value, gradient, result.cost,
                               result.reasons, result.error_estimates, result.details)
        return shifted

    monkeypatch.setattr(finite_difference, "method", off_by_a_percent)
    x = torch.tensor([[0.5, -1.2, 0.3], [0.3, 2.0, -0.7]], dtype=torch.float64)
    check = check_gradients(lambda x: (x / x.sum(dim=1, keepdim=True)).pow(2).sum(), x)
    assert check.ok
    assert any("finite_difference is off its bound" in note for note in check.notes)


@pytest.mark.parametrize("value", [np.float64(0.5), np.float32(0.5), np.int64(2), np.array(0.5),
                                   np.array([[0.5]], dtype=np.float32)],
                         ids=["np.float64", "np.float32", "np.int64", "0-d", "1x1 float32"])
def test_check_gradients_numpy_scalars_and_small_arrays_as_inputs(value):
    check = check_gradients(lambda x: np.sum(np.exp(x) * np.int64(2)), value,
                            grad=lambda x: 2 * np.exp(np.asarray(x, dtype=np.float64)))
    assert check.ok and check.reference == "exact"
    assert check.entries[0].exact == pytest.approx(2 * np.exp(float(np.asarray(value).ravel()[0])))


@settings(max_examples=8)
@given(st.lists(st.floats(-2.5, 2.5), min_size=1, max_size=5), st.integers(2, 9))
def test_property_a_gradient_scaled_by_n_is_named_a_missing_n(xs, n):
    x = np.array(xs)
    weights = np.arange(1.0, len(xs) + 1)

    def grad(x):
        return (1 - np.tanh(x) ** 2) * weights

    right = check_gradients(lambda x: np.sum(np.tanh(x) * weights), x, grad=grad)
    wrong = check_gradients(lambda x: np.sum(np.tanh(x) * weights), x, grad=lambda x: n * grad(x))
    assert right.ok and not wrong.ok
    assert f"a missing /{n}?" in wrong.pattern


def test_check_gradients_without_exact_reference_says_so():
    check = check_gradients(softmax_ce, LOGITS, grad=lambda x: np.zeros_like(x), timeout=0.01)
    assert check.reference == "autograd" and not check.ok
    assert any(note.startswith("WITHOUT EXACT REFERENCE (symbolic: ") for note in check.notes)


@pytest.mark.parametrize("value, words", [(float("nan"), "input x is nan"),
                                          (np.array([1.0, np.inf]), "input x[1] is inf")])
def test_check_gradients_non_finite_input_is_one_line_input_error(value, words):
    # Regression: NaN raised a raw "ValueError: cannot convert NaN to integer ratio".
    with pytest.raises(InputError, match=r"not a finite number") as caught:
        check_gradients(lambda x: np.sum(x * x), value)
    assert words in str(caught.value) and "\n" not in str(caught.value)


def test_assert_gradients_agree_complex_keyword_point_is_one_line_input_error():
    # Regression: a raw "TypeError: float() argument must be ... not 'complex'".
    with pytest.raises(InputError, match=r"^x=\(1\+2j\) is complex"):
        assert_gradients_agree("x**2", x=1 + 2j)


def test_check_gradients_grad_returning_none_or_complex_is_named():
    # Regression: grad=lambda x: None was reported as "wrong shape ... is ()".
    with pytest.raises(InputError, match="grad returned None for x"):
        check_gradients(lambda x: np.sum(x * x), np.array([1.0]), grad=lambda x: None)
    with pytest.raises(InputError, match="grad returned a complex array for x"):
        check_gradients(lambda x: np.sum(x * x), np.array([1.0]), grad=lambda x: 2j * x)


def _torch_relu():
    """The corpus's custom relu: forward x.clamp(min=0), backward g·(x > 0)."""
    from gradient_corpus import Relu

    return Relu


@needs_torch
def test_check_gradients_torch_relu_at_zero_is_a_kink_not_a_failure():
    # Regression: relu'(0) = 0 (PyTorch's convention) was "zeros where there should be values".
    relu = _torch_relu()
    check = check_gradients(lambda x: relu.apply(x).sum(),
                            torch.tensor([0.0, 1.0], dtype=torch.float64))
    assert check.ok and check.status == "kink" and check.pattern is None
    assert check.kinked() == ["x[0]"] and "kink at entry x[0]" in report(check)


def test_check_gradients_numpy_maximum_tie_passes_between_the_one_sided_derivatives():
    def f(x):
        return np.sum(np.maximum(x, 0))

    x = np.array([0.0, 1.0])
    assert check_gradients(f, x, grad=lambda x: (x > 0) * 1.0).ok
    assert check_gradients(f, x, grad=lambda x: (x >= 0) * 1.0).ok
    outside = check_gradients(f, x, grad=lambda x: np.array([2.0, 1.0]))
    assert not outside.ok and any("lies outside them" in note for note in outside.notes)


@needs_torch
def test_untraced_torch_kink_is_found_by_one_sided_differences_and_noted():
    relu = _torch_relu()
    check = check_gradients(lambda x: torch.cumprod(relu.apply(x) + 1, 0).sum(),
                            torch.tensor([0.0, 1.0], dtype=torch.float64))
    assert check.ok and check.reference == "finite_difference", report(check)
    assert check.kinked() == ["x[0]"]


# ---- odd inputs found by the fuzz run (issue 16 §8): one-line InputErrors, never a traceback ----


@pytest.mark.parametrize("value, message", [
    ([[1.0], [2.0, 3.0]], "cannot be read as an array of numbers: ValueError"),  # ragged
    (np.array([1.0, np.nan]), r"input x\[1\] is nan, not a finite number"),  # Fraction(nan)
    (np.array([np.inf]), "is inf, not a finite number"),
    (float("-inf"), "is -inf, not a finite number"),
])
def test_check_gradients_unreadable_or_non_finite_input_is_one_line(value, message):
    with pytest.raises(InputError, match=message) as caught:
        check_gradients(lambda x: np.sum(x), value, timeout=0.5)
    assert "\n" not in caught.value.one_line()


def test_check_gradients_meta_tensor_is_one_line():
    torch = pytest.importorskip("torch")
    with pytest.raises(InputError, match="NotImplementedError"):
        check_gradients(lambda x: x.sum(), torch.empty(2, device="meta"))


@pytest.mark.parametrize("options, message", [
    ({"directions": 10**9}, "at most 1000"),  # hung: a comparison per direction
    ({"rtol": float("nan")}, "rtol must be a number at least 0"),
    ({"atol": "a"}, "atol must be"),
    ({"grad": 3}, "grad must be a function"),
    ({"grad": lambda x: "no"}, "grad's array for x failed: ValueError"),
])
def test_check_gradients_bad_options_are_one_line(options, message):
    with pytest.raises(InputError, match=message):
        check_gradients(lambda x: np.sum(x * x), np.array([1.0, 2.0]), timeout=0.5, **options)


def test_check_gradients_torch_function_that_raises_is_one_line():
    torch = pytest.importorskip("torch")
    with pytest.raises(InputError, match="the torch function failed: TypeError"):
        check_gradients(lambda x: x.sum(), torch.ones(2, dtype=torch.float64),
                        torch.ones(1, dtype=torch.float64), timeout=0.5)
    with pytest.raises(InputError, match="the torch function failed: AttributeError"):
        check_gradients(lambda x: "text", torch.ones(2, dtype=torch.float64), timeout=0.5)


def test_check_gradients_numpy_function_raising_on_traced_arrays_is_one_line():
    def f(x):
        return x.no_such_method()

    with pytest.raises(InputError, match=r"f failed on traced arrays \(AttributeError"):
        check_gradients(f, np.array([1.0]), timeout=0.5)


def test_check_gradients_empty_output_in_directions_is_one_line():
    # was AttributeError: 'NoneType' object has no attribute 'node'
    with pytest.raises(InputError, match=r"shape \(0, 3\), no entries"):
        check_gradients(np.tanh, np.zeros((0, 3)), directions=1, timeout=0.5)
