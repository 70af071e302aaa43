"""safetensors files for ember Tensors: the API of `safetensors.torch` and the byte-exact format of the
`safetensors` package (0.8), without it.

Layout: an 8-byte little-endian header length N, N bytes of JSON, then the tensors' bytes back to back
(little-endian, C order). The JSON maps each name to {"dtype", "shape", "data_offsets": [begin, end]}
(relative to the end of the header) and may hold "__metadata__": {str: str}. Writers pad the JSON with
spaces so that 8 + N is a multiple of 8 and pack the tensors by descending dtype (the order of the Rust
`Dtype` enum, largest alignment first), then by name, as `safetensors/src/tensor.rs::prepare` does.
Readers insist that the tensors cover the buffer exactly: no gap, no overlap, nothing left over.
"""

import json
import mmap as _mmap
import os
import reprlib
import struct

import numpy as np

from . import _dtype
from ._backend import array_module, as_device, to_device
from ._tensor import Tensor

__all__ = ["SafetensorError", "save", "save_file", "load", "load_file", "safe_open"]

MAX_HEADER_SIZE = 100_000_000

# The Rust `Dtype` enum in declaration order (its derived ordering sorts a file's tensors) with bits per element
_DTYPE_ORDER = [
    "BOOL",
    "F4",
    "F6_E2M3",
    "F6_E3M2",
    "U8",
    "I8",
    "F8_E5M2",
    "F8_E4M3",
    "F8_E8M0",
    "F8_E4M3FNUZ",
    "F8_E5M2FNUZ",
    "I16",
    "U16",
    "F16",
    "BF16",
    "I32",
    "U32",
    "F32",
    "C64",
    "F64",
    "I64",
    "U64",
]
_BITS = {
    "BOOL": 8,
    "F4": 4,
    "F6_E2M3": 6,
    "F6_E3M2": 6,
    "U8": 8,
    "I8": 8,
    "F8_E5M2": 8,
    "F8_E4M3": 8,
    "F8_E8M0": 8,
    "F8_E4M3FNUZ": 8,
    "F8_E5M2FNUZ": 8,
    "I16": 16,
    "U16": 16,
    "F16": 16,
    "BF16": 16,
    "I32": 32,
    "U32": 32,
    "F32": 32,
    "C64": 64,
    "F64": 64,
    "I64": 64,
    "U64": 64,
}
_RANK = {name: i for i, name in enumerate(_DTYPE_ORDER)}
# safetensors dtype <-> ember dtype name, for the dtypes ember has
_EMBER_NAME = {
    "BOOL": "bool",
    "U8": "uint8",
    "I8": "int8",
    "I16": "int16",
    "F16": "float16",
    "BF16": "bfloat16",
    "I32": "int32",
    "F32": "float32",
    "F64": "float64",
    "I64": "int64",
}
_ST_NAME = {v: k for k, v in _EMBER_NAME.items()}


class SafetensorError(Exception):
    """A malformed safetensors file or buffer (the `safetensors` package raises its own SafetensorError)."""


# --------------------------------------------------------------------------------------------------------------
# writing
# --------------------------------------------------------------------------------------------------------------
def _check_tensors(tensors):
    """safetensors.torch's checks before saving: Tensors only, contiguous, no two overlapping in memory."""
    if not isinstance(tensors, dict):
        raise TypeError(f"safetensors save: expected a dict of name -> Tensor, got {type(tensors).__name__}")
    blocks = {}
    for name, t in tensors.items():
        if not isinstance(name, str):
            raise TypeError(f"argument 'tensor_dict': '{type(name).__name__}' object is not an instance of 'str'")
        if not isinstance(t, Tensor):
            raise ValueError(f"Key `{name}` is invalid, expected ember.Tensor but received {type(t)}")
        if not t.is_contiguous():
            raise ValueError(
                f"You are trying to save a non contiguous tensor: `{name}` which is not allowed. It "
                "either means you are trying to save tensors which are reference of each other in "
                "which case it's recommended to save only the full tensors, and reslice at load time, "
                "or simply call `.contiguous()` on your tensor to pack it before saving."
            )
        arr = t._data
        if arr.size and array_module(arr) is np:
            block = arr
            while isinstance(block.base, np.ndarray):
                block = block.base
            start = arr.__array_interface__["data"][0]
            blocks.setdefault(id(block), []).append((start, start + arr.nbytes, name))
    shared = []
    for areas in blocks.values():
        areas.sort()
        stop = areas[0][1]
        group = {areas[0][2]}
        for start, end, name in areas[1:]:
            if start < stop:
                group.add(name)
            else:
                if len(group) > 1:
                    shared.append(group)
                group = {name}
            stop = max(stop, end)
        if len(group) > 1:
            shared.append(group)
    if shared:
        raise RuntimeError(
            f"Some tensors share memory, this will lead to duplicate memory on disk and potential "
            f"differences when loading them again: {shared}. Save clones of them instead "
            "(ember.safetensors writes each tensor's own bytes)."
        )


def _little_endian_bytes(t):
    arr = t._data if array_module(t._data) is np else t._data.get()
    if arr.dtype.byteorder == ">" or (arr.dtype.byteorder == "=" and not np.little_endian and arr.itemsize > 1):
        arr = arr.astype(arr.dtype.newbyteorder("<"))
    return memoryview(np.ascontiguousarray(arr).reshape(-1)).cast("B")


def _prepare(tensors, metadata):
    """(header bytes including the 8-byte length, [memoryview of each tensor's bytes in file order])."""
    _check_tensors(tensors)
    if metadata is not None:
        if not isinstance(metadata, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()
        ):
            raise TypeError(f"safetensors save: metadata must be a dict of str -> str, got {metadata!r:.200}")
    entries = []
    for name, t in tensors.items():
        dtype_name = t.dtype.name
        if dtype_name not in _ST_NAME:
            raise TypeError(f"safetensors save: tensor `{name}` has dtype {t.dtype}, which safetensors can't store")
        entries.append((_ST_NAME[dtype_name], name, t))
    entries.sort(key=lambda e: (-_RANK[e[0]], e[1]))
    header = {} if metadata is None else {"__metadata__": metadata}
    buffers, offset = [], 0
    for st_dtype, name, t in entries:
        data = _little_endian_bytes(t)
        header[name] = {"dtype": st_dtype, "shape": list(t.shape), "data_offsets": [offset, offset + data.nbytes]}
        buffers.append(data)
        offset += data.nbytes
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text, buffers


def save(tensors, metadata=None):
    """safetensors.torch.save: the file's bytes for a dict of contiguous, non-overlapping tensors."""
    header, buffers = _prepare(tensors, metadata)
    return b"".join([header, *buffers])


def save_file(tensors, filename, metadata=None):
    """safetensors.torch.save_file: write a dict of contiguous, non-overlapping tensors to `filename`
    (atomically: a temporary file beside it replaces it once complete)."""
    from .serialization import _atomic_file

    header, buffers = _prepare(tensors, metadata)
    with _atomic_file(os.fsdecode(filename)) as f:
        f.write(header)
        for data in buffers:
            f.write(data)


# --------------------------------------------------------------------------------------------------------------
# reading
# --------------------------------------------------------------------------------------------------------------
def _error(where, message):
    return SafetensorError(f"{where}Error while deserializing: {message}")


class _Pairs(list):
    """A JSON object as read (json's object_pairs_hook): its (key, value) pairs, a repeated key kept, so that
    the fields the format forbids to repeat can be checked."""


def _json_type(value):
    return "object" if isinstance(value, _Pairs) else type(value).__name__


def _fields(info, where, name):
    """A tensor entry's fields; the package refuses a repeated dtype, shape or data_offsets."""
    if not isinstance(info, _Pairs):
        raise _error(where, f"invalid JSON in header: tensor `{name}` must be an object, got {_json_type(info)}")
    fields = {}
    for key, value in info:
        if key in fields and key in ("dtype", "shape", "data_offsets"):
            raise _error(where, f"invalid JSON in header: duplicate field `{key}` in tensor `{name}`")
        fields[key] = value
    return fields


def _parse_header(buf, where):
    """(metadata or None, {name: (dtype, shape, begin, end)} with absolute offsets) after validating the
    header against the buffer's length, with the checks of safetensors' `read_metadata` and `validate`."""
    total = len(buf)
    if total < 8:
        raise _error(where, "header too small")
    (n,) = struct.unpack("<Q", buf[:8])
    if n > MAX_HEADER_SIZE:
        raise _error(where, "header too large")
    if 8 + n > total:
        raise _error(where, "invalid header length")
    try:
        header = json.loads(bytes(buf[8 : 8 + n]).decode("utf-8"), object_pairs_hook=_Pairs)
    except UnicodeDecodeError:
        raise _error(where, "invalid header: not valid UTF-8") from None
    except json.JSONDecodeError as e:
        raise _error(where, f"invalid JSON in header: {e}") from None
    except RecursionError:
        raise _error(where, "invalid JSON in header: recursion limit exceeded") from None
    if not isinstance(header, _Pairs):
        raise _error(where, f"invalid JSON in header: expected an object, got {_json_type(header)}")
    metadata, tensors = None, {}
    for name, info in header:
        if name != "__metadata__":
            tensors[name] = info  # a repeated name: the last one counts, as in the package
        elif metadata is not None:
            raise _error(where, "invalid JSON in header: duplicate field `__metadata__`")
        elif not (isinstance(info, _Pairs) and all(isinstance(v, str) for _, v in info)):
            raise _error(where, "invalid JSON in header: __metadata__ must map strings to strings")
        else:
            metadata = dict(info)
    infos = []
    for name, info in tensors.items():
        fields = _fields(info, where, name)
        dtype, shape, offsets = fields.get("dtype"), fields.get("shape"), fields.get("data_offsets")
        ok = (
            isinstance(dtype, str)
            and dtype in _BITS
            and isinstance(shape, list)
            and all(type(s) is int and s >= 0 for s in shape)
            and isinstance(offsets, list)
            and len(offsets) == 2
            and all(type(o) is int and o >= 0 for o in offsets)
        )
        if not ok:
            raise _error(
                where,
                f"invalid JSON in header: tensor `{name}` needs a known dtype, a shape of "
                f"non-negative ints and data_offsets [begin, end], got dtype {reprlib.repr(dtype)}, "
                f"shape {reprlib.repr(shape)}, data_offsets {reprlib.repr(offsets)}",
            )
        infos.append((offsets[0], offsets[1], name, dtype, tuple(shape)))
    infos.sort()
    entries, position = {}, 0
    for begin, end, name, dtype, shape in infos:
        if begin != position or end < begin:
            raise _error(where, f"invalid offset for tensor `{name}`")
        bits = _BITS[dtype] * int(np.prod(shape, dtype=object))
        if bits % 8 or end - begin != bits // 8:
            raise _error(where, f"invalid shape, data type, or offset for tensor `{name}`")
        entries[name] = (dtype, shape, 8 + n + begin, 8 + n + end)
        position = end
    if 8 + n + position != total:
        raise _error(where, "incomplete metadata, file not fully covered")
    return metadata, entries


def _tensor(buf, entry, name, where, device):
    """A tensor that owns a copy of its bytes (bfloat16 widened exactly to float32 when ember has no bfloat16)."""
    dtype, shape, begin, end = entry
    if dtype not in _EMBER_NAME:
        raise SafetensorError(
            f"{where}tensor `{name}` has dtype {dtype}, which ember does not have "
            f"(ember has {', '.join(sorted(_dtype._BY_NAME))})"
        )
    if dtype == "BF16":
        bits = np.frombuffer(buf, "<u2", (end - begin) // 2, begin)
        arr = (
            bits.astype(np.uint16).view(_dtype.bfloat16.np)
            if _dtype.bfloat16 is not None
            else (bits.astype(np.uint32) << 16).view(np.float32)
        )
    else:
        np_dtype = _dtype._BY_NAME[_EMBER_NAME[dtype]].np
        arr = np.frombuffer(buf, np_dtype.newbyteorder("<"), (end - begin) // np_dtype.itemsize, begin)
        arr = arr.astype(np_dtype, copy=True)
    arr = arr.reshape(shape)
    if device.type != "cpu":
        arr = to_device(arr, device)
    return Tensor._make(arr)


def load(data):
    """safetensors.torch.load: the tensors in a safetensors file's bytes, as a dict (each owns its memory)."""
    view = memoryview(data).cast("B")
    _, entries = _parse_header(view, "")
    cpu = as_device("cpu")
    return {name: _tensor(view, entries[name], name, "", cpu) for name in entries}


def load_file(filename, device="cpu"):
    """safetensors.torch.load_file: the tensors in a safetensors file, as a dict, on `device`."""
    with safe_open(filename, framework="pt", device=device) as f:
        return f.get_tensors()


class safe_open:
    """safetensors.safe_open: read a file's header once, then single tensors by name (copied out of a
    read-only map of the file). Use as a context manager, or call close()."""

    def __init__(self, filename, framework="pt", device="cpu"):
        if framework not in ("pt", "torch", "ember"):
            raise ValueError(f"safe_open: framework {framework!r} is not supported by ember (use 'pt')")
        self._where = f"{os.fsdecode(filename)}: "
        self._device = as_device(device)
        with open(filename, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            self._buf = _mmap.mmap(f.fileno(), 0, access=_mmap.ACCESS_READ) if size else b""
        self._metadata, self._entries = _parse_header(self._buf, self._where)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        if isinstance(self._buf, _mmap.mmap):
            self._buf.close()
        self._buf = b""

    def keys(self):
        return sorted(self._entries)

    def offset_keys(self):
        return sorted(self._entries, key=lambda k: self._entries[k][2])

    def metadata(self):
        return self._metadata

    def get_tensor(self, name):
        if name not in self._entries:
            raise SafetensorError(f"{self._where}File does not contain tensor {name}")
        return _tensor(self._buf, self._entries[name], name, self._where, self._device)

    def get_tensors(self):
        return {name: self.get_tensor(name) for name in self.offset_keys()}
