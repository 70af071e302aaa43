"""Tensor: an array from the backend seam plus what autograd needs (requires_grad, grad, grad_fn).

The math lives in ember/ops; those functions are installed as methods by `ember.ops._registry`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from . import _dtype
from ._backend import array_module, device_of, memory_layout, to_host
from .autograd.grad_mode import state
from .autograd import graph
from .autograd import views as _views
from . import autograd as _autograd  # half-initialised here: .backward is read at call time

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from ._tensor_methods import TensorMethods as _TensorMethods  # the surface ember.ops installs at import
    from ._typing import Device, DType, Number, _bool, _int
else:
    _TensorMethods = object


class Size(tuple):
    """torch.Size: a tuple that prints as torch.Size([2, 3])."""

    def __repr__(self):
        return f"torch.Size({list(self)})"

    __str__ = __repr__

    def numel(self):
        n = 1
        for s in self:
            n *= s
        return n

    def __getitem__(self, item):
        r = tuple.__getitem__(self, item)
        return Size(r) if isinstance(item, slice) else r


class Tensor(_TensorMethods):
    grad: Tensor | None
    # _version_counter ([n]) is shared by every tensor that views the same memory. _base: the tensor
    # whose memory this one views. _view_version (see autograd/views.py): for a view made by a view op, the
    # version at which its history last agreed with its base's (NO_GRAD_VIEW if made in no_grad mode)
    __slots__ = (
        "_data",
        "_requires_grad",
        "grad",
        "_grad_fn",
        "_output_nr",
        "_base",
        "_view_version",
        "_version_counter",
        "_hooks",
        "_acc_ref",
        "_post_acc_hooks",
        "__weakref__",
        "__dict__",
    )

    # --- construction -------------------------------------------------------------------
    def __init__(self, *args, dtype=None, device=None):
        """Legacy constructor: Tensor(2, 3) uninitialised (zeros here), Tensor([1, 2]), Tensor(ndarray)."""
        from .ops.creation import tensor as _tensor_fn

        dt = dtype or _dtype.get_default_dtype()
        if len(args) == 1 and not isinstance(args[0], (int, np.integer)):
            src = args[0]
            data = src._data.astype(dt.np) if isinstance(src, Tensor) else _tensor_fn(src, dtype=dt)._data
        elif all(isinstance(a, (int, np.integer)) for a in args):
            data = np.zeros(tuple(int(a) for a in args), dt.np)
        elif len(args) == 1 and isinstance(args[0], tuple):
            data = np.zeros(args[0], dt.np)
        else:
            raise TypeError(f"Tensor(): expected sizes (ints) or data, got {args!r}")
        self._init(data)

    def _init(self, data, requires_grad=False):
        """Every field a tensor has; a new tensor starts as a leaf with its own version counter."""
        self._data = data
        self._requires_grad = requires_grad
        self.grad = None
        self._grad_fn = None
        self._output_nr = 0
        self._base = None
        self._view_version = None
        self._version_counter = [0]
        self._hooks = None
        self._acc_ref = None
        self._post_acc_hooks = None

    @staticmethod
    def _make(data, requires_grad=False):
        """A Tensor around `data` (an xp array), without the legacy constructor's parsing: how ops build results."""
        t = object.__new__(Tensor)
        t._init(data, requires_grad)
        return t

    def _owned_copy(self):
        return Tensor._make(self._data.copy())

    # --- metadata -------------------------------------------------------------------------
    @property
    def requires_grad(self) -> _bool:
        if self._view_version is not None and self._view_version != self._version_counter[0]:
            if getattr(self, "_multi_output_view", None) is not None:
                # its history cannot be taken (torch raises on grad_fn)
                return self._requires_grad or self._base._requires_grad
            _views.sync_view(self)
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value):
        value = bool(value)
        if value and self._data.dtype not in _dtype._DIFFERENTIABLE_NP:
            raise RuntimeError(
                f"only Tensors of floating point dtype can require gradients "
                f"(this tensor is {self.dtype}; convert it with .float() first)"
            )
        if not value and self.grad_fn is not None:
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables. If you want to "
                "use a computed variable in a subgraph that doesn't require differentiation "
                "use var_no_grad = var.detach()."
            )
        self._requires_grad = value

    @property
    def dtype(self) -> DType:
        return _dtype._BY_NP[self._data.dtype]

    @property
    def shape(self) -> Size:
        return Size(self._data.shape)

    def size(self, dim: _int | None = None) -> Any:
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[self._dim(dim)]

    @property
    def ndim(self) -> _int:
        return self._data.ndim

    def dim(self) -> _int:
        return self._data.ndim

    ndimension = dim

    def numel(self) -> _int:
        return self._data.size

    nelement = numel

    def element_size(self) -> _int:
        return self._data.itemsize

    def stride(self, dim=None):
        item = self._data.itemsize
        strides = [s // item for s in self._data.strides]
        shape = self._data.shape
        for d in range(len(shape) - 1, -1, -1):
            if shape[d] == 1 and strides[d] == 0:  # NumPy's None-axis; torch's unsqueeze convention
                strides[d] = strides[d + 1] * shape[d + 1] if d + 1 < len(shape) else 1
        strides = tuple(strides)
        return strides if dim is None else strides[self._dim(dim)]

    def storage_offset(self):
        root = self
        while root._base is not None:
            root = root._base
        return (self.data_ptr() - root.data_ptr()) // self._data.itemsize

    def data_ptr(self):
        return self._data.__array_interface__["data"][0] if array_module(self._data) is np else self._data.data.ptr

    def is_contiguous(self, memory_format=None):
        from ._formats import contiguous_format, dim_order_of, has_dim_order

        if memory_format is None or memory_format is contiguous_format:
            return self._data.flags["C_CONTIGUOUS"]
        return self._data.ndim in (4, 5) and has_dim_order(self._data, dim_order_of(memory_format, self._data.ndim))

    def is_floating_point(self) -> _bool:
        return _dtype.is_float_array(self._data)

    @property
    def grad_fn(self):
        if self._view_version is not None and self._view_version != self._version_counter[0]:
            _views.sync_view(self)
        return self._grad_fn

    @grad_fn.setter
    def grad_fn(self, node):
        self._grad_fn = node

    @property
    def is_leaf(self) -> _bool:
        return self.grad_fn is None

    @property
    def device(self) -> Device:
        return device_of(self._data)

    def get_device(self):
        """-1 on the CPU, else the CUDA device index, as torch."""
        dev = self.device
        return -1 if dev.type == "cpu" else dev.index

    @property
    def is_cuda(self):
        return self.device.type == "cuda"

    @property
    def is_cpu(self):
        return self.device.type == "cpu"

    # devices, layouts and kinds of tensor ember does not have: always False, as torch's on a CPU tensor
    is_xpu = is_mps = is_meta = is_ipu = is_mtia = is_maia = is_vulkan = is_xla = is_mkldnn = is_sparse_csr = (
        is_quantized
    ) = is_nested = property(lambda self: False)

    @property
    def is_sparse(self):
        return "_coo" in self.__dict__  # ember.sparse: a dense-backed COO tensor

    @property
    def layout(self):
        from .sparse import layout_of

        return layout_of(self)

    @property
    def _version(self):
        return self._version_counter[0]

    @property
    def data(self):
        t = Tensor._make(self._data)
        t._base = self._base
        return t

    @data.setter
    def data(self, value):
        self._data = value._data

    @property
    def itemsize(self):
        return self._data.itemsize

    @property
    def nbytes(self):
        return self._data.nbytes

    def _dim(self, dim, ndim=None):
        """Wrap a possibly negative dim, raising torch's IndexError when it is out of range."""
        n = self._data.ndim if ndim is None else ndim
        lo, hi = (-n, n - 1) if n else (-1, 0)
        if not lo <= dim <= hi:
            raise IndexError(f"Dimension out of range (expected to be in range of [{lo}, {hi}], but got {dim})")
        return dim + n if dim < 0 else dim

    # --- autograd -------------------------------------------------------------------------
    def backward(
        self,
        gradient: Tensor | None = None,
        retain_graph: _bool | None = None,
        create_graph: _bool = False,
        inputs: Any = None,
    ) -> None:
        _autograd.backward(self, gradient, retain_graph, create_graph, inputs=inputs)

    def detach(self) -> Tensor:
        t = Tensor._make(self._data)
        t._version_counter = self._version_counter
        t._base = self._base
        return t

    def detach_(self) -> Tensor:
        if self._view_version is not None and self._base.requires_grad:
            raise RuntimeError("Can't detach views in-place. Use detach() instead.")
        self._grad_fn = None
        self._view_version = None
        self._requires_grad = False
        return self

    def requires_grad_(self, requires_grad: _bool = True) -> Tensor:
        self.requires_grad = requires_grad
        return self

    def retain_grad(self) -> None:
        if self.grad_fn is None:
            return
        if self.grad_fn._retained is None:
            self.grad_fn._retained = {}
        import weakref

        self.grad_fn._retained[self._output_nr] = weakref.ref(self)

    @property
    def retains_grad(self):
        fn = self.grad_fn
        return fn is not None and fn._retained is not None and self._output_nr in fn._retained

    def register_hook(self, hook: Callable[[Tensor], Tensor | None]) -> Any:
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self._hooks is None:
            self._hooks = []
        if self.grad_fn is not None:
            if self.grad_fn._out_hooks is None:
                self.grad_fn._out_hooks = {}
            self.grad_fn._out_hooks[self._output_nr] = self._hooks
        self._hooks.append(hook)
        return graph._RemovableHandle(self._hooks, hook)

    def register_post_accumulate_grad_hook(self, hook):
        if self.grad_fn is not None:
            raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")
        if self._post_acc_hooks is None:
            self._post_acc_hooks = []
        self._post_acc_hooks.append(hook)
        return graph._RemovableHandle(self._post_acc_hooks, hook)

    # --- conversion to Python / NumPy ---------------------------------------------------------
    def numpy(self, *, force: _bool = False) -> Any:
        if self._requires_grad and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.")
        if array_module(self._data) is not np:
            if not force:
                raise TypeError(
                    f"can't convert {self.device} device type tensor to numpy. "
                    "Use Tensor.cpu() to copy the tensor to host memory first."
                )
            return self._data.get()
        return self._data

    def __array__(self, dtype=None, copy=None):
        if type(self._data) is not np.ndarray and array_module(self._data) is not np:
            raise TypeError(
                f"can't convert {self.device} device type tensor to numpy. "
                "Use Tensor.cpu() to copy the tensor to host memory first."
            )
        arr = self._data
        return arr if dtype is None else arr.astype(dtype, copy=False)

    def item(self) -> Number:
        if self._data.size != 1:
            raise RuntimeError(f"a Tensor with {self._data.size} elements cannot be converted to Scalar")
        return self._data.reshape(()).item() if array_module(self._data) is np else self._data.item()

    def tolist(self) -> Any:
        return to_host(self._data).tolist()

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __index__(self):
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __bool__(self):
        if self._data.size != 1:
            raise RuntimeError(
                f"Boolean value of Tensor with more than one value is ambiguous "
                f"(shape {list(self._data.shape)}); use .any() or .all()"
            )
        return bool(self.item())

    def __complex__(self):
        return complex(self.item())

    def __len__(self) -> _int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self) -> Iterator[Tensor]:
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))

    def __contains__(self, element):
        return bool((self == element).any())

    __hash__ = object.__hash__

    def __repr__(self, *, tensor_contents=None):
        from ._tensor_str import tensor_repr

        return tensor_repr(self)

    def __format__(self, spec):
        if self._data.ndim == 0:
            return self.item().__format__(spec)
        return object.__format__(self, spec)

    def __reduce_ex__(self, protocol):
        device = self.device
        return (
            _rebuild_tensor,
            (to_host(self._data), self._requires_grad, type(self)) + (() if device.type == "cpu" else (device,)),
        )

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        if self.grad_fn is not None:
            raise RuntimeError(
                "Only Tensors created explicitly by the user (graph leaves) support the "
                "deepcopy protocol at the moment."
            )
        new = _rebuild_tensor(self._data.copy(), self._requires_grad, type(self))
        if self.grad is not None:
            new.grad = Tensor._make(self.grad._data.copy())
        memo[id(self)] = new
        return new

    def _inplace_assign(self, result, expanded_ok=False):
        """Write `result` into this tensor's memory, the core of every in-place op.

        When grad mode records and either requires grad, the write joins the graph as torch's: the
        tensor takes result's history or, if it is a view, its base takes a CopySlices node and the view
        its history from the base (autograd/views.py).
        """
        src = result._data
        if src.dtype != self._data.dtype:
            if (
                _dtype.is_float_array(src)
                and not _dtype.is_float_array(self._data)
                and self._data.dtype.kind != "c"
                or src.dtype.kind in "iu"
                and self._data.dtype.kind == "b"
                or src.dtype.kind == "c"
                and self._data.dtype.kind != "c"
            ):
                raise RuntimeError(
                    f"result type {_dtype.scalar_type_name(_dtype._BY_NP[src.dtype])} can't be cast "
                    f"to the desired output type {_dtype.scalar_type_name(self.dtype)}"
                )
        if src.shape != self._data.shape and src.ndim:
            _check_writable_shape(self._data.shape, src.shape)
        track = state.enabled and (result._requires_grad or self._tracks_inplace())
        if track:
            _views.check_inplace(self)
        self._write(src, expanded_ok)
        if track:
            if self._view_version is not None:
                _views.rebase(self, result)
            else:
                self._grad_fn, self._output_nr, self._requires_grad = (
                    result._grad_fn,
                    result._output_nr,
                    result._requires_grad,
                )
        return self

    def _write(self, src, expanded_ok=False):
        """The write itself: src (an array of a shape that broadcasts to this one, or a number) into this
        tensor's memory (write_array); the version counter steps."""
        write_array(self._data, src, expanded_ok)
        self._version_counter[0] += 1
        return self

    def _tracks_inplace(self):
        """Whether an in-place op on this tensor must be recorded (when grad mode is on): it requires grad,
        or it views memory of one that does."""
        return self.requires_grad or self._view_version is not None and self._base._requires_grad


def write_array(dst, src, expanded_ok=False):
    """src (an array of a shape that broadcasts to dst's, or a number) into dst, cast to its dtype; refused
    into an expanded array unless expanded_ok. (A replayed ember.compile program writes through it too.)"""
    expanded = _internal_overlap(dst)
    if expanded and not expanded_ok:
        raise RuntimeError(
            "unsupported operation: more than one element of the written-to tensor refers to a "
            "single memory location. Please clone() the tensor before performing the operation."
        )
    if src is dst:
        pass
    elif expanded:
        # an expanded tensor (fill_, masked_fill_, index_put_ may write one, as torch): write only what
        # the op changed, so that no other element over the same memory writes its old value back
        src = array_module(dst).broadcast_to(array_module(dst).asarray(src, dtype=dst.dtype), dst.shape)
        changed = src != dst
        dst[changed] = src[changed]
    else:
        dst[...] = src


def _check_writable_shape(out, src):
    """torch's errors for values of shape `src` written in place into a tensor of shape `out`."""
    for i in range(1, min(len(out), len(src)) + 1):
        a, b = out[-i], src[-i]
        if a != b and b != 1 and a != 1:
            raise RuntimeError(
                f"The size of tensor a ({a}) must match the size of tensor b ({b}) at non-singleton "
                f"dimension {len(out) - i} (writing values of shape {list(src)} in place into a "
                f"tensor of shape {list(out)})"
            )
    if np.broadcast_shapes(out, src) != tuple(out):
        raise RuntimeError(
            f"output with shape {list(out)} doesn't match the broadcast shape {list(np.broadcast_shapes(out, src))}"
        )


def check_overlap(written, *inputs):
    """torch's refusal before an in-place write (or out=): an input that partly overlaps the written tensor.
    (A written tensor whose own elements share memory is refused by _inplace_assign.)"""
    out = written._data
    for t in inputs:
        if isinstance(t, Tensor) and t._data is not out and _partial_overlap(out, t._data):
            raise RuntimeError(
                "unsupported operation: some elements of the input tensor and the written-to "
                "tensor refer to a single memory location. Please clone() the tensor before "
                "performing the operation."
            )


def _dense(arr):
    """torch's is_non_overlapping_and_dense: the elements fill a block of memory, each once."""
    if arr.flags.c_contiguous or arr.flags.f_contiguous:
        return True
    need = arr.itemsize
    for stride, size in sorted((st, n) for n, st in zip(arr.shape, arr.strides) if n > 1):
        if stride != need:
            return False
        need *= size
    return True


def _internal_overlap(arr):
    """True only where torch is sure (a zero stride over more than one element), as its has_internal_overlap."""
    return not _dense(arr) and any(st == 0 and n > 1 for n, st in zip(arr.shape, arr.strides))


def _partial_overlap(a, b):
    """torch's MemOverlapStatus::Partial: two dense layouts over memory that overlaps but is not the same."""
    if not a.size or not b.size or array_module(a) is not array_module(b):
        return False  # (arrays of two devices never share memory)
    if type(a) is np.ndarray and not np.may_share_memory(a, b):
        return False  # (the usual case, found by NumPy's bounds check alone)
    if not _dense(a) or not _dense(b):
        return False
    a_lo, b_lo = _lowest_address(a), _lowest_address(b)
    a_hi, b_hi = a_lo + a.nbytes, b_lo + b.nbytes
    if (a_lo, a_hi) == (b_lo, b_hi):  # the same elements, unless laid out differently
        return _layout(a) != _layout(b)
    return a_lo < b_hi and b_lo < a_hi


def _layout(arr):
    """Sizes and strides of the dims that have more than one element (NumPy's stride of a size-1 dim is arbitrary)."""
    return [(n, st) for n, st in zip(arr.shape, arr.strides) if n > 1]


def _lowest_address(arr):
    ptr = memory_layout(arr)[1]
    return ptr + sum((n - 1) * st for n, st in zip(arr.shape, arr.strides) if st < 0)


def _rebuild_tensor(array, requires_grad, cls=Tensor, device=None):
    if device is not None:
        from ._backend import to_device

        array = to_device(array, device)
    if cls is Tensor:
        return Tensor._make(array, requires_grad)
    return cls(Tensor._make(array), requires_grad)
