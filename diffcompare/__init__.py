"""diffcompare: one expression, three derivatives, side by side.

>>> from diffcompare import compare
>>> compare("x**2*sin(y)", at="x=1,y=2").agree
True
"""

from diffcompare.check.battery import check_engine
from diffcompare.compare import Comparison, compare
from diffcompare.engine import Value
from diffcompare.language.errors import InputError
from diffcompare.language.expression import Expression
from diffcompare.language.parse import parse
from diffcompare.matrix_compare import compare_hessian, compare_jacobian

__all__ = ["Comparison", "Expression", "InputError", "Value", "check_engine", "compare",
           "compare_hessian", "compare_jacobian", "parse"]
__version__ = "0.1.0"
