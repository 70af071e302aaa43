"""interpolate and the upsample functions; part of nn.functional.

Each spatial axis is a sparse linear map (AxisMaps) whose taps and weights follow torch's index arithmetic,
in float32 as torch computes it; mode="area" is the adaptive average pool.
"""

import math

import numpy as np

from ..autograd.function import renamed
from .pool import AxisMaps, _adaptive_avg_poolnd, _float_input

__all__ = ["interpolate", "upsample", "upsample_nearest", "upsample_bilinear"]


_INTERP_RANK = {"linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3}


def _source_scale(size, out, scale, align_corners):
    """torch's area_pixel_compute_scale in float32: the step from output to source coordinates."""
    f32 = np.float32
    if align_corners:
        return f32(size - 1) / f32(out - 1) if out > 1 else f32(0)
    return f32(1.0 / scale) if scale is not None and scale > 0 else f32(size) / f32(out)


def _nearest_map(size, out, scale, exact):
    """torch's nearest_idx / nearest_exact_idx, in float32 as torch computes them."""
    if not exact and out == 2 * size:  # torch's shortcut, whatever the scale factor
        return (np.arange(out) >> 1)[:, None], None
    f32 = np.float32
    ratio = f32(1.0 / scale) if scale is not None and scale > 0 else f32(size) / f32(out)
    dst = np.arange(out, dtype=f32) + (f32(0.5) if exact else f32(0))
    return np.minimum(np.floor(dst * ratio).astype(np.int64), size - 1)[:, None], None


def _linear_map(size, out, scale, align_corners, dtype):
    f32 = np.float32
    step = _source_scale(size, out, scale, align_corners)
    dst = np.arange(out, dtype=f32)
    src = dst * step if align_corners else np.maximum((dst + f32(0.5)) * step - f32(0.5), f32(0))
    i0 = np.minimum(np.floor(src).astype(np.int64), size - 1)
    lam1 = np.clip(src - i0.astype(f32), f32(0), f32(1))
    i1 = i0 + (i0 < size - 1)
    return np.stack([i0, i1], 1), np.stack([f32(1) - lam1, lam1], 1).astype(dtype)


def _cubic_map(size, out, scale, align_corners, dtype):
    f32 = np.float32
    a = f32(-0.75)
    step = _source_scale(size, out, scale, align_corners)
    dst = np.arange(out, dtype=f32)
    src = dst * step if align_corners else (dst + f32(0.5)) * step - f32(0.5)
    floor = np.floor(src)
    t = src - floor
    base = floor.astype(np.int64)

    def near(x):  # |x| <= 1
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def far(x):  # 1 < |x| < 2
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a

    weight = np.stack([far(t + 1), near(t), near(1 - t), far(2 - t)], 1).astype(dtype)
    index = np.clip(base[:, None] + np.arange(-1, 3), 0, size - 1)
    return index, weight


def interpolate(
    input,
    size=None,
    scale_factor=None,
    mode="nearest",
    align_corners=None,
    recompute_scale_factor=None,
    antialias=False,
):
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError(
                "align_corners option can only be set with the interpolating modes: "
                "linear | bilinear | bicubic | trilinear"
            )
    elif mode in _INTERP_RANK:
        align_corners = bool(align_corners)
    else:
        raise NotImplementedError(
            f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.ndim}D) for "
            f"the modes: nearest | linear | bilinear | bicubic | trilinear | area | "
            f"nearest-exact (got {mode})"
        )
    if antialias:
        raise NotImplementedError("interpolate: antialias=True is not supported by ember")
    nd = input.ndim - 2
    if nd < 1 or nd > 3:
        raise NotImplementedError(
            f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.ndim}D) for "
            f"the modes: nearest | linear | bilinear | bicubic | trilinear | area | "
            f"nearest-exact (got {mode})"
        )
    if mode in _INTERP_RANK and _INTERP_RANK[mode] != nd:
        raise NotImplementedError(f"Got {input.ndim}D input, but {mode} mode needs {_INTERP_RANK[mode] + 2}D input")
    spatial = tuple(input.shape[2:])
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        sizes = list(size) if isinstance(size, (list, tuple)) else [size] * nd
        if len(sizes) != nd:
            raise ValueError(
                f"Input and output must have the same number of spatial dimensions, but got input "
                f"with spatial dimensions of {list(spatial)} and output size of {sizes}. Please provide "
                f"input tensor in (N, C, d1, d2, ...,dK) format and output size in (o1, o2, ...,oK) "
                f"format."
            )
        out, scales = [int(s) for s in sizes], [None] * nd
        if recompute_scale_factor:
            raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
    elif scale_factor is not None:
        scales = list(scale_factor) if isinstance(scale_factor, (list, tuple)) else [scale_factor] * nd
        if len(scales) != nd:
            raise ValueError(
                f"Input and scale_factor must have the same number of spatial dimensions, but got "
                f"input with spatial dimensions of {list(spatial)} and scale_factor of shape {scales}. "
                f"Please provide input tensor in (N, C, d1, d2, ...,dK) format and scale_factor in "
                f"(s1, s2, ...,sK) format."
            )
        out = [math.floor(float(s * f)) for s, f in zip(spatial, scales)]
        if recompute_scale_factor or mode == "area":
            scales = [None] * nd
    else:
        raise ValueError("either size or scale_factor should be defined")
    if any(o <= 0 for o in out):
        raise RuntimeError(
            f"interpolate: Input and output sizes should be greater than 0, but got input "
            f"{list(spatial)} and output {out}"
        )
    if mode == "area":
        return _adaptive_avg_poolnd(nd, input, tuple(out))
    _float_input(f"upsample_{mode}", input)
    dtype = input._data.dtype
    maps = []
    # the innermost dimension first, as torch's separable kernels do
    for axis in reversed(range(nd)):
        s, o, sc = spatial[axis], out[axis], scales[axis]
        if mode in ("nearest", "nearest-exact"):
            if s == o and mode == "nearest":  # torch's identity shortcut, whatever the scale factor
                continue
            index, weight = _nearest_map(s, o, sc, mode == "nearest-exact")
        elif mode == "bicubic":
            index, weight = _cubic_map(s, o, sc, align_corners, dtype)
        else:
            index, weight = _linear_map(s, o, sc, align_corners, dtype)
        maps.append((axis + 2, index, weight, s))
    return _UPSAMPLE_NODES[mode, nd].apply(input, tuple(maps))


_UPSAMPLE_NODES = {
    (mode, nd): renamed(AxisMaps, f"Upsample{name}{nd}DBackward0")
    for mode, name, dims in (
        ("nearest", "Nearest", (1, 2, 3)),
        ("nearest-exact", "NearestExact", (1, 2, 3)),
        ("linear", "Linear", (1,)),
        ("bilinear", "Bilinear", (2,)),
        ("bicubic", "Bicubic", (2,)),
        ("trilinear", "Trilinear", (3,)),
    )
    for nd in dims
}


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)
