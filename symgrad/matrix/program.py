"""Matrix programs: the text language with NumPy's meaning, read into a :class:`MatrixModel`.

The same straight-line programs as the scalar language (``parse.py``), with the same bounds
and character checks, and four additions, all read with ``ast`` (nothing is evaluated):

- ``A @ B``: the matrix product, with NumPy's rules for 1-D operands;
- ``A.T``: the transpose, the only attribute;
- reductions and batch losses: ``sum(A)``, ``mean(A)``, ``sum(A, axis=k)``,
  ``mean(A, axis=k)``, ``l1(A)``, ``l2(A)``, ``softmax_ce(S, Y)``, ``hinge(S, Y, margin)``;
- declarations ``W: [2, 2]`` (an annotation without a value) giving an input's shape.

Elementwise ``+ - * /`` broadcast as in NumPy; ``A ** c`` takes a constant ``c``; every
function of the scalar table applies entry by entry. An input's shape comes from its value
(``--at``, ``--data``) or from its declaration; a program whose shapes do not fit is refused
in one line naming both shapes and the line, before anything is computed.
"""

import ast
import math

from ..errors import LimitError, ParseError, SymgradError, quote
from ..parse import ProgramReader, read_program, segment
from ..parse_text import unknown_function
from .model import MatrixModel, op
from .ops import ELEMENTWISE, RENAMED, hinge, l1, l2, log, mean, softmax_ce, sum_, sumsq

MAX_ENTRIES = 10_000_000       # entries of one declared shape (80 MB of float64)
MAX_DECLARED = 20_000_000      # entries of all declared shapes together
MAX_DIMS = 4

# Functions of the matrix language, by the name a user types.
REDUCTIONS = {"sum": sum_, "mean": mean}
WHOLE = {"l1": l1, "l2": l2, "sumsq": sumsq}
LOSSES = {"softmax_ce": softmax_ce, "hinge": hinge}
_BY_USER_NAME = {user: RENAMED.get(user, user) for user in
                 ("abs", "cos", "elu", "exp", "leaky_relu", "log", "max", "min", "relu",
                  "sigmoid", "silu", "sin", "softplus", "sqrt", "tanh")}
ELEMENTWISE_NAMES = {user: ELEMENTWISE[internal] for user, internal in _BY_USER_NAME.items()
                     if internal in ELEMENTWISE}
ELEMENTWISE_NAMES.update({name: ELEMENTWISE[name] for name in ELEMENTWISE
                          if name not in RENAMED.values() and name not in ("hadamard",)})
ELEMENTWISE_NAMES["log"] = log              # log of a sigmoid gate is one stable gate
FUNCTIONS = {**ELEMENTWISE_NAMES, **REDUCTIONS, **WHOLE, **LOSSES}
MATRIX_ONLY = {*REDUCTIONS, *WHOLE, *LOSSES}

_OPERATORS = {ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.Div: "div",
              ast.MatMult: "matmul", ast.Pow: "pow"}
# NumPy methods and functions people write, and what to write instead.
_HABITS = {"dot": "write A @ B for the matrix product", "sum": "write sum(A) (or sum(A, axis=0))",
           "mean": "write mean(A)", "transpose": "write A.T", "T": "",
           "reshape": "reshapes are not supported", "shape": "shapes come from the values",
           "maximum": "write max(A, 0)", "minimum": "write min(A, 0)",
           "square": "write A**2", "matmul": "write A @ B", "outer": "write a @ b.T"}
# What a refused expression is, in a user's words (not ast's class names: "Subscript", "IfExp").
_NODE_WORDS = {
    ast.Subscript: "indexing and slicing (A[0], A[:, 1]) are not allowed: symgrad "
                   "differentiates whole arrays",
    ast.List: "list literals are not allowed: give arrays with --at, or declare a shape "
              "('W: [2, 2]')",
    ast.Dict: "dict literals are not allowed", ast.Set: "set literals are not allowed",
    ast.Tuple: "tuples are not allowed", ast.NamedExpr: "the walrus operator := is not allowed",
    ast.JoinedStr: "f-strings are not allowed", ast.Compare: "comparisons are not allowed",
    ast.IfExp: "conditional expressions (a if c else b) are not allowed",
    ast.Starred: "* unpacking is not allowed", ast.Lambda: "lambdas are not allowed",
    ast.BoolOp: "and/or are not allowed", ast.ListComp: "comprehensions are not allowed",
    ast.GeneratorExp: "generator expressions are not allowed",
}
_MODULES = {"np", "numpy", "torch", "jnp", "jax", "F", "tf", "math"}
_METHODS = {"T", "dot", "sum", "mean", "transpose"}


def is_matrix_program(text):
    """Whether ``text`` uses matrix syntax (``@``, ``.T``, a declaration or a reduction)."""
    try:
        _, module = read_program(text)
    except ParseError:
        return False                      # the scalar reader gives the message
    for node in ast.walk(module):
        if isinstance(node, (ast.BinOp, ast.AugAssign)) and isinstance(node.op, ast.MatMult):
            return True
        if isinstance(node, ast.Attribute) and node.attr in _METHODS:
            return True         # A.T, and NumPy methods the reader refuses with their fix
        if isinstance(node, ast.AnnAssign):
            return True
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                and node.func.id in MATRIX_ONLY):
            return True
    return False


def parse_matrix(text, shapes=None, output=None, name="program"):
    """Read a matrix program into a :class:`MatrixModel`.

    ``shapes``: input name -> shape, from the values the user gives (``--at``, ``--data``);
    declarations in the text give the others. ``output``: the variable to differentiate
    (default: the last assigned); it must be a single number.
    """
    source, module = read_program(text)
    reader = _Reader(source, module, dict(shapes or {}), name)
    body = [stmt for stmt in module.body if not isinstance(stmt, ast.AnnAssign)]
    if len(body) == 1 and isinstance(body[0], ast.Expr):
        # an expression ('sum((W @ x)**2)'): its value is called f, as in the scalar language
        base = next((c for c in ("f", "out", "output") if c not in reader.taken), "f")
        reader.stmt = body[0]
        reader.assign(base, lambda: reader.expr(body[0].value, base))
    else:
        for stmt in body:
            reader.statement(stmt)
    return reader.finish(output)


class _Reader(ProgramReader):
    """The state of one program being read: the model, the variables, the declared shapes."""

    functions = FUNCTIONS

    def __init__(self, source, module, shapes, name):
        super().__init__(source, module)
        self.model = MatrixModel(name)
        self.env = {}                  # variable -> Var or float (a folded constant)
        self.assigned = {}             # variables in the order of their (last) assignment
        self.where = {}                # gate name -> the statement that made it
        self.stmt = None
        self.declared = {}             # input -> (shape, statement)
        for stmt in module.body:
            if isinstance(stmt, ast.AnnAssign):
                self.declare(stmt)
        self.shapes = dict(shapes)
        for var, (shape, stmt) in self.declared.items():
            given = self.shapes.get(var)
            if given is not None and tuple(given) != shape:
                raise self.error(f"{quote(var)} is declared with shape {list(shape)} but its "
                                 f"value has shape {list(given)}", stmt)
            self.shapes[var] = shape

    @property
    def nodes(self):
        return self.model.nodes

    # --- declarations ----------------------------------------------------------------------
    def declare(self, stmt):
        if not isinstance(stmt.target, ast.Name) or stmt.value is not None:
            raise self.error("a declaration gives an input's shape only, as in 'W: [2, 2]' "
                             "(no value after it)", stmt)
        var = self.check_name(stmt.target)
        if var in self.declared:
            raise self.error(f"{quote(var)} is declared twice", stmt)
        dims = stmt.annotation
        if not isinstance(dims, (ast.List, ast.Tuple)):
            raise self.error("a shape is a list of sizes, as in 'W: [2, 2]' ('b: []' for a "
                             "number)", dims)
        shape = []
        for d in dims.elts:
            if not (isinstance(d, ast.Constant) and type(d.value) is int and d.value > 0):
                raise self.error("every size of a shape is a positive whole number", d)
            shape.append(d.value)
        if len(shape) > MAX_DIMS:
            raise self.error(f"shapes have at most {MAX_DIMS} dimensions", dims, LimitError)
        if math.prod(shape) > MAX_ENTRIES:
            raise self.error(f"the shape has more than {MAX_ENTRIES:,} entries", dims, LimitError)
        self.declared[var] = (tuple(shape), stmt)
        if sum(math.prod(s) for s, _ in self.declared.values()) > MAX_DECLARED:
            raise self.error(f"the declared shapes have more than {MAX_DECLARED:,} entries in "
                             f"all", dims, LimitError)

    # --- statements ------------------------------------------------------------------------
    def statement(self, stmt):
        self.stmt = stmt
        if isinstance(stmt, ast.Assign):
            if len(stmt.targets) != 1 or not isinstance(stmt.targets[0], ast.Name):
                raise self.error("assign to exactly one plain name, as in 'h = x @ W'", stmt)
            target = self.check_name(stmt.targets[0])
            self.assign(target, lambda: self.expr(stmt.value, target))
        elif isinstance(stmt, ast.AugAssign):
            operator = _OPERATORS.get(type(stmt.op))
            if not isinstance(stmt.target, ast.Name) or operator is None:
                raise self.error("only name += expr (and -=, *=, /=, @=, **=) is allowed", stmt)
            target = self.check_name(stmt.target)
            self.assign(target, lambda: self.combine(
                operator, [self.load(stmt.target), self.expr(stmt.value)], stmt, target))
        elif isinstance(stmt, ast.Expr):
            raise self.error("a program line must be an assignment such as 'h = x @ W'", stmt)
        else:
            raise self.error(f"{type(stmt).__name__.lower()} statements are not allowed; "
                             "write one assignment per line", stmt)

    def assign(self, variable, build):
        value = build()
        if not isinstance(value, float) and self.where.get(value.name) is not self.stmt:
            # 'a = b' (or 'a = x', an input): a copy gate keeps the new name visible
            value = self.gate("identity", [value], None, variable)
        self.env[variable] = value
        self.assigned.pop(variable, None)
        self.assigned[variable] = self.stmt

    def finish(self, output):
        model = self.model
        computed = [v for v in self.declared if v in self.assigned and v not in model.inputs]
        if computed:
            raise self.error(f"{quote(computed[0])} is computed by the program (line "
                             f"{self.assigned[computed[0]].lineno}); only inputs are declared: "
                             f"a computed shape follows from its inputs",
                             self.declared[computed[0]][1])
        unused = sorted(set(self.declared) - set(model.inputs))
        if unused:
            raise self.error(f"{quote(unused[0])} is declared but never used",
                             self.declared[unused[0]][1])
        if not self.assigned:
            raise ParseError("a program needs at least one assignment, such as 'f = sum(x**2)'")
        variable = output if output is not None else next(reversed(self.assigned))
        if variable not in self.env:
            names = ", ".join(sorted(self.env)[:12])
            raise ParseError(f"--output {quote(variable)} is not a variable of the program "
                             f"(variables: {names})")
        value = self.env[variable]
        if isinstance(value, float):
            raise ParseError(f"the output {quote(variable)} is a constant; it depends on no input")
        node = model.nodes[value.name]
        if any(d != 1 for d in node.shape):
            shape = f"({node.shape[0]},)" if len(node.shape) == 1 else str(tuple(node.shape))
            numbers = [v for v in self.assigned if v != variable and self._is_number(v)]
            other = (f", or choose the single-number variable with --output {numbers[-1]}"
                     if output is None and numbers else "")
            raise self.error(f"the output {quote(variable)} has shape {shape}; a loss must be a "
                             f"single number: wrap it in sum(...) or mean(...){other}",
                             self.assigned.get(variable) or self.stmt)
        model.set_output(value)
        model.data = tuple(model.labels())
        model.params = tuple(n for n in model.inputs if n not in model.data
                             and n in model.topological_order())
        return model

    def _is_number(self, variable):
        """Whether ``variable`` holds a single number computed from an input (an output)."""
        value = self.env[variable]
        return not isinstance(value, float) and \
            all(d == 1 for d in self.model.nodes[value.name].shape)

    # --- expressions -----------------------------------------------------------------------
    def load(self, node):
        var = self.check_name(node)
        if var in self.env:
            return self.env[var]
        shape = self.shapes.get(var)
        if shape is None:
            alike = [k for k in self.shapes if k.lower() == var.lower()]
            hint = (f" ({quote(alike[0])} is given, but names are case-sensitive)" if alike
                    else "")
            raise self.error(f"the shape of {quote(var)} is not known{hint}: give its value "
                             f"(--at {var}=[[...]] or {var}=@{var}.npy), data, or a "
                             f"declaration line such as '{var}: [2, 2]'", node)
        value = self.model.input(self.fresh(var), tuple(shape))
        self.env[var] = value
        return value

    def expr(self, node, name=None):
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
            return self.binary(node, name)
        if isinstance(node, ast.Attribute):
            if node.attr == "T":
                return self.combine("transpose", [self.expr(node.value)], node, name)
            raise self.error(_HABITS.get(node.attr) or "attribute access is not allowed "
                             "(A.T is the only attribute)", node)
        if isinstance(node, ast.Call):
            return self.call(node, name)
        raise self.error(_NODE_WORDS.get(type(node))
                         or f"{type(node).__name__} is not allowed in a matrix program", node)

    def binary(self, node, name):
        """A chain of binary operators, read with a loop (a flat sum of many terms is deep)."""
        links = []
        while isinstance(node, ast.BinOp) and not isinstance(node.op, ast.Pow):
            links.append(node)
            node = node.left
        if isinstance(node, ast.BinOp):          # a power at the bottom of the chain
            value = self.combine("pow", [self.expr(node.left), self.expr(node.right)], node,
                                 name if not links else None)
        else:
            value = self.expr(node)
        for link in reversed(links):
            operator = _OPERATORS.get(type(link.op))
            if operator is None:
                raise self.error("only + - * / ** @ are allowed", link)
            top = name if link is links[0] else None
            value = self.combine(operator, [value, self.expr(link.right)], link, top)
        return value

    def constant(self, node):
        value = node.value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.error("only numbers are allowed as constants", node)
        try:
            number = float(value)
        except OverflowError:
            number = math.inf
        if not math.isfinite(number):
            raise self.error("the number is too large for floating point (the largest is about "
                             "1.8e308)", node, LimitError)
        return number

    def call(self, node, name):
        func = node.func
        if isinstance(func, ast.Attribute):
            module = func.value.id if isinstance(func.value, ast.Name) else None
            if module in _MODULES and func.attr in FUNCTIONS:
                called = segment(self.text, node, self.lines).removeprefix(f"{module}.")
                raise self.error(f"write {quote(called)}: symgrad's functions are called by "
                                 f"name, without '{module}.'", node)
            raise self.error(self.method_habit(func, node), node)
        if not isinstance(func, ast.Name):
            raise self.error("only calls of symgrad's functions by name are allowed", node)
        fname = func.id
        if fname not in FUNCTIONS:
            raise self.error(unknown_function(fname, FUNCTIONS, fname in self.env), func)
        if fname in REDUCTIONS and (set(kw.arg for kw in node.keywords) - {"axis"}):
            raise self.error(f"{fname}() takes one array and an optional axis= "
                             f"(as in {fname}(A, axis=0))", node)
        args = [self.expr(a) for a in node.args]
        keywords = {}
        for kw in node.keywords:
            if kw.arg is None:
                raise self.error(f"{fname}() takes no '**' unpacking", kw)
            if kw.arg in keywords:     # ast.parse accepts it; only Python's compiler refuses it
                raise self.error(f"{fname}() is given {kw.arg}= twice", kw)
            keywords[kw.arg] = self.expr(kw.value)
        if fname in REDUCTIONS:
            return self.reduction(fname, args, keywords, node, name)
        if fname in ("max", "min") and len(args) > 2 and not keywords:
            value = args[0]
            for a in args[1:-1]:
                value = self.combine(fname, [value, a], node)
            return self.combine(fname, [value, args[-1]], node, name)
        return self.apply(FUNCTIONS[fname], fname, args, keywords, node, name)

    def method_habit(self, func, node):
        """The fix for a NumPy method call (``x.dot(w1)`` -> ``x @ w1``) or module function
        (``np.dot(W, x)`` -> ``W @ x``)."""
        args = [self.operand_text(a) for a in node.args]
        if isinstance(func.value, ast.Name) and func.value.id in _MODULES:
            obj, args = (args[0], args[1:]) if args else ("A", [])
        else:
            obj = self.operand_text(func.value)
        first = args[0] if args else "B"
        fixes = {"dot": f"write {obj} @ {first} for the matrix product",
                 "sum": f"write sum({obj})", "mean": f"write mean({obj})",
                 "transpose": f"write {obj}.T",
                 "maximum": f"write max({', '.join([obj, *args])})",
                 "minimum": f"write min({', '.join([obj, *args])})"}
        return (fixes.get(func.attr) or _HABITS.get(func.attr)
                or "only calls of symgrad's functions by name are allowed")

    def operand_text(self, node):
        """The source of ``node`` as an operand: in brackets unless it is a name, call or
        attribute."""
        text = segment(self.text, node, self.lines)
        plain = (ast.Name, ast.Attribute, ast.Call, ast.Constant)
        return text if isinstance(node, plain) else f"({text})"

    def reduction(self, fname, args, keywords, node, name):
        unknown = set(keywords) - {"axis"}
        if len(args) != 1 or unknown:
            raise self.error(f"{fname}() takes one array and an optional axis= "
                             f"(as in {fname}(A, axis=0))", node)
        axis = keywords.get("axis")
        if axis is not None and not (isinstance(axis, float) and axis == int(axis)):
            raise self.error(f"{fname}()'s axis must be a whole number", node)
        if axis is not None and abs(axis) > MAX_DIMS:
            raise self.error(f"{fname}()'s axis {axis:g} is out of range (arrays here have at "
                             f"most {MAX_DIMS} axes)", node)
        if isinstance(args[0], float):
            raise self.error(f"{fname}() of a constant: nothing varies", node)
        kwargs = {} if axis is None else {"axis": int(axis)}
        return self.call_op(lambda out: REDUCTIONS[fname](args[0], out=out, **kwargs), node, name)

    def apply(self, function, fname, args, keywords, node, name):
        if args and all(isinstance(a, float) for a in args):
            raise self.error(f"{fname}() of constants only: write its value as a number", node)
        if fname in WHOLE and (len(args) != 1 or isinstance(args[0], float)):
            raise self.error(f"{fname}() takes one array", node)
        if fname in LOSSES:
            most = 3 if fname == "hinge" else 2
            given = len(args) + len(keywords)
            if len(args) < 2 or given > most or set(keywords) - {"margin"} or \
                    (fname == "softmax_ce" and keywords):
                usage = ("hinge(S, Y) or hinge(S, Y, margin)" if fname == "hinge"
                         else "softmax_ce(S, Y)")
                raise self.error(f"{fname}() takes the scores and the one-hot labels: "
                                 f"{usage}", node)
        for key, value in keywords.items():
            if not isinstance(value, float):
                raise self.error(f"{fname}()'s {key} must be a number", node)
        return self.call_op(lambda out: function(*args, out=out, **keywords), node, name)

    def combine(self, operator, args, node, name=None):
        """A gate applying ``operator`` to ``args``, or a constant when every argument is one."""
        if all(isinstance(a, float) for a in args):
            return self.fold(operator, args, node)
        if operator == "pow" and not isinstance(args[1], float):
            raise self.error("a matrix power needs a constant exponent (A**2, elementwise)", node)
        if operator == "matmul" and any(isinstance(a, float) for a in args):
            raise self.error("@ needs two arrays: use * to multiply by a number", node)
        return self.gate(operator, args, node, name)

    def gate(self, operator, args, node, name=None):
        return self.call_op(lambda out: op(operator, *args, out=out), node, name)

    def call_op(self, build, node, name):
        """Run ``build(out)`` (one model gate named ``out``); shape errors name the line."""
        out = self.fresh(name)
        try:
            value = build(out)
        except SymgradError as exc:    # shapes that do not fit or are too large, wrong arguments
            cls = LimitError if isinstance(exc, LimitError) else ParseError
            raise self.error(str(exc), self.stmt if node is None else node, cls) from None
        except TypeError as exc:       # a function called with the wrong arguments
            raise self.error(str(exc), self.stmt if node is None else node) from None
        self.where[value.name] = self.stmt
        return value

    def fold(self, operator, args, node):
        a = args[0]
        b = args[1] if len(args) > 1 else None
        try:
            if operator == "neg":
                value = -a
            elif operator == "add":
                value = a + b
            elif operator == "sub":
                value = a - b
            elif operator == "mul":
                value = a * b
            elif operator == "div":
                value = a / b
            elif operator == "pow":
                value = a ** b
            else:
                raise self.error(f"{operator} of constants only: nothing varies", node)
        except ZeroDivisionError:
            raise self.error("division by zero", node) from None
        except OverflowError:
            raise self.error("the constant is too large for floating point", node,
                             LimitError) from None
        if isinstance(value, complex):
            raise self.error("the constant is not a real number", node)
        if not math.isfinite(value):
            raise self.error("the constant is too large for floating point", node, LimitError)
        return float(value)
