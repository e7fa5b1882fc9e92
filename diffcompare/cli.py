"""The command line: a thin layer over the library.

    diffcompare EXPRESSION [--at x=1,y=2] [--order 2] [--fd SCHEME] [--step H] [--sweep]
                [--graph FILE.svg] [--engine FILE.py:Value]
                [--timeout SECONDS] [--simplify] [--limit NAME=N,...]
                [--rtol R] [--atol A]
                [--json | --format FMT]
    diffcompare COMMAND ...      (see SUBCOMMANDS)

Exit status: 0 the methods agree, 1 they disagree, 2 bad input (usage, parse or point
error, an input beyond a limit, or output that cannot be written: a full disk, standard
output closed), 3 the function or a derivative is not defined at the point (every method
says why), including a kink such as abs(x) at 0, or not representable in floats; 70 a
bug in diffcompare, 130 interrupted. Errors are one line on stderr, never a traceback;
a reader that leaves early (``| head``) ends the command quietly with status 0.
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import importlib
import os
import sys
from typing import Iterator, Sequence

from diffcompare.language.errors import InputError
from diffcompare.options import (
    EXIT_AGREE,
    EXIT_BAD_INPUT,
    EXIT_DISAGREE,
    EXIT_INTERNAL,
    EXIT_UNDEFINED,
    TABLE_FORMATS,
    json_text,
    number_option,
    read_text_argument,
)

# Subcommands: name -> module with ``configure(parser)`` and ``run(args) -> int``.
# Imported only when used, so the main job starts fast.
SUBCOMMANDS: dict[str, str] = {}
SUBCOMMANDS["check"] = "diffcompare.check.command"
SUBCOMMANDS["report"] = "diffcompare.report.command"  # HTML/Markdown comparison reports
SUBCOMMANDS["train"] = "diffcompare.train"
SUBCOMMANDS["grade"] = "diffcompare.grade.command"  # a verdict per student answer

EXAMPLES = """\
examples:
  diffcompare "3*x**2 - 4*x + 5" --at x=3
  diffcompare "x**2*sin(y) + tanh(x*y)" --at x=1,y=2
  diffcompare "c = a + b; d = a*b + b**3; c += c + 1; e = c - d; f = e**2; f" --at a=-4,b=2
  diffcompare "x*exp(-x)" --at x=0.1 --json
  diffcompare "exp(x)/sqrt(sin(x)**3 + cos(x)**3)" --at x=1.5 --fd complex_step
  diffcompare "sin(x)*exp(x)" --at x=1.3 --sweep
  diffcompare "abs(x - 1)" --at x=1
  diffcompare "x*exp(-x)" --at x=0.1 --rtol 1e-6 --atol 1e-12
  diffcompare "x*tanh(x) + x" --at x=0.5 --engine path/to/engine.py:Value
  diffcompare "[x*y, sin(x)*z]" --at x=1,y=2,z=3          # the Jacobian
  diffcompare "(1 - x)**2 + 100*(y - x**2)**2" --order 2 --at x=1,y=1   # the Hessian

exit status: 0 agree, 1 disagree, 2 bad input, 3 not defined at the point (or a kink)
"""

LIMITS_HELP = ("raise a limit, e.g. depth=500,nodes=100000; limits (defaults): "
               "length (100000 characters), nodes (20000), depth (200), digits (1000 per "
               "number), exponent (10000), exact_digits (100000), memory (2048 MiB for sympy), "
               "work (100000000 node evaluations, all methods)")


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line, like every other error."""

    def error(self, message: str):
        if "required: expression" in message:
            message += " (an expression starting with - goes first, e.g. diffcompare \"-x**2\"" \
                       " --at x=1)"
        raise InputError(f"{message} (see {self.prog} --help)")


def comparison_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="diffcompare",
        description="Differentiate an expression three ways (symbolic with sympy, our "
                    "reverse-mode autograd, finite differences) and compare them.",
        epilog=EXAMPLES + _subcommand_help(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("expression", nargs="?", help="an expression or a small program, e.g. "
                        "\"x**2*sin(y)\" or \"c = a*b; c + a\"; - reads it from standard "
                        "input, @FILE from a file")
    parser.add_argument("-V", "--version", action="store_true",
                        help="print the version and exit")
    parser.add_argument("--at", metavar="POINT", action="append",
                        help="the point, e.g. x=1,y=2 or --at x=1 --at y=2 (default: a "
                             "point chosen for you where everything is finite)")
    from diffcompare.methods.finite_difference import DEFAULT_SCHEME, SCHEMES

    parser.add_argument("--fd", metavar="SCHEME", default=DEFAULT_SCHEME,
                        choices=list(SCHEMES),
                        help="finite-difference scheme: " + ", ".join(SCHEMES)
                             + f" (default {DEFAULT_SCHEME}, with the step the error model "
                               "predicts is best)")
    parser.add_argument("--step", metavar="H", type=_step,
                        help="force the finite-difference step h, e.g. 1e-3 (default: the "
                             "scheme's optimal step, scaled by max(1, |x|))")
    parser.add_argument("--sweep", action="store_true",
                        help="also print each scheme's true error for h = 1e-1 ... 1e-16, "
                             "with the best step, the theoretical one and the observed order")
    parser.add_argument("--order", type=int, choices=(1, 2), default=1,
                        help="2: the Hessian, by sympy, forward-over-reverse, 3-point, 5-point "
                             "and Richardson second differences and the complex step (a list "
                             "of expressions, \"[x*y, sin(x)*z]\", gives the Jacobian)")
    parser.add_argument("--engine", metavar="ENGINE",
                        help="also run your own micrograd-style Value class, as a fourth "
                             "column: path/to/engine.py:Value or package.module:Value. "
                             "Importing it runs the file's code, as `python engine.py` would")
    output = parser.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="print one JSON object")
    output.add_argument("--format", default="simple", choices=TABLE_FORMATS, metavar="FMT",
                        help="table format: " + ", ".join(TABLE_FORMATS) + " (default simple)")
    parser.add_argument("--graph", metavar="FILE.svg",
                        help="also write the autograd graph as an SVG picture: each node "
                             "with its op, data and gradient")
    parser.add_argument("--timeout", type=_seconds, default=None, metavar="SECONDS",
                        help="time budget of the symbolic method (default 5; 0: none); when "
                             "it runs out the other methods still report")
    parser.add_argument("--simplify", action="store_true",
                        help="show the symbolic formulas simplified (slower)")
    parser.add_argument("--limit", action="append", default=[], metavar="NAME=N",
                        help=LIMITS_HELP)
    parser.add_argument("--claim", action="append", default=[], metavar="[VAR:]DERIVATIVE",
                        help="a claimed derivative, judged as one more column, e.g. --claim "
                             "\"6*x - 4\"; with several variables one per variable, e.g. "
                             "--claim \"x: 2*x*sin(y)\" --claim \"y: x**2*cos(y)\"")
    parser.add_argument("--print-completion", choices=COMPLETION_SHELLS, metavar="SHELL",
                        help="print a shell completion script (" + ", ".join(COMPLETION_SHELLS)
                             + "; needs the 'completion' extra), e.g. diffcompare "
                             "--print-completion bash > ~/.local/share/bash-completion/"
                             "completions/diffcompare")
    parser.add_argument("--rtol", type=_tolerance, metavar="R",
                        help="hold every method to |estimate - exact| <= atol + rtol·|exact| "
                             "instead of its own error bound, e.g. 1e-6")
    parser.add_argument("--atol", type=_tolerance, metavar="A",
                        help="the absolute part of that test (default 0 when --rtol is given)")
    return parser


COMPLETION_SHELLS = ("bash", "zsh", "tcsh")


_step = number_option("a positive step", "1e-3")
_tolerance = number_option("a tolerance (a number >= 0)", "1e-6", zero_allowed=True)
_seconds = number_option("a number of seconds", "5, 0.5, or 0 for no budget", zero_allowed=True)


def joined_point(texts: Sequence[str] | None) -> str | None:
    """Repeated --at options as one point: ["x=1", "y=2"] -> "x=1,y=2" (a variable
    given twice is then refused by ``parse_point``)."""
    return None if texts is None else ",".join(texts)


def _subcommand_help() -> str:
    if not SUBCOMMANDS:
        return ""
    return "\ncommands: " + ", ".join(SUBCOMMANDS) + " (diffcompare COMMAND --help)\n"


def run_comparison(argv: Sequence[str]) -> int:
    from diffcompare import present
    from diffcompare.compare import METHODS, compare
    from diffcompare.language.limits import Limits
    from diffcompare.language.parse import parse
    from diffcompare.methods import finite_difference
    from diffcompare.methods.symbolic import DEFAULT_TIMEOUT

    parser = comparison_parser()
    args = parser.parse_args(_expression_last(argv))
    if args.print_completion:
        sys.stdout.write(_completion(parser, args.print_completion))
        return EXIT_AGREE
    if args.version:
        return _print_version()
    if args.expression is None:
        parser.error("the following arguments are required: expression")
    args.expression = read_text_argument(args.expression)
    from diffcompare import matrix_command

    if matrix_command.wanted(args):
        return matrix_command.run(args, joined_point(args.at))
    if args.graph == "":
        raise InputError("--graph needs a file name, e.g. --graph graph.svg")
    limits = Limits.from_spec(args.limit)
    expression = parse(args.expression, limits)
    finite_difference.check_analytic(expression, finite_difference.SCHEMES[args.fd])
    methods = {**METHODS, finite_difference.METHOD: finite_difference.method(args.fd, args.step),
               **_engine_methods(args.engine), **_claim_methods(args.claim, expression, limits)}
    timeout = DEFAULT_TIMEOUT if args.timeout is None else args.timeout
    comparison = compare(expression, at=joined_point(args.at), methods=methods,
                         timeout=timeout, simplify=args.simplify, limits=limits,
                         rtol=args.rtol, atol=args.atol)
    kinked = {kink.variable for kink in comparison.kinks if kink.differs}
    sweeps = [finite_difference.sweep(expression, comparison.point, name,
                                      comparison.reference.exact[name])
              for name in expression.variables
              if args.sweep and name in comparison.reference.exact and name not in kinked]
    written = []
    if args.graph is not None:
        from diffcompare.pictures import write_expression_svg, write_graph_svg

        built = next((result.details for result in comparison.methods
                      if "graph" in result.details), None)
        if built is not None:  # the graph autograd built for the comparison, not a second one
            why_not = write_graph_svg(built["graph"], built["labels"], args.graph)
        else:
            why_not = write_expression_svg(comparison.expression, comparison.point, args.graph)
        if why_not:
            _fail(f"no graph written: {why_not}")
        else:
            written.append(f"graph written to {args.graph} (open it in a browser)")
    if args.json:
        text = json_text(present.document(comparison, sweeps))
    else:
        text = present.report(comparison, tablefmt=args.format, sweeps=sweeps, written=written)
    sys.stdout.write(text + "\n")
    if args.engine and any(error.within is False for error in comparison.errors[
            comparison.methods[-1].method].values()):
        sys.stderr.write(f"hint: `diffcompare check {args.engine}` looks for the bug\n")
    return {"agree": EXIT_AGREE, "disagree": EXIT_DISAGREE}.get(
        comparison.verdict.status, EXIT_UNDEFINED)


def _claim_methods(claims: Sequence[str], expression, limits) -> dict:
    """The claimed derivatives (--claim) as one more method, "claim"."""
    if not claims:
        return {}
    from diffcompare.methods.claim import METHOD, claimed_method, parse_claims

    return {METHOD: claimed_method(parse_claims(claims, expression, limits))}


def _completion(parser: argparse.ArgumentParser, shell: str) -> str:
    try:
        import shtab
    except ImportError:
        raise InputError("shell completion needs shtab; install the extra: pip install "
                         "'diffcompare[completion]'") from None
    return shtab.complete(parser, shell=shell)


def _print_version() -> int:
    from diffcompare import __version__

    sys.stdout.write(f"diffcompare {__version__}\n")
    return EXIT_AGREE


def _engine_methods(engine: str | None) -> dict:
    """The user's engine as a method, when --engine names one."""
    if engine is None:
        return {}
    from diffcompare.check.user_engine import load
    from diffcompare.check.user_graph import method

    found = load(engine)  # in a process of its own, as every run of it
    return {found.name: method(found)}


def _expression_last(argv: Sequence[str]) -> list[str]:
    """An expression may start with a minus ("-x**2"), which argparse would take for an
    option: such a first argument moves behind "--", after the options."""
    argv = list(argv)
    if argv and argv[0].startswith("-") and not argv[0].startswith("--") \
            and argv[0] not in ("-h", "-V", "-"):
        return [*argv[1:], "--", argv[0]]
    return argv


def run_subcommand(name: str, argv: Sequence[str]) -> int:
    module = importlib.import_module(SUBCOMMANDS[name])
    parser = _Parser(prog=f"diffcompare {name}")
    module.configure(parser)
    return module.run(parser.parse_args(argv))


def _refuse_mistyped_command(argv: Sequence[str]) -> None:
    """"trian" is a valid expression (one variable), but far likelier a typo of "train"."""
    word = argv[0] if argv else ""
    close = difflib.get_close_matches(word, SUBCOMMANDS, n=1, cutoff=0.75)
    if word.isidentifier() and close and "--at" not in argv:
        raise InputError(f"unknown command '{word}'; did you mean '{close[0]}'? (to "
                         f"differentiate a variable named {word}, give --at {word}=1)")


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    stdout, stderr = sys.stdout, sys.stderr
    with _diagnostics(stderr) as diagnostics:
        sys.stderr = diagnostics
        try:
            if stdout is None:  # started with it closed (``>&-``): no result could be shown
                _fail("standard output is closed; send it somewhere, e.g. > out.txt, or "
                      "> /dev/null to keep only the exit status")
                return EXIT_BAD_INPUT
            return _main(argv, stdout)
        finally:
            sys.stdout, sys.stderr = stdout, stderr


def _main(argv: list[str], stdout) -> int:
    # A terminal that cannot show a character (an ASCII locale and a "—") gets an escape,
    # not an error halfway through the output.
    if hasattr(stdout, "reconfigure"):
        stdout.reconfigure(errors="backslashreplace")
    sys.stdout = _Output(stdout)
    try:
        status = _run(argv)
        sys.stdout.flush()  # a full disk shows here, while we can still say so
        return status
    except _OutputFailed as error:
        _fail(f"cannot write the output: {error.reason}")
        _discard_output(stdout)
        return EXIT_BAD_INPUT
    except InputError as error:
        _fail(error.one_line())
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        _fail("interrupted")
        return 130
    except BrokenPipeError:  # the reader left (``| head``): nothing more to say
        _discard_output(stdout)
        return EXIT_AGREE
    except Exception as error:  # noqa: BLE001 - the promise is: never a traceback
        _fail(f"internal error ({type(error).__name__}: {error}); this is a bug in "
              "diffcompare, please report it with the command you ran")
        return EXIT_INTERNAL


def _run(argv: list[str]) -> int:
    if argv and argv[0] in SUBCOMMANDS:
        return run_subcommand(argv[0], argv[1:])
    if argv and argv[0] in ("--version", "-V"):
        return _print_version()
    _refuse_mistyped_command(argv)
    return run_comparison(argv)


class _OutputFailed(Exception):
    """Standard output could not be written (a full disk, /dev/full): not a bug of ours."""

    def __init__(self, error: OSError):
        super().__init__(error)
        self.reason = error.strerror or str(error)


class _Output:
    """``sys.stdout`` while a command runs, telling a failed write apart from a bug: an
    ``OSError`` from writing becomes ``_OutputFailed`` (a closed pipe stays itself)."""

    def __init__(self, stream):
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except BrokenPipeError:
            raise
        except OSError as error:
            raise _OutputFailed(error) from None

    def flush(self) -> None:
        try:
            self._stream.flush()
        except BrokenPipeError:
            raise
        except OSError as error:
            raise _OutputFailed(error) from None

    def __getattr__(self, name: str):
        return getattr(self._stream, name)


@contextlib.contextmanager
def _diagnostics(stderr) -> Iterator[_Diagnostics]:
    """``sys.stderr`` while a command runs: standard error as it is, or /dev/null when it
    was closed at start (``2>&-``; opening it takes descriptor 2, so no file opened later
    can, where a child process would write its errors into it)."""
    if stderr is not None:
        yield _Diagnostics(stderr)
        return
    with open(os.devnull, "w", encoding="utf-8") as nowhere:
        yield _Diagnostics(nowhere)


class _Diagnostics:
    """Standard error, where a message that cannot be written (a closed pipe, a full disk)
    is dropped: failing to say something must not change the exit status, which still
    says what happened."""

    def __init__(self, stream):
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except (OSError, ValueError):  # ValueError: the stream was closed
            return len(text)

    def flush(self) -> None:
        try:
            self._stream.flush()
        except (OSError, ValueError):
            pass

    def __getattr__(self, name: str):
        return getattr(self._stream, name)


def _discard_output(stdout) -> None:
    """Point standard output at /dev/null, so that Python's own flush at exit does not
    fail a second time with a traceback-like message (the recipe in Python's signal docs)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stdout.fileno())
        os.close(devnull)
    except (OSError, AttributeError, ValueError):  # not a real file (a test's capture)
        pass


def _fail(message: str) -> None:
    line = message.split("\n")[0]
    # Whatever the user typed may be quoted back: no control character may break the line.
    line = "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in line)
    sys.stderr.write("diffcompare: " + line + "\n")
