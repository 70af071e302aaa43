"""Dropout family (nn.functional.dropout, dropout1d/2d/3d, alpha_dropout, feature_alpha_dropout).

The random mask is a constant of the graph: out = input * mask (+ shift for alpha dropout), so the
gradient is grad * mask through ember's mul. Masks come from ember's generator.
"""

import warnings

import numpy as np

from .._tensor import Tensor
from ._registry import torch_api
from .creation import _uniform
from .._dynamo.seams import replayed_as_one_call

__all__ = ["dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout", "feature_alpha_dropout"]

# SELU's alpha * scale: alpha dropout keeps a self-normalizing network's mean 0 and variance 1
_ALPHA_PRIME = 1.7580993408473766


def _check_p(p):
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


@replayed_as_one_call  # a draw from the generator: a compiled replay draws again
def _keep_mask(input, p, mask_shape):
    """A 0/1 array of the input's dtype, 1 with probability 1 - p."""
    keep = _uniform(None, input.device, mask_shape, np.float64) >= p  # drawn on the input's device
    return Tensor._make(keep.astype(input._data.dtype))


def _drop(input, p, training, inplace, mask_shape, alpha):
    _check_p(p)
    if not training or p == 0:
        return input
    if not input.is_floating_point():
        raise RuntimeError(f"dropout: expected a floating-point input, got dtype {input.dtype}")
    if p == 1:
        result = input * 0.0
    else:
        keep = _keep_mask(input, p, mask_shape)
        if alpha:
            a = 1.0 / ((_ALPHA_PRIME**2 * p + 1) * (1 - p)) ** 0.5
            shift = (keep - 1) * (_ALPHA_PRIME * a) + _ALPHA_PRIME * a * p
            result = input * (keep * a) + shift
        else:
            result = input * (keep / (1 - p))
    return input._inplace_assign(result) if inplace else result


def _channel_mask_shape(input, batched_dims, name):
    """(N, C, 1, ...) for a batched input, (C, 1, ...) for an unbatched one."""
    shape = tuple(input.shape)
    if input.dim() not in (batched_dims, batched_dims - 1):
        raise RuntimeError(
            f"{name}: Expected {batched_dims - 1}D or {batched_dims}D input, but received a "
            f"{input.dim()}D input (shape {shape})"
        )
    lead = 2 if input.dim() == batched_dims else 1
    return shape[:lead] + (1,) * (len(shape) - lead)


@torch_api(method=False)
def dropout(input, p=0.5, training=True, inplace=False):
    return _drop(input, p, training, inplace, tuple(input.shape), alpha=False)


def dropout1d(input, p=0.5, training=True, inplace=False):
    return _drop(input, p, training, inplace, _channel_mask_shape(input, 3, "dropout1d"), alpha=False)


def dropout2d(input, p=0.5, training=True, inplace=False):
    if input.dim() == 3:
        warnings.warn(
            "dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout "
            "behavior is desired - input is interpreted as shape (N, C, L), where C is the channel dim. "
            "This behavior will change in a future release to interpret the input as one without a "
            "batch dimension, i.e. shape (C, H, W). To maintain the 1D channel-wise dropout behavior, "
            "please switch to using dropout1d instead.",
            stacklevel=2,
        )
        mask_shape = tuple(input.shape[:2]) + (1,)
    elif input.dim() == 4:
        mask_shape = tuple(input.shape[:2]) + (1, 1)
    else:
        warnings.warn(
            f"dropout2d: Received a {input.dim()}-D input to dropout2d, which is deprecated and will "
            "result in an error in a future release. To retain the behavior and silence this warning, "
            "please use dropout instead. Note that dropout2d exists to provide channel-wise dropout "
            "on inputs with 2 spatial dimensions, a channel dimension, and an optional batch dimension "
            "(i.e. 3D or 4D inputs).",
            stacklevel=2,
        )
        mask_shape = tuple(input.shape[:2]) + (1,) * (input.dim() - 2) if input.dim() >= 2 else tuple(input.shape)
    return _drop(input, p, training, inplace, mask_shape, alpha=False)


def dropout3d(input, p=0.5, training=True, inplace=False):
    return _drop(input, p, training, inplace, _channel_mask_shape(input, 5, "dropout3d"), alpha=False)


@torch_api(method=False)
def alpha_dropout(input, p=0.5, training=False, inplace=False):
    return _drop(input, p, training, inplace, tuple(input.shape), alpha=True)


@torch_api(method=False)
def feature_alpha_dropout(input, p=0.5, training=False, inplace=False):
    if input.dim() < 2:
        raise RuntimeError(
            f"feature_alpha_dropout: Feature dropout requires at least 2 dimensions in the input "
            f"(got shape {tuple(input.shape)})"
        )
    mask_shape = tuple(input.shape[:2]) + (1,) * (input.dim() - 2)
    return _drop(input, p, training, inplace, mask_shape, alpha=True)
