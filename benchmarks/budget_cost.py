"""What the symbolic time budget costs: the command line with the budget (sympy in a
forked child, the default) against ``--timeout 0`` (sympy in-process, no budget), and
many comparisons in one process, run alternately in one go.

    python benchmarks/budget_cost.py [--runs 20]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

COMMAND = ["x**2*sin(y) + tanh(x*y)", "--at", "x=1,y=2"]


def cli_seconds(timeout: str) -> float:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "diffcompare", *COMMAND, "--timeout", timeout],
                   env=env, capture_output=True, check=True)
    return time.perf_counter() - start


def corpus_seconds(timeout: float) -> float:
    """Every corpus expression compared once, in a fresh process."""
    code = ("import time; from diffcompare import compare; from diffcompare.language.corpus import "
            f"CORPUS; t = time.perf_counter(); [compare(c.expression, at=c.at, "
            f"timeout={timeout}) for c in CORPUS]; print(time.perf_counter() - t)")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, check=True)
    return float(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    runs = parser.parse_args().runs
    from diffcompare.language.corpus import CORPUS

    cli = {"5": [], "0": []}
    corpus = {5.0: [], 0.0: []}
    for _ in range(runs):  # alternate, so that both see the same machine
        for timeout in cli:
            cli[timeout].append(cli_seconds(timeout))
        for timeout in corpus:
            corpus[timeout].append(corpus_seconds(timeout))
    forked, plain = statistics.median(cli["5"]), statistics.median(cli["0"])
    print(f"command line, {' '.join(COMMAND)!r}, median of {runs} runs:")
    print(f"  --timeout 0 (in-process): {plain * 1e3:7.1f} ms")
    print(f"  default (forked child):   {forked * 1e3:7.1f} ms   "
          f"(+{(forked - plain) * 1e3:.1f} ms, ratio {forked / plain:.3f})")
    forked, plain = statistics.median(corpus[5.0]), statistics.median(corpus[0.0])
    print(f"the {len(CORPUS)} corpus comparisons in one process, median of {runs} runs:")
    print(f"  timeout=0 (in-process):   {plain * 1e3:7.1f} ms")
    print(f"  default (forked child):   {forked * 1e3:7.1f} ms   "
          f"(+{(forked - plain) / len(CORPUS) * 1e3:.1f} ms per comparison, "
          f"ratio {forked / plain:.2f})")


if __name__ == "__main__":
    main()
