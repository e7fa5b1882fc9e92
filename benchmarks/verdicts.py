"""The verdict against cases whose right verdict is known, and on random smooth expressions.

    python benchmarks/verdicts.py                 # the known cases and 10,000 random ones
    python benchmarks/verdicts.py --quick         # the known cases and 300 random ones
    python benchmarks/verdicts.py --random 2000 --seed 3 --safety 2

Known cases, by kind, each with the verdict a numerical analyst would sign:

- zero derivatives (AGREE): x**k at 0, Rosenbrock at its minimum, a squared error at a
  perfect fit, cos at 0 ...;
- kinks (KINK): abs and relu at their switching point, inside other functions;
- undefined points (UNDEFINED): log, sqrt and division at the edge of their domain;
- ill-conditioned but correct (AGREE): log(1 + u) with u tiny, a large constant term,
  cancellation in (x + c) - c ...;
- the expression as written: UNDEFINED where a node of the tree is (x/x at 0), KINK where
  sympy's form hides one (sqrt(x**2) at 0), AGREE from a limit (x**y at 0, 1) and where
  the finite-difference stencil straddles a kink near the point (abs(3*x - 1));
- jumps (KINK): sign at 0, where f is not continuous;
- branch cuts (KINK on atan2's cut y = 0, x < 0; AGREE off it, or where f is continuous
  across it);
- subnormal points (AGREE): x = 1e-320 and the like, where the point's rounding and f's
  underflow are in the bounds, and a stencil that cannot resolve the derivative is not
  judged;
- wrong engines (DISAGREE): each broken engine of tests/engines/ on expressions that use
  its bug, as the fourth column (``--engine``).

Random smooth expressions: seeded random trees of sin, cos, exp, tanh, sigmoid, log and
sqrt of positive arguments, + - * and division by a positive number, at random points
where every method is defined. All methods are right there, so any DISAGREE is a false
alarm: the target is 0. Prints right/wrong counts per kind, the random run's verdict
counts, and "met" or "NOT MET" for each target. ``--safety`` overrides
``compare.SAFETY_FACTOR`` to measure how the counts move with it.
"""

from __future__ import annotations

import argparse
import importlib
import random
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from diffcompare.check import user_engine, user_graph  # noqa: E402
from diffcompare.compare import METHODS, compare  # noqa: E402
from diffcompare.language.errors import InputError  # noqa: E402
from diffcompare.language.parse import parse  # noqa: E402
from diffcompare.present import verdict_text  # noqa: E402

compare_module = importlib.import_module("diffcompare.compare")  # the package's name is the function

DEFAULT_RANDOM = 10_000
QUICK_RANDOM = 300
ENGINES = ROOT / "tests" / "engines"

# ---- the known cases: (kind, expression, point, right verdict, engine file or None) ----


def _zero_derivatives() -> list[tuple]:
    cases = [(f"x**{k}", "x=0") for k in range(2, 9)]
    cases += [(f"x**{k}*y", "x=0,y=1.5") for k in range(2, 6)]
    cases += [("(1 - x)**2 + 100*(y - x**2)**2", "x=1,y=1"),
              ("(w*x - y)**2", "w=2,x=3,y=6"), ("(w*x + b - y)**2", "w=0.5,x=4,b=1,y=3"),
              ("cos(x)", "x=0"), ("cosh_free = exp(x) + exp(-x); cosh_free", "x=0"),
              ("x**2 + y**2", "x=0,y=0"), ("sin(x)**2", "x=0"), ("tanh(x)**2", "x=0"),
              ("x*y", "x=0,y=0"), ("exp(x**2)", "x=0"), ("log(1 + x**2)", "x=0"),
              ("sqrt(1 + x**2)", "x=0"), ("sigmoid(x**3)", "x=0"),
              ("(x - 0.5)**2", "x=0.5"), ("(x - 0.1)**2*(y + 2)", "x=0.1,y=1"),
              ("1e6*(x - 3)**2", "x=3"), ("1e-6*x**4", "x=0"), ("x**3 - 3*x", "x=1"),
              ("exp(-(x - 2)**2)", "x=2"), ("sin(x)*sin(y)", "x=0,y=0"),
              ("(x**2 - 1)**2", "x=1"), ("(x**2 - 1)**2", "x=-1"), ("x**4*y**2", "x=0,y=0")]
    return [("zero derivative", text, at, "agree", None) for text, at in cases]


def _kinks() -> list[tuple]:
    cases = []
    for c in ("0", "1", "-2", "0.5", "0.25", "3"):
        cases += [(f"abs(x - {c})", f"x={c}"), (f"relu(x - {c}) + relu({c} - x)*2", f"x={c}"),
                  (f"abs(x - {c})*exp(y)", f"x={c},y=0.5")]
    cases += [("abs(x)", "x=0"), ("relu(x)", "x=0"), ("abs(x) + x**2", "x=0"),
              ("abs(sin(x))", "x=0"), ("abs(x*y)", "x=0,y=2"), ("relu(x)*3 + y", "x=0,y=1"),
              ("abs(x) + abs(y)", "x=0,y=0"), ("tanh(abs(x))", "x=0"),
              ("abs(x)*cos(x)", "x=0"), ("abs(x - y)", "x=1,y=1"),
              ("exp(abs(x))", "x=0"), ("abs(2*x - 1)", "x=0.5")]
    return [("kink", text, at, "kink", None) for text, at in cases]


def _undefined() -> list[tuple]:
    cases = []
    for c in ("0", "-1", "-0.5", "-3"):
        cases += [(f"log(x - {c}) + 1", f"x={c}"), (f"sqrt(x - {c}) + x", f"x={c}")]
    cases += [("log(x)", f"x={v}") for v in ("-1", "-2", "0", "-0.5")]
    cases += [("sqrt(x)", f"x={v}") for v in ("-1", "-4", "0")]
    cases += [("1/x", "x=0"), ("x/y", "x=1,y=0"), ("log(x*y)", "x=1,y=-1"),
              ("sqrt(x**2 - 1)", "x=0.5"), ("log(sin(x))", "x=0"), ("y/(x - 1)", "x=1,y=2"),
              ("log(x) + y", "x=0,y=1"), ("sqrt(x)*y", "x=0,y=2"), ("tan(x)/x", "x=0")]
    return [("undefined point", text, at, "undefined", None) for text, at in cases]


def _ill_conditioned() -> list[tuple]:
    cases = []
    for u in ("1e-4", "1e-6", "1e-8", "3e-8", "1e-10"):
        cases += [(f"log(1 + {u}*x)", "x=0.7"), (f"exp({u}*x) - 1", "x=1.3"),
                  (f"(x + 1e8) - 1e8 + {u}*y", "x=0.3,y=2")]
    for big in ("1e6", "1e9", "1e12"):
        cases += [(f"{big}*y + tanh(x)", "x=0.5,y=3"), (f"{big} + sin(x)", "x=1"),
                  (f"{big}*y + x**2", "x=0.1,y=1")]
    cases += [("log(1 + (y**2*cos(4*x - 3)*tanh(y))**2)", "x=0.3,y=0.1"),
              ("1 - cos(x)", "x=1e-4"), ("cos(x) - 1 + x**2/2", "x=0.01"),
              ("sqrt(1 + x) - 1", "x=1e-8"), ("exp(x) - 1 - x", "x=1e-5"),
              ("x**2 - y**2", "x=1e4,y=9999.9"), ("(1 + x)**20 - 1", "x=1e-6"),
              ("tanh(x)", "x=15"), ("sigmoid(x)", "x=-30"), ("log(x)", "x=1.000001"),
              ("sin(x)", "x=1e5"), ("x*1e-200*y", "x=2,y=3"), ("exp(x)", "x=300"),
              ("1/(1 - x)", "x=0.999"), ("x**30", "x=0.9")]
    return [("ill-conditioned, correct", text, at, "agree", None) for text, at in cases]


_WRONG_ENGINES = {
    "wrong_tanh.py": ["tanh(x)", "1e9*y + tanh(x)", "tanh(x*y) + y", "x*tanh(x)"],
    "pow_off_by_one.py": ["x**3", "x**2 + y", "(x + y)**3", "x**4*y"],
    "wrong_rsub.py": ["2 - x", "1 - x*y", "3 - tanh(x)", "5 - x**2"],
    "wrong_radd.py": ["2 + x", "1 + x*y", "3 + tanh(x)", "0.5 + x**2"],
    "grad_assigned_add.py": ["x + x", "x*y + (x + x)", "s = x + y; s + s", "x + x*x + x"],
    "grad_assigned_all.py": ["x*x", "x*y + x", "tanh(x) + x", "x*x*y"],
    "no_seed.py": ["x*y", "tanh(x)", "x**2", "x + y"],
    "no_topo.py": ["a = x*y; b = a*a; b + a", "a = x*y; b = a + a; b*a", "a = x*y; (a + x)*a",
                   "t = tanh(x); t*t + t"],
}
_ENGINE_POINTS = ({"x": "0.5", "y": "3"}, {"x": "-1.25", "y": "0.75"})


def _wrong_engines() -> list[tuple]:
    cases = []
    for engine, texts in _WRONG_ENGINES.items():
        for text in texts:
            names = parse(text).variables
            for point in _ENGINE_POINTS:
                at = ",".join(f"{name}={point[name]}" for name in names)
                cases.append(("wrong engine", text, at, "disagree", engine))
    return cases


def _as_written() -> list[tuple]:
    """The tree as written decides: sympy's simplified form (x/x is 1) does not."""
    undefined = [("x/x", "x=0"), ("x*y/y", "x=1,y=0"), ("exp(log(x))", "x=-1"),
                 ("sin(x)/x", "x=0"), ("(x**2 - 1)/(x - 1)", "x=1"), ("log(exp(x))*x/x", "x=0"),
                 ("sqrt(x)**2", "x=-1"), ("x**2*log(x)", "x=0"), ("tan(x)/tan(x)", "x=0"),
                 ("(exp(x) - 1)/x", "x=0")]
    hidden = [("sqrt(x**2)", "x=0"), ("sqrt((x - 1)**2)", "x=1"), ("(x**2)**0.5", "x=0"),
              ("sqrt(x**2)*exp(y)", "x=0,y=0.5"), ("sqrt((2*x + 1)**2)", "x=-0.5"),
              ("sqrt(x**2) + x**2", "x=0"), ("(x**4)**0.25", "x=0"), ("sqrt((x - y)**2)", "x=2,y=2")]
    limits = [("x**y", "x=0,y=1"), ("x**y", "x=0,y=2"), ("x**(2*y)", "x=0,y=1"),
              ("x**y + y", "x=0,y=3"), ("3*x**y", "x=0,y=1"), ("x**(y + 1)", "x=0,y=0")]
    straddled = [("abs(3*x - 1)", "x=0.3333333333333333"), ("abs(x - 1e-7)", "x=0"),
                 ("relu(x - 1e-7)", "x=0"), ("abs(x - y)", "x=1,y=1.0000001"),
                 ("abs(x + 1e-8)*2", "x=0"), ("relu(1e-7 - x) + x", "x=0")]
    return ([("as written: undefined", t, at, "undefined", None) for t, at in undefined]
            + [("hidden kink", t, at, "kink", None) for t, at in hidden]
            + [("from a limit", t, at, "agree", None) for t, at in limits]
            + [("stencil straddles a kink", t, at, "agree", None) for t, at in straddled])


def _jumps() -> list[tuple]:
    cases = [("sign(x)", "x=0"), ("sign(x - 1)*y", "x=1,y=2"), ("x + sign(x)", "x=0"),
             ("sign(x)*exp(y)", "x=0,y=0.5"), ("tanh(sign(x - 0.5))", "x=0.5"),
             ("sign(x) + sign(y)", "x=0,y=0")]
    return [("jump", text, at, "kink", None) for text, at in cases]


def _branch_cuts() -> list[tuple]:
    on = [("atan2(y, x)", "x=-1,y=0"), ("atan2(y, x)", "x=-2.5,y=0"),
          ("atan2(y - 1, x)", "x=-1,y=1"), ("atan2(y, x)*x", "x=-1,y=0"),
          ("atan2(y, x - 2)", "x=0,y=0")]
    # off the cut, or continuous across it (sin(±pi) = 0): smooth
    off = [("atan2(y, x)", "x=1,y=0"), ("atan2(y, x)", "x=-1,y=0.5"),
           ("sin(atan2(y, x))", "x=-3,y=0")]
    return ([("branch cut", text, at, "kink", None) for text, at in on]
            + [("branch cut", text, at, "agree", None) for text, at in off])


def _subnormal_points() -> list[tuple]:
    cases = [("sqrt(x)", "x=1e-320"), ("x**2", "x=1e-320"), ("exp(x)", "x=1e-320"),
             ("sin(x)", "x=1e-320"), ("x*y", "x=1e-320,y=3"), ("x + 1", "x=1e-310"),
             ("tanh(x)", "x=2e-315"), ("sqrt(x + y)", "x=1e-320,y=1e-320"),
             ("sqrt(x)*y", "x=1e-320,y=2"), ("x*y", "x=1e-320,y=1e-320"),
             ("exp(x)*y", "x=1e-320,y=1e-320")]
    return [("subnormal point", text, at, "agree", None) for text, at in cases]


def known_cases() -> list[tuple]:
    return (_zero_derivatives() + _kinks() + _undefined() + _ill_conditioned()
            + _wrong_engines() + _as_written() + _jumps() + _branch_cuts()
            + _subnormal_points())


def _methods(engine: str | None, loaded: dict):
    if engine is None:
        return None
    if engine not in loaded:
        cls = user_engine.load(f"{ENGINES / engine}:Value")
        loaded[engine] = {**METHODS, user_engine.name_of(cls): user_graph.method(cls)}
    return loaded[engine]


def run_known(verbose: bool) -> tuple[Counter, Counter]:
    right, wrong = Counter(), Counter()
    loaded: dict = {}
    for kind, text, at, expected, engine in known_cases():
        try:
            result = compare(text, at=at, methods=_methods(engine, loaded), timeout=0)
        except InputError as error:
            wrong[kind] += 1
            print(f"  bad case: {text} at {at}: {error.one_line()}")
            continue
        status = result.verdict.status
        if status == expected:
            right[kind] += 1
        else:
            wrong[kind] += 1
            if verbose:
                print(f"  wrong: {kind}: {text} at {at}"
                      f"{' with ' + engine if engine else ''}: expected {expected}, "
                      f"got {verdict_text(result.verdict)[:300]}")
    return right, wrong


# ---- random smooth expressions ----

_UNARY = ("sin({})", "cos({})", "exp({})", "tanh({})", "sigmoid({})", "log(1 + ({})**2)",
          "sqrt(2 + ({})**2)", "exp(-({})**2)")
_BINARY = ("({} + {})", "({} - {})", "({} * {})", "({} / (1 + ({})**2))")


def random_expression(rng: random.Random, depth: int) -> str:
    if depth == 0 or rng.random() < 0.2:
        if rng.random() < 0.7:
            return rng.choice(("x", "y"))
        return repr(round(rng.uniform(-3, 3), rng.choice((0, 1, 2))))
    if rng.random() < 0.45:
        return rng.choice(_UNARY).format(random_expression(rng, depth - 1))
    template = rng.choice(_BINARY)
    left, right = random_expression(rng, depth - 1), random_expression(rng, depth - 1)
    return template.format(left, right, right) if template.count("{}") == 3 else \
        template.format(left, right)


def run_random(count: int, seed: int, verbose: bool) -> tuple[Counter, dict[str, float]]:
    """The verdicts' counts, and per method the largest |error| / own bound seen: how
    much of the safety factor the bounds needed."""
    rng = random.Random(seed)
    statuses = Counter()
    largest: dict[str, float] = {}
    for _ in range(count):
        text = random_expression(rng, rng.randint(1, 5))
        names = parse(text).variables
        if not names:
            text, names = text + " + x", ("x",)
        at = ",".join(f"{name}={round(rng.uniform(-2, 2), 2)}" for name in names)
        result = compare(text, at=at, timeout=0)
        statuses[result.verdict.status] += 1
        for method, errors in result.errors.items():
            for error in errors.values():
                if error.bound and error.absolute is not None:
                    largest[method] = max(largest.get(method, 0.0), error.absolute / error.bound)
        if result.verdict.status == "disagree" and verbose:
            print(f"  DISAGREE: {text} at {at}: {verdict_text(result.verdict)[:300]}")
    return statuses, largest


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--random", type=int, default=None, metavar="N",
                        help=f"random smooth expressions (default {DEFAULT_RANDOM:,})")
    parser.add_argument("--quick", action="store_true",
                        help=f"only {QUICK_RANDOM} random expressions")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--safety", type=float, default=None,
                        help="override compare.SAFETY_FACTOR for this run")
    parser.add_argument("--verbose", action="store_true", help="print every wrong verdict")
    args = parser.parse_args()
    if args.safety is not None:
        compare_module.SAFETY_FACTOR = args.safety
    count = args.random if args.random is not None else (
        QUICK_RANDOM if args.quick else DEFAULT_RANDOM)

    right, wrong = run_known(args.verbose)
    print(f"known cases (safety factor {compare_module.SAFETY_FACTOR:g}):")
    print(f"  {'kind':<26} {'right':>6} {'wrong':>6}")
    for kind in sorted(set(right) | set(wrong)):
        print(f"  {kind:<26} {right[kind]:>6} {wrong[kind]:>6}")
    total_right, total_wrong = sum(right.values()), sum(wrong.values())
    print(f"  {'total':<26} {total_right:>6} {total_wrong:>6}")
    statuses, largest = run_random(count, args.seed, args.verbose)
    print(f"random smooth expressions (seed {args.seed}): {count:,}; "
          + ", ".join(f"{status} {n:,}" for status, n in sorted(statuses.items())))
    print("  largest |error| / own bound: "
          + ", ".join(f"{method} {ratio:.2g}" for method, ratio in sorted(largest.items())))
    known_met = total_wrong == 0
    random_met = statuses["disagree"] == 0
    print(f"every known verdict right: {'met' if known_met else 'NOT MET'}")
    print(f"no DISAGREE on random smooth expressions: {'met' if random_met else 'NOT MET'}")
    return 0 if known_met and random_met else 1


if __name__ == "__main__":
    sys.exit(main())
