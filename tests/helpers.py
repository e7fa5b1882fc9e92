"""Helpers shared by the tests: running the CLI as a user would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_cli(*args: str, timeout: float = 120, cwd: Path | None = None,
            input: str | None = None) -> subprocess.CompletedProcess:
    """``python -m diffcompare ARGS`` in a subprocess, importing this checkout; ``input``
    is its standard input."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "diffcompare", *args], capture_output=True,
                          text=True, timeout=timeout, env=env, cwd=cwd or ROOT, input=input)
