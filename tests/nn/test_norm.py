"""Normalisation layers against the torch oracle: functional forms, modules (running stats, modes,
state_dict, repr, errors), and float64 gradcheck/gradgradcheck of the fused batch/layer/group norm backward."""

import collections

import numpy as np
import pytest

import ember
from ember.autograd import gradcheck, gradgradcheck
from oracle import assert_close, check, on_devices, torch

pytestmark = pytest.mark.usefixtures("kernel_path")  # NumPy and compiled kernels (conftest)


def F(T):
    return T.nn.functional


DTYPES = pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])


# --- functional ----------------------------------------------------------------------------------

FUNCTIONAL = {
    "batch_norm_train_3d": (lambda T, x, w, b: F(T).batch_norm(x, None, None, w, b, True), [(4, 3, 5), (3,), (3,)]),
    "batch_norm_train_4d": (
        lambda T, x, w, b: F(T).batch_norm(x, None, None, w, b, True, 0.1, 1e-3),
        [(2, 3, 4, 2), (3,), (3,)],
    ),
    "batch_norm_train_2d_no_affine": (lambda T, x: F(T).batch_norm(x, None, None, training=True), [(5, 4)]),
    "batch_norm_eval": (
        lambda T, x, w, b, m, v: F(T).batch_norm(x, m.detach(), v.detach().abs() + 0.5, w, b),
        [(4, 3, 2, 2), (3,), (3,), (3,), (3,)],
    ),
    "layer_norm_1": (lambda T, x, w, b: F(T).layer_norm(x, (5,), w, b), [(2, 3, 5), (5,), (5,)]),
    "layer_norm_2": (lambda T, x, w, b: F(T).layer_norm(x, (4, 5), w, b, 1e-3), [(2, 3, 4, 5), (4, 5), (4, 5)]),
    "layer_norm_no_affine": (lambda T, x: F(T).layer_norm(x, [6]), [(3, 6)]),
    "group_norm": (lambda T, x, w, b: F(T).group_norm(x, 2, w, b), [(2, 6, 5), (6,), (6,)]),
    "group_norm_4d": (lambda T, x, w, b: F(T).group_norm(x, 3, w, b), [(2, 6, 3, 2), (6,), (6,)]),
    "instance_norm": (lambda T, x, w, b: F(T).instance_norm(x, None, None, w, b), [(2, 4, 5), (4,), (4,)]),
    "instance_norm_4d": (lambda T, x: F(T).instance_norm(x), [(2, 3, 4, 3)]),
    "rms_norm": (lambda T, x, w: F(T).rms_norm(x, (5,), w), [(2, 6, 5), (5,)]),
    "rms_norm_eps": (lambda T, x: F(T).rms_norm(x, (3, 4), eps=1e-3), [(2, 3, 4)]),
    "local_response_norm_3d": (lambda T, x: F(T).local_response_norm(x, 3), [(2, 6, 5)]),
    "local_response_norm_4d": (lambda T, x: F(T).local_response_norm(x, 4, 1e-2, 0.5, 2.0), [(2, 6, 5, 3)]),
}


@on_devices
@DTYPES
@pytest.mark.parametrize("name", FUNCTIONAL)
def test_functional_matches_torch(name, dtype):
    fn, shapes = FUNCTIONAL[name]
    check(fn, shapes, dtype=dtype)


def test_batch_norm_updates_running_stats_like_torch():
    x = np.random.default_rng(0).standard_normal((6, 3, 4)).astype(np.float32)
    stats = {}
    for T in (torch, ember):
        mean, var = T.zeros(3), T.ones(3)
        F(T).batch_norm(T.tensor(x), mean, var, training=True, momentum=0.3)
        stats[T] = (mean, var)
    for ours, theirs in zip(stats[ember], stats[torch]):
        assert_close(ours, theirs)


def test_batch_norm_errors():
    with pytest.raises(
        ValueError,
        match=r"Expected more than 1 value per channel when training, got input size "
        r"torch.Size\(\[1, 3\]\)",
    ):
        F(ember).batch_norm(ember.ones(1, 3), None, None, training=True)
    with pytest.raises(RuntimeError, match="running_mean should contain 3 elements"):
        F(ember).batch_norm(ember.ones(2, 3), ember.zeros(4), ember.ones(3))
    with pytest.raises(RuntimeError, match=r"normalized_shape=\[4\], expected input with shape \[\*, 4\]"):
        F(ember).layer_norm(ember.ones(2, 3), (4,))
    with pytest.raises(RuntimeError, match="divisible by num_groups"):
        F(ember).group_norm(ember.ones(2, 6, 3), 4)
    with pytest.raises(ValueError, match="Expected 3D or higher"):
        F(ember).local_response_norm(ember.ones(2, 6), 3)


# --- fused backward: float64 gradcheck and double backward --------------------------------------


def _f64(*shape, seed=0):
    return ember.tensor(np.random.default_rng(seed).standard_normal(shape), requires_grad=True)


def test_batch_norm_gradcheck_and_gradgradcheck():
    x, w = _f64(3, 2, 2), _f64(2, seed=1)
    b = ember.tensor(np.random.default_rng(2).standard_normal(2))
    train = lambda x, w: F(ember).batch_norm(x, None, None, w, b, True)  # noqa: E731
    assert gradcheck(train, (x, w))
    assert gradgradcheck(train, (x, w))
    mean, var = ember.tensor([0.3, -0.2], dtype=ember.float64), ember.tensor([1.5, 0.7], dtype=ember.float64)
    evaluate = lambda x, w: F(ember).batch_norm(x, mean, var, w, b, False)  # noqa: E731
    assert gradcheck(evaluate, (x, w))
    assert gradgradcheck(evaluate, (x, w))


def test_layer_norm_gradcheck_and_gradgradcheck():
    x, w = _f64(3, 2, 3), _f64(2, 3, seed=1)
    b = ember.tensor(np.random.default_rng(2).standard_normal((2, 3)))
    fn = lambda x, w: F(ember).layer_norm(x, (2, 3), w, b)  # noqa: E731
    assert gradcheck(fn, (x, w))
    assert gradgradcheck(fn, (x, w))


def test_group_norm_gradcheck_and_gradgradcheck():
    x, w, b = _f64(3, 4, 5), _f64(4, seed=1), _f64(4, seed=2)
    fn = lambda x, w, b: F(ember).group_norm(x, 2, w, b)  # noqa: E731
    assert gradcheck(fn, (x, w, b))
    assert gradgradcheck(fn, (x, w, b))
    assert gradcheck(lambda x: F(ember).group_norm(x, 4), (x,))


def test_batch_norm_double_backward_matches_torch():
    x = np.random.default_rng(3).standard_normal((4, 3, 2))
    w = np.random.default_rng(4).standard_normal(3)
    results = {}
    for T in (torch, ember):
        xt, wt = T.tensor(x, requires_grad=True), T.tensor(w, requires_grad=True)
        y = F(T).batch_norm(xt, None, None, wt, None, True)
        (gx,) = T.autograd.grad((y**3).sum(), [xt], create_graph=True)
        (gw,) = T.autograd.grad((gx * gx).sum(), [wt])
        results[T] = (gx, gw)
    for ours, theirs in zip(results[ember], results[torch]):
        assert_close(ours, theirs, rtol=1e-9, atol=1e-10)


# --- modules -----------------------------------------------------------------------------------


def _pair(name, *args, **kwargs):
    return getattr(torch.nn, name)(*args, **kwargs), getattr(ember.nn, name)(*args, **kwargs)


def _copy_state(src, dst):
    dst.load_state_dict({k: ember.tensor(v.numpy()) for k, v in src.state_dict().items()})


def _compare_module(t_mod, e_mod, x, dtype=np.float32):
    """One forward/backward on the same input: outputs, input grad, parameter grads and buffers."""
    t_x, e_x = torch.tensor(x, requires_grad=True), ember.tensor(x, requires_grad=True)
    t_out, e_out = t_mod(t_x), e_mod(e_x)
    assert_close(e_out, t_out, what="output")
    w = np.random.default_rng(9).standard_normal(t_out.shape).astype(dtype)
    (t_out * torch.tensor(w)).sum().backward()
    (e_out * ember.tensor(w)).sum().backward()
    assert_close(e_x.grad, t_x.grad, what="input grad")
    e_params = dict(e_mod.named_parameters())
    for name, p in t_mod.named_parameters():
        assert_close(e_params[name].grad, p.grad, what=f"grad of {name}")
    e_buffers = dict(e_mod.named_buffers())
    for name, b in t_mod.named_buffers():
        assert_close(e_buffers[name], b, what=f"buffer {name}")


@pytest.mark.parametrize(
    "name,shape,kwargs",
    [
        ("BatchNorm1d", (8, 3), {}),
        ("BatchNorm1d", (4, 3, 5), {"momentum": None}),
        ("BatchNorm2d", (4, 3, 2, 2), {"momentum": 0.3}),
        ("BatchNorm3d", (2, 3, 2, 2, 2), {}),
        ("BatchNorm2d", (4, 3, 2, 2), {"affine": False}),
        ("BatchNorm2d", (4, 3, 2, 2), {"bias": False}),
        ("BatchNorm2d", (4, 3, 2, 2), {"track_running_stats": False}),
        ("SyncBatchNorm", (4, 3, 2, 2), {}),
    ],
)
def test_batch_norm_module_training_then_eval(name, shape, kwargs):
    t_mod, e_mod = _pair(name, shape[1], **kwargs)
    if t_mod.weight is not None:
        with torch.no_grad():
            t_mod.weight.uniform_(0.5, 1.5)
            if t_mod.bias is not None:
                t_mod.bias.uniform_(-0.5, 0.5)
    _copy_state(t_mod, e_mod)
    rng = np.random.default_rng(1)
    for _ in range(3):
        x = (rng.standard_normal(shape) * 2 + 1).astype(np.float32)
        for m in (t_mod, e_mod):
            m.zero_grad()
        _compare_module(t_mod, e_mod, x)
    t_mod.eval(), e_mod.eval()
    _compare_module(t_mod, e_mod, rng.standard_normal(shape).astype(np.float32))
    if kwargs.get("track_running_stats", True):
        assert e_mod.num_batches_tracked.dtype is ember.int64 and int(e_mod.num_batches_tracked) == 3


def test_batch_norm_module_float64():
    t_mod, e_mod = _pair("BatchNorm1d", 4, momentum=None)
    t_mod.double(), e_mod.double()
    for seed in range(2):
        _compare_module(t_mod, e_mod, np.random.default_rng(seed).standard_normal((5, 4, 3)), np.float64)


def test_batch_norm_module_state_dict_repr_and_errors():
    t_mod, e_mod = _pair("BatchNorm2d", 6)
    assert list(e_mod.state_dict()) == list(t_mod.state_dict())
    assert repr(e_mod) == repr(t_mod)
    assert repr(ember.nn.BatchNorm1d(3, affine=False, momentum=None)) == repr(
        torch.nn.BatchNorm1d(3, affine=False, momentum=None)
    )
    assert list(ember.nn.BatchNorm1d(3, track_running_stats=False).state_dict()) == ["weight", "bias"]
    with pytest.raises(ValueError, match=r"expected 2D or 3D input \(got 4D input\)"):
        ember.nn.BatchNorm1d(3)(ember.ones(2, 3, 2, 2))
    with pytest.raises(ValueError, match=r"expected 4D input \(got 3D input\)"):
        ember.nn.BatchNorm2d(3)(ember.ones(2, 3, 2))
    with pytest.raises(ValueError, match="Expected more than 1 value per channel when training"):
        ember.nn.BatchNorm1d(3)(ember.ones(1, 3))
    e_mod.eval()
    assert e_mod(ember.ones(1, 6, 1, 1)).shape == (1, 6, 1, 1)


def test_batch_norm_loads_version_1_checkpoint_without_num_batches_tracked():
    e_mod = ember.nn.BatchNorm1d(3)

    def checkpoint(version):
        state = collections.OrderedDict((k, v) for k, v in e_mod.state_dict().items() if k != "num_batches_tracked")
        state._metadata = collections.OrderedDict({"": {"version": version}})
        return state

    assert e_mod.load_state_dict(checkpoint(1)).missing_keys == []
    with pytest.raises(RuntimeError, match="num_batches_tracked"):
        e_mod.load_state_dict(checkpoint(2))


def test_convert_sync_batchnorm_swaps_every_batch_norm_and_shares_state():
    model = ember.nn.Sequential(
        ember.nn.Identity() if hasattr(ember.nn, "Identity") else ember.nn.Sequential(),
        ember.nn.BatchNorm1d(3),
        ember.nn.Sequential(ember.nn.BatchNorm2d(3, affine=False)),
    )
    model[1].running_mean.fill_(0.5)
    bn_weight = model[1].weight
    converted = ember.nn.SyncBatchNorm.convert_sync_batchnorm(model)
    assert type(converted[1]) is ember.nn.SyncBatchNorm and type(converted[2][0]) is ember.nn.SyncBatchNorm
    assert converted[1].weight is bn_weight and converted[2][0].weight is None
    assert float(converted[1].running_mean[0]) == 0.5
    single = ember.nn.SyncBatchNorm.convert_sync_batchnorm(ember.nn.BatchNorm2d(2))
    assert repr(single) == repr(torch.nn.SyncBatchNorm(2))


@pytest.mark.parametrize(
    "name,shape,kwargs",
    [
        ("InstanceNorm1d", (2, 3, 5), {}),
        ("InstanceNorm1d", (3, 5), {"affine": True}),
        ("InstanceNorm2d", (2, 3, 4, 3), {"affine": True, "track_running_stats": True}),
        ("InstanceNorm3d", (2, 3, 2, 3, 2), {"track_running_stats": True, "momentum": 0.5}),
    ],
)
def test_instance_norm_module(name, shape, kwargs):
    t_mod, e_mod = _pair(name, 3, **kwargs)
    if t_mod.weight is not None:
        with torch.no_grad():
            t_mod.weight.uniform_(0.5, 1.5)
            t_mod.bias.uniform_(-0.5, 0.5)
    _copy_state(t_mod, e_mod)
    rng = np.random.default_rng(2)
    for _ in range(2):
        for m in (t_mod, e_mod):
            m.zero_grad()
        _compare_module(t_mod, e_mod, rng.standard_normal(shape).astype(np.float32))
    t_mod.eval(), e_mod.eval()
    _compare_module(t_mod, e_mod, rng.standard_normal(shape).astype(np.float32))
    assert repr(e_mod) == repr(t_mod)
    assert list(e_mod.state_dict()) == list(t_mod.state_dict())


@pytest.mark.parametrize(
    "name,args,kwargs,shape",
    [
        ("LayerNorm", ((4, 5),), {}, (2, 3, 4, 5)),
        ("LayerNorm", (5,), {"bias": False, "eps": 1e-3}, (3, 5)),
        ("LayerNorm", (5,), {"elementwise_affine": False}, (3, 5)),
        ("GroupNorm", (3, 6), {}, (2, 6, 4)),
        ("GroupNorm", (2, 4), {"affine": False}, (2, 4, 2, 2)),
        ("GroupNorm", (2, 4), {"bias": False}, (2, 4, 3)),
        ("RMSNorm", (5,), {}, (2, 3, 5)),
        ("RMSNorm", ([3, 5],), {"eps": 1e-4}, (2, 3, 5)),
        ("LocalResponseNorm", (3,), {}, (2, 5, 4, 4)),
    ],
)
def test_normalization_modules(name, args, kwargs, shape):
    t_mod, e_mod = _pair(name, *args, **kwargs)
    for p in t_mod.parameters():
        with torch.no_grad():
            p.uniform_(0.5, 1.5)
    _copy_state(t_mod, e_mod)
    _compare_module(t_mod, e_mod, np.random.default_rng(4).standard_normal(shape).astype(np.float32))
    assert repr(e_mod) == repr(t_mod)
    assert list(e_mod.state_dict()) == list(t_mod.state_dict())


def test_group_norm_rejects_indivisible_channels():
    with pytest.raises(ValueError, match=r"^num_channels \(6\) must be divisible by num_groups \(4\)$"):  # torch's
        ember.nn.GroupNorm(4, 6)
