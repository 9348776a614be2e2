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
import sys
import warnings

import sympy

from .errors import LimitError, ParseError, quote
from .graph import Graph
from .parse_text import keyword_message, normalise, syntax_error, unknown_function
from .rules import FUNCTIONS, RULES

MAX_TEXT = 1_000_000        # characters in a whole program
MAX_LINE = 5_000            # characters in one line
MAX_BRACKETS = 50           # nesting of ( [ {
MAX_AST_NODES = 400_000
MAX_DEPTH = 120             # depth of the syntax tree of one statement
MAX_CONST_DIGITS = 400      # a constant may not exceed 10**400 in magnitude
MAX_CHAIN = 30_000          # operators in one flat chain such as a1 + a2 + ... (see _ast_parse)

NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")

_BINOPS = {ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.Div: "div", ast.Pow: "pow"}
_AUG_OPS = {ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.Div: "div", ast.Pow: "pow"}
# A left operand with an operator of the same family continues a flat chain: a + b - c + d
# is written flat, so it is not deep, although ast nests it ((a + b) - c) + d.
_FAMILY = {ast.Add: "sum", ast.Sub: "sum", ast.Mult: "product", ast.Div: "product"}
_OTHER_OPS = {
    ast.BitXor: ("^", "use ** for powers (x**2); ^ is not a power in Python"),
    ast.MatMult: ("@", ("'@' is the matrix product: symgrad.parse reads scalar programs only "
                       "(derive, compile, train, render and check read matrix programs)")),
    ast.FloorDiv: ("//", "floor division '//' is not supported; only + - * / ** are allowed"),
    ast.Mod: ("%", "the remainder '%' is not supported; only + - * / ** are allowed"),
    ast.BitOr: ("|", "use abs(x) for |x|; only + - * / ** are allowed"),
    ast.BitAnd: ("&", "'&' is not supported; only + - * / ** are allowed"),
    ast.LShift: ("<<", "'<<' is not supported; only + - * / ** are allowed"),
    ast.RShift: (">>", "'>>' is not supported; only + - * / ** are allowed"),
}
_MATRIX_ATTRIBUTES = {"T", "dot", "transpose", "sum", "mean", "reshape", "shape", "mT", "H"}
_MODULES = {"np", "numpy", "math", "torch", "jnp", "jax", "sympy", "sp", "scipy", "F", "tf"}
_NUMBERS = {"pi": "3.141592653589793", "e": "2.718281828459045"}

_REFUSED = {
    ast.Attribute: "attribute access is", ast.Subscript: "subscripts are",
    ast.Lambda: "lambdas are",
    ast.ListComp: "comprehensions are", ast.SetComp: "comprehensions are",
    ast.DictComp: "comprehensions are", ast.GeneratorExp: "comprehensions are",
    ast.Compare: "comparisons are", ast.BoolOp: "'and'/'or' are",
    ast.IfExp: "conditional expressions are",
    ast.List: "lists are", ast.Tuple: "tuples are", ast.Dict: "dicts are", ast.Set: "sets are",
    ast.Starred: "'*' unpacking is", ast.JoinedStr: "strings are", ast.NamedExpr: "':=' is",
    ast.Await: "'await' is", ast.Yield: "'yield' is", ast.YieldFrom: "'yield' is",
    ast.Slice: "slices are",
}


def parse(text, output=None):
    """Parse an expression or a program into a :class:`Graph`."""
    source, module = read_program(text)
    builder = _Builder(source, module)
    body = module.body
    if len(body) == 1 and isinstance(body[0], ast.Expr):
        builder.expression(body[0].value)
    else:
        for stmt in body:
            builder.statement(stmt)
    return builder.finish(output)


def read_program(text):
    """The normalised :class:`Source` of ``text`` and its checked ``ast`` module: every bound
    and character check of the language, shared by the scalar and the matrix reader."""
    if not isinstance(text, str):
        raise ParseError(f"expected text, got {type(text).__name__}")
    if len(text) > MAX_TEXT:
        raise LimitError(f"the input is too long ({len(text):,} characters; "
                         f"the limit is {MAX_TEXT:,})")
    source = normalise(text)
    module = _parse_module(source)
    if not module.body:
        what = "is empty" if not source.code.strip() else "has only comments and blank lines"
        raise ParseError(f"there is nothing to derive: the text {what}")
    return source, module


# --- bounds before and after ast.parse ------------------------------------------------------

def _parse_module(source):
    text = source.code
    depth = 0
    for lineno, line in enumerate(source.lines, 1):
        if len(line) > MAX_LINE:
            raise LimitError(f"line is too long ({len(line):,} characters; "
                             f"the limit is {MAX_LINE:,})",
                             line[:40], lineno)
        for col, ch in enumerate(line, 1):
            if ch in "([{":
                depth += 1
                if depth > MAX_BRACKETS:
                    raise LimitError(f"brackets are nested more than {MAX_BRACKETS} deep", line,
                                     lineno, source.col(lineno, col))
            elif ch in ")]}":
                depth -= 1
    if "\\" in text:
        lineno = text.count("\n", 0, text.index("\\")) + 1
        line = source.lines[lineno - 1]
        col = line.index("\\")
        raise ParseError("backslashes are not allowed", line[max(0, col - 10): col + 10], lineno,
                         source.col(lineno, col + 1))
    module = _ast_parse(source)
    _check_tree(module, source)
    return module


def _ast_parse(source):
    """``ast.parse`` of ``source.code``, with symgrad's messages for what it refuses."""
    text = source.code
    # ast.parse builds its tree recursively in C, with a depth limit of 3x the recursion limit,
    # and a flat sum of n terms is a left-nested chain n deep. No chain is deeper than the number
    # of operator characters, so the limit is raised to cover them, up to MAX_CHAIN levels (whose
    # C stack, under 80 bytes a level, fits well within the default 8 MB).
    operators = min(MAX_CHAIN, sum(text.count(op) for op in "+-*/"))
    limit = sys.getrecursionlimit()
    try:
        sys.setrecursionlimit(max(limit, operators // 3 + 1000))
        with warnings.catch_warnings():
            # Python warns on stderr about, e.g., '1if x'; the refusal is our one line
            warnings.simplefilter("ignore")
            return ast.parse(text, mode="exec")
    except SyntaxError as exc:
        raise syntax_error(source, exc, FUNCTIONS) from None
    except (RecursionError, MemoryError, ValueError):
        raise LimitError("the input is too deeply nested, or has a chain of more than "
                         f"{MAX_CHAIN:,} operators (split a long sum over lines: "
                         "f = a, f += b, ...)") from None
    finally:
        sys.setrecursionlimit(limit)


def _check_tree(module, source):
    """Bound the node count and the depth of each statement (flat chains are not deep)."""
    count = 0
    stack = [(stmt, 1) for stmt in module.body]
    while stack:
        node, depth = stack.pop()
        count += 1
        if count > MAX_AST_NODES:
            raise LimitError(f"the input has more than {MAX_AST_NODES:,} syntax nodes")
        if depth > MAX_DEPTH:
            raise LimitError(f"the expression is nested more than {MAX_DEPTH} levels deep",
                             segment(source.code, node), getattr(node, "lineno", None),
                             source.col(getattr(node, "lineno", None), column(node)))
        family = _FAMILY.get(type(node.op)) if isinstance(node, ast.BinOp) else None
        for child in ast.iter_child_nodes(node):
            flat = (family is not None and child is node.left and isinstance(child, ast.BinOp)
                    and _FAMILY.get(type(child.op)) == family)
            stack.append((child, depth if flat else depth + 1))


def segment(text, node, lines=None):
    """The source text of ``node`` (``lines``: the text already split, for speed on long
    programs)."""
    if lines is None or getattr(node, "lineno", None) is None:
        return ast.get_source_segment(text, node) or text
    first, last = node.lineno - 1, node.end_lineno - 1
    # ast offsets count UTF-8 bytes, not characters
    chunk = "\n".join(lines[first: last + 1]).encode("utf-8")
    end = len(chunk) - len(lines[last].encode("utf-8")) + node.end_col_offset
    return chunk[node.col_offset: end].decode("utf-8", errors="replace")


def column(node):
    off = getattr(node, "col_offset", None)
    return None if off is None else off + 1


# --- building the graph ----------------------------------------------------------------------

class ProgramReader:
    """What the two readers of the text language share (this one's :class:`_Builder` of scalar
    graphs and ``matrix/program.py``'s reader of matrix models): the source, fresh node names,
    errors that point into the text, and the rules for a variable's name.

    A subclass sets ``functions`` (the names that are functions, not variables) and ``nodes``
    (the node names taken so far), and may override :meth:`unnamed`."""

    functions = ()

    def __init__(self, source, module):
        self.source, self.text = source, source.code
        self.lines = source.lines      # split at "\n" only, as ast counts lines
        self.taken, self.called = set(), set()       # every name; names called as functions
        for n in ast.walk(module):                    # one walk: 10,000 lines make a big tree
            if isinstance(n, ast.Name):
                self.taken.add(n.id)
            elif isinstance(n, ast.Call) and isinstance(n.func, ast.Name):
                self.called.add(n.func.id)
        self.counter = 0
        self.suffix = {}               # base -> the last k tried for base_k (keeps fresh() linear)

    @property
    def nodes(self):
        raise NotImplementedError

    def fresh(self, base=None):
        """A node name nobody uses: ``base``, then ``base_1``, …; or ``n1``, ``n2``, … ."""
        nodes = self.nodes
        if base is not None:
            if base not in nodes:
                return base
            k = self.suffix.get(base, 0) + 1
            while f"{base}_{k}" in self.taken or f"{base}_{k}" in nodes:
                k += 1
            self.suffix[base] = k
            return f"{base}_{k}"
        while True:
            self.counter += 1
            name = f"n{self.counter}"
            if name not in self.taken and name not in nodes:
                self.unnamed(name)
                return name

    def unnamed(self, name):
        """``name`` was made up for a gate the program did not name."""

    def error(self, message, node, cls=ParseError, at=None):
        """The error for ``node``; ``at``: a (line, column) inside it to point at instead."""
        line, col = at or (getattr(node, "lineno", None), column(node))
        return cls(message, segment(self.text, node, self.lines), line, self.source.col(line, col))

    def check_name(self, node):
        """The variable name of ``node`` (an ``ast.Name``), checked."""
        name = node.id
        if name.startswith("_"):
            raise self.error("names may not start with '_'", node)
        if not NAME.match(name):
            raise self.error("names are ASCII letters, digits and '_', starting with a letter",
                             node)
        if name in self.functions:
            raise self.error(f"{quote(name)} is a function and cannot be used as a variable", node)
        return name


class _Builder(ProgramReader):
    functions = FUNCTIONS

    def __init__(self, source, module):
        super().__init__(source, module)
        self.graph = Graph(source=source.text)
        self.env = {}              # variable -> current SymPy value (a node symbol or a constant)
        self.assigned = {}         # variables in order of (last) assignment
        self.created = set()       # gates made by the statement being read
        self.first = module.body[0] if module.body else None
        self.line = ""

    @property
    def nodes(self):
        return self.graph.nodes

    def unnamed(self, name):
        self.graph.unnamed.add(name)

    # statements -------------------------------------------------------------
    def expression(self, tree):
        base = next((c for c in ("f", "out", "output") if c not in self.taken), "f")
        self.assign(base, lambda: self.expr(tree, base), tree)

    def statement(self, stmt):
        self.line = segment(self.text, stmt, self.lines)
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
                symbol, hint = _OTHER_OPS.get(type(stmt.op), ("", ""))
                raise self.error(hint if symbol == "^" else
                                 "only +=, -=, *=, /= and **= are allowed", stmt)
            target = self.check_name(stmt.target)
            self.assign(target, lambda: self.combine(
                op, [self.load(stmt.target), self.expr(stmt.value)], stmt, target), stmt)
        elif isinstance(stmt, ast.Expr):
            first = self.line.lstrip()[:1]
            if first in ("+", "-", "*", "/") and stmt is not self.first:
                raise self.error(f"the line starts with {first!r}: to continue the line before, "
                                 "put the whole expression in brackets ( ... )", stmt)
            raise self.error("a program line must be an assignment such as 'c = a + b'", stmt)
        else:
            raise self.error(f"{type(stmt).__name__.lower()} statements are not allowed; "
                             "write one assignment per line", stmt)

    def assign(self, variable, build, tree):
        """Bind ``variable`` to the value ``build()`` makes; its top gate takes the variable's
        name."""
        self.created = set()
        value = build()
        node = self.graph.node_of(value) if isinstance(value, sympy.Symbol) else None
        if node is not None and (node.is_input or node.name not in self.created):
            # 'a = b': a copy gate keeps the new name visible in the derivation
            copy = self.graph.add_gate("identity", (value,), self.fresh(variable), self.line)
            value = copy.symbol
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
                raise ParseError(f"the output {quote(variable)} is a constant; "
                                 "it depends on no input")
            graph.output = graph.variables[variable]
        elif output in graph.variables:
            graph.output = graph.variables[output]
        elif output in graph.nodes:
            graph.output = output
        else:
            known = sorted(set(graph.variables) | set(graph.nodes))
            shown = ", ".join(known[:12]) + (", ..." if len(known) > 12 else "")
            raise ParseError(f"--output {quote(output)} is not a name of the program "
                             f"(names: {shown})")
        if graph.nodes[graph.output].is_input:
            node = graph.nodes[graph.output]
            graph.output = graph.add_gate("identity", (node.symbol,), self.fresh("f"), "").name
        return graph

    # expressions ------------------------------------------------------------
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
            return self.chain(node, name)
        if isinstance(node, ast.Call):
            return self.call(node, name)
        if isinstance(node, ast.Attribute):
            raise self.attribute_error(node)
        if isinstance(node, (ast.Yield, ast.YieldFrom)):        # 'yield + 1': yield as a name
            raise self.error(keyword_message("yield"), node)
        what = _REFUSED.get(type(node), f"{type(node).__name__} is")
        raise self.error(f"{what} not allowed", node)

    def chain(self, node, name):
        """A left-nested chain of binary operators (a + b - c ...), read with a loop: a flat
        sum of 10,000 terms is 10,000 levels deep in ast and would overflow a recursive reader."""
        if isinstance(node.op, ast.Pow):
            return self.combine("pow", [self.expr(node.left), self.expr(node.right)], node, name)
        links = []
        while isinstance(node, ast.BinOp) and not isinstance(node.op, ast.Pow):
            links.append(node)
            node = node.left
        value = self.expr(node)
        for link in reversed(links):
            op = _BINOPS.get(type(link.op))
            if op is None:
                symbol, hint = _OTHER_OPS.get(type(link.op), ("", "only + - * / ** are allowed"))
                raise self.error(hint, link, at=self.operator_at(link, symbol))
            top = name if link is links[0] else None
            value = self.combine(op, [value, self.expr(link.right)], link, top)
        return value

    def operator_at(self, node, symbol):
        """(line, column) of the operator ``symbol`` between the operands of BinOp ``node``."""
        left, right = node.left, node.right
        for lineno in range(left.end_lineno, right.lineno + 1):
            line = self.lines[lineno - 1]
            start = left.end_col_offset if lineno == left.end_lineno else 0
            stop = right.col_offset if lineno == right.lineno else len(line)
            found = line.find(symbol, start, stop) if symbol else -1
            if found >= 0:
                return lineno, found + 1
        return None

    def attribute_error(self, node):
        """The refusal of ``a.b``: the NumPy or matrix habit behind it, if there is one."""
        attr = node.attr
        if attr in _MATRIX_ATTRIBUTES:
            return self.error(f"matrix syntax ('.{attr}', '@') belongs to matrix programs: "
                              "symgrad.parse reads scalar programs only", node)
        module = node.value.id if isinstance(node.value, ast.Name) else None
        if module in _MODULES and attr in _NUMBERS:
            return self.error(f"write the number {_NUMBERS[attr]} for {module}.{attr}", node)
        return self.error("attribute access is not allowed", node)

    def constant(self, node):
        value = node.value
        if value is None or isinstance(value, bool):
            message = keyword_message(str(value))
            raise self.error(f"{message} (only numbers are allowed as constants)", node)
        if isinstance(value, complex):
            raise self.error("complex numbers are not supported (only numbers are allowed as "
                             "constants)", node)
        if not isinstance(value, (int, float)):
            raise self.error("only numbers are allowed as constants", node)
        if isinstance(value, int):
            if value.bit_length() > 1024 or float(value) > sys.float_info.max:
                raise self.error(_too_large(f"about 10^{int(value.bit_length() * 0.30103)}"), node,
                                 LimitError)
            return sympy.Integer(value)
        if not math.isfinite(value):
            raise self.error(_too_large("more than 1.8e308"), node, LimitError)
        if value == 0.0 and re.search(r"[1-9]", re.split(r"[eE]", segment(self.text, node,
                                                                         self.lines))[0]):
            raise self.error("the number is too small for floating point: it would be 0 "
                             "(the smallest is about 5e-324)", node, LimitError)
        return sympy.Float(repr(value))

    def call(self, node, name):
        func = node.func
        if isinstance(func, ast.Attribute):
            module = func.value.id if isinstance(func.value, ast.Name) else None
            if module in _MODULES and func.attr in FUNCTIONS:
                called = segment(self.text, node, self.lines).removeprefix(f"{module}.")
                raise self.error(f"write {quote(called)}: symgrad's functions are called by name, "
                                 f"without '{module}.'", node)
            if func.attr in _MATRIX_ATTRIBUTES:
                raise self.attribute_error(func)
        if not isinstance(func, ast.Name):
            raise self.error("only calls of symgrad's functions by name are allowed", node)
        fname = func.id
        if fname.startswith("_"):
            raise self.error("names may not start with '_'", func)
        if fname not in FUNCTIONS:
            used_as_variable = fname in self.taken - self.called or fname in self.env
            raise self.error(unknown_function(fname, FUNCTIONS, used_as_variable), func)
        rule = RULES[fname]
        args = [self.expr(a) for a in node.args]
        for kw in node.keywords:
            if kw.arg not in rule.params:
                what = "'**' unpacking" if kw.arg is None else f"keyword {quote(kw.arg)}"
                raise self.error(f"{fname}() has no {what}", kw)
        if fname in ("max", "min"):
            return self.extremum(fname, args, node, name)
        extra = args[rule.arity:]
        if len(args) < rule.arity or len(extra) > len(rule.params):
            wanted = f"{rule.arity} argument{'s' if rule.arity != 1 else ''}"
            optional = f" and an optional {', '.join(rule.params)}" if rule.params else ""
            raise self.error(f"{fname}() takes {wanted}{optional} (got {len(args)})", node)
        params = dict(zip(rule.params, rule.defaults, strict=True))
        for pname, value in zip(rule.params, extra, strict=False):  # extra may be shorter
            params[pname] = value
        named = [kw.arg for kw in node.keywords]
        for kw in node.keywords:
            # ast.parse accepts alpha=1, alpha=2 (only Python's compiler refuses it)
            if kw.arg in rule.params[: len(extra)] or named.count(kw.arg) > 1:
                raise self.error(f"{fname}() got {kw.arg} twice", kw)
            params[kw.arg] = self.expr(kw.value)
        for pname, value in params.items():
            if value.free_symbols:
                raise self.error(f"{fname}()'s {pname} must be a number", node)
        arguments = args[: rule.arity] + list(params.values())
        return self.combine(fname, arguments, node, name)

    def extremum(self, fname, args, node, name):
        """max/min of two or more arguments: a chain of two-argument gates."""
        if len(args) < 2:
            raise self.error(f"{fname}() takes at least 2 arguments (got {len(args)})", node)
        value = args[0]
        for a in args[1:-1]:
            value = self.combine(fname, [value, a], node)
        return self.combine(fname, [value, args[-1]], node, name)

    def combine(self, op, args, node, name=None):
        """A gate applying ``op`` to ``args``, or a constant when every argument is constant."""
        if all(not getattr(a, "free_symbols", None) for a in args):
            return self.fold(op, args, node)
        gate = self.graph.add_gate(op, args, self.fresh(name), self.line)
        # x/0, x*log(0), ...: only a constant argument can make a gate infinite
        constant = not all(isinstance(a, sympy.Symbol) for a in args)
        if constant and gate.expr.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo):
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
                raise self.error(f"the constant is too large for floating point "
                                 f"(about 10^{exponent}; the largest is about 1.8e308)", node,
                                 LimitError)
            raise self.error(f"{_short(value)} is not a finite number", node)
        if value.is_Rational and max(abs(value.p), abs(value.q)) > 10**MAX_CONST_DIGITS:
            raise self.error("the constant is too large", node, LimitError)
        return value


def _too_large(size):
    return f"the number is too large for floating point ({size}; the largest is about 1.8e308)"


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
