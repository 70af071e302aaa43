"""Pointwise ops torch has beyond the core arithmetic of elementwise.py: integer math (gcd, lcm, shifts),
floating-point bit-level ops (copysign, nextafter, ldexp, frexp), heaviside, logaddexp2, angle conversion."""

import math

import numpy as np

from .. import _dtype
from .._backend import array_module
from ..autograd.function import Op
from ..return_types import return_type
from ._registry import named, torch_api
from ._registry import _inplace_variant
from .elementwise import (
    NoGradBinary,
    UNARY_OPS,
    _binary,
    _broadcast_check,
    _no_grad_binary,
    _operand,
    _cast,
    where,
    pow,
    mul,
    maximum,
    float_power,
)
from .._tensor import Tensor


def _integer_only(kernel_name, *operands):
    for x in operands:
        if isinstance(x, Tensor) and x._data.dtype.kind not in "iub":
            raise NotImplementedError(
                f"\"{kernel_name}\" not implemented for '{_dtype.scalar_type_name(x.dtype)}' "
                f"({kernel_name[:-4]} takes integer tensors)"
            )


def _integer_op(name, kernel):
    def fn(input, other):
        _broadcast_check(name, input, other)
        _integer_only(f"{name}_cpu", input, other)
        return _no_grad_binary(kernel, input, other)

    fn.__name__ = name
    return torch_api(name, inplace=True)(fn)


def _gcd(a, b):
    if np.result_type(a, b) == np.bool_:
        raise NotImplementedError("\"gcd_cpu\" not implemented for 'Bool'")
    return array_module(a if hasattr(a, "shape") else b).gcd(a, b)


def _lcm(a, b):
    if np.result_type(a, b) == np.bool_:
        raise NotImplementedError("\"lcm_cpu\" not implemented for 'Bool'")
    return array_module(a if hasattr(a, "shape") else b).lcm(a, b)


def _shift(left):
    """torch's shifts: a shift by a negative count or by the width of the type or more gives 0 (left) or
    the sign (right), where C and NumPy leave it undefined."""

    def kernel(a, b):
        xp = array_module(a if hasattr(a, "shape") else b)
        a, b = xp.asarray(a), xp.asarray(b)
        bits = a.dtype.itemsize * 8
        out_of_range = (b < 0) | (b >= bits)
        count = xp.where(out_of_range, 0, b).astype(a.dtype)
        if left:
            return xp.where(out_of_range, 0, xp.left_shift(a, count)).astype(a.dtype)
        return xp.where(
            out_of_range, xp.right_shift(a, bits - 1) if a.dtype.kind == "i" else 0, xp.right_shift(a, count)
        ).astype(a.dtype)

    return kernel


gcd = _integer_op("gcd", _gcd)
lcm = _integer_op("lcm", _lcm)


def _shift_op(name, kernel_name, left):
    def fn(input, other):
        _broadcast_check(name, input, other)
        for x in (input, other):
            if isinstance(x, Tensor) and x._data.dtype.kind not in "iu":
                raise NotImplementedError(
                    f'"{kernel_name}" not implemented for '
                    f"'{_dtype.scalar_type_name(x.dtype)}' ({name} takes integer tensors)"
                )
        return _no_grad_binary(_shift(left), input, other)

    fn.__name__ = name
    return torch_api(name, inplace=True)(fn)


bitwise_left_shift = _shift_op("bitwise_left_shift", "lshift_cpu", True)
bitwise_right_shift = _shift_op("bitwise_right_shift", "rshift_cpu", False)
# Python's << and >> on tensors (the rest of the operator table is in dunders.py)
for _name, _op in (("lshift", bitwise_left_shift), ("rshift", bitwise_right_shift)):
    setattr(Tensor, f"__{_name}__", _op)
    setattr(Tensor, f"__r{_name}__", lambda self, other, _op=_op: _op(_operand(other), self))
    setattr(Tensor, f"__i{_name}__", lambda self, other, _n=_op.__name__: getattr(self, _n + "_")(other))


class Copysign(Op):
    """|input| with the sign of other; the gradient of input is grad * result / input (0 where input is 0)."""

    inputs = (0, 1)

    @staticmethod
    def forward(ctx, a, b):
        y = array_module(a).copysign(a, b)
        ctx.save_for_backward(a, y)
        return y

    @staticmethod
    def backward(ctx, g):
        a, y = ctx.saved_tensors
        return g * where(a == 0, 0.0, y / a), g * 0  # torch's other gets a zero gradient


@torch_api(inplace=True)
def copysign(input, other):
    _broadcast_check("copysign", input, other)
    return _binary(Copysign, input, other, float_result=True)


@torch_api(inplace=True)
def nextafter(input, other):
    _broadcast_check("nextafter", input, other)
    for x in (input, other):
        if isinstance(x, Tensor) and not _dtype.is_float_array(x._data):
            raise NotImplementedError(f"\"nextafter_cpu\" not implemented for '{_dtype.scalar_type_name(x.dtype)}'")
    return _no_grad_binary(lambda a, b: array_module(a).nextafter(a, b), input, other)


@torch_api(inplace=True)
def ldexp(input, other):
    # input * 2 ** other, as torch composes it (in the default float dtype for integer input). Its gradient is
    # grad * 2 ** other; torch's (LdexpBackward0) takes that power in other's integer dtype, which makes it 0
    # for a negative exponent: ember keeps the true derivative
    return named(mul(input, pow(2.0, _operand(other))), "LdexpBackward0")


class Frexp(Op):
    """Mantissa in [0.5, 1) and an int32 exponent; the mantissa's gradient is grad / 2 ** exponent."""

    @staticmethod
    def forward(ctx, x):
        mantissa, exponent = array_module(x).frexp(x)
        exponent = exponent.astype(np.int32)
        ctx.save_for_backward(exponent)
        return mantissa, exponent

    @staticmethod
    def backward(ctx, g, _):
        (exponent,) = ctx.saved_tensors
        return g / exponent.to(g.dtype).exp2()


@torch_api()
def frexp(input):
    if not _dtype.is_float_array(input._data) or input.is_complex():
        raise RuntimeError(f"torch.frexp() only supports floating-point dtypes (got {input.dtype})")
    return return_type("frexp", ["mantissa", "exponent"])(Frexp.apply(input))


def _heaviside(a, b):
    xp = array_module(a if hasattr(a, "shape") else b)
    return xp.where(a == 0, b, a > 0).astype(np.result_type(a, b))


@torch_api(inplace=True)
def heaviside(input, values):
    _broadcast_check("heaviside", input, values)
    if isinstance(values, Tensor) and values.dtype is not input.dtype:
        raise RuntimeError("heaviside is not yet implemented for tensors with different dtypes.")
    if input.is_complex():
        raise RuntimeError("heaviside is not yet implemented for complex tensors.")
    return NoGradBinary.apply(input, _cast(_operand(values), input.dtype), _heaviside)


@torch_api()
def logaddexp2(input, other):
    m = maximum(input, other).detach()
    return m + ((input - m).exp2() + (other - m).exp2()).log2()


_DEG = math.pi / 180.0


@torch_api(inplace=True)
def deg2rad(input):
    return mul(_as_float(input), _DEG)


@torch_api(inplace=True)
def rad2deg(input):
    return mul(_as_float(input), 1.0 / _DEG)


def _as_float(input):
    if input.is_complex():
        raise RuntimeError("deg2rad/rad2deg are not supported for complex tensors.")
    return input if _dtype.is_float_array(input._data) else input.to(_dtype.get_default_dtype())


@torch_api()
def isreal(input):
    if input.is_complex():
        return input.imag == 0
    from .creation import ones_like

    return ones_like(input, dtype=_dtype.bool)


@torch_api()
def positive(input):
    if input.dtype is _dtype.bool:
        raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
    return input


def float_power_(self, exponent):
    """In place, float_power's float64 (complex128) result must fit self: torch refuses a float32 self."""
    wanted = (
        _dtype.complex128 if self.is_complex() or getattr(exponent, "is_complex", lambda: False)() else _dtype.float64
    )
    if self.dtype is not wanted:
        raise RuntimeError(
            f"the base given to float_power_ has dtype {_dtype.scalar_type_name(self.dtype)} but the "
            f"operation's result requires dtype {_dtype.scalar_type_name(wanted)}"
        )
    return _float_power_inplace(self, exponent)


_float_power_inplace = _inplace_variant(float_power, "float_power")


@torch_api(inplace=True)
def round(input, *, decimals=0):
    """Half to even, at `decimals` decimal places as torch: (input * 10 ** decimals).round() / 10 ** decimals."""
    if not decimals:
        return UNARY_OPS["round"].apply(input) if input.dtype is not _dtype.bool else _bool_round()
    if not _dtype.is_float_array(input._data):
        raise RuntimeError("round_cpu: decimals is only supported for floating point tensors")
    scale = 10.0**decimals
    return UNARY_OPS["round"].apply(input * scale) / scale


def _bool_round():
    raise NotImplementedError("\"round_vml_cpu\" not implemented for 'Bool'")


torch_api("float_power", function=False)(float_power)
torch_api("float_power_", function=False)(float_power_)
