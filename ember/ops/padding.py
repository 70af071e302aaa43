"""pad: constant, reflect, replicate and circular padding; part of nn.functional.

Constant padding is its own op (its adjoint crops); the other modes are one-tap AxisMaps whose index comes
from NumPy's pad of the positions.
"""

import numpy as np

from .._backend import array_module
from ..autograd.function import Op, renamed
from ._spatial import shape_str
from .pool import AxisMaps

__all__ = ["pad"]


# --- pad --------------------------------------------------------------------------------------------
class ConstantPad(Op):
    """Pad (or crop, for negative amounts) with a constant; its adjoint is the opposite crop/pad with 0."""

    _node_name = "ConstantPadNdBackward0"

    @staticmethod
    def forward(ctx, x, pads, value):
        ctx.pads = pads
        xp = array_module(x)
        lead = x.ndim - len(pads)
        cropped = x[
            (slice(None),) * lead
            + tuple(slice(max(-lo, 0), s - max(-hi, 0)) for s, (lo, hi) in zip(x.shape[lead:], pads))
        ]
        if not any(lo > 0 or hi > 0 for lo, hi in pads):
            return cropped.copy()
        shape = x.shape[:lead] + tuple(s + max(lo, 0) + max(hi, 0) for s, (lo, hi) in zip(cropped.shape[lead:], pads))
        out = xp.full(shape, value, x.dtype)
        out[
            (slice(None),) * lead
            + tuple(slice(max(lo, 0), max(lo, 0) + s) for s, (lo, _) in zip(cropped.shape[lead:], pads))
        ] = cropped
        return out

    @staticmethod
    def backward(ctx, g):
        return ConstantPad.apply(g, tuple((-lo, -hi) for lo, hi in ctx.pads), 0), None, None


_NUMPY_PAD_MODE = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}
_PAD_NODES = {
    (mode, n): renamed(AxisMaps, f"{name}Pad{n}DBackward0")
    for mode, name in (("reflect", "Reflection"), ("replicate", "Replication"))
    for n in (1, 2, 3)
}
# torch builds a circular pad from in-place copies into slices, a chain of CopySlices nodes: ember's one
# node has the type and name of the chain's last
_PAD_NODES.update({("circular", n): renamed(AxisMaps, "CopySlices") for n in (1, 2, 3)})
_PAD_NODES["circular", 1]._node_name = "torch::autograd::CopySlices"


def pad(input, pad, mode="constant", value=None):
    if len(pad) % 2:
        raise RuntimeError(f"pad: Padding length must be divisible by 2, got pad={list(pad)}")
    if len(pad) // 2 > input.ndim:
        raise RuntimeError(
            f"pad: Padding length should be less than or equal to two times the input dimension "
            f"but got padding length {len(pad)} and input of dimension {input.ndim}"
        )
    n = len(pad) // 2
    # torch lists the last dimension's (low, high) first
    pads = tuple((int(pad[2 * (n - 1 - i)]), int(pad[2 * (n - 1 - i) + 1])) for i in range(n))
    spatial = input.shape[input.ndim - n :]
    if mode == "constant":
        new = [s + lo + hi for s, (lo, hi) in zip(spatial, pads)]
        if any(s < 0 for s in new):
            raise RuntimeError(
                f"pad: The input size {list(spatial)}, plus negative padding {list(pad)} resulted "
                f"in a negative output size, which is invalid. Check dimension of your input."
            )
        return ConstantPad.apply(input, pads, 0 if value is None else value)
    if mode not in _NUMPY_PAD_MODE:
        raise NotImplementedError(
            f"pad: unsupported padding mode '{mode}' (expected 'constant', 'reflect', 'replicate' or 'circular')"
        )
    if value is not None and value != 0:
        raise RuntimeError(f'Padding mode "{mode}" doesn\'t take in value argument')
    if not (n + 1 <= input.ndim <= n + 2) or n > 3:
        raise NotImplementedError(
            f"Padding size {len(pad)} is not supported for {input.ndim}D input tensor.\n"
            "Supported combinations for non-constant padding:\n"
            "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
            "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
            "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)"
        )
    for s, (lo, hi) in zip(spatial, pads):
        if mode == "reflect" and (lo >= s or hi >= s):
            raise RuntimeError(
                f"pad: Padding size should be less than the corresponding input dimension, but got: "
                f"padding ({lo}, {hi}) of input of size {shape_str(input.shape)}"
            )
        if mode == "circular" and (lo > s or hi > s):
            raise RuntimeError(
                f"pad: Padding value causes wrapping around more than once (padding ({lo}, {hi}) "
                f"of input of size {shape_str(input.shape)})"
            )
        if mode == "replicate" and s == 0:
            raise RuntimeError(f"pad: replicate padding needs non-empty dimensions, got {shape_str(input.shape)}")
    # a negative amount crops; then each padded axis is a one-tap map (its index from numpy's pad)
    lead = input.ndim - n
    maps = []
    for i, (s, (lo, hi)) in enumerate(zip(spatial, pads)):
        source = np.arange(max(-lo, 0), s - max(-hi, 0))
        index = np.pad(source, (max(lo, 0), max(hi, 0)), mode=_NUMPY_PAD_MODE[mode])[:, None]
        if len(index) != s or max(lo, 0) or max(hi, 0):
            maps.append((lead + i, index, None, s))
    return _PAD_NODES[mode, n].apply(input, tuple(maps))
