"""Ops that read or write elements by position, beyond ember/ops/index.py: put, fill_diagonal_, index_reduce,
nonzero_static, and nanquantile (an order statistic read from the sorted input)."""

import numpy as np

from .. import _dtype
from .._backend import array_module, multiply_at
from ..autograd.function import Op
from .._tensor import Tensor
from ._registry import _inplace_variant, named, torch_api, METHODS


@torch_api(inplace=True)
def put(input, index, source, accumulate=False):
    n = input.numel()
    flat_index = index.reshape(-1)
    if flat_index.numel() != source.numel():
        raise RuntimeError(
            f"put_(): Expected source and index to have the same number of elements, but got "
            f"source.numel() = {source.numel()}, index.numel() = {flat_index.numel()}"
        )
    if flat_index.numel() and (int(flat_index.max()) >= n or int(flat_index.min()) < -n):
        raise IndexError(
            f"out of range: tried to access index {int(flat_index.abs().max())} on a tensor of {n} elements."
        )
    out = input.reshape(-1).index_put((flat_index,), source.reshape(-1).to(input.dtype), accumulate)
    return named(out.view(input.shape), "PutBackward0")


def _diagonal_positions(shape, wrap):
    """The flat positions fill_diagonal_ writes (torch's rule: a tall matrix with wrap=True restarts the
    diagonal every columns + 1 rows)."""
    if len(shape) < 2:
        raise RuntimeError("dimensions must larger than 1")
    if len(shape) > 2 and len(set(shape)) != 1:
        raise RuntimeError("all dimensions of input must be of equal length")
    numel = int(np.prod(shape))
    strides = np.cumprod((1,) + tuple(shape[:0:-1]))[::-1]
    step = int(strides.sum())
    end = numel if len(shape) == 2 and wrap else min(shape[0], shape[1]) * shape[1] if len(shape) == 2 else numel
    return np.arange(0, end, step, dtype=np.int64)


def _fill_diagonal(input, fill_value, wrap=False):
    from .creation import tensor

    positions = tensor(_diagonal_positions(tuple(input.shape), wrap), device=input.device)
    return input.reshape(-1).index_fill(0, positions, fill_value).view(input.shape)


_fill_diagonal_inplace = _inplace_variant(_fill_diagonal, "fill_diagonal")


def fill_diagonal_(self, fill_value, wrap=False):
    return _fill_diagonal_inplace(self, fill_value, wrap)


METHODS["fill_diagonal_"] = fill_diagonal_


# --- index_reduce ---------------------------------------------------------------------------------------

_IDENTITY = {"prod": 1, "mean": 0}


def _extreme(dtype, reduce):
    """The identity of amax/amin for a dtype: -inf/+inf, or the integer type's bounds."""
    if dtype.kind == "f" or dtype.itemsize == 2 and dtype.kind == "V":
        return -np.inf if reduce == "amax" else np.inf
    info = np.iinfo(dtype) if dtype.kind in "iu" else None
    return (info.min if reduce == "amax" else info.max) if info is not None else (reduce == "amin")


class IndexReduce(Op):
    """out = self with source's slices reduced into the positions `index` names along `dim`."""

    @staticmethod
    def forward(ctx, x, dim, index, src, reduce, include_self):
        xp = array_module(x)
        out = x.copy()
        key = (slice(None),) * dim + (index,)
        if not include_self:
            out[key] = _IDENTITY.get(reduce, _extreme(x.dtype, reduce))
        if reduce == "mean":
            counts = xp.zeros(x.shape[dim], np.int64)
            xp.add.at(counts, index, 1)
            counts = counts + (1 if include_self else 0)
            xp.add.at(out, key, src)
            shape = [1] * x.ndim
            shape[dim] = -1
            denom = xp.maximum(counts, 1).reshape(shape)
            out = (out // denom if x.dtype.kind in "iub" else out / denom).astype(x.dtype, copy=False)
            ctx.counts = counts
        elif reduce == "prod":
            multiply_at(out, key, src)
        else:
            (xp.maximum if reduce == "amax" else xp.minimum).at(out, key, src)
        ctx.args = (dim, index, reduce, include_self)
        ctx.save_for_backward(x, src, out)
        return out

    @staticmethod
    def backward(ctx, g):
        x, src, out = ctx.saved_tensors
        dim, index, reduce, include_self = ctx.args
        index_t = Tensor._make(index)
        indexed = _indexed_mask(x, dim, index_t)
        keep = ~indexed if not include_self else None  # x's own value still counts where it is kept
        if reduce == "mean":
            shape = [1] * x.dim()
            shape[dim] = -1
            per = g / Tensor._make(array_module(index).maximum(ctx.counts, 1)).reshape(shape).to(g.dtype)
            gx = per if include_self else g * keep
            return gx, None, None, per.index_select(dim, index_t), None, None
        if reduce == "prod":
            return _prod_grads(g, x, src, out, dim, index_t, include_self, keep)
        self_hits = (x == out) if include_self else keep
        src_hits = src == out.index_select(dim, index_t)
        ties = self_hits.to(g.dtype).index_add(dim, index_t, src_hits.to(g.dtype))
        share = g / ties
        return share * self_hits, None, None, share.index_select(dim, index_t) * src_hits, None, None


def _indexed_mask(x, dim, index):
    """True at the positions of x that index names along dim."""
    from .creation import zeros

    shape = [1] * x.dim()
    shape[dim] = x.shape[dim]
    hit = zeros(x.shape[dim], dtype=_dtype.bool, device=x.device).index_fill(0, index, True)
    return hit.reshape(shape).expand(x.shape)


def _prod_grads(g, x, src, out, dim, index, include_self, keep):
    """Each factor's gradient is the product of the others in its group: out / factor, or, for a zero
    factor, the product of the group's other factors (zero unless it is the group's only zero)."""
    from .elementwise import where

    x_counts = x if include_self else where(keep, x, 1.0)
    x_zero, src_zero = (x_counts == 0), (src == 0)
    zeros_in_group = x_zero.to(g.dtype).index_add(dim, index, src_zero.to(g.dtype))
    nonzero_product = where(x_zero, 1.0, x_counts).index_reduce(dim, index, where(src_zero, 1.0, src), "prod")
    others_x = where(x_zero, where(zeros_in_group == 1, nonzero_product, 0.0), out / where(x_zero, 1.0, x))
    out_at = out.index_select(dim, index)
    only_zero = zeros_in_group.index_select(dim, index) == 1
    others_src = where(
        src_zero, where(only_zero, nonzero_product.index_select(dim, index), 0.0), out_at / where(src_zero, 1.0, src)
    )
    gx = g * others_x if include_self else where(keep, g, 0.0)
    return gx, None, None, g.index_select(dim, index) * others_src, None, None


@torch_api(inplace=True)
def index_reduce(input, dim, index, source, reduce, *, include_self=True):
    if reduce not in ("prod", "mean", "amax", "amin"):
        raise RuntimeError(f"index_reduce(): Expected reduce to be one of prod, mean, amax or amin but got {reduce}.")
    d = input._dim(dim) if input.dim() else 0
    if index.dim() > 1:
        raise IndexError(f"index_reduce_(): Index is supposed to be a vector, got shape {list(index.shape)}")
    if index._data.dtype not in (np.int64, np.int32):
        raise RuntimeError(f"index_reduce_(): Expected dtype int32/int64 for index but got: {index.dtype}")
    if source.dim() != input.dim() or (source.dim() and source.shape[d] != index.numel()):
        raise RuntimeError(
            f"index_reduce_(): source of shape {list(source.shape)} does not match self of shape "
            f"{list(input.shape)} and an index of {index.numel()} positions along dim {d}"
        )
    if source.dtype is not input.dtype:
        raise RuntimeError(
            f"index_reduce_(): self ({input.dtype}) and source ({source.dtype}) must have the same scalar type"
        )
    flat = index._data.reshape(-1)
    size = input.shape[d] if input.dim() else 1
    flat = array_module(flat).where(flat < 0, flat + size, flat)
    return IndexReduce.apply(input, d, flat, source, reduce, include_self)


@torch_api(method=False)
def nonzero_static(input, *, size, fill_value=-1):
    if size < 0:
        raise RuntimeError(f"nonzero_static: 'size' must be an non-negative integer, but got {size}")
    found = input.nonzero()
    n = found.shape[0]
    if n >= size:
        return found[:size]
    from .creation import full
    from .shape import cat

    return cat([found, full((size - n, found.shape[1]), fill_value, dtype=found.dtype, device=found.device)])


METHODS["nonzero_static"] = nonzero_static
