"""Run `diffcompare check` on every engine of tests/engines, and on our own Value.

    python benchmarks/check_engines.py

Prints one row per engine: the counts, the time of the battery, and the first likely
cause. The first row also pays for the exact references (sympy), which are cached for
the others.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tabulate import tabulate  # noqa: E402

from diffcompare import Value, check_engine  # noqa: E402

_LONGEST_CAUSE = 72


def main() -> None:
    argparse.ArgumentParser(description=__doc__,
                            formatter_class=argparse.RawDescriptionHelpFormatter).parse_args()
    engines = [("diffcompare.Value", Value)]
    for path in sorted((ROOT / "tests" / "engines").glob("*.py")):
        if path.name != "conftest.py":
            engines.append((path.name, f"{path}:Value"))
    rows = []
    for name, cls in engines:
        start = time.perf_counter()
        report = check_engine(cls)
        seconds = time.perf_counter() - start
        counts = report.counts
        cause = (report.causes or [f"limit: {c}" for c in report.limits] or ["-"])[0]
        if len(cause) > _LONGEST_CAUSE:
            cause = cause[:_LONGEST_CAUSE - 1] + "…"
        rows.append([name, counts["pass"], counts["fail"], counts["unsupported"],
                     counts["limit"], f"{seconds:.2f}", cause])
    print(tabulate(rows, headers=["engine", "pass", "fail", "unsupported", "limits", "seconds",
                                  "likely cause"], disable_numparse=True))


if __name__ == "__main__":
    main()
