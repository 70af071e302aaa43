"""torch.special: the special functions (ember/ops/special.py) under torch's names, with the aliases
torch.special gives to ops that live elsewhere."""

from .ops._registry import FUNCTIONS as _FUNCTIONS
from .ops.special import (
    lgamma as gammaln,
    digamma,
    polygamma,
    mvlgamma as multigammaln,
    i0,
    i0e,
    i1,
    i1e,  # noqa
    ndtr,
    ndtri,
    log_ndtr,
    erfcx,
    zeta,
    igamma as gammainc,
    igammac as gammaincc,
    sinc,
    logit,
    xlog1py,
    entr,
    spherical_bessel_j0,
)
from .ops.special import digamma as psi  # noqa: F401
from .ops.special import (
    bessel_j0,
    bessel_j1,
    modified_bessel_i0,
    modified_bessel_i1,
    modified_bessel_k0,  # noqa
    modified_bessel_k1,
    scaled_modified_bessel_k0,
    scaled_modified_bessel_k1,
    POLYNOMIALS,
)

globals().update(POLYNOMIALS)

expit = _FUNCTIONS["sigmoid"]
(xlogy, exp2, expm1, log1p, erf, erfc, erfinv, round, softmax, log_softmax, logsumexp) = (
    _FUNCTIONS[name]
    for name in (
        "xlogy",
        "exp2",
        "expm1",
        "log1p",
        "erf",
        "erfc",
        "erfinv",
        "round",
        "softmax",
        "log_softmax",
        "logsumexp",
    )
)

# the functions taken straight from ember/ops/special.py get the out= the registry gives torch.* functions
from .ops._registry import _with_out as _out  # noqa: E402

for _name, _fn in list(globals().items()):
    if callable(_fn) and not _name.startswith("_") and getattr(_fn, "__module__", "") == "ember.ops.special":
        globals()[_name] = _out(_fn)
del _name, _fn
