"""What every command shares: exit statuses, table formats and option types."""

from __future__ import annotations

import argparse
import math

EXIT_AGREE, EXIT_DISAGREE, EXIT_BAD_INPUT, EXIT_UNDEFINED = 0, 1, 2, 3
EXIT_INTERNAL = 70  # a bug in diffcompare itself (BSD's EX_SOFTWARE)

TABLE_FORMATS = ("simple", "plain", "github", "grid", "pipe", "orgtbl", "rst",
                 "latex", "latex_booktabs", "html", "tsv", "mediawiki", "psql")


def number_option(what: str, example: str, zero_allowed: bool = False):
    """An argparse type: a finite number, positive (or also 0), with a message that says
    what to give instead."""
    def convert(text: str) -> float:
        try:
            number = float(text)
        except ValueError:
            number = math.nan
        if not (math.isfinite(number) and (number > 0 or (zero_allowed and number == 0))):
            raise argparse.ArgumentTypeError(f"{text!r} is not {what}; give e.g. {example}")
        return number
    return convert
