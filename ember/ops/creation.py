"""Creation functions (tensor, zeros, arange, ...) and random sampling from ember's own generator."""
import math

import numpy as np

from .. import _dtype
from .._backend import as_device, to_device, array_module
from ..autograd.function import Op
from ..autograd.grad_mode import no_grad as _no_grad
from ._registry import torch_api
from .._tensor import Tensor


def _T():
    return Tensor


def _finish(arr, dtype=None, device=None, requires_grad=False):
    if dtype is not None:
        dt = _dtype.as_dtype(dtype)
        if arr.dtype != dt.np:
            arr = arr.astype(dt.np)
    if requires_grad and not _dtype.is_float_array(arr):
        raise RuntimeError(f"Only Tensors of floating point and complex dtype can require gradients (got "
                           f"{_dtype.from_numpy_dtype(arr.dtype)})")
    if device is not None:
        arr = to_device(arr, as_device(device))
    t = _T()._make(arr)
    if requires_grad:
        t.requires_grad = True
    return t


def _infer_dtype(data):
    """torch.tensor's inference: each item's dtype (Python bool/int/float: bool, int64, the default float;
    a NumPy scalar or array, a Tensor: its own), promoted over nested sequences; [] is the default float."""
    found = None
    stack = [data]
    while stack:
        x = stack.pop()
        if isinstance(x, (list, tuple)):
            stack.extend(x)
            continue
        if isinstance(x, _T()):
            d = x.dtype
        elif isinstance(x, (np.generic, np.ndarray)):
            d = _dtype.from_numpy_dtype(x.dtype)
        elif isinstance(x, bool):
            d = _dtype.bool
        elif isinstance(x, int):
            d = _dtype.int64
        elif isinstance(x, float):
            d = _dtype.get_default_dtype()
        elif isinstance(x, str):
            raise ValueError(f"too many dimensions 'str'")
        else:
            raise RuntimeError(f"Could not infer dtype of {type(x).__name__}")
        found = d if found is None else _dtype.promote_types(found, d)
    return _dtype.get_default_dtype() if found is None else found


def _check_nesting(data, np_dtype):
    """torch's checks of a nested sequence: the shape read from the first elements, every sequence of its
    level's length, a number where a number belongs."""
    shape, x = [], data
    while isinstance(x, (list, tuple)):
        shape.append(len(x))
        if not x:
            break
        x = x[0]

    def walk(x, dim):
        if dim == len(shape):
            if isinstance(x, (list, tuple)):
                raise TypeError(f"'{type(x).__name__}' object cannot be interpreted as an integer"
                                if np.dtype(np_dtype).kind in "iub" else f"must be real number, not {type(x).__name__}")
            return
        if not isinstance(x, (list, tuple)):
            if isinstance(x, (np.ndarray, _T())) and tuple(np.shape(x)) == tuple(shape[dim:]):
                return
            raise TypeError("not a sequence")
        if len(x) != shape[dim]:
            raise ValueError(f"expected sequence of length {shape[dim]} at dim {dim} (got {len(x)})")
        for item in x:
            walk(item, dim + 1)
    walk(data, 0)


def _nested_to_array(data, np_dtype):
    T = _T()

    def unwrap(x):
        if isinstance(x, T):
            return x.__array__()
        if isinstance(x, (list, tuple)):
            return [unwrap(v) for v in x]
        return x
    if isinstance(data, (list, tuple)):
        _check_nesting(data, np_dtype)
    try:
        return np.array(unwrap(data), dtype=np_dtype)
    except OverflowError:
        raise ValueError("Overflow when unpacking long long (tensor(): a Python int beyond int64)") from None
    except ValueError as e:
        raise ValueError(f"tensor(): expected a sequence of equal-length sequences ({e})") from None


@torch_api(method=False)
def tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False):
    T = _T()
    if isinstance(data, T):
        arr = data.__array__().copy()
        dt = _dtype.as_dtype(dtype) if dtype is not None else data.dtype
    elif isinstance(data, np.ndarray):
        dt = _dtype.as_dtype(dtype) if dtype is not None else _dtype.from_numpy_dtype(data.dtype)
        arr = np.array(data, dtype=dt.np, copy=True)
    elif array_module(data) is not np:
        dt = _dtype.as_dtype(dtype) if dtype is not None else _dtype.from_numpy_dtype(data.dtype)
        arr = data.astype(dt.np, copy=True)
    else:
        dt = _dtype.as_dtype(dtype) if dtype is not None else _infer_dtype(data)
        arr = _nested_to_array(data, dt.np)
    if requires_grad and dt.category != _dtype.FLOAT:
        raise RuntimeError(f"Only Tensors of floating point and complex dtype can require gradients "
                           f"(got {dt}; pass dtype=torch.float32 or use float values)")
    return _finish(arr, None, device, requires_grad)


@torch_api(method=False)
def as_tensor(data, dtype=None, device=None):
    T = _T()
    if isinstance(data, T):
        return data.to(device=device, dtype=dtype) if (dtype or device) else data
    if isinstance(data, np.ndarray) and (dtype is None or _dtype.as_dtype(dtype).np == data.dtype) \
            and device in (None, "cpu"):
        return from_numpy(data)
    return tensor(data, dtype=dtype, device=device)


@torch_api(method=False)
def from_numpy(ndarray):
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    _dtype.from_numpy_dtype(ndarray.dtype)
    return _T()._make(ndarray)


def _size(size):
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    out = []
    for s in size:
        if isinstance(s, _T()):
            s = int(s.item())
        if not isinstance(s, (int, np.integer)):
            raise TypeError(f"expected a sequence of integers for the size, got {type(s).__name__}")
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {list(size)}")
        out.append(int(s))
    return tuple(out)


def _float_dtype(dtype):
    return _dtype.as_dtype(dtype) if dtype is not None else _dtype.get_default_dtype()


def _size_argument(name, size, size_keyword):
    """The size given positionally (zeros(2, 3), zeros((2, 3))) or as size= (zeros(size=(2, 3))), as torch."""
    if size_keyword is None:
        return _size(size)
    if size:
        raise TypeError(f"{name}() received an invalid combination of arguments - got the size both "
                        f"positionally and as size=")
    return _size((size_keyword,))


def _filled(name, fill):
    def make(*size, out=None, dtype=None, device=None, requires_grad=False, layout=None, pin_memory=False,
             **size_keyword):
        dt = _float_dtype(dtype)
        shape = _size_argument(name, size, _only_size(name, size_keyword))
        return _finish(fill(shape, dt.np), None, device, requires_grad)
    make.__name__ = name
    return make


def _only_size(name, keywords):
    """size= is the one extra keyword the size-first creation functions take."""
    unknown = set(keywords) - {"size"}
    if unknown:
        raise TypeError(f"{name}() got an unexpected keyword argument '{unknown.pop()}'")
    return keywords.get("size")


zeros = torch_api("zeros", method=False)(_filled("zeros", np.zeros))
ones = torch_api("ones", method=False)(_filled("ones", np.ones))
empty = torch_api("empty", method=False)(_filled("empty", np.zeros))


@torch_api(method=False)
def full(size, fill_value, *, dtype=None, device=None, requires_grad=False, layout=None):
    dt = _dtype.as_dtype(dtype) if dtype is not None else _dtype.scalar_dtype(fill_value)
    return _finish(np.full(_size((size,)), fill_value, dt.np), None, device, requires_grad)


def _like(maker):
    def make(input, *, dtype=None, device=None, requires_grad=False, layout=None, memory_format=None):
        dt = dtype if dtype is not None else input.dtype
        return maker(*input.shape, dtype=dt, device=device or input.device, requires_grad=requires_grad)
    return make


zeros_like = torch_api("zeros_like", method=False)(_like(zeros))
ones_like = torch_api("ones_like", method=False)(_like(ones))
empty_like = torch_api("empty_like", method=False)(_like(empty))


@torch_api(method=False)
def full_like(input, fill_value, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    return full(tuple(input.shape), fill_value, dtype=dtype or input.dtype, device=device or input.device,
                requires_grad=requires_grad)


@torch_api(method=False)
def eye(n, m=None, *, dtype=None, device=None, requires_grad=False):
    for name, v in (("n", n), ("m", m)):
        if v is not None and v < 0:
            raise RuntimeError(f"{name} must be greater or equal to 0, got {v}")
    return _finish(np.eye(n, m, dtype=_float_dtype(dtype).np), None, device, requires_grad)


@torch_api(method=False)
def arange(start, end=None, step=1, *, dtype=None, device=None, requires_grad=False):
    if end is None:
        start, end = 0, start
    vals = [v.item() if isinstance(v, _T()) else v for v in (start, end, step)]
    if vals[2] == 0:
        raise RuntimeError("step must be nonzero")
    if not all(math.isfinite(v) for v in vals[:2]):
        raise RuntimeError(f"unsupported range: {vals[0]} -> {vals[1]}")
    if (vals[2] > 0 and vals[1] < vals[0]) or (vals[2] < 0 and vals[1] > vals[0]):
        raise RuntimeError("upper bound and lower bound inconsistent with step sign "
                           f"(arange({vals[0]}, {vals[1]}, {vals[2]}))")
    if dtype is None:
        dt = _dtype.int64 if all(isinstance(v, (int, np.integer)) for v in vals) else _dtype.get_default_dtype()
    else:
        dt = _dtype.as_dtype(dtype)
    start, end, step = vals
    n = max(0, math.ceil((end - start) / step))
    # computed in double then cast, as torch does, so float ranges match it exactly
    return _finish((start + step * np.arange(n, dtype=np.float64)).astype(dt.np) if dt.category == _dtype.FLOAT
                   else np.arange(start, end, step, dtype=dt.np), None, device, requires_grad)


@torch_api("range", method=False)
def range_(start, end, step=1, *, dtype=None, device=None, requires_grad=False):
    n = int(math.floor((end - start) / step)) + 1
    dt = _float_dtype(dtype)
    return _finish((start + step * np.arange(n, dtype=np.float64)).astype(dt.np), None, device, requires_grad)


@torch_api(method=False)
def linspace(start, end, steps, *, dtype=None, device=None, requires_grad=False):
    _check_steps(steps)
    dt = _float_dtype(dtype)
    return _finish(_linspace(start, end, steps, dt.np), None, device, requires_grad)


def _check_steps(steps):
    if steps < 0:
        raise RuntimeError(f"number of steps must be non-negative (got {steps})")


def _linspace(start, end, steps, np_dtype):
    """torch's kernel, so the values match bit for bit: the first half steps up from start, the second
    half down from end, each a fused multiply-add (emulated in a wider type) in the output dtype."""
    if steps == 1:
        return np.full(1, start, np_dtype)
    first, last = np.asarray(start, np_dtype), np.asarray(end, np_dtype)
    step = (last - first) / np_dtype.type(steps - 1)
    wide = np.longdouble if np_dtype.itemsize >= 8 else np.float64
    i = np.arange(steps)
    half = steps // 2
    low = wide(first) + wide(step) * i[:half]
    high = wide(last) - wide(step) * (steps - 1 - i[half:])
    return np.concatenate([low, high]).astype(np_dtype)


@torch_api(method=False)
def logspace(start, end, steps, base=10.0, *, dtype=None, device=None, requires_grad=False):
    _check_steps(steps)
    dt = _float_dtype(dtype)
    return _finish(np.logspace(start, end, steps, base=base, dtype=np.float64).astype(dt.np), None, device,
                   requires_grad)


class _LegacyTensorType(type):
    """isinstance(x, torch.FloatTensor) asks for a CPU tensor of that dtype, as torch's legacy classes do."""

    def __instancecheck__(cls, obj):
        return isinstance(obj, _T()) and obj.dtype is cls._ember_dtype and obj.device.type == "cpu"


def _legacy_type(dt, name):
    class LegacyTensor(metaclass=_LegacyTensorType):
        """Old-style constructors: torch.FloatTensor(2, 3), torch.LongTensor([1, 2])."""
        _ember_dtype = dt

        def __new__(cls, *args):
            return _T()(*args, dtype=dt)
    LegacyTensor.__name__ = LegacyTensor.__qualname__ = name
    return LegacyTensor


FloatTensor = _legacy_type(_dtype.float32, "FloatTensor")
DoubleTensor = _legacy_type(_dtype.float64, "DoubleTensor")
HalfTensor = _legacy_type(_dtype.float16, "HalfTensor")
LongTensor = _legacy_type(_dtype.int64, "LongTensor")
IntTensor = _legacy_type(_dtype.int32, "IntTensor")
ShortTensor = _legacy_type(_dtype.int16, "ShortTensor")
CharTensor = _legacy_type(_dtype.int8, "CharTensor")
ByteTensor = _legacy_type(_dtype.uint8, "ByteTensor")
BoolTensor = _legacy_type(_dtype.bool, "BoolTensor")


# --- new_* methods ------------------------------------------------------------------------------

@torch_api(function=False)
def new_tensor(self, data, dtype=None, device=None, requires_grad=False):
    return tensor(data, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad)


def _new(name, maker):
    def make(self, *size, dtype=None, device=None, requires_grad=False, layout=None, pin_memory=False,
             **size_keyword):
        return maker(*size, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad,
                     size=_only_size(name, size_keyword))
    return make


torch_api("new_zeros", function=False)(_new("new_zeros", zeros))
torch_api("new_ones", function=False)(_new("new_ones", ones))
torch_api("new_empty", function=False)(_new("new_empty", empty))


@torch_api(function=False)
def new_full(self, size, fill_value, dtype=None, device=None, requires_grad=False):
    return full(size, fill_value, dtype=dtype or self.dtype, device=device or self.device,
                requires_grad=requires_grad)


# --- random -------------------------------------------------------------------------------------

class Generator:
    """ember's random generator (PCG64): deterministic under manual_seed, not torch's bit stream."""

    def __init__(self, device="cpu"):
        self.device = as_device(device)
        self._seed = 67280421310721
        self.rng = np.random.Generator(np.random.PCG64(self._seed))

    def manual_seed(self, seed):
        self._seed = int(seed)
        self.rng = np.random.Generator(np.random.PCG64(self._seed))
        return self

    def seed(self):
        self.manual_seed(np.random.SeedSequence().entropy % (2 ** 63))
        return self._seed

    def initial_seed(self):
        return self._seed

    def get_state(self):
        from .._tensor import Tensor
        import pickle
        return Tensor._make(np.frombuffer(pickle.dumps(self.rng.bit_generator.state), dtype=np.uint8).copy())

    def set_state(self, state):
        import pickle
        self.rng.bit_generator.state = pickle.loads(state.__array__().tobytes())


default_generator = Generator()


def _rng(generator):
    return (generator or default_generator).rng


@torch_api(method=False)
def manual_seed(seed):
    return default_generator.manual_seed(seed)


@torch_api(method=False)
def seed():
    return default_generator.seed()


@torch_api(method=False)
def initial_seed():
    return default_generator.initial_seed()


@torch_api(method=False)
def get_rng_state():
    return default_generator.get_state()


@torch_api(method=False)
def set_rng_state(new_state):
    default_generator.set_state(new_state)


def _sampler(name, kernel, draw):
    def make(*size, generator=None, dtype=None, device=None, requires_grad=False, out=None, layout=None,
             **size_keyword):
        dt = _float_dtype(dtype)
        if dt.category != _dtype.FLOAT:
            raise NotImplementedError(f"\"{kernel}\" not implemented for '{_dtype.scalar_type_name(dt)}' "
                                      f"({name} samples floating-point values)")
        shape = _size_argument(name, size, _only_size(name, size_keyword))
        return _finish(draw(_rng(generator), shape).astype(dt.np, copy=False), None, device, requires_grad)
    make.__name__ = name
    return make


rand = torch_api("rand", method=False)(_sampler("rand", "check_uniform_bounds",
                                                lambda rng, s: rng.random(s, dtype=np.float64)))
randn = torch_api("randn", method=False)(_sampler("randn", "normal_kernel_cpu", lambda rng, s: rng.standard_normal(s)))


@torch_api(method=False)
def rand_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    return rand(*input.shape, dtype=dtype or input.dtype, device=device or input.device, requires_grad=requires_grad)


@torch_api(method=False)
def randn_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    return randn(*input.shape, dtype=dtype or input.dtype, device=device or input.device, requires_grad=requires_grad)


@torch_api(method=False)
def randint(low=0, high=None, size=None, *, generator=None, dtype=None, device=None, requires_grad=False):
    if size is None:                        # randint(high, size)
        low, high, size = 0, low, high
    elif high is None:                      # randint(high, size=size)
        low, high = 0, low
    if size is None or high is None:
        raise TypeError("randint() received an invalid combination of arguments: expected (int high, tuple of "
                        "ints size) or (int low, int high, tuple of ints size)")
    if high <= low:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    dt = _dtype.as_dtype(dtype) if dtype is not None else _dtype.int64
    return _finish(_rng(generator).integers(low, high, size=_size((size,))).astype(dt.np), None, device,
                   requires_grad)


@torch_api(method=False)
def randint_like(input, low=0, high=None, *, dtype=None, device=None):
    if high is None:
        low, high = 0, low
    return randint(low, high, tuple(input.shape), dtype=dtype or input.dtype, device=device or input.device)


@torch_api(method=False)
def randperm(n, *, generator=None, dtype=None, device=None, requires_grad=False):
    if n < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {n}: [{n}]")
    dt = _dtype.as_dtype(dtype) if dtype is not None else _dtype.int64
    return _finish(_rng(generator).permutation(n).astype(dt.np), None, device, requires_grad)


class NormalSample(Op):
    """normal(mean, std) with tensor arguments: as torch, the sample is in the graph with a zero gradient
    for mean and std (it is not reparameterised; see distributions' rsample for that)."""

    @staticmethod
    def forward(ctx, mean, std, sample):
        ctx._node_name = "NormalBackward3" if hasattr(mean, "shape") and hasattr(std, "shape") else \
            "NormalBackward1" if hasattr(mean, "shape") else "NormalBackward2"
        return sample

    @staticmethod
    def backward(ctx, g):
        return tuple(None if meta is None else zeros(meta[0], dtype=_dtype.from_numpy_dtype(meta[1]))
                     for meta in ctx._in_meta[:2]) + (None,)


@torch_api(method=False)
def normal(mean=0.0, std=1.0, size=None, *, generator=None, out=None, dtype=None, device=None,
           requires_grad=False, layout=None, pin_memory=False):
    T = _T()
    if isinstance(std, T):
        if std.numel() and bool((std < 0).any()):
            raise RuntimeError("normal expects all elements of std >= 0.0")
    elif std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std:g}")
    if isinstance(mean, T) or isinstance(std, T):
        from .elementwise import broadcast_error
        error = broadcast_error("normal: mean and std", *(x.shape for x in (mean, std) if isinstance(x, T)))
        if error is not None:
            raise error
        shape = np.broadcast_shapes(*(x.shape for x in (mean, std) if isinstance(x, T)))
        noise = randn(*shape, generator=generator, dtype=(mean if isinstance(mean, T) else std).dtype)
        with _no_grad():
            sample = mean + noise * std
        return NormalSample.apply(mean, std, sample._data)
    if size is None:
        raise TypeError("normal() received an invalid combination of arguments - got (float, float), but expected "
                        "one of: (Tensor mean, Tensor std), (Tensor mean, float std), (float mean, Tensor std), "
                        "(float mean, float std, tuple of ints size)")
    return _finish(_rng(generator).normal(mean, std, size=_size((size,))).astype(_float_dtype(dtype).np),
                   None, device, requires_grad)


@torch_api(method=False)
def bernoulli(input, p=None, *, generator=None):
    probs = input.__array__() if p is None else np.full(input.shape, p)
    if np.any((probs < 0) | (probs > 1)):
        raise RuntimeError("bernoulli: all probabilities must be in [0, 1]")
    draw = _rng(generator).random(probs.shape) < probs
    return _finish(draw.astype(input._data.dtype), None, input.device)


@torch_api(method=True)
def multinomial(input, num_samples, replacement=False, *, generator=None):
    probs = input.__array__().astype(np.float64)
    if probs.ndim not in (1, 2):
        raise RuntimeError(f"multinomial: prob_dist must be 1 or 2 dim, got {probs.ndim}")
    if np.any(probs < 0) or np.any(~np.isfinite(probs)):
        raise RuntimeError("multinomial: probability tensor contains either `inf`, `nan` or element < 0")
    rows = probs.reshape(-1, probs.shape[-1])
    if not replacement and num_samples > rows.shape[1]:
        raise RuntimeError("multinomial: cannot sample n_sample > prob_dist.size(-1) samples without replacement")
    rng = _rng(generator)
    out = np.empty((rows.shape[0], num_samples), np.int64)
    for i, row in enumerate(rows):
        total = row.sum()
        if total <= 0:
            raise RuntimeError("multinomial: invalid multinomial distribution (sum of probabilities <= 0)")
        out[i] = rng.choice(row.shape[0], size=num_samples, replace=replacement, p=row / total)
    return _finish(out.reshape(probs.shape[:-1] + (num_samples,)), None, input.device)


def _inplace_sampler(draw):
    """Tensor.uniform_/normal_/... fill self in place, outside the graph (as nn.init needs)."""
    def fill(self, *args, generator=None, **kwargs):
        values = draw(_rng(generator), self.shape, *args, **kwargs)
        self._data[...] = to_device(np.asarray(values).astype(self._data.dtype), self.device) \
            if self.device.type != "cpu" else values
        self._vc[0] += 1
        return self
    return fill


torch_api("uniform_", function=False)(_inplace_sampler(lambda rng, s, a=0.0, b=1.0: rng.uniform(a, b, s)))
torch_api("normal_", function=False)(_inplace_sampler(lambda rng, s, mean=0.0, std=1.0: rng.normal(mean, std, s)))
torch_api("bernoulli_", function=False)(_inplace_sampler(lambda rng, s, p=0.5: rng.random(s) < p))
torch_api("exponential_", function=False)(_inplace_sampler(lambda rng, s, lambd=1.0: rng.exponential(1 / lambd, s)))
torch_api("geometric_", function=False)(_inplace_sampler(lambda rng, s, p: rng.geometric(p, s)))
torch_api("log_normal_", function=False)(_inplace_sampler(
    lambda rng, s, mean=1.0, std=2.0: rng.lognormal(mean, std, s)))
torch_api("cauchy_", function=False)(_inplace_sampler(
    lambda rng, s, median=0.0, sigma=1.0: median + sigma * rng.standard_cauchy(s)))


@torch_api("random_", function=False)
def random_(self, from_=0, to=None, *, generator=None):
    if to is None:
        from_, to = 0, (from_ if from_ else 2 ** 24)
    return _inplace_sampler(lambda rng, s: rng.integers(from_, to, s))(self, generator=generator)


@torch_api(function=False)
def fill_(self, value):
    self._data[...] = value.item() if isinstance(value, _T()) else value
    self._vc[0] += 1
    return self


@torch_api(function=False)
def zero_(self):
    return fill_(self, 0)
