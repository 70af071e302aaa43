"""The smaller nn.functional members and modules against torch: multi_margin_loss, multilabel_margin_loss,
linear_cross_entropy, conv_tbc, native_channel_shuffle, fractional max pools (with torch's random samples
passed in), NLLLoss2d and Container (deprecated), their errors and graph nodes."""

import numpy as np
import pytest

import ember
from oracle import check, torch


def F(T):
    return T.nn.functional


TARGET = np.array([1, 0, 3, 2])
MULTILABEL = np.array([[1, 2, -1, 0], [0, -1, 1, 1], [3, 3, 1, -1], [2, 0, 1, 3]])


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("p,weighted", [(1, False), (2, True)])
def test_multi_margin_loss(p, weighted, reduction, dtype):
    w = np.array([0.5, 1.0, 2.0, 0.3], dtype=dtype)
    check(
        lambda T, x: F(T).multi_margin_loss(
            x, T.tensor(TARGET), p=p, margin=0.7, weight=T.tensor(w) if weighted else None, reduction=reduction
        ),
        [(4, 4)],
        dtype=dtype,
        low=-1,
        high=1,
    )


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_multilabel_margin_loss(reduction, dtype):
    check(
        lambda T, x: F(T).multilabel_margin_loss(x, T.tensor(MULTILABEL), reduction=reduction),
        [(4, 4)],
        dtype=dtype,
        low=-1,
        high=1,
    )
    check(
        lambda T, x: F(T).multilabel_margin_loss(x, T.tensor(MULTILABEL[0]), reduction=reduction),
        [(4,)],
        dtype=dtype,
        low=-1,
        high=1,
    )


def test_margin_loss_modules_and_nodes():
    check(lambda T, x: T.nn.MultiMarginLoss(p=2)(x, T.tensor(TARGET)), [(4, 4)])
    check(lambda T, x: T.nn.MultiLabelMarginLoss()(x, T.tensor(MULTILABEL)), [(4, 4)])
    for T in (torch, ember):
        x = T.randn(4, 4, requires_grad=True)
        assert type(F(T).multi_margin_loss(x, T.tensor(TARGET)).grad_fn).__name__ == "MultiMarginLossBackward0"
        assert (
            type(F(T).multilabel_margin_loss(x, T.tensor(MULTILABEL)).grad_fn).__name__
            == "MultilabelMarginLossBackward0"
        )
        with pytest.raises(ValueError, match="only p == 1 and p == 2 supported"):
            F(T).multi_margin_loss(x, T.tensor(TARGET), p=3)


def test_multi_margin_loss_double_backward():
    x = ember.tensor(np.random.default_rng(0).uniform(-1, 1, (4, 4)), requires_grad=True)
    fn = lambda x: F(ember).multi_margin_loss(x, ember.tensor(TARGET), p=2)  # noqa: E731
    assert ember.autograd.gradcheck(fn, (x,)) and ember.autograd.gradgradcheck(fn, (x,))


@pytest.mark.parametrize("kwargs", [{}, dict(label_smoothing=0.1, ignore_index=2, reduction="sum")])
def test_linear_cross_entropy_is_the_reference(kwargs):
    check(
        lambda T, x, w, b: F(T).linear_cross_entropy(x, w, T.tensor(TARGET), linear_bias=b, **kwargs),
        [(4, 6), (5, 6), (5,)],
    )
    with pytest.raises(NotImplementedError, match="options"):
        F(ember).linear_cross_entropy(ember.randn(4, 6), ember.randn(5, 6), ember.tensor(TARGET), options=object())


def test_conv_tbc_and_native_channel_shuffle():
    check(lambda T, x, w, b: F(T).conv_tbc(x, w, b, 1), [(6, 2, 3), (3, 3, 4), (4,)])
    # torch has no derivative for native_channel_shuffle (ember's is channel_shuffle's): the values only
    check(lambda T, x: F(T).native_channel_shuffle(x, 2), [(2, 4, 3, 3)], grad=False)


@pytest.mark.parametrize(
    "nd,kwargs",
    [
        (2, dict(kernel_size=3, output_size=(4, 5))),
        (2, dict(kernel_size=(2, 3), output_ratio=(0.5, 0.6))),
        (3, dict(kernel_size=2, output_ratio=0.5)),
    ],
)
def test_fractional_max_pool_with_torchs_samples(nd, kwargs):
    shape = (2, 3, 9, 10) if nd == 2 else (1, 2, 7, 8, 9)
    samples = np.random.default_rng(1).random(shape[:2] + (nd,)).astype(np.float32)
    pool = f"fractional_max_pool{nd}d"
    check(
        lambda T, x: getattr(F(T), pool)(x, return_indices=True, _random_samples=T.tensor(samples), **kwargs), [shape]
    )
    module = f"FractionalMaxPool{nd}d"
    check(lambda T, x: getattr(T.nn, module)(_random_samples=T.tensor(samples), **kwargs)(x), [shape])


def test_fractional_max_pool_draws_its_samples_and_checks_sizes():
    y, idx = F(ember).fractional_max_pool2d(ember.randn(2, 3, 9, 9), 2, output_size=4, return_indices=True)
    assert tuple(y.shape) == (2, 3, 4, 4) and idx.dtype == ember.int64
    for T in (torch, ember):
        with pytest.raises(ValueError, match="requires specifying either an output_size or an output_ratio"):
            F(T).fractional_max_pool2d(T.randn(1, 1, 5, 5), 2)
        with pytest.raises(ValueError, match="only one of output_size and output_ratio may be specified"):
            T.nn.FractionalMaxPool2d(2, output_size=3, output_ratio=0.5)
        with pytest.raises(ValueError, match="output_ratio must be between 0 and 1"):
            T.nn.FractionalMaxPool3d(2, output_ratio=1.5)


def test_deprecated_nll_loss_2d_and_container():
    for T in (torch, ember):
        with pytest.warns(FutureWarning, match="`NLLLoss2d` has been deprecated"):
            loss = T.nn.NLLLoss2d()
        assert isinstance(loss, T.nn.NLLLoss)
    with pytest.warns(FutureWarning, match="`nn.Container` is deprecated"):
        box = ember.nn.Container(fc=ember.nn.Linear(2, 3))
    assert list(dict(box.named_children())) == ["fc"]
