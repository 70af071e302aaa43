"""Attention (part of nn.functional): scaled_dot_product_attention and multi_head_attention_forward.

scaled_dot_product_attention is one node where torch's CPU dispatch picks its flash kernel (4-d inputs, no
dropout, a constant mask), else a composition of matmul/softmax/masking following torch's math reference;
multi_head_attention_forward follows torch's Python function step by step, so the numbers (fully masked rows
included) and the graph's nodes agree.
"""

import math
import warnings

import numpy as np

from .. import _dtype
from .._backend import array_module
from ..autograd.function import Op
from ..autograd.grad_mode import state
from .creation import ones, zeros
from .linalg import baddbmm, bmm, matmul
from .linear import linear
from .reduce import softmax
from .shape import cat
from .._tensor import Tensor

__all__ = ["scaled_dot_product_attention", "multi_head_attention_forward"]


def _dropout(input, p):
    from .dropout import dropout

    return dropout(input, p, True)


def _safe_softmax(scores):
    """softmax over the last dim where a row with every score -inf gives zeros (torch's SDPA), not NaN."""
    dead = np.isneginf(scores._data).all(axis=-1, keepdims=True)
    if not dead.any():
        return softmax(scores, -1)
    dead = Tensor._make(dead)
    # fill the dead rows with 0 first so that neither the softmax nor its gradient produces NaN
    return softmax(scores.masked_fill(dead, 0.0), -1).masked_fill(dead, 0.0)


def _safe_softmax_array(scores):
    xp = array_module(scores)
    top = scores.max(axis=-1, keepdims=True)
    dead = xp.isneginf(top)
    with np.errstate(invalid="ignore", over="ignore"):
        e = xp.exp(scores - xp.where(dead, 0, top))
        return xp.where(dead, 0, e / e.sum(axis=-1, keepdims=True)).astype(scores.dtype, copy=False)


class FlashAttention(Op):
    """softmax(q k^T * scale + mask) v in one node, as torch's CPU flash-attention kernel records it (a row with
    every key masked gives zeros); the mask is a constant float array (or None)."""

    _node_name = "ScaledDotProductFlashAttentionForCpuBackward0"
    inputs = (0, 1, 2)

    @staticmethod
    def forward(ctx, q, k, v, mask, scale):
        xp = array_module(q)
        scores = xp.matmul(q, xp.swapaxes(k, -1, -2)) * q.dtype.type(scale)
        if mask is not None:
            scores = scores + mask
        weights = _safe_softmax_array(scores)
        ctx.mask, ctx.scale = mask, scale
        ctx.save_for_backward(q, k, v, weights)
        return _laid_out_like(xp.matmul(weights, v), q)

    @staticmethod
    def backward(ctx, g):
        q, k, v, weights = ctx.saved_tensors
        if state.enabled:  # a graph of the backward: the weights as a function of q and k
            scores = matmul(q, k.transpose(-2, -1)) * ctx.scale
            if ctx.mask is not None:
                scores = scores + _tensor(ctx.mask)
            weights = _safe_softmax(scores)
        gv = matmul(weights.transpose(-2, -1), g)
        gw = matmul(g, v.transpose(-2, -1))
        gs = weights * (gw - (gw * weights).sum(-1, keepdim=True)) * ctx.scale
        return matmul(gs, k), matmul(gs.transpose(-2, -1), q), gv, None, None


def _laid_out_like(out, like):
    """`out` in the memory layout of `like` (its axes in the same stride order), as torch's kernel writes its
    output in the query's layout: what a later permute + view of torch's output can view, ember's can."""
    order = sorted(range(like.ndim), key=lambda i: -like.strides[i])
    if order == list(range(like.ndim)):
        return out
    buffer = array_module(out).empty([out.shape[i] for i in order], out.dtype)
    laid = buffer.transpose(np.argsort(order))
    laid[...] = out
    return laid


def _tensor(array):
    return Tensor._make(array)


def _flash_mask(attn_mask, is_causal, length, source, dtype, xp):
    """The mask as the additive float array the fused node adds to the scores (None: no mask)."""
    if is_causal:
        return xp.where(xp.tril(xp.ones((length, source), bool)), 0, -np.inf).astype(dtype)
    if attn_mask is None:
        return None
    if attn_mask.dtype is _dtype.bool:
        return xp.where(attn_mask._data, 0, -np.inf).astype(dtype)
    return attn_mask._data.astype(dtype, copy=False)


def scaled_dot_product_attention(
    query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None, enable_gqa=False
):
    """softmax(Q K^T * scale + mask) V over the last two dims; a bool mask is True where attending is allowed."""
    if query.dim() < 2 or key.dim() < 2 or value.dim() < 2:
        raise RuntimeError(
            f"scaled_dot_product_attention: expected query, key and value with at least 2 dims "
            f"(..., L, E), got shapes {list(query.shape)}, {list(key.shape)}, {list(value.shape)}"
        )
    if query.shape[-1] != key.shape[-1] or key.shape[-2] != value.shape[-2]:
        raise RuntimeError(
            f"scaled_dot_product_attention: query (..., L, E) and key (..., S, E) must share E, and "
            f"key and value must share S; got shapes {list(query.shape)}, {list(key.shape)}, "
            f"{list(value.shape)}"
        )
    if is_causal and attn_mask is not None:
        raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be set when is_causal=True")
    if enable_gqa and query.dim() >= 3 and key.shape[-3] != query.shape[-3]:
        groups = query.shape[-3] // key.shape[-3]
        key = key.repeat_interleave(groups, -3)
        value = value.repeat_interleave(groups, -3)
    length, source = query.shape[-2], key.shape[-2]
    scale_factor = 1 / math.sqrt(query.shape[-1]) if scale is None else scale
    # torch's CPU dispatch: the flash kernel for 4-d inputs of one batch shape, without dropout or a mask that
    # requires grad
    if (
        query.dim() == key.dim() == value.dim() == 4
        and dropout_p == 0.0
        and tuple(query.shape[:2]) == tuple(key.shape[:2]) == tuple(value.shape[:2])
        and (attn_mask is None or not attn_mask.requires_grad)
    ):
        mask = _flash_mask(attn_mask, is_causal, length, source, query._data.dtype, array_module(query._data))
        return FlashAttention.apply(query, key, value, mask, scale_factor)
    scores = matmul(query, key.transpose(-2, -1)) * scale_factor
    if is_causal:
        attn_mask = ones(length, source, dtype=_dtype.bool, device=query.device).tril()
    if attn_mask is not None:
        if attn_mask.dtype is _dtype.bool:
            scores = scores.masked_fill(attn_mask.logical_not(), float("-inf"))
        else:
            scores = scores + attn_mask
    weights = _safe_softmax(scores)
    if dropout_p > 0.0:
        weights = _dropout(weights, dropout_p)
    return matmul(weights, value)


# --------------------------------------------------------------------------------------------
# multi-head attention (torch.nn.functional.multi_head_attention_forward)


def _canonical_mask(mask, name, other_type, other_name, target_type, check_other=True):
    """bool masks (True = masked out) become float masks with -inf; float masks pass through."""
    if mask is None:
        return None
    if mask.dtype is not _dtype.bool and not mask.is_floating_point():
        raise AssertionError(f"only bool and floating types of {name} are supported")
    if check_other and other_type is not None and mask.dtype is not other_type:
        warnings.warn(
            f"Support for mismatched {name} and {other_name} is deprecated. Use same type for both instead.",
            stacklevel=3,
        )
    if mask.dtype is _dtype.bool:
        return zeros(mask.shape, dtype=target_type, device=mask.device).masked_fill(mask, float("-inf"))
    return mask


def _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads):
    if query.dim() == 3:
        if key.dim() != 3 or value.dim() != 3:
            raise AssertionError(
                f"For batched (3-D) `query`, expected `key` and `value` to be 3-D but found "
                f"{key.dim()}-D and {value.dim()}-D tensors respectively"
            )
        if key_padding_mask is not None and key_padding_mask.dim() != 2:
            raise AssertionError(
                f"For batched (3-D) `query`, expected `key_padding_mask` to be `None` or 2-D but "
                f"found {key_padding_mask.dim()}-D tensor instead"
            )
        if attn_mask is not None and attn_mask.dim() not in (2, 3):
            raise AssertionError(
                f"For batched (3-D) `query`, expected `attn_mask` to be `None`, 2-D or 3-D but "
                f"found {attn_mask.dim()}-D tensor instead"
            )
        return True
    if query.dim() == 2:
        if key.dim() != 2 or value.dim() != 2:
            raise AssertionError(
                f"For unbatched (2-D) `query`, expected `key` and `value` to be 2-D but found "
                f"{key.dim()}-D and {value.dim()}-D tensors respectively"
            )
        if key_padding_mask is not None and key_padding_mask.dim() != 1:
            raise AssertionError(
                f"For unbatched (2-D) `query`, expected `key_padding_mask` to be `None` or 1-D but "
                f"found {key_padding_mask.dim()}-D tensor instead"
            )
        if attn_mask is not None:
            if attn_mask.dim() not in (2, 3):
                raise AssertionError(
                    f"For unbatched (2-D) `query`, expected `attn_mask` to be `None`, 2-D or 3-D "
                    f"but found {attn_mask.dim()}-D tensor instead"
                )
            if attn_mask.dim() == 3:
                expected = (num_heads, query.shape[0], key.shape[0])
                if tuple(attn_mask.shape) != expected:
                    raise AssertionError(f"Expected `attn_mask` shape to be {expected} but got {attn_mask.shape}")
        return False
    raise AssertionError(f"query should be unbatched 2D or batched 3D tensor but received {query.dim()}-D query tensor")


def _pad_last(mask):
    """Append one column of zeros (an always-allowed key for bias_k/bias_v or the zero-attention slot)."""
    from .padding import pad

    return pad(mask, (0, 1))


def _in_projection_packed(q, k, v, w, b):
    """torch's: one linear for self-attention (split in torch's layout), the q / kv halves for encoder-decoder
    attention, three linears otherwise."""
    E = q.shape[-1]
    if k is v:
        if q is k:
            proj = linear(q, w, b).unflatten(-1, (3, E)).unsqueeze(0).transpose(0, -2).squeeze(-2).contiguous()
            return proj[0], proj[1], proj[2]
        w_q, w_kv = w.split([E, E * 2])
        b_q, b_kv = (None, None) if b is None else b.split([E, E * 2])
        kv = linear(k, w_kv, b_kv).unflatten(-1, (2, E)).unsqueeze(0).transpose(0, -2).squeeze(-2).contiguous()
        return linear(q, w_q, b_q), kv[0], kv[1]
    w_q, w_k, w_v = w.chunk(3)
    b_q, b_k, b_v = (None, None, None) if b is None else b.chunk(3)
    return linear(q, w_q, b_q), linear(k, w_k, b_k), linear(v, w_v, b_v)


def multi_head_attention_forward(
    query,
    key,
    value,
    embed_dim_to_check,
    num_heads,
    in_proj_weight,
    in_proj_bias,
    bias_k,
    bias_v,
    add_zero_attn,
    dropout_p,
    out_proj_weight,
    out_proj_bias,
    training=True,
    key_padding_mask=None,
    need_weights=True,
    attn_mask=None,
    use_separate_proj_weight=False,
    q_proj_weight=None,
    k_proj_weight=None,
    v_proj_weight=None,
    static_k=None,
    static_v=None,
    average_attn_weights=True,
    is_causal=False,
):
    """Inputs (L, N, E) (or unbatched (L, E)); returns (output, weights or None) as torch."""
    if static_k is not None or static_v is not None:
        raise NotImplementedError("multi_head_attention_forward: static_k/static_v are not supported by ember yet")
    batched = _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads)
    if not batched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    tgt_len, bsz, embed_dim = query.shape
    src_len = key.shape[0]
    key_padding_mask = _canonical_mask(
        key_padding_mask, "key_padding_mask", None if attn_mask is None else attn_mask.dtype, "attn_mask", query.dtype
    )
    if is_causal and attn_mask is None:
        raise RuntimeError(
            "Need attn_mask if specifying the is_causal hint. You may use the Transformer module "
            "method `generate_square_subsequent_mask` to create this mask."
        )
    if is_causal and key_padding_mask is None and not need_weights:
        attn_mask = None  # the causal flag alone says it
    else:
        attn_mask = _canonical_mask(attn_mask, "attn_mask", None, "", query.dtype, check_other=False)
        if key_padding_mask is not None:
            is_causal = False
    if embed_dim != embed_dim_to_check:
        raise AssertionError(f"was expecting embedding dimension of {embed_dim_to_check}, but got {embed_dim}")
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise AssertionError(f"embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    if use_separate_proj_weight:
        if tuple(key.shape[:2]) != tuple(value.shape[:2]):
            raise AssertionError(
                f"key's sequence and batch dims {key.shape[:2]} do not match value's {value.shape[:2]}"
            )
        b_q, b_k, b_v = (None, None, None) if in_proj_bias is None else in_proj_bias.chunk(3)
        q, k, v = linear(query, q_proj_weight, b_q), linear(key, k_proj_weight, b_k), linear(value, v_proj_weight, b_v)
    else:
        if tuple(key.shape) != tuple(value.shape):
            raise AssertionError(f"key shape {key.shape} does not match value shape {value.shape}")
        q, k, v = _in_projection_packed(query, key, value, in_proj_weight, in_proj_bias)

    if attn_mask is not None:
        if attn_mask.dim() == 2:
            if tuple(attn_mask.shape) != (tgt_len, src_len):
                raise RuntimeError(
                    f"The shape of the 2D attn_mask is {attn_mask.shape}, but should be {(tgt_len, src_len)}."
                )
            attn_mask = attn_mask.unsqueeze(0)
        elif tuple(attn_mask.shape) != (bsz * num_heads, tgt_len, src_len):
            raise RuntimeError(
                f"The shape of the 3D attn_mask is {attn_mask.shape}, but should be "
                f"{(bsz * num_heads, tgt_len, src_len)}."
            )
    if bias_k is not None and bias_v is not None:
        k = cat([k, bias_k.repeat(1, bsz, 1)])
        v = cat([v, bias_v.repeat(1, bsz, 1)])
        attn_mask = _pad_last(attn_mask) if attn_mask is not None else None
        key_padding_mask = _pad_last(key_padding_mask) if key_padding_mask is not None else None

    q = q.view(tgt_len, bsz * num_heads, head_dim).transpose(0, 1)
    k = k.view(k.shape[0], bsz * num_heads, head_dim).transpose(0, 1)
    v = v.view(v.shape[0], bsz * num_heads, head_dim).transpose(0, 1)
    if add_zero_attn:
        k = cat([k, zeros((bsz * num_heads, 1, head_dim), dtype=k.dtype, device=k.device)], 1)
        v = cat([v, zeros((bsz * num_heads, 1, head_dim), dtype=v.dtype, device=v.device)], 1)
        attn_mask = _pad_last(attn_mask) if attn_mask is not None else None
        key_padding_mask = _pad_last(key_padding_mask) if key_padding_mask is not None else None
    src_len = k.shape[1]
    if key_padding_mask is not None:
        if tuple(key_padding_mask.shape) != (bsz, src_len):
            raise AssertionError(
                f"expecting key_padding_mask shape of {(bsz, src_len)}, but got {key_padding_mask.shape}"
            )
        key_padding_mask = (
            key_padding_mask.view(bsz, 1, 1, src_len).expand(-1, num_heads, -1, -1).reshape(bsz * num_heads, 1, src_len)
        )
        attn_mask = key_padding_mask if attn_mask is None else attn_mask + key_padding_mask
    if not training:
        dropout_p = 0.0

    if need_weights:
        q_scaled = q * math.sqrt(1.0 / float(q.shape[-1]))
        if is_causal and attn_mask is None:
            raise AssertionError("FIXME: is_causal not implemented for need_weights")
        if attn_mask is not None:
            weights = baddbmm(attn_mask, q_scaled, k.transpose(-2, -1))
        else:
            weights = bmm(q_scaled, k.transpose(-2, -1))
        weights = softmax(weights, -1)
        if dropout_p > 0.0:
            weights = _dropout(weights, dropout_p)
        out = bmm(weights, v).transpose(0, 1).reshape(tgt_len * bsz, embed_dim)
        out = linear(out, out_proj_weight, out_proj_bias)
        out = out.view(tgt_len, bsz, out.shape[1])
        weights = weights.view(bsz, num_heads, tgt_len, src_len)
        if average_attn_weights:
            weights = weights.mean(1)
        if not batched:
            out, weights = out.squeeze(1), weights.squeeze(0)
        return out, weights

    if attn_mask is not None:
        attn_mask = (
            attn_mask.unsqueeze(0)
            if attn_mask.shape[0] == 1 and attn_mask.dim() == 3
            else attn_mask.view(bsz, num_heads, -1, src_len)
        )
    q = q.view(bsz, num_heads, tgt_len, head_dim)
    k = k.view(bsz, num_heads, src_len, head_dim)
    v = v.view(bsz, num_heads, src_len, head_dim)
    out = scaled_dot_product_attention(q, k, v, attn_mask, dropout_p, is_causal)
    out = out.permute(2, 0, 1, 3).reshape(bsz * tgt_len, embed_dim)
    out = linear(out, out_proj_weight, out_proj_bias)
    out = out.view(tgt_len, bsz, out.shape[1])
    if not batched:
        out = out.squeeze(1)
    return out, None
