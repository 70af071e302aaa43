"""Tensor methods that are not math: identity and metadata queries, Python callbacks over the elements (apply_,
map_, map2_), strided allocation, subclass views, moves to devices ember does not have, the deprecated
out-of-place resizes, and the methods torch removed (which raise torch's errors)."""

import warnings

import numpy as np

from .. import _dtype
from .._backend import array_module
from .._tensor import Tensor
from ._registry import METHODS, _with_numpy_keywords, named, torch_api
from .shape import transpose


def is_same_size(self, other):
    return tuple(self.shape) == tuple(other.shape)


def is_nonzero(self):
    n = self.numel()
    if n != 1:
        raise RuntimeError(
            "Boolean value of Tensor with no values is ambiguous"
            if n == 0
            else "Boolean value of Tensor with more than one value is ambiguous"
        )
    return bool(self.item())


def is_signed(self):
    return self._data.dtype.kind in "ifc" or self.dtype is _dtype.bfloat16


def is_distributed(self):
    return False  # torch's legacy flag: no tensor is a distributed tensor


def dim_order(self, *, ambiguity_check=False):
    """The dims from outermost to innermost in memory, as torch's stable sort by stride (size-1 and zero-stride
    dims stay where they are); with ambiguity_check, torch's error when size-1 dims or equal strides make more
    than one order possible."""
    strides, sizes = self.stride(), tuple(self.shape)
    if ambiguity_check is not False:
        if not isinstance(ambiguity_check, (bool, list)):
            raise ValueError("ambiguity_check should be a bool or a list of memory formats")
        ambiguous = any(a == b for a, b in zip(strides, strides[1:])) or any(s == 1 for s in sizes)
        if ambiguous and (ambiguity_check is True or not _matches_one_format(self, ambiguity_check)):
            raise RuntimeError(
                "The tensor does not have unique dim order, or cannot map to exact one of the given memory formats."
            )
    return _logical_to_physical(self, strides, sizes)


def _logical_to_physical(tensor, strides, sizes):
    from .._formats import channels_last

    ndim = len(sizes)
    if ndim <= 1:
        return tuple(range(ndim))
    contiguous = tensor.is_contiguous()
    last = ndim == 4 and tensor.is_contiguous(memory_format=channels_last)
    if contiguous and not last:
        return tuple(range(ndim))
    if last and not contiguous:
        return (0, 2, 3, 1)

    def ge(a, b):
        return b == 0 or a != 0 and (a >= b or a % b == 0)

    def should_swap(a, b):
        sa, sb = strides[a], strides[b]
        if sa == 0 or sb == 0:
            return 0
        if sa == sb:
            return 0 if ge(sizes[b], sizes[a]) else 1
        return -1 if ge(sb, sa) else 1 if ge(sa, sb) else 0

    perm = list(reversed(range(ndim)))  # sorted back to front, as torch's insertion sort
    for i in range(1, ndim):
        dim1 = i
        for dim0 in reversed(range(i)):
            comparison = should_swap(perm[dim0], perm[dim1])
            if comparison > 0:
                perm[dim0], perm[dim1] = perm[dim1], perm[dim0]
                dim1 = dim0
            elif comparison < 0:
                break
    return tuple(reversed(perm))


def _matches_one_format(tensor, formats):
    return sum(1 for f in formats if tensor.is_contiguous(memory_format=f)) == 1


def _adjoint_2d(self):
    if self.dim() != 2:
        raise RuntimeError(f"tensor.H is only supported on matrices (2-D tensors). Got {self.dim()}-D tensor.")
    return _adjoint(self)


def _adjoint(self):
    if self.dim() < 2:
        raise RuntimeError(
            f"tensor.mH is only supported on matrices or batches of matrices. Got {self.dim()}-D tensor."
        )
    out = transpose(self, -2, -1)
    return out.conj() if out.is_complex() else out


def _callback_write(name, self, fn, *others):
    """apply_/map_/map2_: self's elements replaced by fn over them (and the others', broadcast to self), in
    Python, as torch's CPU-only element callbacks."""
    if self.requires_grad or any(o.requires_grad for o in others):
        raise RuntimeError(f"Can't call {name}() on Variable that requires grad. Use var.detach().{name}() instead.")
    if array_module(self._data) is not np:
        raise TypeError(f"{name} is only implemented on CPU tensors")
    arrays = [np.broadcast_to(o._data, self._data.shape) for o in others]
    out = np.empty(self._data.shape, dtype=self._data.dtype)
    for index in np.ndindex(self._data.shape):
        out[index] = fn(self._data[index].item(), *(a[index].item() for a in arrays))
    return self._write(out)


def apply_(self, callable):
    return _callback_write("apply_", self, callable)


def map_(self, tensor, callable):
    return _callback_write("map_", self, callable, tensor)


def map2_(self, x, y, callable):
    return _callback_write("map2_", self, callable, x, y)


@torch_api(method=False)
def empty_strided(size, stride, *, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False):
    """A tensor with the given strides over a fresh block of memory just large enough for them (zeros)."""
    from .._formats import check_layout, check_pin_memory
    from .creation import zeros
    from .shape import as_strided

    check_layout("empty_strided", layout)
    check_pin_memory("empty_strided", pin_memory)
    size, stride = tuple(size), tuple(stride)
    if len(size) != len(stride):
        raise RuntimeError(f"mismatch in length of strides and shape (size {list(size)}, stride {list(stride)})")
    extent = 1 + sum((n - 1) * s for n, s in zip(size, stride)) if all(size) else 0
    block = zeros(extent, dtype=dtype, device=device)
    out = Tensor._make(as_strided(block, size, stride)._data)
    if requires_grad:
        out.requires_grad = True
    return out


def new_empty_strided(
    self, size, stride, *, dtype=None, layout=None, device=None, pin_memory=False, requires_grad=False
):
    return empty_strided(
        size,
        stride,
        dtype=dtype or self.dtype,
        layout=layout,
        device=device or self.device,
        pin_memory=pin_memory,
        requires_grad=requires_grad,
    )


def module_load(self, other, assign=False):
    """How load_state_dict turns a state-dict value into this parameter's new value (torch's default)."""
    if assign:
        return other.detach()
    from ..autograd.grad_mode import no_grad

    with no_grad():
        return self.copy_(other).detach()


_TENSOR_SLOTS = tuple(slot for slot in Tensor.__slots__ if slot not in ("__weakref__", "__dict__"))


def as_subclass(self, cls):
    """An instance of Tensor subclass `cls` over self's memory, in self's place in the graph."""
    if not (isinstance(cls, type) and issubclass(cls, Tensor)):
        raise TypeError(
            "Creating a Tensor subclass from a class that does not inherit from Tensor is not possible. "
            "Make sure your class inherits from Tensor."
        )
    out = object.__new__(cls)
    for slot in _TENSOR_SLOTS:
        setattr(out, slot, getattr(self, slot))
    out.grad = None
    if self._grad_fn is None and self._requires_grad:
        out._grad_fn = None  # a leaf stays a leaf of its own, as torch's alias of a leaf
    return named(out, "AliasBackward0") if out._grad_fn is not None else out


def _not_compiled(message, error):
    def move(self, device=None, non_blocking=False, memory_format=None):
        raise error(message)

    return move


def record_stream(self, s):
    if self.device.type != "cuda":
        raise RuntimeError(f"record_stream: expected a CUDA tensor, got a tensor on {self.device}")
    # ember's CUDA memory is CuPy's pool, which has no per-stream reuse tracking to tell about this use
    raise NotImplementedError(
        "record_stream: ember's CUDA memory comes from CuPy's pool, which cannot defer reuse "
        "of a block until another stream's work on it finishes; synchronize the stream instead"
    )


def resize(self, *sizes):
    warnings.warn("non-inplace resize is deprecated", UserWarning, stacklevel=2)
    shape = tuple(sizes[0]) if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)) else sizes
    n = int(np.prod(shape))
    if n != self.numel():
        raise RuntimeError(
            f"requested resize to {'x'.join(map(str, shape))} ({n} elements in total), but the given "
            f"tensor has a size of {'x'.join(map(str, self.shape))} ({self.numel()} elements). "
            "autograd's resize can only change the shape of a given tensor, while preserving the "
            "number of elements. "
        )
    return named(self.contiguous().view(shape), "ResizeBackward")


def resize_as(self, tensor):
    warnings.warn("non-inplace resize_as is deprecated", UserWarning, stacklevel=2)
    return resize(self, tuple(tensor.shape))


_REMOVED = {
    "eig": "This function was deprecated since version 1.9 and is now removed. `torch.linalg.eig` returns complex "
    "tensors of dtype `cfloat` or `cdouble` rather than real tensors mimicking complex tensors.\n\n"
    "L, V = torch.eig(A, eigenvectors=True) should be replaced with:\n"
    "L_complex, V_complex = torch.linalg.eig(A)",
    "lstsq": "This function was deprecated since version 1.9 and is now removed. `torch.lstsq` is deprecated in favor "
    "of `torch.linalg.lstsq`.\n`torch.linalg.lstsq` has reversed arguments and does not return the QR "
    "decomposition in the returned tuple.\n\nX, _ = torch.lstsq(B, A).solution[:A.size(1)]\nshould be "
    "replaced with:\nX = torch.linalg.lstsq(A, B).solution",
    "solve": "This function was deprecated since version 1.9 and is now removed. `torch.solve` is deprecated in favor "
    "of `torch.linalg.solve`. `torch.linalg.solve` has its arguments reversed and does not return the LU "
    "factorization.\n\nX = torch.solve(B, A).solution should be replaced with:\nX = torch.linalg.solve(A, B)",
    "symeig": "This function was deprecated since version 1.9 and is now removed. The default behavior has changed "
    "from using the upper triangular portion of the matrix by default to using the lower triangular "
    "portion.\n\nL, V = torch.symeig(A, eigenvectors=True) should be replaced with:\n"
    "L, V = torch.linalg.eigh(A, UPLO='U' if upper else 'L')",
    "matrix_rank": "This function was deprecated since version 1.9 and is now removed. Please use the "
    "`torch.linalg.matrix_rank` function instead.",
}


def _removed(name):
    def removed(*args, **kwargs):
        raise RuntimeError(_REMOVED[name])

    removed.__name__ = name
    return removed


def _removed_method(name, takes_other=False):
    """Tensor.<name> with torch's parameters (so Python names a wrong argument as torch does), raising its removal."""
    if not takes_other:

        def removed(self, eigenvectors=False):
            raise RuntimeError(_REMOVED[name])
    else:

        def removed(self, other):
            raise RuntimeError(_REMOVED[name])

    removed.__name__ = removed.__qualname__ = name
    return removed


def reinforce(self, reward):
    raise RuntimeError(
        "reinforce() was removed.\nUse torch.distributions instead.\n"
        "See https://pytorch.org/docs/main/distributions.html"
    )


def _volatile(self):
    warnings.warn("volatile was removed (Variable.volatile is always False)", UserWarning, stacklevel=2)
    return False


def _set_volatile(self, value):
    warnings.warn("volatile was removed (Variable.volatile is always False)", UserWarning, stacklevel=2)


def _grad_dtype(self):
    return self.dtype


def _set_grad_dtype(self, value):
    if self.grad_fn is not None:
        raise RuntimeError("grad_dtype can only be set on leaf tensors.")
    if value is not self.dtype:
        raise NotImplementedError(
            f"grad_dtype={value}: ember's gradients always have the tensor's own dtype ({self.dtype})"
        )


METHODS.update(
    {
        "is_same_size": _with_numpy_keywords(is_same_size, "is_same_size", ("other",)),
        "is_nonzero": is_nonzero,
        "is_signed": is_signed,
        "is_distributed": is_distributed,
        "dim_order": dim_order,
        "const_data_ptr": Tensor.data_ptr,
        "apply_": apply_,
        "map_": map_,
        "map2_": map2_,
        "new_empty_strided": new_empty_strided,
        "module_load": module_load,
        "as_subclass": as_subclass,
        "record_stream": record_stream,
        "xpu": _not_compiled("Torch not compiled with XPU enabled", AssertionError),
        "mtia": _not_compiled("Torch not compiled with MTIA enabled", AssertionError),
        "ipu": _not_compiled("PyTorch is not linked with support for ipu devices", RuntimeError),
        "resize": resize,
        "resize_as": resize_as,
        "reinforce": reinforce,
        "eig": _removed_method("eig"),
        "lstsq": _removed_method("lstsq", takes_other=True),
        "solve": _removed_method("solve", takes_other=True),
        "symeig": _removed_method("symeig"),
    }
)

PROPERTIES = {
    "H": property(_adjoint_2d),
    "mH": property(_adjoint),
    "output_nr": property(lambda self: self._output_nr),
    "volatile": property(_volatile, _set_volatile),
    "grad_dtype": property(_grad_dtype, _set_grad_dtype),
    "name": property(lambda self: None),
}

# torch.* functions that raise torch's errors for what was removed
REMOVED_FUNCTIONS = {name: _removed(name) for name in _REMOVED}


def install(tensor_cls):
    for name, prop in PROPERTIES.items():
        setattr(tensor_cls, name, prop)
