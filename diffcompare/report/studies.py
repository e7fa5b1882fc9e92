"""The report's measurements: counted work, cost scaling with n, expression swell.

Data only; ``report_plots`` draws it and ``report_html``/``report_markdown`` show it.

**Counted work** is what makes a report byte-reproducible: instead of seconds, which
differ from run to run, every cost is a count of primitive operations.

- one evaluation of f: the primitive calls of one float evaluation, counted by an
  instrumented interpretation of the tree (``count_operations``);
- finite differences: the evaluations the method made times the operations of one;
- autograd: one operation per graph node in the forward pass, one multiply-add per
  graph edge in the backward pass, counted on the graph the engine built;
- symbolic: ``sympy.count_ops`` of the derivative formulas (what evaluating them costs),
  with and without sympy's common-subexpression elimination (``sympy.cse``). To derive
  them, sympy walks f once per variable; the scaling study counts that walk as
  n × (operations in f), which is what makes the symbolic method's time grow as n².

Measured seconds are offered too (``timings=True``), and are not reproducible.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from fractions import Fraction
from typing import Callable, Iterable, Mapping

import sympy

from diffcompare.draw import topological_order
from diffcompare.engine import Value
from diffcompare.language import faults
from diffcompare.language.expression import (
    Call,
    Const,
    Expression,
    Interpretation,
    Var,
    evaluate,
    evaluate_float,
)
from diffcompare.language.primitives import PRIMITIVES
from diffcompare.methods import autograd, budget, finite_difference, symbolic

# ---- counting work ----


def count_operations(expression: Expression, point: Mapping[str, float] | None = None) -> int:
    """Primitive operations in one evaluation of ``expression``, counted as it runs.

    >>> from diffcompare.language.parse import parse
    >>> count_operations(parse("c = a*b; c*c + a"))
    3
    """
    calls = 0
    values = point or {}

    def call(primitive, *args):
        nonlocal calls
        calls += 1
        try:
            return primitive.evaluate(*args)
        except faults.ARITHMETIC_ERRORS:
            return math.nan  # still one operation; the count does not need the value

    evaluate(expression, Interpretation(
        constant=lambda node: node.value,
        variable=lambda name: float(values.get(name, 0.5)),
        call=call,
    ))
    return calls


@dataclass(frozen=True)
class GraphWork:
    """What one forward and backward pass of the engine did."""

    nodes: int  # every node of the graph, leaves included
    forward: int  # operations: the nodes that are not leaves
    backward: int  # multiply-adds: one per edge

    @property
    def total(self) -> int:
        return self.forward + self.backward


def graph_work(root: Value) -> GraphWork:
    order = topological_order(root)
    forward = sum(1 for node in order if node._prev)
    backward = sum(len(node._prev) for node in order)
    return GraphWork(nodes=len(order), forward=forward, backward=backward)


def symbolic_operations(formulas: Iterable[sympy.Expr]) -> tuple[int, int]:
    """Operations in the formulas, as written and after common-subexpression elimination."""
    formulas = list(formulas)
    plain = sum(sympy.count_ops(formula) for formula in formulas)
    replacements, reduced = sympy.cse(formulas)
    shared = (sum(sympy.count_ops(value) for _, value in replacements)
              + sum(sympy.count_ops(formula) for formula in reduced))
    return int(plain), int(shared)


# ---- cost scaling: a full gradient as the number of variables grows ----

COST_SIZES = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)
# A method is not run at a size where its counted work would pass this cap: about a
# second of Python for finite differences and a few for sympy's derivation, so that the
# built-in report is made in well under a minute.
WORK_CAP = 300_000
TIME_CAP = 1.0  # seconds; with timings=True a run is stopped at this cap
# sympy's budget in the studies, in seconds. Their expressions are ours and bounded by
# WORK_CAP; the largest (Rosenbrock n = 100) takes about 2 s. The budget is a fence, not a
# measure: the main command's 5 s would cap that size on a busy machine and not on an
# idle one, and the same report must give the same bytes on both.
STUDY_TIMEOUT = 60.0
SCALING_METHODS = ("finite_difference", "autograd", "symbolic")


def rosenbrock(n: int) -> Expression:
    """f(x) = Σ_{i≤n} (1 − x_i)² + Σ_{i<n} 100 (x_{i+1} − x_i²)², built as a tree.

    The usual n-dimensional Rosenbrock function plus the term (1 − x_n)², so that n = 1
    is defined. Built directly rather than parsed: the parser's cost grows faster than
    linearly with the number of literals, and 1000 variables is an input for the study,
    not a user's line.
    """
    def constant(value: int) -> Const:
        return Const(value=float(value), exact=Fraction(value), text=str(value))

    def call(name: str, *args):
        return Call(PRIMITIVES[name], args)

    one, two, hundred = constant(1), constant(2), constant(100)
    xs = [Var(f"x{i}") for i in range(1, n + 1)]
    terms = [call("pow", call("sub", one, x), two) for x in xs]
    for x, x_next in zip(xs, xs[1:]):
        terms.append(call("mul", hundred, call("pow", call("sub", x_next, call("pow", x, two)), two)))
    total = terms[0]
    for term in terms[1:]:
        total = call("add", total, term)
    text = f"sum((1 - x_i)**2, i=1..{n}) + sum(100*(x_(i+1) - x_i**2)**2, i=1..{n - 1})"
    return Expression.from_output(text, total)


def rosenbrock_point(expression: Expression) -> dict[str, Fraction]:
    # Away from the minimum at (1, ..., 1), with every coordinate different.
    return {name: Fraction(i % 7 + 3, 10) * (-1) ** i
            for i, name in enumerate(expression.variables)}


@dataclass(frozen=True)
class Scaling:
    """Cost of a full gradient per method and size; None where the method was capped."""

    unit: str  # "operations" or "seconds"
    sizes: tuple[int, ...]
    cap: float
    evaluation: tuple[float, ...]  # one evaluation of f, in the same unit
    costs: Mapping[str, tuple[float | None, ...]]

    def capped_from(self, method: str) -> int | None:
        """The first size at which ``method`` was capped, if any."""
        for size, cost in zip(self.sizes, self.costs[method]):
            if cost is None:
                return size
        return None


def counted_scaling(sizes: Iterable[int] = COST_SIZES, cap: float = WORK_CAP,
                    tick: Callable[[], None] = lambda: None,
                    timeout: float = STUDY_TIMEOUT) -> Scaling:
    """Counted work of a full gradient of the n-dimensional Rosenbrock function.

    sympy's part runs under a time budget (``timeout`` seconds per size): a size it does
    not finish in time is capped, as one over the work cap is."""
    sizes = tuple(sizes)
    evaluation, costs = [], {method: [] for method in SCALING_METHODS}
    for n in sizes:
        expression = rosenbrock(n)
        point = rosenbrock_point(expression)
        ops = count_operations(expression)
        evaluation.append(float(ops))
        # finite differences: central differences with their error estimate take
        # 4 evaluations per variable (x ± h, x ± 2h) and f(x) once
        if (4 * n + 1) * ops > cap:
            costs["finite_difference"].append(None)
        else:
            result = finite_difference.differentiate(expression, point)
            costs["finite_difference"].append(float(result.cost.evaluations * ops))
        leaves = {name: Value(float(value)) for name, value in point.items()}
        root = autograd.build_graph(expression, leaves)
        root.backward()
        work = graph_work(root).total
        costs["autograd"].append(float(work) if work <= cap else None)
        # sympy: one walk of f per variable, then the formulas it derived
        costs["symbolic"].append(None if n * ops > cap
                                 else _within(lambda: _symbolic_work(expression, n), timeout))
        tick()
    return Scaling("operations", sizes, float(cap), tuple(evaluation),
                   {method: tuple(values) for method, values in costs.items()})


def _symbolic_work(expression: Expression, n: int) -> float:
    """sympy's counted work for a full gradient: one walk of f per variable, then the
    formulas it derived."""
    symbol_table = symbolic.symbols(expression)
    function = symbolic.to_sympy(expression, symbol_table)
    partials = [sympy.diff(function, symbol) for symbol in symbol_table.values()]
    walk = n * int(sympy.count_ops(function))
    return float(walk + sum(sympy.count_ops(p) for p in partials))


def _within(work: Callable[[], object], timeout: float):
    """``work()`` under the symbolic method's time budget; None when it ran out or failed."""
    try:
        return budget.run(work, timeout)
    except (budget.OutOfTime, budget.Failed):
        return None


def timed_scaling(sizes: Iterable[int] = COST_SIZES, cap: float = TIME_CAP,
                  tick: Callable[[], None] = lambda: None) -> Scaling:
    """Measured seconds of a full gradient by each method's own ``differentiate``.

    A run that passes ``cap`` seconds is stopped (in the main thread; elsewhere it runs
    to the end and is then marked), and the method is not run at larger sizes.
    """
    runners = {
        "finite_difference": finite_difference.differentiate,
        "autograd": autograd.differentiate,
        "symbolic": symbolic.differentiate,
    }
    sizes = tuple(sizes)
    evaluation, costs = [], {method: [] for method in SCALING_METHODS}
    stopped: set[str] = set()
    for n in sizes:
        expression = rosenbrock(n)
        point = rosenbrock_point(expression)
        floats = {name: float(value) for name, value in point.items()}
        evaluation.append(_seconds(lambda: evaluate_float(expression, floats), cap) or cap)
        for method, run in runners.items():
            seconds = None if method in stopped else _seconds(lambda: run(expression, point), cap)
            if seconds is None:
                stopped.add(method)
            costs[method].append(seconds)
        tick()
    return Scaling("seconds", sizes, float(cap), tuple(evaluation),
                   {method: tuple(values) for method, values in costs.items()})


class _OverCap(Exception):
    pass


# A run shorter than this is repeated and the fastest kept, as timeit does: one short
# run is mostly noise (caches, the first call of a code path).
_SHORT_RUN = 0.01
_REPEATS = 5


def _seconds(work: Callable[[], object], cap: float) -> float | None:
    """Wall-clock seconds of ``work()``, or None when it passed ``cap``."""
    best = None
    for _ in range(_REPEATS):
        start = time.perf_counter()
        try:
            with _alarm(cap):
                work()
        except _OverCap:
            return None
        seconds = time.perf_counter() - start
        if seconds > cap:
            return None
        best = seconds if best is None else min(best, seconds)
        if seconds >= _SHORT_RUN:
            break
    return best


def _alarm(seconds: float):
    return budget.alarm(seconds, _OverCap)


# ---- expression swell: symbolic derivatives against the autograd graph ----

SWELL_DEPTHS = tuple(range(1, 9))  # at depth 8 the nested product has 13,056 operations


def _tanh_chain(depth: int) -> str:
    return "tanh(" * depth + "x" + ")" * depth


def _product(depth: int) -> str:
    return "*".join(f"sin(x + {k})" for k in range(1, depth + 1))


def _self_product(depth: int) -> str:
    return "y = x; " + "y = y*sin(y); " * depth + "y"


# family -> (description, program text at a depth)
SWELL_FAMILIES: dict[str, tuple[str, Callable[[int], str]]] = {
    "tanh chain": ("tanh(tanh(…tanh(x)))", _tanh_chain),
    "product": ("sin(x + 1)·sin(x + 2)·…·sin(x + d)", _product),
    "y = y·sin(y), repeated": ("y = x; y = y*sin(y); … (d times); y", _self_product),
}


@dataclass(frozen=True)
class SwellPoint:
    depth: int
    graph_nodes: int  # autograd graph of f, leaves included
    symbolic: int  # operations in sympy's derivative
    symbolic_cse: int  # the same after common-subexpression elimination


@dataclass(frozen=True)
class Swell:
    families: Mapping[str, tuple[SwellPoint, ...]]


def swell(depths: Iterable[int] = SWELL_DEPTHS,
          tick: Callable[[], None] = lambda: None,
          timeout: float = STUDY_TIMEOUT) -> Swell:
    """The sizes of derivatives as nesting grows; sympy's part of each depth runs under
    a time budget, and a depth it does not finish in time is left out."""
    from diffcompare.language.parse import parse

    depths = tuple(depths)
    families = {}
    for family, (_, text_at) in SWELL_FAMILIES.items():
        points = []
        for depth in depths:
            expression = parse(text_at(depth))
            root = autograd.build_graph(expression, {"x": Value(0.5)})
            counted = _within(lambda: _derivative_operations(expression), timeout)
            if counted is not None:
                points.append(SwellPoint(depth, graph_work(root).nodes, *counted))
        families[family] = tuple(points)
        tick()
    return Swell(families)


def _derivative_operations(expression: Expression) -> tuple[int, int]:
    symbol = symbolic.symbols(expression)["x"]
    derivative = sympy.diff(symbolic.to_sympy(expression, {"x": symbol}), symbol)
    return symbolic_operations([derivative])
