"""A strict stand-in for CuPy, so that device code is tested on machines without a GPU.

Its arrays hold NumPy data but behave like CuPy's where a leak would show: they refuse to mix with NumPy
arrays (TypeError "Unsupported type <class 'numpy.ndarray'>", as CuPy), refuse implicit conversion to
NumPy (`__array__` raises; `.get()` copies to the host), turn NumPy scalar results into 0-d arrays and
live on a device of their own (two of them: cuda:0 and cuda:1). The module mirrors the part of the
cupy namespace ember uses: array functions and ufuncs (with CuPy's limits on ufunc methods),
`lib.stride_tricks.as_strided` without `writeable`, `random.default_rng`, `cuda.Device/Stream/Event/
Graph`, `get_default_memory_pool`. Stream capture is emulated: while a stream captures, every kernel is
recorded and `Graph.launch` re-runs them on the same buffers; host transfers, synchronising calls and
cuBLAS/cuRAND/cuSOLVER calls raise there as CuPy's do.

It is selected only through `ember._backend.strict_cuda()` (tests) or EMBER_STRICT_CUDA=1 without a
real CuPy; normal use never sees it.
"""

import contextlib
import operator

import numpy as np

from numpy import (
    e,
    inf,
    nan,
    newaxis,
    pi,
    dtype,
    bool_,
    int8,
    int16,
    int32,
    int64,
    uint8,
    uint16,  # noqa: F401
    uint32,
    uint64,
    float16,
    float32,
    float64,
    complex64,
    complex128,
    intp,
    generic,
    number,
    integer,
    signedinteger,
    unsignedinteger,
    floating,
    complexfloating,
    finfo,
    iinfo,
    result_type,
    promote_types,
    can_cast,
    issubdtype,
    broadcast_shapes,
    isscalar,
)

_host = np.ndarray
_DEVICE_COUNT = 2


# --- devices -----------------------------------------------------------------------------------------------------


class _State:
    device = 0  # the current device (cupy.cuda.Device().id)
    streams = []  # the stack of current streams; empty: the null stream
    capture = None  # the _Recording of the capturing current stream, or None
    allocator = None  # the allocator set by cuda.using_allocator


def _capturing():
    return _State.capture is not None and _current_stream().capturing


def _refuse_in_capture(what):
    if _capturing():
        raise RuntimeError(f"the current stream is capturing, so {what} are disallowed")


def _refuse_library_in_capture(library):
    if _capturing():
        raise NotImplementedError(f"calling {library} API during stream capture is currently unsupported")


# --- arrays ------------------------------------------------------------------------------------------------------


def _unsupported(x):
    return TypeError(f"Unsupported type {type(x)}")


def _unwrap(x):
    """The NumPy data of strict arrays, recursively through lists, tuples and dicts; NumPy arrays refused."""
    t = type(x)
    if t is ndarray:
        return x._a
    if t is tuple or t is list:
        return t(_unwrap(v) for v in x)
    if t is dict:
        return {k: _unwrap(v) for k, v in x.items()}
    if isinstance(x, _host):
        raise _unsupported(x)
    return x


def _devices(x, found):
    t = type(x)
    if t is ndarray:
        found.add(x._dev)
    elif t is tuple or t is list:
        for v in x:
            _devices(v, found)
    elif t is dict:
        for v in x.values():
            _devices(v, found)
    return found


def _device_of_operands(args, kwargs=None):
    found = _devices(args, set())
    if kwargs:
        _devices(kwargs, found)
    if len(found) > 1:
        a, b = sorted(found)
        raise ValueError(f"The device where the array resides ({b}) is different from the current device ({a}).")
    return found.pop() if found else _State.device


def _normalise(r):
    """NumPy's scalar results as 0-d arrays (CuPy never returns NumPy scalars from array functions)."""
    if isinstance(r, _host):
        return r
    if isinstance(r, np.generic):
        return np.asarray(r)
    if type(r) is tuple or type(r) is list:
        return type(r)(_normalise(v) for v in r)
    if isinstance(r, tuple):  # NumPy's named result tuples (SVDResult, ...): CuPy returns plain ones
        return tuple(_normalise(v) for v in r)
    return r


def _wrap(r, dev):
    if isinstance(r, _host):
        a = object.__new__(ndarray)
        a._a = r
        a._dev = dev
        return a
    if type(r) is tuple or type(r) is list:
        return type(r)(_wrap(v, dev) for v in r)
    return r


def _call(fn, args, kwargs, dev=None):
    """Run a NumPy function on the data of strict arrays; record it when the current stream captures."""
    if dev is None:
        dev = _device_of_operands(args, kwargs)
    uargs, ukwargs = _unwrap(args), _unwrap(kwargs)
    result = _normalise(fn(*uargs, **ukwargs))
    if _State.capture is not None and _current_stream().capturing:
        _State.capture.record(fn, uargs, ukwargs, result)
    if args and result is uargs[0] and type(args[0]) is ndarray:
        return args[0]  # astype(copy=False), asarray, ...: the same array, as CuPy returns it
    return _wrap(result, dev)


class _Flags:
    """cupy.ndarray.flags: C/F contiguity and ownership only (no `writeable`)."""

    __slots__ = ("c_contiguous", "f_contiguous", "owndata")

    def __init__(self, a):
        self.c_contiguous, self.f_contiguous = a.flags.c_contiguous, a.flags.f_contiguous
        self.owndata = a.flags.owndata

    def __getitem__(self, name):
        try:
            return {"C_CONTIGUOUS": self.c_contiguous, "F_CONTIGUOUS": self.f_contiguous, "OWNDATA": self.owndata}[name]
        except KeyError:
            raise KeyError(f"{name} is not defined for cupy.ndarray.flags") from None


class _MemoryPointer:
    __slots__ = ("ptr", "device_id")

    def __init__(self, ptr, device_id):
        self.ptr, self.device_id = ptr, device_id


# ndarray methods CuPy has (cupy/_core/core.pyx); the others (tofile, ctypes, setflags, ...) do not exist there
_METHODS = frozenset(
    """all any argmax argmin argpartition argsort astype byteswap choose clip compress conj conjugate
copy cumprod cumsum diagonal dot fill flatten max mean min nonzero partition prod ptp put ravel repeat reshape round
searchsorted sort squeeze std sum swapaxes take tobytes trace transpose var view""".split()
)
_ATTRIBUTES = frozenset("shape dtype ndim size itemsize nbytes strides".split())
_SYNCHRONISING = frozenset({"nonzero", "compress"})  # their output size is read back from the device


class ndarray:
    """An array on a strict test device: NumPy data that refuses to mix with NumPy arrays."""

    __slots__ = ("_a", "_dev", "__weakref__")
    __hash__ = None

    def __init__(self, shape, dtype=float, order="C"):
        self._a = np.empty(shape, dtype, order=order)
        self._dev = _State.device

    # metadata
    def __getattr__(self, name):
        if name in _ATTRIBUTES:
            return getattr(self._a, name)
        if name in _METHODS:
            method = _OWN_METHODS.get(name) or getattr(_host, name)
            if name in _SYNCHRONISING:
                _refuse_in_capture("synchronous API calls")
            check = _ARGUMENT_CHECKS.get(name)

            def bound(*args, **kwargs):
                if check is not None:
                    check(kwargs)
                return _call(method, (self,) + args, kwargs)

            return bound
        raise AttributeError(f"'cupy.ndarray' object has no attribute '{name}' (strict test device)")

    @property
    def flags(self):
        return _Flags(self._a)

    @property
    def device(self):
        return cuda.Device(self._dev)

    @property
    def data(self):
        return _MemoryPointer(self._a.__array_interface__["data"][0], self._dev)

    @property
    def base(self):
        return None if self._a.base is None else _wrap(self._a.base, self._dev)

    @property
    def T(self):
        return _wrap(self._a.T, self._dev)

    @property
    def mT(self):
        return _wrap(self._a.mT, self._dev)

    @property
    def real(self):
        return _wrap(self._a.real, self._dev)

    @property
    def imag(self):
        return _wrap(self._a.imag, self._dev)

    # host transfers
    def get(self, stream=None, order="C", out=None):
        _refuse_in_capture("D2H transfers")
        host = np.array(self._a, order=order, copy=True)
        if out is None:
            return host
        out[...] = host
        return out

    def set(self, arr, stream=None):
        _refuse_in_capture("H2D transfers")
        if isinstance(arr, ndarray):
            raise TypeError("Only numpy.ndarray can be set to cupy.ndarray")
        self._a[...] = arr

    def item(self):
        return self.get().item()

    def tolist(self):
        return self.get().tolist()

    def __array__(self, dtype=None, copy=None):
        raise TypeError(
            "Implicit conversion to a NumPy array is not allowed. Please use `.get()` to construct a "
            "NumPy array explicitly."
        )

    def __float__(self):
        return float(self.get())

    def __int__(self):
        return int(self.get())

    def __complex__(self):
        return complex(self.get())

    def __bool__(self):
        return bool(self.get())

    def __repr__(self):
        return repr(self.get())

    def __str__(self):
        return str(self.get())

    def __format__(self, spec):
        return format(self.get(), spec)

    def __reduce__(self):
        return array, (self.get(),)

    def __copy__(self):
        return self.copy()

    def __deepcopy__(self, memo):
        return self.copy()

    # NumPy interoperability: dispatch to this module, as CuPy does
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        mine = _UFUNCS.get(ufunc.__name__)
        if mine is None:
            return NotImplemented
        if "out" in kwargs:
            out = kwargs["out"]
            if type(out) is tuple:
                if len(out) != 1:
                    raise ValueError("The 'out' parameter must have exactly one array value")
                kwargs["out"] = out[0]
        return getattr(mine, method)(*inputs, **kwargs) if method != "__call__" else mine(*inputs, **kwargs)

    def __array_function__(self, func, types, args, kwargs):
        if any(not issubclass(t, ndarray) for t in types):
            return NotImplemented
        namespace = _this_module()
        for part in func.__module__.split(".")[1:]:
            namespace = getattr(namespace, part, None)
        mine = getattr(namespace, func.__name__, None) if namespace is not None else None
        if mine is None or mine is func:  # CuPy's guard: a NumPy function re-exported as is
            return NotImplemented
        return mine(*args, **kwargs)

    # containers
    def __len__(self):
        return len(self._a)

    def __iter__(self):
        for i in range(len(self._a)):
            yield self[i]

    def __getitem__(self, key):
        if _mask_index(key):
            _refuse_in_capture("synchronous API calls")
        return _call(operator.getitem, (self, key), {})

    def __setitem__(self, key, value):
        if isinstance(value, _host):
            raise _unsupported(value)
        _call(operator.setitem, (self, key, value), {})


def _mask_index(key):
    keys = key if type(key) is tuple else (key,)
    return any(type(k) is ndarray and k._a.dtype == np.bool_ for k in keys)


def _binary_dunder(name, ufunc_name, reflected=False, inplace=False):
    def method(self, other):
        uf = _UFUNCS[ufunc_name]
        if inplace:
            return uf(self, other, out=self)
        return uf(other, self) if reflected else uf(self, other)

    method.__name__ = name
    return method


for _name, _uf in (
    ("add", "add"),
    ("sub", "subtract"),
    ("mul", "multiply"),
    ("truediv", "true_divide"),
    ("floordiv", "floor_divide"),
    ("mod", "remainder"),
    ("pow", "power"),
    ("matmul", "matmul"),
    ("and", "bitwise_and"),
    ("or", "bitwise_or"),
    ("xor", "bitwise_xor"),
    ("lshift", "left_shift"),
    ("rshift", "right_shift"),
):
    setattr(ndarray, f"__{_name}__", _binary_dunder(f"__{_name}__", _uf))
    setattr(ndarray, f"__r{_name}__", _binary_dunder(f"__r{_name}__", _uf, reflected=True))
    setattr(ndarray, f"__i{_name}__", _binary_dunder(f"__i{_name}__", _uf, inplace=True))
for _name, _uf in (
    ("eq", "equal"),
    ("ne", "not_equal"),
    ("lt", "less"),
    ("le", "less_equal"),
    ("gt", "greater"),
    ("ge", "greater_equal"),
):
    setattr(ndarray, f"__{_name}__", _binary_dunder(f"__{_name}__", _uf))
for _name, _uf in (("neg", "negative"), ("pos", "positive"), ("abs", "absolute"), ("invert", "invert")):
    setattr(ndarray, f"__{_name}__", (lambda uf: lambda self: _UFUNCS[uf](self))(_uf))


# --- ufuncs ------------------------------------------------------------------------------------------------------


def _check_ufunc_operand(x):
    if type(x) is ndarray or x is None or type(x) in (int, float, bool, complex) or isinstance(x, np.generic):
        return
    raise _unsupported(x)


# CuPy implements ufunc.at for these only, reduce/accumulate for add and multiply, reduceat for add
_AT = frozenset({"add", "subtract", "maximum", "minimum", "bitwise_and", "bitwise_or", "bitwise_xor"})
_REDUCE = frozenset({"add", "multiply"})


class ufunc:
    """A NumPy ufunc that takes strict arrays and Python/NumPy scalars only, with CuPy's methods."""

    def __init__(self, np_ufunc):
        self._uf = np_ufunc
        self.__name__ = np_ufunc.__name__
        self.nin, self.nout = np_ufunc.nin, np_ufunc.nout

    def _checked(self, inputs, kwargs):
        for x in inputs:
            _check_ufunc_operand(x)
        out = kwargs.get("out")
        if out is not None and type(out) is not ndarray:
            raise TypeError(f"Output arguments must be cupy arrays, not {type(out)}")

    def __call__(self, *inputs, **kwargs):
        self._checked(inputs, kwargs)
        if self.__name__ == "matmul":
            _refuse_library_in_capture("cuBLAS")
        return _call(self._uf, inputs, kwargs)

    def _method(self, method, allowed, inputs, kwargs):
        if self.__name__ not in allowed:
            raise NotImplementedError(f"`cupy_{self.__name__}.{method}` is not supported yet")
        self._checked(inputs, kwargs)
        return _call(getattr(self._uf, method), inputs, kwargs)

    def at(self, a, indices, b=None):
        if self.__name__ not in _AT:
            raise NotImplementedError(f"`cupy_{self.__name__}.at` is not supported yet")
        operands = (a,) if b is None else (a, b)
        self._checked(operands, {})
        _call(self._uf.at, (a, indices) + operands[1:], {})

    def reduce(self, array, *args, **kwargs):
        return self._method("reduce", _REDUCE, (array,) + args, kwargs)

    def accumulate(self, array, *args, **kwargs):
        return self._method("accumulate", _REDUCE, (array,) + args, kwargs)

    def reduceat(self, array, indices, *args, **kwargs):
        if self.__name__ != "add":
            raise NotImplementedError(f"`cupy_{self.__name__}.reduceat` is not supported yet")
        return _call(self._uf.reduceat, (array, indices) + args, kwargs)

    def outer(self, a, b, **kwargs):
        self._checked((a, b), kwargs)
        return _call(self._uf.outer, (a, b), kwargs)


_UFUNCS = {name: ufunc(getattr(np, name)) for name in dir(np) if isinstance(getattr(np, name), np.ufunc)}


# --- array functions ---------------------------------------------------------------------------------------------

_CUBLAS = frozenset({"matmul", "dot", "vdot", "inner", "tensordot", "einsum"})
_CUSOLVER = frozenset(
    {
        "inv",
        "det",
        "slogdet",
        "svd",
        "qr",
        "eigh",
        "eigvalsh",
        "solve",
        "cholesky",
        "lstsq",
        "pinv",
        "matrix_rank",
        "matrix_power",
    }
)
_SYNC_FUNCTIONS = frozenset({"nonzero", "argwhere", "flatnonzero", "unique", "compress", "extract", "trim_zeros"})


def _function(np_fn, name, library=None):
    def fn(*args, **kwargs):
        if name in _CUBLAS:
            _refuse_library_in_capture("cuBLAS")
        elif library == "cuSOLVER" and name in _CUSOLVER or library == "cuFFT":
            _refuse_library_in_capture(library)
        if name in _SYNC_FUNCTIONS:
            _refuse_in_capture("synchronous API calls")
        check = _ARGUMENT_CHECKS.get(name)
        if check is not None:
            check(kwargs)
        return _call(np_fn, args, kwargs)

    fn.__name__ = fn.__qualname__ = name
    return fn


def _diagonal(a, offset=0, axis1=0, axis2=1):
    """CuPy's diagonals are writeable views (NumPy's are read-only)."""
    view = np.diagonal(a, offset, axis1, axis2)
    if a.flags.writeable:
        view.flags.writeable = True
    return view


_OWN_METHODS = {"diagonal": _diagonal}
_FUNCTIONS = dict(_UFUNCS)  # made on first use; not in globals(), where `any`, `max`, ... would hide builtins
_FUNCTIONS["diagonal"] = _function(_diagonal, "diagonal")


def __getattr__(name):
    fn = _FUNCTIONS.get(name)
    if fn is None:
        np_fn = getattr(np, name, None)
        if not callable(np_fn) or name.startswith("_") or name in ("errstate", "seterr", "geterr"):
            raise AttributeError(f"module 'cupy' has no attribute '{name}' (strict test device)")
        fn = _FUNCTIONS[name] = _function(np_fn, name)
    return fn


def _this_module():
    import sys

    return sys.modules[__name__]


def _to_device(obj, dtype=None, copy=False, order="K", ndmin=0):
    if type(obj) is ndarray:
        dev = obj._dev
        if dev != _State.device:  # a copy from another device lands on the current one
            dev, copy = _State.device, True
        a = np.array(obj._a, dtype=dtype, copy=copy or None, order=order, ndmin=ndmin)
        if a is obj._a:
            return obj
        if _capturing():
            _State.capture.record(lambda src: np.array(src, dtype=dtype, order=order, ndmin=ndmin), (obj._a,), {}, a)
        return _wrap(a, dev)
    _refuse_in_capture("H2D transfers")
    if isinstance(obj, (list, tuple)) and any(type(v) is ndarray for v in obj):
        obj = [v.get() if type(v) is ndarray else v for v in obj]
    return _wrap(np.array(obj, dtype=dtype, copy=True, order=order, ndmin=ndmin), _State.device)


def asarray(a, dtype=None, order=None, *, blocking=False):
    return _to_device(a, dtype, order=order or "K")


def array(obj, dtype=None, copy=True, order="K", subok=False, ndmin=0, *, blocking=False):
    return _to_device(obj, dtype, copy=copy, order=order, ndmin=ndmin)


asanyarray = asarray


def asnumpy(a, stream=None, order="C", out=None, *, blocking=True):
    if type(a) is ndarray:
        return a.get(order=order, out=out)
    return np.asarray(a, order=order)


def get_array_module(*args):
    return _this_module() if any(type(a) is ndarray for a in args) else np


class _Namespace:
    """A submodule (linalg, fft, lib.stride_tricks) of NumPy functions on strict arrays."""

    def __init__(self, np_namespace, library=None, **own):
        self._np, self._library = np_namespace, library
        self.__dict__.update(own)

    def __getattr__(self, name):
        np_fn = getattr(self._np, name)
        fn = _function(np_fn, name, self._library) if callable(np_fn) else np_fn
        setattr(self, name, fn)
        return fn


def _as_strided(x, shape=None, strides=None):
    """CuPy's as_strided: no `writeable` or `subok` argument (its views are always writeable)."""
    shape = x.shape if shape is None else tuple(shape)
    strides = x.strides if strides is None else tuple(strides)
    return _call(np.lib.stride_tricks.as_strided, (x, shape, strides), {})


def _check_sort_kind(kwargs):
    if kwargs.get("kind") not in (None, "stable"):
        raise ValueError("kind can only be None or 'stable'")


def _check_no_sparse(kwargs):
    if "sparse" in kwargs:
        raise TypeError("indices() got an unexpected keyword argument 'sparse'")


# arguments NumPy takes and CuPy does not
_ARGUMENT_CHECKS = {"sort": _check_sort_kind, "argsort": _check_sort_kind, "indices": _check_no_sparse}

linalg = _Namespace(np.linalg, library="cuSOLVER")
fft = _Namespace(np.fft, library="cuFFT")
lib = _Namespace(np.lib, stride_tricks=_Namespace(np.lib.stride_tricks, as_strided=_as_strided))


# --- random: cupy.random.default_rng's Generator (its own kernels, no cuRAND host API) ----------------------------


class _Generator:
    """cupy.random.Generator: only the methods CuPy's has (no normal, lognormal, permutation, choice, ...)."""

    def __init__(self, seed):
        self._rng = np.random.default_rng(seed)

    def _draw(self, fn, size, dtype=None, **kwargs):
        if dtype is not None:
            kwargs["dtype"] = dtype
        out = np.asarray(fn(size=size, **kwargs))
        if _capturing():
            _State.capture.record(lambda: fn(size=size, **kwargs), (), {}, out)
        return _wrap(out, _State.device)

    def random(self, size=None, dtype=np.float64, out=None):
        return self._draw(self._rng.random, size, dtype)

    def standard_normal(self, size=None, dtype=np.float64, out=None):
        return self._draw(self._rng.standard_normal, size, dtype)

    def uniform(self, low=0.0, high=1.0, size=None, dtype=np.float64):
        return self._draw(self._rng.uniform, size, low=low, high=high).astype(dtype, copy=False)

    def integers(self, low, high=None, size=None, dtype=np.int64, endpoint=False):
        return self._draw(self._rng.integers, size, dtype, low=low, high=high, endpoint=endpoint)

    def exponential(self, scale=1.0, size=None):
        return self._draw(self._rng.exponential, size, scale=scale)

    def standard_exponential(self, size=None, dtype=np.float64, method="inv", out=None):
        return self._draw(self._rng.standard_exponential, size, dtype)

    def geometric(self, p, size=None):
        return self._draw(self._rng.geometric, size, p=p)

    def poisson(self, lam=1.0, size=None):
        return self._draw(self._rng.poisson, size, lam=lam)

    def binomial(self, n, p, size=None):
        return self._draw(self._rng.binomial, size, n=n, p=p)


class _Random:
    @staticmethod
    def default_rng(seed=None):
        return _Generator(seed)

    def __getattr__(self, name):  # the legacy RandomState functions run on cuRAND
        _refuse_library_in_capture("cuRAND")
        raise AttributeError(f"ember does not use cupy.random.{name} (strict test device)")


random = _Random()


# --- cuda: devices, streams, events, graphs ----------------------------------------------------------------------


class _Recording:
    """The kernels a capturing stream has seen: (function, arguments, output buffers)."""

    def __init__(self):
        self.launches = []

    def record(self, fn, args, kwargs, result):
        self.launches.append((fn, args, kwargs, result))

    def replay(self):
        for fn, args, kwargs, result in self.launches:
            fresh = _normalise(fn(*args, **kwargs))
            _refill(result, fresh)


def _refill(old, new):
    """Write a replayed kernel's output into the buffer the captured kernel wrote (same addresses)."""
    if isinstance(old, _host):
        if old.__array_interface__["data"][0] != new.__array_interface__["data"][0] or old.strides != new.strides:
            np.copyto(old, new)
    elif type(old) in (tuple, list):
        for o, n in zip(old, new):
            _refill(o, n)


class _Runtime:
    @staticmethod
    def getDeviceCount():
        return _DEVICE_COUNT

    @staticmethod
    def getDeviceProperties(device):
        return {"name": b"ember strict test device", "totalGlobalMem": 0, "major": 0, "minor": 0}

    @staticmethod
    def getDevice():
        return _State.device


class _Device:
    """cupy.cuda.Device: a context manager that makes a device current."""

    def __init__(self, device=None):
        self.id = _State.device if device is None else int(device)
        if not 0 <= self.id < _DEVICE_COUNT:
            raise RuntimeError(f"cudaErrorInvalidDevice: invalid device ordinal ({self.id})")
        self._previous = []

    def use(self):
        _State.device = self.id

    def synchronize(self):
        _refuse_in_capture("synchronous API calls")

    def __enter__(self):
        self._previous.append(_State.device)
        _State.device = self.id
        return self

    def __exit__(self, *exc):
        _State.device = self._previous.pop()

    def __eq__(self, other):
        return isinstance(other, _Device) and other.id == self.id

    def __hash__(self):
        return hash(self.id)

    def __repr__(self):
        return f"<CUDA Device {self.id}>"


class _Event:
    def __init__(self, block=False, disable_timing=False, interprocess=False):
        if interprocess and not disable_timing:
            raise ValueError("Timing must be disabled for interprocess events")
        self.disable_timing = disable_timing
        self._recorded = False

    @property
    def done(self):
        return True

    def record(self, stream=None):
        self._recorded = True

    def synchronize(self):
        _refuse_in_capture("synchronous API calls")


def _get_elapsed_time(start_event, end_event):
    if start_event.disable_timing or end_event.disable_timing or not (start_event._recorded and end_event._recorded):
        raise RuntimeError("cudaErrorInvalidResourceHandle: invalid resource handle")
    return 0.0


class _Stream:
    """cupy.cuda.Stream; work runs at once, and a capturing stream records it for Graph.launch."""

    null = None

    def __init__(self, null=False, non_blocking=False, ptds=False, priority=None):
        self.ptr = 0 if null else id(self)
        self.device_id = -1 if null else _State.device
        self.capturing = False

    def __enter__(self):
        _State.streams.append(self)
        return self

    def __exit__(self, *exc):
        _State.streams.pop()

    def use(self):
        if _State.streams:
            _State.streams[-1] = self
        else:
            _State.streams.append(self)
        return self

    @property
    def done(self):
        return True

    def synchronize(self):
        if self.capturing:
            raise RuntimeError("the current stream is capturing, so synchronous API calls are disallowed")

    def record(self, event=None):
        event = event or _Event()
        event.record(self)
        return event

    def wait_event(self, event):
        pass

    def begin_capture(self, mode=None):
        if self.ptr == 0:
            raise RuntimeError("cannot capture on the default (legacy) stream")
        if _State.capture is not None:
            raise RuntimeError("cudaErrorStreamCaptureUnsupported: a stream is already capturing")
        self.capturing = True
        _State.capture = _Recording()

    def end_capture(self):
        recording, _State.capture = _State.capture, None
        self.capturing = False
        return _Graph(recording)

    def is_capturing(self):
        return self.capturing


_Stream.null = _Stream(null=True)


def _get_current_stream(device_id=-1):
    return _current_stream()


def _current_stream():
    return _State.streams[-1] if _State.streams else _Stream.null


class _Graph:
    """cupy.cuda.Graph: launch() re-runs the captured kernels on their buffers."""

    def __init__(self, recording):
        self._recording = recording

    def launch(self, stream=None):
        self._recording.replay()


class _MemoryPool:
    """cupy.cuda.MemoryPool: counters only (NumPy allocates)."""

    def malloc(self, size):
        raise NotImplementedError("the strict test device allocates with NumPy")

    def used_bytes(self):
        return 0

    def total_bytes(self):
        return 0

    def free_all_blocks(self):
        pass


@contextlib.contextmanager
def _using_allocator(allocator=None):
    """cupy.cuda.using_allocator: which pool a block's allocations come from (NumPy's here, whatever it is)."""
    previous, _State.allocator = _State.allocator, allocator
    try:
        yield
    finally:
        _State.allocator = previous


class cuda:
    """cupy.cuda, as far as ember uses it."""

    Device, Stream, Event, Graph, MemoryPool = _Device, _Stream, _Event, _Graph, _MemoryPool
    runtime = _Runtime()
    get_current_stream = staticmethod(_get_current_stream)
    get_elapsed_time = staticmethod(_get_elapsed_time)
    using_allocator = staticmethod(_using_allocator)


_POOL = _MemoryPool()


def get_default_memory_pool():
    return _POOL


@contextlib.contextmanager
def _fresh_state():
    """Current device, streams and capture reset, for a test that installs the device."""
    saved = (_State.device, list(_State.streams), _State.capture, _State.allocator)
    _State.device, _State.streams, _State.capture, _State.allocator = 0, [], None, None
    try:
        yield
    finally:
        _State.device, _State.streams, _State.capture, _State.allocator = saved
