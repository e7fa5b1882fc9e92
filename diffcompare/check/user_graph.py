"""Our expression trees, built with a user's ``Value`` class: the user's engine run.

``run`` sends one of our trees to the engine's own process (``isolation``), where
``child.build`` interprets it with the user's class the way ``autograd.build_graph``
does with ours: constants stay plain numbers, so ``2 - x`` calls the user's
``__rsub__`` exactly as Python code would. Each run is bounded in time by the parent,
and whatever the user's code does is described, never re-raised: an engine that hangs,
crashes or ends its process is a finding, not a crash of ours. ``method`` makes the user's
engine one more column of ``compare.compare``.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Mapping

from diffcompare.check.child import unsupported_reason  # noqa: F401 - part of this API
from diffcompare.check.isolation import ChildLost, EngineProcess
from diffcompare.check.user_engine import DEFAULT_TIMEOUT, check_shape, resolve
from diffcompare.language.expression import Call, Const, Expression, Var
from diffcompare.language.primitives import PRIMITIVES, Primitive
from diffcompare.methods import autograd
from diffcompare.methods.results import Cost, Derivatives

# ---- what went wrong ----


@dataclass(frozen=True)
class Failure:
    """Why a run of the user's engine gave no numbers.

    ``kind`` is "unsupported" (the class lacks the operation), "exception" (the user's
    code raised), "timeout", "died" (the engine's process ended, or printed past the
    output limit), or "bad result" (a grad or data that is not a number).
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
    if len(numbers) != 2:  # one argument, or where's three: no reflected form
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


def run(process: EngineProcess, expression: Expression, point: Mapping[str, Fraction | float],
        mode: str = "once", timeout: float | None = DEFAULT_TIMEOUT,
        count_nodes: bool = False) -> Run:
    """Build ``expression`` with the user's class at ``point`` and call ``backward()``,
    in the engine's own process. A process that dies or stays silent is a failure
    naming the cause, never a pass."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}")
    start = time.perf_counter()
    request = {"run": encode(expression), "mode": mode, "count_nodes": count_nodes,
               "point": {name: float(point[name]) for name in expression.variables}}
    try:
        reply = process.ask(request, timeout, _doing(mode))
    except ChildLost as lost:
        return Run(None, (), Failure(lost.kind if lost.kind == "timeout" else "died",
                                     _doing(mode), str(lost), lost.kind),
                   time.perf_counter() - start)
    failure = reply.get("failure")
    return Run(reply["value"], tuple(reply["gradients"]),
               None if failure is None else Failure(**failure), reply["seconds"],
               reply.get("nodes"), tuple(reply.get("unsupported", ())))


def _doing(mode: str) -> str:
    return "building the graph" if mode == "forward" else "building the graph and backward()"


def encode(expression: Expression) -> list:
    """The tree as the child reads it: ["const", x] | ["var", name] | ["call", name,
    [argument indices], operator symbol or None, spelling], in evaluation order, with
    subtrees of plain numbers folded into constants (as Python would compute them before
    the user's class sees them). ``spelling`` is the row's spelling columns for the
    child, which holds no table: {"dunder", "method", "form"}, or None for a primitive a
    micrograd-style engine cannot spell (``where``, a comparison). A whole-number
    constant written without a point (``x**3``) is sent as an int."""
    index: dict[int, int] = {}
    numbers: dict[int, float] = {}
    nodes: list = []
    forms = _forms()  # read once: a deep chain asks for thousands
    for node in expression.nodes:
        if isinstance(node, Const):
            numbers[id(node)] = _written(node)
            continue
        if isinstance(node, Var):
            index[id(node)] = len(nodes)
            nodes.append(["var", node.name])
            continue
        if all(id(arg) in numbers for arg in node.args):
            folded = [numbers[id(arg)] for arg in node.args]
            number = node.primitive.evaluate(*(float(arg) for arg in folded))
            whole = node.primitive.name in _WHOLE_CLOSED and all(type(a) is int for a in folded)
            numbers[id(node)] = int(number) if whole and number.is_integer() else number
            continue
        arguments = []
        for arg in node.args:
            if id(arg) in numbers:
                index[id(arg)] = len(nodes)
                nodes.append(["const", numbers[id(arg)]])
            arguments.append(index[id(arg)])
        index[id(node)] = len(nodes)
        key = operation(node.primitive.name, tuple(id(arg) in numbers for arg in node.args))
        nodes.append(["call", node.primitive.name, arguments, _symbol(node.primitive),
                      _spelling(node.primitive, key, forms)])
    if id(expression.output) in numbers:
        nodes.append(["const", float(numbers[id(expression.output)])])
    return nodes


# Operations that keep whole numbers whole, as Python's int arithmetic does: -2 is an int.
_WHOLE_CLOSED = ("neg", "add", "sub", "mul")


def _symbol(primitive: Primitive) -> str | None:
    """The operator that spells a primitive in Python (the row's ``symbol``: "-" for sub
    and neg), or None for a method (``x.tanh()``): the child applies what it is told."""
    return primitive.symbol if primitive.operator is not None else None


def _spelling(primitive: Primitive, key: str, forms: Mapping[str, str]) -> dict | None:
    """The row's spelling columns for operation ``key``, and the form a failure names."""
    if not primitive.spelled:
        return None
    form = forms.get(key) or forms.get(base_operation(key), key)
    return {"dunder": primitive.dunder, "method": primitive.method, "form": form}


def _written(const: Const):
    is_whole = const.text.isdigit() and isinstance(const.exact, Fraction)
    return int(const.exact) if is_whole else const.value


# ---- the user's engine as a method of the comparison ----


def method(engine, timeout: float | None = DEFAULT_TIMEOUT):
    """A method for ``compare.compare(methods=...)``: the user's engine over the tree,
    run in a process of its own (``engine``: a spec, a class or an ``Engine``). Raises
    ``InputError`` when the class does not load or does not look like a Value."""
    found = resolve(engine)
    label = found.name
    check_shape(found, timeout)

    def differentiate(expression: Expression, point: Mapping[str, Fraction]) -> Derivatives:
        with found.process() as process:
            result = run(process, expression, point, timeout=timeout, count_nodes=True)
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

    differentiate.__name__ = "differentiate_with_" + found.__name__
    return differentiate


def _finite_or_none(number: float | None) -> float | None:
    return number if number is not None and math.isfinite(number) else None
