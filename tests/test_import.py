"""The package imports lightly, and its public names are what they say in any import order."""

import subprocess
import sys

import pytest


def _run(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_import_value_and_nn_never_imports_sympy_nor_mpmath():
    out = _run("import sys\n"
               "from diffcompare import Value\n"
               "import diffcompare.nn, diffcompare.functions\n"
               "(Value(2.0) * Value(3.0)).backward()\n"
               "print(sorted(m for m in ('sympy', 'mpmath') if m in sys.modules))")
    assert out == "[]"


@pytest.mark.parametrize("first", [
    "import diffcompare.compare",
    "from diffcompare.compare import METHODS",
    "from diffcompare import compare",
    "import diffcompare",
])
def test_import_compare_is_the_function_in_either_order(first):
    out = _run(f"{first}\n"
               "from diffcompare import compare\n"
               "import diffcompare, diffcompare.compare\n"
               "from diffcompare.compare import METHODS, Comparison\n"
               "from diffcompare import compare as again\n"
               "print(callable(compare), compare is again is diffcompare.compare,\n"
               "      type(compare).__name__, compare('x**2', at='x=3').agree, bool(METHODS))")
    assert out == "True True function True True"


def test_import_every_public_name_resolves():
    import diffcompare

    for name in diffcompare.__all__:
        assert getattr(diffcompare, name) is not None
    with pytest.raises(AttributeError):
        diffcompare.no_such_name  # noqa: B018
