"""diffcompare's check_gradients and torch.autograd.gradcheck on the gradient corpus.

    python benchmarks/gradcheck_compare.py

The corpus (tests/gradient_corpus.py) holds buggy and correct hand-written gradients:
custom torch.autograd.Functions, and numpy gradient functions (bridged into a custom
Function for gradcheck). Prints one row per case: caught or not by each tool (on a correct
case, "caught" is a false alarm), whether diffcompare named the expected pattern, and its
pattern line; then the targets, each met or NOT MET:

- diffcompare catches every bug that gradcheck catches, and more;
- no false alarm on the correct cases;
- the pattern named right on every buggy case.

Needs numpy and torch. gradcheck runs with its defaults (atol 1e-5, rtol 1e-3).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from tabulate import tabulate  # noqa: E402

_LONGEST_PATTERN = 90


def run_gradcheck(case) -> bool:
    """Whether torch.autograd.gradcheck reports the case's gradient wrong."""
    import torch

    inputs = tuple(torch.tensor(x, requires_grad=True) for x in case.inputs)
    try:
        return not torch.autograd.gradcheck(case.torch_function(), inputs,
                                            raise_exception=False)
    except RuntimeError:
        return True  # gradcheck raising counts as catching


def run_diffcompare(case):
    from diffcompare.gradients import check_gradients

    args, options = case.diffcompare_args()
    return check_gradients(*args, **options)


def main() -> int:
    argparse.ArgumentParser(description=__doc__,
                            formatter_class=argparse.RawDescriptionHelpFormatter).parse_args()
    from gradient_corpus import CASES

    rows, ours, theirs, alarms, named = [], 0, 0, 0, 0
    missed_by_us = []
    bugs = [case for case in CASES if case.expected is not None]
    for case in CASES:
        start = time.perf_counter()
        check = run_diffcompare(case)
        seconds = time.perf_counter() - start
        caught, by_gradcheck = not check.ok, run_gradcheck(case)
        buggy = case.expected is not None
        right = buggy and caught and case.expected in (check.pattern or "")
        if buggy:
            ours += caught
            theirs += by_gradcheck
            named += right
            if by_gradcheck and not caught:
                missed_by_us.append(case.name)
        else:
            alarms += caught
        pattern = (check.pattern or "")[:_LONGEST_PATTERN]
        rows.append([case.name, case.kind, "bug" if buggy else "correct",
                     _mark(caught, buggy), _mark(by_gradcheck, buggy),
                     ("yes" if right else "NO") if buggy else "", f"{seconds:.1f}", pattern])
    print(tabulate(rows, headers=["case", "kind", "", "diffcompare", "gradcheck", "pattern right",
                                  "seconds", "diffcompare's pattern"]))
    correct = len(CASES) - len(bugs)
    targets = [
        (f"diffcompare catches every bug gradcheck catches, and more ({ours} vs {theirs} of "
         f"{len(bugs)})", not missed_by_us and ours > theirs),
        (f"no false alarm on the {correct} correct cases ({alarms})", alarms == 0),
        (f"the pattern named right on every buggy case ({named} of {len(bugs)})",
         named == len(bugs)),
    ]
    print()
    for text, met in targets:
        print(f"{'met' if met else 'NOT MET'}: {text}")
    every = all(met for _, met in targets)
    print("every target met" if every else "some targets NOT MET")
    return 0 if every else 1


def _mark(caught: bool, buggy: bool) -> str:
    if buggy:
        return "caught" if caught else "missed"
    return "FALSE ALARM" if caught else "quiet"


if __name__ == "__main__":
    sys.exit(main())
