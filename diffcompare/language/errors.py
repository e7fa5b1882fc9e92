"""The one exception type for bad input."""

from __future__ import annotations

import re

# Python's parser counts lines at \n, \r\n and \r only (str.splitlines also splits at
# form feeds and other separators, which would put carets on the wrong line).
_LINE_BREAK = re.compile(r"\r\n|\r|\n")

# How much of the offending line ``one_line`` quotes on each side of the offending part.
_CONTEXT = 40


def source_lines(text: str) -> list[str]:
    """The lines of ``text`` as Python's parser numbers them."""
    return _LINE_BREAK.split(text) if text else [""]


class InputError(ValueError):
    """Bad input: an expression we refuse, a bad point, a bad option.

    ``str(error)`` shows the message and, when the error has a place in the text, the
    offending line with a caret under the offending part. ``error.one_line()`` is the
    single line the command line prints.
    """

    def __init__(self, message: str, text: str | None = None, line: int = 1,
                 column: int = 0, end_column: int | None = None):
        self.message = message
        self.text = text
        self.line = line  # 1-based, as in Python's ast
        self.column = column  # 0-based
        self.end_column = end_column
        super().__init__(self.__str__())

    def _source_line(self) -> str:
        lines = source_lines(self.text or "")
        return lines[max(1, min(self.line, len(lines))) - 1]

    def caret(self) -> str:
        """The offending line and a caret line under the offending part."""
        source = self._source_line()
        start = max(0, min(self.column, len(source)))
        end = self.end_column if self.end_column is not None else start + 1
        end = max(start + 1, min(end, max(len(source), start + 1)))
        return f"  {source}\n  {' ' * start}{'^' * (end - start)}"

    def __str__(self) -> str:
        if self.text is None:
            return self.message
        return f"{self.message}\n{self.caret()}"

    def one_line(self) -> str:
        if self.text is None:
            return self.message
        source = self._source_line()
        where = f"line {self.line}, column {self.column + 1}" if "\n" in self.text.strip() \
            else f"column {self.column + 1}"
        end = self.end_column if self.end_column is not None else self.column + 1
        part = _shorten(source[self.column:end], 2 * _CONTEXT)
        shown = f" ({part!r})" if part.strip() else ""
        return f"{self.message} at {where}{shown} in {_excerpt(source, self.column, end)!r}"


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit // 2] + "…" + text[-(limit // 2):]


def _excerpt(source: str, column: int, end: int) -> str:
    """The offending line, or the part of a long line around the offending part."""
    source = source.rstrip()
    stripped = source.lstrip()
    if len(stripped) <= 3 * _CONTEXT:
        return stripped
    start = max(0, column - _CONTEXT)
    stop = min(len(source), max(end, column + 1) + _CONTEXT)
    middle = _shorten(source[start:stop], 4 * _CONTEXT)
    return ("…" if start > 0 else "") + middle.lstrip() + ("…" if stop < len(source) else "")
