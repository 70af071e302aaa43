"""Every loss, functional and module, against torch: values and input gradients for every reduction and
option (float32 rtol 1e-5, float64 rtol 1e-10), plus the errors and warnings torch gives."""

import re
import warnings

import numpy as np
import pytest

import ember
from oracle import assert_close, check, on_devices, torch

DTYPES = [np.float32, np.float64]
REDUCTIONS = ["none", "mean", "sum"]

_rng = np.random.default_rng(7)
CLASS_IDX = np.array([1, 0, 3, 2, 3, -100])
CLASS_IDX_SPATIAL = _rng.integers(0, 4, (6, 2, 3))
CLASS_IDX_SPATIAL[0, 0, 0] = -100
CLASS_W = np.array([0.5, 1.0, 2.0, 0.3])
SIGNS = np.array([1.0, -1, 1, -1, -1, 1])


def F(T):
    return T.nn.functional


def W(T, x, values=CLASS_W):
    return T.tensor(values, dtype=x.dtype)


# (id, fn(T, reduction, *inputs), shapes, options for check())
LOSSES = [
    ("l1", lambda T, r, x, t: F(T).l1_loss(x, t, reduction=r), [(6, 4), (6, 4)], {}),
    ("mse", lambda T, r, x, t: F(T).mse_loss(x, t, reduction=r), [(6, 4), (6, 4)], {}),
    ("smooth_l1", lambda T, r, x, t: F(T).smooth_l1_loss(x, t, reduction=r), [(6, 4), (6, 4)], {}),
    ("smooth_l1-beta", lambda T, r, x, t: F(T).smooth_l1_loss(x, t, reduction=r, beta=0.5), [(6, 4), (6, 4)], {}),
    ("smooth_l1-beta0", lambda T, r, x, t: F(T).smooth_l1_loss(x, t, reduction=r, beta=0.0), [(6, 4), (6, 4)], {}),
    ("huber", lambda T, r, x, t: F(T).huber_loss(x, t, reduction=r, delta=0.7), [(6, 4), (6, 4)], {}),
    ("l1-weight", lambda T, r, x, t, w: F(T).l1_loss(x, t, reduction=r, weight=w.abs()), [(6, 4)] * 3, {}),
    ("mse-weight", lambda T, r, x, t, w: F(T).mse_loss(x, t, reduction=r, weight=w.abs()), [(6, 4)] * 3, {}),
    ("huber-weight", lambda T, r, x, t, w: F(T).huber_loss(x, t, reduction=r, weight=w.abs()), [(6, 4)] * 3, {}),
    ("mse-broadcast", lambda T, r, x, t: F(T).mse_loss(x, t, reduction=r), [(6, 4), (4,)], {}),
    ("ce", lambda T, r, x: F(T).cross_entropy(x, T.tensor(CLASS_IDX), reduction=r), [(6, 4)], {}),
    ("ce-weight", lambda T, r, x: F(T).cross_entropy(x, T.tensor(CLASS_IDX), W(T, x), reduction=r), [(6, 4)], {}),
    (
        "ce-smoothing",
        lambda T, r, x: F(T).cross_entropy(x, T.tensor(CLASS_IDX), reduction=r, label_smoothing=0.2),
        [(6, 4)],
        {},
    ),
    (
        "ce-weight-smoothing-ignore",
        lambda T, r, x: F(T).cross_entropy(
            x, T.tensor(CLASS_IDX.clip(0)), W(T, x), ignore_index=3, reduction=r, label_smoothing=0.3
        ),
        [(6, 4)],
        {},
    ),
    (
        "ce-spatial",
        lambda T, r, x: F(T).cross_entropy(x, T.tensor(CLASS_IDX_SPATIAL), W(T, x), reduction=r, label_smoothing=0.1),
        [(6, 4, 2, 3)],
        {},
    ),
    ("ce-unbatched", lambda T, r, x: F(T).cross_entropy(x, T.tensor(2), reduction=r), [(4,)], {}),
    ("ce-probabilities", lambda T, r, x, t: F(T).cross_entropy(x, t.softmax(1), reduction=r), [(6, 4), (6, 4)], {}),
    (
        "ce-probabilities-weight-smoothing",
        lambda T, r, x, t: F(T).cross_entropy(x, t.softmax(1), W(T, x), reduction=r, label_smoothing=0.1),
        [(6, 4, 3), (6, 4, 3)],
        {},
    ),
    ("nll", lambda T, r, x: F(T).nll_loss(x.log_softmax(1), T.tensor(CLASS_IDX), reduction=r), [(6, 4)], {}),
    ("nll-weight", lambda T, r, x: F(T).nll_loss(x, T.tensor(CLASS_IDX), W(T, x), reduction=r), [(6, 4)], {}),
    (
        "nll-spatial-ignore",
        lambda T, r, x: F(T).nll_loss(x, T.tensor(CLASS_IDX_SPATIAL.clip(0)), ignore_index=0, reduction=r),
        [(6, 4, 2, 3)],
        {},
    ),
    ("nll-3d", lambda T, r, x: F(T).nll_loss(x, T.tensor(CLASS_IDX_SPATIAL[:, 0]), reduction=r), [(6, 4, 3)], {}),
    (
        "nll-5d-weight",
        lambda T, r, x: F(T).nll_loss(x, T.tensor(CLASS_IDX_SPATIAL[:, :, :, None].repeat(2, 3)), W(T, x), reduction=r),
        [(6, 4, 2, 3, 2)],
        {},
    ),
    ("bce", lambda T, r, x, t: F(T).binary_cross_entropy(x.sigmoid(), t.sigmoid(), reduction=r), [(6, 4), (6, 4)], {}),
    (
        "bce-weight",
        lambda T, r, x, t: F(T).binary_cross_entropy(x.sigmoid(), t.sigmoid(), W(T, x), reduction=r),
        [(6, 4), (6, 4)],
        {},
    ),
    (
        "bce-logits",
        lambda T, r, x, t: F(T).binary_cross_entropy_with_logits(x * 5, t.sigmoid(), reduction=r),
        [(6, 4), (6, 4)],
        {},
    ),
    (
        "bce-logits-weights",
        lambda T, r, x, t: F(T).binary_cross_entropy_with_logits(
            x * 5, t.sigmoid(), W(T, x), reduction=r, pos_weight=W(T, x, CLASS_W[::-1].copy())
        ),
        [(6, 4), (6, 4)],
        {},
    ),
    ("kl_div", lambda T, r, x, t: F(T).kl_div(x.log_softmax(1), t.softmax(1), reduction=r), [(6, 4), (6, 4)], {}),
    (
        "kl_div-log_target",
        lambda T, r, x, t: F(T).kl_div(x.log_softmax(1), t.log_softmax(1), reduction=r, log_target=True),
        [(6, 4), (6, 4)],
        {},
    ),
    (
        "cosine_embedding",
        lambda T, r, x, y: F(T).cosine_embedding_loss(x, y, T.tensor(SIGNS), margin=0.1, reduction=r),
        [(6, 4), (6, 4)],
        {},
    ),
    (
        "cosine_embedding-1d",
        lambda T, r, x, y: F(T).cosine_embedding_loss(x, y, T.tensor(-1.0), reduction=r),
        [(4,), (4,)],
        {},
    ),
    (
        "margin_ranking",
        lambda T, r, x, y: F(T).margin_ranking_loss(x, y, T.tensor(SIGNS), margin=0.1, reduction=r),
        [(6,), (6,)],
        {},
    ),
    (
        "triplet",
        lambda T, r, a, p, n: F(T).triplet_margin_loss(a, p, n, margin=0.5, reduction=r),
        [(6, 4), (6, 4), (6, 4)],
        {},
    ),
    (
        "triplet-swap-p1",
        lambda T, r, a, p, n: F(T).triplet_margin_loss(a, p, n, p=1, swap=True, reduction=r),
        [(6, 4), (6, 4), (6, 4)],
        {},
    ),
    (
        "hinge_embedding",
        lambda T, r, x: F(T).hinge_embedding_loss(x, T.tensor([[1.0, -1, 1, -1]] * 6), margin=0.5, reduction=r),
        [(6, 4)],
        {},
    ),
    (
        "soft_margin",
        lambda T, r, x: F(T).soft_margin_loss(x, T.tensor([[1.0, -1, 1, -1]] * 6), reduction=r),
        [(6, 4)],
        {},
    ),
    (
        "multilabel_soft_margin",
        lambda T, r, x, t: F(T).multilabel_soft_margin_loss(x, (t > 0).to(x.dtype), W(T, x), reduction=r),
        [(6, 4), (6, 4)],
        {},
    ),
    ("poisson_nll", lambda T, r, x, t: F(T).poisson_nll_loss(x, t.abs() * 3, reduction=r), [(6, 4), (6, 4)], {}),
    (
        "poisson_nll-full",
        lambda T, r, x, t: F(T).poisson_nll_loss(x, t.abs() * 3, full=True, reduction=r),
        [(6, 4), (6, 4)],
        {},
    ),
    (
        "poisson_nll-not-log",
        lambda T, r, x, t: F(T).poisson_nll_loss(x.abs(), t.abs() * 3, log_input=False, reduction=r),
        [(6, 4), (6, 4)],
        {},
    ),
    (
        "gaussian_nll",
        lambda T, r, x, t, v: F(T).gaussian_nll_loss(x, t, v.abs(), reduction=r),
        [(6, 4), (6, 4), (6, 4)],
        {},
    ),
    (
        "gaussian_nll-full-homoscedastic",
        lambda T, r, x, t, v: F(T).gaussian_nll_loss(x, t, v.abs(), full=True, reduction=r),
        [(6, 4), (6, 4), (6,)],
        {},
    ),
]


@on_devices
@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name,fn,shapes,opts", LOSSES, ids=[r[0] for r in LOSSES])
def test_functional_loss_matches_torch(name, fn, shapes, opts, reduction, dtype):
    check(lambda T, *xs: fn(T, reduction, *xs), shapes, dtype=dtype, **opts)


@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
def test_kl_div_batchmean_and_mean_warning(dtype):
    check(
        lambda T, x, t: F(T).kl_div(x.log_softmax(1), t.softmax(1), reduction="batchmean"),
        [(6, 4), (6, 4)],
        dtype=dtype,
    )
    with pytest.warns(UserWarning, match="'batchmean' divides only by the batch size"):
        ember.nn.functional.kl_div(ember.randn(2, 3), ember.rand(2, 3))


def test_cross_entropy_double_backward_matches_torch():
    grads = []
    for T in (torch, ember):
        x = T.tensor(np.random.default_rng(0).standard_normal((5, 4)), requires_grad=True)
        loss = T.nn.functional.cross_entropy(x, T.tensor([0, 3, 1, 1, 2]), label_smoothing=0.1)
        (g,) = T.autograd.grad(loss, x, create_graph=True)
        (gg,) = T.autograd.grad((g * g).sum(), x)
        grads.append(gg)
    assert_close(grads[1], grads[0])


def test_cross_entropy_target_gradient_for_probabilities():
    check(lambda T, x, t: F(T).cross_entropy(x, t, label_smoothing=0.2), [(5, 3), (5, 3)], low=0.0, high=1.0)


# ---- modules: defaults, reprs, buffers -------------------------------------------------------------------

MODULES = [
    ("L1Loss", {}),
    ("MSELoss", {"reduction": "sum"}),
    ("CrossEntropyLoss", {"label_smoothing": 0.1}),
    ("NLLLoss", {"ignore_index": 1}),
    ("BCELoss", {}),
    ("BCEWithLogitsLoss", {}),
    ("KLDivLoss", {"log_target": True}),
    ("SmoothL1Loss", {"beta": 0.3}),
    ("HuberLoss", {"delta": 2.0}),
    ("CosineEmbeddingLoss", {"margin": 0.2}),
    ("MarginRankingLoss", {}),
    ("TripletMarginLoss", {"swap": True}),
    ("HingeEmbeddingLoss", {}),
    ("SoftMarginLoss", {}),
    ("MultiLabelSoftMarginLoss", {}),
    ("PoissonNLLLoss", {"full": True}),
    ("GaussianNLLLoss", {"eps": 1e-3}),
    ("TripletMarginWithDistanceLoss", {"margin": 2.0}),
]
ATTRS = (
    "reduction",
    "ignore_index",
    "label_smoothing",
    "log_target",
    "beta",
    "delta",
    "margin",
    "p",
    "eps",
    "swap",
    "log_input",
    "full",
)


@pytest.mark.parametrize("name,kwargs", MODULES, ids=[m[0] for m in MODULES])
def test_loss_module_defaults_and_repr(name, kwargs):
    ours, theirs = getattr(ember.nn, name)(**kwargs), getattr(torch.nn, name)(**kwargs)
    assert repr(ours) == repr(theirs)
    for attr in ATTRS:
        assert getattr(ours, attr, None) == getattr(theirs, attr, None), attr
    assert list(ours.state_dict()) == list(theirs.state_dict())


def test_weighted_loss_buffers_and_legacy_reduction_args():
    for T in (torch, ember):
        m = T.nn.CrossEntropyLoss(weight=T.ones(3))
        assert list(m.state_dict()) == ["weight"]
        assert list(dict(T.nn.BCEWithLogitsLoss(pos_weight=T.ones(3)).named_buffers())) == ["pos_weight"]
    for size_average, reduce in ((False, None), (None, False), (True, True)):
        assert ember.nn.MSELoss(size_average, reduce).reduction == torch.nn.MSELoss(size_average, reduce).reduction


MODULE_CALLS = [
    (
        "CrossEntropyLoss",
        lambda T, x: dict(weight=W(T, x), label_smoothing=0.1),
        lambda T, x: (x, T.tensor(CLASS_IDX)),
        [(6, 4)],
    ),
    ("NLLLoss", lambda T, x: dict(weight=W(T, x), reduction="sum"), lambda T, x: (x, T.tensor(CLASS_IDX)), [(6, 4)]),
    (
        "BCELoss",
        lambda T, x: dict(weight=W(T, x)),
        lambda T, x: (x.sigmoid(), T.full((6, 4), 0.3, dtype=x.dtype)),
        [(6, 4)],
    ),
    (
        "BCEWithLogitsLoss",
        lambda T, x: dict(pos_weight=W(T, x)),
        lambda T, x: (x, T.full((6, 4), 0.3, dtype=x.dtype)),
        [(6, 4)],
    ),
    (
        "MultiLabelSoftMarginLoss",
        lambda T, x: dict(weight=W(T, x)),
        lambda T, x: (x, T.full((6, 4), 1.0, dtype=x.dtype)),
        [(6, 4)],
    ),
    ("MSELoss", lambda T, x: {}, lambda T, x: (x, T.zeros(6, 4, dtype=x.dtype)), [(6, 4)]),
    (
        "KLDivLoss",
        lambda T, x: dict(reduction="batchmean"),
        lambda T, x: (x, T.full((6, 4), 0.25, dtype=x.dtype)),
        [(6, 4)],
    ),
    ("TripletMarginLoss", lambda T, x: dict(margin=2.0), lambda T, x: (x[:2], x[2:4], x[4:]), [(6, 4)]),
    (
        "GaussianNLLLoss",
        lambda T, x: dict(full=True),
        lambda T, x: (x, x.detach() * 0.5, T.ones(6, 4, dtype=x.dtype)),
        [(6, 4)],
    ),
]


@on_devices
@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
@pytest.mark.parametrize("name,make_kwargs,make_args,shapes", MODULE_CALLS, ids=[m[0] for m in MODULE_CALLS])
def test_loss_module_matches_torch(name, make_kwargs, make_args, shapes, dtype):
    check(lambda T, x: getattr(T.nn, name)(**make_kwargs(T, x))(*make_args(T, x)), shapes, dtype=dtype)


# ---- errors and warnings in the user's terms ------------------------------------------------------------------


def test_cross_entropy_float_target_of_other_shape():
    with pytest.raises(
        RuntimeError, match=re.escape("expected target of dtype int64 (class indices) for CrossEntropyLoss, got Float")
    ):
        ember.nn.CrossEntropyLoss()(ember.randn(4, 10), ember.randn(4))
    with pytest.raises(RuntimeError, match="for NLLLoss, got Float"):
        ember.nn.functional.nll_loss(ember.randn(4, 10), ember.randn(4))


@pytest.mark.parametrize("bad", [12, -5])
def test_cross_entropy_target_out_of_bounds(bad):
    target = ember.tensor([1, 2, bad, 3])
    with pytest.raises(IndexError, match=re.escape(f"Target {bad} is out of bounds (CrossEntropyLoss with 10 classes")):
        ember.nn.CrossEntropyLoss()(ember.randn(4, 10), target)
    with pytest.raises(IndexError, match=f"Target {bad} is out of bounds"):
        ember.nn.functional.nll_loss(ember.randn(4, 10), target)


def test_ignored_positions_may_hold_any_value():
    loss = ember.nn.functional.cross_entropy(ember.randn(3, 4), ember.tensor([1, 7, 2]), ignore_index=7)
    assert np.isfinite(loss.item())


def test_batch_size_mismatch():
    msg = re.escape("Expected input batch_size (4) to match target batch_size (3).")
    with pytest.raises(ValueError, match=msg):
        ember.nn.CrossEntropyLoss()(ember.randn(4, 10), ember.tensor([1, 2, 3]))
    with pytest.raises(ValueError, match=msg):
        ember.nn.NLLLoss()(ember.randn(4, 10), ember.tensor([1, 2, 3]))


def test_class_weight_of_wrong_size():
    with pytest.raises(RuntimeError, match="weight tensor should be defined either for all 10 classes"):
        ember.nn.CrossEntropyLoss(weight=ember.ones(3))(ember.randn(4, 10), ember.tensor([1, 2, 3, 4]))


def test_mse_with_different_shapes_warns_and_broadcasts():
    x, t = np.random.default_rng(0).standard_normal((3, 1)), np.random.default_rng(1).standard_normal(3)
    with pytest.warns(
        UserWarning,
        match=re.escape(
            "Using a target size (torch.Size([3])) that is different to the input size (torch.Size([3, 1]))"
        ),
    ):
        ours = ember.nn.MSELoss()(ember.tensor(x), ember.tensor(t))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = torch.nn.MSELoss()(torch.tensor(x), torch.tensor(t))
    assert_close(ours, theirs)


def test_bce_input_outside_unit_interval():
    with pytest.raises(RuntimeError, match="all elements of input should be between 0 and 1"):
        ember.nn.BCELoss()(ember.tensor([0.5, 1.5]), ember.tensor([1.0, 0.0]))
    with pytest.raises(ValueError, match="Using a target size"):
        ember.nn.BCELoss()(ember.tensor([0.5, 0.2]), ember.tensor([1.0]))
    with pytest.raises(ValueError, match="must be the same as input size"):
        ember.nn.BCEWithLogitsLoss()(ember.tensor([0.5, 0.2]), ember.tensor([1.0]))


def test_bce_clamps_log_at_minus_100():
    for T in (torch, ember):
        loss = T.nn.functional.binary_cross_entropy(T.tensor([0.0, 1.0]), T.tensor([1.0, 0.0]), reduction="none")
        assert loss.tolist() == [100.0, 100.0]


def test_bce_with_logits_is_stable_for_large_logits():
    check(
        lambda T, x: F(T).binary_cross_entropy_with_logits(x, T.full((4,), 0.3, dtype=x.dtype)),
        arrays=[np.array([-200.0, -50.0, 50.0, 200.0], np.float32)],
    )


@pytest.mark.parametrize("name", ["cross_entropy", "nll_loss", "mse_loss"])
def test_empty_batch_mean_is_nan_like_torch(name):
    def run(T):
        x = T.zeros(0, 3)
        target = T.zeros(0, dtype=T.int64) if name != "mse_loss" else T.zeros(0, 3)
        return getattr(T.nn.functional, name)(x, target)

    assert np.isnan(run(ember).item()) and np.isnan(run(torch).item())


def test_all_targets_ignored_mean_is_nan_like_torch():
    for T in (torch, ember):
        assert np.isnan(T.nn.functional.cross_entropy(T.randn(2, 3), T.tensor([-100, -100])).item())


def test_invalid_reduction():
    with pytest.raises(ValueError, match="avg is not a valid value for reduction"):
        ember.nn.functional.cross_entropy(ember.randn(2, 3), ember.tensor([1, 2]), reduction="avg")
    with pytest.raises(ValueError, match="avg is not a valid value for reduction"):
        ember.nn.MSELoss(reduction="avg")(ember.randn(2), ember.randn(2))


def test_pos_weight_is_not_differentiable_like_torch():
    with pytest.raises(RuntimeError, match="not differentiable with respect to argument 'pos_weight'"):
        ember.nn.functional.binary_cross_entropy_with_logits(
            ember.randn(3), ember.rand(3), pos_weight=ember.ones(3, requires_grad=True)
        )


def test_gaussian_nll_var_checks():
    with pytest.raises(ValueError, match="var has negative entry"):
        ember.nn.GaussianNLLLoss()(ember.randn(3, 2), ember.randn(3, 2), -ember.ones(3, 2))
    with pytest.raises(ValueError, match="var is of incorrect size"):
        ember.nn.GaussianNLLLoss()(ember.randn(3, 2), ember.randn(3, 2), ember.ones(4))


FUSED = [
    ("mse", lambda T, x, t: T.nn.functional.mse_loss(x, t)),
    ("mse-none", lambda T, x, t: T.nn.functional.mse_loss(x, t, reduction="none")),
    ("huber", lambda T, x, t: T.nn.functional.huber_loss(x, t, delta=0.7)),
    ("smooth_l1", lambda T, x, t: T.nn.functional.smooth_l1_loss(x, t, beta=0.5, reduction="sum")),
    ("soft_margin", lambda T, x, t: T.nn.functional.soft_margin_loss(x, t.detach().sign())),
    (
        "bce-weight",
        lambda T, x, t: T.nn.functional.binary_cross_entropy(
            x.sigmoid(), t.sigmoid(), weight=T.linspace(0.5, 2, 4, dtype=x.dtype)
        ),
    ),
    (
        "bce-logits-pos-weight",
        lambda T, x, t: T.nn.functional.binary_cross_entropy_with_logits(
            x, t.sigmoid(), pos_weight=T.linspace(0.5, 2, 4, dtype=x.dtype)
        ),
    ),
    (
        "nll-2d",
        lambda T, x, t: T.nn.functional.nll_loss(
            x.log_softmax(1).view(3, 4, 1, 1).expand(3, 4, 2, 1) * t[:1, 0],
            T.tensor([[[1], [2]], [[0], [3]], [[3], [3]]]),
        ),
    ),
]


@pytest.mark.parametrize("name,fn", FUSED, ids=[f[0] for f in FUSED])
def test_fused_loss_double_backward_matches_torch(name, fn):
    """The fused loss ops' backward is itself differentiable (create_graph=True), as torch's."""
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    grads = []
    for T in (torch, ember):
        x, t = T.tensor(a, requires_grad=True), T.tensor(b, requires_grad=True)
        gx, gt = T.autograd.grad(fn(T, x, t).sum(), (x, t), create_graph=True, allow_unused=True)
        second = (gx * gx).sum() + (0 if gt is None else (gt * gt).sum())
        grads.append(T.autograd.grad(second, (x, t), allow_unused=True))
    for ours, theirs in zip(grads[1], grads[0]):
        if theirs is None:
            assert ours is None or not ours.numpy().any()
        else:
            assert_close(ours, theirs)
