"""Every op, by family; importing this package registers them all (see _registry).

The one list of op families. Order matters: a family loaded later may give an op torch's exact signature,
replacing the earlier registry entry; aliases come last, since they name ops the families define.
"""

from . import (
    convert,
    elementwise,
    creation,
    shape,
    reduce,
    index,
    linalg,
    dunders,  # noqa: F401
    activation,
    attention,
    conv,
    distance,
    dropout,
    linear,
    loss,
    norm,
    pool,
    padding,
    upsampling,
    rnn,
    sparse,
    special,
    other,
    solvers,
    complex,
    pointwise,
    shape_variants,
    selection,
    methods,
    householder,
    spectral,
    windows,
    aten,
    misc,
    aliases,
)
from ._registry import FUNCTIONS, METHODS, finish_surfaces, install_methods  # noqa: F401

aliases.install()
finish_surfaces()
