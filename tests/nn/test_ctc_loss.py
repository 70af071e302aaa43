"""CTCLoss / F.ctc_loss against torch: padded and concatenated targets, unequal input and target lengths,
repeated labels, blank elsewhere than 0, every reduction, zero_infinity, unbatched input; the loss and the
gradient of the log-probabilities (torch's formula), and the graph's nodes."""

import numpy as np
import pytest

import ember
from oracle import assert_close, torch

T_, N, C = 12, 3, 5
TARGETS = np.array([[1, 2, 2, 3], [4, 1, 0, 0], [2, 2, 2, 1]])
TARGET_LENGTHS = np.array([4, 2, 3])
INPUT_LENGTHS = np.array([12, 9, 7])


def _log_probs(dtype, seed=0):
    x = np.random.default_rng(seed).standard_normal((T_, N, C))
    return (x - np.log(np.exp(x).sum(-1, keepdims=True))).astype(dtype)


def _compare(fn, lp, dtype, **tol):
    results = []
    for T in (torch, ember):
        x = T.tensor(lp, requires_grad=True)
        loss = fn(T, x)
        w = np.random.default_rng(1).standard_normal(tuple(loss.shape)).astype(dtype)
        (loss * T.tensor(w)).sum().backward()
        results.append((loss, x.grad))
    assert_close(results[1][0], results[0][0], **tol)
    assert_close(results[1][1], results[0][1], **tol)


CASES = {
    "padded": lambda T, r: dict(
        targets=T.tensor(TARGETS),
        input_lengths=T.tensor(INPUT_LENGTHS),
        target_lengths=T.tensor(TARGET_LENGTHS),
        reduction=r,
    ),
    "concatenated-tuples": lambda T, r: dict(
        targets=T.tensor(np.concatenate([t[:n] for t, n in zip(TARGETS, TARGET_LENGTHS)])),
        input_lengths=tuple(INPUT_LENGTHS),
        target_lengths=tuple(TARGET_LENGTHS),
        reduction=r,
    ),
    "blank-4": lambda T, r: dict(
        targets=T.tensor(np.where(TARGETS == 4, 0, TARGETS)),
        blank=4,
        input_lengths=T.tensor(INPUT_LENGTHS),
        target_lengths=T.tensor(TARGET_LENGTHS),
        reduction=r,
    ),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_ctc_loss_matches_torch(case, reduction, dtype):
    tol = dict(rtol=1e-4, atol=1e-5) if dtype == np.float32 else {}
    _compare(lambda T, x: T.nn.functional.ctc_loss(x, **CASES[case](T, reduction)), _log_probs(dtype), dtype, **tol)


@pytest.mark.parametrize("zero_infinity", [False, True])
def test_impossible_alignment_and_zero_infinity(zero_infinity):
    """A target longer than its input has no alignment: an infinite loss, or 0 (and no gradient) with
    zero_infinity."""
    lengths = np.array([12, 2, 7])
    for reduction in ("none", "sum"):
        results = []
        for T in (torch, ember):
            x = T.tensor(_log_probs(np.float64), requires_grad=True)
            loss = T.nn.CTCLoss(reduction=reduction, zero_infinity=zero_infinity)(
                x, T.tensor(TARGETS), T.tensor(lengths), T.tensor(TARGET_LENGTHS)
            )
            if zero_infinity:
                loss.sum().backward()
            results.append((loss.detach().numpy(), None if x.grad is None else x.grad.numpy()))
        np.testing.assert_allclose(results[1][0], results[0][0])
        if zero_infinity:
            np.testing.assert_allclose(results[1][1], results[0][1], atol=1e-12)


def test_unbatched_input_and_graph():
    lp = _log_probs(np.float64)[:, 0]
    _compare(
        lambda T, x: T.nn.functional.ctc_loss(x, T.tensor(TARGETS[0]), (12,), (4,), reduction="none"), lp, np.float64
    )
    names = []
    for T in (torch, ember):
        x = T.tensor(_log_probs(np.float32), requires_grad=True)
        node = T.nn.CTCLoss()(x, T.tensor(TARGETS), T.tensor(INPUT_LENGTHS), T.tensor(TARGET_LENGTHS)).grad_fn
        walk = []
        while node is not None:
            walk.append(type(node).__name__)
            node = node.next_functions[0][0] if node.next_functions else None
        names.append(walk)
    assert names[1] == names[0] == ["MeanBackward0", "DivBackward0", "CtcLossBackward0", "AccumulateGrad"]


def test_errors_and_module_repr():
    lp = ember.tensor(_log_probs(np.float32))
    with pytest.raises(RuntimeError, match="Expected tensor to have size at least 4 at dimension 1"):
        ember.nn.functional.ctc_loss(lp, ember.tensor(TARGETS[:, :3]), INPUT_LENGTHS, TARGET_LENGTHS)
    with pytest.raises(RuntimeError, match="input_lengths must be of size batch_size"):
        ember.nn.functional.ctc_loss(lp, ember.tensor(TARGETS), (12, 9), TARGET_LENGTHS)
    assert repr(ember.nn.CTCLoss(blank=2)) == repr(torch.nn.CTCLoss(blank=2)) == "CTCLoss()"
    x = ember.tensor(_log_probs(np.float64), requires_grad=True)
    loss = ember.nn.functional.ctc_loss(x, ember.tensor(TARGETS), INPUT_LENGTHS, TARGET_LENGTHS)
    with pytest.raises(RuntimeError, match="the derivative for '_ctc_loss_backward' is not implemented"):
        ember.autograd.grad(loss, x, create_graph=True)
