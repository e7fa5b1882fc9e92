"""The child process that runs a user's engine: the only place where the user's code runs.

The parent (``isolation``) starts this file as a script in a fresh interpreter
(``python -I child.py``), never as a fork of itself, so nothing the engine does can
reach the parent: not ``os._exit``, not a monkeypatched ``sympy`` or ``math``, not a
``chdir``, not a module cache shared with another student's engine. This file imports
only the standard library: diffcompare (and sympy) are not loaded here.

The protocol is JSON lines. Requests come in on the original stdin, replies go out on
the original stdout; both are moved to private descriptors first, so that the engine's
``print`` goes to stderr (which the parent reads and bounds) and its ``input()`` reads
end of file. Requests:

- ``{"ready": true}``: answer {"ok": true} at once (the interpreter has started);
- ``{"load": SPEC, "path": [...], "source": TEXT|null, "memory": BYTES}``: import the class;
- ``{"shape": true}``: does ``Value(2.0)`` look like a micrograd value;
- ``{"run": NODES, "point": {...}, "mode": "once"|"twice"|"fresh"|"forward"}``: build
  the graph and call ``backward()``, reply with the numbers;
- ``{"order": NODES, "point": {...}}``: the order in which ``backward()`` visits nodes;
- ``{"hessian": NODES, "point": {...}}``: second derivatives by
  ``backward(create_graph=True)``, where the class's ``backward`` takes it.

The child has no time limit of its own: the parent holds the clock and kills the whole
process group. Numbers are sent as floats, NaN and infinity included (Python's JSON
reads them back; this pipe is ours, not the ``--json`` output).
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import json
import math
import operator
import os
import re
import sys
import time
import traceback

# Graphs larger than this are not counted node by node (only for the cost line).
_MAX_COUNTED_NODES = 1_000_000

# Python's own operators, by symbol and arity: what ``x - y`` or ``-x`` calls. The
# parent says which symbol (or method, dunder) spells each primitive, read from its
# table's spelling columns; this file holds no table of primitives of its own.
_PYTHON_OPERATORS = {
    ("+", 2): operator.add, ("-", 2): operator.sub, ("*", 2): operator.mul,
    ("/", 2): operator.truediv, ("**", 2): operator.pow, ("-", 1): operator.neg,
}
# operation name -> its operator symbol, and its spelling ({"dunder", "method", "form"}
# or None), as the parent sent them with the graph; operation key -> its form
_SYMBOLS: dict = {}
_SPELLINGS: dict = {}
_FORMS: dict = {}
_BACKWARD_CALLS = {"once": 1, "twice": 2, "fresh": 2, "forward": 0}


# ---- what went wrong, in words ----


def describe(error: BaseException) -> str:
    """``TypeName: message``, on one line."""
    text = " ".join(str(error).split())
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def user_frames(error: BaseException) -> list:
    """The frames of ``error``'s traceback in the user's code (not ours, not frozen)."""
    ours = os.path.dirname(os.path.abspath(__file__))
    frames = traceback.extract_tb(error.__traceback__)
    return [frame for frame in frames
            if not os.path.abspath(frame.filename).startswith(ours)
            and not frame.filename.startswith("<frozen")]


def _failure(error: BaseException, operation: str) -> dict:
    frames = user_frames(error)
    where = ""
    if frames:
        last = frames[-1]
        where = f"{os.path.basename(last.filename)}:{last.lineno} in {last.name}"
    recursing = ""
    if isinstance(error, RecursionError) and frames:
        names = [frame.name for frame in frames]
        name = max(set(names), key=names.count)
        recursing = name if names.count(name) > 1 else ""
    located = f" ({where})" if where else ""
    return {"kind": "exception", "operation": operation,
            "message": f"{operation} raised {describe(error)}{located}",
            "exception": type(error).__name__, "where": where, "recursing": recursing}


# ---- loading ----


def load(spec: str, path: list, source: str | None):
    """The class named by ``spec`` ("file.py:Name" or "module:Name")."""
    for folder in reversed(path):
        sys.path.insert(0, folder)
    location, _, name = spec.rpartition(":")
    if source is not None:
        namespace = {"__name__": "__user_engine__", "math": math}
        # The user's own engine code, which they asked us to check, run in this child
        # process apart from the tool (never expression text: that only goes to the parser).
        exec(compile(source, f"<source of {name}>", "exec"), namespace)
        return namespace[name]
    if location.endswith(".py") or os.sep in location or "/" in location:
        module_name = _module_name(location)
        sys.path.insert(0, os.path.dirname(os.path.abspath(location)))
        cells = notebook_cells(location, name)
        if cells is not None:
            module = _run_cells(module_name, location, cells)
        else:
            module_spec = importlib.util.spec_from_file_location(module_name, location)
            module = importlib.util.module_from_spec(module_spec)
            sys.modules[module_name] = module
            module_spec.loader.exec_module(module)
    else:
        module = importlib.import_module(location)
    return getattr(module, name)


def _module_name(location: str) -> str:
    """The name a file is imported under: its stem, or "user_engine" for a stem that is
    no identifier ("engine.pct", "my-engine")."""
    stem = os.path.splitext(os.path.basename(location))[0]
    return stem if stem.isidentifier() else "user_engine"


# A jupytext notebook saved as .py: cells start with a "# %%" line.
_JUPYTEXT_CELL = re.compile(r"^# %%", re.MULTILINE)


def notebook_cells(location: str, name: str) -> list | None:
    """The code cells to run for a notebook (.ipynb, or a jupytext .py with "# %%"
    cells): every code cell up to and including the one that defines ``class NAME``,
    IPython's magics and shell lines (%, !) left out. None for a plain Python file."""
    with open(location, encoding="utf-8") as file:
        text = file.read()
    if location.endswith(".ipynb"):
        cells = ["".join(cell.get("source", "")) for cell in json.loads(text).get("cells", [])
                 if cell.get("cell_type") == "code"]
    elif _JUPYTEXT_CELL.search(text):
        cells = _jupytext_code_cells(text)
    else:
        return None
    defining = re.compile(rf"^class {re.escape(name)}\b", re.MULTILINE)
    kept = []
    for cell in cells:
        kept.append("\n".join("" if line.lstrip().startswith(("%", "!")) else line
                              for line in cell.splitlines()))
        if defining.search(cell):
            return kept
    raise LookupError(f"no cell of {os.path.basename(location)} defines class {name}")


def _jupytext_code_cells(text: str) -> list:
    """The code cells of a jupytext "percent" notebook; markdown cells left out."""
    cells, lines, code = [], [], True
    for line in text.splitlines():
        if _JUPYTEXT_CELL.match(line):
            if code:
                cells.append("\n".join(lines))
            lines, code = [], "[markdown]" not in line and "[raw]" not in line
        else:
            lines.append(line)
    if code:
        cells.append("\n".join(lines))
    return cells


def _run_cells(module_name: str, location: str, cells: list):
    module = type(sys)(module_name)
    module.__file__ = os.path.abspath(location)
    sys.modules[module_name] = module
    for number, cell in enumerate(cells, 1):
        # the notebook's code cells up to the engine's class: user code, in this child only
        exec(compile(cell, f"{os.path.basename(location)} cell {number}", "exec"),
             module.__dict__)
    return module


def _classes(spec: str, path: list) -> list:
    location = spec.rpartition(":")[0]
    is_file = location.endswith((".py", ".ipynb")) or os.sep in location or "/" in location
    module = sys.modules.get(_module_name(location) if is_file else location)
    if module is None:
        return []
    return sorted(key for key, value in vars(module).items()
                  if isinstance(value, type) and value.__module__ == module.__name__)


# ---- building the graph ----


class _Unsupported(Exception):
    def __init__(self, key: str, reason: str):
        super().__init__(reason)
        self.key = key
        self.reason = reason


class _EngineError(Exception):
    def __init__(self, key: str, error: BaseException):
        super().__init__(str(error))
        self.key = key
        self.error = error


def operation_key(name: str, numbers: tuple) -> str:
    """The operation key for a primitive whose arguments are (or are not) plain numbers:
    "sub", "sub number" (x - 2) or "rsub" (2 - x)."""
    if len(numbers) != 2:
        return name
    if numbers[1]:
        return f"{name} number"
    if numbers[0]:
        return f"r{name}"
    return name


def form(key: str) -> str:
    """How a key reads as code, as the parent spelled it: "rsub" is "2 - x"."""
    return _FORMS.get(key, key)


def unsupported_reason(key: str, error: BaseException) -> str | None:
    """Why ``error``, raised by the forward pass of operation ``key``, means "not
    supported"; None when it is a failure instead.

    The ways Python code says "not supported": no method for the operator (TypeError:
    unsupported operand), ``assert`` or ``NotImplementedError``, and, for an operand
    that is a plain number, not accepting plain numbers at all.
    """
    message = describe(error)
    if isinstance(error, TypeError) and "unsupported operand" in str(error):
        dunder = _dunder(key)
        return f"no {dunder} ({message})" if dunder else message
    if isinstance(error, (AssertionError, NotImplementedError)):
        return message
    if isinstance(error, TypeError) and "bad operand type for unary" in str(error):
        return f"no __neg__ ({message})"
    if isinstance(error, TypeError) and _raised_on_purpose(error):
        return f"its own check of the operand refuses it ({message})"
    if _has_number(key) and isinstance(error, (TypeError, AttributeError)):
        return f"it does not accept a plain number ({message})"
    return None


def _raised_on_purpose(error: BaseException) -> bool:
    """Whether the user's code raised ``error`` with a raise statement (its own type
    check of an operand), rather than Python raising it inside an expression."""
    frames = user_frames(error)
    return bool(frames) and (frames[-1].line or "").lstrip().startswith("raise")


def _reflected(key: str) -> str:
    """"rsub" -> "sub": the operation of a key with the number on the left, or ""."""
    return key[1:] if key.startswith("r") and key[1:] in _SPELLINGS else ""


def _has_number(key: str) -> bool:
    return key.endswith(" number") or bool(_reflected(key))


def _dunder(key: str) -> str:
    """The method Python calls for the operation, e.g. __rsub__ for 2 - x."""
    reflected = _reflected(key)
    spelling = _SPELLINGS.get(reflected or key.removesuffix(" number")) or {}
    dunder = spelling.get("dunder", "")
    return dunder.replace("__", "__r", 1) if reflected and dunder else dunder


def _apply(name: str, args: list, key: str):
    """The operation as the user's code spells it: Python's operator (so ``2 - x`` calls
    ``__rsub__``), or the method (``x.tanh()``, ``x.max(y)``), or the dunder a class
    may have instead (``abs(x)``)."""
    symbol = _SYMBOLS.get(name)
    if symbol is not None:
        return _PYTHON_OPERATORS[symbol, len(args)](*args)
    spelling = _SPELLINGS.get(name)
    if not spelling:
        raise _Unsupported(key, f"{name} has no spelling for a micrograd-style engine "
                                "(no operator, no method)")
    target = args[0]
    if type(target) in (int, float):  # max(2, x): the number becomes one of the user's values
        target = type(next(arg for arg in args if type(arg) not in (int, float)))(target)
    method_name, dunder = spelling.get("method", ""), spelling.get("dunder", "")
    if method_name and isinstance(inspect.getattr_static(type(target), method_name, None),
                                  staticmethod):
        return getattr(type(target), method_name)(target, *args[1:])  # written Value.tanh(v)
    method = getattr(target, method_name, None) if method_name else None
    if not callable(method) and dunder and hasattr(type(target), dunder):
        return getattr(type(target), dunder)(target, *args[1:])
    if not callable(method):
        raise _Unsupported(key, f"the class has no {method_name or name}() method")
    return method(*args[1:])


def _learn(node: list, nodes: list) -> None:
    """Keep what the parent said of a call's spelling (symbol, spelling with its form)."""
    name, arguments = node[1], node[2]
    symbol = node[3] if len(node) > 3 else None
    spelling = node[4] if len(node) > 4 else None
    if symbol is not None:
        _SYMBOLS[name] = symbol
    _SPELLINGS[name] = spelling
    if spelling and spelling.get("form"):
        numbers = tuple(nodes[i][0] == "const" for i in arguments)
        _FORMS[operation_key(name, numbers)] = spelling["form"]


def build(nodes: list, leaves: dict):
    """The graph of ``nodes`` (["const", x] | ["var", name] | ["call", name, [i, ...],
    symbol or null, spelling or null], in evaluation order, constant subtrees already
    folded) on the user's leaves. A call with a symbol is Python's operator (``2 - x``
    calls ``__rsub__``), one without is its spelling's method (``x.tanh()``); one with
    no spelling at all is not supported."""
    values = []
    for node in nodes:
        if node[0] == "call":
            _learn(node, nodes)
        if node[0] == "const":
            values.append(node[1])
        elif node[0] == "var":
            values.append(leaves[node[1]])
        else:
            args = [values[i] for i in node[2]]
            key = operation_key(node[1], tuple(type(arg) in (int, float) for arg in args))
            try:
                values.append(_apply(node[1], args, key))
            except _Unsupported:
                raise
            except BaseException as error:  # noqa: B036 - the user's code, whatever it raises
                reason = unsupported_reason(key, error)
                if reason is not None:
                    raise _Unsupported(key, reason) from None
                raise _EngineError(form(key), error) from error
    return values[-1]


class _BadNumber(Exception):
    pass


def _number(node, attribute: str, what: str) -> float:
    if not hasattr(node, attribute):
        raise _BadNumber(f"{what} has no .{attribute}")
    number = getattr(node, attribute)
    if number is None:
        raise _BadNumber(f"{what}.{attribute} is None; initialise it to 0.0 in __init__")
    try:
        return float(number)
    except (TypeError, ValueError):
        raise _BadNumber(f"{what}.{attribute} is not a number but a "
                         f"{type(number).__name__}: {number!r:.60}") from None


def _count_nodes(root) -> int | None:
    seen: set = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if len(seen) > _MAX_COUNTED_NODES:
            return None
        stack.extend(getattr(node, "_prev", ()) or ())
    return len(seen)


def _zero(leaf) -> None:
    """Zero a leaf's grad the way its own type would: an array (0-d included) in place,
    so that an engine adding into it in place keeps its own object; a numpy scalar stays
    a numpy scalar; only a grad with no zero of its own becomes 0.0."""
    grad = getattr(leaf, "grad", 0.0)
    if type(grad) not in (int, float) and hasattr(grad, "__setitem__"):
        try:
            grad[...] = 0
            return
        except BaseException:  # noqa: B036 - the user's code; try the next way
            pass
    try:
        leaf.grad = grad * 0
    except BaseException:  # noqa: B036 - the user's code
        leaf.grad = 0.0


def run(cls: type, nodes: list, point: dict, mode: str, count_nodes: bool) -> dict:
    """Build the graph at ``point``, call ``backward()`` as ``mode`` says, read the numbers."""
    start = time.perf_counter()
    value, gradients, size = None, [], None
    phase = "creating the leaves"
    reply: dict = {}
    try:
        leaves = {name: cls(float(x)) for name, x in point.items()}
        phase = "building the graph"
        out = build(nodes, leaves)
        out = cls(float(out)) if type(out) in (int, float) else out
        value = _number(out, "data", "the output")
        for call in range(_BACKWARD_CALLS[mode]):
            if call == 1 and mode == "fresh":
                for leaf in leaves.values():
                    _zero(leaf)
                phase = "building the graph again"
                out = build(nodes, leaves)
                out = cls(float(out)) if type(out) in (int, float) else out
            phase = "backward()" if call == 0 else "the second backward()"
            out.backward()
            gradients.append({name: _number(leaf, "grad", name) for name, leaf in leaves.items()})
        if count_nodes:
            size = _count_nodes(out)
    except _Unsupported as error:
        reply["failure"] = {"kind": "unsupported", "operation": form(error.key),
                            "message": f"{form(error.key)} is not supported: {error.reason}"}
        reply["unsupported"] = [error.key]
        value, gradients = None, []
    except _EngineError as error:
        reply["failure"] = _failure(error.error, error.key)
        value, gradients = None, []
    except _BadNumber as error:
        reply["failure"] = {"kind": "bad result", "operation": phase, "message": str(error)}
    except BaseException as error:  # noqa: B036 - GeneratorExit, SystemExit, anything
        reply["failure"] = _failure(error, phase)
    reply.update(value=value, gradients=gradients, seconds=time.perf_counter() - start,
                 nodes=size)
    return reply


# Values kept alive on purpose: a class whose __del__ misbehaves does so in a check,
# where it is named, rather than in the shape test.
_KEPT = []


def shape(cls: type) -> dict:
    """Whether ``cls(2.0)`` has ``.data == 2.0``, a ``.grad`` and a ``.backward()``."""
    try:
        value = cls(2.0)
        _KEPT.append(value)
        data = float(value.data)
        has_grad = hasattr(value, "grad")
        backward = callable(getattr(value, "backward", None))
        methods = sorted(name for name in dir(value) if "back" in name.lower()
                         and not name.startswith("_") and name != "backward"
                         and callable(getattr(value, name, None)))
    except BaseException as error:  # noqa: B036 - the user's code
        return {"error": f"{cls.__name__}(2.0).data failed ({describe(error)})"}
    if data != 2.0:
        return {"error": f"{cls.__name__}(2.0).data is {data!r}, not 2.0"}
    if not has_grad:
        return {"error": "it has no .grad attribute; set self.grad = 0.0 in __init__"}
    if not backward:
        hint = (f"; it has {', '.join(m + '()' for m in methods)}: name it backward(), or "
                f"check it as it is with one line after the class: "
                f"{cls.__name__}.backward = {cls.__name__}.{methods[0]}") if methods else ""
        return {"error": "it has a .grad but no .backward() method" + hint}
    return {"ok": True, "merges": _merges(cls)}


def _merges(cls: type) -> bool:
    """Whether two distinct values holding the same number are one member of a set:
    nodes that compare and hash by value merge in a visited set."""
    try:
        a, b = cls(1.5), cls(1.5)
        _KEPT.extend((a, b))
        return len({a, b}) == 1
    except BaseException:  # noqa: B036 - unhashable values (no set at all) merge nothing
        return False


def order(cls: type, nodes: list, point: dict) -> dict:
    """In what order backward() calls the nodes' ``_backward``: "topological" (each node
    after every node that uses it), "not topological", "repeats" (a node twice), or
    "unknown" (no ``_prev``/``_backward`` to watch)."""
    leaves = {name: cls(float(x)) for name, x in point.items()}
    out = build(nodes, leaves)
    graph, stack, calls = {}, [out], []
    while stack:
        node = stack.pop()
        if id(node) in graph:
            continue
        graph[id(node)] = node
        stack.extend(getattr(node, "_prev", ()) or ())
    users: dict = {key: [] for key in graph}
    for key, node in graph.items():
        for child in getattr(node, "_prev", ()) or ():
            users[id(child)].append(key)
    watched = 0
    for key, node in graph.items():
        original = getattr(node, "_backward", None)
        if not callable(original) or not getattr(node, "_prev", None):
            continue

        def recorder(key=key, original=original):
            calls.append(key)
            return original()
        try:
            node._backward = recorder
            watched += 1
        except BaseException:  # noqa: B036 - slots or properties: nothing to watch
            pass
    if not watched:
        return {"order": "unknown"}
    out.backward()
    if len(calls) != len(set(calls)):
        return {"order": "repeats"}
    position = {key: index for index, key in enumerate(calls)}
    for key in position:
        if any(user in position and position[user] > position[key] for user in users[key]):
            return {"order": "not topological"}
    return {"order": "topological"}



# ---- second order: reverse-over-reverse ----


def supports_create_graph(cls: type) -> bool:
    """Whether ``cls.backward`` accepts ``create_graph`` (by name, or through **kwargs).
    Reads the signature only: none of the class's code runs."""
    try:
        parameters = inspect.signature(cls.backward).parameters.values()
    except (TypeError, ValueError, AttributeError):
        return False
    return any(p.name == "create_graph" or p.kind is inspect.Parameter.VAR_KEYWORD
               for p in parameters)


def hessian(cls: type, nodes: list, point: dict) -> dict:
    """The Hessian as PyTorch users read it: ``backward(create_graph=True)``, so each
    leaf's ``.grad`` is a value with a graph of its own; then per leaf, zero the leaves'
    grads, call ``backward()`` on that first derivative, and read the leaves' grads (row
    of the Hessian). A first derivative that is a plain number depends on no leaf: its
    row is zeros. Replies {"rows": [[...], ...]} in the order of ``point``, {"failure":
    message}, or {"unsupported": reason} when ``backward`` takes no ``create_graph``."""
    if not supports_create_graph(cls):
        return {"unsupported": f"{cls.__name__}.backward() takes no create_graph, so it "
                               "cannot differentiate its own backward pass"}
    phase = "creating the leaves"
    try:
        leaves = {name: cls(float(x)) for name, x in point.items()}
        phase = "building the graph"
        out = build(nodes, leaves)
        phase = "backward(create_graph=True)"
        out.backward(create_graph=True)
        firsts = [(name, leaf.grad) for name, leaf in leaves.items()]
        rows = []
        for name, first in firsts:
            for leaf in leaves.values():
                leaf.grad = 0.0
            if not hasattr(first, "backward"):
                rows.append([0.0] * len(leaves))
                continue
            phase = f"backward() from {name}.grad"
            first.backward()
            rows.append([_second(leaf, other) for other, leaf in leaves.items()])
    except _Unsupported as error:
        return {"failure": f"{form(error.key)} is not supported: {error.reason}"}
    except _EngineError as error:
        return {"failure": _failure(error.error, error.key)["message"]}
    except _BadNumber as error:
        return {"failure": f"{phase}: {error}"}
    except BaseException as error:  # noqa: B036 - the user's code, whatever it raises
        return {"failure": _failure(error, phase)["message"]}
    return {"rows": rows}


def _second(leaf, name: str) -> float:
    """A leaf's grad after the second backward: a value of the class (its ``.data``) or
    a plain number."""
    grad = getattr(leaf, "grad", None)
    if hasattr(grad, "data"):
        return _number(grad, "data", f"{name}.grad")
    return _number(leaf, "grad", name)


def _limit_memory(limit: int | None) -> None:
    if not limit:
        return
    try:
        import resource
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        wanted = limit if hard == resource.RLIM_INFINITY else min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (wanted, hard))
    except (ImportError, ValueError, OSError):
        pass  # no such limit here (not POSIX): the parent's time limit still holds


def _answer(cls, request: dict) -> dict:
    if "shape" in request:
        return shape(cls)
    if "order" in request:
        return order(cls, request["order"], request["point"])
    if "hessian" in request:
        return hessian(cls, request["hessian"], request["point"])
    return run(cls, request["run"], request["point"], request.get("mode", "once"),
               request.get("count_nodes", False))


def _die_with_parent(parent: int) -> None:
    """On Linux, ask the kernel to kill this process when the parent dies (SIGKILL
    included), so that a killed check leaves no engine behind."""
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, 9)  # 9: SIGKILL
    except (OSError, AttributeError):
        pass  # not Linux: the end of stdin below still ends the process
    if os.getppid() != parent:
        os._exit(0)  # the parent died before prctl


# prctl's option number, from <linux/prctl.h>.
_PR_SET_PDEATHSIG = 1


def main() -> None:
    if len(sys.argv) > 1:
        _die_with_parent(int(sys.argv[1]))
    requests = os.fdopen(os.dup(0), "r", encoding="utf-8")
    replies = os.fdopen(os.dup(1), "w", encoding="utf-8")
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(2, 1)  # the engine's print (from Python or C) goes to stderr
    sys.stdout = sys.stderr  # line-buffered: what it printed is there when it dies
    sys.stdin = open(os.devnull, encoding="utf-8")
    cls = None
    for line in requests:
        request = json.loads(line)
        try:
            reply: dict
            if "ready" in request:
                reply = {"ok": True}
            elif "load" in request:
                _limit_memory(request.get("memory"))
                cls = load(request["load"], request.get("path", []), request.get("source"))
                reply = {"ok": True} if isinstance(cls, type) else {
                    "error": f"{request['load']} is a {type(cls).__name__}, not a class"}
            else:
                reply = _answer(cls, request)
        except BaseException as error:  # noqa: B036 - the user's code, whatever it raises
            frames = user_frames(error)
            where = f" ({os.path.basename(frames[-1].filename)}:{frames[-1].lineno})" \
                if frames else ""
            if isinstance(error, SyntaxError) and error.lineno and "line" not in str(error):
                where = f" (line {error.lineno})"
            reply = {"error": f"{describe(error)}{where}", "exception": type(error).__name__,
                     "classes": _classes(request.get("load", ":"), [])}
        replies.write(json.dumps(reply) + "\n")
        replies.flush()
    os._exit(0)  # the parent closed the pipe: end now, whatever threads the engine left


if __name__ == "__main__":
    main()
