"""ember.safetensors against the `safetensors` package (safetensors.torch)."""

import json
import os
import struct

import numpy as np
import pytest
import torch

import ember
from ember import safetensors as est

st = pytest.importorskip("safetensors.torch")
SafetensorsPackageError = pytest.importorskip("safetensors").SafetensorError

DTYPES = ["bool", "uint8", "int8", "int16", "float16", "int32", "float32", "float64", "int64"]


def sample(dtype_name, shape, seed):
    rng = np.random.default_rng(seed)
    if dtype_name == "bool":
        return rng.random(shape) > 0.5
    if dtype_name.startswith("float"):
        return (rng.standard_normal(shape) * 10).astype(dtype_name)
    info = np.iinfo(dtype_name)
    return rng.integers(info.min, info.max, shape, endpoint=True).astype(dtype_name)


def tensor_sets():
    mixed = {
        f"{d}_{i}": sample(d, shape, i)
        for i, (d, shape) in enumerate(zip(DTYPES, [(2, 3), (4,), (), (0, 2), (3, 1, 2), (5,), (2, 2), (1,), (3,)]))
    }
    return {
        "every dtype": (mixed, None),
        "names sort within a dtype": (
            {
                "b": np.ones(2, np.float32),
                "a": np.zeros(3, np.float32),
                "aa": np.ones(1, np.float32),
                "B": np.ones(1, np.float32),
            },
            None,
        ),
        "metadata": ({"x": np.arange(3, dtype=np.int64)}, {"format": "pt"}),
        "several metadata keys": ({"x": np.arange(3, dtype=np.int64)}, {"z": "1", "a": "2", "format": "pt"}),
        "empty metadata": ({"x": np.arange(3, dtype=np.int64)}, {}),
        "no tensors": ({}, None),
        "unicode name": ({"poids.é": np.ones(2, np.float16)}, {"note": "ünï"}),
    }


def owns_memory(arr):
    """The array's memory belongs to NumPy (not to a map of the file or a bytes object)."""
    while isinstance(arr.base, np.ndarray):
        arr = arr.base
    return arr.base is None


@pytest.mark.parametrize("case", list(tensor_sets()))
def test_bytes_identical_to_the_safetensors_package(case):
    arrays, metadata = tensor_sets()[case]
    ours = est.save({k: ember.from_numpy(v) for k, v in arrays.items()}, metadata=metadata)
    theirs = st.save({k: torch.from_numpy(v) for k, v in arrays.items()}, metadata=metadata)
    assert (8 + struct.unpack("<Q", ours[:8])[0]) % 8 == 0
    if metadata and len(metadata) > 1:  # the package writes metadata in HashMap order, which varies per run
        ours, theirs = split(ours), split(theirs)
    assert ours == theirs


def split(data):
    """(parsed header, tensor bytes) of a safetensors buffer, checking the header's padding."""
    n = struct.unpack("<Q", data[:8])[0]
    assert (8 + n) % 8 == 0
    return json.loads(data[8 : 8 + n]), data[8 + n :]


@pytest.mark.parametrize("case", list(tensor_sets()))
def test_round_trips_both_ways(tmp_path, case):
    arrays, metadata = tensor_sets()[case]
    ember_path, torch_path = tmp_path / "e.safetensors", tmp_path / "t.safetensors"
    est.save_file({k: ember.from_numpy(v) for k, v in arrays.items()}, ember_path, metadata=metadata)
    st.save_file({k: torch.from_numpy(v) for k, v in arrays.items()}, torch_path, metadata=metadata)
    from_ember = st.load_file(ember_path)
    from_torch = est.load_file(torch_path)
    assert set(from_ember) == set(from_torch) == set(arrays)
    for k, v in arrays.items():
        assert from_torch[k].dtype.name == v.dtype.name and tuple(from_torch[k].shape) == v.shape
        np.testing.assert_array_equal(from_torch[k].numpy(), v)
        np.testing.assert_array_equal(from_ember[k].numpy(), v)
        assert from_torch[k]._data.flags.writeable and owns_memory(from_torch[k]._data)
    with est.safe_open(torch_path, framework="pt") as f:
        assert f.keys() == sorted(arrays)
        assert f.metadata() == metadata
        for k in arrays:
            np.testing.assert_array_equal(f.get_tensor(k).numpy(), arrays[k])
    with st.safe_open(ember_path, framework="pt") as f:
        assert f.metadata() == metadata
    assert sorted(os.listdir(tmp_path)) == ["e.safetensors", "t.safetensors"]  # no temp file left


def test_load_bytes_and_public_aliases(tmp_path):
    data = st.save({"w": torch.arange(6.0).view(2, 3)})
    np.testing.assert_array_equal(est.load(data)["w"].numpy(), np.arange(6.0).reshape(2, 3))
    ember.save_safetensors({"w": ember.ones(2)}, tmp_path / "a.safetensors")
    assert ember.load_safetensors(tmp_path / "a.safetensors")["w"].tolist() == [1.0, 1.0]


def test_bfloat16_from_the_package_loads_exactly(tmp_path):
    t = torch.randn(4, 3).to(torch.bfloat16)
    path = tmp_path / "bf.safetensors"
    st.save_file({"t": t}, path)
    loaded = est.load_file(path)["t"]
    assert loaded.dtype is (ember.bfloat16 if ember._dtype.bfloat16 is not None else ember.float32)
    np.testing.assert_array_equal(np.asarray(loaded.numpy(), np.float32), t.float().numpy())


def test_dtype_ember_lacks_is_named_and_other_tensors_still_load(tmp_path):
    path = tmp_path / "u16.safetensors"
    st.save_file({"u": torch.tensor([1, 2], dtype=torch.uint16), "f": torch.ones(2)}, path)
    with est.safe_open(path) as f:
        assert f.get_tensor("f").tolist() == [1.0, 1.0]
        with pytest.raises(est.SafetensorError, match="`u` has dtype U16, which ember does not have"):
            f.get_tensor("u")
        with pytest.raises(est.SafetensorError, match="does not contain tensor nope"):
            f.get_tensor("nope")


def test_what_the_package_refuses_to_save_ember_refuses_too():
    x = ember.arange(6.0)
    with pytest.raises(ValueError, match="non contiguous tensor: `t`"):
        est.save({"t": x.view(2, 3).t()})
    with pytest.raises(RuntimeError, match="share memory"):
        est.save({"a": x, "b": x[:2]})
    with pytest.raises(ValueError, match="Key `a` is invalid"):
        est.save({"a": [1, 2]})
    with pytest.raises(TypeError, match="not an instance of 'str'"):
        est.save({1: x})
    with pytest.raises(TypeError, match="metadata"):
        est.save({"a": x}, metadata={"n": 1})
    # views that don't overlap are fine, as in the package
    assert est.load(est.save({"a": x[:2], "b": x[2:]}))["b"].tolist() == [2.0, 3.0, 4.0, 5.0]


def with_header(header, data, pad=True):
    text = json.dumps(header).encode() if not isinstance(header, bytes) else header
    if pad:
        text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + data


F32 = {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}
BAD = {
    "gap": (
        with_header({"a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}, bytes(8)),
        "invalid offset for tensor `a`",
    ),
    "overlap": (
        with_header(
            {
                "a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                "b": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]},
            },
            bytes(8),
        ),
        "invalid offset for tensor `b`",
    ),
    "not fully covered": (with_header({"a": F32}, bytes(8)), "incomplete metadata, file not fully covered"),
    "buffer too short": (
        with_header({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}, bytes(4)),
        "incomplete metadata",
    ),
    "size disagrees with shape": (
        with_header({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 4]}}, bytes(4)),
        "invalid shape, data type, or offset for tensor `a`",
    ),
    "end before begin": (
        with_header({"a": {"dtype": "F32", "shape": [0], "data_offsets": [4, 0]}}, bytes(4)),
        "invalid offset",
    ),
    "unknown dtype": (with_header({"a": {**F32, "dtype": "X32"}}, bytes(4)), "invalid JSON in header"),
    "negative dim": (with_header({"a": {**F32, "shape": [-1]}}, bytes(4)), "invalid JSON in header"),
    "metadata value not a string": (with_header({"__metadata__": {"a": 1}}, b""), "invalid JSON in header"),
    "not JSON": (with_header(b"abc", b"", pad=False), "invalid JSON in header"),
    "not an object": (with_header([], b""), "invalid JSON in header"),
    "header longer than file": (struct.pack("<Q", 300) + b"{}", "invalid header length"),
    "header too large": (struct.pack("<Q", 2**40) + b"{}", "header too large"),
    "too small": (b"\x01\x00", "header too small"),
    "overlap, the same bytes twice": (
        with_header(
            {"a": {**F32, "shape": [2], "data_offsets": [0, 8]}, "b": {**F32, "shape": [2], "data_offsets": [0, 8]}},
            bytes(16),
        ),
        "invalid offset for tensor `b`",
    ),
    "overlap, one inside another": (
        with_header(
            {"a": {**F32, "shape": [4], "data_offsets": [0, 16]}, "b": {**F32, "shape": [1], "data_offsets": [4, 8]}},
            bytes(20),
        ),
        "invalid offset for tensor `b`",
    ),
    "list dtype": (with_header({"a": {**F32, "dtype": ["F32"]}}, bytes(4)), "invalid JSON in header: tensor `a`"),
    "dict dtype": (with_header({"a": {**F32, "dtype": {"F32": 1}}}, bytes(4)), "invalid JSON in header: tensor `a`"),
    "list shape inside": (with_header({"a": {**F32, "shape": [[1]]}}, bytes(4)), "invalid JSON in header: tensor `a`"),
    "entry not an object": (with_header({"a": [1, 2]}, b""), "invalid JSON in header: tensor `a` must be an object"),
    "deeply nested array": (with_header(b"[" * 100_000 + b"]" * 100_000, b""), "invalid JSON in header"),
    "deeply nested object": (
        with_header(b'{"a":' * 100_000 + b"1" + b"}" * 100_000, b""),
        "invalid JSON in header: recursion limit exceeded",
    ),
    "deeply nested extra field": (
        with_header(
            b'{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"x":' + b"[" * 100_000 + b"]" * 100_000 + b"}}",
            bytes(4),
        ),
        "invalid JSON in header: recursion limit exceeded",
    ),
    "repeated __metadata__": (
        with_header(b'{"__metadata__":{"a":"b"},"__metadata__":{}}', b""),
        "duplicate field `__metadata__`",
    ),
    "repeated dtype": (
        with_header(b'{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"dtype":"I32"}}', bytes(4)),
        "duplicate field `dtype` in tensor `a`",
    ),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_files_are_rejected_like_the_package(tmp_path, case):
    data, message = BAD[case]
    with pytest.raises(SafetensorsPackageError):
        st.load(data)
    with pytest.raises(est.SafetensorError, match=message):
        est.load(data)
    path = tmp_path / "bad.safetensors"
    path.write_bytes(data)
    with pytest.raises(est.SafetensorError, match=r"bad\.safetensors: .*" + message):
        est.load_file(path)


def test_unpadded_header_and_extra_fields_are_accepted_like_the_package():
    data = with_header({"a": {**F32, "extra": 1}}, struct.pack("<f", 2.5), pad=False)
    assert st.load(data)["a"].tolist() == [2.5]
    assert est.load(data)["a"].tolist() == [2.5]


def test_empty_file_is_rejected(tmp_path):
    path = tmp_path / "empty.safetensors"
    path.write_bytes(b"")
    with pytest.raises(est.SafetensorError, match="header too small"):
        est.safe_open(path)


def test_a_repeated_tensor_name_keeps_the_last_entry_like_the_package():
    data = with_header(
        b'{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}',
        struct.pack("<f", 1.5),
    )
    assert st.load(data)["a"].tolist() == [1.5]
    assert est.load(data)["a"].tolist() == [1.5]
