"""Tensor: an array from the backend seam plus what autograd needs (requires_grad, grad, grad_fn).

The math lives in ember/ops; those functions are installed as methods by `ember.ops._registry`.
"""
import numpy as np

from . import _dtype
from ._backend import array_module, device_of, to_host
from .autograd.grad_mode import state
from .autograd import graph
from . import autograd as _autograd      # half-initialised here: .backward is read at call time


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


class Tensor:
    __slots__ = ("_data", "_rg", "grad", "grad_fn", "_output_nr", "_base", "_vc", "_hooks",
                 "_acc_ref", "_post_acc_hooks", "__weakref__", "__dict__")

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
        self._data = data
        self._rg = requires_grad
        self.grad = None
        self.grad_fn = None
        self._output_nr = 0
        self._base = None
        self._vc = [0]
        self._hooks = None
        self._acc_ref = None
        self._post_acc_hooks = None

    @classmethod
    def _make(cls, data, requires_grad=False):
        t = object.__new__(Tensor)
        t._data = data
        t._rg = requires_grad
        t.grad = None
        t.grad_fn = None
        t._output_nr = 0
        t._base = None
        t._vc = [0]
        t._hooks = None
        t._acc_ref = None
        t._post_acc_hooks = None
        return t

    def _owned_copy(self):
        return Tensor._make(self._data.copy())

    # --- metadata -------------------------------------------------------------------------
    @property
    def requires_grad(self):
        return self._rg

    @requires_grad.setter
    def requires_grad(self, value):
        value = bool(value)
        if value and not self.is_floating_point():
            raise RuntimeError(f"only Tensors of floating point dtype can require gradients "
                               f"(this tensor is {self.dtype}; convert it with .float() first)")
        if not value and self.grad_fn is not None:
            raise RuntimeError("you can only change requires_grad flags of leaf variables. If you want to "
                               "use a computed variable in a subgraph that doesn't require differentiation "
                               "use var_no_grad = var.detach().")
        self._rg = value

    @property
    def dtype(self):
        return _dtype._BY_NP[self._data.dtype]

    @property
    def shape(self):
        return Size(self._data.shape)

    def size(self, dim=None):
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[self._dim(dim)]

    @property
    def ndim(self):
        return self._data.ndim

    def dim(self):
        return self._data.ndim

    ndimension = dim

    def numel(self):
        return self._data.size

    nelement = numel

    def element_size(self):
        return self._data.itemsize

    def stride(self, dim=None):
        item = self._data.itemsize
        strides = [s // item for s in self._data.strides]
        shape = self._data.shape
        for d in range(len(shape) - 1, -1, -1):
            if shape[d] == 1 and strides[d] == 0:      # NumPy's None-axis; torch's unsqueeze convention
                strides[d] = strides[d + 1] * shape[d + 1] if d + 1 < len(shape) else 1
        strides = tuple(strides)
        return strides if dim is None else strides[self._dim(dim)]

    def storage_offset(self):
        if self._base is None:
            return 0
        return (self._data.__array_interface__["data"][0]
                - self._base._data.__array_interface__["data"][0]) // self._data.itemsize

    def data_ptr(self):
        return self._data.__array_interface__["data"][0] if array_module(self._data) is np \
            else self._data.data.ptr

    def is_contiguous(self, memory_format=None):
        return self._data.flags["C_CONTIGUOUS"]

    def is_floating_point(self):
        return _dtype.is_float_array(self._data)

    def is_complex(self):
        return False

    @property
    def is_leaf(self):
        return self.grad_fn is None

    @property
    def device(self):
        return device_of(self._data)

    def get_device(self):
        """-1 on the CPU, else the CUDA device index, as torch."""
        dev = self.device
        return -1 if dev.type == "cpu" else dev.index

    @property
    def is_cuda(self):
        return self.device.type == "cuda"

    @property
    def layout(self):
        return "torch.strided"

    @property
    def _version(self):
        return self._vc[0]

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
    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        _autograd.backward(self, gradient, retain_graph, create_graph, inputs=inputs)

    def detach(self):
        t = Tensor._make(self._data)
        t._vc = self._vc
        t._base = self._base
        return t

    def detach_(self):
        if self._base is not None and self._base.requires_grad:
            raise RuntimeError("Can't detach views in-place. Use detach() instead.")
        self.grad_fn = None
        self._rg = False
        return self

    def requires_grad_(self, requires_grad=True):
        self.requires_grad = requires_grad
        return self

    def retain_grad(self):
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

    def register_hook(self, hook):
        if not self._rg:
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
    def numpy(self, *, force=False):
        if self._rg and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.")
        if array_module(self._data) is not np:
            if not force:
                raise TypeError(f"can't convert {self.device} device type tensor to numpy. "
                                "Use Tensor.cpu() to copy the tensor to host memory first.")
            return self._data.get()
        return self._data

    def __array__(self, dtype=None, copy=None):
        if type(self._data) is not np.ndarray and array_module(self._data) is not np:
            raise TypeError(f"can't convert {self.device} device type tensor to numpy. "
                            "Use Tensor.cpu() to copy the tensor to host memory first.")
        arr = self._data
        return arr if dtype is None else arr.astype(dtype, copy=False)

    def item(self):
        if self._data.size != 1:
            raise RuntimeError(f"a Tensor with {self._data.size} elements cannot be converted to Scalar")
        return self._data.reshape(()).item() if array_module(self._data) is np else self._data.item()

    def tolist(self):
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
            raise RuntimeError(f"Boolean value of Tensor with more than one value is ambiguous "
                               f"(shape {list(self._data.shape)}); use .any() or .all()")
        return bool(self.item())

    def __complex__(self):
        return complex(self.item())

    def __len__(self):
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
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
        return (_rebuild_tensor, (to_host(self._data), self._rg, type(self)) + (() if device.type == "cpu" else
                                                                                 (device,)))

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        if self.grad_fn is not None:
            raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) support the "
                               "deepcopy protocol at the moment.")
        new = _rebuild_tensor(self._data.copy(), self._rg, type(self))
        if self.grad is not None:
            new.grad = Tensor._make(self.grad._data.copy())
        memo[id(self)] = new
        return new

    def _inplace_assign(self, result):
        """Write `result` into this tensor's memory, the core of every in-place op."""
        if state.enabled:
            if self._rg and self.grad_fn is None:
                raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation. "
                                   "(wrap the update in `with torch.no_grad():`, or clone() the tensor first)")
            if self._base is not None and (result._rg or self._base._rg):
                raise RuntimeError("ember does not yet track in-place ops on a view of a tensor that requires "
                                   "grad; use the out-of-place op and torch.cat/stack, or clone() first")
        src = result._data
        if src.dtype != self._data.dtype:
            if _dtype.is_float_array(src) and not _dtype.is_float_array(self._data) or \
                    src.dtype.kind in "iu" and self._data.dtype.kind == "b":
                raise RuntimeError(f"result type {_dtype.scalar_type_name(_dtype._BY_NP[src.dtype])} can't be cast "
                                   f"to the desired output type {_dtype.scalar_type_name(self.dtype)}")
        if src.shape != self._data.shape:
            try:
                fits = np.broadcast_shapes(src.shape, self._data.shape) == self._data.shape
            except ValueError:
                fits = False
            if not fits:
                raise RuntimeError(f"output with shape {list(self._data.shape)} doesn't match the broadcast "
                                   f"shape {list(src.shape)}")
        if src is not self._data:
            self._data[...] = src
        self._vc[0] += 1
        if state.enabled and result._rg:
            self._rg = True
            self.grad_fn = result.grad_fn
            self._output_nr = result._output_nr
        return self


def _rebuild_tensor(array, requires_grad, cls=Tensor, device=None):
    if device is not None:
        from ._backend import to_device
        array = to_device(array, device)
    if cls is Tensor:
        return Tensor._make(array, requires_grad)
    return cls(Tensor._make(array), requires_grad)
