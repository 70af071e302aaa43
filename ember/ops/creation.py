"""Creation functions (tensor, zeros, arange, ...) and random sampling from ember's own generator."""

import inspect
import math

import numpy as np

from .. import _dtype
from .._backend import (
    allocate,
    as_device,
    current_cuda_index,
    target_device,
    to_device,
    to_host,
    array_module,
    device as device_cls,
)
from ..autograd.function import Op, renamed
from ..autograd.grad_mode import state, no_grad as _no_grad
from ._registry import named, torch_api
from .._dynamo.seams import replayed_as_one_call
from .._formats import check_factory, check_pin_memory, in_memory_format
from .._tensor import Tensor, Size


def _finish(arr, dtype=None, device=None, requires_grad=False):
    """A tensor from host data (a NumPy array) on `device` (the default device when None)."""
    if dtype is not None:
        dt = _dtype.as_dtype(dtype)
        if arr.dtype != dt.np:
            arr = arr.astype(dt.np)
    dev = target_device(device)
    if dev.type != "cpu" or array_module(arr) is not np:
        arr = to_device(arr, dev)
    return _with_grad(Tensor._make(arr), requires_grad)


def _with_grad(t, requires_grad):
    """t, made a leaf that requires grad if asked (only floating point and complex tensors can)."""
    if requires_grad:
        if t._data.dtype not in _dtype._DIFFERENTIABLE_NP:
            raise RuntimeError(
                f"Only Tensors of floating point and complex dtype can require gradients (got {t.dtype})"
            )
        t.requires_grad = True
    return t


def _built(device, make, requires_grad=False):
    """A tensor from make(xp), run on `device` (the default device when None): allocated there."""
    return _with_grad(Tensor._make(allocate(target_device(device), make)), requires_grad)


def _infer_dtype(data):
    """torch.tensor's inference: each item's dtype (Python bool/int/float/complex: bool, int64, the default
    float, the default complex; a NumPy scalar or array, a Tensor: its own), promoted over nested sequences;
    [] is the default float."""
    found = None
    stack = [data]
    while stack:
        x = stack.pop()
        if isinstance(x, (list, tuple)):
            stack.extend(x)
            continue
        if isinstance(x, Tensor):
            d = x.dtype
        elif isinstance(x, (np.generic, np.ndarray)):
            d = _dtype.from_numpy_dtype(x.dtype)
        elif isinstance(x, bool):
            d = _dtype.bool
        elif isinstance(x, int):
            d = _dtype.int64
        elif isinstance(x, float):
            d = _dtype.get_default_dtype()
        elif isinstance(x, complex):
            d = _dtype.get_default_complex_dtype()
        elif isinstance(x, str):
            raise ValueError("too many dimensions 'str'")
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
                raise TypeError(
                    f"'{type(x).__name__}' object cannot be interpreted as an integer"
                    if np.dtype(np_dtype).kind in "iub"
                    else f"must be real number, not {type(x).__name__}"
                )
            return
        if not isinstance(x, (list, tuple)):
            if isinstance(x, (np.ndarray, Tensor)) and tuple(np.shape(x)) == tuple(shape[dim:]):
                return
            raise TypeError("not a sequence")
        if len(x) != shape[dim]:
            raise ValueError(f"expected sequence of length {shape[dim]} at dim {dim} (got {len(x)})")
        for item in x:
            walk(item, dim + 1)

    walk(data, 0)


def _nested_to_array(data, np_dtype):
    def unwrap(x):
        if isinstance(x, Tensor):
            return to_host(x._data)
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
    check_pin_memory("tensor", pin_memory)
    if isinstance(data, np.generic):  # a NumPy scalar keeps its dtype, as torch.tensor(np.float64(1))
        data = np.asarray(data)
    if isinstance(data, Tensor):
        arr = data._data.copy()  # on the tensor's own device, as torch.tensor(t) keeps it there
        dt = _dtype.as_dtype(dtype) if dtype is not None else data.dtype
        if arr.dtype != dt.np:
            arr = arr.astype(dt.np)
        if device is None:
            device = data.device
    elif isinstance(data, np.ndarray):
        dt = _dtype.as_dtype(dtype) if dtype is not None else _dtype.from_numpy_dtype(data.dtype)
        arr = np.array(data, dtype=dt.np, copy=True)
    elif array_module(data) is not np:
        dt = _dtype.as_dtype(dtype) if dtype is not None else _dtype.from_numpy_dtype(data.dtype)
        arr = data.astype(dt.np, copy=True)
    else:
        dt = _dtype.as_dtype(dtype) if dtype is not None else _infer_dtype(data)
        arr = _nested_to_array(data, dt.np)
    if requires_grad and dt.category < _dtype.FLOAT:
        raise RuntimeError(
            f"Only Tensors of floating point and complex dtype can require gradients "
            f"(got {dt}; pass dtype=torch.float32 or use float values)"
        )
    return _finish(arr, None, device, requires_grad)


@torch_api(method=False)
def as_tensor(data, dtype=None, device=None):
    if isinstance(data, Tensor):
        return data.to(device=device, dtype=dtype) if (dtype or device) else data
    if (
        isinstance(data, np.ndarray)
        and (dtype is None or _dtype.as_dtype(dtype).np == data.dtype)
        and device in (None, "cpu")
    ):
        return from_numpy(data)
    return tensor(data, dtype=dtype, device=device)


@torch_api(method=False)
def from_numpy(ndarray):
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    _dtype.from_numpy_dtype(ndarray.dtype)
    return Tensor._make(ndarray)


def _size(size):
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    out = []
    for s in size:
        if isinstance(s, Tensor):
            s = int(s.item())
        if not isinstance(s, (int, np.integer)):
            raise TypeError(f"expected a sequence of integers for the size, got {type(s).__name__}")
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {list(size)}")
        out.append(int(s))
    return tuple(out)


def _float_dtype(dtype):
    return _dtype.as_dtype(dtype) if dtype is not None else _dtype.get_default_dtype()


def _sizes(op, sizes, size):
    """The shape given as positional sizes or as the size= keyword, as torch's factories take it."""
    if size is not None:
        if sizes:
            raise TypeError(f"{op}() got multiple values for argument 'size'")
        sizes = (size,)
    return _size(sizes)


def _filled(fill):
    def make(*sizes, size=None, dtype=None, layout=None, device=None, pin_memory=False, requires_grad=False):
        check_factory(fill, layout, pin_memory)
        shape, np_dtype = _sizes(fill, sizes, size), _float_dtype(dtype).np
        return _built(device, lambda xp: getattr(xp, fill)(shape, np_dtype), requires_grad)

    make.__name__ = fill
    return make


zeros = torch_api("zeros", method=False)(_filled("zeros"))
ones = torch_api("ones", method=False)(_filled("ones"))
_zeros_for_empty = _filled("zeros")


@torch_api(method=False)
def empty(
    *sizes, size=None, dtype=None, layout=None, device=None, pin_memory=False, requires_grad=False, memory_format=None
):
    # ember's fresh memory is zeroed (torch leaves it uninitialised): no program may rely on either
    out = _zeros_for_empty(*sizes, size=size, dtype=dtype, layout=layout, device=device, pin_memory=pin_memory)
    out = in_memory_format(out, memory_format)
    return _with_grad(out, requires_grad)


@torch_api(method=False)
def full(size, fill_value, *, dtype=None, layout=None, device=None, pin_memory=False, requires_grad=False):
    check_factory("full", layout, pin_memory)
    dt = _dtype.as_dtype(dtype) if dtype is not None else _dtype.scalar_dtype(fill_value)
    shape = _size((size,))
    return _built(device, lambda xp: xp.full(shape, fill_value, dt.np), requires_grad)


def _like(maker):
    def make(input, *, dtype=None, layout=None, device=None, pin_memory=False, requires_grad=False, memory_format=None):
        dt = dtype if dtype is not None else input.dtype
        out = maker(*input.shape, dtype=dt, layout=layout, device=device or input.device, pin_memory=pin_memory)
        out = in_memory_format(out, memory_format, like=input)
        return _with_grad(out, requires_grad)

    return make


zeros_like = torch_api("zeros_like", method=False)(_like(zeros))
ones_like = torch_api("ones_like", method=False)(_like(ones))
empty_like = torch_api("empty_like", method=False)(_like(empty))


@torch_api(method=False)
def full_like(
    input,
    fill_value,
    *,
    dtype=None,
    layout=None,
    device=None,
    pin_memory=False,
    requires_grad=False,
    memory_format=None,
):
    out = full(
        tuple(input.shape),
        fill_value,
        dtype=dtype or input.dtype,
        layout=layout,
        device=device or input.device,
        pin_memory=pin_memory,
    )
    out = in_memory_format(out, memory_format, like=input)
    return _with_grad(out, requires_grad)


@torch_api(method=False)
def eye(n, m=None, *, dtype=None, layout=None, device=None, pin_memory=False, requires_grad=False):
    check_factory("eye", layout, pin_memory)
    for name, v in (("n", n), ("m", m)):
        if v is not None and v < 0:
            raise RuntimeError(f"{name} must be greater or equal to 0, got {v}")
    np_dtype = _float_dtype(dtype).np
    return _built(device, lambda xp: xp.eye(n, m, dtype=np_dtype), requires_grad)


@torch_api(method=False)
def arange(start, end=None, step=1, *, dtype=None, layout=None, device=None, pin_memory=False, requires_grad=False):
    check_factory("arange", layout, pin_memory)
    if end is None:
        start, end = 0, start
    vals = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    if vals[2] == 0:
        raise RuntimeError("step must be nonzero")
    if not all(math.isfinite(v) for v in vals[:2]):
        raise RuntimeError(f"unsupported range: {vals[0]} -> {vals[1]}")
    if (vals[2] > 0 and vals[1] < vals[0]) or (vals[2] < 0 and vals[1] > vals[0]):
        raise RuntimeError(
            f"upper bound and lower bound inconsistent with step sign (arange({vals[0]}, {vals[1]}, {vals[2]}))"
        )
    if dtype is None:
        dt = _dtype.int64 if all(isinstance(v, (int, np.integer)) for v in vals) else _dtype.get_default_dtype()
    else:
        dt = _dtype.as_dtype(dtype)
    start, end, step = vals
    n = max(0, math.ceil((end - start) / step))
    if dt.category == _dtype.FLOAT:  # computed in double then cast, as torch does, so float ranges match it
        return _built(device, lambda xp: (start + step * xp.arange(n, dtype=np.float64)).astype(dt.np), requires_grad)
    return _built(device, lambda xp: xp.arange(start, end, step, dtype=dt.np), requires_grad)


@torch_api("range", method=False)
def range_(start, end, step=1, *, dtype=None, layout=None, device=None, pin_memory=False, requires_grad=False):
    check_factory("range", layout, pin_memory)
    n = int(math.floor((end - start) / step)) + 1
    dt = _float_dtype(dtype)
    return _built(device, lambda xp: (start + step * xp.arange(n, dtype=np.float64)).astype(dt.np), requires_grad)


@torch_api(method=False)
def linspace(start, end, steps, *, dtype=None, layout=None, device=None, pin_memory=False, requires_grad=False):
    check_factory("linspace", layout, pin_memory)
    _check_steps(steps)
    dt = _float_dtype(dtype)
    return _built(device, lambda xp: _linspace(xp, start, end, steps, dt.np), requires_grad)


def _check_steps(steps):
    if steps < 0:
        raise RuntimeError(f"number of steps must be non-negative (got {steps})")


def _linspace(xp, start, end, steps, np_dtype):
    """torch's kernel, so the values match bit for bit: the first half steps up from start, the second
    half down from end, each a fused multiply-add (emulated in a wider type) in the output dtype.
    The endpoints and the step are host scalars; GPUs have no long double, so float64 there is exact
    to an ulp."""
    if steps == 1:
        return xp.full(1, start, np_dtype)
    first, last = np.asarray(start, np_dtype)[()], np.asarray(end, np_dtype)[()]
    step = (last - first) / np_dtype.type(steps - 1)
    wide = np.longdouble if np_dtype.itemsize >= 8 and xp is np else np.float64
    i = xp.arange(steps)
    half = steps // 2
    low = wide(first) + wide(step) * i[:half]
    high = wide(last) - wide(step) * (steps - 1 - i[half:])
    return xp.concatenate([low, high]).astype(np_dtype)


@torch_api(method=False)
def logspace(
    start, end, steps, base=10.0, *, dtype=None, layout=None, device=None, pin_memory=False, requires_grad=False
):
    check_factory("logspace", layout, pin_memory)
    _check_steps(steps)
    dt = _float_dtype(dtype)
    return _built(
        device, lambda xp: xp.logspace(start, end, steps, base=base, dtype=np.float64).astype(dt.np), requires_grad
    )


class _LegacyTensorType(type):
    """The metaclass of the legacy tensor types: isinstance(t, torch.FloatTensor) checks dtype and device."""

    def __instancecheck__(cls, obj):
        return isinstance(obj, Tensor) and obj.dtype is cls._ember_dtype and obj.device.type == cls._ember_device

    def __repr__(cls):
        return f"<class '{cls.__qualname__}'>"


def _legacy_type(dt, name, device="cpu"):
    def __new__(cls, *args):
        """Old-style constructors: torch.FloatTensor(2, 3), torch.LongTensor([1, 2])."""
        if device == "cuda":
            from .. import cuda

            if not cuda.is_available():
                raise TypeError(f"type {cls.__qualname__} not available. Torch not compiled with CUDA enabled.")
        return Tensor(*args, dtype=dt).to(device)

    prefix = "torch.cuda." if device == "cuda" else "torch."
    return _LegacyTensorType(
        name,
        (),
        {
            "__new__": __new__,
            "_ember_dtype": dt,
            "_ember_device": device,
            "__qualname__": prefix + name,
            "__module__": prefix[:-1],
        },
    )


FloatTensor = _legacy_type(_dtype.float32, "FloatTensor")
DoubleTensor = _legacy_type(_dtype.float64, "DoubleTensor")
HalfTensor = _legacy_type(_dtype.float16, "HalfTensor")
LongTensor = _legacy_type(_dtype.int64, "LongTensor")
IntTensor = _legacy_type(_dtype.int32, "IntTensor")
ShortTensor = _legacy_type(_dtype.int16, "ShortTensor")
CharTensor = _legacy_type(_dtype.int8, "CharTensor")
ByteTensor = _legacy_type(_dtype.uint8, "ByteTensor")
BoolTensor = _legacy_type(_dtype.bool, "BoolTensor")
BFloat16Tensor = _legacy_type(_dtype.bfloat16, "BFloat16Tensor") if _dtype.bfloat16 is not None else None


# --- new_* methods ------------------------------------------------------------------------------


@torch_api(function=False)
def new_tensor(self, data, *, dtype=None, device=None, requires_grad=False, layout=None, pin_memory=False):
    check_factory("new_tensor", layout, pin_memory)
    return tensor(data, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad)


def _new(maker):
    def make(self, *sizes, size=None, dtype=None, device=None, requires_grad=False, layout=None, pin_memory=False):
        return maker(
            *sizes,
            size=size,
            dtype=dtype or self.dtype,
            layout=layout,
            device=device or self.device,
            pin_memory=pin_memory,
            requires_grad=requires_grad,
        )

    return make


torch_api("new_zeros", function=False)(_new(zeros))
torch_api("new_ones", function=False)(_new(ones))
torch_api("new_empty", function=False)(_new(empty))


@torch_api(function=False)
def new(self, *args, device=None):
    """The legacy Tensor.new: new(2, 3) (uninitialised, zeros here), new([1, 2]) (data) or new() (empty), with
    self's dtype and device."""
    device = device or self.device
    if not args:
        return empty(0, dtype=self.dtype, device=device)
    if len(args) == 1 and not isinstance(args[0], (int, np.integer, Size)):
        return tensor(args[0], dtype=self.dtype, device=device)
    return empty(*args, dtype=self.dtype, device=device)


@torch_api(function=False)
def new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False, layout=None, pin_memory=False):
    return full(
        size,
        fill_value,
        dtype=dtype or self.dtype,
        layout=layout,
        device=device or self.device,
        pin_memory=pin_memory,
        requires_grad=requires_grad,
    )


# --- random -------------------------------------------------------------------------------------


class Generator:
    """ember's random generator (PCG64): deterministic under manual_seed, not torch's bit stream."""

    def __init__(self, device="cpu"):
        self.device = as_device(device)
        self._seed = 67280421310721
        self.rng = np.random.Generator(np.random.PCG64(self._seed))
        self._device_rngs = {}  # CUDA device index -> CuPy generator, made on first use

    def manual_seed(self, seed):
        self._seed = int(seed)
        self.rng = np.random.Generator(np.random.PCG64(self._seed))
        self._device_rngs = {}
        return self

    def seed(self):
        self.manual_seed(np.random.SeedSequence().entropy % (2**63))
        return self._seed

    def initial_seed(self):
        return self._seed

    def get_state(self):
        """The generator's state as a uint8 tensor holding _STATE_FIELDS' integers (torch: a ByteTensor)."""
        bits = self.rng.bit_generator.state
        values = {
            "version": _STATE_VERSION,
            "state": bits["state"]["state"],
            "inc": bits["state"]["inc"],
            "seed": self._seed % 2**64,
            "has_uint32": bits["has_uint32"],
            "uinteger": bits["uinteger"],
        }
        data = _STATE_MAGIC + b"".join(int(values[name]).to_bytes(n, "little") for name, n in _STATE_FIELDS)
        return Tensor._make(np.frombuffer(data, dtype=np.uint8).copy())

    def set_state(self, new_state):
        """Restore a state made by get_state(): only integers are read from it, and anything else is refused."""
        values = _parse_state(new_state)
        self.rng.bit_generator.state = {
            "bit_generator": "PCG64",
            "state": {"state": values["state"], "inc": values["inc"]},
            "has_uint32": values["has_uint32"],
            "uinteger": values["uinteger"],
        }
        self._seed = values["seed"]
        return self


# ember's generator state: this marker, then each field as a little-endian unsigned integer of n bytes
_STATE_MAGIC = b"emberRNG"
_STATE_VERSION = 1
_STATE_FIELDS = (("version", 4), ("state", 16), ("inc", 16), ("seed", 8), ("has_uint32", 1), ("uinteger", 4))
_STATE_BYTES = len(_STATE_MAGIC) + sum(n for _, n in _STATE_FIELDS)


def _parse_state(new_state):
    """The integers of a state made by Generator.get_state, checked before any is used."""
    if not isinstance(new_state, Tensor):
        raise TypeError(f"expected a torch.ByteTensor, but got {type(new_state).__name__}")
    if new_state.dtype != _dtype.uint8:
        raise TypeError(
            f"RNG state must be a torch.ByteTensor (got {new_state.dtype}; pass what ember.get_rng_state() returned)"
        )
    data = np.asarray(new_state.__array__()).reshape(-1).tobytes()
    if len(data) != _STATE_BYTES:
        raise RuntimeError(
            f"Expected a CPUGeneratorImplState of size {_STATE_BYTES} but found the input RNG state "
            f"size to be {len(data)} (pass what ember.get_rng_state() returned: a state of torch's "
            "generator does not fit ember's)"
        )
    values, offset = {}, len(_STATE_MAGIC)
    for name, n in _STATE_FIELDS:
        values[name] = int.from_bytes(data[offset : offset + n], "little")
        offset += n
    if data[: len(_STATE_MAGIC)] != _STATE_MAGIC:
        problem = "it does not start with ember's marker"
    elif values["version"] != _STATE_VERSION:
        problem = f"its version is {values['version']}, this ember reads version {_STATE_VERSION}"
    elif values["inc"] % 2 == 0 or values["has_uint32"] > 1:
        problem = "its PCG64 fields are not a generator's"
    else:
        return values
    raise RuntimeError(
        f"Invalid RNG state: {problem}; pass a state made by ember.get_rng_state() or Generator.get_state()"
    )


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


def _device_rng(generator, dev):
    """The generator's stream on CUDA device `dev`: CuPy's default_rng, seeded with the generator's seed (as
    torch seeds every device's generator with manual_seed's value). It draws on the device, in CuPy's own
    kernels, which a CUDA graph can capture (the cuRAND host API cannot be); its numbers are not the CPU's."""
    g = generator or default_generator
    index = dev.index if dev.index is not None else current_cuda_index()
    rng = g._device_rngs.get(index)
    if rng is None:
        rng = g._device_rngs[index] = allocate(device_cls("cuda", index), lambda xp: xp.random.default_rng(g._seed))
    return rng


def _draw_dtype(np_dtype):
    """The float type a device draw is made in: float64 for float64, else float32 (rounded after)."""
    return np.float64 if np_dtype == np.float64 else np.float32


@replayed_as_one_call  # a draw from the generator's stream: a compiled replay draws again
def _uniform(generator, dev, shape, np_dtype):
    """U[0, 1) samples on `dev`."""
    if dev.type == "cpu":
        return _rng(generator).random(shape, dtype=np.float64).astype(np_dtype, copy=False)
    return _device_rng(generator, dev).random(shape, dtype=_draw_dtype(np_dtype)).astype(np_dtype, copy=False)


@replayed_as_one_call
def _standard_normal(generator, dev, shape, np_dtype):
    if dev.type == "cpu":
        return _rng(generator).standard_normal(shape).astype(np_dtype, copy=False)
    return _device_rng(generator, dev).standard_normal(shape, dtype=_draw_dtype(np_dtype)).astype(np_dtype, copy=False)


@replayed_as_one_call
def _integers(generator, dev, low, high, shape, np_dtype):
    if dev.type == "cpu":
        return _rng(generator).integers(low, high, size=shape).astype(np_dtype)
    return _device_rng(generator, dev).integers(low, high, size=shape, dtype=np.int64).astype(np_dtype, copy=False)


def _sampler(name, kernel, draw):
    def make(
        *sizes, size=None, generator=None, dtype=None, layout=None, device=None, pin_memory=False, requires_grad=False
    ):
        check_factory(name, layout, pin_memory)
        dt = _float_dtype(dtype)
        if dt.category != _dtype.FLOAT:
            raise NotImplementedError(
                f"\"{kernel}\" not implemented for '{_dtype.scalar_type_name(dt)}' "
                f"({name} samples floating-point values)"
            )
        t = Tensor._make(draw(generator, target_device(device), _sizes(name, sizes, size), dt.np))
        return _with_grad(t, requires_grad)

    make.__name__ = name
    return make


rand = torch_api("rand", method=False)(_sampler("rand", "check_uniform_bounds", _uniform))
randn = torch_api("randn", method=False)(_sampler("randn", "normal_kernel_cpu", _standard_normal))


def _random_like(sample):
    def make(
        input,
        *,
        generator=None,
        dtype=None,
        layout=None,
        device=None,
        pin_memory=False,
        requires_grad=False,
        memory_format=None,
    ):
        out = sample(
            *input.shape,
            generator=generator,
            dtype=dtype or input.dtype,
            layout=layout,
            device=device or input.device,
            pin_memory=pin_memory,
        )
        return _with_grad(in_memory_format(out, memory_format, like=input), requires_grad)

    return make


rand_like = torch_api("rand_like", method=False)(_random_like(rand))
randn_like = torch_api("randn_like", method=False)(_random_like(randn))


@torch_api(method=False)
def randint(
    low=0,
    high=None,
    size=None,
    *,
    generator=None,
    dtype=None,
    layout=None,
    device=None,
    pin_memory=False,
    requires_grad=False,
):
    check_factory("randint", layout, pin_memory)
    if size is None:  # randint(high, size)
        low, high, size = 0, low, high
    elif high is None:  # randint(high, size=size)
        low, high = 0, low
    if size is None or high is None:
        raise TypeError(
            "randint() received an invalid combination of arguments: expected (int high, tuple of "
            "ints size) or (int low, int high, tuple of ints size)"
        )
    if high <= low:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    dt = _dtype.as_dtype(dtype) if dtype is not None else _dtype.int64
    t = Tensor._make(_integers(generator, target_device(device), low, high, _size((size,)), dt.np))
    return _with_grad(t, requires_grad)


@torch_api(method=False)
def randint_like(
    input,
    low=0,
    high=None,
    *,
    generator=None,
    dtype=None,
    layout=None,
    device=None,
    pin_memory=False,
    requires_grad=False,
    memory_format=None,
):
    if high is None:
        low, high = 0, low
    out = randint(
        low,
        high,
        tuple(input.shape),
        generator=generator,
        dtype=dtype or input.dtype,
        layout=layout,
        device=device or input.device,
        pin_memory=pin_memory,
    )
    return _with_grad(in_memory_format(out, memory_format, like=input), requires_grad)


@torch_api(method=False)
def randperm(n, *, generator=None, dtype=None, layout=None, device=None, pin_memory=False, requires_grad=False):
    check_factory("randperm", layout, pin_memory)
    if n < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {n}: [{n}]")
    dt = _dtype.as_dtype(dtype) if dtype is not None else _dtype.int64
    dev = target_device(device)
    if dev.type == "cpu":
        t = Tensor._make(_rng(generator).permutation(n).astype(dt.np))
    else:
        t = Tensor._make(_uniform(generator, dev, (n,), np.float64).argsort().astype(dt.np))
    return _with_grad(t, requires_grad)


class NormalBackward3(Op):
    """normal(mean, std) with tensor arguments: as torch, the sample is in the graph with a zero gradient
    for mean and std (it is not reparameterised; see distributions' rsample for that). torch's node is
    NormalBackward1 for a tensor mean alone, NormalBackward2 for a tensor std alone."""

    @staticmethod
    def forward(ctx, mean, std, sample):
        if not hasattr(std, "shape"):
            ctx.__class__ = _NORMAL_MEAN
        elif not hasattr(mean, "shape"):
            ctx.__class__ = _NORMAL_STD
        ctx.metas = tuple((a.shape, a.dtype) if hasattr(a, "shape") else None for a in (mean, std))
        return sample

    @staticmethod
    def backward(ctx, g):  # by position (mean, std, sample): the engine keeps those that are edges
        return tuple(
            None if meta is None else g.new_zeros(meta[0], dtype=_dtype.from_numpy_dtype(meta[1])) for meta in ctx.metas
        ) + (None,)


_NORMAL_MEAN = renamed(NormalBackward3, "NormalBackward1")
_NORMAL_STD = renamed(NormalBackward3, "NormalBackward2")


@torch_api(method=False)
def normal(
    mean=0.0,
    std=1.0,
    size=None,
    *,
    generator=None,
    dtype=None,
    layout=None,
    device=None,
    pin_memory=False,
    requires_grad=False,
):
    check_factory("normal", layout, pin_memory)
    if isinstance(std, Tensor):
        if std.numel() and bool((std < 0).any()):
            raise RuntimeError("normal expects all elements of std >= 0.0")
    elif std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std:g}")
    if isinstance(mean, Tensor) or isinstance(std, Tensor):
        from .elementwise import broadcast_error

        error = broadcast_error("normal: mean and std", *(x.shape for x in (mean, std) if isinstance(x, Tensor)))
        if error is not None:
            raise error
        like = mean if isinstance(mean, Tensor) else std
        shape = np.broadcast_shapes(*(x.shape for x in (mean, std) if isinstance(x, Tensor)))
        noise = randn(*shape, generator=generator, dtype=like.dtype, device=like.device)
        with _no_grad():
            sample = mean + noise * std
        return NormalBackward3.apply(mean, std, sample._data)
    if size is None:
        raise TypeError(
            "normal() received an invalid combination of arguments - got (float, float), but expected "
            "one of: (Tensor mean, Tensor std), (Tensor mean, float std), (float mean, Tensor std), "
            "(float mean, float std, tuple of ints size)"
        )
    np_dtype, dev = _float_dtype(dtype).np, target_device(device)
    if dev.type == "cpu":
        t = Tensor._make(_rng(generator).normal(mean, std, size=_size((size,))).astype(np_dtype))
    else:
        t = Tensor._make((mean + std * _standard_normal(generator, dev, _size((size,)), np.float64)).astype(np_dtype))
    return _with_grad(t, requires_grad)


@torch_api(method=False)
def bernoulli(input, p=None, *, generator=None):
    probs = input._data if p is None else p
    if p is None and bool(((probs < 0) | (probs > 1)).any()) or p is not None and not 0 <= p <= 1:
        raise RuntimeError("bernoulli: all probabilities must be in [0, 1]")
    draw = _uniform(generator, input.device, input.shape, np.float64) < probs
    return Tensor._make(draw.astype(input._data.dtype))


@torch_api(method=True)
def multinomial(input, num_samples, replacement=False, *, generator=None):
    xp = array_module(input._data)
    probs = input._data.astype(np.float64)
    if probs.ndim not in (1, 2):
        raise RuntimeError(f"multinomial: prob_dist must be 1 or 2 dim, got {probs.ndim}")
    if bool(xp.any(probs < 0)) or bool(xp.any(~xp.isfinite(probs))):
        raise RuntimeError("multinomial: probability tensor contains either `inf`, `nan` or element < 0")
    rows = probs.reshape(-1, probs.shape[-1])
    if not replacement and num_samples > rows.shape[1]:
        raise RuntimeError("multinomial: cannot sample n_sample > prob_dist.size(-1) samples without replacement")
    if xp is not np:
        out = _multinomial_on_device(rows, num_samples, replacement, generator, input.device)
        return Tensor._make(out.reshape(probs.shape[:-1] + (num_samples,)))
    rng = _rng(generator)
    out = np.empty((rows.shape[0], num_samples), np.int64)
    for i, row in enumerate(rows):
        total = row.sum()
        if total <= 0:
            raise RuntimeError("multinomial: invalid multinomial distribution (sum of probabilities <= 0)")
        out[i] = rng.choice(row.shape[0], size=num_samples, replace=replacement, p=row / total)
    return _finish(out.reshape(probs.shape[:-1] + (num_samples,)), None, input.device)


class Overwrite(Op):
    """An in-place write of values that owe nothing to the old ones (fill_, zero_, uniform_, ...): the
    old values get a zero gradient, as torch's FillBackward2, ZeroBackward0, UniformBackward0, ..."""

    @staticmethod
    def forward(ctx, x, values):
        xp = array_module(x)
        return xp.broadcast_to(xp.asarray(values, dtype=x.dtype), x.shape).copy()

    @staticmethod
    def backward(ctx, g):
        return g.new_zeros(g.shape), g  # a tensor value (fill_'s 0-d one) gets the sum, by the engine


def overwrite(self, values, node_name, expanded_ok=False):
    """Write `values` (a number, an array broadcast to self, or a 0-d Tensor) into self; in the graph, the
    old values get a zero gradient."""
    if state.enabled and (self._tracks_inplace() or getattr(values, "_requires_grad", False)):
        return self._inplace_assign(named(Overwrite.apply(self, values), node_name), expanded_ok)
    return self._write(values._data if isinstance(values, Tensor) else values, expanded_ok)


def _multinomial_on_device(rows, num_samples, replacement, generator, dev):
    """All rows at once, without a loop over rows: with replacement by inverting the CDF, without it by the
    Gumbel top-k trick (the k largest log p + Gumbel noise are a draw without replacement)."""
    xp = array_module(rows)
    total = rows.sum(1, keepdims=True)
    if bool((total <= 0).any()):
        raise RuntimeError("multinomial: invalid multinomial distribution (sum of probabilities <= 0)")
    u = _uniform(generator, dev, (rows.shape[0], num_samples if replacement else rows.shape[1]), np.float64)
    if replacement:
        cdf = xp.cumsum(rows, axis=1) / total
        picked = (cdf[:, None, :] <= u[:, :, None]).sum(-1)
        return xp.minimum(picked, rows.shape[1] - 1).astype(np.int64)
    if int((rows > 0).sum(1).min()) < num_samples:
        raise RuntimeError(
            "multinomial: invalid multinomial distribution (with replacement=False, not enough "
            "non-negative category to sample)"
        )
    with np.errstate(divide="ignore"):
        keys = xp.log(rows) - xp.log(-xp.log(u))
    return xp.argsort(-keys, axis=1)[:, :num_samples].astype(np.int64)


def _inplace_sampler(draw, device_draw, node_name):
    """Tensor.uniform_/normal_/...: fill self in place with draws from the generator: `draw` takes NumPy's
    generator, `device_draw` CuPy's (which has fewer distributions, so some are composed). In the graph the
    old values get a zero gradient."""

    def fill(self, *args, generator=None, **kwargs):
        if self.device.type == "cpu":
            values = np.asarray(draw(_rng(generator), self.shape, *args, **kwargs))
        else:
            values = device_draw(_device_rng(generator, self.device), self.shape, *args, **kwargs)
        return overwrite(self, values, node_name)

    # its signature is the distribution's parameters (after the generator and the shape) and generator=
    params = list(inspect.signature(draw).parameters.values())[2:]
    fill.__signature__ = inspect.Signature(
        [inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
        + params
        + [inspect.Parameter("generator", inspect.Parameter.KEYWORD_ONLY, default=None)]
    )
    return fill


torch_api("uniform_", function=False)(
    _inplace_sampler(
        lambda rng, s, from_=0.0, to=1.0: rng.uniform(from_, to, s),
        lambda rng, s, from_=0.0, to=1.0: from_ + (to - from_) * rng.random(s),
        "UniformBackward0",
    )
)
torch_api("normal_", function=False)(
    _inplace_sampler(
        lambda rng, s, mean=0.0, std=1.0: rng.normal(mean, std, s),
        lambda rng, s, mean=0.0, std=1.0: mean + std * rng.standard_normal(s),
        "NormalBackward0",
    )
)
torch_api("exponential_", function=False)(
    _inplace_sampler(
        lambda rng, s, lambd=1.0: rng.exponential(1 / lambd, s),
        lambda rng, s, lambd=1.0: rng.exponential(1 / lambd, s),
        "ExponentialBackward0",
    )
)
torch_api("geometric_", function=False)(
    _inplace_sampler(lambda rng, s, p: rng.geometric(p, s), lambda rng, s, p: rng.geometric(p, s), "GeometricBackward0")
)
torch_api("log_normal_", function=False)(
    _inplace_sampler(
        lambda rng, s, mean=1.0, std=2.0: rng.lognormal(mean, std, s),
        lambda rng, s, mean=1.0, std=2.0: _xp_exp(mean + std * rng.standard_normal(s)),
        "LogNormalBackward0",
    )
)
torch_api("cauchy_", function=False)(
    _inplace_sampler(
        lambda rng, s, median=0.0, sigma=1.0: median + sigma * rng.standard_cauchy(s),
        lambda rng, s, median=0.0, sigma=1.0: median + sigma * _xp_tan(np.pi * (rng.random(s) - 0.5)),
        "CauchyBackward0",
    )
)


@torch_api("bernoulli_", function=False)
def bernoulli_(self, p=0.5, *, generator=None):
    probs = p._data if isinstance(p, Tensor) else p
    name = "BernoulliBackward1" if isinstance(p, Tensor) else "BernoulliBackward2"
    draw = lambda rng, s: rng.random(s) < probs  # noqa: E731 (the same draw on either generator)
    return _inplace_sampler(draw, draw, name)(self, generator=generator)


def _xp_exp(a):
    return array_module(a).exp(a)


def _xp_tan(a):
    return array_module(a).tan(a)


@torch_api("random_", function=False)
def random_(self, from_=0, to=None, *, generator=None):
    # torch's three overloads: random_(), random_(to), random_(from, to)
    name = "RandomBackward2" if to is None and not from_ else "RandomBackward1" if to is None else "RandomBackward0"
    if to is None:
        from_, to = 0, (from_ if from_ else 2**24)
    integers = lambda rng, s: rng.integers(from_, to, s)  # noqa: E731
    return _inplace_sampler(integers, integers, name)(self, generator=generator)


@torch_api(function=False)
def fill_(self, value):
    if isinstance(value, Tensor) and value.dim():
        raise RuntimeError(
            f"fill_ only supports 0-dimension value tensor but got tensor with {value.dim()} dimensions."
        )
    if isinstance(value, Tensor):  # torch refuses a tensor value, not a number, for an expanded self
        return overwrite(self, value, "FillBackward3")
    return overwrite(self, value, "FillBackward2", expanded_ok=True)


@torch_api(function=False)
def zero_(self):
    return overwrite(self, 0, "ZeroBackward0", expanded_ok=True)
