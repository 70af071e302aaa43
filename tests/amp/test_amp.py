"""ember.autocast and ember.amp.GradScaler against torch's CPU autocast and torch.amp.GradScaler."""

import inspect

import numpy as np
import pytest

import ember
from ember import nn
from oracle import check

torch = pytest.importorskip("torch")
pytest.importorskip("ml_dtypes")
LOW = ["float16", "bfloat16"]


def _autocast(T, name):
    return T.autocast("cpu", dtype=getattr(T, name))


# --- which dtype each op produces under autocast ---------------------------------------------------------------


def _ops(T, x, w, b, img, kernel, h, target):
    F = T.nn.functional
    ops = {
        "matmul": T.matmul(x, w.t()),
        "@": x @ w.t(),
        "mm": T.mm(x, w.t()),
        "bmm": T.bmm(x[None], w.t()[None]),
        "addmm": T.addmm(b, x, w.t()),
        "baddbmm": T.baddbmm(b[None, None], x[None], w.t()[None]),
        "addbmm": T.addbmm(b[None], x[None], w.t()[None]),
        "linear": F.linear(x, w, b),
        "nn.Linear": T.nn.Linear(5, 3)(x),
        "conv1d": F.conv1d(img[:, :, 0], kernel[:, :, 0]),
        "conv2d": F.conv2d(img, kernel, b[:2].repeat(2)),
        "conv_transpose2d": F.conv_transpose2d(img, kernel.transpose(0, 1)),
        "mv (not on the list)": T.mv(x, w[0]),
        "dot (not on the list)": T.dot(x[0], w[0]),
        "float64 matmul": x.double() @ w.double().t(),
        "softmax float32": F.softmax(x, 1),
        "softmax low": F.softmax(h, 1),
        "log_softmax low": F.log_softmax(h, 1),
        "layer_norm low": F.layer_norm(h, (5,)),
        "batch_norm low": F.batch_norm(h, None, None, training=True),
        "relu low": F.relu(h),
        "low + float32": h + x,
        "sum low": h.sum(),
        "cross_entropy": F.cross_entropy(h[:, :3], target),
        "nll_loss": F.nll_loss(h[:, :3], target),
        "mse_loss": F.mse_loss(h, x),
        "l1_loss": F.l1_loss(h, h),
        "smooth_l1_loss": F.smooth_l1_loss(h, h),
        "huber_loss": F.huber_loss(h, h),
        "kl_div": F.kl_div(h, h, reduction="batchmean"),
        "binary_cross_entropy": F.binary_cross_entropy(T.sigmoid(h), T.sigmoid(h)),
        "bce_with_logits": F.binary_cross_entropy_with_logits(h, T.sigmoid(h), pos_weight=T.ones(5)),
        "poisson_nll_loss": F.poisson_nll_loss(h, h.abs()),
        "margin_ranking_loss": F.margin_ranking_loss(h[:, 0], h[:, 1], T.ones(4)),
        "hinge_embedding_loss": F.hinge_embedding_loss(h, T.ones(4, 5)),
        "soft_margin_loss": F.soft_margin_loss(h, T.ones(4, 5)),
        "cosine_embedding_loss": F.cosine_embedding_loss(h, h, T.ones(4)),
        "triplet_margin_loss": F.triplet_margin_loss(h, h + 1, h - 1),
    }
    if h.dtype == T.float16:  # bfloat16 arithmetic loses its dtype in ember: test_bfloat16_elementwise_keeps_dtype
        ops["gaussian_nll_loss (not on the list)"] = F.gaussian_nll_loss(h, h, h.abs() + 1)
    return ops


@pytest.mark.parametrize("name", LOW)
def test_autocast_output_dtypes_match_torch(name):
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s).astype(np.float32) for s in [(4, 5), (3, 5), (3,), (2, 3, 6, 6), (4, 3, 3, 3)]]
    results = {}
    for T in (torch, ember):
        T.manual_seed(0)
        x, w, b, img, kernel = (T.tensor(a) for a in arrays)
        h = x.to(getattr(T, name))
        with _autocast(T, name):
            results[T] = {k: str(v.dtype) for k, v in _ops(T, x, w, b, img, kernel, h, T.tensor([0, 1, 2, 0])).items()}
    assert results[ember] == results[torch]
    assert results[ember]["linear"] == f"torch.{name}" and results[ember]["cross_entropy"] == "torch.float32"


@pytest.mark.parametrize("name", LOW)
def test_autocast_values_and_gradients_match_torch(name):
    """Forward in low precision (compared in float32, within one low-precision rounding) and float32 input
    gradients, through linear, conv2d and a loss."""
    # bfloat16: torch's CPU conv weight gradient rounds partial sums (ember's rounds once, and is the closer
    # to float64), so entries agree to one bfloat16 ulp of the gradient's largest entries (|g| < 16 here)
    tol = dict(rtol=2e-3, atol=2e-3) if name == "float16" else dict(rtol=1.6e-2, atol=6.25e-2)

    def net(T, x, w, b, img, kernel, target):
        with _autocast(T, name):
            y = T.nn.functional.linear(x, w, b)
            z = T.nn.functional.conv2d(img, kernel, padding=1)
            loss = T.nn.functional.mse_loss(y, target)
        return y.float(), z.float(), loss

    check(net, [(6, 5), (3, 5), (3,), (2, 3, 5, 5), (4, 3, 3, 3), (6, 3)], rtol=tol["rtol"], atol=tol["atol"])


def test_bfloat16_elementwise_keeps_dtype():
    h = ember.randn(3).bfloat16()
    assert [str(t.dtype) for t in (h.log(), h.exp(), h.sigmoid(), 0.5 * h, h.mean())] == ["torch.bfloat16"] * 5


def test_autocast_leaves_float64_and_other_devices_and_nests():
    x = ember.randn(3, 3)
    with ember.autocast("cpu", dtype=ember.float16):
        assert (x.double() @ x.double()).dtype is ember.float64
        assert ember.amp.is_autocast_enabled("cpu") and not ember.amp.is_autocast_enabled()
        assert ember.amp.get_autocast_dtype("cpu") is ember.float16
        with ember.autocast("cpu", enabled=False):
            assert (x @ x).dtype is ember.float32
            assert not ember.amp.is_autocast_enabled("cpu")
        with ember.autocast("cpu", dtype=ember.bfloat16):
            assert (x @ x).dtype is ember.bfloat16
        assert (x @ x).dtype is ember.float16
    with ember.autocast("cuda", dtype=ember.float16):  # a CUDA region does not touch CPU tensors
        assert (x @ x).dtype is ember.float32
    assert (x @ x).dtype is ember.float32 and not ember.amp.is_autocast_enabled("cpu")
    assert ember.amp.get_autocast_dtype("cpu") is ember.bfloat16 and torch.get_autocast_dtype("cpu") is torch.bfloat16
    assert ember.amp.get_autocast_dtype("cuda") is ember.float16

    @ember.autocast("cpu", dtype=ember.float16)
    def product(a):
        return a @ a

    assert product(x).dtype is ember.float16


def test_autocast_errors():
    with pytest.raises(RuntimeError, match="float16 or torch.bfloat16"):
        ember.autocast("cpu", dtype=ember.float64)
    with pytest.raises(RuntimeError, match="unsupported autocast device_type 'mps'"):
        ember.autocast("mps")


def test_bfloat16_without_ml_dtypes_is_a_clear_error(monkeypatch):
    from ember import _dtype

    monkeypatch.setattr(_dtype, "bfloat16", None)
    with pytest.raises(RuntimeError, match="needs the ml_dtypes package"):
        ember.autocast("cpu")
    assert ember.autocast("cpu", dtype=ember.float16).fast_dtype is ember.float16


def test_custom_fwd_casts_inputs_and_disables_autocast():
    @ember.amp.custom_fwd(device_type="cpu", cast_inputs=ember.float32)
    def forward(a, b):
        return a @ b, ember.amp.is_autocast_enabled("cpu")

    a = ember.randn(2, 2).half()
    with ember.autocast("cpu", dtype=ember.float16):
        out, enabled = forward(a, a)
    assert out.dtype is ember.float32 and not enabled
    assert forward(a, a)[0].dtype is ember.float16  # outside autocast: untouched


# --- low-precision matmul on NumPy ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", LOW)
def test_low_precision_matmul_is_float32_accumulation_rounded_once(name):
    rng = np.random.default_rng(0)
    a = ember.tensor(rng.standard_normal((33, 70)).astype(np.float32)).to(getattr(ember, name))
    b = ember.tensor(rng.standard_normal((70, 17)).astype(np.float32)).to(getattr(ember, name))
    expected = (a.float().numpy() @ b.float().numpy()).astype(a.numpy().dtype)
    for product in (a @ b, ember.bmm(a[None], b[None])[0], ember.nn.functional.linear(a, b.t())):
        assert product.dtype is a.dtype
        np.testing.assert_array_equal(product.numpy(), expected)


def test_float16_matmul_runs_in_float32_blas(monkeypatch):
    """NumPy's own float16 matmul is a scalar loop (~100x slower than BLAS): ember's half-precision products
    hand NumPy float32 operands (its BLAS path) and round once. Checked by what reaches np.matmul, not by a
    timing (speed lives in bench/)."""
    a = ember.from_numpy(np.random.default_rng(0).standard_normal((8, 8)).astype(np.float16))
    seen, matmul = [], np.matmul

    def recording(x, y, *args, **kwargs):
        seen.append((x.dtype, y.dtype))
        return matmul(x, y, *args, **kwargs)

    monkeypatch.setattr(np, "matmul", recording)
    for product in (a @ a, ember.bmm(a[None], a[None]), ember.nn.functional.linear(a, a)):
        assert product.dtype is ember.float16
    assert seen and all(pair == (np.float32, np.float32) for pair in seen), seen


# --- training --------------------------------------------------------------------------------------------------


def _digits():
    datasets = pytest.importorskip("sklearn.datasets")
    x, y = datasets.load_digits(return_X_y=True)
    x = (x / 16.0).astype(np.float32)
    order = np.random.default_rng(0).permutation(len(x))
    x, y = x[order], y[order]
    return (ember.tensor(x[:1400]), ember.tensor(y[:1400])), (ember.tensor(x[1400:]), ember.tensor(y[1400:]))


def _train_digits(dtype=None, epochs=6):
    (x, y), (x_test, y_test) = _digits()
    ember.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))
    optimizer = ember.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    scaler = ember.amp.GradScaler("cpu", enabled=dtype is not None)
    loss_fn = nn.CrossEntropyLoss()
    for _ in range(epochs):
        for i in range(0, len(x), 64):
            optimizer.zero_grad()
            with ember.autocast("cpu", dtype=dtype or ember.float16, enabled=dtype is not None):
                logits = model(x[i : i + 64])
                loss = loss_fn(logits, y[i : i + 64])
            assert logits.dtype is (dtype or ember.float32) and loss.dtype is ember.float32
            scaler.scale(loss).backward()
            assert all(p.grad.dtype is ember.float32 for p in model.parameters())
            scaler.step(optimizer)
            scaler.update()
    with ember.no_grad():
        return (model(x_test).argmax(1) == y_test).float().mean().item(), scaler


@pytest.fixture(scope="module")
def float32_digits_accuracy():
    return _train_digits()[0]


@pytest.mark.parametrize("name", LOW)
def test_mlp_trains_on_digits_under_autocast_as_well_as_in_float32(name, float32_digits_accuracy):
    reference = float32_digits_accuracy
    accuracy, scaler = _train_digits(getattr(ember, name))
    assert reference > 0.9
    assert abs(accuracy - reference) <= 0.01, (accuracy, reference)
    assert scaler.get_scale() == 2.0**16  # no overflow in 132 steps: the scale never backed off


# --- GradScaler -------------------------------------------------------------------------------------------------


def test_grad_scaler_defaults_equal_torch():
    ours, theirs = ember.amp.GradScaler("cpu"), torch.amp.GradScaler("cpu")
    assert (
        inspect.signature(ember.amp.GradScaler.__init__).parameters.keys()
        == inspect.signature(torch.amp.GradScaler.__init__).parameters.keys()
    )
    for p_ours, p_theirs in zip(
        inspect.signature(ember.amp.GradScaler.__init__).parameters.values(),
        inspect.signature(torch.amp.GradScaler.__init__).parameters.values(),
    ):
        assert p_ours.default == p_theirs.default, p_ours.name
    for attr in (
        "_init_scale",
        "_growth_factor",
        "_backoff_factor",
        "_growth_interval",
        "_init_growth_tracker",
        "_enabled",
        "_device",
    ):
        assert getattr(ours, attr) == getattr(theirs, attr), attr
    for getter in (
        "get_scale",
        "get_growth_factor",
        "get_backoff_factor",
        "get_growth_interval",
        "is_enabled",
        "state_dict",
    ):
        assert getattr(ours, getter)() == getattr(theirs, getter)(), getter


def _step_both(scalers, poison):
    """One iteration on an ember and a torch scaler with the same parameter and gradient."""
    seen = []
    for T, scaler in scalers:
        p = T.nn.Parameter(T.ones(3))
        optimizer = T.optim.SGD([p], lr=1.0)
        scaler.scale(T.ones(1))
        p.grad = T.tensor([1.0, poison, 2.0]) * scaler.get_scale()
        scaler.step(optimizer)
        scaler.update()
        seen.append((p.tolist(), scaler.get_scale(), scaler.state_dict()))
    return seen


def test_grad_scaler_backoff_skip_and_growth_follow_torch():
    kwargs = dict(init_scale=8.0, growth_interval=3)
    scalers = [(ember, ember.amp.GradScaler("cpu", **kwargs)), (torch, torch.amp.GradScaler("cpu", **kwargs))]
    history = []
    for poison in [0.0, float("inf"), 0.0, 0.0, 0.0, float("nan"), 0.0, 0.0, 0.0, 0.0, float("-inf")]:
        ours, theirs = _step_both(scalers, poison)
        assert ours == theirs
        history.append(ours[:2])
    assert history[1] == ([1.0, 1.0, 1.0], 4.0)  # inf: step skipped, scale halved
    assert history[0][0] == [0.0, 1.0, -1.0]  # a clean step: p - grad / scale
    assert [scale for _, scale in history] == [8, 4, 4, 4, 8, 4, 4, 4, 8, 8, 4]


def test_grad_scaler_stage_errors_match_torch():
    for T in (ember, torch):
        scaler = T.amp.GradScaler("cpu")
        p = T.nn.Parameter(T.ones(2))
        optimizer = T.optim.SGD([p], lr=1.0)
        with pytest.raises(AssertionError, match="_scale is None"):
            scaler.update()
        scaler.scale(T.ones(1))
        p.grad = T.ones(2)
        scaler.unscale_(optimizer)
        with pytest.raises(RuntimeError, match=r"unscale_\(\) has already been called on this optimizer"):
            scaler.unscale_(optimizer)
        scaler.step(optimizer)
        with pytest.raises(RuntimeError, match=r"step\(\) has already been called since the last update"):
            scaler.step(optimizer)
        with pytest.raises(RuntimeError, match=r"unscale_\(\) is being called after step"):
            scaler.unscale_(optimizer)
        scaler.update()
        with pytest.raises(AssertionError, match="No inf checks were recorded"):
            scaler.update()
        with pytest.raises(RuntimeError, match="Closure use is not currently supported"):
            scaler.step(optimizer, closure=lambda: 0)
        with pytest.raises(ValueError, match="outputs must be a Tensor or an iterable of Tensors"):
            scaler.scale(3.0)


def test_grad_scaler_scale_keeps_structure_and_dtype_and_state_dict_round_trips():
    scaler = ember.amp.GradScaler("cpu", init_scale=4.0)
    a, (b,) = scaler.scale([ember.ones(1), (ember.ones(1, dtype=ember.float16),)])
    assert a.tolist() == [4.0] and b.dtype is ember.float16
    restored = ember.amp.GradScaler("cpu")
    restored.load_state_dict(scaler.state_dict())
    assert (
        restored.state_dict()
        == scaler.state_dict()
        == {"scale": 4.0, "growth_factor": 2.0, "backoff_factor": 0.5, "growth_interval": 2000, "_growth_tracker": 0}
    )


def test_disabled_grad_scaler_is_transparent():
    with pytest.warns(UserWarning, match="CUDA is not available.  Disabling."):
        scaler = ember.amp.GradScaler()  # device='cuda' and no GPU here
    if ember.cuda.is_available():
        pytest.skip("a GPU is present")
    assert not scaler.is_enabled() and scaler.get_scale() == 1.0 and scaler.state_dict() == {}
    loss = ember.ones(1)
    assert scaler.scale(loss) is loss
