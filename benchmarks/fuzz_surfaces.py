"""The fuzz run's newer surfaces (issue 16 §8), beside ``fuzz.py``'s command lines:

- expressions over every function of the primitive table (read from ``FUNCTIONS``, so a
  new row is fuzzed at once) and ``where`` with comparisons;
- ``grade``'s answers files: CSV and JSON Lines rows, mutated;
- ``check``'s engine files: notebooks (``.ipynb`` JSON, mutated) and jupytext files;
- ``check_gradients``'s inputs: odd shapes and dtypes, NaN and inf entries, empty and
  object arrays, torch tensors, non-callables, bad options.

Each generator returns a ``Case``: a command line for ``cli.main`` with the files it
needs, or a ``check_gradients`` call. ``fuzz.py`` runs them under the same bound.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from pathlib import Path

from diffcompare.language.primitives import FUNCTIONS

ROOT = Path(__file__).resolve().parent.parent
ENGINE = (ROOT / "tests" / "engines" / "correct.py").read_text(encoding="utf-8")
COMPARISONS = ["<", "<=", ">", ">="]
ODD_TEXT = ["", ",", "\"", "\n", "\r\n", "\x00", "x", "1e999", "nan", "{", "}", "[", "]",
            ";", "λ", "\u2028", "\ufeff", "d/dx", "9" * 300, "sin(", "**", "null", "true"]


@dataclass
class Case:
    """One input: ``args`` for ``cli.main`` with ``files`` (name -> text) written to a
    fresh folder first ({dir} in args is that folder), or ``call`` for check_gradients."""

    surface: str
    args: list = field(default_factory=list)
    files: dict = field(default_factory=dict)
    call: tuple | None = None


def function_tree(rng: random.Random, depth: int) -> str:
    """A random expression over every function of the table, ``where`` included."""
    if depth == 0 or rng.random() < 0.25:
        return rng.choice(["x", "y", "z", "0", "1", "-1", "0.5", "2", "1e-8", "700", "pi"])
    names = [name for name in FUNCTIONS if name != "where"]
    kind = rng.random()
    if kind < 0.15 and "where" in FUNCTIONS:
        condition = (f"{function_tree(rng, depth - 1)} {rng.choice(COMPARISONS)} "
                     f"{function_tree(rng, depth - 1)}")
        return f"where({condition}, {function_tree(rng, depth - 1)}, " \
               f"{function_tree(rng, depth - 1)})"
    if kind < 0.4:
        return f"({function_tree(rng, depth - 1)} {rng.choice('+-*/')} " \
               f"{function_tree(rng, depth - 1)})"
    name = rng.choice(names)
    arguments = ", ".join(function_tree(rng, depth - 1) for _ in range(FUNCTIONS[name].arity))
    return f"{name}({arguments})"


def functions_case(rng: random.Random) -> Case:
    expression = function_tree(rng, rng.randrange(1, 6))
    at = ",".join(f"{name}={rng.choice(['0', '1', '-1', '0.5', '-0.5', '2', '1e-300', '30'])}"
                  for name in "xyz" if name in expression)
    return Case("functions", [expression, *(["--at", at] if at else [])])


def mutate(text: str, rng: random.Random, tokens=ODD_TEXT, towers=()) -> str:
    """1 to 4 edits: insert a token, delete a few characters, repeat a stretch, or (with
    ``towers``) insert one of them 10 to 300 times."""
    for _ in range(rng.randrange(1, 5)):
        position = rng.randrange(len(text) + 1)
        kind = rng.random()
        if kind < 0.4:
            text = text[:position] + rng.choice(tokens) + text[position:]
        elif kind < 0.7:
            text = text[:position] + text[position + rng.randrange(1, 6):]
        elif kind < 0.85 or not towers:
            stretch = text[position:position + rng.randrange(1, 12)]
            text = text[:position] + stretch * rng.randrange(2, 40) + text[position:]
        else:
            text = text[:position] + rng.choice(towers) * rng.randrange(10, 300) + \
                text[position:]
    return text


def grade_case(rng: random.Random) -> Case:
    """An answers file of a few rows, CSV or JSON Lines, mutated."""
    rows = [(f"s{k}", function_tree(rng, rng.randrange(0, 3)), rng.choice(["x=1", "x=0.5;x=2", ""]),
             rng.choice(["cos(x)", "1", "2*x", "", "exp(x)", "sin("]))
            for k in range(rng.randrange(1, 4))]
    if rng.random() < 0.5:
        name = "answers.csv"
        text = "student,function,at,derivative\n" + "".join(
            ",".join(json.dumps(field) if rng.random() < 0.3 else field for field in row) + "\n"
            for row in rows)
    else:
        name = "answers.jsonl"
        text = "".join(json.dumps({"student": s, "function": f, "at": a,
                                   rng.choice(["derivative", "d/dx"]): d}) + "\n"
                       for s, f, a, d in rows)
    if rng.random() < 0.8:
        text = mutate(text, rng)
    return Case("grade", ["grade", f"{{dir}}/{name}", "--out", "{dir}/out", "--samples", "2",
                          "--timeout", "0.5"], {name: text})


def notebook_case(rng: random.Random) -> Case:
    """``check`` on a notebook holding a Value class, as .ipynb JSON or a jupytext file."""
    cells = ["import math", ENGINE, "x = Value(2.0)\nx"]
    if rng.random() < 0.5:
        name = "engine.ipynb"
        document = {"cells": [{"cell_type": rng.choice(["code", "code", "markdown", "raw", 3]),
                               "metadata": {}, "source": cell.splitlines(True),
                               "outputs": [], "execution_count": None} for cell in cells],
                    "metadata": {"kernelspec": {"name": "python3"}}, "nbformat": 4,
                    "nbformat_minor": 5}
        text = json.dumps(document, indent=1)
    else:
        name = rng.choice(["engine.py", "engine.pct.py", "engine.md"])
        marker = rng.choice(["# %%", "# %% [markdown]", "# +", "```python", "#%%"])
        text = "# ---\n# jupyter:\n#   jupytext:\n#     formats: ipynb,py:percent\n# ---\n\n" + \
            "".join(f"{marker}\n{cell}\n\n" for cell in cells)
    text = mutate(text, rng)
    spec = f"{{dir}}/{name}" + rng.choice([":Value", "", ":Nope", ":math"])
    return Case("notebook", ["check", spec, "--timeout", "1"], {name: text})


def _array(rng: random.Random):
    import numpy as np
    import torch

    shape = rng.choice([(), (0,), (1,), (3,), (2, 2), (0, 3), (1, 1, 1), (40,), (3, 1)])
    values = np.random.default_rng(rng.randrange(1000)).normal(size=shape)
    if values.size and rng.random() < 0.25:
        values.flat[rng.randrange(values.size)] = rng.choice([np.nan, np.inf, -np.inf, 1e308,
                                                              5e-324])
    kind = rng.random()
    if kind < 0.5:
        dtype = rng.choice([np.float64, np.float32, np.float16, np.int64, np.uint8, np.bool_,
                            np.complex128, object, "U3"])
        with np.errstate(all="ignore"):
            return values.astype(dtype)
    if kind < 0.8:
        tensor = torch.tensor(values, dtype=rng.choice(
            [torch.float64, torch.float32, torch.float16, torch.bfloat16, torch.int32,
             torch.complex64]))
        return tensor.requires_grad_(tensor.is_floating_point() and rng.random() < 0.3)
    return rng.choice([1, 1.5, -0.0, float("nan"), float("inf"), True, None, "1.0", [1.0, 2.0],
                       [[1.0], [2.0, 3.0]], (), {}, 10**400, 1 + 2j, object(),
                       np.array([1, "a"], dtype=object), torch.empty(2, device="meta")])


def _functions():
    import numpy as np
    import torch

    return [lambda x: (x**2).sum(), lambda x: np.sin(x).sum(), lambda x: np.tanh(x),
            lambda x, y: (x * y).sum(), lambda x: x, lambda x: np.maximum(x, 0).sum(),
            lambda x: torch.sin(x).sum(), lambda x: np.sqrt(x).sum(), lambda x: x @ x,
            lambda x: np.where(x > 0, x, -x).sum(), lambda x: "text", lambda x: None,
            lambda *xs: sum(xs), lambda x: np.arctan2(x, 1.0).sum(), lambda x: np.cbrt(x),
            lambda x: np.log1p(x).sum(), lambda x: float(x), lambda x: [x, x]]


def gradients_case(rng: random.Random) -> Case:
    function = rng.choice([None, 3, "sin(x)", [1]]) if rng.random() < 0.05 else \
        rng.choice(_functions())
    inputs = tuple(_array(rng) for _ in range(rng.choice([0, 1, 1, 1, 2, 3])))
    options: dict = {"timeout": 0.5}
    if rng.random() < 0.2:
        options["scheme"] = rng.choice(["central", "richardson", "complex_step", "bogus", 3])
    if rng.random() < 0.2:
        options["directions"] = rng.choice([None, 0, 1, 5, -1, 2.5, "x", 10**9])
    if rng.random() < 0.1:
        options["rtol"] = rng.choice([1e-3, -1, float("nan"), "a", 0])
    if rng.random() < 0.1:
        options["grad"] = rng.choice([lambda x: 2 * x, 3, lambda x: "no", lambda *xs: xs])
    return Case("gradients", call=(function, inputs, options))


GENERATORS = {"functions": functions_case, "grade": grade_case, "notebook": notebook_case,
              "gradients": gradients_case}


def main() -> int:
    """Print a few inputs of each surface (what the fuzz run tries), without running them."""
    import argparse

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--show", type=int, default=2, help="inputs per surface (default 2)")
    parser.add_argument("--seed", type=int, default=2024)
    options = parser.parse_args()
    rng = random.Random(options.seed)
    for surface, generate in GENERATORS.items():
        for _ in range(options.show):
            case = generate(rng)
            print(f"{surface}: {case.args or case.call!r}"[:300])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
