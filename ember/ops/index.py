"""Indexing: __getitem__/__setitem__ (views for basic keys, copies for advanced), gather/scatter,
index_select/index_add, masked_fill/masked_select, sort/topk and friends."""

import math
import operator
import os
import sys
import warnings

import numpy as np

from .. import _dtype
from .._backend import array_module, can_sync, device_of, multiply_at, to_device
from ..autograd.function import Op
from ..autograd.grad_mode import state
from ._registry import named, torch_api
from .._tensor import Tensor, _dense, _lowest_address, _partial_overlap
from .convert import copy_to
from .elementwise import where
from .shape import Select, Slice, basic_view
from .reduce import values_indices


# --- __getitem__ / __setitem__ ---------------------------------------------------------------
# torch reads a key item by item (torch/csrc/autograd/python_variable_indexing.cpp): ints, slices, None
# and bools make a view first (an int removes its dim, so unlike NumPy it is no advanced index), then the
# tensors index that view together. A parsed key is a pair (basic, adv): the NumPy basic key of the view
# (None when the view is the tensor itself) and the NumPy key of full slices and index arrays taken on
# that view (None when there is none). NumPy places the result dims of such a key as torch does: where
# the index arrays stand when they are adjacent, else first.

_NON_TUPLE_WARNING = (
    "Using a non-tuple sequence for multidimensional indexing is deprecated and will be changed "
    "in pytorch 2.9; use x[tuple(seq)] instead of x[seq]. In pytorch 2.9 this will be interpreted "
    "as tensor index, x[torch.tensor(seq)], which will result either in an error or a different "
    "result"
)
_UINT8_WARNING = "indexing with dtype torch.uint8 is now deprecated, please use a dtype torch.bool instead."
_FULL = slice(None)
_EMBER_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _warn_user(message):
    """A UserWarning pointed at the first caller outside ember: the user's indexing line."""
    frame, level = sys._getframe(1), 2
    while frame is not None and frame.f_code.co_filename.startswith(_EMBER_DIR):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, UserWarning, stacklevel=level)


def _key_items(key):
    """A key's items: a tuple's own; a short list's own when it holds a sequence, slice, None, Ellipsis
    or tensor (NumPy's old rule, which torch keeps with a deprecation warning); else the key alone."""
    if type(key) is tuple:
        return key
    if type(key) is list and len(key) < 32:
        for k in key:
            if k is None or k is Ellipsis or isinstance(k, (Tensor, np.ndarray, slice, list, tuple, range, str)):
                _warn_user(_NON_TUPLE_WARNING)
                return tuple(key)
    return (key,)


def _index_item(k):
    """One item as torch reads it: an int, a slice, None, Ellipsis, a bool (a new dim of size 1 taken
    by [0] or by []), or an index array (a bool array is a mask)."""
    if type(k) is int or k is None or k is Ellipsis or type(k) is bool:
        return k
    if isinstance(k, Tensor):
        arr = k._data
        dt = arr.dtype
        if dt.kind == "b" or dt.kind == "i" and dt.itemsize >= 4:  # bool, int32, int64
            return arr if arr.ndim else bool(arr) if dt.kind == "b" else int(arr)
        if dt == np.uint8 or dt.kind in "iu" and not arr.ndim:
            return _index_array(arr)
        return arr  # float, int8, int16: _read_key refuses them once it has read the key, as torch
    if isinstance(k, slice):
        return k
    if isinstance(k, (int, np.integer)):
        return int(k)
    if isinstance(k, np.ndarray):
        if k.dtype.kind not in "biuf":
            raise TypeError(
                f"can't convert np.ndarray of type {k.dtype} to an index; only integer, float and "
                "bool arrays are indices"
            )
        return _index_array(k if k.dtype.kind == "b" or k.dtype == np.uint8 else k.astype(np.int64))
    if isinstance(k, (list, tuple, range)):
        return _index_array(_index_from_data(k))
    if isinstance(k, str):
        raise TypeError("new(): invalid data type 'str'")
    raise IndexError(
        f"only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are valid "
        f"indices (got {_type_name(k)})"
    )


def _check_step(s):
    if s.step is not None:
        step = operator.index(s.step)
        if step <= 0:
            raise ValueError("slice step cannot be zero" if step == 0 else "step must be greater than zero")
    return s


def _type_name(obj):
    """The type's name as torch's messages print it (numpy.ndarray, float)."""
    cls = type(obj)
    return cls.__name__ if cls.__module__ == "builtins" else f"{cls.__module__.split('.')[0]}.{cls.__name__}"


def _index_array(arr):
    """An index array as torch takes it: 0-d integers select, 0-d bools add a dim, uint8 is a mask."""
    if arr.dtype == np.uint8:
        if arr.ndim == 0:
            return bool(arr)
        _warn_user(_UINT8_WARNING)
        return arr != 0
    if arr.ndim == 0:
        return bool(arr) if arr.dtype == np.bool_ else int(arr)
    return arr


def _index_from_data(seq):
    """torch.tensor(seq) for an index list: bools stay a mask, any other numbers become int64."""
    if type(seq) is range:
        return np.arange(seq.start, seq.stop, seq.step, dtype=np.int64)
    if any(isinstance(k, (Tensor, list, tuple)) for k in seq):
        seq = [
            operator.index(k) if isinstance(k, Tensor) else _index_from_data(k) if isinstance(k, (list, tuple)) else k
            for k in seq
        ]
    arr = np.asarray(seq)
    if arr.dtype.kind == "b":
        return arr
    if arr.dtype.kind not in "iuf":
        raise TypeError(f"an index list must hold only ints or bools (got {seq!r})")
    return arr.astype(np.int64)


def _read_key(key, shape, like=None, range_checks=None):
    """(basic, adv) for `tensor[key]` on a tensor of this shape, with torch's checks and messages, in
    torch's order: the count of indices, each item as it is read, then the index tensors together.
    The index arrays of adv lie on the device of the array `like` (the indexed tensor's), as torch moves
    CPU indices there. Given a list `range_checks`, the index arrays' range checks are left in it
    (setitem checks the value first)."""
    if (
        isinstance(key, Tensor)
        or type(key) is tuple
        and key
        and isinstance(key[0], Tensor)
        and all(isinstance(k, Tensor) for k in key)
    ):
        adv = _index_tensors_key(key if type(key) is tuple else (key,), shape, like, range_checks)
        if adv is not None:
            return None, adv
    items = _key_items(key)
    ndim = len(shape)
    specified = _count_specified(items)
    if specified > ndim:
        raise IndexError(f"too many indices for tensor of dimension {ndim}")
    basic, entries = [], []
    real = view = 0  # the next dim of the tensor, and of the view
    added = 0  # dims None and bools added before it (torch's messages count them)
    fill = ndim - specified  # the dims each Ellipsis stands for
    for item in items:
        k = _index_item(item)
        t = type(k)
        if real >= ndim and k is not Ellipsis and (real > ndim or k is not None and t is not bool):
            # only a second Ellipsis leads past the last dim; torch skips full slices there
            if t is slice and k.start is None and k.stop is None and k.step is None:
                continue
            raise IndexError(f"too many indices for tensor of dimension {ndim}")
        if t is int:
            size = shape[real]
            if not -size <= k < size:
                raise IndexError(f"index {k} is out of bounds for dimension {real + added} with size {size}")
            basic.append(k)
            real += 1
        elif t is slice:
            basic.append(_check_step(k))
            real += 1
            view += 1
        elif k is None:
            basic.append(None)
            view += 1
            added += 1
        elif k is Ellipsis:
            emit = max(0, min(fill, ndim - real))
            basic.extend([_FULL] * emit)
            real += fill
            view += emit
        elif t is bool:
            basic.append(None)
            entries.append((view, np.zeros(1 if k else 0, np.int64), 1))
            view += 1
            added += 1
        elif k.dtype.kind == "b":
            n = k.ndim
            basic.extend([_FULL] * n)
            entries.append((view, k, shape[real : real + n]))
            real += n
            view += n
        else:
            basic.append(_FULL)
            entries.append((view, k, shape[real]))
            real += 1
            view += 1
    while (
        basic
        and type(basic[-1]) is slice
        and basic[-1].start is None
        and basic[-1].stop is None
        and basic[-1].step is None
    ):
        basic.pop()
    if not entries:
        return tuple(basic) + (Ellipsis,), None
    _check_index_dtypes(arr for _, arr, _ in entries)
    view_shape = lambda: np.broadcast_to(np.empty((), np.bool_), shape)[tuple(basic)].shape  # noqa: E731
    return tuple(basic) if basic else None, _adv_key(entries, view_shape, like, range_checks)


def _check_index_dtypes(arrays):
    for arr in arrays:
        if arr.dtype.kind not in "bi" or arr.dtype.itemsize < 4 and arr.dtype.kind == "i":
            raise IndexError(
                f"tensors used as indices must be long, int, byte or bool tensors (got "
                f"{_dtype._BY_NP[arr.dtype]}); convert the index with .long()"
            )


def _count_specified(items):
    """The dims a key's items index, counted as torch counts them before it reads them."""
    n = 0
    for k in items:
        if isinstance(k, Tensor):
            n += k._data.ndim if k._data.dtype.kind == "b" or k._data.dtype == np.uint8 else 1
        elif not (k is None or k is Ellipsis or k is True or k is False):
            n += 1
    return n


def _index_tensors_key(tensors, shape, like, range_checks):
    """The key of the most common advanced indices, int32/int64 tensors for the leading dims (x[idx],
    scores[arange(n), y]) or one bool mask of them (x[x > 0]), read without the general walk; None for
    any other key."""
    if len(tensors) > len(shape):
        return None
    if len(tensors) == 1 and tensors[0]._data.dtype.kind == "b":
        mask = tensors[0]._data
        return (_on_device(mask, like),) if mask.ndim and mask.shape == shape[: mask.ndim] else None
    arrays = []
    for t in tensors:
        arr = t._data
        if arr.dtype.kind != "i" or arr.dtype.itemsize < 4 or not arr.ndim:
            return None
        arrays.append(arr)
    first = arrays[0].shape
    for arr in arrays:
        if arr.shape != first:
            return None
    if 0 in shape[: len(arrays)] and 0 not in first:
        raise IndexError("index is out of bounds for dimension with size 0")
    result_shape = lambda: first + tuple(shape[len(arrays) :])  # noqa: E731
    checks = [(arr, shape[nth], nth, result_shape) for nth, arr in enumerate(arrays)]
    return _run_range_checks(checks, range_checks, tuple(_on_device(arr, like) for arr in arrays))


def _on_device(arr, like):
    """An index array on the device of the array `like` (when given)."""
    return arr if like is None or type(arr) is type(like) else to_device(arr, device_of(like))


def _adv_key(entries, view_shape, like, range_checks=None):
    """The NumPy key of index arrays at their dims of the view; torch's mask, broadcast and range checks.
    entries: (view dim, array, size of the dim it indexes, or for a mask the sizes of its dims);
    view_shape() is for messages."""
    result_shape = lambda: _indexed_shape(view_shape(), key)  # noqa: E731
    if len(entries) == 1:
        dim, arr, size = entries[0]
        key = (_FULL,) * dim + (_on_device(arr, like),)
        if arr.dtype.kind == "b":
            _check_mask(arr, size, dim, view_shape)
            return key
        if size == 0 and 0 not in arr.shape:
            raise IndexError("index is out of bounds for dimension with size 0")
        return _run_range_checks([(arr, size, 0, result_shape)], range_checks, key)
    shapes = []
    for dim, arr, size in entries:
        if arr.dtype.kind == "b":
            _check_mask(arr, size, dim, view_shape)
            shapes.append((int(array_module(arr).count_nonzero(arr)),))
        else:
            shapes.append(arr.shape)
    try:
        replacement = np.broadcast_shapes(*shapes) if any(s != shapes[0] for s in shapes) else shapes[0]
    except ValueError:
        raise IndexError(
            "shape mismatch: indexing tensors could not be broadcast together with shapes "
            + ", ".join(str(list(s)) for s in shapes)
        ) from None
    # no index is valid in a dim of size 0: torch says so before it reads any, unless there is none to read
    if 0 not in replacement and any(size == 0 if arr.dtype.kind != "b" else 0 in size for _, arr, size in entries):
        raise IndexError("index is out of bounds for dimension with size 0")
    key, checks, nth, next_dim = [], [], 0, 0
    for dim, arr, size in entries:
        n = arr.ndim if arr.dtype.kind == "b" else 1
        if arr.dtype.kind != "b":
            checks.append((arr, size, nth, result_shape))
        key.extend([_FULL] * (dim - next_dim))
        key.append(_on_device(arr, like))
        nth += n
        next_dim = dim + n
    key = tuple(key)
    return _run_range_checks(checks, range_checks, key)


def _check_mask(mask, sizes, dim, view_shape):
    if mask.shape != tuple(sizes):
        j = next(j for j, (a, b) in enumerate(zip(mask.shape, sizes)) if a != b)
        raise IndexError(
            f"The shape of the mask {list(mask.shape)} at index {j} does not match the shape "
            f"of the indexed tensor {list(view_shape())} at index {dim + j}"
        )


class EmptyResult:
    """The advanced part of a key whose result is empty and whose indices NumPy would refuse: torch reads
    no index then, so it checks none; the key stands for an empty result of this shape."""

    def __init__(self, shape):
        self.shape = tuple(shape)


def _run_range_checks(checks, deferred, key):
    """Check the index arrays' range now (the key, or an EmptyResult), or leave the checks in `deferred`."""
    if deferred is not None:
        deferred.extend(checks)
        return key
    return _checked(key, checks)


def _checked(key, checks):
    """key, after torch's range checks; an EmptyResult where out-of-range indices build an empty result."""
    for check in checks:
        if _check_in_range(*check):
            return EmptyResult(check[3]())
    return key


def _check_in_range(index, size, dim, result_shape):
    """torch checks indices as it reads them, none when the result is empty: True for indices out of range
    in an empty result (NumPy must not see them). Unchecked while a CUDA graph captures (see can_sync)."""
    if not index.size or not can_sync(index):
        return False
    lo, hi = int(index.min()), int(index.max())
    if lo < -size or hi >= size:
        if 0 in result_shape():
            return True
        flat = index.reshape(-1)
        bad = int(flat[int(((flat < -size) | (flat >= size)).argmax())])
        raise IndexError(f"index {bad} is out of bounds for dimension {dim} with size {size}")
    return False


def _indexed_shape(view_shape, adv):
    """The shape of view[adv], found without taking it."""
    if type(adv) is EmptyResult:
        return adv.shape
    kept, shapes, arrays_at, dim = [], [], [], 0
    for i, k in enumerate(adv):
        if type(k) is slice:
            kept.append((i, view_shape[dim]))
            dim += 1
        else:
            is_mask = k.dtype == np.bool_
            shapes.append((int(array_module(k).count_nonzero(k)),) if is_mask else k.shape)
            arrays_at.append(i)
            dim += k.ndim if is_mask else 1
    shape = np.broadcast_shapes(*shapes)
    rest = tuple(view_shape[dim:])
    if arrays_at[-1] - arrays_at[0] == len(arrays_at) - 1:  # adjacent: the result dims stand there
        return (
            tuple(n for i, n in kept if i < arrays_at[0])
            + shape
            + tuple(n for i, n in kept if i > arrays_at[-1])
            + rest
        )
    return shape + tuple(n for _, n in kept) + rest


def _take_array(x, key):
    basic, adv = key
    if type(adv) is EmptyResult:
        return array_module(x).empty(adv.shape, x.dtype)
    if basic is not None:
        x = x[basic]
    return x if adv is None else x[adv]


def _put(out, key, value, accumulate):
    """Write (or with `accumulate` add, repeated indices adding up) `value` into `out` at a parsed key."""
    basic, adv = key
    try:
        if adv is None:
            if accumulate:
                out[basic] += value
            else:
                out[basic] = value
            return
        if type(adv) is EmptyResult:
            return
        target = out if basic is None else out[basic]
        if not accumulate:
            # a one-element value fills every place, whatever its shape (torch's masked_fill_ path)
            target[adv] = value.reshape(()) if getattr(value, "ndim", 0) and value.size == 1 else value
            return
        for k in adv:
            if type(k) is not slice and k.dtype.kind != "b":
                array_module(out).add.at(target, adv, value)
                return
        target[adv] += value  # masks repeat no element
    except ValueError as e:  # a value that does not fit a basic key: torch's expand error
        if "broadcast" not in str(e) or adv is not None:
            raise
        from .shape import expand

        expand(Tensor._make(np.broadcast_to(np.empty((), value.dtype), value.shape)), out[basic].shape)
        raise


def _check_value_shape(slot, value):
    """An index_put value must broadcast to the shape of the indexing result."""
    try:
        fits = np.broadcast_shapes(slot, value) == tuple(slot)
    except ValueError:
        fits = False
    if not fits:
        raise RuntimeError(
            f"shape mismatch: value tensor of shape {list(value)} cannot be broadcast to indexing "
            f"result of shape {list(slot)}"
        )


class Index(Op):
    """Advanced indexing: a copy, as torch."""

    @staticmethod
    def forward(ctx, x, key):
        ctx.in_shape, ctx.key = x.shape, key
        return _take_array(x, key)

    @staticmethod
    def backward(ctx, g):
        return IndexAccumulate.apply(g, ctx.in_shape, ctx.key), None


class IndexAccumulate(Op):
    """zeros(shape) with g added at a parsed key (repeated indices add up): the backward of indexing."""

    @staticmethod
    def forward(ctx, g, shape, key):
        ctx.key = key
        out = array_module(g).zeros(shape, g.dtype)
        _put(out, key, g, True)
        return out

    @staticmethod
    def backward(ctx, gg):
        return _take(gg, ctx.key), None, None


def _take(tensor, key):
    """tensor at a parsed key, differentiable: a view for a basic key, else a copy."""
    return Slice.apply(tensor, key[0]) if key[1] is None else Index.apply(tensor, key)


def slice_backward(g, in_shape, key):
    return IndexAccumulate.apply(g, in_shape, (key, None))


def getitem(self, key):
    if type(key) is int:
        shape = self._data.shape
        if not shape:
            raise IndexError(
                "invalid index of a 0-dim tensor. Use `tensor.item()` in Python or `tensor.item<T>()` "
                "in C++ to convert a 0-dim tensor to a number"
                if key == 0
                else f"index {key} is out of bounds for dimension 0 with size 0"
            )
        if not -shape[0] <= key < shape[0]:
            raise IndexError(f"index {key} is out of bounds for dimension 0 with size {shape[0]}")
        return Select.apply(self, (key,))
    if type(key) is slice:
        _check_step(key)
        if not self._data.ndim:
            raise IndexError("slice() cannot be applied to a 0-dim tensor.")
        out = Slice.apply(self, (key,))
        return named(out, "SliceBackward0") if out.grad_fn is not None else out
    basic, adv = key = _read_key(key, self._data.shape, self._data)
    if adv is not None:
        return Index.apply(self, key)
    out = Slice.apply(self, basic)
    return named(out, _basic_index_node_name(basic, self._data.shape)) if out.grad_fn is not None else out


def _basic_index_node_name(key, shape):
    """torch applies a basic index item by item, skipping full slices; its grad_fn is named after the
    last step taken."""
    name, dim = "AliasBackward0", 0
    for k in key:
        if k is None:
            name = "UnsqueezeBackward0"
        elif type(k) is int:
            name, dim = "SelectBackward0", dim + 1
        elif type(k) is slice:
            if k.indices(shape[dim]) != (0, shape[dim], 1):
                name = "SliceBackward0"
            dim += 1
    return name


class IndexPut(Op):
    """x with value written (or added) at a parsed key: setitem, index_put."""

    @staticmethod
    def forward(ctx, x, value, key, accumulate):
        ctx.key, ctx.accumulate = key, accumulate
        out = x.copy()
        _put(out, key, value, accumulate)
        return out

    @staticmethod
    def backward(ctx, g):
        gx = None
        if ctx.needs_input_grad[0]:
            gx = g if ctx.accumulate else IndexPut.apply(g, 0.0, ctx.key, False)
        return gx, _take(g, ctx.key) if ctx.needs_input_grad[1] else None, None, None


def setitem(self, key, value):
    is_tensor = isinstance(value, Tensor)
    if not is_tensor:
        value = _fill_value(value, self)
    if key is False:  # torch writes nothing and checks nothing more
        return
    if type(key) is slice:
        _check_step(key)
    range_checks = [] if is_tensor else None  # a tensor value is checked before the indices' range
    parsed = _read_key(None if key is True else key, self._data.shape, self._data, range_checks)
    if is_tensor and value.device != self.device:
        raise RuntimeError(
            f"Expected all tensors to be on the same device, but found {self.device} and "
            f"{value.device} (in tensor[...] = value)"
        )
    basic, adv = parsed
    if adv is None:
        _copy_to_view(self, basic, value)
        return
    if is_tensor:
        value = _strip_leading_ones(value)
    _check_no_overlap(self, parsed, value)
    parsed = _check_index_put(self, parsed, value, key, range_checks)
    if not (state.enabled and (self._tracks_inplace() or is_tensor and value._requires_grad)):
        _put(self._data, parsed, value._data if is_tensor else value, False)
        self._version_counter[0] += 1
        return
    if is_tensor and value.dtype != self.dtype:
        value = value.to(self.dtype)
    self._inplace_assign(IndexPut.apply(self, value, parsed, False))


def _copy_to_view(self, basic, value):
    """A basic key's write, as torch: copy_to into the view the key selects (the tensor itself for full
    slices), an in-place op on that view under autograd (CopySlices)."""
    if all(k is Ellipsis or type(k) is slice and k == _FULL for k in basic):
        target = self
    elif state.enabled and (self._tracks_inplace() or getattr(value, "_requires_grad", False)):
        target = Slice.apply(self, basic)
    else:  # no graph to keep: a bare alias of the memory (sharing the version counter) will do
        target = Tensor._make(basic_view(self._data, basic))
        target._version_counter = self._version_counter
    copy_to(target, value)


def _check_no_overlap(self, parsed, value):
    """torch's index_put_ refuses a value or an index that shares memory with the written place (x[idx] =
    x[:2], x[x] = 0): the result would depend on the order of the writes. A one-element value through one
    mask goes to masked_fill_, which checks neither."""
    basic, adv = parsed
    arrays = [k for k in adv if type(k) is not slice] if type(adv) is tuple else []
    is_tensor = isinstance(value, Tensor)
    if (not is_tensor or value._data.size == 1) and len(arrays) == 1 and arrays[0].dtype.kind == "b":
        return
    dst = self._data if basic is None else self._data[basic]
    for other in ([value._data] if is_tensor and _root(value) is _root(self) else []) + arrays:
        if _shares_memory(dst, other):
            raise RuntimeError(
                "unsupported operation: some elements of the input tensor and the written-to tensor "
                "refer to a single memory location. Please clone() the tensor before performing the "
                "operation."
            )


def _root(tensor):
    """The tensor whose memory a view shares."""
    return tensor if tensor._base is None else tensor._base


def _shares_memory(a, b):
    """torch's get_overlap_status is Partial or Full: two dense layouts over memory they share, in part or
    in whole (the same elements in the same layout)."""
    if (
        not (a.size and b.size)
        or array_module(a) is not array_module(b)
        or type(a) is np.ndarray
        and not np.may_share_memory(a, b)
    ):
        return False
    return (
        _partial_overlap(a, b)
        or _dense(a)
        and _dense(b)
        and a.nbytes == b.nbytes
        and _lowest_address(a) == _lowest_address(b)
    )


def _check_index_put(self, parsed, value, key, range_checks, accumulate=False):
    """torch's checks of an index_put, in its order: the value's shape, its dtype, the indices' range
    (range_checks, left by _read_key; None when they ran already); returns the parsed key to write at
    (see _checked). A one-element value through one mask goes to masked_fill_, which casts it but takes
    no uint8 mask."""
    basic, adv = parsed
    is_tensor = isinstance(value, Tensor)
    if not is_tensor and (type(adv) is EmptyResult or isinstance(key, Tensor) and key._data.dtype.kind in "bi"):
        return parsed  # a number into an empty place, or through one tensor (x[idx] = 0)
    arrays = [k for k in adv if type(k) is not slice]
    fills_mask = (
        not accumulate and (not is_tensor or value._data.size == 1) and len(arrays) == 1 and arrays[0].dtype.kind == "b"
    )
    if fills_mask:
        if _has_uint8_mask(key):
            raise RuntimeError("masked_fill_ only supports boolean masks, but got mask with dtype unsigned char")
    elif is_tensor:
        view = self._data if basic is None else self._data[basic]
        _check_value_shape(_indexed_shape(view.shape, adv), value._data.shape)
        if value._data.dtype != self._data.dtype:
            _raise_index_put_dtype(self, value)
    return (basic, _checked(adv, range_checks)) if range_checks else parsed


def _has_uint8_mask(key):
    for k in key if type(key) in (tuple, list) else (key,):
        arr = k._data if isinstance(k, Tensor) else k
        if getattr(arr, "ndim", 0) and arr.dtype == np.uint8:
            return True
    return False


def _raise_index_put_dtype(self, value):
    raise RuntimeError(
        f"Index put requires the source and destination dtypes match, got "
        f"{_dtype.scalar_type_name(self.dtype)} for the destination and "
        f"{_dtype.scalar_type_name(value.dtype)} for the source."
    )


def _strip_leading_ones(value):
    """torch drops a value's leading size-1 dims before broadcasting it into the indexed place."""
    shape = value._data.shape
    lead = 0
    while lead < len(shape) and shape[lead] == 1:
        lead += 1
    return value.reshape(shape[lead:]) if lead else value


_C_TYPE_NAMES = {
    "int8": "int8_t",
    "uint8": "uint8_t",
    "int16": "int16_t",
    "int32": "int",
    "int64": "int64_t",
    "float32": "float",
    "complex64": "c10::complex<float>",
}


def _fill_value(value, tensor):
    """A Python or NumPy scalar to write into the tensor, with torch's checks."""
    np_dtype = tensor._data.dtype
    if isinstance(value, float):  # NumPy's float64 is a float; its other floats are refused
        if np_dtype.kind in "iu":
            info = np.iinfo(np_dtype)
            if not info.min <= value <= info.max:
                raise _overflow(np_dtype)
        return float(value)
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, np.integer)):
        value = int(value)
        if not -(2**63) <= value < 2**63:
            raise ValueError("Overflow when unpacking long long")
        if np_dtype.kind in "iu":
            info = np.iinfo(np_dtype)
            if not (-info.max if info.min == 0 else info.min) <= value <= info.max:
                raise _overflow(np_dtype)
            return np.asarray(value).astype(np_dtype)[()]
        return value
    if isinstance(value, complex):  # NumPy's complex128 is a complex; its complex64 is refused
        if np_dtype.kind == "c":
            big = np.finfo(np_dtype).max
            if any(math.isfinite(part) and abs(part) > big for part in (value.real, value.imag)):
                raise _overflow(np_dtype)
            return complex(value)
        if np_dtype.kind != "b" and value.imag:
            raise _overflow(np_dtype)
        return bool(value) if np_dtype.kind == "b" else _fill_value(value.real, tensor)
    raise TypeError(f"can't assign a {_type_name(value)} to a torch.{_dtype.scalar_type_name(tensor.dtype)}Tensor")


def _overflow(np_dtype):
    """torch's error for a number the tensor's dtype cannot hold (its C++ type's name; double for the other
    floats, which torch converts through double)."""
    return RuntimeError(
        f"value cannot be converted to type {_C_TYPE_NAMES.get(np_dtype.name, 'double')} without overflow"
    )


@torch_api()
def index_put(input, indices, values, accumulate=False):
    if not isinstance(values, Tensor):
        raise TypeError(f"index_put(): argument 'values' (position 2) must be Tensor, not {_type_name(values)}")
    items = tuple(indices)
    for i, k in enumerate(items):
        if not isinstance(k, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got {_type_name(k)}")
    shape = input._data.shape
    arrays = [_index_item(k) for k in items]
    arrays = [np.asarray(a) if type(a) in (int, bool) else a for a in arrays]  # 0-d tensors index here too
    _check_index_dtypes(arrays)
    n = sum(a.ndim if a.dtype == np.bool_ else 1 for a in arrays)
    if n > len(shape):
        raise IndexError(f"too many indices for tensor of dimension {len(shape)} (got {n})")
    entries, dim = [], 0
    for a in arrays:
        m = a.ndim if a.dtype == np.bool_ else 1
        entries.append((dim, a, shape[dim : dim + m] if a.dtype.kind == "b" else shape[dim]))
        dim += m
    if not entries:
        return IndexPut.apply(input, values.to(input.dtype), ((Ellipsis,), None), accumulate)
    range_checks = []
    key = (None, _adv_key(entries, lambda: shape, input._data, range_checks))
    key = _check_index_put(input, key, values, items, range_checks, accumulate)
    return IndexPut.apply(input, values.to(input.dtype), key, accumulate)


@torch_api(function=False)
def index_put_(self, indices, values, accumulate=False):
    return self._inplace_assign(index_put(self, indices, values, accumulate))


# --- gather / scatter ---------------------------------------------------------------------------


def _check_index_dtype(op, index, message="Expected dtype int32/int64 for index"):
    if index._data.dtype not in (np.int32, np.int64):
        raise RuntimeError(f"{op}(): {message} (got {index.dtype}; convert it with .long())")


def _check_gather_scatter(op, input, dim, index, src=None):
    """torch's checks of gather/scatter (ScatterGatherChecks.h): index dtype, ranks, sizes and range."""
    _check_index_dtype("gather" if op == "gather" else "scatter", index)
    if src is not None and src.dtype != input.dtype:
        raise RuntimeError(
            f"scatter(): Expected self.dtype to be equal to src.dtype (self {input.dtype}, src {src.dtype})"
        )
    rank = max(index.dim(), 1)
    if rank != max(input.dim(), 1):
        raise RuntimeError(
            f"Index tensor must have the same number of dimensions as "
            f"{'input' if op == 'gather' else 'self'} tensor ({op}: input {list(input.shape)}, "
            f"index {list(index.shape)})"
        )
    if src is not None and rank != max(src.dim(), 1):
        raise RuntimeError(
            f"Index tensor must have the same number of dimensions as src tensor ({op}: index "
            f"{list(index.shape)}, src {list(src.shape)})"
        )
    sizes = lambda t: tuple(t.shape) or (1,)  # noqa: E731
    idx, inp = sizes(index), sizes(input)
    for d in range(rank):
        if op == "gather" and d != dim and idx[d] > inp[d]:
            raise RuntimeError(
                f"Size does not match at dimension {d} expected index {list(index.shape)} to be no "
                f"larger than self {list(input.shape)} apart from dimension {dim}"
            )
        if op != "gather" and (d != dim and idx[d] > inp[d] or src is not None and idx[d] > sizes(src)[d]):
            raise RuntimeError(
                f"Expected index {list(index.shape)} to be no larger than self {list(input.shape)} "
                f"apart from dimension {dim}"
                + ("" if src is None else f" and to be no larger size than src {list(src.shape)}")
            )
    _check_index_range(index._data, inp[dim], dim, RuntimeError)


def _check_index_range(index, size, dim, error=RuntimeError, prefix=""):
    """Indices must lie in [0, size): these ops take no negative index, unlike indexing. Unchecked while a
    CUDA graph captures (see can_sync)."""
    if index.size and can_sync(index):
        lo, hi = int(index.min()), int(index.max())
        if lo < 0 or hi >= size:
            raise error(f"{prefix}index {lo if lo < 0 else hi} is out of bounds for dimension {dim} with size {size}")


def _full_index(index, dim):
    """The fancy-index tuple that addresses `index` positions along `dim` (open grids on index's device)."""
    xp, n = array_module(index), index.ndim
    grids = [xp.arange(size).reshape((1,) * d + (size,) + (1,) * (n - d - 1)) for d, size in enumerate(index.shape)]
    grids[dim] = index
    return tuple(grids)


def _as_1d(arr):
    """gather/scatter treat a 0-d tensor as one of shape (1,)."""
    return arr.reshape(1) if arr.ndim == 0 else arr


def _src_part(src, index):
    """The part of src the index addresses (src may be larger than index)."""
    if src.shape == index.shape:
        return src
    return src[tuple(slice(0, s) for s in index.shape)]


class Gather(Op):
    @staticmethod
    def forward(ctx, x, dim, index):
        ctx.in_shape, ctx.dim, ctx.index = x.shape, dim, index
        return _as_1d(x)[_full_index(_as_1d(index), dim)].reshape(index.shape)

    @staticmethod
    def backward(ctx, g):
        return ScatterAdd.apply(_zeros(g, ctx.in_shape), ctx.dim, ctx.index, g), None, None


def _zeros(like, shape):
    return Tensor._make(array_module(like._data).zeros(shape, like._data.dtype))


@torch_api()
def gather(input, dim, index, *, sparse_grad=False):
    d = input._dim(dim)
    _check_gather_scatter("gather", input, d, index)
    return Gather.apply(input, d, index._data)


class Scatter(Op):
    """input with src (an array, or a scalar value) written at index along dim."""

    @staticmethod
    def forward(ctx, x, dim, index, src):
        ctx.dim, ctx.index = dim, index
        out = _as_1d(x.copy())
        out[_full_index(_as_1d(index), dim)] = _src_part(_as_1d(src), _as_1d(index)) if hasattr(src, "ndim") else src
        return out.reshape(x.shape)

    @staticmethod
    def backward(ctx, g):
        idx = Tensor._make(ctx.index)
        gsrc = g.gather(ctx.dim, idx) if ctx.needs_input_grad[3] else None
        return g.scatter(ctx.dim, idx, 0.0), None, None, gsrc


class ScatterAdd(Op):
    @staticmethod
    def forward(ctx, x, dim, index, src):
        ctx.dim, ctx.index = dim, index
        out = _as_1d(x.copy())
        array_module(x).add.at(out, _full_index(_as_1d(index), dim), _src_part(_as_1d(src), _as_1d(index)))
        return out.reshape(x.shape)

    @staticmethod
    def backward(ctx, g):
        return g, None, None, g.gather(ctx.dim, Tensor._make(ctx.index)) if ctx.needs_input_grad[3] else None


class ScatterWithReduce(Op):
    """scatter(..., reduce="add"/"multiply"): torch has no derivative for it and says so in backward."""

    _node_name = "NotImplemented"

    @staticmethod
    def forward(ctx, x, dim, index, src, reduce):
        out = _as_1d(x.copy())
        at = array_module(x).add.at if reduce == "add" else multiply_at
        at(out, _full_index(_as_1d(index), dim), _src_part(_as_1d(src), _as_1d(index)) if hasattr(src, "ndim") else src)
        return out.reshape(x.shape)

    @staticmethod
    def backward(ctx, g):
        raise RuntimeError("derivative for aten::scatter is not implemented")


_SCATTER_REDUCE_WARNING = (
    "The reduce argument of torch.scatter with Tensor src is deprecated and will be removed in "
    "a future PyTorch release. Use torch.scatter_reduce instead for more reduction options."
)


@torch_api(inplace=True)
def scatter(input, dim, index, src=None, value=None, *, reduce=None):
    source = value if src is None else src
    if source is None:
        raise TypeError("scatter() missing its source: pass src (a Tensor) or value (a number)")
    d = input._dim(dim)
    _check_gather_scatter("scatter", input, d, index, source if isinstance(source, Tensor) else None)
    if reduce is not None:
        if isinstance(source, Tensor):
            _warn_user(_SCATTER_REDUCE_WARNING)
        if reduce not in ("add", "multiply"):
            raise RuntimeError("reduce argument must be either add or multiply.")
        return ScatterWithReduce.apply(input, d, index._data, source, reduce)
    if isinstance(source, Tensor):
        return Scatter.apply(input, d, index._data, source)
    return named(Scatter.apply(input, d, index._data, source), "ScatterBackward1")


@torch_api(inplace=True)
def scatter_add(input, dim, index, src):
    d = input._dim(dim)
    _check_gather_scatter("scatter_add", input, d, index, src)
    return ScatterAdd.apply(input, d, index._data, src)


_SCATTER_REDUCE_OPS = {
    "sum": "add",
    "prod": "multiply",
    "amax": "maximum",
    "amin": "minimum",
    "max": "maximum",
    "min": "minimum",
}  # max/min: torch's forward takes them, its backward refuses them


def _scatter_reduce_array(x, dim, index, src, reduce, include_self):
    xp = array_module(x)
    out = _as_1d(x.copy())
    key = _full_index(_as_1d(index), dim)
    vals = _src_part(_as_1d(src), _as_1d(index))
    if reduce == "mean":
        counts = xp.zeros(out.shape, np.int64)
        xp.add.at(counts, key, 1)
        if not include_self:
            out[key] = 0
        xp.add.at(out, key, vals)
        n = xp.maximum(counts + include_self, 1)
        mean = out // n if out.dtype.kind in "iu" else (out / n).astype(out.dtype)  # torch floors integers
        out = xp.where(counts > 0, mean, out)
    else:
        if not include_self:
            out[key] = _reduce_identity(reduce, out.dtype)
        ufunc = _SCATTER_REDUCE_OPS[reduce]
        at = multiply_at if ufunc == "multiply" else getattr(xp, ufunc).at
        at(out, key, vals)
    return out.reshape(x.shape)


def _reduce_identity(reduce, dtype):
    if reduce in ("sum", "prod"):
        return 0 if reduce == "sum" else 1
    big = np.iinfo(dtype).max if dtype.kind in "iu" else True if dtype.kind == "b" else np.inf
    small = np.iinfo(dtype).min if dtype.kind in "iu" else False if dtype.kind == "b" else -np.inf
    return small if reduce in ("amax", "max") else big


class ScatterReduce(Op):
    @staticmethod
    def forward(ctx, x, dim, index, src, reduce, include_self):
        out = _scatter_reduce_array(x, dim, index, src, reduce, include_self)
        ctx.dim, ctx.index, ctx.reduce, ctx.include_self = dim, index, reduce, include_self
        if ctx._record:  # all of src, as torch's formulas take it (even where it is larger than index)
            ctx.save_for_backward(x, src, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        """torch's scatter_reduce_backward (FunctionsManual.cpp): amax/amin share the gradient evenly
        among ties, prod divides the product by each factor and takes the zeros apart, mean divides
        by the counts."""
        x, src, result = ctx.saved_tensors
        dim, reduce, include_self = ctx.dim, ctx.reduce, ctx.include_self
        index = Tensor._make(ctx.index)
        if reduce == "sum":
            grad_x, grad_src = grad, grad.gather(dim, index)
        elif reduce == "prod":
            masked_x = x.masked_fill(x == 0, 1)
            grad_x = grad * masked_x.scatter_reduce(dim, index, src, "prod", include_self=include_self) / masked_x
            src_zero = src == 0
            zeros_at = _zeros(x, x.shape).scatter_add(dim, index, src_zero.to(x.dtype)).gather(dim, index)
            single_zero = src_zero & (zeros_at == 1)
            without_it = x.scatter_reduce(
                dim, index, src.masked_fill(single_zero, 1), "prod", include_self=include_self
            )
            grad_src = where(
                single_zero,
                (grad * without_it).gather(dim, index),
                (grad * result).gather(dim, index) / src.masked_fill(src_zero, 1),
            )
        elif reduce == "mean":
            n = (_zeros(grad, grad.shape) + include_self).scatter_add(dim, index, _zeros(src, src.shape) + 1)
            n = n.masked_fill(n == 0, 1)
            grad_x, grad_src = grad / n, grad.gather(dim, index) / n.gather(dim, index)
        elif reduce in ("amax", "amin"):
            value = result.gather(dim, index)
            x_is_result, src_is_result = x == result, src == value
            n = x_is_result.to(x.dtype).scatter_add(dim, index, src_is_result.to(x.dtype))
            grad_x = x_is_result * (grad / n)
            grad_src = src_is_result * (grad / n).gather(dim, index)
        else:
            raise RuntimeError(
                f"Expected 'reduce' to be one of 'sum', 'prod', 'mean', 'amax', 'amin' but got {reduce}."
            )
        if not include_self:
            grad_x = grad_x.masked_fill(_zeros(grad_x, grad_x.shape).bool().scatter(dim, index, True), 0)
        return grad_x, None, None, grad_src, None, None


@torch_api(inplace=True)
def scatter_reduce(input, dim, index, src, reduce, *, include_self=True):
    d = input._dim(dim)
    if reduce not in _SCATTER_REDUCE_OPS and reduce != "mean":
        raise RuntimeError(f"reduce argument must be either sum, prod, mean, amax or amin, got {reduce}")
    _check_gather_scatter("scatter_reduce", input, d, index, src)
    return ScatterReduce.apply(input, d, index._data, src, reduce, bool(include_self))


# --- index_select / index_add / index_copy / index_fill -------------------------------------------


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
        return g, None, None, IndexSelect.apply(g, ctx.dim, ctx.index) if ctx.needs_input_grad[3] else None


def _check_index_add_source(input, dim, index, source):
    rows = source.shape[dim] if source.dim() else 1
    if index.numel() != rows:
        raise RuntimeError(
            f"index_add_(): Number of indices ({index.numel()}) should be equal to source.size(dim): "
            f"({rows}), for dim: {dim}"
        )
    if source.dim() != input.dim() or any(
        s != n for d, (s, n) in enumerate(zip(source.shape, input.shape)) if d != dim
    ):
        raise RuntimeError(
            f"source tensor shape must match self tensor shape, excluding the specified dimension. "
            f"Got self.shape = {list(input.shape)} source.shape = {list(source.shape)}"
        )


def _check_index_copy(input, dim, index, source):
    """torch's checks of index_copy_, in its order."""
    if index.dim() > 1:
        raise IndexError(f"index_copy_(): Index should have dimension 1 or 0 (got {index.dim()})")
    if source.dim() == 0 and index.numel() != 1:
        raise IndexError(f"index_copy_(): When source is scalar, index should have one element (got {index.numel()})")
    if source.dim() != input.dim() and source.dim() and input.dim():
        raise IndexError(
            f"index_copy_(): When source and destination are not scalars, their dimensionality must "
            f"match. Source dimensionality ({source.dim()}), destination dimensionality ({input.dim()})"
        )
    if index._data.dtype != np.int64:
        raise RuntimeError(
            f"index_copy_(): Expected a long tensor for index, but got {_dtype.scalar_type_name(index.dtype)}"
        )
    if source.dtype != input.dtype:
        raise RuntimeError(
            f"index_copy_(): self and source expected to have the same dtype, but got (self) "
            f"{_dtype.scalar_type_name(input.dtype)} and (source) {_dtype.scalar_type_name(source.dtype)}"
        )
    sliced = lambda t: [n for d, n in enumerate(t.shape) if d != dim]  # noqa: E731
    if source.dim() and sliced(input) != sliced(source):
        raise RuntimeError(
            f"index_copy_(): Source/destination tensor must have same slice shapes. Destination slice "
            f"shape: {sliced(input)} at dimension {dim} and source slice shape: {sliced(source)} at "
            "dimension 0."
        )
    if source.dim() and index.numel() != source.shape[dim]:
        raise IndexError(
            f"index_copy_(): Number of indices ({index.numel()}) should be equal to source.size(dim) "
            f"({source.shape[dim]})"
        )
    _check_index_range(index._data, input.shape[dim] if input.dim() else 1, dim, IndexError, "index_copy_(): ")


def _check_index_select_range(input, dim, index):
    """torch's CPU kernels word an index out of range three ways, by the layout they take."""
    size = input.shape[dim] if input.dim() else 1
    if input.dim() > 1 and input.numel() == 0 and index.size and size == 0:
        raise RuntimeError("index_select(): self indexing axis dim should be positive")
    if not index.size or not can_sync(index) or int(index.min()) >= 0 and int(index.max()) < size:
        return
    flat = index.reshape(-1)
    bad = int(flat[int(((flat < 0) | (flat >= size)).argmax())])
    if input.dim() > 1 and (dim == 1 or input.numel() == 0):
        raise RuntimeError(f"INDICES element is out of DATA bounds, id={bad} axis_dim={size}")
    raise IndexError(f"index out of range in self (index_select: index {bad}, dimension {dim} has size {size})")


def _check_index_add_range(input, dim, index):
    """index_add_ scatters along the first or last dim of a matrix or more (an out-of-range index is a
    RuntimeError there) and adds slice by slice elsewhere (an IndexError)."""
    if input.dim() > 1 and dim in (0, input.dim() - 1):
        _check_index_range(index, input.shape[dim], dim)
    elif (
        index.size
        and can_sync(index)
        and (int(index.min()) < 0 or int(index.max()) >= (input.shape[dim] if input.dim() else 1))
    ):
        raise IndexError(
            f"index out of range in self (index_add_: indices {int(index.min())}..{int(index.max())} "
            f"along dimension {dim} of a tensor of shape {list(input.shape)})"
        )


@torch_api()
def index_select(input, dim, index):
    d = input._dim(dim)
    if index.dim() > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    _check_index_dtype("index_select", index, message="Expected dtype int32 or int64 for index")
    _check_index_select_range(input, d, index._data)
    if not input.dim():
        return IndexSelect.apply(input.reshape(1), 0, index._data.reshape(-1)).reshape(())
    return IndexSelect.apply(input, d, index._data.reshape(-1))


@torch_api(inplace=True)
def index_add(input, dim, index, source, *, alpha=1):
    d = input._dim(dim)
    if index._data.dtype not in (np.int32, np.int64):
        raise RuntimeError(
            f"index_add_(): Expected dtype int32/int64 for index but got: {_dtype.scalar_type_name(index.dtype)}"
        )
    if source.dtype != input.dtype:
        raise RuntimeError(
            f"index_add_(): self ({_dtype.scalar_type_name(input.dtype)}) and source "
            f"({_dtype.scalar_type_name(source.dtype)}) must have the same scalar type"
        )
    if index.dim() > 1:
        raise IndexError(
            f"index_add_(): Index is supposed to be a vector, but got dim: {index.dim()} with type: "
            f"{_dtype.scalar_type_name(index.dtype)} and size: {list(index.shape)}"
        )
    _check_index_add_source(input, d, index, source)
    _check_index_add_range(input, d, index._data)
    if alpha != 1:
        source = source * (alpha if input.is_floating_point() else int(alpha))
    if not input.dim():  # a 0-d tensor is indexed as one of shape (1,)
        return IndexAdd.apply(input.reshape(1), 0, index._data.reshape(-1), source.reshape(-1)).reshape(())
    return IndexAdd.apply(input, d, index._data.reshape(-1), source)


class IndexFill(Op):
    @staticmethod
    def forward(ctx, x, dim, index, value):
        ctx.dim, ctx.index = dim, index
        out = x.copy()
        out[(slice(None),) * dim + (index,)] = value
        return out

    @staticmethod
    def backward(ctx, g):
        index = Tensor._make(ctx.index)
        gvalue = None
        if ctx.needs_input_grad[3]:  # each filled place once, however often the index names it
            gvalue = g.index_select(ctx.dim, Tensor._make(array_module(ctx.index).unique(ctx.index))).sum()
        return g.index_fill(ctx.dim, index, 0), None, None, gvalue


@torch_api(inplace=True)
def index_fill(input, dim, index, value):
    d = input._dim(dim)
    if index._data.dtype != np.int64:
        raise IndexError(f"index_fill_(): Expected dtype int64 for index. (got {index.dtype})")
    if index.dim() > 1:
        raise RuntimeError(f"Index has to be a vector/scalar (index_fill_ got an index of shape {list(index.shape)})")
    if isinstance(value, Tensor):
        if value.dim():
            raise RuntimeError(
                f"index_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                f"{value.dim()} dimension(s)."
            )
        if not value.requires_grad:
            value = value.item()
    size = input.shape[d] if input.dim() else 1
    if index.numel() and can_sync(index._data) and (int(index._data.min()) < -size or int(index._data.max()) >= size):
        bad = int(index._data.min()) if int(index._data.min()) < -size else int(index._data.max())
        raise IndexError(f"index {bad} is out of bounds for dimension {d} with size {size}")
    if not input.dim():  # a 0-d tensor is indexed as one of shape (1,)
        return IndexFill.apply(input.reshape(1), 0, index._data.reshape(-1), value).reshape(())
    return IndexFill.apply(input, d, index._data.reshape(-1), value)


@torch_api(inplace=True)
def index_copy(input, dim, index, source):
    d = input._dim(dim)
    _check_index_copy(input, d, index, source)
    key = (None, (slice(None),) * d + (index._data.reshape(-1),))
    if not input.dim():  # a 0-d tensor is indexed as one of shape (1,)
        return named(IndexPut.apply(input.reshape(1), source.reshape(-1), key, False), "IndexCopyBackward0").reshape(())
    return named(IndexPut.apply(input, source, key, False), "IndexCopyBackward0")


# --- masks -----------------------------------------------------------------------------------------


class MaskedFill(Op):
    @staticmethod
    def forward(ctx, x, mask, value):
        ctx.mask = mask
        return array_module(x).where(mask, value, x).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        m = Tensor._make(ctx.mask)
        return g.masked_fill(m, 0.0), None, (g * m).sum() if ctx._record and ctx.needs_input_grad[2] else None


@torch_api(inplace=True)
def masked_fill(input, mask, value):
    if mask._data.dtype != np.bool_:
        raise RuntimeError(f"masked_fill_ only supports boolean masks, but got mask with dtype {mask.dtype}")
    try:
        np.broadcast_shapes(mask.shape, input.shape)
    except ValueError:
        raise RuntimeError(
            f"masked_fill: the shape of the mask {list(mask.shape)} must be broadcastable to the "
            f"shape of the tensor {list(input.shape)}"
        ) from None
    if isinstance(value, Tensor):
        if value.dim():
            raise RuntimeError(
                f"masked_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                f"{value.dim()} dimension(s)."
            )
        if not value.requires_grad:
            value = value.item()
    return MaskedFill.apply(input, mask._data, value)


@torch_api()
def masked_select(input, mask):
    if mask._data.dtype != np.bool_:
        raise RuntimeError(f"masked_select: expected BoolTensor for mask, got {mask.dtype}")
    shape = np.broadcast_shapes(tuple(input.shape), tuple(mask.shape))
    x = input.expand(shape) if tuple(input.shape) != shape else input
    key = (None, (array_module(mask._data).broadcast_to(mask._data, shape),))
    return named(Index.apply(x, key), "MaskedSelectBackward0")


@torch_api(inplace=True)
def masked_scatter(input, mask, source):
    if mask._data.dtype != np.bool_:
        raise RuntimeError(
            f"masked_scatter_ only supports boolean masks, but got mask with dtype "
            f"{_dtype.scalar_type_name(mask.dtype)}"
        )
    if source.dtype != input.dtype:
        raise RuntimeError(
            f"masked_scatter: expected self and source to have same dtypes but got"
            f"{_dtype.scalar_type_name(input.dtype)} and {_dtype.scalar_type_name(source.dtype)}"
        )
    shape = np.broadcast_shapes(tuple(input.shape), tuple(mask.shape))
    x = input.expand(shape) if tuple(input.shape) != shape else input
    m = array_module(mask._data).broadcast_to(mask._data, shape)
    n = int(m.sum())
    if source.numel() < n:
        raise RuntimeError(
            f"Number of elements of source < number of ones in mask (masked_scatter: source has "
            f"{source.numel()}, the mask {n})"
        )
    return named(IndexPut.apply(x, source.reshape(-1)[:n], (None, (m,)), False), "MaskedScatterBackward0")


class NoGradIndex(Op):
    differentiable = False

    @staticmethod
    def forward(ctx, x, kernel):
        return kernel(x)


@torch_api()
def nonzero(input, *, as_tuple=False):
    if as_tuple:
        arr = input._data if input.dim() else input._data.reshape(1)
        return tuple(Tensor._make(i.astype(np.int64)) for i in array_module(arr).nonzero(arr))
    return NoGradIndex.apply(input, lambda x: array_module(x).argwhere(x).astype(np.int64))


@torch_api()
def argwhere(input):
    return nonzero(input)


@torch_api()
def take(input, index):
    if index._data.dtype != np.int64:
        raise RuntimeError(f"take(): Expected a long tensor for index, but got {_dtype.scalar_type_name(index.dtype)}")
    n = input.numel()
    if index.numel() and n == 0:
        raise IndexError("take(): tried to take from an empty tensor")
    if index.numel() and can_sync(index._data):
        lo, hi = int(index._data.min()), int(index._data.max())
        if lo < -n or hi >= n:
            raise IndexError(
                f"out of range: tried to access index {lo if lo < -n else hi} on a tensor of {n} elements."
            )
    return named(Index.apply(input.reshape(-1), (None, (index._data,))), "TakeBackward0")


def _broadcast_shape(a, b):
    """np.broadcast_shapes with torch's message (infer_size names the last dim that differs)."""
    try:
        return np.broadcast_shapes(a, b)
    except ValueError:
        n = max(len(a), len(b))
        pa, pb = (1,) * (n - len(a)) + tuple(a), (1,) * (n - len(b)) + tuple(b)
        dim = next(i for i in reversed(range(n)) if pa[i] != pb[i] and 1 not in (pa[i], pb[i]))
        raise RuntimeError(
            f"The size of tensor a ({pa[dim]}) must match the size of tensor b ({pb[dim]}) at "
            f"non-singleton dimension {dim}"
        ) from None


@torch_api()
def take_along_dim(input, indices, dim=None):
    if indices._data.dtype != np.int64:
        raise RuntimeError(
            f"torch.take_along_dim(): dtype of indices should be Long but got {_dtype.scalar_type_name(indices.dtype)}"
        )
    if dim is None:
        return gather(input.reshape(-1), 0, indices.reshape(-1))
    if not input.dim():
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    d = input._dim(dim)
    if indices.dim() != input.dim():
        raise RuntimeError(
            f"torch.take_along_dim(): input and indices should have the same number of dimensions, "
            f"but got {input.dim()} dimensions for input, and {indices.dim()} dimensions for indices"
        )
    size = input.shape[d]
    with_index_rows = tuple(input.shape[:d]) + (indices.shape[d],) + tuple(input.shape[d + 1 :])
    shape = _broadcast_shape(with_index_rows, tuple(indices.shape))
    if size == 0 and indices.numel():
        raise RuntimeError("ZeroDivisionError (take_along_dim: indices into a dimension of size 0)")
    # torch takes the indices modulo the size of dim here (negative and too large ones wrap around)
    wrapped = Tensor._make(indices._data % size) if indices.numel() else indices
    input_shape = shape[:d] + (size,) + shape[d + 1 :]
    return gather(
        input.expand(input_shape) if tuple(input.shape) != input_shape else input,
        d,
        wrapped.expand(shape) if tuple(indices.shape) != shape else wrapped,
    )


def _sort_indices(arr, dim, descending):
    """A stable order along dim with NaN as the largest value, as torch's sort.

    Descending: the ascending order of the reversed array, reversed and re-indexed, which keeps equal
    elements in index order and puts NaN first (negating the keys would leave NaN last and overflow
    the smallest integer)."""
    xp = array_module(arr)
    if descending:
        order = xp.argsort(xp.flip(arr, dim), axis=dim, kind="stable")
        return arr.shape[dim] - 1 - xp.flip(order, dim)
    return xp.argsort(arr, axis=dim, kind="stable")


@torch_api()
def sort(input, dim=-1, descending=False, stable=False):
    if input.dim() == 0:
        return values_indices["sort"](input.clone(), Tensor._make(array_module(input._data).zeros((), np.int64)))
    d = input._dim(dim)
    idx = Tensor._make(_sort_indices(input._data, d, descending).astype(np.int64))
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
    idx = Tensor._make(order[(slice(None),) * d + (slice(0, k),)].astype(np.int64))
    src = input if input.dim() else input.reshape(1)
    return values_indices["topk"](named(gather(src, d, idx), "TopkBackward0"), idx)


@torch_api()
def searchsorted(sorted_sequence, values, *, out_int32=False, right=False, side=None, sorter=None):
    side = side or ("right" if right else "left")
    seq = sorted_sequence._data
    xp = array_module(seq)
    if sorter is not None:  # the order that sorts an unsorted sequence
        seq = xp.take_along_axis(seq, sorter._data, axis=-1)
    vals = values._data if isinstance(values, Tensor) else xp.asarray(values)
    if seq.ndim == 1:
        out = xp.searchsorted(seq, vals, side=side)
    else:
        out = xp.stack(
            [
                xp.searchsorted(s, v, side=side)
                for s, v in zip(seq.reshape(-1, seq.shape[-1]), vals.reshape(-1, vals.shape[-1]))
            ]
        ).reshape(vals.shape)
    return Tensor._make(xp.asarray(out).astype(np.int32 if out_int32 else np.int64))


def _unique_consecutive_slices(input, return_inverse, return_counts, d):
    """unique_consecutive along dim d: runs of equal slices collapse to one."""
    arr = input._data
    xp = array_module(arr)
    rows = xp.moveaxis(arr, d, 0).reshape(arr.shape[d], -1)
    keep = xp.concatenate([xp.ones(min(1, rows.shape[0]), np.bool_), (rows[1:] != rows[:-1]).any(1)])
    out = [Tensor._make(xp.compress(keep, arr, axis=d))]
    if return_inverse:
        out.append(Tensor._make((xp.cumsum(keep) - 1).astype(np.int64)))
    if return_counts:
        out.append(Tensor._make(xp.diff(xp.nonzero(xp.concatenate([keep, xp.ones(1, np.bool_)]))[0]).astype(np.int64)))
    return out[0] if len(out) == 1 else tuple(out)


@torch_api()
def bucketize(input, boundaries, *, out_int32=False, right=False):
    xp = array_module(boundaries._data)
    values = input._data if isinstance(input, Tensor) else xp.asarray(input)
    out = xp.searchsorted(boundaries._data, values, side="right" if right else "left")
    return Tensor._make(xp.asarray(out).astype(np.int32 if out_int32 else np.int64))


@torch_api()
def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    if dim is not None:
        dim = input._dim(dim)
    # NaN != NaN: torch keeps every NaN as a value of its own
    res = array_module(input._data).unique(
        input._data, return_inverse=return_inverse, return_counts=return_counts, axis=dim, equal_nan=False
    )
    if not (return_inverse or return_counts):
        return Tensor._make(res)
    out = [Tensor._make(res[0])]
    if return_inverse:
        out.append(Tensor._make(res[1].reshape(input.shape if dim is None else -1).astype(np.int64)))
    if return_counts:
        out.append(Tensor._make(res[-1].astype(np.int64)))
    return tuple(out)


@torch_api()
def unique_consecutive(input, return_inverse=False, return_counts=False, dim=None):
    if dim is not None:
        return _unique_consecutive_slices(input, return_inverse, return_counts, input._dim(dim))
    arr = input._data.reshape(-1)
    if arr.size == 0:
        return Tensor._make(arr)
    xp = array_module(arr)
    first = xp.ones(1, np.bool_)
    keep = xp.concatenate([first, arr[1:] != arr[:-1]])
    vals = arr[keep]
    out = [Tensor._make(vals)]
    if return_inverse:
        out.append(Tensor._make((xp.cumsum(keep) - 1).reshape(input.shape).astype(np.int64)))
    if return_counts:
        out.append(Tensor._make(xp.diff(xp.nonzero(xp.concatenate([keep, first]))[0]).astype(np.int64)))
    return out[0] if len(out) == 1 else tuple(out)


@torch_api()
def bincount(input, weights=None, minlength=0):
    arr = input._data
    if arr.dtype.kind not in "iu" or arr.ndim != 1 or arr.size and int(arr.min()) < 0:
        if arr.dtype.kind not in "iub":
            raise NotImplementedError(f"\"bincount_cpu\" not implemented for '{_dtype.scalar_type_name(input.dtype)}'")
        raise RuntimeError(
            f"bincount only supports 1-d non-negative integral inputs. (got {input.dtype} of shape {list(input.shape)})"
        )
    if minlength < 0:
        raise RuntimeError("minlength should be >= 0")
    xp = array_module(arr)
    if weights is None:
        return Tensor._make(xp.bincount(arr, minlength=minlength).astype(np.int64))
    w = weights._data
    if w.shape != arr.shape:
        raise RuntimeError(
            f"weights should be 1-d and have the same length as input (input {list(input.shape)}, "
            f"weights {list(weights.shape)})"
        )
    # torch sums float32 weights in float32 and any other weights in float64
    return Tensor._make(
        xp.bincount(arr, weights=w, minlength=minlength).astype(np.float32 if w.dtype == np.float32 else np.float64)
    )


@torch_api()
def histc(input, bins=100, min=0, max=0):
    if not input.is_floating_point():
        raise NotImplementedError(f"\"histogram_cpu\" not implemented for '{_dtype.scalar_type_name(input.dtype)}'")
    arr = input._data
    lo, hi = (min, max) if (min, max) != (0, 0) else (float(arr.min()), float(arr.max()))
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    counts, _ = array_module(arr).histogram(arr, bins=bins, range=(lo, hi))
    return Tensor._make(counts.astype(arr.dtype))
