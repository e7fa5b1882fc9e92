"""diffcompare: one expression, three derivatives, side by side.

>>> from diffcompare import compare
>>> compare("x**2*sin(y)", at="x=1,y=2").agree
True

The public names are imported on first use (PEP 562), so that ``from diffcompare import
Value`` loads the engine alone: no sympy, no mpmath (sympy costs about a quarter of a
second at start-up and tens of thousands of objects that every full garbage collection of
a user's graph would walk again).
"""

import sys
import types
from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # what the lazy names below are, for type checkers and editors
    from diffcompare.batch import compare_many
    from diffcompare.check.battery import check_engine
    from diffcompare.compare import Comparison, compare
    from diffcompare.draw import draw_dot
    from diffcompare.engine import Value
    from diffcompare.gradients import GradientCheck, check_gradients
    from diffcompare.language.errors import InputError
    from diffcompare.language.expression import Expression
    from diffcompare.language.parse import parse
    from diffcompare.matrix_compare import compare_hessian, compare_jacobian

# Each public name and the module that defines it.
_PUBLIC = {
    "Comparison": "diffcompare.compare",
    "Expression": "diffcompare.language.expression",
    "GradientCheck": "diffcompare.gradients",
    "InputError": "diffcompare.language.errors",
    "Value": "diffcompare.engine",
    "check_engine": "diffcompare.check.battery",
    "check_gradients": "diffcompare.gradients",
    "compare": "diffcompare.compare",
    "compare_hessian": "diffcompare.matrix_compare",
    "compare_jacobian": "diffcompare.matrix_compare",
    "compare_many": "diffcompare.batch",
    "draw_dot": "diffcompare.draw",
    "parse": "diffcompare.language.parse",
}

__all__ = sorted(_PUBLIC)
__version__ = "0.1.0"


def __getattr__(name: str):
    if name not in _PUBLIC:
        raise AttributeError(f"module 'diffcompare' has no attribute {name!r}")
    value = getattr(import_module(_PUBLIC[name]), name)
    globals()[name] = value
    if name not in _LIGHT:
        _install_notebook_display()
    return value


# Names that load no sympy: loading them leaves the notebook display alone.
_LIGHT = {"Value", "draw_dot", "InputError"}


def _install_notebook_display() -> None:
    """The result classes may not import presentation (layers), so their HTML and short
    reprs are attached from here, by the presentation module that writes them, the first
    time a public name that returns results is loaded."""
    from diffcompare import notebook
    from diffcompare.check.battery import Check, CheckResult, EngineReport

    notebook.install(engine_report=EngineReport, check_result=CheckResult, check=Check)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_PUBLIC))


class _Package(types.ModuleType):
    """The package, whose public names win over its submodules of the same name.

    Importing the submodule ``diffcompare.compare`` makes Python set the package's
    attribute ``compare`` to that module, which would hide the function ``compare``
    (``from diffcompare import compare`` would then give a module). The package refuses
    that one assignment; the submodule stays importable by its path
    (``from diffcompare.compare import METHODS``, ``importlib.import_module``).
    ``import diffcompare.compare as m`` reads the package attribute, so it gives the
    function too.
    """

    def __setattr__(self, name: str, value) -> None:
        if name in _PUBLIC and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
