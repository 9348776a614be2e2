"""Safe parsing: Python's ``ast`` with an allow-list, building SymPy objects directly.

User text never reaches ``eval``, ``exec``, ``sympify`` or ``parse_expr``. The
text is bounded before it is parsed (length, bracket depth), the tree after
(node count, depth), and constant arithmetic is estimated before SymPy is asked
to do it, so ``9**9**9**9`` is refused at once instead of being computed.

Two forms are accepted:

- an expression, ``(x + y)*z``: its gates get short automatic names and the
  output is called ``f``;
- a straight-line program, one ``name = expr`` (or ``+=``, ``-=``, ``*=``, ``/=``)
  per line, ``#`` comments and blank lines allowed. Each assignment's top gate
  takes the variable's name; a reassigned variable keeps every version as its
  own node (``c``, ``c_1``, ``c_2``, …). Free names are the inputs; the last
  assigned variable is the output unless ``output=`` names another.
"""

import ast
import math
import re

import sympy

from .errors import LimitError, ParseError
from .graph import Graph
from .rules import FUNCTIONS, RULES

MAX_TEXT = 1_000_000        # characters in a whole program
MAX_LINE = 5_000            # characters in one line
MAX_BRACKETS = 50           # nesting of ( [ {
MAX_AST_NODES = 400_000
MAX_DEPTH = 120             # depth of the syntax tree of one statement
MAX_CONST_DIGITS = 400      # a constant may not exceed 10**400 in magnitude

NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")

_BINOPS = {ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.Div: "div", ast.Pow: "pow"}
_AUG_OPS = {ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.Div: "div", ast.Pow: "pow"}

_REFUSED = {
    ast.Attribute: "attribute access is", ast.Subscript: "subscripts are", ast.Lambda: "lambdas are",
    ast.ListComp: "comprehensions are", ast.SetComp: "comprehensions are",
    ast.DictComp: "comprehensions are", ast.GeneratorExp: "comprehensions are",
    ast.Compare: "comparisons are", ast.BoolOp: "'and'/'or' are", ast.IfExp: "conditional expressions are",
    ast.List: "lists are", ast.Tuple: "tuples are", ast.Dict: "dicts are", ast.Set: "sets are",
    ast.Starred: "'*' unpacking is", ast.JoinedStr: "strings are", ast.NamedExpr: "':=' is",
    ast.Await: "'await' is", ast.Yield: "'yield' is", ast.YieldFrom: "'yield' is", ast.Slice: "slices are",
}


def parse(text, output=None):
    """Parse an expression or a program into a :class:`Graph`."""
    if not isinstance(text, str):
        raise ParseError(f"expected text, got {type(text).__name__}")
    module = _parse_module(text)
    builder = _Builder(text)
    body = module.body
    if not body:
        raise ParseError("there is nothing to derive: the text is empty", text)
    if len(body) == 1 and isinstance(body[0], ast.Expr):
        builder.expression(body[0].value)
    else:
        for stmt in body:
            builder.statement(stmt)
    return builder.finish(output)


# --- bounds before and after ast.parse ------------------------------------------------------

def _parse_module(text):
    if len(text) > MAX_TEXT:
        raise LimitError(f"the input is too long ({len(text):,} characters; the limit is {MAX_TEXT:,})")
    depth = 0
    for lineno, line in enumerate(text.splitlines(), 1):
        if len(line) > MAX_LINE:
            raise LimitError(f"line is too long ({len(line):,} characters; the limit is {MAX_LINE:,})",
                             line[:40], lineno)
        for col, ch in enumerate(line, 1):
            if ch in "([{":
                depth += 1
                if depth > MAX_BRACKETS:
                    raise LimitError(f"brackets are nested more than {MAX_BRACKETS} deep", line, lineno, col)
            elif ch in ")]}":
                depth -= 1
    if "\\" in text:
        col = text.index("\\")
        raise ParseError("backslashes are not allowed", text[max(0, col - 10): col + 10], None, col + 1)
    try:
        module = ast.parse(text, mode="exec")
    except SyntaxError as exc:
        raise ParseError(f"syntax error: {exc.msg}", (exc.text or "").strip() or text,
                         exc.lineno, exc.offset) from None
    except (RecursionError, MemoryError, ValueError):
        raise LimitError("the input is too deeply nested", text) from None
    count = 0
    stack = [(stmt, 1) for stmt in module.body]
    while stack:
        node, depth = stack.pop()
        count += 1
        if count > MAX_AST_NODES:
            raise LimitError(f"the input has more than {MAX_AST_NODES:,} syntax nodes", text)
        if depth > MAX_DEPTH:
            raise LimitError(f"the expression is nested more than {MAX_DEPTH} levels deep",
                             _segment(text, node), getattr(node, "lineno", None), _col(node))
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))
    return module


def _segment(text, node, lines=None):
    """The source text of ``node`` (``lines``: the text already split, for speed on long programs)."""
    if lines is None or getattr(node, "lineno", None) is None:
        return ast.get_source_segment(text, node) or text
    first, last = node.lineno - 1, node.end_lineno - 1
    # ast offsets count UTF-8 bytes, not characters
    chunk = "\n".join(lines[first: last + 1]).encode("utf-8")
    end = len(chunk) - len(lines[last].encode("utf-8")) + node.end_col_offset
    return chunk[node.col_offset: end].decode("utf-8", errors="replace")


def _col(node):
    off = getattr(node, "col_offset", None)
    return None if off is None else off + 1


# --- building the graph ----------------------------------------------------------------------

class _Builder:
    def __init__(self, text):
        self.text = text
        self.lines = text.splitlines()
        self.graph = Graph(source=text)
        self.env = {}              # variable -> current SymPy value (a node symbol or a constant)
        self.assigned = {}         # variables in order of (last) assignment
        self.created = set()       # gates made by the statement being read
        self.taken = {n.id for n in ast.walk(ast.parse(text)) if isinstance(n, ast.Name)}
        self.counter = 0
        self.line = ""

    # names ----------------------------------------------------------------
    def fresh(self, base=None):
        """A node name nobody uses: ``base``, then ``base_1``, …; or ``n1``, ``n2``, … ."""
        if base is not None:
            if base not in self.graph.nodes:
                return base
            k = 1
            while f"{base}_{k}" in self.taken or f"{base}_{k}" in self.graph.nodes:
                k += 1
            return f"{base}_{k}"
        while True:
            self.counter += 1
            name = f"n{self.counter}"
            if name not in self.taken and name not in self.graph.nodes:
                self.graph.unnamed.add(name)
                return name

    def error(self, message, node, cls=ParseError):
        return cls(message, _segment(self.text, node, self.lines), getattr(node, "lineno", None), _col(node))

    # statements -------------------------------------------------------------
    def expression(self, tree):
        base = next((c for c in ("f", "out", "output") if c not in self.taken), "f")
        self.assign(base, lambda: self.expr(tree, base), tree)

    def statement(self, stmt):
        self.line = _segment(self.text, stmt, self.lines)
        if isinstance(stmt, ast.Assign):
            if len(stmt.targets) != 1 or not isinstance(stmt.targets[0], ast.Name):
                raise self.error("assign to exactly one plain name, as in 'c = a + b'", stmt)
            target = self.check_name(stmt.targets[0])
            self.assign(target, lambda: self.expr(stmt.value, target), stmt)
        elif isinstance(stmt, ast.AugAssign):
            if not isinstance(stmt.target, ast.Name):
                raise self.error("assign to exactly one plain name, as in 'c += a'", stmt)
            op = _AUG_OPS.get(type(stmt.op))
            if op is None:
                raise self.error("only +=, -=, *=, /= and **= are allowed", stmt)
            target = self.check_name(stmt.target)
            self.assign(target, lambda: self.combine(
                op, [self.load(stmt.target), self.expr(stmt.value)], stmt, target), stmt)
        elif isinstance(stmt, ast.Expr):
            raise self.error("a program line must be an assignment such as 'c = a + b'", stmt)
        else:
            raise self.error(f"{type(stmt).__name__.lower()} statements are not allowed; "
                             "write one assignment per line", stmt)

    def assign(self, variable, build, tree):
        """Bind ``variable`` to the value ``build()`` makes; its top gate takes the variable's name."""
        self.created = set()
        value = build()
        node = self.graph.node_of(value) if isinstance(value, sympy.Symbol) else None
        if node is not None and (node.is_input or node.name not in self.created):
            # 'a = b': a copy gate keeps the new name visible in the derivation
            value = self.graph.add_gate("identity", (value,), self.fresh(variable), self.line).symbol
        self.env[variable] = value
        self.assigned.pop(variable, None)
        self.assigned[variable] = True

    def finish(self, output):
        graph = self.graph
        graph.variables = {v: graph.node_of(s).name for v, s in self.env.items()
                           if isinstance(s, sympy.Symbol) and graph.node_of(s) is not None}
        if output is None:
            variable = next(reversed(self.assigned))
            if variable not in graph.variables:
                raise ParseError(f"the output {variable!r} is a constant; it depends on no input")
            graph.output = graph.variables[variable]
        elif output in graph.variables:
            graph.output = graph.variables[output]
        elif output in graph.nodes:
            graph.output = output
        else:
            known = ", ".join(sorted(set(graph.variables) | set(graph.nodes)))
            raise ParseError(f"--output {output!r} is not a name of the program (names: {known})")
        if graph.nodes[graph.output].is_input:
            node = graph.nodes[graph.output]
            graph.output = graph.add_gate("identity", (node.symbol,), self.fresh("f"), "").name
        return graph

    # expressions ------------------------------------------------------------
    def check_name(self, node):
        name = node.id
        if name.startswith("_"):
            raise self.error("names may not start with '_'", node)
        if not NAME.match(name):
            raise self.error("names are ASCII letters, digits and '_', starting with a letter", node)
        if name in FUNCTIONS:
            raise self.error(f"{name!r} is a function and cannot be used as a variable", node)
        return name

    def load(self, node):
        name = self.check_name(node)
        if name in self.env:
            return self.env[name]
        symbol = self.graph.add_input(self.fresh(name)).symbol
        self.env[name] = symbol
        return symbol

    def expr(self, node, name=None):
        # ``name``: the variable the top gate of ``node`` is named after (a fresh version of it)
        """The SymPy value of ``node``: a node symbol, or a constant if nothing varies."""
        if isinstance(node, ast.Constant):
            return self.constant(node)
        if isinstance(node, ast.Name):
            return self.load(node)
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.UAdd):
                return self.expr(node.operand, name)
            if isinstance(node.op, ast.USub):
                return self.combine("neg", [self.expr(node.operand)], node, name)
            raise self.error("only unary + and - are allowed", node)
        if isinstance(node, ast.BinOp):
            op = _BINOPS.get(type(node.op))
            if op is None:
                raise self.error("only + - * / ** are allowed", node)
            return self.combine(op, [self.expr(node.left), self.expr(node.right)], node, name)
        if isinstance(node, ast.Call):
            return self.call(node, name)
        what = _REFUSED.get(type(node), f"{type(node).__name__} is")
        raise self.error(f"{what} not allowed", node)

    def constant(self, node):
        value = node.value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.error("only numbers are allowed as constants", node)
        if isinstance(value, int):
            if value.bit_length() > MAX_CONST_DIGITS * 3.33:
                raise self.error("the number is too large", node, LimitError)
            return sympy.Integer(value)
        if not math.isfinite(value):
            raise self.error("the number is too large", node, LimitError)
        return sympy.Float(repr(value))

    def call(self, node, name):
        if not isinstance(node.func, ast.Name):
            raise self.error("only calls of symgrad's functions by name are allowed", node)
        fname = node.func.id
        if fname.startswith("_"):
            raise self.error("names may not start with '_'", node.func)
        if fname not in FUNCTIONS:
            known = ", ".join(sorted(FUNCTIONS))
            raise self.error(f"unknown function {fname!r} (known: {known})", node.func)
        rule = RULES[fname]
        args = [self.expr(a) for a in node.args]
        params = dict(zip(rule.params, rule.defaults))
        extra = args[rule.arity:]
        if fname in ("max", "min") and len(args) > 2 and not node.keywords:
            value = args[0]
            for a in args[1:-1]:
                value = self.combine(fname, [value, a], node)
            return self.combine(fname, [value, args[-1]], node, name)
        if len(args) < rule.arity or len(extra) > len(rule.params):
            raise self.error(f"{fname}() takes {rule.arity} argument(s)"
                             + (f" and an optional {', '.join(rule.params)}" if rule.params else ""), node)
        for pname, value in zip(rule.params, extra):
            params[pname] = value
        for kw in node.keywords:
            if kw.arg not in rule.params:
                raise self.error(f"{fname}() has no keyword {kw.arg!r}", kw)
            params[kw.arg] = self.expr(kw.value)
        for pname, value in params.items():
            if value.free_symbols:
                raise self.error(f"{fname}()'s {pname} must be a number", node)
        return self.combine(fname, args[: rule.arity] + list(params.values()), node, name)

    def combine(self, op, args, node, name=None):
        """A gate applying ``op`` to ``args``, or a constant when every argument is constant."""
        if all(not getattr(a, "free_symbols", None) for a in args):
            return self.fold(op, args, node)
        gate = self.graph.add_gate(op, args, self.fresh(name), self.line)
        if gate.expr.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo):      # x/0, x*log(0), ...
            raise self.error("division by zero" if op in ("div", "pow") else
                             "the result is not a finite number", node)
        self.created.add(gate.name)
        return gate.symbol

    def fold(self, op, args, node):
        if op == "pow":
            _check_power(*args, error=lambda msg: self.error(msg, node, LimitError))
        value = RULES[op].build(*args)
        try:
            number = complex(sympy.N(value, 20))
        except (TypeError, ValueError):
            number = complex("nan")
        if value.has(sympy.zoo):
            raise self.error("division by zero" if op in ("div", "pow") else
                             "the value is infinite", node)
        if number.imag != 0:
            raise self.error(f"{_short(value)} is not a real number", node)
        if not math.isfinite(number.real):
            if value.is_finite:
                exponent = math.floor(float(sympy.N(sympy.log(abs(value), 10), 20)))
                raise self.error(f"the constant is too large for floating point (about 10^{exponent}; "
                                 f"the largest is about 1.8e308)", node, LimitError)
            raise self.error(f"{_short(value)} is not a finite number", node)
        if value.is_Rational and max(abs(value.p), abs(value.q)) > 10**MAX_CONST_DIGITS:
            raise self.error("the constant is too large", node, LimitError)
        return value


def _short(value, limit=40):
    text = sympy.sstr(value)
    return text if len(text) <= limit else sympy.sstr(sympy.N(value, 6))


def _check_power(base, exponent, error):
    """Refuse constant powers whose result would be huge, before SymPy computes them."""
    try:
        b, e = abs(float(base)), float(exponent)
    except (TypeError, OverflowError):
        raise error("the constant power is too large") from None
    if b in (0.0, 1.0):
        return
    magnitude = abs(e) * abs(math.log10(b)) if b else 0.0
    if magnitude > MAX_CONST_DIGITS or (exponent.is_Rational and not exponent.is_Integer
                                        and exponent.q > 1000):
        raise error(f"the constant power is too large (about 10^{magnitude:.3g})")
