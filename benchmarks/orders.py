"""Correct digits by order: first derivatives against second, on the smooth corpus.

    python benchmarks/orders.py

For each expression of ``corpus.SMOOTH`` the gradient and the Hessian by every method,
each entry measured against sympy's exact value (40 digits, from the exact point):
correct significant digits, -log10 of the relative error, at most 17; entries exactly 0
are skipped (no relative error). Prints the median and the worst digits of each method
at order 1 and at order 2, beside the target, and the digits lost from one order to the
next. The lesson it checks: a finite difference loses about half its digits at second
order (ε^(1/2) instead of ε^(2/3) for the 3-point stencil), automatic differentiation
loses none. Exit status 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tabulate import tabulate  # noqa: E402

from diffcompare.language.corpus import SMOOTH  # noqa: E402
from diffcompare.language.parse import parse  # noqa: E402
from diffcompare.language.point import parse_point  # noqa: E402
from diffcompare.methods import symbolic, symbolic_matrices  # noqa: E402
from diffcompare.report import orders  # noqa: E402

# The median digits each second-order method must reach: AD keeps full precision; the
# 3-point stencil about half of 16 (ε^(1/2) ≈ 1.5e-8), the 5-point one two thirds.
TARGETS_ORDER_2 = {
    "forward_over_reverse": 15.0,
    "3-point": 6.0,
    "5-point": 9.0,
    "richardson": 9.0,
    "complex_step": 11.0,
}
# The lesson: the 3-point second difference loses at least this many digits against the
# central first difference, AD at most LOSS_AD.
LOSS_FD = 2.0
LOSS_AD = 0.5


def measure() -> dict[tuple[str, int], list[float]]:
    """(method, order) -> the correct digits of every non-zero entry on the corpus."""
    parts = []
    for index, case in enumerate(SMOOTH, 1):
        progress(f"{index}/{len(SMOOTH)} {case.name}")
        expression = parse(case.expression)
        point = parse_point(case.at, expression)
        parts.append(orders.case_digits(
            expression, point, symbolic.differentiate(expression, point).exact,
            symbolic_matrices.hessian(expression, point).exact))
    progress("")
    return orders.merge(parts)


def progress(text: str) -> None:
    """One line on a terminal's stderr, rewritten in place; nothing when redirected."""
    if sys.stderr.isatty():
        sys.stderr.write("\r" + text.ljust(50)[:50] + ("" if text else "\r"))
        sys.stderr.flush()


def table(digits) -> tuple[str, bool]:
    lines, all_met = [], True
    for family, order_1, order_2 in orders.FAMILIES:
        first, second = digits[(order_1, 1)], digits[(order_2, 2)]
        median_1, median_2 = statistics.median(first), statistics.median(second)
        target = TARGETS_ORDER_2[order_2]
        met = median_2 >= target
        lost = median_1 - median_2
        if order_2 == "3-point":
            met &= lost >= LOSS_FD
        if order_2 == "forward_over_reverse":
            met &= lost <= LOSS_AD
        all_met &= met
        lines.append([family, f"{median_1:.1f}", f"{min(first):.1f}", f"{median_2:.1f}",
                      f"{min(second):.1f}", f"{lost:+.1f}", f"{target:.0f}",
                      "met" if met else "NOT MET"])
    headers = ["method (order 1 / order 2)", "order 1 median", "worst", "order 2 median",
               "worst", "digits lost", "target (order 2)", ""]
    return tabulate(lines, headers=headers, disable_numparse=True), all_met


def main() -> int:
    argparse.ArgumentParser(description=__doc__,
                            formatter_class=argparse.RawDescriptionHelpFormatter).parse_args()
    digits = measure()
    text, all_met = table(digits)
    print(f"correct significant digits by order on the smooth corpus ({len(SMOOTH)} "
          f"expressions; {len(digits[('autograd', 1)])} gradient and "
          f"{len(digits[('forward_over_reverse', 2)])} Hessian entries, exact zeros skipped)")
    print()
    print(text)
    print()
    print(f"target: the median digits at order 2; the 3-point second difference must also "
          f"lose at least {LOSS_FD:g} digits against central differences, AD at most "
          f"{LOSS_AD:g}")
    print("every target met" if all_met else "SOME TARGETS MISSED")
    return 0 if all_met else 1


if __name__ == "__main__":
    sys.exit(main())
