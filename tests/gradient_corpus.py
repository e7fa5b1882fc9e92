"""Hand-written gradients, buggy and correct: custom torch.autograd.Functions and numpy
gradient functions, each with the pattern diffcompare should name (``expected``, a part of
its pattern line; None for a correct case). Used by tests/test_gradients.py and
benchmarks/gradcheck_compare.py. Needs numpy and torch."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch


@dataclass(frozen=True)
class Case:
    name: str
    fn: Callable  # takes torch tensors (torch cases) or numpy arrays (numpy cases)
    inputs: tuple  # numpy float64 arrays
    grad: Callable | None = None  # a numpy case's hand-written gradient
    expected: str | None = None  # a part of the pattern line; None: a correct case
    note: str = ""

    @property
    def kind(self) -> str:
        return "numpy" if self.grad is not None else "torch"

    def diffcompare_args(self):
        if self.kind == "torch":
            return (self.fn, *(torch.tensor(x) for x in self.inputs)), {}
        return (self.fn, *self.inputs), {"grad": self.grad}

    def torch_function(self):
        """The case as a function of torch tensors, for torch.autograd.gradcheck."""
        return self.fn if self.kind == "torch" else numpy_bridge(self.fn, self.grad)


def numpy_bridge(fn, grad):
    """A numpy function and its hand-written gradient as a custom torch Function."""
    class Bridge(torch.autograd.Function):
        @staticmethod
        def forward(ctx, *xs):
            ctx.save_for_backward(*xs)
            return torch.tensor(fn(*(x.detach().numpy() for x in xs)), dtype=torch.float64)

        @staticmethod
        def backward(ctx, g):
            grads = grad(*(x.detach().numpy() for x in ctx.saved_tensors))
            grads = grads if isinstance(grads, tuple) else (grads,)
            return tuple(g * torch.tensor(np.asarray(d, dtype=np.float64)) for d in grads)

    return Bridge.apply


RNG = np.random.default_rng(13)
LOGITS = np.array([[0.1, -0.3, 0.7, 0.2], [1.2, 0.4, -0.5, 0.0], [0.0, 0.3, 0.2, -0.8]])
TARGETS = torch.tensor([0, 2, 1])
X = np.array([[0.5, -1.2, 0.3], [0.8, 0.1, -0.4]])
W = np.array([[0.2, -0.5, 0.9], [1.1, 0.3, -0.7], [-0.6, 0.4, 0.25]])
V = np.array([0.7, -1.3, 0.4, -0.2, 1.5])


# ---- softmax cross-entropy ----

class SoftmaxCE(torch.autograd.Function):
    @staticmethod
    def forward(ctx, logits):
        logp = torch.log_softmax(logits, dim=1)
        ctx.save_for_backward(logp)
        return -logp[torch.arange(logits.shape[0]), TARGETS].mean()

    @staticmethod
    def backward(ctx, g):
        logp, = ctx.saved_tensors
        p = logp.exp()
        p[torch.arange(p.shape[0]), TARGETS] -= 1
        return g * p / p.shape[0]


class SoftmaxCEMissingN(SoftmaxCE):
    @staticmethod
    def backward(ctx, g):
        logp, = ctx.saved_tensors
        p = logp.exp()
        p[torch.arange(p.shape[0]), TARGETS] -= 1
        return g * p  # BUG: the mean's /N is missing


# ---- matmul ----

class MatMul(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, w):
        ctx.save_for_backward(x, w)
        return x @ w

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        return g @ w.T, x.T @ g


class MatMulTransposed(MatMul):
    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        return g @ w.T, g.T @ x  # BUG: (x.T @ g).T, which has the right shape for square w


def matmul_loss(function):
    return lambda x, w: (torch.tanh(function.apply(x, w)) * torch.tensor(
        [[1.0, -2.0, 0.5], [0.3, 1.0, -1.0]])).sum()


# ---- tanh with a scale inside ----

class ScaledTanh(torch.autograd.Function):  # tanh(2x)
    @staticmethod
    def forward(ctx, x):
        y = torch.tanh(2 * x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        y, = ctx.saved_tensors
        return g * (1 - y * y)  # BUG: the chain factor 2 of tanh(2x) is missing


# ---- relu ----

class Relu(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.clamp(min=0)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * (x > 0).double()


class ReluMaskOnOutput(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        y = x.clamp(min=0)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        y, = ctx.saved_tensors
        return g * (y >= 0).double()  # BUG: the mask of the output, always true


# ---- in place ----

class ScaledExp(torch.autograd.Function):  # 3·exp(x)
    @staticmethod
    def forward(ctx, x):
        y = torch.exp(x)
        ctx.save_for_backward(y)
        y.mul_(3)  # BUG: scales the saved tensor in place, after saving it
        return y

    @staticmethod
    def backward(ctx, g):
        y, = ctx.saved_tensors  # meant exp(x), now 3·exp(x)
        return g * 3 * y


# ---- a variable used twice: x·tanh(x) ----

class XTanhX(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        t = torch.tanh(x)
        ctx.save_for_backward(x, t)
        return x * t

    @staticmethod
    def backward(ctx, g):
        x, t = ctx.saved_tensors
        grad = g * t  # the share through x's use in the product
        grad = g * x * (1 - t * t)  # BUG: = where += belongs, the product's share is lost
        return grad


def weighted_sum(function):
    weights = torch.tensor([1.0, -0.5, 2.0, 0.25, -1.0])
    return lambda x: (function.apply(x) * weights).sum()


# ---- numpy gradient functions ----

def sin_loss(x):
    return np.sum(np.sin(x) * x)


def sin_grad_wrong_sign(x):
    return -(np.cos(x) * x + np.sin(x))  # BUG: the sign


def sin_grad(x):
    return np.cos(x) * x + np.sin(x)


def linear_loss(x, b):
    return np.sum(np.tanh(x @ W + b) * np.array([1.0, -2.0, 0.5]))


def linear_grad(x, b, forgotten_sum=False):
    dz = (1 - np.tanh(x @ W + b) ** 2) * np.array([1.0, -2.0, 0.5])
    db = dz if forgotten_sum else dz.sum(axis=0)  # BUG when forgotten: b is broadcast over rows
    return dz @ W.T, db


def rows_loss(x):
    return np.sum(np.exp(x) * np.array([[1.0], [2.0], [3.0]]))


def rows_grad_stale_last_row(x):
    grad = np.zeros_like(x)
    for i in range(x.shape[0] - 1):
        grad[i] = np.exp(x[i]) * (i + 1)
    grad[-1] = grad[-2]  # BUG: the last row copied from the one before
    return grad


def two_inputs_loss(x, w):
    return np.sum(np.tanh(x * w))


def two_inputs_grad_frozen_w(x, w):
    d = 1 - np.tanh(x * w) ** 2
    return d * w, np.zeros_like(w)  # BUG: w's gradient left at zeros


N_LARGE = 600
X_LARGE = RNG.uniform(-1, 1, N_LARGE)


def mean_square(x):
    return np.mean(x * x)


def mean_square_grad_off_by_one(x):
    return 2 * x / (x.size + 1)  # BUG: /(N+1); below gradcheck's atol for N = 600


def regularized_loss(x, w):
    return np.sum(np.tanh(x @ w)) + 1e-6 * np.sum(w ** 2)


def regularized_grad_without_penalty(x, w):
    d = 1 - np.tanh(x @ w) ** 2
    return d[:, None] * w[None, :], x.T @ d  # BUG: the 1e-6·‖w‖² branch is dropped


def regularized_grad(x, w):
    dx, dw = regularized_grad_without_penalty(x, w)
    return dx, dw + 2e-6 * w


SMALL_X = np.array([[0.3, -0.2], [0.5, 0.1], [-0.4, 0.6]])
SMALL_W = np.array([0.8, -1.1])

CASES = [
    # buggy
    Case("softmax_ce_missing_N", lambda x: SoftmaxCEMissingN.apply(x), (LOGITS,),
         expected="missing /3"),
    Case("matmul_grad_transposed", matmul_loss(MatMulTransposed), (X, W),
         expected="transposed"),
    Case("wrong_sign", sin_loss, (np.array([0.3, -1.1, 2.0]),), grad=sin_grad_wrong_sign,
         expected="sign is flipped"),
    Case("tanh_missing_chain_factor", lambda x: ScaledTanh.apply(x).sum(),
         (np.array([0.2, -0.4, 0.7]),), expected="extra /2"),
    Case("bias_forgotten_sum", linear_loss, (X, np.array([0.1, -0.2, 0.3])),
         grad=lambda x, b: linear_grad(x, b, forgotten_sum=True), expected="forgotten sum"),
    Case("relu_mask_on_output", weighted_sum(ReluMaskOnOutput), (V,),
         expected="x is negative"),
    Case("inplace_corrupts_saved", lambda x: ScaledExp.apply(x).sum(),
         (np.array([0.1, -0.7, 1.3]),), expected="missing /3"),
    Case("accumulation_lost", weighted_sum(XTanhX), (V,), expected="share of use"),
    Case("stale_last_row", rows_loss, (RNG.uniform(-1, 1, (3, 2)),),
         grad=rows_grad_stale_last_row, expected="one row wrong"),
    Case("frozen_weight_zeros", two_inputs_loss, (np.array([0.4, -0.9, 1.2]),
                                                  np.array([1.5, 0.5, -0.3])),
         grad=two_inputs_grad_frozen_w, expected="zeros"),
    Case("mean_off_by_one_large", mean_square, (X_LARGE,),
         grad=mean_square_grad_off_by_one, expected="600/601",
         note="error 1/601 of each entry: below gradcheck's atol"),
    Case("penalty_branch_dropped", regularized_loss, (SMALL_X, SMALL_W),
         grad=regularized_grad_without_penalty, expected="share of use",
         note="the penalty's gradient, 2e-6·w, is below gradcheck's atol"),
    # correct
    Case("softmax_ce", lambda x: SoftmaxCE.apply(x), (LOGITS,)),
    Case("matmul", matmul_loss(MatMul), (X, W)),
    Case("relu", weighted_sum(Relu), (V,)),
    Case("sin", sin_loss, (np.array([0.3, -1.1, 2.0]),), grad=sin_grad),
    Case("linear", linear_loss, (X, np.array([0.1, -0.2, 0.3])), grad=linear_grad),
    Case("regularized", regularized_loss, (SMALL_X, SMALL_W), grad=regularized_grad),
]
