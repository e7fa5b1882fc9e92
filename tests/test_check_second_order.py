"""check for second order: a class whose backward takes create_graph is checked on
Hessians (reverse-over-reverse); one whose backward does not is unsupported, not failed."""

import math

from diffcompare import Value as OurValue
from diffcompare.check.second_order import check_second_order, supports_create_graph


class DoubleBackwardValue:
    """A micrograd Value whose backward can record itself (PyTorch's create_graph): each
    local derivative is built from Values, so the grads form a graph of their own."""

    def __init__(self, data, _children=(), _local=()):
        self.data = float(data)
        self.grad = 0.0
        self._prev = tuple(_children)
        self._local = tuple(_local)  # callables: the local derivative per child

    def _wrap(self, other):
        return other if isinstance(other, DoubleBackwardValue) else type(self)(other)

    def __add__(self, other):
        other = self._wrap(other)
        return type(self)(self.data + other.data, (self, other),
                                   (lambda: 1.0, lambda: 1.0))

    def __mul__(self, other):
        other = self._wrap(other)
        return type(self)(self.data * other.data, (self, other),
                                   (lambda: other, lambda: self))

    def __pow__(self, n):
        return type(self)(self.data ** n, (self,), (lambda: n * self ** (n - 1),))

    def tanh(self):
        out = type(self)(math.tanh(self.data), (self,))
        out._local = (lambda: 1 - out * out,)
        return out

    def __neg__(self):
        return self * -1

    def __sub__(self, other):
        return self + (-self._wrap(other))

    def __rsub__(self, other):
        return self._wrap(other) - self

    def __truediv__(self, other):
        return self * self._wrap(other) ** -1

    def __rtruediv__(self, other):
        return self._wrap(other) * self ** -1

    __radd__ = __add__
    __rmul__ = __mul__

    def backward(self, create_graph=False):
        order, seen, stack = [], set(), [(self, False)]
        while stack:
            node, done = stack.pop()
            if done:
                order.append(node)
            elif id(node) not in seen:
                seen.add(id(node))
                stack.append((node, True))
                stack.extend((child, False) for child in node._prev)
        for node in order:
            if node._prev:
                node.grad = 0.0  # as in PyTorch, only the leaves keep (and add up) grads
        self.grad = DoubleBackwardValue(1.0) if create_graph else 1.0
        for node in reversed(order):
            for child, local in zip(node._prev, node._local):
                d, g = local(), node.grad
                if not create_graph:
                    d, g = getattr(d, "data", d), getattr(g, "data", g)
                child.grad = child.grad + g * d


def test_check_second_order_unsupported_without_create_graph():
    report = check_second_order(OurValue)
    assert not report.supported and "create_graph" in report.reason and report.ok


def test_check_second_order_passes_a_correct_double_backward_engine():
    assert supports_create_graph(DoubleBackwardValue)
    report = check_second_order(DoubleBackwardValue)
    assert report.supported and report.ok, [(r.name, r.failure, r.wrong) for r in report.results]
    rosenbrock = report.results[0].hessian.entries
    assert rosenbrock == ((802.0, -400.0), (-400.0, 200.0))


def test_check_second_order_catches_a_wrong_local_derivative_of_tanh():
    class WrongTanh(DoubleBackwardValue):
        def tanh(self):
            out = type(self)(math.tanh(self.data), (self,))
            out._local = (lambda: 1 - out,)  # should be 1 - out²
            return out

    report = check_second_order(WrongTanh)
    assert not report.ok
    assert [r.name for r in report.results if not r.ok] == ["tanh neuron"]


def test_check_command_says_second_order_is_unsupported_for_a_first_order_engine():
    from helpers import ROOT, run_cli

    done = run_cli("check", str(ROOT / "tests" / "engines" / "correct.py") + ":Value")
    assert done.returncode == 0, done.stderr
    assert "second order: unsupported (Value.backward() takes no create_graph" in done.stdout
    assert done.stdout.strip().splitlines()[-1].startswith("PASS")


def _engine_file(tmp_path, subclass: str):
    """A file holding DoubleBackwardValue and ``subclass`` (class Value)."""
    import inspect
    import textwrap

    path = tmp_path / "engine.py"
    path.write_text("import math\nimport os\n\n" + inspect.getsource(DoubleBackwardValue)
                    + "\n\n" + textwrap.dedent(subclass))
    return path


def test_check_second_order_runs_the_engine_in_its_own_process(tmp_path):
    import os

    path = _engine_file(tmp_path, """\
        class Value(DoubleBackwardValue):
            def backward(self, create_graph=False):
                if create_graph:
                    os._exit(0)
                super().backward()
        """)
    report = check_second_order(f"{path}:Value")
    assert report.supported and not report.ok
    assert all(r.failure and "ended with exit status 0" in r.failure for r in report.results)
    assert os.getpid()  # this process lives on


def test_check_command_fails_an_engine_right_at_first_order_wrong_at_second(tmp_path):
    """tanh's local derivative cut from the graph (out.data): every gradient is right,
    the Hessian of the neuron is not; text, class table and JSON say so, exit 1."""
    import json

    from helpers import run_cli

    path = _engine_file(tmp_path, """\
        class Value(DoubleBackwardValue):
            def tanh(self):
                out = type(self)(math.tanh(self.data), (self,))
                out._local = (lambda: 1 - out * out.data,)
                return out
        """)
    done = run_cli("check", str(path))
    assert done.returncode == 1, done.stderr
    assert "  - tanh neuron: FAIL, d2f/dx1dx1 = " in done.stdout
    assert " 0 failed, " in done.stdout.splitlines()[-1]
    assert done.stdout.splitlines()[-1].startswith("FAIL")
    assert "second order: 2 of 3 Hessians right" in done.stdout
    done = run_cli("check", str(path), str(path), "--json")
    assert done.returncode == 1, done.stderr
    engines = json.loads(done.stdout)["engines"]
    assert [e["second_order"]["ok"] for e in engines] == [False, False]
    assert [c["ok"] for c in engines[0]["second_order"]["checks"]] == [True, False, True]
    table = run_cli("check", str(path), str(path))
    assert table.stdout.count("second order: tanh neuron wrong") == 2
