"""Reading a class's answers: CSV or JSON Lines, one answer per row.

CSV: a header row, then one answer per row. Columns (case and spaces ignored):
``student`` (or ``id``), ``function``, ``at`` (one point "x=1,y=2", or several separated
by ";"), and the derivative: ``derivative`` for a function of one variable, else one
column per variable, ``d/dx``, ``d/dy``, ...

A leading byte-order mark (Excel's "CSV UTF-8") is dropped.

JSON Lines: one object per line with the same keys; ``at`` may be a list of points and
``derivative`` an object {"x": "...", "y": "..."}.

A row that cannot be read still becomes an ``Answer`` when it has a student id: its
problem is kept (``Row.problem``) and graded "unreadable". Row numbers count lines of the
file from 1, the header included, as a spreadsheet shows them.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass

from diffcompare.grade.judge import Answer
from diffcompare.language.errors import InputError
from diffcompare.language.input_files import BOM
from diffcompare.options import counted

MAX_FIELD = 100_000  # characters; a longer field is refused (csv's default is 131072)


@dataclass(frozen=True)
class Row:
    number: int
    answer: Answer
    problem: str = ""  # why the row cannot be graded, "" when it can


def read_rows(text: str, kind: str) -> list[Row]:
    """The rows of a ``kind`` ("csv" or "jsonl") document. Raises ``InputError`` when the
    document as a whole cannot be read (no header, no student or function column)."""
    text = text.removeprefix(BOM)
    return _jsonl_rows(text) if kind == "jsonl" else _csv_rows(text)


def kind_of(name: str, text: str) -> str:
    """"jsonl" for a .jsonl/.json file or text starting with "{", else "csv"."""
    if name.endswith((".jsonl", ".json", ".ndjson")):
        return "jsonl"
    return "jsonl" if text.removeprefix(BOM).lstrip().startswith("{") else "csv"


def _csv_rows(text: str) -> list[Row]:
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader)
    except StopIteration:
        raise InputError("the answers file is empty; it needs a header row, e.g. "
                         "student,function,at,derivative") from None
    except csv.Error as error:
        raise InputError(f"the answers file is not CSV: {error}") from None
    columns = [_column(name) for name in header]
    for needed in ("student", "function"):
        if needed not in columns:
            raise InputError(f"the answers file has no {needed} column (its header is "
                             f"{','.join(header)!r}); expected student,function,at,derivative")
    rows = []
    number = 1
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            number = reader.line_num
            rows.append(Row(number, Answer("", "", (), {}), f"not CSV: {error}"))
            continue
        number = reader.line_num
        if not any(field.strip() for field in fields):
            continue
        record = {column: value for column, value in zip(columns, fields)}
        problem = ""
        if len(fields) != len(columns):
            problem = f"{counted(len(fields), 'field')} where the header has {len(columns)}"
        rows.append(_row(number, record, problem))
    return rows


def _jsonl_rows(text: str) -> list[Row]:
    rows = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            rows.append(Row(number, Answer("", "", (), {}), f"not JSON: {error.msg}"))
            continue
        if not isinstance(record, dict):
            rows.append(Row(number, Answer("", "", (), {}), "not a JSON object"))
            continue
        rows.append(_row(number, {_column(k): v for k, v in record.items()}, ""))
    return rows


def _column(name: str) -> str:
    name = "".join(str(name).lower().split())
    return {"id": "student", "student_id": "student", "f": "function", "point": "at",
            "points": "at"}.get(name, name)


def _row(number: int, record: dict, problem: str) -> Row:
    student = str(record.get("student") or "").strip()
    function = record.get("function")
    at = record.get("at") or ""
    points = tuple(str(p) for p in at) if isinstance(at, list) else \
        tuple(p.strip() for p in str(at).split(";") if p.strip())
    derivatives = _derivatives(record)
    if not problem and not student:
        problem = "no student id"
    if not problem and not isinstance(function, str):
        problem = "no function"
    if not problem and any(len(str(v)) > MAX_FIELD for v in (function, *derivatives.values())):
        problem = f"a field is longer than {MAX_FIELD:,} characters"
    return Row(number, Answer(student, str(function or ""), points, derivatives), problem)


def _derivatives(record: dict) -> dict[str, str]:
    given = record.get("derivative")
    if isinstance(given, dict):
        return {str(name): str(text) for name, text in given.items()}
    derivatives = {column[3:]: str(value) for column, value in record.items()
                   if column.startswith("d/d") and len(column) > 3 and value not in (None, "")}
    if given not in (None, ""):
        derivatives[""] = str(given)
    return derivatives
