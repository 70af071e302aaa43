"""ember.save / ember.load against real torch.save / torch.load (weights_only=True, mmap=True)."""

import collections
import io
import os
import pickle
import struct
import subprocess
import sys
import zipfile

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

import ember
from ember import serialization

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

DTYPES = ["float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool"]


def values(dtype_name, shape=(2, 3)):
    rng = np.random.default_rng(1)
    n = int(np.prod(shape))
    if dtype_name == "bool":
        arr = rng.random(n) > 0.5
    elif dtype_name.startswith("float"):
        arr = rng.standard_normal(n) * 100
    else:
        info = np.iinfo(dtype_name)
        arr = rng.integers(info.min, info.max, n, endpoint=True)
    return arr.astype(dtype_name).reshape(shape)


def same(e, t):
    """An ember tensor equals a torch tensor: dtype, shape and every value (bitwise for floats)."""
    assert isinstance(e, ember.Tensor) and isinstance(t, torch.Tensor)
    assert str(e.dtype) == str(t.dtype), (e.dtype, t.dtype)
    assert tuple(e.shape) == tuple(t.shape)
    np.testing.assert_array_equal(e.detach().numpy(), t.detach().numpy())


def zip_layout(path):
    with zipfile.ZipFile(path) as zf:
        return [(i.filename, i.header_offset, i.file_size) for i in zf.infolist()]


# --- ember -> torch ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype_name", DTYPES)
@pytest.mark.parametrize("shape", [(2, 3), (), (0,), (2, 0, 3)])
def test_every_dtype_and_shape_ember_to_torch_and_back(tmp_path, dtype_name, shape):
    arr = values(dtype_name, shape)
    path = tmp_path / "t.pt"
    ember.save(ember.from_numpy(arr.copy()), path)
    loaded = torch.load(path, weights_only=True)
    assert loaded.dtype == getattr(torch, dtype_name) and tuple(loaded.shape) == shape
    np.testing.assert_array_equal(loaded.numpy(), arr)
    same(ember.load(path), loaded)


def test_file_layout_matches_torch(tmp_path):
    path = tmp_path / "my.model.ckpt"
    ember.save({"w": ember.ones(2, 3), "b": ember.zeros(2)}, path)
    names = [n for n, _, _ in zip_layout(path)]
    assert names == [
        "my.model/data.pkl",
        "my.model/.format_version",
        "my.model/.storage_alignment",
        "my.model/byteorder",
        "my.model/data/0",
        "my.model/data/1",
        "my.model/version",
        "my.model/.data/serialization_id",
    ]
    with open(path, "rb") as f, zipfile.ZipFile(path) as zf:
        raw = f.read()
        for info in zf.infolist():
            name_len, extra_len = np.frombuffer(raw[info.header_offset + 26 : info.header_offset + 30], "<u2")
            start = info.header_offset + 30 + name_len + extra_len
            assert start % 64 == 0, info.filename
            assert raw[start : start + info.file_size] == zf.read(info)
        assert zf.read("my.model/version") == b"3\n"
        assert zf.read("my.model/byteorder") == b"little"
        assert zf.read("my.model/data.pkl")[:2] == b"\x80\x02"  # protocol 2: torch's weights_only can read it
        assert len(zf.read("my.model/.data/serialization_id")) == 40


def test_torch_mmap_load_of_ember_file(tmp_path):
    path = tmp_path / "m.pt"
    w = ember.randn(4, 5)
    ember.save({"w": w, "col": w[:, 2]}, path)
    loaded = torch.load(path, weights_only=True, mmap=True)
    same(w, loaded["w"])
    same(w[:, 2], loaded["col"])


def test_views_share_one_storage_like_torch(tmp_path):
    base = ember.arange(10, dtype=ember.float64)
    m = ember.arange(12, dtype=ember.float32).reshape(3, 4)
    obj = {"base": base, "strided": base[2:8:2], "t": m.t(), "row": m[1], "m": m}
    path = tmp_path / "v.pt"
    ember.save(obj, path)
    assert len([n for n, _, _ in zip_layout(path) if "/data/" in n]) == 2
    loaded = torch.load(path, weights_only=True)
    assert loaded["strided"].storage_offset() == 2 and loaded["strided"].stride() == (2,)
    assert loaded["t"].stride() == (1, 4) and not loaded["t"].is_contiguous()
    assert loaded["row"].storage_offset() == 4
    assert loaded["strided"].untyped_storage().data_ptr() == loaded["base"].untyped_storage().data_ptr()
    for k in obj:
        same(obj[k], loaded[k])
    loaded["base"][4] = -1.0  # torch sees one memory block
    assert loaded["strided"][1].item() == -1.0
    back = ember.load(path)
    back["base"][4] = -7.0  # and so does ember after loading
    assert back["strided"][1].item() == -7.0
    assert back["strided"].storage_offset() == 2


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_random_views_keep_their_layout_in_torch(data):
    shape = data.draw(st.lists(st.integers(1, 5), min_size=1, max_size=3), label="shape")
    base = ember.arange(int(np.prod(shape)), dtype=ember.float32).reshape(*shape)
    index = tuple(slice(data.draw(st.integers(0, n - 1)), None, data.draw(st.integers(1, 3))) for n in shape)
    view = base[index]
    if data.draw(st.booleans(), label="transpose") and view.dim() > 1:
        view = view.transpose(0, view.dim() - 1)
    buf = io.BytesIO()
    ember.save({"base": base, "view": view}, buf)
    buf.seek(0)
    loaded = torch.load(buf, weights_only=True)
    same(view, loaded["view"])
    assert loaded["view"].stride() == view.stride()
    assert loaded["view"].storage_offset() == view.storage_offset()
    assert loaded["view"].untyped_storage().data_ptr() == loaded["base"].untyped_storage().data_ptr()
    buf.seek(0)
    back = ember.load(buf)
    same(back["view"], loaded["view"])
    assert back["view"].stride() == view.stride()


def test_view_of_a_large_base_saves_the_whole_base_like_torch(tmp_path):
    base = ember.arange(100, dtype=ember.float32)
    path = tmp_path / "s.pt"
    ember.save(base[10:12], path)
    loaded = torch.load(path, weights_only=True)
    assert loaded.untyped_storage().nbytes() == 400 and loaded.storage_offset() == 10
    same(base[10:12], loaded)


def test_parameter_and_requires_grad(tmp_path):
    p = ember.nn.Parameter(ember.randn(3, 2))
    frozen = ember.nn.Parameter(ember.randn(2), requires_grad=False)
    x = ember.randn(2, requires_grad=True)
    path = tmp_path / "p.pt"
    ember.save([p, frozen, x, x * 2], path)
    tp, tfrozen, tx, ty = torch.load(path, weights_only=True)
    assert isinstance(tp, torch.nn.Parameter) and tp.requires_grad
    assert isinstance(tfrozen, torch.nn.Parameter) and not tfrozen.requires_grad
    assert not isinstance(tx, torch.nn.Parameter) and tx.requires_grad and ty.requires_grad and ty.is_leaf
    same(p, tp)
    same(x * 2, ty)
    ep, efrozen, ex, _ = ember.load(path)
    assert isinstance(ep, ember.nn.Parameter) and ep.requires_grad and not efrozen.requires_grad
    assert ex.requires_grad and ex.is_leaf


def optimizer_state_dict():
    return {
        "state": {
            0: {"step": ember.tensor(3.0), "exp_avg": ember.randn(2, 2), "exp_avg_sq": ember.rand(2, 2)},
            1: {"step": ember.tensor(3.0), "exp_avg": ember.randn(2), "exp_avg_sq": ember.rand(2)},
        },
        "param_groups": [
            {
                "lr": 0.1,
                "betas": (0.9, 0.999),
                "eps": 1e-8,
                "weight_decay": 0,
                "amsgrad": False,
                "maximize": False,
                "foreach": None,
                "capturable": False,
                "differentiable": False,
                "fused": None,
                "params": [0, 1],
                "name": "all",
                "big": 2**70,
            }
        ],
    }


def test_optimizer_state_dict_round_trip(tmp_path):
    sd = optimizer_state_dict()
    path = tmp_path / "opt.pt"
    ember.save(sd, path)
    loaded = torch.load(path, weights_only=True)
    assert loaded["param_groups"] == sd["param_groups"]
    for i in (0, 1):
        for k, v in sd["state"][i].items():
            same(v, loaded["state"][i][k])
    back = ember.load(path)
    assert back["param_groups"] == sd["param_groups"]
    same(back["state"][1]["exp_avg"], loaded["state"][1]["exp_avg"])


@pytest.mark.slow  # torch.optim imports torch._dynamo: seconds
def test_torch_adam_accepts_an_ember_saved_state(tmp_path):
    path = tmp_path / "opt.pt"
    ember.save(optimizer_state_dict(), path)
    torch_opt = torch.optim.Adam([torch.zeros(2, 2, requires_grad=True), torch.zeros(2, requires_grad=True)])
    torch_opt.load_state_dict(torch.load(path, weights_only=True))
    assert torch_opt.state_dict()["state"][0]["step"].item() == 3.0


def test_dtype_device_size_and_misc_values(tmp_path):
    obj = {
        "dt": ember.float16,
        "dev": ember.device("cpu"),
        "cuda": ember.device("cuda", 1),
        "size": ember.Size([2, 3]),
        "bytes": b"\x00\xff",
        "set": {1, 2},
        "complex": 1 + 2j,
        "nested": [(1, [2.5, "x"]), {"k": None}],
        "flag": True,
    }
    path = tmp_path / "misc.pt"
    ember.save(obj, path)
    loaded = torch.load(path, weights_only=True)
    assert loaded["dt"] is torch.float16 and loaded["dev"] == torch.device("cpu")
    assert loaded["cuda"] == torch.device("cuda", 1)
    assert isinstance(loaded["size"], torch.Size) and loaded["size"] == (2, 3)
    for k in ("bytes", "set", "complex", "nested", "flag"):
        assert loaded[k] == obj[k]
    back = ember.load(path)
    assert back["dt"] is ember.float16 and back["dev"] == ember.device("cpu")
    assert type(back["size"]) is ember.Size and back == {**obj}


def test_ordered_dict_keeps_metadata(tmp_path):
    sd = collections.OrderedDict([("0.weight", ember.randn(2, 3)), ("1.num_batches_tracked", ember.tensor(0))])
    sd._metadata = collections.OrderedDict([("", {"version": 1}), ("0", {"version": 1}), ("1", {"version": 2})])
    path = tmp_path / "sd.pt"
    ember.save(sd, path)
    loaded = torch.load(path, weights_only=True)
    assert type(loaded) is collections.OrderedDict and list(loaded) == list(sd)
    assert loaded._metadata == sd._metadata
    assert ember.load(path)._metadata == sd._metadata


def test_file_object_and_bytes_io(tmp_path):
    buf = io.BytesIO()
    ember.save({"x": ember.arange(5)}, buf)
    assert zipfile.ZipFile(io.BytesIO(buf.getvalue())).namelist()[0] == "archive/data.pkl"
    buf.seek(0)
    same(ember.load(buf)["x"], torch.arange(5))
    buf.seek(0)
    assert torch.equal(torch.load(buf, weights_only=True)["x"], torch.arange(5))
    with open(tmp_path / "f.pt", "wb") as f:
        f.write(b"junk-before")
        ember.save(ember.ones(3), f)  # a file object not at its start
    with open(tmp_path / "f.pt", "rb") as f:
        f.seek(len(b"junk-before"))
        same(ember.load(f), torch.ones(3))


# --- torch -> ember ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype_name", DTYPES)
def test_torch_to_ember_every_dtype(tmp_path, dtype_name):
    t = torch.from_numpy(values(dtype_name, (3, 4)))
    path = tmp_path / "t.pt"
    torch.save({"full": t, "view": t[1:, ::2], "scalar": t[0, 0].clone(), "empty": t[:0]}, path)
    loaded = ember.load(path)
    for k in ("full", "view", "scalar", "empty"):
        same(loaded[k], torch.load(path, weights_only=True)[k])
    assert loaded["view"].stride() == (4, 2) and loaded["view"].storage_offset() == 4
    assert loaded["full"]._data.flags.writeable


def test_torch_bfloat16_loads_as_exact_float32(tmp_path):
    t = torch.randn(5, 3).to(torch.bfloat16)
    path = tmp_path / "bf.pt"
    torch.save({"t": t, "v": t[1:, 1]}, path)
    loaded = ember.load(path)
    expect = ember.bfloat16 if ember._dtype.bfloat16 is not None else ember.float32  # no ml_dtypes: widened
    assert loaded["t"].dtype is expect
    np.testing.assert_array_equal(np.asarray(loaded["t"].numpy(), np.float32), t.float().numpy())
    np.testing.assert_array_equal(np.asarray(loaded["v"].numpy(), np.float32), t[1:, 1].float().numpy())


def test_torch_only_dtype_is_named_in_the_error(tmp_path):
    path = tmp_path / "u16.pt"
    torch.save(torch.tensor([1, 2], dtype=torch.uint16), path)
    with pytest.raises(RuntimeError, match=r"torch\.uint16.*ember does not have"):
        ember.load(path)
    torch.save(torch.tensor([1.0], dtype=torch.float8_e4m3fn), path)  # complex64 loads since ember has it
    with pytest.raises(RuntimeError, match=r"torch\.float8_e4m3fn"):
        ember.load(path)


def test_torch_views_and_parameters(tmp_path):
    base = torch.arange(20.0)
    p = torch.nn.Parameter(torch.randn(2, 2))
    p.note = "hi"  # pickled via _rebuild_parameter_with_state
    path = tmp_path / "tv.pt"
    torch.save({"base": base, "a": base[3:9].view(2, 3), "b": base[3:9].view(2, 3).t(), "p": p}, path)
    loaded = ember.load(path)
    same(loaded["a"], base[3:9].view(2, 3))
    same(loaded["b"], base[3:9].view(2, 3).t())
    assert isinstance(loaded["p"], ember.nn.Parameter) and loaded["p"].requires_grad
    assert loaded["p"].note == "hi"
    loaded["base"][4] = 100.0
    assert loaded["a"][0, 1].item() == 100.0 and loaded["b"][1, 0].item() == 100.0


def test_torch_state_dict_with_metadata_round_trips_back_to_torch(tmp_path):
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.BatchNorm1d(2))
    model(torch.randn(4, 3))  # non-trivial running stats
    path = tmp_path / "sd.pt"
    torch.save(model.state_dict(), path)
    sd = ember.load(path)
    assert type(sd) is collections.OrderedDict and list(sd) == list(model.state_dict())
    assert sd._metadata == model.state_dict()._metadata
    for k, v in model.state_dict().items():
        same(sd[k], v)
    ember.save(sd, tmp_path / "again.pt")  # and back: torch loads it into a fresh model
    again = torch.load(tmp_path / "again.pt", weights_only=True)
    assert again._metadata == model.state_dict()._metadata
    fresh = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.BatchNorm1d(2))
    fresh.load_state_dict(again)
    for k, v in model.state_dict().items():
        assert torch.equal(fresh.state_dict()[k], v)


def test_torch_legacy_format(tmp_path):
    base = torch.arange(10.0, dtype=torch.float64)
    obj = {
        "base": base,
        "strided": base[2:8:2],
        "i": torch.tensor([1, 2], dtype=torch.int16),
        "bf": torch.tensor([1.5, -2.0], dtype=torch.bfloat16),
        "n": 7,
    }
    path = tmp_path / "legacy.pt"
    torch.save(obj, path, _use_new_zipfile_serialization=False)
    assert not zipfile.is_zipfile(path)
    loaded = ember.load(path)
    same(loaded["base"], base)
    same(loaded["strided"], base[2:8:2])
    same(loaded["i"], obj["i"])
    np.testing.assert_array_equal(np.asarray(loaded["bf"].numpy(), np.float32), [1.5, -2.0])
    assert loaded["n"] == 7
    loaded["base"][4] = -1.0
    assert loaded["strided"][1].item() == -1.0
    with pytest.raises(RuntimeError, match="mmap can only be used"):
        ember.load(path, mmap=True)


def test_mmap_load(tmp_path):
    t = torch.randn(64, 8)
    path = tmp_path / "mm.pt"
    torch.save({"t": t, "v": t[3:]}, path)
    loaded = ember.load(path, mmap=True)
    same(loaded["t"], t)
    same(loaded["v"], t[3:])
    loaded["t"][0, 0] = 123.0  # copy-on-write: the file is untouched
    assert loaded["v"].shape == (61, 8)
    assert torch.load(path, weights_only=True)["t"][0, 0].item() == t[0, 0].item()
    with open(path, "rb") as f, pytest.raises(ValueError, match="file path"):
        ember.load(f, mmap=True)


# --- map_location -----------------------------------------------------------------------------------------------
@pytest.fixture
def cuda_checkpoint(tmp_path):
    """A checkpoint whose storages are tagged 'cuda:0', as a GPU machine writes them."""
    torch_path = tmp_path / "cpu.pt"
    torch.save({"w": torch.arange(6.0).view(2, 3)}, torch_path)
    path = tmp_path / "gpu.pt"
    with zipfile.ZipFile(torch_path) as src, zipfile.ZipFile(path, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename.endswith("data.pkl"):
                data = data.replace(b"X\x03\x00\x00\x00cpu", b"X\x06\x00\x00\x00cuda:0")
            dst.writestr(info.filename, data)
    return path


@pytest.mark.skipif(ember.cuda.is_available(), reason="checks the CPU-only error")
def test_cuda_checkpoint_without_gpu_needs_map_location(cuda_checkpoint):
    with pytest.raises(RuntimeError, match=r"gpu\.pt.*CUDA.*map_location"):
        ember.load(cuda_checkpoint)


@pytest.mark.parametrize(
    "map_location", ["cpu", ember.device("cpu"), {"cuda:0": "cpu"}, lambda storage, location: storage]
)
def test_map_location_to_cpu(cuda_checkpoint, map_location):
    loaded = ember.load(cuda_checkpoint, map_location=map_location)
    same(loaded["w"], torch.load(cuda_checkpoint, map_location="cpu", weights_only=True)["w"])
    assert loaded["w"].device == ember.device("cpu")


def test_map_location_callable_sees_location(cuda_checkpoint):
    seen = []

    def where(storage, location):
        seen.append(location)
        return storage.cpu()

    ember.load(cuda_checkpoint, map_location=where)
    assert seen == ["cuda:0"]


# --- atomic save --------------------------------------------------------------------------------------------------
class Unpicklable:
    def __reduce__(self):
        raise RuntimeError("pickling failed on purpose")


def test_failed_save_leaves_previous_file_and_no_temp(tmp_path):
    path = tmp_path / "ckpt.pt"
    ember.save({"w": ember.ones(3)}, path)
    good = path.read_bytes()
    with pytest.raises(RuntimeError, match="on purpose"):
        ember.save({"w": ember.zeros(3), "bad": Unpicklable()}, path)
    assert path.read_bytes() == good
    assert sorted(os.listdir(tmp_path)) == ["ckpt.pt"]


def test_failure_while_writing_the_zip_leaves_previous_file(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.pt"
    ember.save({"w": ember.ones(3)}, path)
    good = path.read_bytes()
    real_write = serialization._write_record

    def fail_on_storage(zf, name, data):
        if "/data/" in name:
            raise OSError("disk full")
        real_write(zf, name, data)

    monkeypatch.setattr(serialization, "_write_record", fail_on_storage)
    with pytest.raises(OSError, match="disk full"):
        ember.save({"w": ember.zeros(1000)}, path)
    assert path.read_bytes() == good
    assert sorted(os.listdir(tmp_path)) == ["ckpt.pt"]


def test_failed_save_writes_nothing_to_a_file_object():
    buf = io.BytesIO()
    with pytest.raises(RuntimeError, match="on purpose"):
        ember.save([Unpicklable()], buf)
    assert buf.getvalue() == b""


def test_save_into_missing_directory(tmp_path):
    with pytest.raises(RuntimeError, match="Parent directory"):
        ember.save(ember.ones(1), tmp_path / "nope" / "x.pt")


# a save that stops inside its temp file, after some bytes, until killed: `python -c STALLED_SAVE SAVER PATH`
STALLED_SAVE = """
import contextlib, sys, time
import ember
from ember import safetensors, serialization

real_atomic_file = serialization._atomic_file

@contextlib.contextmanager
def stalled(path):
    with real_atomic_file(path) as fp:
        fp.write(b"partial" * 1000)
        fp.flush()
        print("writing", flush=True)
        time.sleep(120)
        yield fp

serialization._atomic_file = stalled
saver, path = sys.argv[1:]
(ember.save if saver == "save" else safetensors.save_file)({"w": ember.ones(2)}, path)
"""
SAVERS = {
    "save": (lambda obj, path: ember.save(obj, path), lambda path: ember.load(path)),
    "save_file": (lambda obj, path: ember.safetensors.save_file(obj, path), ember.safetensors.load_file),
}


def start_stalled_save(saver, path):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [REPO, os.environ.get("PYTHONPATH")])))
    proc = subprocess.Popen([sys.executable, "-c", STALLED_SAVE, saver, str(path)], stdout=subprocess.PIPE, env=env)
    assert proc.stdout.readline() == b"writing\n"
    return proc


def temp_files(directory):
    return sorted(n for n in os.listdir(directory) if n.endswith(".tmp"))


@pytest.mark.parametrize("saver", list(SAVERS))
def test_temp_file_of_a_killed_save_is_removed_by_the_next_save(tmp_path, saver):
    save, load = SAVERS[saver]
    path = tmp_path / "ckpt.pt"
    proc = start_stalled_save(saver, path)
    proc.kill()  # SIGKILL: no cleanup runs in the saving process
    proc.wait()
    left = temp_files(tmp_path)
    assert len(left) == 1 and left[0].startswith(".ckpt.pt."), left
    assert os.path.getsize(tmp_path / left[0]) >= 7000
    other = tmp_path / "other.pt"  # a save to another path leaves that file alone
    save({"w": ember.ones(1)}, other)
    assert temp_files(tmp_path) == left
    save({"w": ember.arange(3.0)}, path)
    assert temp_files(tmp_path) == []
    assert load(path)["w"].tolist() == [0.0, 1.0, 2.0]


@pytest.mark.parametrize("saver", list(SAVERS))
def test_temp_file_of_a_save_in_progress_is_kept(tmp_path, saver):
    save, load = SAVERS[saver]
    path = tmp_path / "ckpt.pt"
    proc = start_stalled_save(saver, path)
    try:
        in_progress = temp_files(tmp_path)
        save({"w": ember.arange(2.0)}, path)
        assert temp_files(tmp_path) == in_progress and len(in_progress) == 1
    finally:
        proc.kill()
        proc.wait()
    assert load(path)["w"].tolist() == [0.0, 1.0]


@pytest.mark.parametrize("saver", list(SAVERS))
@pytest.mark.parametrize("length", [200, 243, 255])
def test_long_file_names_save_and_load(tmp_path, saver, length):
    save, load = SAVERS[saver]
    path = tmp_path / ("w" * (length - 3) + ".pt")
    save({"w": ember.arange(4.0)}, path)
    save({"w": ember.arange(5.0)}, path)  # replacing it too
    assert load(path)["w"].tolist() == [0.0, 1.0, 2.0, 3.0, 4.0]
    assert os.listdir(tmp_path) == [path.name]


def test_long_names_temp_files_are_theirs_alone(tmp_path):
    """Two long names sharing their first 200 bytes get different temp names, each within NAME_MAX."""
    first, second = "é" * 120 + "a.pt", "é" * 120 + "b.pt"
    prefixes = [serialization._temp_prefix(n) for n in (first, second)]
    assert prefixes[0] != prefixes[1]
    assert all(len(os.fsencode(p + "0" * 12 + ".tmp")) <= 255 for p in prefixes)
    assert serialization._temp_prefix("model.pt") == ".model.pt."


# --- bad files ----------------------------------------------------------------------------------------------------
def test_truncated_file(tmp_path):
    path = tmp_path / "cut.pt"
    ember.save({"w": ember.randn(100)}, path)
    path.write_bytes(path.read_bytes()[:300])
    with pytest.raises(RuntimeError, match=r"cut\.pt.* is truncated or corrupt"):
        ember.load(path)


def test_truncated_legacy_file(tmp_path):
    path = tmp_path / "cut_legacy.pt"
    torch.save({"w": torch.randn(100)}, path, _use_new_zipfile_serialization=False)
    path.write_bytes(path.read_bytes()[:-50])
    with pytest.raises(RuntimeError, match=r"cut_legacy\.pt.* is truncated or corrupt"):
        ember.load(path)


def test_corrupt_storage_record(tmp_path):
    path = tmp_path / "crc.pt"
    ember.save(ember.zeros(64), path)
    raw = bytearray(path.read_bytes())
    info = zipfile.ZipFile(path).getinfo("crc/data/0")
    raw[info.header_offset + 200] ^= 0xFF  # inside the data: CRC no longer matches
    path.write_bytes(bytes(raw))
    with pytest.raises(RuntimeError, match=r"crc\.pt.* is truncated or corrupt.*CRC"):
        ember.load(path)


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "is empty"),
        (bytes(np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8)), "is not a PyTorch checkpoint"),
        (b"epoch,loss\n1,0.5\n2,0.25\n", "is not a PyTorch checkpoint"),
        (b"\x80\x02K\x05.", "is not a PyTorch checkpoint"),  # a pickle, but not a checkpoint
    ],
)
def test_not_a_checkpoint(tmp_path, content, message):
    path = tmp_path / "weird.bin"
    path.write_bytes(content)
    with pytest.raises(RuntimeError, match=r"weird\.bin.*" + message):
        ember.load(path)


def test_zip_that_is_not_a_checkpoint(tmp_path):
    path = tmp_path / "arrays.npz"
    np.savez(path, a=np.ones(3))
    with pytest.raises(RuntimeError, match=r"arrays\.npz.*(not a PyTorch checkpoint|not in a subdirectory)"):
        ember.load(path)


def test_missing_file():
    with pytest.raises(FileNotFoundError):
        ember.load("/nonexistent/dir/x.pt")


def deflated_checkpoint(path, pickled):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("bomb/data.pkl", pickled)
        zf.writestr("bomb/version", "3\n")


def test_zip_bomb_in_data_pkl_is_refused_before_inflating(tmp_path, monkeypatch):
    path = tmp_path / "bomb.pt"
    deflated_checkpoint(path, bytes(32 * 2**20))  # 32 MiB of zeros: ~32 kB deflated
    assert path.stat().st_size < 2**20
    monkeypatch.setattr(serialization, "_available_memory", lambda: 8 * 2**20)
    real_read, inflated = zipfile.ZipFile.read, []

    def read(zf, name, *args):
        inflated.append(getattr(name, "filename", name))
        return real_read(zf, name, *args)

    monkeypatch.setattr(zipfile.ZipFile, "read", read)
    with pytest.raises(
        MemoryError,
        match=r"bomb\.pt.*bomb/data\.pkl would inflate from \d+ compressed bytes to "
        r"33554432, more than the 8388608 bytes of memory available",
    ) as error:
        ember.load(path)
    assert isinstance(error.value, RuntimeError) and inflated == ["bomb/version"]


def test_memory_error_while_reading_data_pkl_names_the_file(tmp_path, monkeypatch):
    path = tmp_path / "big.pt"
    deflated_checkpoint(path, pickle.dumps([0] * 1000, protocol=2))
    assert ember.load(path) == [0] * 1000

    real_read = zipfile.ZipFile.read

    def out_of_memory_for_data_pkl(zf, info, *args):
        if info.filename.endswith("data.pkl"):
            raise MemoryError
        return real_read(zf, info, *args)

    monkeypatch.setattr(zipfile.ZipFile, "read", out_of_memory_for_data_pkl)
    with pytest.raises(MemoryError, match=r"big\.pt.*out of memory reading record bomb/data\.pkl"):
        ember.load(path)


def test_stored_record_declaring_more_than_the_archive_holds(tmp_path):
    path = tmp_path / "liar.pt"
    ember.save({"w": ember.ones(3)}, path)
    raw = bytearray(path.read_bytes())
    entry = raw.index(b"PK\x01\x02")  # the central directory's first entry: data.pkl
    raw[entry + 20 : entry + 28] = struct.pack("<II", 2**31, 2**31)
    path.write_bytes(bytes(raw))
    with pytest.raises(
        RuntimeError,
        match=r"liar\.pt. is truncated or corrupt: record liar/data\.pkl declares "
        r"2147483648 bytes, more than the archive holds",
    ):
        ember.load(path)


# --- malicious pickles ------------------------------------------------------------------------------------------
class RunsCommand:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


def write_checkpoint_with_pickle(path, pickled):
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("evil/data.pkl", pickled)
        zf.writestr("evil/version", "3\n")


@pytest.mark.parametrize("protocol", [2, 4])
def test_malicious_zip_checkpoint_is_refused(tmp_path, protocol):
    marker = tmp_path / "pwned"
    pickled = pickle.dumps({"w": RunsCommand(marker)}, protocol=protocol)
    pickle.loads(pickled)  # the payload really runs with plain pickle
    assert marker.exists()
    marker.unlink()
    path = tmp_path / "evil.pt"
    write_checkpoint_with_pickle(path, pickled)
    with pytest.raises(
        pickle.UnpicklingError,
        match=r"evil\.pt.*(posix|os)\.system.*weights_only=True refused it; "
        r"pass weights_only=False only if you trust the file",
    ):
        ember.load(path)
    assert not marker.exists()
    with pytest.raises(pickle.UnpicklingError):
        ember.load(path, weights_only=None)  # None means True, as in torch
    assert not marker.exists()


def test_malicious_legacy_checkpoint_is_refused(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil_legacy.pt"
    with open(path, "wb") as f:
        for part in (serialization._LEGACY_MAGIC, serialization._LEGACY_PROTOCOL, {"little_endian": True}):
            pickle.dump(part, f, protocol=2)
        pickle.dump(RunsCommand(marker), f, protocol=2)
    with pytest.raises(pickle.UnpicklingError, match="weights_only=True refused it"):
        ember.load(path)
    assert not marker.exists()


def test_build_on_a_tensor_is_refused(tmp_path):
    # GLOBAL torch.Tensor, EMPTY_TUPLE, NEWOBJ, then BUILD with a state that would overwrite its fields
    pickled = b"\x80\x02ctorch\nTensor\n)\x81}X\x05\x00\x00\x00_dataK\x01sb."
    path = tmp_path / "build.pt"
    write_checkpoint_with_pickle(path, pickled)
    with pytest.raises(pickle.UnpicklingError, match="weights_only=True refused it"):
        ember.load(path)


def test_tensor_overrunning_its_storage_is_rejected(tmp_path):
    path = tmp_path / "overrun.pt"
    torch.save(torch.arange(4.0), path)
    with zipfile.ZipFile(path) as zf:
        records = {i.filename: zf.read(i) for i in zf.infolist()}
    pkl = records["overrun/data.pkl"]
    records["overrun/data.pkl"] = pkl.replace(b"K\x04\x85", b"M\x00\x10\x85")  # size (4,) -> (4096,)
    assert records["overrun/data.pkl"] != pkl
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in records.items():
            zf.writestr(name, data)
    with pytest.raises(RuntimeError, match="overruns its storage"):
        ember.load(path)


def test_weights_only_false_resolves_trusted_globals(tmp_path):
    path = tmp_path / "np.pt"
    ember.save({"arr": np.arange(3), "w": ember.ones(2)}, path)
    with pytest.raises(pickle.UnpicklingError, match="numpy"):
        ember.load(path)
    loaded = ember.load(path, weights_only=False)
    np.testing.assert_array_equal(loaded["arr"], np.arange(3))
    same(loaded["w"], torch.ones(2))
    full_model = tmp_path / "model.pt"
    torch.save(torch.nn.Linear(2, 2), full_model)
    with pytest.raises(pickle.UnpicklingError, match=r"torch\.nn\.modules\.linear\.Linear.*state_dict"):
        ember.load(full_model, weights_only=False)
