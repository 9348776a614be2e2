import math

import numpy as np
import pytest


def central_difference(f, point, name, h=1e-6):
    """∂f/∂name at point by central differences, with a step relative to the value."""
    step = h * max(1.0, abs(point[name]))
    up, down = dict(point), dict(point)
    up[name] += step
    down[name] -= step
    return (f(up) - f(down)) / (2 * step)


def array_central_difference(loss, arrays, name, h=1e-6):
    """∂loss/∂arrays[name], entry by entry, by central differences with a step relative to each
    entry (as :func:`central_difference`); ``loss`` takes a dict name -> array, returns a number.
    The one finite-difference reference of the array tests."""
    base = {k: np.array(v, dtype=float) for k, v in arrays.items()}
    grad = np.zeros_like(base[name])
    for index in np.ndindex(*base[name].shape):
        step = h * max(1.0, abs(base[name][index]))
        up, down = base[name].copy(), base[name].copy()
        up[index] += step
        down[index] -= step
        grad[index] = (loss({**base, name: up}) - loss({**base, name: down})) / (2 * step)
    return grad


def close(a, b, rel=1e-6, abs_=1e-8):
    return math.isclose(a, b, rel_tol=rel, abs_tol=abs_)


@pytest.fixture
def run_cli(capsys):
    """Run ``symgrad.cli.main(argv)``; returns (exit code, stdout, stderr)."""
    from symgrad.cli import main

    def run(*argv):
        code = main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    return run
