"""torch.storage: the memory block under a tensor, as torch's UntypedStorage (bytes) and TypedStorage (elements),
and the Tensor methods that deal in it: storage, untyped_storage, storage_type, set_, is_set_to, share_memory_,
is_shared, pin_memory, is_pinned.

A tensor's storage is the array that owns the memory its array views (NumPy's or CuPy's `.base` chain).
share_memory_ moves a CPU tensor's memory into a block of shared memory (an anonymous memory file), which forked
processes see as they are and which ember.multiprocessing sends to spawned ones by file descriptor."""

import mmap
import os
import warnings
import weakref

import numpy as np

from . import _dtype
from ._backend import array_module, device_of, element_view, memory_layout, to_host

# the shared memory blocks made here: mmap -> its file descriptor (closed with the mapping)
_SHARED = weakref.WeakKeyDictionary()


def _root(arr):
    """The array that owns arr's memory (the end of its chain of views), and whatever holds the memory beneath."""
    owner = arr
    while isinstance(owner.base, type(arr)):
        owner = owner.base
    return owner, owner.base


def _bytes_of(owner):
    """The owner's memory as a flat uint8 array."""
    if not (owner.flags.c_contiguous or owner.flags.f_contiguous):
        raise NotImplementedError("storage(): this tensor views memory ember did not allocate in one dense block")
    return owner.reshape(-1, order="A").view(np.uint8)


def shared_block(size):
    """A zeroed uint8 array of `size` bytes in shared memory."""
    fd = os.memfd_create("ember-shared", os.MFD_CLOEXEC)
    os.ftruncate(fd, max(size, 1))
    block = mmap.mmap(fd, max(size, 1))
    _SHARED[block] = fd
    weakref.finalize(block, os.close, fd)
    return np.frombuffer(block, np.uint8, count=size)


def adopt_shared(fd, size):
    """The uint8 array over a shared block received as a file descriptor (ember.multiprocessing)."""
    block = mmap.mmap(fd, max(size, 1))
    _SHARED[block] = fd
    weakref.finalize(block, os.close, fd)
    return np.frombuffer(block, np.uint8, count=size)


def shared_fd(arr):
    """The file descriptor of the shared block under arr, or None when its memory is not shared."""
    _, holder = _root(arr)
    block = holder.obj if isinstance(holder, memoryview) else holder
    return _SHARED.get(block) if isinstance(block, mmap.mmap) else None


class UntypedStorage:
    """A tensor's memory as bytes (torch.UntypedStorage)."""

    def __init__(self, *args, device=None):
        if len(args) == 1 and isinstance(args[0], int):
            block = np.zeros(args[0], np.uint8)
        elif len(args) == 1:
            block = np.asarray(list(args[0]), np.uint8)
        elif not args:
            block = np.zeros(0, np.uint8)
        else:
            raise TypeError(f"UntypedStorage(): expected a size or a sequence of bytes, got {args!r}")
        if device is not None and str(device) != "cpu":
            from ._backend import to_device, as_device

            block = to_device(block, as_device(device))
        self._block = block

    @classmethod
    def _of(cls, arr):
        storage = object.__new__(cls)
        storage._block = _bytes_of(_root(arr)[0])
        return storage

    def size(self):
        return self._block.size

    def nbytes(self):
        return self._block.size

    def __len__(self):
        return self._block.size

    def element_size(self):
        return 1

    def data_ptr(self):
        return memory_layout(self._block)[1] if self._block.size else 0

    @property
    def device(self):
        return device_of(self._block)

    @property
    def is_cuda(self):
        return self.device.type == "cuda"

    def get_device(self):
        return -1 if self.device.type == "cpu" else self.device.index

    def tolist(self):
        return to_host(self._block).tolist()

    def __getitem__(self, index):
        value = self._block[index]
        return value.tolist() if isinstance(index, slice) else int(value)

    def __setitem__(self, index, value):
        self._block[index] = value

    def __iter__(self):
        return iter(self.tolist())

    def fill_(self, value):
        self._block[...] = value
        return self

    def copy_(self, source, non_blocking=None):
        if source.nbytes() != self.nbytes():
            raise RuntimeError(f"size mismatch in copy_: {source.nbytes()} bytes into {self.nbytes()}")
        self._block[...] = array_module(self._block).asarray(source._block)
        return self

    def clone(self):
        storage = object.__new__(type(self))
        storage._block = self._block.copy()
        return storage

    def cpu(self):
        if self.device.type == "cpu":
            return self
        storage = object.__new__(type(self))
        storage._block = to_host(self._block)
        return storage

    def untyped(self):
        return self

    def is_shared(self):
        return self.device.type == "cuda" or shared_fd(self._block) is not None

    def is_pinned(self, device="cuda"):
        return False

    def is_sparse(self):
        return False

    def resize_(self, size):
        raise NotImplementedError(
            "UntypedStorage.resize_: ember cannot grow or shrink memory that tensors view in "
            "place; make a new tensor instead"
        )

    def __repr__(self):
        values = "\n".join(f" {v}" for v in self.tolist())
        return f"{values}\n[torch.storage.UntypedStorage(device={self.device}) of size {self.size()}]".lstrip("\n")


class TypedStorage:
    """A tensor's memory as elements of its dtype (torch.TypedStorage; deprecated in torch, which warns)."""

    dtype = None

    def __init__(self, *args, dtype=None, device=None):
        dtype = dtype or type(self).dtype or _dtype.get_default_dtype()
        if len(args) == 1 and isinstance(args[0], int):
            array = np.zeros(args[0], dtype.np)
        elif len(args) == 1:
            array = np.asarray(list(args[0]), dtype.np)
        else:
            array = np.zeros(0, dtype.np)
        if device is not None and str(device) != "cpu":
            from ._backend import to_device, as_device

            array = to_device(array, as_device(device))
        self._untyped_storage = UntypedStorage._of(array)
        self.dtype = dtype

    @classmethod
    def _of(cls, arr):
        storage = object.__new__(cls)
        storage._untyped_storage = UntypedStorage._of(arr)
        storage.dtype = _dtype._BY_NP[arr.dtype]
        return storage

    def _elements(self):
        return self._untyped_storage._block.view(self.dtype.np)

    def size(self):
        return self._untyped_storage.nbytes() // self.dtype.itemsize

    def __len__(self):
        return self.size()

    def nbytes(self):
        return self._untyped_storage.nbytes()

    def element_size(self):
        return self.dtype.itemsize

    def data_ptr(self):
        return self._untyped_storage.data_ptr()

    @property
    def device(self):
        return self._untyped_storage.device

    @property
    def is_cuda(self):
        return self.device.type == "cuda"

    def get_device(self):
        return self._untyped_storage.get_device()

    def tolist(self):
        return to_host(self._elements()).tolist()

    def __getitem__(self, index):
        value = self._elements()[index]
        return value.tolist() if isinstance(index, slice) else value.item()

    def __setitem__(self, index, value):
        self._elements()[index] = value

    def __iter__(self):
        return iter(self.tolist())

    def fill_(self, value):
        self._elements()[...] = value
        return self

    def untyped(self):
        return self._untyped_storage

    def is_shared(self):
        return self._untyped_storage.is_shared()

    def is_pinned(self, device="cuda"):
        return False

    def pickle_storage_type(self):
        return _LEGACY_NAMES[self.dtype.name][: -len("Storage")]

    def __repr__(self):
        values = "\n".join(f" {v}" for v in self.tolist())
        return (
            f"{values}\n[torch.storage.TypedStorage(dtype={self.dtype}, device={self.device}) of size {self.size()}]"
        ).lstrip("\n")


_LEGACY_NAMES = {
    "float32": "FloatStorage",
    "float64": "DoubleStorage",
    "float16": "HalfStorage",
    "bfloat16": "BFloat16Storage",
    "int64": "LongStorage",
    "int32": "IntStorage",
    "int16": "ShortStorage",
    "int8": "CharStorage",
    "uint8": "ByteStorage",
    "bool": "BoolStorage",
    "complex64": "ComplexFloatStorage",
    "complex128": "ComplexDoubleStorage",
}
# torch.FloatStorage, ...: TypedStorage of one dtype (the type Tensor.storage_type() returns)
LEGACY_STORAGES = {
    name: type(name, (TypedStorage,), {"dtype": getattr(_dtype, dt), "__module__": "ember"})
    for dt, name in _LEGACY_NAMES.items()
    if getattr(_dtype, dt, None) is not None
}
_STORAGE_OF_DTYPE = {cls.dtype: cls for cls in LEGACY_STORAGES.values()}
if _dtype.bfloat16 is None:  # no ml_dtypes: the name exists, and using it names the extra (as ember.bfloat16 does)

    def _needs_ml_dtypes(cls, *args, **kwargs):
        raise _dtype.MissingDtype("bfloat16").error()

    LEGACY_STORAGES["BFloat16Storage"] = type(
        "BFloat16Storage", (), {"__new__": _needs_ml_dtypes, "__module__": "ember"}
    )


# --- Tensor methods -----------------------------------------------------------------------------------------


def untyped_storage(self):
    return UntypedStorage._of(self._data)


def storage(self):
    warnings.warn(
        "TypedStorage is deprecated. It will be removed in the future and UntypedStorage will be the only "
        "storage class. This should only matter to you if you are using storages directly.  To access "
        "UntypedStorage directly, use tensor.untyped_storage() instead of tensor.storage()",
        UserWarning,
        stacklevel=2,
    )
    return TypedStorage._of(self._data)


def storage_type(self):
    return _STORAGE_OF_DTYPE[self.dtype]


def set_(self, source=None, storage_offset=0, size=None, stride=None):
    """Make self view `source`'s memory: another tensor's (its layout too), a storage's (from storage_offset, with
    size and stride, by default all of it), or nothing (an empty tensor)."""
    from .autograd.grad_mode import state
    from .autograd.views import check_inplace

    if state.enabled and self._tracks_inplace():
        check_inplace(self)
    if source is None:
        array = array_module(self._data).zeros(0, self._data.dtype)
    elif isinstance(source, (UntypedStorage, TypedStorage)):
        untyped = source.untyped()
        if isinstance(source, TypedStorage) and source.dtype is not self.dtype:
            raise RuntimeError(
                f"Expected a Storage of type {self.dtype} but got type {source.dtype} for argument 1 'storage'"
            )
        elements = untyped._block[: untyped.nbytes() - untyped.nbytes() % self._data.itemsize].view(self._data.dtype)
        if size is None:
            size, stride = (elements.size - storage_offset,), (1,)
        array = element_view(elements, tuple(size), _strides(size, stride), storage_offset)
    else:
        if source.dtype is not self.dtype:
            raise RuntimeError(f"Could not set tensor of type {self.dtype} to a tensor of type {source.dtype}")
        array = (
            source._data
            if size is None
            else element_view(
                UntypedStorage._of(source._data)._block.view(source._data.dtype),
                tuple(size),
                _strides(size, stride),
                storage_offset,
            )
        )
    self._data = array
    self._version_counter[0] += 1
    return self


def _strides(size, stride):
    """set_'s element strides: those given, or a contiguous layout of `size`."""
    if stride is not None and len(stride):
        return tuple(stride)
    return tuple(int(np.prod(size[i + 1 :])) for i in range(len(size)))


def is_set_to(self, tensor):
    """Whether the two tensors view the same memory with the same layout (torch's Tensor.is_set_to)."""
    a, b = self._data, tensor._data
    return memory_layout(a)[1:4] == memory_layout(b)[1:4] and a.dtype == b.dtype and _root(a)[0] is _root(b)[0]


def share_memory_(self):
    """Move this CPU tensor's memory into shared memory (a no-op when it is there already, or on the GPU)."""
    if self.device.type != "cpu" or shared_fd(self._data) is not None:
        return self
    block = shared_block(self._data.nbytes)
    array = block.view(self._data.dtype).reshape(self._data.shape)
    array[...] = self._data
    self._data = array
    return self


def is_shared(self):
    return self.device.type == "cuda" or shared_fd(self._data) is not None


def pin_memory(self, device=None):
    from ._formats import check_pin_memory

    if self.device.type != "cpu":
        raise RuntimeError(f"cannot pin '{self.device}' memory: only dense CPU tensors can be pinned")
    check_pin_memory("pin_memory", True)
    out = self.clone()
    out.__dict__["_pinned"] = True
    return out


def is_pinned(self, device=None):
    return bool(self.__dict__.get("_pinned", False))


METHODS = {
    "untyped_storage": untyped_storage,
    "storage": storage,
    "storage_type": storage_type,
    "set_": set_,
    "is_set_to": is_set_to,
    "share_memory_": share_memory_,
    "is_shared": is_shared,
    "pin_memory": pin_memory,
    "is_pinned": is_pinned,
}
