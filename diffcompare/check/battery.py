"""Check a learner's own engine: a battery of small graphs, each against the exact values.

``check_engine(Value)`` builds every graph of ``BATTERY`` with the user's class, calls
``backward()``, and measures each number against the symbolic reference (sympy, to 40
digits) with ``compare.measure``; the finite-difference estimate is kept beside it.
Our own engine takes no part: the reference for a learner's engine is never another
engine. ``diagnose`` then reads the pattern of results and names the likely bug.

>>> from diffcompare import Value
>>> report = check_engine(Value)
>>> report.ok, report.counts["fail"]
(True, 0)
"""

from __future__ import annotations

import functools
import math
import time
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Callable, Mapping

from diffcompare.check import user_engine, user_graph
from diffcompare.check.user_graph import FORMS, Failure, Run
from diffcompare.compare import DEFAULT_TOLERANCE, METHODS, measure, run_method
from diffcompare.language.corpus import MICROGRAD_README, TANH_NEURON, TANH_NEURON_POINT
from diffcompare.language.expression import Call, Const, Expression, Var
from diffcompare.language.parse import parse
from diffcompare.language.point import parse_point
from diffcompare.language.primitives import PRIMITIVES
from diffcompare.methods import finite_difference, symbolic
from diffcompare.methods.results import Derivatives, SymbolicDerivatives

# The deep-graph check: a chain of this many operations. Python's default recursion
# limit is 1000 nested calls, so a recursive topological sort fails well before it,
# while a correct engine needs a few milliseconds.
DEEP_OPERATIONS = 5_000


@dataclass(frozen=True)
class Check:
    """One graph of the battery.

    ``role`` tells ``diagnose`` what a failure here means: "alone:OP" (one operation,
    each input used once), "reused:OP" (OP's input also used after OP; ``share`` is the
    other path's contribution to df/dx), "same" (one node used twice by one operation),
    "shared" (a node reached by two paths), "number:KEY", "order:N" (two spellings of
    one function share N), "twice", "fresh", "deep", "edge", or "" (an example).
    """

    name: str
    group: str
    expression: str
    at: str
    role: str = ""
    mode: str = "once"
    share: str = ""
    build: Callable[[], Expression] | None = None  # builds the tree when text would be long


_XY = "x=1.5,y=-0.75"

def alone() -> list[tuple[str, str, str]]:
    """(operation, expression, point): each operation a micrograd-style engine spells
    (every spelled row of the table), alone, at its rows' ``checks`` or its example."""
    return [(name, expression, at)
            for name, primitive in PRIMITIVES.items() if primitive.spelled
            for expression, at in (primitive.checks or (primitive.example,))]


def _reused(operation: str, expression: str, at: str) -> Check:
    # OP's input x is used again by the operation above it. That operation's backward
    # runs first, so an OP whose backward assigns (=) overwrites its share.
    operand = f"({expression})" if " " in expression or expression.startswith("-") \
        else expression
    if operation == "mul":
        return Check(f"{operand} + x", "node reuse", f"{operand} + x", at,
                     f"reused:{operation}", share="1")
    return Check(f"{operand} * x", "node reuse", f"{operand} * x", at,
                 f"reused:{operation}", share=expression)


def battery() -> tuple[Check, ...]:
    """Every check, built from the table as it is now: a row added is checked at once."""
    operations_alone = alone()
    checks = [Check(expression, "operations", expression, at, f"alone:{operation}")
              for operation, expression, at in operations_alone]
    for key in ("add number", "radd", "sub number", "rsub", "mul number", "rmul",
                "div number", "rdiv", "rpow"):
        checks.append(Check(FORMS[key], "numbers as operands", FORMS[key], "x=1.5",
                            f"number:{key}"))
    checks += [
        Check("x + x", "node reuse", "x + x", "x=1.5", "same"),
        Check("x * x", "node reuse", "x * x", "x=1.5", "same"),
        Check("b = x*x; b + b", "node reuse", "b = x*x; b + b", "x=1.5", "same"),
        Check("b = x*y; c = b + y; b*c", "node reuse", "b = x*y; c = b + y; b*c", _XY,
              "shared"),
        Check("a = x + y; a*x + a*y", "node reuse", "a = x + y; a*x + a*y", _XY, "shared"),
    ]
    seen = set()
    for operation, expression, at in operations_alone:
        if (operation, "y" in expression) not in seen:
            seen.add((operation, "y" in expression))
            checks.append(_reused(operation, expression, at))
    checks += [
        Check("tanh neuron", "lecture examples", TANH_NEURON, TANH_NEURON_POINT),
        Check("micrograd README", "lecture examples", MICROGRAD_README, "a=-4,b=2", "shared"),
    ]
    for pair, (first, second, at) in enumerate([
        ("x*y + z", "z + y*x", "x=1.5,y=-0.75,z=0.5"),
        ("2*x - y", "-y + x*2", _XY),
        ("1 - x/y", "-(x/y) + 1", _XY),
    ]):
        checks += [Check(text, "operand order", text, at, f"order:{pair}")
                   for text in (first, second)]
    checks += [
        Check("backward() twice: grads add up", "repeated backward", "x * y", _XY,
              "twice", mode="twice"),
        Check("zero grads, new graph, backward()", "repeated backward", "x * y", _XY,
              "fresh", mode="fresh"),
        Check(f"a chain of {DEEP_OPERATIONS:,} operations", "deep graph",
              "y = x; y = y*1.0 + 0.5; ...", "x=0.5", "deep", build=deep_chain),
        Check("tanh(x)", "edge cases", "tanh(x)", "x=1000", "edge"),
        Check("tanh(x)", "edge cases", "tanh(x)", "x=-1000", "edge"),
        Check("sigmoid(x)", "edge cases", "sigmoid(x)", "x=1000", "edge"),
        Check("sigmoid(x)", "edge cases", "sigmoid(x)", "x=-1000", "edge"),
        Check("x**2", "edge cases", "x**2", "x=0", "edge"),
        Check("x**3", "edge cases", "x**3", "x=-2", "edge"),
    ]
    return tuple(checks)


def deep_chain(operations: int = DEEP_OPERATIONS) -> Expression:
    """y ← y*1.0 + 0.5, two operations a step: value x + 0.5·steps, derivative exactly 1.

    Built as a tree directly: the program's text would be thousands of lines.
    """
    one = Const(1.0, Fraction(1), "1.0")
    half = Const(0.5, Fraction(1, 2), "0.5")
    y = Var("x")
    for _ in range(operations // 2):
        y = Call(PRIMITIVES["add"], (Call(PRIMITIVES["mul"], (y, one)), half))
    return Expression.from_output(f"y = x; y = y*1.0 + 0.5 ({operations // 2:,} times); y", y)


BATTERY: tuple[Check, ...] = battery()


# After this many checks time out, the rest are not run: an engine that hangs would
# otherwise cost the timeout once per check.
MAX_TIMEOUTS = 3


# ---- results ----


@dataclass(frozen=True)
class Observation:
    """One number of one check: the user's, the exact one, the finite difference and
    every registered method's (``estimates``, by method name).

    For the "twice" check the expected gradient is twice the exact one, and ``exact``,
    ``finite_difference`` and ``estimates`` hold that doubled number.
    """

    quantity: str  # "value" or a variable name
    got: float | None
    exact: float | None
    finite_difference: float | None
    formula: str  # sympy's formula for the exact number
    within: bool | None  # None when there is no exact number
    relative_error: float | None = None  # against the exact number, when both exist
    estimates: Mapping[str, float | None] = field(default_factory=dict)  # every method's


@dataclass(frozen=True)
class CheckResult:
    check: Check
    status: str  # "pass", "fail" or "unsupported"
    observations: tuple[Observation, ...]
    point: Mapping[str, float]
    operations: tuple[str, ...]  # what the check asks of the class, keys of FORMS
    failure: Failure | None = None  # why the engine gave no numbers
    first_gradient: Mapping[str, float | None] | None = None  # "twice", "fresh": 1st call
    diagnosis: str = ""  # for a failure: what the pattern suggests, in words
    cause: str = ""  # the likely bug, short
    seconds: float = 0.0

    @property
    def name(self) -> str:
        return self.check.name

    @property
    def group(self) -> str:
        return self.check.group

    def observation(self, quantity: str) -> Observation | None:
        return next((o for o in self.observations if o.quantity == quantity), None)


@dataclass(frozen=True)
class EngineReport:
    """Everything ``check_engine`` found, as data. ``ok`` when no check failed."""

    engine: str
    results: tuple[CheckResult, ...]
    causes: tuple[str, ...]  # the likely bugs, most telling first
    unsupported: Mapping[str, str]  # operation form, e.g. "2 ** x" -> why
    seconds: float

    @property
    def counts(self) -> dict[str, int]:
        counts = {"pass": 0, "fail": 0, "unsupported": 0}
        for result in self.results:
            counts[result.status] += 1
        return counts

    @property
    def ok(self) -> bool:
        return self.counts["fail"] == 0

    @property
    def failures(self) -> tuple[CheckResult, ...]:
        return tuple(result for result in self.results if result.status == "fail")


# ---- running the battery ----


@dataclass(frozen=True)
class _Reference:
    expression: Expression
    point: Mapping[str, Fraction]
    exact: SymbolicDerivatives
    methods: Mapping[str, Derivatives]  # every registered method's result, by name
    operations: tuple[str, ...]


@functools.lru_cache(maxsize=None)
def _reference(text: str, at: str, build: Callable[[], Expression] | None = None) -> _Reference:
    """The exact numbers of one check, and every registered method's; the same for every
    engine."""
    expression = build() if build is not None else parse(text)
    point = parse_point(at, expression)
    methods = {name: run_method(name, method, expression, point)
               for name, method in METHODS.items()}
    return _Reference(expression, point, symbolic.differentiate(expression, point),
                      methods, user_graph.operations(expression))


def probe(cls: type, timeout: float | None = user_engine.DEFAULT_TIMEOUT) -> dict[str, str]:
    """The operations ``cls`` does not support (operation key -> reason), found by
    building each operation's graph without calling backward()."""
    missing = {}
    timeouts = 0
    for key, form in FORMS.items():
        reference = _reference(form, "x=1.5,y=0.5" if "y" in form else "x=1.5")
        outcome = user_graph.run(cls, reference.expression, reference.point, "forward",
                                  timeout)
        failure = outcome.failure
        if failure is not None and failure.kind == "unsupported":
            missing[key] = failure.message.split(" is not supported: ", 1)[-1]
        timeouts += failure is not None and failure.kind == "timeout"
        if timeouts >= MAX_TIMEOUTS:
            break  # the rest count as supported; their checks will say what happens
    return missing


def check_engine(cls: type, timeout: float | None = user_engine.DEFAULT_TIMEOUT,
                 checks: tuple[Check, ...] | None = None, progress=None) -> EngineReport:
    """Run the battery against a micrograd-style ``Value`` class and diagnose failures.

    ``checks`` defaults to ``battery()``, the checks of the table as it is now.
    ``timeout`` bounds each check, in seconds (None: no bound). ``progress``, when
    given, is called with (done, total) after each check. Raises ``InputError`` when
    ``cls`` does not look like a Value class at all (``cls(2.0).data`` must be 2.0).
    """
    from diffcompare.check.diagnose import diagnose

    start = time.perf_counter()
    checks = battery() if checks is None else checks
    user_engine.check_shape(cls, timeout)
    missing = probe(cls, timeout)
    results = []
    timeouts = 0
    for done, check in enumerate(checks, 1):
        if timeouts >= MAX_TIMEOUTS:
            results.append(_not_run(check, f"not run: {MAX_TIMEOUTS} checks timed out"))
        else:
            results.append(_run_check(cls, check, missing, timeout))
            failure = results[-1].failure
            timeouts += failure is not None and failure.kind == "timeout"
        if progress is not None:
            progress(done, len(checks))
    diagnoses, causes = diagnose(results)
    results = [replace(result, diagnosis=diagnoses[i][1], cause=diagnoses[i][0])
               if i in diagnoses else result for i, result in enumerate(results)]
    return EngineReport(
        engine=user_engine.name_of(cls), results=tuple(results), causes=tuple(causes),
        unsupported={FORMS[key]: reason for key, reason in missing.items()},
        seconds=time.perf_counter() - start,
    )


def _not_run(check: Check, why: str) -> CheckResult:
    reference = _reference(check.expression, check.at, check.build)
    point = {name: float(value) for name, value in reference.point.items()}
    return CheckResult(check, "fail", (), point, reference.operations,
                       Failure("timeout", check.name, why))


def _run_check(cls: type, check: Check, missing: Mapping[str, str],
               timeout: float | None) -> CheckResult:
    reference = _reference(check.expression, check.at, check.build)
    point = {name: float(value) for name, value in reference.point.items()}
    lacking = [key for key in reference.operations if key in missing]
    if lacking:
        failure = Failure("unsupported", FORMS[lacking[0]],
                          f"{FORMS[lacking[0]]} is not supported: {missing[lacking[0]]}")
        return CheckResult(check, "unsupported", (), point, reference.operations, failure)
    outcome = user_graph.run(cls, reference.expression, reference.point, check.mode, timeout)
    if outcome.failure is not None and outcome.failure.kind == "unsupported":
        return CheckResult(check, "unsupported", (), point, reference.operations,
                           outcome.failure, seconds=outcome.seconds)
    factor = 2.0 if check.mode == "twice" else 1.0
    observations = tuple(
        _observe(quantity, outcome, reference, 1.0 if quantity == "value" else factor)
        for quantity in ("value", *reference.expression.variables)
    )
    judged = [o.within for o in observations if o.within is not None]
    passed = outcome.failure is None and judged and all(judged)
    first = outcome.gradients[0] if check.mode != "once" and outcome.gradients else None
    return CheckResult(check, "pass" if passed else "fail", observations, point,
                       reference.operations, outcome.failure, first, seconds=outcome.seconds)


def _observe(quantity: str, outcome: Run, reference: _Reference,
             factor: float) -> Observation:
    got = outcome.value if quantity == "value" else outcome.gradient.get(quantity)
    exact = reference.exact.number(quantity)
    estimates = {name: result.number(quantity) for name, result in reference.methods.items()}
    estimate = estimates.get(finite_difference.METHOD)
    scaled = None if got is None or not math.isfinite(got) else got / factor
    error = measure(scaled, reference.exact, quantity, DEFAULT_TOLERANCE)
    formula = (reference.exact.formula if quantity == "value"
               else reference.exact.gradient_formulas.get(quantity, ""))
    return Observation(
        quantity, got,
        None if exact is None else exact * factor,
        None if estimate is None else estimate * factor,
        formula, error.within, error.relative,
        {name: None if number is None else number * factor
         for name, number in estimates.items()},
    )
