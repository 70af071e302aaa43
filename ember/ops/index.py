"""Indexing: __getitem__/__setitem__ (views for basic keys, copies for advanced), gather/scatter,
index_select/index_add, masked_fill/masked_select, sort/topk and friends."""
import numpy as np

from .. import _dtype
from .._backend import array_module, can_sync, multiply_at, to_device, device_of
from ..autograd.function import Op
from ..autograd.grad_mode import state
from ._registry import named, torch_api
from .._tensor import Tensor
from .shape import Select, Slice, basic_view
from .convert import copy_to
from .reduce import values_indices


def _T():
    return Tensor


# --- __getitem__ / __setitem__ ---------------------------------------------------------------

def _convert_key(key, shape, like=None):
    """Tensors in a key become arrays (on the device of the array `like` when given, as torch moves CPU
    indices to the indexed tensor's device); returns (key, is_basic). Checks index dtypes as torch."""
    T = _T()
    items = key if isinstance(key, tuple) else (key,)
    out, basic = [], True
    for k in items:
        if isinstance(k, T):
            if _dtype.is_float_array(k._data):
                raise IndexError(f"tensors used as indices must be long, int, byte or bool tensors "
                                 f"(got {k.dtype}); convert the index with .long()")
            if k._data.ndim == 0 and k._data.dtype.kind in "iu":
                out.append(int(k._data))
                continue
            out.append(k._data if like is None or type(k._data) is type(like) else
                       to_device(k._data, device_of(like)))
            basic = False
        elif isinstance(k, (list, np.ndarray)):
            arr = np.asarray(k)
            if _dtype.is_float_array(arr):
                raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
            out.append(arr if like is None or type(like) is np.ndarray else to_device(arr, device_of(like)))
            basic = False
        elif isinstance(k, (bool, np.bool_)):
            out.append(bool(k))
            basic = False
        elif k is None or k is Ellipsis or isinstance(k, (int, np.integer, slice)):
            out.append(k)
        else:
            raise TypeError(f"index of type {type(k).__name__} is not supported (use ints, slices, None, "
                            "Ellipsis, or long/bool tensors)")
    _check_bounds(out, shape)
    return tuple(out), basic


def _check_bounds(key, shape):
    """torch's IndexError for integer indices out of range, before NumPy's own message."""
    n_real = sum(1 for k in key if k is not None and k is not Ellipsis and not isinstance(k, bool)
                 and not (hasattr(k, "dtype") and k.dtype == np.bool_))
    bool_dims = sum(k.ndim - 1 for k in key if hasattr(k, "dtype") and k.dtype == np.bool_)
    if n_real + bool_dims > len(shape):
        raise IndexError(f"too many indices for tensor of dimension {len(shape)}")
    dim = 0
    for i, k in enumerate(key):
        if k is Ellipsis:
            dim = len(shape) - sum(1 for j in key[i + 1:] if j is not None and j is not Ellipsis)
            continue
        if k is None or isinstance(k, bool):
            continue
        if isinstance(k, (int, np.integer)):
            if not -shape[dim] <= k < shape[dim]:
                raise IndexError(f"index {k} is out of bounds for dimension {dim} with size {shape[dim]}")
        elif hasattr(k, "dtype") and k.dtype.kind in "iu" and k.size and can_sync(k):
            lo, hi = int(k.min()), int(k.max())
            if hi >= shape[dim] or lo < -shape[dim]:
                bad = hi if hi >= shape[dim] else lo
                raise IndexError(f"index {bad} is out of bounds for dimension {dim} with size {shape[dim]}")
        elif hasattr(k, "dtype") and k.dtype == np.bool_:
            if tuple(k.shape) != tuple(shape[dim:dim + k.ndim]):
                raise IndexError(f"The shape of the mask {list(k.shape)} at index {dim} does not match the shape "
                                 f"of the indexed tensor {list(shape[dim:dim + k.ndim])} at index {dim}")
            dim += k.ndim
            continue
        dim += 1


class Index(Op):
    """Advanced indexing: a copy, as torch."""

    @staticmethod
    def forward(ctx, x, key):
        ctx.in_shape, ctx.key = x.shape, key
        return x[key]

    @staticmethod
    def backward(ctx, g):
        return IndexAccumulate.apply(g, ctx.in_shape, ctx.key), None


class IndexAccumulate(Op):
    """zeros(shape) with g added at key (repeated indices add up): the backward of indexing."""

    @staticmethod
    def forward(ctx, g, shape, key):
        ctx.key = key
        out = array_module(g).zeros(shape, g.dtype)
        array_module(g).add.at(out, key, g)
        return out

    @staticmethod
    def backward(ctx, gg):
        return gg[ctx.key], None, None


def slice_backward(g, in_shape, key):
    return IndexAccumulate.apply(g, in_shape, key)


def getitem(self, key):
    if isinstance(key, (int, np.integer)) and not isinstance(key, bool) and self._data.ndim:
        n = self._data.shape[0]
        if not -n <= key < n:
            raise IndexError(f"index {key} is out of bounds for dimension 0 with size {n}")
        return Select.apply(self, (int(key),))
    if self._data.ndim == 0 and not all(_indexes_0d(k) for k in (key if isinstance(key, tuple) else (key,))):
        raise IndexError("invalid index of a 0-dim tensor. Use `tensor.item()` in Python or "
                         "`tensor.item<T>()` in C++ to convert a 0-dim tensor to a number")
    k, basic = _convert_key(key, self._data.shape, self._data)
    if not basic:
        return Index.apply(self, k)
    out = Slice.apply(self, k)
    return named(out, _basic_index_node_name(k)) if out.grad_fn is not None else out


def _indexes_0d(k):
    """None, Ellipsis and bool masks (True, False, bool tensors) are the keys a 0-d tensor takes."""
    return k is None or k is Ellipsis or isinstance(k, (bool, np.bool_)) or \
        isinstance(k, _T()) and k._data.dtype == np.bool_


def _basic_index_node_name(key):
    """torch applies a basic index item by item; its grad_fn is named after the last step taken."""
    name = "AliasBackward0"
    for k in key:
        if k is None:
            name = "UnsqueezeBackward0"
        elif isinstance(k, int):
            name = "SelectBackward0"
        elif isinstance(k, slice) and k != slice(None):
            name = "SliceBackward0"
    return name


class IndexPut(Op):
    @staticmethod
    def forward(ctx, x, value, key, accumulate):
        ctx.key = key
        out = x.copy()
        if accumulate:
            array_module(x).add.at(out, key, value)
        else:
            out[key] = value
        ctx.accumulate = accumulate
        return out

    @staticmethod
    def backward(ctx, g):
        gx = g if ctx.accumulate else IndexPut.apply(g, 0.0, ctx.key, False)
        return gx, Index.apply(g, ctx.key), None, None


def setitem(self, key, value):
    T = _T()
    k, basic = _convert_key(key, self._data.shape, self._data)
    if isinstance(value, T) and value.device != self.device:
        raise RuntimeError(f"Expected all tensors to be on the same device, but found {self.device} and "
                           f"{value.device} (in tensor[...] = value)")
    if basic:       # as torch: a write into the view the key selects (the tensor itself for full slices)
        if all(i is Ellipsis or i == slice(None) for i in k):
            target = self
        elif state.enabled and (self._tracks_inplace() or getattr(value, "_rg", False)):
            target = Slice.apply(self, k)
        else:       # no graph to keep: a bare alias of the memory (sharing the version counter) will do
            target = T._make(basic_view(self._data, k))
            target._vc = self._vc
        copy_to(target, value)
        return
    needs_graph = state.enabled and (self._rg or (isinstance(value, T) and value._rg))
    if not needs_graph:
        self._data[k] = value._data if isinstance(value, T) else value
        self._vc[0] += 1
        return
    if isinstance(value, T) and value.dtype != self.dtype:
        value = value.to(self.dtype)
    elif not isinstance(value, T):
        value = T._make(array_module(self._data).asarray(value, dtype=self._data.dtype))
    self._inplace_assign(IndexPut.apply(self, value, k, False))


@torch_api()
def index_put(input, indices, values, accumulate=False):
    k, _ = _convert_key(tuple(indices), input._data.shape, input._data)
    return IndexPut.apply(input, values.to(input.dtype) if values.dtype != input.dtype else values, k, accumulate)


@torch_api(function=False)
def index_put_(self, indices, values, accumulate=False):
    return self._inplace_assign(index_put(self, indices, values, accumulate))


# --- gather / scatter ---------------------------------------------------------------------------

def _check_index(op, input, dim, index, src=None):
    if index._data.dtype != np.int64:
        raise RuntimeError(f"{op}(): Expected dtype int64 for index (got {index.dtype}); convert it with .long()")
    if index.dim() != input.dim() and not (index.dim() <= 1 and input.dim() <= 1):
        raise RuntimeError(f"Index tensor must have the same number of dimensions as input tensor "
                           f"({op}: input {list(input.shape)}, index {list(index.shape)})")
    for d in range(index.dim()):
        if d != dim and index.shape[d] > input.shape[d]:
            raise RuntimeError(f"Size does not match at dimension {d} expected index {list(index.shape)} to be "
                               f"smaller than self {list(input.shape)} apart from dimension {dim} ({op})")
    if index.numel() and can_sync(index._data):
        size = input.shape[dim] if input.dim() else 1
        hi, lo = int(index._data.max()), int(index._data.min())
        if hi >= size or lo < -size:
            raise RuntimeError(f"index {hi if hi >= size else lo} is out of bounds for dimension {dim} with size "
                               f"{size} ({op})")


def _full_index(index, dim):
    """The fancy-index tuple that addresses `index` positions along `dim` (open grids on index's device)."""
    xp, n = array_module(index), index.ndim
    grids = [xp.arange(size).reshape((1,) * d + (size,) + (1,) * (n - d - 1)) for d, size in enumerate(index.shape)]
    grids[dim] = index
    return tuple(grids)


class Gather(Op):
    @staticmethod
    def forward(ctx, x, dim, index):
        ctx.in_shape, ctx.dim, ctx.index = x.shape, dim, index
        return x[_full_index(index, dim)]

    @staticmethod
    def backward(ctx, g):
        return ScatterAdd.apply(_zeros(g, ctx.in_shape), ctx.dim, ctx.index, g), None, None


def _zeros(like, shape):
    return _T()._make(array_module(like._data).zeros(shape, like._data.dtype))


@torch_api()
def gather(input, dim, index, *, sparse_grad=False):
    d = input._dim(dim) if input.dim() else 0
    _check_index("gather", input, d, index)
    return Gather.apply(input, d, index._data)


class Scatter(Op):
    @staticmethod
    def forward(ctx, x, dim, index, src, reduce):
        ctx.dim, ctx.index = dim, index
        out = x.copy()
        key = _full_index(index, dim)
        val = src[tuple(slice(0, s) for s in index.shape)] if hasattr(src, "shape") and src.ndim else src
        if reduce is None:
            out[key] = val
        elif reduce == "add":
            array_module(x).add.at(out, key, val)
        elif reduce == "multiply":
            multiply_at(out, key, val)
        else:
            raise RuntimeError(f"reduce argument must be either add or multiply, got {reduce}")
        return out

    @staticmethod
    def backward(ctx, g):
        idx = _T()._make(ctx.index)
        gx = g.scatter(ctx.dim, idx, 0.0)
        return gx, None, None, g.gather(ctx.dim, idx), None


class ScatterAdd(Op):
    @staticmethod
    def forward(ctx, x, dim, index, src):
        ctx.dim, ctx.index = dim, index
        out = x.copy()
        array_module(x).add.at(out, _full_index(index, dim), src[tuple(slice(0, s) for s in index.shape)])
        return out

    @staticmethod
    def backward(ctx, g):
        return g, None, None, g.gather(ctx.dim, _T()._make(ctx.index))


@torch_api(inplace=True)
def scatter(input, dim, index, src=None, value=None, *, reduce=None):
    d = input._dim(dim)
    _check_index("scatter", input, d, index)
    source = value if src is None else src
    if isinstance(source, _T()) and source.dtype != input.dtype:
        source = source.to(input.dtype)
    return Scatter.apply(input, d, index._data, source, reduce)


@torch_api(inplace=True)
def scatter_add(input, dim, index, src):
    d = input._dim(dim)
    _check_index("scatter_add", input, d, index)
    return ScatterAdd.apply(input, d, index._data, src.to(input.dtype) if src.dtype != input.dtype else src)


@torch_api(inplace=True)
def scatter_reduce(input, dim, index, src, reduce, *, include_self=True):
    d = input._dim(dim)
    _check_index("scatter_reduce", input, d, index)
    if reduce == "sum":
        base = input if include_self else input.scatter(d, index, 0.0)
        return scatter_add(base, d, index, src)
    xp = array_module(input._data)
    ufunc = {"prod": multiply_at, "amax": xp.maximum.at, "amin": xp.minimum.at}.get(reduce)
    if ufunc is None and reduce != "mean":
        raise RuntimeError(f"reduce argument must be either sum, prod, mean, amax or amin, got {reduce}")
    out = input._data.copy()
    key = _full_index(index._data, d)
    vals = src._data[tuple(slice(0, s) for s in index.shape)]
    if reduce == "mean":
        counts = xp.zeros(out.shape, np.int64)
        xp.add.at(counts, key, 1)
        if not include_self:
            out[key] = 0
        xp.add.at(out, key, vals)
        denom = counts + (1 if include_self else 0)
        out = xp.where(denom > 0, out / xp.maximum(denom, 1), out).astype(out.dtype)
    else:
        if not include_self:
            out[key] = {"prod": 1, "amax": -np.inf, "amin": np.inf}[reduce]
        ufunc(out, key, vals)
    return _T()._make(out)


class IndexSelect(Op):
    @staticmethod
    def forward(ctx, x, dim, index):
        ctx.in_shape, ctx.dim, ctx.index = x.shape, dim, index
        return array_module(x).take(x, index, axis=dim)

    @staticmethod
    def backward(ctx, g):
        return IndexAdd.apply(_zeros(g, ctx.in_shape), ctx.dim, ctx.index, g), None, None


class IndexAdd(Op):
    @staticmethod
    def forward(ctx, x, dim, index, src):
        ctx.dim, ctx.index = dim, index
        out = x.copy()
        array_module(x).add.at(out, (slice(None),) * dim + (index,), src)
        return out

    @staticmethod
    def backward(ctx, g):
        return g, None, None, IndexSelect.apply(g, ctx.dim, ctx.index)


def _check_index_vector(op, input, dim, index):
    if index._data.dtype.kind not in "iu":
        raise IndexError(f"{op}(): Expected dtype int32/int64 for index (got {index.dtype})")
    if index.dim() > 1:
        raise IndexError(f"{op}(): Index is supposed to be a vector, got shape {list(index.shape)}")
    size = input.shape[dim] if input.dim() else 1
    if index.numel() and can_sync(index._data) and (int(index._data.max()) >= size or int(index._data.min()) < -size):
        raise IndexError(f"{op}(): index out of range in self (dimension {dim} has size {size}, "
                         f"index max {int(index._data.max())})")


@torch_api()
def index_select(input, dim, index):
    d = input._dim(dim) if input.dim() else 0
    _check_index_vector("index_select", input, d, index)
    return IndexSelect.apply(input, d, index._data.reshape(-1))


@torch_api(inplace=True)
def index_add(input, dim, index, source, *, alpha=1):
    d = input._dim(dim)
    _check_index_vector("index_add", input, d, index)
    if alpha != 1:
        source = source * alpha
    return IndexAdd.apply(input, d, index._data.reshape(-1), source)


@torch_api(inplace=True)
def index_fill(input, dim, index, value):
    d = input._dim(dim)
    _check_index_vector("index_fill", input, d, index)
    key = (slice(None),) * d + (index._data.reshape(-1),)
    return IndexPut.apply(input, value, key, False)


@torch_api(inplace=True)
def index_copy(input, dim, index, source):
    d = input._dim(dim)
    key = (slice(None),) * d + (index._data.reshape(-1),)
    return IndexPut.apply(input, source, key, False)


class MaskedFill(Op):
    @staticmethod
    def forward(ctx, x, mask, value):
        ctx.mask = mask
        return array_module(x).where(mask, value, x).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        m = _T()._make(ctx.mask)
        return g.masked_fill(m, 0.0), None, (g * m).sum() if ctx._record and ctx.needs_input_grad[2] else None


@torch_api(inplace=True)
def masked_fill(input, mask, value):
    if mask._data.dtype != np.bool_:
        raise RuntimeError(f"masked_fill_ only supports boolean masks, but got mask with dtype {mask.dtype}")
    try:
        np.broadcast_shapes(mask.shape, input.shape)
    except ValueError:
        raise RuntimeError(f"masked_fill: the shape of the mask {list(mask.shape)} must be broadcastable to the "
                           f"shape of the tensor {list(input.shape)}") from None
    if isinstance(value, _T()):
        if value.dim():
            raise RuntimeError(f"masked_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                               f"{value.dim()} dimension(s).")
        if not value.requires_grad:
            value = value.item()
    return MaskedFill.apply(input, mask._data, value)


@torch_api()
def masked_select(input, mask):
    if mask._data.dtype != np.bool_:
        raise RuntimeError(f"masked_select: expected BoolTensor for mask, got {mask.dtype}")
    shape = np.broadcast_shapes(tuple(input.shape), tuple(mask.shape))
    x = input.expand(shape) if tuple(input.shape) != shape else input
    return named(Index.apply(x, (array_module(mask._data).broadcast_to(mask._data, shape),)), "MaskedSelectBackward0")


@torch_api(inplace=True)
def masked_scatter(input, mask, source):
    m = array_module(mask._data).broadcast_to(mask._data, input.shape)
    n = int(m.sum())
    return IndexPut.apply(input, source.reshape(-1)[:n], (m,), False)


class NoGradIndex(Op):
    differentiable = False

    @staticmethod
    def forward(ctx, x, kernel):
        return kernel(x)


@torch_api()
def nonzero(input, *, as_tuple=False):
    if as_tuple:
        arr = input._data if input.dim() else input._data.reshape(1)
        return tuple(_T()._make(i.astype(np.int64)) for i in array_module(arr).nonzero(arr))
    return NoGradIndex.apply(input, lambda x: array_module(x).argwhere(x).astype(np.int64))


@torch_api()
def argwhere(input):
    return nonzero(input)


@torch_api()
def take(input, index):
    flat = input.reshape(-1)
    return named(Index.apply(flat, (index._data,)), "TakeBackward0")


@torch_api()
def take_along_dim(input, indices, dim=None):
    if dim is None:
        return take(input, indices.reshape(-1))
    shape = list(np.broadcast_shapes(tuple(input.shape[:dim]) + (1,) + tuple(input.shape[dim + 1:]),
                                     tuple(indices.shape[:dim]) + (1,) + tuple(indices.shape[dim + 1:])))
    shape_idx = list(shape)
    shape_idx[dim] = indices.shape[dim]
    shape[dim] = input.shape[dim]
    return gather(input.expand(shape), dim, indices.expand(shape_idx))


def _sort_indices(arr, dim, descending, stable=True):
    xp = array_module(arr)
    if descending:
        # stable descending order: sort the negated keys (reversing would flip equal elements)
        key = -arr if arr.dtype.kind == "i" or _dtype.is_float_array(arr) else ~arr if arr.dtype == np.bool_ else -arr.astype(np.int64)
        return xp.argsort(key, axis=dim, kind="stable")
    return xp.argsort(arr, axis=dim, kind="stable")


@torch_api()
def sort(input, dim=-1, descending=False, stable=False):
    if input.dim() == 0:
        return values_indices["sort"](input.clone(), _T()._make(array_module(input._data).zeros((), np.int64)))
    d = input._dim(dim)
    idx = _T()._make(_sort_indices(input._data, d, descending).astype(np.int64))
    return values_indices["sort"](named(gather(input, d, idx), "SortBackward0"), idx)


@torch_api()
def argsort(input, dim=-1, descending=False, stable=False):
    return sort(input, dim, descending, stable).indices


@torch_api()
def msort(input):
    return sort(input, 0).values


@torch_api()
def topk(input, k, dim=-1, largest=True, sorted=True):
    d = input._dim(dim) if input.dim() else 0
    size = input.shape[d] if input.dim() else 1
    if not 0 <= k <= size:
        raise RuntimeError(f"selected index k out of range (topk k={k}, dimension {d} has size {size})")
    order = _sort_indices(input._data if input.dim() else input._data.reshape(1), d, largest)
    idx = _T()._make(order[(slice(None),) * d + (slice(0, k),)].astype(np.int64))
    src = input if input.dim() else input.reshape(1)
    return values_indices["topk"](named(gather(src, d, idx), "TopkBackward0"), idx)


@torch_api()
def searchsorted(sorted_sequence, values, *, out_int32=False, right=False, side=None, sorter=None):
    side = side or ("right" if right else "left")
    seq = sorted_sequence._data
    xp = array_module(seq)
    if sorter is not None:      # the order that sorts an unsorted sequence
        seq = xp.take_along_axis(seq, sorter._data, axis=-1)
    vals = values._data if isinstance(values, _T()) else xp.asarray(values)
    if seq.ndim == 1:
        out = xp.searchsorted(seq, vals, side=side)
    else:
        out = xp.stack([xp.searchsorted(s, v, side=side) for s, v in
                        zip(seq.reshape(-1, seq.shape[-1]), vals.reshape(-1, vals.shape[-1]))]).reshape(vals.shape)
    return _T()._make(xp.asarray(out).astype(np.int32 if out_int32 else np.int64))


def _unique_consecutive_slices(input, return_inverse, return_counts, d):
    """unique_consecutive along dim d: runs of equal slices collapse to one."""
    arr = input._data
    xp = array_module(arr)
    rows = xp.moveaxis(arr, d, 0).reshape(arr.shape[d], -1)
    keep = xp.concatenate([xp.ones(min(1, rows.shape[0]), np.bool_), (rows[1:] != rows[:-1]).any(1)])
    out = [_T()._make(xp.compress(keep, arr, axis=d))]
    if return_inverse:
        out.append(_T()._make((xp.cumsum(keep) - 1).astype(np.int64)))
    if return_counts:
        out.append(_T()._make(xp.diff(xp.nonzero(xp.concatenate([keep, xp.ones(1, np.bool_)]))[0]).astype(np.int64)))
    return out[0] if len(out) == 1 else tuple(out)


@torch_api()
def bucketize(input, boundaries, *, out_int32=False, right=False):
    xp = array_module(boundaries._data)
    values = input._data if isinstance(input, _T()) else xp.asarray(input)
    out = xp.searchsorted(boundaries._data, values, side="right" if right else "left")
    return _T()._make(xp.asarray(out).astype(np.int32 if out_int32 else np.int64))


@torch_api()
def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    res = array_module(input._data).unique(input._data, return_inverse=return_inverse, return_counts=return_counts,
                                           axis=dim)
    if not (return_inverse or return_counts):
        return _T()._make(res)
    out = [_T()._make(res[0])]
    if return_inverse:
        out.append(_T()._make(res[1].reshape(input.shape if dim is None else -1).astype(np.int64)))
    if return_counts:
        out.append(_T()._make(res[-1].astype(np.int64)))
    return tuple(out)


@torch_api()
def unique_consecutive(input, return_inverse=False, return_counts=False, dim=None):
    if dim is not None:
        return _unique_consecutive_slices(input, return_inverse, return_counts, input._dim(dim))
    arr = input._data.reshape(-1)
    if arr.size == 0:
        return _T()._make(arr)
    xp = array_module(arr)
    first = xp.ones(1, np.bool_)
    keep = xp.concatenate([first, arr[1:] != arr[:-1]])
    vals = arr[keep]
    out = [_T()._make(vals)]
    if return_inverse:
        out.append(_T()._make((xp.cumsum(keep) - 1).reshape(input.shape).astype(np.int64)))
    if return_counts:
        out.append(_T()._make(xp.diff(xp.nonzero(xp.concatenate([keep, first]))[0]).astype(np.int64)))
    return out[0] if len(out) == 1 else tuple(out)


@torch_api()
def bincount(input, weights=None, minlength=0):
    w = None if weights is None else weights._data
    out = array_module(input._data).bincount(input._data, weights=w, minlength=minlength)
    if w is None:
        return _T()._make(out.astype(np.int64))
    return _T()._make(out.astype(w.dtype) if w.dtype in (np.float32, np.float64) else out)   # torch's dtypes


@torch_api()
def histc(input, bins=100, min=0, max=0):
    arr = input._data
    lo, hi = (min, max) if (min, max) != (0, 0) else (float(arr.min()), float(arr.max()))
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    counts, _ = array_module(arr).histogram(arr, bins=bins, range=(lo, hi))
    return _T()._make(counts.astype(arr.dtype))
