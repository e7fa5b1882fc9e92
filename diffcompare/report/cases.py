"""The report's content as data: every case compared, swept and counted.

``build`` computes everything; ``report.command`` renders it (``report.html``,
``report.markdown``, plots by ``report.plots``) and writes it. Without ``timings`` the
result is reproducible: every cost is counted work (see ``report.studies``), never seconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Mapping, Sequence

import mpmath
import sympy

from diffcompare import draw
from diffcompare.compare import Comparison, compare, correct_digits
from diffcompare.language.corpus import REPORT
from diffcompare.language.corpus_file import Entry, Problem
from diffcompare.methods import autograd, finite_difference, registry, symbolic
from diffcompare.report import orders as report_orders
from diffcompare.report import studies as report_studies
from diffcompare.report.studies import GraphWork, Scaling, Swell

MAX_GRAPH_NODES = 120  # larger graphs are counted, not drawn: the picture would not read
BEST_STEP = ", best step"  # a sweep's scheme at its best step, in the accuracy labels

# Steps of the error-versus-step sweep: four per decade, from 1e-1 to 1e-16.
SWEEP_STEPS = tuple(10.0 ** (-k / 4) for k in range(4, 65))



@dataclass(frozen=True)
class CaseWork:
    """Counted cost of one case (and measured seconds, with timings)."""

    evaluation: int  # primitive operations in one evaluation of f
    finite_difference_evaluations: int
    graph: GraphWork | None  # None when the engine could not build the graph
    symbolic: int  # operations in the derivative formulas
    symbolic_cse: int  # the same after common-subexpression elimination
    seconds: Mapping[str, float] | None = None


@dataclass(frozen=True)
class CaseResult:
    number: int  # 1-based, in report order
    entry: Entry
    comparison: Comparison
    formulas: Mapping[str, sympy.Expr]  # "value" -> f, then variable -> df/dvariable
    sweeps: tuple  # finite_difference.Sweep per variable that has an exact derivative
    graph: str | None  # the computation graph as SVG, or None
    graph_note: str  # why there is no picture
    work: CaseWork

    @property
    def title(self) -> str:
        return self.entry.case.name


@dataclass(frozen=True)
class Report:
    title: str
    corpus: str  # where the expressions came from, in words
    cases: tuple[CaseResult, ...]
    problems: tuple[Problem, ...]
    scaling: Scaling
    swell: Swell
    timed_scaling: Scaling | None = None  # only with timings
    orders: report_orders.Orders | None = None  # digits by order, Jacobian cost

    @property
    def timings(self) -> bool:
        return self.timed_scaling is not None


# ---- building: data only ----


def builtin_entries() -> list[Entry]:
    return [Entry(case, "built-in") for case in REPORT]


def build(entries: Sequence[Entry], problems: Sequence[Problem] = (), *,
          title: str = "", corpus: str = "the built-in corpus", timings: bool = False,
          sizes: Sequence[int] = report_studies.COST_SIZES,
          time_cap: float = report_studies.TIME_CAP,
          depths: Sequence[int] = report_studies.SWELL_DEPTHS,
          tick: Callable[[str], None] = lambda what: None) -> Report:
    """Every number, formula and picture of a report, for ``entries``."""
    cases = []
    for number, entry in enumerate(entries, start=1):
        cases.append(build_case(number, entry, timings))
        tick(entry.case.name)
    scaling = report_studies.counted_scaling(sizes, tick=lambda: tick("cost scaling"))
    timed = (report_studies.timed_scaling(sizes, time_cap, tick=lambda: tick("timings"))
             if timings else None)
    swell = report_studies.swell(depths, tick=lambda: tick("expression swell"))
    found = report_orders.merge(_digits_by_order(case) for case in cases
                                if case.comparison.verdict.status == "agree")
    orders = report_orders.study(found, tick=lambda: tick("beyond the gradient"))
    return Report(title or f"diffcompare report: {corpus}", corpus, tuple(cases),
                  tuple(problems), scaling, swell, timed, orders)


def _digits_by_order(case: CaseResult) -> report_orders.Digits:
    """Every method's digits on the case's gradient and Hessian (report.orders)."""
    comparison = case.comparison
    expression, point = comparison.expression, comparison.point
    return report_orders.case_digits(expression, point, comparison.reference.exact,
                                     report_orders.exact_hessian(expression, point))


def build_case(number: int, entry: Entry, timings: bool = False) -> CaseResult:
    case = entry.case
    comparison = compare(case.expression, at=case.at or None)
    expression, point = comparison.expression, comparison.point
    formulas = comparison.reference.details.get("formulas") or _formulas(expression)
    exact = comparison.reference.exact
    sweeps = tuple(
        finite_difference.sweep(expression, point, name, float(exact[name]), steps=SWEEP_STEPS)
        for name in expression.variables if name in exact
    )
    graph, graph_note, graph_work = _graph(comparison)
    plain, shared = report_studies.symbolic_operations(
        formula for name, formula in formulas.items() if name != "value")
    by_method = {result.method: result for result in comparison.all_methods}
    work = CaseWork(
        evaluation=report_studies.count_operations(
            expression, {name: float(value) for name, value in point.items()}),
        finite_difference_evaluations=by_method[finite_difference.METHOD].cost.evaluations,
        graph=graph_work, symbolic=plain, symbolic_cse=shared,
        seconds={method: result.cost.seconds for method, result in by_method.items()}
        if timings else None,
    )
    return CaseResult(number, entry, comparison, formulas, sweeps, graph, graph_note, work)


def _formulas(expression) -> dict[str, sympy.Expr]:
    """f and its partials by sympy, when the comparison's symbolic method gave none (it
    timed out, say); without a time budget, as the report always did."""
    symbol_table = symbolic.symbols(expression)
    function = symbolic.to_sympy(expression, symbol_table)
    return {"value": function,
            **{name: sympy.diff(function, symbol) for name, symbol in symbol_table.items()}}


def _graph(comparison: Comparison) -> tuple[str | None, str, GraphWork | None]:
    """The picture of the graph autograd built for the comparison (no second build)."""
    built = next((result for result in comparison.methods
                  if result.method == autograd.METHOD), None)
    if built is None or "graph" not in built.details:
        reason = (built.details.get("failure", "no graph") if built is not None
                  else "autograd is not among the methods")
        return None, f"the engine cannot build it here: {reason}", None
    root = built.details["graph"]
    work = report_studies.graph_work(root)
    if work.nodes > MAX_GRAPH_NODES:
        return None, (f"{work.nodes} nodes: too many to draw legibly "
                      f"(pictures stop at {MAX_GRAPH_NODES})"), work
    return draw.svg(root), "", work


# ---- the accuracy summary: correct digits per method and case ----


@dataclass(frozen=True)
class AccuracyRow:
    title: str
    digits: Mapping[str, float | None]  # method label -> fewest correct digits over df/dx_i
    number: int = 0  # the case's number on the page (rows skip cases without a derivative)


def accuracy(report: Report) -> tuple[tuple[str, ...], tuple[AccuracyRow, ...]]:
    """Fewest correct significant digits of each method's gradient, case by case.

    Methods: every method of the comparisons (the registry's, in its order, then any
    other, e.g. a user's engine), and each finite difference scheme at the best step of
    its sweep. A case without any exact derivative has no row.
    """
    schemes = sorted({name for case in report.cases for sweep in case.sweeps
                      for name in sweep.errors}, key=_scheme_order)
    methods = method_names(report)
    labels = (*(registry.label(method) for method in methods),
              *(f"{name}{BEST_STEP}" for name in schemes))
    rows = []
    for case in report.cases:
        comparison = case.comparison
        variables = [name for name in comparison.expression.variables
                     if name in comparison.reference.exact]
        if not variables:
            continue
        digits: dict[str, float | None] = {}
        for label, method in zip(labels, methods):
            if method in comparison.errors:
                digits[label] = min(_digits(comparison.errors[method][name])
                                    for name in variables)
        for name in schemes:
            digits[f"{name}{BEST_STEP}"] = _best_step_digits(case, name)
        rows.append(AccuracyRow(case.title, digits, case.number))
    return labels, tuple(rows)


def method_names(report: Report) -> tuple[str, ...]:
    """The methods compared in ``report``'s cases, each once, in the order they ran."""
    names: dict[str, None] = {}
    for case in report.cases:
        names.update((result.method, None) for result in case.comparison.methods)
    return tuple(names)


def _scheme_order(name: str) -> int:
    names = list(finite_difference.SCHEMES)
    return names.index(name) if name in names else len(names)


def _digits(error) -> float:
    return 0.0 if error.digits is None else error.digits


def _best_step_digits(case: CaseResult, scheme: str) -> float | None:
    worst = None
    for sweep in case.sweeps:
        errors = [e for e in sweep.errors.get(scheme, ()) if e is not None]
        if not errors:
            return 0.0
        exact = mpmath.mpf(case.comparison.reference.exact[sweep.variable])
        smallest = min(errors)
        if exact == 0:
            digits = 17.0 if smallest == 0 else 0.0
        else:
            digits = correct_digits(mpmath.mpf(smallest) / abs(exact))
        worst = digits if worst is None else min(worst, digits)
    return worst


def rounding_error(exact_text: str) -> float:
    """|double(exact) − exact|: the error of the best answer a double can hold."""
    with mpmath.workdps(60):
        exact = mpmath.mpf(exact_text)
        return float(abs(mpmath.mpf(float(exact)) - exact))
