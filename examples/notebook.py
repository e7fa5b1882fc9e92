"""The notebook example: write it, execute it (nbclient), render it to one HTML page.

    python examples/notebook.py                  # examples/lecture.ipynb, executed
    python examples/notebook.py --html reports/notebook.html

Needs the 'notebook' extra (nbclient, nbformat, ipykernel). The HTML is our own small
rendering of the executed cells (input, then each output's richest form: HTML, SVG or
text), so no nbconvert is needed; tests/test_notebook.py runs the same cells.
"""

from __future__ import annotations

import argparse
import base64
from html import escape
from pathlib import Path

# The lecture's cells (micrograd, "building micrograd"), unchanged, then diffcompare's.
CELLS = [
    "from diffcompare import Value, compare, check_engine, draw_dot",
    "x1 = Value(2.0, label='x1'); x2 = Value(0.0, label='x2')\n"
    "w1 = Value(-3.0, label='w1'); w2 = Value(1.0, label='w2')\n"
    "b = Value(6.8813735870195432, label='b')\n"
    "x1w1 = x1*w1; x1w1.label = 'x1*w1'\n"
    "x2w2 = x2*w2; x2w2.label = 'x2*w2'\n"
    "x1w1x2w2 = x1w1 + x2w2; x1w1x2w2.label = 'x1*w1 + x2*w2'\n"
    "n = x1w1x2w2 + b; n.label = 'n'\n"
    "o = n.tanh(); o.label = 'o'",
    "o.grad = 1.0\no._backward()\nn._backward()\nx1w1x2w2._backward()\n"
    "x2w2._backward()\nx1w1._backward()\n(x1.grad, w1.grad, x2.grad, w2.grad)",
    "draw_dot(o)",
    "compare(o)",
    "compare('3*x**2 - 4*x + 5', at='x=3')",
    "check_engine(Value)",
]


def build():
    import nbformat

    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in CELLS]
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                       "language": "python"}
    return notebook


def execute(notebook, timeout: float = 120):
    """Run every cell in a fresh kernel, which is shut down before this returns."""
    from nbclient import NotebookClient

    NotebookClient(notebook, timeout=timeout, kernel_name="python3").execute()
    return notebook


def render_html(notebook) -> str:
    """The executed notebook as one self-contained page."""
    parts = ["<!DOCTYPE html><html><head><meta charset='utf-8'>"
             "<meta name='viewport' content='width=device-width'>"
             "<title>diffcompare in a notebook</title><style>body{font-family:sans-serif;"
             "max-width:1100px;margin:1em auto;padding:0 1em}pre.in{background:#f5f5f5;"
             "padding:6px;border-left:3px solid #4a5d8f;overflow-x:auto}"
             ".out{margin:0 0 1.5em 1em;overflow-x:auto}</style></head><body>"
             "<h1>diffcompare in a notebook</h1>"]
    for number, cell in enumerate(notebook.cells, 1):
        parts.append(f"<pre class='in'>In [{number}]: {escape(cell.source)}</pre>")
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if "text/html" in data:
                parts.append(f"<div class='out'>{data['text/html']}</div>")
            elif "image/svg+xml" in data:
                svg = base64.b64encode(data["image/svg+xml"].encode()).decode()
                parts.append(f"<div class='out'><img src='data:image/svg+xml;base64,{svg}'>"
                             "</div>")
            elif "text/plain" in data or "text" in output:
                parts.append(f"<pre class='out'>{escape(data.get('text/plain') or output['text'])}"
                             "</pre>")
    parts.append("</body></html>")
    return "\n".join(parts)


def main() -> None:
    import nbformat

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notebook", default=str(Path(__file__).with_name("lecture.ipynb")))
    parser.add_argument("--html", help="also write the executed notebook as HTML here")
    args = parser.parse_args()
    notebook = execute(build())
    nbformat.write(notebook, args.notebook)
    if args.html:
        Path(args.html).write_text(render_html(notebook), encoding="utf-8")


if __name__ == "__main__":
    main()
