"""The update rules: SGD (the seeds' w ← w − α·∂L/∂w), momentum, Adam and Adamax.

Each optimizer is one small class. ``step(params, grads)`` takes the current
values (name -> float or ndarray) and the gradients of the loss at those values,
and returns the new values of *every* parameter at once; it never changes the
arrays it is given. Per-parameter state (velocity, moments) lives in the
optimizer. Minibatch SGD is :class:`SGD` fed with minibatch gradients: the
batching and the per-epoch shuffling are the trainer's job (``train.py``).
"""

import numpy as np

from .errors import InputError


def sgd_step(value, gradient, lr):
    """The seeds' update w ← w − α·∂L/∂w, for a float or an array.

    The one place the step is written: the optimizer, the checker's ``after_steps`` claims, the
    loss-landscape figure and the documents' "one step" paragraph all call it, so what a document
    shows is what ``train`` does.
    """
    return value - lr * gradient


class Optimizer:
    """Shared bookkeeping: the learning rate and the step counter ``t`` (1 at the first update)."""

    name = ""

    def __init__(self, lr):
        lr = float(lr)
        if not np.isfinite(lr) or lr <= 0:
            raise InputError(f"the learning rate must be a positive number, got {lr!r}")
        self.lr = lr
        self.t = 0
        self.state = {}

    def step(self, params, grads):
        self.t += 1
        return {name: self.update(name, np.asarray(value, dtype=float),
                                  np.asarray(grads[name], dtype=float))
                for name, value in params.items()}

    def update(self, name, w, g):
        raise NotImplementedError

    def settings(self):
        """The hyper-parameters, for the result's ``settings``."""
        return {"optimizer": self.name, "lr": self.lr}


class SGD(Optimizer):
    """Gradient descent, the seeds' rule.

        w ← w − α·g

    where g = ∂L/∂w at the current parameters. Fed with the gradient of a
    minibatch's mean loss it is minibatch (stochastic) gradient descent.
    """

    name = "sgd"

    def update(self, name, w, g):
        return sgd_step(w, g, self.lr)


class Momentum(Optimizer):
    """SGD with momentum (the cs231n form), μ = 0.9 by default.

        v ← μ·v − α·g          (v starts at 0)
        w ← w + v
    """

    name = "momentum"

    def __init__(self, lr, mu=0.9):
        super().__init__(lr)
        self.mu = float(mu)

    def update(self, name, w, g):
        v = self.mu * self.state.get(name, 0.0) - self.lr * g
        self.state[name] = v
        return w + v

    def settings(self):
        return {**super().settings(), "mu": self.mu}


class Adam(Optimizer):
    """Adam (Kingma & Ba 2015), β₁ = 0.9, β₂ = 0.999, ε = 1e-8 by default.

        m ← β₁·m + (1 − β₁)·g            (first moment, starts at 0)
        v ← β₂·v + (1 − β₂)·g²           (second moment, starts at 0)
        m̂ = m / (1 − β₁ᵗ),  v̂ = v / (1 − β₂ᵗ)
        w ← w − α·m̂ / (√v̂ + ε)
    """

    name = "adam"

    def __init__(self, lr, beta1=0.9, beta2=0.999, eps=1e-8):
        super().__init__(lr)
        self.beta1, self.beta2, self.eps = float(beta1), float(beta2), float(eps)

    def update(self, name, w, g):
        m, v = self.state.get(name, (0.0, 0.0))
        m = self.beta1 * m + (1 - self.beta1) * g
        v = self.beta2 * v + (1 - self.beta2) * g * g
        self.state[name] = (m, v)
        m_hat = m / (1 - self.beta1 ** self.t)
        v_hat = v / (1 - self.beta2 ** self.t)
        return w - self.lr * m_hat / (np.sqrt(v_hat) + self.eps)

    def settings(self):
        return {**super().settings(), "beta1": self.beta1, "beta2": self.beta2, "eps": self.eps}


class Adamax(Optimizer):
    """Adamax, Adam with the infinity norm (Kingma & Ba 2015, §7.1), β₁ = 0.9, β₂ = 0.999.

        m ← β₁·m + (1 − β₁)·g             (starts at 0)
        u ← max(β₂·u, |g| + ε)            (starts at 0; ε = 1e-8 keeps u > 0, as in PyTorch)
        w ← w − (α / (1 − β₁ᵗ))·m / u
    """

    name = "adamax"

    def __init__(self, lr, beta1=0.9, beta2=0.999, eps=1e-8):
        super().__init__(lr)
        self.beta1, self.beta2, self.eps = float(beta1), float(beta2), float(eps)

    def update(self, name, w, g):
        m, u = self.state.get(name, (0.0, 0.0))
        m = self.beta1 * m + (1 - self.beta1) * g
        u = np.maximum(self.beta2 * u, np.abs(g) + self.eps)
        self.state[name] = (m, u)
        return w - (self.lr / (1 - self.beta1 ** self.t)) * m / u

    def settings(self):
        return {**super().settings(), "beta1": self.beta1, "beta2": self.beta2, "eps": self.eps}


OPTIMIZERS = {cls.name: cls for cls in (SGD, Momentum, Adam, Adamax)}


def make_optimizer(name, lr):
    """The optimizer called ``name`` (sgd, momentum, adam, adamax) with learning rate ``lr``."""
    if isinstance(name, Optimizer):
        return name
    try:
        cls = OPTIMIZERS[str(name).lower()]
    except KeyError:
        choices = ", ".join(OPTIMIZERS)
        raise InputError(f"unknown optimizer {name!r} (choose from {choices})") from None
    return cls(lr)
