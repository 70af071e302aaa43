"""Reductions (sum, mean, var, max, ...), scans (cumsum, cumprod) and softmax/log_softmax."""
import builtins
import math
import warnings

import numpy as np

from .. import _dtype
from .._backend import accumulate, array_module
from ..autograd.function import Op, renamed
from ..amp.autocast_mode import full_precision_on_cuda
from ._registry import named, torch_api
from .._tensor import Tensor
from ..return_types import return_type

values_indices = {name: return_type(name, ["values", "indices"])
                  for name in ("max", "min", "median", "mode", "kthvalue", "sort", "topk", "cummax", "cummin")}


def _T():
    return Tensor


def _dims(input, dim):
    """Normalised reduction dims as a sorted tuple, or None for all dims."""
    if dim is None:
        return None
    if input._data.ndim == 0:           # a 0-d tensor accepts dim 0 / -1: reducing it reduces everything
        input._dim(dim) if not isinstance(dim, (list, tuple)) else [input._dim(d) for d in dim]
        return None
    if isinstance(dim, (list, tuple)):
        if len(dim) == 0:
            return None
        return tuple(sorted(input._dim(d) for d in dim))
    return (input._dim(dim),)


def _expand_back(g, in_shape, dims, keepdim):
    """Broadcast a reduced gradient back over the reduced dims."""
    if dims is None:
        dims = tuple(range(len(in_shape)))
    if not keepdim:
        shape = list(in_shape)
        for d in dims:
            shape[d] = 1
        g = g.reshape(tuple(shape))
    return g.expand(in_shape)


class _ReducedGradBroadcast(Op):
    """sum/mean's backward as one node (was a reshape op then an expand op): the reduced gradient
    broadcast back over the reduced dims. Its own backward sums back, so double backward holds."""
    _node_name = "ExpandBackward0"

    @staticmethod
    def forward(ctx, g, in_shape, dims, keepdim):
        ctx.dims, ctx.keepdim = dims, keepdim
        return _broadcast_reduced(g, in_shape, dims, keepdim)

    @staticmethod
    def backward(ctx, gg):
        return Sum.apply(gg, ctx.dims, ctx.keepdim, None), None, None, None


def _broadcast_reduced(g, in_shape, dims, keepdim):
    """The array math of _ReducedGradBroadcast: a read-only broadcast view, no copy (a small full
    reduction is filled instead: np.broadcast_to costs more than writing a few thousand values)."""
    if dims is None and (type(g) is np.ndarray or isinstance(g, np.generic)) and g.ndim == 0 and \
            math.prod(in_shape) <= 4096:
        out = np.empty(in_shape, g.dtype)
        out.fill(g)
        return out
    if dims is not None and not keepdim:
        g = g.reshape(tuple([1 if d in dims else n for d, n in enumerate(in_shape)]))
    return array_module(g).broadcast_to(g, in_shape)


def _reduced_grad_broadcast(g, in_shape, dims, keepdim):
    """sum/mean backward: an op on Tensors (differentiable), the array math itself on arrays."""
    if isinstance(g, Tensor):
        return _ReducedGradBroadcast.apply(g, in_shape, dims, keepdim)
    return _broadcast_reduced(g, in_shape, dims, keepdim)


class Sum(Op):
    array_backward = True

    @staticmethod
    def forward(ctx, x, dims, keepdim, np_dtype):
        ctx.in_shape, ctx.dims, ctx.keepdim = x.shape, dims, keepdim
        if dims is not None:
            ctx.__class__ = _SUM_DIM
        return x.sum(axis=dims, keepdims=keepdim, dtype=np_dtype)

    @staticmethod
    def backward(ctx, g):
        return _reduced_grad_broadcast(g, ctx.in_shape, ctx.dims, ctx.keepdim), None, None, None


_SUM_DIM = renamed(Sum, "SumBackward1")      # torch's node for a reduction over given dims


def _accumulate_dtype(input, dtype):
    """The NumPy dtype sum/prod/cumsum/cumprod compute in: as asked, else int64 for integer and bool input."""
    if dtype is not None:
        return _dtype.as_dtype(dtype).np
    return None if input._data.dtype in _dtype._DIFFERENTIABLE_NP else np.int64


@torch_api()
def sum(input, dim=None, keepdim=False, *, dtype=None):
    return Sum.apply(input, _dims(input, dim), keepdim, _accumulate_dtype(input, dtype))


@torch_api()
def nansum(input, dim=None, keepdim=False, *, dtype=None):
    from .elementwise import where
    return sum(where(input.isnan(), 0.0, input), dim, keepdim, dtype=dtype)


def _float_required(name, input, dtype):
    if dtype is not None:
        return input.to(dtype)
    if input._data.dtype not in _dtype._DIFFERENTIABLE_NP:
        raise RuntimeError(f"{name}(): could not infer output dtype. Input dtype must be either a floating point "
                           f"or complex dtype. Got: {_dtype.scalar_type_name(input.dtype)} (convert with .float())")
    return input


def _count(shape, dims):
    n = 1
    for d in (range(len(shape)) if dims is None else dims):
        n *= shape[d]
    return n


@torch_api()
def mean(input, dim=None, keepdim=False, *, dtype=None):
    input = _float_required("mean", input, dtype)
    if input._data.size == 0:
        with warnings.catch_warnings():     # NumPy's "Mean of empty slice": torch gives nan silently
            warnings.simplefilter("ignore", RuntimeWarning)
            return Mean.apply(input, _dims(input, dim), keepdim)
    return Mean.apply(input, _dims(input, dim), keepdim)


class Mean(Op):
    array_backward = True

    @staticmethod
    def forward(ctx, x, dims, keepdim):
        ctx.in_shape, ctx.dims, ctx.keepdim = x.shape, dims, keepdim
        ctx.count = _count(x.shape, dims)
        if dims is not None:
            ctx.__class__ = _MEAN_DIM
        with np.errstate(all="ignore"):         # mean over zero elements is nan, as torch
            y = x.mean(axis=dims, keepdims=keepdim)
        return y.astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        return _reduced_grad_broadcast(g / builtins.max(ctx.count, 1), ctx.in_shape, ctx.dims, ctx.keepdim), \
            None, None


_MEAN_DIM = renamed(Mean, "MeanBackward1")      # torch's node for a reduction over given dims


@torch_api()
def nanmean(input, dim=None, keepdim=False, *, dtype=None):
    if dtype is not None:
        input = input.to(dtype)
    keep = input.isnan().logical_not()
    return nansum(input, dim, keepdim) / keep.sum(dim, keepdim)


class Prod(Op):
    @staticmethod
    def forward(ctx, x, dims, keepdim, np_dtype):
        ctx.in_shape, ctx.dims, ctx.keepdim = x.shape, dims, keepdim
        if dims is not None:
            ctx.__class__ = _PROD_DIM
        y = x.prod(axis=dims, keepdims=keepdim, dtype=np_dtype)
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        gy = _expand_back(g * y, ctx.in_shape, ctx.dims, ctx.keepdim)
        if bool((x == 0).any()):
            # products of all the other elements, without dividing by zero
            dims = ctx.dims if ctx.dims is not None else tuple(range(x.dim()))
            flat = x.movedim(dims, tuple(range(-len(dims), 0))).flatten(-len(dims)) if dims else x.unsqueeze(-1)
            n = flat.shape[-1]
            left = _exclusive_cumprod(flat)
            right = _exclusive_cumprod(flat.flip(-1)).flip(-1)
            others = (left * right).reshape(x.movedim(dims, tuple(range(-len(dims), 0))).shape) if n else flat
            others = others.movedim(tuple(range(-len(dims), 0)), dims)
            return _expand_back(g, ctx.in_shape, ctx.dims, ctx.keepdim) * others, None, None, None
        return gy / x, None, None, None


_PROD_DIM = renamed(Prod, "ProdBackward1")      # torch's node for a reduction over given dims


def _exclusive_cumprod(t):
    ones = t.narrow(-1, 0, 1) * 0 + 1
    from .shape import cat
    return cat([ones, t.narrow(-1, 0, t.shape[-1] - 1)], -1).cumprod(-1)


@torch_api()
def prod(input, dim=None, keepdim=False, *, dtype=None):
    np_dtype = _accumulate_dtype(input, dtype)
    return Prod.apply(input, _dims(input, dim), keepdim, np_dtype)


class Var(Op):
    @staticmethod
    def forward(ctx, x, dims, correction, keepdim):
        ctx.in_shape, ctx.dims, ctx.keepdim = x.shape, dims, keepdim
        n = _count(x.shape, dims)
        ctx.denom = builtins.max(n - correction, 0)
        ctx.save_for_backward(x)
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)     # NumPy's "Degrees of freedom <= 0": nan, as torch
            return x.var(axis=dims, ddof=correction, keepdims=keepdim)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        centered = x - x.mean(dim=ctx.dims, keepdim=True)
        return _expand_back(g, ctx.in_shape, ctx.dims, ctx.keepdim) * centered * (2.0 / ctx.denom), None, None, None


def _correction(unbiased, correction):
    if correction is not None:
        return correction
    return 1 if unbiased in (None, True) else 0


def _var(name, input, dim, unbiased, keepdim, correction):
    if isinstance(unbiased, (int,)) and not isinstance(unbiased, bool) and dim is None:
        dim, unbiased = unbiased, None
    input = _float_required(name, input, None)
    dims, correction = _dims(input, dim), _correction(unbiased, correction)
    count = _count(input.shape, dims)
    if count - correction <= 0:
        warnings.warn(f"{name}(): degrees of freedom is <= 0. Correction should be strictly less than the "
                      "reduction factor (input numel divided by output numel).", UserWarning, stacklevel=3)
    if input._data.dtype.itemsize < 4:
        # float16/bfloat16 accumulate in float32 as torch does (a float16 square overflows near 65504)
        out = Var.apply(input.float(), dims, correction, keepdim)
        return (out.sqrt() if name == "std" else out).to(input.dtype)
    out = Var.apply(input, dims, correction, keepdim)
    return out.sqrt() if name == "std" else out


@torch_api()
def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return _var("var", input, dim, unbiased, keepdim, correction)


@torch_api()
def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return named(_var("std", input, dim, unbiased, keepdim, correction), "StdBackward0")


@torch_api(method=False)
def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return var(input, dim, unbiased, keepdim, correction=correction), mean(input, dim, keepdim)


@torch_api(method=False)
def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return std(input, dim, unbiased, keepdim, correction=correction), mean(input, dim, keepdim)


class Norm2(Op):
    """The 2-norm with torch's zero gradient at 0 (composing sqrt(sum(x*x)) would give nan)."""
    _node_name = "LinalgVectorNormBackward0"

    @staticmethod
    def forward(ctx, x, dims, keepdim):
        ctx.in_shape, ctx.dims, ctx.keepdim = x.shape, dims, keepdim
        y = array_module(x).sqrt((x * x).sum(axis=dims, keepdims=keepdim))
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        from .elementwise import where
        safe = where(y == 0, 1.0, y)
        scale = where(y == 0, 0.0, g / safe)
        return x * _expand_back(scale, ctx.in_shape, ctx.dims, ctx.keepdim), None, None


@torch_api()
def norm(input, p="fro", dim=None, keepdim=False, dtype=None):
    if dtype is not None:
        input = input.to(dtype)
    input = _float_required("norm", input, None)
    if input.is_complex():      # the norm of complex numbers is that of their moduli
        input = input.abs()
    dims = _dims(input, dim)
    if p in ("fro", 2, 2.0, None):
        return Norm2.apply(input, dims, keepdim)
    if p == "nuc":
        return input.svd()[1].sum(-1)
    if p in (float("inf"), "inf"):
        return amax(input.abs(), dim if dim is not None else (), keepdim)
    if p in (float("-inf"), "-inf"):
        return amin(input.abs(), dim if dim is not None else (), keepdim)
    if p == 0:
        return (input != 0).to(input.dtype).sum(dim, keepdim)
    if p == 1:
        return named(input.abs().sum(dim, keepdim), "LinalgVectorNormBackward0")
    return named((input.abs() ** p).sum(dim, keepdim) ** (1.0 / p), "LinalgVectorNormBackward0")


@torch_api()
def dist(input, other, p=2):
    return norm(input - other, p)


class Extreme(Op):
    """amax/amin (and max/min without dim): ties share the gradient equally, as torch."""

    @staticmethod
    def forward(ctx, x, dims, keepdim, name):
        ctx.in_shape, ctx.dims, ctx.keepdim = x.shape, dims, keepdim
        if x.size == 0:
            if dims is None:
                raise RuntimeError(f"{name}(): Expected reduction dim to be specified for input.numel() == 0. "
                                   "Specify the reduction dim with the 'dim' argument.")
            empty = next((d for d in dims if x.shape[d] == 0), None)
            if empty is not None:
                raise IndexError(f"{name}(): Expected reduction dim {empty} to have non-zero size.")
        y = (x.max if name in ("max", "amax") else x.min)(axis=dims, keepdims=keepdim)
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        yk = _expand_back(y, ctx.in_shape, ctx.dims, ctx.keepdim)
        mask = (x == yk).to(g.dtype)
        count = mask.sum(dim=ctx.dims, keepdim=True)
        return mask / count * _expand_back(g, ctx.in_shape, ctx.dims, ctx.keepdim), None, None, None


class MaxAll(Extreme):
    _node_name = "MaxBackward1"


class MinAll(Extreme):
    _node_name = "MinBackward1"


class Amax(Extreme):
    pass


class Amin(Extreme):
    pass


class ValuesAt(Op):
    """The input's values at `index` along `dim` (None: at a flat position), squeezed unless keepdim: the
    values of max/min/median/kthvalue along a dim, one node as torch's (MaxBackward0 ...)."""

    @staticmethod
    def forward(ctx, x, dim, index, keepdim):
        ctx.in_shape, ctx.dim, ctx.index, ctx.keepdim = x.shape, dim, index, keepdim
        if dim is None:
            return x.reshape(-1)[index]
        values = array_module(x).take_along_axis(x, index, axis=dim)
        return values if keepdim else values.squeeze(dim)

    @staticmethod
    def backward(ctx, g):
        from .index import ScatterAdd
        if ctx.dim is None:
            zeros = Tensor._make(array_module(g._data).zeros((math.prod(ctx.in_shape),), g._data.dtype))
            return ScatterAdd.apply(zeros, 0, ctx.index.reshape(1), g.reshape(1)).reshape(ctx.in_shape), None, None, \
                None
        if not ctx.keepdim:
            g = g.unsqueeze(ctx.dim)
        zeros = Tensor._make(array_module(g._data).zeros(ctx.in_shape, g._data.dtype))
        return ScatterAdd.apply(zeros, ctx.dim, ctx.index, g), None, None, None


_VALUES_AT = {name: renamed(ValuesAt, name) for name in ("MaxBackward0", "MinBackward0", "MedianBackward0",
                                                          "MedianBackward1", "KthvalueBackward0")}


def _reduce_dim_op(name, kernel, arg_kernel):
    def fn(input, dim=None, keepdim=False):
        from .elementwise import maximum, minimum
        if isinstance(dim, _T()):                      # max(a, b) is the elementwise maximum
            return (maximum if name == "max" else minimum)(input, dim)
        if dim is None:
            return (MaxAll if name == "max" else MinAll).apply(input, None, False, name)
        d = input._dim(dim)
        if input.shape[d] == 0 if input.dim() else False:
            raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")
        xp = array_module(input._data)
        if not input.dim():
            return values_indices[name](named(input.clone(), node_name), _T()._make(xp.zeros((), np.int64)))
        idx = xp.expand_dims(arg_kernel(input._data, axis=d), d)
        return values_indices[name](_VALUES_AT[node_name].apply(input, d, idx, keepdim),
                                    _T()._make(idx if keepdim else idx.squeeze(d)))
    node_name = name.capitalize() + "Backward0"
    fn.__name__ = name
    return fn


max = torch_api("max")(_reduce_dim_op("max", np.max, np.argmax))
min = torch_api("min")(_reduce_dim_op("min", np.min, np.argmin))


@torch_api()
def amax(input, dim=(), keepdim=False):
    return Amax.apply(input, _dims(input, dim), keepdim, "amax")


@torch_api()
def amin(input, dim=(), keepdim=False):
    return Amin.apply(input, _dims(input, dim), keepdim, "amin")


@torch_api(method=False)
def aminmax(input, *, dim=None, keepdim=False):
    return return_type("aminmax", ["min", "max"])(amin(input, () if dim is None else dim, keepdim),
                                                  amax(input, () if dim is None else dim, keepdim))


class NoGrad(Op):
    differentiable = False

    @staticmethod
    def forward(ctx, x, kernel):
        return kernel(x)


def _arg(kernel):
    name = kernel.__name__

    def fn(input, dim=None, keepdim=False):
        if input._data.dtype == np.bool_:
            raise RuntimeError(f"{name}(): does not support bool input (convert with .int())")
        if dim is None and input._data.size == 0:
            raise IndexError(f"{name}(): Expected reduction dim to be specified for input.numel() == 0.")
        d = None if dim is None else input._dim(dim)
        if d is not None and input._data.ndim and input.shape[d] == 0:
            raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")
        if d is None or input._data.ndim == 0:
            out = NoGrad.apply(input, lambda x: array_module(x).asarray(kernel(x.reshape(-1))).astype(np.int64))
            return out.reshape([1] * input.dim()) if keepdim else out
        return NoGrad.apply(input, lambda x: array_module(x).asarray(kernel(x, axis=d, keepdims=keepdim))
                            .astype(np.int64))
    return fn


argmax = torch_api("argmax")(_arg(np.argmax))
argmin = torch_api("argmin")(_arg(np.argmin))


def _bool_reduce(kernel):
    def fn(input, dim=None, keepdim=False):
        dims = _dims(input, dim)
        # uint8 input gives uint8, as torch (its pre-bool convention); every other dtype gives bool
        out_dtype = np.uint8 if input._data.dtype == np.uint8 else np.bool_
        return NoGrad.apply(input, lambda x: array_module(x).asarray(kernel(x, axis=dims, keepdims=keepdim))
                            .astype(out_dtype, copy=False))
    return fn


all = torch_api("all")(_bool_reduce(np.all))
any = torch_api("any")(_bool_reduce(np.any))


@torch_api()
def count_nonzero(input, dim=None):
    dims = _dims(input, dim)
    return NoGrad.apply(input, lambda x: array_module(x).asarray(np.count_nonzero(x, axis=dims)).astype(np.int64))


def _kth(name, node, input, k, dim, keepdim):
    """k-th smallest (0-based k) along dim, with its index: median, kthvalue (node: torch's node name)."""
    xp = array_module(input._data)
    if not input.dim():
        return values_indices[name](named(input.clone(), node), _T()._make(xp.zeros((), np.int64)))
    d = input._dim(dim)
    order = xp.argsort(input._data, axis=d, kind="stable")
    idx = order[(slice(None),) * d + (slice(k, k + 1),)].astype(np.int64)
    return values_indices[name](_VALUES_AT[node].apply(input, d, idx, keepdim),
                                _T()._make(idx if keepdim else idx.squeeze(d)))


@torch_api()
def median(input, dim=None, keepdim=False):
    if dim is None:
        if input.numel() == 0:
            from .creation import tensor
            return tensor(float("nan"), dtype=input.dtype, device=input.device)
        flat = input._data.reshape(-1)
        position = array_module(flat).argsort(flat, kind="stable")[(flat.size - 1) // 2]
        return _VALUES_AT["MedianBackward0"].apply(input, None, position, False)
    n = input.shape[input._dim(dim)] if input.dim() else 1
    return _kth("median", "MedianBackward1", input, (n - 1) // 2, dim, keepdim)


@torch_api()
def nanmedian(input, dim=None, keepdim=False):
    return median(input, dim, keepdim) if dim is not None else median(input[~input.isnan()])


@torch_api()
def kthvalue(input, k, dim=-1, keepdim=False):
    n = input.shape[input._dim(dim)] if input.dim() else 1
    if not 1 <= k <= n:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {dim}")
    return _kth("kthvalue", "KthvalueBackward0", input, k - 1, dim, keepdim)


@torch_api()
def quantile(input, q, dim=None, keepdim=False, *, interpolation="linear"):
    arr = input._data
    xp = array_module(arr)
    qs = q._data if isinstance(q, _T()) else np.asarray(q) if isinstance(q, (list, tuple)) else q
    return _T()._make(xp.asarray(xp.quantile(arr, qs, axis=dim, keepdims=keepdim, method=interpolation))
                      .astype(arr.dtype, copy=False))


@torch_api()
def mode(input, dim=-1, keepdim=False):
    from .index import gather
    d = input._dim(dim) if input.dim() else 0
    xp = array_module(input._data)
    arr = xp.moveaxis(input._data if input.dim() else input._data.reshape(1), d, -1)
    flat = arr.reshape(-1, arr.shape[-1])
    rows, n = flat.shape
    # all rows at once: in each sorted row the longest run of equal values (the first, i.e. the smallest
    # value, among equally long ones) is the mode; its index is its last occurrence in the row
    ordered = xp.sort(flat, axis=1)
    starts = xp.concatenate([xp.ones((rows, 1), np.bool_), ordered[:, 1:] != ordered[:, :-1]], axis=1)
    run = xp.cumsum(starts, axis=1) - 1
    lengths = xp.bincount((xp.arange(rows)[:, None] * n + run).ravel(), minlength=rows * n).reshape(rows, n)
    first = xp.argmax(run == xp.argmax(lengths, axis=1)[:, None], axis=1)
    value = xp.take_along_axis(ordered, first[:, None], axis=1)
    idxs = n - 1 - xp.argmax((flat == value)[:, ::-1], axis=1)
    idx = _T()._make(xp.expand_dims(idxs.reshape(arr.shape[:-1]).astype(np.int64), d))
    src = input if input.dim() else input.reshape(1)
    values = gather(src, d, idx)
    if not keepdim:
        values, idx = values.squeeze(d), idx.squeeze(d)
    return values_indices["mode"](values, idx)


class Cumsum(Op):
    @staticmethod
    def forward(ctx, x, dim, np_dtype):
        ctx.dim = dim
        return array_module(x).cumsum(x, axis=dim, dtype=np_dtype)

    @staticmethod
    def backward(ctx, g):
        d = ctx.dim
        return g.flip(d).cumsum(d).flip(d), None, None


@torch_api(inplace=True)
def cumsum(input, dim, *, dtype=None):
    np_dtype = _accumulate_dtype(input, dtype)
    if input.dim() == 0:
        return input.clone()
    return Cumsum.apply(input, input._dim(dim), np_dtype)


class Cumprod(Op):
    @staticmethod
    def forward(ctx, x, dim, np_dtype):
        ctx.dim = dim
        y = array_module(x).cumprod(x, axis=dim, dtype=np_dtype)
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        d = ctx.dim
        if bool((x == 0).any()):
            return _cumprod_backward_with_zeros(g, x, d), None, None
        return (g * y).flip(d).cumsum(d).flip(d) / x, None, None


def _cumprod_backward_with_zeros(g, x, d):
    """d y_j / d x_k = prod_{i<=j, i!=k} x_i for j >= k: build that [k, j] matrix with x_k set to 1,
    instead of dividing by x (O(n^2) in the scanned dim, used only when x holds zeros)."""
    from .creation import eye
    from .elementwise import where
    xm, gm = x.movedim(d, -1), g.movedim(d, -1)
    n = xm.shape[-1]
    others = where(eye(n, dtype=_dtype.bool, device=x.device), 1.0, xm.unsqueeze(-2).expand(*xm.shape[:-1], n, n))
    partial_products = others.cumprod(-1).triu()
    return (partial_products * gm.unsqueeze(-2)).sum(-1).movedim(-1, d)


@torch_api(inplace=True)
def cumprod(input, dim, *, dtype=None):
    np_dtype = _accumulate_dtype(input, dtype)
    if input.dim() == 0:
        return input.clone()
    return Cumprod.apply(input, input._dim(dim), np_dtype)


def _cum_extreme(name, kernel):
    def fn(input, dim):
        from .index import gather
        d = input._dim(dim)
        arr = input._data
        xp = array_module(arr)
        vals = accumulate(kernel, arr, d)
        pos = xp.broadcast_to(xp.arange(arr.shape[d]).reshape([-1] + [1] * (arr.ndim - d - 1)), arr.shape)
        hit = xp.where(arr == vals, pos, -1)
        idx = accumulate("maximum", hit, d).astype(np.int64)
        idx_t = _T()._make(idx)
        return values_indices[name](gather(input, d, idx_t), idx_t)
    return fn


cummax = torch_api("cummax")(_cum_extreme("cummax", "maximum"))
cummin = torch_api("cummin")(_cum_extreme("cummin", "minimum"))


class LogSumExp(Op):
    _node_name = "LogsumexpBackward0"
    @staticmethod
    def forward(ctx, x, dims, keepdim):
        xp = array_module(x)
        ctx.in_shape, ctx.dims, ctx.keepdim = x.shape, dims, keepdim
        m = x.max(axis=dims, keepdims=True) if x.size else xp.zeros((1,) * x.ndim, x.dtype)
        m = xp.where(xp.isfinite(m), m, 0)
        with np.errstate(all="ignore"):
            y = xp.log(xp.exp(x - m).sum(axis=dims, keepdims=True)) + m
        ctx.save_for_backward(x, y)
        return y if keepdim else y.squeeze(axis=dims) if dims is not None else y.reshape(())

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        return _expand_back(g, ctx.in_shape, ctx.dims, ctx.keepdim) * (x - y).exp(), None, None


@torch_api()
def logsumexp(input, dim, keepdim=False):
    if not _dtype.is_float_array(input._data):
        input = input.to(_dtype.get_default_dtype())
    return LogSumExp.apply(input, _dims(input, dim), keepdim)


class Softmax(Op):
    array_backward = True     # the backward's Tensor and array forms below

    @staticmethod
    def forward(ctx, x, dim):
        xp = array_module(x)
        ctx.dim = dim
        with np.errstate(all="ignore"):
            e = xp.exp(x - x.max(axis=dim, keepdims=True)) if x.size else x.copy()
            y = e / e.sum(axis=dim, keepdims=True)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        if isinstance(g, Tensor):
            return y * (g - (g * y).sum(ctx.dim, keepdim=True)), None
        return y * (g - (g * y).sum(axis=ctx.dim, keepdims=True)), None


class LogSoftmax(Op):
    array_backward = True

    @staticmethod
    def forward(ctx, x, dim):
        xp = array_module(x)
        ctx.dim = dim
        with np.errstate(all="ignore"):
            shifted = x - x.max(axis=dim, keepdims=True) if x.size else x.copy()
            y = shifted - xp.log(xp.exp(shifted).sum(axis=dim, keepdims=True))
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        if isinstance(g, Tensor):
            return g - y.exp() * g.sum(ctx.dim, keepdim=True), None
        return g - array_module(y).exp(y) * g.sum(axis=ctx.dim, keepdims=True), None


def _softmax_dim(input, dim, name):
    if dim is None:
        # torch's legacy implicit choice, kept for old code
        dim = 0 if input.dim() in (0, 1, 3) else 1
    return input._dim(dim) if input.dim() else 0


@torch_api()
def softmax(input, dim=None, dtype=None, _stacklevel=3):
    (input,) = full_precision_on_cuda(input)
    if dtype is not None:
        input = input.to(dtype)
    elif not input.is_floating_point():
        input = input.to(_dtype.get_default_dtype())
    return Softmax.apply(input, _softmax_dim(input, dim, "softmax"))


@torch_api()
def log_softmax(input, dim=None, dtype=None, _stacklevel=3):
    (input,) = full_precision_on_cuda(input)
    if dtype is not None:
        input = input.to(dtype)
    elif not input.is_floating_point():
        input = input.to(_dtype.get_default_dtype())
    return LogSoftmax.apply(input, _softmax_dim(input, dim, "log_softmax"))
