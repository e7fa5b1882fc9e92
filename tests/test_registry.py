"""A method is one module and one registry entry: a method registered in a fixture shows in
the comparison, the table, the verdict, --json, the report and check with no other edit."""

import json

import pytest

from diffcompare import Value, check_engine, compare
from diffcompare.check import battery
from diffcompare.check.battery import BATTERY
from diffcompare.cli import EXIT_DISAGREE, EXIT_INTERNAL, main
from diffcompare.language.corpus import Case
from diffcompare.language.corpus_file import Entry
from diffcompare.methods import autograd, registry
from diffcompare.methods.results import Derivatives
from diffcompare.present import report as present_report
from diffcompare.present import verdict_text

HALVED = "halved"
BROKEN = "broken"


def _halved(expression, point) -> Derivatives:
    """A throwaway method: autograd's numbers, halved (wrong wherever they are not 0)."""
    right = autograd.differentiate(expression, point)
    return Derivatives(HALVED, right.value / 2,
                       {name: number / 2 for name, number in right.gradient.items()},
                       right.cost)


def _broken(expression, point) -> Derivatives:
    raise RuntimeError("this method always fails")


@pytest.fixture
def registered(monkeypatch):
    """Registers the halved and the broken method for one test."""
    monkeypatch.setitem(registry.REGISTRY, HALVED,
                        registry.Method(HALVED, "halved autograd", _halved, lambda e: 2))
    monkeypatch.setitem(registry.REGISTRY, BROKEN,
                        registry.Method(BROKEN, "always broken", _broken, lambda e: 1))
    battery._computed_reference.cache_clear()
    yield
    battery._computed_reference.cache_clear()


def test_registry_method_flows_through_compare_and_verdict(registered):
    result = compare("x**2*sin(y)", at="x=1,y=2")
    assert [r.method for r in result.methods] == ["autograd", "finite_difference", "forward",
                                                   HALVED, BROKEN]
    assert result.verdict.status == "disagree"
    failing = {(f.method, f.quantity) for f in result.verdict.failures}
    assert failing == {(HALVED, "value"), (HALVED, "x"), (HALVED, "y")}
    assert all(f.error.within is False and f.estimate is not None
               for f in result.verdict.failures)
    assert f"{HALVED} df/dx" in verdict_text(result.verdict)


def test_registry_method_that_raises_becomes_a_reason(registered):
    result = compare("x**2", at="x=3")
    broken = next(r for r in result.methods if r.method == BROKEN)
    assert broken.value is None and broken.gradient == {"x": None}
    assert broken.reasons["x"].startswith("the method failed: RuntimeError: this method")
    assert (BROKEN, broken.details["failed"]) in result.verdict.not_judged
    assert "always broken not judged (the method failed" in verdict_text(result.verdict)


def test_registry_method_shows_in_table_and_cost_line(registered):
    text = present_report(compare("x**2*sin(y)", at="x=1,y=2"))
    assert "halved autograd" in text and "always broken" in text
    cost = next(line for line in text.splitlines() if line.startswith("cost:"))
    assert HALVED in cost and BROKEN in cost


def test_registry_method_shows_in_json_and_never_exit_70(registered, capsys):
    status = main(["x**2*sin(y)", "--at", "x=1,y=2", "--json"])
    assert status == EXIT_DISAGREE != EXIT_INTERNAL
    document = json.loads(capsys.readouterr().out)
    assert document["gradient"]["x"][HALVED] == document["gradient"]["x"]["autograd"] / 2
    assert document["errors"][HALVED]["x"]["within"] is False
    assert "the method failed" in document["reasons"][BROKEN]["x"]


def test_registry_method_shows_in_the_report(registered):
    pytest.importorskip("matplotlib")
    from diffcompare.report import content
    from diffcompare.report.cases import accuracy, build
    from diffcompare.report.command import render

    made = build([Entry(Case("square", "x**2*y", "x=1,y=2"), "test")], sizes=(1, 2),
                 depths=(1,))
    overview = content.overview(made)
    assert "halved autograd digits" in overview.headers
    assert "always broken digits" in overview.headers
    assert "halved autograd" in [row[0] for row in content.costs(made.cases[0]).rows]
    labels, rows = accuracy(made)
    assert "halved autograd" in labels and rows[0].digits["halved autograd"] < 1
    pages = render(made)
    html = next(body for name, body in pages.items() if name.endswith(".html")).decode()
    assert "halved autograd" in html and "always broken" in html


def test_registry_method_shows_in_check(registered):
    report = check_engine(Value, checks=BATTERY[:2])
    observation = report.results[0].observations[0]
    assert set(observation.estimates) >= {"autograd", "finite_difference", HALVED, BROKEN}
    assert observation.estimates[BROKEN] is None
    assert observation.estimates[HALVED] == pytest.approx(observation.exact / 2)
