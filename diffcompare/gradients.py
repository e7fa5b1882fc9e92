"""Check the gradient of a function on arrays: numpy code, PyTorch code, a hand-written grad.

``check_gradients(fn, *inputs)`` traces ``fn`` into our expression tree (numpy through
``language.arrays``, PyTorch through ``language.torch_trace``), one expression per output
entry, and compares each by every method, as ``compare`` does for one expression. The
result has one ``Entry`` per gradient entry (per input entry, or per random direction for
large inputs) with each method's number, the exact reference, the error, the bound and the
digits. The gradient under test, when there is one, is a column beside them:

- ``grad=my_grad``: ``my_grad(*inputs)`` returns arrays shaped like the inputs (for a
  vector output, a Jacobian: output shape + input shape);
- PyTorch inputs: the function's own torch autograd gradient, which runs a custom
  ``torch.autograd.Function``'s backward. Where the function cannot be traced, it is
  checked against our finite differences on the function itself, and the result says so.

>>> import numpy as np
>>> check = check_gradients(lambda x: np.sum(np.sin(x) * x), np.array([0.5, 1.0]),
...                         grad=lambda x: np.cos(x) * x + np.sin(x))
>>> check.ok, check.mode, len(check.entries)
(True, 'full', 2)

Needs numpy (``pip install diffcompare[numpy]``); PyTorch inputs need torch.
"""

from __future__ import annotations

import contextlib
import inspect
import math
import numbers
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Callable, Mapping, Sequence

from diffcompare.compare import Comparison, Error, compare, correct_digits
from diffcompare.language.errors import InputError
from diffcompare.language.primitives import CONSTANTS, FUNCTIONS
from diffcompare.methods import autograd, finite_difference, kinks, symbolic

# Inputs with at most this many entries in all get their full gradient (one column per
# entry); above it, DEFAULT_DIRECTIONS random directional derivatives are checked, as
# torch.autograd.gradcheck's fast_mode and jax's check_grads do.
FULL_LIMIT = 32
DEFAULT_DIRECTIONS = 3
# The most random directions one check takes: each is a comparison with its own sympy
# budget, so a count far beyond this could not end (a full check, directions=0, is the
# way to cover many entries).
MOST_DIRECTIONS = 1000
DEFAULT_SCHEME = "richardson"
# The gradient under test passes where |test - reference| <= atol + rtol·|reference|.
# float64 code that computes the same derivative differs by rounding only: a few ulps per
# operation, far below 1e-7 unless the function is ill-conditioned. By default atol is
# ATOL_SCALE times the largest reference entry, so an entry that should be 0 may carry
# that gradient's rounding.
DEFAULT_RTOL = 1e-7
ATOL_SCALE = 1e-10
SEED = 0  # the random directions are the same on every run
# Where finite differences are the reference (torch code we cannot trace), the bound also
# allows this many times their own error estimate.
FD_SAFETY = 10.0


@dataclass(frozen=True)
class Entry:
    """One gradient entry: d output / d input[index], or a directional derivative."""

    label: str  # "W[1,2]", "out[0] by W[1,2]" or "direction 2"
    input: str | None  # the input's name; None for a direction
    index: tuple  # the entry's index in the input
    output: tuple  # the output entry's index, () for a scalar output
    exact: float | None  # the exact reference, None where there is none
    numbers: Mapping[str, float | None]  # method -> number
    errors: Mapping[str, Error]  # method -> error against the reference
    # The gradient under test passes where its absolute error is at most this:
    # atol + rtol·|reference| (+ the finite difference's error estimate when that is the
    # reference). None without a gradient under test.
    bound: float | None = None


@dataclass(frozen=True)
class GradientCheck:
    """What ``check_gradients`` found: data, formatted by ``gradient_table``."""

    entries: tuple[Entry, ...]
    methods: tuple[str, ...]  # the columns, the one under test first when there is one
    under_test: str | None  # "grad", "torch" or None
    mode: str  # "full" (every entry) or "directions" (random directional derivatives)
    directions: int  # how many directions (0 in full mode)
    reference: str  # "exact" (sympy), "autograd" or "finite_difference" (untraced torch)
    scheme: str
    status: str  # "agree", "disagree", "kink" or "undefined"
    pattern: str | None  # the pattern behind the failing entries, in one line
    notes: tuple[str, ...] = ()
    comparisons: tuple[Comparison, ...] = field(default=(), repr=False)
    function: str = "f"  # the checked function's __name__

    @property
    def ok(self) -> bool:
        """Whether the check passes: every entry agrees, or the gradient under test sits
        between the one-sided derivatives where f has a kink (relu at 0)."""
        return self.status == "agree" or (self.status == "kink" and self.under_test is not None)

    def kinked(self) -> list[str]:
        """The labels of the entries where the gradient under test was judged at a kink."""
        return [entry.label for entry in self.entries
                if self.under_test in entry.errors and entry.errors[self.under_test].kink]

    def failures(self) -> list[tuple[Entry, str]]:
        """(entry, method) for every number outside its bound, the worst first."""
        failed = [(entry, method) for entry in self.entries for method in self.methods
                  if entry.errors.get(method) is not None
                  and entry.errors[method].within is False]
        return sorted(failed, key=lambda pair: -(pair[0].errors[pair[1]].scaled or math.inf))


def check_gradients(fn: Callable, *inputs, grad: Callable | None = None,
                    rtol: float | None = None, atol: float | None = None,
                    scheme: str = DEFAULT_SCHEME, directions: int | None = None,
                    timeout: float | None = symbolic.DEFAULT_TIMEOUT) -> GradientCheck:
    """Check ``fn``'s gradient at ``inputs`` by every method, and ``grad`` if given.

    ``inputs``: numpy arrays or scalars, Python numbers, or float64 torch tensors
    (float32 is upcast to float64 with a note; integers are taken as floats; complex is
    refused). ``scheme``: the finite-difference scheme (``"central"``, ``"richardson"``,
    ``"five_point"``, ``"complex_step"``, ...). ``directions``: None checks every entry
    when the inputs have at most ``FULL_LIMIT`` (32) entries, else ``DEFAULT_DIRECTIONS``
    (3) random ±1 directions; 0 forces every entry; n > 0 forces n directions.
    ``rtol``/``atol`` bound the gradient under test (default ``DEFAULT_RTOL`` = 1e-7 and
    ``ATOL_SCALE`` = 1e-10 × the largest reference entry); without a gradient under
    test they replace the finite differences' tolerance. ``timeout``: seconds for sympy,
    per output entry or direction.

    Raises ``InputError`` for bad input and for code that cannot be traced (naming the
    numpy function), ``ImportError`` when numpy is missing.
    """
    np = _numpy()
    finite_difference.find_scheme(scheme)  # a bad name fails before any work
    if not callable(fn):
        raise InputError(f"check_gradients takes the function first, not a {type(fn).__name__}")
    names = input_names(fn, len(inputs))
    arrays, kinds, notes = prepare_inputs(np, inputs, names)
    if directions is None:
        directions = 0 if sum(a.size for a in arrays) <= FULL_LIMIT else DEFAULT_DIRECTIONS
    if (isinstance(directions, bool) or not isinstance(directions, int) or directions < 0
            or directions > MOST_DIRECTIONS):
        raise InputError(f"directions must be 0 (every entry) or a positive count of at "
                         f"most {MOST_DIRECTIONS}, not {directions!r}")
    for name, given in (("rtol", rtol), ("atol", atol)):
        if given is not None and not (is_number(given) and 0 <= given < math.inf):
            raise InputError(f"{name} must be a number at least 0, or None, not {given!r}")
    check = _Check(np, fn, inputs, grad, names, arrays, "torch" in kinds, notes,
                   _Options(scheme, rtol, atol, timeout))
    return check.directional(directions) if directions else check.full()


@contextlib.contextmanager
def _user_code(what: str):
    """Run the user's ``fn`` or ``grad`` (and torch on what it returned): whatever it
    raises is a one-line InputError naming it, not our traceback."""
    try:
        yield
    except InputError:
        raise
    except Exception as error:  # noqa: BLE001 - the user's code may raise anything
        detail = (str(error).strip().splitlines() or [""])[0]
        raise InputError(f"{what} failed: {type(error).__name__}: {detail}") from None


def _numpy():
    try:
        import numpy
    except ImportError:
        raise ImportError("check_gradients needs numpy: pip install diffcompare[numpy]") from None
    return numpy


def prepare_inputs(np, inputs: Sequence, names: Sequence[str]):
    """Each input as a float64 array, its kind ("numpy", "number" or "torch"), and notes."""
    if not inputs:
        raise InputError("check_gradients needs at least one input after the function")
    arrays, kinds, notes = [], [], []
    for name, value in zip(names, inputs):
        kind = "number" if is_number(value) else "numpy"
        try:
            kind, dtype, value = _as_array(np, name, value, kind)
        except (ValueError, TypeError, RuntimeError, NotImplementedError) as error:
            detail = (str(error).strip().splitlines() or [""])[0]
            raise InputError(f"input {name} cannot be read as an array of numbers: "
                             f"{type(error).__name__}: {detail}") from None
        if value.dtype.kind not in "iuf" and dtype not in ("float16", "bfloat16", "float32"):
            raise InputError(f"input {name} has dtype {dtype}: check_gradients takes real "
                             "numbers (float64; float32 and integers are converted)")
        if dtype in ("float16", "bfloat16", "float32"):
            notes.append(f"input {name} is {dtype}: upcast to float64 (its value exactly), so "
                         "the check is of the float64 function")
        elif value.dtype.kind in "iu":
            notes.append(f"input {name} is {dtype}: taken as float64, exactly")
        array = np.asarray(value, dtype=np.float64)
        _check_finite(np, array, f"input {name}")
        arrays.append(array)
        kinds.append(kind)
    return arrays, kinds, notes


def _check_finite(np, array, what: str) -> None:
    """An InputError naming the first NaN or infinite entry: no derivative is checked there."""
    if not np.all(np.isfinite(array)):
        index = tuple(int(i) for i in np.argwhere(~np.isfinite(array))[0]) if array.ndim else ()
        where = f"[{','.join(map(str, index))}]" if index else ""
        raise InputError(f"{what}{where} is {float(array[index])!r}, not a finite number: "
                         "check_gradients needs finite inputs")


def _as_array(np, name: str, value, kind: str):
    """(kind, dtype name, array) for one input; torch tensors detached to the CPU."""
    if type(value).__module__.startswith("torch"):
        dtype = str(value.dtype).replace("torch.", "")
        if value.is_complex():
            raise InputError(f"input {name} is {dtype}: check_gradients takes real numbers")
        value = value.detach().cpu()
        return "torch", dtype, (value.double() if value.is_floating_point() else value).numpy()
    value = np.asarray(value)
    return kind, value.dtype.name, value


@dataclass(frozen=True)
class _Options:
    scheme: str
    rtol: float | None
    atol: float | None
    timeout: float | None


@dataclass(frozen=True)
class _Row:
    """An entry before its gradient under test is judged (the bound needs every entry)."""

    entry: Entry
    reference: float | None  # what the gradient under test is measured against
    reference_error: float = 0.0  # the reference's own error (an untraced torch function)
    # f's kink along this entry (relu at 0, a max tie): the gradient under test passes
    # between the one-sided derivatives, as compare judges abs and relu.
    kink: object = None


class _Check:
    """One check: the trace, the comparisons, the gradient under test, the entries."""

    def __init__(self, np, fn, inputs, grad, names, arrays, torch_mode, notes, options):
        self.np, self.fn, self.inputs, self.grad = np, fn, inputs, grad
        self.names, self.arrays, self.torch_mode = names, arrays, torch_mode
        self.notes, self.options = list(notes), options
        self.under_test = "grad" if grad is not None else ("torch" if torch_mode else None)
        self.shape_faults: list = []

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    # ---- the trace ----

    def trace(self, leaves, variables=None, split=False):
        """fn traced on ``leaves``; None (with a note) for torch code we cannot trace."""
        from diffcompare.language import arrays as traced_arrays

        wrap = unwrap = None
        if self.torch_mode:
            from diffcompare.language import torch_trace

            wrap, unwrap = torch_trace.wrap, torch_trace.unwrap
        try:
            traced = traced_arrays.trace_arrays(self.fn, leaves, self.arrays, variables,
                                                wrap=wrap, unwrap=unwrap, names=self.names,
                                                split=split)
        except InputError as error:
            if not self.torch_mode:
                raise
            if not split:
                self.note(f"not traced, so no exact reference: {error.one_line()}; the torch "
                          "gradient is checked against our finite differences of the function")
            return None
        for note in traced.notes:
            self.note(note)
        return traced

    def point(self, leaves) -> dict[str, Fraction]:
        point = {}
        for leaf, array in zip(leaves, self.arrays):
            for index in self.np.ndindex(array.shape):
                point[leaf[index].node.name] = Fraction(float(array[index]))
        return point

    def compare(self, expression, point) -> Comparison:
        methods = {autograd.METHOD: autograd.differentiate,
                   finite_difference.METHOD: finite_difference.method(self.options.scheme)}
        tolerances = None
        if self.under_test is None and self.options.rtol is not None:
            tolerances = {finite_difference.METHOD: self.options.rtol}
        return compare(expression, at=point, methods=methods, tolerances=tolerances,
                       timeout=self.options.timeout)

    # ---- every entry ----

    def full(self) -> GradientCheck:
        from diffcompare.language.arrays import entry_label, entry_variables

        np = self.np
        leaves = [entry_variables(name, a.shape) for name, a in zip(self.names, self.arrays)]
        traced = self.trace(leaves)
        output_shape, tested = self.tested_full(traced)
        comparisons, rows = [], []
        for position, output in enumerate(np.ndindex(output_shape)):
            comparison = None
            if traced is not None:
                comparison = self.compare(traced.outputs[position], self.point(leaves))
                comparisons.append(comparison)
            for name, array, leaf in zip(self.names, self.arrays, leaves):
                for index in np.ndindex(array.shape):
                    label = entry_label(name, index)
                    if output_shape:
                        label = f"out[{','.join(map(str, output))}] by {label}"
                    test = None if tested is None else tested[name][output + index]
                    move = [np.zeros(a.shape) for a in self.arrays]
                    move[self.names.index(name)][index] = 1.0
                    weights = np.zeros(output_shape)
                    weights[output] = 1.0
                    rows.append(self.row(Entry(label, name, index, output, None, {}, {}),
                                         comparison, leaf[index].node.name, test,
                                         (move, weights)))
        return self.finish(rows, comparisons, "full", 0)

    def tested_full(self, traced):
        """The output shape, and input name -> the gradient under test shaped output +
        input (None without one)."""
        output_shape = traced.output_shape if traced is not None else None
        if self.under_test == "torch":
            from diffcompare import torch_gradients

            with _user_code("the torch function"):
                output_shape, grads = torch_gradients.jacobian(self.fn, self.arrays)
        elif self.under_test == "grad":
            if output_shape is None:
                raise InputError("grad= needs a function that can be traced")
            grads = self.call_grad()
        else:
            return output_shape, None
        return output_shape, {name: self.shaped(name, array, g, output_shape)
                              for name, array, g in zip(self.names, self.arrays, grads)}

    def shaped(self, name, array, g, output_shape):
        """``g`` as the gradient of ``name``, or NaNs (and a shape fault) when its shape
        is not output shape + the input's shape."""
        if self.np.iscomplexobj(g):
            raise InputError(f"grad returned a complex array for {name}: the gradient of a "
                             "real function is real")
        with _user_code(f"grad's array for {name}"):
            g = self.np.asarray(g, dtype=self.np.float64)
        wanted = tuple(output_shape) + array.shape
        if g.shape != wanted:
            self.shape_faults.append((name, g.shape, wanted))
            return self.np.full(wanted, self.np.nan)
        return g

    def call_grad(self):
        if not callable(self.grad):
            raise InputError(f"grad must be a function, not a {type(self.grad).__name__}")
        with _user_code("grad"):
            grads = self.grad(*self.inputs)
        if not isinstance(grads, (tuple, list)):
            grads = (grads,)
        if len(grads) != len(self.arrays):
            raise InputError(f"grad returned {len(grads)} arrays for {len(self.arrays)} inputs")
        missing = [name for name, g in zip(self.names, grads) if g is None]
        if missing:
            raise InputError(f"grad returned None for {', '.join(missing)}: it must return "
                             "an array shaped like each input (did it forget a return?)")
        with _user_code("grad"):
            return [g.detach().cpu().numpy() if type(g).__module__.startswith("torch") else g
                    for g in grads]

    # ---- random directions ----

    def directional(self, count: int) -> GradientCheck:
        from diffcompare.language.arrays import along_direction, weighted_sum
        from diffcompare.language.expression import Var
        from diffcompare.language.trace import Traced

        np = self.np
        rng = np.random.default_rng(SEED)
        t = Traced(Var("t"))
        comparisons, rows = [], []
        for k in range(1, count + 1):
            vs = [rng.choice([-1.0, 1.0], size=array.shape) for array in self.arrays]
            traced = self.trace([along_direction(a, v, t) for a, v in zip(self.arrays, vs)],
                                ["t"])
            output_shape = traced.output_shape if traced is not None else self.output_shape()
            if 0 in output_shape:
                raise InputError(f"the function's output has shape {tuple(output_shape)}, no "
                                 "entries: there is no derivative to check in a direction")
            u = rng.choice([-1.0, 1.0], size=output_shape)
            comparison = None
            if traced is not None:
                comparison = self.compare(weighted_sum(traced, u), {"t": Fraction(0)})
                comparisons.append(comparison)
            rows.append(self.row(Entry(f"direction {k}", None, (), (), None, {}, {}),
                                 comparison, "t", self.tested_direction(vs, u, output_shape),
                                 (vs, u)))
        self.note(f"{count} random ±1 direction{'s' * (count > 1)} checked (directional "
                  f"derivatives uᵀ·J·v), not every entry: the inputs have "
                  f"{sum(a.size for a in self.arrays)} entries")
        return self.finish(rows, comparisons, "directions", count)

    def output_shape(self):
        from diffcompare import torch_gradients

        with _user_code("the torch function"):
            return torch_gradients.output_shape(self.fn, self.arrays)

    def tested_direction(self, vs, u, output_shape) -> float | None:
        np = self.np
        if self.under_test == "torch":
            from diffcompare import torch_gradients

            with _user_code("the torch function"):
                return torch_gradients.directional(self.fn, self.arrays, vs, u)
        if self.under_test is None:
            return None
        total = 0.0
        for name, array, g, v in zip(self.names, self.arrays, self.call_grad(), vs):
            g = self.shaped(name, array, g, output_shape)
            total += float(np.tensordot(u, np.tensordot(g, v, axes=v.ndim), axes=u.ndim))
        return total

    # ---- entries and the verdict ----

    def row(self, entry: Entry, comparison, variable: str, test, move) -> _Row:
        """The entry's numbers: each method's, or our finite difference of the torch
        function where it was not traced."""
        numbers_, errors, exact, reference_error, kink = {}, {}, None, 0.0, None
        if comparison is not None:
            kink = next((k for k in comparison.kinks if k.variable == variable and k.differs),
                        None)
            exact_text = comparison.reference.exact.get(variable)
            exact = None if exact_text is None else float(exact_text)
            for result in comparison.methods:
                numbers_[result.method] = result.number(variable)
                errors[result.method] = comparison.errors[result.method][variable]
        else:
            from diffcompare import torch_gradients

            with _user_code("the torch function"):
                estimate, reference_error, scheme, sides = torch_gradients.difference(
                    self.fn, self.arrays, *move)
            if sides is not None:
                kink = kinks.Kink(variable, repr(sides[0]), repr(sides[1]),
                                  ("one-sided finite differences",), ())
            numbers_[finite_difference.METHOD] = estimate
            errors[finite_difference.METHOD] = Error(None, None, None, 0.0, None)
            self.note(f"finite differences of the torch function: {scheme}")
        reference = exact
        if test is not None:
            numbers_[self.under_test] = float(test)
            if reference is None:  # no exact value: autograd, else finite differences
                reference = numbers_.get(autograd.METHOD)
                reference = numbers_.get(finite_difference.METHOD) if reference is None \
                    else reference
        return _Row(Entry(entry.label, entry.input, entry.index, entry.output, exact,
                          numbers_, errors), reference, reference_error, kink)

    def finish(self, rows: Sequence[_Row], comparisons, mode: str, count: int) -> GradientCheck:
        from diffcompare import patterns

        scale = max((abs(row.reference) for row in rows if row.reference is not None),
                    default=0.0)
        rtol = DEFAULT_RTOL if self.options.rtol is None else self.options.rtol
        atol = ATOL_SCALE * scale if self.options.atol is None else self.options.atol
        entries = []
        for row in rows:
            entry = row.entry
            if self.under_test is not None:
                bound = atol + rtol * abs(row.reference or 0.0) + FD_SAFETY * row.reference_error
                error = measure_under_test(entry.numbers[self.under_test], row.reference,
                                           rtol, bound)
                if row.kink is not None:
                    error = self.at_kink(entry, row.kink, error, rtol, bound)
                entry = Entry(entry.label, entry.input, entry.index, entry.output, entry.exact,
                              entry.numbers, {**entry.errors, self.under_test: error}, bound)
            entries.append(entry)
        methods = tuple(m for m in (self.under_test, autograd.METHOD, finite_difference.METHOD)
                        if m is not None and any(m in e.numbers for e in entries))
        if not comparisons:
            reference = finite_difference.METHOD
        elif all(not c.reference.details.get("unavailable") for c in comparisons):
            reference = "exact"
        else:
            reference = autograd.METHOD
            missing = next(c.reference for c in comparisons
                           if c.reference.details.get("unavailable"))
            self.note(f"WITHOUT EXACT REFERENCE (symbolic: {missing.details['unavailable']}): "
                      "measured against our autograd; a longer timeout= may give one")
        failed = bool(self.shape_faults) or self.judged_failures(entries, reference)
        check = GradientCheck(tuple(entries), methods, self.under_test, mode, count, reference,
                              self.options.scheme, combined_status(comparisons, failed), None,
                              tuple(self.notes), tuple(comparisons),
                              getattr(self.fn, "__name__", "f"))
        if not failed:
            return check
        pattern = patterns.describe(check, self.names, self.arrays, self.shape_faults,
                                    self.branch_shares if mode == "full" else None)
        return replace(check, pattern=pattern)

    def at_kink(self, entry: Entry, kink, error: Error, rtol: float, bound: float) -> Error:
        """The gradient under test at a kink: within when it lies between the one-sided
        derivatives (relu'(0) = 0 is PyTorch's convention, 1 another's), with a note."""
        test = entry.numbers[self.under_test]
        within = kink.contains(test, rtol, bound / rtol if rtol else 0.0)
        verdict = "lies between them" if within else "lies outside them"
        self.note(f"kink at entry {entry.label}: the one-sided derivatives are "
                  f"{float(kink.left):.17g} and {float(kink.right):.17g}; "
                  f"{self.under_test} gives {test:.17g}, which {verdict}")
        return replace(error, within=within, kink=True)

    def judged_failures(self, entries: Sequence[Entry], reference: str) -> bool:
        """Whether the check fails. Against an exact reference only the gradient under test
        is judged: our own methods off their bounds (finite differences on an
        ill-conditioned function) are a note, not the user's failure."""
        off = {}
        for entry in entries:
            for method, error in entry.errors.items():
                if error.within is False:
                    off[method] = off.get(method, 0) + 1
        if self.under_test is None or reference != "exact":
            return bool(off)
        for method, count in off.items():
            if method != self.under_test:
                self.note(f"{method} is off its bound on {count} entr"
                          f"{'y' if count == 1 else 'ies'} (see the comparisons); the verdict "
                          f"on {self.under_test} rests on the exact reference")
        return self.under_test in off

    def branch_shares(self):
        """Per use of each input: (name, use number, its share of the gradient, shaped
        output + input), from a trace that gives each use its own variables, by our
        autograd."""
        from diffcompare.language.arrays import entry_variables

        np = self.np
        leaves = [entry_variables(name, a.shape) for name, a in zip(self.names, self.arrays)]
        traced = self.trace(leaves, split=True)
        if traced is None:
            return []
        point = self.point(leaves)
        for name, _, use in traced.uses:
            array = self.arrays[self.names.index(name)]
            for index in np.ndindex(array.shape):
                point[use[index].node.name] = Fraction(float(array[index]))
        results = [autograd.differentiate(output, point) for output in traced.outputs]
        shares = []
        for name, k, use in traced.uses:
            share = np.zeros(tuple(traced.output_shape) + use.shape)
            for result, output in zip(results, np.ndindex(tuple(traced.output_shape))):
                for index in np.ndindex(use.shape):
                    share[output + index] = result.gradient.get(use[index].node.name) or 0.0
            shares.append((name, k, share))
        return shares


# ---- helpers free of numpy ----


def input_names(fn: Callable, count: int) -> list[str]:
    """The parameter names of ``fn`` for its positional inputs (``x0``, ``x1`` otherwise),
    made safe as variable names: not a constant or function of the language."""
    try:
        parameters = [p.name for p in inspect.signature(fn).parameters.values()
                      if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        parameters = []
    names = []
    for position in range(count):
        name = parameters[position] if position < len(parameters) else f"x{position}"
        if name in CONSTANTS or name in FUNCTIONS or name.startswith("_") or "__" in name:
            name = f"x{position}"
        names.append(name)
    if len(set(names)) != len(names):
        raise InputError(f"two inputs share a name ({', '.join(names)})")
    return names


def measure_under_test(estimate: float | None, reference: float | None, rtol: float,
                       bound: float) -> Error:
    """The gradient under test against the reference: within when the absolute error is
    at most ``bound``; ``scaled`` is the error in units of the bound."""
    if reference is None:
        return Error(None, None, None, rtol, None)
    if estimate is None or not math.isfinite(estimate):
        return Error(None, None, None, rtol, False)
    absolute = abs(Fraction(estimate) - Fraction(reference))
    relative = absolute / abs(Fraction(reference)) if reference != 0 else None
    digits = correct_digits(relative) if relative is not None else (17.0 if absolute == 0 else 0.0)
    return Error(float(absolute), None if relative is None else float(relative), digits, rtol,
                 bool(absolute <= bound), scaled=float(absolute) / bound if bound else None)


def is_number(value) -> bool:
    """Whether ``value`` is a real number (numpy's scalars included), not a bool."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def combined_status(comparisons: Sequence[Comparison], failed: bool) -> str:
    """disagree if a gradient entry is outside its bound; else kink or undefined where a
    comparison says so. f's own value is not judged here: a sum that cancels to about 0
    (sum(tanh(x)) over symmetric x) has few correct digits without a wrong gradient."""
    if failed:
        return "disagree"
    statuses = {comparison.verdict.status for comparison in comparisons}
    for status in ("undefined", "kink"):
        if status in statuses:
            return status
    return "agree"
