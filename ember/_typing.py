"""Type aliases for ember's annotations, after torch/types.py. Only type checkers import this module
(`if TYPE_CHECKING:`), so annotations cost `import ember` nothing.

The builtins' aliases (_int, _float, _bool, _complex) exist because Tensor has methods named int, float
and bool, and ember has dtypes of those names: inside those scopes the bare names mean something else.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Sequence
from typing import Any, Union

from ._backend import device
from ._dtype import dtype
from ._tensor import Size, Tensor

_int = builtins.int
_float = builtins.float
_bool = builtins.bool
_complex = builtins.complex

Number = Union[_int, _float, _bool]
"""A Python number where torch takes a Scalar."""
TensorOrNumber = Union[Tensor, _int, _float, _bool, _complex]
_size = Union[Sequence[_int], Size]
"""A shape: a tuple or list of ints, or a Size."""
DType = dtype
Device = device
DeviceLike = Union[device, str, _int, None]
"""Where torch takes a device: ember.device, "cpu", "cuda:0", a CUDA index, or None."""
_size_any = Union[_int, tuple[_int, ...]]
"""A kernel size, stride, padding or dilation: one int for every dim, or one per dim."""
ParamsT = Union[Iterable[Tensor], Iterable[dict[str, Any]], Iterable[tuple[str, Tensor]]]
"""What an optimizer takes: tensors, param groups (dicts), or named parameters."""
