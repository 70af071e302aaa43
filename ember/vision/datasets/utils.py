"""Dataset file helpers: the IDX codec of the MNIST family (Yann LeCun's format, as torchvision reads it)."""

import gzip
import hashlib
import os

import numpy as np

# IDX type code (the third magic byte) -> big-endian NumPy dtype, as torchvision's read_sn3_pascalvincent_tensor.
IDX_TYPES = {
    8: np.dtype(">u1"),
    9: np.dtype(">i1"),
    11: np.dtype(">i2"),
    12: np.dtype(">i4"),
    13: np.dtype(">f4"),
    14: np.dtype(">f8"),
}
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
        raise ValueError(
            f"read_idx: {path} has magic {magic:#010x} with type code {type_code}; expected one of {sorted(IDX_TYPES)}"
        )
    header = 4 + 4 * ndim
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    dtype = IDX_TYPES[type_code]
    expected = header + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(raw) != expected:
        raise ValueError(
            f"read_idx: {path} holds {len(raw)} bytes but its header {shape} of {dtype.name} needs {expected}"
        )
    return np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape).astype(dtype.newbyteorder("="))


def write_idx(path, array):
    """Write a NumPy array (uint8, int8, int16, int32, float32 or float64) as an IDX file; gzip if path ends in .gz."""
    array = np.asarray(array)
    code = _IDX_CODES.get(array.dtype.newbyteorder("="))
    if code is None:
        raise TypeError(
            f"write_idx: dtype {array.dtype} has no IDX type code; "
            f"expected one of {[str(d.newbyteorder('=')) for d in IDX_TYPES.values()]}"
        )
    header = (code * 256 + array.ndim).to_bytes(4, "big")
    header += b"".join(int(n).to_bytes(4, "big") for n in array.shape)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with _open(path, "wb") as f:
        f.write(header + np.ascontiguousarray(array, dtype=IDX_TYPES[code]).tobytes())


def md5_of(path, chunk_size=1 << 20):
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(chunk_size), b""):
            digest.update(chunk)
    return digest.hexdigest()


def download_url(url, folder, filename, md5=None, timeout=60):
    """Download `url` to folder/filename (through a temporary name, so a broken transfer leaves nothing
    behind) and check its MD5, as torchvision's download_url. Returns the path; raises OSError (including
    urllib's URLError) when the transfer fails and RuntimeError when the checksum differs."""
    import tempfile
    import urllib.request

    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, filename)
    if os.path.isfile(path) and (md5 is None or md5_of(path) == md5):
        return path
    request = urllib.request.Request(url, headers={"User-Agent": "ember"})
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{filename}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(request, timeout=timeout) as response:
            for chunk in iter(lambda: response.read(1 << 20), b""):
                out.write(chunk)
        if md5 is not None and md5_of(tmp) != md5:
            raise RuntimeError(f"{url}: the downloaded file's MD5 is {md5_of(tmp)}, expected {md5}")
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return path


def download_from_mirrors(mirrors, filename, folder, md5):
    """Try each mirror in turn (torchvision's order); the path, or RuntimeError listing every URL tried."""
    failures = []
    for mirror in mirrors:
        url = mirror + filename
        try:
            print(f"Downloading {url} to {folder}")
            return download_url(url, folder, filename, md5)
        except (OSError, RuntimeError) as e:
            failures.append(f"{url} ({getattr(e, 'reason', None) or e})")
    raise RuntimeError(
        f"could not download {filename}: tried {'; '.join(failures)}. Download it by hand and put it in {folder}/"
    )


def extract_tar(path, folder):
    """Extract a .tar.gz safely: members may not leave `folder` (no absolute paths, '..' or links out)."""
    import tarfile

    with tarfile.open(path) as tar:
        if hasattr(tarfile, "data_filter"):
            tar.extractall(folder, filter="data")
            return
        root = os.path.realpath(folder)
        for member in tar.getmembers():
            target = os.path.realpath(os.path.join(folder, member.name))
            if os.path.commonpath([root, target]) != root or member.issym() or member.islnk():
                raise RuntimeError(f"{path}: refusing to extract {member.name!r} (outside {folder})")
        tar.extractall(folder)
