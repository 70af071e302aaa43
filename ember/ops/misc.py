"""torch.* functions beyond the op families: tensors over other memory (asarray, frombuffer, from_file, DLPack),
small factories, the deprecated norms, binomial/poisson sampling, histogramdd, gradient, the low-rank SVDs,
control flow (cond, while_loop) and the sym_* helpers (plain Python numbers here)."""

import builtins
import math
import warnings

import numpy as np

from .. import _dtype
from .._backend import to_host, to_device
from .._formats import check_layout, check_pin_memory
from .._tensor import Tensor
from ..return_types import return_type
from ._registry import METHODS, torch_api


# --- tensors over other memory ---------------------------------------------------------------------------


@torch_api(method=False)
def asarray(obj, *, dtype=None, device=None, copy=None, requires_grad=False):
    """A tensor over obj's memory when it can be (a tensor, a NumPy array, a DLPack or buffer-protocol object
    of the dtype asked for), else a copy; copy=True always copies, copy=False refuses to."""
    from .creation import tensor

    dt = _dtype.as_dtype(dtype) if dtype is not None else None
    if isinstance(obj, Tensor):
        out = obj
        if (dt is not None and dt is not obj.dtype) or (device is not None and str(device) != str(obj.device)):
            if copy is False:
                raise ValueError("asarray(): can't alias the tensor: a different dtype or device needs a copy")
            out = obj.to(device=device, dtype=dt)
        elif copy:
            out = obj.clone()
    else:
        array = obj if isinstance(obj, np.ndarray) else _shared_array(obj)
        if array is None:
            if copy is False:
                raise ValueError(f"asarray(): can't alias a {type(obj).__name__}: it has no memory to share")
            return tensor(obj, dtype=dt, device=device, requires_grad=requires_grad)
        needs_copy = dt is not None and dt.np != array.dtype or device not in (None, "cpu")
        if needs_copy and copy is False:
            raise ValueError("asarray(): can't alias the array: a different dtype or device needs a copy")
        out = tensor(array, dtype=dt, device=device) if needs_copy or copy else from_buffer_array(array)
    if requires_grad:
        out = out.detach().requires_grad_() if out is obj else out.requires_grad_()
    return out


def _shared_array(obj):
    """A NumPy array over obj's memory (DLPack, __array_interface__ or the buffer protocol), or None."""
    if hasattr(obj, "__dlpack__"):
        return np.from_dlpack(obj)
    if hasattr(obj, "__array_interface__"):
        return np.asarray(obj)
    try:
        return np.asarray(memoryview(obj))
    except TypeError:
        return None


def from_buffer_array(array):
    _dtype.from_numpy_dtype(array.dtype)
    return Tensor._make(array)


@torch_api(method=False)
def frombuffer(buffer, *, dtype, count=-1, offset=0, requires_grad=False):
    dt = _dtype.as_dtype(dtype)
    view = memoryview(buffer)
    if view.readonly:
        warnings.warn(
            "The given buffer is not writable, and PyTorch does not support non-writable tensors. This "
            "means you can write to the underlying (supposedly non-writable) buffer using the tensor. You "
            "may want to copy the buffer to protect its data or make it writable before converting it to a "
            "tensor.",
            UserWarning,
            stacklevel=2,
        )
    if view.nbytes <= offset:
        raise ValueError(
            f"both buffer length ({view.nbytes}) and offset ({offset}) must be non-negative, and offset "
            "must be smaller than the buffer length"
        )
    out = Tensor._make(np.frombuffer(buffer, dt.np, count, offset))
    return out.requires_grad_() if requires_grad else out


@torch_api(method=False)
def from_file(filename, shared=None, size=0, *, dtype=None, layout=None, device=None, pin_memory=False):
    """A 1-D tensor of `size` elements mapped from the file: shared=True writes changes back to the file."""
    check_layout("from_file", layout)
    check_pin_memory("from_file", pin_memory)
    dt = _dtype.as_dtype(dtype) if dtype is not None else _dtype.get_default_dtype()
    try:
        array = np.memmap(filename, dt.np, mode="r+" if shared else "c", shape=(size,)) if size else np.zeros(0, dt.np)
    except ValueError as e:
        raise RuntimeError(f"from_file: {filename} holds fewer than {size} {dt} elements ({e})") from None
    out = Tensor._make(array)
    return out if device in (None, "cpu") else out.to(device)


@torch_api(method=False)
def from_dlpack(ext_tensor, *, device=None, copy=None):
    if isinstance(ext_tensor, Tensor):
        return ext_tensor
    kwargs = {k: v for k, v in (("device", device), ("copy", copy)) if v is not None}
    if not hasattr(ext_tensor, "__dlpack__"):  # a bare DLPack capsule (torch.utils.dlpack.to_dlpack's)
        ext_tensor = _Capsule(ext_tensor)
    dlpack_device = ext_tensor.__dlpack_device__()[0] if hasattr(ext_tensor, "__dlpack_device__") else 1
    if dlpack_device == 2:  # kDLCUDA
        from .._backend import cupy_module

        return Tensor._make(cupy_module().from_dlpack(ext_tensor))
    return from_buffer_array(np.from_dlpack(ext_tensor, **kwargs))


class _Capsule:
    """A DLPack capsule of host memory, as the objects NumPy's from_dlpack takes."""

    def __init__(self, capsule):
        self.capsule = capsule

    def __dlpack__(self, **kwargs):
        return self.capsule

    def __dlpack_device__(self):
        return (1, 0)  # kDLCPU: a capsule does not tell its device, and ember's CPU arrays are what it reads


@torch_api(method=False)
def to_dlpack(tensor):
    # a versioned capsule: it carries the read-only flag, so the array read back from it is writable (a legacy
    # capsule cannot say, and NumPy then reads it as read-only)
    return tensor.__dlpack__(max_version=(1, 0))


def __dlpack__(self, *, stream=None, max_version=None, dl_device=None, copy=None):
    if self.requires_grad:
        raise RuntimeError("Can't export tensors that require gradient, use tensor.detach()")
    kwargs = {
        k: v
        for k, v in (("stream", stream), ("max_version", max_version), ("dl_device", dl_device), ("copy", copy))
        if v is not None
    }
    return self._data.__dlpack__(**kwargs)


def __dlpack_device__(self):
    return self._data.__dlpack_device__()


METHODS.update({"__dlpack__": __dlpack__, "__dlpack_device__": __dlpack_device__})


# --- small factories -------------------------------------------------------------------------------------


@torch_api(method=False)
def scalar_tensor(s, *, dtype=None, layout=None, device=None, pin_memory=False, requires_grad=False):
    from .creation import tensor

    check_layout("scalar_tensor", layout)
    check_pin_memory("scalar_tensor", pin_memory)
    return tensor(
        s.item() if isinstance(s, Tensor) else s,
        dtype=dtype or _dtype.get_default_dtype(),
        device=device,
        requires_grad=requires_grad,
    )


@torch_api(method=False)
def fill(input, value):
    return input.clone().fill_(value)


@torch_api(method=False)
def empty_permuted(
    size, physical_layout, *, dtype=None, layout=None, device=None, pin_memory=False, requires_grad=False
):
    """A tensor of `size` whose dims lie in memory in the order physical_layout (outermost first)."""
    from .creation import zeros

    check_layout("empty_permuted", layout)
    check_pin_memory("empty_permuted", pin_memory)
    order = list(physical_layout)
    if sorted(order) != list(range(len(size))):
        raise RuntimeError(f"physical_layout {order} must be a permutation of the dims of a size {list(size)} tensor")
    physical = zeros([size[d] for d in order], dtype=dtype, device=device)
    out = physical.permute([order.index(d) for d in range(len(size))])
    return out.requires_grad_() if requires_grad else out


# --- deprecated norms and products -----------------------------------------------------------------------


@torch_api(method=False)
def chain_matmul(*matrices, out=None):
    warnings.warn(
        "torch.chain_matmul is deprecated and will be removed in a future PyTorch release. Use "
        "torch.linalg.multi_dot instead, which accepts a list of two or more tensors rather than multiple "
        "parameters.",
        UserWarning,
        stacklevel=2,
    )
    from ..linalg import multi_dot
    from ._registry import write_out

    result = matrices[0].clone() if len(matrices) == 1 else multi_dot(list(matrices))
    return result if out is None else write_out(out, result)


@torch_api(method=False)
def frobenius_norm(input, dim, keepdim=False):
    from ..linalg import vector_norm

    return vector_norm(input, 2, dim=tuple(dim) if isinstance(dim, (list, tuple)) else dim, keepdim=keepdim)


@torch_api(method=False)
def nuclear_norm(input, dim=(-2, -1), keepdim=False):
    from ..linalg import matrix_norm

    if isinstance(dim, bool):  # nuclear_norm(input, keepdim) is ATen's first overload
        dim, keepdim = (-2, -1), dim
    return matrix_norm(input, "nuc", dim=tuple(dim), keepdim=keepdim)


@torch_api(method=False)
def norm_except_dim(v, pow=2, dim=0):
    """The p-norm over every dim but `dim` (as weight_norm's g), shaped to broadcast against v."""
    if dim == -1:
        return v.norm(pow)
    d = v._dim(dim)
    others = [i for i in range(v.dim()) if i != d]
    return v.norm(pow, dim=others, keepdim=True) if others else v.abs()


# --- sampling ----------------------------------------------------------------------------------------------


def _draw(op, like, draw, generator):
    from .creation import _rng

    if not _dtype.is_float_array(like._data):
        raise RuntimeError(f"{op}: expected a floating point tensor (got {like.dtype})")
    values = draw(_rng(generator))
    return Tensor._make(to_device(np.asarray(values).astype(like._data.dtype), like.device))


@torch_api(method=False)
def binomial(count, prob, generator=None):
    return _draw(
        "binomial",
        count,
        lambda rng: rng.binomial(to_host(count._data).astype(np.int64), to_host(prob._data)),
        generator,
    )


@torch_api(method=False)
def poisson(input, generator=None):
    return _draw("poisson", input, lambda rng: rng.poisson(to_host(input._data)), generator)


# --- histogramdd, gradient -----------------------------------------------------------------------------------


@torch_api(method=False)
def histogramdd(input, bins, *, range=None, weight=None, density=False):
    from .creation import tensor

    points = to_host(input.detach()._data)
    d = points.shape[-1]
    points = points.reshape(-1, d)
    if isinstance(bins, (list, tuple)) and bins and isinstance(bins[0], Tensor):
        bins = [to_host(b._data) for b in bins]
    ranges = None if range is None else [(range[2 * i], range[2 * i + 1]) for i in builtins.range(d)]
    hist, edges = np.histogramdd(
        points,
        bins=bins,
        range=ranges,
        density=density,
        weights=None if weight is None else to_host(weight._data).reshape(-1),
    )
    dt = input.dtype
    result = return_type("histogramdd", ["hist", "bin_edges"])
    return result(
        (tensor(hist, dtype=dt, device=input.device), tuple(tensor(e, dtype=dt, device=input.device) for e in edges))
    )


@torch_api(method=False)
def gradient(input, *, spacing=1, dim=None, edge_order=1):
    """Central differences inside, one-sided (edge_order 1 or 2) at the ends, with a uniform spacing per dim or
    the coordinates of the samples, as NumPy's gradient; composed of slices, so differentiable."""
    dims = list(builtins.range(input.dim())) if dim is None else [dim] if isinstance(dim, int) else list(dim)
    dims = [input._dim(d) for d in dims]
    if edge_order not in (1, 2):
        raise RuntimeError(f"torch.gradient only supports edge_order=1 and edge_order=2. (got {edge_order})")
    spacings = list(spacing) if isinstance(spacing, (list, tuple)) else [spacing] * len(dims)
    if len(spacings) != len(dims):
        raise RuntimeError(
            f"torch.gradient expected spacing to be unspecified, a scalar or a list of length equal "
            f"to 'self.dim() = {input.dim()}', since dim argument was not given, but got a list of "
            f"length {len(spacings)}"
        )
    for d in dims:
        if input.shape[d] < edge_order + 1:
            raise RuntimeError("torch.gradient expected each dimension size to be at least edge_order+1")
    return tuple(_gradient_along(input, d, h, edge_order) for d, h in zip(dims, spacings))


def _gradient_along(f, d, h, edge_order):
    n = f.shape[d]

    def part(start, stop):
        return f.narrow(d, start, stop - start)

    def shaped(t):
        return t.reshape([-1 if i == d else 1 for i in builtins.range(f.dim())])

    from .shape import cat

    if not isinstance(h, Tensor):
        h = h.item() if hasattr(h, "item") else h
        interior = (part(2, n) - part(0, n - 2)) / (2 * h)
        if edge_order == 1:
            first, last = (part(1, 2) - part(0, 1)) / h, (part(n - 1, n) - part(n - 2, n - 1)) / h
        else:
            first = (-1.5 * part(0, 1) + 2 * part(1, 2) - 0.5 * part(2, 3)) / h
            last = (0.5 * part(n - 3, n - 2) - 2 * part(n - 2, n - 1) + 1.5 * part(n - 1, n)) / h
        return cat([first, interior, last], d)
    dx = (h[1:] - h[:-1]).to(f.dtype if f.is_floating_point() else _dtype.get_default_dtype())
    hs, hd = dx[:-1], dx[1:]
    a, b, c = -hd / (hs * (hs + hd)), (hd - hs) / (hs * hd), hs / (hd * (hs + hd))
    interior = shaped(a) * part(0, n - 2) + shaped(b) * part(1, n - 1) + shaped(c) * part(2, n)
    if edge_order == 1:
        first = (part(1, 2) - part(0, 1)) / dx[0]
        last = (part(n - 1, n) - part(n - 2, n - 1)) / dx[-1]
    else:
        d1, d2 = dx[0], dx[1]
        first = (
            -(2 * d1 + d2) / (d1 * (d1 + d2)) * part(0, 1)
            + (d1 + d2) / (d1 * d2) * part(1, 2)
            - d1 / (d2 * (d1 + d2)) * part(2, 3)
        )
        d1, d2 = dx[-2], dx[-1]
        last = (
            d2 / (d1 * (d1 + d2)) * part(n - 3, n - 2)
            - (d2 + d1) / (d1 * d2) * part(n - 2, n - 1)
            + (2 * d2 + d1) / (d2 * (d1 + d2)) * part(n - 1, n)
        )
    return cat([first, interior, last], d)


# --- low-rank SVD ------------------------------------------------------------------------------------------


def svd_lowrank(A, q=6, niter=2, M=None):
    """The rank-q truncated SVD of A (or A - M): torch's is a randomized approximation (niter subspace
    iterations); ember computes the exact truncation, which that approximation converges to."""
    from ..linalg import svd

    x = A if M is None else A - M
    q = min(q if q is not None else 6, *x.shape[-2:])
    u, s, vh = svd(x, full_matrices=False)
    return u[..., :q], s[..., :q], vh[..., :q, :].mT


def pca_lowrank(A, q=None, center=True, niter=2):
    m, n = A.shape[-2:]
    q = min(6, m, n) if q is None else q
    if not 0 <= q <= min(m, n):
        raise ValueError(f"q(={q}) must be non-negative integer and not greater than min(m, n)={min(m, n)}")
    return svd_lowrank(A - A.mean(-2, keepdim=True) if center else A, q, niter)


torch_api("svd_lowrank", method=False)(svd_lowrank)
torch_api("pca_lowrank", method=False)(pca_lowrank)


# --- control flow and symbolic-number helpers ---------------------------------------------------------------


@torch_api(method=False)
def cond(pred, true_fn, false_fn, operands=()):
    """true_fn(*operands) if pred else false_fn(*operands) (torch.cond's tracing-friendly branch)."""
    if isinstance(pred, Tensor) and pred.numel() != 1:
        raise RuntimeError(f"Expected pred to be bool or single-element tensor, but got {pred}.")
    return (true_fn if bool(pred) else false_fn)(*operands)


@torch_api(method=False)
def while_loop(cond_fn, body_fn, carried_inputs):
    if not isinstance(carried_inputs, (tuple, list)):
        raise RuntimeError(f"carried_inputs must be a tuple or list, got {type(carried_inputs)}")
    carried = tuple(carried_inputs)
    while bool(cond_fn(*carried)):
        out = body_fn(*carried)
        carried = tuple(out) if isinstance(out, (tuple, list)) else (out,)
    return carried


SYM = {
    "sym_int": lambda a: math.trunc(a) if isinstance(a, float) else int(a),
    "sym_float": lambda a: float(a),
    "sym_max": lambda a, b: builtins.max(a, b),
    "sym_min": lambda a, b: builtins.min(a, b),
    "sym_not": lambda a: not a,
    "sym_sqrt": lambda a: math.sqrt(a),
    "sym_sum": lambda *args: builtins.sum(args[0] if len(args) == 1 else args),
    "sym_ite": lambda b, t, f: t if b else f,
}
for _name, _fn in SYM.items():
    torch_api(_name, method=False)(_fn)
