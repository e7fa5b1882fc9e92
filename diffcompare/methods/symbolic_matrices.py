"""The reference for Jacobians and Hessians: sympy differentiates, once or twice.

The same interpretation of the tree as ``symbolic`` (``to_sympy``), the same exact
values (``_value_at``: from the point's rationals, to ``symbolic.DIGITS`` digits), under
the same time budget (``budget.run``). A Hessian's entry (i, j) is
``diff(diff(f, x_i), x_j)``; sympy's derivatives commute for smooth f, so the matrix is
symmetric and the lower triangle is copied from the upper one.
"""

from __future__ import annotations

import time
from fractions import Fraction
from typing import Mapping

import sympy

from diffcompare.language.expression import Call, Expression, Var
from diffcompare.language.limits import DEFAULT, LimitExceeded, Limits, check_exact
from diffcompare.methods import budget
from diffcompare.methods.matrices import SymbolicMatrix, empty
from diffcompare.methods.results import Cost
from diffcompare.methods.symbolic import (
    DEFAULT_TIMEOUT,
    DIGITS,
    METHOD,
    _constant,
    _value_at,
    symbols,
    to_sympy,
)


def _outputs_to_sympy(vector, symbol_table) -> list:
    """Every output of a ``VectorExpression`` as a sympy expression (shared nodes once)."""
    values: dict[int, object] = {}
    for node in vector.nodes:
        if isinstance(node, Call):
            values[id(node)] = node.primitive.to_sympy(*(values[id(a)] for a in node.args))
        elif isinstance(node, Var):
            values[id(node)] = symbol_table[node.name]
        else:
            values[id(node)] = _constant(node)
    return [values[id(output)] for output in vector.outputs]


def _substitutions(symbol_table, point):
    return {symbol_table[name]: sympy.Rational(value.numerator, value.denominator)
            for name, value in point.items() if name in symbol_table}


def _values(functions, subs) -> tuple[list, dict]:
    exact_values, reasons = [], {}
    for i, function in enumerate(functions):
        number, reason = _value_at(function, subs)
        exact_values.append(number)
        if number is None:
            reasons[i] = reason
    return exact_values, reasons


def _matrix(formulas: Mapping[tuple[int, int], sympy.Expr], subs,
            undefined: Mapping) -> tuple[dict, dict]:
    """Exact decimal text of each formula; the reason for each entry that has none.
    ``undefined`` maps a row to the reason its function has no value (no derivative)."""
    exact, reasons = {}, {}
    for (i, j), formula in formulas.items():
        if i in undefined:
            reasons[(i, j)] = "f itself is not defined at this point"
            continue
        try:
            number, reason = _value_at(formula, subs)
        except (TypeError, ValueError, ArithmeticError) as error:
            # DiracDelta(0), from abs or relu differentiated twice at the kink
            number, reason = None, budget.one_line(f"sympy could not evaluate it: {error}")
        if number is None:
            reasons[(i, j)] = reason
        else:
            exact[(i, j)] = number
    return exact, reasons


def _result(kind, rows, columns, formulas, exact, reasons, exact_values, start, functions):
    def as_float(text):
        return None if text is None else float(text)

    entries = tuple(tuple(as_float(exact.get((i, j))) for j in range(len(columns)))
                    for i in range(len(rows)))
    return SymbolicMatrix(
        method=METHOD, kind=kind, rows=tuple(rows), columns=tuple(columns), entries=entries,
        cost=Cost(evaluations=len(formulas), seconds=time.perf_counter() - start,
                  size=sum(sympy.count_ops(f) for f in formulas.values())),
        values=tuple(as_float(v) for v in exact_values), reasons=reasons,
        formulas={key: sympy.sstr(f) for key, f in formulas.items()}, exact=exact,
        exact_values=tuple(exact_values), digits=DIGITS,
        details={"functions": tuple(sympy.sstr(f) for f in functions)})


def jacobian(vector, point: Mapping[str, Fraction]) -> SymbolicMatrix:
    """The exact Jacobian of a ``VectorExpression``: m × n formulas and their values."""
    start = time.perf_counter()
    symbol_table = {name: sympy.Symbol(name, real=True) for name in vector.variables}
    functions = _outputs_to_sympy(vector, symbol_table)
    subs = _substitutions(symbol_table, point)
    exact_values, undefined = _values(functions, subs)
    formulas = {(i, j): sympy.diff(function, symbol_table[name])
                for i, function in enumerate(functions)
                for j, name in enumerate(vector.variables)}
    exact, reasons = _matrix(formulas, subs, undefined)
    return _result("jacobian", vector.output_names(), vector.variables, formulas, exact,
                   reasons, exact_values, start, functions)


def hessian(expression: Expression, point: Mapping[str, Fraction]) -> SymbolicMatrix:
    """The exact Hessian: n × n second partial derivatives and their values.

    >>> from diffcompare.language.parse import parse
    >>> rosenbrock = parse("(1 - x)**2 + 100*(y - x**2)**2")
    >>> hessian(rosenbrock, {"x": Fraction(1), "y": Fraction(1)}).entries
    ((802.0, -400.0), (-400.0, 200.0))
    """
    start = time.perf_counter()
    symbol_table = symbols(expression)
    function = to_sympy(expression, symbol_table)
    subs = _substitutions(symbol_table, point)
    exact_values, undefined = _values([function], subs)
    names = expression.variables
    gradient = [sympy.diff(function, symbol_table[name]) for name in names]
    upper = {(i, j): sympy.diff(gradient[i], symbol_table[names[j]])
             for i in range(len(names)) for j in range(i, len(names))}
    formulas = {(i, j): upper[(min(i, j), max(i, j))]
                for i in range(len(names)) for j in range(len(names))}
    undefined_rows = {i: undefined[0] for i in range(len(names))} if undefined else {}
    exact, reasons = _matrix(upper, subs, undefined_rows)
    exact = {(i, j): exact[(min(i, j), max(i, j))] for i in range(len(names))
             for j in range(len(names)) if (min(i, j), max(i, j)) in exact}
    reasons = {(i, j): reasons[(min(i, j), max(i, j))] for i in range(len(names))
               for j in range(len(names)) if (min(i, j), max(i, j)) in reasons}
    return _result("hessian", names, names, formulas, exact, reasons, exact_values, start,
                   [function])


def within_budget(compute, subject, point, rows, columns, kind: str,
                  seconds: float | None = DEFAULT_TIMEOUT,
                  limits: Limits = DEFAULT) -> SymbolicMatrix:
    """``compute(subject, point)`` in a child process under a time budget, as
    ``symbolic.differentiate_within``. Never raises: a timeout, a refusal by the limits or
    a sympy failure becomes every entry's reason, and ``details["unavailable"]``."""
    start = time.perf_counter()
    try:
        components = ([subject] if isinstance(subject, Expression) else
                      [subject.component(i) for i in range(len(subject.outputs))])
        for component in components:
            check_exact(component, point, limits)
        if not seconds:
            return compute(subject, point)
        return budget.run(lambda: compute(subject, point), seconds, memory_mib=limits.memory)
    except LimitExceeded as error:
        reason = error.message
    except budget.OutOfTime as error:
        reason = str(error)
    except budget.Failed as error:
        reason = f"sympy failed: {error}"
    except Exception as error:  # noqa: BLE001 - without a budget, whatever sympy raises
        reason = budget.one_line(f"sympy failed: {type(error).__name__}: {error}")
    result = empty(METHOD, kind, rows, columns, Cost(0, time.perf_counter() - start), reason,
                   details={"unavailable": reason})
    return SymbolicMatrix(**{f: getattr(result, f) for f in result.__dataclass_fields__},
                          digits=DIGITS)
