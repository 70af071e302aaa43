"""Gradient clipping (torch/nn/utils/clip_grad.py): per-tensor norms, the norm of those norms, and an
in-place rescale of every gradient by clamp(max_norm / (total + 1e-6), max=1)."""

import math
import types
import warnings

import numpy as np

from ..._backend import array_module
from ..._tensor import Tensor

__all__ = ["clip_grad_norm", "clip_grad_norm_", "clip_grad_value_", "clip_grads_with_norm_", "get_total_norm"]


def _as_list(tensors):
    return [tensors] if isinstance(tensors, Tensor) else list(tensors)


def _on_module(arr, xp):
    """Move a (0-d) array to the array module of the first gradient, as torch's norm.to(first_device)."""
    if xp is np and array_module(arr) is not np:
        return np.asarray(arr.get())
    return xp.asarray(arr)


def _vector_norm(x, norm_type):
    """torch.linalg.vector_norm of a whole array, as a 0-d array of its dtype."""
    xp = array_module(x)
    flat = x.reshape(-1)
    if norm_type == 2.0:
        return xp.sqrt(xp.asarray(xp.vdot(flat, flat)))
    if norm_type == math.inf:
        return xp.abs(flat).max(initial=x.dtype.type(0)) if flat.size else xp.zeros((), x.dtype)
    if norm_type == -math.inf:
        return xp.abs(flat).min()
    if norm_type == 0.0:
        return xp.asarray(xp.count_nonzero(flat), dtype=x.dtype)
    if norm_type == 1.0:
        return xp.abs(flat).sum()
    return (xp.abs(flat) ** norm_type).sum() ** (1.0 / norm_type)


def get_total_norm(tensors, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """The norm of the per-tensor norms (so norm_type=0 counts the nonzero tensors, as torch)."""
    tensors = _as_list(tensors)
    norm_type = float(norm_type)
    if len(tensors) == 0:
        return Tensor._make(np.array(0.0, dtype=np.float32))
    norms = [_vector_norm(t._data, norm_type) for t in tensors]
    first_xp = array_module(tensors[0]._data)
    dtype = np.result_type(*[n.dtype for n in norms])
    stacked = first_xp.stack([_on_module(n, first_xp).astype(dtype) for n in norms])
    total = _vector_norm(stacked, norm_type)
    if error_if_nonfinite and not bool(first_xp.isfinite(total)):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, so "
            "it cannot be clipped. To disable this error and scale the gradients by the non-finite "
            "norm anyway, set `error_if_nonfinite=False`"
        )
    return Tensor._make(total)


def clip_grads_with_norm_(parameters, max_norm, total_norm, foreach=None):
    """Scale the gradients in place by clamp(max_norm / (total_norm + 1e-6), max=1.0)."""
    grads = [p.grad for p in _as_list(parameters) if p.grad is not None]
    if len(grads) == 0:
        return
    total = total_norm._data
    # torch computes `max_norm / t` as reciprocal(t) * max_norm, in the norm's dtype
    clip_coef = (total.dtype.type(1) / (total + total.dtype.type(1e-6))) * total.dtype.type(float(max_norm))
    clip_coef = min(float(clip_coef), 1.0)  # a NaN norm stays NaN, as torch.clamp
    for g in grads:
        g._data *= clip_coef
        g._version_counter[0] += 1


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Clip the gradient norm of `parameters` in place; returns the total norm before clipping."""
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    else:
        is_generator = isinstance(parameters, types.GeneratorType)
        parameters = list(parameters)
        if is_generator and len(parameters) == 0:
            warnings.warn("`parameters` is an empty generator, no gradient clipping will occur.", stacklevel=3)
    grads = [p.grad for p in parameters if p.grad is not None]
    total_norm = get_total_norm(grads, norm_type, error_if_nonfinite, foreach)
    clip_grads_with_norm_(parameters, max_norm, total_norm, foreach)
    return total_norm


def clip_grad_norm(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Deprecated alias of clip_grad_norm_."""
    warnings.warn(
        "`torch.nn.utils.clip_grad_norm` is now deprecated in favor of `torch.nn.utils.clip_grad_norm_`.",
        FutureWarning,
        stacklevel=2,
    )
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamp every gradient in place to [-clip_value, clip_value]."""
    clip_value = float(clip_value)
    for p in _as_list(parameters):
        if p.grad is not None:
            g = p.grad._data
            array_module(g).clip(g, -clip_value, clip_value, out=g)
            p.grad._version_counter[0] += 1
