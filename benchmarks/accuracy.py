"""Accuracy of every finite-difference scheme and of autograd on the smooth corpus.

    python benchmarks/accuracy.py

For each expression of ``corpus.SMOOTH`` (smooth, at points away from kinks and
singularities) and each partial derivative, the relative error of each method against
the symbolic reference (exact to 40 digits, from the exact rational point). Prints, per
method, the median and the worst relative error beside the target, the median ratio of
the method's own error estimate to its true error, and how many of those ratios lie
within a factor of 100. A row with gradcheck's fixed step (central differences,
h = 1e-6) shows what a fixed step costs. When installed (``pip install -e ".[bench]"``),
numdifftools' ``Derivative`` and scipy's ``scipy.differentiate.derivative`` get rows too,
each with its defaults and f along one variable (NaN where f cannot be evaluated), and
the time of our searched Richardson is compared with numdifftools' in the same run.
Exit status 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import mpmath  # noqa: E402
from tabulate import tabulate  # noqa: E402

from diffcompare.language.corpus import SMOOTH  # noqa: E402
from diffcompare.language.expression import non_analytic  # noqa: E402
from diffcompare.language.faults import ARITHMETIC_ERRORS  # noqa: E402
from diffcompare.language.parse import parse  # noqa: E402
from diffcompare.language.point import parse_point  # noqa: E402
from diffcompare.methods import autograd, finite_difference, symbolic  # noqa: E402

# Median relative error each method must reach (the issues' targets: 12 for Richardson).
TARGETS = {
    "central": 1e-9,
    "five_point": 1e-11,
    "richardson": 2e-14,
    "complex_step": 1e-15,
    "autograd": 1e-15,
}
# Worst relative error (issue 12): the searched Richardson, and the complex step's floor.
WORST_TARGETS = {"richardson": 3e-13, "complex_step": 1e-15}
# Our Richardson's time over numdifftools' on the whole corpus, at most (issue 12).
TIME_RATIO_TARGET = 0.25
NUMDIFFTOOLS = "numdifftools"
SCIPY = "scipy.differentiate"
GRADCHECK = "central, h = 1e-6"  # torch.autograd.gradcheck's default eps
GRADCHECK_STEP = 1e-6
HONEST_FACTOR = 100  # an error estimate within this factor of the true error counts


def methods_for(expression, with_others: bool = True):
    """name -> differentiate(expression, point) for every method that applies."""
    out = {}
    for name, scheme in finite_difference.SCHEMES.items():
        if scheme.is_complex and non_analytic(expression):
            continue
        out[name] = lambda e, p, name=name: finite_difference.differentiate(e, p, name)
    out[GRADCHECK] = lambda e, p: finite_difference.differentiate(
        e, p, "central", step=GRADCHECK_STEP)
    out["autograd"] = autograd.differentiate
    if with_others:
        out.update(external_tools())
    return out


def external_tools() -> dict:
    """numdifftools and scipy.differentiate, those installed, as methods."""
    tools = {}
    try:
        import numdifftools
    except ImportError:
        pass
    else:
        def by_numdifftools(f, x):
            estimate = numdifftools.Derivative(f, full_output=True)(x)
            return float(estimate[0]), float(estimate[1])
        tools[NUMDIFFTOOLS] = lambda e, p: _along_each_variable(by_numdifftools, e, p)
    try:
        from scipy.differentiate import derivative
    except ImportError:
        pass
    else:
        def by_scipy(f, x):
            result = derivative(f, x)
            return float(result.df), float(result.error)
        tools[SCIPY] = lambda e, p: _along_each_variable(by_scipy, e, p)
    return tools


def _along_each_variable(tool, expression, point):
    """A tool's derivatives, errors and evaluation count, in the shape of our results."""
    import numpy

    floats = {name: float(value) for name, value in point.items()}
    # The same f as our finite differences evaluate (only the nodes that depend on the
    # variable computed again), so that the times compare the methods, not two f's.
    evaluations = finite_difference._Evaluations(expression, floats)
    count = 0

    def scalar(along, value):
        nonlocal count
        count += 1
        try:
            return along(float(value))
        except ARITHMETIC_ERRORS:
            return math.nan

    gradient, errors = {}, {}
    for name in expression.variables:
        along = evaluations.along(name)
        f = numpy.vectorize(lambda value, along=along: scalar(along, value), otypes=[float])
        gradient[name], errors[name] = tool(f, floats[name])
    return SimpleNamespace(gradient=gradient, error_estimates=errors,
                           cost=SimpleNamespace(evaluations=count))


def measure(with_others: bool = True):
    """method -> list of (relative error, estimate / true error or None, evaluations,
    case name); method -> seconds in all; and the derivatives skipped because they are
    exactly 0."""
    rows: dict[str, list] = {}
    seconds: dict[str, float] = {}
    zeros = set()
    for index, case in enumerate(SMOOTH, 1):
        progress(f"{index}/{len(SMOOTH)} {case.name}")
        expression = parse(case.expression)
        point = parse_point(case.at, expression)
        reference = symbolic.differentiate(expression, point)
        for name, differentiate in methods_for(expression, with_others).items():
            start = time.perf_counter()
            result = differentiate(expression, point)
            seconds[name] = seconds.get(name, 0.0) + time.perf_counter() - start
            for variable in expression.variables:
                with mpmath.workdps(50):
                    exact = mpmath.mpf(reference.exact[variable])
                    if exact == 0:
                        zeros.add((case.name, variable))
                        continue
                    error = abs(mpmath.mpf(result.gradient[variable]) - exact)
                    relative = float(error / abs(exact))
                    if math.isnan(relative):  # the method gave NaN: no digit is right
                        relative = math.inf
                estimate = result.error_estimates.get(variable)
                ratio = None if estimate is None else estimate / max(float(error), 1e-300)
                evaluations = None if name == "autograd" else \
                    result.cost.evaluations / len(expression.variables)
                rows.setdefault(name, []).append((relative, ratio, evaluations,
                                                  f"{case.name}, d/d{variable}"))
    progress("")
    return rows, seconds, sorted(f"{name}, d/d{variable}" for name, variable in zeros)


def progress(text: str) -> None:
    """One line on a terminal's stderr, rewritten in place; nothing when redirected."""
    if sys.stderr.isatty():
        sys.stderr.write("\r" + text.ljust(50)[:50] + ("" if text else "\r"))
        sys.stderr.flush()


def _met(value: float, target: float | None) -> str:
    if target is None:
        return ""
    return "yes" if value <= target else "NO"


def table(rows, seconds) -> tuple[str, bool]:
    lines, all_met = [], True
    for name, values in rows.items():
        errors = [v[0] for v in values]
        worst = max(values, key=lambda v: v[0])
        ratios = [v[1] for v in values if v[1] is not None]
        median = statistics.median(errors)
        target, worst_target = TARGETS.get(name), WORST_TARGETS.get(name)
        met, worst_met = _met(median, target), _met(worst[0], worst_target)
        all_met &= "NO" not in (met, worst_met)
        honest = sum(1 / HONEST_FACTOR <= r <= HONEST_FACTOR for r in ratios)
        lines.append([
            name, len(values), f"{median:.1e}", "" if target is None else f"{target:.0e}",
            met, f"{worst[0]:.1e}", "" if worst_target is None else f"{worst_target:.0e}",
            worst_met, worst[3],
            f"{statistics.median(ratios):.1f}" if ratios else "",
            f"{honest}/{len(ratios)}" if ratios else "",
            "1 pass" if values[0][2] is None else f"{statistics.mean(v[2] for v in values):.1f}",
            f"{seconds[name]:.3f}",
        ])
    headers = ["method", "derivatives", "median", "target", "met", "worst", "target", "met",
               "worst at", "est/true", f"est within x{HONEST_FACTOR}", "f evals", "seconds"]
    return tabulate(lines, headers=headers, disable_numparse=True), all_met


def outliers(rows) -> list[str]:
    """The derivatives whose error estimate is off by more than HONEST_FACTOR, by side."""
    sides: dict[str, dict[str, list[str]]] = {"pessimistic": {}, "optimistic": {}}
    for name, values in rows.items():
        if name in (NUMDIFFTOOLS, SCIPY):
            continue  # theirs, shown for comparison: scipy's estimates are pessimistic by design
        for relative, ratio, _, where in values:
            if ratio is None or 1 / HONEST_FACTOR <= ratio <= HONEST_FACTOR:
                continue
            side = "pessimistic" if ratio > HONEST_FACTOR else "optimistic"
            sides[side].setdefault(where, []).append(f"{name} ({relative:.0e})")
    lines = [f"estimate {side} by more than x{HONEST_FACTOR} at {where}: {', '.join(found)}"
             for side, by_case in sides.items() for where, found in by_case.items()]
    exact = all("(0e+00)" in line for line in lines)
    if lines and exact:
        lines.append("  (each of these finite differences is exact, true error 0: f is affine "
                     "in that variable, so rounding cancels, and no ratio exists)")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--errors-only", action="store_true",
                        help="our methods only, no time ratio (what the test suite runs)")
    arguments = parser.parse_args()
    rows, seconds, zeros = measure(with_others=not arguments.errors_only)
    text, all_met = table(rows, seconds)
    analytic = sum(not non_analytic(parse(case.expression)) for case in SMOOTH)
    skipped = f"; skipped, exactly 0: {', '.join(zeros)}" if zeros else ""
    print(f"relative error of each derivative on the smooth corpus: {len(SMOOTH)} "
          f"expressions ({analytic} analytic, for the complex step){skipped}")
    print()
    print(text)
    print()
    print("median, worst: relative error against the exact value; target, met: the median "
          "and the worst required; est/true: median ratio of the method's own error estimate "
          f"to its true error; est within x{HONEST_FACTOR}: how many estimates are; f evals: "
          "evaluations of f per derivative, the error estimate's included; seconds: all of "
          "the method's calls in this run")
    for line in outliers(rows):
        print(line)
    if arguments.errors_only:
        pass
    elif NUMDIFFTOOLS in seconds:
        ratio = seconds["richardson"] / seconds[NUMDIFFTOOLS]
        met = ratio <= TIME_RATIO_TARGET
        all_met &= met
        print(f"time of richardson / numdifftools, same run: {ratio:.3f} "
              f"(target <= {TIME_RATIO_TARGET}): {'met' if met else 'NOT MET'}")
    else:
        print("numdifftools not installed (pip install -e \".[bench]\"): no time ratio")
    print("every target met" if all_met else "SOME TARGETS MISSED")
    return 0 if all_met else 1


if __name__ == "__main__":
    sys.exit(main())
