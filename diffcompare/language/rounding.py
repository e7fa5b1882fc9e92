"""A bound on the rounding error of f evaluated in floats, by running error analysis.

Evaluating f in doubles rounds every operation; how much that moves f depends on how
f amplifies each rounding (its conditioning). ``value_bound`` carries, beside each
node's float value, a first-order bound F on its error (Higham, "Accuracy and Stability
of Numerical Algorithms", 2nd ed., §3.3, running error analysis):

    F(out) = Σ |d out / d arg_i| · F(arg_i) + k·u·|out| + η

with u = 2**-53 the unit roundoff, k = ROUNDINGS_PER_OPERATION and η = UNDERFLOW; a variable's F is the
distance from its float to the exact point, a number constant's u·|c| (0 when whole).
The local derivatives are the primitive table's. ``log(1 + u)`` with u ≈ 5e-8 gets a
bound near 1e-16 although f ≈ 5e-8: the rounding of 1 + u, not ε·|f|.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Mapping

from diffcompare.language.expression import Expression, Interpretation, evaluate
from diffcompare.language.faults import ARITHMETIC_ERRORS

# u, the unit roundoff of doubles: fl(a op b) = (a op b)(1 + d), |d| <= u (Higham §2.2).
UNIT_ROUNDOFF = 2.0 ** -53
# Each primitive's result is taken to be within this many u of the exact result of its
# float inputs: + - * / sqrt are correctly rounded (1 u); the C library's exp, log, sin,
# cos, tan, tanh and pow are within 1 ulp (2 u) in glibc's published accuracy tables.
ROUNDINGS_PER_OPERATION = 2


def constant_error(number: float) -> float:
    """A number constant's error bound: 0 for a whole number (exact in a double up to
    2**53), else u·|c|, the rounding of the decimal written."""
    return 0.0 if float(number).is_integer() else UNIT_ROUNDOFF * abs(number)


# The smallest positive double (a subnormal): where the distance from a subnormal point to
# its double (up to half of this) rounds to 0 as a float, the bound takes this instead.
SMALLEST_DOUBLE = math.ulp(0.0)


# A result in the subnormal range is rounded to a multiple of SMALLEST_DOUBLE: an absolute
# error of up to half of it, which u·|out| misses (Higham §2.1, the model with underflow).
# Half of it is no double (it rounds to 0), so the bound takes the whole.
UNDERFLOW = SMALLEST_DOUBLE


def point_error(exact: Fraction) -> float:
    """How far the double nearest ``exact`` is from it; never 0 when they differ, so a
    subnormal point (1e-320, a relative gap of up to 2.5e-4) still carries f's
    sensitivity to its rounding into the bound.

    >>> point_error(Fraction("1e-320")) == SMALLEST_DOUBLE
    True
    """
    distance = abs(Fraction(float(exact)) - exact)
    if distance == 0:
        return 0.0
    return max(float(distance), SMALLEST_DOUBLE)


def value_bound(expression: Expression, point: Mapping[str, Fraction]) -> float:
    """A first-order bound on |f evaluated in doubles - f| at ``point`` (exact
    rationals); inf where f or a local derivative is not finite or not defined.

    >>> from diffcompare.language.parse import parse
    >>> value_bound(parse("x + 1"), {"x": Fraction(1)}) == 2 * 2.0 ** -53 * 2
    True
    """
    def call(primitive, *args):
        numbers = [value for value, _ in args]
        out = primitive.evaluate(*numbers)
        errors = [error for _, error in args]
        return out, (carried(primitive, numbers, out, errors)
                     + ROUNDINGS_PER_OPERATION * UNIT_ROUNDOFF * abs(out) + UNDERFLOW)

    try:
        _, bound = evaluate(expression, Interpretation(
            constant=lambda node: (node.value, constant_error(node.value)),
            variable=lambda name: (float(point[name]), point_error(point[name])),
            call=call))
    except ARITHMETIC_ERRORS:
        return math.inf
    return bound if math.isfinite(bound) else math.inf


def carried(primitive, numbers, out: float, errors) -> float:
    """The error a call's inputs carry into its value: Σ reach_k · F_k, where reach_k is
    the largest |local derivative by argument k| over the input's uncertainty, at the
    float and at the float moved by ±F_k. At a switch the local derivative at the float
    says nothing of the other side: abs at 0 has the local derivative 0 (PyTorch's
    convention), but an input off by F moves |a| by F (abs(3*x - 1) at x = 0.3333333333333333,
    where 3*x - 1 rounds to 0)."""
    local = local_derivatives(primitive, numbers, out)
    total = 0.0
    for k, (d, error) in enumerate(zip(local, errors)):
        if not error:
            continue
        reach = abs(d)
        for moved in (numbers[k] - error, numbers[k] + error):
            shifted = [*numbers[:k], moved, *numbers[k + 1:]]
            try:
                moved_out = primitive.evaluate(*shifted)
                reach = max(reach, abs(local_derivatives(primitive, shifted, moved_out)[k]))
            except ARITHMETIC_ERRORS:
                continue  # that side leaves the domain: the other side measures
        total += reach * error
    return total


def local_derivatives(primitive, numbers, out: float) -> tuple:
    """The local derivatives of ``primitive`` by each argument at ``numbers`` (``out`` its
    value there), one float per argument; NaN where there is none: log'(0) = 1/0, as in a
    branch that ``where`` does not select, is a NaN bound, not an exception."""
    try:
        local = primitive.derivative(*numbers, out)
    except ARITHMETIC_ERRORS:
        return (math.nan,) * len(numbers)
    return local if isinstance(local, tuple) else (local,)
