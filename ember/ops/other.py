"""The ops of torch's "Other Operations" list that ember composes from its primitives: diff, kron, isin,
cov, corrcoef, cartesian_prod, combinations, block_diag, trapezoid, vander, logcumsumexp, renorm,
histogram."""

import itertools

import numpy as np

from .. import _dtype
from .._backend import accumulate, array_module, to_host
from ..autograd.function import Op
from ..return_types import return_type
from ._registry import named, torch_api
from .._tensor import Tensor


def _cat(tensors, dim):
    from .shape import cat

    return cat(tensors, dim)


@torch_api()
def diff(input, n=1, dim=-1, prepend=None, append=None):
    if input.dim() == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    if n < 0:
        raise RuntimeError(f"order must be non-negative but got {n}")
    d = input._dim(dim)
    for extra in (prepend, append):
        if extra is not None and extra.dim() != input.dim():
            raise RuntimeError("diff expects prepend or append to be the same dimension as input")
    parts = [t for t in (prepend, input, append) if t is not None]
    x = _cat(parts, d) if len(parts) > 1 else input
    from .elementwise import logical_xor

    for _ in range(n):
        length = x.shape[d]
        later, earlier = x.narrow(d, min(1, length), max(length - 1, 0)), x.narrow(d, 0, max(length - 1, 0))
        x = logical_xor(later, earlier) if x.dtype is _dtype.bool else later - earlier
    return x


@torch_api()
def kron(input, other):
    nd = max(input.dim(), other.dim())
    a = input.reshape((1,) * (nd - input.dim()) + tuple(input.shape))
    b = other.reshape((1,) * (nd - other.dim()) + tuple(other.shape))
    # a[i0, None, i1, None, ...] * b[None, j0, None, j1, ...], then each (i, j) pair merged
    spread_a = a.reshape(tuple(itertools.chain.from_iterable((s, 1) for s in a.shape)))
    spread_b = b.reshape(tuple(itertools.chain.from_iterable((1, s) for s in b.shape)))
    return (spread_a * spread_b).reshape(tuple(sa * sb for sa, sb in zip(a.shape, b.shape)))


@torch_api(method=False)
def isin(elements, test_elements, *, assume_unique=False, invert=False):
    from .elementwise import _no_grad_binary

    if not isinstance(elements, Tensor) and not isinstance(test_elements, Tensor):
        raise TypeError(
            "isin() received an invalid combination of arguments: expected elements or test_elements to be a Tensor"
        )

    def kernel(a, b):
        xp = array_module(a if hasattr(a, "shape") else b)
        return xp.asarray(xp.isin(a, b, assume_unique=assume_unique, invert=invert))

    return _no_grad_binary(kernel, elements, test_elements)


def _check_weights(name, w, observations, integral):
    if w.dim() > 1:
        raise RuntimeError(
            f"cov(): expected {name} to have one or fewer dimensions but got {name} with {w.dim()} dimensions"
        )
    if integral and (w.is_floating_point() or w.dtype is _dtype.bool):
        raise RuntimeError(
            f"cov(): expected {name} to have integral dtype but got {name} with "
            f"{_dtype.scalar_type_name(w.dtype)} dtype"
        )
    if not integral and not w.is_floating_point():
        raise RuntimeError(
            f"cov(): expected {name} to have floating point dtype but got {name} with "
            f"{_dtype.scalar_type_name(w.dtype)} dtype"
        )
    if w.numel() != observations:
        raise RuntimeError(
            f"cov(): expected {name} to have the same numel as there are observations in the "
            f"input but got {w.numel()} != {observations}"
        )
    if observations and bool((w < 0).any()):
        raise RuntimeError(f"cov(): {name} cannot be negative")


@torch_api()
def cov(input, *, correction=1, fweights=None, aweights=None):
    if input.dim() > 2:
        raise RuntimeError(
            f"cov(): expected input to have two or fewer dimensions but got an input with {input.dim()} dimensions"
        )
    if input.dtype is _dtype.bool:
        raise RuntimeError("cov(): bool dtype is not supported for input")
    x = input.reshape(1, -1) if input.dim() < 2 else input  # (variables, observations)
    observations = x.shape[1]
    w = None
    if fweights is not None:
        _check_weights("fweights", fweights, observations, integral=True)
        w = fweights
    if aweights is not None:
        _check_weights("aweights", aweights, observations, integral=False)
        w = aweights if w is None else w * aweights
    if w is None:
        w_sum = observations
        avg = x.sum(1) / w_sum
    else:
        w_sum = w.sum()
        if not bool(w_sum != 0):
            raise RuntimeError("cov(): weights sum to zero, can't be normalized")
        avg = (x * w).sum(1) / w_sum
    if w is not None and aweights is not None and correction != 0:
        norm_factor = w_sum - correction * (w * aweights).sum() / w_sum
    else:
        norm_factor = w_sum - correction
    if float(norm_factor) <= 0:
        import warnings

        warnings.warn(
            "cov(): degrees of freedom is <= 0. Correction should be strictly less than the number of observations.",
            UserWarning,
            stacklevel=2,
        )
        norm_factor = norm_factor * 0
    centred = x - avg.unsqueeze(1)
    c = centred.mm((centred if w is None else centred * w).t())
    return (c / norm_factor).squeeze()


@torch_api()
def corrcoef(input):
    c = cov(input)
    if c.dim() == 0:  # a single variable: 1, or nan when it has no variance
        return c / c
    std = c.diagonal().sqrt()
    c = c / std.unsqueeze(1)
    c = c / std.unsqueeze(0)
    return c.clip(-1, 1)


@torch_api(method=False)
def cartesian_prod(*tensors):
    for t in tensors:
        if t.dim() != 1:
            raise RuntimeError(f"Expect a 1D vector, but got shape {list(t.shape)}")
    if len(tensors) == 1:
        return tensors[0]
    shape = tuple(t.shape[0] for t in tensors)
    columns = []
    for i, t in enumerate(tensors):
        along = [1] * len(tensors)
        along[i] = -1
        columns.append(t.reshape(along).expand(shape).reshape(-1))
    from .shape import stack

    return stack(columns, 1)


@torch_api(method=False)
def combinations(input, r=2, with_replacement=False):
    if input.dim() != 1:
        raise RuntimeError(f"Expect a 1D vector, but got shape {list(input.shape)}")
    if r < 0:
        raise RuntimeError(f"Expect a non-negative number, but got {r}")
    if r == 0:
        return input.new_empty(0)
    choose = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    picks = np.array(list(choose(range(input.shape[0]), r)), np.int64).reshape(-1, r)
    from .shape import stack

    return stack([input[Tensor._make(picks[:, k].copy())] for k in range(r)], 1)


@torch_api(method=False)
def block_diag(*tensors):
    blocks = []
    for i, t in enumerate(tensors):
        if t.dim() > 2:
            raise RuntimeError(
                f"torch.block_diag: Input tensors must have 2 or fewer dimensions. Input {i} has {t.dim()} dimensions"
            )
        blocks.append(t.reshape(1, -1) if t.dim() < 2 else t)
    dt = _dtype.result_type(*tensors) if tensors else _dtype.get_default_dtype()
    width = sum(b.shape[1] for b in blocks)
    from .creation import zeros

    device = tensors[0].device if tensors else None
    rows, col = [], 0
    for b in blocks:
        h, w = b.shape
        parts = [zeros(h, col, dtype=dt, device=device), b.to(dt), zeros(h, width - col - w, dtype=dt, device=device)]
        rows.append(_cat(parts, 1))
        col += w
    if not rows:
        return zeros(1, 0, dtype=dt)
    return named(_cat(rows, 0), "BlockDiagBackward0")


def _spacing(y, x, dx, d, name):
    """The spacing between samples along dim d: dx (a number) or the differences of x."""
    if x is None:
        return 1 if dx is None else dx
    if dx is not None:
        raise TypeError(f"{name}() received an invalid combination of arguments: x and dx are exclusive")
    if not isinstance(x, Tensor):
        return x
    if x.dim() == 1:
        if x.shape[0] != y.shape[d]:
            raise RuntimeError(f"{name}: There must be one `x` value for each sample point")
        return x.diff().reshape([-1 if i == d else 1 for i in range(y.dim())])
    return x.diff(dim=d - y.dim())


@torch_api(method=False)
def trapezoid(y, x=None, *, dx=None, dim=-1):
    d = y._dim(dim)
    spacing = _spacing(y, x, dx, d, "trapezoid")
    n = y.shape[d]
    if n == 0:
        return y.sum(d) * 0
    if isinstance(spacing, Tensor):
        return ((y.narrow(d, 1, n - 1) + y.narrow(d, 0, n - 1)) * spacing).sum(d) / 2
    return (y.sum(d) - (y.select(d, 0) + y.select(d, -1)) * 0.5) * spacing


@torch_api(method=False)
def trapz(y, x=None, *, dx=None, dim=-1):
    return trapezoid(y, x, dx=dx, dim=dim)


@torch_api(method=False)
def cumulative_trapezoid(y, x=None, *, dx=None, dim=-1):
    d = y._dim(dim)
    spacing = _spacing(y, x, dx, d, "cumulative_trapezoid")
    n = y.shape[d]
    pairs = y.narrow(d, 1, max(n - 1, 0)) + y.narrow(d, 0, max(n - 1, 0))
    return (pairs * spacing / 2).cumsum(d)


@torch_api(method=False)
def vander(x, N=None, increasing=False):
    if x.dim() != 1:
        raise RuntimeError("x must be a one-dimensional tensor.")
    n = x.shape[0] if N is None else N
    if n < 0:
        raise RuntimeError("N must be non-negative.")
    if not x.is_floating_point():
        x = x.to(_dtype.int64)
    from .creation import ones

    result = ones(x.shape[0], min(n, 1), dtype=x.dtype, device=x.device)
    if n > 1:
        powers = x.unsqueeze(1).expand(x.shape[0], n - 1).cumprod(1)
        result = _cat([result, powers], 1)
    return result if increasing else result.flip(1)


class LogCumSumExp(Op):
    _node_name = "LogcumsumexpBackward0"

    @staticmethod
    def forward(ctx, x, dim):
        ctx.dim = dim
        with np.errstate(all="ignore"):
            y = accumulate("logaddexp", x, dim) if x.size else x.copy()
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx, g):
        # dx_i = sum_{j >= i} g_j exp(x_i - y_j), summed in log space for each sign of g, as torch does
        x, y = ctx.saved_tensors
        d = ctx.dim
        from .elementwise import where

        def part(mask):
            log_terms = where(mask, g.abs().log() - y, float("-inf"))
            return (x + log_terms.flip(d).logcumsumexp(d).flip(d)).exp()

        return part(g > 0) - part(g < 0), None


@torch_api()
def logcumsumexp(input, dim):
    if not input.is_floating_point():
        raise NotImplementedError(
            f'"logcumsumexp_out_cpu" not implemented for '
            f"'{_dtype.scalar_type_name(input.dtype)}' (convert the input with .float())"
        )
    if input.dim() == 0:
        return input.clone()
    return LogCumSumExp.apply(input, input._dim(dim))


@torch_api(inplace=True)
def renorm(input, p, dim, maxnorm):
    if p <= 0:
        raise RuntimeError("renorm: non-positive-norm not supported")
    if maxnorm < 0:
        raise RuntimeError(f"renorm: expected maxnorm to be >= 0 but got {maxnorm}")
    d = input._dim(dim)
    others = [i for i in range(input.dim()) if i != d]
    norms = input.norm(p, others, keepdim=True) if others else input.abs()
    from .elementwise import where

    factor = where(norms > maxnorm, maxnorm / (norms + 1e-7), 1.0)
    return named(input * factor, "RenormBackward0")


@torch_api()
def histogram(input, bins, *, range=None, weight=None, density=False):
    if not input.is_floating_point():
        raise RuntimeError(
            f"torch.histogram: input tensor and bins tensors should have the same dtype, but "
            f"got input {_dtype.scalar_type_name(input.dtype)} (histogram takes floating point input)"
        )
    # counted on the host (torch's histogram is a CPU kernel); the results go to the input's device
    arr = to_host(input._data).reshape(-1)
    if isinstance(bins, Tensor):
        edges = to_host(bins._data)
    elif isinstance(bins, (list, tuple)):
        edges = np.asarray(bins, arr.dtype)
    else:
        if range is not None:
            lo, hi = range
        else:
            lo, hi = (float(arr.min()), float(arr.max())) if arr.size else (0.0, 0.0)
        if lo > hi:
            raise RuntimeError(f"torch.histogram: max must be larger than min (got range {lo} to {hi})")
        if lo == hi:
            lo, hi = lo - 0.5, hi + 0.5
        from .creation import _linspace

        edges = _linspace(np, lo, hi, int(bins) + 1, arr.dtype)
    w = None if weight is None else to_host(weight._data).reshape(-1)
    hist, _ = np.histogram(arr, edges, weights=w, density=density)
    from .creation import tensor

    result = return_type("histogram", ["hist", "bin_edges"])
    return result(
        tensor(hist.astype(arr.dtype), device=input.device), tensor(edges.astype(arr.dtype), device=input.device)
    )
