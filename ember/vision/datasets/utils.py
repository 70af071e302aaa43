"""Dataset file helpers: the IDX codec of the MNIST family (Yann LeCun's format, as torchvision reads it)."""
import gzip
import os

import numpy as np

# IDX type code (the third magic byte) -> big-endian NumPy dtype, as torchvision's read_sn3_pascalvincent_tensor.
IDX_TYPES = {8: np.dtype(">u1"), 9: np.dtype(">i1"), 11: np.dtype(">i2"), 12: np.dtype(">i4"),
             13: np.dtype(">f4"), 14: np.dtype(">f8")}
_IDX_CODES = {dt.newbyteorder("="): code for code, dt in IDX_TYPES.items()}


def _open(path, mode):
    return gzip.open(path, mode) if str(path).endswith(".gz") else open(path, mode)


def read_idx(path):
    """Read an IDX file (raw, or gzip when the name ends in .gz) into a native-endian NumPy array."""
    with _open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 4:
        raise ValueError(f"read_idx: {path} is {len(raw)} bytes long; an IDX file starts with a 4-byte magic number")
    magic = int.from_bytes(raw[:4], "big")
    ndim, type_code = magic % 256, magic // 256
    if type_code not in IDX_TYPES:
        raise ValueError(f"read_idx: {path} has magic {magic:#010x} with type code {type_code}; "
                         f"expected one of {sorted(IDX_TYPES)}")
    header = 4 + 4 * ndim
    shape = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    dtype = IDX_TYPES[type_code]
    expected = header + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(raw) != expected:
        raise ValueError(f"read_idx: {path} holds {len(raw)} bytes but its header {shape} of {dtype.name} "
                         f"needs {expected}")
    return np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape).astype(dtype.newbyteorder("="))


def write_idx(path, array):
    """Write a NumPy array (uint8, int8, int16, int32, float32 or float64) as an IDX file; gzip if path ends in .gz."""
    array = np.asarray(array)
    code = _IDX_CODES.get(array.dtype.newbyteorder("="))
    if code is None:
        raise TypeError(f"write_idx: dtype {array.dtype} has no IDX type code; "
                        f"expected one of {[str(d.newbyteorder('=')) for d in IDX_TYPES.values()]}")
    header = (code * 256 + array.ndim).to_bytes(4, "big")
    header += b"".join(int(n).to_bytes(4, "big") for n in array.shape)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with _open(path, "wb") as f:
        f.write(header + np.ascontiguousarray(array, dtype=IDX_TYPES[code]).tobytes())
