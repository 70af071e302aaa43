"""EmbeddingBag and F.embedding_bag against torch: every mode, offsets (with empty bags and
include_last_offset), 2-d input, per_sample_weights, padding_idx, scale_grad_by_freq, max_norm; values and
gradients of the weight and the per-sample weights; the module's init, repr and errors."""

import numpy as np
import pytest

import ember
from oracle import assert_close, check, torch

IDX = np.array([1, 2, 4, 5, 4, 3, 2, 9, 0, 2])
OFFSETS = np.array([0, 2, 2, 5, 9])  # bag 1 is empty


def F(T):
    return T.nn.functional


CASES = {
    "mean": lambda T, w: F(T).embedding_bag(T.tensor(IDX), w, T.tensor(OFFSETS)),
    "sum": lambda T, w: F(T).embedding_bag(T.tensor(IDX), w, T.tensor(OFFSETS), mode="sum"),
    "max": lambda T, w: F(T).embedding_bag(T.tensor(IDX), w, T.tensor(OFFSETS), mode="max"),
    "2d-mean": lambda T, w: F(T).embedding_bag(T.tensor(IDX.reshape(2, 5)), w),
    "2d-max": lambda T, w: F(T).embedding_bag(T.tensor(IDX.reshape(5, 2)), w, mode="max"),
    "last-offset": lambda T, w: F(T).embedding_bag(
        T.tensor(IDX), w, T.tensor([0, 3, 10]), mode="sum", include_last_offset=True
    ),
    "padding-mean": lambda T, w: F(T).embedding_bag(T.tensor(IDX), w, T.tensor(OFFSETS), padding_idx=2),
    "padding-max": lambda T, w: F(T).embedding_bag(T.tensor(IDX), w, T.tensor(OFFSETS), mode="max", padding_idx=4),
}


def _bags_of_embedding(T, w, mode, padding_idx=None):
    """The documented scale_grad_by_freq (each word's gradient over its frequency in the batch), through
    F.embedding: torch's CPU embedding_bag kernel scales some words by another word's count (for [1, 1, 2]
    in one bag, word 2's gradient is 0.5, not 1), so ember follows the documentation instead."""
    rows = F(T).embedding(T.tensor(IDX), w, padding_idx=padding_idx, scale_grad_by_freq=True)
    bags = []
    for start, end in zip(OFFSETS, list(OFFSETS[1:]) + [len(IDX)]):
        kept = [i for i in range(start, end) if padding_idx is None or IDX[i] != padding_idx % 10]
        part = rows[kept] if kept else rows[:0]
        total = part.sum(0)
        bags.append(total / max(len(kept), 1) if mode == "mean" else total)
    return T.stack(bags)


@pytest.mark.parametrize("mode,padding_idx", [("mean", None), ("sum", -1)])
def test_scale_grad_by_freq_is_the_inverse_frequency(mode, padding_idx):
    weight = np.random.default_rng(4).standard_normal((10, 3))
    w_bag, w_ref = ember.tensor(weight, requires_grad=True), torch.tensor(weight, requires_grad=True)
    out = F(ember).embedding_bag(
        ember.tensor(IDX), w_bag, ember.tensor(OFFSETS), mode=mode, scale_grad_by_freq=True, padding_idx=padding_idx
    )
    ref = _bags_of_embedding(torch, w_ref, mode, padding_idx)
    assert_close(out, ref)
    g = np.random.default_rng(5).standard_normal(tuple(ref.shape))
    (out * ember.tensor(g)).sum().backward()
    (ref * torch.tensor(g)).sum().backward()
    assert_close(w_bag.grad, w_ref.grad)


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_embedding_bag_matches_torch(name, dtype):
    check(CASES[name], [(10, 3)], dtype=dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
def test_per_sample_weights_get_their_gradient(dtype):
    check(
        lambda T, w, psw: F(T).embedding_bag(
            T.tensor(IDX), w, T.tensor(OFFSETS), mode="sum", per_sample_weights=psw, padding_idx=4
        ),
        [(10, 3), (10,)],
        dtype=dtype,
    )
    check(
        lambda T, w, psw: F(T).embedding_bag(T.tensor(IDX.reshape(2, 5)), w, mode="sum", per_sample_weights=psw),
        [(10, 3), (2, 5)],
        dtype=dtype,
    )


def test_embedding_bag_double_backward():
    w = ember.tensor(np.random.default_rng(0).standard_normal((10, 3)), requires_grad=True)
    psw = ember.tensor(np.random.default_rng(1).random(10), requires_grad=True)
    fn = lambda w, psw: F(ember).embedding_bag(
        ember.tensor(IDX),
        w,
        ember.tensor(OFFSETS),
        mode="sum",  # noqa: E731
        per_sample_weights=psw,
    )
    assert ember.autograd.gradcheck(fn, (w, psw))
    assert ember.autograd.gradgradcheck(fn, (w, psw))


def test_max_norm_renormalises_the_looked_up_rows_like_torch():
    weight = np.random.default_rng(2).standard_normal((10, 3)).astype(np.float32) * 3
    out = {}
    for T in (torch, ember):
        w = T.tensor(weight.copy())
        out[T] = (F(T).embedding_bag(T.tensor(IDX), w, T.tensor(OFFSETS), max_norm=1.0), w)
    assert_close(out[ember][0], out[torch][0])
    assert_close(out[ember][1], out[torch][1])


def test_module_init_repr_and_from_pretrained():
    for T in (torch, ember):
        T.manual_seed(0)
        bag = T.nn.EmbeddingBag(10, 3, mode="sum", padding_idx=-2)
        assert not bag.weight.detach().numpy()[8].any() and bag.padding_idx == 8
    assert repr(ember.nn.EmbeddingBag(10, 3, max_norm=2.0, padding_idx=1)) == repr(
        torch.nn.EmbeddingBag(10, 3, max_norm=2.0, padding_idx=1)
    )
    weight = np.arange(12, dtype=np.float32).reshape(4, 3)
    e_bag = ember.nn.EmbeddingBag.from_pretrained(ember.tensor(weight), mode="max")
    t_bag = torch.nn.EmbeddingBag.from_pretrained(torch.tensor(weight), mode="max")
    assert not e_bag.weight.requires_grad
    x = np.array([[0, 3], [2, 1]])
    assert_close(e_bag(ember.tensor(x)), t_bag(torch.tensor(x)))


@pytest.mark.parametrize(
    "call, error, message",
    [
        (
            lambda T, w: F(T).embedding_bag(T.tensor(IDX), w, T.tensor([1, 2])),
            RuntimeError,
            "offsets\\[0\\] has to be 0",
        ),
        (
            lambda T, w: F(T).embedding_bag(T.tensor(IDX), w, T.tensor(OFFSETS), per_sample_weights=T.ones(10)),
            NotImplementedError,
            "per_sample_weights is only supported for mode='sum'",
        ),
        (
            lambda T, w: F(T).embedding_bag(T.tensor(IDX.reshape(2, 5)), w, T.tensor([0])),
            ValueError,
            "if input is 2D, then offsets has to be None",
        ),
        (lambda T, w: F(T).embedding_bag(T.tensor(IDX), w), ValueError, "offsets has to be a 1D Tensor but got None"),
        (
            lambda T, w: F(T).embedding_bag(T.tensor(IDX), w, T.tensor(OFFSETS), mode="min"),
            ValueError,
            "mode has to be one of sum, mean or max",
        ),
        (
            lambda T, w: F(T).embedding_bag(T.tensor(IDX), w, T.tensor(OFFSETS), mode="max", scale_grad_by_freq=True),
            ValueError,
            "max mode does not support scaling the gradient by the frequency",
        ),
    ],
)
def test_errors_as_torch(call, error, message):
    for T in (torch, ember):
        with pytest.raises(error, match=message):
            call(T, T.randn(10, 3))
