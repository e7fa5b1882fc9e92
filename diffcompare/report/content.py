"""What the report says, as plain text and table rows, shared by the HTML and Markdown.

Every string here is unescaped plain text; ``report_html`` and ``report_markdown``
escape it for their format. Numbers are formatted here, once, with fixed formats.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from diffcompare import present
from diffcompare.report.cases import CaseResult, Report, accuracy, method_names
from diffcompare.report.orders import CROSSING_INPUTS, FAMILIES, TRUNK
from diffcompare.report.studies import SWELL_FAMILIES, Scaling, Swell

MARK = "made by diffcompare report"  # near the top of every page a report writes

INTRO = (
    "Each expression below is differentiated three ways: symbolically by sympy, whose "
    "formulas evaluated exactly (to 40 digits) are the reference; by reverse-mode "
    "autograd, our micrograd-style engine; and by finite differences, which only "
    "evaluate f at nearby points. The tables show each method's numbers side by side "
    "with their errors against the reference."
)

ACCURACY_TEXT = (
    "Correct significant digits of each method's gradient (the fewest over the "
    "variables), case by case. Autograd does the same float operations as the exact "
    "derivative and keeps nearly all 16 digits unless the expression itself is "
    "ill-conditioned. A finite difference loses about a third of them at its default "
    "step, and still loses some at the best step of its sweep, a step chosen with "
    "hindsight, knowing the exact answer."
)

SCALING_TEXT = (
    "Cost of one full gradient of the n-dimensional Rosenbrock function as n grows. "
    "Central differences evaluate f 2n times, and 2n more for their error estimates "
    "(4n + 1 with f itself), so their cost grows as n times that "
    "of one evaluation. Reverse mode makes one forward and one backward pass: a small "
    "constant times one evaluation, whatever n. The symbolic method walks the whole "
    "expression once per variable to derive its n formulas, so its cost grows with n "
    "times the size of the expression."
)

COUNTED_TEXT = (
    "Costs are counted, not timed, so that the report is the same every time it is "
    "made: primitive operations of one evaluation (counted by running an instrumented "
    "evaluation); finite differences: the evaluations they made times that; autograd: "
    "one operation per graph node forward and one multiply-add per graph edge "
    "backward; symbolic: n walks of f (n times the operations in f) to derive the "
    "formulas, plus the operations in them. Run with --timings to add measured seconds."
)

TIMED_TEXT = (
    "Measured seconds on the machine that made this report, by each method's own "
    "code. They differ from run to run: this part is not reproducible byte for byte."
)

SWELL_TEXT = (
    "The symbolic derivative of a nested expression can be far larger than the "
    "autograd graph of the expression itself: each application of the chain or "
    "product rule copies subexpressions. Common-subexpression elimination (sympy's "
    "cse) recovers much of the sharing that the graph has from the start."
)

SWEEP_TEXT = (
    "Error of each finite-difference scheme as the step h shrinks, on log-log axes. "
    "To the right, truncation error falls as a power of h; to the left, round-off "
    "grows as ε·|f|/h. The star marks the best step of the sweep, the dashed line the "
    "step theory predicts; the solid line is autograd's error and the dotted one the "
    "error of the exact value rounded to a double, the best a float can do. An error "
    "of exactly 0 is drawn at the bottom edge."
)

NO_STUDIES_TEXT = (
    "The cost-scaling, expression-swell and beyond-the-gradient studies are made with "
    "--studies "
    "(diffcompare report --studies): they take longer than the cases."
)

COST_TEXT = (
    "Operations counted per gradient. The symbolic count is what evaluating the "
    "derived formulas costs; deriving them is extra (see the cost-scaling study)."
)

# Teaching notes for the built-in corpus, by case name.
NOTES = {
    "lecture quadratic": "The lecture's first example: f′(3) = 14. Autograd matches the "
    "exact value to the last bit; the central difference parts from it around the 11th "
    "digit.",
    "micrograd README": "micrograd's README program, run unchanged: a name used twice "
    "is one node, so its gradients add up. The symbolic derivatives are far longer "
    "than the program.",
    "tanh neuron": "The lecture's neuron o = tanh(x1·w1 + x2·w2 + b), with b chosen so "
    "that o = 1/√2.",
    "MLP loss": "A small MLP on one data point, loss (y − 1)²: the seven weights and "
    "biases are the variables. Finite differences need 15 evaluations of f for this "
    "gradient; reverse mode one pass forward and one back.",
    "tanh chain": "Nesting makes the symbolic derivative grow faster than the "
    "expression: see the expression-swell study.",
    "pole nearby": "1/(x − 1) just right of its pole: the third derivative is huge, so "
    "at its default step the central difference's truncation error misses the "
    "tolerance.",
    "log near its domain edge": "At x = 10⁻⁸ the default step, scaled by max(1, |x|), "
    "is about 4·10⁻⁶: x − h would be outside log's domain. The step is then scaled by "
    "|x| instead, and the central difference is right to the last digit. The sweep "
    "shows where steps stop working.",
    "cancellation": "1 − cos(x) cancels catastrophically near 0, and so does every "
    "method that evaluates the formula as written: autograd differentiates the program "
    "exactly, not the mathematics. Only the exact symbolic evaluation is right.",
    "large dynamic range": "∂f/∂y = 10⁻¹⁰·cos(1) is tiny next to f ≈ e: the finite "
    "difference's round-off, about ε·|f|/h, swamps it. No correct digit, yet within "
    "the tolerance, which is relative to |f|.",
    "saturated tanh": "tanh(20) is 1 to 17 digits. Its slope 20·sech²(20) ≈ 3.4·10⁻¹⁶ "
    "survives only because the engine computes sech² without subtracting from 1 "
    "(micrograd's 1 − tanh² gives 0).",
    "high frequency": "sin(1000x) curves fast: the truncation error grows with "
    "h²·|f‴| = h²·10⁹, so the best step is well below the default one.",
    "abs at its kink": "abs has no derivative at 0, yet every method says 0: sympy's "
    "sign(0), the engine's convention and the symmetric central difference. Agreement "
    "does not prove that a derivative exists.",
    "relu at its kink": "relu′(0) does not exist. sympy says Heaviside(0) = 1/2 and so "
    "does the central difference; the engine, like micrograd and PyTorch, uses 0.",
    "relu neuron at its kink": "w·x + b = 0 exactly: the neuron sits on its kink, and "
    "the engine's convention relu′(0) = 0 zeroes every gradient.",
    "square root of a square at 0": "sqrt(x²) is |x|. The engine multiplies sqrt's "
    "infinite slope at 0 by 2x = 0 and gets NaN.",
}


def note(case: "CaseResult") -> str:
    if case.entry.origin != "built-in":
        return ""
    return NOTES.get(case.title, "")


SCALING_TITLES = {"finite_difference": "finite differences", "autograd": "autograd",
                  "symbolic": "symbolic"}


def count(number: int, noun: str) -> str:
    """``count(1, "expression")`` is "1 expression", ``count(2, ...)`` "2 expressions"."""
    return f"{number:,} {noun}{'' if number == 1 else 's'}"


def method_title(method: str) -> str:
    return present.title(method)


def quantity_label(quantity: str) -> str:
    return "f" if quantity == "value" else f"∂f/∂{quantity}"


def digits_text(digits: float | None) -> str:
    return "—" if digits is None else f"{digits:.1f}"


def count_text(count: float | None) -> str:
    return "capped" if count is None else f"{count:,.0f}"


def verdict_text(comparison) -> str:
    """The verdict's sentence, as the command line writes it (``present.verdict_text``)."""
    return present.verdict_text(comparison.verdict)


def point_text(case: "CaseResult") -> str:
    chosen = " (chosen)" if case.comparison.point_chosen else ""
    return (present.format_point(case.comparison.point) or "no variables") + chosen


@dataclass(frozen=True)
class Table:
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    bad: frozenset = frozenset()  # (row, column) cells to highlight as out of tolerance
    numeric: frozenset = frozenset()  # column indexes to align right


def overview(report: "Report") -> Table:
    rows, bad = [], set()
    methods = method_names(report)
    for case in report.cases:
        comparison = case.comparison
        row = [str(case.number), case.title, point_text(case), comparison.verdict.status]
        for method in methods:
            row.append(digits_text(_fewest_digits(case, method)))
        if comparison.verdict.status != "agree":
            bad.add((len(rows), 3))
        rows.append(tuple(row))
    headers = ("#", "expression", "point", "verdict",
               *(f"{method_title(method)} digits" for method in methods))
    return Table(headers, tuple(rows), frozenset(bad),
                 frozenset({0, *range(4, len(headers))}))


def _fewest_digits(case: "CaseResult", method: str) -> float | None:
    comparison = case.comparison
    if method not in comparison.errors:
        return None
    found = [comparison.errors[method][name] for name in comparison.expression.variables
             if comparison.errors[method][name].checked]
    if not found:
        return None
    return min(0.0 if e.digits is None else e.digits for e in found)


def numbers(case: "CaseResult") -> Table:
    """The side-by-side table: exact value, then each method's number, error, digits."""
    comparison = case.comparison
    headers = ["", method_title("symbolic")]
    for result in comparison.methods:
        headers += [method_title(result.method), "rel. error", "digits"]
    rows, bad = [], set()
    for quantity in comparison.quantities:
        row = [quantity_label(quantity),
               present.format_exact(comparison.reference.exact.get(quantity))]
        for result in comparison.methods:
            error = comparison.errors[result.method][quantity]
            if error.within is False:
                bad.update({(len(rows), len(row)), (len(rows), len(row) + 1)})
            row += [present.format_number(result.number(quantity)),
                    present.format_error(error),
                    digits_text(error.digits) if error.checked else ""]
        rows.append(tuple(row))
    return Table(tuple(headers), tuple(rows), frozenset(bad),
                 frozenset(range(1, len(headers))))


def reasons(case: "CaseResult") -> list[str]:
    comparison = case.comparison
    return [f"{method_title(result.method)}, {quantity_label(q)}: {reason}"
            for result in comparison.all_methods for q, reason in result.reasons.items()]


# The methods whose work the report counts operation by operation (``CaseWork``); any
# other method's work is its evaluations of f.
COUNTED_METHODS = ("autograd", "finite_difference")


def costs(case: "CaseResult") -> Table:
    work = case.work
    comparison = case.comparison
    variables = len(comparison.expression.variables)
    evaluation = max(work.evaluation, 1)
    rows = [("one evaluation of f", "the primitive operations of f", f"{work.evaluation:,}",
             "1")]
    formulas = f"{variables} derivative formula{'s' if variables != 1 else ''}"
    if work.symbolic is None:
        rows.append(("symbolic", case.formulas_note, "—", "—"))
    else:
        rows.append(("symbolic", f"{formulas}; {work.symbolic_cse:,} operations after cse",
                     f"{work.symbolic:,}", _ratio(work.symbolic, evaluation)))
    if work.graph is None:
        rows.append(("autograd", case.graph_note, "—", "—"))
    else:
        graph = work.graph
        rows.append(("autograd", f"one forward and one backward pass: {graph.nodes:,} graph "
                     f"nodes, {graph.forward:,} operations forward, {graph.backward:,} "
                     "multiply-adds backward", f"{graph.total:,}",
                     _ratio(graph.total, evaluation)))
    evaluations = work.finite_difference_evaluations
    total = evaluations * work.evaluation
    rows.append(("finite difference", f"{evaluations} evaluation{'s' if evaluations != 1 else ''}"
                 " of f (central differences)", f"{total:,}", _ratio(total, evaluation)))
    others = [result for result in comparison.methods
              if result.method not in COUNTED_METHODS]
    for result in others:
        spent = result.cost.evaluations * work.evaluation
        rows.append((method_title(result.method), f"{count(result.cost.evaluations, 'evaluation')}"
                     " of f, as the method counts them", f"{spent:,}", _ratio(spent, evaluation)))
    headers = ("method", "what it did", "operations", "× one evaluation")
    if work.seconds is not None:
        keys = (None, "symbolic", *COUNTED_METHODS, *(result.method for result in others))
        rows = [row + (_milliseconds(work.seconds.get(key)) if key else "",)
                for row, key in zip(rows, keys)]
        headers += ("measured time",)
    return Table(headers, tuple(rows), numeric=frozenset({2, 3, 4}))


def _ratio(count: int, evaluation: int) -> str:
    return f"{count / evaluation:.1f}"


def _milliseconds(seconds: float | None) -> str:
    return "—" if seconds is None else f"{seconds * 1e3:.2f} ms"


def accuracy_table(report: "Report") -> Table:

    labels, rows = accuracy(report)
    table = []
    for label in labels:
        digits = [row.digits[label] for row in rows if row.digits.get(label) is not None]
        if not digits:
            continue
        table.append((label, f"{statistics.median(digits):.1f}", f"{min(digits):.1f}",
                      f"{sum(1 for d in digits if d >= 10)} of {len(digits)}"))
    return Table(("method", "median digits", "fewest digits", "cases with ≥ 10 digits"),
                 tuple(table), numeric=frozenset({1, 2, 3}))


def scaling_table(scaling: Scaling) -> Table:
    counted = scaling.unit == "operations"
    methods = list(scaling.costs)
    rows = []
    for i, n in enumerate(scaling.sizes):
        row = [str(n), _amount(scaling.evaluation[i], counted)]
        for method in methods:
            cost = scaling.costs[method][i]
            row.append(_amount(cost, counted))
            row.append("—" if cost is None else f"{cost / scaling.evaluation[i]:.1f}")
        rows.append(tuple(row))
    headers = ["n", "one evaluation"]
    for method in methods:
        headers += [SCALING_TITLES.get(method, method), "×"]
    return Table(tuple(headers), tuple(rows), numeric=frozenset(range(len(headers))))


def _amount(value: float | None, counted: bool) -> str:
    if value is None:
        return "over the cap"
    return f"{value:,.0f}" if counted else f"{value * 1e3:.3g} ms"


def cap_text(scaling: Scaling) -> str:
    if scaling.unit == "operations":
        return (f"Each method is capped at {scaling.cap:,.0f} counted operations: where its "
                "work would pass the cap it is not run, and its point is drawn as an open "
                "triangle on the cap line.")
    return (f"Each run is capped at {scaling.cap:g} s: a run that passes the cap is "
            "stopped, the method is not run at larger n, and its points are drawn as open "
            "triangles on the cap line.")


def swell_table(swell: Swell) -> Table:
    rows = []
    for family, points in swell.families.items():
        for point in points:
            rows.append((family, str(point.depth), str(point.graph_nodes), str(point.symbolic),
                         str(point.symbolic_cse)))
    return Table(("family", "depth", "autograd graph nodes", "sympy derivative operations",
                  "after cse"), tuple(rows), numeric=frozenset({1, 2, 3, 4}))


def swell_families() -> list[tuple[str, str]]:
    return [(family, description) for family, (description, _) in SWELL_FAMILIES.items()]


# ---- beyond the gradient: digits by order, Jacobian cost ----

ORDERS_TEXT = (
    "The same cases differentiated twice: each method's correct digits on the gradient "
    "(order 1) and on the Hessian (order 2), medians over every entry that is not exactly "
    "0, on the cases whose methods agree. A finite difference loses about half its digits "
    "at second order (the 3-point second difference is good to about √ε, central first "
    "differences to ε^(2/3)); automatic differentiation, forward-over-reverse at order "
    "2, loses none."
)

JACOBIAN_TEXT = (
    f"Forward mode costs one pass per input, reverse mode one pass per output. Counted in "
    f"multiply-adds (one per edge of the linearized function, per pass) for n inputs "
    f"summed into a trunk of {TRUNK} tanh steps shared by m cheap outputs: forward mode "
    "wins tall Jacobians (m ≫ n), reverse mode wide ones (n ≫ m)."
)


def orders_table(report: "Report") -> Table:
    medians = report.orders.medians
    rows = []
    for family, first, second in FAMILIES:
        one, two = medians.get((first, 1)), medians.get((second, 2))
        if one is None or two is None:
            continue
        rows.append((family, f"{one[0]:.1f}", f"{two[0]:.1f}", f"{one[0] - two[0]:+.1f}",
                     f"{two[1]:.1f}"))
    return Table(("method (order 1 / order 2)", "order 1 median digits",
                  "order 2 median digits", "digits lost", "order 2 fewest"), tuple(rows),
                 numeric=frozenset({1, 2, 3, 4}))


def jacobian_table(report: "Report") -> Table:
    rows = []
    for work in report.orders.jacobians:
        faster = "forward" if work.forward < work.reverse else "reverse"
        rows.append((work.shape, str(work.inputs), str(work.outputs), f"{work.forward:,}",
                     f"{work.reverse:,}", faster))
    return Table(("shape", "n inputs", "m outputs", "forward mode (n passes)",
                  "reverse mode (m passes)", "less work"), tuple(rows),
                 numeric=frozenset({1, 2, 3, 4}))


def crossing_text(report: "Report") -> str:
    m = report.orders.crossing_outputs
    counts = ", ".join(f"m = {w.outputs}: {w.forward:,} against {w.reverse:,}"
                       for w in report.orders.crossing)
    where = "never in this range" if m is None else f"from m = {m} outputs on"
    return (f"The crossing for n = {CROSSING_INPUTS} inputs: forward mode does no more work "
            f"than reverse mode {where} ({counts}).")
