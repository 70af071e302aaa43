"""Loss functions (nn.functional): forward and backward together.

The losses torch computes in one kernel (mse, huber, smooth L1, soft margin, NLL, binary cross-entropy
with and without logits) are one Op each, reduction included, so that the graph holds torch's node
(MseLossBackward0 ...) with torch's edges. Cross-entropy is log_softmax then NLL, as torch records it. The
rest are compositions written as torch's ATen composes them (its Scalar overloads included), so values,
subgradients and the nodes of the graph agree.
"""

import math
import warnings

import numpy as np

from .._backend import array_module, can_sync
from .._tensor import Tensor
from ..autograd.function import Op
from ..autograd.grad_mode import no_grad, state
from ..amp.autocast_mode import full_precision
from ._registry import torch_api
from .._dynamo.seams import replayed_as_one_call
from .elementwise import broadcast_error, where, sub, AddScalar, SubScalar, MulScalar, DivScalar
from .creation import zeros_like
from .reduce import accumulation_dtype, log_softmax
from .activation import logsigmoid
from .distance import pairwise_distance

__all__ = [
    "l1_loss",
    "mse_loss",
    "smooth_l1_loss",
    "huber_loss",
    "cross_entropy",
    "nll_loss",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "kl_div",
    "cosine_embedding_loss",
    "margin_ranking_loss",
    "triplet_margin_loss",
    "triplet_margin_with_distance_loss",
    "hinge_embedding_loss",
    "soft_margin_loss",
    "multilabel_soft_margin_loss",
    "poisson_nll_loss",
    "gaussian_nll_loss",
    "ctc_loss",
    "multi_margin_loss",
    "multilabel_margin_loss",
    "linear_cross_entropy",
]

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
        warnings.warn(
            f"Using a target size ({target.shape}) that is different to the input size ({input.shape}). "
            "This will likely lead to incorrect results due to broadcasting. Please ensure they have "
            "the same size.",
            stacklevel=3,
        )
        error = broadcast_error(
            f"{name}: input and target", tuple(input.shape), tuple(target.shape), shape_text=lambda s: str(tuple(s))
        )
        if error is not None:
            raise error
        shape = np.broadcast_shapes(tuple(input.shape), tuple(target.shape))
        return tuple(t if tuple(t.shape) == shape else t.expand(*shape) for t in (input, target))
    return input, target


def _check_broadcastable(name, **tensors):
    """The loss's own name and every operand's shape, instead of the failing inner op's (sub, mul)."""
    shapes = ", ".join(f"{k} of shape {tuple(t.shape)}" for k, t in tensors.items())
    error = broadcast_error(
        name,
        *(tuple(t.shape) for t in tensors.values()),
        context=f"{name}: the sizes of the tensors must match (or broadcast), got {shapes}",
    )
    if error is not None:
        raise error


def _as_float_target(target, input):
    return target.to(input.dtype) if target.dtype is not input.dtype else target


# ---- regression losses ---------------------------------------------------------------------------------


def _reduce_array(loss, reduction):
    """The elementwise loss reduced; float16/bfloat16 accumulate in float32, as torch's."""
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum(dtype=accumulation_dtype(loss.dtype)).astype(loss.dtype, copy=False)
    if loss.size == 0:  # mean of no elements: nan, as torch
        return array_module(loss).full((), np.nan, loss.dtype)
    return loss.mean(dtype=accumulation_dtype(loss.dtype)).astype(loss.dtype, copy=False)


def _per_element(g, ctx):
    """The incoming gradient as the factor of each element's derivative ('mean' divides by the count)."""
    return g / ctx.count if ctx.reduction == "mean" else g


class MseLoss(Op):
    array_backward = True

    @staticmethod
    def forward(ctx, x, t, reduction):
        d = x - t
        ctx.reduction, ctx.count = reduction, d.size
        ctx.save_for_backward(x, t)
        return _reduce_array(d * d, reduction)

    @staticmethod
    def backward(ctx, g):
        x, t = ctx.saved_tensors
        gx = 2 * (x - t) * _per_element(g, ctx)
        return gx, (-gx if ctx.needs_input_grad[1] else None), None


class HuberLoss(Op):
    array_backward = True

    @staticmethod
    def forward(ctx, x, t, reduction, delta):
        d = x - t
        ad = abs(d)
        ctx.reduction, ctx.count, ctx.delta = reduction, d.size, delta
        ctx.save_for_backward(x, t)
        return _reduce_array(array_module(d).where(ad < delta, 0.5 * d * d, delta * (ad - 0.5 * delta)), reduction)

    @staticmethod
    def backward(ctx, g):
        x, t = ctx.saved_tensors
        gx = (x - t).clip(-ctx.delta, ctx.delta) * _per_element(g, ctx)
        return gx, (-gx if ctx.needs_input_grad[1] else None), None, None


class SmoothL1Loss(Op):
    array_backward = True

    @staticmethod
    def forward(ctx, x, t, reduction, beta):
        d = x - t
        ad = abs(d)
        ctx.reduction, ctx.count, ctx.beta = reduction, d.size, beta
        ctx.save_for_backward(x, t)
        return _reduce_array(array_module(d).where(ad < beta, 0.5 * d * d / beta, ad - 0.5 * beta), reduction)

    @staticmethod
    def backward(ctx, g):
        x, t = ctx.saved_tensors
        gx = ((x - t) / ctx.beta).clip(-1, 1) * _per_element(g, ctx)
        return gx, (-gx if ctx.needs_input_grad[1] else None), None, None


def _weighted(name, loss, weight, input, reduction, mean_over_weight):
    """torch's weighted regression losses: the elementwise loss times weight, reduced; l1/mse's 'mean'
    divides by the weights' sum, huber's by the element count."""
    if tuple(weight.shape) != tuple(input.shape):
        raise ValueError(
            f"Weights and input must have the same size. ({name}: weight of shape "
            f"{tuple(weight.shape)}, input of shape {tuple(input.shape)})"
        )
    loss = loss * weight
    if reduction == "mean":
        return loss.sum() / weight.sum() if mean_over_weight else loss.mean()
    return _reduce(loss, reduction)


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    reduction = _reduction(reduction, size_average, reduce)
    input, target, weight = full_precision(input, target, weight)
    input, target = _broadcast_pair("l1_loss", input, target)
    loss = (input - target).abs()
    return _reduce(loss, reduction) if weight is None else _weighted("l1_loss", loss, weight, input, reduction, True)


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    reduction = _reduction(reduction, size_average, reduce)
    input, target, weight = full_precision(input, target, weight)
    input, target = _broadcast_pair("mse_loss", input, target)
    if weight is None:
        return MseLoss.apply(input, _as_float_target(target, input), reduction)
    return _weighted("mse_loss", (input - target) ** 2, weight, input, reduction, True)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    reduction = _reduction(reduction, size_average, reduce)
    input, target = full_precision(input, target)
    if beta < 0:
        raise RuntimeError(f"smooth_l1_loss does not support negative values for beta (got beta={beta})")
    input, target = _broadcast_pair("smooth_l1_loss", input, target)
    if beta == 0:  # torch calls l1_loss
        return _reduce((input - target).abs(), reduction)
    return SmoothL1Loss.apply(input, _as_float_target(target, input), reduction, beta)


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    reduction = _reduction(reduction)
    input, target, weight = full_precision(input, target, weight)
    if delta <= 0:
        raise RuntimeError(f"huber_loss does not support non-positive values for delta (got delta={delta})")
    input, target = _broadcast_pair("huber_loss", input, target)
    target = _as_float_target(target, input)
    if weight is None:
        return HuberLoss.apply(input, target, reduction, delta)
    return _weighted("huber_loss", HuberLoss.apply(input, target, "none", delta), weight, input, reduction, False)


# ---- classification with class indices -------------------------------------------------------------------


def _dtype_name(t):
    return t.dtype.name.capitalize()


class _ClassTargets:
    """Per-position target, weight and ignore mask of a class-index loss (input (N, C, d1, ...))."""

    def __init__(self, name, input, target, weight, ignore_index):
        if target._data.dtype not in (np.int64, np.uint8):  # torch: "expected ... Long or Byte"
            raise RuntimeError(
                f"expected target of dtype int64 (class indices) for {name}, got {_dtype_name(target)} "
                f"target of shape {tuple(target.shape)} for input of shape {tuple(input.shape)} "
                f"(convert the target with .long(), or pass class probabilities with the "
                f"input's shape)"
            )
        if input.dim() == 0:
            raise ValueError(f"{name}: expected an input of shape (C,) or (N, C, ...), got a 0-d tensor")
        if input.dim() >= 2 and (target.dim() == 0 or target.shape[0] != input.shape[0]):
            raise ValueError(
                f"Expected input batch_size ({input.shape[0]}) to match target batch_size "
                f"({target.shape[0] if target.dim() else 'a 0-d target'})."
            )
        expected = tuple(input.shape[:1]) + tuple(input.shape[2:]) if input.dim() >= 2 else ()
        if tuple(target.shape) != expected:
            raise RuntimeError(
                f"{name}: expected target of shape {expected} (input shape {tuple(input.shape)} "
                f"without its class dimension 1), got {tuple(target.shape)}"
            )
        self.num_classes = C = input.shape[1] if input.dim() >= 2 else input.shape[0]
        if weight is not None and tuple(weight.shape) != (C,):
            raise RuntimeError(
                f"{name}: weight tensor should be defined either for all {C} classes or no classes "
                f"but got weight tensor of shape: {list(weight.shape)}"
            )
        xp = array_module(input._data)
        t = target._data.astype(np.int64, copy=False) if input.dim() >= 2 else target._data.reshape(1).astype(np.int64)
        valid = t != ignore_index
        if t.size and can_sync(t) and valid.any():
            picked = t[valid]
            bad = picked[(picked < 0) | (picked >= C)]
            if bad.size:
                raise IndexError(
                    f"Target {int(bad[0])} is out of bounds ({name} with {C} classes, so targets "
                    f"must be in [0, {C - 1}] or equal ignore_index={ignore_index})."
                )
        self.index = xp.where(valid, t, 0)
        # (N, C) scores: index rows directly (take/put_along_axis build their index grids in Python)
        self.rows = xp.arange(len(t)) if input.dim() <= 2 else None
        # float16/bfloat16 losses accumulate in float32, as torch's (a bfloat16 count of targets stops at 256)
        acc_dtype = accumulation_dtype(input._data.dtype)
        self.valid = valid.astype(acc_dtype)
        self.class_weight = None if weight is None else weight._data.astype(acc_dtype, copy=False)
        self.weight = self.valid if weight is None else self.class_weight[self.index] * self.valid

    def view(self, shape):
        """Positions laid out as `shape` (the input viewed for NllLoss2d)."""
        self.index, self.valid, self.weight = (a.reshape(shape) for a in (self.index, self.valid, self.weight))
        self.rows = None

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


# computed from the target's values: a compiled replay makes them again
_class_targets = replayed_as_one_call(_ClassTargets)


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
    (N, 1, d1, ...) position (or of the single position of an unbatched input)."""
    if ctx.reduction == "none":
        if ctx.unbatched:
            return g
        shape = tuple(g.shape)
        return g.reshape(shape[:1] + (1,) + shape[1:])
    if ctx.reduction == "mean":
        return g / ctx.grad_denominator
    return g


class NllLoss(Op):
    """-weight[target] * logp[n, target[n]] per position, reduced; a (C,) input is one unbatched position."""

    array_backward = True

    @staticmethod
    def forward(ctx, logp, targets, reduction, unbatched):
        xp = array_module(logp)
        if unbatched:
            logp = logp[None]
        ctx.targets, ctx.reduction, ctx.unbatched = targets, reduction, unbatched
        ctx.denominator = targets.weight.sum()
        # every target ignored: the loss is 0/0 = nan, but no position has a gradient (torch's zeros); the
        # coefficients are all 0 then, and dividing them by 1 keeps them so (read back nothing from a device)
        ctx.grad_denominator = xp.where(ctx.denominator == 0, 1, ctx.denominator)
        per_position = -targets.weight * targets.gather(xp, logp)
        return _finish_reduction(xp, per_position, ctx.denominator, reduction, unbatched, logp.dtype)

    @staticmethod
    def backward(ctx, g):
        shape, dtype, xp = ctx._in_meta[0]
        batched = (1,) + shape if ctx.unbatched else shape
        # 0 - weight: +0, not -0, where a target is ignored
        coeff = ctx.targets.onehot_scaled(xp, xp.zeros(batched, dtype), 0 - ctx.targets.weight).reshape(shape)
        return _like(g, coeff) * _grad_scale(g, ctx), None, None, None


class NllLoss2d(NllLoss):
    _node_name = "NllLoss2DBackward0"


def _nll_loss_nd(name, input, target, weight, ignore_index, reduction):
    """torch's nll_loss_nd: NllLoss on (C,) and (N, C), NllLoss2d on (N, C, H, W); other shapes are viewed
    as (N, C, 1, -1) for NllLoss2d (and the 'none' result viewed back)."""
    targets = _class_targets(name, input, target, weight, ignore_index)
    dim = input.dim()
    if dim <= 2:
        return NllLoss.apply(input, targets, reduction, dim == 1)
    if dim == 4:
        return NllLoss2d.apply(input, targets, reduction, False)
    n, c = input.shape[0], input.shape[1]
    targets.view((n, 1, -1))
    out = NllLoss2d.apply(input.view(n, c, 1, -1), targets, reduction, False)
    return out.view((n,) + tuple(input.shape[2:])) if reduction == "none" else out


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
    reduction = _reduction(reduction, size_average, reduce)
    input, weight = full_precision(input, weight)
    return _nll_loss_nd("NLLLoss", input, target, weight, ignore_index, reduction)


def cross_entropy(
    input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean", label_smoothing=0.0
):
    reduction = _reduction(reduction, size_average, reduce)
    input, target, weight = full_precision(input, target, weight)
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    if not input.is_floating_point():
        raise RuntimeError(f"CrossEntropyLoss: expected a floating-point input (logits), got {_dtype_name(input)}")
    class_dim = 0 if input.dim() == 1 else 1
    if target.is_floating_point() and tuple(target.shape) == tuple(input.shape):
        return _cross_entropy_probabilities(input, target, weight, ignore_index, reduction, label_smoothing)
    logp = log_softmax(input, class_dim)
    if label_smoothing > 0:
        return _cross_entropy_smoothed(logp, target, weight, ignore_index, reduction, label_smoothing)
    return _nll_loss_nd("CrossEntropyLoss", logp, target, weight, ignore_index, reduction)


def _class_weight_view(weight, input, class_dim):
    shape = [1] * input.dim()
    shape[class_dim] = weight.shape[0]
    return weight.view(shape)


def _cross_entropy_smoothed(logp, target, weight, ignore_index, reduction, label_smoothing):
    """torch's composite: (1 - s) * nll + s / C * (the -sum of logp over classes, reduced as nll is)."""
    class_dim = 0 if logp.dim() == 1 else 1
    n_classes = logp.shape[class_dim]
    nll = _nll_loss_nd("CrossEntropyLoss", logp, target, weight, ignore_index, reduction)
    ignore_mask = target == ignore_index
    terms = logp if weight is None else logp * _class_weight_view(weight, logp, class_dim)
    smooth = (-terms.sum(class_dim)).masked_fill(ignore_mask, 0.0)
    if reduction == "mean":
        if weight is not None:
            ret = smooth.sum() / weight.gather(0, target.masked_select(~ignore_mask).flatten()).sum()
        else:
            ret = smooth.sum() / (~ignore_mask).sum()
    else:
        ret = _reduce(smooth, reduction)
    return MulScalar.apply(nll, 1 - label_smoothing) + MulScalar.apply(ret, label_smoothing / n_classes)


def _cross_entropy_probabilities(input, target, weight, ignore_index, reduction, label_smoothing):
    """Soft targets, as torch's composite: -sum_c w_c p_c logp_c; 'mean' divides by the number of positions."""
    if ignore_index >= 0:
        raise RuntimeError("ignore_index is not supported for floating point target")
    class_dim = 0 if input.dim() == 1 else 1
    n_classes = input.shape[class_dim]
    logp = log_softmax(input, class_dim)
    if label_smoothing > 0:
        target = target * (1 - label_smoothing) + label_smoothing / n_classes
    loss = logp * target
    if weight is not None:
        loss = loss * _class_weight_view(weight, input, class_dim)
    if reduction == "mean":
        if input.numel() == 0:
            return -loss.sum() * float("nan")
        return DivScalar.apply(-loss.sum(), input.numel() // n_classes)
    if reduction == "sum":
        return -loss.sum()
    return -loss.sum(class_dim)


# ---- binary classification ---------------------------------------------------------------------------------


def _no_grad_weight(name, arg, weight):
    if weight is not None and weight.requires_grad:
        raise RuntimeError(
            f"The function '{name}' is not differentiable with respect to argument '{arg}'. "
            "This input cannot have requires_grad True."
        )
    return None if weight is None else weight._data


class BinaryCrossEntropy(Op):
    """-w (t log x + (1 - t) log(1 - x)) with logs clamped at -100, reduced; torch's eps in the backward."""

    @staticmethod
    def forward(ctx, x, t, weight, reduction):
        xp = array_module(x)
        with np.errstate(divide="ignore"):
            log_x = xp.maximum(xp.log(x), -100)
            log_1mx = xp.maximum(xp.log1p(-x), -100)
        loss = -(t * log_x + (1 - t) * log_1mx)
        if weight is not None:
            loss = (loss * weight).astype(x.dtype, copy=False)
        ctx.weight, ctx.reduction, ctx.count = weight, reduction, loss.size
        ctx.save_for_backward(x, t)
        return _reduce_array(loss, reduction)

    @staticmethod
    def backward(ctx, g):
        x, t = ctx.saved_tensors
        g = _per_element(g, ctx)
        if ctx.weight is not None:
            g = g * Tensor._make(ctx.weight)
        gx = gt = None
        if ctx.needs_input_grad[0]:
            gx = g * (x - t) / ((1 - x) * x).clamp(min=1e-12)
        if ctx.needs_input_grad[1]:
            gt = g * ((-x).log1p().clamp(min=-100) - x.log().clamp(min=-100))
        return gx, gt, None, None


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    reduction = _reduction(reduction, size_average, reduce)
    input, target, weight = full_precision(input, target, weight)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(
            f"Using a target size ({target.shape}) that is different to the input size "
            f"({input.shape}) is deprecated. Please ensure they have the same size."
        )
    data = input._data
    if data.size and (np.any(data < 0) or np.any(data > 1)):
        raise RuntimeError(
            f"all elements of input should be between 0 and 1 (binary_cross_entropy got values in "
            f"[{float(data.min()):.4g}, {float(data.max()):.4g}]; apply sigmoid first, or use "
            f"binary_cross_entropy_with_logits / BCEWithLogitsLoss on raw scores)"
        )
    w = _no_grad_weight("binary_cross_entropy", "weight", _expand_weight(weight, target))
    return BinaryCrossEntropy.apply(input, _as_float_target(target, input), w, reduction)


class BinaryCrossEntropyWithLogits(Op):
    """w ((1 - t) x + (1 + (pw - 1) t) softplus(-x)), softplus(-x) = log(e^-m + e^(-x-m)) + m, m = max(-x, 0);
    reduced."""

    @staticmethod
    def forward(ctx, x, t, weight, pos_weight, reduction):
        xp = array_module(x)
        m = xp.maximum(-x, 0)
        softplus_neg = xp.log(xp.exp(-m) + xp.exp(-x - m)) + m
        log_weight = 1 if pos_weight is None else (pos_weight - 1) * t + 1
        loss = (1 - t) * x + log_weight * softplus_neg
        if weight is not None:
            loss = loss * weight
        ctx.weight, ctx.pos_weight, ctx.reduction, ctx.count = weight, pos_weight, reduction, loss.size
        ctx.save_for_backward(x, t)
        return _reduce_array(loss.astype(x.dtype, copy=False), reduction)

    @staticmethod
    def backward(ctx, g):
        x, t = ctx.saved_tensors
        g = _per_element(g, ctx)
        if ctx.weight is not None:
            g = g * Tensor._make(ctx.weight)
        pw = None if ctx.pos_weight is None else Tensor._make(ctx.pos_weight)
        gx = gt = None
        if ctx.needs_input_grad[0]:
            gx = g * (x.sigmoid() - t if pw is None else (pw * t + 1 - t) * x.sigmoid() - pw * t)
        if ctx.needs_input_grad[1]:
            gt = g * (-x if pw is None else logsigmoid(-x) - pw * logsigmoid(x))
        return gx, gt, None, None, None


def _expand_weight(weight, target):
    return None if weight is None else weight.expand(*np.broadcast_shapes(tuple(target.shape), tuple(weight.shape)))


def binary_cross_entropy_with_logits(
    input, target, weight=None, size_average=None, reduce=None, reduction="mean", pos_weight=None
):
    reduction = _reduction(reduction, size_average, reduce)
    input, target, weight, pos_weight = full_precision(input, target, weight, pos_weight)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"Target size ({target.shape}) must be the same as input size ({input.shape})")
    name = "binary_cross_entropy_with_logits"
    pw = _no_grad_weight(name, "pos_weight", pos_weight)
    pw = None if pw is None else pw.astype(input._data.dtype, copy=False)
    w = _no_grad_weight(name, "weight", _expand_weight(weight, target))
    return BinaryCrossEntropyWithLogits.apply(input, _as_float_target(target, input), w, pw, reduction)


# ---- divergences and likelihoods ------------------------------------------------------------------------------


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    reduction = _reduction(reduction, size_average, reduce, allowed=_REDUCTIONS + ("batchmean",))
    input, target = full_precision(input, target)
    if reduction == "mean":
        warnings.warn(
            "reduction: 'mean' divides the total loss by both the batch size and the support size."
            "'batchmean' divides only by the batch size, and aligns with the KL div math definition."
            "'mean' will be changed to behave the same as 'batchmean' in the next major release.",
            stacklevel=2,
        )
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
def poisson_nll_loss(
    input, target, log_input=True, full=False, size_average=None, eps=1e-8, reduce=None, reduction="mean"
):
    reduction = _reduction(reduction, size_average, reduce)
    input, target = full_precision(input, target)
    if log_input:
        loss = input.exp() - target * input
    else:
        loss = input - target * AddScalar.apply(input, eps).log()
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
        elif not (input.dim() == var.dim() and sum(v for i, v in zip(input.shape, var.shape) if i != v) == 1):
            raise ValueError(
                f"var is of incorrect size (gaussian_nll_loss got var of shape {tuple(var.shape)} for "
                f"input of shape {tuple(input.shape)})"
            )
    if reduction not in _REDUCTIONS:
        raise ValueError(reduction + " is not valid")
    # as torch: clamp a copy of var under no_grad (the clamp changes the value, not the gradient)
    var = var.clone()
    with no_grad():
        var.clamp_(min=eps)
    loss = 0.5 * (var.log() + (input - target) ** 2 / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)


# ---- margin and embedding losses ------------------------------------------------------------------------------


@torch_api(method=False)
def margin_ranking_loss(input1, input2, target, margin=0, size_average=None, reduce=None, reduction="mean"):
    reduction = _reduction(reduction, size_average, reduce)
    input1, input2, target = full_precision(input1, input2, target)
    if input1.dim() != input2.dim() or input1.dim() != target.dim():
        raise RuntimeError(
            f"margin_ranking_loss : All input tensors should have same dimension but got sizes: "
            f"input1: {input1.shape}, input2: {input2.shape}, target: {target.shape} "
        )
    _check_broadcastable("margin_ranking_loss", input1=input1, input2=input2, target=target)
    return _reduce(AddScalar.apply(-target * (input1 - input2), margin).clamp_min(0), reduction)


@torch_api(method=False)
def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None, reduction="mean"):
    reduction = _reduction(reduction, size_average, reduce)
    input, target = full_precision(input, target)
    zeros = zeros_like(input)
    margin_part = where(target != 1, sub(margin, input).clamp_min(0), zeros)
    self_part = where(target != -1, input, zeros)
    return _reduce(margin_part + self_part, reduction)


class SoftMarginLoss(Op):
    """log(1 + exp(-t x)), reduced (the target is not differentiable, as in torch)."""

    inputs = (0,)

    @staticmethod
    def forward(ctx, x, t, reduction):
        with np.errstate(over="ignore"):
            loss = array_module(x).log1p(array_module(x).exp(-t * x))
        ctx.reduction, ctx.count = reduction, loss.size
        ctx.save_for_backward(x, t)
        return _reduce_array(loss.astype(x.dtype, copy=False), reduction)

    @staticmethod
    def backward(ctx, g):
        x, t = ctx.saved_tensors
        return -t * (-t * x).sigmoid() * _per_element(g, ctx), None, None


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    reduction = _reduction(reduction, size_average, reduce)
    input, target = full_precision(input, target)
    _check_broadcastable("soft_margin_loss", input=input, target=target)
    return SoftMarginLoss.apply(input, _as_float_target(target, input), reduction)


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    reduction = _reduction(reduction, size_average, reduce)
    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    class_dim = input.dim() - 1
    loss = loss.sum(class_dim) / input.shape[class_dim]
    return _reduce(loss, reduction)


@torch_api(method=False)
def cosine_embedding_loss(input1, input2, target, margin=0, size_average=None, reduce=None, reduction="mean"):
    reduction = _reduction(reduction, size_average, reduce)
    input1, input2, target = full_precision(input1, input2, target)
    if input1.dim() not in (1, 2) or tuple(input1.shape) != tuple(input2.shape):
        raise RuntimeError(
            f"cosine_embedding_loss: expected two 1D or 2D inputs of the same shape, got "
            f"{tuple(input1.shape)} and {tuple(input2.shape)}"
        )
    dim = input1.dim() - 1
    eps = 1e-12
    prod_sum = (input1 * input2).sum(dim)
    mag1 = AddScalar.apply((input1 * input1).sum(dim), eps)
    mag2 = AddScalar.apply((input2 * input2).sum(dim), eps)
    cos = prod_sum / (mag1 * mag2).sqrt()
    zeros = zeros_like(cos)
    pos = where(target == 1, sub(1, cos), zeros)
    neg = where(target == -1, SubScalar.apply(cos, margin).clamp_min(0), zeros)
    return _reduce(pos + neg, reduction)


@torch_api(method=False)
def triplet_margin_loss(
    anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False, size_average=None, reduce=None, reduction="mean"
):
    reduction = _reduction(reduction, size_average, reduce)
    anchor, positive, negative = full_precision(anchor, positive, negative)
    if not anchor.dim() == positive.dim() == negative.dim():
        raise RuntimeError(
            f"The anchor, positive, and negative tensors are expected to have the same number of "
            f"dimensions, but got: anchor {anchor.dim()}D, positive {positive.dim()}D, and negative "
            f"{negative.dim()}D inputs"
        )
    _check_broadcastable("triplet_margin_loss", anchor=anchor, positive=positive, negative=negative)
    d_pos = pairwise_distance(anchor, positive, p, eps)
    d_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_neg = d_neg.minimum(pairwise_distance(positive, negative, p, eps))
    return _reduce((AddScalar.apply(d_pos, margin) - d_neg).clamp_min(0), reduction)


def triplet_margin_with_distance_loss(
    anchor, positive, negative, *, distance_function=None, margin=1.0, swap=False, reduction="mean"
):
    reduction = _reduction(reduction)
    if margin <= 0:
        raise ValueError(f"TripletMarginWithDistanceLoss: expected margin to be greater than 0, got {margin} instead")
    dist = distance_function if distance_function is not None else pairwise_distance
    d_pos = dist(anchor, positive)
    d_neg = dist(anchor, negative)
    if swap:
        d_neg = d_neg.minimum(dist(positive, negative))
    return _reduce((margin + d_pos - d_neg).clamp_min(0), reduction)


# ---- connectionist temporal classification ----------------------------------------------------------------------


def _log_add(*terms):
    """log(sum(exp(terms))), elementwise, with -inf terms allowed."""
    xp = array_module(terms[0])
    top = terms[0]
    for t in terms[1:]:
        top = xp.maximum(top, t)
    safe = xp.where(xp.isneginf(top), 0, top)
    with np.errstate(divide="ignore"):
        return xp.log(sum(xp.exp(t - safe) for t in terms)) + safe


def _shifted(a, k, fill):
    """a moved k places to the right along the last axis (the first k places filled)."""
    xp = array_module(a)
    out = xp.full(a.shape, fill, a.dtype)
    out[..., k:] = a[..., : a.shape[-1] - k]
    return out


class CtcLoss(Op):
    """-log p(target | log_probs) per sample, summed over every alignment by the forward-backward recursions over
    the target with blanks between and around its labels. The gradient is torch's: exp(log_probs) minus each
    label's posterior occupancy (the gradient with respect to the logits of a log_softmax), zero from each
    sample's input length on, and zero for a sample with an infinite loss when zero_infinity."""

    @staticmethod
    def forward(ctx, lp, targets, input_lengths, target_lengths, blank, zero_infinity):
        xp = array_module(lp)
        T, N, _ = lp.shape
        S = 2 * int(target_lengths.max(initial=0)) + 1
        ext = xp.full((N, S), blank, np.int64)
        for n, target in enumerate(targets):
            ext[n, 1 : 2 * len(target) : 2] = target
        lpe = xp.take_along_axis(lp, xp.broadcast_to(ext[None], (T, N, S)), axis=2)
        reachable = xp.arange(S)[None, :] < (2 * target_lengths + 1)[:, None]
        skip = xp.zeros((N, S), bool)
        skip[:, 2:] = (ext[:, 2:] != blank) & (ext[:, 2:] != ext[:, :-2])
        neg_inf = lp.dtype.type(-np.inf)
        alpha = xp.full((T, N, S), neg_inf, lp.dtype)
        alpha[0, :, :2] = lpe[0, :, :2]
        alpha[0] = xp.where(reachable, alpha[0], neg_inf)
        for t in range(1, T):
            a = alpha[t - 1]
            alpha[t] = xp.where(
                reachable,
                _log_add(a, _shifted(a, 1, neg_inf), xp.where(skip, _shifted(a, 2, neg_inf), neg_inf)) + lpe[t],
                neg_inf,
            )
        last = input_lengths - 1
        rows = xp.arange(N)
        end = alpha[last, rows]
        final = 2 * target_lengths
        nll = -_log_add(end[rows, final], xp.where(target_lengths > 0, end[rows, xp.maximum(final - 1, 0)], neg_inf))
        ctx.args = (lpe, ext, skip, reachable, alpha, nll, input_lengths, final, zero_infinity)
        ctx.save_for_backward(lp)
        return nll.astype(lp.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        if state.enabled:
            raise RuntimeError("the derivative for '_ctc_loss_backward' is not implemented.")
        lpe, ext, skip, reachable, alpha, nll, input_lengths, final, zero_infinity = ctx.args
        (lp,) = ctx.saved_tensors
        lp = lp._data
        xp = array_module(lp)
        T, N, S = lpe.shape
        neg_inf = lp.dtype.type(-np.inf)
        beta = xp.full((T, N, S), neg_inf, lp.dtype)
        is_end = (xp.arange(S)[None, :] == final[:, None]) | (xp.arange(S)[None, :] == final[:, None] - 1)
        skip_next = xp.zeros_like(skip)
        skip_next[:, :-2] = skip[:, 2:]
        for t in range(T - 1, -1, -1):
            at_end = (input_lengths - 1 == t)[:, None]
            inside = (t < input_lengths - 1)[:, None]
            if t + 1 < T:
                b = beta[t + 1]
                nxt = (
                    _log_add(
                        b,
                        _shifted(b[:, ::-1], 1, neg_inf)[:, ::-1],
                        xp.where(skip_next, _shifted(b[:, ::-1], 2, neg_inf)[:, ::-1], neg_inf),
                    )
                    + lpe[t]
                )
            else:
                nxt = xp.full((N, S), neg_inf, lp.dtype)
            beta[t] = xp.where(at_end & is_end & reachable, lpe[t], xp.where(inside & reachable, nxt, neg_inf))
        with np.errstate(over="ignore", invalid="ignore"):
            occupancy = xp.exp(alpha + beta + nll[None, :, None])
            gamma = xp.zeros(lp.shape, lp.dtype)
            t_idx, n_idx, s_idx = xp.indices((T, N, S))
            xp.add.at(gamma, (t_idx, n_idx, xp.broadcast_to(ext[None], (T, N, S))), occupancy)
            grad = xp.exp(lp) - gamma * xp.exp(-lp)
        grad[xp.arange(T)[:, None] >= input_lengths[None, :]] = 0
        if zero_infinity:
            grad[:, xp.isinf(nll)] = 0
        scale = g._data if isinstance(g, Tensor) else g
        return Tensor._make((grad * scale[None, :, None]).astype(lp.dtype, copy=False)), None, None, None, None, None


def _lengths(name, lengths, batch):
    values = np.asarray(lengths._data if isinstance(lengths, Tensor) else lengths, dtype=np.int64).reshape(-1)
    if len(values) != batch:
        raise RuntimeError(f"{name} must be of size batch_size (got {len(values)} for a batch of {batch})")
    return values


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction="mean", zero_infinity=False):
    reduction = _reduction(reduction)
    batched = log_probs.dim() == 3
    if log_probs.dim() not in (2, 3):
        raise RuntimeError(f"ctc_loss: expected log_probs of shape (T, N, C) or (T, C), got {tuple(log_probs.shape)}")
    lp = log_probs if batched else log_probs.unsqueeze(1)
    T, N, C = lp.shape
    in_lens, tgt_lens = _lengths("input_lengths", input_lengths, N), _lengths("target_lengths", target_lengths, N)
    if not 0 <= blank < C:
        raise RuntimeError(f"blank must be in label range (got blank={blank} for {C} classes)")
    if (in_lens > T).any() or (in_lens < 0).any():
        raise RuntimeError(f"Expected input_lengths to have value at most {T}, but got value {int(in_lens.max())}")
    tgt = targets._data.astype(np.int64)
    if not batched and tgt.ndim == 1 and len(tgt) >= tgt_lens[0]:
        tgt = tgt[None]
    if tgt.ndim == 2:
        if tgt.shape[1] < tgt_lens.max(initial=0):
            raise RuntimeError(
                f"Expected tensor to have size at least {int(tgt_lens.max())} at dimension 1, but "
                f"got size {tgt.shape[1]} for argument #2 'targets' (while checking arguments for "
                f"ctc_loss_cpu)"
            )
        per_sample = [tgt[n, : tgt_lens[n]] for n in range(N)]
    else:
        starts = np.concatenate([[0], np.cumsum(tgt_lens)[:-1]])
        per_sample = [tgt[s : s + n] for s, n in zip(starts, tgt_lens)]
    loss = CtcLoss.apply(lp, per_sample, in_lens, tgt_lens, blank, zero_infinity)
    if zero_infinity:
        from .creation import zeros

        loss = where(loss == float("inf"), zeros((), dtype=loss.dtype), loss)
    if reduction == "mean":
        from .creation import tensor

        return (loss / tensor(np.maximum(tgt_lens, 1), dtype=loss.dtype)).mean()
    if reduction == "sum":
        return loss.sum()
    return loss if batched else loss.squeeze(0)


# ---- multi-class margin losses ----------------------------------------------------------------------------------


class MultiMarginLoss(Op):
    """sum over i != y of weight[y] * max(0, margin - x[y] + x[i]) ** p, over C, per sample; reduced."""

    inputs = (0,)

    @staticmethod
    def forward(ctx, x, target, p, margin, weight, reduction):
        xp = array_module(x)
        n, c = x.shape
        rows = xp.arange(n)
        z = margin - x[rows, target][:, None] + x
        active = z > 0
        active[rows, target] = False
        h = xp.where(active, z if p == 1 else z * z, 0)
        if weight is not None:
            h = h * weight[target][:, None]
        ctx.args = (target, active, p, margin, weight, reduction, n, c)
        ctx.save_for_backward(x)
        return _reduce_array((h.sum(axis=1) / c).astype(x.dtype, copy=False), reduction)

    @staticmethod
    def backward(ctx, g):
        target, active, p, margin, weight, reduction, n, c = ctx.args
        (x,) = ctx.saved_tensors
        t = Tensor._make(target[:, None])
        mask = Tensor._make(active.astype(x._data.dtype))
        dz = mask if p == 1 else 2 * (margin - x.gather(1, t) + x) * mask
        if weight is not None:
            dz = dz * Tensor._make(weight[target][:, None])
        dz = dz / c
        onehot = Tensor._make(np.eye(c, dtype=x._data.dtype)[target])
        gx = dz - onehot * dz.sum(1, keepdim=True)
        scale = g / n if reduction == "mean" else g.unsqueeze(1) if reduction == "none" else g
        return gx * scale, None, None, None, None, None


def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, size_average=None, reduce=None, reduction="mean"):
    reduction = _reduction(reduction, size_average, reduce)
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    if weight is not None and weight.dim() != 1:
        raise ValueError("weight must be one-dimensional")
    if input.dim() not in (1, 2):
        raise RuntimeError(
            f"multi_margin_loss: Expected non-empty vector or matrix with optional 0-dim batch size, "
            f"but got: {list(input.shape)}"
        )
    x = input if input.dim() == 2 else input.unsqueeze(0)
    t = target._data.reshape(-1).astype(np.int64)
    if len(t) != x.shape[0] or (t.size and (t.min() < 0 or t.max() >= x.shape[1])):
        raise RuntimeError(
            f"multi_margin_loss: inconsistent target size or class index out of range: target "
            f"{list(target.shape)} for input {list(input.shape)}"
        )
    w = None if weight is None else weight._data.astype(input._data.dtype, copy=False)
    loss = MultiMarginLoss.apply(x, t, p, margin, w, reduction)
    return loss.squeeze(0) if reduction == "none" and input.dim() == 1 else loss


class MultilabelMarginLoss(Op):
    """sum over the target labels j (the target row up to its first -1) and the other labels i of
    max(0, 1 - (x[j] - x[i])), over C, per sample; reduced."""

    inputs = (0,)

    @staticmethod
    def forward(ctx, x, target, reduction):
        xp = array_module(x)
        n, c = x.shape
        ended = xp.cumsum(target < 0, axis=1) > 0
        counts = xp.zeros((n, c), x.dtype)  # how often each label is a target (repeats count again)
        rows = xp.broadcast_to(xp.arange(n)[:, None], target.shape)
        xp.add.at(counts, (rows[~ended], target[~ended]), 1)
        is_target = counts > 0
        z = 1 - x[:, :, None] + x[:, None, :]  # [n, j, i]
        active = (z > 0) & ~is_target[:, None, :]
        pairs = counts[:, :, None] * active
        ctx.args = (pairs, reduction, n, c)
        return _reduce_array(((z * pairs).sum(axis=(1, 2)) / c).astype(x.dtype, copy=False), reduction)

    @staticmethod
    def backward(ctx, g):
        pairs, reduction, n, c = ctx.args
        coeff = Tensor._make(((pairs.sum(axis=1) - pairs.sum(axis=2)) / c).astype(pairs.dtype))
        scale = g / n if reduction == "mean" else g.unsqueeze(1) if reduction == "none" else g
        return coeff * scale, None, None


def multilabel_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    reduction = _reduction(reduction, size_average, reduce)
    if input.dim() not in (1, 2) or tuple(target.shape) != tuple(input.shape):
        raise RuntimeError(
            f"multilabel_margin_loss: inconsistent target size: {list(target.shape)} for input of "
            f"size: {list(input.shape)}"
        )
    x = input if input.dim() == 2 else input.unsqueeze(0)
    t = target._data.reshape(x.shape).astype(np.int64)
    if (t >= x.shape[1]).any():
        raise RuntimeError(f"multilabel_margin_loss: target label out of range [-1, {x.shape[1] - 1}]")
    loss = MultilabelMarginLoss.apply(x, t, reduction)
    return loss.squeeze(0) if reduction == "none" and input.dim() == 1 else loss


def linear_cross_entropy(
    input,
    linear_weight,
    target,
    *,
    linear_bias=None,
    weight=None,
    reduction="mean",
    ignore_index=None,
    label_smoothing=0.0,
    options=None,
):
    """cross_entropy(linear(input, linear_weight, linear_bias), target, ...), torch's reference form (ignore_index
    None: no class is ignored)."""
    if options is not None:
        raise NotImplementedError(
            "linear_cross_entropy: options (torch's chunked kernel settings) are not "
            "supported by ember; it computes the reference linear + cross_entropy"
        )
    if linear_weight.dim() != 2:
        raise NotImplementedError(
            "linear_cross_entropy: ember supports a 2-d linear_weight (num_classes, "
            f"in_features), got {list(linear_weight.shape)}"
        )
    from .linear import linear

    return cross_entropy(
        linear(input, linear_weight, linear_bias),
        target,
        weight=weight,
        reduction=reduction,
        ignore_index=np.iinfo(np.int64).min if ignore_index is None else ignore_index,
        label_smoothing=label_smoothing,
    )
