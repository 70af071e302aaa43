"""dtype and device conversion, clone, contiguous: the ToCopy family."""
import builtins

import numpy as np

from .. import _dtype
from .._backend import as_device, device_of, to_device, array_module, device as device_cls
from ..autograd.function import Op
from ._registry import torch_api


class ToCopy(Op):
    @staticmethod
    def forward(ctx, x, np_dtype, dev):
        ctx.src_dtype, ctx.src_device = x.dtype, device_of(x)
        y = x
        if dev is not None:
            y = to_device(y, dev)
        if np_dtype is not None and y.dtype != np_dtype:
            y = y.astype(np_dtype)
        return y.copy() if y is x else y

    @staticmethod
    def backward(ctx, g):
        return g.to(device=ctx.src_device, dtype=ctx.src_dtype), None, None


class Clone(Op):
    @staticmethod
    def forward(ctx, x, order):
        return array_module(x).array(x, copy=True, order=order)

    @staticmethod
    def backward(ctx, g):
        return g, None


def _parse_to(args, kwargs):
    """Tensor.to(dtype) / to(device[, dtype]) / to(tensor) / to(..., dtype=, device=, copy=)."""
    from .._tensor import Tensor
    unknown = set(kwargs) - {"device", "dtype"}
    if unknown:
        raise TypeError(f"to() received an invalid combination of arguments - got ({unknown.pop()}=...), but "
                        "expected one of: (device, dtype, non_blocking, copy, *, memory_format), (dtype, "
                        "non_blocking, copy, *, memory_format), (tensor, non_blocking, copy, *, memory_format)")
    dev, dt = kwargs.get("device"), kwargs.get("dtype")
    for a in args:
        if isinstance(a, _dtype.MissingDtype):
            raise a.error()
        if isinstance(a, Tensor):
            dev, dt = a.device, a.dtype
        elif isinstance(a, (_dtype.dtype, np.dtype, builtins.type)):     # `type` is Tensor.type below
            dt = a
        elif isinstance(a, (str, device_cls, int)):
            dev = a
        elif a is not None:
            raise TypeError(f"to() received an invalid argument {a!r}: expected a dtype, device or tensor")
    return (None if dev is None else as_device(dev)), (None if dt is None else _dtype.as_dtype(dt))


@torch_api(function=False)
def to(self, *args, non_blocking=False, copy=False, memory_format=None, **kwargs):
    dev, dt = _parse_to(args, kwargs)
    if dev is not None and dev == self.device:
        dev = None
    if dt is not None and dt.np == self._data.dtype:
        dt = None
    if dev is None and dt is None:
        return clone(self) if copy else self
    return ToCopy.apply(self, None if dt is None else dt.np, dev)


def _dtype_method(dt):
    def convert(self, memory_format=None):
        return to(self, dt)
    return convert


for _name, _dt in (("float", _dtype.float32), ("double", _dtype.float64), ("half", _dtype.float16),
                   ("int", _dtype.int32), ("long", _dtype.int64), ("short", _dtype.int16),
                   ("char", _dtype.int8), ("byte", _dtype.uint8), ("bool", _dtype.bool)):
    torch_api(_name, function=False)(_dtype_method(_dt))
torch_api("bfloat16", function=False)(_dtype_method(_dtype.bfloat16 or _dtype.MissingDtype("bfloat16")))

_LEGACY_TYPES = {"torch.FloatTensor": _dtype.float32, "torch.DoubleTensor": _dtype.float64,
                 "torch.HalfTensor": _dtype.float16, "torch.LongTensor": _dtype.int64,
                 "torch.IntTensor": _dtype.int32, "torch.ShortTensor": _dtype.int16,
                 "torch.CharTensor": _dtype.int8, "torch.ByteTensor": _dtype.uint8,
                 "torch.BoolTensor": _dtype.bool}
_TYPE_NAMES = {v: k for k, v in _LEGACY_TYPES.items()}


@torch_api(function=False)
def type(self, dtype=None, non_blocking=False):
    if dtype is None:
        name = _TYPE_NAMES[self.dtype]
        return name.replace("torch.", "torch.cuda.") if self.is_cuda else name
    if isinstance(dtype, str):
        dtype = _LEGACY_TYPES.get(dtype.replace(".cuda.", "."), None) or _dtype.as_dtype(dtype)
    elif hasattr(dtype, "_ember_dtype"):
        dtype = dtype._ember_dtype
    return to(self, dtype)


@torch_api(function=False)
def type_as(self, other):
    return to(self, other.dtype)


@torch_api(function=False)
def cuda(self, device=None, non_blocking=False):
    return to(self, as_device("cuda" if device is None else device if not isinstance(device, int)
                              else f"cuda:{device}"))


@torch_api(function=False)
def cpu(self):
    return to(self, "cpu")


@torch_api()
def clone(input, *, memory_format=None):
    return Clone.apply(input, "C" if memory_format is not None else "K")


@torch_api(function=False)
def contiguous(self, memory_format=None):
    return self if self._data.flags["C_CONTIGUOUS"] else Clone.apply(self, "C")


@torch_api(function=False)
def copy_(self, src, non_blocking=False):
    from .._tensor import Tensor
    if not isinstance(src, Tensor):
        src = Tensor._make(np.asarray(src))
    if src.device != self.device:
        src = to(src, self.device)
    if src.dtype != self.dtype:
        src = to(src, self.dtype)
    return self._inplace_assign(src)
