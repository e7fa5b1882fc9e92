"""From a pattern of check results to the likely bug, in words.

A wrong number alone says little; the pattern across checks says much more:

- every grad 0 in every check: the output's grad is never seeded with 1;
- an operation right alone but wrong when its input is used again, and wrong by exactly
  the share of the other use: its ``_backward`` assigns (=) where it should add (+=);
- a variable used twice right (``a + a``) but a node reached by two paths wrong: there
  is no topological sort, so a node sends its grad down once per path;
- a RecursionError on the deep graph: the topological sort (or backward) is recursive;
- a wrong local derivative that matches a classic wrong formula (1 − tanh without the
  square, n·xⁿ for the power rule, ...): that formula;
- a check that uses an operation already wrong on its own: that operation;
- a check that does not finish, or ends the engine's process: that, once for every check
  lost the same way (the exit status or signal and the last output).

Checks that were not run (the process was lost too often before their turn) get no
diagnosis and are no cause: the runs that lost it are.

``diagnose`` gives each failed check a short cause and a sentence, and the engine a
list of causes, most telling first.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Sequence

from diffcompare.check.user_graph import FORMS, base_operation
from diffcompare.language.expression import Call, Expression, evaluate_float
from diffcompare.language.parse import parse
from diffcompare.language.primitives import PRIMITIVES

# Two numbers are "the same" for a diagnosis when they agree to this relative
# tolerance: far looser than the verdict's 1e-9, far tighter than a coincidence.
_MATCH = 1e-6

# A formula longer than this is left out of a sentence.
_LONGEST_FORMULA = 48

SEED = ("backward() does not seed the output's grad with 1, so every grad stays 0: set "
        "self.grad = 1 before walking the graph")
NO_TOPOLOGICAL_SORT = ("backward() runs without a topological sort: a node reached by "
                       "two paths sends its grad down once per path, before it has its "
                       "full grad; call each node's _backward once, in reverse "
                       "topological order")
RECURSIVE_SORT = ("the topological sort is recursive and fails on deep graphs "
                  "(RecursionError: Python allows about 1,000 nested calls); build the "
                  "order with an explicit stack")
OVERCOUNT = ("a second backward() without zeroing the grads over-counts: the intermediate "
             "nodes keep their grads from the first call and send them down again "
             "(micrograd's known bug; PyTorch's rule is that leaf grads double). Fix: "
             "in backward(), set every node's grad but the leaves' to 0 before seeding the "
             "output. A training loop that zeroes all grads before each backward(), as the "
             "lecture's does, is not affected")
ASSIGNED = "the grad seems to be assigned (=) rather than accumulated (+=)"

# Reflected operators: what Python calls for "2 OP x", the operator, a correct body.
_REFLECTED = {
    "radd": ("__radd__", "+", "return self + other"),
    "rsub": ("__rsub__", "-", "return other + (-self)"),
    "rmul": ("__rmul__", "*", "return self * other"),
    "rdiv": ("__rtruediv__", "/", "return other * self**-1"),
    "rpow": ("__rpow__", "**", "return Value(other**self.data) with the local derivative "
                               "out.data * log(other)"),
}

# How to compute a function that the lecture computes through exp without overflow.
_OVERFLOW_FIXES = {
    "tanh": "use math.tanh(x)",
    "sigmoid": "use 1/(1 + exp(-x)) for x ≥ 0 and exp(x)/(1 + exp(x)) for x < 0",
}

# Operations a lecture-style engine usually writes with others (micrograd: a - b is
# a + (-b), a / b is a * b**-1, -a is a * -1).
_WRITTEN_WITH = {"sub": ("add", "neg"), "div": ("mul", "pow"), "neg": ("mul",)}


# ---- small helpers ----


def _short(number: float | None) -> str:
    return "none" if number is None else f"{number:.4g}"


def _pair(got: float | None, exact: float | None) -> tuple[str, str]:
    """Both numbers to 4 significant digits, or in full when that hides the difference."""
    if _short(got) == _short(exact) and got != exact:
        return repr(got), repr(exact)
    return _short(got), _short(exact)


def _label(quantity: str) -> str:
    return "the value" if quantity == "value" else f"df/d{quantity}"


def _close(a: float | None, b: float | None) -> bool:
    if a is None or b is None or not (math.isfinite(a) and math.isfinite(b)):
        return False
    return abs(a - b) <= _MATCH * max(abs(a), abs(b), 1e-12)


def _said(observation) -> str:
    """"df/dx got 0.5379, expected 0.7864 = 1 - tanh(x)**2"."""
    got, exact = _pair(observation.got, observation.exact)
    formula = observation.formula
    shown = formula and len(formula) <= _LONGEST_FORMULA and formula not in (
        exact, observation.quantity) and not _is_number(formula)
    return (f"{_label(observation.quantity)} got {got}, expected {exact}"
            + (f" = {formula}" if shown else ""))


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _first_wrong(result):
    """The first failed observation; the value first, since a wrong forward pass comes
    before any gradient."""
    wrong = [o for o in result.observations if o.within is False]
    values = [o for o in wrong if o.quantity == "value"]
    return (values or wrong or [None])[0]


def _operation(result) -> str:
    return result.check.role.split(":", 1)[1] if ":" in result.check.role else ""


def _bases(result) -> list[str]:
    """The base operations a check uses: "add" for "2 + x", "x + 2" and "x + y"."""
    found = []
    for key in result.operations:
        base = base_operation(key)
        if base not in found:
            found.append(base)
    return found


# ---- engine-wide facts ----


class _Facts:
    """The results, what the patterns across them say, and the causes found so far.
    ``lost``: the runs that timed out or lost the process (``battery.Lost``), in order."""

    def __init__(self, results: Sequence, lost: Sequence = ()):
        self.results = list(results)
        self.deaths = _deaths(lost)
        self.unseeded = self._unseeded()
        self.assigning = self._assigning_operations()
        self.no_topological_sort = self._no_topological_sort()
        self.assign_cause = self._assign_cause() if self.assigning else ""

    def with_role(self, role: str) -> list:
        return [r for r in self.results if r.check.role == role]

    def with_role_prefix(self, prefix: str) -> list:
        return [r for r in self.results if r.check.role.startswith(prefix)]

    @staticmethod
    def ran(result) -> bool:
        return result.failure is None and bool(result.observations)

    def _unseeded(self) -> bool:
        ran = [r for r in self.results if self.ran(r)]
        gradients = [o for r in ran for o in r.observations if o.quantity != "value"]
        return (bool(gradients) and all(o.got == 0 for o in gradients)
                and any(o.exact not in (None, 0.0) for o in gradients))

    def _assigning_operations(self) -> list[str]:
        """Operations right alone whose reuse check is off by exactly the share of the
        other use of their input: what df/dx would be if they assigned their grad."""
        found = []
        for result in self.with_role_prefix("reused:"):
            operation = _operation(result)
            alone_right = any(r.status == "pass" for r in self.with_role(f"alone:{operation}"))
            observation = result.observation("x")
            if (result.status == "fail" and self.ran(result) and alone_right and observation
                    and _close(observation.got, _assigned_share(result))
                    and operation not in found):
                found.append(operation)
        return found

    def _no_topological_sort(self) -> bool:
        shared_wrong = any(r.status == "fail" and self.ran(r) for r in self.with_role("shared"))
        same_right = all(r.status == "pass" for r in self.with_role("same"))
        reused_right = all(r.status != "fail" for r in self.with_role_prefix("reused:"))
        return shared_wrong and same_right and reused_right and not self.assigning

    def _assign_cause(self) -> str:
        tried = {_operation(r) for r in self.with_role_prefix("reused:")
                 if r.status != "unsupported"}
        if len(self.assigning) > 2 and set(self.assigning) >= tried:
            return ("every operation's _backward assigns the grad (=) instead of adding "
                    "to it (+=), so a node used twice keeps only its last share")
        derived = [op for op in self.assigning
                   if any(base in self.assigning for base in _WRITTEN_WITH.get(op, ()))]
        primary = [op for op in self.assigning if op not in derived]
        names = " and ".join(f"{op}'s" for op in primary)
        verb = "assigns" if len(primary) == 1 else "assign"
        note = (f" ({' and '.join(derived)}, probably written with "
                f"{' and '.join(primary)}, {'fails' if len(derived) == 1 else 'fail'} "
                "for the same reason)" if derived else "")
        return (f"{names} _backward {verb} the grad (=) instead of adding to it (+=), so "
                f"a node used twice keeps only its last share{note}")

    def wrong_alone(self, operation: str):
        """A failed check of ``operation`` on its own, already diagnosed."""
        for result in self.with_role(f"alone:{operation}"):
            if result.status == "fail" and result.cause:
                return result
        return None

    def wrong_part(self, result):
        """A failed check of one of the operations ``result`` uses, on its own, in the
        same form: the number form itself (e.g. "2 - x"), or the same operation alone."""
        for key in result.operations:
            for other in self.with_role(f"number:{key}"):
                if other.status == "fail" and other.cause and other.check != result.check:
                    return other
            base = base_operation(key)
            for alone in self.with_role(f"alone:{base}"):
                # the same form only (x ** 2 is not blamed on a wrong x ** y), unless the
                # operation is usually written with others (2 / x and x / y both with pow)
                same_form = key in alone.operations or base in _WRITTEN_WITH
                if (alone.status == "fail" and alone.cause and alone.check != result.check
                        and same_form):
                    return alone
        return None


def _how_it_died(failure) -> str:
    """"the engine's process was killed by SIGSEGV": a lost run's message without what
    was being done and without the last output."""
    message = failure.message.removeprefix(f"{failure.operation}: ")
    return message.split("; last output: ")[0]


def _deaths(lost: Sequence) -> dict[str, str]:
    """How the process died -> the cause for every run lost that way: the first such
    run's words, its last output included (later ones may have printed more)."""
    deaths: dict[str, str] = {}
    for loss in lost:
        if loss.failure.kind == "died":
            how = _how_it_died(loss.failure)
            deaths.setdefault(how, loss.failure.message.removeprefix(
                f"{loss.failure.operation}: "))
    return deaths


def lost_cause(name: str, failure, deaths: dict[str, str]) -> tuple[str, str]:
    """(cause, sentence) for a run that timed out or lost the engine's process."""
    if failure.kind == "timeout":
        return (f"{name} does not finish",
                f"{failure.message}: a loop that never ends, or a walk of the graph "
                "without a visited set (exponential on shared nodes)")
    how = _how_it_died(failure)
    return deaths.get(how, how), failure.message


def _assigned_share(result) -> float | None:
    """df/dx if the operation assigned its grad: exact df/dx minus the other use's share."""
    observation = result.observation("x")
    if observation is None or observation.exact is None:
        return None
    return observation.exact - evaluate_float(parse(result.check.share), result.point)


# ---- classic wrong local derivatives, for a check of one operation ----


def _classic_mistake(result, observation) -> tuple[str, str] | None:
    """The row's classic wrong derivative (its ``wrong_derivatives`` column) that the
    engine's number matches, at the check's arguments: (cause, sentence)."""
    primitive = PRIMITIVES.get(_operation(result))
    if primitive is None or not primitive.wrong_derivatives or observation.quantity != "x":
        return None
    call = parse(result.check.expression).output
    if not isinstance(call, Call) or call.primitive is not primitive:
        return None
    try:
        args = [evaluate_float(Expression.from_output("", arg), result.point)
                for arg in call.args]
        out = primitive.evaluate(*args)
    except (ArithmeticError, ValueError):
        return None
    for wrong in primitive.wrong_derivatives:
        try:
            value = wrong.formula(*args, out)
        except (ArithmeticError, ValueError):
            continue
        if _close(observation.got, value):
            return wrong.cause, wrong.text
    return None


def _pattern(result, observation) -> str:
    """A shape of error any operation can have."""
    got, exact = observation.got, observation.exact
    if got is None or exact is None:
        return ""
    if got == 0 and exact != 0:
        return ("no grad reaches this input: is out._backward set, and is the input in "
                "the node's _prev?")
    if _close(got, -exact):
        return "the sign is wrong"
    if _close(got, 2 * exact):
        return "twice the exact value: a share is counted twice"
    if _close(got, exact / 2):
        return "half the exact value: one of two shares is missing"
    if _operation(result) == "mul":
        if _close(got, result.point.get(observation.quantity)):
            return ("the operands look swapped: self.grad should get other.data * out.grad "
                    "and other.grad self.data * out.grad")
    if len(result.point) == 1 and got == 1.0 and result.check.role.startswith("alone:"):
        return ("that is the upstream grad unchanged: the local derivative is missing "
                "(self.grad += local * out.grad)")
    return ""


def _upstream(result, observation) -> str:
    """For "OP(x) * x" (OP right alone, where its upstream grad is 1): whether OP's
    _backward ignores the upstream grad out.grad, or multiplies only part of its local
    derivative by it (``1 - t**2 * out.grad`` for ``(1 - t**2) * out.grad``)."""
    check = result.check
    x = result.point.get("x")
    if not check.role.startswith("reused:") or observation.quantity != "x" or not x \
            or not check.share or check.expression != f"{check.share} * x":
        return ""
    own = _evaluated(check.share, result.point)
    if own is None or observation.exact is None:
        return ""
    local = (observation.exact - own) / x  # d/dx (OP(x) * x) = x * OP'(x) + OP(x)
    if _close(observation.got, own + local):
        return ("does not multiply by out.grad: the local derivative is right only when "
                "the upstream grad is 1 (self.grad += local * out.grad)")
    if _close(observation.got, own + 1 - (1 - local) * x):
        return ("multiplies only part of its local derivative by out.grad (operator "
                "precedence: 1 - t**2 * out.grad); write (1 - t**2) * out.grad")
    return ""


# ---- the sentence for one failed check ----


def _exception(result, facts: _Facts) -> tuple[str, str]:
    failure = result.failure
    check = result.check
    if failure.kind in ("timeout", "died"):
        return lost_cause(check.name, failure, facts.deaths)
    if failure.exception == "RecursionError":
        return _recursion(result, facts)
    if failure.exception == "OverflowError" and check.role == "edge":
        function = check.expression.split("(")[0]
        if function in _OVERFLOW_FIXES:
            return (f"{function} overflows for large |x| (computed through exp)",
                    f"{failure.message}: {function} computed through exp overflows once "
                    f"exp's argument passes 709; {_OVERFLOW_FIXES[function]}")
    wrong = facts.wrong_part(result)
    if wrong is not None and wrong.failure is not None:
        return wrong.cause, f"{failure.message} (as in {wrong.name})"
    return (f"{failure.operation} raises {failure.exception or 'an error'}", failure.message)


def _recursion(result, facts: _Facts) -> tuple[str, str]:
    failure = result.failure
    function = failure.recursing or "a function"
    for dunder, symbol, fix in _REFLECTED.values():
        if function == dunder:
            return (f"{dunder} calls itself",
                    f"{failure.message}: {dunder} calls itself: with a number on the "
                    f"left, `other {symbol} self` asks Python for number {symbol} Value "
                    f"again, which calls {dunder} again; {fix}")
    if result.check.role == "deep":
        if facts.no_topological_sort:
            return (NO_TOPOLOGICAL_SORT,
                    f"{failure.message}: backward() recurses into the children ({function} "
                    "calls itself once per level), so it also fails on deep graphs; walk "
                    "a topologically sorted list instead")
        return (RECURSIVE_SORT,
                f"{failure.message}: {function} calls itself once per level of the graph, "
                "and this chain is deeper than Python's recursion limit (about 1,000 "
                "nested calls): the topological sort is recursive; build it with an "
                "explicit stack of (node, children_done) pairs")
    return (f"{function} calls itself without end",
            f"{failure.message}: {function} calls itself without end")


def _wrong_value(result, observation) -> tuple[str, str]:
    key = _operation(result) if result.check.role.startswith("number:") else ""
    if key in _REFLECTED:
        dunder, symbol, fix = _REFLECTED[key]
        swapped = f"x {symbol} 2"
        try:
            value = evaluate_float(parse(swapped), result.point)
        except (ArithmeticError, ValueError):
            value = None
        if _close(observation.got, value):
            return (f"{dunder} computes self {symbol} other",
                    f"{_said(observation)}: that is {swapped}, so {dunder} computes "
                    f"self {symbol} other; the number is `other` and stands on the left: "
                    f"{fix}")
        for other in "+-*/":
            computed = _evaluated(f"2 {other} x", result.point)
            if other != symbol and _close(observation.got, computed):
                return (f"{dunder} computes 2 {other} x",
                        f"{_said(observation)}: that is 2 {other} x, so {dunder} uses "
                        f"{other} where it should use {symbol}: {fix}")
    forms = ", ".join(FORMS.get(key, key) for key in result.operations)
    return (f"the value of {result.check.name} is wrong",
            f"{_said(observation)}: the forward pass is wrong (it uses {forms})")


def _evaluated(text: str, point) -> float | None:
    try:
        return evaluate_float(parse(text), point)
    except (ArithmeticError, ValueError):
        return None


def _alone(result, observation, facts: _Facts) -> tuple[str, str]:
    operation = _operation(result)
    said = _said(observation)
    classic = _classic_mistake(result, observation)
    if classic is not None:
        cause, text = classic
        return cause, f"{operation} backward: {said}: {text}"
    for base in _WRITTEN_WITH.get(operation, ()):
        wrong = facts.wrong_alone(base)
        if wrong is not None:
            return (wrong.cause, f"{said}: {operation} is probably written with {base} "
                                 f"(as in micrograd), which is wrong alone (see {wrong.name})")
    pattern = _pattern(result, observation)
    return (f"{operation}'s _backward is wrong" + (f": {pattern}" if pattern else ""),
            f"{operation} backward: {said}" + (f": {pattern}" if pattern else ""))


def _explain(result, facts: _Facts) -> tuple[str, str]:
    check, role = result.check, result.check.role
    if result.failure is not None:
        if result.failure.kind in ("exception", "timeout", "died"):
            return _exception(result, facts)
        return result.failure.message, result.failure.message
    observation = _first_wrong(result)
    if observation is None:
        return "", ""
    wrong = facts.wrong_part(result) if not role.startswith("alone:") else None
    if observation.quantity == "value":
        if wrong is not None:
            return wrong.cause, f"{_said(observation)}: {wrong.name} is already wrong"
        return _wrong_value(result, observation)
    said = _said(observation)
    operation = _operation(result)
    if facts.unseeded:
        return SEED, f"{said}: every grad is 0 in every check: {SEED}"
    if role.startswith("alone:"):
        return _alone(result, observation, facts)
    if role.startswith("reused:") and operation in facts.assigning:
        return (facts.assign_cause,
                f"{operation} backward: {said}; that is exactly the share through "
                f"{operation} alone: {ASSIGNED} in {_where(operation, facts)}; it is "
                f"right only when {operation}'s input is used nowhere else")
    if role == "same" and _close(observation.got, observation.exact / 2):
        ops = {"x + x": ["add"], "x * x": ["mul"]}.get(check.expression) or [
            op for op in _bases(result) if op in facts.assigning]
        where = " or ".join(f"{op}'s _backward" for op in ops) or "a _backward"
        return (facts.assign_cause or f"{where} assigns the grad (=) instead of adding "
                                      "to it (+=)",
                f"{said}: half the exact value: the node is used twice but gets only one "
                f"share: {ASSIGNED} in {where}")
    if role == "shared" and facts.no_topological_sort:
        return (NO_TOPOLOGICAL_SORT,
                f"{said}: a variable used twice is right (x + x, b + b) but a node "
                f"reached by two different paths is wrong: {NO_TOPOLOGICAL_SORT}")
    used = [op for op in _bases(result) if op in facts.assigning]
    if used:
        return (facts.assign_cause,
                f"{said}: explained by the assignment (=) in the _backward of "
                f"{', '.join(used)} (see the reuse checks)")
    if wrong is not None:
        return wrong.cause, f"{said}: {wrong.name} is already wrong on its own"
    return _by_role(result, observation, facts)


def _where(operation: str, facts: _Facts) -> str:
    where = f"{operation}'s _backward"
    bases = [base for base in _WRITTEN_WITH.get(operation, ()) if base in facts.assigning]
    if bases:
        where += f" (or {bases[0]}'s, if {operation} is written with {bases[0]})"
    return where


def _by_role(result, observation, facts: _Facts) -> tuple[str, str]:
    check, role = result.check, result.check.role
    said = _said(observation)
    if role.startswith("order:"):
        twins = [r for r in facts.with_role(role) if r is not result]
        if twins and twins[0].status == "pass":
            return (f"{check.name} is wrong while {twins[0].name} is right",
                    f"{said}: the same function written as {twins[0].name} passes: look "
                    "at the operators that differ (__radd__, __rmul__, __rsub__ run when a "
                    "number stands on the left)")
    if role == "twice":
        first = (result.first_gradient or {}).get(observation.quantity)
        exact_once = None if observation.exact is None else observation.exact / 2
        if (first is not None and _close(first, exact_once) and observation.got is not None
                and abs(observation.got) > abs(observation.exact) * (1 + _MATCH)):
            return OVERCOUNT, (f"{said}: the first backward() is right ({_short(first)}), "
                               f"the second adds more than that again: {OVERCOUNT}")
        if first is not None and _close(observation.got, first):
            return ("the second backward() changes nothing",
                    f"{said}: the second backward() left the grads as they were: "
                    "backward() either zeroes them (micrograd and PyTorch add to them) or "
                    "keeps its visited set between calls (a mutable default argument such "
                    "as def backward(self, visited=set()), or a set on the class)")
    if role == "fresh":
        return ("backward() keeps state between calls",
                f"{said} on a new graph after zeroing the grads: something is kept "
                "between backward() calls (a mutable default argument such as "
                "def backward(self, topo=[]), or a list on the class), so old nodes run again")
    if observation.got is not None and math.isnan(observation.got) and "**" in check.expression:
        return (f"{check.name} gives NaN at {check.at}",
                f"{said}: a 0/0 in pow's _backward at x = 0: the power rule written as "
                "n * out.data / x divides by zero; write n * x**(n - 1) * out.grad")
    upstream = _upstream(result, observation)
    if upstream:
        operation = _operation(result)
        return f"{operation}'s _backward {upstream}", f"{said}: {operation}'s _backward {upstream}"
    pattern = _pattern(result, observation)
    text = said + (f": {pattern}" if pattern else "")
    if role.startswith("number:"):
        key = _operation(result)
        where = _REFLECTED[key][0] if key in _REFLECTED else f"{FORMS[key]} (a number operand)"
        return f"{where} gives a wrong grad" + (f": {pattern}" if pattern else ""), text
    return f"{check.name} is wrong" + (f": {pattern}" if pattern else ""), text


def _order(result) -> int:
    """Checks of one operation first, those written with others next, then the rest:
    later rules refer to the earlier checks' causes."""
    role = result.check.role
    if role.startswith("alone:"):
        return 1 if _operation(result) in _WRITTEN_WITH else 0
    return 2 if role.startswith("number:") else 3


EQUAL_BY_VALUE = ("nodes compare and hash by value (__eq__/__hash__ on .data): a set "
                  "takes two different nodes holding the same number for one, so whole "
                  "branches drop out of the topological order; remove __eq__ and __hash__ "
                  "(or keep the visited set by id(node))")
PREORDER = ("backward() walks the graph in pre-order (a node before its children), not in "
            "a topological order: a node reached by two paths runs its _backward before "
            "it has its full grad; build the topological order (children first), then "
            "call _backward in reverse")
# Checks whose failure the graph walk explains: graphs where a node has several users.
_WALK_ROLES = ("shared", "", "deep", "same", "twice")


def diagnose(results: Sequence, merges: bool = False, walk: str = "unknown",
             lost: Sequence = ()) -> tuple[dict[int, tuple[str, str]], list[str]]:
    """For each failed result (by index): (cause, sentence); and the engine's causes.

    ``merges``: the class's values merge in a set (``__eq__``/``__hash__`` by value);
    ``walk``: the order backward() called the nodes in, watched on a shared graph.
    Either, when it explains failures, is named as their cause. ``lost``: the runs
    that timed out or lost the engine's process (``battery.Lost``), the probe's too:
    each is a cause, once per way of losing it.
    """
    diagnoses, causes = _diagnose(results, lost)
    walk_cause = EQUAL_BY_VALUE if merges else PREORDER if walk == "not topological" else ""
    if not walk_cause:
        return diagnoses, causes
    explained = [index for index, result in enumerate(results)
                 if index in diagnoses and result.status == "fail"
                 and result.check.role.split(":")[0] in _WALK_ROLES + ("reused",)
                 and (result.failure is None or result.failure.kind != "died")]
    if not explained:
        return diagnoses, causes
    for index in explained:
        diagnoses[index] = (walk_cause, f"{diagnoses[index][1]}; the real cause: {walk_cause}")
    deaths = _deaths(lost)
    left = {diagnoses[index][0] for index in diagnoses} | {
        lost_cause(loss.name, loss.failure, deaths)[0] for loss in lost}
    causes = [walk_cause] + [cause for cause in causes
                             if cause in left and cause not in (walk_cause, NO_TOPOLOGICAL_SORT)]
    return diagnoses, causes


def _diagnose(results: Sequence,
              lost: Sequence = ()) -> tuple[dict[int, tuple[str, str]], list[str]]:
    facts = _Facts(results, lost)
    diagnoses: dict[int, tuple[str, str]] = {}
    for index in sorted(range(len(results)), key=lambda i: (_order(results[i]), i)):
        result = results[index]
        if result.status not in ("fail", "limit"):
            continue
        cause, text = _explain(result, facts)
        diagnoses[index] = (cause, f"{result.name}: {text}" if text else result.name)
        facts.results[index] = replace(result, cause=cause)
    causes: list[str] = []
    for cause in [SEED if facts.unseeded else "", facts.assign_cause,
                  NO_TOPOLOGICAL_SORT if facts.no_topological_sort else "",
                  *(diagnoses[index][0] for index in sorted(diagnoses)),
                  *(lost_cause(loss.name, loss.failure, facts.deaths)[0] for loss in lost)]:
        if cause and cause not in causes:
            causes.append(cause)
    return diagnoses, causes
