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
import threading
import time
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Callable, Mapping

from diffcompare.check import user_engine, user_graph
from diffcompare.check.isolation import ChildLost, EngineProcess
from diffcompare.check.second_order import SecondOrderReport, check_second_order
from diffcompare.check.second_order import warm as warm_second_order
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
        # Graphs with intermediate nodes and reuse: the leaves' grads must double.
        Check("backward() twice on (x + y) * x", "repeated backward", "(x + y) * x", _XY,
              "twice", mode="twice"),
        Check("backward() twice on the tanh neuron", "repeated backward", TANH_NEURON,
              TANH_NEURON_POINT, "twice", mode="twice"),
        Check("zero grads, new graph, backward()", "repeated backward", "x * y", _XY,
              "fresh", mode="fresh"),
        Check(f"a chain of {DEEP_OPERATIONS:,} operations", "deep graph",
              "y = x; y = y*1.0 + 0.5; ...", "x=0.5", "deep", build=deep_chain),
        Check(f"a chain of {DEEP_OPERATIONS:,} additions of x", "deep graph",
              "y = x; y = y + x; ...", "x=0.5", "deep", build=deep_chain_of_values),
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


def deep_chain_of_values(operations: int = DEEP_OPERATIONS) -> Expression:
    """y ← y + x: the deep graph for an engine that takes no plain numbers yet (the
    lecture's first one). Value x·(operations + 1), derivative operations + 1."""
    x = Var("x")
    y = x
    for _ in range(operations):
        y = Call(PRIMITIVES["add"], (y, x))
    return Expression.from_output(f"y = x; y = y + x ({operations:,} times); y", y)


BATTERY: tuple[Check, ...] = battery()


# After this many runs (checks, or probes of an operation) time out or lose the engine's
# process, the rest are not run: an engine that hangs would otherwise cost the timeout
# once per check.
MAX_LOST = 3


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
    # "pass", "fail", "unsupported", "limit" (see ``_is_limit``), or "not_run": the
    # engine's process was lost MAX_LOST times before this check's turn
    status: str
    observations: tuple[Observation, ...]
    point: Mapping[str, float]
    operations: tuple[str, ...]  # what the check asks of the class, keys of FORMS
    failure: Failure | None = None  # why the engine gave no numbers
    first_gradient: Mapping[str, float | None] | None = None  # "twice", "fresh": 1st call
    diagnosis: str = ""  # for a failure: what the pattern suggests, in words
    cause: str = ""  # the likely bug, short
    seconds: float = 0.0
    note: str = ""  # e.g. where the check was judged when its own point was refused

    @property
    def name(self) -> str:
        return self.check.name

    @property
    def group(self) -> str:
        return self.check.group

    def observation(self, quantity: str) -> Observation | None:
        return next((o for o in self.observations if o.quantity == quantity), None)


# Every status a check can end in, in the order the counts list them.
STATUSES = ("pass", "fail", "unsupported", "limit", "not_run")


@dataclass(frozen=True)
class Lost:
    """A run that timed out or lost the engine's process: which check or probe (``name``)
    and how (``failure``, of kind "timeout" or "died")."""

    name: str
    failure: Failure


@dataclass(frozen=True)
class EngineReport:
    """Everything ``check_engine`` found, as data. ``ok`` when every check ran and none
    failed (and, with ``strict``, no limit was met)."""

    engine: str
    results: tuple[CheckResult, ...]
    causes: tuple[str, ...]  # the likely bugs, most telling first
    unsupported: Mapping[str, str]  # operation form, e.g. "2 ** x" -> why
    seconds: float
    limits: tuple[str, ...] = ()  # the engine's limits, each with its fix
    strict: bool = False  # limits fail the engine too
    second_order: SecondOrderReport | None = None  # when asked for: Hessians, if supported
    lost: tuple[Lost, ...] = ()  # the runs that timed out or lost the process, in order

    @property
    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(STATUSES, 0)
        for result in self.results:
            counts[result.status] += 1
        return counts

    @property
    def ok(self) -> bool:
        counts = self.counts
        return counts["fail"] == 0 and counts["not_run"] == 0 \
            and not (self.strict and counts["limit"]) \
            and (self.second_order is None or self.second_order.ok)

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


# Engines checked in threads (a class at once) share the references: one computes each.
_REFERENCE_LOCK = threading.Lock()


def _reference(text: str, at: str, build: Callable[[], Expression] | None = None) -> _Reference:
    """The exact numbers of one check, and every registered method's; the same for every
    engine."""
    with _REFERENCE_LOCK:
        return _computed_reference(text, at, build)


@functools.lru_cache(maxsize=None)
def _computed_reference(text: str, at: str,
                        build: Callable[[], Expression] | None = None) -> _Reference:
    expression = build() if build is not None else parse(text)
    point = parse_point(at, expression)
    methods = {name: run_method(name, method, expression, point)
               for name, method in METHODS.items()}
    return _Reference(expression, point, symbolic.differentiate(expression, point),
                      methods, user_graph.operations(expression))


# Each operation is tried at several points, small ones included: a class refuses an
# operation (is "unsupported") only when it refuses it at every one of them.
_PROBE_POINTS = ("x=0.25", "x=-0.5", "x=1.5")
_PROBE_POINTS_XY = ("x=0.25,y=0.5", "x=-0.5,y=1.5", "x=1.5,y=-0.75")


@dataclass(frozen=True)
class Probe:
    """What the class refuses: ``missing`` (operation key -> reason), refused at every
    point tried; ``computes`` (operation key -> points where it gave numbers); ``lost``
    (operation key -> the run where it timed out or lost the process, alone)."""

    missing: Mapping[str, str]
    computes: Mapping[str, tuple[str, ...]]
    lost: Mapping[str, "Lost"] = field(default_factory=dict)


def warm_references() -> None:
    """Compute every reference of the battery and the probes now (sympy, in this
    thread), so that engines checked in threads only read them."""
    for check in battery():
        _reference(check.expression, check.at, check.build)
    for form in FORMS.values():
        for at in _probe_points(form):
            _reference(form, at)
    warm_second_order()  # the exact Hessians of the second-order check


def _probe_points(form: str) -> tuple[str, ...]:
    return _PROBE_POINTS_XY if "y" in form else _PROBE_POINTS


def probe(session: "_Session") -> Probe:
    """Build each operation's graph (no backward()) at each probe point. An operation
    that times out or ends the process is tried no further: it is ``lost``, and the
    checks that need it are not run, so one operation that hangs costs one time-out."""
    missing: dict[str, str] = {}
    computes: dict[str, tuple[str, ...]] = {}
    lost: dict[str, Lost] = {}
    for key, form in FORMS.items():
        refusals, points = [], []
        for at in _probe_points(form):
            if session.lost_too_often:
                break  # the rest count as supported; their checks are not run
            losses = len(session.lost)
            failure = session.run(_reference(form, at), "forward", form).failure
            if len(session.lost) > losses:
                lost[key] = session.lost[-1]
                break
            if failure is not None and failure.kind == "unsupported":
                refusals.append(failure.message.split(" is not supported: ", 1)[-1])
            else:
                points.append(at)
        if refusals and not points and key not in lost:
            missing[key] = refusals[0]
        computes[key] = tuple(points)
    return Probe(missing, computes, lost)


class _Session:
    """The engine's process for one ``check_engine``, with the runs it lost."""

    def __init__(self, process: EngineProcess, timeout: float | None):
        self.process, self.timeout = process, timeout
        self.lost: list[Lost] = []

    @property
    def lost_too_often(self) -> bool:
        return len(self.lost) >= MAX_LOST

    def run(self, reference: "_Reference", mode: str, name: str) -> Run:
        outcome = user_graph.run(self.process, reference.expression, reference.point, mode,
                                 self.timeout)
        failure = outcome.failure
        if failure is not None and failure.kind in ("timeout", "died"):
            self.lost.append(Lost(name, failure))
        return outcome


def check_engine(engine, timeout: float | None = user_engine.DEFAULT_TIMEOUT,
                 checks: tuple[Check, ...] | None = None, progress=None,
                 strict: bool = False, second_order: bool = False,
                 import_timeout: float | None = user_engine.IMPORT_TIMEOUT) -> EngineReport:
    """Run the battery against a micrograd-style ``Value`` class and diagnose failures.

    ``engine`` is a class, or where one is: "path/engine.py:Value" or
    "package.module:Value". It runs in a process of its own (``isolation``): nothing it
    does reaches this one. ``checks`` defaults to ``battery()``, the checks of the table
    as it is now. ``timeout`` bounds each check, in seconds (None: no bound).
    ``progress``, when given, is called with (done, total) after each check. ``strict``:
    limits (a deep graph, an overflow at an edge) fail the engine too. ``second_order``:
    check Hessians by ``backward(create_graph=True)`` too, in the same process
    (``second_order.check_second_order``), where the class supports it.
    ``import_timeout`` bounds the import of the engine's file, in seconds (None: no
    bound). Raises ``InputError`` when the class does not load (in time), or does not
    look like a Value class at all (``cls(2.0).data`` must be 2.0).

    After ``MAX_LOST`` runs time out or lose the engine's process, the checks left are
    not run: their status is "not_run" (never a pass), and ``lost`` holds those runs.
    """
    from diffcompare.check.diagnose import diagnose

    start = time.perf_counter()
    checks = battery() if checks is None else checks
    found = user_engine.resolve(engine)
    with found.process(import_timeout) as process:
        printed = user_engine.start(found, process)
        shape = user_engine.check_shape(found, timeout, process)
        user_engine.show_printed(printed)  # once the engine is accepted: a refusal is one line
        for check in checks:
            _reference(check.expression, check.at, check.build)
        session = _Session(process, timeout)
        found_probe = probe(session)
        results = []
        for done, check in enumerate(checks, 1):
            results.append(_run_check(session, check, found_probe))
            if progress is not None:
                progress(done, len(checks))
        failed = any(r.status == "fail" for r in results)
        walk = _walk(session) if failed and not session.lost_too_often else "unknown"
        second = check_second_order(found, timeout, process) \
            if second_order and not session.lost_too_often else None
    diagnoses, causes = diagnose(results, merges=failed and shape.get("merges", False),
                                 walk=walk, lost=session.lost)
    results = [replace(result, diagnosis=diagnoses[i][1], cause=diagnoses[i][0])
               if i in diagnoses else result for i, result in enumerate(results)]
    failing = {r.cause for r in results if r.status == "fail"}
    limits = tuple(dict.fromkeys(r.cause for r in results
                                 if r.status == "limit" and r.cause and r.cause not in failing))
    return EngineReport(
        engine=found.name, results=tuple(results),
        causes=tuple(cause for cause in causes if cause not in limits),
        unsupported={FORMS[key]: reason for key, reason in found_probe.missing.items()},
        seconds=time.perf_counter() - start, limits=limits, strict=strict,
        second_order=second, lost=tuple(session.lost),
    )


# Graphs on which the order of backward()'s calls is watched: each has a node with
# several users, reached by paths of different lengths.
_WALK_GRAPHS = (("b = x*y; c = b + y; b*c", _XY), ("a = x + y; a*x + a*y", _XY),
                (TANH_NEURON, TANH_NEURON_POINT))


def _walk(session: _Session) -> str:
    """The order the engine's backward() calls ``_backward`` in (see ``child.order``):
    the first finding that is not "topological" on any of ``_WALK_GRAPHS``."""
    found = "unknown"
    for text, at in _WALK_GRAPHS:
        reference = _reference(text, at)
        request = {"order": user_graph.encode(reference.expression),
                   "point": {name: float(value) for name, value in reference.point.items()}}
        try:
            reply = session.process.ask(request, session.timeout, "watching backward()")
        except ChildLost:
            return found
        found = reply.get("order", "unknown")
        if found not in ("topological", "unknown"):
            return found
    return found


def _not_run(check: Check, reference: "_Reference", why: str) -> CheckResult:
    point = {name: float(value) for name, value in reference.point.items()}
    return CheckResult(check, "not_run", (), point, reference.operations,
                       Failure("not run", check.name, f"not run: {why}"))


def _lost_too_often(lost: list[Lost]) -> str:
    names = ", ".join(dict.fromkeys(loss.name for loss in lost))
    return (f"after {len(lost)} runs timed out or lost the engine's process ({names}), "
            "the checks left were not run")


def _lost_alone(loss: Lost) -> str:
    how = "does not finish" if loss.failure.kind == "timeout" else \
        "loses the engine's process"
    return f"they need {loss.name}, which {how} alone"


def _run_check(session: _Session, check: Check, found: Probe) -> CheckResult:
    """The check's result: unsupported when the probe found the class lacks one of its
    operations (whatever became of the process); not run after the process was lost
    too often, or when it needs an operation that lost it alone; else judged."""
    reference = _reference(check.expression, check.at, check.build)
    point = {name: float(value) for name, value in reference.point.items()}
    lacking = [key for key in reference.operations if key in found.missing]
    if lacking:
        failure = Failure("unsupported", FORMS[lacking[0]],
                          f"{FORMS[lacking[0]]} is not supported: {found.missing[lacking[0]]}")
        return CheckResult(check, "unsupported", (), point, reference.operations, failure)
    if session.lost_too_often:
        return _not_run(check, reference, _lost_too_often(session.lost))
    hanging = [key for key in reference.operations if key in found.lost]
    if hanging:
        return _not_run(check, reference, _lost_alone(found.lost[hanging[0]]))
    outcome = session.run(reference, check.mode, check.name)
    if outcome.failure is not None and outcome.failure.kind == "unsupported":
        return _refused_here(session, check, found, reference, outcome)
    return _judged(check, reference, outcome)


def _refused_here(session: _Session, check: Check, found: Probe, reference: "_Reference",
                  outcome: Run) -> CheckResult:
    """An operation the class computes elsewhere but refuses at this check's point: a
    limit of its domain. Where it does compute, the check is judged there."""
    point = {name: float(value) for name, value in reference.point.items()}
    key = next((k for k in reference.operations if FORMS.get(k) == outcome.failure.operation),
               "")
    if key == "pow number":  # refused for this exponent, not at this x
        failure = replace(outcome.failure, operation=check.name,
                          message=f"{check.name} is not supported: "
                                  + outcome.failure.message.split(" is not supported: ")[-1])
        return CheckResult(check, "unsupported", (), point, reference.operations, failure,
                           seconds=outcome.seconds)
    if check.role != "edge":
        for at in found.computes.get(key, ()):
            moved = _moved(check.at, at, reference.expression.variables)
            if session.lost_too_often:
                return _not_run(check, reference, _lost_too_often(session.lost))
            elsewhere = _reference(check.expression, moved, check.build)
            retry = session.run(elsewhere, check.mode, check.name)
            if retry.failure is None or retry.failure.kind != "unsupported":
                judged = _judged(replace(check, at=moved), elsewhere, retry)
                return replace(judged, note=f"refused at {check.at} "
                                            f"({outcome.failure.message}); judged at {moved}")
    failure = replace(outcome.failure, kind="domain",
                      message=f"{outcome.failure.message}, though it computes at other "
                              "points: a limit of its domain")
    return CheckResult(check, "limit", (), point, reference.operations, failure,
                       seconds=outcome.seconds)


def _moved(at: str, probe_at: str, variables: tuple[str, ...]) -> str:
    """``at`` with the probe point's values for the variables they share."""
    values = dict(part.split("=", 1) for part in at.split(","))
    values.update(pair for pair in (part.split("=", 1) for part in probe_at.split(","))
                  if pair[0] in variables)
    return ",".join(f"{name}={values[name]}" for name in variables)


def _judged(check: Check, reference: "_Reference", outcome: Run) -> CheckResult:
    point = {name: float(value) for name, value in reference.point.items()}
    factor = 2.0 if check.mode == "twice" else 1.0
    observations = tuple(
        _observe(quantity, outcome, reference, 1.0 if quantity == "value" else factor)
        for quantity in ("value", *reference.expression.variables)
    )
    judged = [o.within for o in observations if o.within is not None]
    passed = outcome.failure is None and judged and all(judged)
    first = outcome.gradients[0] if check.mode != "once" and outcome.gradients else None
    status = "pass" if passed else "limit" if _is_limit(check, outcome.failure) else "fail"
    return CheckResult(check, status, observations, point, reference.operations,
                       outcome.failure, first, seconds=outcome.seconds)


def _is_limit(check: Check, failure: Failure | None) -> bool:
    """A deep graph that passes Python's recursion limit, or an overflow at an edge
    point: a limit of the engine, not a wrong gradient."""
    if failure is None:
        return False
    if check.role == "deep":
        return failure.exception == "RecursionError"
    return check.role == "edge" and failure.exception == "OverflowError"


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
