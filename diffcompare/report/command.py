"""``diffcompare report``: an HTML page and a Markdown version a teacher can hand out.

    diffcompare report                          # the built-in corpus, written to reports/
    diffcompare report --corpus my.txt --out out/

``report.cases.build`` computes everything (data only), ``write`` renders it
(``report.html``, ``report.markdown``, plots by ``report.plots``) and swaps it into place.

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
from pathlib import Path
from typing import Callable

from diffcompare.files import write_atomically
from diffcompare.language.corpus_file import read
from diffcompare.language.errors import InputError
from diffcompare.report import content
from diffcompare.report import html as report_html
from diffcompare.report import markdown as report_markdown
from diffcompare.report import plots as report_plots
from diffcompare.report import studies as report_studies
from diffcompare.report.cases import Report, build, builtin_entries

DEFAULT_OUT = "reports"
# The pages a report writes, each with the mark near its top that shows a report made it:
# a folder's own README.md or index.html is never replaced.
PAGES = {"README.md": f"<!-- {content.MARK}",
         "index.html": f'<meta name="generator" content="{content.MARK}">'}
FIGURES = "figures"  # the report's own folder of SVG files, used by README.md

EXIT_OK, EXIT_BAD_LINES = 0, 2
# --time-cap stops one timed run: an hour is far beyond any useful study (the default is
# a second), and the alarm that enforces the cap cannot be set much beyond ~1e9 seconds.
MAX_TIME_CAP = 3600.0


# ---- writing ----


def render(report: Report, tick: Callable[[str], None] = lambda what: None) -> dict[str, bytes]:
    """Every file of the report, by path relative to the report folder."""

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
    """Replace ``page`` by ``staged`` as ``files.write_atomically`` would: a symbolic link
    keeps pointing where it did (its target is replaced) and a page keeps its permission
    bits."""
    target = Path(os.path.realpath(page))
    if target.parent != Path(os.path.realpath(page.parent)):  # perhaps another disk
        write_atomically(target, staged.read_bytes())
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
    parser.add_argument("--json", action="store_true",
                        help="print one JSON object saying what was written, instead of "
                             "a sentence")


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
    if args.json:
        from diffcompare.options import json_text

        sys.stdout.write(json_text({
            "index": str(index), "readme": str(index.parent / "README.md"),
            "cases": len(report.cases), "verdicts": [case.comparison.verdict.status
                                                     for case in report.cases],
            "refused": [problem.message for problem in problems]}) + "\n")
        return EXIT_BAD_LINES if problems else EXIT_OK
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
