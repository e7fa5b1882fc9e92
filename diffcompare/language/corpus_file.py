"""Corpus files: one expression per line, optionally followed by ``@`` and its point.

::

    # The lecture's quadratic         <- a comment directly above a line titles it
    3*x**2 - 4*x + 5 @ x=3
    x**2*sin(y) + tanh(x*y)           <- no point: one is chosen, as on the command line
    c = a*b; c + a @ a=2, b=-1        <- a program, its statements separated by ;

Blank lines and lines starting with ``#`` are allowed anywhere. ``@`` is not part of the
expression language, so a line has at most one ``@``, and it starts the point. A file may
start with a byte-order mark, as editors on Windows write them.

A line that does not parse becomes a ``Problem`` naming its line number; the other
lines are still read.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from pathlib import Path

from diffcompare.language import input_files
from diffcompare.language.corpus import Case
from diffcompare.language.errors import InputError
from diffcompare.language.parse import parse
from diffcompare.language.point import parse_point
from diffcompare.language.vector import ends_in_list

SEPARATOR = "@"
COMMENT = "#"


@dataclass(frozen=True)
class Entry:
    """One expression of a corpus, with its title and where it came from."""

    case: Case  # ``case.at`` is "" when the line gives no point
    origin: str  # e.g. "built-in" or "my.txt line 4"


@dataclass(frozen=True)
class Problem:
    """A corpus line that could not be read."""

    line: int
    text: str
    message: str  # one line: "my.txt line 4: unknown function 'foo' ..."
    title: str = ""  # the comment line above it, where a teacher puts the student's name


def read(path: str | Path) -> tuple[list[Entry], list[Problem]]:
    """The entries of a corpus file and the lines that could not be read.

    Raises ``InputError`` when the file cannot be read at all: it does not exist, is not
    a regular file, holds more than ``input_files.MAX_BYTES`` or is not UTF-8 text.
    """
    return parse_corpus(input_files.read_text(path, "the corpus"), Path(path).name)


def parse_corpus(text: str, source: str = "corpus") -> tuple[list[Entry], list[Problem]]:
    """Entries and problems from the text of a corpus.

    >>> entries, problems = parse_corpus("# square\\nx**2 @ x=3\\n\\nfoo(x)\\n", "my.txt")
    >>> [(e.case.name, e.case.expression, e.case.at, e.origin) for e in entries]
    [('square', 'x**2', 'x=3', 'my.txt line 2')]
    >>> problems[0].line, problems[0].message.startswith("my.txt line 4: unknown function")
    (4, True)
    >>> parse_corpus("# Ada Lovelace\\nx**\\n")[1][0].title
    'Ada Lovelace'
    """
    entries: list[Entry] = []
    problems: list[Problem] = []
    title = ""
    # Lines end at "\n" only: str.splitlines would also end one at U+2028 and other
    # separators that editors do not show, shifting every later line number.
    # The line is parsed as written and escaped only where it is shown: escaped first,
    # a zero-width space would reach the parser as the text "\u200b".
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw.strip()
        if not line:
            title = ""
            continue
        if line.startswith(COMMENT):
            title = visible(line.lstrip(COMMENT).strip())
            continue
        try:
            case = _case(line, title)
        except InputError as error:
            problems.append(Problem(number, visible(line),
                                    f"{source} line {number}: {visible(error.one_line())}",
                                    title))
        else:
            entries.append(Entry(case, f"{source} line {number}"))
        title = ""
    return entries, problems


# Characters that change how text around them is shown without being seen themselves:
# the bidirectional controls (the "Trojan Source" ones), and the line and paragraph
# separators. With the other control and format characters (``unicodedata`` category Cc
# or Cf), they are written as escapes wherever corpus text is shown.
_SHOWN_AS_IS = {"\t"}


def visible(text: str) -> str:
    r"""``text`` with every control, format and separator character as an escape.

    >>> print(visible("x**2 # \u202eevil\x1b[31m"))
    x**2 # \u202eevil\x1b[31m
    """
    return "".join(ch if ch in _SHOWN_AS_IS or unicodedata.category(ch) not in
                   ("Cc", "Cf", "Zl", "Zp") else ascii(ch)[1:-1] for ch in text)


def _case(line: str, title: str) -> Case:
    if line.count(SEPARATOR) > 1:
        raise InputError(f"the line has {line.count(SEPARATOR)} '{SEPARATOR}'; one "
                         f"'{SEPARATOR}' separates the expression from its point, "
                         "e.g. x**2*y @ x=1, y=2")
    expression_text, separator, point_text = line.partition(SEPARATOR)
    if not separator:
        expression_text, point_text = line, ""
    expression_text, point_text = expression_text.strip(), point_text.strip()
    if not expression_text:
        raise InputError(f"no expression before '{SEPARATOR}'; write e.g. x**2 @ x=3")
    if ends_in_list(expression_text):
        raise InputError("a list of expressions (a Jacobian) is not supported in reports "
                         "yet; the command line compares it: diffcompare \"[x*y, sin(x)]\"")
    expression = parse(expression_text)
    if separator and not point_text:
        raise InputError(f"no point after '{SEPARATOR}'; write e.g. x**2 @ x=3, "
                         "or leave out the @ to have a point chosen")
    if point_text:
        parse_point(point_text, expression)
    shown_expression = _shown_as_parsed(expression_text, parse)
    shown_point = _shown_as_parsed(point_text, lambda text: parse_point(text, expression))
    return Case(title or shown_expression, shown_expression, shown_point)


def _shown_as_parsed(text: str, parse_text) -> str:
    """``text`` as a report shows it (``visible``), which is also what the report parses
    again: refused, naming the first invisible character, unless that parses too. It does
    where escapes only change a comment (``x**2 # \\u2066note``), not where Python took
    the character for white space or a line break (a form feed, a carriage return)."""
    shown = visible(text)
    if shown == text:
        return text
    try:
        parse_text(shown)
    except InputError:
        column = next(at for at, ch in enumerate(text) if visible(ch) != ch)
        raise InputError(f"invalid non-printable character U+{ord(text[column]):04X}",
                         text, column=column) from None
    return shown
