"""LAPACK's Householder QR in torch's low-level spelling: geqrf (the reflectors and their scales), orgqr (Q from
them) and ormqr (a product with Q), for code written against LAPACK's interface."""

import numpy as np

from .._backend import to_device, to_host
from .._tensor import Tensor
from ..return_types import return_type
from ._registry import torch_api


@torch_api()
def geqrf(input):
    """(a, tau): R on and above a's diagonal, the Householder vectors below it, as LAPACK's geqrf. Not
    differentiable, as torch's."""
    if input.dim() < 2:
        raise RuntimeError(f"torch.geqrf: input must have at least 2 dimensions. (got {input.dim()})")
    if not (input.is_floating_point() or input.is_complex()):
        raise RuntimeError(f"torch.geqrf: Expected a floating point or complex tensor as input. Got {input.dtype}")
    host = to_host(input.detach()._data)
    h, tau = np.linalg.qr(host, mode="raw")  # NumPy's raw mode is LAPACK's output, transposed
    a = np.ascontiguousarray(np.swapaxes(h, -1, -2)).astype(host.dtype, copy=False)
    device = input.device
    return return_type("geqrf", ["a", "tau"])(
        (Tensor._make(to_device(a, device)), Tensor._make(to_device(tau.astype(host.dtype, copy=False), device)))
    )


@torch_api()
def orgqr(input, input2):
    """Q from geqrf's reflectors (input) and their scales (input2, torch's name for tau)."""
    from ..linalg import householder_product

    return householder_product(input, input2)


@torch_api()
def ormqr(input, input2, input3, left=True, transpose=False):
    """Q @ input3 (or input3 @ Q, with Q^H for transpose) for the full m x m Q of geqrf's reflectors (input,
    tau = input2)."""
    m = input.shape[-2]
    if input3.shape[-2 if left else -1] != m:
        raise RuntimeError(
            f"torch.ormqr: other.shape[{-2 if left else -1}] must be equal to input.shape[-2] "
            f"(got {input3.shape[-2 if left else -1]} and {m})"
        )
    from .creation import eye

    k = input2.shape[-1]
    v = input[..., :, :k].tril(-1) + eye(m, k, dtype=input.dtype, device=input.device)
    q = eye(m, dtype=input.dtype, device=input.device).expand(*input.shape[:-2], m, m)
    for i in range(k - 1, -1, -1):
        vi = v[..., :, i : i + 1]
        q = q - input2[..., i : i + 1].unsqueeze(-1) * vi.matmul(vi.mT.conj().matmul(q))
    if transpose:
        q = q.mT.conj()
    return q.matmul(input3) if left else input3.matmul(q)
