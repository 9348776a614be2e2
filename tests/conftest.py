import math

import pytest


def central_difference(f, point, name, h=1e-6):
    """∂f/∂name at point by central differences, with a step relative to the value."""
    step = h * max(1.0, abs(point[name]))
    up, down = dict(point), dict(point)
    up[name] += step
    down[name] -= step
    return (f(up) - f(down)) / (2 * step)


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
