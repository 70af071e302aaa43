"""The discrete Fourier transforms behind torch.fft, one dimension at a time: complex-to-complex,
real-to-complex (the onesided half) and complex-to-real. Each runs NumPy's (or CuPy's) fft in the
input's precision family and returns torch's dtype (complex64 for float32 input, where NumPy would
give complex128)."""

import numpy as np

from .._backend import array_module
from ..autograd.function import Op

DUAL_NORM = {"backward": "forward", "forward": "backward", "ortho": "ortho"}


def _complex_of(dtype):
    return np.complex64 if dtype in (np.float32, np.complex64) else np.complex128


class C2C(Op):
    """fft (forward=True) or ifft along dim, at the input's length."""

    wirtinger = False

    @staticmethod
    def forward(ctx, x, dim, norm, forward):
        ctx.dim, ctx.norm, ctx.fwd = dim, norm, forward
        xp = array_module(x)
        y = (xp.fft.fft if forward else xp.fft.ifft)(x, axis=dim, norm=norm)
        return y.astype(_complex_of(x.dtype), copy=False)

    @staticmethod
    def backward(ctx, g):
        # the adjoint of a DFT is the opposite transform with the dual normalisation
        return C2C.apply(g, ctx.dim, DUAL_NORM[ctx.norm], not ctx.fwd), None, None, None


class R2C(Op):
    """rfft along dim: the n // 2 + 1 non-negative frequencies of a real signal of length n."""

    wirtinger = False

    @staticmethod
    def forward(ctx, x, dim, norm):
        ctx.dim, ctx.norm, ctx.n = dim, norm, x.shape[dim]
        y = array_module(x).fft.rfft(x, axis=dim, norm=norm)
        return y.astype(_complex_of(x.dtype), copy=False)

    @staticmethod
    def backward(ctx, g):
        # Re(R^H g): the half spectrum padded with zeros to length n, inverse-transformed, its real part
        from .shape import cat
        from .creation import zeros

        missing = ctx.n - g.shape[ctx.dim]
        shape = list(g.shape)
        shape[ctx.dim] = missing
        padded = cat([g, zeros(*shape, dtype=g.dtype, device=g.device)], ctx.dim)
        return C2C.apply(padded, ctx.dim, DUAL_NORM[ctx.norm], False).real, None, None


class C2R(Op):
    """irfft along dim: a real signal of length n from its n // 2 + 1 non-negative frequencies."""

    wirtinger = False

    @staticmethod
    def forward(ctx, x, dim, n, norm):
        ctx.dim, ctx.norm = dim, norm
        y = array_module(x).fft.irfft(x, n=n, axis=dim, norm=norm)
        return y.astype(np.float32 if x.dtype == np.complex64 else np.float64, copy=False)

    @staticmethod
    def backward(ctx, g):
        # the half spectrum of g; the bins that stand for two (k and n - k) of the full one count twice
        half = R2C.apply(g, ctx.dim, DUAL_NORM[ctx.norm])
        n, m = g.shape[ctx.dim], half.shape[ctx.dim]
        twice = n - m
        if twice > 0:
            from .creation import ones

            shape = [1] * half.dim()
            shape[ctx.dim] = m
            weight = ones(m, dtype=g.dtype, device=g.device)
            weight[1 : 1 + twice] = 2.0
            half = half * weight.reshape(shape)
        return half, None, None, None
