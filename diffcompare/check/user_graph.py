"""Our expression trees, built with a user's ``Value`` class: the user's engine run.

``run`` interprets one of our trees with the user's class, the way
``autograd.build_graph`` does with ours: constants stay plain floats, so ``2 - x`` calls
the user's ``__rsub__`` exactly as Python code would. Each run is bounded in time, and
whatever the user's code raises is caught and described, never re-raised: an engine
that hangs or crashes is a finding, not a crash of ours. ``method`` makes the user's
engine one more column of ``compare.compare``.
"""

from __future__ import annotations

import contextlib
import io
import math
import time
from collections import Counter
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Mapping

from diffcompare.check.user_engine import (
    DEFAULT_TIMEOUT,
    EngineTimeout,
    describe,
    name_of,
    time_limit,
    user_frames,
)
from diffcompare.language.expression import Call, Const, Expression, Var
from diffcompare.language.primitives import PRIMITIVES
from diffcompare.methods import autograd
from diffcompare.methods.results import Cost, Derivatives

# Graphs larger than this are not counted node by node (only for the cost line).
_MAX_COUNTED_NODES = 1_000_000


# ---- what went wrong ----


@dataclass(frozen=True)
class Failure:
    """Why a run of the user's engine gave no numbers.

    ``kind`` is "unsupported" (the class lacks the operation), "exception" (the user's
    code raised), "timeout", or "bad result" (a grad or data that is not a number).
    ``operation`` is the operation being built when it happened, in the form of
    ``FORMS`` (e.g. "2 - x"), or "backward()".
    """

    kind: str
    operation: str
    message: str
    exception: str = ""  # the exception's type name
    where: str = ""  # "engine.py:57 in build_topo": the innermost frame of the user's code
    recursing: str = ""  # for a RecursionError: the user's function that calls itself

    def __str__(self) -> str:
        return self.message


def _failure(error: BaseException, operation: str) -> Failure:
    if isinstance(error, EngineTimeout):
        return Failure("timeout", operation, f"{operation} {error}", "timeout")
    frames = user_frames(error)
    where = ""
    if frames:
        last = frames[-1]
        where = f"{Path(last.filename).name}:{last.lineno} in {last.name}"
    recursing = ""
    if isinstance(error, RecursionError) and frames:
        (name, count), = Counter(frame.name for frame in frames).most_common(1)
        recursing = name if count > 1 else ""
    located = f" ({where})" if where else ""
    return Failure("exception", operation, f"{operation} raised {describe(error)}{located}",
                   type(error).__name__, where, recursing)


# ---- the operations, as a user's code spells them ----

# Each operation an expression can ask of the user's class, named by its form: an
# operator between two values, a value and a number, a number and a value (Python then
# calls the reflected method, e.g. __rsub__), or a method call. Read from the rows'
# spellings (``symbol``, ``dunder``, ``method``), live: a row added is a form at once.


def _forms() -> dict[str, str]:
    forms: dict[str, str] = {}
    for name, primitive in PRIMITIVES.items():
        if not primitive.spelled:
            continue
        if primitive.symbol and primitive.arity == 2:
            symbol = primitive.symbol
            forms[name] = f"x {symbol} y"
            forms[f"{name} number"] = f"x {symbol} 2"
            forms[f"r{name}"] = f"2 {symbol} x"
        elif primitive.symbol:
            forms[name] = f"{primitive.symbol}x"
        else:  # a method: its number operands are the user's values (max(2, x))
            forms[name] = f"{name}({', '.join('xyz'[:primitive.arity])})"
    return forms


class _Forms(Mapping):
    """operation key -> its form ("rsub" -> "2 - x"), for every spelled row of the table."""

    def __getitem__(self, key: str) -> str:
        return _forms()[key]

    def __iter__(self):
        return iter(_forms())

    def __len__(self) -> int:
        return len(_forms())


FORMS: Mapping[str, str] = _Forms()


def _reflected(key: str) -> str | None:
    """"rsub" -> "sub": the primitive of a form with the number on the left."""
    name = key[1:]
    if key.startswith("r") and name in PRIMITIVES and PRIMITIVES[name].arity == 2:
        return name
    return None


def operation(primitive_name: str, numbers: tuple[bool, ...]) -> str:
    """The operation key for a primitive whose arguments are (or are not) plain numbers."""
    if len(numbers) == 1:
        return primitive_name
    left_number, right_number = numbers
    if right_number:
        return f"{primitive_name} number"
    if left_number:
        return f"r{primitive_name}"
    return primitive_name


def base_operation(key: str) -> str:
    """The operation without its operand kinds: "rsub" and "sub number" are "sub"."""
    key = key.removesuffix(" number")
    return _reflected(key) or key


def operations(expression: Expression) -> tuple[str, ...]:
    """The operations the user's class must support to run ``expression``, in order."""
    is_number: dict[int, bool] = {}
    found: dict[str, None] = {}
    for node in expression.nodes:
        if isinstance(node, Call):
            numbers = tuple(is_number[id(arg)] for arg in node.args)
            is_number[id(node)] = all(numbers)
            if not all(numbers):
                found.setdefault(operation(node.primitive.name, numbers), None)
        else:
            is_number[id(node)] = isinstance(node, Const)
    return tuple(found)


class _Unsupported(Exception):
    def __init__(self, operation: str, reason: str):
        super().__init__(reason)
        self.operation = operation
        self.reason = reason


class _EngineError(Exception):
    def __init__(self, operation: str, error: BaseException):
        super().__init__(str(error))
        self.operation = operation
        self.error = error


def _apply(primitive, args: list, key: str):
    """The operation as the user's code spells it: Python's operator (so ``2 - x`` calls
    ``__rsub__``), or the method (``x.tanh()``, ``x.max(y)``)."""
    if primitive.operator is not None:
        return primitive.operator(*args)
    if not primitive.spelled:
        raise _Unsupported(key, f"{primitive.name} has no spelling for a micrograd-style "
                                "engine (no operator, no method)")
    target = args[0]
    if isinstance(target, float):  # max(2, x): the number becomes one of the user's values
        target = type(next(arg for arg in args if not isinstance(arg, float)))(target)
    method = getattr(target, primitive.method, None) if primitive.method else None
    if not callable(method) and primitive.dunder and hasattr(type(target), primitive.dunder):
        return getattr(type(target), primitive.dunder)(target, *args[1:])
    if not callable(method):
        raise _Unsupported(key, f"the class has no {primitive.method or primitive.name}() "
                                "method")
    return method(*args[1:])


def unsupported_reason(key: str, error: BaseException) -> str | None:
    """Why ``error``, raised by the forward pass of operation ``key``, means "not
    supported"; None when it is a failure instead.

    The ways Python code says "not supported": no method for the operator (TypeError:
    unsupported operand), ``assert`` or ``NotImplementedError``, and, for an operand
    that is a plain number, not accepting plain numbers at all.
    """
    message = describe(error)
    if isinstance(error, TypeError) and "unsupported operand" in str(error):
        dunder = _dunder(key)
        return f"no {dunder} ({message})" if dunder else message
    if isinstance(error, (AssertionError, NotImplementedError)):
        return message
    if _has_number(key) and isinstance(error, (TypeError, AttributeError)):
        return f"it does not accept a plain number ({message})"
    return None


def _has_number(key: str) -> bool:
    return key.endswith(" number") or _reflected(key) is not None


def _dunder(key: str) -> str:
    """The method Python calls for the operation, e.g. __rsub__ for 2 - x."""
    reflected = _reflected(key)
    if reflected is not None:
        return PRIMITIVES[reflected].dunder.replace("__", "__r", 1)
    primitive = PRIMITIVES.get(key.removesuffix(" number"))
    return primitive.dunder if primitive is not None else ""


def _build(cls: type, expression: Expression, leaves: Mapping[str, object]):
    values: dict[int, object] = {}
    for node in expression.nodes:
        if isinstance(node, Const):
            values[id(node)] = node.value
        elif isinstance(node, Var):
            values[id(node)] = leaves[node.name]
        else:
            args = [values[id(arg)] for arg in node.args]
            numbers = tuple(isinstance(arg, float) for arg in args)
            if all(numbers):
                values[id(node)] = node.primitive.evaluate(*args)
                continue
            key = operation(node.primitive.name, numbers)
            try:
                values[id(node)] = _apply(node.primitive, args, key)
            except _Unsupported:
                raise
            except (Exception, SystemExit) as error:
                reason = unsupported_reason(key, error)
                if reason is not None:
                    raise _Unsupported(key, reason) from None
                raise _EngineError(FORMS.get(key, key), error) from error
    return values[id(expression.output)]


# ---- one run: build, backward, read the numbers ----


@dataclass(frozen=True)
class Run:
    """What the user's engine gave for one expression at one point.

    ``gradients`` has one mapping per ``backward()`` call the run made (see ``run``).
    A ``None`` number means there is none; ``failure`` says why.
    """

    value: float | None
    gradients: tuple[Mapping[str, float | None], ...]
    failure: Failure | None
    seconds: float
    nodes: int | None = None
    unsupported: tuple[str, ...] = field(default=())  # operation keys the class lacks

    @property
    def gradient(self) -> Mapping[str, float | None]:
        return self.gradients[-1] if self.gradients else {}


# How a run calls backward(): once; twice on the same graph (grads should add up, as
# in micrograd and PyTorch); once, then zero the leaves' grads, build the graph again
# on the same leaves and call backward() on the new graph (a training loop's step); or
# not at all ("forward": only build the graph, to see which operations exist).
MODES = ("once", "twice", "fresh", "forward")
_BACKWARD_CALLS = {"once": 1, "twice": 2, "fresh": 2, "forward": 0}


def run(cls: type, expression: Expression, point: Mapping[str, Fraction | float],
        mode: str = "once", timeout: float | None = DEFAULT_TIMEOUT,
        count_nodes: bool = False) -> Run:
    """Build ``expression`` with the user's class at ``point`` and call ``backward()``."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}")
    names = expression.variables
    start = time.perf_counter()
    value, gradients, nodes = None, [], None
    phase = "building the graph"
    try:
        with time_limit(timeout), contextlib.redirect_stdout(io.StringIO()):
            phase = "creating the leaves"
            leaves = {name: cls(float(point[name])) for name in names}
            phase = "building the graph"
            out = _build(cls, expression, leaves)
            if isinstance(out, float):  # no variable in the expression: a constant
                out = cls(out)
            value = _number(out, "data", "the output")
            for call in range(_BACKWARD_CALLS[mode]):
                if call == 1 and mode == "fresh":
                    for leaf in leaves.values():
                        leaf.grad = 0.0
                    phase = "building the graph again"
                    out = _build(cls, expression, leaves)
                    out = cls(out) if isinstance(out, float) else out
                phase = "backward()" if call == 0 else "the second backward()"
                out.backward()
                gradients.append({name: _number(leaf, "grad", name) for name, leaf in leaves.items()})
            if count_nodes:
                nodes = _count_nodes(out)
    except _Unsupported as error:
        failure = Failure("unsupported", FORMS.get(error.operation, error.operation),
                          f"{FORMS.get(error.operation, error.operation)} is not supported: "
                          f"{error.reason}")
        return Run(None, (), failure, time.perf_counter() - start,
                   unsupported=(error.operation,))
    except _EngineError as error:
        return Run(None, (), _failure(error.error, error.operation),
                   time.perf_counter() - start)
    except _BadNumber as error:
        return Run(value, tuple(gradients), Failure("bad result", phase, str(error)),
                   time.perf_counter() - start)
    except (Exception, SystemExit, EngineTimeout) as error:
        return Run(value, tuple(gradients), _failure(error, phase), time.perf_counter() - start)
    return Run(value, tuple(gradients), None, time.perf_counter() - start, nodes)


class _BadNumber(Exception):
    pass


def _number(node, attribute: str, what: str) -> float:
    if not hasattr(node, attribute):
        raise _BadNumber(f"{what} has no .{attribute}")
    number = getattr(node, attribute)
    if number is None:
        raise _BadNumber(f"{what}.{attribute} is None; initialise it to 0.0 in __init__")
    try:
        return float(number)
    except (TypeError, ValueError):
        raise _BadNumber(f"{what}.{attribute} is not a number but a "
                         f"{type(number).__name__}: {number!r:.60}") from None


def _count_nodes(root) -> int | None:
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if len(seen) > _MAX_COUNTED_NODES:
            return None
        stack.extend(getattr(node, "_prev", ()) or ())
    return len(seen)


# ---- the user's engine as a method of the comparison ----


def method(cls: type, timeout: float | None = DEFAULT_TIMEOUT):
    """A method for ``compare.compare(methods=...)``: the user's engine over the tree."""
    label = name_of(cls)

    def differentiate(expression: Expression, point: Mapping[str, Fraction]) -> Derivatives:
        result = run(cls, expression, point, timeout=timeout, count_nodes=True)
        quantities = ("value", *expression.variables)
        reasons = {}
        numbers = {"value": result.value, **result.gradient}
        for quantity in quantities:
            number = numbers.get(quantity)
            if number is None:
                reasons[quantity] = str(result.failure) if result.failure else "no number"
            elif not math.isfinite(number):
                reasons[quantity] = "the engine gave NaN" if math.isnan(number) \
                    else "the engine gave infinity"
        return Derivatives(
            method=label,
            value=_finite_or_none(result.value),
            gradient={name: _finite_or_none(result.gradient.get(name))
                      for name in expression.variables},
            cost=Cost(evaluations=1, seconds=result.seconds, size=result.nodes),
            reasons=reasons,
            # held to what floats allow a correct reverse pass of this expression
            error_bounds=autograd.rounding_bounds_at(expression, point),
            # an operation the class lacks is not a wrong answer: compare leaves it unjudged
            details={"unsupported": tuple(result.unsupported)} if result.unsupported else {},
        )

    differentiate.__name__ = "differentiate_with_" + cls.__name__
    return differentiate


def _finite_or_none(number: float | None) -> float | None:
    return number if number is not None and math.isfinite(number) else None
