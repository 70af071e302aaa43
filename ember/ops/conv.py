"""Convolution family: conv{1,2,3}d, conv_transpose{1,2,3}d, unfold/fold, pixel_shuffle; part of nn.functional.

One N-d kernel serves every rank; every product is one GEMM over the whole batch. Array primitives
on strided views:
  im2col  (N, C, *S) -> columns (N, C, *K, *Out): a contiguous copy of a sliding-window view (unfold)
  col2im  its adjoint: prod(K) vectorised strided adds (a loop over kernel offsets, never pixels) (fold)
  batch_last_cols, col2im_batch_last: the same pair in the batch-last layout the conv GEMMs use (by compiled
                  kernels when numba is installed: ember._kernels)
and three ops that are closed under differentiation because conv is bilinear in (input, weight):
  Conv            y  = conv(x, w) (+ b)
  ConvTranspose   the input-gradient of Conv (+ b): conv_transpose's forward
  ConvWeightGrad  the weight-gradient of Conv
Each op's backward is built from the other two, so double backward comes free.
"""

import collections
import math

import numpy as np

from .. import _kernels
from .._backend import add_window_taps, array_module, get_num_threads, matmul, readonly_strided_view, tap_slices
from ..autograd.function import Op, renamed
from ..amp.autocast_mode import low_precision
from ._registry import torch_api
from ._spatial import batched, int_tuple, shape_str

__all__ = [
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
    "unfold",
    "fold",
    "pixel_shuffle",
    "pixel_unshuffle",
    "channel_shuffle",
    "native_channel_shuffle",
    "conv_tbc",
]

# kernel, stride, dilation: tuples of spatial length; pads: ((lo, hi), ...); groups: int
Geometry = collections.namedtuple("Geometry", "kernel stride dilation pads groups")

# torch's message for an argument of the wrong length (see int_tuple)
_ARGUMENT_LENGTH = (
    "{op}: expected {name} to be a single integer value or a list of {n} values to match the "
    "convolution dimensions, but got {name}={values}"
)


def _tuple(value, n, name, op):
    return int_tuple(value, n, name, op, _ARGUMENT_LENGTH)


def _geometry_out(spatial, geom):
    """Output extent of a sliding window over each padded spatial dim (torch's formula)."""
    return tuple(
        (s + lo + hi - d * (k - 1) - 1) // st + 1
        for s, (lo, hi), k, st, d in zip(spatial, geom.pads, geom.kernel, geom.stride, geom.dilation)
    )


def _zero_pad(x, pads):
    if not any(lo or hi for lo, hi in pads):
        return x
    xp = array_module(x)
    shape = x.shape[:2] + tuple(s + lo + hi for s, (lo, hi) in zip(x.shape[2:], pads))
    out = xp.zeros(shape, x.dtype)
    out[(slice(None), slice(None)) + tuple(slice(lo, lo + s) for s, (lo, _) in zip(x.shape[2:], pads))] = x
    return out


def _window_view(padded, kernel, stride, dilation, out):
    """Read-only view (N, C, *K, *Out) of every window; no copy."""
    st = padded.strides
    nd = len(kernel)
    shape = padded.shape[:2] + tuple(kernel) + tuple(out)
    strides = (
        st[:2] + tuple(st[2 + i] * dilation[i] for i in range(nd)) + tuple(st[2 + i] * stride[i] for i in range(nd))
    )
    return readonly_strided_view(padded, shape, strides)


def im2col(x, geom, out):
    """(N, C, *S) -> contiguous columns (N, C, *K, *Out)."""
    view = _window_view(_zero_pad(x, geom.pads), geom.kernel, geom.stride, geom.dilation, out)
    return array_module(x).ascontiguousarray(view)


def _offset_slices(k, geom, out):
    return tap_slices(k, geom.dilation, geom.stride, out)


def col2im(cols, spatial, geom):
    """Adjoint of im2col: sum columns (N, C, *K, *Out) back into an (N, C, *spatial) array."""
    xp = array_module(cols)
    nd = len(spatial)
    out = cols.shape[2 + nd :]
    padded = xp.zeros(cols.shape[:2] + tuple(s + lo + hi for s, (lo, hi) in zip(spatial, geom.pads)), cols.dtype)
    everything = (slice(None), slice(None))
    add_window_taps(padded, cols, 2, geom.kernel, geom.dilation, geom.stride, out)
    if not any(lo or hi for lo, hi in geom.pads):
        return padded
    return xp.ascontiguousarray(padded[everything + tuple(slice(lo, lo + s) for s, (lo, _) in zip(spatial, geom.pads))])


def _batch_last(x, pads=None):
    """(N, C, *S) -> (C, *S, N) (zero-padded by `pads`): the batch innermost, the layout every conv
    GEMM reads and writes. With N innermost the im2col copies and col2im adds run over contiguous
    blocks of N values (of Out_last * N at stride 1); with N outermost they run over one output row,
    strided by the conv's stride.

    Two copies rather than one transpose: moving N innermost in one pass reads with a stride of
    C * prod(S) values, a power of two in DCGAN's layers, so the reads fall in one cache set."""
    xp = array_module(x)
    n, c, spatial = x.shape[0], x.shape[1], x.shape[2:]
    per_channel = xp.ascontiguousarray(x.reshape(n, c, -1).swapaxes(0, 1)).reshape((c, n) + spatial)
    moved = per_channel.transpose((0,) + tuple(range(2, 2 + len(spatial))) + (1,))
    if pads is None or not any(lo or hi for lo, hi in pads):
        return xp.ascontiguousarray(moved)
    padded = xp.zeros((c,) + tuple(s + lo + hi for s, (lo, hi) in zip(spatial, pads)) + (n,), x.dtype)
    padded[(slice(None),) + tuple(slice(lo, lo + s) for s, (lo, _) in zip(spatial, pads))] = moved
    return padded


def _batch_first(y, n, out):
    """(M, prod(Out) * N) -> contiguous (N, M, *Out), in two copies as _batch_last."""
    xp = array_module(y)
    m = y.shape[0]
    per_channel = xp.ascontiguousarray(y.reshape(m, -1, n).swapaxes(1, 2))  # (M, N, L)
    return xp.ascontiguousarray(per_channel.swapaxes(0, 1)).reshape((n, m) + tuple(out))


def batch_last_cols(x, geom, out):
    """(N, C, *S) -> columns (C * prod(K), prod(Out) * N), one GEMM serving the whole batch.

    A loop or a stacked matmul of N small products costs N BLAS calls (LeNet: 64 calls of 6x75x784;
    DCGAN's 1x1-input layer: 64 outer products); a single (M, CK) @ (CK, L*N) product is
    one, and its weight gradient sums over the batch inside the GEMM instead of in an (N, M, CK) temporary.
    """
    padded = _batch_last(x, geom.pads)
    st, nd = padded.strides, len(out)
    view = readonly_strided_view(
        padded,
        (padded.shape[0],) + tuple(geom.kernel) + tuple(out) + (padded.shape[-1],),
        (st[0],)
        + tuple(st[1 + i] * geom.dilation[i] for i in range(nd))
        + tuple(st[1 + i] * geom.stride[i] for i in range(nd))
        + (st[-1],),
    )
    cols = array_module(x).ascontiguousarray(view)
    return cols.reshape(x.shape[1] * math.prod(geom.kernel), -1)


def col2im_batch_last(cols, spatial, geom):
    """Adjoint of batch_last_cols: columns (C, *K, *Out, N) summed back into (N, C, *spatial)."""
    xp = array_module(cols)
    nd = len(spatial)
    c, n = cols.shape[0], cols.shape[-1]
    out = cols.shape[1 + nd : 1 + 2 * nd]
    padded = xp.zeros((c,) + tuple(s + lo + hi for s, (lo, hi) in zip(spatial, geom.pads)) + (n,), cols.dtype)
    add_window_taps(padded, cols, 1, geom.kernel, geom.dilation, geom.stride, out)
    inside = padded[(slice(None),) + tuple(slice(lo, lo + s) for s, (lo, _) in zip(spatial, geom.pads))]
    per_channel = xp.ascontiguousarray(inside.transpose((0, nd + 1) + tuple(range(1, nd + 1))))  # (C, N, *S)
    return xp.ascontiguousarray(per_channel.swapaxes(0, 1))


def _gy_cols(gy):
    """(N, M, *Out) -> (M, prod(Out) * N): the output gradient as both gradient GEMMs read it."""
    return _batch_last(gy).reshape(gy.shape[1], -1)


def _three(values, fill):
    """A spatial tuple as the compiled kernels take it: 3 dimensions, leading `fill`s added."""
    return (fill,) * (3 - len(values)) + tuple(values)


def _kernel_geometry(geom):
    return _three(geom.stride, 1), _three(geom.dilation, 1), _three([lo for lo, _ in geom.pads], 0)


# im2col and col2im by their compiled kernels when they can run (ember._kernels), else by the NumPy
# functions above; both give the same arrays bit for bit.
def _input_cols(x, geom, out):
    """batch_last_cols(x, geom, out)."""
    kernels = _kernels.for_arrays(x)
    if kernels is None:
        return batch_last_cols(x, geom, out)
    n, c = x.shape[:2]
    cols = np.empty((c,) + _three(geom.kernel, 1) + _three(out, 1) + (n,), x.dtype)
    kernels.im2col(np.ascontiguousarray(x).reshape((n, c) + _three(x.shape[2:], 1)), cols, *_kernel_geometry(geom))
    return cols.reshape(c * math.prod(geom.kernel), -1)


def _cols_to_input(gcols, spatial, geom, out, n):
    """col2im_batch_last of columns (C * prod(K), prod(Out) * N) into (N, C, *spatial)."""
    kernels = _kernels.for_arrays(gcols)
    c = gcols.shape[0] // math.prod(geom.kernel)
    if kernels is None:
        return col2im_batch_last(gcols.reshape((c,) + tuple(geom.kernel) + tuple(out) + (n,)), spatial, geom)
    x = np.empty((n, c) + _three(spatial, 1), gcols.dtype)
    kernels.col2im(
        np.ascontiguousarray(gcols).reshape((c,) + _three(geom.kernel, 1) + _three(out, 1) + (n,)),
        x,
        *_kernel_geometry(geom),
    )
    return x.reshape((n, c) + tuple(spatial))


# A product with few output channels streams its columns once and does little with each (LeNet's conv1:
# 6 x 75 against 75 x 50176, 15 MB of columns). Built and used a few samples at a time they stay in cache,
# and the forward keeps none for the weight gradient, which builds them again the same way. Only with one
# BLAS thread: with more, every GEMM call synchronises the threads, and on a busy 2-core machine the tiles'
# many small GEMMs lost more than the cache gained.
_TILE_BYTES = 2 << 20
_TILE_MAX_CHANNELS = 16


def _sample_tiles(x, w_shape, geom, out):
    """Slices of the batch to build columns for, one GEMM each, or None for one GEMM over the whole batch."""
    per_sample = math.prod(w_shape[1:]) * math.prod(out) * x.itemsize  # bytes of one sample's columns
    if (
        geom.groups != 1
        or w_shape[0] > _TILE_MAX_CHANNELS
        or x.itemsize < 4
        or x.shape[0] * per_sample <= 2 * _TILE_BYTES
        or get_num_threads() > 1
    ):
        return None  # (half precision: the GEMM over the whole batch is what accumulates in float32)
    step = max(1, _TILE_BYTES // per_sample)
    return [slice(s, s + step) for s in range(0, x.shape[0], step)]


def conv_forward(x, w, geom, out, cols=None):
    """y = conv(x, w) and x's batch_last_cols (pass `cols` when they are already built; None comes back
    when the product ran by sample tiles)."""
    g = geom.groups
    tiles = _sample_tiles(x, w.shape, geom, out) if cols is None else None
    if tiles is not None:
        y = array_module(x).empty((x.shape[0], w.shape[0]) + tuple(out), x.dtype)
        for tile in tiles:
            part = matmul(w.reshape(w.shape[0], -1), _input_cols(x[tile], geom, out))
            y[tile] = _batch_first(part, part.shape[1] // math.prod(out), out)
        return y, None
    if cols is None:
        cols = _input_cols(x, geom, out)
    if g == 1:
        y = matmul(w.reshape(w.shape[0], -1), cols)
    else:
        y = matmul(w.reshape(g, w.shape[0] // g, -1), cols.reshape(g, -1, cols.shape[1]))
    return _batch_first(y.reshape(w.shape[0], -1), x.shape[0], out), cols


def conv_input_grad(gy, w, geom, spatial, gy_cols=None):
    """gy_cols: _gy_cols(gy), when the weight gradient has built it too."""
    g, out = geom.groups, gy.shape[2:]
    if gy_cols is None:
        gy_cols = _gy_cols(gy)
    if g == 1:
        gcols = matmul(w.reshape(w.shape[0], -1).T, gy_cols)
    else:
        gcols = matmul(w.reshape(g, w.shape[0] // g, -1).swapaxes(1, 2), gy_cols.reshape(g, -1, gy_cols.shape[1]))
    return _cols_to_input(gcols.reshape(w.shape[1] * g * math.prod(geom.kernel), -1), spatial, geom, out, gy.shape[0])


def _weight_product(cols, gy_cols):
    """gy_cols @ cols.T for one group: (M, CK)."""
    # few output channels (LeNet's 6 and 16) against a long inner dimension: OpenBLAS runs the product
    # faster with the wide operand on the left
    return matmul(cols, gy_cols.T).T if gy_cols.shape[0] < 32 else matmul(gy_cols, cols.T)


def conv_weight_grad(x, gy, geom, w_shape, cols=None, gy_cols=None):
    """cols: x's batch_last_cols, when conv_forward has built them; gy_cols: _gy_cols(gy)."""
    g = geom.groups
    tiles = _sample_tiles(x, w_shape, geom, gy.shape[2:]) if cols is None else None
    if tiles is not None:  # as conv_forward ran; the tiles' products summed
        gw = _weight_product(_input_cols(x[tiles[0]], geom, gy.shape[2:]), _gy_cols(gy[tiles[0]]))
        for tile in tiles[1:]:
            gw += _weight_product(_input_cols(x[tile], geom, gy.shape[2:]), _gy_cols(gy[tile]))
        return gw.reshape(w_shape)
    if cols is None:
        cols = _input_cols(x, geom, gy.shape[2:])
    if gy_cols is None:
        gy_cols = _gy_cols(gy)
    # _backend.matmul computes float16/bfloat16 products in float32 and rounds once, so the sum
    # over the batch (inside the GEMM) accumulates in float32 as torch's does
    if g == 1:
        gw = _weight_product(cols, gy_cols)
    else:
        gw = matmul(gy_cols.reshape(g, -1, gy_cols.shape[1]), cols.reshape(g, -1, cols.shape[1]).swapaxes(1, 2))
    return gw.reshape(w_shape)


def _add_bias(y, b):
    if b is not None:
        y += b.reshape((-1,) + (1,) * (y.ndim - 2))
    return y


def _bias_grad(ctx, g):
    return g.sum((0,) + tuple(range(2, g.ndim))) if ctx.needs_input_grad[2] else None


class Conv(Op):
    _node_name = "ConvolutionBackward0"
    inputs = (0, 1, 2)  # torch's edges: input, weight, bias (None when there is no bias)

    @staticmethod
    def forward(ctx, x, w, b, geom, out, cols=None):
        """cols: x's batch_last_cols when the caller has built them (ConvTranspose's backward)."""
        y, cols = conv_forward(x, w, geom, out, cols)
        if ctx._record:
            ctx.geom = geom
            # the columns are the weight gradient's other operand: keep them rather than rebuild
            ctx.save_for_backward(x, w, cols if ctx.needs_input_grad[1] else None)
        return _add_bias(y, b)

    @staticmethod
    def backward(ctx, g):
        x, w, cols = ctx.saved_tensors
        need = ctx.needs_input_grad
        # both gradients read g in the same layout: build it once
        gy_cols = _gy_cols(g._data) if need[0] and need[1] else None
        gx = ConvTranspose.apply(g, w, None, ctx.geom, x.shape[2:], gy_cols=gy_cols) if need[0] else None
        cols = None if cols is None else cols._data  # None: the forward ran by sample tiles
        gw = ConvWeightGrad.apply(x, g, ctx.geom, w.shape, cols, gy_cols=gy_cols) if need[1] else None
        return gx, gw, _bias_grad(ctx, g), None, None


class ConvTranspose(Op):
    _node_name = "ConvolutionBackward0"
    inputs = (0, 1, 2)

    @staticmethod
    def forward(ctx, g, w, b, geom, spatial, gy_cols=None):
        if ctx._record:
            ctx.geom = geom
            ctx.save_for_backward(g, w)
        return _add_bias(conv_input_grad(g, w, geom, spatial, gy_cols), b)

    @staticmethod
    def backward(ctx, gg):
        g, w = ctx.saved_tensors
        need = ctx.needs_input_grad
        out = g.shape[2:]
        # both gradients read the same columns of gg: build them once
        cols = _input_cols(gg._data, ctx.geom, out) if need[0] and need[1] else None
        dg = Conv.apply(gg, w, None, ctx.geom, out, cols=cols) if need[0] else None
        dw = ConvWeightGrad.apply(gg, g, ctx.geom, w.shape, cols) if need[1] else None
        return dg, dw, _bias_grad(ctx, gg), None, None


class ConvWeightGrad(Op):
    @staticmethod
    def forward(ctx, x, g, geom, w_shape, cols, gy_cols=None):
        if ctx._record:
            ctx.geom = geom
            ctx.save_for_backward(x, g)
        return conv_weight_grad(x, g, geom, w_shape, cols, gy_cols)

    @staticmethod
    def backward(ctx, gw):
        x, g = ctx.saved_tensors
        need = ctx.needs_input_grad
        dx = ConvTranspose.apply(g, gw, None, ctx.geom, x.shape[2:]) if need[0] else None
        dg = Conv.apply(x, gw, None, ctx.geom, g.shape[2:]) if need[1] else None
        return dx, dg, None, None, None


# --- argument checking shared by the functional and module surfaces ------------------------------
def _batched(input, nd, name, who=None):
    prefix = f"{who!r}: " if who is not None else ""
    return batched(input, nd, f"{prefix}Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to {name}")


def _check_dtypes(name, input, weight, bias):
    for what, t in (("weight", weight), ("bias", bias)):
        if t is not None and t.dtype != input.dtype:
            raise RuntimeError(f"{name}: Input type ({input.dtype}) and {what} type ({t.dtype}) should be the same")
    if not input.is_floating_point():
        raise RuntimeError(f"{name}: expected a floating point input, got {input.dtype} (convert it with .float())")


def _conv_padding(padding, kernel, stride, dilation, name):
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0),) * len(kernel)
        if padding != "same":
            raise ValueError(f"Invalid padding string '{padding}', should be one of ['valid', 'same']")
        if any(s != 1 for s in stride):
            raise RuntimeError("padding='same' is not supported for strided convolutions")
        # torch puts the odd element of an even kernel's padding on the high side
        totals = [d * (k - 1) for k, d in zip(kernel, dilation)]
        return tuple((t // 2, t - t // 2) for t in totals)
    return tuple((p, p) for p in _tuple(padding, len(kernel), "padding", name))


def _check_conv_arguments(name, stride, padding, dilation, groups):
    """torch's argument checks, before any size arithmetic (a zero stride would divide by zero)."""
    if any(s <= 0 for s in stride):
        raise RuntimeError(f"non-positive stride is not supported ({name} got stride={list(stride)})")
    if any(p < 0 for p in padding):
        raise RuntimeError(f"negative padding is not supported ({name} got padding={list(padding)})")
    if any(d <= 0 for d in dilation):
        raise RuntimeError(f"dilation should be greater than zero, but got {list(dilation)} ({name})")
    if groups <= 0:
        raise RuntimeError(f"non-positive groups is not supported ({name} got groups={groups})")


def _check_window_fits(name, input, geom, out, who):
    if all(o > 0 for o in out):
        return
    padded = [s + lo + hi for s, (lo, hi) in zip(input.shape[2:], geom.pads)]
    effective = [d * (k - 1) + 1 for k, d in zip(geom.kernel, geom.dilation)]
    prefix = f"{who!r}: " if who is not None else f"{name}: "
    raise RuntimeError(
        f"{prefix}Calculated padded input size per channel: ({' x '.join(map(str, padded))}). "
        f"Kernel size: ({' x '.join(map(str, effective))}). Kernel size can't be greater than "
        f"actual input size (input of shape {tuple(input.shape)})"
    )


def _convnd(nd, input, weight, bias, stride, padding, dilation, groups, who=None):
    input, weight, bias = low_precision(input, weight, bias)
    name = f"conv{nd}d"
    input, unbatched = _batched(input, nd, name, who)
    if weight.ndim != nd + 2:
        raise RuntimeError(
            f"{name}: expected weight to be {nd + 2}-dimensional (out_channels, in_channels/groups, "
            f"*kernel), but got weight of size {shape_str(weight.shape)}"
        )
    _check_dtypes(name, input, weight, bias)
    stride = _tuple(stride, nd, "stride", name)
    dilation = _tuple(dilation, nd, "dilation", name)
    kernel = tuple(weight.shape[2:])
    pads = _conv_padding(padding, kernel, stride, dilation, name)
    _check_conv_arguments(name, stride, [p for pair in pads for p in pair], dilation, groups)
    c, o = input.shape[1], weight.shape[0]
    if groups <= 0 or o % groups:
        raise RuntimeError(
            f"{name}: Given groups={groups}, expected weight to be divisible by {groups} at "
            f"dimension 0, but got weight of size {shape_str(weight.shape)} instead"
        )
    if c != weight.shape[1] * groups:
        msg = (
            f"Given groups={groups}, weight of size {shape_str(weight.shape)}, expected input"
            f"{shape_str(input.shape)} to have {weight.shape[1] * groups} channels, but got {c} channels instead"
        )
        if who is not None:
            msg = (
                f"{who!r} expected input with {weight.shape[1] * groups} channels, got input of shape "
                f"{tuple(input.shape)}: {msg}"
            )
        raise RuntimeError(msg)
    if bias is not None and tuple(bias.shape) != (o,):
        raise RuntimeError(
            f"{name}: Given weight of size {shape_str(weight.shape)}, expected bias to be "
            f"1-dimensional with {o} elements, but got bias of size {shape_str(bias.shape)} instead"
        )
    geom = Geometry(kernel, stride, dilation, pads, groups)
    out = _geometry_out(input.shape[2:], geom)
    _check_window_fits(name, input, geom, out, who)
    y = Conv.apply(input, weight, bias, geom, out)
    return y.squeeze(0) if unbatched else y


def _conv_transposend(nd, input, weight, bias, stride, padding, output_padding, groups, dilation, who=None):
    input, weight, bias = low_precision(input, weight, bias)
    name = f"conv_transpose{nd}d"
    input, unbatched = _batched(input, nd, name, who)
    if weight.ndim != nd + 2:
        raise RuntimeError(
            f"{name}: expected weight to be {nd + 2}-dimensional (in_channels, out_channels/groups, "
            f"*kernel), but got weight of size {shape_str(weight.shape)}"
        )
    _check_dtypes(name, input, weight, bias)
    stride = _tuple(stride, nd, "stride", name)
    dilation = _tuple(dilation, nd, "dilation", name)
    padding = _tuple(padding, nd, "padding", name)
    output_padding = _tuple(output_padding, nd, "output_padding", name)
    _check_conv_arguments(name, stride, padding, dilation, groups)
    kernel = tuple(weight.shape[2:])
    c = input.shape[1]
    if groups <= 0 or c % groups or weight.shape[0] != c:
        msg = (
            f"Given transposed=1, weight of size {shape_str(weight.shape)}, expected input"
            f"{shape_str(input.shape)} to have {weight.shape[0]} channels, but got {c} channels instead"
        )
        if who is not None:
            msg = (
                f"{who!r} expected input with {weight.shape[0]} channels, got input of shape "
                f"{tuple(input.shape)}: {msg}"
            )
        raise RuntimeError(msg)
    for op, s, d in zip(output_padding, stride, dilation):
        if op >= max(s, d):
            raise RuntimeError(
                f"{name}: output padding must be smaller than either stride or dilation, but got "
                f"output_padding={list(output_padding)}, stride={list(stride)}, "
                f"dilation={list(dilation)}"
            )
    o = weight.shape[1] * groups
    if bias is not None and tuple(bias.shape) != (o,):
        raise RuntimeError(
            f"{name}: Given transposed=1, weight of size {shape_str(weight.shape)}, expected bias "
            f"to be 1-dimensional with {o} elements, but got bias of size {shape_str(bias.shape)}"
        )
    spatial = tuple(
        (s - 1) * st - 2 * p + d * (k - 1) + op + 1
        for s, st, p, d, k, op in zip(input.shape[2:], stride, padding, dilation, kernel, output_padding)
    )
    if any(s <= 0 for s in spatial):
        raise RuntimeError(
            f"{name if who is None else repr(who)}: Given input size per channel: "
            f"{list(input.shape[2:])}, calculated output size per channel: {list(spatial)}. "
            f"Output size is too small"
        )
    geom = Geometry(kernel, stride, dilation, tuple((p, p) for p in padding), groups)
    y = ConvTranspose.apply(input, weight, bias, geom, spatial)
    return y.squeeze(0) if unbatched else y


@torch_api(method=False)
def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return _convnd(1, input, weight, bias, stride, padding, dilation, groups)


@torch_api(method=False)
def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return _convnd(2, input, weight, bias, stride, padding, dilation, groups)


@torch_api(method=False)
def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return _convnd(3, input, weight, bias, stride, padding, dilation, groups)


@torch_api(method=False)
def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    return _conv_transposend(1, input, weight, bias, stride, padding, output_padding, groups, dilation)


@torch_api(method=False)
def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    return _conv_transposend(2, input, weight, bias, stride, padding, output_padding, groups, dilation)


@torch_api(method=False)
def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    return _conv_transposend(3, input, weight, bias, stride, padding, output_padding, groups, dilation)


# --- unfold / fold: im2col and col2im as user-facing ops ----------------------------------------
class Unfold(Op):
    _node_name = "Im2ColBackward0"

    @staticmethod
    def forward(ctx, x, geom, out):
        ctx.geom, ctx.spatial = geom, x.shape[2:]
        cols = im2col(x, geom, out)
        return cols.reshape(x.shape[0], -1, math.prod(out))

    @staticmethod
    def backward(ctx, g):
        return Fold.apply(g, ctx.geom, ctx.spatial), None, None


class Fold(Op):
    _node_name = "Col2ImBackward0"

    @staticmethod
    def forward(ctx, cols, geom, spatial):
        ctx.geom = geom
        ctx.out = _geometry_out(spatial, geom)
        n, ck = cols.shape[:2]
        c = ck // math.prod(geom.kernel)
        return col2im(cols.reshape((n, c) + tuple(geom.kernel) + ctx.out), spatial, geom)

    @staticmethod
    def backward(ctx, g):
        return Unfold.apply(g, ctx.geom, ctx.out), None, None


def _fold_geometry(name, kernel_size, dilation, padding, stride):
    kernel = _tuple(kernel_size, 2, "kernel_size", name)
    padding = _tuple(padding, 2, "padding", name)
    return Geometry(
        kernel,
        _tuple(stride, 2, "stride", name),
        _tuple(dilation, 2, "dilation", name),
        tuple((p, p) for p in padding),
        1,
    )


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    if input.ndim not in (3, 4):
        raise RuntimeError(
            f"unfold: Expected 3D or 4D (batch mode) tensor with optional 0 size batch dimension "
            f"for input, but got input of size: {shape_str(input.shape)}"
        )
    unbatched = input.ndim == 3
    if unbatched:
        input = input.unsqueeze(0)
    geom = _fold_geometry("unfold", kernel_size, dilation, padding, stride)
    out = _geometry_out(input.shape[2:], geom)
    _check_window_fits("unfold", input, geom, out, None)
    y = Unfold.apply(input, geom, out)
    return y.squeeze(0) if unbatched else y


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    if input.ndim not in (2, 3):
        raise RuntimeError(
            f"fold: Expected 2D or 3D (batch mode) tensor with optional 0 size batch dimension "
            f"for input, but got input of size: {shape_str(input.shape)}"
        )
    unbatched = input.ndim == 2
    if unbatched:
        input = input.unsqueeze(0)
    geom = _fold_geometry("fold", kernel_size, dilation, padding, stride)
    spatial = _tuple(output_size, 2, "output_size", "fold")
    out = _geometry_out(spatial, geom)
    k = math.prod(geom.kernel)
    if input.shape[1] % k:
        raise RuntimeError(
            f"fold: Expected size of input's dimension 1 to be divisible by the product of "
            f"kernel_size, but got input.size(1)={input.shape[1]} and kernel_size={geom.kernel}"
        )
    if input.shape[2] != math.prod(out):
        raise RuntimeError(
            f"fold: Given output_size={spatial}, kernel_size={geom.kernel}, dilation={geom.dilation}, "
            f"padding={tuple(p for p, _ in geom.pads)}, stride={geom.stride}, expected size of "
            f"input's dimension 2 to match the calculated number of sliding blocks "
            f"{' * '.join(map(str, out))} = {math.prod(out)}, but got input.size(2)={input.shape[2]}."
        )
    y = Fold.apply(input, geom, spatial)
    return y.squeeze(0) if unbatched else y


# --- channel <-> space rearrangements, composed from reshape/permute -----------------------------
class Rearrange(Op):
    """x reshaped to `split`, its axes permuted by `perm`, reshaped to `shape`: the pixel and channel
    shuffles, each one node as in torch. The adjoint is the inverse rearrangement."""

    @staticmethod
    def forward(ctx, x, split, perm, shape):
        ctx.args = (x.shape, split, perm)
        return x.reshape(split).transpose(perm).copy().reshape(shape)

    @staticmethod
    def backward(ctx, g):
        in_shape, split, perm = ctx.args
        inverse = tuple(int(i) for i in np.argsort(perm))
        return Rearrange.apply(g, tuple(split[p] for p in perm), inverse, in_shape), None, None, None


_PIXEL_SHUFFLE = renamed(Rearrange, "PixelShuffleBackward0")
_PIXEL_UNSHUFFLE = renamed(Rearrange, "PixelUnshuffleBackward0")
_CHANNEL_SHUFFLE = renamed(Rearrange, "ChannelShuffleBackward0")


@torch_api(method=False)
def pixel_shuffle(input, upscale_factor):
    r = int(upscale_factor)
    if input.ndim < 3 or input.shape[-3] % (r * r):
        raise RuntimeError(
            f"pixel_shuffle expects its input's 'channel' dimension to be divisible by the square "
            f"of upscale_factor, but input.size(-3)={input.shape[-3] if input.ndim >= 3 else None} "
            f"is not divisible by {r * r} (input of size {shape_str(input.shape)})"
        )
    *batch, c, h, w = input.shape
    nb = len(batch)
    return _PIXEL_SHUFFLE.apply(
        input,
        tuple(batch) + (c // (r * r), r, r, h, w),
        tuple(range(nb)) + tuple(nb + i for i in (0, 3, 1, 4, 2)),
        tuple(batch) + (c // (r * r), h * r, w * r),
    )


@torch_api(method=False)
def pixel_unshuffle(input, downscale_factor):
    r = int(downscale_factor)
    if input.ndim < 3 or input.shape[-1] % r or input.shape[-2] % r:
        raise RuntimeError(
            f"pixel_unshuffle expects height and width to be divisible by downscale_factor={r}, "
            f"but got input of size {shape_str(input.shape)}"
        )
    *batch, c, h, w = input.shape
    nb = len(batch)
    return _PIXEL_UNSHUFFLE.apply(
        input,
        tuple(batch) + (c, h // r, r, w // r, r),
        tuple(range(nb)) + tuple(nb + i for i in (0, 2, 4, 1, 3)),
        tuple(batch) + (c * r * r, h // r, w // r),
    )


@torch_api(method=False)
def channel_shuffle(input, groups):
    if input.ndim < 3 or groups <= 0 or input.shape[1] % groups:
        raise RuntimeError(
            f"channel_shuffle: number of channels must be divisible by groups={groups}, "
            f"got input of size {shape_str(input.shape)}"
        )
    n, c, *spatial = input.shape
    return _CHANNEL_SHUFFLE.apply(
        input,
        (n, groups, c // groups) + tuple(spatial),
        (0, 2, 1) + tuple(range(3, input.ndim + 1)),
        tuple(input.shape),
    )


@torch_api(method=False)
def native_channel_shuffle(input, groups):
    return channel_shuffle(input, groups)


class ConvTbc(Op):
    """Convolution of a (time, batch, channels) input with a (kernel, in, out) weight along time (fairseq's)."""

    inputs = (0, 1, 2)

    @staticmethod
    def forward(ctx, x, w, b, pad):
        xp = array_module(x)
        k = w.shape[0]
        padded = xp.pad(x, ((pad, pad), (0, 0), (0, 0)))
        steps = padded.shape[0] - k + 1
        out = xp.broadcast_to(b, (steps, x.shape[1], w.shape[2])).copy()
        for j in range(k):
            out += padded[j : j + steps] @ w[j]
        ctx.pad = pad
        ctx.save_for_backward(x, w)
        return out

    @staticmethod
    def backward(ctx, g):
        from .padding import pad as _pad
        from .shape import stack

        x, w = ctx.saved_tensors
        k, steps, pad = w.shape[0], g.shape[0], ctx.pad
        padded = _pad(x, (0, 0, 0, 0, pad, pad))
        gw = stack([padded[j : j + steps].reshape(-1, x.shape[2]).t() @ g.reshape(-1, g.shape[2]) for j in range(k)])
        total = padded.shape[0]
        gx = sum(_pad(g @ w[j].t(), (0, 0, 0, 0, j, total - steps - j)) for j in range(k))
        return gx[pad : pad + x.shape[0]], gw, g.sum((0, 1)), None


@torch_api(method=False)
def conv_tbc(input, weight, bias, pad=0):
    if input.dim() != 3 or weight.dim() != 3 or bias.dim() != 1:
        raise RuntimeError(
            f"conv_tbc: expected a 3-d input (time, batch, channels), a 3-d weight (kernel, in, out) "
            f"and a 1-d bias, got {list(input.shape)}, {list(weight.shape)} and {list(bias.shape)}"
        )
    if input.shape[2] != weight.shape[1] or weight.shape[2] != bias.shape[0]:
        raise RuntimeError(
            f"conv_tbc: input channels ({input.shape[2]}) must equal the weight's dim 1 "
            f"({weight.shape[1]}) and the bias size ({bias.shape[0]}) its dim 2 ({weight.shape[2]})"
        )
    return ConvTbc.apply(input, weight, bias, int(pad))
