"""Hostile in company: tanh's derivative comes from this folder's own helpers.py, and
the engine in the other helpers_* folder imports a helpers.py of its own, with different
content. Outcome: PASS.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import _correct  # noqa: E402
import helpers  # noqa: E402

_correct.use_tanh_derivative(helpers.tanh_derivative)
Value = _correct.Value
