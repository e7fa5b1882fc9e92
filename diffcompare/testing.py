"""A pytest helper: assert that every method agrees on a function's derivatives.

>>> from diffcompare.testing import assert_gradients_agree
>>> from diffcompare.functions import sin, tanh
>>> def f(x, y):
...     return x**2 * sin(y) + tanh(x * y)
>>> assert_gradients_agree(f, x=1.0, y=2.0).agree
True
>>> assert_gradients_agree("x*exp(-x)", x=0.1).agree
True

On disagreement it raises ``AssertionError`` whose message is the side-by-side table
of the command line (formulas, each method's numbers and errors, the verdict).
"""

from __future__ import annotations

import inspect
import numbers
from typing import Callable, Mapping

from diffcompare import present
from diffcompare.check import user_engine, user_graph
from diffcompare.compare import METHODS, Comparison, compare
from diffcompare.gradients import GradientCheck, check_gradients
from diffcompare.language.errors import InputError
from diffcompare.language.expression import Expression
from diffcompare.language.parse import parse
from diffcompare.language.trace import trace


def assert_gradients_agree(f: str | Callable | Expression, /, *inputs,
                           at: Mapping[str, float] | None = None,
                           engine: type | str | None = None,
                           rtol: float | None = None, atol: float | None = None,
                           **point) -> Comparison | GradientCheck:
    """Compare f's value and gradient at the point by every method; fail unless they agree.

    ``f`` is an expression string (``"x**2*sin(y)"``), or a Python function of the
    variables, written with operators and ``diffcompare.functions`` (or micrograd-style
    methods such as ``x.tanh()``). The point is a mapping, ``at={"x": 1.0}`` (also
    positional: ``assert_gradients_agree(f, {"x": 1.0})``), or keywords, ``x=1.0``; a
    variable named like an option (``at``, ``engine``, ``rtol``, ``atol``) must go in the
    mapping.
    ``engine``: your own Value class (or "path/engine.py:Value"), compared as well; it
    runs in a process of its own. ``rtol`` and ``atol`` hold every
    method to |estimate - exact| <= atol + rtol·|exact| instead of its own error bound,
    as in ``torch.autograd.gradcheck``. Returns the ``Comparison`` when the methods agree.

    With positional ``inputs`` (numpy arrays, numbers, float64 torch tensors), ``f`` is
    a function on arrays and this is ``check_gradients(f, *inputs, **options)`` (grad=,
    rtol=, atol=, scheme=, directions=): it returns the ``GradientCheck``, or fails with
    the pattern and the worst entries as a table. Arrays given by keyword
    (``x=np.array(...)``) are taken the same way, in the order of f's parameters.

    >>> assert_gradients_agree("x*exp(-x)", {"x": 0.1}, rtol=1e-6).agree
    True

    Raises ``AssertionError`` (the side-by-side table) when the methods disagree, and
    ``InputError`` for a point given twice or not as a mapping.
    """
    __tracebackhide__ = True
    if len(inputs) == 1 and isinstance(inputs[0], Mapping):
        if at is not None:
            raise InputError("give the point once: positionally or as at={...}")
        at, inputs = inputs[0], ()
    if not inputs and callable(f) and any(hasattr(v, "shape") for v in point.values()):
        inputs, point = _inputs_by_keyword(f, point)
    if inputs:
        tolerances = {name: value for name, value in (("rtol", rtol), ("atol", atol))
                      if value is not None}
        return _assert_arrays(f, inputs, {**point, **tolerances})
    if at is not None and point:
        raise InputError("give the point either as a mapping (at={...}) or as keywords "
                         "(x=1.0), not both")
    if at is not None and not isinstance(at, Mapping):
        raise InputError(f"the point must be a mapping such as {{\"x\": 1.0}}, "
                         f"not {type(at).__name__}")
    point = dict(at) if at is not None else point
    expression = _expression(f, point)
    methods = None
    if engine is not None:
        found = user_engine.load(engine)  # run apart, in a process of its own
        methods = {**METHODS, found.name: user_graph.method(found)}
    comparison = compare(expression, at=_exact_point(point), methods=methods, rtol=rtol,
                         atol=atol)
    if not comparison.agree:
        headline = {"disagree": "the methods do not agree",
                    "kink": "f has no derivative here (a kink): the methods cannot agree on one",
                    "undefined": "f or a derivative is not defined here"}.get(
            comparison.verdict.status, "the methods do not agree")
        raise AssertionError(headline + "\n\n" + present.report(comparison))
    return comparison


def _assert_arrays(f, inputs, options):
    __tracebackhide__ = True
    from diffcompare import gradient_table

    check = check_gradients(f, *inputs, **options)
    if not check.ok:
        raise AssertionError(gradient_table.report(check))
    return check


def _inputs_by_keyword(f: Callable, point: dict) -> tuple[tuple, dict]:
    """The values of f's parameters, in order, and the rest (check_gradients' options)."""
    order = [name for name in inspect.signature(f).parameters if name in point]
    return tuple(point[name] for name in order), {k: v for k, v in point.items()
                                                  if k not in order}


def _expression(f, point: Mapping[str, float]) -> Expression:
    if isinstance(f, Expression):
        return f
    if isinstance(f, str):
        return parse(f)
    if not callable(f):
        raise InputError(f"f must be an expression string or a function, "
                         f"not {type(f).__name__}")
    _check_arguments(f, point)
    return trace(f, list(point))


def _check_arguments(f: Callable, point: Mapping[str, float]) -> None:
    try:
        parameters = inspect.signature(f).parameters.values()
    except (TypeError, ValueError):
        return  # a builtin or C function: let the call say what is wrong
    required = [p.name for p in parameters if p.default is p.empty
                and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    missing = [name for name in required if name not in point]
    if missing:
        example = ", ".join(f"{name}=1.0" for name in missing)
        raise InputError(f"{getattr(f, '__name__', 'f')} takes {', '.join(missing)} but "
                         f"no value was given; add e.g. {example}")


def _exact_point(point: Mapping[str, float]) -> dict[str, str]:
    # The decimal a float prints as (0.1, not its binary expansion): the point the user wrote.
    for name, value in point.items():
        if isinstance(value, numbers.Complex) and not isinstance(value, numbers.Real):
            raise InputError(f"{name}={value!r} is complex: diffcompare checks real functions "
                             "at real points")
    return {name: repr(float(value)) if not isinstance(value, (int, str)) else str(value)
            for name, value in point.items()}
