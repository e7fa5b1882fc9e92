"""``diffcompare train``: train the lecture's MLP with plain SGD, or check its gradient.

    diffcompare train [--steps N] [--learning-rate LR] [--sizes 4,4,1]
                      [--activation tanh|relu|linear] [--seed S]
    diffcompare train --check [same options]

Training shows the loss as it goes (a live line on a terminal, a line every tenth of the
run otherwise), then the final loss and predictions. Runs are reproducible: the weights
come from ``random.Random(seed)``. ``--check`` prints the loss gradient for every
parameter by all three methods side by side (``gradcheck``) and exits like the main
command: 0 agree, 1 disagree, 3 not defined at the point.
"""

from __future__ import annotations

import argparse
import io
import math
import random
import sys

from tabulate import tabulate

from diffcompare.language.errors import InputError
from diffcompare.nn import ACTIVATIONS, MLP, sgd_step, squared_error
from diffcompare.options import (
    EXIT_AGREE,
    EXIT_DISAGREE,
    EXIT_UNDEFINED,
    TABLE_FORMATS,
    number_option,
)

# The lecture's dataset: four points in 3-d with targets ±1.
XS = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
YS = [1.0, -1.0, -1.0, 1.0]

DEFAULT_SIZES = (4, 4, 1)
DEFAULT_STEPS = 100  # with the defaults below, every seed tried reaches a loss below 0.01
DEFAULT_LEARNING_RATE = 0.1
DEFAULT_SEED = 1337  # micrograd's demo seed
TARGET_LOSS = 0.01  # what the lecture calls trained; reported, not enforced
MAX_SIZE = 1000  # neurons per layer; beyond this a scalar engine is the wrong tool
# SGD steps: the default network does about 1,800 a second on one core, so this many
# take about ten minutes, not the days a slip such as --steps 1000000000 would.
MAX_STEPS = 1_000_000
PROGRESS_LINES = 10  # lines of progress when the output is not a terminal
# sympy's time grows faster than the network: 11 parameters take a second, the lecture's
# 41 about 15-35 s, 73 about a minute. Beyond this, --check would seem to hang.
MAX_CHECK_PARAMETERS = 100


def configure(parser: argparse.ArgumentParser) -> None:
    parser.description = ("Train MLP(3, [4, 4, 1]) on the lecture's four points with plain "
                          "SGD, or check its loss gradient by all three methods (--check).")
    parser.epilog = ("examples:\n  diffcompare train\n  diffcompare train --steps 200 "
                     "--learning-rate 0.05 --seed 7\n  diffcompare train --sizes 4,1 "
                     "--activation linear --learning-rate 0.01\n"
                     "  diffcompare train --check --sizes 2,1")
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("--steps", type=_natural, metavar="N",
                        help=f"SGD steps, at most {MAX_STEPS:,} (default {DEFAULT_STEPS}; 0 "
                             "with --check, which then checks the initial network)")
    parser.add_argument("--learning-rate", "--lr", type=_positive, metavar="LR",
                        default=DEFAULT_LEARNING_RATE,
                        help=f"SGD step size (default {DEFAULT_LEARNING_RATE})")
    parser.add_argument("--sizes", type=_sizes, metavar="N,N,...", default=DEFAULT_SIZES,
                        help="neurons per layer, the last one 1 "
                             f"(default {','.join(map(str, DEFAULT_SIZES))})")
    parser.add_argument("--activation", choices=list(ACTIVATIONS), default="tanh",
                        help="activation of every neuron (default tanh, as in the lecture)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED,
                        help=f"seed of the initial weights (default {DEFAULT_SEED})")
    parser.add_argument("--check", action="store_true",
                        help="print the loss gradient for every parameter by symbolic, "
                             "autograd and finite differences, and compare them")
    parser.add_argument("--format", default="simple", choices=TABLE_FORMATS, metavar="FMT",
                        help="table format, as for the main command (default simple)")
    parser.add_argument("--json", action="store_true",
                        help="print one JSON object (the network, final loss, predictions "
                             "and, with --check, the comparison); progress goes to stderr")


def run(args: argparse.Namespace) -> int:
    model = MLP(len(XS[0]), list(args.sizes), args.activation, rng=random.Random(args.seed))
    if args.check and len(model.parameters()) > MAX_CHECK_PARAMETERS:
        raise InputError(f"--check on {len(model.parameters())} parameters would keep sympy "
                         f"busy for many minutes; give --sizes with at most "
                         f"{MAX_CHECK_PARAMETERS} parameters, e.g. --sizes 4,4,1")
    steps = args.steps if args.steps is not None else (0 if args.check else DEFAULT_STEPS)
    out = sys.stderr if args.json else sys.stdout
    if args.json and args.check:
        # A diverged run is then refused, and that refusal must be the one line on
        # stderr: the story of the training waits until the run is known to go on.
        held = io.StringIO()
        loss = _train(model, args, steps, held)
        sys.stderr.write(held.getvalue())
    else:
        loss = _train(model, args, steps, out)
    if loss is not None and _diverged(model, loss):
        sys.stderr.write("warning: the training diverged (the loss or the parameters "
                         "are no longer finite numbers); try a smaller --learning-rate, "
                         "e.g. 0.05\n")
    elif loss is not None and loss >= TARGET_LOSS and args.activation == "relu":
        sys.stderr.write("warning: the loss stayed high; with relu in every neuron the "
                         "output cannot go below 0, and half the targets are -1: try "
                         "--activation tanh\n")
    if args.json:
        return _print_document(model, args, steps, loss)
    if args.check:
        return _check(model, steps, args.format)
    out.write(("" if steps else "\n") + predictions_table(model, args.format) + "\n")
    return 0


def _train(model: MLP, args: argparse.Namespace, steps: int, out) -> float | None:
    """Say what is trained, train it ``steps`` steps telling ``out`` how it goes, and
    return the final loss (None for no steps). A run that diverged is refused when its
    gradient is to be checked, before the notice that sympy is starting."""
    out.write(f"MLP({len(XS[0])}, {list(args.sizes)}), {args.activation} in every neuron, "
              f"{len(model.parameters())} parameters, seed {args.seed}\n")
    if not steps:
        return None
    out.write(f"{steps} steps of SGD, learning rate {args.learning_rate:g}, "
              f"squared error on the lecture's {len(XS)} points\n")
    loss = fit(model, steps, args.learning_rate, _Progress(out, steps))
    verdict = "below" if loss < TARGET_LOSS else "not below"
    out.write(f"final loss {loss!r} ({verdict} {TARGET_LOSS:g})\n\n")
    if args.check and _diverged(model, loss):
        raise InputError("training diverged: the parameters are no longer finite "
                         "numbers, so their gradient cannot be checked; lower "
                         f"--learning-rate (default {DEFAULT_LEARNING_RATE})")
    return loss


def fit(model: MLP, steps: int, learning_rate: float, progress=None) -> float:
    """``steps`` steps of SGD on the lecture's data, as in the lecture; the final loss."""
    loss = math.nan
    for step in range(1, steps + 1):
        loss_node = squared_error([model(x) for x in XS], YS)
        model.zero_grad()
        loss_node.backward()
        sgd_step(model.parameters(), learning_rate)
        loss = loss_node.data
        if progress is not None:
            progress(step, loss)
    return loss


def _diverged(model: MLP, loss: float) -> bool:
    return not (math.isfinite(loss) and all(math.isfinite(p.data) for p in model.parameters()))


def predictions_table(model: MLP, tablefmt: str = "simple") -> str:
    rows = [[_point(x), f"{y:g}", repr(model(x).data)] for x, y in zip(XS, YS)]
    return tabulate(rows, headers=["x", "target", "prediction"], tablefmt=tablefmt,
                    disable_numparse=True)


def _print_document(model: MLP, args: argparse.Namespace, steps: int,
                    loss: float | None) -> int:
    """The --json output: one object, numbers that are not finite as null."""
    from diffcompare.options import json_text

    def finite(number: float | None) -> float | None:
        return number if number is not None and math.isfinite(number) else None

    document = {
        "network": {"inputs": len(XS[0]), "sizes": list(args.sizes),
                    "activation": args.activation, "parameters": len(model.parameters()),
                    "seed": args.seed},
        "steps": steps, "learning_rate": args.learning_rate, "final_loss": finite(loss),
        "predictions": [{"x": list(x), "target": y, "prediction": finite(model(x).data)}
                        for x, y in zip(XS, YS)],
    }
    status = EXIT_AGREE
    if args.check:
        from diffcompare import present
        from diffcompare.gradcheck import check

        comparison = check(model, XS, YS)
        document["gradient_check"] = present.document(comparison)
        status = {"agree": EXIT_AGREE, "disagree": EXIT_DISAGREE}.get(
            comparison.verdict.status, EXIT_UNDEFINED)
    sys.stdout.write(json_text(document) + "\n")
    return status


def _check(model: MLP, steps: int, tablefmt: str) -> int:
    from diffcompare import present
    from diffcompare.gradcheck import TOLERANCE, check, loss_expression

    expression, _ = loss_expression(model, XS, YS)
    where = "its initial parameters" if steps == 0 else f"its parameters after {steps} steps"
    sys.stderr.write(f"diffcompare train: sympy is differentiating the unrolled loss "
                     f"({expression.size} nodes) by each of {len(expression.variables)} "
                     "parameters; this can take a minute\n")
    sys.stderr.flush()
    comparison = check(model, XS, YS)
    sys.stdout.write(
        f"gradient check of the squared error at {where}\n"
        f"each method must be within {TOLERANCE:g} of the exact value, relative to it "
        "(or to the loss where that is larger)\n"
        "finite differences: central, Richardson-extrapolated twice (error O(h^6))\n\n"
        + present.table(comparison, tablefmt) + "\n\n"
        + present.cost_line(comparison)
        + "\n" + present.verdict_text(comparison.verdict) + "\n")
    return {"agree": EXIT_AGREE, "disagree": EXIT_DISAGREE}.get(
        comparison.verdict.status, EXIT_UNDEFINED)


class _Progress:
    """The loss as training goes: one live line on a terminal, a few lines otherwise."""

    def __init__(self, out, steps: int):
        self.out, self.steps = out, steps
        self.live = out.isatty()
        self.every = max(1, steps // PROGRESS_LINES)
        self.width = 0  # of the longest line so far: a shorter one must cover it

    def __call__(self, step: int, loss: float) -> None:
        text = f"step {step:>{len(str(self.steps))}}/{self.steps}  loss {loss:.6g}"
        if self.live:
            self.width = max(self.width, len(text))
            self.out.write(f"\r{text:<{self.width}}" + ("\n" if step == self.steps else ""))
            self.out.flush()
        elif step % self.every == 0 or step == self.steps:
            self.out.write(text + "\n")


def _point(x) -> str:
    return "[" + ", ".join(f"{v:g}" for v in x) + "]"


# ---- option parsing: each bad value gets a message that says what to do ----


def _natural(text: str) -> int:
    try:
        number = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of steps") from None
    if number < 0:
        raise argparse.ArgumentTypeError(f"{text} steps: give 0 or more")
    if number > MAX_STEPS:
        raise argparse.ArgumentTypeError(f"{text} steps: give at most {MAX_STEPS:,}")
    return number


_positive = number_option("a positive learning rate", "0.1")


def _sizes(text: str) -> tuple[int, ...]:
    try:
        sizes = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r}: give neurons per layer as whole numbers, e.g. 4,4,1") from None
    if any(size < 1 or size > MAX_SIZE for size in sizes):
        raise argparse.ArgumentTypeError(f"{text}: each layer needs 1 to {MAX_SIZE} neurons")
    if sizes[-1] != 1:
        raise argparse.ArgumentTypeError(
            f"{text}: the last layer must have 1 neuron (one prediction per point), "
            f"e.g. {','.join(map(str, sizes))},1")
    return sizes
