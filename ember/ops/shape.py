"""Shape ops. view/transpose/permute/expand/squeeze/narrow/basic slicing return views that share memory."""

import math

import numpy as np

from .. import _dtype
from .._backend import array_module, diagonal_view, memory_layout, storage_strided, strided_view, to_host
from ..autograd.function import Op, renamed
from ..autograd.grad_mode import state
from ..autograd.graph import sum_to_shape
from .. import _formats
from ._registry import named, torch_api
from .._tensor import Tensor


def _sizes(args):
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = tuple(args[0])
    return tuple(int(a) for a in args)


def _infer_shape(op, shape, numel, have):
    shape = list(shape)
    if shape.count(-1) > 1:
        raise RuntimeError(f"{op}: only one dimension can be inferred")
    known = 1
    for s in shape:
        if s != -1:
            if s < 0:
                raise RuntimeError(f"{op}: invalid shape dimension {s}")
            known *= s
    if -1 in shape:
        if known == 0 or numel % known:
            raise RuntimeError(
                f"shape '{list(shape)}' is invalid for input of size {numel} ({op} of a tensor of shape {list(have)})"
            )
        shape[shape.index(-1)] = numel // known
    elif known != numel:
        raise RuntimeError(
            f"shape '{list(shape)}' is invalid for input of size {numel} ({op} of a tensor of shape {list(have)})"
        )
    return tuple(shape)


class View(Op):
    view = True
    array_backward = True

    @staticmethod
    def forward(ctx, x, shape):
        ctx.in_shape = x.shape
        try:
            return array_module(x).reshape(x, shape, copy=False)
        except ValueError:
            raise RuntimeError(
                f"view size is not compatible with input tensor's size and stride (input shape {list(x.shape)}, "
                f"requested {list(shape)}; at least one dimension spans across two contiguous subspaces). "
                "Use .reshape(...) instead, or call .contiguous() before .view()."
            ) from None

    @staticmethod
    def backward(ctx, g):
        return g.reshape(ctx.in_shape), None


class Reshape(Op):
    """The view of a copy that reshape makes of an input it cannot view (torch's _unsafe_view after a clone)."""

    _node_name = "UnsafeViewBackward0"
    array_backward = True

    @staticmethod
    def forward(ctx, x, shape):
        ctx.in_shape = x.shape
        return x.reshape(shape)

    @staticmethod
    def backward(ctx, g):
        return g.reshape(ctx.in_shape), None


@torch_api(function=False)
def view(self, *shape):
    if len(shape) == 1 and not isinstance(shape[0], (int, np.integer, tuple, list)):
        dt = _dtype.as_dtype(shape[0])
        if dt.itemsize != self._data.itemsize:
            raise RuntimeError("view(dtype) with a different element size is not supported by ember")
        return Tensor._make(self._data.view(dt.np))
    shape = _infer_shape("view", _sizes(shape), self._data.size, self._data.shape)
    return View.apply(self, shape)


@torch_api()
def reshape(input, *shape):
    shape = _infer_shape("reshape", _sizes(shape), input._data.size, input._data.shape)
    try:
        array_module(input._data).reshape(input._data, shape, copy=False)
        return View.apply(input, shape)
    except ValueError:  # as torch: a contiguous copy (CloneBackward0), then its view (UnsafeViewBackward0)
        return Reshape.apply(input.contiguous(), shape)


@torch_api(function=False)
def view_as(self, other):
    return view(self, tuple(other.shape))


@torch_api(function=False)
def reshape_as(self, other):
    return reshape(self, tuple(other.shape))


@torch_api()
def flatten(input, start_dim=0, end_dim=-1):
    if input.dim() == 0:
        return reshape(input, (1,))
    s, e = input._dim(start_dim), input._dim(end_dim)
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    shape = input._data.shape
    return reshape(input, shape[:s] + (math.prod(shape[s : e + 1]),) + shape[e + 1 :])


@torch_api()
def unflatten(input, dim, sizes):
    d = input._dim(dim)
    shape = tuple(input.shape)
    sizes = _infer_shape("unflatten", tuple(sizes), shape[d], (shape[d],))
    return (
        view(input, shape[:d] + sizes + shape[d + 1 :])
        if input.is_contiguous()
        else reshape(input, shape[:d] + sizes + shape[d + 1 :])
    )


@torch_api()
def ravel(input):
    return reshape(input, (-1,))


class Permute(Op):
    view = True
    array_backward = True

    @staticmethod
    def forward(ctx, x, dims):
        ctx.dims = dims
        return x.transpose(dims)

    @staticmethod
    def backward(ctx, g):
        inverse = tuple(np.argsort(ctx.dims))
        return (g.permute(inverse) if isinstance(g, Tensor) else g.transpose(inverse)), None


class Transpose(Permute):
    pass


@torch_api()
def permute(input, *dims):
    dims = _sizes(dims)
    n = input.dim()
    if len(dims) != n:
        raise RuntimeError(
            f"permute(sparse_coo): number of dimensions in the tensor input does not match the "
            f"length of the desired ordering of dimensions i.e. input.dim() = {n} is not equal to "
            f"len(dims) = {len(dims)}"
        )
    dims = tuple(input._dim(d) for d in dims)
    if len(set(dims)) != n:
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    return Permute.apply(input, dims)


@torch_api(aliases=("swapaxes", "swapdims"))
def transpose(input, dim0, dim1):
    n = input.dim()
    if n == 0:
        return View.apply(input, ())
    d0, d1 = input._dim(dim0), input._dim(dim1)
    dims = list(range(n))
    dims[d0], dims[d1] = dims[d1], dims[d0]
    return Transpose.apply(input, tuple(dims))


@torch_api()
def t(input):
    n = input._data.ndim
    if n > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {n}D")
    return named(Transpose.apply(input, (1, 0)), "TBackward0") if n == 2 else View.apply(input, input._data.shape)


def _T_prop(self):
    return Permute.apply(self, tuple(range(self.dim() - 1, -1, -1)))


def _mT_prop(self):
    return transpose(self, -2, -1)


@torch_api()
def adjoint(input):
    out = transpose(input, -2, -1)
    return out.conj() if out.is_complex() else out


@torch_api()
def movedim(input, source, destination):
    src = [source] if isinstance(source, int) else list(source)
    dst = [destination] if isinstance(destination, int) else list(destination)
    n = input.dim()
    src = [input._dim(s) for s in src]
    dst = [input._dim(d) for d in dst]
    order = [d for d in range(n) if d not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return Permute.apply(input, tuple(order))


torch_api("moveaxis")(movedim)


class Expand(Op):
    view = True
    array_backward = True

    @staticmethod
    def forward(ctx, x, shape):
        ctx.in_shape = x.shape
        return (
            array_module(x).lib.stride_tricks.as_strided(x, shape, _expanded_strides(x, shape), writeable=True)
            if array_module(x) is np
            else array_module(x).broadcast_to(x, shape)
        )

    @staticmethod
    def backward(ctx, g):
        return (g.sum_to_size(ctx.in_shape) if isinstance(g, Tensor) else sum_to_shape(g, ctx.in_shape)), None


def _expanded_strides(x, shape):
    lead = len(shape) - x.ndim
    strides = [0] * lead
    for i, (s, st) in enumerate(zip(x.shape, x.strides)):
        strides.append(0 if s == 1 and shape[lead + i] != 1 else st)
    return tuple(strides)


@torch_api(function=False)
def expand(self, *sizes):
    sizes = _sizes(sizes)
    if len(sizes) < self.dim():
        raise RuntimeError(
            f"expand(torch.{_dtype.scalar_type_name(self.dtype)}Tensor{{{list(self.shape)}}}, "
            f"size={list(sizes)}): the number of "
            f"sizes provided ({len(sizes)}) must be greater or equal to the number of dimensions "
            f"in the tensor ({self.dim()})"
        )
    lead = len(sizes) - self.dim()
    shape = list(sizes)
    for i, s in reversed(tuple(enumerate(self.shape))):  # torch reports the last mismatch
        want = sizes[lead + i]
        if want == -1:
            shape[lead + i] = s
        elif s != want and s != 1:
            raise RuntimeError(
                f"The expanded size of the tensor ({want}) must match the existing size ({s}) at "
                f"non-singleton dimension {lead + i}.  Target sizes: {list(sizes)}.  Tensor sizes: "
                f"{list(self.shape)}"
            )
    shape = tuple(shape)
    if shape == tuple(self.shape):
        return View.apply(self, shape)
    return Expand.apply(self, shape)


@torch_api(function=False)
def expand_as(self, other):
    return expand(self, tuple(other.shape))


@torch_api()
def broadcast_to(input, size):
    return expand(input, tuple(size))


@torch_api(method=False)
def broadcast_tensors(*tensors):
    shape = np.broadcast_shapes(*(tuple(t.shape) for t in tensors))
    return tuple(expand(t, shape) for t in tensors)


@torch_api(method=False)
def broadcast_shapes(*shapes):
    from .._tensor import Size

    return Size(np.broadcast_shapes(*shapes))


class SumToSize(Op):
    @staticmethod
    def forward(ctx, x, shape):
        ctx.in_shape = x.shape
        return sum_to_shape(x, shape)

    @staticmethod
    def backward(ctx, g):
        return g.expand(ctx.in_shape), None


@torch_api(function=False)
def sum_to_size(self, *size):
    shape = _sizes(size)
    if tuple(self.shape) == shape:
        return self
    return SumToSize.apply(self, shape)


@torch_api()
def squeeze(input, dim=None):
    shape = input.shape
    if dim is None:
        new = tuple(s for s in shape if s != 1)
        return Squeeze.apply(input, new)
    dims = {input._dim(d) for d in ((dim,) if isinstance(dim, int) else dim)}
    new = tuple(s for i, s in enumerate(shape) if not (i in dims and s == 1))
    return SqueezeDim.apply(input, new)


@torch_api()
def unsqueeze(input, dim):
    d = input._dim(dim, input.dim() + 1)
    shape = tuple(input.shape)
    return Unsqueeze.apply(input, shape[:d] + (1,) + shape[d:])


class Squeeze(View):
    pass


class SqueezeDim(View):
    _node_name = "SqueezeBackward1"


class Unsqueeze(View):
    pass


class Slice(Op):
    """Basic indexing (ints, slices, None, Ellipsis): a view."""

    view = True

    @staticmethod
    def forward(ctx, x, key):
        ctx.in_shape, ctx.in_dtype, ctx.key = x.shape, x.dtype, key
        return basic_view(x, key)

    @staticmethod
    def backward(ctx, g):
        from .index import slice_backward

        return slice_backward(g, ctx.in_shape, ctx.key), None


def basic_view(arr, key):
    """arr[key] for a basic key (ints, slices, None, Ellipsis), always a view: a trailing Ellipsis changes
    nothing but makes NumPy return a 0-d view rather than a copied scalar."""
    return arr[key if Ellipsis in key else key + (Ellipsis,)]


class Select(Slice):
    pass


class Pieces(Op):
    """torch's split / chunk / unbind: one node with an output per piece (each a view of the input), whose
    backward joins the pieces' gradients (zeros for an unused piece)."""

    view = True
    array_backward = True

    @staticmethod
    def forward(ctx, x, d, bounds, keep_dim):
        ctx.d, ctx.keep_dim = d, keep_dim
        lead = (slice(None),) * d
        if keep_dim:
            return tuple(x[lead + (slice(a, b),)] for a, b in bounds)
        return tuple(x[lead + (i,)] for i in range(len(bounds)))

    @staticmethod
    def backward(ctx, *grads):
        d = ctx.d
        if isinstance(grads[0], Tensor):
            g = cat(list(grads), d) if ctx.keep_dim else stack(list(grads), d)
        else:
            xp = array_module(grads[0])
            g = xp.concatenate(grads, d) if ctx.keep_dim else xp.stack(grads, d)
        return g, None, None, None


_SPLIT_NODES = {
    name: renamed(Pieces, name)
    for name in (
        "SplitBackward0",
        "SplitWithSizesBackward0",
        "UnbindBackward0",
        "UnsafeSplitBackward0",
        "UnsafeSplitWithSizesBackward0",
    )
}


@torch_api()
def narrow(input, dim, start, length):
    d = input._dim(dim)
    size = input.shape[d]
    if isinstance(start, Tensor):
        start = int(start.item())
    if start < 0:
        start += size
    if not (0 <= start and start + length <= size):
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({size}).")
    key = (slice(None),) * d + (slice(start, start + length),)
    return Slice.apply(input, key)


@torch_api()
def select(input, dim, index):
    d = input._dim(dim)
    size = input.shape[d]
    if not -size <= index < size:
        raise IndexError(
            f"select(): index {index} out of range for tensor of size {list(input.shape)} at dimension {d}"
        )
    return Select.apply(input, (slice(None),) * d + (index,))


def _multi_output_views(views, function):
    """Mark the views one call returned together (torch's MULTI_OUTPUT_NODE): none may be written in place
    while grad mode records (autograd/views.py check_inplace)."""
    if state.enabled:
        for j, v in enumerate(views):
            v._multi_output_view = (function, j)
    return views


@torch_api()
def unbind(input, dim=0):
    d = input._dim(dim)
    return _multi_output_views(
        _SPLIT_NODES["UnbindBackward0"].apply(input, d, [(i, i + 1) for i in range(input.shape[d])], False), "Unbind"
    )


@torch_api()
def split(tensor, split_size_or_sections, dim=0):
    kind = "Split" if isinstance(split_size_or_sections, int) else "SplitWithSizes"
    return _multi_output_views(_pieces(kind + "Backward0", tensor, split_size_or_sections, dim), kind)


def _pieces(node, tensor, split_size_or_sections, dim):
    d = tensor._dim(dim)
    size = tensor.shape[d]
    if isinstance(split_size_or_sections, int):
        step = split_size_or_sections
        if step <= 0 and size:
            raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got dimension size of {size}")
        bounds = [(i, min(i + step, size)) for i in range(0, size, step)] if size else [(0, 0)]
    else:
        sections = list(split_size_or_sections)
        if sum(sections) != size:
            raise RuntimeError(
                f"split_with_sizes expects split_sizes to sum exactly to {size} (input tensor's size at "
                f"dimension {d}), but got split_sizes={sections}"
            )
        starts = np.cumsum([0] + sections[:-1])
        bounds = [(int(s), int(s) + n) for s, n in zip(starts, sections)]
    return _SPLIT_NODES[node].apply(tensor, d, bounds, True)


@torch_api()
def split_with_sizes(input, split_sizes, dim=0):
    return split(input, list(split_sizes), dim)


@torch_api()
def chunk(input, chunks, dim=0):
    return _multi_output_views(_chunk("SplitBackward0", input, chunks, dim), "Split")


@torch_api()
def unsafe_chunk(input, chunks, dim=0):
    return _chunk("UnsafeSplitBackward0", input, chunks, dim)


@torch_api()
def unsafe_split(input, split_size, dim=0):
    if not isinstance(split_size, int):
        raise TypeError(
            f"unsafe_split(): argument 'split_size' (position 2) must be int, not "
            f"{type(split_size).__name__} (use unsafe_split_with_sizes for a list of sizes)"
        )
    return _pieces("UnsafeSplitBackward0", input, split_size, dim)


@torch_api()
def unsafe_split_with_sizes(input, split_sizes, dim=0):
    return _pieces("UnsafeSplitWithSizesBackward0", input, list(split_sizes), dim)


def _chunk(node, input, chunks, dim):
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    size = input.shape[input._dim(dim)]
    step = -(-size // chunks)
    return _pieces(node, input, max(step, 1) if size else 0, dim)


@torch_api()
def tensor_split(input, indices_or_sections, dim=0):
    d = input._dim(dim)
    size = input.shape[d]
    if isinstance(indices_or_sections, int):
        n = indices_or_sections
        sizes = [size // n + (1 if i < size % n else 0) for i in range(n)]
    else:
        idx = [0] + list(indices_or_sections) + [size]
        sizes = [max(0, min(b, size) - min(a, size)) for a, b in zip(idx, idx[1:])]
    starts = np.cumsum([0] + sizes[:-1])  # torch slices: views that may be written in place
    return tuple(narrow(input, d, int(start), n) for start, n in zip(starts, sizes))


class Cat(Op):
    @staticmethod
    def forward(ctx, *arrays, dim):
        ctx.dim = dim
        ctx.sizes = [a.shape[dim] for a in arrays]
        return array_module(arrays[0]).concatenate(arrays, axis=dim)

    @staticmethod
    def backward(ctx, g):
        return split(g, ctx.sizes, ctx.dim)


def _tensor_sequence(op, tensors):
    """torch's argument check for a tuple of Tensors (a lone Tensor would iterate into its rows)."""
    if isinstance(tensors, Tensor) or not isinstance(tensors, (list, tuple)):
        raise TypeError(
            f"{op}(): argument 'tensors' (position 1) must be tuple of Tensors, not {type(tensors).__name__}"
        )
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got {type(t).__name__}")
    return list(tensors)


@torch_api(aliases=("concat", "concatenate"), method=False)
def cat(tensors, dim=0):
    from .elementwise import _cast

    tensors = _tensor_sequence("cat", tensors)
    if not tensors:
        raise RuntimeError("torch.cat(): expected a non-empty list of Tensors")
    # legacy behaviour kept by torch: 1-d empty tensors are skipped
    live = [t for t in tensors if not (t.dim() == 1 and t.shape[0] == 0)]
    if not live:  # only legacy empties: torch returns an empty tensor whatever dim says
        dt = _dtype.result_type(*tensors)
        return Cat.apply(*[_cast(t, dt) for t in tensors], dim=0)
    ref = live[0]
    if ref.dim() == 0:
        raise RuntimeError("zero-dimensional tensor (at position 0) cannot be concatenated")
    d = ref._dim(dim)
    for i, t in enumerate(live):
        if t.dim() != ref.dim() or any(a != b for k, (a, b) in enumerate(zip(t.shape, ref.shape)) if k != d):
            raise RuntimeError(
                f"Sizes of tensors must match except in dimension {d}. Expected size "
                f"{list(ref.shape)} but got size {list(t.shape)} for tensor number {i} in the list "
                f"(torch.cat along dim {d})"
            )
    dt = _dtype.result_type(*tensors)  # the skipped empties take part in the promotion, as in torch
    return Cat.apply(*[_cast(t, dt) for t in live], dim=d)


@torch_api(method=False)
def stack(tensors, dim=0):
    tensors = _tensor_sequence("stack", tensors)
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    for i, t in enumerate(tensors):
        if t.shape != tensors[0].shape:
            raise RuntimeError(
                f"stack expects each tensor to be equal size, but got {list(tensors[0].shape)} at "
                f"entry 0 and {list(t.shape)} at entry {i}"
            )
    d = tensors[0]._dim(dim, tensors[0].dim() + 1)
    from .elementwise import _cast

    dt = _dtype.result_type(*tensors)
    return Stack.apply(*[_cast(t, dt) for t in tensors], dim=d)


class Stack(Op):
    @staticmethod
    def forward(ctx, *arrays, dim):
        ctx.dim = dim
        return array_module(arrays[0]).stack(arrays, axis=dim)

    @staticmethod
    def backward(ctx, g):
        return unbind(g, ctx.dim)


@torch_api(method=False)
def hstack(tensors):
    return cat(tensors, 0 if tensors[0].dim() == 1 else 1)


@torch_api(method=False)
def vstack(tensors):
    return cat([t.reshape(1, -1) if t.dim() == 1 else t for t in tensors], 0)


@torch_api(method=False)
def dstack(tensors):
    return cat([t.reshape(1, -1, 1) if t.dim() == 1 else t.unsqueeze(-1) if t.dim() == 2 else t for t in tensors], 2)


@torch_api(method=False)
def column_stack(tensors):
    return cat([t.reshape(-1, 1) if t.dim() <= 1 else t for t in tensors], 1)


class Repeat(Op):
    @staticmethod
    def forward(ctx, x, reps):
        ctx.in_shape, ctx.reps = x.shape, reps
        return array_module(x).tile(x, reps)

    @staticmethod
    def backward(ctx, g):
        shape = ctx.in_shape
        lead = len(ctx.reps) - len(shape)
        full = (1,) * lead + tuple(shape)
        split_shape = []
        for r, s in zip(ctx.reps, full):
            split_shape += [r, s]
        summed = g.reshape(tuple(split_shape)).sum(dim=tuple(range(0, 2 * len(full), 2)))
        return summed.reshape(shape), None


@torch_api(function=False)
def repeat(self, *sizes):
    reps = _sizes(sizes)
    if len(reps) < self.dim():
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor")
    return Repeat.apply(self, reps)


@torch_api()
def tile(input, dims):
    dims = (dims,) if isinstance(dims, int) else tuple(dims)
    dims = (1,) * (input.dim() - len(dims)) + dims
    return Repeat.apply(input, dims)


@torch_api()
def repeat_interleave(input, repeats, dim=None):
    from .index import index_select
    from .creation import tensor as make

    if dim is None:
        input, dim = flatten(input), 0
    d = input._dim(dim)
    n = input.shape[d]
    # the output's size depends on the repeats: they are read on the host, as torch does
    reps = np.asarray(to_host(repeats._data) if isinstance(repeats, Tensor) else repeats)
    if reps.size and reps.min() < 0:
        raise RuntimeError("Repeats must be non-negative")
    reps = np.broadcast_to(reps, (n,))
    idx = make(np.repeat(np.arange(n), reps), device=input.device)
    return index_select(input, d, idx)


class Flip(Op):
    @staticmethod
    def forward(ctx, x, dims):
        ctx.dims = dims
        return array_module(x).flip(x, dims).copy()

    @staticmethod
    def backward(ctx, g):
        return g.flip(ctx.dims), None


@torch_api()
def flip(input, *sizes, dims=None):
    """torch.flip(x, dims) / x.flip(*dims) (dims also as a keyword, as torch)."""
    if dims is None:
        dims = _sizes(sizes)
    elif sizes:
        raise TypeError("flip() received an invalid combination of arguments: dims given twice")
    else:
        dims = _sizes((dims,))
    dims = tuple(input._dim(d) for d in dims)
    for d in dims:
        if dims.count(d) > 1:
            raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
    return Flip.apply(input, dims)


@torch_api()
def fliplr(input):
    return flip(input, 1)


@torch_api()
def flipud(input):
    return flip(input, 0)


class Roll(Op):
    @staticmethod
    def forward(ctx, x, shifts, dims):
        ctx.shifts, ctx.dims = shifts, dims
        return array_module(x).roll(x, shifts, dims)

    @staticmethod
    def backward(ctx, g):
        neg = tuple(-s for s in ctx.shifts) if isinstance(ctx.shifts, tuple) else -ctx.shifts
        return g.roll(neg, ctx.dims), None, None


@torch_api()
def roll(input, shifts, dims=None):
    if isinstance(shifts, list):
        shifts = tuple(shifts)
    if isinstance(dims, list):
        dims = tuple(dims)
    n_shifts = len(shifts) if isinstance(shifts, tuple) else 1
    n_dims = 0 if dims is None else len(dims) if isinstance(dims, tuple) else 1
    if n_shifts != n_dims and not (dims is None and n_shifts == 1):
        raise RuntimeError(f"shifts and dimensions must align. shifts: {n_shifts}, dims:{n_dims}")
    if dims is not None:
        dims = tuple(input._dim(d) for d in dims) if isinstance(dims, tuple) else input._dim(dims)
    return Roll.apply(input, shifts, dims)


@torch_api()
def rot90(input, k=1, dims=(0, 1)):
    k %= 4
    d0, d1 = dims
    if k == 0:
        return input.clone()
    if k == 1:
        return input.flip(d1).transpose(d0, d1)
    if k == 2:
        return input.flip(d0, d1)
    return input.transpose(d0, d1).flip(d1)


class Diagonal(Op):
    view = True

    @staticmethod
    def forward(ctx, x, offset, dim1, dim2):
        ctx.in_shape, ctx.args = x.shape, (offset, dim1, dim2)
        return diagonal_view(x, offset, dim1, dim2)

    @staticmethod
    def backward(ctx, g):
        from .linalg import diagonal_backward

        return diagonal_backward(g, ctx.in_shape, *ctx.args), None, None, None


@torch_api()
def diagonal(input, offset=0, dim1=0, dim2=1):
    return Diagonal.apply(input, offset, input._dim(dim1), input._dim(dim2))


class AsStrided(Op):
    """A strided view of the input's memory (as_strided, unfold, and the history a view takes from its
    base after an in-place write): forward is given the view; backward scatters through its layout."""

    view = True

    @staticmethod
    def forward(ctx, x, view):
        ctx.in_shape, ctx.layouts = x.shape, (memory_layout(x), memory_layout(view))
        return view

    @staticmethod
    def backward(ctx, g):
        from ..autograd.views import strided_view_backward

        return strided_view_backward(g, ctx.in_shape, ctx.layouts), None


@torch_api()
def as_strided(input, size, stride, storage_offset=None):
    size, stride = tuple(int(s) for s in size), tuple(int(s) for s in stride)
    if len(size) != len(stride):
        raise RuntimeError(
            f"mismatch in length of strides and shape: as_strided got size {list(size)} and stride {list(stride)}"
        )
    if any(s < 0 for s in stride):
        raise RuntimeError(f"as_strided: Negative strides are not supported at the moment, got strides: {list(stride)}")
    if any(n < 0 for n in size):
        raise RuntimeError(f"Storage size calculation overflowed with sizes={list(size)} and strides={list(stride)}")
    offset = input.storage_offset() if storage_offset is None else int(storage_offset)
    if offset < 0:
        raise RuntimeError(f"Tensor: invalid storage offset {offset}")
    return AsStrided.apply(input, storage_strided(input._data, size, stride, offset))


@torch_api(function=False)
def unfold(self, dimension, size, step):
    """Tensor.unfold: a view of every `size`-long window along `dimension`, `step` apart (a new last dim)."""
    d = self._dim(dimension, max(self.dim(), 1))
    arr = self._data
    shape, strides = list(arr.shape) or [1], [s // arr.itemsize for s in arr.strides] or [1]
    if size > shape[d]:
        raise RuntimeError(f"maximum size for tensor at dimension {d} is {shape[d]} but size is {size}")
    if step <= 0:
        raise RuntimeError(f"step is {step} but must be > 0")
    n = (shape[d] - size) // step + 1
    window = tuple(shape[:d]) + (n,) + tuple(shape[d + 1 :]) + (size,)
    window_strides = tuple(strides[:d]) + (strides[d] * step,) + tuple(strides[d + 1 :]) + (strides[d],)
    if not arr.ndim:  # a 0-d tensor unfolds to its one window, of one element
        window, window_strides = (size,), (1,)
    view = strided_view(arr, window, tuple(st * arr.itemsize for st in window_strides))
    return named(AsStrided.apply(self, view), "UnfoldBackward0")


@torch_api(method=False)
def meshgrid(*tensors, indexing=None):
    """Grids from 0-d/1-d tensors: output k varies along dim k ('ij'), or, with 'xy', the first two inputs
    swap their dims (Cartesian, as NumPy's default). Each output is an expanded view of its input."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if not tensors:
        raise RuntimeError("meshgrid expects a non-empty TensorList")
    if indexing is None:
        import warnings

        warnings.warn(
            "torch.meshgrid: in an upcoming release, it will be required to pass the indexing argument.",
            UserWarning,
            stacklevel=3,
        )  # the caller of ember.meshgrid's registry wrapper
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f'torch.meshgrid: indexing must be one of "xy" or "ij", but received: {indexing}')
    for t in tensors:
        if t.dim() > 1:
            raise RuntimeError(
                f"torch.meshgrid: Expected 0D or 1D tensor in the tensor list but got a tensor of shape {list(t.shape)}"
            )
        if t.dtype is not tensors[0].dtype:
            raise RuntimeError("meshgrid expects all tensors to have the same dtype")
    swap = indexing == "xy" and len(tensors) >= 2
    grids = list(tensors)
    if swap:
        grids[0], grids[1] = grids[1], grids[0]
    shape = tuple(t.numel() for t in grids)
    grids = [t.reshape([-1 if i == k else 1 for i in range(len(grids))]).expand(shape) for k, t in enumerate(grids)]
    if swap:
        grids[0], grids[1] = grids[1], grids[0]
    return tuple(grids)


@torch_api(function=False)
def resize_(self, *sizes, memory_format=None):
    """Give self a new shape in place, keeping its first elements in row-major order; new elements are
    uninitialised in torch (zeros here)."""
    if self._requires_grad:
        raise RuntimeError("cannot resize variables that require grad")
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
        sizes = tuple(sizes[0])
    shape = tuple(int(s) for s in sizes)
    n = math.prod(shape)
    flat = self._data.reshape(-1)
    if n <= flat.size:
        self._data = flat[:n].reshape(shape)
    else:
        grown = array_module(flat).zeros(n, flat.dtype)
        grown[: flat.size] = flat
        self._data = grown.reshape(shape)
    if memory_format is not None and memory_format is not _formats.preserve_format:
        _formats.in_memory_format(self, memory_format)  # torch lays the resized memory out so
    self._version_counter[0] += 1
    return self


@torch_api(function=False)
def resize_as_(self, the_template, memory_format=None):
    return resize_(self, *the_template.shape, memory_format=memory_format)
