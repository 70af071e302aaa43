"""Activation functions (nn.functional): forward and backward together.

Pointwise activations with a kink or a parameter come from one table (`POINTWISE`): a NumPy
forward and a backward written in ember ops (so double backward works), with torch's choice of
subgradient at each kink. Smooth ones that torch itself composes (softsign, tanhshrink, glu,
softmin) are compositions of existing ember ops.
"""

import math
import warnings

import numpy as np

from .._backend import array_module, is_half_precision
from ..autograd.function import Op, rename
from ..autograd.grad_mode import state
from .._tensor import Tensor
from ._registry import torch_api
from . import reduce as _reduce
from .elementwise import where, _erf

__all__ = [
    "threshold",
    "threshold_",
    "relu",
    "relu_",
    "relu6",
    "hardtanh",
    "hardtanh_",
    "leaky_relu",
    "leaky_relu_",
    "prelu",
    "rrelu",
    "rrelu_",
    "elu",
    "elu_",
    "selu",
    "selu_",
    "celu",
    "celu_",
    "gelu",
    "silu",
    "mish",
    "sigmoid",
    "tanh",
    "softsign",
    "softplus",
    "hardsigmoid",
    "hardswish",
    "logsigmoid",
    "hardshrink",
    "softshrink",
    "tanhshrink",
    "softmax",
    "log_softmax",
    "softmin",
    "glu",
    "gumbel_softmax",
]

_SQRT_HALF = math.sqrt(0.5)
_INV_SQRT_2PI = 1.0 / math.sqrt(2 * math.pi)
_SQRT_2_OVER_PI = math.sqrt(2 / math.pi)
_GELU_TANH_COEF = 0.044715
_ONE_SIXTH_F32 = float(np.float32(1 / 6))  # torch's hardsigmoid backward uses a float constant at any dtype
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def _elu_forward(xp, x, alpha, scale, input_scale):
    return xp.where(x > 0, x * scale, (xp.expm1(x * input_scale) * (alpha * scale)))


def _elu_backward(g, x, alpha, scale, input_scale):
    # torch takes the negative branch at 0 (selu'(0) = scale * alpha)
    return where(x > 0, g * scale, g * (x * input_scale).exp() * (alpha * scale * input_scale))


def _celu_backward(g, x, alpha, scale, input_scale):
    # torch's derivative formula uses 1 / float32(alpha) as the input scale (derivatives.yaml: 1.0/alpha.toFloat())
    return _elu_backward(g, x, alpha, scale, 1.0 / float(np.float32(alpha)))


def _gelu_forward(xp, x, approximate):
    if approximate == "tanh":
        inner = _SQRT_2_OVER_PI * (x + _GELU_TANH_COEF * x * x * x)
        return 0.5 * x * (1 + xp.tanh(inner))
    return 0.5 * x * (1 + _erf(xp, x * _SQRT_HALF))


def _gelu_backward(g, x, approximate):
    if approximate == "tanh":
        inner = (x + _GELU_TANH_COEF * x * x * x) * _SQRT_2_OVER_PI
        t = inner.tanh()
        d_inner = (1 + 3 * _GELU_TANH_COEF * x * x) * _SQRT_2_OVER_PI
        return g * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * d_inner)
    cdf = 0.5 * (1 + (x * _SQRT_HALF).erf())
    return g * (cdf + x * (-0.5 * x * x).exp() * _INV_SQRT_2PI)


def _softplus_forward(xp, x, beta, threshold):
    bx = x * beta
    return xp.where(bx > threshold, x, xp.logaddexp(0, bx) / beta)


def _mish_forward(xp, x):
    return x * xp.tanh(xp.logaddexp(0, x))


def _mish_backward(g, x):
    s = x.sigmoid()
    t = (x.clamp(min=0) + (-x.abs()).exp().log1p()).tanh()
    return g * (t + x * s * (1 - t * t))


def _leaky_relu_forward(xp, x, slope):
    if is_half_precision(x.dtype):  # torch computes in float32 and rounds once
        return _leaky_relu_forward(xp, x.astype(np.float32), slope).astype(x.dtype)
    if 0 < slope <= 1:  # max(x, slope*x) picks the same values (signed zeros, inf and NaN too)
        return xp.maximum(x, x * slope)  # without np.where's branch per element
    return xp.where(x > 0, x, x * slope)


def _leaky_relu_backward(g, x, slope):
    """g where x > 0, else g * slope: g times a factor that is exactly 1 or slope, branch-free (float32
    for half-precision inputs, rounded once, as torch); on Tensors (create_graph) and arrays alike."""
    xa = x._data if isinstance(x, Tensor) else x
    xp = array_module(xa)
    dtype = np.float32 if is_half_precision(xa.dtype) else xa.dtype
    if 0 <= slope <= 1:
        factor = xp.array(xa > 0, dtype=dtype)  # an array even for 0-d x (a comparison gives a scalar)
        xp.maximum(factor, slope, out=factor)
    else:
        factor = xp.where(xa > 0, 1, slope).astype(dtype)
    if not isinstance(g, Tensor):
        return (g.astype(dtype) * factor).astype(g.dtype, copy=False)
    return (g.to(factor.dtype) * Tensor._make(factor)).to(g.dtype)


def _np_sigmoid(xp, x):
    return 0.5 * (1 + xp.tanh(0.5 * x))  # overflow-free for large |x|


# name: (forward(xp, x, *params) -> array, backward(g, x, *params) -> grad of x, in ember ops)
POINTWISE = {
    "threshold": (lambda xp, x, th, value: xp.where(x > th, x, value), lambda g, x, th, value: g * (x > th)),
    "hardtanh": (lambda xp, x, lo, hi: xp.clip(x, lo, hi), lambda g, x, lo, hi: g * ((x > lo) & (x < hi))),
    "leaky_relu": (_leaky_relu_forward, _leaky_relu_backward),
    "elu": (_elu_forward, _elu_backward),
    "celu": (_elu_forward, _celu_backward),
    "gelu": (_gelu_forward, _gelu_backward),
    "silu": (lambda xp, x: x * _np_sigmoid(xp, x), lambda g, x: g * x.sigmoid() * (1 + x * (1 - x.sigmoid()))),
    "mish": (_mish_forward, _mish_backward),
    "softplus": (
        _softplus_forward,
        lambda g, x, beta, threshold: where(x * beta > threshold, g, g * (x * beta).sigmoid()),
    ),
    "hardsigmoid": (lambda xp, x: xp.clip(x / 6 + 0.5, 0, 1), lambda g, x: g * ((x > -3) & (x < 3)) * _ONE_SIXTH_F32),
    "hardswish": (
        lambda xp, x: x * xp.clip(x + 3, 0, 6) / 6,
        lambda g, x: g * where(x <= -3, 0.0, where(x < 3, x / 3 + 0.5, 1.0)),
    ),
    "logsigmoid": (lambda xp, x: xp.minimum(x, 0) - xp.log1p(xp.exp(-xp.abs(x))), lambda g, x: g * (-x).sigmoid()),
    "hardshrink": (lambda xp, x, lambd: xp.where(xp.abs(x) > lambd, x, 0), lambda g, x, lambd: g * (x.abs() > lambd)),
    # x * 0 inside, as torch's kernel: a negative input shrinks to -0.0
    "softshrink": (
        lambda xp, x, lambd: xp.where(x > lambd, x - lambd, xp.where(x < -lambd, x + lambd, x * 0)),
        lambda g, x, lambd: g * (x.abs() > lambd),
    ),
}


def _make_pointwise(name, forward, backward):
    def fwd(ctx, x, *params):
        with np.errstate(all="ignore"):
            y = forward(array_module(x), x, *params)
        ctx.params = params
        ctx.save_for_backward(x)
        return y.astype(x.dtype, copy=False)

    def bwd(ctx, g):
        (x,) = ctx.saved_tensors
        return (backward(g, x, *ctx.params),) + (None,) * len(ctx.params)

    cls_name = _CLASS_NAMES.get(name) or "".join(p.capitalize() for p in name.split("_"))
    return type(
        cls_name,
        (Op,),
        {"forward": staticmethod(fwd), "backward": staticmethod(bwd), "array_backward": name in _ARRAY_BACKWARDS},
    )


_CLASS_NAMES = {"logsigmoid": "LogSigmoid"}  # torch's LogSigmoidBackward0


# backwards above written with operators only (or, like leaky_relu's, for arrays and Tensors alike)
_ARRAY_BACKWARDS = {"threshold", "hardtanh", "leaky_relu", "hardsigmoid"}


POINTWISE_OPS = {name: _make_pointwise(name, f, d) for name, (f, d) in POINTWISE.items()}


def _require_float(name, input):
    if not input.is_floating_point():
        raise RuntimeError(
            f"{name}: expected a floating-point input tensor, got dtype {input.dtype} (convert it with .float() first)"
        )


def _apply(name, input, *params, inplace=False):
    _require_float(name, input)
    op = POINTWISE_OPS[name]
    if not inplace:
        return op.apply(input, *params)
    # the op keeps its input for backward, so an in-place call must not overwrite what it saved
    source = input.clone() if input.requires_grad and state.enabled else input
    return input._inplace_assign(op.apply(source, *params))


# ---- the ReLU family -----------------------------------------------------------------------------


@torch_api(method=False)
def threshold(input, threshold, value, inplace=False):
    return _apply("threshold", input, threshold, value, inplace=inplace)


@torch_api(method=False)
def threshold_(input, threshold, value):
    return _apply("threshold", input, threshold, value, inplace=True)


def relu(input, inplace=False):
    return input.relu_() if inplace else input.relu()


def relu_(input):
    return input.relu_()


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    return _apply("hardtanh", input, min_val, max_val, inplace=inplace)


def hardtanh_(input, min_val=-1.0, max_val=1.0):
    return hardtanh(input, min_val, max_val, inplace=True)


def relu6(input, inplace=False):
    return hardtanh(input, 0.0, 6.0, inplace)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    return _apply("leaky_relu", input, negative_slope, inplace=inplace)


def leaky_relu_(input, negative_slope=0.01):
    return leaky_relu(input, negative_slope, inplace=True)


class PreluKernel(Op):
    """x where x > 0, else weight * x (torch's subgradient at 0 is the weight's branch)."""

    @staticmethod
    def forward(ctx, x, w):
        ctx.save_for_backward(x, w)
        return array_module(x).where(x > 0, x, w * x).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        positive = x > 0
        gx = where(positive, g, g * w) if ctx.needs_input_grad[0] else None
        gw = where(positive, 0.0, g * x) if ctx.needs_input_grad[1] else None
        return gx, gw


@torch_api(method=True)
def prelu(input, weight):
    _require_float("prelu", input)
    if weight.numel() != 1:
        channels = input.shape[1] if input.dim() >= 2 else input.shape[0] if input.dim() == 1 else 1
        if input.dim() == 0 or weight.numel() != channels:
            raise RuntimeError(
                f"prelu: mismatch of parameter numbers and input channel size. Found parameter "
                f"numbers = {weight.numel()} and channel size = {channels} "
                f"(input of shape {tuple(input.shape)}; channels are dim 1)"
            )
    # as torch: the weight viewed as (1, C, 1, ...) of the input's rank
    shape = (1, weight.numel()) + (1,) * (input.dim() - 2) if input.dim() > 1 else (1,) * input.dim()
    if tuple(weight.shape) != shape:
        weight = weight.view(shape)
    return PreluKernel.apply(input, weight)


class RreluWithNoise(Op):
    """x * noise, the noise 1 where x > 0 and the negative slope elsewhere (drawn, or (lower + upper) / 2 in eval)."""

    @staticmethod
    def forward(ctx, x, noise):
        ctx.noise = noise
        return x * noise

    @staticmethod
    def backward(ctx, g):
        return g * Tensor._make(ctx.noise), None


@torch_api(method=False)
def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False):
    _require_float("rrelu", input)
    x = input._data
    xp = array_module(x)
    if training:
        from .creation import _rng

        slope = xp.asarray(_rng(None).uniform(lower, upper, size=input.shape).astype(x.dtype))
    else:
        slope = xp.asarray((lower + upper) / 2, x.dtype)
    noise = xp.where(x > 0, xp.ones((), x.dtype), slope)
    if not inplace:
        return RreluWithNoise.apply(input, noise)
    result = input._inplace_assign(RreluWithNoise.apply(input, noise))
    if result.grad_fn is not None:
        rename(result.grad_fn, "RreluWithNoiseBackward1")  # torch's node of the in-place form
    return result


@torch_api(method=False)
def rrelu_(input, lower=1.0 / 8, upper=1.0 / 3, training=False):
    return rrelu(input, lower, upper, training, inplace=True)


def elu(input, alpha=1.0, inplace=False):
    return _apply("elu", input, alpha, 1.0, 1.0, inplace=inplace)


def elu_(input, alpha=1.0):
    return elu(input, alpha, inplace=True)


@torch_api(method=False)
def selu(input, inplace=False):
    return _apply("elu", input, SELU_ALPHA, SELU_SCALE, 1.0, inplace=inplace)


@torch_api(method=False)
def selu_(input):
    return selu(input, inplace=True)


@torch_api(method=False)
def celu(input, alpha=1.0, inplace=False):
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError: celu with alpha=0 divides by zero (alpha must be nonzero)")
    return _apply("celu", input, alpha, 1.0, 1.0 / alpha, inplace=inplace)


@torch_api(method=False)
def celu_(input, alpha=1.0):
    return celu(input, alpha, inplace=True)


# ---- smooth activations ------------------------------------------------------------------------------


def gelu(input, approximate="none"):
    if approximate not in ("none", "tanh"):
        raise RuntimeError(f"approximate argument must be either none or tanh, got {approximate!r}")
    return _apply("gelu", input, approximate)


def silu(input, inplace=False):
    return _apply("silu", input, inplace=inplace)


def mish(input, inplace=False):
    return _apply("mish", input, inplace=inplace)


def sigmoid(input):
    return input.sigmoid()


def tanh(input):
    return input.tanh()


def softsign(input):
    return input / (input.abs() + 1)


def softplus(input, beta=1.0, threshold=20.0):
    return _apply("softplus", input, beta, threshold)


def hardsigmoid(input, inplace=False):
    return _apply("hardsigmoid", input, inplace=inplace)


def hardswish(input, inplace=False):
    return _apply("hardswish", input, inplace=inplace)


def logsigmoid(input):
    return _apply("logsigmoid", input)


@torch_api(method=True)
def hardshrink(input, lambd=0.5):
    return _apply("hardshrink", input, lambd)


def softshrink(input, lambd=0.5):
    if lambd < 0:
        raise RuntimeError(f"lambda must be greater or equal to 0, but found to be {lambd}.")
    return _apply("softshrink", input, lambd)


def tanhshrink(input):
    return input - input.tanh()


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    """nn.functional's signature (torch.softmax and Tensor.softmax take (dim, dtype))."""
    return _reduce.softmax(input, dim, dtype)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    return _reduce.log_softmax(input, dim, dtype)


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    return softmax(-input if dtype is None else -input.to(dtype), dim)


def gumbel_softmax(logits, tau=1, hard=False, eps=1e-10, dim=-1):
    """softmax((logits + Gumbel noise) / tau) along dim; hard: the one-hot of its argmax in the forward, the
    soft sample's gradient in the backward (straight-through). The noise comes from ember's generator, so a
    sample differs from torch's for the same seed."""
    if eps != 1e-10:
        warnings.warn("`eps` parameter is deprecated and has no effect.", stacklevel=2)
    gumbels = -logits.detach().new_empty(tuple(logits.shape)).exponential_().log()
    y_soft = ((logits + gumbels) / tau).softmax(dim)
    if not hard:
        return y_soft
    index = y_soft.max(dim, keepdim=True)[1]
    y_hard = logits.new_zeros(tuple(logits.shape)).scatter_(dim, index, 1.0)
    return y_hard - y_soft.detach() + y_soft


def glu(input, dim=-1):
    if input.dim() == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    size = input.shape[dim]
    if size % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {input._dim(dim)} is size {size}")
    return Glu.apply(input, input._dim(dim))


class Glu(Op):
    """a * sigmoid(b), a and b the halves of the input along `dim`."""

    @staticmethod
    def forward(ctx, x, dim):
        a, b = array_module(x).split(x, 2, axis=dim)
        ctx.dim = dim
        ctx.save_for_backward(x)
        return a * _np_sigmoid(array_module(x), b).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        from .shape import cat

        (x,) = ctx.saved_tensors
        a, b = x.chunk(2, ctx.dim)
        s = b.sigmoid()
        return cat([g * s, g * a * s * (1 - s)], ctx.dim), None
