"""The two-layer network that seed 004 trains with hand-written NumPy, at matrix level.

Seed 004 ("full implementation of training a 2-layer Neural Network") writes

    h = 1 / (1 + np.exp(-x.dot(w1)))          # N×H
    y_pred = h.dot(w2)                         # N×D_out
    loss = np.square(y_pred - y).sum()
    grad_y_pred = 2.0 * (y_pred - y)
    grad_w2 = h.T.dot(grad_y_pred)
    grad_h = grad_y_pred.dot(w2.T)
    grad_w1 = x.T.dot(grad_h*h*(1-h))

with N, D_in, H, D_out = 64, 1000, 100, 10. The model has no scalar program (it
has 71,640 numbers): ``derive("mlp-2layer")`` gives a matrix-level derivation
and ``symgrad.compile("mlp-2layer")`` the NumPy function. Its matrix form is
``matrix_forms.FORMS["mlp-2layer"]``.
"""

from .registry import Model, register

register(Model(
    id="mlp-2layer",
    title="Two-layer sigmoid network trained on random data (matrix level)",
    description="h = σ(x·w1), ŷ = h·w2, loss = Σ(ŷ − y)²; x 64×1000, y 64×10, w1 1000×100, "
                "w2 100×10",
    seeds=("004",),
    program="",                     # matrix-level only: see matrix_forms.py
    defaults={"x": "randn 64×1000", "y": "randn 64×10", "w1": "rand 1000×100",
              "w2": "randn 100×10"},
    params=("w1", "w2"),
    data_inputs=("x", "y"),
    output="loss",
    learning_rate=1e-4,             # seed 004's; a step of 0.1 makes the summed loss diverge
    notes="Shapes N, D_in, H, D_out = 64, 1000, 100, 10, as in the post. Default arrays (seed 0 "
          "of numpy.random.default_rng, or the --seed of train): x, y and w2 standard normal, w1 "
          "uniform on [0, 1) as the post writes rand(D_in, H) (the post imports only randn, so its "
          "code as printed stops with a NameError at that line). The loss is the sum, not the "
          "mean, of the squared errors; the post's learning rate is 1e-4.",
))
