"""``diffcompare check ENGINE``: run the battery against a learner's Value class.

Exit status: 0 every check passes (unsupported operations and limits are not failures,
limits are with --strict), 1 a check fails (for several engines: one engine fails or
cannot be loaded), 2 bad input (no such file, module, attribute or class).

Each engine runs in a process of its own (``isolation``); several engines (files, or a
folder) are checked as a class, ``--jobs`` at a time, with a summary table.
"""

from __future__ import annotations

import argparse
import ast
import math
import os
import re
import sys
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

from tabulate import tabulate

from diffcompare.check import user_engine
from diffcompare.check.battery import EngineReport, check_engine, warm_references
from diffcompare.check.second_order import SecondOrderReport
from diffcompare.compare import DEFAULT_TOLERANCE
from diffcompare.language import input_files
from diffcompare.language.errors import InputError
from diffcompare.methods import registry
from diffcompare.methods.results import quantity_label
from diffcompare.options import json_text, number_option

EXIT_PASS, EXIT_FAIL = 0, 1

# Per cause, the failures printed in full; the rest are counted.
SHOWN_PER_CAUSE = 3
_LONGEST_DETAIL = 64
_LONGEST_POINT = 16
_LONGEST_SPEC = 48
# Engines checked at once: each is a process of its own.
MAX_JOBS = 64

DESCRIPTION = f"""\
Check your own micrograd-style Value class: build small graphs with it (each operation
alone, numbers as operands, reused nodes, operand order, repeated backward(), a deep
graph, edge cases), call backward(), and compare every number with the exact value
(sympy) and a finite difference. Failures come with a diagnosis of the likely bug.
A class whose backward() takes create_graph (as PyTorch's does) is checked on Hessians
too, reverse-over-reverse; for any other, second order is unsupported, not a failure.

ENGINE is {user_engine.SPEC_HELP} (the class name defaults to Value), or a folder:
every .py file in it (and in its subfolders) whose source defines class Value at its
top level; files that only import Value are not engines. Several engines are checked as
a class, each in its own process. Importing an engine runs the file's code, just as
`python engine.py` would (but not its `if __name__ == "__main__":` block), in a child
process with a time, memory and output limit: that keeps a faulty engine from changing
the verdicts, but it is not a sandbox: check only code you trust.
"""

EPILOG = """\
examples:
  diffcompare check engine.py
  diffcompare check path/to/engine.py:Value
  diffcompare check micrograd.engine:Value --json
  diffcompare check submissions/ --jobs 2

exit status: 0 every check passes, 1 a check fails, 2 bad input
"""


def configure(parser: argparse.ArgumentParser) -> None:
    parser.description = DESCRIPTION
    parser.epilog = EPILOG
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("engines", metavar="ENGINE", nargs="+",
                        help=f"your Value class: {user_engine.SPEC_HELP}, or a folder of "
                             "engine files (a class at once)")
    parser.add_argument("--timeout", type=_seconds, default=user_engine.DEFAULT_TIMEOUT,
                        metavar="SECONDS",
                        help="time allowed for each check (default "
                             f"{user_engine.DEFAULT_TIMEOUT:g}; 0 for no limit)")
    parser.add_argument("--import-timeout", type=_seconds,
                        default=user_engine.IMPORT_TIMEOUT, metavar="SECONDS",
                        help="time allowed for importing each engine's file (default "
                             f"{user_engine.IMPORT_TIMEOUT:g}; 0 for no limit)")
    parser.add_argument("--jobs", type=_jobs, default=1, metavar="N",
                        help="engines checked at once, each in its own process (default 1)")
    parser.add_argument("--strict", action="store_true",
                        help="limits (a deep graph, an overflow at an edge) fail the check too")
    parser.add_argument("--json", action="store_true",
                        help="print JSON: one object, or for several engines "
                             "{\"engines\": [one object per engine]}")


_seconds = number_option("a number of seconds", "5, 0.5, or 0 for no limit", zero_allowed=True)


def _jobs(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= MAX_JOBS:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of jobs; give 1 to "
                                         f"{MAX_JOBS}, e.g. --jobs 4")
    return int(text)


def run(args: argparse.Namespace) -> int:
    specs = engine_specs(args.engines)
    timeout, import_timeout = args.timeout or None, args.import_timeout or None
    if len(specs) == 1 and not os.path.isdir(args.engines[0]):
        progress = _progress if sys.stderr.isatty() else None
        report = check_engine(specs[0], timeout=timeout, progress=progress,
                              strict=args.strict, second_order=True,
                              import_timeout=import_timeout)
        if progress is not None:
            sys.stderr.write("\r\033[K")
        sys.stdout.write((json_text(document(report)) if args.json else render(report)) + "\n")
        return EXIT_PASS if report.ok else EXIT_FAIL
    outcomes = check_class(specs, timeout, args.jobs, args.strict, import_timeout)
    if args.json:
        text = json_text({"engines": [_class_document(spec, outcome)
                                      for spec, outcome in zip(specs, outcomes)]})
    else:
        text = render_class(specs, outcomes)
    sys.stdout.write(text + "\n")
    return EXIT_PASS if all(isinstance(o, EngineReport) and o.ok for o in outcomes) \
        else EXIT_FAIL


def _progress(done: int, total: int) -> None:
    sys.stderr.write(f"\rchecking: {done}/{total}")
    sys.stderr.flush()


# ---- a class at once ----


def engine_specs(arguments: list[str]) -> list[str]:
    """The engines named: files and specs as given, and for a folder each ``.py`` file
    in it (and in its subfolders) whose source defines ``class Value`` at its top level
    (``defines_value``), in sorted order; private ``_*.py`` modules and files in hidden
    folders (``.venv``, ``.ipynb_checkpoints``) or installed packages are left out."""
    specs = []
    for argument in arguments:
        folder = Path(argument)
        try:
            is_folder = user_engine.path_kind(folder) == "folder"
        except InputError:
            is_folder = False  # checked as an engine, which says what is wrong
        if not is_folder:
            specs.append(argument)
            continue
        found = sorted(str(path) for path in folder.rglob("*.py")
                       if not path.name.startswith("_")  # a private module, e.g. a base
                       and not _in_tooling(path.relative_to(folder))
                       and defines_value(path))
        if not found:
            raise InputError(f"{user_engine.shown(argument)} holds no .py file that "
                             f"defines class {user_engine.DEFAULT_CLASS}")
        specs += found
    return specs


# Folders of tools, not of students' code: a virtual environment holds micrograd itself.
_TOOLING = {"site-packages", "node_modules", "__pycache__"}


def _in_tooling(relative: Path) -> bool:
    """Whether a file lies in a hidden folder (.venv, .git, .ipynb_checkpoints) or one of
    installed packages, below the folder given."""
    return any(part.startswith(".") or part in _TOOLING for part in relative.parts[:-1])


def defines_value(path: Path, name: str = user_engine.DEFAULT_CLASS) -> bool:
    """Whether the file's source defines ``class NAME`` at its top level, read with
    ``ast`` (nothing of it runs): a file that only imports the class (a network built on
    it, the student's tests) is not an engine. A file Python cannot parse is one when a
    line starts with ``class NAME``, so that its row says what is wrong with it."""
    try:  # the one reader: a fifo or a link to /dev/zero named *.py is no engine
        text = input_files.read_bytes(path, "an engine").decode("utf-8", errors="replace")
    except InputError:
        return False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "invalid escape sequence": not our output
            tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return re.search(rf"^class {re.escape(name)}\b", text, re.MULTILINE) is not None
    return any(isinstance(node, ast.ClassDef) and node.name == name for node in tree.body)


def check_class(specs: list[str], timeout: float | None, jobs: int = 1,
                strict: bool = False,
                import_timeout: float | None = user_engine.IMPORT_TIMEOUT) -> list:
    """Each engine's ``EngineReport`` (its ``engine`` the spec as given, with the class:
    unique in the class), or the ``InputError`` that kept it from being checked; each in
    its own process, ``jobs`` at a time. One engine's fault never touches another's
    result."""
    warm_references()  # sympy once, here, before the threads start
    bar = _bar(len(specs))

    def one(spec: str):
        try:
            report = check_engine(spec, timeout=timeout, strict=strict, second_order=True,
                                  import_timeout=import_timeout)
            return replace(report, engine=user_engine.given_name(spec))
        except InputError as error:
            return error
        finally:
            bar.update(1)

    try:
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            return list(pool.map(one, specs))
    finally:
        bar.close()


class _NoBar:
    def update(self, count: int) -> None:
        pass

    def close(self) -> None:
        pass


def _bar(total: int):
    """tqdm's progress bar on a terminal, when the report extra is installed."""
    if total < 2 or not sys.stderr.isatty():
        return _NoBar()
    try:
        from tqdm import tqdm
    except ImportError:
        return _NoBar()
    return tqdm(total=total, unit="engine", desc="checking", file=sys.stderr)


def render_class(specs: list[str], outcomes: list) -> str:
    """The summary table of a class run; a "not run" column when an engine has checks
    that were not run."""
    reports = [o for o in outcomes if isinstance(o, EngineReport)]
    not_run = any(report.counts["not_run"] for report in reports)
    statuses = ["pass", "fail", "unsupported", "limit"] + (["not_run"] if not_run else [])
    rows = []
    for spec, outcome in zip(specs, outcomes):
        engine = _clip(user_engine.shown(spec), _LONGEST_SPEC)
        if isinstance(outcome, InputError):
            rows.append([engine, "ERROR", *[""] * len(statuses), "",
                         _clip(outcome.one_line())])
            continue
        counts = outcome.counts
        first = outcome.causes[0] if outcome.causes else _second_order_cause(outcome) or (
            f"limit: {outcome.limits[0]}" if outcome.limits else "")
        rows.append([engine, "PASS" if outcome.ok else "FAIL",
                     *[counts[status] for status in statuses],
                     f"{outcome.seconds:.1f}", _clip(first)])
    passed = sum(report.ok for report in reports)
    headers = ["engine", "verdict", "pass", "fail", "unsupported", "limits"] + (
        ["not run"] if not_run else []) + ["seconds", "first cause"]
    table_text = tabulate(rows, headers=headers, tablefmt="simple", disable_numparse=True)
    return f"{table_text}\n\n{passed} of {len(outcomes)} engines pass"


def _second_order_cause(report: EngineReport) -> str:
    """The first wrong Hessian, e.g. "second order: tanh neuron wrong", or ""."""
    second = report.second_order
    wrong = [r.name for r in second.results if not r.ok] if second is not None else []
    return f"second order: {wrong[0]} wrong" if wrong else ""


def _class_document(spec: str, outcome) -> dict:
    """One engine of a class run: every entry has the same keys; one that could not be
    checked has its ``error``, null counts and no checks."""
    if isinstance(outcome, InputError):
        return {"spec": spec, "engine": user_engine.given_name(spec), "ok": False,
                "error": outcome.one_line(), "counts": None, "causes": [], "limits": [],
                "unsupported": {}, "checks": [], "second_order": None}
    return {"spec": spec, **document(outcome), "error": None}


# ---- the terminal report ----


def render(report: EngineReport) -> str:
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
    if report.causes:  # a run lost while trying the class is a cause without a failure
        lines.append("likely cause" + ("s:" if len(report.causes) > 1 else ":"))
        lines += [f"  {number}. {cause}" for number, cause in enumerate(report.causes, 1)]
        lines.append("")
    not_run = [r for r in report.results if r.status == "not_run"]
    if not_run:
        lines += not_run_lines(report)
    limits = [r for r in report.results if r.status == "limit"]
    if limits:
        lines.append("limits (not wrong gradients; they fail the check only with --strict):")
        lines += [f"  - {r.diagnosis or r.failure}" for r in limits]
        lines.append("")
    if report.unsupported:
        lines += unsupported_lines(report)
    if report.second_order is not None:
        lines += second_order_lines(report.second_order)
    lines.append(summary(report))
    return "\n".join(lines)


def not_run_lines(report: EngineReport) -> list[str]:
    """The checks not run (the engine's process was lost too often, or they need an
    operation that loses it alone): a line for each reason, with its count."""
    not_run = [r for r in report.results if r.status == "not_run"]
    reasons: dict[str, int] = {}
    for result in not_run:
        why = str(result.failure).removeprefix("not run: ")
        reasons[why] = reasons.get(why, 0) + 1
    lines = [f"not run ({_count(len(not_run), 'check')}; the engine cannot pass until they "
             "run):"]
    lines += [f"  - {_count(count, 'check')}: {why}" for why, count in reasons.items()]
    return lines + [""]


def second_order_lines(second: SecondOrderReport) -> list[str]:
    """Second order in words: unsupported, or each Hessian right or wrong."""
    if not second.supported:
        return [f"second order: unsupported ({second.reason})"]
    lines = ["second order, reverse-over-reverse by backward(create_graph=True), each "
             "Hessian against sympy's:"]
    for result in second.results:
        if result.failure:
            lines.append(f"  - {result.name}: FAIL, {result.failure}")
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
    """One row a check, but the checks that need an operation the class lacks: those
    are one row at the end (a micrograd-style class lacks most of the table's functions,
    and a row each would bury the checks it runs); ``unsupported_lines`` says what."""
    rows = []
    previous_group = None
    for result in report.results:
        if result.status in ("unsupported", "not_run"):
            continue
        group = result.group if result.group != previous_group else ""
        previous_group = result.group
        status = {"pass": "pass", "fail": "FAIL", "limit": "limit"}[result.status]
        rows.append([group, result.name, _clip(result.check.at, _LONGEST_POINT), status,
                     _detail(result)])
    not_run = [r for r in report.results if r.status == "not_run"]
    if not_run:
        rows.append(["not run", _count(len(not_run), "check"), "", "not run",
                     "the engine's process was lost: see below"])
    unsupported = [r for r in report.results if r.status == "unsupported"]
    if unsupported:
        rows.append(["not supported", _count(len(unsupported), "check"), "",
                     "unsupported", "each needs an operation listed below"])
    return tabulate(rows, headers=["group", "check", "at", "result", "detail"],
                    tablefmt="simple", disable_numparse=True)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")


# A reason that only says which method is missing: those operations share one line.
_NO_METHOD = re.compile(r"^the class has no (\w+)\(\) method$")


def unsupported_lines(report: EngineReport) -> list[str]:
    """What the class does not support, with why, in a few lines: the operations that
    only lack a method of that name on one line, every other one on a line of its own."""
    checks = sum(r.status == "unsupported" for r in report.results)
    missing = [form for form, reason in report.unsupported.items()
               if _NO_METHOD.match(reason)]
    lines = [f"not supported by this class ({_count(checks, 'check')} need these; "
             "not counted as failures):"]
    if missing:
        methods = ", ".join(_NO_METHOD.match(report.unsupported[form]).group(1)
                            for form in missing)
        lines.append(f"  - no method: {methods}")
    lines += [f"  - {form}: {reason}" for form, reason in report.unsupported.items()
              if form not in missing]
    return lines


def _detail(result) -> str:
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


def summary(report: EngineReport) -> str:
    counts = report.counts
    verdict = "PASS" if report.ok else "FAIL"
    not_run = f"{counts['not_run']} not run, " if counts["not_run"] else ""
    text = (f"{verdict}: {counts['pass']} passed, {counts['fail']} failed, "
            f"{counts['unsupported']} unsupported, {counts['limit']} limits, {not_run}of "
            f"{len(report.results)} checks "
            f"({report.seconds:.2f} s)")
    second = report.second_order
    if second is not None and second.supported:
        right = sum(result.ok for result in second.results)
        text += f"; second order: {right} of {len(second.results)} Hessians right"
    return text


# ---- JSON ----


def document(report: EngineReport) -> dict:
    """The report as JSON-ready data (non-finite numbers become null); the same keys
    for every engine (``second_order`` null when it was not checked)."""
    second = {"second_order": None if report.second_order is None
              else second_order_document(report.second_order)}
    return {
        "engine": report.engine,
        "ok": report.ok,
        "counts": report.counts,
        "causes": list(report.causes),
        "limits": list(report.limits),
        "unsupported": dict(report.unsupported),
        "checks": [
            {
                "name": result.name, "group": result.group, "status": result.status,
                "expression": result.check.expression, "at": result.check.at,
                "diagnosis": result.diagnosis or None, "cause": result.cause or None,
                "failure": None if result.failure is None else str(result.failure),
                "note": result.note or None,
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
        **second,
    }


def _finite(number: float | None) -> float | None:
    return number if number is not None and math.isfinite(number) else None
