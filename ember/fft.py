"""torch.fft: the discrete Fourier transforms (ember/ops/fft.py), with torch's n/s, dim and norm arguments,
dtypes and gradients; the n-dimensional transforms are the 1-D ones applied along each dim."""

from . import _dtype, _formats
from .ops import fft as _ops
from .ops._registry import _with_out

__all__ = [
    "fft",
    "ifft",
    "fft2",
    "ifft2",
    "fftn",
    "ifftn",
    "rfft",
    "irfft",
    "rfft2",
    "irfft2",
    "rfftn",
    "irfftn",
    "hfft",
    "ihfft",
    "hfft2",
    "ihfft2",
    "hfftn",
    "ihfftn",
    "fftfreq",
    "rfftfreq",
    "fftshift",
    "ifftshift",
]


def _public(fn):
    wrapped = _with_out(fn)
    wrapped.__module__ = __name__
    return wrapped


def _norm(norm):
    if norm is None:
        return "backward"
    if norm not in ("backward", "forward", "ortho"):
        raise RuntimeError(f'Invalid normalization mode: "{norm}"')
    return norm


def _float_or_complex(op, x, want_complex):
    """x as a float (or complex) tensor of torch's precision; integers become the default float."""
    if x._data.dtype.kind in "iub":
        x = x.to(_dtype.get_default_dtype())
    if x.dtype not in (_dtype.float32, _dtype.float64, _dtype.complex64, _dtype.complex128):
        raise RuntimeError(f"{op}: Unsupported dtype {_dtype.scalar_type_name(x.dtype)} (use float32 or float64)")
    if want_complex and not x.is_complex():
        x = x.to(x.dtype.to_complex())
    return x


def _resize(x, dim, n):
    """x zero-padded or trimmed to length n along dim, as torch does before a transform (differentiable)."""
    length = x.shape[dim]
    if n == length:
        return x
    if n < length:
        return x.narrow(dim, 0, n)
    from .ops.creation import zeros
    from .ops.shape import cat

    shape = list(x.shape)
    shape[dim] = n - length
    return cat([x, zeros(*shape, dtype=x.dtype, device=x.device)], dim)


def _check_n(op, n):
    if n is not None and n < 1:
        raise RuntimeError(f"Invalid number of data points ({n}) specified")


def _c2c(op, input, n, dim, norm, forward):
    _check_n(op, n)
    x = _float_or_complex(op, input, True)
    d = x._dim(dim)
    x = _resize(x, d, x.shape[d] if n is None else n)
    return _ops.C2C.apply(x, d, _norm(norm), forward)


@_public
def fft(input, n=None, dim=-1, norm=None):
    return _c2c("fft", input, n, dim, norm, True)


@_public
def ifft(input, n=None, dim=-1, norm=None):
    return _c2c("ifft", input, n, dim, norm, False)


@_public
def rfft(input, n=None, dim=-1, norm=None):
    _check_n("rfft", n)
    if input.is_complex():
        raise RuntimeError(f"rfft expects a real input tensor, but got {_dtype.scalar_type_name(input.dtype)}")
    x = _float_or_complex("rfft", input, False)
    d = x._dim(dim)
    x = _resize(x, d, x.shape[d] if n is None else n)
    return _ops.R2C.apply(x, d, _norm(norm))


@_public
def irfft(input, n=None, dim=-1, norm=None):
    _check_n("irfft", n)
    x = _float_or_complex("irfft", input, True)
    d = x._dim(dim)
    n = 2 * (x.shape[d] - 1) if n is None else n
    if n < 1:
        raise RuntimeError(f"Invalid number of data points ({n}) specified")
    return _ops.C2R.apply(_resize(x, d, n // 2 + 1), d, n, _norm(norm))


@_public
def hfft(input, n=None, dim=-1, norm=None):
    # the forward transform of a Hermitian signal: irfft of its conjugate, with the dual normalisation
    return irfft(_float_or_complex("hfft", input, True).conj(), n, dim, _ops.DUAL_NORM[_norm(norm)])


@_public
def ihfft(input, n=None, dim=-1, norm=None):
    return rfft(input, n, dim, _ops.DUAL_NORM[_norm(norm)]).conj()


def _dims_and_sizes(op, x, s, dim):
    """torch's rules for (s, dim) of the n-dimensional transforms."""
    if dim is not None:
        dims = [dim] if isinstance(dim, int) else list(dim)
        dims = [x._dim(d) for d in dims]
        if len(set(dims)) != len(dims):
            raise RuntimeError(f"{op}: FFT dims must be unique")
        if s is not None and len(s) != len(dims):
            raise RuntimeError("When given, dim and shape arguments must have the same length")
    elif s is not None:
        if len(s) > x.dim():
            raise RuntimeError(f"Got shape with {len(s)} values but input tensor only has {x.dim()} dimensions.")
        dims = list(range(x.dim() - len(s), x.dim()))
    else:
        dims = list(range(x.dim()))
    sizes = [None] * len(dims) if s is None else [None if v == -1 else v for v in s]
    return dims, sizes


def _c2c_n(op, input, s, dim, norm, forward):
    x = _float_or_complex(op, input, True)
    dims, sizes = _dims_and_sizes(op, x, s, dim)
    for d, n in zip(dims, sizes):
        x = _c2c(op, x, n, d, norm, forward)
    return x


@_public
def fftn(input, s=None, dim=None, norm=None):
    return _c2c_n("fftn", input, s, dim, norm, True)


@_public
def ifftn(input, s=None, dim=None, norm=None):
    return _c2c_n("ifftn", input, s, dim, norm, False)


@_public
def fft2(input, s=None, dim=(-2, -1), norm=None):
    return fftn(input, s, dim, norm)


@_public
def ifft2(input, s=None, dim=(-2, -1), norm=None):
    return ifftn(input, s, dim, norm)


@_public
def rfftn(input, s=None, dim=None, norm=None):
    if input.is_complex():
        raise RuntimeError(f"rfftn expects a real-valued input tensor, but got {_dtype.scalar_type_name(input.dtype)}")
    x = _float_or_complex("rfftn", input, False)
    dims, sizes = _dims_and_sizes("rfftn", x, s, dim)
    x = rfft(x, sizes[-1], dims[-1], norm)  # the last dim is halved, the others transformed in full
    for d, n in zip(dims[:-1], sizes[:-1]):
        x = _c2c("rfftn", x, n, d, norm, True)
    return x


@_public
def irfftn(input, s=None, dim=None, norm=None):
    x = _float_or_complex("irfftn", input, True)
    dims, sizes = _dims_and_sizes("irfftn", x, s, dim)
    for d, n in zip(dims[:-1], sizes[:-1]):
        x = _c2c("irfftn", x, n, d, norm, False)
    return irfft(x, sizes[-1], dims[-1], norm)


@_public
def rfft2(input, s=None, dim=(-2, -1), norm=None):
    return rfftn(input, s, dim, norm)


@_public
def irfft2(input, s=None, dim=(-2, -1), norm=None):
    return irfftn(input, s, dim, norm)


@_public
def hfftn(input, s=None, dim=None, norm=None):
    return irfftn(_float_or_complex("hfftn", input, True).conj(), s, dim, _ops.DUAL_NORM[_norm(norm)])


@_public
def ihfftn(input, s=None, dim=None, norm=None):
    return rfftn(input, s, dim, _ops.DUAL_NORM[_norm(norm)]).conj()


@_public
def hfft2(input, s=None, dim=(-2, -1), norm=None):
    return hfftn(input, s, dim, norm)


@_public
def ihfft2(input, s=None, dim=(-2, -1), norm=None):
    return ihfftn(input, s, dim, norm)


def _frequencies(count, n, d, negative, dtype, device, requires_grad):
    from .ops.creation import arange

    k = arange(count, dtype=_dtype.int64)
    if negative:
        k = k - (k >= (n + 1) // 2).long() * n  # 0, 1, ..., (n-1)//2, -(n//2), ..., -1
    out = k.to(dtype or _dtype.get_default_dtype()) / (d * n) if n else k.to(dtype or _dtype.get_default_dtype())
    if device is not None:
        out = out.to(device)
    return out.requires_grad_(requires_grad) if requires_grad else out


@_public
def fftfreq(n, d=1.0, *, dtype=None, layout=None, device=None, requires_grad=False):
    _formats.check_layout("fftfreq", layout)
    return _frequencies(n, n, d, True, dtype, device, requires_grad)


@_public
def rfftfreq(n, d=1.0, *, dtype=None, layout=None, device=None, requires_grad=False):
    _formats.check_layout("rfftfreq", layout)
    return _frequencies(n // 2 + 1, n, d, False, dtype, device, requires_grad)


def _shift(input, dim, sign):
    dims = list(range(input.dim())) if dim is None else ([dim] if isinstance(dim, int) else list(dim))
    shifts = [sign * (input.shape[d] // 2) for d in dims]
    return input.roll(shifts, dims)


def fftshift(input, dim=None):
    return _shift(input, dim, 1)


def ifftshift(input, dim=None):
    return _shift(input, dim, -1)
