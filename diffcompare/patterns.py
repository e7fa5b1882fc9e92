"""The pattern behind a wrong gradient, in one line: what a person would see in the table.

``describe`` looks at the gradient under test against the reference, entry by entry, and
names the first pattern that explains every failing entry, in this order:

1. the wrong shape (a forgotten sum over a broadcast dimension);
2. zeros where there should be values;
3. the sign flipped;
4. every entry off by the same factor (a missing /N);
5. transposed;
6. only the entries where an input is negative (a mask or relu bug);
7. wrong by exactly one use's share of the gradient (an accumulation bug: = for +=, or
   a branch dropped or counted twice), from ``branch_shares``, the gradient through each
   use of each input, computed by our autograd on a trace that splits the uses;
8. one row or one column wrong;

and otherwise says how many entries are wrong, with no pattern.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Callable, Sequence

import numpy as np

# Two numbers count as equal in a pattern when they differ by less than this, relative to
# the largest reference entry: far above rounding, far below any real bug.
SAME = 1e-6
# A factor is named as N, 1/N or p/q when it is that, to this relative error: the ratio of
# two float64 gradients computed from the same numbers is good to about 1e-15, and a
# number that merely lies near a fraction with denominator <= _LARGEST_N misses it by
# about 1/_LARGEST_N² = 1e-8.
INTEGER = 1e-12
_LARGEST_N = 10**4


def describe(check, names: Sequence[str], arrays: Sequence[np.ndarray],
             shape_faults: Sequence = (), branch_shares: Callable | None = None) -> str:
    """One line naming the pattern of ``check``'s failing entries (see the module)."""
    if shape_faults:
        return _shape(*shape_faults[0])
    method = check.under_test
    failed = np.array([method is not None and e.errors[method].within is False
                       for e in check.entries])
    if not failed.any():
        ours = sum(error.within is False for e in check.entries
                   for m, error in e.errors.items() if m != method)
        return (f"not the gradient under test: {ours} numbers of our own methods are off "
                "their bounds (see the table)")
    test = np.array([_number(e.numbers.get(method)) for e in check.entries])
    reference = np.array([_reference(e, check) for e in check.entries])
    tolerance = SAME * max(float(np.nanmax(np.abs(reference))), 1e-300)
    for pattern in (_zeros, _sign, _factor):
        found = pattern(test, reference, failed, tolerance)
        if found:
            return found
    if check.mode == "full":
        blocks = _blocks(check, names, arrays, test, reference, failed)
        for pattern in (_transposed, _negative_inputs):
            found = pattern(blocks, names, arrays, tolerance)
            if found:
                return found
        if branch_shares is not None:
            found = _branch(blocks, branch_shares(), names, tolerance)
            if found:
                return found
        found = _row_or_column(blocks, names)
        if found:
            return found
    return f"no simple pattern: {int(failed.sum())} of {len(failed)} entries are wrong"


def _number(value) -> float:
    return np.nan if value is None else float(value)


def _reference(entry, check) -> float:
    if entry.exact is not None:
        return entry.exact
    for method in ("autograd", "finite_difference"):
        if entry.numbers.get(method) is not None:
            return float(entry.numbers[method])
    return np.nan


def _shape(name: str, got: tuple, wanted: tuple) -> str:
    try:
        broadcast = np.broadcast_shapes(got, wanted) == tuple(got)
    except ValueError:
        broadcast = False
    if broadcast and len(got) >= len(wanted):
        extra = len(got) - len(wanted)
        dims = [d for d in range(len(got))
                if d < extra or wanted[d - extra] == 1 and got[d] != 1]
        return (f"wrong shape: grad for {name} is {tuple(got)} but {name} is {tuple(wanted)}: "
                f"a forgotten sum over the broadcast dimension{'s' * (len(dims) > 1)} "
                f"{', '.join(map(str, dims))}")
    return f"wrong shape: grad for {name} is {tuple(got)} but {name} is {tuple(wanted)}"


def _zeros(test, reference, failed, tolerance) -> str | None:
    if np.all(test[failed] == 0) and np.all(np.abs(reference[failed]) > tolerance):
        return (f"zeros where there should be values: {int(failed.sum())} of {len(test)} "
                "entries are 0")
    return None


def _sign(test, reference, failed, tolerance) -> str | None:
    if np.all(np.abs(test + reference) <= tolerance) and np.any(np.abs(reference) > tolerance):
        return "the sign is flipped: every entry is minus the exact one"
    return None


def _factor(test, reference, failed, tolerance) -> str | None:
    nonzero = np.abs(reference) > tolerance
    if not nonzero[failed].all():
        return None
    factor = float(np.median(test[failed] / reference[failed]))
    close = np.abs(test - factor * reference) <= tolerance * max(1, abs(factor))
    if factor == 0 or not close[failed].all():
        return None
    every = "every entry is" if failed.all() else \
        f"every wrong entry ({int(failed.sum())} of {len(failed)}) is"
    return f"{every} off by the same factor {factor:.6g}{_factor_hint(factor)}"


def _factor_hint(factor: float) -> str:
    """A missing /N (grad = N × exact) or an extra one (grad = exact / N), N an integer."""
    for n, hint in ((factor, "a missing /{n}?"), (1 / factor, "an extra /{n}?")):
        rounded = round(n)
        if 2 <= abs(rounded) <= _LARGEST_N and abs(n - rounded) <= INTEGER * abs(n):
            return f" ({hint.format(n=abs(rounded))})"
    fraction = Fraction(factor).limit_denominator(_LARGEST_N)
    if abs(float(fraction) - factor) <= INTEGER * abs(factor) and fraction.denominator > 1:
        return f" (= {fraction}: a /{fraction.denominator} where /{fraction.numerator} belongs?)"
    return ""


def _blocks(check, names, arrays, test, reference, failed):
    """name -> (test, reference, failed) arrays shaped output + input."""
    blocks = {}
    for name, array in zip(names, arrays):
        rows = [i for i, e in enumerate(check.entries) if e.input == name]
        if not rows:
            continue
        output_shape = check.entries[rows[0]].output
        output_shape = tuple(max(e.output[d] for e in check.entries) + 1
                             for d in range(len(output_shape)))
        shape = output_shape + array.shape
        blocks[name] = tuple(np.asarray(values)[rows].reshape(shape)
                             for values in (test, reference, failed))
    return blocks


def _transposed(blocks, names, arrays, tolerance) -> str | None:
    for name, (test, reference, failed) in blocks.items():
        if not failed.any():
            continue
        if test.ndim == 2 and test.shape[0] == test.shape[1] and \
                np.all(np.abs(test - reference.T) <= tolerance):
            others = [f for n, (_, _, f) in blocks.items() if n != name]
            if not any(f.any() for f in others):
                return f"transposed: grad for {name} is the transpose of the exact gradient"
    return None


def _negative_inputs(blocks, names, arrays, tolerance) -> str | None:
    failing = {name: f for name, (_, _, f) in blocks.items()}
    for name, array in zip(names, arrays):
        if not (array < 0).any() or not (array >= 0).any():
            continue
        for target, failed in failing.items():
            if failed.shape[-array.ndim:] != array.shape if array.ndim else True:
                continue
            mask = np.broadcast_to(array < 0, failed.shape)
            others = [f for n, f in failing.items() if n != target]
            if np.array_equal(failed, mask) and not any(f.any() for f in others):
                where = "" if target == name else f" (the entries of {target})"
                return (f"only the entries where {name} is negative are wrong{where}: a "
                        "mask or relu bug (the mask taken on the wrong array?)")
    return None


def _branch(blocks, shares, names, tolerance) -> str | None:
    counts = {}
    for name, k, _ in shares:
        counts[name] = max(counts.get(name, 0), k)
    for name, k, share in shares:
        if name not in blocks or counts[name] < 2:
            continue
        test, reference, _ = blocks[name]
        difference = test - reference
        if share.shape != difference.shape or np.max(np.abs(share)) <= tolerance:
            continue
        others_right = all(not f.any() for n, (_, _, f) in blocks.items() if n != name)
        for sign, what in ((-1, "missing"), (1, "counted twice")):
            if others_right and np.all(np.abs(difference - sign * share) <= tolerance):
                return (f"wrong by exactly the share of use {k} of {counts[name]} of {name} "
                        f"({what}): an accumulation bug (= where += belongs, or a branch "
                        f"{'dropped' if sign < 0 else 'added twice'})")
    return None


def _row_or_column(blocks, names) -> str | None:
    for name, (_, _, failed) in blocks.items():
        if failed.ndim != 2 or not failed.any():
            continue
        others = [f for n, (_, _, f) in blocks.items() if n != name]
        if any(f.any() for f in others):
            return None
        rows = np.flatnonzero(failed.any(axis=1))
        columns = np.flatnonzero(failed.any(axis=0))
        if len(rows) == 1 and failed.shape[0] > 1:
            return f"one row wrong: only row {rows[0]} of {name}"
        if len(columns) == 1 and failed.shape[1] > 1:
            return f"one column wrong: only column {columns[0]} of {name}"
    return None
