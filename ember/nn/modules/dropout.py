"""nn modules: the dropout family (the math lives in ember/ops/dropout.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...ops import dropout as F
from .module import Module

if TYPE_CHECKING:
    from ..._tensor import Tensor

__all__ = ["Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout", "FeatureAlphaDropout"]


class _DropoutNd(Module):
    function: Any = None

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        if p < 0 or p > 1:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p = p
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return type(self).function(input, self.p, self.training, self.inplace)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class Dropout(_DropoutNd):
    function = staticmethod(F.dropout)


class Dropout1d(_DropoutNd):
    function = staticmethod(F.dropout1d)


class Dropout2d(_DropoutNd):
    function = staticmethod(F.dropout2d)


class Dropout3d(_DropoutNd):
    function = staticmethod(F.dropout3d)


class AlphaDropout(_DropoutNd):
    function = staticmethod(F.alpha_dropout)


class FeatureAlphaDropout(_DropoutNd):
    function = staticmethod(F.feature_alpha_dropout)
