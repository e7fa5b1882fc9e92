"""A small report, made once per test session by the command line, as a user would."""

from __future__ import annotations

import atexit
import functools
import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from helpers import run_cli

INJECTION = "<script>alert(1)</script> & \"quoted\" <b>bold</b>"

# Lines 1-9: a titled quadratic, a comment-titled injection, a bad line (line 7), the
# tanh neuron (one of its partials is exactly 0), a kink, a line without a point.
CORPUS = f"""# The lecture's quadratic
3*x**2 - 4*x + 5 @ x=3

# {INJECTION}
x**2*y # <img src=x onerror=alert(2)> @ x=1, y=2

foo(x) <i>not an expression</i> @ x=1
n = x1*w1 + x2*w2 + b; tanh(n) @ x1=2,x2=0,w1=-3,w2=1,b=6.8813735870195432
relu(x) @ x=0
sin(x)*exp(y)
"""
BAD_LINE = 7
GOOD_LINES = 5
MAX_N = "5"  # keeps the cost-scaling study small


@dataclass(frozen=True)
class Made:
    corpus: Path
    first: Path  # the report folder of the first run
    second: Path  # the same corpus, made again by another process
    run: subprocess.CompletedProcess  # the first run


@functools.lru_cache(maxsize=None)
def small_report() -> Made:
    root = Path(tempfile.mkdtemp(prefix="diffcompare-report-test-"))
    atexit.register(shutil.rmtree, root, True)
    corpus = root / "corpus.txt"
    corpus.write_text(CORPUS, encoding="utf-8")
    # Two processes at once (CI has two cores), each with its own hash seed: output that
    # hung on set order or on anything else that varies between processes would differ.
    with ThreadPoolExecutor(max_workers=2) as pool:
        runs = list(pool.map(lambda name: run_cli("report", "--corpus", str(corpus), "--out",
                                                  str(root / name), "--max-n", MAX_N,
                                                  "--studies"),
                             ("first", "second")))
    return Made(corpus, root / "first", root / "second", runs[0])
