"""ember.device and ember.cuda against torch; the CPU-only behaviour; GPU paths (marked gpu, CuPy + a GPU).

Loading CUDA-tagged checkpoints onto the CPU with map_location is covered in test_serialization.py.
"""

import pickle
import zipfile

import numpy as np
import pytest

import ember
from ember import nn

torch = pytest.importorskip("torch")
HAS_GPU = ember.cuda.is_available()
no_gpu_here = pytest.mark.skipif(HAS_GPU, reason="checks the behaviour without a GPU")


def gpu(test):
    return pytest.mark.gpu(pytest.mark.skipif(not HAS_GPU, reason="needs CuPy and a CUDA GPU")(test))


# --- ember.device ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("args", [("cpu",), ("cuda",), ("cuda:1",), ("cuda", 0), ("cuda", 3), ("cpu:0",), ("cuda:12",)])
def test_device_parsing_and_printing_match_torch(args):
    ours, theirs = ember.device(*args), torch.device(*args)
    assert (repr(ours), str(ours), ours.type, ours.index) == (repr(theirs), str(theirs), theirs.type, theirs.index)
    assert ember.device(ours) == ours and ember.device(type=ours.type, index=ours.index) == ours
    assert pickle.loads(pickle.dumps(ours)) == ours


def test_device_equality_and_hashing_match_torch():
    for T in (torch, ember):
        assert T.device("cuda:0") == T.device("cuda", 0)
        assert T.device("cuda") != T.device("cuda:0")  # no index means "the current device"
        assert T.device("cpu") != T.device("cuda")
        assert T.device("cpu") != "cpu"  # a device never equals a string in torch
        assert {T.device("cuda", 1): "x"}[T.device("cuda:1")] == "x"


@pytest.mark.parametrize(
    "args", [("cuda:x",), ("cuda:-1",), ("cuda: 1",), (" cuda",), ("cuda:01",), ("cuda", -1), ("cuda:1", 0)]
)
def test_invalid_devices_raise_torchs_errors(args):
    with pytest.raises(RuntimeError) as theirs:
        torch.device(*args)
    with pytest.raises(RuntimeError) as ours:
        ember.device(*args)
    assert str(ours.value) == str(theirs.value)


@pytest.mark.parametrize("spec", ["gpu", "CUDA", "tpu:0"])
def test_unknown_device_types_name_the_string(spec):
    with pytest.raises(RuntimeError, match=f"Expected one of cpu, cuda device type at start of device string: {spec}$"):
        ember.device(spec)
    with pytest.raises(TypeError, match="float"):
        ember.device(1.5)


def test_device_from_an_index_is_cuda():
    assert ember.device(1) == ember.device("cuda", 1)


def test_tensor_device_attributes_match_torch():
    for T in (torch, ember):
        t = T.zeros(2)
        assert (repr(t.device), t.is_cuda, t.get_device()) == ("device(type='cpu')", False, -1)
        assert t.to("cpu") is t and t.cpu() is t and t.to(T.device("cpu")) is t
        assert T.ones(2, device="cpu").device == T.device("cpu")


# --- without a GPU -----------------------------------------------------------------------------------------------


@no_gpu_here
def test_cuda_is_unavailable_and_raises_torchs_errors():
    """Without CuPy ember is torch without CUDA: the same exception types, messages starting as torch's."""
    assert ember.cuda.is_available() is False and ember.cuda.device_count() == 0
    assert ember.cuda.memory_allocated() == 0 and ember.cuda.max_memory_allocated() == 0
    assert ember.cuda.is_current_stream_capturing() is False
    ember.cuda.empty_cache()
    ember.cuda.manual_seed(0)
    ember.cuda.manual_seed_all(0)
    attempts = [
        lambda T: T.zeros(2).cuda(),
        lambda T: T.zeros(2).to("cuda"),
        lambda T: T.zeros(2).to("cuda:1"),
        lambda T: T.zeros(2).to(T.device("cuda", 0)),
        lambda T: T.zeros(2, device="cuda"),
        lambda T: T.tensor([1.0], device="cuda"),
        lambda T: T.randn(2, device="cuda"),
        lambda T: T.nn.Linear(2, 2).cuda(),
        lambda T: T.nn.Linear(2, 2).to("cuda"),
        lambda T: T.cuda.current_device(),
        lambda T: T.cuda.synchronize(),
        lambda T: T.cuda.get_device_name(),
        lambda T: T.cuda.Stream(),
        lambda T: T.cuda.Event(),
        lambda T: T.cuda.CUDAGraph(),
        lambda T: T.cuda.current_stream(),
    ]
    for attempt in attempts:
        with pytest.raises(Exception) as theirs:
            attempt(torch)
        with pytest.raises(type(theirs.value)) as ours:
            attempt(ember)
        if isinstance(theirs.value, AssertionError):
            assert str(ours.value).startswith(str(theirs.value))
    with pytest.raises(AssertionError, match="Torch not compiled with CUDA enabled"):
        ember.cuda.set_device(0)  # torch 2.13's CPU build raises AttributeError here, by accident


@no_gpu_here
def test_module_stays_usable_after_a_failed_cuda():
    model = nn.Linear(2, 2)
    with pytest.raises(RuntimeError):  # torch's CUDA build without a GPU; its CPU build asserts
        model.cuda()
    assert model.weight.device == ember.device("cpu") and model(ember.ones(1, 2)).shape == (1, 2)


@pytest.fixture
def fake_cuda_tensor(monkeypatch):
    """A tensor that reports device cuda:0 (a NumPy subclass standing in for a CuPy array)."""
    import ember._tensor as tensor_module

    class FakeCudaArray(np.ndarray):
        pass

    real = tensor_module.device_of
    monkeypatch.setattr(
        tensor_module, "device_of", lambda arr: ember.device("cuda", 0) if isinstance(arr, FakeCudaArray) else real(arr)
    )
    return ember.Tensor._make(np.ones((2, 2), np.float32).view(FakeCudaArray))


@pytest.mark.parametrize(
    "op",
    [
        lambda a, b: a + b,
        lambda a, b: a * b,
        lambda a, b: a @ b,
        lambda a, b: ember.mm(a, b),
        lambda a, b: ember.nn.functional.linear(a, b),
    ],
)
def test_mixing_devices_raises_torchs_error(fake_cuda_tensor, op):
    cpu = ember.ones(2, 2)
    assert fake_cuda_tensor.device == ember.device("cuda", 0) and fake_cuda_tensor.is_cuda
    for a, b in ((fake_cuda_tensor, cpu), (cpu, fake_cuda_tensor)):
        with pytest.raises(
            RuntimeError,
            match="Expected all tensors to be on the same device, but found at least "
            "two devices, (cuda:0 and cpu|cpu and cuda:0)!",
        ):
            op(a, b)


# --- with a GPU (CuPy) ------------------------------------------------------------------------------------------


@gpu
def test_gpu_round_trip_and_attributes():
    x = ember.randn(3, 4)
    y = x.cuda()
    assert y.device == ember.device("cuda", 0) and y.is_cuda and y.get_device() == 0
    assert str(y.device) == "cuda:0" and y.dtype is x.dtype
    np.testing.assert_array_equal(y.cpu().numpy(), x.numpy())
    assert ember.zeros(2, device="cuda").device.type == "cuda"
    assert ember.cuda.device_count() >= 1 and isinstance(ember.cuda.get_device_name(), str)
    ember.cuda.synchronize()
    with pytest.raises(TypeError, match="Use Tensor.cpu"):
        y.numpy()


GPU_ORACLE = {
    "matmul": lambda T, a, b: a @ b.t(),
    "linear": lambda T, a, b: T.nn.functional.linear(a, b),
    "relu+sum": lambda T, a, b: (T.relu(a) * b).sum(1),
    "softmax": lambda T, a, b: T.softmax(a - b, dim=1),
    "cross_entropy": lambda T, a, b: T.nn.functional.cross_entropy(
        a @ b.t(), T.tensor([0, 1, 2, 3, 0], device=a.device)
    ),
    "conv2d": lambda T, a, b: T.nn.functional.conv2d(a.reshape(1, 1, 5, 4), b.reshape(5, 1, 2, 2)),
    "mean/var": lambda T, a, b: a.mean(0) + a.var(0) + b.max(1).values.sum(),
    "argmax": lambda T, a, b: a.argmax(1),
}


@gpu
@pytest.mark.parametrize("name", sorted(GPU_ORACLE))
def test_gpu_ops_and_gradients_equal_cpu(name):
    fn = GPU_ORACLE[name]
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal((5, 4)).astype(np.float32) for _ in range(2)]
    outs, grads = {}, {}
    for dev in ("cpu", "cuda"):
        a, b = (ember.tensor(x, device=dev, requires_grad=True) for x in arrays)
        out = fn(ember, a, b)
        assert out.device.type == dev
        outs[dev] = out.detach().cpu().numpy()
        if out.requires_grad:
            out.float().sum().backward()
            assert a.grad.device.type == dev
            grads[dev] = [a.grad.cpu().numpy(), b.grad.cpu().numpy()]
    np.testing.assert_allclose(outs["cuda"], outs["cpu"], rtol=1e-5, atol=1e-5)
    for g_cuda, g_cpu in zip(grads.get("cuda", []), grads.get("cpu", [])):
        np.testing.assert_allclose(g_cuda, g_cpu, rtol=1e-5, atol=1e-5)


@gpu
def test_gpu_training_step_equals_cpu():
    def step(device):
        ember.manual_seed(0)
        model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3)).to(device)
        optimizer = ember.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        x = ember.tensor(np.linspace(-1, 1, 24, dtype=np.float32).reshape(6, 4), device=device)
        y = ember.tensor([0, 1, 2, 0, 1, 2], device=device)
        for _ in range(2):
            optimizer.zero_grad()
            nn.functional.cross_entropy(model(x), y).backward()
            optimizer.step()
        assert all(p.device.type == ember.device(device).type for p in model.parameters())
        return [p.detach().cpu().numpy() for p in model.parameters()]

    for on_gpu, on_cpu in zip(step("cuda"), step("cpu")):
        np.testing.assert_allclose(on_gpu, on_cpu, rtol=1e-5, atol=1e-6)


@gpu
def test_gpu_autocast_follows_torchs_cuda_lists():
    x, w = ember.randn(4, 5, device="cuda"), ember.randn(3, 5, device="cuda")
    with ember.autocast("cuda"):
        y = nn.functional.linear(x, w)
        assert y.dtype is ember.float16
        assert nn.functional.softmax(y, 1).dtype is ember.float32  # float32 on CUDA, unlike CPU
        assert nn.functional.layer_norm(y, (3,)).dtype is ember.float32
        assert (ember.randn(2, 2) @ ember.randn(2, 2)).dtype is ember.float32  # CPU tensors untouched


@gpu
def test_gpu_checkpoint_locations(tmp_path):
    torch_path, tagged = tmp_path / "cpu.pt", tmp_path / "gpu.pt"
    torch.save({"w": torch.arange(6.0).view(2, 3)}, torch_path)
    with zipfile.ZipFile(torch_path) as src, zipfile.ZipFile(tagged, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename.endswith("data.pkl"):
                data = data.replace(b"X\x03\x00\x00\x00cpu", b"X\x06\x00\x00\x00cuda:0")
            dst.writestr(info.filename, data)
    assert ember.load(tagged)["w"].device == ember.device("cuda", 0)
    assert ember.load(tagged, map_location="cpu")["w"].device == ember.device("cpu")
    assert ember.load(torch_path, map_location="cuda:0")["w"].device == ember.device("cuda", 0)
    path = tmp_path / "ember.pt"
    ember.save({"w": ember.ones(2, device="cuda")}, path)
    assert torch.load(path, map_location="cpu")["w"].tolist() == [1.0, 1.0]
