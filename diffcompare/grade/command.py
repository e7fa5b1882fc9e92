"""``diffcompare grade ANSWERS``: a verdict per student answer, for a gradebook.

    diffcompare grade answers.csv [--out grades] [--jobs N | --executor tcp://HOST:PORT]

Writes DIR/grades.csv and DIR/grades.json (one record per answer, in row order) and
DIR/grades.html (a summary). grades.csv grows one complete line per graded answer, so an
interrupted run resumes where it stopped (``--fresh`` starts over). Each line carries the
fingerprint of its row (``fingerprint``): a row is skipped only when a line has the same
fingerprint, that is the same student, function, points, derivatives and the same
--seed, --samples and --timeout. A changed row, or another answers file graded into the
same folder, is graded again, and grades of rows no longer in the file are dropped. A row that cannot be read is graded "unreadable", reported on stderr with
its row number and student id, and never stops the run.

Exit status: 0 graded (whatever the verdicts), 2 bad input (no such file, not a regular
file, more than 16 MiB, not CSV or JSON Lines, no student or function column; or a
gradebook that cannot be written in --out), 130 interrupted (what was graded is kept).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Iterable, Iterator

from diffcompare.files import write_atomically
from diffcompare.grade import summary
from diffcompare.grade.judge import (
    DEFAULT_SEED,
    ROW_SECONDS,
    SAMPLES,
    Grade,
    judge_within,
)
from diffcompare.grade.rows import Row, kind_of, read_rows
from diffcompare.language import input_files
from diffcompare.language.errors import InputError
from diffcompare.options import counted, json_text, number_option

DEFAULT_OUT = "grades"
CONNECT_TIMEOUT = "10s"  # to reach a Dask scheduler: a busy one answers in well under this
MAX_JOBS = 256
# grade's own grades.csv, read back to resume: a row of it is longer than the answer it
# grades, so it may pass the 16 MiB limit on input that its answers file stays under.
GRADEBOOK_BYTES = 1024 * 1024 * 1024
# 64 bits of SHA-256: two different rows of one class collide with odds of about n**2/2**65
FINGERPRINT_HEX = 16

EXAMPLES = """\
answers file (CSV, header first; or JSON Lines with the same keys):
  student,function,at,derivative,d/dx,d/dy
  ada,3*x**2 - 4*x + 5,x=3;x=0,6*x - 4,,
  bob,x**2*sin(y),"x=1,y=2",,2*x*sin(y),x**2*cos(y)
  (at: one point or several separated by ";"; several variables: d/dx, d/dy columns)

examples:
  diffcompare grade answers.csv
  diffcompare grade answers.jsonl --out week3 --jobs 4
  diffcompare grade answers.csv --executor tcp://scheduler:8786
  cat answers.csv | diffcompare grade -
"""


def configure(parser: argparse.ArgumentParser) -> None:
    parser.description = ("Grade students' derivatives: each answer is right, wrong (where "
                          "and by how much), right except at some points, cannot be read, or "
                          "not judged (out of time, or too few points to decide).")
    parser.epilog = EXAMPLES
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("answers", help="a CSV or JSON Lines file of answers; - reads "
                                        "standard input")
    parser.add_argument("--out", metavar="DIR", default=DEFAULT_OUT,
                        help=f"where grades.csv, grades.json and grades.html go (default "
                             f"{DEFAULT_OUT}/)")
    parser.add_argument("--jobs", type=_jobs, default=1, metavar="N",
                        help="grade in N processes (default 1)")
    parser.add_argument("--executor", metavar="tcp://HOST:PORT",
                        help="send the work to a running Dask scheduler (needs the "
                             "'distributed' extra: pip install 'diffcompare[distributed]')")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED,
                        help=f"seed of the random check points (default {DEFAULT_SEED})")
    parser.add_argument("--samples", type=_samples, default=SAMPLES, metavar="N",
                        help=f"random check points per answer (default {SAMPLES})")
    parser.add_argument("--timeout", type=_seconds, default=ROW_SECONDS, metavar="SECONDS",
                        help=f"time budget per answer (default {ROW_SECONDS:g}; 0: none)")
    parser.add_argument("--fresh", action="store_true",
                        help="grade every row again instead of resuming (a changed row, or "
                             "a changed --seed, --samples or --timeout, is regraded anyway)")


def _jobs(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= MAX_JOBS:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of processes; give 1 "
                                         f"to {MAX_JOBS}, e.g. --jobs {os.cpu_count() or 2}")
    return int(text)


def _samples(text: str) -> int:
    if not text.isdigit() or int(text) > 1000:
        raise argparse.ArgumentTypeError(f"{text!r}: give 0 to 1000 random points")
    return int(text)


_seconds = number_option("a number of seconds", "10, or 0 for no budget", zero_allowed=True)


def run(args: argparse.Namespace) -> int:
    if args.jobs > 1 and args.executor:
        raise InputError("give --jobs or --executor, not both")
    name, text = _read(args.answers)
    rows = read_rows(text, kind_of(name, text))
    if not rows:
        raise InputError(f"{name} holds no answers")
    out = Path(args.out)
    _prepare(out)
    table = out / "grades.csv"
    earlier = [] if args.fresh or not os.path.exists(table) else \
        summary.read_csv(input_files.read_text(table, "the earlier grades",
                                               "move it away, or give another --out",
                                               limit=GRADEBOOK_BYTES))
    prints = {row.number: fingerprint(row, args.seed, args.samples, args.timeout)
              for row in rows}
    done, pending = _resume(rows, prints, earlier)
    dropped = sum(record["fingerprint"] not in prints.values() for record in earlier)
    with _writing(out):
        write_atomically(table, summary.csv_text(done))  # a cut-off last line is dropped now
        sink = open(table, "a", encoding="utf-8")
    records = list(done)
    with sink, _progress_bar(len(pending)) as bar:
        for grade in _grades(pending, args):
            record = {**grade.record(), "fingerprint": prints[grade.row]}
            with _writing(out):
                sink.write(summary.csv_line(record))
                sink.flush()
            records.append(record)
            if grade.verdict in ("unreadable", "not_judged"):
                who = f"student {grade.student}" if grade.student else "no student id"
                line = (f"row {grade.row} ({who}): "
                        f"{summary.VERDICT_WORDS[grade.verdict]}: {grade.detail}")
                sys.stderr.write(f"diffcompare: {_printable(line)}\n")
            if bar is not None:
                bar.update(1)
    records.sort(key=lambda record: record["row"])
    with _writing(out):
        _write_gradebook(out, records, name)
    counts = summary.counts(records)
    resumed = f", {len(rows) - len(pending)} already graded" if len(pending) < len(rows) else ""
    if dropped:
        resumed += f", {counted(dropped, 'earlier grade')} of changed or removed rows dropped"
    sys.stdout.write(f"graded {counted(len(pending), 'answer')}{resumed}: "
                     + ", ".join(f"{counts[v]} {summary.VERDICT_WORDS[v]}" for v in counts)
                     + f"; wrote {table}, {out / 'grades.json'} and {out / 'grades.html'}\n")
    return 0


def _printable(text: str) -> str:
    """``text`` on one line: control characters from the file (a newline in a student
    id) shown escaped."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _read(source: str) -> tuple[str, str]:
    """The answers file's name for people, and its text (``-``: standard input)."""
    name = "standard input" if source == input_files.STANDARD_INPUT else source
    return name, input_files.read_text(source, "the answers")


def _prepare(out: Path) -> None:
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise InputError(f"cannot make the folder {out}: {error.strerror}; give another "
                         "--out") from None


@contextmanager
def _writing(out: Path) -> Iterator[None]:
    """A file of the gradebook that cannot be written (a folder or a fifo where
    grades.json goes, a full disk) as one line of bad input, not an internal error."""
    try:
        yield
    except OSError as error:
        raise input_files.refusal(error.filename or out, "write the grades to", error,
                                  "give another --out") from None


def _write_gradebook(out: Path, records: list[dict], source: str) -> None:
    write_atomically(out / "grades.csv", summary.csv_text(records))
    write_atomically(out / "grades.json", json_text(
        {"source": source, "counts": summary.counts(records), "grades": records}) + "\n")
    write_atomically(out / "grades.html", summary.html_page(records, source))


def _resume(rows: list[Row], prints: dict[int, str],
            earlier: list[dict]) -> tuple[list[dict], list[Row]]:
    """The earlier records to keep (renumbered: a row may have moved) and the rows to grade."""
    by_print = {record["fingerprint"]: record for record in earlier if record["fingerprint"]}
    done = [{**by_print[prints[row.number]], "row": row.number} for row in rows
            if prints[row.number] in by_print]
    return done, [row for row in rows if prints[row.number] not in by_print]


def fingerprint(row: Row, seed: int, samples: int, seconds: float) -> str:
    """What decides a row's verdict, hashed: its student, function, points, derivatives
    and why it cannot be read, and the options that change verdicts. Resuming reuses a
    grade only when its fingerprint is the row's."""
    answer = row.answer
    content = [answer.student, answer.function, list(answer.points),
               sorted(answer.derivatives.items()), row.problem, seed, samples, seconds]
    return hashlib.sha256(json.dumps(content).encode("utf-8")).hexdigest()[:FINGERPRINT_HEX]


# ---- the work: in this process, a process pool, or a Dask cluster ----


def grade_row(row: Row, seed: int, samples: int, seconds: float) -> Grade:
    """One row's grade (a top-level function, so that worker processes can run it)."""
    if row.problem:
        return Grade(row.number, row.answer.student, "unreadable", detail=row.problem)
    return judge_within(row.answer, row.number, seed, samples, seconds or None)


def _grades(rows: list[Row], args: argparse.Namespace) -> Iterator[Grade]:
    """Each row's grade, in the order they finish."""
    options = (args.seed, args.samples, args.timeout)
    if args.executor:
        yield from _dask(rows, args.executor, options)
    elif args.jobs > 1 and len(rows) > 1:
        with ProcessPoolExecutor(max_workers=args.jobs) as pool:
            futures = [pool.submit(grade_row, row, *options) for row in rows]
            try:
                for future in as_completed(futures):
                    yield future.result()
            finally:
                for future in futures:
                    future.cancel()
    else:
        for row in rows:
            yield grade_row(row, *options)


def _dask(rows: list[Row], address: str, options: tuple) -> Iterable[Grade]:
    try:
        from distributed import Client
        from distributed import as_completed as dask_completed
    except ImportError:
        raise InputError("--executor needs Dask distributed; install the extra: pip install "
                         "'diffcompare[distributed]'") from None
    try:
        client = Client(address, timeout=CONNECT_TIMEOUT)
    except (OSError, TimeoutError, ValueError) as error:
        raise InputError(f"cannot reach the Dask scheduler at {address}: {error}; start one "
                         "with `dask scheduler` or check the address") from None
    try:
        futures = [client.submit(grade_row, row, *options, pure=False) for row in rows]
        for future in dask_completed(futures):
            yield future.result()
    finally:
        client.close()


def _progress_bar(total: int):
    """A tqdm bar on stderr (hidden when stderr is not a terminal); without tqdm, none."""
    try:
        from tqdm import tqdm
    except ImportError:
        return nullcontext(None)
    return tqdm(total=total, file=sys.stderr, disable=None, unit="answer", desc="grading",
                leave=False)
