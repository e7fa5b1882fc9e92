"""The one exception type for bad input."""

from __future__ import annotations


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
        lines = (self.text or "").splitlines() or [""]
        return lines[min(self.line, len(lines)) - 1]

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
        part = source[self.column:end]
        shown = f" ({part!r})" if part.strip() else ""
        return f"{self.message} at {where}{shown} in {source.strip()!r}"
