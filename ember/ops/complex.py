"""Complex tensors: complex(), polar(), view_as_real/view_as_complex, real/imag (views), conj, angle.

Gradients follow torch's convention for complex tensors: a real loss L of z = x + iy sends
dL/dx + i dL/dy to z. Holomorphic ops get that from the engine (Op.wirtinger); the ops here are not
holomorphic and write theirs out."""

import numpy as np

from .. import _dtype
from .._backend import array_module
from ..autograd.function import Op
from ._registry import torch_api
from .._tensor import Tensor


def _complex_pair_dtype(op, real, imag):
    if real.dtype is not imag.dtype:
        raise RuntimeError(
            f"Expected object of scalar type {_dtype.scalar_type_name(real.dtype)} but got scalar type "
            f"{_dtype.scalar_type_name(imag.dtype)} for second argument ({op} takes real and imag of "
            "one dtype)"
        )
    if real.dtype not in (_dtype.float32, _dtype.float64):
        raise RuntimeError(
            f"Expected both inputs to be Half, Float or Double tensors but got "
            f"{_dtype.scalar_type_name(real.dtype)} and {_dtype.scalar_type_name(imag.dtype)}"
            + (" (ember has no complex32: use float32)" if real.dtype is _dtype.float16 else "")
        )
    return real.dtype.to_complex()


class Complex(Op):
    wirtinger = False

    @staticmethod
    def forward(ctx, real, imag):
        out = array_module(real).empty(
            np.broadcast_shapes(real.shape, imag.shape), _dtype._BY_NP[real.dtype].to_complex().np
        )
        out.real[...], out.imag[...] = real, imag
        return out

    @staticmethod
    def backward(ctx, g):
        return real(g), imag(g)


@torch_api(method=False)
def complex(real, imag):
    _complex_pair_dtype("complex", real, imag)
    return Complex.apply(real, imag)


class Polar(Op):
    wirtinger = False

    @staticmethod
    def forward(ctx, magnitude, angle):
        xp = array_module(magnitude)
        unit = xp.exp(1j * angle.astype(np.float64)).astype(_dtype._BY_NP[magnitude.dtype].to_complex().np)
        z = magnitude * unit
        ctx.save_for_backward(unit, z)
        return z.astype(unit.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        # dL/dr = Re(conj(g) e^{i theta}), dL/dtheta = Re(conj(g) i z)
        unit, z = ctx.saved_tensors
        g_conj = g.conj()
        return real(g_conj * unit), real(g_conj * z * 1j)


@torch_api(method=False)
def polar(abs, angle):
    _complex_pair_dtype("polar", abs, angle)
    return Polar.apply(abs, angle)


class ViewAsReal(Op):
    view = True
    wirtinger = False

    @staticmethod
    def forward(ctx, z):
        return z[..., None].view(z.real.dtype)

    @staticmethod
    def backward(ctx, g):
        return view_as_complex(g.contiguous())


class ViewAsComplex(Op):
    view = True
    wirtinger = False

    @staticmethod
    def forward(ctx, x):
        return x.view(_dtype._BY_NP[x.dtype].to_complex().np)[..., 0]

    @staticmethod
    def backward(ctx, g):
        return view_as_real(g)


@torch_api(method=False)
def view_as_real(input):
    if not input.is_complex():
        raise RuntimeError("view_as_real is only supported for complex tensors")
    return ViewAsReal.apply(input)


@torch_api(method=False)
def view_as_complex(input):
    if input.dtype not in (_dtype.float32, _dtype.float64):
        raise RuntimeError(
            f"view_as_complex is only supported for float and double tensors, but got a tensor of "
            f"scalar type: {_dtype.scalar_type_name(input.dtype)}"
        )
    if input.dim() == 0 or input.shape[-1] != 2:
        raise RuntimeError("Tensor must have a last dimension of size 2")
    strides = input._data.strides
    if strides[-1] != input._data.itemsize:
        raise RuntimeError("Tensor must have a last dimension with stride 1")
    if any(s % (2 * input._data.itemsize) for s in strides[:-1]):
        raise RuntimeError("Tensor must have a stride divisible by 2 for all but last dimension")
    return ViewAsComplex.apply(input)


class RealPart(Op):
    view = True
    wirtinger = False
    _node_name = "RealBackward0"

    @staticmethod
    def forward(ctx, z):
        return z.real

    @staticmethod
    def backward(ctx, g):
        return g.to(ctx._in_meta[0][1])


class ImagPart(Op):
    view = True
    wirtinger = False
    _node_name = "ImagBackward0"

    @staticmethod
    def forward(ctx, z):
        return z.imag

    @staticmethod
    def backward(ctx, g):
        return g * 1j


@torch_api(method=False)
def real(input):
    return RealPart.apply(input) if input.is_complex() else input


@torch_api(method=False)
def imag(input):
    if not input.is_complex():
        raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")
    return ImagPart.apply(input)


def _set_part(part):
    def setter(self, value):
        target = getattr(self, part)
        from ..autograd.grad_mode import no_grad

        with no_grad():
            target.copy_(value if isinstance(value, Tensor) else Tensor._make(np.asarray(value)))

    return setter


Tensor.real = property(real, _set_part("real"))
Tensor.imag = property(imag, _set_part("imag"))


class Conj(Op):
    wirtinger = False
    _node_name = "ConjPhysicalBackward0"

    @staticmethod
    def forward(ctx, z):
        return z.conj()

    @staticmethod
    def backward(ctx, g):
        return conj(g)


@torch_api()
def conj(input):
    return Conj.apply(input) if input.is_complex() else input


@torch_api(inplace=True)
def conj_physical(input):
    return Conj.apply(input) if input.is_complex() else input.clone()


@torch_api()
def resolve_conj(input):
    """ember's conj is always materialised, so there is no lazy conjugation to resolve."""
    return input


@torch_api()
def resolve_neg(input):
    return input


@torch_api()
def is_conj(input):
    return False


@torch_api()
def is_neg(input):
    return False


@torch_api()
def is_complex(input):
    return input._data.dtype.kind == "c"


class Angle(Op):
    wirtinger = False

    @staticmethod
    def forward(ctx, z):
        xp = array_module(z)
        ctx.save_for_backward(z)
        if z.dtype.kind == "c":
            return xp.angle(z).astype(z.real.dtype, copy=False)
        # torch: 0 for x >= 0, pi for x < 0, nan stays nan
        return xp.where(z < 0, np.pi, xp.where(xp.isnan(z), z, 0)).astype(z.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        (z,) = ctx.saved_tensors
        if not z.is_complex():
            return g * 0
        from .elementwise import where

        # d(atan2(y, x)): (-y dx + x dy) / |z|^2, i.e. g i z / |z|^2 in torch's convention
        return where(z == 0, 0.0, g * z * 1j / (z.abs() ** 2))


@torch_api()
def angle(input):
    if not input.is_complex() and not input.is_floating_point():
        input = input.to(_dtype.get_default_dtype())
    return Angle.apply(input)


def _complex_method(target):
    def convert(self, memory_format=None):
        return self.to(target, memory_format=memory_format)

    return convert


torch_api("cfloat", function=False)(_complex_method(_dtype.complex64))
torch_api("cdouble", function=False)(_complex_method(_dtype.complex128))
