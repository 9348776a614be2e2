"""Training on the derived gradients: ``symgrad.train`` and ``symgrad train``.

One *step* is one forward and backward pass at the current parameters, then
every listed parameter is updated at once from those gradients (the optimizer
sees all gradients before any value changes). With data, the loss of a step is
the mean of the per-sample loss over the step's batch (the full data unless a
batch size is given; minibatches are reshuffled at every epoch). Without data
the point (``at`` plus the model's defaults) is the single sample. Parameters
that are not listed keep their values. Matrix models (``symgrad.matrix``) compute
their own batch loss (seed 004's Σ(ŷ − y)²) over whole arrays of fixed shapes.

Regularization is added to the *model*, not to the update rule: the penalty
gates (``λ·Σw²``, ``λ·Σ|w|``, ``λ·Σ(β·w² + |w|)``) are appended to the graph (or
to the matrix model, as its ``l2``/``l1`` gates), so they appear in the derivation
of the trained loss and in its gradient.

The gradients come from :mod:`symgrad.compile` (NumPy code generated from the
derivation). Where that module is not available, each step calls
:func:`symgrad.derive` once per sample (slower, same numbers).
"""

import copy
import importlib.util
import io
import json
import math
import os
import sys
from dataclasses import dataclass, field

import numpy as np
import sympy

from .errors import InputError, SymgradError
from .optimizers import make_optimizer

DEFAULT_STEPS = 100
PROGRESS_MIN_STEPS = 200          # shorter runs never show a progress bar
PLOT_FORMATS = ("png", "svg")


class TrainingDiverged(SymgradError):
    """The loss became NaN or infinite. Exit code 1: the run happened, but it failed."""

    exit_code = 1

    def __init__(self, message, step=None, loss=None, result=None):
        super().__init__(message)
        self.step, self.loss, self.result = step, loss, result


@dataclass
class TrainResult:
    history: list                 # the loss before each step (the batch's loss for minibatches)
    final_loss: float             # the loss at the final parameters, over all the data
    params: dict                  # name -> final value (float, or ndarray for matrix parameters)
    steps: int                    # updates made
    settings: dict = field(default_factory=dict)

    def to_json(self):
        """Plain data (README: "JSON output of train"); NaN/inf become the strings "nan"/"inf"."""
        return {
            "history": [_num(v) for v in self.history],
            "final_loss": _num(self.final_loss),
            "params": {k: _plain(v) for k, v in self.params.items()},
            "steps": self.steps,
            "settings": self.settings,
        }

    def to_json_text(self):
        return json.dumps(self.to_json(), indent=2, ensure_ascii=False)

    def __str__(self):
        return format_result(self)


# --- the API ------------------------------------------------------------------------------------
def train(model, data=None, at=None, params=None, optimizer="sgd", lr=0.01, epochs=None, steps=None,
          batch_size=None, regularization=None, seed=None, progress=None, output=None):
    """Train the parameters of ``model`` by gradient descent on its derived gradients.

    ``model``: a catalog id, an expression, a program (text or file) or a Graph, as for ``derive``.
    ``data``: a CSV/``.npz`` path or a dict name -> array (one value per sample along axis 0).
    ``at``: starting values and fixed inputs (dict or ``"w=1,b=0"``), over the model's defaults.
    ``params``: the names to update (list or ``"w,b"``; default: the model's parameters), or a
    dict name -> starting value.
    ``optimizer``: ``"sgd"``, ``"momentum"``, ``"adam"``, ``"adamax"`` or an Optimizer object.
    ``steps`` or ``epochs`` (not both; default 100 steps); ``batch_size`` (default: the full batch).
    ``regularization``: ``{"l1": λ}``, ``{"l2": λ}``, ``{"elastic": (β, λ)}`` (keys may be combined).
    ``seed``: seeds the minibatch shuffling, so runs are identical.
    ``progress``: ``None`` shows a bar on long runs when stderr is a terminal; True/False force it.
    Raises :class:`TrainingDiverged` (exit code 1) when the loss becomes NaN or infinite.
    """
    problem = _Problem.build(model, data, at, params, regularization, output, seed)
    opt = make_optimizer(optimizer, lr)
    schedule = _Schedule(problem.n_samples, steps, epochs, batch_size, seed)
    if problem.matrix and schedule.shuffle and problem.shapes:
        raise InputError(f"the matrix model {problem.label!r} has fixed shapes, so it trains on the full "
                         f"batch of {problem.n_samples} rows; drop --batch-size")
    values = dict(problem.start)
    history = []
    settings = {
        "target": problem.label, "model": problem.model_id, "loss": problem.loss_name,
        "params": list(problem.params), **opt.settings(),
        "steps": schedule.steps, "epochs": schedule.epochs, "batch_size": schedule.batch_size,
        "samples": problem.n_samples, "shuffle": schedule.shuffle, "seed": seed,
        "regularization": problem.regularization, "data": problem.data_label,
        "engine": problem.engine, "matrix": problem.matrix,
    }
    bar = _progress_bar(schedule.steps, progress)
    try:
        with np.errstate(all="ignore"):
            for step, batch in enumerate(schedule.batches(), 1):
                loss, grads = problem.loss_and_grads(values, batch)
                history.append(loss)
                bad = [p for p, g in grads.items() if not _finite(g)]
                if not _finite(loss) or bad:
                    what = f"loss is {loss}" if not _finite(loss) else f"gradient of {bad[0]} is not finite"
                    raise _diverged(f"the {what} at step {step}", step, loss, opt, history, values, problem,
                                    settings)
                updated = opt.step({p: values[p] for p in problem.params}, grads)
                values.update(updated)
                if bar is not None:
                    bar.update(1)
                    if step % 50 == 0:
                        bar.set_postfix(loss=f"{loss:.6g}", refresh=False)
            final, _ = problem.loss_and_grads(values, None)
    finally:
        if bar is not None:
            bar.close()
    if not _finite(final):
        raise _diverged(f"the loss is {final} after the last step ({len(history)})", len(history) + 1, final,
                        opt, history, values, problem, settings)
    return _result(history, final, values, problem, settings)


def _diverged(message, step, loss, opt, history, values, problem, settings):
    """The error for a NaN/inf loss at ``step``; ``.result`` holds the run up to it (params: before it)."""
    params = {p: _value_out(values[p]) for p in problem.params}
    result = TrainResult([float(v) for v in history], float(loss), params, step - 1, settings)
    hint = f"try a smaller learning rate, e.g. --lr {opt.lr / 10:g}"
    return TrainingDiverged(f"training diverged: {message} ({opt.name}, lr {opt.lr:g}); {hint}",
                            step, loss, result)


def _result(history, final, values, problem, settings):
    params = {p: _value_out(values[p]) for p in problem.params}
    return TrainResult([float(v) for v in history], float(final), params, len(history), settings)


# --- the problem: model, data, starting point, the loss-and-gradient function -------------------
class _Problem:
    """Everything a step needs: the values of every input and the loss-and-gradient function."""

    def __init__(self):
        self.params, self.start, self.data, self.n_samples = [], {}, {}, None
        self.label = self.model_id = self.loss_name = self.data_label = None
        self.regularization, self.engine, self.matrix = None, None, False
        self.evaluate, self.graph, self.shapes = None, None, {}

    @classmethod
    def build(cls, target, data, at, params, regularization, output, seed=None):
        from .target import resolve

        self = cls()
        matrix = _matrix_model(target)
        if matrix is not None:
            return self._build_matrix(target, matrix, data, at, params, regularization, seed)
        resolved = resolve(target, output=output)
        model = resolved.model
        self.label = resolved.label
        self.model_id = model.id if model is not None else None
        graph = resolved.graph
        inputs = [n for n in graph.topological_order() if graph.nodes[n].is_input]
        self.params, starts = _param_names(params, resolved.wrt, inputs)
        data_inputs = model.data_inputs if model is not None else ()
        self._values(inputs, resolved.defaults, at, starts, data, data_inputs)
        for k, v in self.start.items():
            if np.ndim(v) != 0:
                raise InputError(f"the value of {k!r} must be a number, not an array of shape {np.shape(v)}")
        for name, array in self.data.items():
            if array.ndim != 1:
                raise InputError(f"{self.data_label}: {name!r} has shape {array.shape}; the model's "
                                 f"inputs are numbers, so the data needs one per sample, shape (N,)")
        self.regularization = _check_regularization(regularization)
        if self.regularization:
            graph = add_penalty(copy.deepcopy(graph), self.params, self.regularization)
        self.loss_name = graph.output
        self.graph = graph
        self.evaluate, self.engine = _scalar_engine(graph, self.params)
        return self

    def _build_matrix(self, target, matrix, data, at, params, regularization, seed):
        """A matrix model (``symgrad.matrix``): compiled NumPy code over whole arrays."""
        from .catalog import find_model
        from .compile import compile as compile_target

        self.matrix = True
        model = find_model(target) if isinstance(target, str) else None
        self.label = target if isinstance(target, str) else getattr(matrix, "name", "matrix model")
        self.model_id = model.id if model is not None else None
        self.regularization = _check_regularization(regularization)
        every = compile_target(matrix)
        model_params = (getattr(matrix, "params", None) or (model.params if model is not None else None)
                        or every.wrt)
        self.params, starts = _param_names(params, list(model_params), list(every.inputs))
        if self.regularization:
            matrix = add_matrix_penalty(copy.deepcopy(matrix), self.params, self.regularization)
        fn = compile_target(matrix, wrt=list(self.params))
        data_inputs = tuple(getattr(matrix, "data", ()) or (model.data_inputs if model is not None else ()))
        defaults = dict(fn.defaults or {})
        if callable(getattr(matrix, "defaults", None)):      # random starting arrays, from the seed
            defaults = {**defaults, **matrix.defaults(seed)}
        self._values(list(fn.inputs), defaults, at, starts, data, data_inputs)
        self.loss_name = fn.output
        self.shapes = {k: tuple(v) for k, v in dict(fn.shapes or {}).items()}
        for name, value in [*self.data.items(), *self.start.items()]:
            want = self.shapes.get(name)
            if want is not None and np.shape(value) != want:
                where = self.data_label if name in self.data else "the starting value"
                raise InputError(f"{where}: {name!r} has shape {np.shape(value)}; the model "
                                 f"{self.label!r} needs {want}")
        self.evaluate, self.engine = (lambda arrays: fn(**arrays)), "compiled"
        return self

    def _values(self, inputs, defaults, at, starts, data, data_inputs):
        """The starting point (defaults, then ``at``, then ``params`` values) and the data columns."""
        from .derivation import parse_point

        point = dict(defaults or {})
        point.update(parse_point(at) if isinstance(at, str) else dict(at or {}))
        point.update(starts)
        unknown = [k for k in point if k not in inputs]
        if unknown:
            raise InputError(f"--at names {', '.join(map(repr, unknown))}, which "
                             f"{'are' if len(unknown) > 1 else 'is'} not an input (inputs: {', '.join(inputs)})")
        if data is not None:
            from .data import load_data

            usable = [n for n in inputs if n not in self.params]
            needed = [n for n in usable if n not in point or n in data_inputs]
            self.data = load_data(data, needed=needed, usable=usable)
            self.data_label = "data" if isinstance(data, dict) else os.fspath(data)
            self.n_samples = len(next(iter(self.data.values()))) if self.data else None
        missing = [n for n in inputs if n not in point and n not in self.data]
        if missing:
            plural = len(missing) > 1
            raise InputError(f"no value for input{'s' if plural else ''} {', '.join(missing)}; give "
                             f"{'them' if plural else 'it'} with --at {','.join(n + '=...' for n in missing)}"
                             f"{' or as data columns' if data is not None else ''}")
        self.start = {k: _value_in(v, k) for k, v in point.items() if k not in self.data}

    def loss_and_grads(self, values, batch):
        """The batch loss and its gradient for each parameter; ``batch`` indexes samples (None: all)."""
        arrays = dict(values)
        for name, column in self.data.items():
            arrays[name] = column if batch is None else column[batch]
        loss, grads = self.evaluate(arrays)
        if self.matrix:     # a matrix model's loss already sums (or averages) over its rows
            return float(loss), {p: np.asarray(grads[p], dtype=float) for p in self.params}
        return float(np.mean(loss)), {p: float(np.mean(grads[p])) for p in self.params}


def _param_names(params, model_params, inputs):
    """The parameters to train, and starting values when ``params`` is a dict."""
    starts = {}
    if params is None:
        if not model_params:
            raise InputError("which parameters should be trained? give them with --params, e.g. --params w,b")
        names = list(model_params)
    elif isinstance(params, str):
        names = [p.strip() for p in params.split(",") if p.strip()]
    elif isinstance(params, dict):
        names, starts = list(params), dict(params)
    else:
        names = list(params)
    if not names:
        raise InputError("--params is empty; name the parameters to train, e.g. --params w,b")
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise InputError(f"--params names {', '.join(map(repr, dupes))} twice")
    unknown = [n for n in names if n not in inputs]
    if unknown:
        raise InputError(f"cannot train {', '.join(map(repr, unknown))}: not an input of the model "
                         f"(inputs: {', '.join(inputs)})")
    return names, starts


def _value_in(v, name):
    try:
        array = np.asarray(v, dtype=float)
    except (TypeError, ValueError):
        raise InputError(f"the value of {name!r} is not a number: {v!r}") from None
    if not np.all(np.isfinite(array)):
        raise InputError(f"the value of {name!r} must be finite")
    return float(array) if array.ndim == 0 else array.copy()


def _value_out(v):
    v = np.asarray(v, dtype=float)
    return float(v) if v.ndim == 0 else v


# --- engines: compiled NumPy code, or one derivation per sample ------------------------------
def _matrix_model(target):
    """The matrix model of ``target`` (symgrad.matrix), or None for scalar-symbol models."""
    try:
        from .matrix import MatrixModel, matrix_model_of
    except ImportError:
        return None
    if isinstance(target, MatrixModel):
        return target
    return matrix_model_of(target)


def _load_compile():
    try:
        from .compile import compile as compile_target
    except ImportError:
        return None
    return compile_target


def _scalar_engine(graph, params):
    compile_target = _load_compile()
    if compile_target is not None:
        fn = compile_target(graph, wrt=list(params))
        inputs = set(fn.inputs)
        return (lambda arrays: fn(**{k: v for k, v in arrays.items() if k in inputs})), "compiled"
    return _PerSampleDerivation(graph, params), "derive"


class _PerSampleDerivation:
    """Loss and gradients by :func:`symgrad.derive`, one sample at a time (the fallback engine)."""

    def __init__(self, graph, params):
        self.graph, self.params = graph, list(params)

    def __call__(self, arrays):
        from .derivation import derive
        from .errors import DomainError

        columns = {k: v for k, v in arrays.items() if np.ndim(v) > 0}
        fixed = {k: float(v) for k, v in arrays.items() if np.ndim(v) == 0}
        n = len(next(iter(columns.values()))) if columns else 1
        losses, grads = np.empty(n), {p: np.empty(n) for p in self.params}
        for i in range(n):
            point = {**fixed, **{k: float(v[i]) for k, v in columns.items()}}
            try:
                d = derive(self.graph, at=point, wrt=self.params)
                losses[i] = d.value
                for p, g in d.gradients.items():
                    grads[p][i] = g
            except (DomainError, OverflowError, ZeroDivisionError, ValueError):
                losses[i] = math.nan       # reported as divergence by the loop
                for p in self.params:
                    grads[p][i] = math.nan
        return losses, grads


# --- regularization, added to the graph --------------------------------------------------------
def _check_regularization(reg):
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
    """Append the penalty gates to ``graph`` (changed in place and returned).

    The new output is ``<loss>_reg = <loss> + penalty``, where the penalty is
    ``λ·Σ w²`` (l2), ``λ·Σ |w|`` (l1) and ``λ·Σ (β·w² + |w|)`` (elastic), summed over the
    parameters. Gate names are made from the graph's own (validated) names; the
    program lines shown in the derivation are written from the same names.
    """
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
            inner = total([gate("abs", (sym[p],), f"abs_{p}", line) for p in params], "l1_sum", line)
        else:
            beta, lam = setting
            line = f"elastic_penalty = {lam!r}*({' + '.join(f'{beta!r}*{p}**2 + abs({p})' for p in params)})"
            terms = []
            for p in params:
                sq = gate("pow", (sym[p], sympy.Integer(2)), f"sq_{p}", line)
                scaled = gate("mul", (sympy.Float(beta), sq), f"beta_sq_{p}", line)
                terms.append(gate("add", (scaled, gate("abs", (sym[p],), f"abs_{p}", line)), f"elastic_{p}", line))
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
    graph._expanded = {}
    graph.source = "\n".join([graph.source.rstrip("\n")] + lines) if graph.source else "\n".join(lines)
    return graph


def add_matrix_penalty(model, params, regularization):
    """The matrix counterpart of :func:`add_penalty`: ``loss_reg = loss + λ·Σ‖W‖²`` (and ‖W‖₁, elastic).

    Uses the penalty operations of :mod:`symgrad.matrix` (``l2`` = Σ W², ``l1`` = Σ |W|), so the
    penalty is a gate of the model, derived and compiled like the rest. ``model`` is changed in place.
    """
    from .matrix import Var, l1, l2

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


# --- minibatches -------------------------------------------------------------------------------
class _Schedule:
    """Which samples each step uses: the full batch, or minibatches reshuffled at every epoch."""

    def __init__(self, n_samples, steps, epochs, batch_size, seed):
        if steps is not None and epochs is not None:
            raise InputError("give either --steps or --epochs, not both")
        for what, v in (("--steps", steps), ("--epochs", epochs), ("--batch-size", batch_size)):
            if v is not None and (not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v < 1):
                raise InputError(f"{what} must be a whole number ≥ 1, got {v!r}")
        if batch_size is not None and n_samples is None:
            raise InputError("--batch-size needs --data (without data the point is the single sample)")
        self.n = n_samples
        self.batch_size = min(batch_size, n_samples) if batch_size is not None else n_samples
        self.per_epoch = -(-n_samples // self.batch_size) if n_samples else 1
        self.shuffle = bool(n_samples and self.batch_size < n_samples)
        self.epochs = epochs
        self.steps = steps if steps is not None else (epochs * self.per_epoch if epochs else DEFAULT_STEPS)
        self.rng = np.random.default_rng(seed)

    def batches(self):
        """Yield the sample indices of each step (None: all samples, in order)."""
        done = 0
        while done < self.steps:
            if not self.shuffle:
                yield None
                done += 1
                continue
            order = self.rng.permutation(self.n)
            for start in range(0, self.n, self.batch_size):
                if done >= self.steps:
                    return
                yield order[start:start + self.batch_size]
                done += 1


# --- progress, plot, text ---------------------------------------------------------------------
def _progress_bar(steps, progress):
    auto = progress is None
    if auto:
        progress = steps >= PROGRESS_MIN_STEPS and sys.stderr.isatty()
    if not progress:
        return None
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    return tqdm(total=steps, file=sys.stderr, unit="step", leave=False, desc="training",
                delay=0.5 if auto else 0)   # automatic bars appear only when a run takes a while


def check_plot_path(path):
    """The format of a ``--plot`` file from its extension (png or svg); anything else is an error."""
    ext = os.path.splitext(os.fspath(path))[1].lower().lstrip(".")
    if ext not in PLOT_FORMATS:
        raise InputError(f"--plot {os.fspath(path)!r}: the file must end in .png or .svg")
    if importlib.util.find_spec("matplotlib") is None:
        raise InputError("--plot needs matplotlib (pip install matplotlib)")
    return ext


def plot_loss(result, path, title=None):
    """Write the loss curve (loss after k updates, k = 0..steps) to ``path`` (.png or .svg), atomically."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from .io import write_atomic

    fmt = check_plot_path(path)
    losses = list(result.history) + [result.final_loss]
    fig = Figure(figsize=(6, 3.6), dpi=110)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.plot(range(len(losses)), losses, color="#1f77b4", linewidth=1.6)
    positive = [v for v in losses if v > 0]
    if len(positive) == len(losses) and max(positive) / min(positive) > 100:
        ax.set_yscale("log")
    ax.set_xlabel("step (minibatch loss)" if result.settings.get("shuffle") else "step")
    ax.set_ylabel("loss")
    s = result.settings
    ax.set_title(title or f"{s.get('target')}: {s.get('optimizer')}, lr {s.get('lr'):g}", fontsize=10)
    ax.grid(True, alpha=0.3)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt, metadata={"Date": None} if fmt == "svg" else None)
    write_atomic(path, buf.getvalue())


def format_result(result, rows=10):
    """The terminal view: settings, a sample of the loss history, the final parameters."""
    s = result.settings
    batch = (f"minibatches of {s['batch_size']} (shuffled each epoch)" if s.get("shuffle")
             else f"full batch of {s['samples']} samples" if s.get("samples")
             else "the model's own arrays" if s.get("matrix") else "one sample (the point)")
    lines = [f"symgrad train · {s.get('target')}",
             f"{result.steps} steps of {s.get('optimizer')} (lr {s.get('lr'):g}), {batch}; "
             f"loss node {s.get('loss')!r}"]
    if s.get("regularization"):
        lines.append("regularization: " + ", ".join(f"{k} {v}" for k, v in s["regularization"].items()))
    history = result.history
    if history:
        lines.append(f"loss: {_fmt(history[0])} → {_fmt(result.final_loss)}")
        lines.append("  step  loss before the step")
        picks = sorted({round(i * (len(history) - 1) / max(rows - 1, 1)) for i in range(rows)})
        for i in picks:
            lines.append(f"  {i + 1:>4}  {_fmt(history[i])}")
        lines.append(f"  {'end':>4}  {_fmt(result.final_loss)}")
    lines.append("params:")
    for name, value in result.params.items():
        text = _fmt(value) if np.ndim(value) == 0 else f"array of shape {np.shape(value)}"
        lines.append(f"  {name} = {text}")
    return "\n".join(lines)


def _fmt(v):
    return f"{float(v):.6g}"


def _finite(v):
    return bool(np.all(np.isfinite(v)))


def _num(v):
    v = float(v)
    return v if math.isfinite(v) else str(v)


def _plain(v):
    if np.ndim(v) == 0:
        return _num(v)
    return [_plain(x) for x in np.asarray(v)]


# --- the command line --------------------------------------------------------------------------
def run_cli(args):
    """``symgrad train``: train, print (text or JSON), optionally plot. Returns the exit code."""
    regularization = {}
    if args.l1 is not None:
        regularization["l1"] = args.l1
    if args.l2 is not None:
        regularization["l2"] = args.l2
    if args.elastic is not None:
        parts = [p.strip() for p in args.elastic.split(",")]
        if len(parts) != 2:
            raise InputError(f"--elastic takes β,λ (two numbers), got {args.elastic!r}")
        try:
            regularization["elastic"] = (float(parts[0]), float(parts[1]))
        except ValueError:
            raise InputError(f"--elastic takes β,λ (two numbers), got {args.elastic!r}") from None
    if args.plot:
        check_plot_path(args.plot)
    result = train(args.target, data=args.data, at=args.at, params=args.params, optimizer=args.optimizer,
                   lr=args.lr, epochs=args.epochs, steps=args.steps, batch_size=args.batch_size,
                   regularization=regularization or None, seed=args.seed)
    if args.plot:
        plot_loss(result, args.plot)
    if args.format == "json":
        print(result.to_json_text())
    else:
        print(format_result(result))
        if args.plot:
            print(f"wrote {args.plot}")
    return 0


__all__ = ["train", "TrainResult", "TrainingDiverged", "add_penalty", "plot_loss", "format_result"]
