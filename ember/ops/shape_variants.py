"""torch's variants of the view ops: in place (t_, squeeze_, ...), copying (view_copy, narrow_copy, ...), scattering
into a copy (select_scatter, ...), splits along a fixed axis (hsplit, ...), atleast_3d and unravel_index."""

import numpy as np

from .._backend import array_module
from ..autograd.function import rename
from ..autograd.grad_mode import state
from ..autograd.views import check_inplace
from .._tensor import Tensor
from ._registry import FUNCTIONS, METHODS, named, torch_api
from .aliases import swapaxes
from .shape import as_strided, diagonal, narrow, select, tensor_split, transpose, squeeze, unsqueeze, t


# --- in place: the tensor itself becomes the view ----------------------------------------------------------


def _inplace_view(view_op, node_name):
    """x.t_() and kin: x takes the layout of x.t() over the same memory and, when the graph records, its
    history (a node named as torch's in-place variant)."""

    def inplace(self, *args, **kwargs):
        track = state.enabled and self._tracks_inplace()
        if track:
            check_inplace(self)
        view = view_op(self, *args, **kwargs)
        self._data = view._data
        self._version_counter[0] += 1
        if track:
            rename(view._grad_fn, node_name)
            self._grad_fn, self._output_nr = view._grad_fn, view._output_nr
            if self._view_version is not None:
                self._view_version = self._version_counter[0]  # its history is the one just taken, not the base's
        return self

    inplace.__name__ = view_op.__name__ + "_"
    inplace.__wrapped__ = view_op
    return inplace


def _squeeze_(self, dim=None):
    return (_SQUEEZE_ALL if dim is None else _SQUEEZE_DIMS)(self, dim)


_SQUEEZE_ALL, _SQUEEZE_DIMS = _inplace_view(squeeze, "SqueezeBackward3"), _inplace_view(squeeze, "SqueezeBackward4")
METHODS.update(
    {
        "t_": _inplace_view(t, "TBackward1"),
        "transpose_": _inplace_view(transpose, "TransposeBackward1"),
        "swapdims_": _inplace_view(transpose, "TransposeBackward1"),
        "swapaxes_": _inplace_view(swapaxes, "TransposeBackward1"),  # torch's axis0/axis1
        "squeeze_": _squeeze_,
        "unsqueeze_": _inplace_view(unsqueeze, "UnsqueezeBackward1"),
        "as_strided_": _inplace_view(as_strided, "AsStridedBackward1"),
    }
)


# --- copies of views ----------------------------------------------------------------------------------------


def _copying(name, view_op):
    def copy(*args, **kwargs):  # (so Python's messages about the arguments name the view op)
        out = view_op(*args, **kwargs)
        if isinstance(out, (tuple, list)):
            return type(out)(o.clone() for o in out)
        return out.clone()

    copy.__name__ = name
    copy.__wrapped__ = view_op
    return copy


def _view(input, *shape_or_dtype):
    return input.view(*shape_or_dtype)


_VIEW_OPS = {
    "alias": lambda input: input,
    "as_strided": as_strided,
    "detach": lambda input: input.detach(),
    "diagonal": diagonal,
    "expand": lambda input, size, *, implicit=False: input.expand(size),
    "permute": lambda input, dims: input.permute(dims),
    "select": select,
    "slice": lambda input, dim=0, start=None, end=None, step=1: input[
        (slice(None),) * input._dim(dim) + (slice(start, end, step),)
    ],
    "split": lambda input, split_size, dim=0: input.split(split_size, dim),
    "split_with_sizes": lambda input, split_sizes, dim=0: input.split(list(split_sizes), dim),
    "squeeze": squeeze,
    "t": t,
    "transpose": transpose,
    "unbind": lambda input, dim=0: input.unbind(dim),
    "unfold": lambda input, dimension, size, step: input.unfold(dimension, size, step),
    "unsqueeze": unsqueeze,
    "view": _view,
    "view_as_real": lambda input: FUNCTIONS["view_as_real"](input),
    "view_as_complex": lambda input: FUNCTIONS["view_as_complex"](input),
    "indices": lambda input: input.indices(),
    "values": lambda input: input.values(),
}
for _name, _op in _VIEW_OPS.items():
    if _op.__name__ == "<lambda>":
        _op.__name__ = _op.__qualname__ = _name + "_copy"
    torch_api(_name + "_copy", method=False)(_copying(_name + "_copy", _op))


@torch_api()
def narrow_copy(input, dim, start, length):
    return named(narrow(input, dim, start, length).clone(), "NarrowCopyBackward0")


# --- scatter: a copy of the input with a view of it overwritten ------------------------------------------


def _scatter(node_name, view_of):
    def scatter(input, src, *args):
        out = input.clone()
        view = view_of(out, *args)
        if tuple(view.shape) != tuple(src.shape):
            raise RuntimeError(
                f"expected src to have a size equal to the slice of self. src size = "
                f"{list(src.shape)}, slice size = {list(view.shape)}"
            )
        view.copy_(src)
        return named(out, node_name)

    return scatter


def _slice_view(input, dim=0, start=None, end=None, step=1):
    return input[(slice(None),) * input._dim(dim) + (slice(start, end, step),)]


def _as_strided_view(input, size, stride, storage_offset=None):
    return as_strided(input, size, stride, 0 if storage_offset is None else storage_offset)


_select_scatter = _scatter("SelectScatterBackward0", select)
_slice_scatter = _scatter("SliceScatterBackward0", _slice_view)
_diagonal_scatter = _scatter("DiagonalScatterBackward0", diagonal)
_as_strided_scatter = _scatter("AsStridedScatterBackward0", _as_strided_view)


@torch_api()
def select_scatter(input, src, dim, index):
    return _select_scatter(input, src, dim, index)


@torch_api()
def slice_scatter(input, src, dim=0, start=None, end=None, step=1):
    return _slice_scatter(input, src, dim, start, end, step)


@torch_api()
def diagonal_scatter(input, src, offset=0, dim1=0, dim2=1):
    return _diagonal_scatter(input, src, offset, dim1, dim2)


@torch_api()
def as_strided_scatter(input, src, size, stride, storage_offset=None):
    return _as_strided_scatter(input, src, size, stride, storage_offset)


# --- splits along a fixed axis ---------------------------------------------------------------------------


def _axis_split(name, min_dims, axis_of):
    def split(input, indices_or_sections):
        if input.dim() < min_dims:
            raise RuntimeError(
                f"torch.{name} requires a tensor with at least {min_dims} dimension, but got a tensor "
                f"with {input.dim()} dimensions!"
            )
        dim = axis_of(input)
        if isinstance(indices_or_sections, int):
            size = input.shape[dim]
            if indices_or_sections == 0 or size % indices_or_sections:
                raise RuntimeError(
                    f"torch.{name} attempted to split along dimension {dim}, but the size of the "
                    f"dimension {size} is not divisible by the split_size {indices_or_sections}!"
                )
        return tensor_split(input, indices_or_sections, dim)

    split.__name__ = name
    return split


torch_api("hsplit")(_axis_split("hsplit", 1, lambda x: 1 if x.dim() > 1 else 0))
torch_api("vsplit")(_axis_split("vsplit", 2, lambda x: 0))
torch_api("dsplit")(_axis_split("dsplit", 3, lambda x: 2))


def _atleast(one):
    """torch's atleast_*d: one tensor gives one, several (or a list of them) give a tuple."""

    def fn(*tensors):
        if len(tensors) == 1 and isinstance(tensors[0], (tuple, list)):
            return tuple(one(t) for t in tensors[0])
        return one(tensors[0]) if len(tensors) == 1 else tuple(one(t) for t in tensors)

    fn.__name__ = "atleast_" + one.__name__[-2:]
    return fn


def _1d(input):
    return input.reshape(1) if input.dim() == 0 else input


def _2d(input):
    return input.reshape(1, -1) if input.dim() < 2 else input


def _3d(input):
    if input.dim() == 0:
        return input.reshape(1, 1, 1)
    if input.dim() == 1:
        return input.unsqueeze(0).unsqueeze(-1)
    if input.dim() == 2:
        return input.unsqueeze(-1)
    return input


for _one in (_1d, _2d, _3d):
    torch_api(f"atleast_{_one.__name__[1:]}", method=False)(_atleast(_one))


@torch_api(method=False)
def unravel_index(indices, shape):
    if not isinstance(indices, Tensor):
        raise TypeError(f"expected 'indices' to be a tensor, but got {type(indices).__name__}")
    if indices.is_floating_point() or indices.is_complex() or indices.dtype.name == "bool":
        raise TypeError(f"expected 'indices' to be integer dtype, but got {indices.dtype}")
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    if any(s < 0 for s in shape):
        raise ValueError(f"'shape' cannot have negative values, but got {shape}")
    xp = array_module(indices._data)
    flat = indices._data
    n = int(np.prod(shape))
    if flat.size and (int(flat.min()) < -n or int(flat.max()) >= n):
        raise RuntimeError("index out of bounds, the index must be in the range of [-numel, numel - 1]")
    coords = xp.unravel_index(xp.where(flat < 0, flat + n, flat), shape) if shape else ()
    return tuple(Tensor._make(c.astype(np.int64)) for c in coords)
