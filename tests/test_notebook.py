"""Notebook display: HTML of a comparison and a check report, a Value's SVG, draw_dot,
the lecture's manual _backward(), compare() of a Value graph, short reprs, and a real
notebook executed by nbclient."""

import importlib.util
import sys
from pathlib import Path

import pytest

from diffcompare import InputError, Value, check_engine, compare, draw_dot
from diffcompare.check.user_engine import load

ROOT = Path(__file__).resolve().parent.parent


def _neuron():
    """The lecture's neuron, o = tanh(x1*w1 + x2*w2 + b)."""
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    x1w1, x2w2 = x1 * w1, x2 * w2
    n = x1w1 + x2w2 + b
    o = n.tanh()
    return o, (x1, x2, w1, w2, b), (o, n, n._a, x2w2, x1w1)


def test_comparison_html_shows_verdict_formulas_point_and_table():
    html = compare("3*x**2 - 4*x + 5", at="x=3")._repr_html_()
    assert "AGREE" in html and "6*x - 4" in html and "at x = 3" in html
    assert html.count("<tr") == 9  # header + 2 quantities x 4 methods
    assert "overflow-x:auto" in html


def test_comparison_html_of_a_disagreement_names_the_failure():
    from diffcompare.language.parse import parse
    from diffcompare.methods.claim import METHOD, claimed_method, parse_claims

    f = parse("x**3")
    html = compare(f, at="x=2", methods={METHOD: claimed_method(parse_claims(["3*x"], f))}
                   )._repr_html_()
    assert "DISAGREE" in html and "claim df/dx = 6.0 but exact is 12.0" in html


def test_result_reprs_are_short():
    comparison = compare("x**2*sin(y)", at="x=1,y=2")
    assert repr(comparison) == "<Comparison of 'x**2*sin(y)' at x = 1, y = 2: agree>"
    assert repr(comparison.methods[0]).startswith("<autograd: f = 0.909")
    assert len(repr(comparison.reference)) < 200
    report = check_engine(Value)
    assert repr(report).endswith(f": {len(report.results)} pass, 0 fail, 0 unsupported>")
    assert repr(report.results[0]) == "<CheckResult 'x + y' (operations): pass>"


def test_help_of_check_engine_is_short():
    import inspect

    assert len(str(inspect.signature(check_engine))) < 2000  # it was 9,772 characters


def test_check_report_html_lists_groups_causes_and_failures():
    assert "PASS" in check_engine(Value)._repr_html_()
    buggy = check_engine(load(str(ROOT / "tests/engines/wrong_tanh.py") + ":Value"))
    html = buggy._repr_html_()
    assert "FAIL" in html and "likely cause" in html and "tanh" in html
    assert len(html) < 20_000  # the dataclass dump was 44,000 characters of text


def test_value_shows_its_graph_as_svg():
    o, _, _ = _neuron()
    o.backward()
    picture = o._repr_svg_()
    assert picture.startswith("<svg") and picture.count("<rect") == 10
    assert "grad 0.5" in picture


def test_draw_dot_is_displayable_and_gives_graphviz_source():
    o, _, _ = _neuron()
    drawing = draw_dot(o)
    assert drawing._repr_svg_() == o._repr_svg_()
    dot = drawing.to_dot()
    assert dot.startswith("digraph {") and dot.count("shape=record") == 10
    assert 'label="tanh"' in dot


def test_manual_backward_steps_as_in_the_lecture_give_backward_s_gradients():
    o, leaves, in_order = _neuron()
    o.grad = 1.0
    for node in in_order:
        node._backward()
    manual = [leaf.grad for leaf in leaves]
    o2, leaves2, _ = _neuron()
    o2.backward()
    assert manual == [leaf.grad for leaf in leaves2]
    assert manual[0] == pytest.approx(-1.5) and manual[2] == pytest.approx(1.0)


def test_manual_backward_of_a_node_used_twice_adds_both_shares():
    x = Value(3.0, label="x")
    y = x * x
    y.grad = 1.0
    y._backward()
    assert x.grad == 6.0
    Value(1.0)._backward()  # a leaf: nothing to pass on


def test_compare_accepts_a_value_graph_with_the_leaves_labels_as_variables():
    o, _, _ = _neuron()
    result = compare(o)
    assert result.expression.variables == ("x1", "w1", "x2", "w2", "b")
    assert result.agree and result.reference.gradient["w1"] == pytest.approx(1.0)
    assert compare(o, at="x1=1,w1=0,x2=0,w2=0,b=0").reference.gradient["b"] == 1.0


def test_compare_of_a_value_graph_recovers_number_operands():
    x = Value(2.0, label="x")
    e = (2 * x).exp()
    out = (e - 1) / (e + 1) + 1 / x ** 3 + 2 ** x - x / 4 + 0.1
    result = compare(out)
    assert result.expression.text == ("(exp(x*2) - 1)/(exp(x*2) + 1) + 1/x**3 + 2**x - x/4"
                                      " + 0.1")
    assert result.agree


def test_compare_of_a_value_graph_refuses_two_leaves_with_one_label():
    with pytest.raises(InputError, match="two different leaves are labelled 'x'"):
        compare(Value(1.0, label="x") * Value(2.0, label="x"))


def test_compare_of_a_value_graph_takes_unlabelled_leaves_as_constants():
    result = compare(Value(1.5, label="x") * Value(4.0))
    assert result.expression.variables == ("x",) and result.reference.gradient["x"] == 4.0


@pytest.mark.skipif(importlib.util.find_spec("nbclient") is None,
                    reason="nbclient is not installed (pip install -e '.[test]')")
def test_notebook_executes_and_shows_html_and_svg():
    sys.path.insert(0, str(ROOT / "examples"))
    try:
        import notebook as example
    finally:
        sys.path.pop(0)
    executed = example.execute(example.build())  # the kernel is shut down on return
    outputs = [cell.outputs for cell in executed.cells]
    assert all(output.output_type != "error" for cell in outputs for output in cell)
    grads = outputs[2][0].data["text/plain"]
    assert grads.startswith("(-1.499999999") and "0.0)" in grads
    assert outputs[3][0].data["image/svg+xml"].startswith("<svg")
    assert "AGREE" in outputs[4][0].data["text/html"]
    assert "<Comparison of" in outputs[4][0].data["text/plain"]
    assert "PASS" in outputs[6][0].data["text/html"]
    page = example.render_html(executed)
    assert "data:image/svg+xml;base64," in page and page.count("In [") == len(example.CELLS)


def test_gradient_check_repr_is_one_line_and_html_shows_the_worst_entries():
    # Regression: repr was an 8,751-character dataclass dump, and there was no HTML.
    np = pytest.importorskip("numpy")
    from diffcompare import check_gradients

    def loss(x):
        return np.sum(x * x)

    x = np.array([1.0, 2.0, 3.0])
    passing = check_gradients(loss, x, grad=lambda x: 2 * x)
    assert repr(passing) == "<GradientCheck of loss: 3 entries, pass (agree)>"
    failing = check_gradients(loss, x, grad=lambda x: x)
    assert repr(failing).startswith("<GradientCheck of loss: 3 entries, fail (disagree), "
                                    "pattern: every entry is off by the same factor")
    html = failing._repr_html_()
    assert "FAIL" in html and "pattern: every entry" in html
    assert html.count("<tr") == 4  # header + the 3 wrong entries
    assert "PASS" in passing._repr_html_()


def test_matrix_comparison_repr_is_one_line_and_html_shows_the_matrix_table():
    # Regression: compare_jacobian/compare_hessian printed a dataclass dump, no HTML.
    from diffcompare import compare_hessian, compare_jacobian

    jacobian = compare_jacobian("x*y, x + y", at="x=1,y=2")
    assert repr(jacobian) == "<MatrixComparison jacobian (2×2) of 'x*y, x + y' at x = 1, y = 2: agree>"
    hessian = compare_hessian("x*y**2", at="x=1,y=2")
    assert repr(hessian).startswith("<MatrixComparison hessian (2×2) of 'x*y**2'")
    html = hessian._repr_html_()
    assert "AGREE" in html and "<table>" in html and "<code>x*y**2</code>" in html


def test_comparison_repr_without_variables_says_so():
    # Regression: compare(Value(3.0)) read "<Comparison of '3' at : agree>".
    assert repr(compare(Value(3.0))) == "<Comparison of '3' at no variables: agree>"


@pytest.mark.parametrize("label", ["pi", "e", "sin", "tanh"])
def test_compare_of_a_value_graph_renames_a_leaf_labelled_like_a_constant_or_function(label):
    # Regression: Value(1.0, label="pi")*2 printed "'pi*2' at pi = 1", which typed back
    # is the constant pi.
    comparison = compare(Value(1.0, label=label) * 2)
    assert repr(comparison) == f"<Comparison of '{label}_*2' at {label}_ = 1: agree>"
    assert comparison.expression.variables == (f"{label}_",)
