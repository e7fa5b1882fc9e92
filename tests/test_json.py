"""Every --json output is RFC 8259 JSON, whatever the numbers (no NaN, no Infinity)."""

import json
import math

import pytest
from helpers import ROOT

from diffcompare.cli import main
from diffcompare.options import to_json

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
    return json.loads(text, parse_constant=refuse)


@pytest.mark.parametrize("expression, at", EDGE_POINTS)
def test_json_main_command_is_json_at_edge_points(capsys, expression, at):
    status = main([expression, "--at", at, "--json"])
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
    assert _strict_json(to_json(data)) == {"a": "Infinity", "b": ["-Infinity", "NaN"],
                                           "c": [1.5, None]}
