"""nn.Parameter: a leaf Tensor that a Module registers as a parameter."""
from .._tensor import Tensor


class Parameter(Tensor):
    def __new__(cls, data=None, requires_grad=True):
        return super().__new__(cls)

    def __init__(self, data=None, requires_grad=True):
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
            self._vc = data._vc

    def __reduce_ex__(self, protocol):
        from .._tensor import _rebuild_tensor
        from ..._backend import to_host
        device = self.device
        return (_rebuild_tensor, (to_host(self._data), self.requires_grad, Parameter) +
                (() if device.type == "cpu" else (device,)))

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
