"""``diffcompare check ENGINE``: run the battery against a learner's Value class.

Exit status: 0 every check passes (unsupported operations are not failures), 1 a check
fails, 2 bad input (no such file, module, attribute or class).
"""

from __future__ import annotations

import argparse
import math
import sys

from tabulate import tabulate

from diffcompare.check import user_engine
from diffcompare.check.battery import EngineReport, check_engine
from diffcompare.check.second_order import SecondOrderReport, check_second_order
from diffcompare.compare import DEFAULT_TOLERANCE
from diffcompare.methods import registry
from diffcompare.methods.results import quantity_label
from diffcompare.options import json_text, number_option

EXIT_PASS, EXIT_FAIL = 0, 1

# Per cause, the failures printed in full; the rest are counted.
SHOWN_PER_CAUSE = 3
_LONGEST_DETAIL = 64
_LONGEST_POINT = 16

DESCRIPTION = f"""\
Check your own micrograd-style Value class: build small graphs with it (each operation
alone, numbers as operands, reused nodes, operand order, repeated backward(), a deep
graph, edge cases), call backward(), and compare every number with the exact value
(sympy) and a finite difference. Failures come with a diagnosis of the likely bug.

ENGINE is {user_engine.SPEC_HELP} (the class name defaults to Value).
Importing it runs the file's code, just as `python engine.py` would (but not its
`if __name__ == "__main__":` block): check only code you trust.
"""

EPILOG = """\
examples:
  diffcompare check engine.py
  diffcompare check path/to/engine.py:Value
  diffcompare check micrograd.engine:Value --json

exit status: 0 every check passes, 1 a check fails, 2 bad input
"""


def configure(parser: argparse.ArgumentParser) -> None:
    parser.description = DESCRIPTION
    parser.epilog = EPILOG
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("engine", metavar="ENGINE",
                        help=f"your Value class: {user_engine.SPEC_HELP}")
    parser.add_argument("--timeout", type=_seconds, default=user_engine.DEFAULT_TIMEOUT,
                        metavar="SECONDS",
                        help="time allowed for each check (default "
                             f"{user_engine.DEFAULT_TIMEOUT:g}; 0 for no limit)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


_seconds = number_option("a number of seconds", "5, 0.5, or 0 for no limit", zero_allowed=True)


def run(args: argparse.Namespace) -> int:
    cls = user_engine.load(args.engine)
    progress = _progress if sys.stderr.isatty() else None
    report = check_engine(cls, timeout=args.timeout or None, progress=progress)
    second = check_second_order(cls, timeout=args.timeout or None)
    if progress is not None:
        sys.stderr.write("\r\033[K")
    text = json_text({**document(report), "second_order": second_order_document(second)}) \
        if args.json else render(report, second)
    sys.stdout.write(text + "\n")
    return EXIT_PASS if report.ok and second.ok else EXIT_FAIL


def _progress(done: int, total: int) -> None:
    sys.stderr.write(f"\rchecking: {done}/{total}")
    sys.stderr.flush()


# ---- the terminal report ----


def render(report: EngineReport, second: SecondOrderReport | None = None) -> str:
    lines = [f"checking {report.engine}: every number against the exact one (sympy), "
             f"within {DEFAULT_TOLERANCE:g}", "", table(report), ""]
    failures = report.failures
    if failures:
        lines.append("diagnoses:")
        for cause in report.causes:
            with_cause = sorted((r for r in failures if r.cause == cause), key=_secondary)
            for result in with_cause[:SHOWN_PER_CAUSE]:
                lines.append(f"  - {result.diagnosis}")
            if len(with_cause) > SHOWN_PER_CAUSE:
                lines.append(f"  - ... and {len(with_cause) - SHOWN_PER_CAUSE} more "
                             "with the same cause")
        lines.append("")
        lines.append("likely cause" + ("s:" if len(report.causes) > 1 else ":"))
        lines += [f"  {number}. {cause}" for number, cause in enumerate(report.causes, 1)]
        lines.append("")
    if report.unsupported:
        lines.append("not supported by this class (not counted as failures): "
                     + ", ".join(report.unsupported))
    if second is not None:
        lines += second_order_lines(second)
    lines.append(summary(report, second))
    return "\n".join(lines)


def second_order_lines(second: SecondOrderReport) -> list[str]:
    """Second order in words: unsupported, or each Hessian right or wrong."""
    if not second.supported:
        return [f"second order: unsupported ({second.reason})"]
    lines = ["second order, reverse-over-reverse by backward(create_graph=True), each "
             "Hessian against sympy's:"]
    for result in second.results:
        if result.failure:
            lines.append(f"  - {result.name}: FAIL, the engine raised {result.failure}")
        elif result.wrong:
            names = result.hessian.rows
            wrong = "; ".join(f"d2f/d{names[i]}d{names[j]} = {got!r}, exact "
                              f"{float(exact)!r}" for (i, j), (got, exact) in result.wrong.items())
            lines.append(f"  - {result.name}: FAIL, {wrong}")
        else:
            lines.append(f"  - {result.name}: pass")
    return lines


def second_order_document(second: SecondOrderReport) -> dict:
    return {"supported": second.supported, "reason": second.reason or None, "ok": second.ok,
            "checks": [{"name": r.name, "expression": r.expression, "ok": r.ok,
                        "failure": r.failure or None,
                        "hessian": None if r.hessian is None else [list(row) for row in
                                                                     r.hessian.entries]}
                       for r in second.results]}


def _secondary(result) -> bool:
    """Whether a diagnosis only refers to another check: those are shown last."""
    return any(words in result.diagnosis for words in _REFERRING)


_REFERRING = ("explained by", "already wrong", "(as in ")


def table(report: EngineReport) -> str:
    rows = []
    previous_group = None
    for result in report.results:
        group = result.group if result.group != previous_group else ""
        previous_group = result.group
        status = {"pass": "pass", "fail": "FAIL", "unsupported": "unsupported"}[result.status]
        rows.append([group, result.name, _clip(result.check.at, _LONGEST_POINT), status,
                     _detail(result)])
    return tabulate(rows, headers=["group", "check", "at", "result", "detail"],
                    tablefmt="simple", disable_numparse=True)


def _detail(result) -> str:
    if result.status == "unsupported":
        failure = result.failure
        if failure.operation.replace(" ", "") != result.name.replace(" ", ""):
            return f"needs {failure.operation}"
        return _clip(failure.message.split(" is not supported: ", 1)[-1])
    if result.failure is not None:
        failure = result.failure
        if failure.kind == "exception":
            where = f" in {failure.where.split(' in ')[-1]}" if failure.where else ""
            return _clip(f"{failure.operation}: {failure.exception}{where}")
        return _clip(failure.message)
    wrong = [o for o in result.observations if o.within is False]
    if wrong:
        o = wrong[0]
        label = quantity_label(o.quantity)
        others = ", ".join(f"{registry.label(name)} {_number(number)}"
                           for name, number in o.estimates.items())
        return _clip(f"{label} = {_number(o.got)}; exact {_number(o.exact)}, {others}")
    worst = _worst_error(result)
    return "exact" if not worst else f"error {worst:.1e}"


def _worst_error(result) -> float:
    """The largest error relative to the verdict's scale, max(|exact|, |f|)."""
    value = result.observation("value")
    f_scale = abs(value.exact) if value is not None and value.exact is not None else 0.0
    worst = 0.0
    for o in result.observations:
        if o.got is not None and o.exact is not None and math.isfinite(o.got):
            scale = max(abs(o.exact), f_scale)
            if scale > 0:
                worst = max(worst, abs(o.got - o.exact) / scale)
    return worst


def _number(number: float | None) -> str:
    return "none" if number is None else f"{number:.6g}"


def _clip(text: str, longest: int = _LONGEST_DETAIL) -> str:
    return text if len(text) <= longest else text[:longest - 1] + "…"


def summary(report: EngineReport, second: SecondOrderReport | None = None) -> str:
    counts = report.counts
    verdict = "PASS" if report.ok and (second is None or second.ok) else "FAIL"
    text = (f"{verdict}: {counts['pass']} passed, {counts['fail']} failed, "
            f"{counts['unsupported']} unsupported, of {len(report.results)} checks "
            f"({report.seconds:.2f} s)")
    if second is not None and second.supported:
        right = sum(result.ok for result in second.results)
        text += f"; second order: {right} of {len(second.results)} Hessians right"
    return text


# ---- JSON ----


def document(report: EngineReport) -> dict:
    """The report as JSON-ready data (non-finite numbers become null)."""
    return {
        "engine": report.engine,
        "ok": report.ok,
        "counts": report.counts,
        "causes": list(report.causes),
        "unsupported": dict(report.unsupported),
        "checks": [
            {
                "name": result.name, "group": result.group, "status": result.status,
                "expression": result.check.expression, "at": result.check.at,
                "diagnosis": result.diagnosis or None, "cause": result.cause or None,
                "failure": None if result.failure is None else str(result.failure),
                "numbers": {
                    o.quantity: {"got": _finite(o.got), "exact": _finite(o.exact),
                                 "finite_difference": _finite(o.finite_difference),
                                 "methods": {name: _finite(number)
                                             for name, number in o.estimates.items()},
                                 "within": o.within}
                    for o in result.observations
                },
            }
            for result in report.results
        ],
    }


def _finite(number: float | None) -> float | None:
    return number if number is not None and math.isfinite(number) else None
