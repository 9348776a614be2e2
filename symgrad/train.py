"""Training on the derived gradients: ``symgrad.train`` and ``symgrad train``.

One *step* is one forward and backward pass at the current parameters, then
every listed parameter is updated at once from those gradients (the optimizer
sees all gradients before any value changes). With data, the loss of a step is
the mean of the per-sample loss over the step's batch (the full data unless a
batch size is given; minibatches are reshuffled at every epoch). Without data
the point (``at`` plus the model's defaults) is the single sample. Parameters
that are not listed keep their values. Matrix models (``symgrad.matrix``) compute
their own batch loss (seed 004's Σ(ŷ − y)²) over whole arrays of fixed shapes; a
matrix program (``h = sigmoid(x @ w1)`` ...) is built for the shapes of the ``at`` and
``data`` arrays, the data's rows are its batch, and its own reduction is the loss
(docs/matrix-train.md).

Regularization is added to the *model*, not to the update rule: the penalty
gates (``λ·Σw²``, ``λ·Σ|w|``, ``λ·Σ(β·w² + |w|)``) are appended to the graph (or
to the matrix model, as its ``l2``/``l1`` gates), so they appear in the derivation
of the trained loss and in its gradient.

The gradients come from :mod:`symgrad.compile` (NumPy code generated from the
derivation); the penalties from :mod:`symgrad.penalties`, the loss plot from
:mod:`symgrad.train_plot`.
"""

import copy
import os
import sys
from dataclasses import dataclass, field

import numpy as np

from . import jsonout
from .compile import compile as compile_target
from .data import check_params_path, read_data, save_params, select_columns
from .errors import InputError, SymgradError
from .matrix.derivation import SMALL as SMALL_ARRAY  # as derive's JSON: larger is shape + norm
from .optimizers import make_optimizer
from .penalties import add_matrix_penalty, add_penalty, check_regularization
from .point import parse_point, shapes_of
from .target import resolve
from .train_plot import check_plot_path, plot_loss

DEFAULT_STEPS = 100
# The loss of every step is kept (the history, the JSON, the plot): a million steps of a small
# model take seconds and a few hundred MB with --format json (10 million took 1.6 GB);
# --steps 99999999999999999999 (or --epochs times the batches per epoch above this) ran
# without end, its memory growing, so it is refused.
MAX_STEPS = 1_000_000
PROGRESS_MIN_STEPS = 200          # shorter runs never show a progress bar

# Divergence (docs/train.md): a NaN or infinite loss or gradient; a loss more than GROWTH_LIMIT
# times its first value; or a loss that rose RISING_STEPS steps in a row and is over
# RISING_FACTOR times its first value (slow divergence). The first value counts as at least
# LOSS_FLOOR, so a run that starts at a loss of 0 is not "diverged" by rounding noise.
GROWTH_LIMIT = 1e6
RISING_STEPS, RISING_FACTOR = 20, 10.0
LOSS_FLOOR = 1e-6
# The hint: learning rates lr/10, lr/100, ... down to lr/10**PROBE_TRIES are tried, largest first,
# PROBE_STEPS steps each from the same start on the same data; the first that ends with a lower
# loss (and does not diverge) is suggested. At most PROBE_TRIES × PROBE_STEPS extra steps.
PROBE_STEPS, PROBE_TRIES = 30, 8


class TrainingDiverged(SymgradError):
    """The loss became NaN or infinite, or grew without bound. Exit code 1: the run happened, but
    it failed. ``suggested_lr``: a learning rate a short probe run showed to decrease the loss
    (None when no smaller one did)."""

    exit_code = 1

    def __init__(self, message, step=None, loss=None, result=None, suggested_lr=None):
        super().__init__(message)
        self.step, self.loss, self.result = step, loss, result
        self.suggested_lr = suggested_lr


@dataclass
class TrainResult:
    history: list                 # the loss before each step (the batch's loss for minibatches)
    final_loss: float             # the loss at the final parameters, over all the data
    params: dict                  # name -> final value (float, or ndarray for matrix parameters)
    steps: int                    # updates made
    settings: dict = field(default_factory=dict)

    def to_json(self):
        """Plain data (README: "JSON output of train"); NaN/inf become the strings "nan"/"inf".
        An array parameter is nested lists when it has at most SMALL_ARRAY entries, else
        ``{"shape": [...], "norm": ...}``, as in derive's JSON (``--save-params`` keeps every
        entry)."""
        return {
            "history": [jsonout.json_number(v) for v in self.history],
            "final_loss": jsonout.json_number(self.final_loss),
            "params": {k: _plain(v) for k, v in self.params.items()},
            "steps": self.steps,
            "settings": self.settings,
        }

    def to_json_text(self):
        return jsonout.dumps(self.to_json(), indent=2)

    def __str__(self):
        return format_result(self)


# --- the API ------------------------------------------------------------------------------------
def train(model, data=None, at=None, params=None, optimizer="sgd", lr=0.01, epochs=None, steps=None,
          batch_size=None, regularization=None, seed=None, progress=None, output=None):
    """Train the parameters of ``model`` by gradient descent on its derived gradients.

    ``model``: a catalog id, an expression, a program (text or file), a Graph, a matrix model or
    a :class:`~symgrad.target.Problem`, as for ``derive``.
    ``data``: a CSV/``.npz`` path or a dict name -> array (one value per sample along axis 0;
    for a matrix program, whole arrays whose rows are the batch).
    ``at``: starting values and fixed inputs (dict or ``"w=1,b=0"``), over the model's defaults.
    ``params``: the names to update (list or ``"w,b"``; default: the model's parameters), or a
    dict name -> starting value.
    ``optimizer``: ``"sgd"``, ``"momentum"``, ``"adam"``, ``"adamax"`` or an Optimizer object.
    ``steps`` or ``epochs`` (not both; default 100 steps); ``batch_size`` (default: the full batch).
    ``regularization``: ``{"l1": λ}``, ``{"l2": λ}``, ``{"elastic": (β, λ)}`` (keys combine).
    ``seed``: seeds the minibatch shuffling (and a matrix model's random starting arrays), so runs
    are identical.
    ``progress``: ``None`` shows a bar on long runs when stderr is a terminal; True/False force it.
    Raises :class:`TrainingDiverged` (exit code 1) when the loss becomes NaN or infinite.
    """
    _check_seed(seed)
    point = parse_point(at) if isinstance(at, str) else dict(at or {})
    # The data is read first: a matrix program is built for the shapes of its arrays (N rows,
    # D_in columns, ...) as well as of the --at values; a scalar program ignores their shapes.
    columns = read_data(data) if data is not None else None
    data_shapes = None if columns is None else {k: v.shape for k, v in columns[1].items()}
    problem = resolve(model, output=output, verb="trained", shapes=shapes_of(point),
                      data_shapes=data_shapes)
    setup = _Setup.build(problem, data, columns, point, params, regularization, seed)
    opt = make_optimizer(optimizer, lr)
    pristine = copy.deepcopy(opt)           # the probe runs of a divergence hint start from it
    schedule = _Schedule(setup.n_samples, steps, epochs, batch_size, seed)
    if setup.matrix and schedule.shuffle and setup.shapes:
        what = "program" if problem.program is not None else "model"
        raise InputError(f"the matrix {what} {setup.label!r} has fixed shapes, so it trains on "
                         f"the full batch of {setup.n_samples} rows; drop --batch-size")
    settings = {
        "target": setup.label, "model": setup.model_id, "loss": setup.loss_name,
        "params": list(setup.params), **opt.settings(),
        "steps": schedule.steps, "epochs": schedule.epochs, "batch_size": schedule.batch_size,
        "samples": setup.n_samples, "shuffle": schedule.shuffle, "seed": seed,
        "regularization": setup.regularization, "data": setup.data_label,
        "engine": setup.engine, "matrix": setup.matrix,
    }
    values, history, watch = dict(setup.start), [], _Watch()
    run = _Run(setup, pristine, schedule, settings)
    bar = _progress_bar(schedule.steps, progress)
    try:
        with np.errstate(all="ignore"):
            for step, batch in enumerate(schedule.batches(), 1):
                loss, grads = setup.loss_and_grads(values, batch)
                history.append(loss)
                problem = watch.check(step, loss, grads)
                if problem:
                    raise run.diverged(problem, step, loss, opt, history, values)
                values.update(opt.step({p: values[p] for p in setup.params}, grads))
                if bar is not None:
                    bar.update(1)
                    if step % 50 == 0:
                        bar.set_postfix(loss=f"{loss:.6g}", refresh=False)
            final, _ = setup.loss_and_grads(values, None)
    finally:
        if bar is not None:
            bar.close()
    problem = watch.check(len(history) + 1, final, {}, after_last=True)
    if problem:
        raise run.diverged(problem, len(history) + 1, final, opt, history, values)
    return _result(history, final, values, setup, settings)


def _check_seed(seed):
    whole = isinstance(seed, (int, np.integer)) and not isinstance(seed, bool)
    if seed is not None and (not whole or seed < 0):
        raise InputError(f"--seed must be a whole number ≥ 0, got {seed!r}")


# --- divergence and the learning rate to suggest ------------------------------------------------
class _Watch:
    """Says when a run has diverged (the rules above GROWTH_LIMIT), one loss at a time."""

    def __init__(self):
        self.first, self.last, self.rising = None, None, 0

    def check(self, step, loss, grads, after_last=False):
        """None while the run is healthy, else what went wrong ("the loss is nan at step 3")."""
        when = f"after the last step ({step - 1})" if after_last else f"at step {step}"
        bad = [p for p, g in grads.items() if not _finite(g)]
        if not _finite(loss) or bad:
            what = f"loss is {loss}" if not _finite(loss) else f"gradient of {bad[0]} is not finite"
            return f"the {what} {when}"
        if self.first is None:
            self.first = loss
        self.rising = self.rising + 1 if self.last is not None and loss > self.last else 0
        self.last = loss
        scale = max(abs(self.first), LOSS_FLOOR)
        if loss > GROWTH_LIMIT * scale:
            return (f"the loss grew from {self.first:.6g} to {loss:.6g} (more than "
                    f"{GROWTH_LIMIT:,.0f}× its first value) {when}")
        if self.rising >= RISING_STEPS and loss > RISING_FACTOR * scale:
            return (f"the loss rose {self.rising} steps in a row, from {self.first:.6g} to "
                    f"{loss:.6g}, {when}")
        return None


class _Run:
    """What a divergence error needs: the set-up, a fresh optimizer, the schedule, the settings."""

    def __init__(self, setup, pristine, schedule, settings):
        self.setup, self.pristine, self.schedule, self.settings = (setup, pristine, schedule,
                                                                   settings)

    def diverged(self, message, step, loss, opt, history, values):
        """The error for a diverged run at ``step``; ``.result`` holds the run up to it."""
        setup = self.setup
        params = {p: _value_out(values[p]) for p in setup.params}   # the values before that step
        result = TrainResult([float(v) for v in history], float(loss), params, step - 1,
                             self.settings)
        found = self.probe()
        if found is None:
            hint = (f"no smaller learning rate, down to --lr {opt.lr / 10 ** PROBE_TRIES:g}, "
                    f"decreased the loss in a {PROBE_STEPS}-step probe run: check the model, "
                    f"the data and the starting point")
        else:
            lr, before, after = found
            hint = (f"try the smaller learning rate --lr {lr:g}: a {PROBE_STEPS}-step probe run "
                    f"with it took the loss from {before:.6g} to {after:.6g}")
        return TrainingDiverged(f"training diverged: {message} ({opt.name}, lr {opt.lr:g}); "
                                f"{hint}", step, loss, result,
                                suggested_lr=None if found is None else found[0])

    def probe(self):
        """(lr, loss before, loss after) of the largest smaller learning rate that decreased the
        loss in PROBE_STEPS steps from the same start on the same batches, or None."""
        setup, schedule = self.setup, self.schedule
        with np.errstate(all="ignore"):
            before, _ = setup.loss_and_grads(dict(setup.start), None)
            if not _finite(before):
                return None
            for k in range(1, PROBE_TRIES + 1):
                opt = copy.deepcopy(self.pristine)
                opt.lr = self.pristine.lr / 10 ** k
                values, watch = dict(setup.start), _Watch()
                batches = _Schedule(schedule.n, PROBE_STEPS, None, schedule.batch_size,
                                    self.settings.get("seed")).batches()
                healthy = True
                for step, batch in enumerate(batches, 1):
                    loss, grads = setup.loss_and_grads(values, batch)
                    if watch.check(step, loss, grads):
                        healthy = False
                        break
                    values.update(opt.step({p: values[p] for p in setup.params}, grads))
                after = setup.loss_and_grads(values, None)[0] if healthy else float("nan")
                if healthy and _finite(after) and after < before:
                    return opt.lr, before, after
        return None


def _result(history, final, values, setup, settings):
    params = {p: _value_out(values[p]) for p in setup.params}
    return TrainResult([float(v) for v in history], float(final), params, len(history), settings)


# --- the set-up: model, data, starting point, the loss-and-gradient function --------------------
class _Setup:
    """Everything a step needs: the values of every input and the loss-and-gradient function."""

    engine = "compiled"     # settings["engine"] (README: the gradients are always compiled code)

    def __init__(self, problem):
        self.label, self.model_id = problem.label, problem.entry_id
        self.matrix = problem.is_matrix
        self.params, self.start, self.data, self.n_samples = [], {}, {}, None
        self.loss_name = self.data_label = self.regularization = None
        self.evaluate, self.graph, self.shapes = None, None, {}

    @classmethod
    def build(cls, problem, data, columns, point, params, regularization, seed=None):
        """``data``: what the user gave (for the settings); ``columns``: ``read_data(data)``;
        ``point``: the parsed ``at``."""
        self = cls(problem)
        self.regularization = check_regularization(regularization)
        if data is not None:
            self.data_label = "data" if isinstance(data, dict) else os.fspath(data)
        if problem.is_matrix:
            self._build_matrix(problem, columns, point, params, seed)
        else:
            self._build_scalar(problem, columns, point, params)
        return self

    def _build_scalar(self, problem, columns, point, params):
        """A scalar graph: compiled NumPy code that broadcasts over the samples."""
        graph = problem.graph
        inputs = [n for n in graph.topological_order() if graph.nodes[n].is_input]
        self.params, starts = _param_names(params, problem.wrt, inputs)
        self._values(inputs, problem.defaults, point, starts, columns, problem.data_inputs)
        for k, v in self.start.items():
            if np.ndim(v) != 0:
                raise InputError(f"the value of {k!r} must be a number, "
                                 f"not an array of shape {np.shape(v)}")
        for name, array in self.data.items():
            if array.ndim != 1:
                raise InputError(f"{self.data_label}: {name!r} has shape {array.shape}; the "
                                 f"model's inputs are numbers, so the data needs one per sample, "
                                 f"shape (N,)")
        if self.regularization:
            graph = add_penalty(graph, self.params, self.regularization)
        self.loss_name = graph.output
        self.graph = graph
        fn = compile_target(graph, wrt=list(self.params))
        used = set(fn.inputs)
        self.evaluate = lambda arrays: fn(**{k: v for k, v in arrays.items() if k in used})

    def _build_matrix(self, problem, columns, point, params, seed):
        """A matrix model (``symgrad.matrix``) or program: compiled NumPy code over whole arrays.
        The data's rows are the batch, and the model's own reduction is the loss."""
        model = problem.model
        inputs = [n for n in model.topological_order() if model.nodes[n].is_input]
        self.params, starts = _param_names(params, list(problem.wrt or inputs), inputs, columns)
        if self.regularization:
            model = add_matrix_penalty(copy.deepcopy(model), self.params, self.regularization)
        fn = compile_target(model, wrt=list(self.params))
        defaults = model.default_arrays(seed)       # random starting arrays, from the seed
        if problem.program is not None:
            # A user's program has no data of its own: only the trained arrays start at random
            # (standard normal, from --seed); every other input needs a value or data, or a
            # forgotten array in the .npz would silently be random numbers.
            defaults = {k: v for k, v in defaults.items() if k in self.params}
        self._values(list(fn.inputs), {k: v for k, v in defaults.items() if k in fn.inputs},
                     point, starts, columns, problem.data_inputs)
        self.loss_name = fn.output
        self.shapes = {k: tuple(v) for k, v in dict(fn.shapes or {}).items()}
        for name, value in [*self.data.items(), *self.start.items()]:
            want = self.shapes.get(name)
            if want is not None and np.shape(value) != want:
                where = self.data_label if name in self.data else "the starting value"
                raise InputError(f"{where}: {name!r} has shape {np.shape(value)}; the model "
                                 f"{self.label!r} needs {want}")
        self.evaluate = lambda arrays: fn(**arrays)

    def _values(self, inputs, defaults, given, starts, columns, data_inputs):
        """The starting point (defaults, then ``given``, then ``params`` values); the data columns
        (``columns``: ``(label, arrays)`` from ``read_data``, or None)."""
        point = dict(defaults or {})
        point.update(given)
        point.update(starts)
        unknown = [k for k in point if k not in inputs]
        if unknown:
            raise InputError(f"--at names {', '.join(map(repr, unknown))}, which "
                             f"{'are' if len(unknown) > 1 else 'is'} not an input "
                             f"(inputs: {', '.join(inputs)})")
        if columns is not None:
            clash = [p for p in self.params if p in columns[1]] if self.matrix else []
            if clash:
                raise InputError(f"--params {clash[0]}: {columns[0]} has an array {clash[0]!r}, "
                                 f"but a parameter is trained, not read from the data; drop it "
                                 f"from --params (or rename the data's array)")
            usable = [n for n in inputs if n not in self.params]
            needed = [n for n in usable if n not in point or n in data_inputs]
            self.data = select_columns(*columns, needed=needed, usable=usable)
            self.n_samples = len(next(iter(self.data.values()))) if self.data else None
        missing = [n for n in inputs if n not in point and n not in self.data]
        if missing:
            plural = len(missing) > 1
            given = ",".join(n + "=..." for n in missing)
            raise InputError(f"no value for input{'s' if plural else ''} {', '.join(missing)}; "
                             f"give {'them' if plural else 'it'} with --at {given}"
                             f"{' or as data columns' if columns is not None else ''}")
        self.start = {k: _value_in(v, k) for k, v in point.items() if k not in self.data}

    def loss_and_grads(self, values, batch):
        """The batch loss and its gradient per parameter; ``batch`` indexes samples (None: all)."""
        arrays = dict(values)
        for name, column in self.data.items():
            arrays[name] = column if batch is None else column[batch]
        loss, grads = self.evaluate(arrays)
        if self.matrix:     # a matrix model's loss already sums (or averages) over its rows
            return float(loss), {p: np.asarray(grads[p], dtype=float) for p in self.params}
        return float(np.mean(loss)), {p: float(np.mean(grads[p])) for p in self.params}


def _param_names(params, model_params, inputs, columns=None):
    """The parameters to train, and starting values when ``params`` is a dict. By default, the
    model's parameters that the data does not give (``columns``: ``(label, arrays)`` or None;
    a matrix program counts x and y of ``sum((x @ w - y)**2)`` among its parameters)."""
    starts = {}
    if params is None:
        from_data = set(columns[1]) if columns is not None else set()
        names = [p for p in model_params or () if p not in from_data]
        if not names:
            raise InputError("which parameters should be trained? give them with --params, "
                             "e.g. --params w,b")
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


# --- minibatches -------------------------------------------------------------------------------
class _Schedule:
    """Which samples each step uses: the full batch, or minibatches reshuffled at every epoch."""

    def __init__(self, n_samples, steps, epochs, batch_size, seed):
        if steps is not None and epochs is not None:
            raise InputError("give either --steps or --epochs, not both")
        for what, v in (("--steps", steps), ("--epochs", epochs), ("--batch-size", batch_size)):
            whole = isinstance(v, (int, np.integer)) and not isinstance(v, bool)
            if v is not None and (not whole or v < 1):
                raise InputError(f"{what} must be a whole number ≥ 1, got {v!r}")
        if batch_size is not None and n_samples is None:
            raise InputError("--batch-size needs --data "
                             "(without data the point is the single sample)")
        self.n = n_samples
        self.batch_size = min(batch_size, n_samples) if batch_size is not None else n_samples
        self.per_epoch = -(-n_samples // self.batch_size) if n_samples else 1
        self.shuffle = bool(n_samples and self.batch_size < n_samples)
        self.epochs = epochs
        if steps is None:
            steps = epochs * self.per_epoch if epochs else DEFAULT_STEPS
        if steps > MAX_STEPS:
            batches = f"{self.per_epoch:,} batch{'es' if self.per_epoch != 1 else ''}"
            what = (f"--epochs {epochs:,} × {batches} per epoch is {steps:,} steps" if epochs
                    else f"--steps {steps:,}")
            raise InputError(f"{what}; at most {MAX_STEPS:,} steps are run (every step's loss "
                             f"is kept)")
        self.steps = steps
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


# --- progress, text ---------------------------------------------------------------------
def _progress_bar(steps, progress):
    auto = progress is None
    if auto:
        progress = steps >= PROGRESS_MIN_STEPS and sys.stderr.isatty()
    if not progress:
        return None
    from tqdm import tqdm  # lazy: only runs that show a bar need it (tqdm is a dependency)

    return tqdm(total=steps, file=sys.stderr, unit="step", leave=False, desc="training",
                delay=0.5 if auto else 0)   # automatic bars appear only when a run takes a while


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
        settings = ", ".join(f"{k} {v}" for k, v in s["regularization"].items())
        lines.append("regularization: " + settings)
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
        text = (_fmt(value) if np.ndim(value) == 0 else
                f"array of shape {np.shape(value)}, ‖·‖ = {_fmt(np.linalg.norm(value))}")
        lines.append(f"  {name} = {text}")
    return "\n".join(lines)


def _fmt(v):
    return f"{float(v):.6g}"


def _finite(v):
    return bool(np.all(np.isfinite(v)))


def _plain(v):
    if np.ndim(v) == 0:
        return jsonout.json_number(v)
    v = np.asarray(v)
    if v.size > SMALL_ARRAY:
        return {"shape": list(v.shape), "norm": jsonout.json_number(np.linalg.norm(v))}
    return _nested(v)


def _nested(v):
    return jsonout.json_number(v) if np.ndim(v) == 0 else [_nested(x) for x in v]


__all__ = ["train", "TrainResult", "TrainingDiverged", "add_penalty", "plot_loss", "format_result",
           "check_plot_path", "check_params_path", "save_params"]
