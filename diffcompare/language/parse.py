"""Text to expression tree, through Python's ``ast`` and an allow-list.

The text is parsed by ``ast.parse`` (which only parses: it runs nothing) and every
ast node is then checked against an allow-list and rebuilt as our own tree. Anything
not on the list is refused with an ``InputError`` that points at it. User text is never
given to ``eval``, ``exec``, ``sympify`` or ``parse_expr``.

The language: numbers, variables, ``+ - * / **``, unary minus, parentheses, calls of the
functions in ``primitives.FUNCTIONS``, the constants ``pi`` and ``e``. A program is
assignments (``=``, ``+=``, ``-=``, ``*=``, ``/=``, ``**=``) separated by ``;`` or
newlines, and ends with the expression to differentiate.

Every cost is bounded by ``limits.Limits`` (length, nodes, depth, digits of a number,
constant exponents, size of exact numbers); each refusal names the limit and how to
raise it. Python's parser recurses, so the input's length is checked before it runs.
"""

from __future__ import annotations

import ast
import difflib
import math
import re
import threading
import warnings
from fractions import Fraction

from diffcompare.language.errors import InputError, source_lines
from diffcompare.language.expression import Call, Const, Expression, Var
from diffcompare.language.limits import (
    DEFAULT,
    Exact,
    LimitExceeded,
    Limits,
    call_depth,
    exact_call,
    exact_constant,
    exact_number,
    integer_digits,
    recursion_limit,
    refuse,
)
from diffcompare.language.primitives import ALIASES, CONSTANTS, FUNCTIONS, operator_row

# Python's spelling of the operators we allow; the rows they stand for are found in the
# primitive table by that spelling (``operator_row``).
_BINARY_OPERATORS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}
_COMPARISONS = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">="}

_OPERATOR_SPELLING = {
    ast.FloorDiv: "//", ast.Mod: "%", ast.MatMult: "@", ast.LShift: "<<",
    ast.RShift: ">>", ast.BitOr: "|", ast.BitXor: "^", ast.BitAnd: "&",
    ast.Not: "not", ast.Invert: "~",
}

# What to call a construct we refuse, so the message names it in the user's words.
_REFUSED = {
    ast.Attribute: "attribute access",
    ast.Subscript: "indexing",
    ast.ListComp: "comprehensions",
    ast.SetComp: "comprehensions",
    ast.DictComp: "comprehensions",
    ast.GeneratorExp: "comprehensions",
    ast.Lambda: "lambdas",
    ast.BoolOp: "and/or",
    ast.IfExp: "conditional expressions",
    ast.NamedExpr: "the := operator",
    ast.Starred: "starred arguments",
    ast.Tuple: "tuples",
    ast.List: "lists",
    ast.Dict: "dicts",
    ast.Set: "sets",
    ast.JoinedStr: "f-strings",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.YieldFrom: "yield",
    ast.Slice: "slices",
}



def _allowed_summary() -> str:
    return ("use numbers, variables, + - * / **, parentheses and " + " ".join(FUNCTIONS)
            + ", pi, e")


_MISPLACED_COMPARISON = ("comparisons (< <= > >=) are allowed only as the condition of "
                         "where(condition, a, b), e.g. where(x > 0, sqrt(x), 0)")

# Python's own parser builds its tree recursively; a flat sum of a few thousand terms
# is legitimate input, so it gets more room than the default limit of 1000. (Python
# checks a limit derived from this one, or its own C limit, as it builds the tree: a
# flat sum of about 55,000 terms on CPython 3.11, 3,000 on 3.12, 10,000 on 3.13 raises
# RecursionError, which becomes an InputError.)
_AST_RECURSION_LIMIT = 20_000
# One ast.parse at a time: CPython 3.11 keeps the AST constructor's recursion count per
# interpreter, so two threads converting at once fail with "AST constructor recursion
# depth mismatch" (python/cpython#106905), and catch_warnings swaps process-wide filters.
_AST_LOCK = threading.Lock()

# A number literal as Python's tokenizer sees it, roughly: enough to count its digits
# before Python converts it (Python refuses integers of more than 4300 digits itself).
_LITERAL = re.compile(r"(?<!\w)(?:0[xXoObB][0-9a-fA-F_]*|[0-9][0-9_.]*|\.[0-9][0-9_]*)"
                      r"(?:[eE][+-]?[0-9_]+)?")


def parse(text: str, limits: Limits = DEFAULT) -> Expression:
    """Parse an expression or a small program into an ``Expression``.

    >>> parse("x**2*sin(y)").variables
    ('x', 'y')
    >>> parse("c = a + b; c*c").size   # c is one node, used twice
    4
    """
    return _parse(text, limits, lambda builder, module: builder.program(module))


def parse_outputs(text: str, limits: Limits = DEFAULT) -> tuple[tuple, bool]:
    """The output nodes of an expression or a program whose last line may be a list or a
    tuple (``"[x*y, sin(x)*z]"``, ``"a = x*y; a, sin(a)*z"``), sharing nodes, and whether
    it was one: the hook behind ``vector.parse_vector``.

    >>> outputs, listed = parse_outputs("a = x*y; a, sin(a)")
    >>> len(outputs), listed, outputs[1].args[0] is outputs[0]
    (2, True, True)
    """
    return _parse(text, limits, lambda builder, module: builder.outputs(module))


def _parse(text: str, limits: Limits, build):
    if not isinstance(text, str):
        raise InputError(f"an expression must be text, not {type(text).__name__}")
    if len(text) > limits.length:
        raise refuse(f"the expression is {len(text)} characters long", "length", limits)
    if not text.strip():
        raise InputError("the expression is empty; give one, e.g. \"x**2*sin(y)\"")
    _check_literals(text, limits)
    with integer_digits(limits.digits + 1):
        try:
            # Python's SyntaxWarnings ("invalid decimal literal") would be extra lines
            # on stderr; the text is either refused with one message or accepted.
            with _AST_LOCK, recursion_limit(_AST_RECURSION_LIMIT), \
                    warnings.catch_warnings():
                warnings.simplefilter("ignore")
                module = ast.parse(text, mode="exec")
        except SyntaxError as error:
            raise _syntax_error(text, error) from None
        except UnicodeEncodeError as error:  # undecodable bytes from the command line
            raise InputError(f"the expression is not text: it has undecodable bytes at "
                             f"character {error.start + 1}") from None
        except (ValueError, RecursionError, MemoryError) as error:
            raise InputError(f"cannot parse the expression: {_reason(error)}") from None
        return build(_Builder(text, limits), module)


def _check_literals(text: str, limits: Limits) -> None:
    """Refuse a number with too many digits, before Python spends time converting it."""
    for match in _LITERAL.finditer(text):
        literal = match.group()
        if literal[:2].lower() in ("0x", "0o", "0b"):
            digits = sum(ch not in "_" for ch in literal[2:])
        else:
            digits = sum(ch.isdigit() for ch in literal)
        if digits > limits.digits:
            start = match.start()
            line = text.count("\n", 0, start) + 1
            column = start - (text.rfind("\n", 0, start) + 1)
            raise refuse(f"this number has {digits} digits", "digits", limits).at(
                text, line, column, column + len(literal))


def _reason(error: Exception) -> str:
    if isinstance(error, RecursionError):
        return "it is nested too deeply for Python's parser"
    if isinstance(error, MemoryError):
        return "it is nested too deeply (or is too large) for Python's parser"
    return str(error)


def _syntax_error(text: str, error: SyntaxError) -> InputError:
    message = error.msg or "invalid syntax"
    if message.startswith("invalid decimal literal"):
        message += " (write a product with *, e.g. 2*x)"
    line = error.lineno or 1
    column = max((error.offset or 1) - 1, 0)
    end = error.end_offset - 1 if error.end_offset and error.end_offset > error.offset else None
    if error.lineno is not None and error.end_lineno not in (None, error.lineno):
        end = None
    return InputError(f"syntax error: {message}", text, line, column, end)


class _Builder:
    """Checks one ast against the allow-list and builds our tree from it."""

    def __init__(self, text: str, limits: Limits = DEFAULT):
        self.text = text
        self.limits = limits
        self.lines = source_lines(text)
        self.encoded: dict[int, bytes] = {}  # line number -> UTF-8, as ast's offsets count
        self.bindings: dict[str, object] = {}  # names assigned so far -> their node
        self.variables: dict[str, Var] = {}  # one Var node per free variable
        self.count = 0  # ast nodes seen, for the nodes limit
        # our node's id -> (node, depth, Exact); the node is held so that its id stays its own
        self.info: dict[int, tuple[object, int, Exact]] = {}
        self.conditions: set[int] = set()  # ids of ast nodes that are a where's condition

    # ---- errors that point at the text ----

    def place(self, node: ast.AST) -> tuple[int, int, int | None]:
        line = getattr(node, "lineno", 1) or 1
        source = self.lines[min(line, len(self.lines)) - 1]
        column = _characters(source, getattr(node, "col_offset", 0) or 0)
        end = None
        if getattr(node, "end_lineno", None) == line and node.end_col_offset is not None:
            end = _characters(source, node.end_col_offset)
        return line, column, end

    def refuse(self, message: str, node: ast.AST) -> InputError:
        return InputError(message, self.text, *self.place(node))

    def segment(self, node: ast.AST) -> str | None:
        """The source text of a one-line node (``ast.get_source_segment`` re-splits the
        whole text on every call, which is quadratic for a long sum)."""
        line = node.lineno
        if node.end_lineno != line or line > len(self.lines):
            return None
        if line not in self.encoded:
            self.encoded[line] = self.lines[line - 1].encode("utf-8")
        return self.encoded[line][node.col_offset:node.end_col_offset].decode("utf-8", "replace")

    # ---- limits: depth and exact sizes, node by node, as the tree is built ----

    def record(self, node, source: ast.AST):
        if id(node) in self.info:
            return node
        if isinstance(node, Call):
            depth = call_depth(node.primitive.name, [
                (arg.primitive.name if isinstance(arg, Call) else None, self.info[id(arg)][1])
                for arg in node.args])
            if depth > self.limits.depth:
                error = refuse(f"the expression is nested more than {self.limits.depth} "
                               "levels deep", "depth", self.limits)
                raise error.at(self.text, *self.place(source))
            try:
                exact = exact_call(node.primitive, [self.info[id(arg)][2] for arg in node.args],
                                   self.limits)
            except LimitExceeded as error:
                raise error.at(self.text, *self.place(source)) from None
        elif isinstance(node, Var):
            depth, exact = 0, Exact(None)
        elif isinstance(node.exact, str):
            depth, exact = 0, exact_constant(node.value)
        else:
            depth, exact = 0, exact_number(node.exact, constant=True)
        self.info[id(node)] = (node, depth, exact)
        return node

    # ---- statements ----

    def program(self, module: ast.Module) -> Expression:
        return Expression.from_output(self.text, self.expression(self.last(module)))

    def outputs(self, module: ast.Module) -> tuple[tuple, bool]:
        last = self.last(module)
        if not isinstance(last, (ast.List, ast.Tuple)):
            return (self.expression(last),), False
        if not last.elts:
            raise self.refuse("an empty list has no outputs; give e.g. \"[x*y, sin(x)]\"", last)
        return tuple(self.expression(element) for element in last.elts), True

    def last(self, module: ast.Module) -> ast.expr:
        """Runs the assignments; returns the last line's expression."""
        body = module.body
        if not body:
            raise InputError("the expression is empty; give one, e.g. \"x**2*sin(y)\"")
        for statement in body[:-1]:
            self.statement(statement)
        last = body[-1]
        if not isinstance(last, ast.Expr):
            raise self.refuse("a program must end with the expression to differentiate, "
                              "e.g. \"c = a*b; c + a\"", last)
        return last.value

    def statement(self, statement: ast.stmt) -> None:
        if isinstance(statement, ast.Assign):
            if len(statement.targets) != 1 or not isinstance(statement.targets[0], ast.Name):
                raise self.refuse("assign to one plain name, e.g. \"c = a + b\"", statement)
            target = statement.targets[0]
            self.check_assignable(target)
            self.bindings[target.id] = self.expression(statement.value)
        elif isinstance(statement, ast.AugAssign):
            if not isinstance(statement.target, ast.Name):
                raise self.refuse("assign to one plain name, e.g. \"c += a\"", statement)
            target = statement.target
            self.check_assignable(target)
            if target.id not in self.bindings and target.id not in self.variables:
                raise self.refuse(f"'{target.id}' is used before it is assigned", target)
            symbol = _BINARY_OPERATORS.get(type(statement.op))
            if symbol is None:
                raise self.refuse(f"the operator {_OPERATOR_SPELLING.get(type(statement.op), '?')}="
                                  " is not supported; use += -= *= /= **=", statement)
            current = self.record(self.name(target), target)
            value = self.expression(statement.value)
            self.bindings[target.id] = self.record(
                Call(operator_row(symbol, 2), (current, value)), statement)
        elif isinstance(statement, ast.Expr):
            raise self.refuse("only the last line may be a bare expression; "
                              "assign the others to names", statement)
        else:
            kind = type(statement).__name__.lower()
            raise self.refuse(f"statements of this kind ({kind}) are not allowed; "
                              "a program is assignments followed by one expression", statement)

    def check_assignable(self, target: ast.Name) -> None:
        self.check_identifier(target)
        if target.id in FUNCTIONS:
            raise self.refuse(f"'{target.id}' is a function and cannot be assigned to", target)

    def check_identifier(self, node: ast.Name) -> None:
        if node.id.startswith("_"):
            raise self.refuse("names may not start with an underscore", node)

    # ---- expressions, built without recursion ----

    def expression(self, root: ast.expr):
        built: dict[int, object] = {}
        stack: list[tuple[ast.expr, bool]] = [(root, False)]
        while stack:
            node, children_done = stack.pop()
            if children_done:
                built[id(node)] = self.record(self.build(node, built), node)
                continue
            self.count += 1
            if self.count > self.limits.nodes:
                raise refuse(f"the expression has more than {self.limits.nodes} nodes "
                             "(numbers, names, operators and calls)", "nodes",
                             self.limits).at(self.text, *self.place(node))
            children = self.children(node)
            stack.append((node, True))
            stack.extend((child, False) for child in reversed(children))
        return built[id(root)]

    def children(self, node: ast.expr) -> list:
        """The sub-expressions of an allowed node; refuses anything not allowed."""
        if isinstance(node, ast.BinOp):
            if type(node.op) not in _BINARY_OPERATORS:
                spelling = _OPERATOR_SPELLING.get(type(node.op), type(node.op).__name__)
                raise self.refuse(f"the operator {spelling} is not supported; "
                                  "use + - * / **", node)
            return [node.left, node.right]
        if isinstance(node, ast.UnaryOp):
            if not isinstance(node.op, (ast.USub, ast.UAdd)):
                spelling = _OPERATOR_SPELLING.get(type(node.op), type(node.op).__name__)
                raise self.refuse(f"the operator {spelling} is not supported", node)
            return [node.operand]
        if isinstance(node, ast.Call):
            self.check_call(node)
            return list(node.args)
        if isinstance(node, ast.Compare):
            return self.check_comparison(node)
        if isinstance(node, (ast.Name, ast.Constant)):
            return []
        what = _REFUSED.get(type(node), f"this construct ({type(node).__name__})")
        raise self.refuse(f"{what}: not allowed; {_allowed_summary()}", node)

    def check_comparison(self, node: ast.Compare) -> list:
        if id(node) not in self.conditions:
            raise self.refuse(_MISPLACED_COMPARISON, node)
        if len(node.ops) != 1:
            raise self.refuse("one comparison at a time: write a < x < b as two wheres, "
                              "e.g. where(x > a, where(x < b, ...), ...)", node)
        if type(node.ops[0]) not in _COMPARISONS:
            raise self.refuse("this comparison is not supported; use < <= > >=", node)
        return [node.left, node.comparators[0]]

    def check_call(self, node: ast.Call) -> None:
        function = node.func
        if not isinstance(function, ast.Name):
            what = _REFUSED.get(type(function), "this kind of call")
            raise self.refuse(f"{what} in a call: not allowed; call a function by name, "
                              "e.g. sin(x)", function)
        if function.id not in FUNCTIONS or function.id in self.bindings:
            hint = _hint(function.id)
            raise self.refuse(f"unknown function '{function.id}' ({hint}the functions are "
                              + ", ".join(FUNCTIONS) + ")", function)
        if node.keywords:
            raise self.refuse("keyword arguments are not allowed", node.keywords[0])
        primitive = FUNCTIONS[function.id]
        if len(node.args) != primitive.arity:
            raise self.refuse(f"{function.id} takes {primitive.arity} argument"
                              f"{'s' if primitive.arity != 1 else ''}, got {len(node.args)}",
                              node)
        for position in primitive.conditions:
            condition = node.args[position]
            if not isinstance(condition, ast.Compare):
                raise self.refuse(f"the condition of {function.id} must be a comparison "
                                  "(< <= > >=), e.g. x > 0", condition)
            self.conditions.add(id(condition))

    def build(self, node: ast.expr, built: dict):
        if isinstance(node, ast.BinOp):
            primitive = operator_row(_BINARY_OPERATORS[type(node.op)], 2)
            return Call(primitive, (built[id(node.left)], built[id(node.right)]))
        if isinstance(node, ast.Compare):
            primitive = operator_row(_COMPARISONS[type(node.ops[0])], 2)
            return Call(primitive, (built[id(node.left)], built[id(node.comparators[0])]))
        if isinstance(node, ast.UnaryOp):
            operand = built[id(node.operand)]
            if isinstance(node.op, ast.UAdd):
                return operand
            return Call(operator_row("-", 1), (operand,))
        if isinstance(node, ast.Call):
            primitive = FUNCTIONS[node.func.id]
            return Call(primitive, tuple(built[id(arg)] for arg in node.args))
        if isinstance(node, ast.Name):
            return self.name(node)
        return self.number(node)

    def name(self, node: ast.Name):
        if node.id in self.bindings:
            return self.bindings[node.id]
        self.check_identifier(node)
        if node.id in FUNCTIONS:
            raise self.refuse(f"'{node.id}' is a function; call it, e.g. {node.id}(x)", node)
        if node.id in CONSTANTS:
            value, _ = CONSTANTS[node.id]
            return Const(value=value, exact=node.id, text=node.id)
        if node.id not in self.variables:
            self.variables[node.id] = Var(node.id)
        return self.variables[node.id]

    def number(self, node: ast.Constant) -> Const:
        value = node.value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            kind = {str: "strings", bytes: "bytes", complex: "complex numbers",
                    bool: "True and False", type(None): "None",
                    type(...): "..."}.get(type(value), type(value).__name__)
            raise self.refuse(f"{kind}: not allowed; {_allowed_summary()}", node)
        text = self.segment(node) or repr(value)
        if isinstance(value, float) and not math.isfinite(value):
            raise self.refuse("this number is beyond the float range (about ±1.8e308)", node)
        if isinstance(value, float) and _decimal_exponent(text) > _MAX_LITERAL_EXPONENT:
            raise self.refuse(f"this number's exponent is beyond ±{_MAX_LITERAL_EXPONENT}, "
                              "far outside the float range", node)
        if isinstance(value, int):
            exact = Fraction(value)
        else:
            try:
                exact = Fraction(text.replace("_", ""))
            except (ValueError, ZeroDivisionError):
                exact = Fraction(value)
        try:
            as_float = float(exact)
        except OverflowError:
            as_float = math.inf
        if not math.isfinite(as_float):
            raise self.refuse("this number is beyond the float range (about ±1.8e308)", node)
        if as_float == 0.0 and exact != 0:
            raise self.refuse("this number is too small for a float (it would be 0)", node)
        return Const(value=as_float, exact=exact, text=text)


# How alike an unknown name and a function's name must be for "did you mean" (difflib's
# ratio: 2·matches / total length). At 0.75 "sinn" gets sin (0.86) and "sigmod" sigmoid
# (0.92), while "coth" no longer gets cos (0.57); difflib's default, 0.6, suggests a
# name for almost any short word. Other languages' spellings (ln) are in ALIASES.
_CLOSE_ENOUGH = 0.75


def _hint(name: str) -> str:
    """ "did you mean log? " for ln (a common spelling), or for a near miss; "" if none."""
    if name in ALIASES:
        return f"did you mean {ALIASES[name]}? "
    close = difflib.get_close_matches(name, list(FUNCTIONS), n=1, cutoff=_CLOSE_ENOUGH)
    return f"did you mean {close[0]}? " if close else ""


# Doubles span about 1e-324 to 1e308; an exact literal beyond that would cost huge
# integers (Fraction("1e-999999999") never finishes). Not configurable: it is the float
# range's, and a literal beyond it could not be evaluated in floats anyway.
_MAX_LITERAL_EXPONENT = 400


def _decimal_exponent(text: str) -> int:
    mantissa, _, exponent = text.lower().replace("_", "").partition("e")
    try:
        return abs(int(exponent or "0"))
    except ValueError:
        return 0


def _characters(line: str, byte_offset: int) -> int:
    """ast gives UTF-8 byte offsets; carets need character offsets."""
    return len(line.encode("utf-8")[:byte_offset].decode("utf-8", errors="ignore"))
