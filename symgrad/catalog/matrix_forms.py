"""Matrix-level forms of catalog models, written as matrix programs: id -> :class:`MatrixForm`.

Each form is a program in the language users type (``symgrad.matrix.program``), read by
:func:`~symgrad.matrix.program.parse_matrix`, so ``symgrad list`` can show it and a user can
copy it, change it and run it. It is the same model as the catalog's scalar program, written
with matrices, and starts from the same numbers (the scalar model's default point, gathered
into arrays), so the two derivations can be compared entry by entry: ``W1[i, j]`` is the scalar
input ``W1_{i+1}{j+1}`` and ``x[i, 0]`` is ``x{i+1}``. The networks of seeds 002 and 004 use
column vectors (W·x); the batch losses put one sample per row.

A form's shapes are those of its default arrays, unless the user gives values of other shapes
(``--at x=@x.npy``, ``--data``): the program is then read with the shapes of the values given
and the defaults for the rest, so shapes that do not fit are refused by the reader in one line
naming both. ``mlp-2layer`` names its sizes (N, D_in, H, D_out, as seed 004's loop does): a
value given for ``x`` sets N and D_in, and the default arrays of the inputs not given are drawn
at the sizes that fit.
"""

from dataclasses import dataclass, field

import numpy as np

from ..matrix.program import parse_matrix
from .losses import SOFTMAX_CE, SVM_TOTAL
from .networks import LINEAR_COLLAPSE, RELU_2LAYER, RELU_3LAYER, SIGMOID_3LAYER

MLP_SHAPES = {"N": 64, "D_in": 1000, "H": 100, "D_out": 10}


@dataclass(frozen=True)
class MatrixForm:
    """One catalog model's matrix program, its default shapes and arrays."""

    id: str
    body: str                   # the program's assignments (no declarations)
    shapes: dict                # input -> shape, in the order the model lists its inputs; an
    #                             entry of a shape is a size or a name of `dims`
    params: tuple               # the trainable inputs (the catalog's, not the reader's guess)
    data: tuple                 # the inputs that come from data
    description: str
    arrays: object              # callable(shapes, seed) -> {input: ndarray of that shape}
    dims: dict = field(default_factory=dict)     # named sizes -> default size (mlp-2layer)

    def __call__(self, shapes=None):
        """The :class:`~symgrad.matrix.MatrixModel` read from the program (a new one each call),
        with the shapes of ``shapes`` (input -> shape of the user's value) and the defaults for
        the rest."""
        resolved = self.resolve_shapes(shapes or {})
        # the program as `symgrad list` shows it, declared at these shapes: a refusal's line
        # number is the line of the program the user sees
        model = parse_matrix(self.text(resolved), name=self.id)
        _list_inputs_in_order(model, list(self.shapes))
        # The reader takes every input that is not a label for a parameter; the catalog knows
        # which inputs are data (seed 004's x, the networks' x, svm-total's λ).
        model.params, model.data = self.params, self.data
        model.description = self.description

        def defaults(seed=None):
            return self.arrays(resolved, seed)
        model.defaults = defaults
        return model

    @property
    def program(self):
        """The program as ``symgrad list`` shows it: one declaration per input (the default
        shapes), then the assignments. It runs as it is: ``symgrad derive FILE``."""
        return self.text(self.resolve_shapes({}))

    def text(self, shapes):
        """The program with its inputs declared at ``shapes``."""
        lines = [f"{name}: [{', '.join(map(str, shapes[name]))}]" for name in self.shapes]
        return "\n".join(lines) + "\n" + self.body

    @property
    def inputs(self):
        return tuple(self.shapes)

    def resolve_shapes(self, given):
        """Input -> shape: the shape of a given value; else the default, with the named sizes a
        given value set (the first value that names a size sets it; a later value that does not
        fit is left as it is, for the reader to refuse with both shapes and the line)."""
        sizes = {}
        for name, spec in self.shapes.items():
            shape = given.get(name)
            if shape is not None and len(shape) == len(spec):
                for dim, n in zip(spec, shape, strict=True):
                    if isinstance(dim, str):
                        sizes.setdefault(dim, int(n))
        sizes = {**self.dims, **sizes}
        return {name: tuple(int(n) for n in given[name]) if given.get(name) is not None
                else tuple(sizes[d] if isinstance(d, str) else d for d in spec)
                for name, spec in self.shapes.items()}


def _list_inputs_in_order(model, order):
    """Put the model's inputs first, in ``order`` (the reader creates an input where it is first
    used; the documents list them as the catalog always has: data first, then the layers)."""
    inputs = {n: model.nodes[n] for n in order if n in model.nodes}
    rest = {n: node for n, node in model.nodes.items() if n not in inputs}
    model.nodes.clear()
    model.nodes.update({**inputs, **rest})     # inputs depend on nothing: still in order


# --- seed 004's two-layer network -----------------------------------------------------------------
def _mlp_arrays(shapes, seed):
    # drawn in this order from one generator (x, y, w1, w2): the numbers of the post's loop
    rng = np.random.default_rng(0 if seed is None else seed)
    return {"x": rng.standard_normal(shapes["x"]), "y": rng.standard_normal(shapes["y"]),
            "w1": rng.random(shapes["w1"]), "w2": rng.standard_normal(shapes["w2"])}


MLP_2LAYER = MatrixForm(
    "mlp-2layer",
    body="z = x @ w1\nh = sigmoid(z)\nyhat = h @ w2\nr = yhat - y\nloss = sumsq(r)\n",
    shapes={"x": ("N", "D_in"), "y": ("N", "D_out"), "w1": ("D_in", "H"), "w2": ("H", "D_out")},
    params=("w1", "w2"), data=("x", "y"),
    description="h = σ(x·w1), ŷ = h·w2, loss = Σ(ŷ − y)²",
    arrays=_mlp_arrays, dims=MLP_SHAPES,
)


def mlp_2layer(N=64, D_in=1000, H=100, D_out=10):  # noqa: N803 (the post's names)
    """Seed 004: h = σ(x·w1), ŷ = h·w2, loss = Σ(ŷ − y)², at the sizes given."""
    return MLP_2LAYER({"x": (N, D_in), "y": (N, D_out), "w1": (D_in, H), "w2": (H, D_out)})


# --- forms of the scalar catalog models -----------------------------------------------------------
def _from_catalog(entry, names, extra=None):
    """Default arrays from the scalar model's default point: array name -> nested list of scalar
    names (``extra``: arrays the scalar program has no names for, such as one-hot labels)."""
    point = entry.defaults
    fixed = {name: np.array([[float(point[n]) for n in row] for row in rows])
             for name, rows in names.items()}
    fixed.update(extra or {})

    def arrays(shapes, seed=None):
        # inputs of other shapes than the defaults are always given by the user, who replaces
        # these arrays (the reader has already refused shapes that do not fit)
        return {name: np.array(value, dtype=float) for name, value in fixed.items()}
    return arrays


def _names(name, rows, cols):
    return [[f"{name}_{i + 1}{j + 1}" for j in range(cols)] for i in range(rows)]


def _column(name, size):
    sep = "_" if name[-1].isdigit() else ""
    return [[f"{name}{sep}{i + 1}"] for i in range(size)]


def _form(entry, body, names, params, data, description, extra=None, shapes=None):
    """A form whose default arrays come from the scalar entry's point; shapes from the arrays."""
    arrays = _from_catalog(entry, names, extra)
    defaults = arrays(None)
    order = shapes or list(defaults)
    return MatrixForm(entry.id, body, {n: defaults[n].shape for n in order}, params, data,
                      description, arrays)


SIGMOID_3LAYER_FORM = _form(
    SIGMOID_3LAYER,
    "z1 = W1 @ x + b1\nh1 = sigmoid(z1)\n"
    "z2 = W2 @ h1 + b2\nh2 = sigmoid(z2)\n"
    "z3 = W3 @ h2 + b3\nyhat = sigmoid(z3)\n",
    {"x": _column("x", 2), "W1": _names("W1", 3, 2), "b1": _column("b1", 3),
     "W2": _names("W2", 2, 3), "b2": _column("b2", 2), "W3": _names("W3", 1, 2),
     "b3": _column("b3", 1)},
    ("W1", "b1", "W2", "b2", "W3", "b3"), ("x",),
    "ŷ = σ(W3·σ(W2·σ(W1·x + b1) + b2) + b3)",
)

RELU_2LAYER_FORM = _form(
    RELU_2LAYER,
    "z1 = W1 @ x\nh1 = relu(z1)\nf = W2 @ h1\n",
    {"x": _column("x", 2), "W1": _names("W1", 3, 2), "W2": _names("W2", 1, 3)},
    ("W1", "W2"), ("x",), "f = W2·max(0, W1·x)",
)

RELU_3LAYER_FORM = _form(
    RELU_3LAYER,
    "z1 = W1 @ x\nh1 = relu(z1)\nz2 = W2 @ h1\nh2 = relu(z2)\nf = W3 @ h2\n",
    {"x": _column("x", 2), "W1": _names("W1", 3, 2), "W2": _names("W2", 2, 3),
     "W3": _names("W3", 1, 2)},
    ("W1", "W2", "W3"), ("x",), "f = W3·max(0, W2·max(0, W1·x))",
)

LINEAR_COLLAPSE_FORM = _form(
    LINEAR_COLLAPSE,
    "h = W1 @ x\nf = W2 @ h\n",
    {"x": _column("x", 2), "W1": _names("W1", 3, 2), "W2": _names("W2", 1, 3)},
    ("W1", "W2"), ("x",), "f = W2·(W1·x)",
)

# svm-total: samples as rows, X (2×2) = [x1ᵀ; x2ᵀ], labels one-hot (classes 1 and 3).
SVM_LABELS = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])

SVM_TOTAL_FORM = _form(
    SVM_TOTAL,
    "Z = X @ W1.T\nH = relu(Z)\nS = H @ W2.T\n"
    "losses = hinge(S, Y)\ndata_loss = mean(losses)\n"
    "R1 = l2(W1)\nR2 = l2(W2)\n"
    "L = data_loss + lam * R1 + lam * R2\n",
    {"X": [["x1_1", "x1_2"], ["x2_1", "x2_2"]], "W1": _names("W1", 2, 2),
     "W2": _names("W2", 3, 2)},
    ("W1", "W2"), ("X", "Y", "lam"),
    "L = mean_i hinge(max(0, X·W1ᵀ)·W2ᵀ, Y) + λ‖W1‖² + λ‖W2‖²",
    extra={"Y": SVM_LABELS, "lam": np.array(SVM_TOTAL.defaults["lam"])},
    shapes=["X", "Y", "lam", "W1", "W2"],
)

SOFTMAX_CE_FORM = _form(
    SOFTMAX_CE,
    # "ce" names the per-sample loss, which would otherwise be n1, a name of the scalar program
    "ce = softmax_ce(s, Y)\nL = sum(ce)\n",
    {"s": [["s1", "s2", "s3"]]},
    ("s",), ("Y",),
    "L = Σ_i (logsumexp(s_i) − Σ_j Y_ij s_ij), one sample, correct class 1",
    extra={"Y": np.array([[1.0, 0.0, 0.0]])},
)

FORMS = {form.id: form for form in (MLP_2LAYER, SIGMOID_3LAYER_FORM, RELU_2LAYER_FORM,
                                    RELU_3LAYER_FORM, LINEAR_COLLAPSE_FORM, SVM_TOTAL_FORM,
                                    SOFTMAX_CE_FORM)}

__all__ = ["FORMS", "MLP_SHAPES", "MatrixForm", "mlp_2layer"]
