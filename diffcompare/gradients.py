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

import inspect
import math
import numbers
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Callable, Mapping, Sequence

from diffcompare.compare import Comparison, Error, compare, correct_digits
from diffcompare.language.errors import InputError
from diffcompare.language.primitives import CONSTANTS, FUNCTIONS
from diffcompare.methods import autograd, finite_difference, symbolic

# Inputs with at most this many entries in all get their full gradient (one column per
# entry); above it, DEFAULT_DIRECTIONS random directional derivatives are checked, as
# torch.autograd.gradcheck's fast_mode and jax's check_grads do.
FULL_LIMIT = 32
DEFAULT_DIRECTIONS = 3
DEFAULT_SCHEME = "richardson"
# The gradient under test passes where |test - reference| <= atol + rtol·|reference|.
# float64 code that computes the same derivative differs by rounding only: a few ulps per
# operation, far below 1e-7 unless the function is ill-conditioned. By default atol is
# ATOL_SCALE times the largest reference entry, so an entry that should be 0 may carry
# that gradient's rounding.
DEFAULT_RTOL = 1e-7
ATOL_SCALE = 1e-10
SEED = 0  # the random directions are the same on every run
UNDER_TEST = {"grad": "grad", "torch": "torch"}  # the column's name, by its source


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

    @property
    def ok(self) -> bool:
        return self.status == "agree"

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
    test they replace the finite differences' tolerance.

    Raises ``InputError`` for bad input and for code that cannot be traced (naming the
    numpy function), ``ImportError`` when numpy is missing.
    """
    np = _numpy()
    finite_difference.find_scheme(scheme)  # a bad name fails before any work
    names = input_names(fn, len(inputs))
    arrays, kinds, notes = prepare_inputs(np, inputs, names)
    torch_mode = "torch" in kinds
    under_test = "grad" if grad is not None else ("torch" if torch_mode else None)
    size = sum(array.size for array in arrays)
    if directions is None:
        directions = 0 if size <= FULL_LIMIT else DEFAULT_DIRECTIONS
    if directions < 0:
        raise InputError(f"directions must be 0 (every entry) or a positive count, not {directions}")
    run = _Run(np, fn, inputs, names, arrays, kinds, notes, scheme, rtol, atol, timeout,
               under_test, grad)
    return run.directional(directions) if directions else run.full()


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
        if type(value).__module__.startswith("torch"):
            kind = "torch"
            value = value.detach().cpu()
            dtype = str(value.dtype).replace("torch.", "")
            value = value.numpy()
        else:
            value = np.asarray(value) if not is_number(value) or isinstance(value, np.generic) \
                else np.asarray(value, dtype=np.float64 if isinstance(value, float) else None)
            dtype = value.dtype.name
        if value.dtype.kind in "cb" or value.dtype.kind not in "iuf":
            raise InputError(f"input {name} has dtype {dtype}: check_gradients takes real "
                             "numbers (float64; float32 and integers are converted)")
        if value.dtype.kind == "f" and value.dtype.itemsize < 8:
            notes.append(f"input {name} is {dtype}: upcast to float64 (its value exactly), so "
                         "the check is of the float64 function")
        elif value.dtype.kind in "iu":
            notes.append(f"input {name} is {dtype}: taken as float64, exactly")
        arrays.append(np.asarray(value, dtype=np.float64))
        kinds.append(kind)
    return arrays, kinds, notes


class _Run:
    """One check: the trace, the comparisons, the gradient under test, the entries."""

    def __init__(self, np, fn, inputs, names, arrays, kinds, notes, scheme, rtol, atol,
                 timeout, under_test, grad):
        self.np, self.fn, self.inputs, self.names = np, fn, inputs, names
        self.arrays, self.kinds, self.notes = arrays, kinds, list(notes)
        self.scheme, self.rtol, self.atol, self.timeout = scheme, rtol, atol, timeout
        self.under_test, self.grad = under_test, grad
        self.torch_mode = "torch" in kinds
        self.shape_faults = []
        self.fd_errors = {}

    # ---- tracing ----

    def trace(self, leaves, variables=None):
        """fn traced on ``leaves``; None (with a note) for torch code we cannot trace."""
        from diffcompare.language import arrays as traced_arrays

        wrap = unwrap = None
        if self.torch_mode:
            from diffcompare.language import torch_trace

            wrap, unwrap = torch_trace.wrap, torch_trace.unwrap
        else:
            wrap = self._numpy_wrap
        try:
            return traced_arrays.trace_arrays(self.fn, leaves, self.arrays, variables,
                                              wrap=wrap, unwrap=unwrap)
        except InputError as error:
            if not self.torch_mode:
                raise
            self.note(f"not traced, so no exact reference: {error.one_line()}; the torch "
                      "gradient is checked against our finite differences of the function")
            return None

    def _numpy_wrap(self, array):
        return array

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    def point(self, variables_by_input) -> dict[str, Fraction]:
        point = {}
        for variables, array in zip(variables_by_input, self.arrays):
            for index in self.np.ndindex(array.shape):
                point[variables[index].node.name] = Fraction(float(array[index]))
        return point

    # ---- every entry ----

    def full(self) -> GradientCheck:
        from diffcompare.language.arrays import entry_label, entry_variables

        np = self.np
        leaves = [entry_variables(name, array.shape) for name, array in zip(self.names, self.arrays)]
        traced = self.trace(leaves)
        if traced is not None:
            self.notes.extend(n for n in traced.notes if n not in self.notes)
        comparisons, rows = [], []
        output_shape = traced.output_shape if traced else self._output_shape()
        tested = self.tested_full(output_shape)
        for position, output in enumerate(np.ndindex(output_shape)):
            comparison = None
            if traced is not None:
                comparison = run_compare(traced.outputs[position], self.point(leaves), self.scheme,
                                         self.rtol, self.under_test is not None, self.timeout)
                comparisons.append(comparison)
            for name, array, leaf in zip(self.names, self.arrays, leaves):
                for index in np.ndindex(array.shape):
                    label = entry_label(name, index)
                    if output_shape:
                        label = f"out[{','.join(map(str, output))}] by {label}"
                    test = tested[name][output + index] if tested is not None else None
                    rows.append(self.entry(label, name, index, output, comparison,
                                           leaf[index].node.name, test, position, array))
        return self.finish(rows, comparisons, "full", 0, tested, output_shape)

    def _output_shape(self):
        out = self.call_torch()[0]
        return tuple(out.shape)

    # ---- random directions ----

    def directional(self, count: int) -> GradientCheck:
        from diffcompare.language.arrays import along_direction
        from diffcompare.language.expression import Var
        from diffcompare.language.trace import Traced

        np = self.np
        rng = np.random.default_rng(SEED)
        t = Traced(Var("t"))
        comparisons, rows = [], []
        for k in range(1, count + 1):
            vs = [rng.choice([-1.0, 1.0], size=array.shape) for array in self.arrays]
            leaves = [along_direction(array, v, t) for array, v in zip(self.arrays, vs)]
            traced = self.trace(leaves, ["t"])
            output_shape = traced.output_shape if traced else self._output_shape()
            u = rng.choice([-1.0, 1.0], size=output_shape)
            comparison = None
            if traced is not None:
                self.notes.extend(n for n in traced.notes if n not in self.notes)
                from diffcompare.language.arrays import weighted_sum

                expression = weighted_sum(traced, u)
                comparison = run_compare(expression, {"t": Fraction(0)}, self.scheme, self.rtol,
                                         self.under_test is not None, self.timeout)
                comparisons.append(comparison)
            test = self.tested_direction(vs, u, output_shape)
            rows.append(self.entry(f"direction {k}", None, (), (), comparison, "t", test, 0,
                                   None, directional=(vs, u)))
        self.note(f"{count} random ±1 direction{'s' * (count > 1)} checked (directional "
                  f"derivatives), not every entry: the inputs have "
                  f"{sum(a.size for a in self.arrays)} entries")
        return self.finish(rows, comparisons, "directions", count, None, ())

    # ---- the gradient under test ----

    def tested_full(self, output_shape):
        """input name -> the array under test, shaped output + input; None if no test."""
        if self.under_test is None:
            return None
        grads = self.call_grad() if self.under_test == "grad" else self.torch_jacobian(output_shape)
        tested = {}
        for name, array, g in zip(self.names, self.arrays, grads):
            tested[name] = self.check_shape(name, array, g, output_shape)
        return tested

    def check_shape(self, name, array, g, output_shape):
        np = self.np
        g = np.asarray(g, dtype=np.float64)
        wanted = tuple(output_shape) + array.shape
        if g.shape != wanted:
            self.shape_faults.append((name, g.shape, wanted))
            return np.full(wanted, np.nan)
        return g

    shape_faults: list

    def call_grad(self):
        grads = self.grad(*self.inputs)
        if len(self.arrays) == 1 and not isinstance(grads, (tuple, list)):
            grads = (grads,)
        if len(grads) != len(self.arrays):
            raise InputError(f"grad returned {len(grads)} arrays for {len(self.arrays)} inputs")
        return [self.to_numpy(g) for g in grads]

    def to_numpy(self, value):
        if type(value).__module__.startswith("torch"):
            return value.detach().cpu().numpy()
        return value

    def call_torch(self, leaves=None):
        import torch

        tensors = [torch.tensor(array, dtype=torch.float64, requires_grad=True)
                   for array in self.arrays]
        out = self.fn(*tensors)
        return out, tensors

    def torch_jacobian(self, output_shape):
        import torch

        np = self.np
        out, tensors = self.call_torch()
        rows = {name: np.zeros(tuple(output_shape) + a.shape) for name, a in zip(self.names, self.arrays)}
        for output in np.ndindex(tuple(output_shape)):
            seed = torch.zeros(tuple(out.shape), dtype=out.dtype)
            seed[output] = 1.0
            grads = torch.autograd.grad(out, tensors, grad_outputs=seed, retain_graph=True,
                                        allow_unused=True)
            for name, g in zip(self.names, grads):
                if g is not None:
                    rows[name][output] = g.detach().numpy()
        return [rows[name] for name in self.names]

    def tested_direction(self, vs, u, output_shape):
        np = self.np
        if self.under_test is None:
            return None
        if self.under_test == "torch":
            import torch

            out, tensors = self.call_torch()
            grads = torch.autograd.grad(out, tensors, grad_outputs=torch.tensor(u, dtype=out.dtype),
                                        allow_unused=True)
            grads = [np.zeros(a.shape) if g is None else g.detach().numpy()
                     for a, g in zip(self.arrays, grads)]
            return float(sum(np.sum(g * v) for g, v in zip(grads, vs)))
        total = 0.0
        for name, array, g, v in zip(self.names, self.arrays, self.call_grad(), vs):
            g = self.check_shape(name, array, g, output_shape)
            total += float(np.tensordot(u, np.tensordot(g, v, axes=v.ndim), axes=u.ndim))
        return total

    # ---- entries and the verdict ----

    def entry(self, label, name, index, output, comparison, variable, test, position, array,
              directional=None) -> Entry:
        numbers_, errors = {}, {}
        exact = None
        if comparison is not None:
            exact_text = comparison.reference.exact.get(variable)
            exact = float(exact_text) if exact_text is not None else None
            for result in comparison.methods:
                numbers_[result.method] = result.number(variable)
                errors[result.method] = comparison.errors[result.method][variable]
        else:
            fd, fd_error = self.untraced_difference(index, name, output, directional)
            numbers_[finite_difference.METHOD] = fd
            errors[finite_difference.METHOD] = Error(None, None, None, 0.0, None)
            self.fd_errors[label] = fd_error
        if test is not None:
            reference = exact if exact is not None else self.stand_in(numbers_)
            numbers_[self.under_test] = float(test)
            errors[self.under_test] = ("pending", reference)
        return Entry(label, name, index, output, exact, numbers_, errors)

    fd_errors: dict

    def stand_in(self, numbers_):
        """The reference without an exact one: autograd, else finite differences."""
        if numbers_.get(autograd.METHOD) is not None:
            return numbers_[autograd.METHOD]
        return numbers_.get(finite_difference.METHOD)

    def untraced_difference(self, index, name, output, directional):
        """Our finite difference of the torch function itself, along one entry or direction."""
        import torch

        np = self.np
        chosen = finite_difference.find_scheme(
            self.scheme if self.scheme != "complex_step" else DEFAULT_SCHEME)
        if directional is None:
            moves = [np.zeros(a.shape) for a in self.arrays]
            moves[self.names.index(name)][index] = 1.0
            weights = None
        else:
            moves, weights = directional

        def along(s: float) -> float:
            with torch.no_grad():
                moved = [torch.tensor(a + s * m, dtype=torch.float64)
                         for a, m in zip(self.arrays, moves)]
                out = self.fn(*moved).detach().numpy()
            return float(out[output]) if weights is None else float(np.sum(out * weights))

        h = finite_difference.step_size(chosen, 0.0)
        estimate, error = finite_difference.estimate_with_error(chosen, along, 0.0, h)
        return estimate, error

    def finish(self, rows, comparisons, mode, count, tested, output_shape) -> GradientCheck:
        from diffcompare import patterns

        references = [e.errors[self.under_test][1] for e in rows
                      if self.under_test and isinstance(e.errors.get(self.under_test), tuple)]
        scale = max((abs(r) for r in references if r is not None), default=0.0)
        rtol = DEFAULT_RTOL if self.rtol is None else self.rtol
        atol = ATOL_SCALE * scale if self.atol is None else self.atol
        entries = []
        for e in rows:
            errors = dict(e.errors)
            if self.under_test in errors:
                errors[self.under_test] = measure_under_test(
                    e.numbers[self.under_test], errors[self.under_test][1], rtol, atol)
            entries.append(Entry(e.label, e.input, e.index, e.output, e.exact, e.numbers, errors))
        methods = tuple(m for m in (self.under_test, autograd.METHOD, finite_difference.METHOD)
                        if m is not None and any(m in e.numbers for e in entries))
        failed = any(err.within is False for e in entries for err in e.errors.values())
        reference = "exact" if comparisons and all(
            not c.reference.details.get("unavailable") for c in comparisons) else (
            autograd.METHOD if comparisons else finite_difference.METHOD)
        if self.shape_faults:
            failed = True
        check = GradientCheck(tuple(entries), methods, self.under_test, mode, count, reference,
                              self.scheme, combined_status(comparisons, failed), None,
                              tuple(self.notes), tuple(comparisons))
        pattern = None
        if failed:
            pattern = patterns.describe(check, self.names, self.arrays, self.shape_faults,
                                        self.branch_shares if mode == "full" else None)
        return GradientCheck(check.entries, methods, self.under_test, mode, count, reference,
                             self.scheme, check.status, pattern, tuple(self.notes),
                             tuple(comparisons))

    def branch_shares(self):
        """Each use of each input: its share of the gradient (split trace, our autograd)."""
        from diffcompare.language import arrays as traced_arrays

        leaves = [traced_arrays.entry_variables(name, array.shape)
                  for name, array in zip(self.names, self.arrays)]
        wrap = unwrap = None
        if self.torch_mode:
            from diffcompare.language import torch_trace

            wrap, unwrap = torch_trace.wrap, torch_trace.unwrap
        try:
            traced = traced_arrays.trace_arrays(self.fn, leaves, self.arrays, wrap=wrap,
                                                unwrap=unwrap, names=self.names, split=True)
        except InputError:
            return []
        point = self.point(leaves)
        for name, _, use in traced.uses:
            array = self.arrays[self.names.index(name)]
            for index in self.np.ndindex(array.shape):
                point[use[index].node.name] = Fraction(float(array[index]))
        shares = []
        results = [autograd.differentiate(output, point) for output in traced.outputs]
        for name, k, use in traced.uses:
            share = self.np.zeros(tuple(traced.output_shape) + use.shape)
            for position, output in enumerate(self.np.ndindex(tuple(traced.output_shape))):
                for index in self.np.ndindex(use.shape):
                    share[output + index] = results[position].gradient.get(
                        use[index].node.name) or 0.0
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
            name = f"x{position}_{name.strip('_')}" if name.strip("_") else f"x{position}"
        names.append(name)
    if len(set(names)) != len(names):
        raise InputError(f"two inputs share a name ({', '.join(names)})")
    return names


def measure_under_test(estimate: float | None, reference: float | None, rtol: float,
                       atol: float) -> Error:
    """The gradient under test against the reference: within atol + rtol·|reference|."""
    if reference is None:
        return Error(None, None, None, rtol, None)
    if estimate is None or not math.isfinite(estimate):
        return Error(None, None, None, rtol, False)
    absolute = abs(Fraction(estimate) - Fraction(reference))
    relative = absolute / abs(Fraction(reference)) if reference != 0 else None
    bound = atol + rtol * abs(reference)
    return Error(float(absolute), None if relative is None else float(relative),
                 correct_digits(None if relative is None and absolute else
                                (relative if relative is not None else 0)),
                 rtol, bool(absolute <= bound), scaled=float(absolute) / bound if bound else None)


def methods_for(scheme: str, rtol: float | None, has_test: bool) -> tuple[dict, dict | None]:
    """compare's methods (autograd, finite differences with ``scheme``) and tolerances."""
    methods = {autograd.METHOD: autograd.differentiate,
               finite_difference.METHOD: finite_difference.method(scheme)}
    tolerances = None if has_test or rtol is None else {finite_difference.METHOD: rtol}
    return methods, tolerances


def is_number(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def run_compare(expression, point: Mapping[str, Fraction], scheme: str, rtol: float | None,
                has_test: bool, timeout: float | None) -> Comparison:
    methods, tolerances = methods_for(scheme, rtol, has_test)
    return compare(expression, at=point, methods=methods, tolerances=tolerances,
                   timeout=timeout)


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
