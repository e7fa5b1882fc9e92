"""What every command shares: exit statuses, table formats and option types."""

from __future__ import annotations

import argparse
import json
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


# How a number that is not finite is written in --json output: RFC 8259 has no NaN or
# infinity, and ``json.dumps`` would otherwise write the non-JSON tokens NaN/Infinity.
NOT_FINITE = {math.inf: "Infinity", -math.inf: "-Infinity"}
NOT_A_NUMBER = "NaN"


def to_json(data) -> str:
    """``data`` as RFC 8259 JSON, whatever its numbers: a float that is not finite
    becomes the string "Infinity", "-Infinity" or "NaN" (documented in the README)."""
    return json.dumps(_finite(data), indent=2, allow_nan=False)


def _finite(data):
    if isinstance(data, float) and not math.isfinite(data):
        return NOT_A_NUMBER if math.isnan(data) else NOT_FINITE[data]
    if isinstance(data, dict):
        return {key: _finite(value) for key, value in data.items()}
    if isinstance(data, (list, tuple)):
        return [_finite(value) for value in data]
    return data
