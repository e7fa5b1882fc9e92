"""Speed and memory of our engine against micrograd's design and PyTorch, in one run.

    python benchmarks/engine.py            # about three minutes; --quick for a rough look

Workloads (the issue's):
  (a) chain N: y = tanh(y*1.0001 + 1e-6), N = 1e3, 1e4, 1e5 (3 operations per step);
      its gradient stays a normal float (about 1e-19 at N = 1e5), so the check column
      compares real numbers (with + 0.1 it underflowed to 4.94e-324 from N = 1e4 on);
  (b) wide:    w_1*x_1 + ... + w_n*x_n, n = 1e5 (2n - 1 operations);
  (c) mlp:     50 SGD steps of MLP(3, [4, 4, 1]) on the lecture's 4 points.

Engines:
  diffcompare   diffcompare.Value and diffcompare.nn, used as a user would (GC on);
  micrograd     the lecture's engine, written out below: a closure per operation, a set
                of children per node, numbers wrapped in nodes, a recursive topological
                sort (recursion limit raised), and the lecture's nn;
  torch         0-dim float64 tensors, op by op (only when torch is installed).

Each engine runs in a fresh Python process of its own, with only what it needs
imported, as in a user's program: our engine with ``diffcompare.engine`` and ``nn``
(which import neither sympy nor mpmath), micrograd with nothing, PyTorch with torch.
(In one shared process, torch's 200,000 objects would slow every engine's garbage
collections.) Times are per operation of the
workload (the same count for every engine), from the run with the best total time of
several, each started after gc.collect(). Memory is what tracemalloc sees allocated by
one forward pass and held by its graph, per operation (torch's C++ memory is invisible
to it). The targets, as ratios from this run:
  speed:    diffcompare at least 3x faster (total time) than the faster other engine
            (issue 12);
  flatness: diffcompare's time per operation at N=1e5 at most 1.5x that at N=1e3;
  memory:   diffcompare's bytes per operation at most 1/3 of micrograd's.
The row "diffcompare, GC paused" is our engine inside engine.gc_paused(): it shows what
Python's cyclic garbage collector costs while a large graph is built.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import importlib.metadata
import importlib.util
import json
import math
import platform
import random
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# Loaded by _load(), in the worker process of the engine that needs them.
engine = nn = Value = topological_order = torch = None

CHAIN_SIZES = (1_000, 10_000, 100_000)
MEMORY_CHAIN_SIZE = 10_000
WIDE_SIZE = 100_000
MLP_STEPS = 50
MLP_SIZES = [4, 4, 1]
LEARNING_RATE = 0.1
XS = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
YS = [1.0, -1.0, -1.0, 1.0]
SEED = 1337
PAUSED = "diffcompare, GC paused"  # our engine inside engine.gc_paused()

# Targets of the issue.
SPEEDUP_TARGET = 3.0  # issue 12: at least 3x the best of micrograd and PyTorch-scalar
FLATNESS_TARGET = 1.5
MEMORY_TARGET = 1 / 3


# ---- the baseline: the lecture's engine and nn, as written there ----


class MicrogradValue:
    def __init__(self, data, _children=(), _op=''):
        self.data = data
        self.grad = 0
        self._backward = lambda: None
        self._prev = set(_children)
        self._op = _op

    def __add__(self, other):
        other = other if isinstance(other, MicrogradValue) else MicrogradValue(other)
        out = MicrogradValue(self.data + other.data, (self, other), '+')

        def _backward():
            self.grad += out.grad
            other.grad += out.grad
        out._backward = _backward
        return out

    def __mul__(self, other):
        other = other if isinstance(other, MicrogradValue) else MicrogradValue(other)
        out = MicrogradValue(self.data * other.data, (self, other), '*')

        def _backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad
        out._backward = _backward
        return out

    def __pow__(self, other):
        assert isinstance(other, (int, float))
        out = MicrogradValue(self.data**other, (self,), f'**{other}')

        def _backward():
            self.grad += (other * self.data**(other - 1)) * out.grad
        out._backward = _backward
        return out

    def tanh(self):
        t = math.tanh(self.data)  # the lecture uses exp; math.tanh is faster, so fairer
        out = MicrogradValue(t, (self,), 'tanh')

        def _backward():
            self.grad += (1 - t**2) * out.grad
        out._backward = _backward
        return out

    def backward(self):
        topo = []
        visited = set()

        def build_topo(v):
            if v not in visited:
                visited.add(v)
                for child in v._prev:
                    build_topo(child)
                topo.append(v)
        build_topo(self)
        self.grad = 1
        for v in reversed(topo):
            v._backward()

    def __neg__(self):
        return self * -1

    def __radd__(self, other):
        return self + other

    def __sub__(self, other):
        return self + (-other)

    def __rmul__(self, other):
        return self * other


class MicrogradNeuron:
    def __init__(self, nin, rng):
        self.w = [MicrogradValue(rng.uniform(-1, 1)) for _ in range(nin)]
        self.b = MicrogradValue(rng.uniform(-1, 1))

    def __call__(self, x):
        act = sum((wi * xi for wi, xi in zip(self.w, x)), self.b)
        return act.tanh()

    def parameters(self):
        return self.w + [self.b]


class MicrogradLayer:
    def __init__(self, nin, nout, rng):
        self.neurons = [MicrogradNeuron(nin, rng) for _ in range(nout)]

    def __call__(self, x):
        outs = [n(x) for n in self.neurons]
        return outs[0] if len(outs) == 1 else outs

    def parameters(self):
        return [p for neuron in self.neurons for p in neuron.parameters()]


class MicrogradMLP:
    def __init__(self, nin, nouts, rng):
        sz = [nin] + nouts
        self.layers = [MicrogradLayer(sz[i], sz[i + 1], rng) for i in range(len(nouts))]

    def __call__(self, x):
        for layer in self.layers:
            x = layer(x)
        return x

    def parameters(self):
        return [p for layer in self.layers for p in layer.parameters()]


# ---- PyTorch, op by op on 0-dim float64 tensors, in the same shape ----


class TorchNeuron:
    def __init__(self, nin, rng):
        self.w = [_tensor(rng.uniform(-1, 1)) for _ in range(nin)]
        self.b = _tensor(rng.uniform(-1, 1))

    def __call__(self, x):
        act = self.b
        for wi, xi in zip(self.w, x):
            act = act + wi * xi
        return torch.tanh(act)

    def parameters(self):
        return self.w + [self.b]


class TorchMLP(MicrogradMLP):
    def __init__(self, nin, nouts, rng):
        sz = [nin] + nouts
        self.layers = [MicrogradLayer.__new__(MicrogradLayer) for _ in nouts]
        for i, layer in enumerate(self.layers):
            layer.neurons = [TorchNeuron(sz[i], rng) for _ in range(sz[i + 1])]


def _tensor(x, grad=True):
    return torch.tensor(x, dtype=torch.float64, requires_grad=grad)


# ---- the workloads: setup (not timed), forward (returns the output), backward ----


# The chain's shift: small, so the chain settles near y = 0.02 where each step's derivative
# 1.0001·sech² is about 0.9997 and the gradient stays normal.
CHAIN_SHIFT = 1e-6


class Chain:
    """y = tanh(y*1.0001 + 1e-6), ``size`` times: the gradient stays normal (see above)."""

    def __init__(self, engine_name: str, size: int):
        self.engine_name, self.size = engine_name, size
        self.x = _leaf(engine_name, 0.5)

    def forward(self):
        y = self.x
        if self.engine_name == "torch":
            for _ in range(self.size):
                y = torch.tanh(y * 1.0001 + CHAIN_SHIFT)
        else:
            for _ in range(self.size):
                y = (y * 1.0001 + CHAIN_SHIFT).tanh()
        return y

    def backward(self, y) -> float:
        y.backward()
        return _number(self.x.grad)



class Wide:
    """w_1*x_1 + ... + w_n*x_n over 2n leaves."""

    def __init__(self, engine_name: str, size: int):
        rng = random.Random(SEED)
        self.ws = [_leaf(engine_name, rng.uniform(-1, 1)) for _ in range(size)]
        self.xs = [_leaf(engine_name, rng.uniform(-1, 1)) for _ in range(size)]

    def forward(self):
        total = self.ws[0] * self.xs[0]
        for w, x in zip(self.ws[1:], self.xs[1:]):
            total = total + w * x
        return total

    def backward(self, total) -> float:
        total.backward()
        return _number(self.ws[-1].grad)



class Training:
    """``size`` SGD steps of MLP(3, [4, 4, 1]) on the lecture's data, as in the lecture.

    The forward phase is the predictions and the loss; the backward phase is zeroing the
    grads, backward() and the update."""

    def __init__(self, engine_name: str, size: int):
        self.engine_name, self.size = engine_name, size
        rng = random.Random(SEED)  # the same initial weights for every engine
        if engine_name.startswith("diffcompare"):
            self.model = nn.MLP(3, MLP_SIZES, rng=rng)
        elif engine_name == "micrograd":
            self.model = MicrogradMLP(3, MLP_SIZES, rng)
        else:
            self.model = TorchMLP(3, MLP_SIZES, rng)
        self.parameters = self.model.parameters()

    def loss(self):
        predictions = [self.model(x) for x in XS]
        if self.engine_name.startswith("diffcompare"):
            return nn.squared_error(predictions, YS)
        return sum((yout - ygt)**2 for ygt, yout in zip(YS, predictions))

    def step(self, loss) -> None:
        if self.engine_name.startswith("diffcompare"):
            self.model.zero_grad()
            loss.backward()
            nn.sgd_step(self.parameters, LEARNING_RATE)
        elif self.engine_name == "micrograd":
            for p in self.parameters:
                p.grad = 0.0
            loss.backward()
            for p in self.parameters:
                p.data += -LEARNING_RATE * p.grad
        else:
            for p in self.parameters:
                p.grad = None
            loss.backward()
            with torch.no_grad():
                for p in self.parameters:
                    p -= LEARNING_RATE * p.grad

    def run(self) -> tuple[float, float, float]:
        forward = backward = 0.0
        for _ in range(self.size):
            start = time.perf_counter()
            loss = self.loss()
            middle = time.perf_counter()
            self.step(loss)
            forward += middle - start
            backward += time.perf_counter() - middle
        return forward, backward, _number(loss.data if self.engine_name != "torch" else loss)



WORKLOADS = {"chain": Chain, "wide": Wide, "mlp": Training}


def _leaf(engine_name: str, x: float):
    if engine_name.startswith("diffcompare"):
        return Value(x)
    if engine_name == "micrograd":
        return MicrogradValue(x)
    return _tensor(x)


def _number(x) -> float:
    return x.item() if torch is not None and isinstance(x, torch.Tensor) else float(x)


def _load(engine_name: str) -> None:
    global engine, nn, Value, topological_order, torch
    if engine_name.startswith("diffcompare"):
        from diffcompare import engine, nn
        from diffcompare.draw import topological_order
        from diffcompare.engine import Value
    elif engine_name == "torch":
        import torch


# ---- the worker: one engine, one workload, in its own process ----


def run_once(workload: str, size: int, engine_name: str) -> tuple[float, float, float]:
    """(forward seconds, backward seconds, check) of one run, after gc.collect()."""
    job = WORKLOADS[workload](engine_name, size)
    gc.collect()
    paused = engine.gc_paused() if engine_name == PAUSED else contextlib.nullcontext()
    with paused:
        if workload == "mlp":
            return job.run()
        start = time.perf_counter()
        out = job.forward()
        middle = time.perf_counter()
        check = job.backward(out)
        end = time.perf_counter()
    return middle - start, end - middle, check


def bytes_per_operation(workload: str, size: int, engine_name: str) -> float:
    """Bytes allocated by one forward pass and held by its graph, per operation (the
    leaves and the model exist before; the grads a backward pass adds, one float per
    node in every engine, are not counted)."""
    job = WORKLOADS[workload](engine_name, size)
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    out = job.loss() if workload == "mlp" else job.forward()
    held = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    del out
    return held / operations(workload, size if workload != "mlp" else 1)


def worker(engine_name: str, workload: str, size: int, repeats: int, memory: bool) -> None:
    _load(engine_name)
    # The baseline's recursive sort goes as deep as the graph: about 5 frames per step.
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 6 * size + 1000))
    runs = []
    for _ in range(repeats):
        forward, backward, check = run_once(workload, size, engine_name)
        runs.append((forward + backward, forward, backward, check))
    total, forward, backward, check = min(runs)
    print(json.dumps({"total": total, "forward": forward, "backward": backward,
                      "check": check,
                      "bytes": bytes_per_operation(workload, size, engine_name)
                      if memory else None}))


def operations(workload: str, size: int) -> int:
    """Operations the workload performs: nodes our engine makes (the same program)."""
    if workload == "chain":
        return 3 * size
    if workload == "wide":
        return 2 * size - 1
    from diffcompare import nn
    from diffcompare.draw import topological_order

    model = nn.MLP(3, MLP_SIZES, rng=random.Random(SEED))
    loss = nn.squared_error([model(x) for x in XS], YS)
    return size * (len(topological_order(loss)) - len(model.parameters()))


# ---- the run: every engine on every workload, then the table and the targets ----


def measure(engine_name: str, workload: str, size: int, repeats: int, memory: bool) -> dict:
    command = [sys.executable, __file__, "--worker", engine_name, workload, str(size),
               str(repeats)] + (["--memory"] if memory else [])
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"benchmarks/engine.py: the {engine_name} worker failed on "
                         f"{workload}:\n{done.stderr}")
    return json.loads(done.stdout)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="one run each: rough figures")
    parser.add_argument("--worker", nargs=4, metavar=("ENGINE", "WORKLOAD", "SIZE", "RUNS"),
                        help=argparse.SUPPRESS)
    parser.add_argument("--memory", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        name, workload, size, repeats = args.worker
        worker(name, workload, int(size), int(repeats), args.memory)
        return 0

    from tabulate import tabulate

    has_torch = importlib.util.find_spec("torch") is not None
    others = ["micrograd"] + (["torch"] if has_torch else [])
    engines = ["diffcompare", PAUSED] + others
    plan = [("chain", n, 1 if args.quick else max(3, 30_000 // n)) for n in CHAIN_SIZES]
    plan += [("wide", WIDE_SIZE, 1 if args.quick else 3),
             ("mlp", MLP_STEPS, 1 if args.quick else 5)]

    rows, speedups, per_op, memory = [], {}, {}, {}
    for workload, size, repeats in plan:
        count = operations(workload, size)
        label = f"{workload} {_size_text(workload, size)}"
        _progress(f"{label}: best of {repeats} run{'s' if repeats > 1 else ''} per engine")
        with_memory = workload != "chain" or size == MEMORY_CHAIN_SIZE
        results = {name: measure(name, workload, size, repeats,
                                 with_memory and name in ("diffcompare", "micrograd"))
                   for name in engines}
        ours = results["diffcompare"]["total"]
        speedups[label] = min(results[name]["total"] for name in others) / ours
        for name, result in results.items():
            per_op[(label, name)] = result["total"] / count
            if result["bytes"] is not None:
                memory[(label, name)] = result["bytes"]
            rows.append([label if name == engines[0] else "", name, f"{count:,}",
                         f"{result['forward'] / count * 1e9:,.0f}",
                         f"{result['backward'] / count * 1e9:,.0f}",
                         f"{result['total'] / count * 1e9:,.0f}",
                         "" if result["bytes"] is None else f"{result['bytes']:,.0f}",
                         f"{result['total'] / ours:.2f}", f"{result['check']:.12g}"])
    torch_text = f"torch {importlib.metadata.version('torch')}" if has_torch else \
        "torch not installed: compared with the micrograd baseline only"
    print(f"python {platform.python_version()} ({platform.machine()}), {torch_text}; "
          f"{'one run each (--quick)' if args.quick else 'best of several runs'}")
    print(tabulate(rows, headers=["workload", "engine", "operations", "forward ns/op",
                                  "backward ns/op", "total ns/op", "bytes/op",
                                  "time / ours", "check (same in all)"],
                   disable_numparse=True, colalign=("left", "left") + ("right",) * 7))
    print()
    print(summary(speedups, per_op, memory, others))
    return 0


def summary(speedups, per_op, memory, others) -> str:
    first, last = (f"chain {_size_text('chain', n)}" for n in (CHAIN_SIZES[0], CHAIN_SIZES[-1]))
    worst = min(speedups.values())
    lines = ["targets (ratios from this run):",
             f"  speed: ours vs the faster of {' and '.join(others)}: "
             + ", ".join(f"{label} {ratio:.1f}x" for label, ratio in speedups.items())
             + f"; worst {worst:.1f}x, target >= {SPEEDUP_TARGET:g}x: "
             + _verdict(worst >= SPEEDUP_TARGET)]
    for name in ["diffcompare", PAUSED] + others:
        growth = per_op[(last, name)] / per_op[(first, name)]
        text = f"  flatness: {name}, time per op at N=1e5 / at N=1e3 = {growth:.2f}x"
        if name.startswith("diffcompare"):
            text += f", target <= {FLATNESS_TARGET:g}x: " + _verdict(growth <= FLATNESS_TARGET)
        lines.append(text)
    for label in sorted({label for label, _ in memory}):
        ours, theirs = memory[(label, "diffcompare")], memory[(label, "micrograd")]
        lines.append(f"  memory: {label}, ours {ours:.0f} B/op, micrograd {theirs:.0f} B/op, "
                     f"ratio {ours / theirs:.2f}, target <= 1/3: "
                     + _verdict(ours / theirs <= MEMORY_TARGET))
    return "\n".join(lines)


def _progress(text: str) -> None:
    sys.stderr.write(f"benchmarks/engine.py: {text}\n")
    sys.stderr.flush()


def _verdict(met: bool) -> str:
    return "met" if met else "NOT MET"


def _size_text(workload: str, size: int) -> str:
    if workload == "mlp":
        return f"{size} steps"
    letter = "N" if workload == "chain" else "n"
    return f"{letter}=1e{round(math.log10(size))}"


if __name__ == "__main__":
    sys.exit(main())
