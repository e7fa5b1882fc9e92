"""The command line: a thin layer over the library.

    diffcompare EXPRESSION [--at x=1,y=2] [--json | --format FMT]
    diffcompare COMMAND ...      (see SUBCOMMANDS)

Exit status: 0 the methods agree, 1 they disagree, 2 bad input (usage, parse or point
error), 3 the function or a derivative is not defined at the point (every method says
why). Errors are one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from typing import Sequence

from .errors import InputError

EXIT_AGREE, EXIT_DISAGREE, EXIT_BAD_INPUT, EXIT_UNDEFINED = 0, 1, 2, 3
EXIT_INTERNAL = 70  # a bug in diffcompare itself (BSD's EX_SOFTWARE)

# Subcommands: name -> module with ``configure(parser)`` and ``run(args) -> int``.
# Imported only when used, so the main job starts fast.
SUBCOMMANDS: dict[str, str] = {}
SUBCOMMANDS["train"] = "diffcompare.train"

TABLE_FORMATS = ("simple", "plain", "github", "grid", "pipe", "orgtbl", "rst",
                 "latex", "latex_booktabs", "html", "tsv", "mediawiki", "psql")

EXAMPLES = """\
examples:
  diffcompare "3*x**2 - 4*x + 5" --at x=3
  diffcompare "x**2*sin(y) + tanh(x*y)" --at x=1,y=2
  diffcompare "c = a + b; d = a*b + b**3; c += c + 1; e = c - d; f = e**2; f" --at a=-4,b=2
  diffcompare "x*exp(-x)" --at x=0.1 --json

exit status: 0 agree, 1 disagree, 2 bad input, 3 not defined at the point
"""


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line, like every other error."""

    def error(self, message: str):
        raise InputError(f"{message} (see {self.prog} --help)")


def comparison_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="diffcompare",
        description="Differentiate an expression three ways (symbolic with sympy, our "
                    "reverse-mode autograd, finite differences) and compare them.",
        epilog=EXAMPLES + _subcommand_help(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("expression", help="an expression or a small program, e.g. "
                        "\"x**2*sin(y)\" or \"c = a*b; c + a\"")
    parser.add_argument("--at", metavar="POINT",
                        help="the point, e.g. x=1,y=2 (default: a point chosen for you "
                             "where everything is finite)")
    output = parser.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="print one JSON object")
    output.add_argument("--format", default="simple", choices=TABLE_FORMATS, metavar="FMT",
                        help="table format: " + ", ".join(TABLE_FORMATS) + " (default simple)")
    parser.add_argument("--graph", metavar="FILE.svg",
                        help="also write the autograd graph as an SVG picture: each node "
                             "with its op, data and gradient")
    return parser


def _subcommand_help() -> str:
    if not SUBCOMMANDS:
        return ""
    return "\ncommands: " + ", ".join(SUBCOMMANDS) + " (diffcompare COMMAND --help)\n"


def run_comparison(argv: Sequence[str]) -> int:
    from . import present
    from .compare import compare

    args = comparison_parser().parse_args(argv)
    comparison = compare(args.expression, at=args.at)
    if args.graph:
        from .draw import write_expression_svg

        why_not = write_expression_svg(comparison.expression, comparison.point, args.graph)
        if why_not:
            _fail(f"no graph written: {why_not}")
    if args.json:
        text = present.to_json(comparison)
    else:
        text = present.report(comparison, tablefmt=args.format)
    sys.stdout.write(text + "\n")
    return {"agree": EXIT_AGREE, "disagree": EXIT_DISAGREE}.get(
        comparison.verdict.status, EXIT_UNDEFINED)


def run_subcommand(name: str, argv: Sequence[str]) -> int:
    module = importlib.import_module(SUBCOMMANDS[name])
    parser = _Parser(prog=f"diffcompare {name}")
    module.configure(parser)
    return module.run(parser.parse_args(argv))


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if argv and argv[0] in SUBCOMMANDS:
            return run_subcommand(argv[0], argv[1:])
        return run_comparison(argv)
    except InputError as error:
        _fail(error.one_line())
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        _fail("interrupted")
        return 130
    except BrokenPipeError:
        return EXIT_AGREE
    except Exception as error:  # noqa: BLE001 - the promise is: never a traceback
        _fail(f"internal error ({type(error).__name__}: {error}); this is a bug in "
              "diffcompare, please report it with the command you ran")
        return EXIT_INTERNAL


def _fail(message: str) -> None:
    sys.stderr.write("diffcompare: " + " ".join(message.split("\n")[:1]) + "\n")
