"""Elementwise ops: unary math (from one table), binary arithmetic with torch's promotion, comparisons."""

import collections
import dis
import math

import numpy as np

from .. import _dtype
from .._backend import array_module
from ..autograd.function import Op, renamed
from ._erf import erf as _erf, erfc as _erfc, erfinv as _erfinv
from ._registry import named, torch_api
from .reduce import widened
from .._tensor import Tensor


def _need(ctx, i):
    return ctx._record and ctx.needs_input_grad[i]


def _operand(x):
    """Tensors and Python scalars pass through, a NumPy array becomes a tensor; anything else (a list, a
    string, None) is a TypeError, as torch's operators and arithmetic functions give."""
    if isinstance(x, (int, float, bool)) or isinstance(x, Tensor):
        return x
    if isinstance(x, np.generic):
        return x.item()
    if not isinstance(x, (np.ndarray, complex)) and array_module(x) is np:
        raise TypeError(
            f"unsupported operand type(s): 'Tensor' and '{type(x).__name__}' (expected a Tensor or a number)"
        )
    from .creation import tensor

    return tensor(x)


def _cast(x, dt):
    if isinstance(x, Tensor):
        return x.to(dt) if x._data.dtype != dt.np else x
    if dt is _dtype.bfloat16 and type(x) in (float, int):
        return dt.np.type(x)  # ml_dtypes promotes bfloat16 with a Python scalar to float32
    if dt.category == _dtype.INT and type(x) is int and dt is not _dtype.int64:
        return np.array(x).astype(dt.np)[()]  # wraps around like torch (NumPy would raise OverflowError)
    return x


def _sign(xp, x):
    if x.dtype == np.bool_:
        return x.copy()
    return xp.where(xp.isnan(x), 0, xp.sign(x)).astype(x.dtype, copy=False) if _dtype.is_float_array(x) else xp.sign(x)


# --------------------------------------------------------------------------------------------
# unary ops, one row each:
#   forward(xp, x) on arrays; backward(g, x, y) on Tensors (None: zero gradient, for piecewise-constant ops);
#   saves: which of the input "x" and the output "y" backward reads (default None: neither);
#   float_only: an integer or bool input is computed in the default float dtype, as torch does (default False)
Unary = collections.namedtuple("Unary", "forward backward saves float_only", defaults=(None, False))


def _sigmoid(xp, x):
    with np.errstate(over="ignore"):
        return 1 / (1 + xp.exp(-x))


_LN2, _LN10 = math.log(2.0), math.log(10.0)
_SQRT_PI = math.sqrt(math.pi)

UNARY = {
    "exp": Unary(lambda xp, x: xp.exp(x), lambda g, x, y: g * y, saves="y", float_only=True),
    "exp2": Unary(lambda xp, x: xp.exp2(x), lambda g, x, y: g * y * _LN2, saves="y", float_only=True),
    "expm1": Unary(lambda xp, x: xp.expm1(x), lambda g, x, y: g * (y + 1), saves="y", float_only=True),
    "log": Unary(lambda xp, x: xp.log(x), lambda g, x, y: g / x, saves="x", float_only=True),
    "log2": Unary(lambda xp, x: xp.log2(x), lambda g, x, y: g / (x * _LN2), saves="x", float_only=True),
    "log10": Unary(lambda xp, x: xp.log10(x), lambda g, x, y: g / (x * _LN10), saves="x", float_only=True),
    "log1p": Unary(lambda xp, x: xp.log1p(x), lambda g, x, y: g / (x + 1), saves="x", float_only=True),
    "sqrt": Unary(lambda xp, x: xp.sqrt(x), lambda g, x, y: g / (2 * y), saves="y", float_only=True),
    "rsqrt": Unary(lambda xp, x: 1 / xp.sqrt(x), lambda g, x, y: -0.5 * g * y**3, saves="y", float_only=True),
    "sin": Unary(lambda xp, x: xp.sin(x), lambda g, x, y: g * x.cos(), saves="x", float_only=True),
    "cos": Unary(lambda xp, x: xp.cos(x), lambda g, x, y: -g * x.sin(), saves="x", float_only=True),
    "tan": Unary(lambda xp, x: xp.tan(x), lambda g, x, y: g * (1 + y * y), saves="y", float_only=True),
    "asin": Unary(lambda xp, x: xp.arcsin(x), lambda g, x, y: g * (1 - x * x).rsqrt(), saves="x", float_only=True),
    "acos": Unary(lambda xp, x: xp.arccos(x), lambda g, x, y: -g * (1 - x * x).rsqrt(), saves="x", float_only=True),
    "atan": Unary(lambda xp, x: xp.arctan(x), lambda g, x, y: g / (1 + x * x), saves="x", float_only=True),
    "sinh": Unary(lambda xp, x: xp.sinh(x), lambda g, x, y: g * x.cosh(), saves="x", float_only=True),
    "cosh": Unary(lambda xp, x: xp.cosh(x), lambda g, x, y: g * x.sinh(), saves="x", float_only=True),
    "tanh": Unary(lambda xp, x: xp.tanh(x), lambda g, x, y: g * (1 - y * y), saves="y", float_only=True),
    "asinh": Unary(lambda xp, x: xp.arcsinh(x), lambda g, x, y: g * (x * x + 1).rsqrt(), saves="x", float_only=True),
    "acosh": Unary(lambda xp, x: xp.arccosh(x), lambda g, x, y: g * (x * x - 1).rsqrt(), saves="x", float_only=True),
    "atanh": Unary(lambda xp, x: xp.arctanh(x), lambda g, x, y: g / (1 - x * x), saves="x", float_only=True),
    "sigmoid": Unary(_sigmoid, lambda g, x, y: g * y * (1 - y), saves="y", float_only=True),
    "erf": Unary(_erf, lambda g, x, y: g * (2 / _SQRT_PI) * (-x * x).exp(), saves="x", float_only=True),
    "erfc": Unary(_erfc, lambda g, x, y: g * (-2 / _SQRT_PI) * (-x * x).exp(), saves="x", float_only=True),
    "erfinv": Unary(_erfinv, lambda g, x, y: g * (_SQRT_PI / 2) * (y * y).exp(), saves="y", float_only=True),
    "reciprocal": Unary(lambda xp, x: 1 / x, lambda g, x, y: -g * y * y, saves="y", float_only=True),
    "abs": Unary(lambda xp, x: xp.abs(x), lambda g, x, y: g * x.sign(), saves="x"),
    "neg": Unary(lambda xp, x: -x if x.dtype != np.bool_ else ~x, lambda g, x, y: -g),
    "square": Unary(lambda xp, x: x * x, lambda g, x, y: 2 * x * g, saves="x"),
    "relu": Unary(lambda xp, x: xp.maximum(x, 0).astype(x.dtype, copy=False), lambda g, x, y: g * (y > 0), saves="y"),
    "frac": Unary(lambda xp, x: x - xp.trunc(x), lambda g, x, y: g),
    # piecewise-constant: zero gradient, as torch
    "sign": Unary(_sign, None),
    "sgn": Unary(_sign, None),
    "ceil": Unary(lambda xp, x: xp.ceil(x) if _dtype.is_float_array(x) else x.copy(), None),
    "floor": Unary(lambda xp, x: xp.floor(x) if _dtype.is_float_array(x) else x.copy(), None),
    "trunc": Unary(lambda xp, x: xp.trunc(x) if _dtype.is_float_array(x) else x.copy(), None),
    "round": Unary(lambda xp, x: xp.round(x) if _dtype.is_float_array(x) else x.copy(), None),
}


def _calls_methods(backward):
    """Whether a backward formula reads attributes (calls Tensor methods): one written with operators only
    runs on raw arrays too (Node.array_backward)."""
    return any(ins.opname in ("LOAD_ATTR", "LOAD_METHOD") for ins in dis.get_instructions(backward))


def _make_unary(name, row):
    forward, backward, saves = row.forward, row.backward, row.saves

    def fwd(ctx, x):
        with np.errstate(all="ignore"):
            y = forward(array_module(x), x)
        if saves == "x":
            ctx.save_for_backward(x)
        elif saves == "y":
            ctx.save_for_backward(y)
        return y

    if backward is None:

        def bwd(ctx, g):
            return g * 0
    elif saves is None:

        def bwd(ctx, g):
            return backward(g, None, None)
    elif saves == "x":

        def bwd(ctx, g):
            return backward(g, ctx.saved_tensors[0], None)
    else:

        def bwd(ctx, g):
            return backward(g, None, ctx.saved_tensors[0])

    cls_name = "".join(p.capitalize() for p in name.split("_"))
    attrs = {
        "forward": staticmethod(fwd),
        "backward": staticmethod(bwd),
        "array_backward": backward is None or not _calls_methods(backward),
    }
    if name in _TORCH_NODE_NAMES:
        attrs["_node_name"] = _TORCH_NODE_NAMES[name]
    return type(cls_name, (Op,), attrs)


_TORCH_NODE_NAMES = {"square": "PowBackward0"}  # torch computes square as pow(x, 2)


# what torch does with a bool (or integer) input to the unary ops that don't just compute in float
_BOOL_INPUT = {
    "neg": RuntimeError(
        "Negation, the `-` operator, on a bool tensor is not supported. If you are trying to "
        "invert a mask, use the `~` or `logical_not()` operator instead."
    ),
    "relu": RuntimeError("Boolean inputs not supported for relu"),
    **{
        name: NotImplementedError(f"\"{kernel}\" not implemented for 'Bool'")
        for name, kernel in (
            ("abs", "abs_cpu"),
            ("ceil", "ceil_vml_cpu"),
            ("floor", "floor_vml_cpu"),
            ("trunc", "trunc_vml_cpu"),
            ("round", "round_vml_cpu"),
            ("frac", "frac_cpu"),
        )
    },
}


def _unary_api(name, op, float_only):
    bool_error = _BOOL_INPUT.get(name)

    def fn(input):
        if float_only:
            if input._data.dtype not in _dtype._DIFFERENTIABLE_NP:  # complex stays complex
                input = input.to(_dtype.get_default_dtype())
        elif input._data.dtype == np.bool_:
            if bool_error is not None:
                raise type(bool_error)(*bool_error.args)
            if name == "square":  # torch computes square as pow(x, 2): bool promotes to int64
                input = input.to(_dtype.int64)
        elif name == "frac" and not _dtype.is_float_array(input._data):
            raise NotImplementedError(f"\"frac_cpu\" not implemented for '{_dtype.scalar_type_name(input.dtype)}'")
        return op.apply(input)

    fn.__name__ = name
    return fn


UNARY_OPS = {}
for _name, _row in UNARY.items():
    UNARY_OPS[_name] = _make_unary(_name, _row)
    torch_api(_name, inplace=True)(_unary_api(_name, UNARY_OPS[_name], _row.float_only))
torch_api("negative", inplace=True)(_unary_api("neg", UNARY_OPS["neg"], False))
torch_api("absolute", inplace=True)(_unary_api("abs", UNARY_OPS["abs"], False))
torch_api("arcsin")(_unary_api("asin", UNARY_OPS["asin"], True))
torch_api("arccos")(_unary_api("acos", UNARY_OPS["acos"], True))
torch_api("arctan")(_unary_api("atan", UNARY_OPS["atan"], True))
torch_api("fix")(_unary_api("trunc", UNARY_OPS["trunc"], False))


# --------------------------------------------------------------------------------------------
# binary ops


class Add(Op):
    array_backward = True
    inputs = (0, 1)  # a Python scalar operand keeps its edge, as torch's wrapped number

    @staticmethod
    def forward(ctx, a, b):
        return a + b

    @staticmethod
    def backward(ctx, g):
        return g, g


class Sub(Op):
    array_backward = True
    inputs = (0, 1)

    @staticmethod
    def forward(ctx, a, b):
        return a - b

    @staticmethod
    def backward(ctx, g):
        return g, -g


class Mul(Op):
    array_backward = True
    inputs = (0, 1)

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(b if _need(ctx, 0) else None, a if _need(ctx, 1) else None)
        return a * b

    @staticmethod
    def backward(ctx, g):
        b, a = ctx.saved_tensors
        return (None if b is None else g * b), (None if a is None else g * a)


class Div(Op):
    array_backward = True
    inputs = (0, 1)

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a if _need(ctx, 1) else None, b)
        with np.errstate(divide="ignore", invalid="ignore"):
            return a / b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        ga = g / b if ctx.needs_input_grad[0] else None
        gb = -g * a / (b * b) if ctx.needs_input_grad[1] else None
        return ga, gb


# torch's Scalar overloads, as ATen's composites call them (`loss + eps`, `(1 - p) * nll`): the scalar is an
# argument, not an input, so the node has one edge and its own name (AddBackward1, not AddBackward0)
class AddScalar(Add):
    _node_name = "AddBackward1"
    inputs = (0,)


class SubScalar(Sub):
    _node_name = "SubBackward1"
    inputs = (0,)


class MulScalar(Mul):
    _node_name = "MulBackward1"
    inputs = (0,)


class DivScalar(Div):
    _node_name = "DivBackward1"
    inputs = (0,)


class RsubScalar(Op):
    """other - input: Python's `2 - x` (torch's __rsub__)."""

    _node_name = "RsubBackward1"
    array_backward = True
    inputs = (0,)

    @staticmethod
    def forward(ctx, a, b):
        return b - a

    @staticmethod
    def backward(ctx, g):
        return -g, None


def _int_power(xp, a, b):
    """Integer pow as torch: a negative exponent gives 1 for 1, +-1 for -1 and 0 otherwise (NumPy raises)."""
    if not hasattr(b, "shape"):
        raise RuntimeError("Integers to negative integer powers are not allowed.")
    a, b = xp.broadcast_arrays(a, b)
    y = xp.power(a, xp.where(b < 0, 0, b))
    odd = (b % 2).astype(np.bool_)
    negative_power = xp.where(a == 1, 1, xp.where(a == -1, xp.where(odd, -1, 1), 0)).astype(y.dtype)
    return xp.where(b < 0, negative_power, y)


class Pow(Op):
    @staticmethod
    def forward(ctx, a, b):
        xp = array_module(a if hasattr(a, "shape") else b)
        with np.errstate(all="ignore"):
            if (
                getattr(b, "dtype", np.dtype(type(b))).kind in "iu"
                and np.any(b < 0)
                and getattr(a, "dtype", np.dtype(type(a))).kind in "iu"
            ):
                y = _int_power(xp, a, b)
            else:
                y = xp.power(a, b)
        a_dtype = getattr(a, "dtype", None)
        if a_dtype is not None and a_dtype.kind == "V" and y.dtype != a_dtype:
            y = y.astype(a_dtype)  # ml_dtypes gives float32 for bfloat16 (kind 'V') ** Python float
        if ctx._record:
            ctx.save_for_backward(a, b, y if ctx.needs_input_grad[1] else None)
            # torch: PowBackward0 tensor ** scalar, PowBackward1 tensor ** tensor, PowBackward2 scalar ** tensor
            if not hasattr(a, "shape"):
                ctx.__class__ = _POW_SCALAR_BASE
            elif hasattr(b, "shape"):
                ctx.__class__ = _POW_TENSORS
        return y

    @staticmethod
    def backward(ctx, g):
        a, b, y = ctx.saved_tensors
        ga = gb = None
        if ctx.needs_input_grad[0]:
            if isinstance(b, (int, float)):
                ga = g * b * a ** (b - 1) if b != 0 else g * 0
            else:
                ga = g * b * a ** (b - 1)
                ga = where(b == 0, 0.0, ga)
        if ctx.needs_input_grad[1]:
            if isinstance(a, (int, float)):
                log_a = math.log(a) if a > 0 else -math.inf if a == 0 else math.nan
                gb = g * y * log_a
                if a == 0:  # d/db 0**b is 0 for b >= 0 (torch's pow_backward_exponent), not 0 * -inf
                    gb = where(b >= 0, 0.0, gb)
            else:
                gb = where((a == 0) & (b >= 0), 0.0, g * y * a.log())
        return ga, gb


_POW_TENSORS, _POW_SCALAR_BASE = renamed(Pow, "PowBackward1"), renamed(Pow, "PowBackward2")


class Maximum(Op):
    """torch's maximum backward: a tie splits the gradient, a NaN (which wins) passes it to both sides."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return array_module(a).maximum(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        g = where(a == b, g / 2, g)
        return where(a < b, 0.0, g), where(a > b, 0.0, g)


class Minimum(Op):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return array_module(a).minimum(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        g = where(a == b, g / 2, g)
        return where(a > b, 0.0, g), where(a < b, 0.0, g)


class Fmax(Op):
    """The larger operand, the other one where one is NaN; the gradient goes whole to the chosen side."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return array_module(a).fmax(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        pick_a = (a >= b) | b.isnan()
        return where(pick_a, g, 0.0), where(pick_a, 0.0, g)


class Fmin(Op):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return array_module(a).fmin(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        pick_a = (a <= b) | b.isnan()
        return where(pick_a, g, 0.0), where(pick_a, 0.0, g)


class Atan2(Op):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return array_module(a).arctan2(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        denom = a * a + b * b
        recip = where(denom == 0, 0.0, 1 / denom)  # torch's: no gradient at (0, 0) rather than 0/0
        return g * b * recip, g * -a * recip


def _check_int_division(kernel_name, a, b):
    """torch's integer division kernels raise on a zero divisor (NumPy would warn and give 0) and reject bool."""
    dt = getattr(a, "dtype", None) if hasattr(a, "shape") else getattr(b, "dtype", None)
    if dt is None or _dtype.is_float_array(dt):
        return
    if dt == np.bool_:
        raise NotImplementedError(f"\"{kernel_name}\" not implemented for 'Bool'")
    if 0 in np.broadcast_shapes(getattr(a, "shape", ()), getattr(b, "shape", ())):
        return  # an empty result divides nothing
    if not array_module(b if hasattr(b, "shape") else a).all(b):
        raise RuntimeError("ZeroDivisionError")


class Fmod(Op):
    @staticmethod
    def forward(ctx, a, b):
        _check_int_division("fmod_cpu", a, b)
        ctx.save_for_backward(a if _need(ctx, 1) else None, b if _need(ctx, 1) else None)
        with np.errstate(all="ignore"):
            return array_module(a).fmod(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        return g, (None if a is None else -g * (a / b).trunc())


class Remainder(Op):
    @staticmethod
    def forward(ctx, a, b):
        _check_int_division("remainder_cpu", a, b)
        ctx.save_for_backward(a if _need(ctx, 1) else None, b if _need(ctx, 1) else None)
        xp = array_module(a if hasattr(a, "shape") else b)
        with np.errstate(all="ignore"):
            if not _dtype.is_float_array(a if hasattr(a, "shape") else b):
                return xp.remainder(a, b)
            # torch's float kernel: fmod, moved by b when the signs differ; a zero keeps a's sign (-3 % 1.5
            # is -0.0 in torch, +0.0 in NumPy)
            mod = xp.fmod(a, b)
            return xp.where((mod != 0) & ((b < 0) != (mod < 0)), mod + b, mod)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        return g, (None if a is None else -g * (a / b).floor())


class NoGradBinary(Op):
    """Comparisons, logical and integer ops: no gradient flows through them."""

    differentiable = False

    @staticmethod
    def forward(ctx, a, b, kernel):
        with np.errstate(all="ignore"):
            return kernel(a, b)


def _binary(op, a, b, float_result=False):
    if isinstance(a, Tensor):
        da = a._data
        if isinstance(b, Tensor):
            db = b._data
            # the common case: two tensors of one dtype on one device need no promotion or casts
            if da.dtype == db.dtype and type(da) is type(db) and (not float_result or _dtype.is_float_array(da)):
                return op.apply(a, b)
        elif (type(b) is float or type(b) is int) and _dtype.is_float_array(da):
            # a Python scalar is weakly typed: the tensor's float dtype wins
            return op.apply(a, b if da.dtype.kind == "f" else da.dtype.type(b))
    a, b = _operand(a), _operand(b)
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        from .creation import tensor

        a = tensor(a)
    dt = _dtype.result_type(a, b)
    if float_result and dt.category < _dtype.FLOAT:
        dt = _dtype.get_default_dtype()
    a, b = _same_device(a, b, op)
    return op.apply(_cast(a, dt), _cast(b, dt))


def _same_device(a, b, op):
    """torch's rule: tensors on two devices are an error, except a 0-d CPU tensor, which is a scalar
    operand (moved to the other tensor's device here)."""
    if isinstance(a, Tensor) and isinstance(b, Tensor) and type(a._data) is not type(b._data) and a.device != b.device:
        if a._data.ndim and b._data.ndim or a.device.type != "cpu" and b.device.type != "cpu":
            raise RuntimeError(
                f"Expected all tensors to be on the same device, but found at least two devices, "
                f"{a.device} and {b.device}! (in {op._node_name[:-9].lower()}; move one with .to(device))"
            )
        if a._data.ndim == 0 and a.device.type == "cpu":
            a = a.to(b.device)
        else:
            b = b.to(a.device)
    return a, b


def broadcast_error(name, *shapes, shape_text=lambda s: str(list(s)), context=None):
    """torch's error for shapes that do not broadcast, naming the first mismatch as it does (folding the
    shapes left to right), or None when they broadcast. ember's context follows in parentheses: the op
    and the shapes, or `context`."""
    shapes = [tuple(s) for s in shapes]
    sa = shapes[0]
    for sb in shapes[1:]:
        try:
            sa = np.broadcast_shapes(sa, sb)
            continue
        except ValueError:
            pass
        n = max(len(sa), len(sb))
        size_a = [1] * (n - len(sa)) + list(sa)
        size_b = [1] * (n - len(sb)) + list(sb)
        dim = next(d for d in range(n - 1, -1, -1) if size_a[d] != size_b[d] and 1 not in (size_a[d], size_b[d]))
        context = context or f"{name} of shapes {', '.join(shape_text(s) for s in shapes)}"
        return RuntimeError(
            f"The size of tensor a ({size_a[dim]}) must match the size of tensor b ({size_b[dim]}) at "
            f"non-singleton dimension {dim} ({context})"
        )
    return None


def _broadcast_check(name, a, b):
    if isinstance(a, Tensor) and isinstance(b, Tensor) and a._data.shape != b._data.shape:
        error = broadcast_error(name, a._data.shape, b._data.shape)
        if error is not None:
            raise error


def _arith(name, op, float_result=False):
    def fn(input, other):
        _broadcast_check(name, input, other)
        return _binary(op, input, other, float_result)

    fn.__name__ = name
    return fn


@torch_api(inplace=True)
def add(input, other, *, alpha=1):
    _broadcast_check("add", input, other)
    if alpha != 1:
        other = other * alpha
    return _binary(Add, input, other)


@torch_api(inplace=True, aliases=("subtract",))
def sub(input, other, *, alpha=1):
    _broadcast_check("sub", input, other)
    bools = sum(isinstance(x, (bool, np.bool_)) or getattr(x, "dtype", None) is _dtype.bool for x in (input, other))
    if bools == 2:
        raise RuntimeError(
            "Subtraction, the `-` operator, with two bool tensors is not supported. "
            "Use the `^` or `logical_xor()` operator instead."
        )
    if bools:
        raise RuntimeError(
            "Subtraction, the `-` operator, with a bool tensor is not supported. If you are trying "
            "to invert a mask, use the `~` or `logical_not()` operator instead."
        )
    if alpha != 1:
        other = other * alpha
    return _binary(Sub, input, other)


mul = torch_api("mul", inplace=True, aliases=("multiply",))(_arith("mul", Mul))
atan2 = torch_api("atan2", inplace=True, aliases=("arctan2",))(_arith("atan2", Atan2, float_result=True))
maximum = torch_api("maximum")(_arith("maximum", Maximum))
minimum = torch_api("minimum")(_arith("minimum", Minimum))
fmax = torch_api("fmax")(_arith("fmax", Fmax))
fmin = torch_api("fmin")(_arith("fmin", Fmin))
fmod = torch_api("fmod", inplace=True)(_arith("fmod", Fmod))
remainder = torch_api("remainder", inplace=True)(_arith("remainder", Remainder))


@torch_api(inplace=True, aliases=("divide", "true_divide"))
def div(input, other, *, rounding_mode=None):
    _broadcast_check("div", input, other)
    if rounding_mode is None:
        return _binary(Div, input, other, float_result=True)
    if rounding_mode not in ("trunc", "floor"):
        raise RuntimeError(
            f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found '{rounding_mode}'"
        )
    kernel = _floor_divide if rounding_mode == "floor" else _trunc_divide
    return _no_grad_binary(kernel, input, other)


def _floor_divide(a, b):
    _check_int_division("div_floor_cpu", a, b)
    return np.floor_divide(a, b)


def _trunc_divide(a, b):
    _check_int_division("div_trunc_cpu", a, b)
    q = np.true_divide(a, b)
    result = np.result_type(a, b)
    return np.trunc(q).astype(q.dtype if _dtype.is_float_array(result) else result)


@torch_api(inplace=True)
def floor_divide(input, other):
    return div(input, other, rounding_mode="floor")


@torch_api(inplace=True)
def pow(input, exponent):
    if isinstance(input, Tensor) and isinstance(exponent, (int, float)) and not isinstance(exponent, bool):
        if input.dtype is _dtype.bool:  # bool ** int is int64, as torch
            input = input.to(_dtype.int64 if isinstance(exponent, int) else _dtype.get_default_dtype())
        if exponent == 2:
            return UNARY_OPS["square"].apply(input)
        if isinstance(exponent, float) and input._data.dtype not in _dtype._DIFFERENTIABLE_NP:
            input = input.to(_dtype.get_default_dtype())
        return Pow.apply(input, exponent)
    if isinstance(input, Tensor) and isinstance(exponent, bool):
        # x ** True is x, x ** False is 1, in x's own dtype (a bool tensor stays bool), as torch
        out = pow(input, int(exponent))
        return out.to(_dtype.bool) if input.dtype is _dtype.bool else out
    _broadcast_check("pow", input, exponent)
    if (
        isinstance(exponent, Tensor)
        and exponent.dtype is _dtype.bool
        and (isinstance(input, bool) or isinstance(input, Tensor) and input.dtype is _dtype.bool)
    ):
        raise NotImplementedError("\"pow\" not implemented for 'Bool'")
    return _binary(Pow, input, exponent)


@torch_api(function=True, method=False)
def float_power(input, exponent):
    return pow(_cast(_operand(input), _dtype.float64), _cast(_operand(exponent), _dtype.float64))


def _no_grad_binary(kernel, a, b, result_dtype=None):
    a, b = _operand(a), _operand(b)
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        from .creation import tensor

        a = tensor(a)
    dt = _dtype.result_type(a, b)
    a, b = _same_device(a, b, NoGradBinary)
    a, b = _cast(a, dt), _cast(b, dt)
    return NoGradBinary.apply(a, b, kernel)


def _comparison(name, kernel):
    def fn(input, other):
        _broadcast_check(name, input, other)
        return _no_grad_binary(kernel, input, other)

    fn.__name__ = name
    return torch_api(name, inplace=False)(fn)


eq = _comparison("eq", np.equal)
ne = _comparison("ne", np.not_equal)
lt = _comparison("lt", np.less)
le = _comparison("le", np.less_equal)
gt = _comparison("gt", np.greater)
ge = _comparison("ge", np.greater_equal)
for _alias, _target in (("greater", gt), ("greater_equal", ge), ("less", lt), ("less_equal", le), ("not_equal", ne)):
    torch_api(_alias)(_target)


def _logical(name, kernel):
    def fn(input, other):
        _broadcast_check(name, input, other)
        return _no_grad_binary(lambda a, b: kernel(a, b), input, other)

    fn.__name__ = name
    return torch_api(name)(fn)


logical_and = _logical("logical_and", np.logical_and)
logical_or = _logical("logical_or", np.logical_or)
logical_xor = _logical("logical_xor", np.logical_xor)


def _bitwise(name, kernel):
    def fn(input, other):
        _broadcast_check(name, input, other)
        dt = _dtype.result_type(_operand(input), _operand(other))
        if dt.category == _dtype.FLOAT:  # a float operand, or an integer tensor with a float scalar
            raise NotImplementedError(
                f"\"{name}_cpu\" not implemented for '{_dtype.scalar_type_name(dt)}' "
                f"({name} takes integer or bool tensors)"
            )
        return _no_grad_binary(kernel, input, other)

    fn.__name__ = name
    return torch_api(name, inplace=True)(fn)


bitwise_and = _bitwise("bitwise_and", np.bitwise_and)
bitwise_or = _bitwise("bitwise_or", np.bitwise_or)
bitwise_xor = _bitwise("bitwise_xor", np.bitwise_xor)


class NoGradUnary(Op):
    differentiable = False

    @staticmethod
    def forward(ctx, x, kernel):
        with np.errstate(all="ignore"):
            return kernel(x)


@torch_api(inplace=True)
def logical_not(input):
    return NoGradUnary.apply(input, np.logical_not)


@torch_api(inplace=True)
def bitwise_not(input):
    if _dtype.is_float_array(input._data):
        raise NotImplementedError(
            f"\"bitwise_not_cpu\" not implemented for '{_dtype.scalar_type_name(input.dtype)}' "
            "(bitwise_not takes integer or bool tensors)"
        )
    return NoGradUnary.apply(input, np.invert)


def _elementwise_test(kernel):
    def test(input):
        return NoGradUnary.apply(input, kernel)

    return test


for _name, _kernel in (
    ("isnan", np.isnan),
    ("isinf", np.isinf),
    ("isfinite", np.isfinite),
    ("isposinf", np.isposinf),
    ("isneginf", np.isneginf),
    ("signbit", np.signbit),
):
    torch_api(_name)(_elementwise_test(_kernel))


@torch_api()
def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    return _no_grad_binary(lambda a, b: np.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan), input, other)


@torch_api()
def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    return bool(isclose(input, other, rtol, atol, equal_nan).all())


@torch_api()
def equal(input, other):
    return input.shape == other.shape and bool((input == other).all())


@torch_api(inplace=True)
def clamp(input, min=None, max=None):
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        bounds = [None if v is None else _operand(v) for v in (min, max)]
        dt = _dtype.result_type(input, *(v for v in bounds if v is not None))
        lo, hi = (None if v is None else _cast(v, dt) for v in bounds)
        return ClampTensor.apply(_cast(input, dt), lo, hi)
    dt = _dtype.result_type(input, *(v for v in (min, max) if v is not None))  # bool.clamp(-1, 2) is int64
    if dt is not input.dtype:
        input = input.to(dt)
    # an integer bound wraps to the tensor's dtype as in torch: uint8.clamp(-1) clamps at 255
    return Clamp.apply(input, None if min is None else _cast(min, dt), None if max is None else _cast(max, dt))


torch_api("clip", inplace=True)(clamp)


@torch_api(inplace=True)
def clamp_min(input, min):
    return named(clamp(input, min=min), "ClampMinBackward1" if isinstance(min, Tensor) else "ClampMinBackward0")


@torch_api(inplace=True)
def clamp_max(input, max):
    return named(clamp(input, max=max), "ClampMaxBackward1" if isinstance(max, Tensor) else "ClampMaxBackward0")


class Clamp(Op):
    _node_name = "ClampBackward1"

    @staticmethod
    def forward(ctx, x, lo, hi):
        xp = array_module(x)
        y = xp.clip(x, lo, hi)
        if y.dtype != x.dtype:
            y = y.astype(x.dtype)
        if _need(ctx, 0):
            ctx.mask = ((x >= lo) if lo is not None else True) & ((x <= hi) if hi is not None else True)
        return y

    @staticmethod
    def backward(ctx, g):
        return g * Tensor._make(ctx.mask if hasattr(ctx.mask, "shape") else np.asarray(ctx.mask)), None, None


class ClampTensor(Op):
    """clamp with tensor bounds, min(max(x, lo), hi), and torch's gradients: x's where lo <= x <= hi (so
    whole at a bound), lo's where x < lo < hi, hi's where x > hi or hi < lo."""

    _node_name = "ClampBackward0"

    @staticmethod
    def forward(ctx, x, lo, hi):
        xp = array_module(x)
        y = x if lo is None else xp.maximum(x, lo)
        y = y if hi is None else xp.minimum(y, hi)
        ctx.save_for_backward(x, lo, hi)
        return y

    @staticmethod
    def backward(ctx, g):
        x, lo, hi = ctx.saved_tensors
        above_lo = None if lo is None else x >= lo
        below_hi = None if hi is None else x <= hi
        inside = below_hi if lo is None else above_lo if hi is None else above_lo & below_hi
        lo_wins = None if lo is None else x < lo if hi is None else (x < lo) & (lo < hi)
        hi_wins = None if hi is None else x > hi if lo is None else (x > hi) | (hi < lo)
        return tuple(
            None if m is None or not need else where(m, g, 0.0)
            for m, need in zip((inside, lo_wins, hi_wins), ctx.needs_input_grad)
        )


class Where(Op):
    inputs = (1, 2)

    @staticmethod
    def forward(ctx, cond, a, b):
        ctx.cond = cond
        return array_module(cond).where(cond, a, b)

    @staticmethod
    def backward(ctx, g):
        cond = Tensor._make(ctx.cond)
        zero = g * 0
        return None, where(cond, g, zero), where(cond, zero, g)


@torch_api()
def where(condition, input=None, other=None):
    if input is None and other is None:
        return condition.nonzero(as_tuple=True)
    cond = _operand(condition)
    if cond.dtype is not _dtype.bool:
        raise RuntimeError(
            f"where expected condition to be a boolean tensor, but got a tensor with dtype "
            f"{_dtype.scalar_type_name(cond.dtype)}"
        )
    a, b = _operand(input), _operand(other)
    error = broadcast_error("where", *(x.shape for x in (cond, a, b) if isinstance(x, Tensor)))
    if error is not None:
        raise error
    dt = _dtype.result_type(a, b)
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        # two Python scalars: the result still has their dtype (where(c, 1.0, 0) is float32, not float64)
        from .creation import tensor

        a = tensor(a, dtype=dt, device=cond.device)
    else:
        for x in (a, b):
            if dt.category == _dtype.INT and type(x) is int and not _fits(x, dt):
                raise RuntimeError(
                    f"value cannot be converted to type {dt.np.name}_t without overflow (where: {x} for a {dt} tensor)"
                )
    return Where.apply(cond, _cast(a, dt), _cast(b, dt))


def _fits(value, dt):
    info = np.iinfo(dt.np)
    return info.min <= value <= info.max


_CPP_FLOAT_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half", "bfloat16": "c10::BFloat16"}


class Lerp(Op):
    """start + w (end - start) for |w| < 0.5, else end - (end - start)(1 - w): torch's two-sided form,
    exact at w = 1 and finite where one side is infinite."""

    _node_name = "LerpBackward1"

    @staticmethod
    def forward(ctx, start, end, weight):
        xp = array_module(start)
        if ctx._record:
            if hasattr(weight, "shape"):
                ctx.save_for_backward(start, end, weight)
            else:  # a number weight: torch's LerpBackward0, which saves no tensor
                ctx.__class__ = LerpScalarWeight
                ctx.weight = weight
        with np.errstate(all="ignore"):
            diff = end - start
            y = xp.where(xp.abs(weight) < 0.5, start + weight * diff, end - diff * (1 - weight))
        return y.astype(start.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        start, end, weight = ctx.saved_tensors
        g_weight = g * (end - start) if ctx.needs_input_grad[2] else None
        return g * (1 - weight), g * weight, g_weight


class LerpScalarWeight(Lerp):
    _node_name = "LerpBackward0"

    @staticmethod
    def backward(ctx, g):
        return g * (1 - ctx.weight), g * ctx.weight, None


@torch_api(inplace=True)
def lerp(input, end, weight):
    for name, t in (("end", end), ("weight", weight)):
        if isinstance(t, Tensor):
            if t.dtype is not input.dtype:
                raise RuntimeError(
                    f"expected dtype {_CPP_FLOAT_NAMES.get(input.dtype.name, input.dtype.name)} for "
                    f"`{name}` but got dtype {_CPP_FLOAT_NAMES.get(t.dtype.name, t.dtype.name)}"
                )
            _broadcast_check("lerp", input, t)
    if not isinstance(end, Tensor):
        raise TypeError(f"lerp(): argument 'end' (position 2) must be Tensor, not {type(end).__name__}")
    if not input.is_floating_point():
        raise NotImplementedError(
            f"\"lerp_kernel_scalar\" not implemented for '{_dtype.scalar_type_name(input.dtype)}'"
        )
    return Lerp.apply(input, end, weight)


@torch_api(inplace=True)
def addcmul(input, tensor1, tensor2, *, value=1):
    return input + value * tensor1 * tensor2


@torch_api(inplace=True)
def addcdiv(input, tensor1, tensor2, *, value=1):
    return input + value * tensor1 / tensor2


class Xlogy(Op):
    """x * log(y), 0 where x == 0 (unless y is nan), with torch's derivatives at x == 0."""

    @staticmethod
    def forward(ctx, x, y):
        xp = array_module(x if hasattr(x, "shape") else y)
        with np.errstate(all="ignore"):
            out = xp.where((x == 0) & ~xp.isnan(y), 0, x * xp.log(y))
        ctx.save_for_backward(x, y)
        return out.astype(np.result_type(*(a.dtype if hasattr(a, "dtype") else a for a in (x, y))), copy=False)

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        gx = where((x == 0) & (y <= 0), 0.0, g * y.log()) if ctx.needs_input_grad[0] else None
        gy = g * x / y if ctx.needs_input_grad[1] else None
        return gx, gy


@torch_api(inplace=True)
def xlogy(input, other):
    return _binary(Xlogy, input, other, float_result=True)


class Hypot(Op):
    """sqrt(a^2 + b^2) without overflow in the squares (float16 300 and 400 give 500, not inf)."""

    @staticmethod
    def forward(ctx, a, b):
        y = array_module(a).hypot(widened(a), widened(b)).astype(a.dtype, copy=False)
        ctx.save_for_backward(a, b, y)
        return y

    @staticmethod
    def backward(ctx, g):
        a, b, y = ctx.saved_tensors
        return g * a / y, g * b / y


@torch_api(inplace=True)
def hypot(input, other):
    if not isinstance(other, Tensor):
        raise TypeError(f"hypot(): argument 'other' (position 2) must be Tensor, not {type(other).__name__}")
    _broadcast_check("hypot", input, other)
    dt = _dtype.result_type(input, other)
    if dt.category != _dtype.FLOAT:
        raise NotImplementedError(f"\"hypot_cpu\" not implemented for '{_dtype.scalar_type_name(dt)}'")
    return Hypot.apply(_cast(input, dt), _cast(other, dt))


class Logaddexp(Op):
    """log(e^a + e^b) as torch's kernel: max + log1p(e^-|a - b|), and a itself where a == b is infinite
    (the difference would be inf - inf)."""

    @staticmethod
    def forward(ctx, a, b):
        xp = array_module(a)
        ctx.save_for_backward(a, b)
        with np.errstate(all="ignore"):
            y = xp.maximum(a, b) + xp.log1p(xp.exp(-xp.abs(a - b)))
            return xp.where(xp.isinf(a) & (a == b), a, y)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        return g / (1 + (b - a).exp()), g / (1 + (a - b).exp())


@torch_api()
def logaddexp(input, other):
    _broadcast_check("logaddexp", input, other)
    dt = _dtype.result_type(_operand(input), _operand(other))
    if dt.category != _dtype.FLOAT:
        raise NotImplementedError(f"\"logaddexp_cpu\" not implemented for '{_dtype.scalar_type_name(dt)}'")
    return _binary(Logaddexp, input, other)


@torch_api(inplace=True)
def nan_to_num(input, nan=0.0, posinf=None, neginf=None):
    if not input.requires_grad:
        return NoGradUnary.apply(input, lambda x: np.nan_to_num(x, nan=nan, posinf=posinf, neginf=neginf))
    from .._typeinfo import finfo

    info = finfo(input.dtype)
    return where(
        input.isnan(),
        nan,
        where(
            input.isposinf(),
            info.max if posinf is None else posinf,
            where(input.isneginf(), info.min if neginf is None else neginf, input),
        ),
    )


@torch_api()
def rsub(input, other, *, alpha=1):
    return sub(other, input, alpha=alpha)
