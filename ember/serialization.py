"""ember.save / ember.load: PyTorch's checkpoint formats, written and read without importing torch.

`save` writes torch's zip format (torch/serialization.py::_save): a folder holding `data.pkl` (a protocol-2
pickle in which each tensor is `torch._utils._rebuild_tensor_v2(storage, offset, size, stride, ...)` and each
storage a persistent id `('storage', torch.FloatStorage, key, location, numel)`), one raw little-endian record
`data/<key>` per storage, each starting on a 64-byte boundary, and the `version`/`byteorder` records.
Real `torch.load(path, weights_only=True)` and `mmap=True` read it.

`load` reads that format and the legacy pickle-stream one (`_use_new_zipfile_serialization=False`) into ember
Tensors. By default (`weights_only=True`, torch's default) its unpickler resolves only the globals a weights
file needs (torch/_weights_only_unpickler.py::_get_allowed_globals) and refuses anything else, so a
malicious checkpoint can't run code.
"""

import _compat_pickle
import builtins
import codecs
import collections
import contextlib
import hashlib
import io
import mmap as _mmap
import os
import pickle
import re
import secrets
import stat
import struct
import sys
import zipfile

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None

import numpy as np

from . import _dtype
from ._backend import array_module, cupy_module, device as _device, device_of, to_device
from ._tensor import Size, Tensor

__all__ = ["save", "load", "add_safe_globals", "get_safe_globals", "clear_safe_globals", "safe_globals"]

DEFAULT_PROTOCOL = 2
_ALIGNMENT = 64  # caffe2/serialize/inline_container.h: record data starts on 64 bytes
_WRITTEN_VERSION = b"3\n"  # kMinProducedFileFormatVersion
_MAX_READ_VERSION = 10  # kMaxSupportedFileFormatVersion
_LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
_LEGACY_PROTOCOL = 1001
_ZIP_MAGIC = b"PK\x03\x04"

# torch dtype name -> (legacy storage class, layout of its bytes on disk); torch/storage.py
_TORCH_DTYPES = {
    "float64": ("DoubleStorage", "<f8"),
    "float32": ("FloatStorage", "<f4"),
    "float16": ("HalfStorage", "<f2"),
    "bfloat16": ("BFloat16Storage", "<u2"),
    "int64": ("LongStorage", "<i8"),
    "int32": ("IntStorage", "<i4"),
    "int16": ("ShortStorage", "<i2"),
    "int8": ("CharStorage", "i1"),
    "uint8": ("ByteStorage", "u1"),
    "bool": ("BoolStorage", "?"),
    "complex128": ("ComplexDoubleStorage", "<c16"),
    "complex64": ("ComplexFloatStorage", "<c8"),
}
# dtypes torch can pickle that ember has no counterpart for: named in errors rather than refused as unknown
_FOREIGN_DTYPES = (
    "complex32",
    "uint16",
    "uint32",
    "uint64",
    "float8_e4m3fn",
    "float8_e5m2",
    "float8_e4m3fnuz",
    "float8_e5m2fnuz",
    "float8_e8m0fnu",
    "float4_e2m1fn_x2",
    "qint8",
    "quint8",
    "qint32",
    "quint4x2",
    "quint2x4",
    "bits8",
    "bits16",
    "bits1x8",
    "bits2x4",
    "bits4x2",
    *(f"uint{i}" for i in range(1, 8)),
    *(f"int{i}" for i in range(1, 8)),
)


def _itemsize(dtype_name):
    """Bytes per element of a torch dtype on disk; 1 for an untyped storage (dtype_name None)."""
    return np.dtype(_TORCH_DTYPES[dtype_name][1]).itemsize if dtype_name else 1


def _contiguous_strides(shape):
    strides, step = [], 1
    for n in reversed(shape):
        strides.append(step)
        step *= max(n, 1)
    return tuple(reversed(strides))


# --------------------------------------------------------------------------------------------------------------
# save
# --------------------------------------------------------------------------------------------------------------
class _TorchName:
    """A torch global (function, class or dtype) that the pickler writes as `GLOBAL 'module name'`."""

    __slots__ = ("module", "name")

    def __init__(self, module, name):
        self.module, self.name = module, name

    def __repr__(self):
        return f"{self.module}.{self.name}"

    def __call__(self, *args):
        # pickle's save_reduce insists that a reduce function be callable; this one only names torch's
        raise TypeError(f"{self!r} is a stand-in for torch's function in a checkpoint; it can't be called")


_REBUILD_TENSOR_V2 = _TorchName("torch._utils", "_rebuild_tensor_v2")
_REBUILD_PARAMETER = _TorchName("torch._utils", "_rebuild_parameter")
_TORCH_SIZE = _TorchName("torch", "Size")
_TORCH_DEVICE = _TorchName("torch", "device")
_STORAGE_CLASS = {name: _TorchName("torch", cls) for name, (cls, _) in _TORCH_DTYPES.items()}
_TORCH_DTYPE = {name: _TorchName("torch", name) for name in _TORCH_DTYPES}


class _StorageRecord:
    """One `data/<key>` record: the bytes of a memory block that one or more saved tensors view."""

    __slots__ = ("key", "data", "pid")

    def __init__(self, key, data, dtype_name, location):
        self.key = key
        self.data = data  # 1-D uint8 array over the block
        numel = data.nbytes // _itemsize(dtype_name)
        self.pid = ("storage", _STORAGE_CLASS[dtype_name], key, location, numel)


class _StorageTable:
    """The storages of the tensors being saved. Tensors that view one NumPy memory block (slices, transposes,
    reshapes of one base) share one record and are pickled with their offset and strides into it, as torch
    pickles views of one storage."""

    def __init__(self):
        self.records = []
        self._by_block = {}  # (id(block), dtype) -> record; the block is kept alive in it

    def place(self, arr):
        """(record, storage_offset, strides) for an array, in elements."""
        location = "cpu"
        if array_module(arr) is not np:
            location = str(device_of(arr))
            arr = arr.get()
        dtype_name = _dtype.from_numpy_dtype(arr.dtype).name
        block = arr
        while isinstance(block.base, np.ndarray):
            block = block.base
        layout = _layout_in_block(block, arr)
        if layout is None:  # memory that one (offset, strides) can't describe: a compact copy
            return self._new_record(np.ascontiguousarray(arr), dtype_name, location), 0, _contiguous_strides(arr.shape)
        key = (id(block), arr.dtype, location)
        record = self._by_block.get(key)
        if record is None:
            record = self._by_block[key] = self._new_record(block, dtype_name, location)
        return (record, *layout)

    def _new_record(self, block, dtype_name, location):
        data = block.ravel(order="K").view(np.uint8)  # a view for any contiguous block
        record = _StorageRecord(str(len(self.records)), data, dtype_name, location)
        self.records.append(record)
        return record


def _layout_in_block(block, arr):
    """(offset, strides) in elements of `arr` inside the contiguous `block`, or None if it has none."""
    item = arr.itemsize
    if arr.size == 0 or not (block.flags.c_contiguous or block.flags.f_contiguous) or block.nbytes % item:
        return None
    start = arr.__array_interface__["data"][0] - block.__array_interface__["data"][0]
    if start < 0 or start % item or any(s < 0 or s % item for s in arr.strides):
        return None
    end = start + item + sum((n - 1) * s for n, s in zip(arr.shape, arr.strides))
    if end > block.nbytes:
        return None
    return start // item, tuple(s // item for s in arr.strides)


class _CheckpointPickler(pickle._Pickler):
    """Pickles like torch.save: tensors by `_rebuild_tensor_v2` over persistent storage ids, Parameters by
    `_rebuild_parameter`, ember dtypes/devices/Sizes as torch's. The pure-Python pickler is the one whose
    dispatch table can emit a GLOBAL for a module that isn't imported (torch isn't); tensor data never goes
    through it, so its speed doesn't matter."""

    dispatch = dict(pickle._Pickler.dispatch)

    def __init__(self, file, protocol, storages):
        super().__init__(file, protocol)
        self._storages = storages

    def save_torch_name(self, obj):
        self.write(pickle.GLOBAL + f"{obj.module}\n{obj.name}\n".encode("utf-8"))
        self.memoize(obj)

    dispatch[_TorchName] = save_torch_name

    def save_dtype(self, obj):
        self.save(_TORCH_DTYPE[obj.name])

    dispatch[_dtype.dtype] = save_dtype

    def persistent_id(self, obj):
        return obj.pid if type(obj) is _StorageRecord else None

    def reducer_override(self, obj):
        if isinstance(obj, Tensor):
            from .nn.parameter import Parameter

            if isinstance(obj, Parameter):
                return _REBUILD_PARAMETER, (Tensor._make(obj._data), obj.requires_grad, collections.OrderedDict())
            record, offset, strides = self._storages.place(obj._data)
            return _REBUILD_TENSOR_V2, (
                record,
                offset,
                tuple(obj._data.shape),
                strides,
                obj.requires_grad,
                collections.OrderedDict(),
            )
        if type(obj) is Size:
            return _TORCH_SIZE, (tuple(obj),)
        if type(obj) is _device:
            return _TORCH_DEVICE, (obj.type,) if obj.index is None else (obj.type, obj.index)
        return NotImplemented


def _write_record(zf, name, data):
    """Add a stored (uncompressed) record whose data starts on a 64-byte boundary, padding the local header's
    extra field with an 'FB' block of 'Z's as caffe2/serialize/inline_container.cc::getPadding does."""
    data = memoryview(data).cast("B")
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_STORED
    info.file_size = data.nbytes
    info.CRC = info.compress_size = 0  # set for real once written; FileHeader needs them
    zip64 = data.nbytes * 1.05 > zipfile.ZIP64_LIMIT  # the rule ZipFile.open(mode="w") applies
    header = len(info.FileHeader(zip64)) + 4  # + the 'FB' id and length
    pad = -(zf.start_dir + header) % _ALIGNMENT  # start_dir: where ZipFile writes the next header
    info.extra = struct.pack("<2sH", b"FB", pad) + b"Z" * pad
    with zf.open(info, "w", force_zip64=zip64) as out:
        out.write(data)


def _write_checkpoint(fp, prefix, pickled, storages):
    with zipfile.ZipFile(fp, "w", zipfile.ZIP_STORED, allowZip64=True) as zf:
        _write_record(zf, f"{prefix}/data.pkl", pickled)
        _write_record(zf, f"{prefix}/.format_version", b"1")
        _write_record(zf, f"{prefix}/.storage_alignment", str(_ALIGNMENT).encode())
        _write_record(zf, f"{prefix}/byteorder", sys.byteorder.encode())
        for record in storages.records:
            _write_record(zf, f"{prefix}/data/{record.key}", record.data)
        _write_record(zf, f"{prefix}/version", _WRITTEN_VERSION)
        _write_record(zf, f"{prefix}/.data/serialization_id", f"{secrets.randbelow(10**40):040d}".encode())


_TEMP_NAME_BYTES = 200  # of the file's own name in its temp file's: the rest fits NAME_MAX (255 bytes)


def _temp_prefix(name):
    """`.NAME.` for the temp files of a save to NAME; a long NAME is cut and given a hash of the whole, so that
    the temp file's name stays within the file system's limit and still belongs to this NAME alone."""
    if len(os.fsencode(name)) > _TEMP_NAME_BYTES:
        digest = hashlib.sha256(os.fsencode(name)).hexdigest()[:16]
        name = name[: _TEMP_NAME_BYTES - 17]
        while len(os.fsencode(name)) > _TEMP_NAME_BYTES - 17:
            name = name[:-1]
        name = f"{name}~{digest}"
    return f".{name}."


def _remove_stale_temp_files(directory, prefix):
    """Delete the temp files that interrupted saves to the same path left (kill -9 and power loss skip every
    cleanup): those no writer holds a lock on, since a lock dies with its process. Without file locks (Windows)
    a file still open by its writer can't be deleted, which keeps a concurrent save's file too."""
    pattern = re.compile(re.escape(prefix) + r"[0-9a-f]{12}\.tmp")
    try:
        names = [n for n in os.listdir(directory) if pattern.fullmatch(n)]
    except OSError:
        return
    for name in names:
        candidate = os.path.join(directory, name)
        with contextlib.suppress(OSError):  # in use, or already gone: leave it
            if fcntl is None:
                os.unlink(candidate)
                continue
            fd = os.open(candidate, os.O_RDONLY)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                os.unlink(candidate)
            finally:
                os.close(fd)


def _create_temp_file(directory, prefix):
    """(path, fd) of a new temp file, locked (where file locks exist) so that no other save's sweep removes it."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    while True:
        tmp = os.path.join(directory, f"{prefix}{secrets.token_hex(6)}.tmp")
        fd = os.open(tmp, flags, 0o666)
        if fcntl is None:
            return tmp, fd
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
        except OSError:  # a file system without locks: the sweep can't take it either
            return tmp, fd
        if os.fstat(fd).st_nlink:  # else another save's sweep removed it before the lock was taken
            return tmp, fd
        os.close(fd)


@contextlib.contextmanager
def _atomic_file(path):
    """A new file beside `path` that replaces it only once fully written and synced; removed on any error,
    so an existing file at `path` is never left half-written. Temp files that interrupted saves to `path`
    left behind are removed first."""
    if os.path.islink(path):
        path = os.path.realpath(path)
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise RuntimeError(f"Parent directory {directory} does not exist.")
    prefix = _temp_prefix(os.path.basename(path))
    _remove_stale_temp_files(directory, prefix)
    tmp, fd = _create_temp_file(directory, prefix)
    try:
        with os.fdopen(fd, "wb") as fp:
            yield fp
            fp.flush()
            os.fsync(fp.fileno())
            if os.path.exists(path):
                os.chmod(tmp, stat.S_IMODE(os.stat(path).st_mode))
            if fcntl is not None:  # rename while the lock is held: no sweep can take the file first
                os.replace(tmp, path)
        if fcntl is None:  # Windows renames only closed files
            os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    if hasattr(os, "O_DIRECTORY"):  # make the rename itself durable
        dir_fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def save(obj, f, pickle_module=pickle, pickle_protocol=DEFAULT_PROTOCOL):
    """torch.save: write `obj` (tensors, Parameters, containers of them, numbers, strings...) in PyTorch's zip
    checkpoint format, loadable by `torch.load(f, weights_only=True)` and by `ember.load`.

    `f` is a path (str or os.PathLike), written atomically (a temporary file in the same folder replaces it
    only after everything is written and synced), or a binary file object. Keep `pickle_protocol=2`: torch's
    weights_only loader can't read protocol 4 or 5.
    """
    if pickle_module is not pickle:
        raise ValueError(
            "ember.save writes torch's checkpoint format with its own pickler; "
            f"pickle_module={pickle_module!r} is not supported (leave it as the default)"
        )
    storages = _StorageTable()
    pickled = io.BytesIO()
    _CheckpointPickler(pickled, pickle_protocol, storages).dump(obj)
    if isinstance(f, (str, bytes, os.PathLike)):
        path = os.fsdecode(f)
        prefix = os.path.splitext(os.path.basename(path))[0] or "archive"
        with _atomic_file(path) as fp:
            _write_checkpoint(fp, prefix, pickled.getbuffer(), storages)
    elif hasattr(f, "write"):
        _write_checkpoint(f, "archive", pickled.getbuffer(), storages)
    else:
        raise TypeError(
            f"ember.save: f must be a path (str or os.PathLike) or a binary file object with "
            f"write(), got {type(f).__name__}"
        )


# --------------------------------------------------------------------------------------------------------------
# load
# --------------------------------------------------------------------------------------------------------------
class _CheckpointError(RuntimeError):
    """A load error whose message already names the file and the problem."""


class _NotAPickle(_CheckpointError, pickle.UnpicklingError):
    """Bytes that don't even unpickle: torch.load raises UnpicklingError there, so `except` clauses carry over."""


class _OutOfMemory(_CheckpointError, MemoryError):
    """A record too large to read into memory (a zip bomb's declared size); still a MemoryError."""


class _EmptyCheckpoint(_CheckpointError, EOFError):
    """A 0-byte file (an interrupted copy): torch.load raises EOFError."""


class _Refused(pickle.UnpicklingError):
    """A global, attribute or state the loader won't rebuild (with weights_only=True: anything a weights file
    doesn't need); the message names the file and what was refused."""


class _StorageType:
    """A storage class from the pickle (torch.FloatStorage ...; dtype_name None for torch.storage.UntypedStorage,
    whose tensors name their dtype in _rebuild_tensor_v3)."""

    __slots__ = ("dtype_name", "itemsize")

    def __init__(self, dtype_name):
        self.dtype_name = dtype_name
        self.itemsize = _itemsize(dtype_name)


class _ForeignDtype:
    """A torch dtype with no ember counterpart, kept by name so the error can say which."""

    __slots__ = ("name",)

    def __init__(self, name):
        self.name = name


class LoadedStorage:
    """A storage read from a checkpoint: its raw bytes and the device it is restored to. This is what a
    callable `map_location(storage, location)` receives; return `storage.cpu()`, `storage.cuda(i)`,
    `storage.to(device)`, the storage itself, or None for the default placement."""

    def __init__(self, raw, dtype_name, big_endian, device, name):
        self._raw = raw  # 1-D uint8 NumPy array
        self.dtype_name = dtype_name  # None for an untyped storage
        self._big_endian = big_endian
        self.device = device
        self._name = name
        self.itemsize = _itemsize(dtype_name)
        self._arrays = {}  # dtype name -> (1-D array on self.device, its base Tensor)

    def nbytes(self):
        return self._raw.nbytes

    def to(self, device):
        device = _device(str(device)) if not isinstance(device, _device) else device
        if device == self.device:
            return self
        if device.type == "cuda":
            _require_gpu(self._name, str(device))
        moved = LoadedStorage(self._raw, self.dtype_name, self._big_endian, device, self._name)
        moved._arrays = {k: (to_device(a, device), None) for k, (a, _) in self._arrays.items()}
        return moved

    def cpu(self):
        return self.to(_device("cpu"))

    def cuda(self, device=None):
        if device is None or isinstance(device, int):
            return self.to(_device("cuda", device))
        return self.to(device)

    def array(self, dtype_name):
        """The storage as a 1-D array of ember's dtype for torch dtype `dtype_name`, and the base Tensor the
        tensors over it view (one per dtype, so they share memory and a version counter)."""
        if dtype_name not in self._arrays:
            arr = _decode(self._raw, dtype_name, self._big_endian, self._name)
            if self.device.type != "cpu":
                arr = to_device(arr, self.device)
            self._arrays[dtype_name] = (arr, None)
        arr, base = self._arrays[dtype_name]
        if base is None:
            base = Tensor._make(arr)
            self._arrays[dtype_name] = (arr, base)
        return arr, base

    def refill(self):
        """Re-decode arrays made before the raw bytes arrived (the legacy format stores data after the pickle)."""
        for dtype_name, (arr, _) in self._arrays.items():
            if array_module(arr) is np and np.may_share_memory(arr, self._raw):
                continue
            arr[...] = to_device(_decode(self._raw, dtype_name, self._big_endian, self._name), self.device)


def _decode(raw, dtype_name, big_endian, name):
    """`raw` bytes as a 1-D array of ember's dtype (a view unless a conversion is needed).

    bfloat16 becomes float32 when ember has no bfloat16 (ml_dtypes not installed): exact, since a bfloat16 is
    the top half of a float32."""
    if dtype_name not in _TORCH_DTYPES or dtype_name not in _dtype._BY_NAME and dtype_name != "bfloat16":
        raise _CheckpointError(
            f"ember.load: {name} holds a tensor of dtype torch.{dtype_name}, which ember does "
            f"not have (ember has {', '.join(sorted(_dtype._BY_NAME))})"
        )
    disk = np.dtype(_TORCH_DTYPES[dtype_name][1])
    if big_endian:
        disk = disk.newbyteorder(">")
    if raw.nbytes % disk.itemsize:
        raise _CheckpointError(
            f"ember.load: {name} is truncated or corrupt: a storage of {raw.nbytes} bytes "
            f"can't hold {dtype_name} elements of {disk.itemsize} bytes"
        )
    arr = raw.view(disk)
    if dtype_name == "bfloat16":
        bits = arr.astype(np.uint16, copy=False)
        if _dtype.bfloat16 is not None:
            return bits.view(_dtype.bfloat16.np)
        return (bits.astype(np.uint32) << 16).view(np.float32)
    if not disk.isnative:
        arr = arr.astype(disk.newbyteorder("="))
    return arr.view(_dtype._BY_NAME[dtype_name].np)


def _require_gpu(name, location):
    if cupy_module() is None:
        raise _CheckpointError(
            f"ember.load: {name}: Attempting to deserialize object on a CUDA device ({location}) but "
            "ember.cuda.is_available() is False. If you are running on a CPU-only machine, please use "
            "ember.load with map_location=torch.device('cpu') (or map_location='cpu') to map your storages "
            "to the CPU."
        )


def _set_python_state(obj, state, name):
    """Attributes a tensor carried as Python state (torch._utils._set_obj_state), never over ember's own."""
    if isinstance(state, tuple) and len(state) == 2:
        dict_state, slots_state = state
        items = [*(dict_state or {}).items(), *(slots_state or {}).items()]
    elif isinstance(state, dict):
        items = list(state.items())
    else:
        raise _CheckpointError(f"ember.load: {name} is truncated or corrupt: tensor state {type(state).__name__}")
    for key, value in items:
        if not isinstance(key, str) or hasattr(type(obj), key):
            raise _Refused(f"ember.load: {name}: refusing to set attribute {key!r} of a tensor")
        obj.__dict__[key] = value


# --- globals the user allows weights_only loading to rebuild (torch.serialization's allowlist) ----------------
_user_safe_globals = {}  # "module.qualname" -> the object


def _safe_global_entry(entry):
    if isinstance(entry, tuple):
        obj, name = entry
        return name, obj
    return f"{entry.__module__}.{entry.__qualname__}", entry


def add_safe_globals(safe_globals):
    """Let `load(weights_only=True)` rebuild these classes and functions (objects, or (object, "module.name")
    pairs): their pickled state is then restored as pickle does. Add only what you trust."""
    _user_safe_globals.update(_safe_global_entry(e) for e in safe_globals)


def get_safe_globals():
    return list(_user_safe_globals.values())


def clear_safe_globals():
    _user_safe_globals.clear()


@contextlib.contextmanager
def safe_globals(safe_globals):
    """add_safe_globals for the duration of a with block."""
    saved = dict(_user_safe_globals)
    add_safe_globals(safe_globals)
    try:
        yield
    finally:
        _user_safe_globals.clear()
        _user_safe_globals.update(saved)


class _Loader:
    """One ember.load call: resolves the pickle's globals to ember rebuilders and its storages to arrays."""

    def __init__(self, name, map_location, weights_only, pickle_load_args):
        from .nn.parameter import Parameter

        self.name = name
        self.map_location = map_location
        self.weights_only = weights_only
        self.pickle_load_args = pickle_load_args
        self.big_endian = False
        self.read_storage = None  # key, nbytes -> 1-D uint8 array (zip format)
        self.storages = {}
        self.Parameter = Parameter
        self.rebuilders = {
            "torch._utils._rebuild_tensor": self.rebuild_tensor,
            "torch._utils._rebuild_tensor_v2": self.rebuild_tensor_v2,
            "torch._utils._rebuild_tensor_v3": self.rebuild_tensor_v3,
            "torch._utils._rebuild_parameter": self.rebuild_parameter,
            "torch._utils._rebuild_parameter_with_state": self.rebuild_parameter_with_state,
            "torch._tensor._rebuild_from_type_v2": self.rebuild_from_type_v2,
        }
        self.allowed = {
            **self.rebuilders,
            "collections.OrderedDict": collections.OrderedDict,
            "collections.Counter": collections.Counter,
            "_codecs.encode": codecs.encode,
            "builtins.bytearray": builtins.bytearray,
            "builtins.set": builtins.set,
            "builtins.complex": builtins.complex,
            "torch.Tensor": Tensor,
            "torch.nn.parameter.Parameter": Parameter,
            "torch.Size": Size,
            "torch.device": _device,
            "torch.storage.UntypedStorage": _StorageType(None),
            **{f"torch.{cls}": _StorageType(name) for name, (cls, _) in _TORCH_DTYPES.items()},
            **{f"torch.{n}": _ForeignDtype(n) for n in _FOREIGN_DTYPES + ("complex64", "complex128")},
            **{f"torch.{n}": d for n, d in _dtype._BY_NAME.items()},
        }
        if _dtype.bfloat16 is None:
            self.allowed["torch.bfloat16"] = _dtype.float32  # see _decode

    def close(self):
        """Drop the tables of bound methods (references to self): the loader and its bookkeeping are then freed
        by reference counting when load returns, not left for the garbage collector."""
        self.rebuilders = self.allowed = self.storages = self.read_storage = None

    # --- the pickle ------------------------------------------------------------------------------------------
    def unpickle(self, file):
        return _CheckpointUnpickler(file, self, **self.pickle_load_args).load()

    def find_class(self, unpickler, module, name):
        full = f"{module}.{name}"
        if full in self.allowed:
            return self.allowed[full]
        if full in _user_safe_globals:
            return _user_safe_globals[full]
        if self.weights_only:
            raise _Refused(
                f"ember.load: {self.name}: the checkpoint needs the global {full}, and "
                "weights_only=True refused it; pass weights_only=False only if you trust the file, or "
                f"allow this global with torch.serialization.add_safe_globals([{name}]) if you trust it"
            )
        if module == "torch" or module.startswith("torch."):
            raise _Refused(
                f"ember.load: {self.name}: the checkpoint pickles {full}, a torch object ember can't rebuild "
                "(a whole module or optimizer saved with torch.save(model)?); save model.state_dict() with torch "
                "and load that instead"
            )
        return pickle._Unpickler.find_class(unpickler, module, name)

    def persistent_load(self, pid, legacy):
        size = 6 if legacy else 5
        if not (
            isinstance(pid, tuple)
            and len(pid) == size
            and pid[0] == "storage"
            and isinstance(pid[1], _StorageType)
            and isinstance(pid[2], str)
            and isinstance(pid[3], str)
            and type(pid[4]) is int
            and pid[4] >= 0
        ):
            raise _CheckpointError(
                f"ember.load: {self.name} is truncated or corrupt: unexpected persistent id {pid!r:.200}"
            )
        _, storage_type, key, location, numel = pid[:5]
        if legacy and pid[5] is not None:
            raise _CheckpointError(
                f"ember.load: {self.name} uses storage views from PyTorch < 1.0, which "
                "ember does not read; re-save it with a recent torch"
            )
        if key in self.storages:
            return self.storages[key]
        nbytes = numel * storage_type.itemsize
        raw = np.empty(nbytes, np.uint8) if legacy else self.read_storage(key, nbytes)
        storage = LoadedStorage(raw, storage_type.dtype_name, self.big_endian, _device("cpu"), self.name)
        storage = self.restore(storage, location)
        self.storages[key] = storage
        return storage

    def restore(self, storage, location):
        """Place a storage as torch.serialization._get_restore_location does for `map_location`."""
        ml = self.map_location
        if ml is None:
            target = location
        elif isinstance(ml, dict):
            target = str(ml.get(location, location))
        elif isinstance(ml, (str, _device)):
            target = str(ml)
        elif callable(ml):
            result = ml(storage, location)
            if result is not None:
                if not isinstance(result, LoadedStorage):
                    raise TypeError(
                        f"ember.load: map_location returned {type(result).__name__}; it must return "
                        "the storage it was given (or storage.cpu()/.cuda()/.to(device)) or None"
                    )
                return result
            target = location
        else:
            raise TypeError(
                f"ember.load: map_location must be None, a str, an ember.device, a dict or a "
                f"callable, got {type(ml).__name__}"
            )
        if target == "cpu":
            return storage
        if target.split(":")[0] != "cuda":
            raise _CheckpointError(
                f"ember.load: {self.name}: don't know how to restore data location "
                f"{target!r} (ember has cpu and cuda devices)"
            )
        _require_gpu(self.name, target)
        return storage.to(_device(target))

    # --- rebuilders (what torch._utils' functions do, producing ember Tensors) ------------------------------
    def _view(self, storage, dtype_name, offset, size, stride):
        if not isinstance(storage, LoadedStorage):
            raise _CheckpointError(
                f"ember.load: {self.name} is truncated or corrupt: a tensor's storage is a {type(storage).__name__}"
            )
        size, stride = tuple(size), tuple(stride)
        if (
            dtype_name is None
            or len(size) != len(stride)
            or not all(type(v) is int and v >= 0 for v in (offset, *size, *stride))
        ):
            raise _CheckpointError(
                f"ember.load: {self.name} is truncated or corrupt: a tensor has offset "
                f"{offset!r}, size {size!r} and stride {stride!r}"
            )
        arr, base = storage.array(dtype_name)
        n = 1
        for s in size:
            n *= s
        if n == 0:
            return Tensor._make(arr[:0].reshape(size))
        end = offset + 1 + sum((s - 1) * st for s, st in zip(size, stride))
        if end > arr.size:  # as_strided beyond the storage would read foreign memory
            raise _CheckpointError(
                f"ember.load: {self.name} is truncated or corrupt: a tensor of size "
                f"{list(size)}, stride {list(stride)} and offset {offset} overruns its "
                f"storage of {arr.size} elements"
            )
        if offset == 0 and n == arr.size and stride == _contiguous_strides(size):
            t = Tensor._make(arr.reshape(size))
        else:
            item = arr.itemsize
            xp = array_module(arr)
            if xp is np:
                data = np.ndarray(
                    size, arr.dtype, buffer=arr, offset=offset * item, strides=tuple(st * item for st in stride)
                )
            else:
                data = xp.lib.stride_tricks.as_strided(arr[offset:], size, tuple(st * item for st in stride))
            t = Tensor._make(data)
            t._base = base
        t._version_counter = base._version_counter
        return t

    def rebuild_tensor(self, storage, storage_offset, size, stride):
        name = storage.dtype_name if isinstance(storage, LoadedStorage) else None
        return self._view(storage, name, storage_offset, size, stride)

    def rebuild_tensor_v2(self, storage, storage_offset, size, stride, requires_grad, backward_hooks, metadata=None):
        t = self.rebuild_tensor(storage, storage_offset, size, stride)
        if requires_grad:
            t.requires_grad = True
        return t

    def rebuild_tensor_v3(
        self, storage, storage_offset, size, stride, requires_grad, backward_hooks, dtype, metadata=None
    ):
        if isinstance(dtype, _ForeignDtype):
            dtype_name = dtype.name
        elif isinstance(dtype, _dtype.dtype):
            dtype_name = dtype.name
        else:
            raise _CheckpointError(f"ember.load: {self.name} is truncated or corrupt: dtype {dtype!r:.100}")
        t = self._view(storage, dtype_name, storage_offset, size, stride)
        if requires_grad:
            t.requires_grad = True
        return t

    def rebuild_parameter(self, data, requires_grad, backward_hooks):
        if not isinstance(data, Tensor):
            raise _CheckpointError(
                f"ember.load: {self.name} is truncated or corrupt: a Parameter of {type(data).__name__}"
            )
        return self.Parameter(data, bool(requires_grad))

    def rebuild_parameter_with_state(self, data, requires_grad, backward_hooks, state):
        param = self.rebuild_parameter(data, requires_grad, backward_hooks)
        _set_python_state(param, state, self.name)
        return param

    def rebuild_from_type_v2(self, func, new_type, args, state):
        if func not in self.rebuilders.values() or not isinstance(args, tuple):
            raise _Refused(f"ember.load: {self.name}: _rebuild_from_type_v2 of {func!r:.100}")
        t = func(*args)
        if new_type is self.Parameter and not isinstance(t, self.Parameter):
            t = self.Parameter(t, t.requires_grad)
        elif new_type is not Tensor and new_type is not type(t):
            raise _Refused(f"ember.load: {self.name}: can't rebuild a tensor subclass {new_type!r:.100}")
        if state:
            _set_python_state(t, state, self.name)
        return t

    # --- the two formats --------------------------------------------------------------------------------------
    def load_zip(self, fp, use_mmap):
        try:
            zf = zipfile.ZipFile(fp)
        except (zipfile.BadZipFile, EOFError, OSError, ValueError) as e:
            raise _CheckpointError(f"ember.load: {self.name} is truncated or corrupt: {e}") from None
        with zf:
            names = zf.namelist()
            if not names:
                raise _CheckpointError(
                    f"ember.load: {self.name} is not a PyTorch checkpoint (zip or legacy format): an empty zip archive"
                )
            prefix = names[0].split("/", 1)[0]
            for n in names:
                if not n.startswith(prefix + "/"):
                    raise _CheckpointError(
                        f"ember.load: {self.name} is truncated or corrupt: file in archive "
                        f"is not in a subdirectory {prefix}/: {n}"
                    )
            records = set(names)
            if f"{prefix}/data.pkl" not in records:
                raise _CheckpointError(
                    f"ember.load: {self.name} is not a PyTorch checkpoint (zip or legacy "
                    "format): a zip archive without data.pkl"
                )
            if f"{prefix}/constants.pkl" in records:
                raise _CheckpointError(
                    f"ember.load: {self.name} is a TorchScript archive (torch.jit.save), "
                    "which ember can't run; save a state_dict() with torch.save instead"
                )
            version_name = next((v for v in (f"{prefix}/version", f"{prefix}/.data/version") if v in records), None)
            if version_name is None:
                raise _CheckpointError(f"ember.load: {self.name} is truncated or corrupt: it has no version record")
            try:
                version = int(self.read_record(zf, version_name).strip())
                if f"{prefix}/byteorder" in records:
                    self.big_endian = self.read_record(zf, f"{prefix}/byteorder").strip() == b"big"
                pickled = self.read_record(zf, f"{prefix}/data.pkl")
            except (zipfile.BadZipFile, EOFError, OSError, ValueError) as e:
                raise _CheckpointError(f"ember.load: {self.name} is truncated or corrupt: {e}") from None
            if version > _MAX_READ_VERSION:
                raise _CheckpointError(
                    f"ember.load: {self.name} has file format version {version}; this reader "
                    f"supports versions up to {_MAX_READ_VERSION} (a newer torch wrote it)"
                )
            mm = _mmap.mmap(fp.fileno(), 0, access=_mmap.ACCESS_COPY) if use_mmap else None

            def read_storage(key, nbytes):
                name = f"{prefix}/data/{key}"
                try:
                    info = zf.getinfo(name)
                except KeyError:
                    raise _CheckpointError(
                        f"ember.load: {self.name} is truncated or corrupt: storage record {name} is missing"
                    ) from None
                if info.file_size < nbytes:
                    raise _CheckpointError(
                        f"ember.load: {self.name} is truncated or corrupt: storage record "
                        f"{name} holds {info.file_size} bytes, its tensors need {nbytes}"
                    )
                if mm is not None and info.compress_type == zipfile.ZIP_STORED:
                    return _mapped_record(mm, info, nbytes, self.name)
                self.check_record_size(zf, info, nbytes)
                buf = np.empty(nbytes, np.uint8)
                view, filled = memoryview(buf), 0
                with zf.open(info) as src:
                    while filled < nbytes:
                        n = src.readinto(view[filled:])
                        if not n:
                            raise _CheckpointError(
                                f"ember.load: {self.name} is truncated or corrupt: storage "
                                f"record {name} ends after {filled} of {nbytes} bytes"
                            )
                        filled += n
                return buf

            self.read_storage = read_storage
            return self.unpickle(io.BytesIO(pickled))

    def check_record_size(self, zf, info, nbytes):
        """Refuse to read `nbytes` of a record that can't hold them: a stored record lies in the archive, so it
        can't extend past it; a compressed one can declare any size (a zip bomb), so it must fit in memory."""
        if info.compress_type == zipfile.ZIP_STORED:
            if info.header_offset + nbytes > zf.start_dir:
                raise _CheckpointError(
                    f"ember.load: {self.name} is truncated or corrupt: record {info.filename} "
                    f"declares {nbytes} bytes, more than the archive holds"
                )
            return
        available = _available_memory()
        if available is not None and nbytes > available:
            raise _OutOfMemory(
                f"ember.load: {self.name}: record {info.filename} would inflate from "
                f"{info.compress_size} compressed bytes to {nbytes}, more than the {available} bytes "
                "of memory available; refusing to read it (a zip bomb, or a corrupt file)"
            )

    def read_record(self, zf, name):
        """A small record's bytes (data.pkl, version, byteorder), its declared size checked before reading."""
        info = zf.getinfo(name)
        self.check_record_size(zf, info, info.file_size)
        try:
            return zf.read(info)
        except MemoryError:
            raise _OutOfMemory(
                f"ember.load: {self.name}: out of memory reading record {name} ({info.file_size} bytes)"
            ) from None

    def load_legacy(self, fp):
        try:
            magic = self.unpickle(fp)
        except Exception:
            raise _NotAPickle(f"ember.load: {self.name} is not a PyTorch checkpoint (zip or legacy format)") from None
        if type(magic) is not int or magic != _LEGACY_MAGIC:
            raise _CheckpointError(f"ember.load: {self.name} is not a PyTorch checkpoint (zip or legacy format)")
        protocol = self.unpickle(fp)
        if protocol != _LEGACY_PROTOCOL:
            raise _CheckpointError(
                f"ember.load: {self.name}: legacy checkpoint with protocol version "
                f"{protocol!r:.50}, expected {_LEGACY_PROTOCOL}"
            )
        sys_info = self.unpickle(fp)
        self.big_endian = not (isinstance(sys_info, dict) and sys_info.get("little_endian", True))
        unpickler = _CheckpointUnpickler(fp, self, **self.pickle_load_args)
        unpickler.legacy = True
        result = unpickler.load()
        keys = self.unpickle(fp)
        count_format = ">q" if self.big_endian else "<q"
        for key in keys:
            storage = self.storages[key]
            (count,) = struct.unpack(count_format, _read_exactly(fp, 8))
            raw = storage._raw
            if count * storage.itemsize != raw.nbytes:
                raise _CheckpointError(
                    f"ember.load: {self.name} is truncated or corrupt: storage {key} "
                    f"has {count} elements, its pickle said {raw.nbytes // storage.itemsize}"
                )
            raw[...] = np.frombuffer(_read_exactly(fp, raw.nbytes), np.uint8)
            storage.refill()
        return result


def _available_memory():
    """Bytes of memory a read can still have (Linux: MemAvailable, else free physical pages), None if unknown."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None


def _read_exactly(fp, n):
    data = fp.read(n)
    if len(data) != n:
        raise EOFError(f"needed {n} bytes, the file ended after {len(data)}")
    return data


def _mapped_record(mm, info, nbytes, name):
    """The record's bytes inside the copy-on-write map of the file: no copy, as torch.load(mmap=True)."""
    header = mm[info.header_offset : info.header_offset + 30]
    if len(header) < 30 or header[:4] != _ZIP_MAGIC:
        raise _CheckpointError(f"ember.load: {name} is truncated or corrupt: bad local header for {info.filename}")
    name_len, extra_len = struct.unpack("<HH", header[26:30])
    start = info.header_offset + 30 + name_len + extra_len
    if start + nbytes > len(mm):
        raise _CheckpointError(
            f"ember.load: {name} is truncated or corrupt: record {info.filename} runs past the end of the file"
        )
    return np.frombuffer(mm, np.uint8, nbytes, start)


class _CheckpointUnpickler(pickle._Unpickler):
    """The pure-Python unpickler, whose BUILD opcode can be restricted too (the C one would call any object's
    __setstate__); globals and persistent ids go to the _Loader."""

    dispatch = dict(pickle._Unpickler.dispatch)
    legacy = False

    def __init__(self, file, loader, **kwargs):
        kwargs.setdefault("encoding", "utf-8")
        super().__init__(file, **kwargs)
        self._loader = loader

    def find_class(self, module, name):
        if self.proto < 3 and self.fix_imports:  # Python 2 names (__builtin__.set), as pickle maps them
            module, name = _compat_pickle.NAME_MAPPING.get((module, name), (module, name))
            module = _compat_pickle.IMPORT_MAPPING.get(module, module)
        return self._loader.find_class(self, module, name)

    def persistent_load(self, pid):
        return self._loader.persistent_load(pid, self.legacy)

    def load_build(self):
        inst, state = self.stack[-2], self.stack[-1]
        if (
            self._loader.weights_only
            and type(inst) not in _user_safe_globals.values()
            and not (
                type(inst) in (collections.OrderedDict, collections.Counter)
                and isinstance(state, dict)
                and all(isinstance(k, str) for k in state)
            )
        ):
            raise _Refused(
                f"ember.load: {self._loader.name}: the checkpoint sets the state of a "
                f"{type(inst).__name__}, and weights_only=True refused it; pass weights_only=False "
                "only if you trust the file"
            )
        pickle._Unpickler.load_build(self)

    dispatch[pickle.BUILD[0]] = load_build


def _describe(f):
    if isinstance(f, (str, bytes, os.PathLike)):
        return repr(os.fsdecode(f))
    name = getattr(f, "name", None)
    return repr(name) if isinstance(name, str) else f"<{type(f).__name__}>"


def load(f, map_location=None, pickle_module=None, *, weights_only=None, mmap=None, **pickle_load_args):
    """torch.load: read a checkpoint written by torch.save (zip or legacy format) or ember.save.

    Tensors come back as ember Tensors (Parameters as ember.nn.Parameter) that own their memory, or, with
    `mmap=True` (f must be a path), view a copy-on-write map of the file. bfloat16 tensors load as float32
    unless ember has bfloat16 (the ml_dtypes package); the conversion is exact.

    `weights_only` (default True, as torch >= 2.6) lets the pickle use only tensors, Parameters, containers,
    numbers, strings, dtypes, devices and sizes; anything else raises pickle.UnpicklingError. Pass
    weights_only=False only for files you trust: the pickle may then run code.

    `map_location`: None (where they were saved), 'cpu', an ember.device, a dict {'cuda:0': 'cpu'}, or a
    callable(storage, location) returning a storage or None, as in torch.
    """
    weights_only = True if weights_only is None else bool(weights_only)
    if pickle_module is not None and pickle_module is not pickle:
        raise ValueError(
            f"ember.load reads checkpoints with its own unpickler; pickle_module={pickle_module!r} is not supported"
        )
    name = _describe(f)
    loader = _Loader(name, map_location, weights_only, pickle_load_args)
    if isinstance(f, (str, bytes, os.PathLike)):
        with open(f, "rb") as fp:
            return _load_stream(loader, fp, bool(mmap))
    if mmap:
        raise ValueError("f must be a file path in order to use the mmap argument")
    if not (hasattr(f, "seekable") and f.seekable()):
        f = io.BytesIO(f.read())
    return _load_stream(loader, f, False)


def _load_stream(loader, fp, use_mmap):
    start = fp.tell()
    head = fp.read(4)
    fp.seek(start)
    if not head:
        raise _EmptyCheckpoint(
            f"ember.load: {loader.name} is empty (0 bytes), so it is not a PyTorch checkpoint (zip or legacy format)"
        )
    try:
        if head == _ZIP_MAGIC:
            return loader.load_zip(fp, use_mmap)
        if use_mmap:
            raise _CheckpointError(
                f"ember.load: {loader.name}: mmap can only be used with files saved with "
                "`torch.save(_use_new_zipfile_serialization=True)`, please torch.save your "
                "checkpoint with this option in order to use mmap."
            )
        return loader.load_legacy(fp)
    except (_CheckpointError, _Refused):
        raise
    except (
        pickle.UnpicklingError,
        EOFError,
        ValueError,
        KeyError,
        IndexError,
        TypeError,
        AttributeError,
        struct.error,
        UnicodeDecodeError,
        zipfile.BadZipFile,
        OverflowError,
    ) as e:
        raise _CheckpointError(f"ember.load: {loader.name} is truncated or corrupt: {type(e).__name__}: {e}") from e
    finally:
        loader.close()
