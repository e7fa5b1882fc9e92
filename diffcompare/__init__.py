"""diffcompare: one expression, three derivatives, side by side.

>>> from diffcompare import compare
>>> compare("x**2*sin(y)", at="x=1,y=2").agree
True
"""

from .check import check_engine
from .compare import Comparison, compare
from .engine import Value
from .errors import InputError
from .expression import Expression
from .parse import parse

__all__ = ["Comparison", "Expression", "InputError", "Value", "check_engine", "compare",
           "parse"]
__version__ = "0.1.0"
