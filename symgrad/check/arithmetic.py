"""How a correct value comes about, as one line of arithmetic with numbers (failing claims only).

Written from the :class:`~symgrad.derivation.Derivation` steps: a value's formula with the
values substituted, a gradient's chain product path by path, an update's w − lr × ∂L/∂w.
"""
import re

import sympy

CHAIN_PATHS = 4           # a gradient's derivation is written path by path up to this many paths

_TOKEN = re.compile(r"(\d+\.?\d*(?:[eE][+-]?\d+)?)|([A-Za-z_][A-Za-z_0-9]*)")


def num(x):
    """A number inside arithmetic: 6 significant digits, in parentheses when negative."""
    text = f"{x:.6g}"
    return f"({text})" if text.startswith("-") else text


def res(x):
    """A result: 6 significant digits."""
    return f"{x:.6g}"


def shown_correct(c):
    """The correct value to 6 significant digits, or more when a failing claim needs them to
    differ from the claimed number (a correct 0.2374801 shown as 0.23748 would seem to agree)."""
    digits = 6
    while not c.holds and digits < 17:
        if abs(float(f"{c.correct:.{digits}g}") - c.claimed) > c.tol:
            break
        digits += 1
    return f"{c.correct:.{digits}g}"


def _substitute(text, values):
    """``text`` (SymPy's printing of a formula) with each node name replaced by its value."""
    def value_of(m):
        return num(values[m.group(2)]) if m.group(2) in values else m.group(0)
    return _TOKEN.sub(value_of, text)


def _fold(graph, expr, limit=160):
    """``expr`` with the gates symgrad named automatically (n1, n2, …) replaced by their formulas,
    as long as the text stays under ``limit`` characters."""
    for _ in range(64):
        subs = {}
        for s in expr.free_symbols:
            node = graph.node_of(s)
            if node is not None and node.name in graph.unnamed and not node.is_input:
                subs[s] = node.expr
        if not subs:
            break
        folded = expr.xreplace(subs)
        if len(sympy.sstr(folded)) > limit:
            break
        expr = folded
    return expr


def _value_derivation(model, d, name, lang="en"):
    """``st21 = sigmoid(st11*w5 + st12*w7) = sigmoid(0.997762*0.6 + 0.989013*0.4) = 0.729929``."""
    node = model.graph.nodes[name]
    shown = model.user_name(name)
    if node.is_input:
        if lang == "ko":
            return f"{shown}: 입력이며 파일의 점에서 값은 {res(d.values[name])}입니다"
        return f"{shown} is an input: {res(d.values[name])} at the file's point"
    text = sympy.sstr(_fold(model.graph, model.graph.nodes[name].expr))
    return f"{shown} = {text} = {_substitute(text, d.values)} = {res(d.values[name])}"


def _gradient_derivation(model, d, of, wrt, lang="en"):
    """The chain product of ∂of/∂wrt from the derivation's steps: path by path, upstream × local."""
    u = model.user_name
    total = d.adjoints.get(wrt, 0.0)
    head = f"∂{u(of)}/∂{u(wrt)}"
    if of == wrt:
        return f"{head} = 1"
    paths = d.chain_paths(wrt, limit=CHAIN_PATHS) if wrt in d.values else []
    if paths == []:
        if lang == "ko":
            return f"{u(wrt)}: {u(of)}의 계산에 쓰이지 않으므로 {head} = 0입니다"
        return f"{u(wrt)} does not feed {u(of)}: {head} = 0"
    if paths is None:          # more than CHAIN_PATHS paths: one term per gate that reads wrt
        steps = [s for s in d.steps if s.input == wrt]
        names = " + ".join(f"∂{u(of)}/∂{u(s.gate)} × ∂{u(s.gate)}/∂{u(wrt)}" for s in steps)
        numbers = " + ".join(f"{num(s.upstream)} × {num(s.local_value)}" for s in steps)
        return f"{head} = {names} = {numbers} = {res(total)}"
    if len(paths) == 1 and len(d.named_factors(paths[0])) == 1:
        # one local gradient (unnamed gates folded in): show its formula from the steps' locals
        local = sympy.S.One
        for a, b in zip(paths[0], paths[0][1:], strict=False):
            local *= sympy.Add(*[s.local for s in d.steps if s.gate == b and s.input == a])
        text = sympy.sstr(_fold(model.graph, local))
        return f"{head} = {text} = {_substitute(text, d.values)} = {res(total)}"
    names, numbers = [], []
    for p in paths:
        factors = list(reversed(d.named_factors(p)))       # output first: upstream × local × …
        names.append(" × ".join(("local " if (a, b) == (wrt, of) else "") + f"∂{u(b)}/∂{u(a)}"
                                for a, b, _ in factors))
        numbers.append(" × ".join(num(v) for _, _, v in factors))
    return f"{head} = {' + '.join(names)} = {' + '.join(numbers)} = {res(total)}"


def _update_derivation(model, c, lang="en"):
    """``w9 − 0.3 × ∂E/∂w9 = 0.2 − 0.3 × ((-0.575502) × 0.2374 × 0.729929) = 0.229918``."""
    points = model.path_points(c)
    before = points[c.steps - 1]
    p, out = c.value, model.output
    d = model.derivation(out, before, c.where)
    g = d.adjoints.get(p, 0.0)
    gtext = num(g)
    paths = d.chain_paths(p, limit=1) if p in d.values else []
    if paths and len(paths) == 1 and len(paths[0]) > 2:
        factors = list(reversed(d.named_factors(paths[0])))
        if len(factors) > 1:
            gtext = "(" + " × ".join(num(v) for _, _, v in factors) + ")"
    step = "" if c.steps == 1 else f"{c.steps}번 가운데 {c.steps}번째 갱신: " if lang == "ko" \
        else f"step {c.steps} of {c.steps}: "
    lr = f"{c.lr:g}"
    u = model.user_name
    return (f"{step}{u(p)} − {lr} × ∂{u(out)}/∂{u(p)} = "
            f"{num(before[p])} − {lr} × {gtext} = {res(points[c.steps][p])}")


def _edge_derivation(model, c, lang="en"):
    """``local ∂q/∂x = 1 = 1`` or ``∂f/∂q × local ∂q/∂x = (-4) × 1 = -4``."""
    u = model.user_name
    d = model.derivation(model.output, model.point)
    local = sympy.Add(*[s.local for s in d.steps if s.gate == c.of and s.input == c.wrt])
    text = sympy.sstr(_fold(model.graph, local))
    value = d.edge_local(c.of, c.wrt)
    line = f"local ∂{u(c.of)}/∂{u(c.wrt)} = {text} = {_substitute(text, d.values)} = {res(value)}"
    if c.kind == "local":
        return line
    up = d.adjoints[c.of]
    return (f"∂{u(model.output)}/∂{u(c.of)} × local ∂{u(c.of)}/∂{u(c.wrt)} = {num(up)} × "
            f"{num(value)} = {res(up * value)}{'; 여기서 ' if lang == 'ko' else ', with '}{line}")


def derivation_of(model, c, lang="en"):
    """How claim c's correct value comes about, as one line of arithmetic (its few words in
    ``lang``, "en" or "ko")."""
    if c.kind in ("local", "downstream"):
        return _edge_derivation(model, c, lang)
    if c.kind == "gradient":
        return _gradient_derivation(model, model.derivation(c.of, model.point), c.of, c.wrt, lang)
    if c.kind == "after_steps":
        if c.value in c.params:
            return _update_derivation(model, c, lang)
        point = model.path_points(c)[c.steps]
        moved = ", ".join(f"{model.user_name(p)} = {num(point[p])}" for p in c.params)
        at = f"{moved}일 때({c.steps}번 갱신한 뒤): " if lang == "ko" else \
            f"at {moved} ({c.steps} step{'s' if c.steps > 1 else ''}): "
        return at + _value_derivation(model, model.derivation(c.value, point), c.value, lang)
    return _value_derivation(model, model.derivation(c.value, model.point), c.value, lang)
