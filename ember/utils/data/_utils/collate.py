"""default_collate / default_convert: turn a list of samples into a batch, as torch.utils.data."""

import collections
import copy
import re

import numpy as np

from ...._backend import array_module
from ...._dtype import float64
from ...._tensor import Tensor
from ....ops.creation import as_tensor, tensor
from ....ops.shape import stack

# NumPy string/bytes/object arrays have no tensor equivalent and pass through (kinds S, a, U, O)
np_str_obj_array_pattern = re.compile(r"[SaUO]")

default_collate_err_msg_format = (
    "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}"
)


def _rebuild_like(elem, converted):
    """A container of elem's type holding `converted`; a plain list/dict when the type can't be rebuilt."""
    try:
        if isinstance(elem, collections.abc.MutableMapping):
            clone = copy.copy(elem)
            clone.update(converted)
            return clone
        if isinstance(elem, collections.abc.Mapping):
            return type(elem)(converted)
        if isinstance(elem, collections.abc.MutableSequence):
            clone = copy.copy(elem)
            for i, value in enumerate(converted):
                clone[i] = value
            return clone
        return type(elem)(converted)
    except TypeError:
        return dict(converted) if isinstance(elem, collections.abc.Mapping) else list(converted)


def default_convert(data):
    """Convert NumPy arrays/scalars in a sample to tensors, recursing into containers (no batching)."""
    elem_type = type(data)
    if isinstance(data, Tensor):
        return data
    if elem_type.__module__ == "numpy" and elem_type.__name__ not in ("str_", "string_"):
        if elem_type.__name__ == "ndarray" and np_str_obj_array_pattern.search(data.dtype.str) is not None:
            return data
        return as_tensor(np.asarray(data))
    if isinstance(data, collections.abc.Mapping):
        return _rebuild_like(data, {key: default_convert(data[key]) for key in data})
    if isinstance(data, tuple) and hasattr(data, "_fields"):  # namedtuple
        return elem_type(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]  # torch returns a list here, for backward compatibility
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        return _rebuild_like(data, [default_convert(d) for d in data])
    return data


def collate_tensor_fn(batch, *, collate_fn_map=None):
    elem = batch[0]
    if all(t.shape == elem.shape and t.dtype == elem.dtype and not t.requires_grad for t in batch):
        # samples outside the graph: one array stack instead of len(batch) unsqueeze ops and a cat
        return Tensor._make(array_module(elem._data).stack([t._data for t in batch]))
    return stack(batch, 0)  # keeps autograd, promotes dtypes and names mismatched shapes


def collate_numpy_array_fn(batch, *, collate_fn_map=None):
    elem = batch[0]
    if np_str_obj_array_pattern.search(elem.dtype.str) is not None:
        raise TypeError(default_collate_err_msg_format.format(elem.dtype))
    return collate([as_tensor(b) for b in batch], collate_fn_map=collate_fn_map)


def collate_numpy_scalar_fn(batch, *, collate_fn_map=None):
    # np.asarray keeps the scalars' own dtype (np.int32 -> int32), as torch.as_tensor does
    return as_tensor(np.asarray(batch))


def collate_float_fn(batch, *, collate_fn_map=None):
    return tensor(batch, dtype=float64)


def collate_int_fn(batch, *, collate_fn_map=None):
    return tensor(batch)


def collate_str_fn(batch, *, collate_fn_map=None):
    return batch


def collate(batch, *, collate_fn_map=None):
    """Collate by the first element's type: an exact entry of collate_fn_map, else an isinstance match,
    else recurse into mappings, namedtuples and sequences (transposing the batch)."""
    elem = batch[0]
    elem_type = type(elem)
    if collate_fn_map is not None:
        if elem_type in collate_fn_map:
            return collate_fn_map[elem_type](batch, collate_fn_map=collate_fn_map)
        for collate_type in collate_fn_map:
            if isinstance(elem, collate_type):
                return collate_fn_map[collate_type](batch, collate_fn_map=collate_fn_map)
    if isinstance(elem, collections.abc.Mapping):
        return _rebuild_like(
            elem, {key: collate([d[key] for d in batch], collate_fn_map=collate_fn_map) for key in elem}
        )
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # namedtuple
        return elem_type(*(collate(samples, collate_fn_map=collate_fn_map) for samples in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        elem_size = len(elem)
        if not all(len(e) == elem_size for e in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        collated = [collate(samples, collate_fn_map=collate_fn_map) for samples in zip(*batch)]
        if isinstance(elem, tuple):
            return collated  # torch returns a list here, for backward compatibility
        return _rebuild_like(elem, collated)
    raise TypeError(default_collate_err_msg_format.format(elem_type))


default_collate_fn_map = {
    Tensor: collate_tensor_fn,
    np.ndarray: collate_numpy_array_fn,
    (np.bool_, np.number, np.object_): collate_numpy_scalar_fn,
    float: collate_float_fn,
    int: collate_int_fn,
    str: collate_str_fn,
    bytes: collate_str_fn,
}


def default_collate(batch):
    """Stack a list of samples into a batch: tensors and arrays are stacked on a new dim 0, Python ints
    become int64, floats float64, bools bool tensors; strings stay a list; containers are collated
    field by field."""
    return collate(batch, collate_fn_map=default_collate_fn_map)
