"""nn modules: constant, zero, reflection, replication and circular padding (torch's classes and reprs)."""

from __future__ import annotations

from typing import TYPE_CHECKING
from ...ops.padding import pad
from .module import Module

if TYPE_CHECKING:
    from ..._tensor import Tensor
    from ..._typing import _size_any

__all__ = [
    "ConstantPad1d",
    "ConstantPad2d",
    "ConstantPad3d",
    "ZeroPad1d",
    "ZeroPad2d",
    "ZeroPad3d",
    "ReflectionPad1d",
    "ReflectionPad2d",
    "ReflectionPad3d",
    "ReplicationPad1d",
    "ReplicationPad2d",
    "ReplicationPad3d",
    "CircularPad1d",
    "CircularPad2d",
    "CircularPad3d",
]


def _padding(padding, nd):
    """An int pads every side; a tuple is (low, high) per dim, last dim first, as F.pad takes it."""
    if isinstance(padding, (tuple, list)):
        if len(padding) != 2 * nd:
            raise ValueError(f"padding must be an int or a {2 * nd}-tuple, got {padding}")
        return tuple(padding)
    return (padding,) * (2 * nd)


class _PadNd(Module):
    __constants__ = ["padding"]
    _nd = 0
    _mode = ""

    def __init__(self, padding: _size_any | str) -> None:
        super().__init__()
        self.padding = _padding(padding, self._nd)

    def _check_input_dim(self, input):
        if input.dim() not in (self._nd + 1, self._nd + 2):
            raise ValueError(
                f"{type(self).__name__}: expected {self._nd + 1}D or {self._nd + 2}D input "
                f"(got {input.dim()}D input of size {list(input.shape)})"
            )

    def forward(self, input: Tensor) -> Tensor:
        self._check_input_dim(input)
        return pad(input, self.padding, self._mode)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class _ConstantPadNd(_PadNd):
    __constants__ = ["padding", "value"]
    _mode = "constant"

    def __init__(self, padding: _size_any | str, value: float) -> None:
        super().__init__(padding)
        self.value = value

    def forward(self, input: Tensor) -> Tensor:
        return pad(input, self.padding, "constant", self.value)

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


class _ZeroPadNd(_ConstantPadNd):
    def __init__(self, padding: _size_any | str) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


def _make(base, name, nd, mode=None):
    attrs = {"_nd": nd, "__qualname__": name, "__module__": __name__}
    if mode is not None:
        attrs["_mode"] = mode
    return type(name, (base,), attrs)


ConstantPad1d, ConstantPad2d, ConstantPad3d = (_make(_ConstantPadNd, f"ConstantPad{n}d", n) for n in (1, 2, 3))
ZeroPad1d, ZeroPad2d, ZeroPad3d = (_make(_ZeroPadNd, f"ZeroPad{n}d", n) for n in (1, 2, 3))
ReflectionPad1d, ReflectionPad2d, ReflectionPad3d = (
    _make(_PadNd, f"ReflectionPad{n}d", n, "reflect") for n in (1, 2, 3)
)
ReplicationPad1d, ReplicationPad2d, ReplicationPad3d = (
    _make(_PadNd, f"ReplicationPad{n}d", n, "replicate") for n in (1, 2, 3)
)
CircularPad1d, CircularPad2d, CircularPad3d = (_make(_PadNd, f"CircularPad{n}d", n, "circular") for n in (1, 2, 3))
