"""dtype and device conversion, clone, contiguous: the ToCopy family."""

import builtins

import numpy as np

from .. import _dtype
from .._backend import as_device, current_cuda_index, device_of, to_device, array_module, device as device_cls
from ..autograd.function import Op
from ..autograd.grad_mode import state
from ..autograd.views import check_inplace
from ._registry import torch_api
from .._formats import check_layout, contiguous_format, dim_order_of, has_dim_order, in_memory_format, preserve_format
from .._tensor import Tensor, check_overlap, _check_writable_shape


class ToCopy(Op):
    wirtinger = False  # a cast between real and complex: its backward takes the real part itself

    @staticmethod
    def forward(ctx, x, np_dtype, dev):
        ctx.src_dtype, ctx.src_device = x.dtype, device_of(x)
        y = x
        if dev is not None:
            y = to_device(y, dev)
        if np_dtype is not None and y.dtype != np_dtype:
            if y.dtype.kind == "c" and np.dtype(np_dtype).kind != "c":
                import warnings

                warnings.warn("Casting complex values to real discards the imaginary part", UserWarning, stacklevel=4)
                y = y.real
            y = y.astype(np_dtype)
        return y.copy() if y is x else y

    @staticmethod
    def backward(ctx, g):
        if g._data.dtype.kind == "c" and ctx.src_dtype.kind != "c":
            g = g.real
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
    unknown = set(kwargs) - {"device", "dtype"}
    if unknown:
        raise TypeError(
            f"to() received an invalid combination of arguments - got ({unknown.pop()}=...), but "
            "expected one of: (device, dtype, non_blocking, copy, *, memory_format), (dtype, "
            "non_blocking, copy, *, memory_format), (tensor, non_blocking, copy, *, memory_format)"
        )
    dev, dt = kwargs.get("device"), kwargs.get("dtype")
    for a in args:
        if isinstance(a, _dtype.MissingDtype):
            raise a.error()
        if isinstance(a, Tensor):
            dev, dt = a.device, a.dtype
        elif isinstance(a, (_dtype.dtype, np.dtype, builtins.type)):  # `type` is Tensor.type below
            dt = a
        elif isinstance(a, (str, device_cls, int)):
            dev = a
        elif a is not None:
            raise TypeError(f"to() received an invalid argument {a!r}: expected a dtype, device or tensor")
    return (None if dev is None else as_device(dev)), (None if dt is None else _dtype.as_dtype(dt))


@torch_api(function=False)
def to(
    self,
    *args,
    dtype=None,
    layout=None,
    device=None,
    pin_memory=False,
    non_blocking=False,
    copy=False,
    memory_format=None,
):
    # non_blocking: ember's copies between devices are synchronous, so each is complete when `to` returns (the
    # result torch gives once its stream is synchronized): honoured as a no-op
    check_layout("to", layout)
    if pin_memory:
        return to(self, *args, dtype=dtype, device=device, copy=copy, memory_format=memory_format).pin_memory()
    dev, dt = _parse_to(args, {"device": device, "dtype": dtype})
    if memory_format is not None and memory_format is not preserve_format:
        converted = to(self, *args, dtype=dtype, device=device, copy=copy)
        return _in_format(converted, memory_format, "to", fresh=converted is not self)
    if dev is not None and dev.type == "cuda" and dev.index is None:  # 'cuda': the current GPU
        dev = device_cls("cuda", current_cuda_index())
    if dev is not None and dev == self.device:
        dev = None
    if dt is not None and dt.np == self._data.dtype:
        dt = None
    if dev is None and dt is None:
        return clone(self) if copy else self
    return ToCopy.apply(self, None if dt is None else dt.np, dev)


def _dtype_method(dt):
    def convert(self, memory_format=None):
        return to(self, dt, memory_format=memory_format)

    return convert


for _name, _dt in (
    ("float", _dtype.float32),
    ("double", _dtype.float64),
    ("half", _dtype.float16),
    ("int", _dtype.int32),
    ("long", _dtype.int64),
    ("short", _dtype.int16),
    ("char", _dtype.int8),
    ("byte", _dtype.uint8),
    ("bool", _dtype.bool),
):
    torch_api(_name, function=False)(_dtype_method(_dt))
torch_api("bfloat16", function=False)(_dtype_method(_dtype.bfloat16 or _dtype.MissingDtype("bfloat16")))

_LEGACY_TYPES = {
    "torch.FloatTensor": _dtype.float32,
    "torch.DoubleTensor": _dtype.float64,
    "torch.HalfTensor": _dtype.float16,
    "torch.LongTensor": _dtype.int64,
    "torch.IntTensor": _dtype.int32,
    "torch.ShortTensor": _dtype.int16,
    "torch.CharTensor": _dtype.int8,
    "torch.ByteTensor": _dtype.uint8,
    "torch.BoolTensor": _dtype.bool,
}
_TYPE_NAMES = {v: k for k, v in _LEGACY_TYPES.items()}


@torch_api(function=False)
def type(self, dtype=None, non_blocking=False):
    # (non_blocking: copies are synchronous in ember, see `to`)
    if dtype is None:
        name = _TYPE_NAMES[self.dtype]
        return name.replace("torch.", "torch.cuda.") if self.is_cuda else name
    if isinstance(dtype, str):
        dtype = _LEGACY_TYPES.get(dtype.replace(".cuda.", "."), None) or _dtype.as_dtype(dtype)
    elif hasattr(dtype, "_ember_dtype"):  # a legacy type: torch.FloatTensor, torch.cuda.LongTensor ...
        return to(self, dtype._ember_device, dtype._ember_dtype)
    return to(self, dtype)


@torch_api(function=False)
def type_as(self, other):
    return to(self, other.dtype)


@torch_api(function=False)
def cuda(self, device=None, non_blocking=False, memory_format=None):
    return to(
        self,
        as_device("cuda" if device is None else device if not isinstance(device, int) else f"cuda:{device}"),
        non_blocking=non_blocking,
        memory_format=memory_format,
    )


@torch_api(function=False)
def cpu(self, memory_format=None):
    return to(self, "cpu", memory_format=memory_format)


@torch_api()
def clone(input, *, memory_format=None):
    """A copy in input's own layout (preserve_format), row-major (contiguous_format) or channels last."""
    if memory_format is None or memory_format is preserve_format:
        return Clone.apply(input, "K")
    return in_memory_format(Clone.apply(input, "C"), memory_format)


@torch_api(function=False)
def contiguous(self, memory_format=None):
    if memory_format is preserve_format:
        raise RuntimeError("preserve memory format is unsupported by the contiguous operator")
    if memory_format is None or memory_format is contiguous_format:
        return self if self._data.flags["C_CONTIGUOUS"] else Clone.apply(self, "C")
    return _in_format(self, memory_format, "contiguous", fresh=False)


def _in_format(t, memory_format, op, fresh):
    """t itself when its memory is already in memory_format, else a copy laid out so (a fresh result of a
    conversion is laid out in place)."""
    if has_dim_order(t._data, dim_order_of(memory_format, t._data.ndim, op)):
        return t
    return in_memory_format(t if fresh else Clone.apply(t, "C"), memory_format)


class CopyBackwards(Op):
    """self.copy_(src): the old values get a zero gradient, src the gradient (summed to its shape and cast
    to its dtype by the engine), as torch's CopyBackwards."""

    _node_name = "torch::autograd::CopyBackwards"

    @staticmethod
    def forward(ctx, x, src):
        return array_module(x).broadcast_to(src.astype(x.dtype, copy=False), x.shape).copy()

    @staticmethod
    def backward(ctx, g):
        return g.new_zeros(g.shape), g


@torch_api(function=False)
def copy_(self, src, non_blocking=False):
    # (non_blocking: copies are synchronous in ember, see `to`)
    if not isinstance(src, Tensor):
        src = Tensor._make(np.asarray(src))
    if src._data.shape != self._data.shape:
        _check_writable_shape(self._data.shape, src._data.shape)
    track = state.enabled and (self._tracks_inplace() or src.requires_grad)
    if track:
        check_inplace(self)
    check_overlap(self, src)
    if src.device != self.device:
        src = to(src, self.device)
    if track:
        return self._inplace_assign(CopyBackwards.apply(self, src))
    return self._write(src._data)


def copy_to(dst, value):
    """`tensor[key] = value` once the key's view is taken, as torch: a number or 0-d value fills it
    (refusing an expanded target), a value of its shape is copied in, another is broadcast."""
    if isinstance(value, (bool, int, float, complex, np.number, np.bool_)):
        return overwrite(dst, value, "FillBackward3")  # torch fills with the number as a 0-d tensor
    if not isinstance(value, Tensor):
        value = Tensor._make(np.asarray(value))
    if value._data.shape == dst._data.shape:
        return copy_(dst, value)
    if value._data.ndim == 0:
        return overwrite(dst, value, "FillBackward3")
    shape = value._data.shape
    while shape and shape[0] == 1:  # torch views the value without its leading ones, then expands it
        shape = shape[1:]
    return copy_(dst, value.view(shape).expand(dst._data.shape))


from .creation import overwrite  # noqa: E402  (creation's ops use convert's)
