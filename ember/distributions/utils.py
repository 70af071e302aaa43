"""Helpers shared by the distributions: broadcasting parameters, probs <-> logits, lazy properties."""

import numbers

import numpy as np

from .. import _dtype
from .._tensor import Tensor
from ..autograd.grad_mode import enable_grad


def broadcast_all(*values):
    """Tensors and numbers broadcast to one shape; numbers take the first tensor's dtype and device
    (the default dtype when all are numbers), as torch.distributions.utils.broadcast_all."""
    from ..ops.creation import tensor
    from ..ops.shape import broadcast_tensors

    if not all(isinstance(v, (Tensor, numbers.Number)) for v in values):
        raise ValueError(
            "Input arguments must all be instances of numbers.Number, torch.Tensor or objects "
            "implementing __torch_function__."
        )
    like = next((v for v in values if isinstance(v, Tensor)), None)
    options = dict(dtype=_dtype.get_default_dtype()) if like is None else dict(dtype=like.dtype, device=like.device)
    tensors = [v if isinstance(v, Tensor) else tensor(v, **options) for v in values]
    return broadcast_tensors(*tensors)


def finfo_eps(dtype):
    return float(np.finfo(dtype.np).eps)


def finfo_tiny(dtype):
    return float(np.finfo(dtype.np).tiny)


def clamp_probs(probs):
    eps = finfo_eps(probs.dtype)
    return probs.clamp(min=eps, max=1 - eps)


def probs_to_logits(probs, is_binary=False):
    ps_clamped = clamp_probs(probs)
    if is_binary:
        return ps_clamped.log() - (-ps_clamped).log1p()
    return ps_clamped.log()


def logits_to_probs(logits, is_binary=False):
    if is_binary:
        return logits.sigmoid()
    return logits.softmax(-1)


def sum_rightmost(value, dim):
    """Sum out the `dim` rightmost dimensions of value (a number passes through)."""
    if dim == 0 or not isinstance(value, Tensor):
        return value
    return value.reshape(value.shape[: value.dim() - dim] + (-1,)).sum(-1)


def tril_matrix_to_vec(mat, diag=0):
    n = mat.shape[-1]
    rows, cols = np.tril_indices(n, diag)
    return mat[..., Tensor._make(rows.astype(np.int64)), Tensor._make(cols.astype(np.int64))]


class lazy_property:
    """A property computed on first access and then stored on the instance (with grad enabled, as torch's)."""

    def __init__(self, wrapped):
        self.wrapped = wrapped
        self.__doc__ = wrapped.__doc__
        self.__name__ = wrapped.__name__

    def __get__(self, instance, obj_type=None):
        if instance is None:
            return _lazy_property_and_property(self.wrapped)
        with enable_grad():
            value = self.wrapped(instance)
        setattr(instance, self.wrapped.__name__, value)
        return value


class _lazy_property_and_property(lazy_property, property):
    """What a lazy_property is on the class itself: still a property, for introspection."""

    def __init__(self, wrapped):
        property.__init__(self, wrapped)


def draw(sampler, shape, like):
    """An array from ember's default generator, `sampler(rng, shape)`, as a tensor of like's dtype and device
    (the draws are made on the host, in float64 where the sampler gives it)."""
    from ..ops.creation import _rng
    from .._backend import to_device

    arr = np.asarray(sampler(_rng(None), tuple(shape)))
    return Tensor._make(to_device(arr.astype(like.dtype.np, copy=False), like.device))
