"""The report's content as data: every case compared, swept and counted.

``build`` computes everything; ``report.command`` renders it (``report.html``,
``report.markdown``, plots by ``report.plots``) and writes it. Without ``timings`` the
result is reproducible: every cost is counted work (see ``report.studies``), never seconds.

Cases are built in worker processes (``batch.run_many``): a case that hangs or crashes
is listed as refused, and the others are reported. Every sympy call runs under a time
budget (``budget.run``): a case's under the symbolic method's, the comparison's own and
one more for the formulas the page shows, rendered there as MathML and LaTeX text.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, replace
from typing import Callable, Mapping, Sequence

import mpmath

from diffcompare import batch, draw
from diffcompare.compare import Comparison, compare, correct_digits
from diffcompare.language.corpus import REPORT
from diffcompare.language.corpus_file import Entry, Problem
from diffcompare.methods import autograd, budget, finite_difference, registry, symbolic
from diffcompare.report import orders as report_orders
from diffcompare.report import steps as report_steps
from diffcompare.report import studies as report_studies
from diffcompare.report.studies import GraphWork, Scaling, Swell

MAX_GRAPH_NODES = 120  # larger graphs are counted, not drawn: the picture would not read
# A formula with more operations than this is only counted: a page of symbols teaches
# nothing, and printing it costs more than deriving it.
MAX_RENDERED_OPERATIONS = 1500
BEST_STEP = ", best step"  # a sweep's scheme at its best step, in the accuracy labels

# Steps of the error-versus-step sweep: four per decade, from 1e-1 to 1e-16.
SWEEP_STEPS = tuple(10.0 ** (-k / 4) for k in range(4, 65))


@dataclass(frozen=True)
class Formula:
    """One of sympy's formulas, as the pages show it."""

    operations: int  # sympy.count_ops
    mathml: str  # presentation MathML of the formula; "" past MAX_RENDERED_OPERATIONS
    latex: str  # the same in LaTeX


@dataclass(frozen=True)
class CaseWork:
    """Counted cost of one case (and measured seconds, with timings)."""

    evaluation: int  # primitive operations in one evaluation of f
    finite_difference_evaluations: int
    graph: GraphWork | None  # None when the engine could not build the graph
    symbolic: int | None  # operations in the derivative formulas (None: out of time)
    symbolic_cse: int | None  # the same after common-subexpression elimination
    seconds: Mapping[str, float] | None = None


@dataclass(frozen=True)
class CaseResult:
    number: int  # 1-based, in report order
    entry: Entry
    comparison: Comparison
    formulas: Mapping[str, Formula]  # "value" -> f, then variable -> df/dvariable
    sweeps: tuple  # finite_difference.Sweep per variable that has an exact derivative
    graph: str | None  # the computation graph as SVG, or None
    graph_note: str  # why there is no picture
    work: CaseWork
    steps: str | None = None  # the error-against-step plot as SVG, when there are sweeps
    formulas_note: str = ""  # why there are no formulas (sympy ran out of time)

    @property
    def title(self) -> str:
        return self.entry.case.name


@dataclass(frozen=True)
class Report:
    title: str
    corpus: str  # where the expressions came from, in words
    cases: tuple[CaseResult, ...]
    problems: tuple[Problem, ...]
    scaling: Scaling | None  # None: the studies were not asked for
    swell: Swell | None
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
          tick: Callable[[str], None] = lambda what: None, studies: bool = True,
          jobs: int | None = 0, timeout: float = symbolic.DEFAULT_TIMEOUT,
          deadline: float = batch.DEFAULT_DEADLINE) -> Report:
    """Every number, formula and picture of a report, for ``entries``.

    ``jobs`` worker processes build the cases (0: this process, None: one per core);
    ``timeout`` is each case's sympy budget, ``deadline`` a whole case's in a worker (the
    studies have their own budget, ``studies.STUDY_TIMEOUT``).
    ``studies`` adds the cost-scaling and expression-swell studies, and beyond the
    gradient (digits by order over the agreeing cases, Jacobian cost).
    """
    cases, refused = [], list(problems)
    tasks = ((number, entry, timings, timeout) for number, entry in enumerate(entries, 1))
    # Closed here, not by the garbage collector: an interrupt while its pool stops must
    # reach the command (zip leaves the generator suspended after its last result).
    with contextlib.closing(batch.run_many(_build_task, tasks, jobs, deadline)) as results:
        for entry, result in zip(entries, results):
            if isinstance(result, batch.Failure):
                title = entry.case.name if entry.case.name != entry.case.expression else ""
                refused.append(Problem(0, entry.case.expression,
                                       f"{entry.origin}: not reported: {result.reason}",
                                       title))
            else:
                cases.append(result)
            tick(entry.case.name)
    cases = [_renumbered(case, number) for number, case in enumerate(cases, start=1)]
    scaling = swell = timed = orders = None
    if studies:
        scaling = report_studies.counted_scaling(sizes, tick=lambda: tick("cost scaling"))
        timed = (report_studies.timed_scaling(sizes, time_cap, tick=lambda: tick("timings"))
                 if timings else None)
        swell = report_studies.swell(depths, tick=lambda: tick("expression swell"))
        found = report_orders.merge(_digits_by_order(case, timeout) for case in cases
                                    if case.comparison.verdict.status == "agree")
        orders = report_orders.study(found, tick=lambda: tick("beyond the gradient"))
    return Report(title or f"diffcompare report: {corpus}", corpus, tuple(cases),
                  tuple(refused), scaling, swell, timed, orders)


def _digits_by_order(case: CaseResult, timeout: float) -> report_orders.Digits:
    """Every method's digits on the case's gradient and Hessian (report.orders)."""
    comparison = case.comparison
    expression, point = comparison.expression, comparison.point
    return report_orders.case_digits(expression, point, comparison.reference.exact,
                                     report_orders.exact_hessian(expression, point, timeout))


def _build_task(task: tuple) -> "CaseResult":
    number, entry, timings, timeout = task
    case = build_case(number, entry, timings, timeout)  # its graph is drawn by now
    return replace(case, comparison=batch.portable(case.comparison))


def _renumbered(case: "CaseResult", number: int) -> "CaseResult":
    """The case as number ``number``: numbers stay consecutive when a case is refused."""
    return case if case.number == number else replace(case, number=number)


def build_case(number: int, entry: Entry, timings: bool = False,
               timeout: float = symbolic.DEFAULT_TIMEOUT) -> CaseResult:
    case = entry.case
    comparison = compare(case.expression, at=case.at or None, timeout=timeout)
    expression, point = comparison.expression, comparison.point
    derived = comparison.reference.details.get("formulas")
    formulas, plain, shared, formulas_note = {}, None, None, ""
    if not derived:  # the symbolic method gave none (out of time, say): no second try
        why = comparison.reference.details.get("unavailable") or "sympy gave none"
        formulas_note = f"sympy's formulas are not shown: {why}"
    else:
        try:
            formulas, plain, shared = budget.run(lambda: formulas_of(derived), timeout)
        except (budget.OutOfTime, budget.Failed) as error:
            formulas_note = f"sympy's formulas are not shown: {error}"
    exact = comparison.reference.exact
    sweeps = tuple(
        finite_difference.sweep(expression, point, name, float(exact[name]), steps=SWEEP_STEPS)
        for name in expression.variables if name in exact
    )
    graph, graph_note, graph_work = _graph(comparison)
    by_method = {result.method: result for result in comparison.all_methods}
    work = CaseWork(
        evaluation=report_studies.count_operations(
            expression, {name: float(value) for name, value in point.items()}),
        finite_difference_evaluations=by_method[finite_difference.METHOD].cost.evaluations,
        graph=graph_work, symbolic=plain, symbolic_cse=shared,
        seconds={method: result.cost.seconds for method, result in by_method.items()}
        if timings else None,
    )
    return CaseResult(number, entry, comparison, formulas, sweeps, graph, graph_note, work,
                      _steps(comparison, sweeps), formulas_note)


def formulas_of(derived: Mapping) -> tuple[dict[str, Formula], int, int]:
    """sympy's formulas of f and its partial derivatives (the comparison's) as the pages
    show them, and the operations in the derivatives without and with
    common-subexpression elimination. All sympy: run it under the budget."""
    import sympy
    from sympy.printing.mathml import mathml

    formulas = {}
    for quantity, formula in derived.items():
        operations = int(sympy.count_ops(formula))
        shown = operations <= MAX_RENDERED_OPERATIONS
        formulas[quantity] = Formula(
            operations, mathml(formula, printer="presentation") if shown else "",
            sympy.latex(formula) if shown else "")
    plain, shared = report_studies.symbolic_operations(
        formula for name, formula in derived.items() if name != "value")
    return formulas, plain, shared


def _steps(comparison: Comparison, sweeps: tuple) -> str | None:
    if not sweeps:
        return None
    shown = sweeps[:report_steps.MAX_PANELS]
    return report_steps.svg(
        shown, [comparison.errors["autograd"][sweep.variable].absolute for sweep in shown],
        [rounding_error(comparison.reference.exact[sweep.variable]) for sweep in shown])


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
