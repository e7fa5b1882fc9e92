"""One verdict per answer: is the student's derivative right?

An answer is a function f, one or more points, and a claimed derivative per variable of f
(text). Everything is read by our own parser (never ``eval`` or sympy's parser); sympy
only ever sees trees we built.

The check, in order:

1. **Symbolic:** ``sympy.simplify(claim - diff(f, x))`` for each variable, on sympy
   expressions built from our parsed trees: 0 proves them equal; a nonzero rational
   function, or a difference sympy knows is never 0, proves them different; anything
   else is undecided (sympy could not simplify it to 0, which proves nothing).
2. **Numeric, at the given points and at ``SAMPLES`` seeded random points:** the exact
   derivative (sympy, ``symbolic.DIGITS`` digits) against the claim evaluated in floats,
   measured by ``compare.measure`` with the tolerance of a method not in the table
   (``compare.DEFAULT_TOLERANCE``, relative to max(|f'|, |f|)): the comparison's own rule.
   A point where f' does not exist (a kink of abs or relu, sqrt at 0) is skipped.

Verdicts (``Grade.verdict``):

- ``right``: equal as formulas (or, when sympy cannot decide, at every point checked,
  and at least ``MIN_POINTS`` of them) and within tolerance at every point;
- ``right_except``: equal as formulas, but at some points the claim gives no number or a
  different one (``2*x**2/x`` at x = 0): ``where`` lists them;
- ``wrong``: the claim differs; ``where`` is the first point where it does, ``detail``
  says by how much (or, when sympy proved them different but every point checked
  agrees, ``where`` is empty and ``detail`` gives sympy's difference);
- ``unreadable``: the function, the points or the claim cannot be read; ``detail`` says why;
- ``not_judged``: the input is fine but no verdict was reached: the row ran out of its
  time budget, or sympy could not decide and fewer than ``MIN_POINTS`` points were
  checked; ``detail`` says which, and what to raise.

>>> grade = judge(Answer("ada", "3*x**2 - 4*x + 5", ("x=3",), {"": "6*x - 4"}))
>>> grade.verdict, grade.where
('right', '')
>>> judge(Answer("bob", "3*x**2 - 4*x + 5", ("x=3",), {"": "6*x"})).detail
'df/dx: the answer gives 18 where the derivative is 14 (off by 4)'
"""

from __future__ import annotations

import random
import signal
import threading
from dataclasses import asdict, dataclass
from fractions import Fraction
from typing import Mapping

from diffcompare.compare import DEFAULT_TOLERANCE, measure
from diffcompare.language.errors import InputError
from diffcompare.language.expression import Expression, evaluate_float
from diffcompare.language.faults import ARITHMETIC_ERRORS
from diffcompare.language.parse import parse
from diffcompare.language.point import parse_point
from diffcompare.methods import budget, kinks, symbolic
from diffcompare.methods.claim import parse_claims
from diffcompare.methods.results import Cost, SymbolicDerivatives, quantity_label
from diffcompare.options import counted

VERDICTS = ("right", "right_except", "wrong", "unreadable", "not_judged")

# Random points per answer, beside the given ones: with the given point, enough that a
# claim right at one point by chance (6 for 6*x - 4 at x = 1) is caught, and cheap.
SAMPLES = 5
SAMPLE_RANGE = 3.0  # each variable uniform in [-3, 3], rounded to RANDOM_DECIMALS
RANDOM_DECIMALS = 3  # exact short decimals, which a teacher can retype
DEFAULT_SEED = 14
TRIES_PER_SAMPLE = 4  # random points drawn per usable one wanted, at most
# Larger formulas skip sympy.simplify, which can take minutes on them; the numeric
# check at several points then decides.
SIMPLIFY_OPERATIONS = 400
ROW_SECONDS = 10.0  # a row's time budget (sympy has no timeout of its own)
# When sympy cannot decide, the numbers alone say "right" only if at least this many points
# agree: one point is often a coincidence (3*x for x**3 at x = 1), and a wrong formula
# agreeing at three unrelated points is rare; the default checks 1 + SAMPLES points.
MIN_POINTS = 3
DIFFERENCE_CHARACTERS = 80  # sympy's difference is shown in a detail up to this length


@dataclass(frozen=True)
class Answer:
    """One row: the student, f's text, the points' texts ("x=1,y=2") and the claimed
    derivatives by variable name ("" for f's only variable)."""

    student: str
    function: str
    points: tuple[str, ...]
    derivatives: Mapping[str, str]


@dataclass(frozen=True)
class Grade:
    """The verdict on one answer. ``where`` is a point ("x = 0.5") or several joined by
    "; ", ``detail`` the reason in words; ``checked`` counts the points compared."""

    row: int
    student: str
    verdict: str
    where: str = ""
    detail: str = ""
    checked: int = 0
    symbolic: str = ""  # "equal", "different" (proved) or "undecided"

    def record(self) -> dict:
        return asdict(self)


def judge(answer: Answer, row: int = 0, seed: int = DEFAULT_SEED,
          samples: int = SAMPLES) -> Grade:
    """The verdict on ``answer``; never raises for bad input (it becomes ``unreadable``)."""
    try:
        return _judge(answer, row, seed, samples)
    except InputError as error:
        return Grade(row, answer.student, "unreadable", detail=error.one_line())


def judge_within(answer: Answer, row: int = 0, seed: int = DEFAULT_SEED,
                 samples: int = SAMPLES, seconds: float | None = ROW_SECONDS) -> Grade:
    """``judge`` under a time budget of ``seconds`` (None or 0: none).

    On a process's main thread the budget is a SIGALRM timer, which interrupts sympy's
    Python code at no cost per row; elsewhere (a Dask worker's thread) it is
    ``budget.run``'s child process, which halves the throughput (benchmarks/grading.py).
    """
    if not seconds:
        return judge(answer, row, seed, samples)
    if threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer"):
        try:
            with budget.alarm(seconds, _OutOfTime):
                return judge(answer, row, seed, samples)
        except _OutOfTime:
            return _too_slow(answer, row, seconds)
    try:
        return budget.run(lambda: judge(answer, row, seed, samples), seconds)
    except budget.OutOfTime:
        return _too_slow(answer, row, seconds)
    except budget.Failed as error:
        return Grade(row, answer.student, "not_judged", detail=f"cannot be checked: {error}")


def _too_slow(answer: Answer, row: int, seconds: float) -> Grade:
    """Running out of time says nothing about the answer: not judged, not unreadable."""
    return Grade(row, answer.student, "not_judged",
                 detail=f"timed out after {budget.format_seconds(seconds)} s; raise --timeout")


class _OutOfTime(Exception):
    pass


def _judge(answer: Answer, row: int, seed: int, samples: int) -> Grade:
    if not answer.function.strip():
        raise InputError("the function is empty")
    try:
        function = parse(answer.function)
    except InputError as error:
        raise InputError(f"the function cannot be read: {error.one_line()}") from None
    texts = [f"{name}: {text}" if name else text for name, text in answer.derivatives.items()]
    if not texts or not any(text.strip() for text in answer.derivatives.values()):
        raise InputError("no derivative given")
    named = {name for name in answer.derivatives if name}
    missing = [name for name in function.variables if name not in named]
    if named and missing:
        raise InputError("no derivative given for " + ", ".join(
            f"df/d{name}" for name in missing) + f" (add a d/d{missing[0]} column)")
    if "" in answer.derivatives and len(function.variables) != 1:
        raise InputError(f"f has {len(function.variables)} variables: give one derivative "
                         "per variable (columns " + ", ".join(
                             f"d/d{name}" for name in function.variables) + ")")
    claims = parse_claims(texts, function)
    given = [parse_point(text, function) for text in answer.points if text.strip()]
    table = symbolic.symbols(function)
    f_formula = symbolic.to_sympy(function, table)
    exact = {name: f_formula.diff(table[name]) for name in function.variables}
    claimed = {name: symbolic.to_sympy(claims[name], table) for name in function.variables}
    status, difference = _symbolic_outcome(exact, claimed, table)
    rng = random.Random(f"{seed}:{answer.student}:{answer.function}")
    failures, checked = [], 0
    for point in [*given, *_random_points(function, rng, samples)]:
        failure = _check_point(function, f_formula, exact, claims, point)
        if failure is None:
            continue
        checked += 1
        if failure:
            failures.append((point, failure))
        if checked >= len(given) + samples:
            break
    where = "; ".join(_show(point) for point, _ in failures)
    if not failures and status == "different":
        return Grade(row, answer.student, "wrong", checked=checked, symbolic=status,
                     detail=f"sympy shows {difference}, not 0, though the numbers agree "
                            f"at the {counted(checked, 'point')} checked")
    if not failures and status == "undecided" and checked < MIN_POINTS:
        return Grade(row, answer.student, "not_judged", checked=checked, symbolic=status,
                     detail=f"sympy could not decide, and the numbers were checked at "
                            f"only {counted(checked, 'point')} (at least {MIN_POINTS} needed); "
                            "raise --samples")
    if not failures:
        return Grade(row, answer.student, "right", checked=checked, symbolic=status,
                     detail="" if status == "equal" else "sympy could not decide; "
                     f"equal at all {counted(checked, 'point')} checked")
    only_gaps = len(failures) < checked and all(text.startswith("no number")
                                                for _, text in failures)
    if status == "equal" or (status == "undecided" and only_gaps):
        return Grade(row, answer.student, "right_except", where=where, checked=checked,
                     symbolic=status, detail="; ".join(text for _, text in failures))
    point, text = failures[0]
    return Grade(row, answer.student, "wrong", where=_show(point), checked=checked,
                 symbolic=status, detail=text)


def _symbolic_outcome(exact, claimed, table) -> tuple[str, str]:
    """("equal", ""), ("different", "answer - df/dx = ...") or ("undecided", "")."""
    import sympy

    outcome = "equal"
    for name, formula in exact.items():
        difference = claimed[name] - formula
        if sympy.count_ops(difference) > SIMPLIFY_OPERATIONS:
            outcome = "undecided"
            continue
        try:
            simplified = sympy.simplify(difference)
            if simplified == 0:
                continue
            if _never_zero(simplified, list(table.values())):
                shown = str(simplified)
                if len(shown) > DIFFERENCE_CHARACTERS:
                    shown = shown[:DIFFERENCE_CHARACTERS - 3] + "..."
                return "different", f"answer - {quantity_label(name)} = {shown}"
        except (TypeError, ValueError, ArithmeticError, RecursionError):
            pass
        outcome = "undecided"
    return outcome, ""


def _never_zero(simplified, symbols: list) -> bool:
    """Whether sympy proves a difference that did not simplify to 0 is not 0 everywhere:
    a rational function is 0 only when its canceled numerator is, and otherwise only
    sympy's assumptions may say so (exp(x) is never 0). Simplify leaving a nonzero
    expression proves nothing by itself (sympy misses many identities)."""
    import sympy

    if simplified.is_rational_function(*symbols):
        return sympy.cancel(simplified) != 0
    return simplified.is_zero is False


def _random_points(function: Expression, rng: random.Random, samples: int):
    """Up to ``TRIES_PER_SAMPLE * samples`` random points: some may lie outside f's domain
    (log(x) at x < 0) and are then skipped, until ``samples`` points were usable."""
    scale = 10 ** RANDOM_DECIMALS
    bound = int(SAMPLE_RANGE * scale)
    for _ in range(TRIES_PER_SAMPLE * samples):
        yield {name: Fraction(rng.randint(-bound, bound), scale) for name in function.variables}


def _check_point(function, f_formula, exact, claims, point) -> str | None:
    """None when f' does not exist here (nothing to check), "" when the claim is right
    here, else what is wrong, in words."""
    import sympy

    substitutions = {sympy.Symbol(name, real=True): sympy.Rational(v.numerator, v.denominator)
                     for name, v in point.items()}
    f_text, _ = symbolic._value_at(f_formula, substitutions)  # the method's own evaluation
    at = {name: float(v) for name, v in point.items()}
    # At a kink (abs(x) at 0) f has no derivative in that variable: nothing to check there.
    kinked = {kink.variable for kink in kinks.find(function, point) if kink.differs}
    problems = []
    usable = False
    for name in function.variables:
        d_text, _ = symbolic._value_at(exact[name], substitutions)
        if d_text is None or f_text is None or name in kinked:
            continue
        usable = True
        reference = SymbolicDerivatives("symbolic", None, {}, Cost(0, 0.0),
                                        exact={"value": f_text, name: d_text})
        try:
            got: float | None = evaluate_float(claims[name], at)
        except ARITHMETIC_ERRORS:
            got = None
        error = measure(got, reference, name, DEFAULT_TOLERANCE)
        if error.within:
            continue
        label, want = quantity_label(name), _number(float(d_text))
        if got is None:
            problems.append(f"no number from the answer for {label} (it is {want})")
        else:
            problems.append(f"{label}: the answer gives {_number(got)} where the derivative "
                            f"is {want} (off by {_number(abs(got - float(d_text)))})")
    if not usable:
        return None
    return "; ".join(problems)


def _number(value: float) -> str:
    return f"{value:.6g}"


def _show(point: Mapping[str, Fraction]) -> str:
    return ", ".join(f"{name} = {_number(float(v))}" for name, v in point.items())
