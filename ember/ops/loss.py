"""Loss functions (nn.functional): forward and backward together.

Cross-entropy with class indices is one fused op whose backward is `softmax - target distribution`
(one pass, no log_softmax backward); NLL, binary cross-entropy and BCE-with-logits have their own
backward to carry torch's formulas (eps clamps, stable sigmoid). The rest are compositions written
as torch's ATen composes them, so values and subgradients agree.
"""
import math
import warnings

import numpy as np

from .._backend import array_module
from .._tensor import Tensor
from ..autograd.function import Op
from ..autograd.grad_mode import state
from ..amp.autocast_mode import full_precision
from ._registry import torch_api
from .elementwise import broadcast_error, where
from .reduce import accumulation_dtype, log_softmax, widened
from .activation import logsigmoid
from .distance import pairwise_distance

__all__ = ["l1_loss", "mse_loss", "smooth_l1_loss", "huber_loss", "cross_entropy", "nll_loss",
           "binary_cross_entropy", "binary_cross_entropy_with_logits", "kl_div", "cosine_embedding_loss",
           "margin_ranking_loss", "triplet_margin_loss", "triplet_margin_with_distance_loss",
           "hinge_embedding_loss", "soft_margin_loss", "multilabel_soft_margin_loss", "poisson_nll_loss",
           "gaussian_nll_loss"]

_REDUCTIONS = ("none", "mean", "sum")


# ---- reductions --------------------------------------------------------------------------------------

def legacy_reduction(size_average, reduce):
    """torch's _Reduction.legacy_get_string: the deprecated size_average/reduce pair as a reduction."""
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    if not reduce:
        return "none"
    return "mean" if size_average else "sum"


def _reduction(reduction, size_average=None, reduce=None, allowed=_REDUCTIONS):
    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce)
    if reduction not in allowed:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return reduction


def _reduce(loss, reduction):
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _broadcast_pair(name, input, target):
    if tuple(target.shape) != tuple(input.shape):
        warnings.warn(f"Using a target size ({target.shape}) that is different to the input size ({input.shape}). "
                      "This will likely lead to incorrect results due to broadcasting. Please ensure they have "
                      "the same size.", stacklevel=3)
        error = broadcast_error(f"{name}: input and target", tuple(input.shape), tuple(target.shape),
                                shape_text=lambda s: str(tuple(s)))
        if error is not None:
            raise error
        shape = np.broadcast_shapes(tuple(input.shape), tuple(target.shape))
        return input.expand(*shape), target.expand(*shape)
    return input, target


def _check_broadcastable(name, **tensors):
    """The loss's own name and every operand's shape, instead of the failing inner op's (sub, mul)."""
    shapes = ", ".join(f"{k} of shape {tuple(t.shape)}" for k, t in tensors.items())
    error = broadcast_error(name, *(tuple(t.shape) for t in tensors.values()),
                            context=f"{name}: the sizes of the tensors must match (or broadcast), got {shapes}")
    if error is not None:
        raise error


def _as_float_target(target, input):
    return target.to(input.dtype) if target.dtype is not input.dtype else target


# ---- regression losses ---------------------------------------------------------------------------------

def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    reduction = _reduction(reduction, size_average, reduce)
    input, target, weight = full_precision(input, target, weight)
    input, target = _broadcast_pair("l1_loss", input, target)
    loss = (input - target).abs()
    return _reduce(loss if weight is None else loss * weight, reduction)


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    reduction = _reduction(reduction, size_average, reduce)
    input, target, weight = full_precision(input, target, weight)
    input, target = _broadcast_pair("mse_loss", input, target)
    diff = input - target
    loss = diff * diff
    return _reduce(loss if weight is None else loss * weight, reduction)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    reduction = _reduction(reduction, size_average, reduce)
    input, target = full_precision(input, target)
    if beta < 0:
        raise RuntimeError(f"smooth_l1_loss does not support negative values for beta (got beta={beta})")
    input, target = _broadcast_pair("smooth_l1_loss", input, target)
    diff = input - target
    if beta == 0:
        return _reduce(diff.abs(), reduction)
    ad = diff.abs()
    return _reduce(where(ad < beta, diff * diff * (0.5 / beta), ad - 0.5 * beta), reduction)


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    reduction = _reduction(reduction)
    input, target, weight = full_precision(input, target, weight)
    if delta <= 0:
        raise RuntimeError(f"huber_loss does not support non-positive values for delta (got delta={delta})")
    input, target = _broadcast_pair("huber_loss", input, target)
    diff = input - target
    ad = diff.abs()
    loss = where(ad < delta, diff * diff * 0.5, (ad - 0.5 * delta) * delta)
    return _reduce(loss if weight is None else loss * weight, reduction)


# ---- classification with class indices -------------------------------------------------------------------

def _dtype_name(t):
    return t.dtype.name.capitalize()


class _ClassTargets:
    """Per-position target, weight and ignore mask of a class-index loss (input (N, C, d1, ...))."""

    def __init__(self, name, input, target, weight, ignore_index):
        if target._data.dtype not in (np.int64, np.uint8):    # torch: "expected ... Long or Byte"
            raise RuntimeError(f"expected target of dtype int64 (class indices) for {name}, got {_dtype_name(target)} "
                               f"target of shape {tuple(target.shape)} for input of shape {tuple(input.shape)} "
                               f"(convert the target with .long(), or pass class probabilities with the "
                               f"input's shape)")
        if input.dim() == 0:
            raise ValueError(f"{name}: expected an input of shape (C,) or (N, C, ...), got a 0-d tensor")
        if input.dim() >= 2 and (target.dim() == 0 or target.shape[0] != input.shape[0]):
            raise ValueError(f"Expected input batch_size ({input.shape[0]}) to match target batch_size "
                             f"({target.shape[0] if target.dim() else 'a 0-d target'}).")
        expected = tuple(input.shape[:1]) + tuple(input.shape[2:]) if input.dim() >= 2 else ()
        if tuple(target.shape) != expected:
            raise RuntimeError(f"{name}: expected target of shape {expected} (input shape {tuple(input.shape)} "
                               f"without its class dimension 1), got {tuple(target.shape)}")
        self.num_classes = C = input.shape[1] if input.dim() >= 2 else input.shape[0]
        if weight is not None and tuple(weight.shape) != (C,):
            raise RuntimeError(f"{name}: weight tensor should be defined either for all {C} classes or no classes "
                               f"but got weight tensor of shape: {list(weight.shape)}")
        xp = array_module(input._data)
        t = target._data.astype(np.int64, copy=False) if input.dim() >= 2 else \
            target._data.reshape(1).astype(np.int64)
        valid = t != ignore_index
        if t.size and valid.any():
            picked = t[valid]
            bad = picked[(picked < 0) | (picked >= C)]
            if bad.size:
                raise IndexError(f"Target {int(bad[0])} is out of bounds ({name} with {C} classes, so targets "
                                 f"must be in [0, {C - 1}] or equal ignore_index={ignore_index}).")
        self.index = xp.where(valid, t, 0)
        # (N, C) scores: index rows directly (take/put_along_axis build their index grids in Python)
        self.rows = xp.arange(len(t)) if input.dim() <= 2 else None
        # float16/bfloat16 losses accumulate in float32, as torch's (a bfloat16 count of targets stops at 256)
        acc_dtype = accumulation_dtype(input._data.dtype)
        self.valid = valid.astype(acc_dtype)
        self.class_weight = None if weight is None else weight._data.astype(acc_dtype, copy=False)
        self.weight = self.valid if weight is None else self.class_weight[self.index] * self.valid

    def gather(self, xp, scores):
        """scores[n, target[n], d...] for every position, as an (N, d1, ...) array."""
        if self.rows is not None:
            return scores[self.rows, self.index]
        return xp.take_along_axis(scores, self.index[:, None], axis=1)[:, 0]

    def onehot_scaled(self, xp, like, scale):
        out = xp.zeros(like.shape, like.dtype)
        if self.rows is not None:
            out[self.rows, self.index] = scale
        else:
            xp.put_along_axis(out, self.index[:, None], scale[:, None], axis=1)
        return out

    def class_weight_row(self, ndim):
        return self.class_weight.reshape((1, -1) + (1,) * (ndim - 2))


def _batched(input):
    return input if input.dim() >= 2 else input.unsqueeze(0)


def _finish_reduction(xp, per_position, denominator, reduction, unbatched, dtype):
    if reduction == "none":
        return (per_position[0] if unbatched else per_position).astype(dtype, copy=False)
    total = per_position.sum()
    if reduction == "sum":
        return xp.asarray(total, dtype)
    with np.errstate(divide="ignore", invalid="ignore"):
        return xp.asarray(total / denominator, dtype)


def _like(g, array):
    """`array` as the kind of value the backward is computing with (a Tensor, or an array in array mode)."""
    return Tensor._make(array) if isinstance(g, Tensor) else array


def _grad_scale(g, ctx):
    """The incoming gradient (a Tensor, or an array in the engine's array mode) as a factor per
    (N, 1, d1, ...) position."""
    if ctx.reduction == "none":
        shape = tuple(g.shape)
        shape = (1,) + shape if ctx.unbatched else shape
        return g.reshape(shape[:1] + (1,) + shape[1:])
    if ctx.reduction == "mean":
        # every target ignored: the loss is 0/0 = nan, but no position has a gradient (torch's zeros)
        return g / ctx.denominator if ctx.denominator else g * 0
    return g


class NllLoss(Op):
    array_backward = True

    @staticmethod
    def forward(ctx, logp, targets, reduction, unbatched):
        xp = array_module(logp)
        ctx.targets, ctx.reduction, ctx.unbatched = targets, reduction, unbatched
        ctx.denominator = targets.weight.sum()
        per_position = -targets.weight * targets.gather(xp, logp)
        return _finish_reduction(xp, per_position, ctx.denominator, reduction, unbatched, logp.dtype)

    @staticmethod
    def backward(ctx, g):
        shape, dtype, xp = ctx._in_meta[0]
        coeff = ctx.targets.onehot_scaled(xp, xp.zeros(shape, dtype), 0 - ctx.targets.weight)  # +0, not -0, where ignored
        return _like(g, coeff) * _grad_scale(g, ctx), None, None, None


class CrossEntropyLoss(Op):
    """log_softmax + NLL (+ label smoothing) fused: loss = -sum_c a[n,c] logp[n,c], grad = A_n softmax - a."""
    array_backward = True

    @staticmethod
    def forward(ctx, x, targets, label_smoothing, reduction, unbatched):
        xp = array_module(x)
        ctx.targets, ctx.eps, ctx.reduction, ctx.unbatched = targets, label_smoothing, reduction, unbatched
        x_in, x = x, widened(x)
        with np.errstate(all="ignore"):
            shifted = x - x.max(axis=1, keepdims=True) if x.size else x
            exp = xp.exp(shifted)
            total = exp.sum(axis=1, keepdims=True)
            logp = shifted - xp.log(total)
        per_position = -targets.weight * targets.gather(xp, logp)
        if label_smoothing > 0:
            C = targets.num_classes
            weighted = logp if targets.class_weight is None else logp * targets.class_weight_row(x.ndim)
            smooth = -weighted.sum(axis=1) * targets.valid
            per_position = (1 - label_smoothing) * per_position + (label_smoothing / C) * smooth
        ctx.denominator = targets.weight.sum()
        ctx.save_for_backward(x_in, (exp / total).astype(x_in.dtype, copy=False))
        return _finish_reduction(xp, per_position, ctx.denominator, reduction, unbatched, x_in.dtype)

    @staticmethod
    def backward(ctx, g):
        x, probs = ctx.saved_tensors
        if state.enabled:       # building a graph of the backward: softmax through ember so it differentiates
            probs = x.softmax(1)
        t, eps = ctx.targets, ctx.eps
        p = probs._data if isinstance(probs, Tensor) else probs
        xp = array_module(p)
        C = t.num_classes
        coeff = t.onehot_scaled(xp, p, (1 - eps) * t.weight)
        row_total = (1 - eps) * t.weight
        if eps > 0:
            class_w = xp.ones((C,), p.dtype) if t.class_weight is None else t.class_weight
            coeff = coeff + (eps / C) * class_w.reshape((1, -1) + (1,) * (coeff.ndim - 2)) \
                * t.valid[:, None]
            row_total = row_total + (eps / C) * class_w.sum() * t.valid
        grad = probs * _like(g, row_total[:, None]) - _like(g, coeff)
        return grad * _grad_scale(g, ctx), None, None, None, None


def _class_index_loss(name, op, input, target, weight, ignore_index, reduction, *extra):
    targets = _ClassTargets(name, input, target, weight, ignore_index)
    return op.apply(_batched(input), targets, *extra, reduction, input.dim() == 1)


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
    reduction = _reduction(reduction, size_average, reduce)
    input, weight = full_precision(input, weight)
    return _class_index_loss("NLLLoss", NllLoss, input, target, weight, ignore_index, reduction)


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
                  reduction="mean", label_smoothing=0.0):
    reduction = _reduction(reduction, size_average, reduce)
    input, target, weight = full_precision(input, target, weight)
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    if not input.is_floating_point():
        raise RuntimeError(f"CrossEntropyLoss: expected a floating-point input (logits), got {_dtype_name(input)}")
    if target.is_floating_point() and tuple(target.shape) == tuple(input.shape):
        return _cross_entropy_probabilities(input, target, weight, ignore_index, reduction, label_smoothing)
    return _class_index_loss("CrossEntropyLoss", CrossEntropyLoss, input, target, weight, ignore_index, reduction,
                             label_smoothing)


def _cross_entropy_probabilities(input, target, weight, ignore_index, reduction, label_smoothing):
    """Soft targets: -sum_c w_c p_c logp_c per position; 'mean' divides by the number of positions."""
    if ignore_index >= 0:
        raise RuntimeError("ignore_index is not supported for floating point target")
    class_dim = 1 if input.dim() >= 2 else 0
    C = input.shape[class_dim]
    logp = log_softmax(input, class_dim)
    if label_smoothing > 0:
        target = target * (1 - label_smoothing) + label_smoothing / C
    terms = logp * target
    if weight is not None:
        terms = terms * weight.reshape((C,) + (1,) * (input.dim() - class_dim - 1))
    return _reduce(-terms.sum(class_dim), reduction)


# ---- binary classification ---------------------------------------------------------------------------------

class BinaryCrossEntropy(Op):
    """-(t log x + (1 - t) log(1 - x)) with logs clamped at -100, and torch's eps in the backward."""

    @staticmethod
    def forward(ctx, x, t):
        xp = array_module(x)
        with np.errstate(divide="ignore"):
            log_x = xp.maximum(xp.log(x), -100)
            log_1mx = xp.maximum(xp.log1p(-x), -100)
        ctx.save_for_backward(x, t)
        return -(t * log_x + (1 - t) * log_1mx)

    @staticmethod
    def backward(ctx, g):
        x, t = ctx.saved_tensors
        gx = gt = None
        if ctx.needs_input_grad[0]:
            gx = g * (x - t) / ((1 - x) * x).clamp(min=1e-12)
        if ctx.needs_input_grad[1]:
            gt = g * ((-x).log1p().clamp(min=-100) - x.log().clamp(min=-100))
        return gx, gt


def _expand_weight(weight, target):
    return None if weight is None else weight.expand(*np.broadcast_shapes(tuple(target.shape), tuple(weight.shape)))


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    reduction = _reduction(reduction, size_average, reduce)
    input, target, weight = full_precision(input, target, weight)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"Using a target size ({target.shape}) that is different to the input size "
                         f"({input.shape}) is deprecated. Please ensure they have the same size.")
    data = input._data
    if data.size and (np.any(data < 0) or np.any(data > 1)):
        raise RuntimeError(f"all elements of input should be between 0 and 1 (binary_cross_entropy got values in "
                           f"[{float(data.min()):.4g}, {float(data.max()):.4g}]; apply sigmoid first, or use "
                           f"binary_cross_entropy_with_logits / BCEWithLogitsLoss on raw scores)")
    loss = BinaryCrossEntropy.apply(input, _as_float_target(target, input))
    weight = _expand_weight(weight, target)
    return _reduce(loss if weight is None else loss * weight, reduction)


class BinaryCrossEntropyWithLogits(Op):
    """(1 - t) x + (1 + (pw - 1) t) softplus(-x), with softplus(-x) = log(e^-m + e^(-x-m)) + m, m = max(-x, 0)."""

    @staticmethod
    def forward(ctx, x, t, pos_weight):
        xp = array_module(x)
        m = xp.maximum(-x, 0)
        softplus_neg = xp.log(xp.exp(-m) + xp.exp(-x - m)) + m
        log_weight = 1 if pos_weight is None else (pos_weight - 1) * t + 1
        ctx.pos_weight = pos_weight
        ctx.save_for_backward(x, t)
        return ((1 - t) * x + log_weight * softplus_neg).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        x, t = ctx.saved_tensors
        pw = None if ctx.pos_weight is None else Tensor._make(ctx.pos_weight)
        gx = gt = None
        if ctx.needs_input_grad[0]:
            gx = g * (x.sigmoid() - t if pw is None else (pw * t + 1 - t) * x.sigmoid() - pw * t)
        if ctx.needs_input_grad[1]:
            gt = g * (-x if pw is None else logsigmoid(-x) - pw * logsigmoid(x))
        return gx, gt, None


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None,
                                     reduction="mean", pos_weight=None):
    reduction = _reduction(reduction, size_average, reduce)
    input, target, weight, pos_weight = full_precision(input, target, weight, pos_weight)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"Target size ({target.shape}) must be the same as input size ({input.shape})")
    if pos_weight is not None and pos_weight.requires_grad:
        raise RuntimeError("The function 'binary_cross_entropy_with_logits' is not differentiable with respect "
                           "to argument 'pos_weight'. This input cannot have requires_grad True.")
    pw = None if pos_weight is None else pos_weight._data.astype(input._data.dtype, copy=False)
    loss = BinaryCrossEntropyWithLogits.apply(input, _as_float_target(target, input), pw)
    weight = _expand_weight(weight, target)
    return _reduce(loss if weight is None else loss * weight, reduction)


# ---- divergences and likelihoods ------------------------------------------------------------------------------

def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    reduction = _reduction(reduction, size_average, reduce, allowed=_REDUCTIONS + ("batchmean",))
    input, target = full_precision(input, target)
    if reduction == "mean":
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the support size."
                      "'batchmean' divides only by the batch size, and aligns with the KL div math definition."
                      "'mean' will be changed to behave the same as 'batchmean' in the next major release.",
                      stacklevel=2)
    _check_broadcastable("kl_div", input=input, target=target)
    if log_target:
        loss = target.exp() * (target - input)
    else:
        # xlogy(t, t) - t * input, with 0 log 0 = 0 (log of 1 where t is 0 keeps the gradient finite)
        safe = where(target > 0, target, 1.0)
        loss = target * safe.log() - target * input
    if reduction == "batchmean":
        return loss.sum() / input.shape[0] if input.dim() else loss.sum()
    return _reduce(loss, reduction)


@torch_api(method=False)
def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-8, reduce=None,
                     reduction="mean"):
    reduction = _reduction(reduction, size_average, reduce)
    input, target = full_precision(input, target)
    if log_input:
        loss = input.exp() - target * input
    else:
        loss = input - target * (input + eps).log()
    if full:
        safe = where(target > 1, target, 1.0)
        stirling = safe * safe.log() - safe + 0.5 * (2 * math.pi * safe).log()
        loss = loss + where(target > 1, stirling, 0.0)
    return _reduce(loss, reduction)


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    if isinstance(var, (int, float)):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        var = var * input.new_ones(tuple(input.shape))
    elif bool((var < 0).any()):
        raise ValueError("var has negative entry/entries")
    if tuple(var.shape) != tuple(input.shape):
        if tuple(input.shape[:-1]) == tuple(var.shape):
            var = var.unsqueeze(-1)
        elif not (input.dim() == var.dim() and
                  sum(v for i, v in zip(input.shape, var.shape) if i != v) == 1):
            raise ValueError(f"var is of incorrect size (gaussian_nll_loss got var of shape {tuple(var.shape)} for "
                             f"input of shape {tuple(input.shape)})")
    if reduction not in _REDUCTIONS:
        raise ValueError(reduction + " is not valid")
    # torch clamps a copy of var under no_grad: the clamp changes the value, not the gradient
    var = var + (var.clamp(min=eps) - var).detach()
    diff = input - target
    loss = 0.5 * (var.log() + diff * diff / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)


# ---- margin and embedding losses ------------------------------------------------------------------------------

@torch_api(method=False)
def margin_ranking_loss(input1, input2, target, margin=0.0, size_average=None, reduce=None, reduction="mean"):
    reduction = _reduction(reduction, size_average, reduce)
    input1, input2, target = full_precision(input1, input2, target)
    if input1.dim() != input2.dim() or input1.dim() != target.dim():
        raise RuntimeError(f"margin_ranking_loss : All input tensors should have same dimension but got sizes: "
                           f"input1: {input1.shape}, input2: {input2.shape}, target: {target.shape} ")
    _check_broadcastable("margin_ranking_loss", input1=input1, input2=input2, target=target)
    return _reduce((-target * (input1 - input2) + margin).clamp(min=0), reduction)


@torch_api(method=False)
def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None, reduction="mean"):
    reduction = _reduction(reduction, size_average, reduce)
    input, target = full_precision(input, target)
    zeros = input * 0
    margin_part = where(target != 1, (margin - input).clamp(min=0), zeros)
    self_part = where(target != -1, input, zeros)
    return _reduce(margin_part + self_part, reduction)


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    reduction = _reduction(reduction, size_average, reduce)
    input, target = full_precision(input, target)
    return _reduce((-input * target).exp().log1p(), reduction)


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    reduction = _reduction(reduction, size_average, reduce)
    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    class_dim = input.dim() - 1
    loss = loss.sum(class_dim) / input.shape[class_dim]
    return _reduce(loss, reduction)


@torch_api(method=False)
def cosine_embedding_loss(input1, input2, target, margin=0.0, size_average=None, reduce=None, reduction="mean"):
    reduction = _reduction(reduction, size_average, reduce)
    input1, input2, target = full_precision(input1, input2, target)
    if input1.dim() not in (1, 2) or tuple(input1.shape) != tuple(input2.shape):
        raise RuntimeError(f"cosine_embedding_loss: expected two 1D or 2D inputs of the same shape, got "
                           f"{tuple(input1.shape)} and {tuple(input2.shape)}")
    dim = input1.dim() - 1
    eps = 1e-12
    prod_sum = (input1 * input2).sum(dim)
    mag1 = (input1 * input1).sum(dim) + eps
    mag2 = (input2 * input2).sum(dim) + eps
    cos = prod_sum / (mag1 * mag2).sqrt()
    zeros = cos * 0
    pos = where(target == 1, 1 - cos, zeros)
    neg = where(target == -1, (cos - margin).clamp(min=0), zeros)
    return _reduce(pos + neg, reduction)


@torch_api(method=False)
def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False, size_average=None,
                        reduce=None, reduction="mean"):
    reduction = _reduction(reduction, size_average, reduce)
    anchor, positive, negative = full_precision(anchor, positive, negative)
    if not anchor.dim() == positive.dim() == negative.dim():
        raise RuntimeError(f"The anchor, positive, and negative tensors are expected to have the same number of "
                           f"dimensions, but got: anchor {anchor.dim()}D, positive {positive.dim()}D, and negative "
                           f"{negative.dim()}D inputs")
    _check_broadcastable("triplet_margin_loss", anchor=anchor, positive=positive, negative=negative)
    d_pos = pairwise_distance(anchor, positive, p, eps)
    d_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_neg = d_neg.minimum(pairwise_distance(positive, negative, p, eps))
    return _reduce((margin + d_pos - d_neg).clamp(min=0), reduction)


def triplet_margin_with_distance_loss(anchor, positive, negative, *, distance_function=None, margin=1.0,
                                      swap=False, reduction="mean"):
    reduction = _reduction(reduction)
    if margin <= 0:
        raise ValueError(f"TripletMarginWithDistanceLoss: expected margin to be greater than 0, got {margin} instead")
    dist = distance_function if distance_function is not None else pairwise_distance
    d_pos = dist(anchor, positive)
    d_neg = dist(anchor, negative)
    if swap:
        d_neg = d_neg.minimum(dist(positive, negative))
    return _reduce((margin + d_pos - d_neg).clamp(min=0), reduction)

