"""Pooling: max/avg/lp/adaptive/fractional pools and max_unpool; part of nn.functional.

Windows are strided views (no copies) and every kernel loops over kernel offsets, never pixels.
Three pairs of mutually adjoint ops carry all the gradients (each one's backward is the other):
  PlaneGather / PlaneScatter   by flat index within each (N, C) plane: max pools, max_unpool
  WindowMean / WindowSpread    sliding-window sum over a divisor: avg pools
  AxisMaps / AxisMapsAdjoint   sparse linear maps along axes: adaptive avg (and padding.py, upsampling.py)
Each use records torch's node for it (MaxPool3DWithIndicesBackward0, UpsampleBilinear2DBackward0 ...), and
the 1-d forms run the 2-d kernel on input.unsqueeze(-2), as torch's do.
"""

import itertools
import math
import numbers

import numpy as np

from .. import _kernels
from .._backend import add_window_taps, array_module, constant_like, window_taps_sum
from .._dtype import scalar_type_name
from ..autograd.function import Op, renamed
from .._dynamo.seams import replayed_as_one_call
from ._spatial import batched, int_tuple, shape_str
from .conv import Geometry, _offset_slices, _three, _zero_pad
from .reduce import accumulation_dtype
from .._tensor import Tensor

__all__ = [
    "max_pool1d",
    "max_pool2d",
    "max_pool3d",
    "max_pool1d_with_indices",
    "max_pool2d_with_indices",
    "max_pool3d_with_indices",
    "avg_pool1d",
    "avg_pool2d",
    "avg_pool3d",
    "lp_pool1d",
    "lp_pool2d",
    "lp_pool3d",
    "adaptive_max_pool1d",
    "adaptive_max_pool2d",
    "adaptive_max_pool3d",
    "adaptive_max_pool1d_with_indices",
    "adaptive_max_pool2d_with_indices",
    "adaptive_max_pool3d_with_indices",
    "adaptive_avg_pool1d",
    "adaptive_avg_pool2d",
    "adaptive_avg_pool3d",
    "max_unpool1d",
    "max_unpool2d",
    "max_unpool3d",
    "fractional_max_pool2d",
    "fractional_max_pool3d",
    "fractional_max_pool2d_with_indices",
    "fractional_max_pool3d_with_indices",
]

_EVERYTHING = (slice(None), slice(None))


# torch's message for an argument of the wrong length (see int_tuple)
_ARGUMENT_LENGTH = "{op}: {name} must either be a single int, or a tuple of {n} ints, got {value}"


def _ntuple(value, n, name, op):
    return int_tuple(value, n, name, op, _ARGUMENT_LENGTH)


def _batched(input, nd, name):
    return batched(input, nd, f"{name}: Expected {nd + 1}D or {nd + 2}D (batch mode) tensor for input")


def _unbatch(unbatched, *tensors):
    out = tuple(t.squeeze(0) if unbatched else t for t in tensors)
    return out if len(out) > 1 else out[0]


def _check_rank(input, nd, name):
    if input.ndim not in (nd + 1, nd + 2):
        _batched(input, nd, name)


def _as_2d(value, fill, name, arg):
    """A 1-d pool's argument as the 2-d kernel's: (fill, value)."""
    return None if value is None else (fill,) + _ntuple(value, 1, arg, name)


def _float_input(name, input):
    if not input.is_floating_point():
        raise RuntimeError(
            f"\"{name}\" not implemented for '{scalar_type_name(input.dtype)}' "
            f"(pooling needs a floating point input; convert it with .float())"
        )


# --- flat indices within each plane: max pools and max_unpool --------------------------------------
def _plane_strides(spatial):
    return tuple(math.prod(spatial[i + 1 :]) for i in range(len(spatial)))


def _grid(per_dim):
    """Broadcast per-dimension 1-D arrays to an nd grid (no copy)."""
    nd = len(per_dim)
    return [a.reshape((-1,) + (1,) * (nd - 1 - i)) for i, a in enumerate(per_dim)]


def _flat_index(positions, spatial):
    return sum(p * s for p, s in zip(_grid(positions), _plane_strides(spatial)))


class PlaneGather(Op):
    """y[n, c, *o] = x[n, c].flat[index[n, c, *o]]."""

    _node_name = "MaxPool2DWithIndicesBackward0"

    @staticmethod
    def forward(ctx, x, index, values=None):
        ctx.index, ctx.spatial = index, x.shape[2:]
        if values is not None:  # the kernel that found the indices already has the values
            return values
        xp = array_module(x)
        n, c = x.shape[:2]
        flat = xp.take_along_axis(x.reshape(n, c, -1), index.reshape(n, c, -1), axis=2)
        return flat.reshape(index.shape)

    @staticmethod
    def backward(ctx, g):
        return PlaneScatter.apply(g, ctx.index, ctx.spatial, True), None, None


class PlaneScatter(Op):
    """out[n, c].flat[index[n, c, *o]] (+)= g[n, c, *o] into zeros of the given spatial shape."""

    _node_name = "MaxUnpool2DBackward0"

    @staticmethod
    def forward(ctx, g, index, spatial, accumulate):
        xp = array_module(g)
        ctx.index = index
        n, c = g.shape[:2]
        kernels = _kernels.for_arrays(g) if accumulate else None
        if kernels is not None:
            out = np.empty((n, c, math.prod(spatial)), g.dtype)
            kernels.scatter_add(
                np.ascontiguousarray(g).reshape(n, c, -1), np.ascontiguousarray(index).reshape(n, c, -1), out
            )
            return out.reshape((n, c) + tuple(spatial))
        out = xp.zeros((n, c, math.prod(spatial)), g.dtype)
        if accumulate:
            plane = (xp.arange(n * c).reshape(n, c, 1) * out.shape[2] + index.reshape(n, c, -1)).reshape(-1)
            xp.add.at(out.reshape(-1), plane, g.reshape(-1))
        else:
            xp.put_along_axis(out, index.reshape(n, c, -1), g.reshape(n, c, -1), axis=2)
        return out.reshape((n, c) + tuple(spatial))

    @staticmethod
    def backward(ctx, gg):
        return PlaneGather.apply(gg, ctx.index), None, None, None


def _running_argmax(first_values, first_index, taps):
    """First maximum over taps of (values, flat index), NaN winning as in torch's CPU kernels."""
    xp = array_module(first_values)
    best = first_values.copy()
    index = xp.broadcast_to(first_index, best.shape).copy()
    for values, idx in taps:
        better = values > best
        better |= xp.isnan(values)
        xp.copyto(best, values, where=better)
        xp.copyto(index, idx, where=better)
    return best, index


def _pool_out_size(size, k, pad, stride, dilation, ceil_mode):
    """torch's pooling_output_shape."""
    numerator = size + 2 * pad - dilation * (k - 1) - 1 + (stride - 1 if ceil_mode else 0)
    out = numerator // stride + 1
    if ceil_mode and (out - 1) * stride >= size + pad:
        out -= 1
    return out


def _pool_setup(name, nd, input, kernel_size, stride, padding, dilation, ceil_mode):
    kernel = _ntuple(kernel_size, nd, "kernel_size", name)
    stride = (
        kernel
        if stride is None or (not isinstance(stride, numbers.Integral) and len(stride) == 0)
        else _ntuple(stride, nd, "stride", name)
    )
    padding = _ntuple(padding, nd, "padding", name)
    dilation = _ntuple(dilation, nd, "dilation", name)
    if any(k <= 0 for k in kernel) or any(s <= 0 for s in stride) or any(d <= 0 for d in dilation):
        raise RuntimeError(
            f"{name}: kernel_size, stride and dilation must be greater than zero, but got "
            f"kernel_size={kernel}, stride={stride}, dilation={dilation}"
        )
    if any(p > k // 2 for p, k in zip(padding, kernel)):
        raise RuntimeError(
            f"{name}: pad should be at most half of effective kernel size, but got "
            f"pad={padding}, kernel_size={kernel} and dilation={dilation}"
        )
    spatial = tuple(input.shape[2:])
    out = tuple(
        _pool_out_size(s, k, p, st, d, ceil_mode) for s, k, p, st, d in zip(spatial, kernel, padding, stride, dilation)
    )
    if any(o < 1 for o in out):
        raise RuntimeError(
            f"{name}: Given input size: ({'x'.join(map(str, input.shape[1:]))}). Calculated output "
            f"size: ({'x'.join(map(str, (input.shape[1],) + out))}). Output size is too small"
        )
    # pad the high side far enough for ceil_mode's last, partly outside window
    pads = tuple(
        (p, max(0, (o - 1) * st + d * (k - 1) + 1 - s - p))
        for s, k, p, st, d, o in zip(spatial, kernel, padding, stride, dilation, out)
    )
    return Geometry(kernel, stride, dilation, pads, 1), out


def _padded(x, geom, fill):
    if not any(lo or hi for lo, hi in geom.pads):
        return x
    xp = array_module(x)
    shape = x.shape[:2] + tuple(s + lo + hi for s, (lo, hi) in zip(x.shape[2:], geom.pads))
    out = xp.full(shape, fill, x.dtype)
    out[_EVERYTHING + tuple(slice(lo, lo + s) for s, (lo, _) in zip(x.shape[2:], geom.pads))] = x
    return out


def _max_pool_tiles(x, kernel, out):
    """max pool whose windows tile the input (stride == kernel, no padding or dilation): the windows
    are a reshape of x, copied once so that each tap is one contiguous row; then a running argmax
    over the rows by bitwise selects instead of masked copies (those branch per element). First maximum wins,
    a NaN wins as in _running_argmax; values are the selected elements bit for bit (signed zeros, NaN payloads)."""
    xp = array_module(x)
    n, c = x.shape[:2]
    nd, taps_n = len(kernel), math.prod(kernel)
    tiled = x[_EVERYTHING + tuple(slice(0, o * k) for o, k in zip(out, kernel))]
    tiled = tiled.reshape((n, c) + tuple(itertools.chain.from_iterable(zip(out, kernel))))
    order = tuple(3 + 2 * i for i in range(nd)) + (0, 1) + tuple(2 + 2 * i for i in range(nd))  # *K, N, C, *Out
    taps = xp.ascontiguousarray(tiled.transpose(order)).reshape(taps_n, -1)
    bits = np.dtype(f"i{taps.itemsize}")
    best = taps[0].copy()
    best_bits, taps_bits = best.view(bits), taps.view(bits)
    tap = xp.zeros(best.shape, np.uint8 if taps_n <= 256 else np.int64)
    for t in range(1, taps_n):
        candidate = taps[t]
        better = candidate > best
        better |= xp.isnan(candidate)
        select = better.astype(bits)
        xp.negative(select, out=select)  # all ones where better
        change = taps_bits[t] ^ best_bits
        change &= select
        best_bits ^= change
        tap *= ~better
        tap += better * tap.dtype.type(t)
    spatial = x.shape[2:]
    tap_offset = _flat_index([xp.arange(k) for k in kernel], spatial).reshape(-1)
    window_start = _flat_index([xp.arange(o) * k for o, k in zip(out, kernel)], spatial)
    index = window_start + tap_offset.take(tap).reshape((n, c) + tuple(out))
    return best.reshape(index.shape), index


@replayed_as_one_call  # the windows' maxima and indices are computed before the op: a compiled replay does it again
def _max_pool_kernel(x, geom, out):
    if geom.kernel == geom.stride and not any(lo or hi for lo, hi in geom.pads) and set(geom.dilation) == {1}:
        return _max_pool_tiles(x, geom.kernel, out)
    kernels = _kernels.for_arrays(x)
    if kernels is not None:  # one pass over each window instead of a masked copy per tap
        values = np.empty(x.shape[:2] + tuple(out), x.dtype)
        index = np.empty(values.shape, np.int64)
        shape3 = x.shape[:2] + _three(out, 1)
        planes = np.ascontiguousarray(x).reshape(x.shape[:2] + _three(x.shape[2:], 1))
        kernels.max_pool(
            planes,
            values.reshape(shape3),
            index.reshape(shape3),
            _three(geom.kernel, 1),
            _three(geom.stride, 1),
            _three(geom.dilation, 1),
            _three([lo for lo, _ in geom.pads], 0),
        )
        return values, index
    xp = array_module(x)
    spatial = x.shape[2:]
    padded = _padded(x, geom, -np.inf)
    starts = [xp.arange(o) * s - lo for o, s, (lo, _) in zip(out, geom.stride, geom.pads)]
    # start from each window's first element inside the input, as torch does (so all -inf picks it)
    first = [st + xp.maximum(0, -st + d - 1) // d * d for st, d in zip(starts, geom.dilation)]
    first_values = x[_EVERYTHING + tuple(xp.ix_(*first))]

    def taps():
        for k in itertools.product(*(range(k) for k in geom.kernel)):
            positions = [st + ki * d for st, ki, d in zip(starts, k, geom.dilation)]
            yield padded[_EVERYTHING + _offset_slices(k, geom, out)], _flat_index(positions, spatial)

    return _running_argmax(first_values, _flat_index(first, spatial), taps())


def _max_poolnd(nd, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, name=None):
    name = name or f"max_pool{nd}d"
    if nd == 1:
        _check_rank(input, 1, name)
        out = _max_poolnd(
            2,
            input.unsqueeze(-2),
            _as_2d(kernel_size, 1, name, "kernel_size"),
            _as_2d(stride, 1, name, "stride"),
            _as_2d(padding, 0, name, "padding"),
            _as_2d(dilation, 1, name, "dilation"),
            ceil_mode,
            return_indices,
            name,
        )
        return tuple(t.squeeze(-2) for t in out) if return_indices else out.squeeze(-2)
    input, unbatched = _batched(input, nd, name)
    _float_input(name, input)
    geom, out = _pool_setup(name, nd, input, kernel_size, stride, padding, dilation, ceil_mode)
    values, index = _max_pool_kernel(input._data, geom, out)
    y = _MAX_POOL[nd].apply(input, index, values)
    if not return_indices:
        return _unbatch(unbatched, y)
    return _unbatch(unbatched, y, Tensor._make(index))


_MAX_POOL = {nd: renamed(PlaneGather, f"MaxPool{nd}DWithIndicesBackward0") for nd in (2, 3)}


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    return _max_poolnd(1, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    return _max_poolnd(2, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    return _max_poolnd(3, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


def max_pool1d_with_indices(
    input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False
):
    return _max_poolnd(1, input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool2d_with_indices(
    input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False
):
    return _max_poolnd(2, input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool3d_with_indices(
    input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False
):
    return _max_poolnd(3, input, kernel_size, stride, padding, dilation, ceil_mode, True)


# --- average pools ----------------------------------------------------------------------------------
class WindowMean(Op):
    """y = (sum of each window) / divisor, with divisor an (*Out) array."""

    _node_name = "AvgPool2DBackward0"

    @staticmethod
    def forward(ctx, x, geom, out, divisor):
        ctx.geom, ctx.out, ctx.divisor, ctx.spatial = geom, out, divisor, x.shape[2:]
        # float16/bfloat16 windows sum in float32, as torch's
        total = window_taps_sum(
            _zero_pad(x, geom.pads), 2, geom.kernel, geom.dilation, geom.stride, out, accumulation_dtype(x.dtype)
        )
        total /= constant_like(divisor, x)
        return total.astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        return WindowSpread.apply(g, ctx.geom, ctx.spatial, ctx.divisor), None, None, None


class WindowSpread(Op):
    """Adjoint of WindowMean: every window gets g / divisor added to each of its elements."""

    @staticmethod
    def forward(ctx, g, geom, spatial, divisor):
        ctx.geom, ctx.divisor, ctx.out = geom, divisor, g.shape[2:]
        xp = array_module(g)
        share = g / constant_like(divisor, g)
        padded = xp.zeros(g.shape[:2] + tuple(s + lo + hi for s, (lo, hi) in zip(spatial, geom.pads)), g.dtype)
        add_window_taps(padded, share, 2, geom.kernel, geom.dilation, geom.stride, ctx.out, per_tap=False)
        return xp.ascontiguousarray(
            padded[_EVERYTHING + tuple(slice(lo, lo + s) for s, (lo, _) in zip(spatial, geom.pads))]
        )

    @staticmethod
    def backward(ctx, gg):
        return WindowMean.apply(gg, ctx.geom, ctx.out, ctx.divisor), None, None, None


def _avg_divisor(spatial, geom, out, padding, count_include_pad, divisor_override, dtype):
    """torch's per-window divisor: the window clipped to the padded (or, without count_include_pad, real) input."""
    if divisor_override:
        return np.asarray(divisor_override, dtype)
    sizes = []
    for s, k, st, p, o in zip(spatial, geom.kernel, geom.stride, padding, out):
        start = np.arange(o) * st - p
        end = np.minimum(start + k, s + p)
        if count_include_pad:
            sizes.append(end - start)
        else:
            sizes.append(np.minimum(end, s) - np.maximum(start, 0))
    divisor = 1
    for a in _grid(sizes):
        divisor = divisor * a
    return np.asarray(divisor, dtype)


def _avg_poolnd(
    nd, input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override, name=None, node=None
):
    name = name or f"avg_pool{nd}d"
    if nd == 1:
        _check_rank(input, 1, name)
        return _avg_poolnd(
            2,
            input.unsqueeze(-2),
            _as_2d(kernel_size, 1, name, "kernel_size"),
            _as_2d(stride, 1, name, "stride"),
            _as_2d(padding, 0, name, "padding"),
            ceil_mode,
            count_include_pad,
            divisor_override,
            name,
            node,
        ).squeeze(-2)
    input, unbatched = _batched(input, nd, name)
    _float_input(name, input)
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError(f"{name}: divisor must be not zero")
    geom, out = _pool_setup(name, nd, input, kernel_size, stride, padding, 1, ceil_mode)
    pad = _ntuple(padding, nd, "padding", name)
    divisor = _avg_divisor(input.shape[2:], geom, out, pad, count_include_pad, divisor_override, input._data.dtype)
    y = (node or _AVG_POOL[nd]).apply(input, geom, out, divisor)
    return _unbatch(unbatched, y)


_AVG_POOL = {nd: renamed(WindowMean, f"AvgPool{nd}DBackward0") for nd in (2, 3)}


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    return _avg_poolnd(1, input, kernel_size, stride, padding, ceil_mode, count_include_pad, None)


def avg_pool2d(
    input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True, divisor_override=None
):
    return _avg_poolnd(2, input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override)


def avg_pool3d(
    input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True, divisor_override=None
):
    return _avg_poolnd(3, input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override)


def _lp_poolnd(nd, input, norm_type, kernel_size, stride, ceil_mode):
    # composed exactly as torch.nn.functional.lp_pool*d, so the numbers agree
    kernel = _ntuple(kernel_size, nd, "kernel_size", f"lp_pool{nd}d")
    out = _avg_poolnd(nd, input.pow(norm_type), kernel_size, stride, 0, ceil_mode, True, None)
    return (out.sign() * out.abs().relu()).mul(math.prod(kernel)).pow(1.0 / norm_type)


def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    return _lp_poolnd(1, input, norm_type, kernel_size, stride, ceil_mode)


def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    return _lp_poolnd(2, input, norm_type, kernel_size, stride, ceil_mode)


def lp_pool3d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    return _lp_poolnd(3, input, norm_type, kernel_size, stride, ceil_mode)


# --- adaptive pools ---------------------------------------------------------------------------------
def _adaptive_windows(size, out):
    """torch's adaptive windows: [floor(i*size/out), ceil((i+1)*size/out))."""
    i = np.arange(out)
    return (i * size) // out, -(-((i + 1) * size) // out)


def _adaptive_setup(name, nd, input, output_size):
    input, unbatched = _batched(input, nd, name)
    out = output_size if isinstance(output_size, (tuple, list)) else (output_size,) * nd
    if len(out) != nd:
        raise RuntimeError(f"{name}: output_size must be {nd} ints, got {output_size}")
    out = tuple(s if o is None else int(o) for s, o in zip(input.shape[2:], out))
    if any(o < 0 for o in out) or any(s == 0 for s in input.shape[2:]):
        raise RuntimeError(
            f"{name}: elements of output_size must be greater than or equal to 0 and the input "
            f"must be non-empty, but got output_size={out}, input of size {shape_str(input.shape)}"
        )
    return input, unbatched, out


def _adaptive_max_poolnd(nd, input, output_size, return_indices, name=None):
    name = name or f"adaptive_max_pool{nd}d"
    if nd == 1:
        _check_rank(input, 1, name)
        out = _adaptive_max_poolnd(
            2, input.unsqueeze(-2), _as_2d(output_size, 1, name, "output_size"), return_indices, name
        )
        return tuple(t.squeeze(-2) for t in out) if return_indices else out.squeeze(-2)
    input, unbatched, out = _adaptive_setup(name, nd, input, output_size)
    _float_input(name, input)
    x = input._data
    xp = array_module(x)
    spatial = x.shape[2:]
    windows = [_adaptive_windows(s, o) for s, o in zip(spatial, out)]
    longest = [int((end - start).max()) for start, end in windows]

    def taps():
        for k in itertools.product(*(range(k) for k in longest)):
            positions = [xp.asarray(np.minimum(start + ki, end - 1)) for (start, end), ki in zip(windows, k)]
            yield x[_EVERYTHING + tuple(xp.ix_(*positions))], _flat_index(positions, spatial)

    starts = [xp.asarray(start) for start, _ in windows]
    values, index = _running_argmax(x[_EVERYTHING + tuple(xp.ix_(*starts))], _flat_index(starts, spatial), taps())
    y = _ADAPTIVE_MAX_POOL[nd].apply(input, index, values)
    if not return_indices:
        return _unbatch(unbatched, y)
    return _unbatch(unbatched, y, Tensor._make(index))


_ADAPTIVE_MAX_POOL = {nd: renamed(PlaneGather, f"AdaptiveMaxPool{nd}DBackward0") for nd in (2, 3)}


def adaptive_max_pool1d(input, output_size, return_indices=False):
    return _adaptive_max_poolnd(1, input, output_size, return_indices)


def adaptive_max_pool2d(input, output_size, return_indices=False):
    return _adaptive_max_poolnd(2, input, output_size, return_indices)


def adaptive_max_pool3d(input, output_size, return_indices=False):
    return _adaptive_max_poolnd(3, input, output_size, return_indices)


def adaptive_max_pool1d_with_indices(input, output_size, return_indices=False):
    return _adaptive_max_poolnd(1, input, output_size, True)


def adaptive_max_pool2d_with_indices(input, output_size, return_indices=False):
    return _adaptive_max_poolnd(2, input, output_size, True)


def adaptive_max_pool3d_with_indices(input, output_size, return_indices=False):
    return _adaptive_max_poolnd(3, input, output_size, True)


def _adaptive_avg_poolnd(nd, input, output_size, name=None):
    name = name or f"adaptive_avg_pool{nd}d"
    if nd == 1:
        _check_rank(input, 1, name)
        return _adaptive_avg_poolnd(2, input.unsqueeze(-2), _as_2d(output_size, 1, name, "output_size"), name).squeeze(
            -2
        )
    input, unbatched, out = _adaptive_setup(name, nd, input, output_size)
    _float_input(name, input)
    spatial = tuple(input.shape[2:])
    if all(o == 1 for o in out):  # torch's shortcut: the mean over the spatial dims
        return _unbatch(unbatched, input.mean(tuple(range(2, 2 + nd)), keepdim=True))
    node = _ADAPTIVE_AVG_POOL[nd]
    if all(o and s % o == 0 for s, o in zip(spatial, out)):
        # equal windows: a plain average pool sums each window once, then divides, as torch does
        kernel = tuple(s // o for s, o in zip(spatial, out))
        y = _avg_poolnd(nd, input, kernel, kernel, 0, False, True, None, name, renamed(WindowMean, node.__name__))
        return _unbatch(unbatched, y)
    maps = []
    for axis in reversed(range(nd)):
        start, end = _adaptive_windows(spatial[axis], out[axis])
        taps = np.arange(int((end - start).max()))
        index = np.minimum(start[:, None] + taps, end[:, None] - 1)
        weight = np.where(start[:, None] + taps < end[:, None], 1.0 / (end - start)[:, None], 0.0)
        maps.append((axis + 2, index, weight.astype(input._data.dtype), spatial[axis]))
    return _unbatch(unbatched, node.apply(input, tuple(maps)))


def adaptive_avg_pool1d(input, output_size):
    return _adaptive_avg_poolnd(1, input, output_size)


def adaptive_avg_pool2d(input, output_size):
    return _adaptive_avg_poolnd(2, input, output_size)


def adaptive_avg_pool3d(input, output_size):
    return _adaptive_avg_poolnd(3, input, output_size)


# --- max_unpool -------------------------------------------------------------------------------------
def _max_unpoolnd(nd, input, indices, kernel_size, stride, padding, output_size):
    name = f"max_unpool{nd}d"
    if nd == 1:  # as torch: max_unpool2d of input.unsqueeze(-1)
        _check_rank(input, 1, name)
        kernel = _ntuple(kernel_size, 1, "kernel_size", name)
        stride = kernel if stride is None else _ntuple(stride, 1, "stride", name)
        padding = _ntuple(padding, 1, "padding", name)
        default = ((input.shape[-1] - 1) * stride[0] - 2 * padding[0] + kernel[0],)
        size = default if output_size is None else tuple(int(s) for s in output_size)[-1:]
        if output_size is not None and not default[0] - stride[0] < size[0] < default[0] + stride[0]:
            raise ValueError(
                f"{name}: invalid output_size {list(output_size)} (the default for this input is "
                f"{list(default)}; each size must be within stride of it)"
            )
        return _max_unpoolnd(
            2, input.unsqueeze(-1), indices.unsqueeze(-1), kernel + (1,), stride + (1,), padding + (0,), size + (1,)
        ).squeeze(-1)
    kernel = _ntuple(kernel_size, nd, "kernel_size", name)
    stride = kernel if stride is None else _ntuple(stride, nd, "stride", name)
    padding = _ntuple(padding, nd, "padding", name)
    input, unbatched = _batched(input, nd, name)
    if indices.ndim == nd + 1:
        indices = indices.unsqueeze(0)
    if tuple(indices.shape) != tuple(input.shape):
        raise RuntimeError(
            f"{name}: Expected shape of indices to be same as that of the input tensor "
            f"({shape_str(input.shape)}) but got indices tensor with shape: "
            f"{shape_str(indices.shape)}"
        )
    default = tuple((s - 1) * st - 2 * p + k for s, st, p, k in zip(input.shape[2:], stride, padding, kernel))
    if output_size is None:
        out = default
    else:
        out = tuple(int(s) for s in output_size)[-nd:]
        if len(out) != nd or any(not d - st < o < d + st for o, d, st in zip(out, default, stride)):
            raise ValueError(
                f"{name}: invalid output_size {list(output_size)} (the default for this input is "
                f"{list(default)}; each size must be within stride of it)"
            )
    index = indices._data
    limit = math.prod(out)
    if index.size and (int(index.max()) >= limit or int(index.min()) < 0):
        bad = int(index.max()) if int(index.max()) >= limit else int(index.min())
        raise RuntimeError(
            f"{name}: Found an invalid max index: {bad} (output volumes are of size {'x'.join(map(str, out))})"
        )
    y = _MAX_UNPOOL[nd].apply(input, index, out, False)
    return _unbatch(unbatched, y)


_MAX_UNPOOL = {nd: renamed(PlaneScatter, f"MaxUnpool{nd}DBackward0") for nd in (2, 3)}


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    return _max_unpoolnd(1, input, indices, kernel_size, stride, padding, output_size)


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    return _max_unpoolnd(2, input, indices, kernel_size, stride, padding, output_size)


def max_unpool3d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    return _max_unpoolnd(3, input, indices, kernel_size, stride, padding, output_size)


# --- sparse linear maps along axes: resampling, adaptive averages, pad modes ------------------------
def _along(w, axis, ndim):
    return w.reshape((-1,) + (1,) * (ndim - axis - 1))


def _axis_map(x, axis, index, weight):
    """y[..., o, ...] = sum_t weight[o, t] * x[..., index[o, t], ...] (weight None: one tap of weight 1)."""
    xp = array_module(x)
    index = constant_like(index, x)
    if weight is None:
        return xp.take(x, index[:, 0], axis=axis)
    weight = constant_like(weight, x)
    y = None
    for t in range(index.shape[1]):
        term = xp.take(x, index[:, t], axis=axis)
        term *= _along(weight[:, t], axis, x.ndim)
        y = term if y is None else y.__iadd__(term)
    return y


def _axis_map_adjoint(g, axis, index, weight, size):
    """Transpose of _axis_map: scatter-add g back onto `size` positions along the axis."""
    xp = array_module(g)
    rows = xp.moveaxis(g, axis, 0)
    flat_index = index.reshape(-1)  # index and weight are host constants: the plan is made there
    order = np.argsort(flat_index, kind="stable")
    sorted_index = flat_index[order]
    picked = rows[constant_like(order // index.shape[1], g)]
    if weight is not None:
        picked = picked * _along(constant_like(weight.reshape(-1)[order], g), 0, picked.ndim)
    targets, starts = np.unique(sorted_index, return_index=True)
    out = xp.zeros((size,) + rows.shape[1:], g.dtype)
    out[constant_like(targets, g)] = xp.add.reduceat(picked, constant_like(starts, g), axis=0)
    return xp.ascontiguousarray(xp.moveaxis(out, 0, axis))


class AxisMaps(Op):
    """`maps` ((axis, index, weight, size) ...) applied in turn: one node for a separable resampling."""

    @staticmethod
    def forward(ctx, x, maps):
        ctx.maps = maps
        for axis, index, weight, _ in maps:
            x = _axis_map(x, axis, index, weight)
        return x if maps else x.copy()

    @staticmethod
    def backward(ctx, g):
        return AxisMapsAdjoint.apply(g, ctx.maps), None


class AxisMapsAdjoint(Op):
    @staticmethod
    def forward(ctx, g, maps):
        ctx.maps = maps
        for axis, index, weight, size in reversed(maps):
            g = _axis_map_adjoint(g, axis, index, weight, size)
        return g if maps else g.copy()

    @staticmethod
    def backward(ctx, gg):
        return AxisMaps.apply(gg, ctx.maps), None


_ADAPTIVE_AVG_POOL = {nd: renamed(AxisMaps, f"AdaptiveAvgPool{nd}DBackward0") for nd in (2, 3)}


# --- fractional max pools ------------------------------------------------------------------------------------------
def _fractional_starts(sample, size, out, pool, dtype):
    """ATen's generate_intervals, in the input's float type: pseudo-random window starts, the last at the end."""
    starts = np.empty(out, np.int64)
    if out > 1:
        alpha = dtype.type(size - pool) / dtype.type(out - 1)
        i = np.arange(out - 1, dtype=dtype)
        starts[:-1] = ((i + sample) * alpha).astype(np.int64) - np.int64(sample * alpha)
    if out > 0:
        starts[-1] = size - pool
    return starts


def _fractional_max_poolnd(nd, input, kernel_size, output_size, output_ratio, return_indices, _random_samples):
    name = f"fractional_max_pool{nd}d"
    if output_size is None and output_ratio is None:
        raise ValueError(f"{name} requires specifying either an output_size or an output_ratio")
    input, unbatched = _batched(input, nd, name)
    _float_input(name, input)
    kernel = _ntuple(kernel_size, nd, "kernel_size", name)
    spatial = tuple(input.shape[2:])
    if output_size is None:
        ratio = _ntuple_float(output_ratio, nd)
        out = tuple(int(s * r) for s, r in zip(spatial, ratio))
    else:
        out = _ntuple(output_size, nd, "output_size", name)
    for s, o, k in zip(spatial, out, kernel):
        if o + k - 1 > s:
            raise RuntimeError(f"{name}(): pool size {k} too large relative to input size {s} for output size {o}")
    x = input._data
    n, c = x.shape[:2]
    samples = _random_samples._data if _random_samples is not None else _rand_like_samples(x, n, c, nd)
    # which sample drives which dim, as ATen reads them: (width, height) in 2-d, (depth, height, width) in 3-d
    order = (1, 0) if nd == 2 else (0, 1, 2)
    starts = [
        [
            [_fractional_starts(samples[b, ch, order[d]], spatial[d], out[d], kernel[d], x.dtype) for ch in range(c)]
            for b in range(n)
        ]
        for d in range(nd)
    ]
    grids = [np.asarray(s) for s in starts]  # (N, C, out_d) per dim
    shape = (n, c) + out
    xp = array_module(x)
    flat = x.reshape(n, c, -1)

    def positions(offsets):
        pos = []
        for d, (g, k) in enumerate(zip(grids, offsets)):
            view = [n, c] + [1] * nd
            view[2 + d] = out[d]
            pos.append(np.broadcast_to((g + k).reshape(view), shape))
        return pos

    def tap(offsets):
        index = _flat_index_nd(positions(offsets), spatial)
        return xp.take_along_axis(flat, xp.asarray(index.reshape(n, c, -1)), axis=2).reshape(shape), index

    first_values, first_index = tap((0,) * nd)
    values, index = _running_argmax(
        first_values, first_index, (tap(k) for k in itertools.product(*(range(k) for k in kernel)) if any(k))
    )
    y = _FRACTIONAL_MAX_POOL[nd].apply(input, index, values)
    if not return_indices:
        return _unbatch(unbatched, y)
    return _unbatch(unbatched, y, Tensor._make(index))


def _flat_index_nd(positions, spatial):
    return sum(p * s for p, s in zip(positions, _plane_strides(spatial)))


def _ntuple_float(value, n):
    return tuple(float(v) for v in value) if isinstance(value, (tuple, list)) else (float(value),) * n


def _rand_like_samples(x, n, c, nd):
    from .creation import rand

    return rand(n, c, nd, dtype=_dtype_of(x))._data


def _dtype_of(array):
    from .. import _dtype

    return _dtype.as_dtype(array.dtype)


_FRACTIONAL_MAX_POOL = {nd: renamed(PlaneGather, f"FractionalMaxPool{nd}DBackward0") for nd in (2, 3)}


def fractional_max_pool2d(
    input, kernel_size, output_size=None, output_ratio=None, return_indices=False, _random_samples=None
):
    return _fractional_max_poolnd(2, input, kernel_size, output_size, output_ratio, return_indices, _random_samples)


def fractional_max_pool3d(
    input, kernel_size, output_size=None, output_ratio=None, return_indices=False, _random_samples=None
):
    return _fractional_max_poolnd(3, input, kernel_size, output_size, output_ratio, return_indices, _random_samples)


def fractional_max_pool2d_with_indices(
    input, kernel_size, output_size=None, output_ratio=None, return_indices=False, _random_samples=None
):
    return _fractional_max_poolnd(2, input, kernel_size, output_size, output_ratio, True, _random_samples)


def fractional_max_pool3d_with_indices(
    input, kernel_size, output_size=None, output_ratio=None, return_indices=False, _random_samples=None
):
    return _fractional_max_poolnd(3, input, kernel_size, output_size, output_ratio, True, _random_samples)
