"""The benchmark scripts: each explains itself on --help without running, and those that
measure no time (accuracy, orders, the engines of tests/engines) run here and meet their
targets. Timed benchmarks (engine, budget_cost, fuzz, reference, jacobian_cost,
report_scale) are never run in the suite."""

import subprocess
import sys

import pytest
from helpers import ROOT

BENCHMARKS = sorted(path.name for path in (ROOT / "benchmarks").glob("*.py"))


def _run(script: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "benchmarks" / script), *args],
                          capture_output=True, text=True, timeout=timeout, cwd=ROOT)


def test_every_benchmark_is_listed():
    assert {"accuracy.py", "budget_cost.py", "check_engines.py", "engine.py",
            "fuzz.py", "gradcheck_compare.py", "grading.py", "reference.py",
            "verdicts.py", "orders.py", "jacobian_cost.py",
            "report_scale.py"} <= set(BENCHMARKS)


@pytest.mark.parametrize("script", BENCHMARKS)
def test_benchmark_help_explains_without_running(script):
    done = _run(script, "--help", timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage:") and done.stderr == ""


def test_accuracy_benchmark_meets_every_target():
    done = _run("accuracy.py", "--errors-only")  # no time ratio in the suite
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.rstrip().endswith("every target met")


def test_orders_benchmark_meets_every_target():
    # AD keeps its digits at second order, second differences lose about half
    done = _run("orders.py")
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.rstrip().endswith("every target met")


def test_check_engines_benchmark_passes_our_engine_and_catches_every_broken_one():
    done = _run("check_engines.py")
    assert done.returncode == 0, done.stderr
    rows = {line.split()[0]: line.split()[1:5] for line in done.stdout.splitlines()[2:]}
    assert rows["diffcompare.Value"][1] == "0"
    broken = {name: counts for name, counts in rows.items()
              if name not in ("diffcompare.Value", "correct.py")}
    # caught: a failure, or a limit (recursive_topo's RecursionError on the deep graph)
    assert broken and all(int(fail) + int(limits) > 0
                          for _, fail, _, limits in broken.values()), rows
    assert rows["correct.py"][1] == "0"
