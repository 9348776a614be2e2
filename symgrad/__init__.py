"""symgrad: step-by-step backpropagation derivations, checked numbers and fast gradient code.

The functions below share their names with the modules that define them (``symgrad.compile`` is
the function; ``from symgrad.compile import Compiled`` still reaches the module).
"""

import importlib
import sys
import types

from .derivation import Derivation, derive
from .errors import SymgradError
from .parse import parse

__all__ = ["derive", "compile", "train", "render", "check", "parse",
           "Derivation", "TrainResult", "SymgradError"]
__version__ = "0.1.0"

# Deliberate lazy loading (PEP 562): the checker, the renderer (Jinja2, Matplotlib, markdown-it),
# the trainer and the compiler load on first use of their names, so `symgrad derive` does not pay
# for them at start-up. `symgrad.check(...)` and `from symgrad import check` work as before: the
# first access imports the module and binds the function in place of this hook, so the name
# `symgrad.check` is the function, never the submodule.
_LAZY = {"check": (".check", "check"), "render": (".render", "render"),
         "train": (".train", "train"), "TrainResult": (".train", "TrainResult"),
         "compile": (".compile", "compile")}


def __getattr__(name):
    if name not in _LAZY:
        raise AttributeError(f"module 'symgrad' has no attribute {name!r}")
    module, attr = _LAZY[name]
    value = getattr(importlib.import_module(module, __name__), attr)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_LAZY))


class _Package(types.ModuleType):
    """The package's module type. When any code imports the submodule ``symgrad.check`` (the CLI,
    the trainer importing ``symgrad.compile``), the import system sets the attribute
    ``symgrad.check`` to that submodule, which would hide the function of the same name; this
    keeps the function there instead (the submodule stays reachable through ``sys.modules``
    and ``from symgrad.check import ...``)."""

    def __setattr__(self, name, value):
        lazy = _LAZY.get(name)
        if lazy and isinstance(value, types.ModuleType) and value.__name__ == __name__ + lazy[0]:
            value = getattr(value, lazy[1])
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package

# Inside IPython or Jupyter a Derivation displays itself through the views the renderer registers
# (derivation.py never imports the renderer): load it now there. The command line never has
# IPython loaded, so its start-up stays light.
if "IPython" in sys.modules:
    importlib.import_module(".render", __name__)
