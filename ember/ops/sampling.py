"""Spatial transformers (part of nn.functional): affine_grid and grid_sample.

grid_sample is composed from ember ops the way ATen's CPU kernels compute it (unnormalise, clip or reflect the
coordinates, gather the taps, weight them), so the gradients of both the input and the grid (and their
double backward) come from autograd and agree with torch's formulas.
"""

import math
import warnings

import numpy as np

from .._backend import array_module
from .._tensor import Tensor
from ..autograd.function import Op
from .elementwise import where

__all__ = ["affine_grid", "grid_sample"]

_ALIGN_CORNERS_WARNING = (
    "Default grid_sample and affine_grid behavior has changed to align_corners=False since "
    "1.3.0. Please specify align_corners=True if the old behavior is desired. See the "
    "documentation of grid_sample for details."
)


def _base_grid(sizes, align_corners, dtype):
    """The normalised coordinates of every output position, (*sizes, nd + 1): x (the last dim) first, then y
    (and z), then 1."""

    def linspace(n):
        steps = np.linspace(-1, 1, n, dtype=dtype) if n > 1 else np.zeros(n, dtype)
        return steps if align_corners else steps * dtype.type((n - 1) / n)

    axes = np.meshgrid(*[linspace(n) for n in sizes], indexing="ij")
    return np.stack(list(axes)[::-1] + [np.ones(sizes, dtype)], axis=-1)


class AffineGridGenerator(Op):
    """grid[n, p] = theta[n] @ (x_p, y_p, (z_p,) 1): the base grid through each affine matrix."""

    @staticmethod
    def forward(ctx, theta, base):
        n = theta.shape[0]
        flat = base.reshape(1, -1, base.shape[-1])
        ctx.base = flat
        grid = array_module(theta).matmul(flat, theta.transpose(0, 2, 1))
        return grid.reshape((n,) + base.shape[:-1] + (theta.shape[1],))

    @staticmethod
    def backward(ctx, g):
        n, k = g.shape[0], g.shape[-1]
        return g.reshape(n, -1, k).transpose(1, 2) @ Tensor._make(ctx.base), None


def affine_grid(theta, size, align_corners=None):
    if align_corners is None:
        warnings.warn(_ALIGN_CORNERS_WARNING, stacklevel=2)
        align_corners = False
    if not theta.is_floating_point():
        raise ValueError(f"Expected theta to have floating point type, but got {theta.dtype}")
    size = [int(s) for s in size]
    if len(size) == 4:
        if theta.dim() != 3 or tuple(theta.shape[-2:]) != (2, 3):
            raise ValueError(
                f"Expected a batch of 2D affine matrices of shape Nx2x3 for size {size}. Got {list(theta.shape)}."
            )
        spatial = size[-2:]
    elif len(size) == 5:
        if theta.dim() != 3 or tuple(theta.shape[-2:]) != (3, 4):
            raise ValueError(
                f"Expected a batch of 3D affine matrices of shape Nx3x4 for size {size}. Got {list(theta.shape)}."
            )
        spatial = size[-3:]
    else:
        raise NotImplementedError(
            f"affine_grid only supports 4D and 5D sizes, for 2D and 3D affine transforms, "
            f"respectively. Got size {size}."
        )
    if min(size) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {size}")
    if theta.shape[0] != size[0]:
        raise ValueError(
            f"Expected theta's batch of {theta.shape[0]} affine matrices to match the batch size "
            f"{size[0]} in size {size}"
        )
    return AffineGridGenerator.apply(theta, _base_grid(spatial, align_corners, theta._data.dtype))


# --- grid_sample -------------------------------------------------------------------------------------------------


def _unnormalize(coord, size, align_corners):
    if align_corners:
        return ((coord + 1) / 2) * (size - 1)
    return ((coord + 1) * size - 1) / 2


def _reflect(coord, twice_low, twice_high):
    """Reflect coord into [twice_low / 2, twice_high / 2] (ATen's reflect_coordinates)."""
    if twice_low == twice_high:
        return coord * 0
    low, span = twice_low / 2, (twice_high - twice_low) / 2
    distance = (coord - low).abs()
    extra = distance.fmod(span)
    flips = np.floor(distance._data / span)
    return where(Tensor._make(flips % 2 == 0), extra + low, span - extra + low)


def _bounded(coord, size, padding_mode, align_corners):
    """ATen's compute_coordinates: clip (border) or reflect then clip (reflection); zeros leave it as is."""
    if padding_mode == "border":
        return coord.clamp(0, size - 1)
    if padding_mode == "reflection":
        reflected = _reflect(coord, 0, 2 * (size - 1)) if align_corners else _reflect(coord, -1, 2 * size - 1)
        return reflected.clamp(0, size - 1)
    return coord


def _cubic_weights(t):
    """The four cubic-convolution weights (A = -0.75) of the taps at floor - 1 ... floor + 2."""
    a = -0.75

    def near(x):
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def far(x):
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a

    return [far(t + 1), near(t), near(1 - t), far((1 - t) + 1)]


class _Taps:
    """Gathers input values at integer positions per output point (N, C, *out); out-of-range taps give 0."""

    def __init__(self, input, out_shape):
        self.n, self.c = input.shape[0], input.shape[1]
        self.sizes = tuple(input.shape[2:])
        self.flat = input.reshape(self.n, self.c, -1)
        self.out_shape = out_shape
        self.strides = [math.prod(self.sizes[d + 1 :]) for d in range(len(self.sizes))]

    def __call__(self, positions):
        """positions: integer arrays per input dim (depth, height, width order), each (N, *out)."""
        valid = np.ones(positions[0].shape, bool)
        flat = np.zeros(positions[0].shape, np.int64)
        for p, size, stride in zip(positions, self.sizes, self.strides):
            valid &= (p >= 0) & (p < size)
            flat += np.clip(p, 0, size - 1) * stride
        index = Tensor._make(np.broadcast_to(flat.reshape(self.n, 1, -1), (self.n, self.c, flat[0].size)).copy())
        values = self.flat.gather(2, index).reshape((self.n, self.c) + self.out_shape)
        mask = valid[:, None].astype(values._data.dtype)
        return values * Tensor._make(mask) if not valid.all() else values


def grid_sample(input, grid, mode="bilinear", padding_mode="zeros", align_corners=None):
    if mode not in ("bilinear", "nearest", "bicubic"):
        raise ValueError(
            f"nn.functional.grid_sample(): expected mode to be 'bilinear', 'nearest' or 'bicubic', but got: '{mode}'"
        )
    if padding_mode not in ("zeros", "border", "reflection"):
        raise ValueError(
            f"nn.functional.grid_sample(): expected padding_mode to be 'zeros', 'border', or "
            f"'reflection', but got: '{padding_mode}'"
        )
    if align_corners is None:
        warnings.warn(_ALIGN_CORNERS_WARNING, stacklevel=2)
        align_corners = False
    nd = input.dim() - 2
    if nd not in (2, 3) or grid.dim() != input.dim():
        raise RuntimeError(
            f"grid_sampler(): expected 4D or 5D input and grid with same number of dimensions, but "
            f"got input with sizes {list(input.shape)} and grid with sizes {list(grid.shape)}"
        )
    if grid.shape[0] != input.shape[0] or grid.shape[-1] != nd:
        raise RuntimeError(
            f"grid_sampler(): expected grid to have size {nd} in last dimension and the batch of "
            f"input ({input.shape[0]}), but got grid with sizes {list(grid.shape)}"
        )
    if mode == "bicubic" and nd != 2:
        raise RuntimeError("grid_sampler(): bicubic interpolation only supports 4D input")
    sizes = tuple(input.shape[2:])
    taps = _Taps(input, tuple(grid.shape[1:-1]))
    # grid's last dim is (x, y[, z]): x indexes the last input dim
    raw = [_unnormalize(grid[..., nd - 1 - d], sizes[d], align_corners) for d in range(nd)]
    if mode == "bicubic":
        base = [np.floor(c._data).astype(np.int64) for c in raw]
        weights = [_cubic_weights(c - Tensor._make(b.astype(c._data.dtype))) for c, b in zip(raw, base)]
        out = 0
        for i in range(4):  # rows (y), then columns (x), as ATen sums them
            row = 0
            for j in range(4):
                positions = [base[0] - 1 + i, base[1] - 1 + j]
                if padding_mode != "zeros":
                    positions = [
                        np.floor(
                            _bounded(Tensor._make(p.astype(grid._data.dtype)), s, padding_mode, align_corners)._data
                        ).astype(np.int64)
                        for p, s in zip(positions, sizes)
                    ]
                row = row + taps(positions) * weights[1][j].unsqueeze(1)
            out = out + row * weights[0][i].unsqueeze(1)
        return out
    coords = [_bounded(c, s, padding_mode, align_corners) for c, s in zip(raw, sizes)]
    if mode == "nearest":
        # the grid's gradient is zero, as torch's (a zero, not None: multiply by a weight of one)
        one = (coords[0] * 0 + 1).unsqueeze(1)
        return taps([np.rint(c._data).astype(np.int64) for c in coords]) * one
    low = [np.floor(c._data).astype(np.int64) for c in coords]
    # per dim, the weights of the low and the high tap, as ATen's (x_se - x, x - x_nw)
    sides = [
        (Tensor._make((f + 1).astype(c._data.dtype)) - c, c - Tensor._make(f.astype(c._data.dtype)))
        for c, f in zip(coords, low)
    ]
    out = 0
    for corner in np.ndindex(*(2,) * nd):  # nw, ne, sw, se (then the far z plane)
        weight = None
        for d in reversed(range(nd)):  # x's weight first, as ATen multiplies them
            w = sides[d][corner[d]]
            weight = w if weight is None else weight * w
        out = out + taps([lo + bit for lo, bit in zip(low, corner)]) * weight.unsqueeze(1)
    return out
