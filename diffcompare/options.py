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


# Every JSON document a command prints carries this, first. Raise it when a field is
# renamed or removed (adding a field does not break a reader, so it keeps the number).
SCHEMA_VERSION = 1

# How a number that is not finite is written in --json output: RFC 8259 has no NaN or
# infinity, and ``json.dumps`` would otherwise write the non-JSON tokens NaN/Infinity.
NOT_FINITE = {math.inf: "Infinity", -math.inf: "-Infinity"}
NOT_A_NUMBER = "NaN"


def json_text(document: dict) -> str:
    """``document`` as indented RFC 8259 JSON with ``schema_version`` first, whatever its
    numbers: a float that is not finite becomes the string "Infinity", "-Infinity" or
    "NaN" (documented in the README)."""
    import json

    return json.dumps({"schema_version": SCHEMA_VERSION, **_finite(document)}, indent=2,
                      allow_nan=False)


def _finite(data):
    if isinstance(data, float) and not math.isfinite(data):
        return NOT_A_NUMBER if math.isnan(data) else NOT_FINITE[data]
    if isinstance(data, dict):
        return {key: _finite(value) for key, value in data.items()}
    if isinstance(data, (list, tuple)):
        return [_finite(value) for value in data]
    return data


def counted(number: int, noun: str) -> str:
    """1 -> "1 answer", 2 -> "2 answers": a count with its noun, in the right number."""
    return f"{number} {noun}{'' if number == 1 else 's'}"


def read_text_argument(text: str, what: str = "the expression") -> str:
    """The command-line convention for text arguments: ``-`` reads standard input,
    ``@FILE`` reads the file (UTF-8, a leading byte-order mark dropped, as Windows editors
    write one), anything else is the text itself. Both are read as every input file is
    (``input_files``): a device or a fifo is refused, and so is more than
    ``input_files.MAX_BYTES``.

    Raises ``InputError`` (exit 2) for a file that cannot be read or is empty.
    """
    from diffcompare.language import input_files
    from diffcompare.language.errors import InputError

    if text == input_files.STANDARD_INPUT:
        source, path = "standard input", text
    elif text.startswith("@") and len(text) > 1:
        source = path = text[1:]
    else:
        return text
    content = input_files.read_text(path, what).strip()
    if not content:
        raise InputError(f"{source} is empty; write {what} in it, e.g. x**2*sin(y)")
    return content
