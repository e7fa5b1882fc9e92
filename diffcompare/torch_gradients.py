"""A PyTorch function's own gradient, and our finite differences of the function itself.

The gradient under test is what ``torch.autograd.grad`` returns: for a custom
``torch.autograd.Function``, its hand-written ``backward``. The finite differences are
for functions we cannot trace: they evaluate the torch function along one entry or one
direction, with the complex step where the function accepts complex input and agrees with
Richardson's estimate (abs, for one, takes complex input but is not analytic), else with
Richardson extrapolation. Every array here is a numpy float64 array.
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np
import torch

from diffcompare.methods import finite_difference

# The complex step is used only where it agrees with Richardson to this relative error
# (Richardson's own is about 1e-10 on smooth functions; a non-analytic operation under
# the complex step gives an unrelated number, off by far more).
AGREEMENT = 1e-6
# A kink is where the forward and backward differences disagree by more than this many
# times their own error estimates (on a smooth function they differ by about h·f'', which
# is the sum of those estimates).
KINK_SAFETY = 10.0


def _tensors(arrays: Sequence[np.ndarray], requires_grad: bool = True) -> list:
    return [torch.tensor(array, dtype=torch.float64, requires_grad=requires_grad)
            for array in arrays]


def output_shape(fn: Callable, arrays: Sequence[np.ndarray]) -> tuple:
    with torch.no_grad():
        return tuple(fn(*_tensors(arrays, requires_grad=False)).shape)


def jacobian(fn: Callable, arrays: Sequence[np.ndarray]) -> tuple[tuple, list[np.ndarray]]:
    """fn's output shape and, per input, torch's Jacobian shaped output + input (one
    backward pass per output entry)."""
    tensors = _tensors(arrays)
    out = fn(*tensors)
    shape = tuple(out.shape)
    rows = [np.zeros(shape + array.shape) for array in arrays]
    for output in np.ndindex(shape):
        seed = torch.zeros(shape, dtype=out.dtype)
        seed[output] = 1.0
        grads = torch.autograd.grad(out, tensors, grad_outputs=seed, retain_graph=True,
                                    allow_unused=True)
        for row, g in zip(rows, grads):
            if g is not None:
                row[output] = g.detach().numpy()
    return shape, rows


def directional(fn: Callable, arrays: Sequence[np.ndarray], vs: Sequence[np.ndarray],
                u: np.ndarray) -> float:
    """uᵀ·J·v: torch's vector-Jacobian product with u, dotted with the directions vs."""
    tensors = _tensors(arrays)
    out = fn(*tensors)
    grads = torch.autograd.grad(out, tensors, grad_outputs=torch.tensor(u, dtype=out.dtype),
                                allow_unused=True)
    return float(sum(np.sum(g.detach().numpy() * v) for g, v in zip(grads, vs)
                     if g is not None))


def difference(fn: Callable, arrays: Sequence[np.ndarray], moves: Sequence[np.ndarray],
               weights: np.ndarray) -> tuple[float, float, str, tuple[float, float] | None]:
    """d/ds of Σ weights·fn(arrays + s·moves) at s = 0 by our finite differences:
    (estimate, error estimate, scheme used, the one-sided derivatives (left, right) where
    they disagree, a kink such as relu at 0, else None)."""
    def along(s):
        with torch.no_grad():
            moved = [torch.tensor(a, dtype=torch.float64) + s * torch.tensor(m)
                     for a, m in zip(arrays, moves)]
            out = fn(*moved).detach().numpy()
        total = np.sum(out * weights)
        return complex(total) if np.iscomplexobj(total) else float(total)

    kink = one_sided(along)
    richardson = finite_difference.find_scheme("richardson")
    estimate, error = finite_difference.estimate_with_error(
        richardson, along, 0.0, finite_difference.step_size(richardson, 0.0))
    if kink is not None:  # central differences straddle the kink: their mean, not a slope
        return estimate, error, richardson.name, kink
    complex_step = finite_difference.find_scheme("complex_step")
    try:
        stepped = float(along(complex(0.0, complex_step.default_step)).imag
                        / complex_step.default_step)
    except (RuntimeError, TypeError, ValueError, AttributeError):
        return estimate, error, richardson.name, None  # the function refuses complex input
    if abs(stepped - estimate) <= AGREEMENT * max(abs(estimate), 1e-300) + error:
        return stepped, finite_difference.EPSILON * abs(stepped), complex_step.name, None
    return estimate, error, richardson.name, None


def one_sided(along: Callable) -> tuple[float, float] | None:
    """(left, right): the backward and forward derivatives of ``along`` at 0 where they
    disagree beyond their error estimates (a kink), else None."""
    sides = []
    for name in ("backward", "forward"):
        scheme = finite_difference.find_scheme(name)
        sides.append(finite_difference.estimate_with_error(
            scheme, along, 0.0, finite_difference.step_size(scheme, 0.0)))
    (left, left_error), (right, right_error) = sides
    if abs(left - right) > KINK_SAFETY * (left_error + right_error):
        return left, right
    return None
