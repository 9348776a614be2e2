"""Imports every catalog module so that each registers its models, in 'symgrad list' order."""
# ruff: noqa: I001  (the import order is the catalog's order; do not sort it)

from . import basics  # noqa: F401
from . import neurons  # noqa: F401
from . import networks  # noqa: F401
from . import losses  # noqa: F401
from . import regularization  # noqa: F401
from . import activations  # noqa: F401
from . import mlp  # noqa: F401
