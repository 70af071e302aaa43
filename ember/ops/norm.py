"""Normalisation ops (part of nn.functional): batch, layer, group, instance, RMS and local response norm.

batch_norm and layer_norm are one Op each with the closed-form gradient computed on arrays: composing
them from mean/var/sub/div would cost ~10 graph nodes and re-reduce the input several times per call.
When a backward must itself be differentiable (create_graph=True), the Op differentiates its composed
reference instead (`differentiable_backward`), so double backward stays exact.
"""

import numpy as np

from .. import _kernels
from .._backend import array_module
from ..amp.autocast_mode import full_precision_on_cuda
from .._tensor import Tensor
from .._dynamo.seams import replayed_as_one_call
from ..autograd.function import Op
from .elementwise import AddScalar
from ..autograd.grad_mode import state, no_grad
from .reduce import widened

__all__ = ["batch_norm", "layer_norm", "group_norm", "instance_norm", "rms_norm", "local_response_norm"]


def differentiable_backward(composed, inputs, grads):
    """Gradients of `composed(*inputs)` (a reference built from ember ops) that are themselves differentiable.

    Fused Ops call this from backward when create_graph=True; their fast path works on arrays and
    would cut the graph of the gradient.
    """
    from ..autograd import grad

    wrt = [t for t in inputs if isinstance(t, Tensor) and t.requires_grad]
    outs = composed(*inputs)
    outs = outs if isinstance(outs, tuple) else (outs,)
    pairs = [(o, g) for o, g in zip(outs, grads) if o.requires_grad]
    found = iter(grad([o for o, _ in pairs], wrt, [g for _, g in pairs], create_graph=True, allow_unused=True))
    return tuple(next(found) if isinstance(t, Tensor) and t.requires_grad else None for t in inputs)


def _wrap(arr):
    return None if arr is None else Tensor._make(arr)


# --------------------------------------------------------------------------------------------
# batch norm


def _channel_view(ndim):
    """Shape that broadcasts a per-channel (C,) vector against an (N, C, *) input."""
    return lambda v: v.reshape((1, -1) + (1,) * (ndim - 2))


# Per-channel sums over (N, *) as einsum: NumPy's sum over axes (0, 2, 3) walks short rows (slow at
# conv-net shapes such as DCGAN's 64x128x8x8), and the dot form needs no product temporary. einsum knows
# only NumPy's own types: float16/bfloat16 take the plain reductions.
_EINSUM_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


def _channel_axes(a):
    return (0,) + tuple(range(2, a.ndim))


def _channel_sum(a):
    kernels = _kernels.for_arrays(a)
    if kernels is not None:
        out = np.empty(a.shape[1])
        kernels.channel_sum(_ncl(a), out)
        return out.astype(a.dtype)
    if a.dtype not in _EINSUM_FLOATS:
        return a.sum(axis=_channel_axes(a))
    return array_module(a).einsum("ncl->c", a.reshape(a.shape[0], a.shape[1], -1))


def _channel_dot(a, b):
    kernels = _kernels.for_arrays(a, b)
    if kernels is not None:
        out = np.empty(a.shape[1])
        kernels.channel_dot(_ncl(a), _ncl(b), out)
        return out.astype(a.dtype)
    if a.dtype not in _EINSUM_FLOATS or b.dtype != a.dtype:
        return (a * b).sum(axis=_channel_axes(a))
    return array_module(a).einsum(
        "ncl,ncl->c", a.reshape(a.shape[0], a.shape[1], -1), b.reshape(b.shape[0], b.shape[1], -1)
    )


def _ncl(a):
    """(N, C, *) as the compiled kernels take it: (N, C, L), C-contiguous (they sum in float64, so their
    statistics are as close as NumPy's or closer, though not the same bits)."""
    return np.ascontiguousarray(a).reshape(a.shape[0], a.shape[1], -1)


class BatchNorm(Op):
    """y = (x - mean) * invstd * weight + bias, with per-channel statistics over axes (0, 2, 3, ...).

    `mean`/`var` arrive as arrays: the batch statistics when `training` (then their dependence on x is in
    the closed-form gradient) or the running statistics (constants) in eval. `all_reduce` sums arrays
    across processes for SyncBatchNorm (identity otherwise); `count` is the (global) values per channel.
    `centred` is x - mean when the caller has computed it for the variance (it is normalised in place).
    """

    _node_name = "NativeBatchNormBackward0"
    inputs = (0, 1, 2)

    @staticmethod
    def forward(ctx, x, weight, bias, mean, var, eps, training, count, all_reduce, centred=None):
        view = _channel_view(x.ndim)
        xp = array_module(x)
        x_in, x = x, widened(x)  # float16/bfloat16 normalise in float32, as torch's CPU kernels
        invstd = (1.0 / xp.sqrt(var + eps)).astype(x.dtype, copy=False)
        xhat = x - view(mean) if centred is None else centred
        kernels = _kernels.for_arrays(xhat, weight, bias, invstd) if weight is not None and bias is not None else None
        if kernels is not None:  # the arithmetic below in one pass
            xhat, y = np.ascontiguousarray(xhat), np.empty(x.shape, x.dtype)
            kernels.normalise(_ncl(xhat), invstd, weight, bias, _ncl(y))
        else:
            xhat *= view(invstd)
            if weight is not None:
                y = xhat * view(weight)
                if bias is not None:
                    y += view(bias)
            else:
                # never xhat itself: the caller may change y in place (ReLU(inplace=True)) before backward
                y = xhat + view(bias) if bias is not None else xhat.copy()
        y = y.astype(x_in.dtype, copy=False)
        if ctx._record:
            ctx.args = (mean, var, eps, training, count, all_reduce)
            ctx.xhat, ctx.invstd = xhat, invstd
            ctx.save_for_backward(x_in, weight, bias)
        return y

    @staticmethod
    def backward(ctx, g):
        mean, var, eps, training, count, all_reduce = ctx.args
        x, weight, bias = ctx.saved_tensors
        if state.enabled:
            return (
                differentiable_backward(
                    lambda x, w, b: _batch_norm_composed(x, w, b, mean, var, eps, training), (x, weight, bias), (g,)
                )
                + (None,) * 6
            )
        view = _channel_view(x.ndim)
        g_arr, xhat, invstd = widened(g._data), ctx.xhat, ctx.invstd
        sum_g = _channel_sum(g_arr)
        sum_g_xhat = _channel_dot(g_arr, xhat)
        grad_x = None
        if ctx.needs_input_grad[0]:
            scale = invstd if weight is None else invstd * weight._data
            if training:
                # scale * (g - mean(g) - xhat * mean(g * xhat))
                global_g, global_g_xhat = all_reduce(sum_g, sum_g_xhat)
                slope, offset = scale * (global_g_xhat / count), scale * (global_g / count)
                kernels = _kernels.for_arrays(g_arr, xhat, scale, slope, offset)
                if kernels is not None:  # in one pass
                    grad_x = np.empty(g_arr.shape, g_arr.dtype)
                    kernels.batch_norm_input_grad(_ncl(g_arr), _ncl(xhat), scale, slope, offset, _ncl(grad_x))
                else:  # in three passes over the batch
                    grad_x = g_arr * view(scale)
                    grad_x -= xhat * view(slope)
                    grad_x -= view(offset)
            else:
                grad_x = g_arr * view(scale)
            grad_x = grad_x.astype(x._data.dtype, copy=False)
        grad_w = sum_g_xhat if weight is not None and ctx.needs_input_grad[1] else None
        grad_b = sum_g if bias is not None and ctx.needs_input_grad[2] else None
        return (_wrap(grad_x), _wrap(grad_w), _wrap(grad_b)) + (None,) * 6


def _batch_norm_composed(x, weight, bias, mean, var, eps, training):
    """The batch-norm forward from ember ops: the reference the fused Op differentiates for double backward."""
    view = _channel_view(x.dim())
    if training:
        axes = (0,) + tuple(range(2, x.dim()))
        centred = x - x.mean(axes, keepdim=True)
        y = centred * (centred.square().mean(axes, keepdim=True) + eps).rsqrt()
    else:
        y = (x - Tensor._make(view(mean))) * Tensor._make(view(1.0 / np.sqrt(var + eps)).astype(var.dtype))
    if weight is not None:
        y = y * view(weight)
    return y + view(bias) if bias is not None else y


def _sum_identity(*arrays):
    return arrays


def _verify_batch_size(size):
    values = size[0]
    for s in size[2:]:
        values *= s
    if values == 1:
        raise ValueError(f"Expected more than 1 value per channel when training, got input size {size}")


def _check_stat(name, t, channels):
    if t is not None and tuple(t.shape) != (channels,):
        raise RuntimeError(
            f"batch_norm: {name} should contain {channels} elements (one per input channel), "
            f"not {t.numel()} (shape {list(t.shape)})"
        )


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-05):
    return _batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)


def _batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps, all_reduce=_sum_identity):
    """batch_norm with an `all_reduce(*arrays)` that sums statistics across processes (SyncBatchNorm)."""
    if input.dim() < 2:
        raise ValueError(
            f"batch_norm: expected an input of shape (N, C, *), got {input.dim()}D input of shape {list(input.shape)}"
        )
    if training:
        _verify_batch_size(input.size())
    channels = input.shape[1]
    for name, t in (("weight", weight), ("bias", bias), ("running_mean", running_mean), ("running_var", running_var)):
        _check_stat(name, t, channels)
    if not training:
        if running_mean is None or running_var is None:
            raise RuntimeError("batch_norm: running_mean and running_var must be given when training=False")
        return BatchNorm.apply(input, weight, bias, running_mean._data, running_var._data, eps, False, None, all_reduce)
    if channels == 0:  # torch fails selecting channel 0; the count below would divide by zero
        raise IndexError(
            "select(): index 0 out of range for tensor of size [0] at dimension 0 (batch_norm of "
            f"an input of shape {tuple(input.shape)}, with no channels)"
        )
    mean, var, count, centred = _batch_statistics(input._data, running_mean, running_var, momentum, all_reduce)
    return BatchNorm.apply(input, weight, bias, mean, var, eps, True, count, all_reduce, centred=centred)


@replayed_as_one_call  # computed outside the op's forward: a compiled replay computes them again
def _batch_statistics(x, running_mean, running_var, momentum, all_reduce):
    """The batch's per-channel mean and biased variance (float32 for a float16/bfloat16 x), the count of
    values per channel and x - mean; the running statistics (tensors or None) updated in place."""
    x = widened(x)
    channels = x.shape[1]
    local_count = x.size // channels
    total, count = all_reduce(_channel_sum(x), np.asarray(float(local_count)))
    count = float(count)
    mean = (total / count).astype(x.dtype, copy=False)
    kernels = _kernels.for_arrays(x, mean)
    if kernels is not None:  # centred and its sum of squares in one pass
        centred, squares = np.empty(x.shape, x.dtype), np.empty(channels)
        kernels.centre(_ncl(x), mean, _ncl(centred), squares)
        (sq_dev,) = all_reduce(squares.astype(x.dtype))
    else:
        centred = x - _channel_view(x.ndim)(mean)
        (sq_dev,) = all_reduce(_channel_dot(centred, centred))
    var = (sq_dev / count).astype(x.dtype, copy=False)
    if running_mean is not None:
        with no_grad():
            running_mean._data[...] = (1 - momentum) * running_mean._data + momentum * mean
            running_mean._version_counter[0] += 1
    if running_var is not None:
        unbiased = var * (count / (count - 1))
        with no_grad():
            running_var._data[...] = (1 - momentum) * running_var._data + momentum * unbiased
            running_var._version_counter[0] += 1
    return mean, var, count, centred


def instance_norm(
    input, running_mean=None, running_var=None, weight=None, bias=None, use_input_stats=True, momentum=0.1, eps=1e-05
):
    """Batch norm over a (1, N*C, *) view, as torch computes it, so running stats average over the batch."""
    if use_input_stats:
        size = input.size()
        values = 1
        for s in size[2:]:
            values *= s
        if values == 1:
            raise ValueError(f"Expected more than 1 spatial element when training, got input size {size}")
    n, c = input.shape[0], input.shape[1]
    folded = input.reshape((1, n * c) + tuple(input.shape[2:]))

    def per_instance(t):
        return None if t is None else Tensor._make(np.tile(t._data, n))

    mean_rep, var_rep = per_instance(running_mean), per_instance(running_var)
    out = _batch_norm(
        folded,
        mean_rep,
        var_rep,
        None if weight is None else weight.repeat(n),
        None if bias is None else bias.repeat(n),
        use_input_stats,
        momentum,
        eps,
    )
    if use_input_stats:
        with no_grad():
            for stat, rep in ((running_mean, mean_rep), (running_var, var_rep)):
                if stat is not None:
                    stat._data[...] = rep._data.reshape(n, c).mean(axis=0)
                    stat._version_counter[0] += 1
    return out.reshape(input.shape)


# --------------------------------------------------------------------------------------------
# layer norm


class LayerNorm(Op):
    """Normalise over the last `ndims` axes, then the elementwise affine (weight/bias of those axes' shape)."""

    _node_name = "NativeLayerNormBackward0"
    inputs = (0, 1, 2)

    @staticmethod
    def forward(ctx, x, weight, bias, ndims, eps):
        xp = array_module(x)
        axes = tuple(range(x.ndim - ndims, x.ndim))
        x_in, x = x, widened(x)  # float16/bfloat16 normalise in float32, as torch's CPU kernels
        mean = x.mean(axis=axes, keepdims=True)
        centred = x - mean
        invstd = (1.0 / xp.sqrt(xp.square(centred).mean(axis=axes, keepdims=True) + eps)).astype(x.dtype, copy=False)
        xhat = centred * invstd
        y = xhat * weight if weight is not None else xhat
        if bias is not None:
            y = y + bias
        if ctx._record:
            ctx.args = (ndims, eps)
            ctx.xhat, ctx.invstd = xhat, invstd
            ctx.save_for_backward(x_in, weight, bias)
        return y.astype(x_in.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        ndims, eps = ctx.args
        x, weight, bias = ctx.saved_tensors
        if state.enabled:
            return differentiable_backward(
                lambda x, w, b: _layer_norm_composed(x, w, b, ndims, eps), (x, weight, bias), (g,)
            ) + (None, None)
        g_arr, xhat = widened(g._data), ctx.xhat
        axes = tuple(range(x.ndim - ndims, x.ndim))
        lead = tuple(range(x.ndim - ndims))
        grad_x = grad_w = grad_b = None
        if ctx.needs_input_grad[0]:
            g_xhat = g_arr * weight._data if weight is not None else g_arr
            grad_x = ctx.invstd * (
                g_xhat - g_xhat.mean(axis=axes, keepdims=True) - xhat * (g_xhat * xhat).mean(axis=axes, keepdims=True)
            )
            grad_x = grad_x.astype(x._data.dtype, copy=False)
        if weight is not None and ctx.needs_input_grad[1]:
            grad_w = (g_arr * xhat).sum(axis=lead)
        if bias is not None and ctx.needs_input_grad[2]:
            grad_b = g_arr.sum(axis=lead)
        return _wrap(grad_x), _wrap(grad_w), _wrap(grad_b), None, None


def _layer_norm_composed(x, weight, bias, ndims, eps):
    axes = tuple(range(x.dim() - ndims, x.dim()))
    centred = x - x.mean(axes, keepdim=True)
    y = centred * (centred.square().mean(axes, keepdim=True) + eps).rsqrt()
    if weight is not None:
        y = y * weight
    return y + bias if bias is not None else y


def _normalized_shape(normalized_shape):
    return (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)


def _check_normalized_shape(op, input, shape):
    if tuple(input.shape[input.dim() - len(shape) :]) != shape or input.dim() < len(shape):
        raise RuntimeError(
            f"{op}: Given normalized_shape={list(shape)}, expected input with shape "
            f"[*, {', '.join(map(str, shape))}], but got input of size{list(input.shape)}"
        )


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-05):
    input, weight, bias = full_precision_on_cuda(input, weight, bias)
    shape = _normalized_shape(normalized_shape)
    _check_normalized_shape("layer_norm", input, shape)
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != shape:
            raise RuntimeError(f"layer_norm: expected {name} of shape {list(shape)}, got {list(t.shape)}")
    return LayerNorm.apply(input, weight, bias, len(shape), eps)


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-05):
    if input.dim() < 2:
        raise RuntimeError(f"group_norm: Expected at least 2 dimensions for input tensor but received {input.dim()}")
    c = input.shape[1]
    if c % num_groups:
        raise RuntimeError(
            f"Expected number of channels in input to be divisible by num_groups, but got input "
            f"of shape {list(input.shape)} and num_groups={num_groups}"
        )
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != (c,):
            raise RuntimeError(
                f"group_norm: Expected {name} to be a vector of size equal to the number of channels "
                f"in input, but got {name} of shape {list(t.shape)} and input of shape "
                f"{list(input.shape)}"
            )
    return GroupNorm.apply(input, weight, bias, num_groups, eps)


class GroupNorm(Op):
    """Normalise each of `groups` channel groups per sample, then the per-channel affine."""

    _node_name = "NativeGroupNormBackward0"
    inputs = (0, 1, 2)

    @staticmethod
    def forward(ctx, x, weight, bias, groups, eps):
        xp = array_module(x)
        x_in, x = x, widened(x)  # float16/bfloat16 normalise in float32, as torch's CPU kernels
        grouped = x.reshape(x.shape[0], groups, -1)
        centred = grouped - grouped.mean(axis=-1, keepdims=True)
        invstd = (1.0 / xp.sqrt(xp.square(centred).mean(axis=-1, keepdims=True) + eps)).astype(x.dtype, copy=False)
        xhat = (centred * invstd).reshape(x.shape)
        view = _channel_view(x.ndim)
        y = xhat * view(weight) if weight is not None else xhat.copy()
        if bias is not None:
            y += view(bias)
        if ctx._record:
            ctx.args = (groups, eps)
            ctx.xhat, ctx.invstd = xhat, invstd
            ctx.save_for_backward(x_in, weight, bias)
        return y.astype(x_in.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        groups, eps = ctx.args
        x, weight, bias = ctx.saved_tensors
        if state.enabled:
            return differentiable_backward(
                lambda x, w, b: _group_norm_composed(x, w, b, groups, eps), (x, weight, bias), (g,)
            ) + (None, None)
        g_arr, xhat = widened(g._data), ctx.xhat
        grad_x = grad_w = grad_b = None
        if ctx.needs_input_grad[0]:
            g_xhat = g_arr * _channel_view(g_arr.ndim)(weight._data) if weight is not None else g_arr
            n = g_arr.shape[0]
            g_xhat, xhat_g = g_xhat.reshape(n, groups, -1), xhat.reshape(n, groups, -1)
            grad_x = ctx.invstd * (
                g_xhat - g_xhat.mean(axis=-1, keepdims=True) - xhat_g * (g_xhat * xhat_g).mean(axis=-1, keepdims=True)
            )
            grad_x = grad_x.reshape(g_arr.shape).astype(x._data.dtype, copy=False)
        if weight is not None and ctx.needs_input_grad[1]:
            grad_w = _channel_dot(g_arr, xhat)
        if bias is not None and ctx.needs_input_grad[2]:
            grad_b = _channel_sum(g_arr)
        return _wrap(grad_x), _wrap(grad_w), _wrap(grad_b), None, None


def _group_norm_composed(x, weight, bias, groups, eps):
    y = _layer_norm_composed(x.reshape(x.shape[0], groups, -1), None, None, 1, eps).reshape(x.shape)
    view = _channel_view(x.dim())
    if weight is not None:
        y = y * view(weight)
    return y + view(bias) if bias is not None else y


def rms_norm(input, normalized_shape, weight=None, eps=None):
    shape = _normalized_shape(normalized_shape)
    _check_normalized_shape("rms_norm", input, shape)
    if eps is None:
        eps = float(np.finfo(input._data.dtype).eps)
    axes = tuple(range(input.dim() - len(shape), input.dim()))
    y = input * AddScalar.apply(input.pow(2).mean(axes, keepdim=True), eps).rsqrt()
    return y * weight if weight is not None else y


def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    """Divide by (k + alpha * mean of squares over a window of `size` neighbouring channels) ** beta, composed
    as torch's (a zero-padded average pool over the channel axis)."""
    from .padding import pad
    from .pool import avg_pool2d, avg_pool3d

    dim = input.dim()
    if dim < 3:
        raise ValueError(f"Expected 3D or higher dimensionality input (got {dim} dimensions)")
    if input.numel() == 0:
        return input
    div = input.mul(input)
    if dim == 3:
        div = pad(div.unsqueeze(1), (0, 0, size // 2, (size - 1) // 2))
        div = avg_pool2d(div, (size, 1), stride=1).squeeze(1)
    else:
        sizes = tuple(input.shape)
        div = div.view(sizes[0], 1, sizes[1], sizes[2], -1)
        div = pad(div, (0, 0, 0, 0, size // 2, (size - 1) // 2))
        div = avg_pool3d(div, (size, 1, 1), stride=1).squeeze(1).view(sizes)
    return input / div.mul(alpha).add(k).pow(beta)
