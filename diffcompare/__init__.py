"""diffcompare: one expression, three derivatives, side by side.

>>> from diffcompare import compare
>>> compare("x**2*sin(y)", at="x=1,y=2").agree
True
"""

from diffcompare.check.battery import Check, CheckResult, EngineReport, check_engine
from diffcompare.compare import Comparison, compare
from diffcompare.draw import draw_dot
from diffcompare.engine import Value
from diffcompare.language.errors import InputError
from diffcompare.language.expression import Expression
from diffcompare.language.parse import parse

__all__ = ["Comparison", "Expression", "InputError", "Value", "check_engine", "compare",
           "draw_dot", "parse"]
__version__ = "0.1.0"

# ---- notebook display (issue 14) ----
# The result classes may not import presentation (layers), so their HTML and short reprs
# are attached from here, once, by the presentation module that writes them.
from diffcompare import notebook as _notebook  # noqa: E402

_notebook.install(engine_report=EngineReport, check_result=CheckResult, check=Check)
