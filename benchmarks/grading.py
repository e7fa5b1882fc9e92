"""Grading throughput: `diffcompare grade` on ROWS answers, with --jobs 1 and --jobs 2.

    python benchmarks/grading.py [--rows 1000] [--jobs 1,2]

The answers are tests/data/class.csv's 30 rows (right, wrong, partly right, unreadable),
repeated with new student ids. Each run is the whole command in a fresh process, so the
figures include starting Python, importing sympy and starting the pool's workers.
Prints rows per second for each --jobs.
"""

from __future__ import annotations

import argparse
import csv
import io
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLASS = ROOT / "tests" / "data" / "class.csv"


def answers(rows: int) -> str:
    """``rows`` answers cycling through the class file, student ids made unique."""
    header, *records = list(csv.reader(io.StringIO(CLASS.read_text())))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for number in range(rows):
        record = list(records[number % len(records)])
        record[0] = f"{record[0]}-{number:05}"
        writer.writerow(record)
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--jobs", default="1,2", help="comma-separated --jobs values")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "answers.csv"
        source.write_text(answers(args.rows))
        print(f"grading {args.rows} answers ({len(answers(30).splitlines()) - 1} kinds)")
        for jobs in args.jobs.split(","):
            started = time.perf_counter()
            done = subprocess.run(
                [sys.executable, "-m", "diffcompare", "grade", str(source), "--out",
                 str(Path(folder) / f"out{jobs}"), "--jobs", jobs, "--fresh"],
                capture_output=True, text=True, cwd=ROOT)
            seconds = time.perf_counter() - started
            if done.returncode != 0:
                sys.exit(f"--jobs {jobs} failed: {done.stderr.strip()}")
            print(f"--jobs {jobs}: {args.rows / seconds:7.1f} rows/s ({seconds:.1f} s)")


if __name__ == "__main__":
    main()
