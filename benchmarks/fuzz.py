"""A long fuzz run of the command line: random bytes, random token strings and mutated
valid expressions, with random points and options, each run in-process through
``cli.main`` under a per-input time bound.

    python benchmarks/fuzz.py                       # 100,000 inputs
    python benchmarks/fuzz.py --inputs 5000 --seed 7

Command lines (60%): random expression trees that parse, with points, random bytes and
characters, random token strings, and mutated valid expressions. The newer surfaces
(``fuzz_surfaces``, 40%): every function of the primitive table and ``where``, ``grade``'s
answers files, ``check`` on notebooks and jupytext files, and ``check_gradients``'s
inputs (a result, or an InputError of one line). Every input must end in a result (exit status 0, 1 or 3, output on stdout, nothing on
stderr) or in exit status 2 with exactly one line on stderr. Anything else is a crash:
an internal error (exit status 70), a traceback, an exception escaping ``main``, a
second stderr line, or an input taking longer than the bound. Prints inputs tried,
crashes (which must be 0), the outcomes, and the slowest input with its time.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import multiprocessing
import os
import random
import signal
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from diffcompare.cli import main  # noqa: E402
from diffcompare.language.corpus import CORPUS  # noqa: E402
from diffcompare.language.errors import InputError  # noqa: E402

import fuzz_surfaces  # noqa: E402

# The share of each newer surface among the inputs; the rest are command lines.
SURFACES = {"functions": 0.15, "grade": 0.07, "notebook": 0.04, "gradients": 0.14}

TOKENS = [
    "x", "y", "z", "a", "b", "e", "pi", "E", "I", "N", "S", "oo", "beta", "_x", "__class__",
    "sin", "cos", "tan", "exp", "log", "sqrt", "tanh", "sigmoid", "relu", "abs",
    "0", "1", "2", "3", "0.5", "0.1", "1e308", "1e-320", "1e-400", "1e999999999", "10",
    "10**10**10", "2**2**2**2**2**2", "9" * 500, "0x" + "f" * 300, "1_000", "1j",
    "+", "-", "*", "/", "**", "//", "%", "@", "<", "==", "~", "&", "not", "and",
    "(", ")", "[", "]", "{", "}", ",", ";", ":", "=", "+=", "-=", "*=", "/=", "**=", ":=",
    "\n", " ", "  ", "\t", ".", "'", '"', "#", "\\", "lambda", "if", "else", "for", "import",
    "__import__", "os", "system", "eval", "True", "None", "...", "\x00", "\r", "λ", "ｘ",
    "é", "\u2028", "\ufeff",
]

SEEDS = [case.expression for case in CORPUS] + [
    "x**2*sin(y) + tanh(x*y)",
    "c = a + b; d = a*b + b**3; c += c + 1; e = c - d; f = e**2; f",
    "log(x) + sqrt(y) + 1/(x - y)",
    "exp(exp(exp(exp(exp(x)))))",
    "x**y",
    " + ".join(f"x{i}" for i in range(50)),
    "sigmoid(sigmoid(sigmoid(x)))",
]

AT_VALUES = ["1", "-1", "0", "0.5", "-0.75", "2", "1e308", "1e-320", "1e-999", "nan", "inf",
             "-inf", "abc", "", "1e999", "0x10", "1_0", "1__0", "3" * 50, "0." + "1" * 2000]
AT_NAMES = ["x", "y", "z", "a", "b", "e", "pi", "sin", "_x", "x0", "E", "ｘ", ""]
OPTIONS = [["--json"], ["--simplify"], ["--format", "github"], ["--format", "bogus"],
           ["--limit", "depth=20"], ["--limit", "nodes=50"], ["--limit", "bogus=1"],
           ["--timeout", "0.05"], ["--timeout", "-1"], ["--bogus"], ["--at"]]


FUNCTIONS = ["sin", "cos", "tan", "exp", "log", "sqrt", "tanh", "sigmoid", "relu", "abs"]
VARIABLES = ["x", "y", "z", "E", "I", "beta"]
CONSTANTS = ["0", "1", "2", "3", "0.5", "0.1", "-1", "pi", "e", "1e300", "1e-300", "7.25",
             "100", "1000", "0.001"]
VALUES = ["0", "1", "-1", "0.5", "-0.75", "2", "3.5", "-2.25", "10", "100", "1e-8", "700",
          "-700", "1e300", "0.1"]


def expression_tree(rng: random.Random, depth: int) -> str:
    """A random expression that parses: the inputs that reach every method."""
    if depth == 0 or rng.random() < 0.25:
        return rng.choice(VARIABLES[:3] * 3 + VARIABLES + CONSTANTS)
    kind = rng.random()
    if kind < 0.45:
        operator = rng.choice(["+", "-", "*", "/", "**", "*", "+"])
        left = expression_tree(rng, depth - 1)
        right = expression_tree(rng, depth - 1) if operator != "**" else \
            rng.choice(["2", "3", "0.5", "-1", "x", "y", "(x + 1)", "1.5", "10", "e"])
        return f"({left} {operator} {right})"
    if kind < 0.55:
        return f"-{expression_tree(rng, depth - 1)}"
    return f"{rng.choice(FUNCTIONS)}({expression_tree(rng, depth - 1)})"


def valid_command(rng: random.Random) -> list[str]:
    expression = expression_tree(rng, rng.randrange(1, 7))
    args = [expression]
    if rng.random() < 0.8:
        names = [name for name in VARIABLES if name in expression]
        args += ["--at", ",".join(f"{name}={rng.choice(VALUES)}" for name in names)]
    if rng.random() < 0.1:
        args += rng.choice(OPTIONS[:3])
    return args


class Hang(BaseException):
    """An input took longer than the bound (BaseException: main must not catch it)."""


def generate(rng: random.Random) -> fuzz_surfaces.Case:
    """One random input: a newer surface's case, or a command line."""
    pick = rng.random()
    for surface, share in SURFACES.items():
        if pick < share:
            return fuzz_surfaces.GENERATORS[surface](rng)
        pick -= share
    return fuzz_surfaces.Case("cli", command_line(rng))


def command_line(rng: random.Random) -> list[str]:
    """One random command line."""
    kind = rng.random()
    if kind < 0.4:
        return valid_command(rng)
    kind = (kind - 0.4) / 0.6
    if kind < 0.15:
        expression = bytes(rng.randrange(256) for _ in range(rng.randrange(80))).decode(
            "utf-8", "surrogateescape")
    elif kind < 0.25:
        expression = "".join(chr(rng.choice([rng.randrange(32, 127), rng.randrange(0x110000)]))
                             for _ in range(rng.randrange(40))).encode(
            "utf-8", "surrogatepass").decode("utf-8", "replace")
    elif kind < 0.55:
        expression = "".join(rng.choice(TOKENS) for _ in range(rng.randrange(1, 25)))
    else:
        expression = mutate(rng.choice(SEEDS), rng)
    args = [expression]
    if rng.random() < 0.5:
        pairs = [f"{rng.choice(AT_NAMES)}={rng.choice(AT_VALUES)}"
                 for _ in range(rng.randrange(4))]
        args += ["--at", rng.choice([",", ";"]).join(pairs)]
    if rng.random() < 0.2:
        args += rng.choice(OPTIONS)
    return args


def mutate(text: str, rng: random.Random) -> str:
    return fuzz_surfaces.mutate(text, rng, TOKENS, towers=["-", "sin(", "(", "exp("])


def check(case: fuzz_surfaces.Case, budget: float,
          bound: float) -> tuple[str | None, float, str]:
    """Run one input; returns (crash description or None, seconds, outcome)."""
    if case.call is not None:
        return check_call(case.call, bound)
    with tempfile.TemporaryDirectory(prefix="fuzz-") as folder:
        for name, text in case.files.items():
            Path(folder, name).write_text(text, encoding="utf-8", errors="surrogateescape")
        args = [arg.replace("{dir}", folder) for arg in case.args]
        return check_command(args, budget, bound, case.surface)


def check_call(call: tuple, bound: float) -> tuple[str | None, float, str]:
    """``check_gradients(function, *inputs, **options)``: a result or a one-line
    InputError."""
    from diffcompare.gradients import check_gradients

    function, inputs, options = call
    start = time.monotonic()
    signal.setitimer(signal.ITIMER_REAL, bound)
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            check_gradients(function, *inputs, **options)
    except Hang:
        return f"took longer than {bound} s", time.monotonic() - start, "hang"
    except InputError as error:
        if "\n" in error.one_line():
            return "an InputError of several lines", time.monotonic() - start, "input error"
        return None, time.monotonic() - start, "input error"
    except BaseException as error:  # noqa: BLE001 - anything else escaping is a crash
        return f"{type(error).__name__} escaped check_gradients: {error}", \
            time.monotonic() - start, "escaped"
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    return None, time.monotonic() - start, "result"


def check_command(args: list[str], budget: float, bound: float,
                  surface: str) -> tuple[str | None, float, str]:
    """Run one command line through ``cli.main``."""
    out, err = io.StringIO(), io.StringIO()
    start = time.monotonic()
    signal.setitimer(signal.ITIMER_REAL, bound)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            status = main([*args, "--timeout", str(budget)] if "--timeout" not in args
                          else args)
    except Hang:
        return f"took longer than {bound} s", time.monotonic() - start, "hang"
    except BaseException as error:  # noqa: BLE001 - anything escaping main is a crash
        return f"{type(error).__name__} escaped main: {error}", time.monotonic() - start, \
            "escaped"
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    seconds = time.monotonic() - start
    stdout, stderr = out.getvalue(), err.getvalue()
    if surface == "grade" and status == 0:  # a line per unreadable row, and a result
        stderr = "".join(line for line in stderr.splitlines(True)
                         if not line.startswith("diffcompare: row "))
    if surface == "notebook" and status in (0, 1):  # what the engine printed on import
        stderr = ""
    if "Traceback" in stdout + stderr:
        return "a traceback", seconds, f"exit {status}"
    if status not in (0, 1, 2, 3):
        return f"exit status {status}: {stderr.strip()}", seconds, f"exit {status}"
    if status == 2 and (stdout or len(stderr.splitlines()) != 1 or not stderr.endswith("\n")):
        return f"exit status 2 with {len(stderr.splitlines())} stderr lines", seconds, "exit 2"
    if status != 2 and (stderr or not stdout.strip()):
        return f"exit status {status} with stderr {stderr!r}", seconds, f"exit {status}"
    return None, seconds, f"exit {status}"


def _on_alarm(signum, frame):
    raise Hang()


def run_chunk(job: tuple[int, int, float, float]) -> dict:
    seed, count, budget, bound = job
    signal.signal(signal.SIGALRM, _on_alarm)
    rng = random.Random(seed)
    outcomes: Counter = Counter()
    seconds_by_surface: Counter = Counter()
    crashes: list = []
    slowest = (0.0, None)
    for _ in range(count):
        case = generate(rng)
        crash, seconds, outcome = check(case, budget, bound)
        outcomes[f"{case.surface} {outcome}"] += 1
        seconds_by_surface[case.surface] += seconds
        shown = f"{case.surface}: {_shown(case.args or case.call)}"  # plain text: it is pickled
        if crash:
            crashes.append((shown, crash))
        if seconds > slowest[0]:
            slowest = (seconds, shown)
    return {"count": count, "outcomes": outcomes, "crashes": crashes, "slowest": slowest,
            "seconds": seconds_by_surface}


def main_fuzz() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--inputs", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--timeout", type=float, default=0.5,
                        help="the symbolic budget per input (default 0.5 s)")
    parser.add_argument("--bound", type=float, default=10.0,
                        help="seconds an input may take, everything included (default 10)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--chunk", type=int, default=500)
    parser.add_argument("--seconds", type=float, default=0.0,
                        help="stop after this many seconds and report the inputs done "
                             "(default 0: run every input)")
    options = parser.parse_args()

    jobs = []
    remaining, index = options.inputs, 0
    while remaining > 0:
        count = min(options.chunk, remaining)
        jobs.append((options.seed * 1_000_003 + index, count, options.timeout, options.bound))
        remaining -= count
        index += 1

    start = time.monotonic()
    total = 0
    outcomes: Counter = Counter()
    seconds_by_surface: Counter = Counter()
    crashes: list = []
    slowest = (0.0, None)
    context = multiprocessing.get_context("fork")
    with context.Pool(options.workers) as pool:
        for result in pool.imap_unordered(run_chunk, jobs):
            total += result["count"]
            outcomes.update(result["outcomes"])
            seconds_by_surface.update(result["seconds"])
            crashes += result["crashes"]
            for args, crash in result["crashes"]:  # at once: a long run may be cut short
                print(f"\nCRASH: {crash}: {args}", file=sys.stderr, flush=True)
            slowest = max(slowest, result["slowest"], key=lambda pair: pair[0])
            elapsed = time.monotonic() - start
            print(f"\r{total}/{options.inputs} inputs, {len(crashes)} crashes, "
                  f"{elapsed:.0f} s", end="", file=sys.stderr, flush=True)
            if options.seconds and elapsed > options.seconds:
                pool.terminate()  # the chunks still running are not counted
                break
    print(file=sys.stderr)
    elapsed = time.monotonic() - start

    print(f"inputs tried:   {total}")
    hangs = sum(1 for _, crash in crashes if crash.startswith("took longer"))
    print(f"crashes:        {len(crashes) - hangs}")
    print(f"hangs:          {hangs} (inputs over the {options.bound:g} s bound)")
    print("outcomes:       " + ", ".join(f"{name}: {count}"
                                         for name, count in sorted(outcomes.items())))
    seconds, args = slowest
    print(f"slowest input:  {seconds:.2f} s  {args}")
    print("time by surface: " + ", ".join(
        f"{name} {seconds:.0f} s for {sum(n for o, n in outcomes.items() if o.split()[0] == name)}"
        for name, seconds in sorted(seconds_by_surface.items())))
    print(f"wall time:      {elapsed:.0f} s ({total / elapsed:.0f} inputs/s, "
          f"{options.workers} workers, symbolic budget {options.timeout:g} s, "
          f"bound {options.bound:g} s, seed {options.seed})")
    for args, crash in crashes[:20]:
        print(f"CRASH: {crash}: {args}")
    return 1 if crashes else 0


def _shown(args) -> str:
    text = repr(args)
    return text if len(text) <= 200 else text[:120] + " … " + text[-60:]


if __name__ == "__main__":
    sys.exit(main_fuzz())
