"""ember: a PyTorch-compatible define-by-run deep-learning framework on NumPy.

`import ember as torch` and write ordinary PyTorch code.
"""

from .version import __version__  # noqa: F401 -- torch's API version, see ember/version.py

from ._dtype import (
    dtype,
    float16,
    half,
    float32,
    float,
    float64,
    double,
    bfloat16,
    int8,
    int16,
    short,  # noqa
    int32,
    int,
    int64,
    long,
    uint8,
    bool,
    complex64,
    cfloat,
    complex128,
    cdouble,
    get_default_dtype,
    set_default_dtype,
    promote_types,
)

if bfloat16 is None:  # ml_dtypes is not installed: a stand-in whose use names the extra
    from ._dtype import MissingDtype as _MissingDtype

    bfloat16 = _MissingDtype("bfloat16")
from ._backend import (
    device,
    set_num_threads,
    get_num_threads,
    set_num_interop_threads,
    tune_malloc,  # noqa: F401
    get_num_interop_threads,
    set_default_device,
    get_default_device,
)
from ._tensor import Tensor, Size  # noqa: F401
from ._tensor_str import set_printoptions, get_printoptions  # noqa: F401
from . import autograd  # noqa: F401
from .autograd import no_grad, enable_grad, set_grad_enabled, is_grad_enabled, inference_mode  # noqa: F401
from .autograd.anomaly import is_anomaly_enabled, is_anomaly_check_nan_enabled, set_anomaly_enabled  # noqa: F401
from . import ops as _ops  # registers every op family
from . import storage as _storage, sparse as _sparse
from .ops.creation import (
    Generator,
    default_generator,
    FloatTensor,
    DoubleTensor,
    HalfTensor,  # noqa: F401
    LongTensor,
    IntTensor,
    ShortTensor,
    CharTensor,
    ByteTensor,
    BoolTensor,
    BFloat16Tensor,
)
from .ops.dunders import install_dunders as _install_dunders

_ops.METHODS.update(_storage.METHODS)
_ops.install_methods(Tensor)
_install_dunders(Tensor)
_ops.methods.install(Tensor)
globals().update(_ops.FUNCTIONS)
globals().update(_sparse.TORCH_FUNCTIONS)
del _install_dunders


def is_tensor(obj):
    return isinstance(obj, Tensor)


def is_floating_point(input):
    return input.is_floating_point()


def numel(input):
    return input.numel()


def result_type(tensor1, tensor2):
    from ._dtype import result_type as _rt

    return _rt(tensor1, tensor2)


def can_cast(from_, to):
    return from_.category <= to.category or from_ is to


def is_nonzero(input):
    return input.__bool__()


import importlib as _importlib  # noqa: E402
from ._formats import (
    layout,
    memory_format,
    strided,
    sparse_coo,
    sparse_csr,
    sparse_csc,
    sparse_bsr,  # noqa: E402,F401
    sparse_bsc,
    jagged,
    contiguous_format,
    channels_last,
    channels_last_3d,
    preserve_format,
    legacy_contiguous_format,
)
from .storage import UntypedStorage, TypedStorage  # noqa: E402,F401

globals().update(_storage.LEGACY_STORAGES)
Storage = TypedStorage  # torch.Storage: the legacy name of the typed storage
globals().update(_importlib.import_module("._runtime", __name__).NAMES)
from ._devices import xpu, mps, mtia  # noqa: E402,F401

globals().update(_ops.methods.REMOVED_FUNCTIONS)

_LAZY_SUBMODULES = (
    "nn",
    "optim",
    "utils",
    "distributed",
    "amp",
    "cuda",
    "vision",
    "serialization",
    "safetensors",
    "accelerator",
    "backends",
    "cpu",
    "jit",
    "testing",
    "special",
    "linalg",
    "fft",
    "distributions",
    "return_types",
    "multiprocessing",
    "hub",
    "version",
    "signal",
    "random",
    "functional",
    "func",
    "_dynamo",
    "compiler",
)
_LAZY_NAMES = {  # name -> (module, attribute)
    "autocast": ("amp", "autocast"),
    "save": ("serialization", "save"),
    "load": ("serialization", "load"),
    "save_safetensors": ("safetensors", "save_file"),
    "load_safetensors": ("safetensors", "load_file"),
    "summary": ("_summary", "summary"),
    "compile": ("_dynamo.eval_frame", "compile"),
    "finfo": ("_typeinfo", "finfo"),
    "iinfo": ("_typeinfo", "iinfo"),
    "GradScaler": ("amp", "GradScaler"),
    "vmap": ("func", "vmap"),
    "fork": ("jit", "fork"),
    "wait": ("jit", "wait"),
    **{
        name: ("_settings", name)
        for name in (
            "use_deterministic_algorithms",
            "are_deterministic_algorithms_enabled",
            "is_deterministic_algorithms_warn_only_enabled",
            "set_deterministic_debug_mode",
            "get_deterministic_debug_mode",
            "set_float32_matmul_precision",
            "get_float32_matmul_precision",
            "set_warn_always",
            "is_warn_always_enabled",
        )
    },
}


def install_torch_alias():
    """From here on `import torch` imports ember (see ember.as_torch); for notebooks and scripts."""
    from ._torch_alias import install

    install()


def __getattr__(name):
    """Subpackages and their names import on first use, keeping `import ember` fast."""
    if name in _LAZY_SUBMODULES:
        return _importlib.import_module("." + name, __name__)
    if name == "torch_version":  # torch.torch_version holds TorchVersion: ember.version does
        return _importlib.import_module(".version", __name__)
    if name in _not_implemented.TORCH_MODULES:
        module = globals()[name] = _not_implemented.missing_module(name)
        return module
    if name in _not_implemented.TORCH_VALUES:
        _not_implemented.refuse_value(name)
    if name in _LAZY_NAMES:
        module, attr = _LAZY_NAMES[name]
        value = getattr(_importlib.import_module("." + module, __name__), attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'ember' has no attribute '{name}'")


_not_implemented = _importlib.import_module("._not_implemented", __name__)
_not_implemented.install(Tensor, globals(), set(_LAZY_SUBMODULES) | set(_LAZY_NAMES))


def __dir__():
    return sorted(set(globals()) | set(_LAZY_SUBMODULES) | set(_LAZY_NAMES))
