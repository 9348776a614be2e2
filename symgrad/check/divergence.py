"""Where a failing figure first parts from the correct one, among the file's other claims.

A claim *follows from* another when its correct value is computed from the other's quantity.
The first failing claim it follows from (in the order of the computation) is where the error
starts; when all of them hold, the claim itself is the first wrong figure.
"""
from ..errors import SymgradError
from .arithmetic import shown_correct


def _chain_key(model, c):
    """Order along the computation: forward values (topological), gradients from the output
    back toward the inputs (local gradients before the products they enter), then the values
    after SGD steps."""
    pos = model.position
    if c.kind == "value":
        return (0, pos[c.value], 0, c.number)
    if c.kind in ("gradient", "local", "downstream"):
        return (1, -pos[c.wrt], pos[c.of], c.number)
    return (2, c.steps, pos[c.value], c.number)


def _on_chain(model, a, b, c, d):
    """a ≤ b ≤ c ≤ d along the graph (each is computed from the one before, or is it)."""
    anc = model.ancestors
    return a in anc(b) and b in anc(c) and c in anc(d)


def _follows_from(model, c, o):
    """Whether claim c's correct value is computed from claim o's quantity."""
    if o is c:
        return False
    anc, out = model.ancestors, model.output
    if o.kind == "value":
        if c.kind == "value":
            return o.value != c.value and o.value in anc(c.value)
        if c.kind in ("gradient", "local"):
            return o.value in anc(c.of)
        return o.value in anc(out)
    if o.kind in ("gradient", "local", "downstream"):
        if c.kind == "downstream":
            # upstream of c's gate × c's local: the gradients between its gate and the output
            if o.kind == "local" and (o.of, o.wrt) == (c.of, c.wrt):
                return True
            return o.kind != "downstream" and _on_chain(model, c.of, o.wrt, o.of, out)
        if c.kind == "gradient":
            if o.kind == "downstream" and c.of != out:
                return False
            return (o.kind != c.kind or (o.of, o.wrt) != (c.of, c.wrt)) and \
                _on_chain(model, c.wrt, o.wrt, o.of, c.of)
        if c.kind == "after_steps":
            return any(_on_chain(model, p, o.wrt, o.of, out) for p in c.params if p in anc(c.value))
        return False
    return (c.kind == "after_steps" and (o.lr, set(o.params)) == (c.lr, set(c.params))
            and o.steps <= c.steps and (o.steps, o.value) != (c.steps, c.value)
            and o.value in anc(c.value))


def _cuts(model, node, src, dst):
    """Every path from src to dst passes through node."""
    if node in (src, dst):
        return True
    uses = model.graph.consumers(dst)
    seen, stack = {src}, [src]
    while stack:
        for gate, _ in uses.get(stack.pop(), []):
            if gate == dst:
                return False
            if gate != node and gate not in seen:
                seen.add(gate)
                stack.append(gate)
    return True


def _pinned(model, held, p):
    """Claims among ``held`` whose product is ∂output/∂p: a chain p = a0 → a1 → … → output of held
    gradient claims ∂a_{i+1}/∂a_i, each a_i lying on every path from a_{i-1} to the output."""
    out = model.output
    edges = {}
    for h in held:
        if h.kind in ("gradient", "local"):
            edges.setdefault(h.wrt, []).append(h)
    best = {p: []}
    frontier = [p]
    while frontier:
        a = frontier.pop()
        for h in edges.get(a, []):
            b = h.of
            if b in best or not _cuts(model, b, a, out):
                continue
            best[b] = best[a] + [h]
            frontier.append(b)
    return best.get(out)


def first_divergence(model, c, claims, results, lang="en"):
    """The first claim along the chain that fails, for failing claim c ("" when none is known),
    said in ``lang`` ("en" or "ko")."""
    ko = lang == "ko"
    deps = sorted((o for o in claims if _follows_from(model, c, o)),
                  key=lambda o: _chain_key(model, o))
    failing = [o for o in deps if not results[o.number].holds]
    if failing:
        o, r = failing[0], results[failing[0].number]
        label = (o.label_ko or o.label) if ko else o.label
        if ko:
            return (f"주장 {o.number}({label} = {r.claimed:.15g}, 올바른 값 {shown_correct(r)}). "
                    f"이 주장은 그 주장에서 이어진 값입니다")
        return (f"claim {o.number} ({o.label} = {r.claimed:.15g}, correct {shown_correct(r)}); "
                f"this claim follows from it")
    if not deps:
        return ""
    held = _numbers(o.number for o in deps)
    if c.kind == "after_steps" and c.value in c.params:
        u = model.user_name
        dL = f"∂{u(model.output)}/∂{u(c.value)}"
        chain = _pinned(model, deps, c.value)
        if chain:
            point = model.path_points(c)[c.steps - 1]
            g = model.derivation(model.output, point).adjoints.get(c.value, 0.0)
            if ko:
                return (f"마지막 갱신 계산입니다(맞는 주장 {_numbers(h.number for h in chain)}에 "
                        f"따르면 {dL} = {g:.6g}입니다)")
            return (f"the final update arithmetic (claims {_numbers(h.number for h in chain)} hold "
                    f"and give {dL} = {g:.6g})")
        if ko:
            return (f"찾지 못했습니다. 이 주장의 바탕인 주장({held})은 맞지만 {dL}의 값을 "
                    f"정하지 못합니다. `gradient`와 갱신 가운데 어디가 틀렸는지 가리려면 "
                    f"{dL} 값이나 그 연쇄의 인수 하나하나를 주장으로 적으십시오")
        return (f"not located: the claims it follows from hold ({held}) but do not fix "
                f"{dL}; claim it, or each factor of its chain, to tell the gradient "
                f"from the update")
    if ko:
        return f"이 주장 자체입니다(이 주장의 바탕인 주장은 맞습니다: {held})"
    return f"this claim itself (the claims it follows from hold: {held})"


def _numbers(numbers):
    """[1, 2, 3, 5] -> '1–3, 5'."""
    runs = []
    for k in sorted(set(numbers)):
        if runs and k == runs[-1][1] + 1:
            runs[-1][1] = k
        else:
            runs.append([k, k])
    return ", ".join(f"{a}" if a == b else f"{a}, {b}" if b == a + 1 else f"{a}–{b}"
                     for a, b in runs)


def wrong_point_remark(model, c, claims, results, lang="en"):
    """A value after steps that the post computed from its own wrong parameters."""
    if c.kind != "after_steps" or c.value in c.params:
        return ""
    wrong = [o for o in claims if o.kind == "after_steps" and not results[o.number].holds
             and o.value in o.params and o.steps == c.steps
             and (o.lr, set(o.params)) == (c.lr, set(c.params))]
    if not wrong:
        return ""
    point = dict(model.path_points(c)[c.steps])
    for o in wrong:
        point[o.value] = o.equals
    try:
        alt = model.evaluate(c, point)
    except SymgradError:
        return ""
    if abs(alt - c.equals) <= c.tol:
        names = ", ".join(f"{model.user_name(o.value)} = {o.equals:.15g}" for o in wrong)
        if lang == "ko":
            return f"글에 적힌 잘못된 값({names})으로 계산해야만 맞습니다"
        return f"holds only for the post's wrong {names}"
    return ""
