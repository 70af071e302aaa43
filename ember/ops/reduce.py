"""Reductions (sum, mean, var, max, ...), scans (cumsum, cumprod) and softmax/log_softmax."""

import builtins
import math
import warnings

import numpy as np

from .. import _dtype
from .._backend import accumulate, array_module, is_half_precision
from ..autograd.function import Op, renamed
from ..amp.autocast_mode import full_precision_on_cuda
from ._registry import named, torch_api
from .._tensor import Tensor
from ..return_types import return_type

values_indices = {
    name: return_type(name, ["values", "indices"])
    for name in ("max", "min", "median", "nanmedian", "mode", "kthvalue", "sort", "topk", "cummax", "cummin")
}


def accumulation_dtype(dtype):
    """torch's CPU acc_type for reductions: float32 for float16/bfloat16 (rounding a running bfloat16
    sum stalls: 100000 x 0.1 would sum to 32), else the dtype itself."""
    return np.dtype(np.float32) if is_half_precision(dtype) else dtype


def widened(x):
    """A float16/bfloat16 array as float32 (see accumulation_dtype); any other array as it is."""
    return x.astype(np.float32) if is_half_precision(x.dtype) else x


def _scan_dtype(x, np_dtype):
    """The dtype cumsum/cumprod accumulate in: torch's CPU acc_type (float32 for float16/bfloat16, float64
    for float32), unless a dtype was asked for."""
    if np_dtype is not None:
        return np_dtype
    if is_half_precision(x.dtype):
        return np.float32
    return np.float64 if x.dtype == np.float32 else None


def _zero_d_dim(input, dim):
    """The dim of a 0-d tensor, which accepts 0 and -1, as the 0 of its one-element view."""
    input._dim(dim)
    return 0


def _dims(input, dim):
    """Normalised reduction dims as a sorted tuple, or None for all dims."""
    if dim is None:
        return None
    if input._data.ndim == 0:  # a 0-d tensor accepts dim 0 / -1: reducing it reduces everything
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
    """sum/mean's backward as one node (not a reshape then an expand): the reduced gradient
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
    if (
        dims is None
        and (type(g) is np.ndarray or isinstance(g, np.generic))
        and g.ndim == 0
        and math.prod(in_shape) <= 4096
    ):
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
        if np_dtype is None and is_half_precision(x.dtype):
            return x.sum(axis=dims, keepdims=keepdim, dtype=np.float32).astype(x.dtype)
        return x.sum(axis=dims, keepdims=keepdim, dtype=np_dtype)

    @staticmethod
    def backward(ctx, g):
        return _reduced_grad_broadcast(g, ctx.in_shape, ctx.dims, ctx.keepdim), None, None, None


_SUM_DIM = renamed(Sum, "SumBackward1")  # torch's node for a reduction over given dims


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
    if not _dtype.is_float_array(input._data):  # no NaN to skip: an integer sum (int64), as torch
        return sum(input, dim, keepdim, dtype=dtype)
    from .elementwise import where

    return sum(where(input.isnan(), 0.0, input), dim, keepdim, dtype=dtype)


def _float_required(name, input, dtype):
    if dtype is not None:
        return input.to(dtype)
    if input._data.dtype not in _dtype._DIFFERENTIABLE_NP:
        raise RuntimeError(
            f"{name}(): could not infer output dtype. Input dtype must be either a floating point "
            f"or complex dtype. Got: {_dtype.scalar_type_name(input.dtype)} (convert with .float())"
        )
    return input


def _count(shape, dims):
    n = 1
    for d in range(len(shape)) if dims is None else dims:
        n *= shape[d]
    return n


@torch_api()
def mean(input, dim=None, keepdim=False, *, dtype=None):
    input = _float_required("mean", input, dtype)
    if input._data.size == 0:
        with warnings.catch_warnings():  # NumPy's "Mean of empty slice": torch gives nan silently
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
        with np.errstate(all="ignore"):  # mean over zero elements is nan, as torch
            y = x.mean(axis=dims, keepdims=keepdim, dtype=np.float32 if is_half_precision(x.dtype) else None)
        return y.astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        return _reduced_grad_broadcast(g / builtins.max(ctx.count, 1), ctx.in_shape, ctx.dims, ctx.keepdim), None, None


_MEAN_DIM = renamed(Mean, "MeanBackward1")  # torch's node for a reduction over given dims


@torch_api()
def nanmean(input, dim=None, keepdim=False, *, dtype=None):
    if not _dtype.is_float_array(input._data):
        raise RuntimeError(
            f"nanmean(): expected input to have floating point or complex dtype but got "
            f"{_dtype.scalar_type_name(input.dtype)}"
        )
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
        if np_dtype is None and is_half_precision(x.dtype):
            y = x.prod(axis=dims, keepdims=keepdim, dtype=np.float32).astype(x.dtype)
        else:
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


_PROD_DIM = renamed(Prod, "ProdBackward1")  # torch's node for a reduction over given dims


def _exclusive_cumprod(t):
    ones = t.narrow(-1, 0, 1) * 0 + 1
    from .shape import cat

    return cat([ones, t.narrow(-1, 0, t.shape[-1] - 1)], -1).cumprod(-1)


@torch_api()
def prod(input, dim=None, keepdim=False, *, dtype=None):
    np_dtype = _accumulate_dtype(input, dtype)
    return Prod.apply(input, _dims(input, dim), keepdim, np_dtype)


class Var(Op):
    """var, or std when `root`: computed in float32 for float16/bfloat16 (a float16 square overflows near
    65504), with torch's var_backward/std_backward at zero degrees of freedom and zero deviation."""

    @staticmethod
    def forward(ctx, x, dims, correction, keepdim, root):
        ctx.in_shape, ctx.dims, ctx.keepdim, ctx.root = x.shape, dims, keepdim, root
        ctx.dof = _count(x.shape, dims) - correction
        if root:
            ctx.__class__ = _STD
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # NumPy's "Degrees of freedom <= 0": nan, as torch
            y = widened(x).var(axis=dims, ddof=correction, keepdims=keepdim)
            if root:
                y = array_module(x).sqrt(y)
        if is_half_precision(x.dtype):
            y = y.astype(x.dtype)  # (a complex input's variance is real: no cast back for it)
        ctx.save_for_backward(x, y if root else None)
        return y

    @staticmethod
    def backward(ctx, g):
        from .elementwise import where

        x, y = ctx.saved_tensors
        if ctx.root:  # a constant input has std 0: torch gives it a zero gradient, not 0/0
            g = where(y == 0, 0.0, g / (2 * y))
        g = _expand_back(g, ctx.in_shape, ctx.dims, ctx.keepdim)
        centered = x - x.mean(dim=ctx.dims, keepdim=True)
        if ctx.dims is None and ctx.dof <= 0:
            return g * where(centered == 0, math.nan, math.inf), None, None, None, None
        return g * centered * (2.0 / ctx.dof if ctx.dof else math.inf), None, None, None, None


_STD = renamed(Var, "StdBackward0")


def _correction(unbiased, correction):
    if correction is not None:
        return correction
    return 1 if unbiased in (None, True) else 0


def _var(name, input, dim, unbiased, keepdim, correction):
    if isinstance(unbiased, (int,)) and not isinstance(unbiased, bool) and dim is None:
        dim, unbiased = unbiased, None
    if input._data.dtype not in _dtype._DIFFERENTIABLE_NP:
        raise RuntimeError(
            f"std and var only support floating point and complex dtypes ({name}() got "
            f"{_dtype.scalar_type_name(input.dtype)}; convert with .float())"
        )
    dims, correction = _dims(input, dim), _correction(unbiased, correction)
    count = _count(input.shape, dims)
    if count - correction <= 0:
        warnings.warn(
            f"{name}(): degrees of freedom is <= 0. Correction should be strictly less than the "
            "reduction factor (input numel divided by output numel).",
            UserWarning,
            stacklevel=3,
        )
    return Var.apply(input, dims, correction, keepdim, name == "std")


@torch_api()
def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return _var("var", input, dim, unbiased, keepdim, correction)


@torch_api()
def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return _var("std", input, dim, unbiased, keepdim, correction)


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
        w = widened(x)
        y = array_module(x).sqrt((w * w).sum(axis=dims, keepdims=keepdim)).astype(x.dtype, copy=False)
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        from .elementwise import where

        y = _expand_back(y, ctx.in_shape, ctx.dims, ctx.keepdim)
        direction = where(y == 0, 0.0, x / where(y == 0, 1.0, y))  # torch's x / norm, 0 at a zero norm
        return _expand_back(g, ctx.in_shape, ctx.dims, ctx.keepdim) * direction, None, None


class NormP(Op):
    """The vector p-norm for p other than 1, 2 and +-inf, with torch's linalg_vector_norm_backward: no
    gradient where the norm is 0 (composing (sum |x|^p)^(1/p) would give 0 * inf there)."""

    _node_name = "LinalgVectorNormBackward0"

    @staticmethod
    def forward(ctx, x, p, dims, keepdim, zero_grad_for_p0=False):
        ctx.p, ctx.in_shape, ctx.dims, ctx.keepdim = p, x.shape, dims, keepdim
        ctx.zero_grad_for_p0 = zero_grad_for_p0
        xp = array_module(x)
        w = widened(x)
        with np.errstate(all="ignore"):
            if p == 0:
                y = (w != 0).sum(axis=dims, keepdims=keepdim, dtype=w.dtype)
            else:
                y = (xp.abs(w) ** p).sum(axis=dims, keepdims=keepdim) ** (1.0 / p)
        y = xp.asarray(y).astype(x.dtype, copy=False)
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx, g):
        from .elementwise import where

        x, y = ctx.saved_tensors
        p = ctx.p
        if p == 0:  # torch's norm backward gives no gradient at all (x.grad stays None), cdist's zeros
            return (x * 0 if ctx.zero_grad_for_p0 else None), None, None, None, None
        g = _expand_back(g, ctx.in_shape, ctx.dims, ctx.keepdim)
        y = _expand_back(y, ctx.in_shape, ctx.dims, ctx.keepdim)
        if p < 1:
            scaled = x.sgn() * where(x == 0, 0.0, x.abs() ** (p - 1))
            return scaled * g * y ** (1 - p), None, None, None, None
        scaled = x.sgn() * x.abs() ** (p - 1) if p < 2 else x * x.abs() ** (p - 2)
        return scaled * where(y == 0, 0.0, g / y ** (p - 1)), None, None, None, None


@torch_api()
def norm(input, p="fro", dim=None, keepdim=False, dtype=None):
    if dtype is not None:
        input = input.to(dtype)
    if input._data.dtype not in _dtype._DIFFERENTIABLE_NP:
        raise RuntimeError(
            f"linalg.vector_norm: Expected a floating point or complex tensor as input. Got "
            f"{_dtype.scalar_type_name(input.dtype)}"
        )
    if input.is_complex():  # the norm of complex numbers is that of their moduli
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
    if p == 1:
        return named(input.abs().sum(dim, keepdim), "LinalgVectorNormBackward0")
    return NormP.apply(input, p, dims, keepdim)


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
                raise RuntimeError(
                    f"{name}(): Expected reduction dim to be specified for input.numel() == 0. "
                    "Specify the reduction dim with the 'dim' argument."
                )
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

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        return _evenly_distribute(g, x, y), None, None, None


class MinAll(Extreme):
    _node_name = "MinBackward1"
    backward = staticmethod(MaxAll.backward)


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
            return (
                ScatterAdd.apply(zeros, 0, ctx.index.reshape(1), g.reshape(1)).reshape(ctx.in_shape),
                None,
                None,
                None,
            )
        if not ctx.keepdim:
            g = g.unsqueeze(ctx.dim)
        zeros = Tensor._make(array_module(g._data).zeros(ctx.in_shape, g._data.dtype))
        return ScatterAdd.apply(zeros, ctx.dim, ctx.index, g), None, None, None


_VALUES_AT = {
    name: renamed(ValuesAt, name)
    for name in ("MaxBackward0", "MinBackward0", "MedianBackward1", "NanmedianBackward1", "KthvalueBackward0")
}


def _reduce_dim_op(name, kernel, arg_kernel):
    def fn(input, dim=None, keepdim=False):
        from .elementwise import maximum, minimum

        if isinstance(dim, Tensor):  # max(a, b) is the elementwise maximum
            return (maximum if name == "max" else minimum)(input, dim)
        if dim is None:
            return (MaxAll if name == "max" else MinAll).apply(input, None, False, name)
        d = input._dim(dim)
        if input.shape[d] == 0 if input.dim() else False:
            raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")
        xp = array_module(input._data)
        if not input.dim():
            return values_indices[name](named(input.clone(), node_name), Tensor._make(xp.zeros((), np.int64)))
        idx = xp.expand_dims(arg_kernel(input._data, axis=d), d)
        return values_indices[name](
            _VALUES_AT[node_name].apply(input, d, idx, keepdim), Tensor._make(idx if keepdim else idx.squeeze(d))
        )

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
    return return_type("aminmax", ["min", "max"])(
        amin(input, () if dim is None else dim, keepdim), amax(input, () if dim is None else dim, keepdim)
    )


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
        return NoGrad.apply(
            input, lambda x: array_module(x).asarray(kernel(x, axis=d, keepdims=keepdim)).astype(np.int64)
        )

    return fn


argmax = torch_api("argmax")(_arg(np.argmax))
argmin = torch_api("argmin")(_arg(np.argmin))


def _bool_reduce(kernel):
    def fn(input, dim=None, keepdim=False):
        dims = _dims(input, dim)
        # uint8 input gives uint8, as torch (its pre-bool convention); every other dtype gives bool
        out_dtype = np.uint8 if input._data.dtype == np.uint8 else np.bool_
        return NoGrad.apply(
            input,
            lambda x: array_module(x).asarray(kernel(x, axis=dims, keepdims=keepdim)).astype(out_dtype, copy=False),
        )

    return fn


all = torch_api("all")(_bool_reduce(np.all))
any = torch_api("any")(_bool_reduce(np.any))


@torch_api()
def count_nonzero(input, dim=None):
    dims = _dims(input, dim)
    return NoGrad.apply(input, lambda x: array_module(x).asarray(np.count_nonzero(x, axis=dims)).astype(np.int64))


def _select(name, node, input, dim, keepdim, position):
    """The element at a sorted position along dim, with its index: median, nanmedian, kthvalue (node:
    torch's node name).

    The order is torch's: NaN sorts last, and a stable sort keeps equal values in index order.
    `position(xp, n, nan_count)` gives the position per slice (nan_count an array with the slice's shape).
    """
    xp = array_module(input._data)
    if not input.dim():
        _zero_d_dim(input, dim)
        return values_indices[name](named(input.clone(), node), Tensor._make(xp.zeros((), np.int64)))
    d = input._dim(dim)
    arr = input._data
    n = arr.shape[d]
    if n == 0:
        raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")
    order = xp.argsort(arr, axis=d, kind="stable")
    reduced = arr.shape[:d] + (1,) + arr.shape[d + 1 :]
    nan_count = xp.isnan(arr).sum(axis=d, keepdims=True) if _dtype.is_float_array(arr) else xp.zeros(reduced, np.int64)
    pos = xp.broadcast_to(xp.asarray(position(xp, n, nan_count), dtype=np.int64), reduced)
    idx = xp.take_along_axis(order, pos, axis=d).astype(np.int64, copy=False)
    return values_indices[name](
        _VALUES_AT[node].apply(input, d, idx, keepdim), Tensor._make(idx if keepdim else idx.squeeze(d))
    )


def _median_position(xp, n, nan_count):
    """torch.median: the lower median, or the first NaN when the slice has one."""
    return xp.where(nan_count > 0, n - nan_count, (n - 1) // 2)


def _nanmedian_position(xp, n, nan_count):
    """torch.nanmedian: the lower median of the non-NaN values (the first NaN when they all are)."""
    return xp.maximum((n - nan_count - 1) // 2, 0)


def _evenly_distribute(g, x, y):
    """torch's evenly_distribute_backward: the gradient of a full reduction's value split equally among
    the elements equal to it (NaN matching NaN)."""
    mask = (x == y) | (x.isnan() & y.isnan())
    return mask * (g / mask.sum())


class Median(Op):
    """median()/nanmedian() of a whole tensor: the value picked on arrays, the gradient spread over ties."""

    _node_name = "MedianBackward0"

    @staticmethod
    def forward(ctx, x, value):
        ctx.save_for_backward(x, value)
        return value

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        return _evenly_distribute(g, x, y), None


_MEDIAN_ALL = {"median": Median, "nanmedian": renamed(Median, "NanmedianBackward0")}


def _median_all(name, input, position):
    if input.numel() == 0:
        from .creation import tensor

        return tensor(float("nan"), dtype=input.dtype, device=input.device)
    flat = Tensor._make(input._data.reshape(-1))
    value = _select(name, "MedianBackward1", flat, 0, False, position).values._data
    return _MEDIAN_ALL[name].apply(input, value)


@torch_api()
def median(input, dim=None, keepdim=False):
    if dim is None:
        return _median_all("median", input, _median_position)
    return _select("median", "MedianBackward1", input, dim, keepdim, _median_position)


@torch_api()
def nanmedian(input, dim=None, keepdim=False):
    if dim is None:
        return _median_all("nanmedian", input, _nanmedian_position)
    return _select("nanmedian", "NanmedianBackward1", input, dim, keepdim, _nanmedian_position)


@torch_api()
def kthvalue(input, k, dim=-1, keepdim=False):
    n = input.shape[input._dim(dim)] if input.dim() else 1
    if not 1 <= k <= n:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {dim}")
    return _select("kthvalue", "KthvalueBackward0", input, dim, keepdim, lambda xp, n, nan_count: k - 1)


_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


def _quantile(name, input, q, dim, keepdim, interpolation, ignore_nan):
    """torch's quantile_compute: sort (NaN last), a rank per quantile, values interpolated between the
    two neighbouring order statistics; composed of ember ops, so it is differentiable as torch's."""
    from .creation import tensor
    from .elementwise import where

    if not input.is_floating_point():
        raise RuntimeError(f"{name}() input tensor must be either float or double dtype")
    q_t = q if isinstance(q, Tensor) else tensor(q, dtype=input.dtype, device=input.device)
    if q_t.dim() > 1:
        raise RuntimeError(f"{name}() q must be a scalar or 1D tensor")
    if q_t.dtype is not input.dtype:
        raise RuntimeError(f"{name}() q tensor must be same dtype as the input tensor")
    if interpolation not in _INTERPOLATIONS:
        raise RuntimeError(
            f"{name}() interpolation must be one of linear, lower, higher, midpoint or nearest. Got {interpolation}"
        )
    if input.numel() == 0:
        raise RuntimeError(f"{name}() input tensor must be non-empty")
    qs = q_t.detach().reshape(-1)
    if isinstance(q, (int, float)) and not 0 <= q <= 1:
        raise RuntimeError(f"{name}() q must be in the range [0, 1] but got {q}")
    if bool(((qs < 0) | (qs > 1)).any()):
        raise RuntimeError(f"{name}() q values must be in the range [0, 1]")
    if dim is None:
        ordered = input.reshape(-1).sort().values
        out_shape = (1,) * input.dim() if keepdim else ()
    else:
        d = input._dim(dim) if input.dim() else _zero_d_dim(input, dim)
        ordered = (input.movedim(d, -1) if input.dim() else input.reshape(1)).sort().values
        out_shape = tuple(1 if i == d and keepdim else n for i, n in enumerate(input.shape) if i != d or keepdim)
    last = ordered.shape[-1] - 1
    nan = ordered.detach().isnan()
    if ignore_nan:  # all NaN: rank 0, so the quantile is NaN
        ranks = (qs * (nan.logical_not().sum(-1, keepdim=True) - 1).to(input.dtype)).clamp(min=0)
    else:  # any NaN: the last rank, which holds a NaN
        ranks = where(nan.any(-1, keepdim=True), float(last), qs * last)
    if interpolation in ("lower", "higher", "nearest"):
        ranks = {"lower": ranks.floor, "higher": ranks.ceil, "nearest": ranks.round}[interpolation]()
    below = ranks.long()
    values = ordered.gather(-1, below)
    if interpolation in ("linear", "midpoint"):
        weights = ranks - below.to(ranks.dtype) if interpolation == "linear" else ranks * 0 + 0.5
        values = values.lerp(ordered.gather(-1, ranks.ceil().long()), weights)
    values = values.movedim(-1, 0).reshape((qs.shape[0],) + out_shape)
    return values.squeeze(0) if q_t.dim() == 0 else values


@torch_api()
def quantile(input, q, dim=None, keepdim=False, *, interpolation="linear"):
    return _quantile("quantile", input, q, dim, keepdim, interpolation, False)


@torch_api()
def nanquantile(input, q, dim=None, keepdim=False, *, interpolation="linear"):
    return _quantile("nanquantile", input, q, dim, keepdim, interpolation, True)


@torch_api()
def mode(input, dim=-1, keepdim=False):
    from .index import gather

    d = input._dim(dim) if input.dim() else _zero_d_dim(input, dim)
    src = input if input.dim() else input.reshape(1)
    if src.shape[d] == 0:
        raise IndexError(f"mode(): Expected reduction dim {d} to have non-zero size.")
    xp = array_module(src._data)
    arr = xp.moveaxis(src._data, d, -1)
    flat = arr.reshape(-1, arr.shape[-1])
    rows, n = flat.shape
    # torch's CPU mode, all rows at once: in each row sorted stably (NaN last), the longest run of equal
    # values (the first, i.e. the smallest value, among equally long ones; NaN never equals itself, so
    # each NaN is a run of one) is the mode, and its index is that of the run's last element
    order = xp.argsort(flat, axis=1, kind="stable")
    ordered = xp.take_along_axis(flat, order, axis=1)
    starts = xp.concatenate([xp.ones((rows, 1), np.bool_), ordered[:, 1:] != ordered[:, :-1]], axis=1)
    run = xp.cumsum(starts, axis=1) - 1
    lengths = xp.bincount((xp.arange(rows)[:, None] * n + run).ravel(), minlength=rows * n).reshape(rows, n)
    best = xp.argmax(lengths, axis=1)[:, None]
    last = xp.argmax(run == best, axis=1)[:, None] + xp.take_along_axis(lengths, best, axis=1) - 1
    idxs = xp.take_along_axis(order, last, axis=1)
    idx = Tensor._make(xp.expand_dims(idxs.reshape(arr.shape[:-1]).astype(np.int64), d))
    values = gather(src, d, idx)
    if not keepdim or not input.dim():
        values, idx = values.squeeze(d), idx.squeeze(d)
    return values_indices["mode"](values, idx)


class Cumsum(Op):
    @staticmethod
    def forward(ctx, x, dim, np_dtype):
        ctx.dim = dim
        acc = _scan_dtype(x, np_dtype)
        y = array_module(x).cumsum(x, axis=dim, dtype=acc)
        return y if np_dtype is not None or acc is None else y.astype(x.dtype)

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
        acc = _scan_dtype(x, np_dtype)
        y = array_module(x).cumprod(x, axis=dim, dtype=acc)
        if np_dtype is None and acc is not None:
            y = y.astype(x.dtype)
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
        # as torch's kernel: the index moves to an element equal to the running extreme, or to a NaN,
        # which (maximum propagating it) is the running value from there on
        reached = (arr == vals) | xp.isnan(arr) if _dtype.is_float_array(arr) else arr == vals
        hit = xp.where(reached, pos, -1)
        idx = accumulate("maximum", hit, d).astype(np.int64)
        idx_t = Tensor._make(idx)
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
        w = widened(x)
        m = w.max(axis=dims, keepdims=True) if x.size else xp.zeros((1,) * x.ndim, w.dtype)
        m = xp.where(xp.isfinite(m), m, 0)
        with np.errstate(all="ignore"):
            y = (xp.log(xp.exp(w - m).sum(axis=dims, keepdims=True)) + m).astype(x.dtype, copy=False)
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
    array_backward = True  # the backward's Tensor and array forms below

    @staticmethod
    def forward(ctx, x, dim):
        xp = array_module(x)
        ctx.dim = dim
        w = widened(x)
        with np.errstate(all="ignore"):
            e = xp.exp(w - w.max(axis=dim, keepdims=True)) if x.size else x.copy()
            y = (e / e.sum(axis=dim, keepdims=True)).astype(x.dtype, copy=False)
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
        w = widened(x)
        with np.errstate(all="ignore"):
            shifted = w - w.max(axis=dim, keepdims=True) if x.size else x.copy()
            y = (shifted - xp.log(xp.exp(shifted).sum(axis=dim, keepdims=True))).astype(x.dtype, copy=False)
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


def _softmax_input(name, input, dim, dtype):
    (input,) = full_precision_on_cuda(input)
    if dtype is not None:
        input = input.to(dtype)
    d = _softmax_dim(input, dim, name)
    if not input.is_floating_point():
        kernel = f"{name}_lastdim_kernel_impl" if d == builtins.max(input.dim() - 1, 0) else f"{name}_kernel_impl"
        raise NotImplementedError(
            f"\"{kernel}\" not implemented for '{_dtype.scalar_type_name(input.dtype)}' "
            f"({name} of an integer tensor: pass dtype=torch.float32)"
        )
    return input, d


@torch_api()
def softmax(input, dim=None, dtype=None, _stacklevel=3):
    return Softmax.apply(*_softmax_input("softmax", input, dim, dtype))


@torch_api()
def log_softmax(input, dim=None, dtype=None, _stacklevel=3):
    return LogSoftmax.apply(*_softmax_input("log_softmax", input, dim, dtype))
