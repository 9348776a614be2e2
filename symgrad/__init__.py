"""symgrad: step-by-step backpropagation derivations, checked numbers and fast gradient code."""

from .derivation import Derivation, derive
from .errors import SymgradError
from .parse import parse

__all__ = ["derive", "parse", "Derivation", "SymgradError"]
__version__ = "0.1.0"
