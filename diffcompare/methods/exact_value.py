"""The values of sympy formulas at a rational point, to many digits, without sympy's evalf.

sympy's ``evalf(strict=True)`` re-evaluates a nested formula at rising precision from
the inside out, and its time grows exponentially with nesting (``tanh`` applied 14
times: 31 s). Here the formulas are read by a small interpreter over their expression
DAG, each shared subexpression once, and the numbers come from:

- exact rational arithmetic (``Fraction``) wherever the arguments are rational and the
  operation keeps them so: sums, products, integer powers, exact roots, ``Abs``,
  ``sign``, ``Heaviside``, ``Max``/``Min``, and the few exact values sympy itself knows
  (exp(0) = 1, log(1) = 0, sin(0) = tan(0) = tanh(0) = 0, cos(0) = 1). An exact result,
  0 included, needs no precision at all.
- mpmath everywhere else, at escalating precision (``LADDER``): a value is accepted
  when two successive precisions agree to ``digits + GUARD_DIGITS`` significant digits
  (the idea of sympy's own evalf, which raises its working precision until the digits
  settle). Cancellation shows as disagreement and moves one rung up.
- When the value keeps shrinking with the precision up to the last rung, it is rounding
  noise around an exact 0 (``sin(x)**2 + cos(x)**2 - 1``): it is 0, as evalf says
  "could not be distinguished from zero".

Whatever this interpreter cannot decide (a complex intermediate such as log(-1), an
infinity, a division by zero, the sign of a number it cannot tell from 0, a function
outside its table, disagreement to the last rung) gives ``None`` for that formula: the
caller then asks sympy's evalf, which is slow but knows every case.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Callable, Mapping, Sequence

import mpmath
import sympy

# Working precisions in decimal digits. 60 and 80 are the prototype (59-60
# digits agreed on the nested tanh program); then doubling, up to about the 5000
# digits that sympy's evalf was allowed (``symbolic._MAX_WORKING_PRECISION``).
LADDER = (60, 80, 160, 320, 640, 1280, 2560, 5120)

# Digits beyond the requested ones on which two precisions must agree: the accepted
# value is then right to the requested digits even if the lower precision's error was
# a little larger than its agreement shows.
GUARD_DIGITS = 5

# An inexact number closer to 0 than 10**-(digits × this) at the working precision
# cannot have its sign trusted (sign, Heaviside, Max decide on it): ask sympy instead.
_SIGN_TRUST = 0.5


class _Unsupported(Exception):
    """This interpreter cannot evaluate the node; the formula goes to sympy's evalf."""


_FAILED = object()  # the value of a node that could not be evaluated, and of its users


def values(formulas: Sequence[sympy.Expr], point: Mapping[sympy.Symbol, Fraction],
           digits: int) -> list[Fraction | mpmath.mpf | None]:
    """Each formula's value at ``point``: a ``Fraction`` when exact (0 included), an
    mpmath number right to ``digits`` significant digits, or None when this interpreter
    cannot tell (the caller uses sympy's evalf then).

    >>> x = sympy.Symbol("x", real=True)
    >>> values([6*x - 4, sympy.tanh(x)], {x: Fraction(3)}, 40)[0]
    Fraction(14, 1)
    """
    program = _Program(formulas, point)
    results: list = [None] * len(formulas)
    open_outputs = []
    for k, position in enumerate(program.outputs):
        exact = program.exact[position]
        if exact is _FAILED:
            continue
        if exact is not None:
            results[k] = exact
        else:
            open_outputs.append(k)
    previous = None
    for rung, precision in enumerate(LADDER):
        if not open_outputs:
            break
        # Past the first rungs only the formulas still open are computed again (a zero by
        # cancellation climbs to the last rung, and the rest of the DAG need not).
        current = program.run(precision, program.needed(program.outputs[k]
                                                        for k in open_outputs))
        still_open = []
        for k in open_outputs:
            value = current[program.outputs[k]]
            if value is _FAILED:
                continue
            before = None if previous is None else previous[program.outputs[k]]
            if before is not None and before is not _FAILED and _agree(before, value, digits):
                results[k] = value
            elif rung == len(LADDER) - 1 and before not in (None, _FAILED) \
                    and _shrinks(before, value, LADDER[-2], precision):
                results[k] = Fraction(0)
            else:
                still_open.append(k)
        open_outputs, previous = still_open, current
    return results


def _agree(before, value, digits: int) -> bool:
    if value == 0:
        return False  # an inexact 0 is all cancellation: go higher
    return abs(value - before) <= abs(value) * mpmath.mpf(10) ** -(digits + GUARD_DIGITS)


def _shrinks(before, value, low: int, high: int) -> bool:
    """Whether the value fell with the precision as rounding noise around 0 does."""
    if value == 0:
        return True
    return abs(value) <= abs(before) * mpmath.mpf(10) ** (-(high - low) / 2)


class _Program:
    """The formulas' DAG in evaluation order, exact values worked out once."""

    def __init__(self, formulas: Sequence[sympy.Expr], point: Mapping[sympy.Symbol, Fraction]):
        self.point = point
        self.position: dict[sympy.Basic, int] = {}
        self.exact: list = []  # Fraction, _FAILED, or None (inexact: computed by ``run``)
        self.arguments: list[tuple[int, ...]] = []
        self.steps: list[tuple[int, Callable, tuple[int, ...], sympy.Basic]] = []
        self.outputs = [self._add(formula) for formula in formulas]

    def _add(self, root: sympy.Basic) -> int:
        # Children before parents, without recursion: nesting is no limit here.
        stack = [(root, False)]
        while stack:
            node, children_done = stack.pop()
            if node in self.position:
                continue
            if not children_done:
                stack.append((node, True))
                stack.extend((arg, False) for arg in reversed(node.args)
                             if arg not in self.position)
                continue
            self._compile(node)
        return self.position[root]

    def _compile(self, node: sympy.Basic) -> None:
        args = tuple(self.position[arg] for arg in node.args)
        exact_args = [self.exact[a] for a in args]
        position = len(self.exact)
        self.position[node] = position
        self.arguments.append(args)
        if any(value is _FAILED for value in exact_args):
            self.exact.append(_FAILED)
            return
        try:
            exact = _exact(node, exact_args, self.point)
        except (_Unsupported, ArithmeticError, ValueError):
            self.exact.append(_FAILED)
            return
        self.exact.append(exact)
        if exact is None:
            rule = _RULES.get(node.func)
            if rule is None and not (node.is_Float or node in _CONSTANTS):
                self.exact[position] = _FAILED
                return
            self.steps.append((position, rule, args, node))

    def needed(self, outputs) -> set[int]:
        """The positions the given outputs depend on."""
        needed: set[int] = set()
        stack = list(outputs)
        while stack:
            position = stack.pop()
            if position not in needed:
                needed.add(position)
                stack.extend(self.arguments[position])
        return needed

    def run(self, precision: int, needed: set[int]) -> list:
        """The value of every ``needed`` node at ``precision`` decimal digits (exact ones
        as Fractions); None for the others."""
        with mpmath.workdps(precision):
            current = [None if e is None or e is _FAILED else e for e in self.exact]
            as_mpf: dict[int, mpmath.mpf] = {}

            def number(position):
                value = current[position]
                if isinstance(value, Fraction):
                    if position not in as_mpf:
                        as_mpf[position] = mpmath.mpf(value.numerator) / value.denominator
                    return as_mpf[position]
                return value

            for position, rule, args, node in self.steps:
                if position not in needed:
                    continue
                arguments = [number(a) for a in args]
                if any(value is _FAILED or value is None for value in arguments):
                    current[position] = _FAILED
                    continue
                current[position] = _run_rule(rule, node, arguments, precision)
            return [_FAILED if self.exact[k] is _FAILED else
                    (self.exact[k] if self.exact[k] is not None else current[k])
                    for k in range(len(current))]


def _run_rule(rule, node, arguments, precision: int):
    try:
        if rule is None and node.is_Float:
            value = mpmath.mpf(node._mpf_)
        elif rule is None:  # pi, e: mpmath's constants, computed at the working precision
            value = +_CONSTANTS[node]
        else:
            value = rule(arguments, precision)
    except (_Unsupported, ArithmeticError, ValueError):
        return _FAILED
    if not isinstance(value, mpmath.mpf) or not mpmath.isfinite(value):
        return _FAILED  # complex (log(-1)), infinite or NaN: sympy names which
    return value


# ---- exact rational rules ----


def _exact(node: sympy.Basic, args: list, point: Mapping[sympy.Symbol, Fraction]):
    """The node's exact rational value, or None when it is not (known to be) rational."""
    if node.is_Rational:
        return Fraction(int(node.p), int(node.q))
    if node.is_Symbol:
        if node not in point:
            raise _Unsupported(f"no value for {node}")
        return Fraction(point[node])
    if any(value is None for value in args):
        return None
    rule = _EXACT_RULES.get(node.func)
    return None if rule is None else rule(*args)


def _power(base: Fraction, exponent: Fraction) -> Fraction | None:
    if exponent.denominator == 1:
        return base ** int(exponent)
    if base < 0:
        return None
    root = _exact_root(base, exponent.denominator)
    return None if root is None else root ** exponent.numerator


def _exact_root(value: Fraction, degree: int) -> Fraction | None:
    numerator, numerator_exact = sympy.integer_nthroot(value.numerator, degree)
    denominator, denominator_exact = sympy.integer_nthroot(value.denominator, degree)
    if numerator_exact and denominator_exact:
        return Fraction(int(numerator), int(denominator))
    return None


def _sign(x: Fraction) -> Fraction:
    return Fraction((x > 0) - (x < 0))


def _heaviside(x: Fraction, at_zero: Fraction = Fraction(1, 2)) -> Fraction:
    # sympy's Heaviside(0) is its second argument, 1/2 unless given.
    if x == 0:
        return at_zero
    return Fraction(1) if x > 0 else Fraction(0)


def _at_zero(value_at_zero: int) -> Callable:
    """exp, cos (1 at 0) and sin, tan, tanh (0 at 0): the only exact values at a rational."""
    def rule(x: Fraction) -> Fraction | None:
        return Fraction(value_at_zero) if x == 0 else None
    return rule


def _sum(*args: Fraction) -> Fraction:
    return sum(args, Fraction(0))


def _product(*args: Fraction) -> Fraction:
    out = Fraction(1)
    for arg in args:
        out *= arg
    return out


_EXACT_RULES: dict = {
    sympy.Add: _sum,
    sympy.Mul: _product,
    sympy.Pow: _power,
    sympy.Abs: abs,
    sympy.sign: _sign,
    sympy.Heaviside: _heaviside,
    sympy.Max: max,
    sympy.Min: min,
    sympy.exp: _at_zero(1),
    sympy.cos: _at_zero(1),
    sympy.sin: _at_zero(0),
    sympy.tan: _at_zero(0),
    sympy.tanh: _at_zero(0),
    sympy.log: lambda x: Fraction(0) if x == 1 else None,
}


_CONSTANTS = {sympy.pi: mpmath.pi, sympy.E: mpmath.e}


# ---- mpmath rules: (argument values, working digits) -> value ----


def _trusted(x, precision: int):
    """x, when its sign can be trusted at this precision."""
    if abs(x) < mpmath.mpf(10) ** -int(precision * _SIGN_TRUST):
        raise _Unsupported("too close to 0 to tell its sign")
    return x


def _mp_sign(args, precision):
    return mpmath.sign(_trusted(args[0], precision))


def _mp_heaviside(args, precision):
    return mpmath.mpf(1) if _trusted(args[0], precision) > 0 else mpmath.mpf(0)


def _mp_extremum(choose):
    def rule(args, precision):
        ordered = sorted(args)
        for low, high in zip(ordered, ordered[1:]):
            if high != low:
                _trusted(high - low, precision)
        return choose(args)
    return rule


def _mp_power(args, precision):
    base, exponent = args
    if exponent == int(exponent):
        return base ** int(exponent)
    if base <= 0:
        raise _Unsupported("a power of a number that is not positive")
    return mpmath.power(base, exponent)


def _unary(function: Callable) -> Callable:
    return lambda args, precision: function(args[0])


_RULES: dict = {
    sympy.Add: lambda args, precision: mpmath.fsum(args),
    sympy.Mul: lambda args, precision: mpmath.fprod(args),
    sympy.Pow: _mp_power,
    sympy.exp: _unary(mpmath.exp),
    sympy.log: _unary(mpmath.log),
    sympy.sin: _unary(mpmath.sin),
    sympy.cos: _unary(mpmath.cos),
    sympy.tan: _unary(mpmath.tan),
    sympy.tanh: _unary(mpmath.tanh),
    sympy.Abs: _unary(abs),
    sympy.sign: _mp_sign,
    sympy.Heaviside: _mp_heaviside,
    sympy.Max: _mp_extremum(max),
    sympy.Min: _mp_extremum(min),
}
