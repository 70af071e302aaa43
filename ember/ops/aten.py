"""torch.* spellings of nn.functional's ops, with ATen's signatures (torch.batch_norm(input, weight, bias,
running_mean, running_var, training, momentum, eps, cudnn_enabled), reductions as ints, interpolation modes as
ints, ...): each is the nn.functional op with its arguments rearranged."""

from . import pool, norm, dropout, loss, conv, sparse
from ._registry import torch_api

_REDUCTIONS = ("none", "mean", "sum")  # ATen's Reduction enum
_INTERPOLATION = ("bilinear", "nearest", "bicubic")
_PADDING = ("zeros", "border", "reflection")


def _reduction(value):
    if value not in (0, 1, 2):
        raise ValueError(f"{value} is not a valid value for reduction (0: none, 1: mean, 2: sum)")
    return _REDUCTIONS[value]


def _stride(stride):
    """ATen's empty stride list: the kernel size."""
    return None if stride is None or (isinstance(stride, (list, tuple)) and not len(stride)) else stride


# --- pools -----------------------------------------------------------------------------------------------


@torch_api(method=False)
def adaptive_avg_pool1d(input, output_size):
    return pool.adaptive_avg_pool1d(input, output_size)


@torch_api(method=False)
def adaptive_max_pool1d(input, output_size):
    return pool.adaptive_max_pool1d(input, output_size, return_indices=True)


@torch_api(method=False)
def avg_pool1d(input, kernel_size, stride=(), padding=0, ceil_mode=False, count_include_pad=True):
    return pool.avg_pool1d(input, kernel_size, _stride(stride), padding, ceil_mode, count_include_pad)


def _max_pool(nd, with_indices=False):
    pooled = {1: pool.max_pool1d, 2: pool.max_pool2d, 3: pool.max_pool3d}[nd]

    def fn(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False):
        return pooled(input, kernel_size, _stride(stride), padding, dilation, ceil_mode, return_indices=with_indices)

    fn.__name__ = f"max_pool{nd}d" + ("_with_indices" if with_indices else "")
    return torch_api(fn.__name__, method=False)(fn)


max_pool1d, max_pool2d, max_pool3d = (_max_pool(n) for n in (1, 2, 3))
max_pool1d_with_indices = _max_pool(1, True)


# --- normalization ---------------------------------------------------------------------------------------


@torch_api(method=False)
def batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps, cudnn_enabled):
    return norm.batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)


@torch_api(method=False)
def instance_norm(input, weight, bias, running_mean, running_var, use_input_stats, momentum, eps, cudnn_enabled):
    return norm.instance_norm(input, running_mean, running_var, weight, bias, use_input_stats, momentum, eps)


@torch_api(method=False)
def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-05, cudnn_enable=True):
    return norm.layer_norm(input, normalized_shape, weight, bias, eps)


@torch_api(method=False)
def group_norm(input, num_groups, weight=None, bias=None, eps=1e-05, cudnn_enabled=True):
    return norm.group_norm(input, num_groups, weight, bias, eps)


@torch_api(method=False)
def rms_norm(input, normalized_shape, weight=None, eps=None):
    return norm.rms_norm(input, normalized_shape, weight, eps)


@torch_api(method=False)
def native_batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps):
    """(output, saved mean, saved inverse std) as ATen's (the statistics are outputs with gradients, as there): the
    batch statistics in training, empty otherwise."""
    out = norm.batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)
    if not training:
        empty = input.new_empty(0)
        return out, empty, empty
    dims = [0] + list(range(2, input.dim()))
    return out, input.mean(dims), (input.var(dims, unbiased=False) + eps).rsqrt()


@torch_api(method=False)
def native_layer_norm(input, normalized_shape, weight, bias, eps):
    dims = list(range(input.dim() - len(normalized_shape), input.dim()))
    return (
        norm.layer_norm(input, normalized_shape, weight, bias, eps),
        input.mean(dims, keepdim=True),
        (input.var(dims, unbiased=False, keepdim=True) + eps).rsqrt(),
    )


@torch_api(method=False)
def native_group_norm(input, weight, bias, N, C, HxW, group, eps):
    if input.numel() != N * C * HxW:
        raise RuntimeError(
            f"Expected the input of {N} x {C} x {HxW} elements for native_group_norm, got shape {list(input.shape)}"
        )
    x = input.reshape(N, group, -1)
    return (norm.group_norm(input, group, weight, bias, eps), x.mean(-1), (x.var(-1, unbiased=False) + eps).rsqrt())


# --- dropout ---------------------------------------------------------------------------------------------


@torch_api(method=False)
def native_dropout(input, p, train):
    """(output, mask) as ATen's: the mask is True where an element was kept."""
    if not train:
        from .creation import ones_like
        from .. import _dtype

        return input.clone(), ones_like(input, dtype=_dtype.bool)
    out = dropout.dropout(input, p, True)
    return out, out != 0 if p < 1 else out != out


def _dropout_variant(name, drop, inplace):
    def fn(input, p, train):
        return drop(input, p, train, inplace)

    fn.__name__ = name
    return torch_api(name, method=False)(fn)


_dropout_variant("dropout", dropout.dropout, False)
_dropout_variant("alpha_dropout", dropout.alpha_dropout, False)
_dropout_variant("feature_alpha_dropout", dropout.feature_alpha_dropout, False)
_dropout_variant("dropout_", dropout.dropout, True)
_dropout_variant("alpha_dropout_", dropout.alpha_dropout, True)
_dropout_variant("feature_alpha_dropout_", dropout.feature_alpha_dropout, True)


def _feature_dropout(input, p, training=True, inplace=False):
    """Whole channels dropped: (N, C, ...) inputs, as ATen's feature_dropout."""
    from .dropout import _channel_mask_shape, _drop

    return _drop(input, p, training, inplace, _channel_mask_shape(input, input.dim(), "feature_dropout"), alpha=False)


_dropout_variant("feature_dropout", _feature_dropout, False)
_dropout_variant("feature_dropout_", _feature_dropout, True)


# --- losses ----------------------------------------------------------------------------------------------


@torch_api(method=False)
def binary_cross_entropy_with_logits(input, target, weight=None, pos_weight=None, reduction=1):
    return loss.binary_cross_entropy_with_logits(
        input, target, weight, reduction=_reduction(reduction), pos_weight=pos_weight
    )


@torch_api(method=False)
def kl_div(input, target, reduction=1, *, log_target=False):
    return loss.kl_div(input, target, reduction=_reduction(reduction), log_target=log_target)


@torch_api(method=False)
def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction=1, zero_infinity=False):
    return loss.ctc_loss(log_probs, targets, input_lengths, target_lengths, blank, _reduction(reduction), zero_infinity)


# --- others ----------------------------------------------------------------------------------------------


@torch_api(method=False)
def bilinear(input1, input2, weight, bias=None):
    from .linear import bilinear as _bilinear

    return _bilinear(input1, input2, weight, bias)


@torch_api(method=False)
def constant_pad_nd(input, pad, value=0):
    from ..nn.functional import pad as _pad

    return _pad(input, tuple(pad), mode="constant", value=value)


@torch_api(method=False)
def convolution(input, weight, bias, stride, padding, dilation, transposed, output_padding, groups):
    nd = input.dim() - 2
    if transposed:
        fn = {1: conv.conv_transpose1d, 2: conv.conv_transpose2d, 3: conv.conv_transpose3d}[nd]
        return fn(input, weight, bias, stride, padding, output_padding, groups, dilation)
    fn = {1: conv.conv1d, 2: conv.conv2d, 3: conv.conv3d}[nd]
    return fn(input, weight, bias, stride, padding, dilation, groups)


@torch_api(method=False)
def embedding(weight, indices, padding_idx=-1, scale_grad_by_freq=False, sparse=False):
    """ATen's embedding (weight first; padding_idx -1 for none); sparse=True makes torch's gradient a sparse
    tensor, ember's has the same values, dense."""
    from .sparse import embedding as _embedding

    return _embedding(indices, weight, None if padding_idx < 0 else padding_idx, scale_grad_by_freq=scale_grad_by_freq)


@torch_api(method=False)
def embedding_renorm_(input, indices, max_norm, norm_type):
    """Rescale, in place, the rows of `input` named in `indices` whose norm exceeds max_norm."""
    from ..autograd.grad_mode import no_grad

    with no_grad():
        sparse._renorm_rows(input, indices._data, max_norm, norm_type)
    input._version_counter[0] += 1
    return input


@torch_api(method=False)
def grid_sampler(input, grid, interpolation_mode, padding_mode, align_corners):
    from ..nn.functional import grid_sample

    return grid_sample(
        input,
        grid,
        mode=_INTERPOLATION[interpolation_mode],
        padding_mode=_PADDING[padding_mode],
        align_corners=align_corners,
    )


torch_api("grid_sampler_2d", method=False)(grid_sampler)
torch_api("grid_sampler_3d", method=False)(grid_sampler)


@torch_api(method=False)
def affine_grid_generator(theta, size, align_corners):
    from ..nn.functional import affine_grid

    return affine_grid(theta, list(size), align_corners=align_corners)


# --- one step of a recurrent cell (as nn.RNNCell/LSTMCell/GRUCell compute it) -------------------------------


def _linear(x, w, b):
    out = x.matmul(w.t())
    return out if b is None else out + b


@torch_api(method=False)
def lstm_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    h, c = hx
    gates = _linear(input, w_ih, b_ih) + _linear(h, w_hh, b_hh)
    i, f, g, o = gates.chunk(4, -1)
    c_next = f.sigmoid() * c + i.sigmoid() * g.tanh()
    return o.sigmoid() * c_next.tanh(), c_next


@torch_api(method=False)
def gru_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    r_i, z_i, n_i = _linear(input, w_ih, b_ih).chunk(3, -1)
    r_h, z_h, n_h = _linear(hx, w_hh, b_hh).chunk(3, -1)
    r, z = (r_i + r_h).sigmoid(), (z_i + z_h).sigmoid()
    n = (n_i + r * n_h).tanh()
    return (1 - z) * n + z * hx


@torch_api(method=False)
def rnn_tanh_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    return (_linear(input, w_ih, b_ih) + _linear(hx, w_hh, b_hh)).tanh()


@torch_api(method=False)
def rnn_relu_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    return (_linear(input, w_ih, b_ih) + _linear(hx, w_hh, b_hh)).relu()
