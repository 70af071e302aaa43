"""Distances (nn.functional.pairwise_distance, cosine_similarity, pdist, normalize): compositions of
ember's norm, written as torch's ATen composes them so values and gradients agree."""

from .._backend import is_half_precision
from .._dtype import scalar_type_name
from ._registry import torch_api, named
from .reduce import norm
from .elementwise import AddScalar
from ..autograd.grad_mode import no_grad

__all__ = ["pairwise_distance", "cosine_similarity", "pdist", "normalize"]


@torch_api(method=False)
def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    innermost = max(x1.dim(), x2.dim()) - 1
    diff = AddScalar.apply(x1 - x2, eps)
    if innermost < 0:
        diff, innermost = diff.reshape(1), 0
    return named(norm(diff, p, innermost, keepdim), "NormBackward1")  # ATen's at::norm


@torch_api(method=False)
def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    # as torch: clamp copies of the norms under no_grad (the clamp changes the value, not the gradient)
    x1n, x2n = norm(x1, 2, dim, True).clone(), norm(x2, 2, dim, True).clone()
    with no_grad():
        x1n.clamp_(min=eps)
        x2n.clamp_(min=eps)
    return ((x1 / x1n) * (x2 / x2n)).sum(dim)


@torch_api(method=False)
def pdist(input, p=2):
    if input.dim() != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {input.dim()}D (shape {tuple(input.shape)})")
    if not p >= 0:
        raise RuntimeError("pdist only supports non-negative p values")
    if is_half_precision(input._data.dtype):
        raise NotImplementedError(f"\"pdist\" not implemented for '{scalar_type_name(input.dtype)}'")
    from .linalg import triu_indices

    n = input.shape[0]
    rows, cols = triu_indices(n, n, 1)
    return norm(input[rows] - input[cols], p, 1)


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    denom = norm(input, p, dim, True).clamp(min=eps).expand_as(input)
    result = input / denom
    if out is not None:
        return out.copy_(result)
    return result
