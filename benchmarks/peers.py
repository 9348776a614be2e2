"""Section (a): mlp-2layer's loss and gradients, each implementation in its own process.

Each peer (symgrad.compile, PyTorch autograd, JAX jit) runs in a fresh child process beside the
seed's hand-written NumPy step, calls alternated, and is reported as a ratio to the hand-written
step *of the same process*. One process per peer because their thread pools compete: with PyTorch
and JAX imported beside NumPy on a 2-core machine, the hand-written step went from 0.45 ms to
50 ms. The arrays are written once by the parent (the catalog's defaults) and loaded by each child.

    python benchmarks/peers.py PEER ARRAYS.npz REPEATS      # one child (what the parent runs)
"""

import json
import sys

import numpy as np
from common import alternate, maxrss_kib

PEERS = {"symgrad": "symgrad.compile",
         "torch": "PyTorch autograd (float64)",
         "jax": "JAX jit value_and_grad (float64)"}
HAND = "hand-written NumPy (seed 004)"


def seed_004_step(x, y, w1, w2):
    """The loop body of seed 004's "full implementation" (without the update)."""
    h = 1 / (1 + np.exp(-x.dot(w1)))
    y_pred = h.dot(w2)
    loss = np.square(y_pred - y).sum()
    grad_y_pred = 2.0 * (y_pred - y)
    grad_w2 = h.T.dot(grad_y_pred)
    grad_h = grad_y_pred.dot(w2.T)
    grad_w1 = x.T.dot(grad_h * h * (1 - h))
    return loss, grad_w1, grad_w2


# --- one step per peer: each returns (step function, its loss and gradients as NumPy, version) ----
def symgrad_step(x, y, w1, w2):
    import symgrad

    f = symgrad.compile("mlp-2layer")
    arrays = {"x": x, "y": y, "w1": w1, "w2": w2}

    def step():
        return f(**arrays)
    loss, grads = step()
    return step, (loss, grads["w1"], grads["w2"]), f"symgrad {symgrad.__version__}"


def torch_step(x, y, w1, w2):
    import torch

    tx, ty = torch.from_numpy(x), torch.from_numpy(y)
    tw1 = torch.from_numpy(w1.copy()).requires_grad_()
    tw2 = torch.from_numpy(w2.copy()).requires_grad_()

    def step():
        tw1.grad = tw2.grad = None
        loss = (torch.sigmoid(tx @ tw1) @ tw2 - ty).square().sum()
        loss.backward()
        return loss
    loss = step()
    result = (float(loss), tw1.grad.numpy(), tw2.grad.numpy())
    return step, result, f"PyTorch {torch.__version__}, {torch.get_num_threads()} threads"


def jax_step(x, y, w1, w2):
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)
    grad = jax.jit(jax.value_and_grad(lambda w1, w2, x, y: jnp.sum(jnp.square(
        jax.nn.sigmoid(x @ w1) @ w2 - y)), argnums=(0, 1)))
    jargs = [jnp.asarray(a) for a in (w1, w2, x, y)]

    def step():
        return jax.block_until_ready(grad(*jargs))
    loss, (g1, g2) = step()
    return step, (float(loss), np.asarray(g1), np.asarray(g2)), f"JAX {jax.__version__}"


STEPS = {"symgrad": symgrad_step, "torch": torch_step, "jax": jax_step}


def child(peer, arrays_path, repeats):
    """Time one peer beside the hand-written step in this process; print one JSON line."""
    module = {"symgrad": "symgrad", "torch": "torch", "jax": "jax"}[peer]
    try:
        __import__(module)
    except ImportError:
        print(json.dumps({"status": "not installed"}))
        return 0
    with np.load(arrays_path) as npz:
        x, y, w1, w2 = (npz[k] for k in ("x", "y", "w1", "w2"))
    step, got, version = STEPS[peer](x, y, w1, w2)
    ref = seed_004_step(x, y, w1, w2)
    # The peers' float64 sums run in other orders than NumPy's; 1e-10 is far below any real mistake.
    worst = max(float(np.max(np.abs(np.asarray(a) - b)) / (np.max(np.abs(b)) + 1e-300))
                for a, b in zip(got, ref, strict=True))
    if worst > 1e-10:
        error = f"differs from hand-written by {worst:.1e}"
        print(json.dumps({"status": "failed", "error": error}))
        return 1
    functions = {HAND: lambda: seed_004_step(x, y, w1, w2), PEERS[peer]: step}
    for fn in functions.values():          # warm up
        fn()
    times = alternate(functions, repeats)
    print(json.dumps({"status": "ok", "hand": times[HAND], "peer": times[PEERS[peer]],
                      "worst": worst, "version": version, "maxrss_kib": maxrss_kib()}))
    return 0


if __name__ == "__main__":
    sys.exit(child(sys.argv[1], sys.argv[2], int(sys.argv[3])))
