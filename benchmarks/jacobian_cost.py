"""Forward against reverse mode on Jacobians: square, tall (m ≫ n) and wide (n ≫ m).

    python benchmarks/jacobian_cost.py [--repeats 3]

The function (``report.orders.program``): n inputs, a shared trunk (their sum, then a
chain of TRUNK tanh steps, the work that dominates a network's forward pass), and m
outputs, each a cheap function of the trunk and one input. The report counts the same
work in multiply-adds; this measures seconds. Forward mode (``methods.forward``) makes n passes over the whole
function; reverse mode (``methods.autograd_jacobian``, our engine) builds the graph once
and makes m backward passes over the trunk. Theory: forward costs about n·C, reverse
m·C, C the cost of one pass, so forward wins when m > n (tall) and reverse when n > m
(wide), with the crossing near m = n times the ratio of the two passes' constant costs.

Prints the best time of ``--repeats`` runs for each shape, the winner, then the crossing
for n = CROSSING_INPUTS inputs: the smallest m at which forward mode is faster, between
consecutive values of CROSSING_OUTPUTS. Times vary by machine; the targets are the
winners of the tall and wide shapes and a crossing within a factor CROSSING_FACTOR of
m = n. Timings are never run by the test suite (only --help).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tabulate import tabulate  # noqa: E402

from diffcompare.language.vector import parse_vector  # noqa: E402
from diffcompare.methods import autograd_jacobian, forward  # noqa: E402
from diffcompare.report.orders import (  # noqa: E402
    CROSSING_INPUTS,
    CROSSING_OUTPUTS,
    JACOBIAN_SHAPES,
    TRUNK,
    program,
    sample_point,
)

SHAPES = JACOBIAN_SHAPES  # (n inputs, m outputs): square, tall, wide
CROSSING_FACTOR = 10  # the crossing must lie between n/10 and 10n outputs


def best_seconds(method, vector, point, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        method(vector, point)
        best = min(best, time.perf_counter() - start)
    return best


def timings(n: int, m: int, repeats: int) -> tuple[float, float]:
    vector = parse_vector(program(n, m))
    point = sample_point(vector)
    return (best_seconds(forward.jacobian, vector, point, repeats),
            best_seconds(autograd_jacobian.jacobian, vector, point, repeats))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3, help="runs per timing (best kept)")
    args = parser.parse_args()
    rows, met = [], True
    for shape, (n, m) in SHAPES.items():
        by_forward, by_reverse = timings(n, m, args.repeats)
        winner = "forward" if by_forward < by_reverse else "reverse"
        expected = {"tall": "forward", "wide": "reverse"}.get(shape)
        ok = expected is None or winner == expected
        met &= ok
        rows.append([shape, n, m, f"{by_forward * 1e3:.1f}", f"{by_reverse * 1e3:.1f}",
                     winner, "" if expected is None else ("met" if ok else "NOT MET")])
    print(f"Jacobian of n inputs -> a trunk of {TRUNK} tanh steps -> m outputs; best of "
          f"{args.repeats} runs, milliseconds")
    print()
    print(tabulate(rows, headers=["shape", "n", "m", "forward (n passes)",
                                  "reverse (m passes)", "faster", "target"],
                   disable_numparse=True))
    print()
    crossing, curve = None, []
    for m in CROSSING_OUTPUTS:
        by_forward, by_reverse = timings(CROSSING_INPUTS, m, args.repeats)
        curve.append(f"m={m}: {by_forward / by_reverse:.2f}")
        if crossing is None and by_forward < by_reverse:
            crossing = m
    n = CROSSING_INPUTS
    print(f"forward time / reverse time for n = {n} inputs: " + ", ".join(curve))
    ok = crossing is not None and n / CROSSING_FACTOR <= crossing <= n * CROSSING_FACTOR
    met &= ok
    where = "never, up to m = 120" if crossing is None else f"from m = {crossing} outputs"
    print(f"crossing: forward mode is faster {where} (theory: m = n = {n} when a forward "
          f"and a backward pass cost the same) {'met' if ok else 'NOT MET'}")
    print("every target met" if met else "SOME TARGETS MISSED")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
