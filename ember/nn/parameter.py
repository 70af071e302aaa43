"""nn.Parameter: a leaf Tensor that a Module registers as a parameter."""

from __future__ import annotations

from typing import Any

from .._tensor import Tensor


class Parameter(Tensor):
    def __new__(cls, data: Tensor | None = None, requires_grad: bool = True) -> Parameter:
        return super().__new__(cls)

    def __init__(self, data: Tensor | None = None, requires_grad: bool = True) -> None:
        if data is None:
            import numpy as np
            from .. import _dtype

            array = np.zeros((0,), _dtype.get_default_dtype().np)
        else:
            array = data._data
        self._init(array)
        if requires_grad:
            self.requires_grad = True
        if data is not None:
            self._version_counter = data._version_counter

    def __reduce_ex__(self, protocol):
        from .._tensor import _rebuild_tensor
        from .._backend import to_host

        device = self.device
        return (
            _rebuild_tensor,
            (to_host(self._data), self.requires_grad, Parameter) + (() if device.type == "cpu" else (device,)),
        )

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        new = Parameter(Tensor._make(self._data.copy()), self.requires_grad)
        if self.grad is not None:
            new.grad = Tensor._make(self.grad._data.copy())
        memo[id(self)] = new
        return new


class Buffer(Tensor):
    """nn.Buffer marker (torch >= 2.5): module attributes of this type become buffers."""

    def __new__(cls, data=None, *, persistent=True):
        t = Tensor._make(data._data if data is not None else None)
        t.__class__ = Tensor
        t.__dict__["_buffer_persistent"] = persistent
        return t


_UNINITIALIZED_USE = (
    "Attempted to use an uninitialized parameter in {}. This error happens when you are using a "
    "`LazyModule` or explicitly manipulating `torch.nn.parameter.UninitializedParameter` objects. "
    "When using LazyModules Call `forward` with a dummy batch to initialize the parameters before "
    "calling torch functions"
)


def _refusing(name):
    """A method an uninitialized tensor refuses, with torch's message."""

    def method(self, *args, **kwargs):
        raise ValueError(_UNINITIALIZED_USE.format(name))

    method.__name__ = name
    return method


class UninitializedTensorMixin:
    """A parameter or buffer of a lazy module before its first forward: it has a dtype and a device (an empty
    array carries them, and .to()/.double() change them) but no shape until `materialize`, which makes it, in
    place, a `cls_to_become` of that shape (so optimizers built before the first call keep working)."""

    cls_to_become: Any = None

    def materialize(self, shape, device=None, dtype=None):
        from ..ops.creation import empty

        data = empty(tuple(shape), device=device or self.device, dtype=dtype or self.dtype)._data
        self.__class__ = self.cls_to_become
        self._data = data

    @property
    def shape(self):
        raise RuntimeError(
            "Can't access the shape of an uninitialized parameter or buffer. This error usually "
            "happens in `load_state_dict` when trying to load an uninitialized parameter into an "
            "initialized one. Call `forward` to initialize the parameters before accessing their "
            "attributes."
        )

    size, numel, dim, detach, clone = (_refusing(n) for n in ("size", "numel", "dim", "detach", "clone"))
    __array__, numpy, tolist, item = (_refusing(n) for n in ("__array__", "numpy", "tolist", "item"))

    def __repr__(self):
        return f"<{type(self).__name__}>"

    def __deepcopy__(self, memo):
        new = type(self)(requires_grad=self.requires_grad, device=self.device, dtype=self.dtype)
        memo[id(self)] = new
        return new

    def __reduce_ex__(self, protocol):
        return (type(self), (self.requires_grad,))


class UninitializedParameter(UninitializedTensorMixin, Parameter):  # type: ignore[misc]  # (__repr__ differs)
    cls_to_become = Parameter

    def __new__(cls, requires_grad=True, device=None, dtype=None):
        return Tensor.__new__(cls)

    def __init__(self, requires_grad=True, device=None, dtype=None):
        from ..ops.creation import empty

        super().__init__(empty(0, device=device, dtype=dtype), requires_grad)


class UninitializedBuffer(UninitializedTensorMixin, Tensor):  # type: ignore[misc]  # (__repr__ differs)
    cls_to_become = Tensor

    def __new__(cls, requires_grad=False, device=None, dtype=None):
        return Tensor.__new__(cls)

    def __init__(self, requires_grad=False, device=None, dtype=None):
        from ..ops.creation import empty

        self._init(empty(0, device=device, dtype=dtype)._data, requires_grad)


def is_lazy(param):
    return isinstance(param, UninitializedTensorMixin)
