"""symgrad: step-by-step backpropagation derivations, checked numbers and fast gradient code.

The functions below share their names with the modules that define them (``symgrad.compile`` is
the function; ``from symgrad.compile import Compiled`` still reaches the module).
"""

from .check import check
from .compile import compile  # noqa: A004 (the builtin is not needed inside the package)
from .derivation import Derivation, derive
from .errors import SymgradError
from .parse import parse
from .render import render
from .train import TrainResult, train

__all__ = ["derive", "compile", "train", "render", "check", "parse",
           "Derivation", "TrainResult", "SymgradError"]
__version__ = "0.1.0"
