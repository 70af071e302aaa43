"""ember on `cuda` without a GPU: the strict test device (ember._strict_cuda) behaves as CuPy where a leak
would show, and the regressions it found stay fixed. With CuPy and a GPU the `cuda_device` tests run on
the real one (marked gpu); the tests of the strict device itself always use it.

The torch-oracle tables (tests/ops, tests/nn, tests/optim, tests/examples) run on cuda through the
`device` fixture of tests/conftest.py.
"""

import io
import pickle

import numpy as np
import pytest

import ember
from ember import nn
from ember._backend import has_real_cupy, strict_cuda
from oracle import assert_close, torch

REAL_GPU = has_real_cupy()


@pytest.fixture(params=[pytest.param("cuda", marks=[pytest.mark.gpu] if REAL_GPU else [])])
def cuda_device(request):
    """ "cuda": the GPU when CuPy sees one, else the strict test device."""
    if REAL_GPU:
        yield "cuda"
    else:
        with strict_cuda():
            yield "cuda"


@pytest.fixture
def strict():
    with strict_cuda() as module:
        yield module


# --- the strict device behaves as CuPy ------------------------------------------------------------------------


def test_strict_arrays_refuse_numpy_operands_as_cupy(strict):
    a = strict.asarray(np.arange(6.0).reshape(2, 3))
    host = np.ones(3)
    for mixed in (
        lambda: a + host,
        lambda: host + a,
        lambda: a * np.float64(2) + host,
        lambda: strict.add(a, host),
        lambda: strict.concatenate([a, host[None]]),
        lambda: strict.where(a > 0, a, host),
    ):
        with pytest.raises(TypeError, match="Unsupported type <class 'numpy.ndarray'>"):
            mixed()
    with pytest.raises(TypeError, match="no implementation found for 'numpy.concatenate'"):
        np.concatenate([a, host[None]])
    with pytest.raises(TypeError, match="Implicit conversion to a NumPy array is not allowed"):
        np.asarray(a)
    with pytest.raises(TypeError, match="Unsupported type"):
        a[0] = host
    np.testing.assert_array_equal((a * 2 + 1).get(), np.arange(6.0).reshape(2, 3) * 2 + 1)
    assert type(np.concatenate([a, a])) is strict.ndarray  # NumPy functions dispatch, as CuPy's do
    assert type(a.sum()) is strict.ndarray and a.sum().ndim == 0  # no NumPy scalars come back


def test_strict_get_copies_to_the_host(strict):
    a = strict.zeros(3)
    host = a.get()
    host[0] = 5
    assert type(host) is np.ndarray and float(a[0]) == 0


def test_strict_mirrors_cupys_missing_features(strict):
    a = strict.arange(4.0)
    with pytest.raises(NotImplementedError, match="cupy_multiply.at"):
        strict.multiply.at(a, strict.asarray([0, 0]), 2.0)
    with pytest.raises(TypeError):
        strict.lib.stride_tricks.as_strided(a, (2,), (8,), writeable=False)
    with pytest.raises(ValueError, match="kind can only be None or 'stable'"):
        strict.argsort(a, kind="quicksort")
    with pytest.raises(AttributeError):
        a.flags.writeable  # noqa: B018
    with pytest.raises(AttributeError):
        strict.errstate  # noqa: B018


def test_strict_tensors_report_cuda_placement(strict):
    t = ember.tensor([1.0, 2.0]).cuda()
    assert t.device == ember.device("cuda", 0) and repr(t.device) == "device(type='cuda', index=0)"
    assert t.is_cuda and t.get_device() == 0 and repr(t) == "tensor([1., 2.], device='cuda:0')"
    assert t.to("cuda:1").device == ember.device("cuda", 1) and t.cuda(1).get_device() == 1
    assert ember.cuda.is_available() and ember.cuda.device_count() == 2
    with pytest.raises(TypeError, match="can't convert cuda:0 device type tensor to numpy"):
        np.asarray(t)
    with pytest.raises(TypeError, match="can't convert cuda:0 device type tensor to numpy"):
        t.numpy()
    np.testing.assert_array_equal(t.cpu().numpy(), [1.0, 2.0])
    assert t.tolist() == [1.0, 2.0] and t.sum().item() == 3.0


# --- creation on the device -----------------------------------------------------------------------------------

FACTORIES = {
    "zeros": lambda d: ember.zeros(2, 3, device=d),
    "ones": lambda d: ember.ones(4, device=d),
    "empty": lambda d: ember.empty(2, device=d),
    "full": lambda d: ember.full((2,), 1.5, device=d),
    "eye": lambda d: ember.eye(3, device=d),
    "arange": lambda d: ember.arange(5, device=d),
    "arange-float": lambda d: ember.arange(0, 1, 0.25, device=d),
    "range": lambda d: ember.range(0, 2, device=d),
    "linspace": lambda d: ember.linspace(0, 1, 7, device=d),
    "logspace": lambda d: ember.logspace(0, 2, 3, device=d),
    "rand": lambda d: ember.rand(3, device=d),
    "randn": lambda d: ember.randn(2, 2, device=d),
    "randint": lambda d: ember.randint(0, 5, (4,), device=d),
    "randperm": lambda d: ember.randperm(6, device=d),
    "normal": lambda d: ember.normal(0.0, 2.0, (3,), device=d),
    "zeros_like": lambda d: ember.zeros_like(ember.ones(2, device=d)),
    "randn_like": lambda d: ember.randn_like(ember.ones(2, device=d)),
    "new_full": lambda d: ember.ones(2, device=d).new_full((3,), 2.0),
}


@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_creation_allocates_on_the_device(name, strict):
    """Made on the device, not on the host and copied: a capturing stream, which refuses host-to-device
    copies, lets every factory through."""
    stream = strict.cuda.Stream(non_blocking=True)
    with stream:
        stream.begin_capture()
        try:
            t = FACTORIES[name]("cuda")
        finally:
            stream.end_capture()
    assert t.device == ember.device("cuda", 0)
    on_cpu = FACTORIES[name]("cpu")
    assert t.shape == on_cpu.shape and t.dtype == on_cpu.dtype
    if not name.startswith(("rand", "normal")):
        np.testing.assert_allclose(t.cpu().numpy(), on_cpu.numpy(), rtol=1e-12)


def test_device_random_streams_are_seeded(cuda_device):
    ember.manual_seed(3)
    first = [ember.randn(4, device=cuda_device).cpu().numpy(), ember.rand(2, device=cuda_device).cpu().numpy()]
    ember.manual_seed(3)
    again = [ember.randn(4, device=cuda_device).cpu().numpy(), ember.rand(2, device=cuda_device).cpu().numpy()]
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)
    perm = ember.randperm(50, device=cuda_device).cpu().numpy()
    assert sorted(perm.tolist()) == list(range(50))
    u = ember.empty(4000, device=cuda_device).uniform_(-1, 3).cpu().numpy()
    assert -1 <= u.min() and u.max() < 3 and abs(u.mean() - 1) < 0.1
    samples = ember.multinomial(ember.tensor([[0.0, 1.0, 3.0], [2.0, 0.0, 5.0]], device=cuda_device), 2)
    assert samples.device.type == "cuda" and set(samples[0].tolist()) == {1, 2} and set(samples[1].tolist()) == {0, 2}
    with pytest.raises(RuntimeError, match="multinomial"):
        ember.multinomial(ember.tensor([1.0, 0.0, 0.0], device=cuda_device), 2)
    drawn = ember.multinomial(ember.tensor([0.0, 1.0, 3.0], device=cuda_device), 2000, replacement=True)
    counts = np.bincount(drawn.cpu().numpy(), minlength=3)
    assert counts[0] == 0 and abs(counts[2] / 2000 - 0.75) < 0.05


def test_dropout_mask_is_drawn_on_the_device(cuda_device):
    x = ember.ones(1000, device=cuda_device, requires_grad=True)
    y = nn.functional.dropout(x, 0.25)
    y.sum().backward()
    assert y.device.type == "cuda" and x.grad.device.type == "cuda"
    values = y.detach().cpu().numpy()
    assert abs((values != 0).mean() - 0.75) < 0.06 and np.allclose(values[values != 0], 1 / 0.75)


# --- the leaks of the issue, one by one ------------------------------------------------------------------------

LEAKS = {
    "sort": lambda T, x: x.sort(1),
    "argsort": lambda T, x: x.argsort(0, descending=True),
    "topk": lambda T, x: x.topk(2, 1),
    "mode": lambda T, x: (x * 2).round().mode(1),
    "median-dim": lambda T, x: x.median(0),
    "kthvalue": lambda T, x: x.kthvalue(2, 1),
    "unique": lambda T, x: T.unique((x * 2).round(), return_inverse=True, return_counts=True),
    "unique_consecutive": lambda T, x: T.unique_consecutive((x > 0).long().reshape(-1), return_counts=True),
    "searchsorted": lambda T, x: T.searchsorted(x.sort(1).values, x),
    "searchsorted-1d": lambda T, x: T.searchsorted(x[0].sort().values, x, right=True),
    "bucketize": lambda T, x: T.bucketize(x, T.tensor([-1.0, 0.0, 1.0])),
    "bincount": lambda T, x: T.bincount((x.abs() * 2).long().reshape(-1)),
    "bincount-weights": lambda T, x: T.bincount((x.abs() * 2).long().reshape(-1), x.reshape(-1)),
    "histc": lambda T, x: T.histc(x, bins=5, min=-2, max=2),
    "quantile": lambda T, x: T.quantile(x, 0.3, dim=1),
    "quantile-tensor-q": lambda T, x: T.quantile(x, T.tensor([0.1, 0.9]), dim=0, keepdim=True),
    "cumprod-zeros": lambda T, x: (x * (x.abs() > 0.5)).cumprod(1),
    "cummax": lambda T, x: x.cummax(1),
    "cummin": lambda T, x: x.cummin(0),
    "max-0d": lambda T, x: x[0, 0].max(0),
    "sort-0d": lambda T, x: x[0, 0].sort(),
    "scatter-multiply": lambda T, x: x.scatter(1, T.tensor([[0, 0, 1, 1, 0]] * 4), x * 2, reduce="multiply"),
    "scatter_reduce-prod": lambda T, x: x.scatter_reduce(1, T.tensor([[0, 0, 1, 1, 0]] * 4), x, "prod"),
    "scatter_reduce-amax": lambda T, x: x.scatter_reduce(
        1, T.tensor([[0, 0, 1, 1, 0]] * 4), x, "amax", include_self=False
    ),
    "index-list": lambda T, x: x[[0, 2, 2]],
    "index-cpu-tensor": lambda T, x: x[T.tensor([1, 3])],
    "repeat_interleave": lambda T, x: x.repeat_interleave(T.tensor([1, 0, 2, 1]), dim=0),
    "matrix_power-0": lambda T, x: T.matrix_power(x[:, :4], 0),
}


@pytest.mark.parametrize("name", sorted(LEAKS))
def test_ops_that_leaked_stay_on_the_device(name, cuda_device):
    from oracle import check

    x = np.random.default_rng(4).uniform(-2, 2, (4, 5)).astype(np.float32)
    no_grad = ("unique", "bincount", "histc", "bucketize", "searchsorted", "argsort", "scatter", "quantile", "matrix")
    check(LEAKS[name], arrays=[x], grad=not name.startswith(no_grad), device=cuda_device)


LAYERS = {  # the layers the issue saw crash on CuPy
    "AvgPool2d(3,2,1)": (lambda T: T.nn.AvgPool2d(3, 2, 1), (2, 3, 7, 6)),
    "AdaptiveAvgPool2d": (lambda T: T.nn.AdaptiveAvgPool2d((3, 2)), (2, 3, 7, 5)),
    "Upsample-bilinear": (lambda T: T.nn.Upsample(scale_factor=2, mode="bilinear"), (2, 3, 4, 5)),
    "Upsample-bicubic-ac": (lambda T: T.nn.Upsample(size=(5, 7), mode="bicubic", align_corners=True), (1, 2, 4, 3)),
    "ReflectionPad2d": (lambda T: T.nn.ReflectionPad2d((1, 2, 0, 1)), (2, 3, 4, 5)),
    "LocalResponseNorm": (lambda T: T.nn.LocalResponseNorm(3), (2, 5, 3, 3)),
}


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_layers_that_crashed_on_cupy(name, cuda_device):
    from oracle import check

    make, shape = LAYERS[name]
    check(lambda T, x: make(T)(x), [shape], atol=1e-5, device=cuda_device)


def test_resnet18_training_step(cuda_device):
    from ember.vision import models

    ember.manual_seed(0)
    model = models.resnet18(num_classes=5).to(cuda_device)
    optimizer = ember.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x, y = ember.randn(2, 3, 16, 16, device=cuda_device), ember.tensor([1, 4], device=cuda_device)
    for _ in range(2):
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
    assert np.isfinite(loss.item()) and loss.device.type == "cuda"
    assert all(p.device.type == "cuda" and p.grad.device.type == "cuda" for p in model.parameters())
    assert all(b.device.type == "cuda" for b in model.buffers())


MIXED = {
    "add": lambda a, b: a + b,
    "mul": lambda a, b: a * b,
    "matmul": lambda a, b: a @ b,
    "maximum": lambda a, b: ember.maximum(a, b),
    "cat": lambda a, b: ember.cat([a, b]),
    "stack": lambda a, b: ember.stack([a, b]),
    "where": lambda a, b: ember.where(a > 0, a, b),
    "linear": lambda a, b: nn.functional.linear(a, b),
    "mse_loss": lambda a, b: nn.functional.mse_loss(a, b),
    "eq": lambda a, b: a == b,
    "addcmul": lambda a, b: ember.addcmul(a, a, b),
    "conv2d": lambda a, b: nn.functional.conv2d(a.reshape(1, 1, 3, 3), b.reshape(1, 1, 3, 3)),
    "copy_": lambda a, b: a.clone().copy_(b),
}


@pytest.mark.parametrize("name", sorted(MIXED))
def test_mixing_cpu_and_cuda_raises_torchs_error(name, cuda_device):
    op = MIXED[name]
    cpu = ember.tensor(np.arange(9.0, dtype=np.float32).reshape(3, 3) % 3)
    gpu = cpu.to(cuda_device)
    if name == "copy_":  # copy_ crosses devices in torch
        assert op(gpu, cpu).device.type == "cuda" and op(cpu, gpu).device.type == "cpu"
        return
    for a, b in ((gpu, cpu), (cpu, gpu)):
        with pytest.raises(
            RuntimeError,
            match=r"^Expected all tensors to be on the same device, but found at least "
            r"two devices, (cuda:0 and cpu|cpu and cuda:0)!",
        ):
            op(a, b)


def test_zero_dim_cpu_tensor_is_a_scalar_operand(cuda_device):
    x = ember.ones(3, device=cuda_device)
    for y in (x * ember.tensor(2.0), ember.tensor(2.0) * x, x + ember.tensor(1), ember.maximum(x, ember.tensor(2.0))):
        assert y.device.type == "cuda" and y.cpu().tolist() == [2.0, 2.0, 2.0]


def test_cuda_1_and_cuda_0_do_not_mix(strict):
    a, b = ember.ones(2, device="cuda:0"), ember.ones(2, device="cuda:1")
    assert (b + b).device == ember.device("cuda", 1)
    with pytest.raises(RuntimeError, match="found at least two devices, cuda:0 and cuda:1"):
        a + b  # noqa: B018
    with ember.cuda.device(1):
        assert ember.zeros(1, device="cuda").device == ember.device("cuda", 1)
        assert ember.cuda.current_device() == 1 and ember.ones(1).cuda().get_device() == 1
    assert ember.cuda.current_device() == 0


# --- save / load, autocast ----------------------------------------------------------------------------------------


def test_save_and_load_device_tensors(cuda_device, tmp_path):
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4)).to(cuda_device)
    optimizer = ember.optim.Adam(model.parameters())
    model(ember.randn(5, 3, device=cuda_device)).sum().backward()
    optimizer.step()
    path = tmp_path / "ckpt.pt"
    ember.save(
        {"model": model.state_dict(), "optim": optimizer.state_dict(), "t": ember.arange(4.0, device=cuda_device)}, path
    )
    theirs = torch.load(path, map_location="cpu", weights_only=True)  # torch reads ember's cuda checkpoint
    assert theirs["t"].tolist() == [0.0, 1.0, 2.0, 3.0]
    assert tuple(theirs["model"]["0.weight"].shape) == (4, 3) and "exp_avg" in theirs["optim"]["state"][0]
    back = ember.load(path)
    assert back["t"].device.type == "cuda" and back["model"]["0.weight"].device.type == "cuda"
    assert back["optim"]["state"][0]["exp_avg"].device.type == "cuda"
    assert back["optim"]["state"][0]["step"].device.type == "cpu"  # torch keeps step on the CPU
    on_cpu = ember.load(path, map_location="cpu")
    assert on_cpu["t"].device.type == "cpu" and on_cpu["model"]["1.running_mean"].device.type == "cpu"
    np.testing.assert_array_equal(on_cpu["model"]["0.weight"].numpy(), model[0].weight.detach().cpu().numpy())
    fresh = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4)).to(cuda_device)
    fresh.load_state_dict(on_cpu["model"])  # loading CPU values into a cuda model keeps it on cuda
    assert fresh[0].weight.device.type == "cuda"
    torch.save({"w": torch.arange(3.0)}, tmp_path / "torch.pt")
    for location in ("cuda:0", ember.device("cuda", 0), {"cpu": "cuda:0"}, lambda storage, loc: storage.cuda()):
        assert ember.load(tmp_path / "torch.pt", map_location=location)["w"].device == ember.device("cuda", 0)
    copied = pickle.loads(pickle.dumps(ember.ones(2, device=cuda_device)))
    assert copied.device.type == "cuda"
    buffer = io.BytesIO()
    ember.save(nn.Parameter(ember.ones(2, device=cuda_device)), buffer)
    buffer.seek(0)
    assert ember.load(buffer).device.type == "cuda"


def test_autocast_and_grad_scaler_on_the_device(cuda_device):
    model = nn.Sequential(nn.Linear(3, 8), nn.ReLU(), nn.Linear(8, 2)).to(cuda_device)
    optimizer = ember.optim.SGD(model.parameters(), lr=0.1)
    scaler = ember.amp.GradScaler("cuda")
    x, y = ember.randn(6, 3, device=cuda_device), ember.tensor([0, 1, 1, 0, 1, 0], device=cuda_device)
    for _ in range(2):
        optimizer.zero_grad()
        with ember.autocast("cuda"):
            hidden = model[0](x)
            assert hidden.dtype is ember.float16 and hidden.device.type == "cuda"
            loss = nn.functional.cross_entropy(model[2](model[1](hidden)), y)
        assert loss.dtype is ember.float32
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
    assert all(p.grad.device.type == "cuda" and p.dtype is ember.float32 for p in model.parameters())
    assert scaler.get_scale() == 2.0**16


# --- streams, events, CUDA graphs ------------------------------------------------------------------------------


def test_streams_and_events(cuda_device):
    side = ember.cuda.Stream()
    side.wait_stream(ember.cuda.current_stream())
    with ember.cuda.stream(side):
        assert ember.cuda.current_stream() == side
        y = ember.ones(3, device=cuda_device) * 2
    assert ember.cuda.current_stream() == ember.cuda.default_stream()
    ember.cuda.current_stream().wait_stream(side)
    start, end = ember.cuda.Event(enable_timing=True), ember.cuda.Event(enable_timing=True)
    start.record()
    y = y + 1
    end.record()
    end.synchronize()
    assert start.elapsed_time(end) >= 0 and end.query() and side.query()
    ember.cuda.synchronize()
    assert y.cpu().tolist() == [3.0, 3.0, 3.0]


def _step_model():
    ember.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 3))


def test_a_captured_training_step_replays_as_eager(cuda_device):
    """torch's whole-network capture recipe: warm up on a side stream, capture forward, backward and step
    into one graph, then copy each batch into the static inputs and replay."""
    model, reference = _step_model().to(cuda_device), _step_model().to(cuda_device)
    optimizer = ember.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    ref_optimizer = ember.optim.SGD(reference.parameters(), lr=0.1, momentum=0.9)
    rng = np.random.default_rng(0)
    batches = [
        (
            ember.tensor(rng.standard_normal((5, 4)).astype(np.float32), device=cuda_device),
            ember.tensor(rng.integers(0, 3, 5), device=cuda_device),
        )
        for _ in range(6)
    ]
    static_x, static_y = ember.zeros(5, 4, device=cuda_device), ember.zeros(5, dtype=ember.int64, device=cuda_device)

    def step(net, opt, x, y):
        opt.zero_grad(set_to_none=True)
        loss = nn.functional.cross_entropy(net(x), y)
        loss.backward()
        opt.step()
        return loss

    side = ember.cuda.Stream()
    side.wait_stream(ember.cuda.current_stream())
    with ember.cuda.stream(side):
        for x, y in batches[:2]:
            static_x.copy_(x)
            static_y.copy_(y)
            step(model, optimizer, static_x, static_y)
            step(reference, ref_optimizer, x, y)
    ember.cuda.current_stream().wait_stream(side)
    # a GPU does not run the captured work while capturing, the strict device does: the state before the
    # capture is put back either way
    state = [p.detach().clone() for p in model.parameters()] + [
        optimizer.state[p]["momentum_buffer"].clone() for p in model.parameters()
    ]
    graph = ember.cuda.CUDAGraph()
    optimizer.zero_grad(set_to_none=True)
    with ember.cuda.graph(graph):
        static_loss = nn.functional.cross_entropy(model(static_x), static_y)
        static_loss.backward()
        optimizer.step()
    live = [p.data for p in model.parameters()] + [optimizer.state[p]["momentum_buffer"] for p in model.parameters()]
    for tensor, saved in zip(live, state):
        tensor.copy_(saved)
    for x, y in batches[2:]:
        static_x.copy_(x)
        static_y.copy_(y)
        graph.replay()
        expected = step(reference, ref_optimizer, x, y)
        np.testing.assert_allclose(static_loss.item(), expected.item(), rtol=1e-5)
    for p, q in zip(model.parameters(), reference.parameters()):
        np.testing.assert_allclose(p.detach().cpu().numpy(), q.detach().cpu().numpy(), rtol=1e-5, atol=1e-6)


def test_graph_api_errors(cuda_device):
    graph = ember.cuda.CUDAGraph()
    with pytest.raises(RuntimeError, match="without a preceding successful capture"):
        graph.replay()
    x = ember.ones(3, device=cuda_device)
    with ember.cuda.graph(graph):
        y = x * 2
    x.fill_(5.0)
    graph.replay()
    assert y.cpu().tolist() == [10.0, 10.0, 10.0]
    with pytest.raises(RuntimeError, match="already owns a captured graph"):
        graph.capture_begin()
    graph.reset()
    assert not ember.cuda.is_current_stream_capturing()


class _capturing:
    """Capture into a fresh graph on a side stream (ember.cuda.graph without its gc.collect(), for speed)."""

    def __enter__(self):
        self.graph, self.stream = ember.cuda.CUDAGraph(), ember.cuda.Stream()
        self.stream.__enter__()
        self.graph.capture_begin()
        return self.graph

    def __exit__(self, *exc):
        self.graph.capture_end()
        self.stream.__exit__(*exc)


def test_capture_refuses_host_reads_and_allocates_from_the_graphs_pool(strict):
    """The strict device refuses what CUDA capture refuses: reading values back, copying host data in, cuBLAS."""
    x = ember.ones(3, device="cuda")
    for host_work in (
        lambda: x.sum().item(),
        lambda: ember.tensor([1.0, 2.0], device="cuda"),
        lambda: x.cpu(),
        lambda: bool(x.sum() > 0),
    ):
        with pytest.raises(
            RuntimeError, match="the current stream is capturing, so (D2H|H2D) transfers are disallowed"
        ):
            with _capturing():
                host_work()
    with pytest.raises(NotImplementedError, match="cuBLAS API during stream capture"):
        with _capturing():
            strict.matmul(x._data[None], x._data[:, None])
    with _capturing() as graph:
        assert strict._State.allocator == graph.pool().pool.malloc
    assert strict._State.allocator is None


CAPTURED_INDEXING = {  # (x, idx, rows, v) -> result; idx, rows are device index tensors
    "getitem": lambda x, idx, rows, v: x[idx],
    "getitem-pair": lambda x, idx, rows, v: x[idx, idx],
    "getitem-after-slice": lambda x, idx, rows, v: x[1:, idx],
    "setitem-number": lambda x, idx, rows, v: x.__setitem__(idx, -1.0) or x,
    "setitem-tensor": lambda x, idx, rows, v: x.__setitem__(idx, v) or x,
    "index_put-accumulate": lambda x, idx, rows, v: x.index_put((idx,), v, accumulate=True),
    "gather": lambda x, idx, rows, v: x.gather(1, rows),
    "scatter": lambda x, idx, rows, v: x.scatter(1, rows, -1.0),
    "scatter_add": lambda x, idx, rows, v: x.scatter_add(1, rows, x),
    "scatter_reduce": lambda x, idx, rows, v: x.scatter_reduce(1, rows, x, "amax"),
    "index_select": lambda x, idx, rows, v: x.index_select(0, idx),
    "index_add": lambda x, idx, rows, v: x.index_add(0, idx, v),
    "index_copy": lambda x, idx, rows, v: x.index_copy(0, idx, v),
    "index_fill": lambda x, idx, rows, v: x.index_fill(0, idx, -1.0),
    "take": lambda x, idx, rows, v: x.take(idx),
    "take_along_dim": lambda x, idx, rows, v: x.take_along_dim(rows, 1),
}


@pytest.mark.parametrize("name", sorted(CAPTURED_INDEXING))
def test_indexing_with_device_indices_is_captured(name, strict):
    """Indexing and the gather/scatter/index_* ops read no device index back while a graph captures (their
    range checks are skipped there, as can_sync says); the replayed graph gives the eager result."""
    fn = CAPTURED_INDEXING[name]

    def inputs():
        return (
            ember.arange(12.0, device="cuda").view(3, 4),
            ember.tensor([2, 0], device="cuda"),
            ember.tensor([[1, 0, 2, 3]] * 3, device="cuda"),
            ember.ones(2, 4, device="cuda"),
        )

    expected = fn(*inputs())
    args = inputs()
    with _capturing() as graph:
        out = fn(*args)
    graph.replay()
    assert out.device.type == "cuda"
    np.testing.assert_array_equal(out.cpu().numpy(), expected.cpu().numpy())


def test_matmul_while_capturing_avoids_cublas(cuda_device):
    rng = np.random.default_rng(1)
    shapes = [((3, 4), (4, 5)), ((2, 3, 4), (4, 2)), ((4,), (4, 3)), ((3, 4), (4,)), ((2, 1, 3, 4), (5, 4, 2))]
    pairs = [
        tuple(ember.tensor(rng.standard_normal(s).astype(np.float32), device=cuda_device) for s in shape)
        for shape in shapes
    ]
    with _capturing() as graph:
        products = [a @ b for a, b in pairs]
    for a, _ in pairs:
        a.mul_(2.0)
    graph.replay()
    for (a, b), out in zip(pairs, products):
        np.testing.assert_allclose(out.cpu().numpy(), a.cpu().numpy() @ b.cpu().numpy(), rtol=1e-5, atol=1e-5)


def test_make_graphed_callables_module_and_function(cuda_device):
    model, reference = _step_model().to(cuda_device), _step_model().to(cuda_device)
    sample = ember.randn(5, 4, device=cuda_device, requires_grad=True)
    graphed = ember.cuda.make_graphed_callables(model, (sample,))
    assert graphed is model

    def scaled_tanh(a, b):
        return (a * b).tanh()

    graphed_fn = ember.cuda.make_graphed_callables(
        scaled_tanh, (ember.randn(5, 3, device=cuda_device, requires_grad=True), ember.randn(5, 3, device=cuda_device))
    )
    rng = np.random.default_rng(2)
    for _ in range(3):
        X = rng.standard_normal((5, 4)).astype(np.float32)
        W = rng.standard_normal((5, 3)).astype(np.float32)
        ours_x = ember.tensor(X, device=cuda_device, requires_grad=True)
        ref_x = ember.tensor(X, device=cuda_device, requires_grad=True)
        ours = graphed_fn(model(ours_x), ember.tensor(W, device=cuda_device))
        expected = scaled_tanh(reference(ref_x), ember.tensor(W, device=cuda_device))
        assert_close(ours, expected)
        ours.square().sum().backward()
        expected.square().sum().backward()
        assert_close(ours_x.grad, ref_x.grad, rtol=1e-5, atol=1e-6)
        for p, q in zip(model.parameters(), reference.parameters()):
            assert_close(p.grad, q.grad, rtol=1e-5, atol=1e-6)
    model.eval()  # out of the captured mode: the eager forward runs
    assert_close(model(ours_x), reference(ref_x))
    with pytest.raises(AssertionError, match="sample_args for each callable must contain only Tensors"):
        ember.cuda.make_graphed_callables(scaled_tanh, (ember.ones(2, device=cuda_device), 3.0))


@pytest.mark.parametrize("amsgrad", [False, True])
def test_capturable_adam_in_a_captured_step(cuda_device, amsgrad):
    """Adam(capturable=True) keeps its step count on the device, so a captured step replays as the eager one;
    a non-capturable Adam refuses to be captured, with torch's error."""
    model, reference = _step_model().to(cuda_device), _step_model().to(cuda_device)
    optimizer = ember.optim.Adam(model.parameters(), lr=0.05, amsgrad=amsgrad, capturable=True)
    ref_optimizer = ember.optim.Adam(reference.parameters(), lr=0.05, amsgrad=amsgrad, capturable=True)
    x = ember.randn(5, 4, device=cuda_device)
    y = ember.tensor([0, 1, 2, 1, 0], device=cuda_device)

    def step(net, opt):
        opt.zero_grad(set_to_none=True)
        nn.functional.cross_entropy(net(x), y).backward()
        opt.step()

    step(model, optimizer)  # warm-up: the optimizer state exists before the capture
    step(reference, ref_optimizer)
    assert optimizer.state[model[0].weight]["step"].device.type == "cuda"
    state = [t for p in model.parameters() for t in [p.data] + list(optimizer.state[p].values())]
    saved = [t.clone() for t in state]
    graph = ember.cuda.CUDAGraph()
    optimizer.zero_grad(set_to_none=True)
    with ember.cuda.graph(graph):
        nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()
    for t, s in zip(state, saved):  # a GPU does not run the work while capturing; the strict device does
        t.copy_(s)
    for _ in range(3):
        graph.replay()
        step(reference, ref_optimizer)
    # Adam divides by sqrt(v): the captured matmuls' summation order (no cuBLAS) shows in the last digits
    for p, q in zip(model.parameters(), reference.parameters()):
        np.testing.assert_allclose(p.detach().cpu().numpy(), q.detach().cpu().numpy(), rtol=1e-4, atol=1e-5)
    assert optimizer.state[model[0].weight]["step"].item() == 4
    plain = ember.optim.Adam(reference.parameters())
    with pytest.raises(
        RuntimeError,
        match="^Attempting CUDA graph capture of step\\(\\) for an instance of Adam but "
        "param_groups' capturable is False.",
    ):
        with ember.cuda.graph(ember.cuda.CUDAGraph()):
            plain.step()


def test_capturable_adam_needs_cuda_parameters_as_torch():
    for T in (torch, ember):
        p = T.nn.Parameter(T.ones(3))
        p.grad = T.ones(3)
        with pytest.raises(
            AssertionError, match="If capturable=True, params and state_steps must be on supported devices"
        ):
            T.optim.Adam([p], capturable=True).step()


def test_to_the_current_cuda_device_is_a_no_op(strict):
    t = ember.ones(2, device="cuda")
    assert t.to("cuda") is t and t.cuda() is t and t.to("cuda:0") is t
    assert t.to("cuda", copy=True) is not t and t.to("cuda:1").device == ember.device("cuda", 1)
