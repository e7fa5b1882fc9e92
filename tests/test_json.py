"""Every --json output (main, check, train, report) and grade's grades.json is RFC 8259
JSON with a schema_version, whatever the numbers (no NaN, no Infinity)."""

import json
import math

import pytest
from helpers import ROOT

from diffcompare.cli import main
from diffcompare.options import SCHEMA_VERSION, json_text

ENGINES = ROOT / "tests" / "engines"

# Points where f, a derivative or a finite difference overflows, vanishes or is NaN.
EDGE_POINTS = [
    ("x", "x=1.7976931348623157e308"),
    ("x", "x=-1.7976931348623157e308"),
    ("x**2", "x=1e200"),
    ("exp(x)", "x=710"),
    ("log(x)", "x=5e-324"),
    ("1/x", "x=5e-324"),
    ("sqrt(x)", "x=0"),
    ("x*y", "x=1e308,y=1e308"),
    ("tanh(x)", "x=1e308"),
]


def _strict_json(text: str):
    def refuse(token):
        raise ValueError(f"not JSON: {token}")
    document = json.loads(text, parse_constant=refuse)
    assert next(iter(document)) == "schema_version"
    assert document["schema_version"] == SCHEMA_VERSION
    return document


@pytest.mark.parametrize("expression, at", EDGE_POINTS)
def test_json_main_command_is_json_at_edge_points(capsys, expression, at):
    status = main([expression, "--at", at, "--json"])
    assert status in (0, 1, 3)
    _strict_json(capsys.readouterr().out)


@pytest.mark.parametrize("arguments", [
    ["[x*y, sin(x)*z]", "--at", "x=1,y=2,z=3"],  # a Jacobian
    ["[exp(x), x]", "--at", "x=1000"],  # a Jacobian whose entries overflow
    ["x*y", "--order", "2", "--at", "x=1,y=2"],  # a Hessian
    ["exp(x)*y", "--order", "2", "--at", "x=710,y=1"],
])
def test_json_jacobian_and_hessian_are_json_with_the_schema_version(capsys, arguments):
    # They had no schema_version, and json.dumps(allow_nan=False) could raise on inf.
    status = main([*arguments, "--json"])
    assert status in (0, 1, 3)
    _strict_json(capsys.readouterr().out)


def test_json_main_command_with_an_engine_is_json(capsys):
    status = main(["x**2", "--at", "x=1e200", "--json", "--engine", str(ENGINES / "correct.py")])
    assert status in (0, 1, 3)
    _strict_json(capsys.readouterr().out)


def test_json_check_is_json_for_one_engine_and_a_class(capsys):
    assert main(["check", str(ENGINES / "wrong_tanh.py"), "--json"]) == 1
    _strict_json(capsys.readouterr().out)
    assert main(["check", str(ENGINES / "correct.py"), str(ENGINES / "no_seed.py"),
                 "--json"]) == 1
    assert len(_strict_json(capsys.readouterr().out)["engines"]) == 2


def test_json_not_finite_numbers_are_documented_strings():
    data = {"a": math.inf, "b": [-math.inf, math.nan], "c": (1.5, None)}
    assert _strict_json(json_text(data)) == {"schema_version": SCHEMA_VERSION,
                                             "a": "Infinity", "b": ["-Infinity", "NaN"],
                                             "c": [1.5, None]}


def test_json_train_is_json_when_the_training_diverges(capsys):
    # linear neurons and this learning rate send the loss and the weights past the float
    # range: the numbers that are not finite are null
    assert main(["train", "--steps", "3", "--lr", "1e300", "--activation", "linear",
                 "--json"]) == 0
    document = _strict_json(capsys.readouterr().out)
    assert document["final_loss"] is None
    assert all(p["prediction"] is None for p in document["predictions"])


def test_json_train_with_the_gradient_check_is_json(capsys):
    assert main(["train", "--steps", "1", "--sizes", "2,1", "--check", "--json"]) == 0
    document = _strict_json(capsys.readouterr().out)
    assert document["gradient_check"]["verdict"] == "agree"


def test_json_report_is_json_for_a_corpus_of_edge_points(tmp_path, capsys):
    corpus = tmp_path / "edges.txt"
    corpus.write_text("".join(f"{expression} @ {at}\n" for expression, at in EDGE_POINTS))
    assert main(["report", "--corpus", str(corpus), "--out", str(tmp_path / "out"),
                 "--max-n", "1", "--json"]) == 0
    document = _strict_json(capsys.readouterr().out)
    assert len(document["verdicts"]) == len(EDGE_POINTS)


def test_json_grades_file_is_json_for_answers_at_edge_points(tmp_path):
    answers = tmp_path / "answers.jsonl"
    answers.write_text("".join(
        json.dumps({"student": f"s{n}", "function": expression, "at": at,
                    "derivative": "1"}) + "\n"
        for n, (expression, at) in enumerate(EDGE_POINTS)))
    assert main(["grade", str(answers), "--out", str(tmp_path / "g")]) == 0
    document = _strict_json((tmp_path / "g" / "grades.json").read_text())
    assert len(document["grades"]) == len(EDGE_POINTS)
