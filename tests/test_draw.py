"""draw: the computation graph as an SVG picture, from Python and from the CLI."""

import os
import re
import xml.etree.ElementTree as ElementTree

import pytest

from diffcompare import Value, compare, draw, files, parse, pictures
from diffcompare.cli import main

SVG = "{http://www.w3.org/2000/svg}"


def _lecture_graph():
    a, b, c, f = (Value(v, label=name) for v, name in
                  [(2.0, "a"), (-3.0, "b"), (10.0, "c"), (-2.0, "f")])
    L = (a * b + c) * f
    L.backward()
    return L


def _boxes(document: str) -> dict[str, str]:
    """Hover title of every node box: 'name: data D, grad G'."""
    root = ElementTree.fromstring(document)
    return {g.find(f"{SVG}title").text.split(":")[0]: g.find(f"{SVG}title").text
            for g in root.iter(f"{SVG}g")}


def test_draw_svg_is_xml_with_one_box_per_node_showing_name_data_and_grad():
    document = draw.svg(_lecture_graph())
    root = ElementTree.fromstring(document)
    assert root.tag == f"{SVG}svg"
    assert len(list(root.iter(f"{SVG}rect"))) == 7
    assert len(list(root.iter(f"{SVG}path"))) == 6 + 1  # six edges and the arrow head
    texts = [t.text for t in root.iter(f"{SVG}text")]
    for name in ["a", "b", "c", "f", "*", "+"]:
        assert name in texts
    assert "data -8" in texts and "grad 6" in texts  # L = -8; dL/da = b*f = 6


def test_draw_svg_is_deterministic_and_escapes_labels():
    assert draw.svg(_lecture_graph()) == draw.svg(_lecture_graph())
    x = Value(1.0, label="<x & y>")
    document = draw.svg(x * 2)
    assert "&lt;x &amp; y&gt;" in document
    ElementTree.fromstring(document)


def test_draw_value_draw_writes_the_file_atomically_with_usual_permissions(tmp_path):
    path = tmp_path / "graph.svg"
    _lecture_graph().draw(path)
    ElementTree.parse(path)
    assert os.listdir(tmp_path) == ["graph.svg"]
    mask = os.umask(0)
    os.umask(mask)
    assert os.stat(path).st_mode & 0o777 == 0o666 & ~mask


def test_draw_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    path = tmp_path / "graph.svg"
    path.write_text("old")
    with pytest.raises(TypeError):
        files.write_atomically(path, None)
    assert path.read_text() == "old"
    assert os.listdir(tmp_path) == ["graph.svg"]


def test_draw_refuses_a_graph_too_big_to_read(tmp_path):
    y = Value(1.0)
    for _ in range(50):
        y = y + 1.0
    with pytest.raises(ValueError, match="51 nodes"):
        draw.write_svg(y, tmp_path / "big.svg", max_nodes=50)
    assert not (tmp_path / "big.svg").exists()


def test_draw_deep_graph_needs_no_recursion():
    y = Value(0.5, label="x")
    for _ in range(3000):
        y = y * 1.0
    y.backward()
    root = ElementTree.fromstring(draw.svg(y))
    assert len(list(root.iter(f"{SVG}rect"))) == 3001


def test_draw_leaf_sits_just_before_its_first_use():
    document = draw.svg(_lecture_graph())
    x_of = {m.group(2): int(m.group(1)) for m in re.finditer(
        r'<rect x="(\d+)" y="\d+"[^>]*/>\n<text [^>]*>([^<]*)</text>', document)}
    assert x_of["a"] == x_of["b"] < x_of["c"] < x_of["f"]


def test_draw_expression_graph_labels_leaves_and_shows_autograd_gradients():
    expression = parse("x**2*sin(y) + tanh(x*y)")
    point = {"x": 1, "y": 2}
    boxes = _boxes(pictures.expression_svg(expression, point))
    gradient = compare(expression, at="x=1,y=2").methods[0].gradient
    assert boxes["x"] == f"x: data 1.0, grad {gradient['x']!r}"
    assert boxes["y"] == f"y: data 2.0, grad {gradient['y']!r}"
    assert "** 2" in boxes  # the folded constant is shown in its operation


def test_draw_cli_graph_option_writes_an_svg(tmp_path, capsys):
    path = tmp_path / "out.svg"
    assert main(["x**2*sin(y) + tanh(x*y)", "--at", "x=1,y=2", "--graph", str(path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[-1].startswith("AGREE")
    assert f"graph written to {path} (open it in a browser)" in lines
    assert {"x", "y", "sin", "tanh"} <= set(_boxes(path.read_text()))


def test_draw_cli_graph_to_an_unwritable_place_is_one_line_and_exit_2(tmp_path, capsys):
    assert main(["x**2", "--at", "x=1", "--graph", str(tmp_path / "no" / "g.svg")]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and len(captured.err.strip().splitlines()) == 1
    assert "cannot write the graph" in captured.err


def test_draw_cli_graph_where_undefined_says_why_and_writes_nothing(tmp_path, capsys):
    path = tmp_path / "g.svg"
    assert main(["log(x)", "--at", "x=-1", "--graph", str(path)]) == 3
    assert "no graph written" in capsys.readouterr().err
    assert not path.exists()
