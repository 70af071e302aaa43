"""ember dtypes: torch's names on top of NumPy dtypes, and torch's type-promotion rules."""

import numpy as np

__all__ = [
    "dtype",
    "float16",
    "half",
    "float32",
    "float",
    "float64",
    "double",
    "bfloat16",
    "int8",
    "int16",
    "short",
    "int32",
    "int",
    "int64",
    "long",
    "uint8",
    "bool",
    "complex64",
    "cfloat",
    "complex128",
    "cdouble",
    "get_default_dtype",
    "set_default_dtype",
    "promote_types",
    "result_type",
]

BOOL, INT, FLOAT, COMPLEX = 0, 1, 2, 3  # promotion categories, lowest to highest
_py_bool, _py_int, _py_float, _py_complex = type(True), type(1), type(1.0), type(1j)  # before the names below


class dtype:
    __slots__ = ("name", "np", "category", "itemsize", "is_signed")

    def __init__(self, name, np_dtype, category):
        self.name = name
        self.np = np.dtype(np_dtype)
        self.category = category
        self.itemsize = self.np.itemsize
        self.is_signed = self.np.kind in "ifc"

    @property
    def is_floating_point(self):
        return self.category == FLOAT

    @property
    def is_complex(self):
        return self.category == COMPLEX

    def to_real(self):
        return _BY_NP[np.dtype(self.np.type(0).real.dtype)] if self.category == COMPLEX else self

    def to_complex(self):
        """The complex dtype with this float's precision (float16 would be complex32, which ember lacks)."""
        if self.category == COMPLEX:
            return self
        if self.np not in _COMPLEX_OF:
            raise NotImplementedError(
                f"ember has no complex counterpart of {self} (torch's would be complex32 or "
                "none): convert to float32 or float64 first"
            )
        return _COMPLEX_OF[self.np]

    def __repr__(self):
        return "torch." + self.name

    def __reduce__(self):
        return (_by_name, (self.name,))


float16 = half = dtype("float16", np.float16, FLOAT)
float32 = float = dtype("float32", np.float32, FLOAT)
float64 = double = dtype("float64", np.float64, FLOAT)
int8 = dtype("int8", np.int8, INT)
int16 = short = dtype("int16", np.int16, INT)
int32 = int = dtype("int32", np.int32, INT)
int64 = long = dtype("int64", np.int64, INT)
uint8 = dtype("uint8", np.uint8, INT)
bool = dtype("bool", np.bool_, BOOL)
complex64 = cfloat = dtype("complex64", np.complex64, COMPLEX)
complex128 = cdouble = dtype("complex128", np.complex128, COMPLEX)
_ALL = (float16, float32, float64, int8, int16, int32, int64, uint8, bool, complex64, complex128)
_COMPLEX_OF = {np.dtype(np.float32): complex64, np.dtype(np.float64): complex128}
_BY_NP = {d.np: d for d in _ALL}
_BY_NAME = {d.name: d for d in _ALL}


class _MlDtype(dtype):
    """A dtype whose NumPy type comes from the ml_dtypes package (bfloat16): the ember dtype exists while
    ml_dtypes is installed, and ml_dtypes (a second to import) is imported when the NumPy type is first
    needed, i.e. when a tensor of this dtype is first made."""

    __slots__ = ()

    def __init__(self, name, category):
        self.name, self.category, self.itemsize, self.is_signed = name, category, 2, True

    def __getattr__(self, attr):  # only reached while the `np` slot is unset
        if attr != "np":
            raise AttributeError(attr)
        import ml_dtypes

        self.np = np.dtype(getattr(ml_dtypes, self.name))
        _BY_NP[self.np] = self
        _FLOAT_NP.add(self.np)
        _DIFFERENTIABLE_NP.add(self.np)
        return self.np


def _bfloat16():
    from importlib.util import find_spec

    try:
        found = find_spec("ml_dtypes") is not None
    except (ImportError, ValueError):  # an import hook that refuses the name: as absent
        found = False
    if not found:
        return None
    d = _MlDtype("bfloat16", FLOAT)
    _BY_NAME[d.name] = d
    return d


bfloat16 = _bfloat16()
_FLOAT_NP = {d.np for d in _ALL if d.category == FLOAT}  # grows by bfloat16 once ml_dtypes is imported
_DIFFERENTIABLE_NP = _FLOAT_NP | {complex64.np, complex128.np}  # the dtypes that can require grad (grows too)


def is_float_array(arr):
    """Whether an array (or a NumPy dtype) is floating point; includes bfloat16, whose NumPy kind is 'V'."""
    return getattr(arr, "dtype", arr) in _FLOAT_NP


# torch's C++ ScalarType names, which its error messages use ("result type Float can't be cast to ... Long")
_SCALAR_TYPE_NAMES = {
    "float16": "Half",
    "float32": "Float",
    "float64": "Double",
    "bfloat16": "BFloat16",
    "int8": "Char",
    "int16": "Short",
    "int32": "Int",
    "int64": "Long",
    "uint8": "Byte",
    "bool": "Bool",
    "complex64": "ComplexFloat",
    "complex128": "ComplexDouble",
}


def scalar_type_name(d):
    return _SCALAR_TYPE_NAMES[d.name]


def _by_name(name):
    return _BY_NAME[name]


_default_float = float32


def get_default_dtype():
    return _default_float


def get_default_complex_dtype():
    """The dtype of a Python complex in a tensor: complex128 when the default dtype is float64, else complex64."""
    return complex128 if _default_float is float64 else complex64


def set_default_dtype(d):
    global _default_float
    if not isinstance(d, dtype) or d.category != FLOAT:
        raise TypeError(f"set_default_dtype: only floating-point dtypes are supported, got {d}")
    _default_float = d


def from_numpy_dtype(np_dtype):
    """The ember dtype for a NumPy dtype; TypeError naming it if ember has no such dtype."""
    try:
        return _BY_NP[np.dtype(np_dtype)]
    except KeyError:
        # an ml_dtypes array made before ember needed bfloat16 (reading bfloat16.np registers it)
        if bfloat16 is not None and np.dtype(np_dtype).name == "bfloat16" and bfloat16.np == np_dtype:
            return bfloat16
        raise TypeError(
            f"can't convert np.ndarray of type numpy.{np.dtype(np_dtype).type.__name__}. The only "
            "supported types are: float64, float32, float16, complex64, complex128, int64, int32, int16, "
            "int8, uint8, and bool."
        ) from None


def to_numpy_dtype(d):
    return d.np


def as_dtype(d):
    """Accept an ember dtype, a NumPy dtype, a Python type or a name like 'float32'."""
    if isinstance(d, dtype):
        return d
    if isinstance(d, MissingDtype):
        raise d.error()
    if d is _py_float:
        return float64
    if d is _py_int:
        return int64
    if d is _py_bool:
        return bool
    if d is _py_complex:
        return complex128
    if isinstance(d, str):
        name = d[6:] if d.startswith("torch.") else d
        if name in _BY_NAME:
            return _BY_NAME[name]
        aliases = {
            "float": float32,
            "double": float64,
            "half": float16,
            "long": int64,
            "int": int32,
            "short": int16,
            "cfloat": complex64,
            "cdouble": complex128,
        }
        if name in aliases:
            return aliases[name]
        if name in _EXTRA_DTYPES:
            raise MissingDtype(name).error()
        raise TypeError(f"unknown dtype name {d!r}")
    return from_numpy_dtype(d)


def promote_types(type1, type2):
    """torch.promote_types: the higher category wins whole (int64 + float16 -> float16), except that a
    complex with a float keeps the wider precision (complex64 + float64 -> complex128)."""
    a, b = type1, type2
    if a is b:
        return a
    if {a.category, b.category} == {FLOAT, COMPLEX}:
        real = promote_types(a.to_real(), b.to_real())
        return real.to_complex()
    if a.category != b.category:
        return a if a.category > b.category else b
    if "bfloat16" in (a.name, b.name):  # bf16 with f16 -> f32, as torch
        return float32 if {a.name, b.name} == {"bfloat16", "float16"} else (a if a.itemsize > b.itemsize else b)
    return _BY_NP[np.promote_types(a.np, b.np)]


def scalar_dtype(x):
    """The dtype torch gives a Python scalar."""
    if isinstance(x, _py_bool) or isinstance(x, np.bool_):
        return bool
    if isinstance(x, (_py_int, np.integer)):
        return int64
    if isinstance(x, (_py_complex, np.complexfloating)):
        return get_default_complex_dtype()
    return _default_float


def result_type(*operands):
    """torch.result_type over Tensors and Python scalars.

    Three priority levels (tensors with dims, zero-dim tensors, Python scalars); a lower level only
    matters when it has a higher category than everything above it, as torch's rules say.
    """
    levels = [None, None, None]
    for x in operands:
        data = getattr(x, "_data", None)  # a Tensor (ember._tensor imports this module)
        if data is not None:
            lvl, d = (0 if data.ndim else 1), _BY_NP[data.dtype]
        else:
            lvl = 2
            if isinstance(x, (_py_bool, np.bool_)):
                d = bool
            elif isinstance(x, (_py_int, np.integer)):
                d = int64
            elif isinstance(x, (_py_complex, np.complexfloating)):
                d = get_default_complex_dtype()
            else:
                d = _default_float
        cur = levels[lvl]
        levels[lvl] = d if cur is None else promote_types(cur, d)
    result = None
    for d in levels:
        if d is None:
            continue
        if result is None:
            result = d
        elif d.category > result.category:
            # a complex of lower priority keeps a float's precision: float64 tensor * 1j is complex128
            result = result.to_complex() if d.category == COMPLEX and result.category == FLOAT else d
    return result


# dtypes that come from an optional package: the package
_EXTRA_DTYPES = {"bfloat16": "ml_dtypes"}


class MissingDtype:
    """ember.bfloat16 on an install without ml_dtypes: any use raises an error naming the extra to
    install (as None it would read as "no dtype given" and silently make float32 tensors)."""

    __slots__ = ("name",)

    def __init__(self, name):
        self.name = name

    def error(self):
        from ._extras import EXTRA_OF, install_hint

        package = _EXTRA_DTYPES[self.name]
        return ModuleNotFoundError(
            f"torch.{self.name} needs the {package} package, which is not installed: "
            f"{install_hint(EXTRA_OF[package])} (or pip install {package})"
        )

    def __repr__(self):
        return f"torch.{self.name}"
