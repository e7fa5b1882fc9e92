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


def json_text(document: dict) -> str:
    """``document`` as indented JSON text with ``schema_version`` first (no NaN: a number
    that is not finite must already be null)."""
    import json

    return json.dumps({"schema_version": SCHEMA_VERSION, **document}, indent=2,
                      allow_nan=False)


def read_text_argument(text: str, what: str = "the expression") -> str:
    """The command-line convention for text arguments: ``-`` reads standard input,
    ``@FILE`` reads the file (UTF-8), anything else is the text itself.

    Raises ``InputError`` (exit 2) for a file that cannot be read or is empty.
    """
    import sys

    from diffcompare.language.errors import InputError

    if text == "-":
        source, read = "standard input", sys.stdin.read
    elif text.startswith("@") and len(text) > 1:
        path = text[1:]
        source = path

        def read() -> str:
            with open(path, encoding="utf-8") as handle:
                return handle.read()
    else:
        return text
    try:
        content = read()
    except (OSError, UnicodeDecodeError, ValueError) as error:  # ValueError: a NUL in the path
        reason = getattr(error, "strerror", None) or str(error)
        raise InputError(f"cannot read {what} from {source!r}: {reason}") from None
    content = content.strip()
    if not content:
        raise InputError(f"{source} is empty; write {what} in it, e.g. x**2*sin(y)")
    return content
