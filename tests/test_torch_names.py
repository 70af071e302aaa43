"""The small torch names programs reach for, compared with real torch on this (GPU-less) machine."""

import pickle
import warnings

import numpy as np
import pytest
import torch

import ember

FLOATS = ["float16", "bfloat16", "float32", "float64"]
INTS = ["uint8", "int8", "int16", "int32", "int64"]


@pytest.mark.parametrize("name", FLOATS)
def test_finfo_matches_torch(name):
    if name == "bfloat16":
        pytest.importorskip("ml_dtypes")
    mine, theirs = ember.finfo(getattr(ember, name)), torch.finfo(getattr(torch, name))
    for attr in ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution", "dtype"):
        assert getattr(mine, attr) == getattr(theirs, attr), attr
    assert repr(mine) == repr(theirs)


def test_finfo_default_dtype_and_errors():
    assert repr(ember.finfo()) == repr(torch.finfo())
    for lib in (ember, torch):
        with pytest.raises(TypeError, match=r"torch.finfo\(\) requires a floating point input type"):
            lib.finfo(lib.int32)
        with pytest.raises(TypeError, match=r"torch.iinfo\(\) requires an integer input type"):
            lib.iinfo(lib.float32)
        with pytest.raises(TypeError, match="torch.bool is not supported by torch.iinfo"):
            lib.iinfo(lib.bool)


@pytest.mark.parametrize("name", INTS)
def test_iinfo_matches_torch(name):
    mine, theirs = ember.iinfo(getattr(ember, name)), torch.iinfo(getattr(torch, name))
    assert (mine.bits, mine.max, mine.min, mine.dtype) == (theirs.bits, theirs.max, theirs.min, theirs.dtype)
    assert repr(mine) == repr(theirs)


def _assert_close_outcome(lib, actual, expected, **kwargs):
    try:
        lib.testing.assert_close(actual(lib), expected(lib), **kwargs)
    except Exception as e:  # noqa: BLE001 -- the type and text are what is compared
        return type(e).__name__, str(e)
    return "ok", ""


CLOSE_CASES = [
    (lambda T: T.tensor([1.0, 2.0, 3.0]), lambda T: T.tensor([1.0, 2.5, 3.0]), {}),
    (lambda T: T.tensor([1.0, 2.0, 3.0]), lambda T: T.tensor([1.0, 2.0, 3.0]), {}),
    (lambda T: T.tensor([[1.0, 2.0], [3.0, 4.0]]), lambda T: T.tensor([[1.0, 2.0], [3.0, 4.1]]), {}),
    (lambda T: T.tensor([1.0, 2.0]), lambda T: T.tensor([1.0, 2.0, 3.0]), {}),
    (lambda T: T.tensor([1.0, 2.0]), lambda T: T.tensor([1.0, 2.0], dtype=T.float64), {}),
    (lambda T: T.tensor([1.0, 2.0]), lambda T: T.tensor([1.0, 2.0], dtype=T.float64), {"check_dtype": False}),
    (lambda T: 1.0, lambda T: 1.5, {}),
    (lambda T: 1, lambda T: 2, {}),
    (lambda T: T.tensor([1, 2]), lambda T: T.tensor([1, 3]), {}),
    (lambda T: [T.tensor(1.0)], lambda T: [T.tensor(2.0)], {}),
    (lambda T: {"a": T.tensor(1.0)}, lambda T: {"a": T.tensor(2.0)}, {}),
    (lambda T: T.tensor([float("nan")]), lambda T: T.tensor([float("nan")]), {}),
    (lambda T: T.tensor([float("nan")]), lambda T: T.tensor([float("nan")]), {"equal_nan": True}),
    (lambda T: T.tensor([1.0, 2.0]), lambda T: T.tensor([1.0, 2.1]), {"msg": "custom"}),
    (lambda T: T.tensor([1.0, 2.0]), lambda T: T.tensor([1.0, 2.1]), {"rtol": 0.1, "atol": 0}),
    (lambda T: T.tensor([1.0, 2.0]), lambda T: T.tensor([1.0, 2.1]), {"rtol": 0.1}),
    (lambda T: T.tensor([True, False]), lambda T: T.tensor([True, True]), {}),
    (lambda T: T.tensor([0.0, 2.0]), lambda T: T.tensor([1e-9, 2.0]), {}),
    (lambda T: T.tensor([0.0, 2.0]), lambda T: T.tensor([1.0, 2.0]), {}),
    (lambda T: np.array([1.0, 2.0]), lambda T: np.array([1.0, 2.5]), {}),
    (lambda T: T.tensor([1.0, 2.0], requires_grad=True), lambda T: T.tensor([1.0, 2.0]), {}),
    (lambda T: T.ones(2, 3), lambda T: T.ones(2, 3) * 1.1, {}),
    (lambda T: T.tensor([1.0, 2.0]), lambda T: T.tensor([1.0, 2.0]) + 1e-6, {}),
    (lambda T: T.tensor([1.0, 2.0], dtype=T.float16), lambda T: T.tensor([1.0, 2.01], dtype=T.float16), {}),
    (lambda T: [T.tensor(1.0), T.tensor(2.0)], lambda T: [T.tensor(1.0)], {}),
]


@pytest.mark.parametrize("case", range(len(CLOSE_CASES)))
def test_assert_close_matches_torch(case):
    actual, expected, kwargs = CLOSE_CASES[case]
    assert _assert_close_outcome(ember, actual, expected, **kwargs) == _assert_close_outcome(
        torch, actual, expected, **kwargs
    )


def test_assert_close_type_mismatch_is_type_error():
    with pytest.raises(TypeError, match="No comparison pair was able to handle inputs of type"):
        ember.testing.assert_close(ember.tensor([1.0]), [1.0])


@pytest.mark.parametrize("indexing", ["ij", "xy"])
@pytest.mark.parametrize("sizes", [(3,), (3, 2), (3, 2, 4), (0, 2)])
def test_meshgrid_values_and_gradients_match_torch(indexing, sizes):
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(n) for n in sizes]
    results = []
    for lib in (ember, torch):
        inputs = [lib.tensor(a, requires_grad=True) for a in arrays]
        grids = lib.meshgrid(*inputs, indexing=indexing)
        weights = [lib.full(tuple(g.shape), k + 1.0, dtype=lib.float64) for k, g in enumerate(grids)]
        sum(((g * w).sum() for g, w in zip(grids, weights)), lib.tensor(0.0, dtype=lib.float64)).backward()
        results.append(([g.detach().numpy().copy() for g in grids], [x.grad.numpy().copy() for x in inputs]))
    (mine, my_grads), (theirs, their_grads) = results
    assert [g.shape for g in mine] == [g.shape for g in theirs]
    for a, b in zip(mine + my_grads, theirs + their_grads):
        np.testing.assert_allclose(a, b)


def test_meshgrid_forms_warning_and_errors():
    x, y = ember.arange(3.0), ember.arange(2.0)
    with pytest.warns(UserWarning, match="it will be required to pass the indexing argument"):
        a, b = ember.meshgrid([x, y])
    assert a.shape == (3, 2) and ember.meshgrid(ember.tensor(1.0), x, indexing="ij")[0].shape == (1, 3)
    with pytest.raises(RuntimeError, match='indexing must be one of "xy" or "ij", but received: q'):
        ember.meshgrid(x, y, indexing="q")
    with pytest.raises(RuntimeError, match="meshgrid expects all tensors to have the same dtype"):
        ember.meshgrid(x, y.double(), indexing="ij")
    with pytest.raises(RuntimeError, match="Expected 0D or 1D tensor in the tensor list"):
        ember.meshgrid(x.reshape(3, 1), y, indexing="ij")
    with pytest.raises(RuntimeError, match="meshgrid expects a non-empty TensorList"):
        ember.meshgrid(indexing="ij")


def test_tensor_device_kind_properties_match_torch():
    t, e = torch.zeros(1), ember.zeros(1)
    props = [n for n in dir(t) if n.startswith("is_") and not callable(getattr(t, n)) and n != "is_leaf"]
    assert props and {n: getattr(e, n) for n in props} == {n: getattr(t, n) for n in props}


def test_tensor_new_matches_torch():
    for lib in (ember, torch):
        x = lib.zeros(2, dtype=lib.float64)
        assert x.new((2, 3)).tolist() == [2.0, 3.0] and x.new([1, 2]).dtype is lib.float64
        assert tuple(x.new(x.new(2, 3).shape).shape) == (2, 3) and tuple(x.new().shape) == (0,)
        assert x.new(4).dtype is lib.float64 and tuple(x.new(4).shape) == (4,)


def test_resize_matches_torch():
    outs = []
    for lib in (ember, torch):
        y = lib.arange(6.0).reshape(2, 3)
        first = y.resize_(4).tolist()
        second = y.resize_(2, 2).tolist()
        z = lib.arange(3.0)
        grown = tuple(z.resize_(5).shape), z[:3].tolist()
        like = tuple(lib.zeros(3).resize_as_(lib.zeros(2, 2)).shape)
        with pytest.raises(RuntimeError, match="cannot resize variables that require grad"):
            lib.ones(2, requires_grad=True).resize_(3)
        outs.append((first, second, grown, like))
    assert outs[0] == outs[1]


def test_backends_and_accelerator_report_this_machine_as_torch_does():
    if ember.cuda.is_available():
        pytest.skip("this machine has a GPU ember can use; torch here is a CPU build")
    pairs = [
        (ember.accelerator.is_available(), torch.accelerator.is_available()),
        (ember.accelerator.current_accelerator(), torch.accelerator.current_accelerator()),
        (ember.accelerator.device_count(), torch.accelerator.device_count()),
        (ember.backends.mps.is_available(), torch.backends.mps.is_available()),
        (ember.backends.cudnn.is_available(), torch.backends.cudnn.is_available()),
        (ember.backends.cudnn.version(), torch.backends.cudnn.version()),
        (ember.backends.cuda.is_built(), torch.backends.cuda.is_built()),
        (ember.cuda.is_bf16_supported(), torch.cuda.is_bf16_supported()),
        (ember.cuda.memory_reserved(), torch.cuda.memory_reserved()),
        (ember.cuda.is_initialized(), torch.cuda.is_initialized()),
        (ember.cpu.is_available(), torch.cpu.is_available()),
        (ember.cpu.device_count(), torch.cpu.device_count()),
    ]
    for mine, theirs in pairs:
        assert mine == theirs
    for flag in ("enabled", "benchmark", "deterministic", "allow_tf32"):
        assert getattr(ember.backends.cudnn, flag) == getattr(torch.backends.cudnn, flag), flag
    assert ember.backends.cuda.matmul.allow_tf32 == torch.backends.cuda.matmul.allow_tf32


def test_backend_flags_keep_what_programs_set():
    cudnn = ember.backends.cudnn
    saved = cudnn.benchmark, cudnn.deterministic
    try:
        cudnn.benchmark, cudnn.deterministic = True, True
        assert cudnn.benchmark and cudnn.deterministic
    finally:
        cudnn.benchmark, cudnn.deterministic = saved
    with ember.backends.cuda.sdp_kernel(enable_flash=False):
        assert not ember.backends.cuda.flash_sdp_enabled()
    assert ember.backends.cuda.flash_sdp_enabled()


def test_deterministic_and_matmul_precision_flags_match_torch():
    for lib in (ember, torch):
        try:
            assert lib.are_deterministic_algorithms_enabled() is False
            lib.use_deterministic_algorithms(True, warn_only=True)
            assert lib.are_deterministic_algorithms_enabled() and lib.is_deterministic_algorithms_warn_only_enabled()
            assert lib.get_deterministic_debug_mode() == 1
            lib.set_deterministic_debug_mode("error")
            assert lib.get_deterministic_debug_mode() == 2
            with pytest.raises(TypeError, match="argument 'mode' \\(position 1\\) must be bool, not int"):
                lib.use_deterministic_algorithms(1)
            with pytest.raises(RuntimeError, match="invalid value of debug_mode"):
                lib.set_deterministic_debug_mode("x")
        finally:
            lib.use_deterministic_algorithms(False)
        assert lib.get_float32_matmul_precision() == "highest"
        lib.set_float32_matmul_precision("high")
        assert lib.get_float32_matmul_precision() == "high"
        lib.set_float32_matmul_precision("highest")


def test_default_device():
    assert ember.get_default_device() == ember.device("cpu") and str(torch.get_default_device()) == "cpu"
    ember.set_default_device("cpu")
    try:
        assert ember.zeros(2).device == ember.device("cpu") and ember.get_default_device() == ember.device("cpu")
        if not ember.cuda.is_available():
            ember.set_default_device("cuda")
            for make in (
                lambda: ember.zeros(2),
                lambda: ember.tensor([1.0]),
                lambda: ember.randn(2),
                lambda: ember.arange(3),
            ):
                with pytest.raises(RuntimeError, match="Torch not compiled with CUDA enabled"):
                    make()
            assert ember.from_numpy(np.zeros(2)).device.type == "cpu"  # torch's from_numpy ignores it too
    finally:
        ember.set_default_device(None)
    assert ember.zeros(1).device.type == "cpu"


def test_legacy_cuda_types_and_isinstance():
    assert isinstance(ember.zeros(2), ember.FloatTensor) == isinstance(torch.zeros(2), torch.FloatTensor)
    assert not isinstance(ember.zeros(2, dtype=ember.int64), ember.FloatTensor)
    assert isinstance(ember.zeros(2, dtype=ember.int64), ember.LongTensor)
    assert isinstance(ember.zeros(2), ember.cuda.FloatTensor) == isinstance(torch.zeros(2), torch.cuda.FloatTensor)
    assert ember.zeros(2).type(ember.LongTensor).dtype is ember.int64
    if not ember.cuda.is_available():
        for lib in (ember, torch):
            with pytest.raises(TypeError, match="type torch.cuda.FloatTensor not available. Torch not compiled"):
                lib.cuda.FloatTensor(2)


@pytest.mark.parametrize(
    "spelling", ["cuda.amp.GradScaler", "cuda.amp.autocast", "cpu.amp.autocast", "cpu.amp.GradScaler"]
)
def test_legacy_amp_spellings_warn_as_torch(spelling):
    if spelling == "cpu.amp.autocast":  # bfloat16, the CPU's autocast dtype
        pytest.importorskip("ml_dtypes")

    def messages(lib):
        obj = lib
        for part in spelling.split("."):
            obj = getattr(obj, part)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            made = obj()
            if hasattr(made, "__enter__"):
                with made:
                    pass
        return [str(w.message) for w in caught if w.category is FutureWarning]

    assert messages(ember) == messages(torch) and len(messages(ember)) == 1


def test_cpu_amp_autocast_runs_matmuls_in_bfloat16_as_torch():
    pytest.importorskip("ml_dtypes")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        with ember.cpu.amp.autocast():
            y = ember.ones(2, 2) @ ember.ones(2, 2)
        with torch.cpu.amp.autocast():
            z = torch.ones(2, 2) @ torch.ones(2, 2)
    assert y.dtype.name == str(z.dtype).replace("torch.", "")


def test_jit_script_and_trace_give_the_same_results():
    net = ember.nn.Sequential(ember.nn.Linear(3, 2), ember.nn.ReLU())
    x = ember.randn(4, 3)
    assert ember.equal(ember.jit.script(net)(x), net(x))
    assert ember.equal(ember.jit.trace(net, x)(x), net(x))
    assert ember.jit.trace(lambda a, b: a + b, (x, x))(x, x).equal(x + x)

    @ember.jit.script
    def f(a):
        return a * 2

    assert f(x).equal(x * 2) and not ember.jit.is_scripting()
    assert ember.jit.fork(f, x).wait().equal(x * 2) and ember.jit.annotate(int, 3) == 3
    for name in ("save", "load"):
        with pytest.raises(NotImplementedError, match=f"torch.jit.{name}: ember has no TorchScript"):
            getattr(ember.jit, name)(net, "m.pt")


class _Config:
    def __init__(self, lr):
        self.lr = lr


def test_safe_globals_let_weights_only_load_rebuild_allowed_classes(tmp_path):
    path = tmp_path / "c.pt"
    ember.save({"cfg": _Config(0.5), "w": ember.ones(2)}, path)
    with pytest.raises(pickle.UnpicklingError, match=r"add_safe_globals\(\[_Config\]\)"):
        ember.load(path)
    with ember.serialization.safe_globals([_Config]):
        assert ember.serialization.get_safe_globals() == [_Config]
        assert ember.load(path)["cfg"].lr == 0.5
    assert ember.serialization.get_safe_globals() == []
    ember.serialization.add_safe_globals([(_Config, f"{__name__}._Config")])
    try:
        assert ember.load(path)["cfg"].lr == 0.5
        with torch.serialization.safe_globals([_Config]):  # the same file reads in torch with the same call
            assert torch.load(path)["cfg"].lr == 0.5
    finally:
        ember.serialization.clear_safe_globals()
    with pytest.raises(pickle.UnpicklingError):
        ember.load(path)
