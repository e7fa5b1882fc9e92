"""sympy's formulas for an expression and its partial derivatives, in about linear time.

``to_sympy`` interprets the expression tree with sympy's functions (a chain of ``+``/``-``
becomes one sum, built in one piece); ``partials`` runs sympy's chain rule over the
formula's DAG, each variable through the nodes that contain it; ``Printer`` writes the
formulas as ``sympy.sstr`` does, each shared subexpression once. The symbolic method
(``symbolic``) is built on them.
"""

from __future__ import annotations

from typing import Mapping

import sympy
from sympy.printing.str import StrPrinter

from diffcompare.language.expression import Call, Expression, Var
from diffcompare.language.primitives import CONSTANTS


def symbols(expression: Expression) -> dict[str, sympy.Symbol]:
    # Our own Symbol objects: a variable called E, I or N stays a plain real variable.
    return {name: sympy.Symbol(name, real=True) for name in expression.variables}


def to_sympy(expression: Expression, symbol_table: Mapping[str, sympy.Symbol]) -> sympy.Expr:
    """The expression as a sympy expression over the given symbols.

    A chain of ``+``/``-`` becomes one ``sympy.Add`` of its signed terms: building a sum
    of n terms one ``+`` at a time re-sorts it n times (quadratic in n). A sum used only
    by one other sum is folded into it; any other (used twice, or by a function) is a
    sympy expression of its own.
    """
    uses: dict[int, int] = {}
    used_by_sum: set[int] = set()
    for node in expression.nodes:
        for arg in node.children:
            uses[id(arg)] = uses.get(id(arg), 0) + 1
            if _is_sum(node):
                used_by_sum.add(id(arg))

    def folded(node) -> bool:
        return _is_sum(node) and uses.get(id(node)) == 1 and id(node) in used_by_sum

    values: dict[int, sympy.Expr] = {}
    for node in expression.nodes:
        if folded(node):
            continue
        if _is_sum(node):
            values[id(node)] = sympy.Add(*(values[id(term)] if sign > 0 else -values[id(term)]
                                           for term, sign in _signed_terms(node, folded)))
        elif isinstance(node, Call):
            values[id(node)] = node.primitive.to_sympy(*(values[id(a)] for a in node.args))
        elif isinstance(node, Var):
            values[id(node)] = symbol_table[node.name]
        else:
            values[id(node)] = _constant(node)
    return values[id(expression.output)]


def _constant(node) -> sympy.Expr:
    if isinstance(node.exact, str):
        return CONSTANTS[node.exact][1]()
    return sympy.Rational(node.exact.numerator, node.exact.denominator)


# A chain of these is one sympy sum; each argument enters with its sign.
_SUM_SIGNS = {"add": (1, 1), "sub": (1, -1), "neg": (-1,)}


def _is_sum(node) -> bool:
    return isinstance(node, Call) and node.primitive.name in _SUM_SIGNS


def _signed_terms(root, folded) -> list[tuple[object, int]]:
    """The terms of the sum ``root`` with their signs, left to right, through folded sums."""
    terms = []
    stack = [(root, 1)]
    while stack:
        node, sign = stack.pop()
        if node is not root and not folded(node):
            terms.append((node, sign))
            continue
        signs = _SUM_SIGNS[node.primitive.name]
        stack.extend((arg, sign * s) for arg, s in reversed(list(zip(node.args, signs))))
    return terms


def partials(function: sympy.Expr, symbol_table: Mapping[str, sympy.Symbol]
             ) -> dict[str, sympy.Expr]:
    """d function / d symbol for each symbol: what ``sympy.diff`` gives, in about linear time.

    sympy's chain rule, run over the formula's DAG instead of by recursion: every node's
    derivative is the sum over its arguments of sympy's derivative of the node by that
    argument (``_local``) times the argument's derivative. For one symbol only the nodes
    that contain it are visited (its "cone"), so a sum of n terms in n variables costs
    O(n), where ``sympy.diff`` asks every term for its free symbols for every variable,
    and walks the whole result again for every level of nesting.
    """
    nodes, arguments = _dag(function)
    position = {node: k for k, node in enumerate(nodes)}
    users: list[list[int]] = [[] for _ in nodes]
    for k, args in enumerate(arguments):
        for arg in set(args):
            users[arg].append(k)
    local: dict[tuple[int, int], sympy.Expr] = {}
    result = {}
    for name, symbol in symbol_table.items():
        if symbol not in position:
            result[name] = sympy.Integer(0)
            continue
        start = position[symbol]
        derivative = {start: sympy.Integer(1)}
        for k in _cone(users, start):
            args = arguments[k]
            if not _by_chain_rule(nodes[k]):
                if not isinstance(nodes[k], sympy.Expr):
                    continue  # a condition, or a Piecewise's (expression, condition) pair
                parts = [sympy.diff(nodes[k], symbol)]  # Piecewise: sympy's own rule
            elif nodes[k].is_Add:
                parts = [derivative[a] for a in args if a in derivative]
            else:
                parts = _chain(nodes[k], k, args, derivative, local)
                if parts is None:  # no rule one level deep: sympy differentiates the node
                    parts = [sympy.diff(nodes[k], symbol)]
            total = parts[0] if len(parts) == 1 else sympy.Add(*map(_built, parts))
            if not (total == 0 if isinstance(total, sympy.Expr) else sympy.S.Zero in total):
                derivative[k] = total
        result[name] = _built(derivative.get(len(nodes) - 1, sympy.Integer(0)))
    return result


def _by_chain_rule(node) -> bool:
    """Whether node's derivative is the chain rule over its arguments: an expression whose
    arguments are expressions. A Piecewise (``where``) has (expression, condition) pairs,
    which are not: sympy differentiates it whole."""
    return (isinstance(node, sympy.Expr) and not node.is_Piecewise
            and all(isinstance(arg, sympy.Expr) for arg in node.args))


def _chain(node, k: int, args, derivative, local) -> list | None:
    """The chain rule's terms for node k, or None when sympy has no derivative of the node
    by one of its arguments as such (|u| for a u not known real: sympy's rule is in re(u)
    and im(u) and needs u's own derivative)."""
    parts = []
    for i, a in enumerate(args):
        if a in derivative:
            if (k, i) not in local:
                local[(k, i)] = _local(node, i)
            if local[(k, i)] is None:
                return None
            parts.append(_times(local[(k, i)], derivative[a]))
    return parts


class _Product(tuple):
    """Factors whose sympy product is not built yet. sympy sorts a product's factors each
    time one is built, comparing them structurally, so a chain of nested functions built
    one product per level costs the cube of its depth (the tanh program repeated 50
    times: 0.5 million comparisons); the product is built once, when needed."""


def _times(factor: sympy.Expr, derivative) -> sympy.Expr | _Product:
    if factor == 1:
        return derivative
    rest = tuple(derivative) if isinstance(derivative, _Product) else (derivative,)
    return _Product((factor, *rest))


def _built(derivative) -> sympy.Expr:
    return sympy.Mul(*derivative) if isinstance(derivative, _Product) else derivative


def _dag(function: sympy.Expr) -> tuple[list[sympy.Expr], list[tuple[int, ...]]]:
    """The distinct subexpressions of ``function``, children first (``function`` last),
    and each one's arguments as positions in that list. No recursion."""
    nodes: list[sympy.Expr] = []
    arguments: list[tuple[int, ...]] = []
    position: dict[sympy.Expr, int] = {}
    stack = [(function, False)]
    while stack:
        node, children_done = stack.pop()
        if node in position:
            continue
        if not children_done:
            stack.append((node, True))
            stack.extend((arg, False) for arg in reversed(node.args) if arg not in position)
            continue
        position[node] = len(nodes)
        nodes.append(node)
        arguments.append(tuple(position[arg] for arg in node.args))
    return nodes, arguments


def _cone(users: list[list[int]], start: int) -> list[int]:
    """The nodes that contain node ``start``, in evaluation order, ``start`` excluded."""
    seen = {start}
    stack = [start]
    while stack:
        for user in users[stack.pop()]:
            if user not in seen:
                seen.add(user)
                stack.append(user)
    seen.discard(start)
    return sorted(seen)


# sympy's derivative of one node by one argument, with the arguments as dummies:
# (class, which arguments are real) -> (dummies, derivative by each dummy).
_SHALLOW: dict[tuple, tuple[tuple[sympy.Dummy, ...], list[sympy.Expr | None]]] = {}


def _local(node: sympy.Expr, i: int) -> sympy.Expr | None:
    """d node / d node.args[i], by sympy, as a formula in the node's arguments; None when
    sympy's rule needs more than the argument itself (an unevaluated Derivative)."""
    args = node.args
    if node.is_Mul:  # the product of the other factors, as Mul's own rule says
        return sympy.Mul(*(a for j, a in enumerate(args) if j != i))
    if node.is_Pow and i == 0 and args[1].is_Number:
        # b**n by b: n*b**(n - 1), what sympy's b**n*(n/b) becomes once multiplied out,
        # without building b**-1 and merging it back (most of a polynomial's cost).
        return sympy.Mul(args[1], sympy.Pow(args[0], args[1] - 1))
    # A dummy is real where the argument is known real, as sympy's own rules ask
    # (d|u|/du is sign(u) for a real u, a formula in re and im otherwise).
    key = (node.func, tuple(bool(a.is_extended_real) for a in args))
    if key not in _SHALLOW:
        dummies = tuple(sympy.Dummy(f"a{j}", real=real) for j, real in enumerate(key[1]))
        _SHALLOW[key] = (dummies, [None] * len(args))
    dummies, derivatives = _SHALLOW[key]
    if derivatives[i] is None:
        derivatives[i] = sympy.diff(node.func(*dummies), dummies[i])
    if derivatives[i].has(sympy.Derivative, sympy.Subs):
        return None
    return derivatives[i].xreplace(dict(zip(dummies, args)))


class Printer(StrPrinter):
    """``sympy.sstr``, the same text, with each distinct subexpression printed once.

    sympy prints a formula as a tree, so a subexpression shared n times is printed (and
    its terms sorted for display) n times; the derivative of the tanh program repeated 50
    times took 1.2 s to print, 0.1 s like this. Keyed by type and expression, since sympy
    calls Float(1.0) and Integer(1) equal.
    """

    def __init__(self, settings=None):
        super().__init__(settings)
        self._printed: dict = {}

    def _print(self, expr, **kwargs) -> str:
        if kwargs:
            return super()._print(expr, **kwargs)
        key = (type(expr), expr)
        try:
            return self._printed[key]
        except KeyError:
            self._printed[key] = text = super()._print(expr)
            return text
        except TypeError:  # unhashable (a list, a dict): printed each time
            return super()._print(expr)
