"""The gradebook files: CSV and JSON records, and an HTML summary page."""

from __future__ import annotations

import csv
import io
from html import escape
from typing import Sequence

from diffcompare.grade.judge import VERDICTS
from diffcompare.options import counted

# fingerprint: a hash of the row's content and the grading options (command.fingerprint)
COLUMNS = ("row", "student", "verdict", "where", "detail", "checked", "symbolic",
           "fingerprint")
VERDICT_WORDS = {"right": "right", "right_except": "right except at some points",
                 "wrong": "wrong", "unreadable": "cannot be read", "not_judged": "not judged"}
_COLOURS = {"right": "#2e7d32", "right_except": "#ef6c00", "wrong": "#c62828",
            "unreadable": "#6d4c41", "not_judged": "#546e7a"}


def csv_line(record: dict) -> str:
    """One record as a CSV line (with its newline), columns in ``COLUMNS`` order."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow([record.get(c, "") for c in COLUMNS])
    return out.getvalue()


def csv_text(records: Sequence[dict]) -> str:
    return csv_line(dict(zip(COLUMNS, COLUMNS))) + "".join(map(csv_line, records))


def read_csv(text: str) -> list[dict]:
    """The complete records of a gradebook CSV; a last line cut short by an interrupt
    (no newline at its end) is left out, so it is graded again."""
    if text and not text.endswith("\n"):
        text = text[:text.rfind("\n") + 1]
    records = []
    for record in csv.DictReader(io.StringIO(text)):
        try:
            record["row"] = int(record["row"])
            record["checked"] = int(record.get("checked") or 0)
        except (KeyError, TypeError, ValueError):
            continue
        if record.get("verdict") in VERDICTS:
            records.append({column: record.get(column, "") for column in COLUMNS})
    return records


def counts(records: Sequence[dict]) -> dict[str, int]:
    return {verdict: sum(r["verdict"] == verdict for r in records) for verdict in VERDICTS}


def html_page(records: Sequence[dict], source: str) -> str:
    """A self-contained page: the counts, then one line per answer. Readable at 400 px:
    the table scrolls inside its own box and the verdict is its second column."""
    total = counts(records)
    summary = ", ".join(f"{total[v]} {VERDICT_WORDS[v]}" for v in VERDICTS)
    rows = "\n".join(
        f"<tr><td>{escape(str(r['student']))}</td><td><b style='color:"
        f"{_COLOURS[r['verdict']]}'>{escape(VERDICT_WORDS[r['verdict']])}</b></td>"
        f"<td>{r['row']}</td><td>{escape(str(r['where']))}</td>"
        f"<td>{escape(str(r['detail']))}</td></tr>" for r in records)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Grades: {escape(source)}</title>
<style>body{{font-family:sans-serif;margin:1em;max-width:1100px}}
.box{{overflow-x:auto;max-width:100%}}table{{border-collapse:collapse;font-size:14px}}
td,th{{padding:3px 8px;border-bottom:1px solid #ddd;text-align:left;vertical-align:top}}
td:nth-child(5){{min-width:16em}}</style></head><body>
<h1>Grades: {escape(source)}</h1>
<p>{counted(len(records), "answer")}: {escape(summary)}.</p>
<div class="box"><table>
<tr><th>student</th><th>verdict</th><th>row</th><th>where</th><th>detail</th></tr>
{rows}
</table></div>
<p><small>Each answer: symbolic equivalence by sympy, confirmed at the given points and at
seeded random points; a row number counts lines of the answers file, the header included.
</small></p>
</body></html>
"""
