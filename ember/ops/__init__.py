"""Every op, by family; importing this package registers them all (see _registry)."""
from . import convert, elementwise, creation, shape, reduce, index, linalg, dunders  # noqa: F401
from ._registry import FUNCTIONS, METHODS, finish_surfaces, install_methods  # noqa: F401
