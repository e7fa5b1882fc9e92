"""Comparison reports: an HTML page and a Markdown version a teacher can hand out.

    diffcompare report                          # the built-in corpus, written to reports/
    diffcompare report --corpus my.txt --out out/

``build`` computes everything (data only), ``write`` renders it (``report_html``,
``report_markdown``, plots by ``report_plots``) and swaps it into place. Without
``timings`` the output is byte-reproducible: every cost is counted work (see
``report_studies``), never seconds.

Writing is atomic: the whole report is built in a staging folder inside the target
before any file is replaced, so a run that fails leaves the previous report intact.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import stat
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Mapping, Sequence

import mpmath
import sympy

from diffcompare.methods import autograd

from diffcompare import draw

from diffcompare.methods import finite_difference

from diffcompare.report import studies as report_studies

from diffcompare.methods import symbolic
from diffcompare.report import content
from diffcompare.compare import Comparison, compare, correct_digits
from diffcompare.language.corpus import REPORT
from diffcompare.language.corpus_file import Entry, Problem, read
from diffcompare.engine import Value
from diffcompare.language.errors import InputError
from diffcompare.report.studies import GraphWork, Scaling, Swell

DEFAULT_OUT = "reports"
# The pages a report writes, each with the mark near its top that shows a report made it:
# a folder's own README.md or index.html is never replaced.
PAGES = {"README.md": f"<!-- {content.MARK}",
         "index.html": f'<meta name="generator" content="{content.MARK}">'}
FIGURES = "figures"  # the report's own folder of SVG files, used by README.md
MAX_GRAPH_NODES = 120  # larger graphs are counted, not drawn: the picture would not read
PLAIN_METHODS = ("autograd", "finite_difference")

# Steps of the error-versus-step sweep: four per decade, from 1e-1 to 1e-16.
SWEEP_STEPS = tuple(10.0 ** (-k / 4) for k in range(4, 65))

EXIT_OK, EXIT_BAD_LINES = 0, 2
# --time-cap stops one timed run: an hour is far beyond any useful study (the default is
# a second), and the alarm that enforces the cap cannot be set much beyond ~1e9 seconds.
MAX_TIME_CAP = 3600.0


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
    return Report(title or f"diffcompare report: {corpus}", corpus, tuple(cases),
                  tuple(problems), scaling, swell, timed)


def build_case(number: int, entry: Entry, timings: bool = False) -> CaseResult:
    case = entry.case
    comparison = compare(case.expression, at=case.at or None)
    expression, point = comparison.expression, comparison.point
    symbol_table = symbolic.symbols(expression)
    function = symbolic.to_sympy(expression, symbol_table)
    formulas = {"value": function,
                **{name: sympy.diff(function, symbol) for name, symbol in symbol_table.items()}}
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


def _graph(comparison: Comparison) -> tuple[str | None, str, GraphWork | None]:
    leaves = {name: Value(float(value), label=name) for name, value in comparison.point.items()}
    try:
        root = autograd.build_graph(comparison.expression, leaves)
        root.backward()
    except autograd.ARITHMETIC_ERRORS as error:
        return None, f"the engine cannot build it here: {autograd.describe(error)}", None
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


def accuracy(report: Report) -> tuple[tuple[str, ...], tuple[AccuracyRow, ...]]:
    """Fewest correct significant digits of each method's gradient, case by case.

    Methods: autograd, finite differences at their default step, and each finite
    difference scheme at the best step of its sweep. A case without any exact
    derivative has no row.
    """
    schemes = sorted({name for case in report.cases for sweep in case.sweeps
                      for name in sweep.errors}, key=_scheme_order)
    labels = ("autograd", "finite difference", *(f"{name}, best step" for name in schemes))
    rows = []
    for case in report.cases:
        comparison = case.comparison
        variables = [name for name in comparison.expression.variables
                     if name in comparison.reference.exact]
        if not variables:
            continue
        digits: dict[str, float | None] = {}
        for label, method in zip(labels, PLAIN_METHODS):
            digits[label] = min(_digits(comparison.errors[method][name]) for name in variables)
        for name in schemes:
            digits[f"{name}, best step"] = _best_step_digits(case, name)
        rows.append(AccuracyRow(case.title, digits))
    return labels, tuple(rows)


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


# ---- writing ----


def render(report: Report, tick: Callable[[str], None] = lambda what: None) -> dict[str, bytes]:
    """Every file of the report, by path relative to the report folder."""
    from diffcompare.report import html as report_html
    from diffcompare.report import markdown as report_markdown
    from diffcompare.report import plots as report_plots

    figures = report_plots.figures(report, tick)
    files = {f"{FIGURES}/{name}": svg.encode("utf-8") for name, svg in figures.items()}
    files["index.html"] = report_html.render(report, figures).encode("utf-8")
    files["README.md"] = report_markdown.render(report, figures, FIGURES).encode("utf-8")
    return files


def write(report: Report, out: str | Path,
          tick: Callable[[str], None] = lambda what: None) -> Path:
    """Render ``report`` into the folder ``out`` and swap it in; returns index.html's path."""
    out = Path(out)
    _check_target(out)
    files = render(report, tick)
    try:
        out.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".report-", dir=out))
    except OSError as error:
        raise InputError(f"cannot write the report to {str(out)!r}: "
                         f"{error.strerror or error}") from None
    try:
        for name, data in files.items():
            path = staging / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        figures = out / FIGURES
        if figures.exists():
            figures.rename(staging / "previous-figures")
        (staging / FIGURES).rename(figures)
        for name in PAGES:
            _swap_in(staging / name, out / name)
    except OSError as error:
        raise InputError(f"cannot write the report to {str(out)!r}: "
                         f"{error.strerror or error}") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return out / "index.html"


def _swap_in(staged: Path, page: Path) -> None:
    """Replace ``page`` by ``staged`` as ``draw.write_atomically`` would: a symbolic link
    keeps pointing where it did (its target is replaced) and a page keeps its permission
    bits."""
    target = Path(os.path.realpath(page))
    if target.parent != Path(os.path.realpath(page.parent)):  # perhaps another disk
        draw.write_atomically(target, staged.read_bytes())
        return
    if target.exists():
        os.chmod(staged, stat.S_IMODE(target.stat().st_mode))
    os.replace(staged, target)


def _check_target(out: Path) -> None:
    """Refuse a target whose files a report would replace but did not make."""
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {str(out)!r} is a file; give a folder for the report")
    for name, mark in PAGES.items():
        page = out / name
        if page.exists() and not _made_by_us(page, mark):
            raise InputError(f"{str(page)!r} exists and was not made by diffcompare report; "
                             "choose another --out (a report would replace it)")
    figures = out / FIGURES
    if figures.exists():
        foreign = [p.name for p in figures.iterdir() if not (p.is_file() and p.suffix == ".svg")] \
            if figures.is_dir() else [figures.name]
        if foreign:
            raise InputError(f"{str(figures)!r} holds files that are not a report's figures "
                             f"(e.g. {foreign[0]!r}); choose another --out")


def _made_by_us(page: Path, mark: str) -> bool:
    if not page.is_file():  # a folder, a device or a fifo (reading one could wait forever)
        return False
    try:
        with page.open("r", encoding="utf-8", errors="replace") as handle:
            return mark in handle.read(4096)
    except OSError:
        return False


# ---- the command ----


def configure(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Write a comparison report: index.html (one self-contained page: inline CSS, "
        "SVG plots and MathML, no scripts, no network) and README.md with its figures. "
        "Needs the 'report' extra: pip install 'diffcompare[report]'.")
    parser.epilog = (
        "corpus file: one expression per line, optionally followed by @ and its point, "
        "e.g. 'x**2*sin(y) @ x=1,y=2'; a '#' comment line directly above titles it.\n"
        "exit status: 0 written; 2 bad input (some corpus lines were refused: the "
        "report is still written, without them and listing them; or nothing usable: "
        "nothing is written)")
    parser.add_argument("--corpus", metavar="FILE",
                        help="a corpus file (default: the built-in corpus)")
    parser.add_argument("--out", metavar="DIR", default=DEFAULT_OUT,
                        help=f"the report folder (default {DEFAULT_OUT}/)")
    parser.add_argument("--title", help="the report's title")
    parser.add_argument("--timings", action="store_true",
                        help="add measured wall-clock seconds (costs and a cost-scaling "
                             "plot); the report is then not byte-reproducible")
    parser.add_argument("--time-cap", type=float, default=report_studies.TIME_CAP,
                        metavar="SECONDS", help="with --timings: stop a method's run at "
                        f"this many seconds (default {report_studies.TIME_CAP:g}, at most "
                        f"{MAX_TIME_CAP:g})")
    parser.add_argument("--max-n", type=int, default=max(report_studies.COST_SIZES),
                        metavar="N", help="largest number of variables in the cost-scaling "
                        f"study (default {max(report_studies.COST_SIZES)})")


def run(args: argparse.Namespace) -> int:
    if args.max_n < 1:
        raise InputError("--max-n must be at least 1")
    if not (0 < args.time_cap <= MAX_TIME_CAP):
        raise InputError(f"--time-cap must be a positive number of seconds, at most "
                         f"{MAX_TIME_CAP:g}")
    for option, value, example in (("--out", args.out, "reports"),
                                   ("--corpus", args.corpus, "my.txt")):
        if value == "":
            raise InputError(f"{option} needs a name, e.g. {option} {example}")
    _require_plotting()
    if args.corpus:
        entries, problems = read(args.corpus)
        corpus = Path(args.corpus).name
    else:
        entries, problems, corpus = builtin_entries(), [], "the built-in corpus"
    for problem in problems:
        sys.stderr.write(f"diffcompare: {problem.message}\n")
    if not entries:
        what = f"none of its {len(problems)} expression lines could be read" if problems \
            else "it has no expression lines"
        raise InputError(f"nothing to report from {corpus}: {what}")
    _check_target(Path(args.out))  # before the long part, not after
    sizes = tuple(n for n in report_studies.COST_SIZES if n <= args.max_n)
    from diffcompare.report.plots import plot_count

    with _progress(len(entries) + len(sizes) * (2 if args.timings else 1)
                   + len(report_studies.SWELL_FAMILIES)) as progress:
        report = build(entries, problems, title=args.title or "", corpus=corpus,
                       timings=args.timings, sizes=sizes, time_cap=args.time_cap,
                       tick=progress.tick)
        progress.grow(plot_count(report))
        index = write(report, args.out, progress.tick)
    skipped = f"; {len(problems)} corpus line(s) refused, listed in the report" if problems else ""
    sys.stdout.write(f"wrote {index} and {index.parent / 'README.md'} "
                     f"({content.count(len(report.cases), 'expression')}{skipped})\n")
    return EXIT_BAD_LINES if problems else EXIT_OK


def _require_plotting() -> None:
    if importlib.util.find_spec("matplotlib") is None:
        raise InputError("the report command needs matplotlib; install the extra: "
                         "pip install 'diffcompare[report]'")


class _progress:
    """A tqdm bar on stderr over the long parts (silent when stderr is not a terminal)."""

    def __init__(self, total: int):
        self.total = total
        self.bar = None

    def __enter__(self) -> "_progress":
        try:
            from tqdm import tqdm
        except ImportError:
            return self
        self.bar = tqdm(total=self.total, file=sys.stderr, disable=None, unit="step",
                        desc="report", leave=False)
        return self

    def tick(self, what: str) -> None:
        if self.bar is not None:
            shown = "".join(ch for ch in what[:30] if ch.isprintable())
            self.bar.set_postfix_str(shown, refresh=False)
            self.bar.update(1)

    def grow(self, steps: int) -> None:
        if self.bar is not None:
            self.bar.total += steps
            self.bar.refresh()

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.close()
