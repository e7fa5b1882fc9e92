"""Limits on what an expression may cost: documented, configurable, each refused by name.

Every limit has a name; the refusal names it and says how to raise it
(``--limit NAME=N`` on the command line, ``Limits(NAME=N)`` from Python).

==============  =========  ================================================================
name            default    what it bounds
==============  =========  ================================================================
length          100000     characters of input
nodes           20000      numbers, names, operators and calls, as written
depth           200        nesting depth; a chain of ``+ -`` (or of ``* /``) is one level
digits          1000       digits of one number, in the expression or in ``--at``
exponent        10000      magnitude of a constant exponent, as in ``x**10000``
exact_digits    100000     digits of the largest exact number sympy would compute
memory          2048       MiB the symbolic process may use beyond what it starts with
work            100000000  node evaluations of the whole run, estimated before any method
                           starts: nodes × the passes over the expression each method
                           makes (``registry.Method.evaluations``: central differences
                           1 + 4 per variable, forward mode 1 per variable, autograd 2).
                           A 3,000-term sum of 3,000 variables is 90,000,000; the
                           quotient chain x0/x1/…/x1999 40,000,000
==============  =========  ================================================================

Why these bound what they bound: our own code never recurses on the expression, so
length and node count bound its time and memory, and work bounds every method
(finite differences and forward mode grow with nodes × variables; at the limit the whole
run takes some seconds). sympy does recurse (Python's parser does
too), so depth keeps it well inside Python's recursion limit; Python's parser refuses more
than 200 nested parentheses itself. sympy computes with exact rationals: ``10**10**10``
or ``x**y`` at ``y=1e9`` would ask it for numbers with billions of digits, so the size of
every exact number it would compute is estimated first, without computing it
(``exact_call``). What slips through is stopped by the symbolic time budget.
"""

from __future__ import annotations

import math
import sys
import threading
from contextlib import contextmanager
from dataclasses import dataclass, fields, replace
from fractions import Fraction
from typing import Mapping, Sequence

from diffcompare.language.errors import InputError
from diffcompare.language.primitives import PRIMITIVES


@dataclass(frozen=True)
class Limits:
    """The limits, with their defaults. ``Limits(depth=500)`` raises one of them.

    >>> Limits().depth
    200
    >>> Limits.from_spec("depth=500, nodes=1e5").nodes
    100000
    """

    length: int = 100_000
    nodes: int = 20_000
    depth: int = 200
    digits: int = 1_000
    exponent: int = 10_000
    exact_digits: int = 100_000
    memory: int = 2048
    work: int = 100_000_000

    def __post_init__(self):
        for item in fields(self):
            value = getattr(self, item.name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise InputError(f"the limit {item.name} must be a positive whole number, "
                                 f"not {value!r}")

    @classmethod
    def from_spec(cls, spec: str | Sequence[str], base: "Limits | None" = None) -> "Limits":
        """Limits from ``"depth=500,nodes=100000"`` (or several such strings)."""
        base = base or cls()
        texts = [spec] if isinstance(spec, str) else list(spec)
        changes: dict[str, int] = {}
        names = [item.name for item in fields(cls)]
        for text in texts:
            for item in text.split(","):
                if not item.strip():
                    continue
                name, equals, number = (part.strip() for part in item.partition("="))
                if not equals or name not in names:
                    raise InputError(f"--limit expects NAME=N with NAME one of "
                                     f"{', '.join(names)}; not {item.strip()!r}")
                changes[name] = _whole_number(number, name)
        return replace(base, **changes)


DEFAULT = Limits()

# The largest value --limit takes: far beyond what any limit could need, and small
# enough to stay exact through the float the text is read as.
LARGEST_LIMIT = 10**18


def _whole_number(text: str, name: str) -> int:
    try:
        number = float(text.replace("_", ""))
    except ValueError:
        number = math.nan
    if not math.isfinite(number) or number < 1 or number != int(number):
        raise InputError(f"--limit {name}={text!r}: give a whole number of at least 1")
    if number > LARGEST_LIMIT:
        raise InputError(f"--limit {name}={text!r} is too large: give a whole number of "
                         f"at most {LARGEST_LIMIT:.0e} (any limit that high is no limit)")
    return int(number)


class LimitExceeded(InputError):
    """An input beyond one of the ``Limits``; ``limit`` is the limit's name."""

    def __init__(self, what: str, limit: str, value: int, text: str | None = None,
                 line: int = 1, column: int = 0, end_column: int | None = None):
        self.limit = limit
        super().__init__(f"{what}: the limit is {value} (raise it with --limit {limit}=N)",
                         text, line, column, end_column)

    def at(self, text: str, line: int, column: int, end_column: int | None) -> "LimitExceeded":
        """The same refusal, pointing at a place in the text."""
        error = LimitExceeded.__new__(LimitExceeded)
        error.limit = self.limit
        InputError.__init__(error, self.message, text, line, column, end_column)
        return error


def refuse(what: str, limit: str, limits: Limits) -> LimitExceeded:
    return LimitExceeded(what, limit, getattr(limits, limit))


@contextmanager
def integer_digits(digits: int):
    """Let Python convert integers of up to ``digits`` digits (its own limit is 4300)."""
    get = getattr(sys, "get_int_max_str_digits", None)
    old = get() if get else 0
    if old == 0 or old >= digits:
        yield
        return
    sys.set_int_max_str_digits(digits)
    try:
        yield
    finally:
        sys.set_int_max_str_digits(old)


# The limit is process-wide: calls in several threads (batch) raise it as high as any of
# them needs, and the last one out puts back what the caller had (each saving and
# restoring its own would leave a raised limit behind when they overlap).
_limit_lock = threading.Lock()
_raised = {"holders": 0, "caller's": 0}


@contextmanager
def recursion_limit(limit: int):
    """Let Python recurse at least ``limit`` deep (for code that recurses: Python's
    parser, sympy), and restore the caller's limit when the last such call ends."""
    with _limit_lock:
        if _raised["holders"] == 0:
            _raised["caller's"] = sys.getrecursionlimit()
        if limit > sys.getrecursionlimit():  # never set while another holds it, unless
            sys.setrecursionlimit(limit)     # raised: CPython's AST checks would object
        _raised["holders"] += 1
    try:
        yield
    finally:
        with _limit_lock:
            _raised["holders"] -= 1
            if _raised["holders"] == 0:
                sys.setrecursionlimit(_raised["caller's"])


def check_work(expression, limits: Limits, passes: Mapping[str, int]) -> None:
    """Refuse, before any of them starts, methods whose work would pass ``limits.work``.

    ``passes`` maps each method's name (as people read it) to the passes over the whole
    expression it makes; the work is nodes × the passes of all methods together, and the
    refusal names the costliest method and the limit to raise.
    """
    work = expression.size * sum(passes.values())
    if work > limits.work:
        costliest = max(passes, key=passes.get)
        raise refuse(f"the expression has {len(expression.variables)} variables and "
                     f"{expression.size} nodes: {work:.2e} node evaluations, "
                     f"{expression.size * passes[costliest]:.2e} of them for "
                     f"{costliest} ({passes[costliest]} passes)", "work", limits)


# ---- nesting depth ----



def _family(name: str | None) -> str:
    """The row's family: a chain of one family counts as one level, since sympy flattens
    it (Add and Mul are n-ary)."""
    primitive = PRIMITIVES.get(name) if name is not None else None
    return primitive.family if primitive is not None else ""


def call_depth(name: str, children: Sequence[tuple[str | None, int]]) -> int:
    """The depth of a call of primitive ``name`` whose children are (primitive name or
    None for a leaf, depth) pairs. Leaves have depth 0.

    >>> call_depth("add", [("add", 1), (None, 0)])   # (x + y) + z: still one level
    1
    >>> call_depth("sin", [("add", 1)])
    2
    """
    family = _family(name)
    deepest = 0
    for child_name, depth in children:
        same = family != "" and _family(child_name) == family
        deepest = max(deepest, depth if same else depth + 1)
    return deepest


# ---- the size of exact numbers ----

_BITS_PER_DIGIT = math.log2(10)


@dataclass(frozen=True)
class Exact:
    """What sympy's exact arithmetic makes of one node, estimated without sympy.

    ``bits`` bounds the size (in bits) of the exact numbers sympy builds for this node;
    None means unknown (it depends on a variable whose value is not known yet).
    ``value`` is the exact rational value when it is known and rational, ``number`` the
    float value when known, ``constant`` whether the node involves no variable.
    """

    bits: int | None
    value: Fraction | None = None
    number: float | None = None
    constant: bool = False


_IRRATIONAL_CONSTANT_BITS = 2  # pi and e: symbols to sympy, no digits of their own


def bits_of(value: Fraction) -> int:
    return max(value.numerator.bit_length(), value.denominator.bit_length(), 1)


def exact_number(value: Fraction, constant: bool) -> Exact:
    """A literal (constant) or a coordinate of the point (not constant)."""
    return Exact(bits_of(value), value, _to_float(value), constant)


def exact_constant(number: float) -> Exact:
    """A named irrational constant (pi, e)."""
    return Exact(_IRRATIONAL_CONSTANT_BITS, None, number, True)


def exact_call(primitive, args: Sequence[Exact], limits: Limits) -> Exact:
    """The ``Exact`` of a call, or ``LimitExceeded`` when its numbers would be too large.

    Checks the exponent limit for constant exponents, and the exact_digits limit for the
    exact numbers the call would create.
    """
    name = primitive.name
    constant = all(arg.constant for arg in args)
    if name == "pow":
        _check_exponent(args[1], limits)
    if any(arg.bits is None for arg in args):
        return Exact(None, constant=constant)
    number = _float_call(primitive, args)
    max_bits = limits.exact_digits * _BITS_PER_DIGIT
    if name == "pow":
        bits, value = _power(args[0], args[1], max_bits)
    else:
        bits, value = _exact(primitive, args)
    if bits > max_bits:
        digits = _digits_text(bits)
        raise refuse(f"this needs an exact number of about {digits} digits",
                     "exact_digits", limits)
    return Exact(bits, value, number, constant)


def check_exact(expression, point: Mapping[str, Fraction], limits: Limits) -> None:
    """Raise ``LimitExceeded`` when sympy would need too large exact numbers at ``point``."""
    from diffcompare.language.expression import Call, Var

    info: dict[int, Exact] = {}
    for node in expression.nodes:
        if isinstance(node, Call):
            info[id(node)] = exact_call(node.primitive, [info[id(arg)] for arg in node.args],
                                        limits)
        elif isinstance(node, Var):
            info[id(node)] = exact_number(point[node.name], constant=False)
        elif isinstance(node.exact, str):
            info[id(node)] = exact_constant(node.value)
        else:
            info[id(node)] = exact_number(node.exact, constant=True)


def _check_exponent(exponent: Exact, limits: Limits) -> None:
    if not exponent.constant:
        return
    if exponent.value is not None:
        size = max(abs(exponent.value.numerator), exponent.value.denominator)
        if size > limits.exponent:
            raise refuse(f"the exponent {_show(exponent.value)} is too large", "exponent",
                         limits)
    elif exponent.number is None or abs(exponent.number) > limits.exponent:
        shown = "beyond the float range" if exponent.number is None else \
            f"about {exponent.number:.3g}"
        raise refuse(f"the exponent ({shown}) is too large", "exponent", limits)


def _power(base: Exact, exponent: Exact, max_bits: float) -> tuple[int, Fraction | None]:
    if exponent.value is not None:
        multiplier = abs(exponent.value)
    elif exponent.number is not None:
        # Irrational to us; sympy may still find it rational (exp(log(y)) is y).
        multiplier = abs(exponent.number)
    else:
        # Beyond floats and irrational (exp(exp(y))): sympy leaves the power unevaluated.
        return max(base.bits, exponent.bits), None
    bits = base.bits * max(1, math.ceil(multiplier)) + exponent.bits
    if bits > max_bits:
        return bits, None  # refused by the caller; never computed
    value = None
    if (base.value is not None and exponent.value is not None
            and exponent.value.denominator == 1 and not (base.value == 0 and exponent.value < 0)):
        value = base.value ** int(exponent.value)
        bits = bits_of(value)
    return bits, value


def _exact(primitive, args: Sequence[Exact]) -> tuple[int, Fraction | None]:
    """The exact value sympy computes from exact rational arguments, where the row's
    ``exact_value`` (its special values) knows one, and a bound on its size in bits."""
    values = [arg.value for arg in args]
    value = None
    if primitive.exact_value is not None and None not in values:
        value = primitive.exact_value(*values)
    if value is not None:
        return max(bits_of(value), *(arg.bits for arg in args)), value
    # Not rational, or not known: sympy keeps the operands of a sum apart and multiplies
    # out the rational parts of a product; a function keeps its argument's size.
    if primitive.family == "product" and len(args) == 2:
        return args[0].bits + args[1].bits, None
    if len(args) == 1:
        return args[0].bits, None
    return max(arg.bits for arg in args) + 1, None


def _float_call(primitive, args: Sequence[Exact]) -> float | None:
    if any(arg.number is None for arg in args):
        return None
    try:
        number = primitive.evaluate(*(arg.number for arg in args))
    except (ArithmeticError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _to_float(value: Fraction) -> float | None:
    try:
        return float(value)
    except OverflowError:
        return None


def _digits_text(bits: int) -> str:
    digits = bits / _BITS_PER_DIGIT
    return f"{digits:.0f}" if digits < 1e6 else f"{digits:.1e}"


def _show(value: Fraction) -> str:
    if bits_of(value) <= 64:
        return str(value)
    return f"of about {_digits_text(bits_of(value))} digits"
