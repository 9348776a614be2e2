"""Regularization added to the *model*: penalty gates appended to a graph or a matrix model.

``λ·Σw²`` (l2), ``λ·Σ|w|`` (l1) and ``λ·Σ(β·w² + |w|)`` (elastic) become gates of the
loss, so they appear in the derivation of the trained loss and in its gradient; the
update rule (``optimizers.py``) never sees them.
"""

import math

import sympy

from .errors import InputError
from .graph import Graph
from .matrix import Var, l1, l2


def check_regularization(reg):
    """Validate ``{"l1": λ, "l2": λ, "elastic": (β, λ)}``; returns a plain dict (or None)."""
    if not reg:
        return None
    if not isinstance(reg, dict):
        raise InputError(f"regularization is a dict such as {{'l2': 0.01}}, not {reg!r}")
    out = {}
    for key, value in reg.items():
        if key in ("l1", "l2"):
            out[key] = _nonneg(value, f"--{key}")
        elif key == "elastic":
            try:
                beta, lam = value
            except (TypeError, ValueError):
                raise InputError(f"--elastic takes two numbers β,λ, got {value!r}") from None
            out[key] = [_nonneg(beta, "--elastic β"), _nonneg(lam, "--elastic λ")]
        else:
            raise InputError(f"unknown regularization {key!r} (use l1, l2 or elastic)")
    return out


def _nonneg(value, what):
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{what} must be a number, got {value!r}") from None
    if not math.isfinite(v) or v < 0:
        raise InputError(f"{what} must be a finite number ≥ 0, got {value!r}")
    return v


def add_penalty(graph, params, regularization):
    """A new graph: ``graph`` with the penalty gates appended (``graph`` itself is left as it is).

    The new output is ``<loss>_reg = <loss> + penalty``, where the penalty is
    ``λ·Σ w²`` (l2), ``λ·Σ |w|`` (l1) and ``λ·Σ (β·w² + |w|)`` (elastic), summed over
    the parameters. Gate names are made from the graph's own (validated) names; the
    program lines shown in the derivation are written from the same names.
    """
    # A fresh Graph sharing the (never modified) nodes: the original keeps its output, and the
    # new one starts with its own caches (expansions keyed by node name).
    graph = Graph(nodes=dict(graph.nodes), output=graph.output, source=graph.source,
                  variables=dict(graph.variables), unnamed=set(graph.unnamed))
    taken = set(graph.nodes) | set(graph.variables)

    def fresh(base):
        name, k = base, 1
        while name in taken:
            name, k = f"{base}_{k}", k + 1
        taken.add(name)
        return name

    def gate(op, args, base, line):
        return graph.add_gate(op, args, fresh(base), line).symbol

    def total(terms, base, line):
        acc = terms[0]
        for term in terms[1:]:
            acc = gate("add", (acc, term), base, line)
        return acc

    sym = {p: graph.nodes[p].symbol for p in params}
    lines, penalties = [], []
    for kind, setting in regularization.items():
        if kind == "l2":
            lam = setting
            line = f"{kind}_penalty = {lam!r}*({' + '.join(p + '**2' for p in params)})"
            squares = [gate("pow", (sym[p], sympy.Integer(2)), f"sq_{p}", line) for p in params]
            inner = total(squares, "l2_sum", line)
        elif kind == "l1":
            lam = setting
            line = f"{kind}_penalty = {lam!r}*({' + '.join(f'abs({p})' for p in params)})"
            absolutes = [gate("abs", (sym[p],), f"abs_{p}", line) for p in params]
            inner = total(absolutes, "l1_sum", line)
        else:
            beta, lam = setting
            each = " + ".join(f"{beta!r}*{p}**2 + abs({p})" for p in params)
            line = f"elastic_penalty = {lam!r}*({each})"
            terms = []
            for p in params:
                sq = gate("pow", (sym[p], sympy.Integer(2)), f"sq_{p}", line)
                scaled = gate("mul", (sympy.Float(beta), sq), f"beta_sq_{p}", line)
                absolute = gate("abs", (sym[p],), f"abs_{p}", line)
                terms.append(gate("add", (scaled, absolute), f"elastic_{p}", line))
            inner = total(terms, "elastic_sum", line)
        penalties.append(gate("mul", (sympy.Float(lam), inner), f"{kind}_penalty", line))
        lines.append(line)
    loss = graph.output
    line = f"{loss}_reg = {' + '.join([loss] + [f'{k}_penalty' for k in regularization])}"
    out = loss
    acc = graph.nodes[loss].symbol
    for pen in penalties:
        acc = gate("add", (acc, pen), f"{loss}_reg", line)
    out = graph.node_of(acc).name
    lines.append(line)
    graph.output = out
    graph.variables[out] = out
    before = [graph.source.rstrip("\n")] if graph.source else []
    graph.source = "\n".join(before + lines)
    return graph


def add_matrix_penalty(model, params, regularization):
    """The matrix counterpart of :func:`add_penalty`: ``loss_reg = loss + λ·Σ‖W‖²`` (‖W‖₁, elastic).

    Uses the penalty operations of :mod:`symgrad.matrix` (``l2`` = Σ W², ``l1`` = Σ |W|), so the
    penalty is a gate of the model, derived and compiled like the rest. ``model`` is changed in
    place.
    """
    loss = model.output
    if model.nodes[loss].shape != ():
        raise InputError(f"cannot regularize {model.name!r}: its output {loss!r} has shape "
                         f"{model.nodes[loss].shape}, not a single number")
    total = Var(model, loss)
    for kind, setting in regularization.items():
        terms = []
        for p in params:
            w = Var(model, p)
            if kind == "l2":
                terms.append(l2(w))
            elif kind == "l1":
                terms.append(l1(w))
            else:
                terms.append(l2(w) * setting[0] + l1(w))
        penalty = terms[0]
        for term in terms[1:]:
            penalty = penalty + term
        lam = setting if kind != "elastic" else setting[1]
        total = total + model.let(_fresh_name(model.nodes, f"{kind}_penalty"), penalty * lam)
    model.let(_fresh_name(model.nodes, f"{loss}_reg"), total)
    return model


def _fresh_name(taken, base):
    name, k = base, 1
    while name in taken:
        name, k = f"{base}_{k}", k + 1
    return name


__all__ = ["add_matrix_penalty", "add_penalty", "check_regularization"]
