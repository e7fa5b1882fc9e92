"""``diffcompare report``: an HTML page and a Markdown version a teacher can hand out.

    diffcompare report                          # the built-in corpus, written to reports/
    diffcompare report --corpus my.txt --out out/ --jobs 2 --studies

``report.cases.build`` computes everything (data only, cases over a process pool),
``render`` renders it (``report.html``, ``report.markdown``, plots by ``report.plots``)
and ``report.folder`` makes it the current report of ``--out`` in one atomic step,
touching nothing it did not write.

At most ``PAGE_SIZE`` cases go on a page: a longer corpus gets an index page (the
overview and the studies) and pages of cases, so that a browser opens any of them fast.
"""

from __future__ import annotations

import argparse
import importlib.util
import signal
import sys
from pathlib import Path
from typing import Callable

from diffcompare import batch
from diffcompare.language import input_files
from diffcompare.language.corpus_file import read
from diffcompare.language.errors import InputError
from diffcompare.report import content, folder
from diffcompare.report import html as report_html
from diffcompare.report import markdown as report_markdown
from diffcompare.report import plots as report_plots
from diffcompare.report import studies as report_studies
from diffcompare.report.cases import Report, build, builtin_entries

DEFAULT_OUT = "reports"
# The mark near the top of every page a report writes: an older report's page (before
# report folders had versions) is recognised by it and may be replaced by a link.
MARKS = {"README.md": f"<!-- {content.MARK}",
         "index.html": f'<meta name="generator" content="{content.MARK}">'}
FIGURES = "figures"  # the report's own folder of SVG files, used by the Markdown
PAGES = "pages"  # pages of cases, when there are more than PAGE_SIZE
PAGE_SIZE = 50
# From a page of cases (OUT/.diffcompare-report/current/pages/), back to OUT.
UP_FROM_PAGES = "../../../"

EXIT_OK, EXIT_BAD_LINES = 0, 2
# --time-cap stops one timed run: an hour is far beyond any useful study (the default is
# a second), and the alarm that enforces the cap cannot be set much beyond ~1e9 seconds.
MAX_TIME_CAP = 3600.0


# ---- writing ----


def render(report: Report, tick: Callable[[str], None] = lambda what: None) -> dict[str, bytes]:
    """Every file of the report, by path relative to its version folder."""
    return dict(rendered(report, tick))


def rendered(report: Report, tick: Callable[[str], None] = lambda what: None):
    """The report's files as (path, bytes) pairs, one page at a time: a report of
    thousands of cases is never whole in memory."""
    figures = report_plots.figures(report, tick)
    for name, svg in figures.items():
        yield f"{FIGURES}/{name}", svg.encode("utf-8")
    markdown_figures = folder.link_target(FIGURES)
    if len(report.cases) <= PAGE_SIZE:
        yield "index.html", report_html.render(report, figures).encode("utf-8")
        yield "README.md", report_markdown.render(report, figures, markdown_figures).encode()
        return
    pages = [report.cases[i:i + PAGE_SIZE] for i in range(0, len(report.cases), PAGE_SIZE)]
    page_of = {case.number: k for k, page in enumerate(pages, start=1) for case in page}

    def page_name(k: int, suffix: str) -> str:
        return f"{PAGES}/cases-{k:03d}.{suffix}"

    yield "index.html", report_html.render(
        report, figures, cases=(),
        case_href=lambda n: f"{folder.link_target(page_name(page_of[n], 'html'))}#case-{n}"
    ).encode("utf-8")
    yield "README.md", report_markdown.render(
        report, figures, markdown_figures, cases=(),
        case_href=lambda case: folder.link_target(page_name(page_of[case.number], "md"))
    ).encode("utf-8")
    for k, page in enumerate(pages, start=1):
        yield page_name(k, "html"), report_html.render_cases(
            report, figures, page, UP_FROM_PAGES + "index.html").encode("utf-8")
        yield page_name(k, "md"), report_markdown.render_cases(
            report, figures, f"../{FIGURES}", page, UP_FROM_PAGES + "README.md").encode("utf-8")


def write(report: Report, out: str | Path,
          tick: Callable[[str], None] = lambda what: None,
          say: Callable[[str], None] = lambda line: None) -> Path:
    """Render ``report`` and make it the current report of the folder ``out``; returns
    the path of its index.html. ``say`` is told, in a line each, what was done to a
    folder that held other things."""
    out = Path(out)
    folder.check(out, MARKS)
    return folder.write(out, rendered(report, tick), say)


# ---- the command ----


def configure(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Write a comparison report: index.html (self-contained pages: inline CSS, "
        "SVG plots and MathML, no scripts, no network; past 50 expressions an index and "
        "pages of 50) and README.md with its figures. They link into DIR/"
        f"{folder.HOME}/, where each report is a version listed in its manifest, made "
        "current in one step; nothing else in DIR is touched. "
        "Needs the 'report' extra: pip install 'diffcompare[report]'.")
    parser.epilog = (
        "corpus file: one expression per line, optionally followed by @ and its point, "
        "e.g. 'x**2*sin(y) @ x=1,y=2'; a '#' comment line directly above titles it; "
        f"at most {input_files.MAX_BYTES // 2**20} MiB.\n"
        "exit status: 0 written; 2 bad input (some corpus lines were refused: the "
        "report is still written, without them and listing them; or nothing usable: "
        "nothing is written)")
    parser.add_argument("--corpus", metavar="FILE",
                        help="a corpus file (default: the built-in corpus)")
    parser.add_argument("--out", metavar="DIR", default=DEFAULT_OUT,
                        help=f"the report folder (default {DEFAULT_OUT}/)")
    parser.add_argument("--title", help="the report's title")
    parser.add_argument("--jobs", type=int, default=None, metavar="N", help="build the "
                        "cases in N worker processes (default: one per core when pebble "
                        "is installed; 0 or 1: in this process)")
    parser.add_argument("--studies", action="store_true", help="add the cost-scaling, "
                        "expression-swell and beyond-the-gradient studies (longer than the "
                        "built-in corpus's cases)")
    parser.add_argument("--timings", action="store_true",
                        help="add measured wall-clock seconds (costs, and with --studies a "
                             "cost-scaling plot); the report is then not byte-reproducible")
    parser.add_argument("--time-cap", type=float, default=report_studies.TIME_CAP,
                        metavar="SECONDS", help="with --timings: stop a method's run at "
                        f"this many seconds (default {report_studies.TIME_CAP:g}, at most "
                        f"{MAX_TIME_CAP:g})")
    parser.add_argument("--max-n", type=int, default=max(report_studies.COST_SIZES),
                        metavar="N", help="largest number of variables in the cost-scaling "
                        f"study (default {max(report_studies.COST_SIZES)})")
    parser.add_argument("--json", action="store_true",
                        help="print one JSON object saying what was written, instead of "
                             "a sentence")


def run(args: argparse.Namespace) -> int:
    if args.max_n < 1:
        raise InputError("--max-n must be at least 1")
    if args.jobs is not None and args.jobs < 0:
        raise InputError("--jobs must be 0 (this process) or more")
    jobs = _jobs(args.jobs)
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
        _say(problem.message)
    if not entries:
        what = f"none of its {len(problems)} expression lines could be read" if problems \
            else "it has no expression lines"
        raise InputError(f"nothing to report from {corpus}: {what}")
    out = Path(args.out)
    folder.check(out, MARKS)  # before the long part, not after
    folder.tidy(out)
    sizes = tuple(n for n in report_studies.COST_SIZES if n <= args.max_n)
    studies = (len(sizes) * (2 if args.timings else 1) + len(report_studies.SWELL_FAMILIES)
               + 1 if args.studies else 0)  # + 1: beyond the gradient
    with _terminate_as_interrupt(), _progress(len(entries) + studies) as progress:
        report = build(entries, problems, title=args.title or "", corpus=corpus,
                       timings=args.timings, sizes=sizes, time_cap=args.time_cap,
                       tick=progress.tick, studies=args.studies, jobs=jobs)
        progress.grow(report_plots.plot_count(report))
        index = write(report, out, progress.tick, _say)
    refused = len(report.problems)
    if args.json:
        from diffcompare.options import json_text

        sys.stdout.write(json_text({
            "index": str(index), "readme": str(index.parent / "README.md"),
            "cases": len(report.cases), "verdicts": [case.comparison.verdict.status
                                                     for case in report.cases],
            "refused": [problem.message for problem in report.problems]}) + "\n")
        return EXIT_BAD_LINES if refused else EXIT_OK
    skipped = f"; {refused} corpus line(s) refused, listed in the report" if refused else ""
    sys.stdout.write(f"wrote {index} and {index.parent / 'README.md'} "
                     f"({content.count(len(report.cases), 'expression')}{skipped})\n")
    return EXIT_BAD_LINES if refused else EXIT_OK


def _say(line: str) -> None:
    shown = "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in line)
    sys.stderr.write(f"diffcompare: {shown}\n")


class _terminate_as_interrupt:
    """SIGTERM (and SIGHUP) while the report is made act as Ctrl-C, so that the staging
    folder is removed on the way out; the handlers are put back afterwards."""

    SIGNALS = (signal.SIGTERM, signal.SIGHUP)

    def __enter__(self):
        self.previous = {number: signal.getsignal(number) for number in self.SIGNALS}
        for number in self.SIGNALS:
            signal.signal(number, self._interrupt)
        return self

    @staticmethod
    def _interrupt(signum, frame):
        raise KeyboardInterrupt

    def __exit__(self, *exc):
        for number, handler in self.previous.items():
            signal.signal(number, handler)


def _jobs(asked: int | None) -> int | None:
    """``batch.run_many``'s jobs for ``--jobs``: one job is this process (no pebble
    needed); the default is this process too when pebble is not installed."""
    if asked is not None and asked <= 1:
        return 0
    if not batch.has_pool():
        if asked is None:
            return 0
        raise InputError(f"--jobs {asked} needs pebble; install the extra: "
                         "pip install 'diffcompare[report]' (or --jobs 1: in this process)")
    return asked


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
