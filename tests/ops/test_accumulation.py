"""Reductions accumulate as torch's CPU kernels do: float16/bfloat16 in float32 (rounded once at the end),
float32 scans (cumsum/cumprod) in float64. Each case runs on torch and ember with the same inputs."""

import numpy as np
import pytest

import ember
from oracle import torch

F_ = lambda T: T.nn.functional  # noqa: E731
RNG = np.random.default_rng(0)
X = RNG.standard_normal((8, 4096)).astype(np.float32)
Y = RNG.standard_normal((8, 4096)).astype(np.float32)
TARGET = RNG.integers(0, 4096, 8)

# (id, fn(T, a, b)) with a, b the (8, 4096) inputs in the dtype under test
REDUCTIONS = [
    ("sum", lambda T, a, b: a.sum()),
    ("sum-dim", lambda T, a, b: a.sum(1)),
    ("mean", lambda T, a, b: a.abs().mean()),
    ("mean-dim", lambda T, a, b: a.abs().mean(1)),
    ("nansum", lambda T, a, b: a.abs().nansum()),
    ("nanmean", lambda T, a, b: a.abs().nanmean()),
    ("norm", lambda T, a, b: a.norm()),
    ("norm-dim", lambda T, a, b: a.norm(dim=1)),
    ("norm-p1", lambda T, a, b: a.norm(p=1)),
    ("var", lambda T, a, b: a.var(1)),
    ("std", lambda T, a, b: a.std()),
    ("softmax", lambda T, a, b: a.softmax(1)),
    ("softmax-total", lambda T, a, b: a.softmax(1).sum(1)),
    ("log_softmax", lambda T, a, b: a.log_softmax(1)),
    ("logsumexp", lambda T, a, b: a.logsumexp(1)),
    ("cumsum", lambda T, a, b: a.abs().cumsum(1)),
    ("cumprod", lambda T, a, b: (1 + a[:, :256] * 0.01).cumprod(1)),
    ("layer_norm", lambda T, a, b: F_(T).layer_norm(a, (4096,))),
    ("layer_norm-affine", lambda T, a, b: F_(T).layer_norm(a, (4096,), a[0], b[0])),
    ("group_norm", lambda T, a, b: F_(T).group_norm(a.reshape(2, 4, 4096), 2)),
    ("batch_norm", lambda T, a, b: F_(T).batch_norm(a.reshape(64, 512), None, None, training=True)),
    ("cross_entropy", lambda T, a, b: F_(T).cross_entropy(a, T.tensor(TARGET))),
    ("cross_entropy-probabilities", lambda T, a, b: F_(T).cross_entropy(a, b.softmax(1))),
    ("nll_loss", lambda T, a, b: F_(T).nll_loss(a.log_softmax(1), T.tensor(TARGET))),
    ("mse_loss", lambda T, a, b: F_(T).mse_loss(a, b)),
    ("l1_loss", lambda T, a, b: F_(T).l1_loss(a, b)),
    ("smooth_l1_loss", lambda T, a, b: F_(T).smooth_l1_loss(a, b)),
    ("binary_cross_entropy", lambda T, a, b: F_(T).binary_cross_entropy(a.sigmoid(), b.sigmoid())),
    ("bce_with_logits", lambda T, a, b: F_(T).binary_cross_entropy_with_logits(a, b.sigmoid())),
    ("kl_div", lambda T, a, b: F_(T).kl_div(a.log_softmax(1), b.softmax(1), reduction="batchmean")),
    ("cosine_similarity", lambda T, a, b: F_(T).cosine_similarity(a, b)),
    ("avg_pool1d", lambda T, a, b: F_(T).avg_pool1d(a.abs().reshape(8, 1, 4096), 4096)),
    ("adaptive_avg_pool1d", lambda T, a, b: F_(T).adaptive_avg_pool1d(a.abs().reshape(8, 1, 4096), 1)),
    ("einsum", lambda T, a, b: T.einsum("ij->i", a.abs())),
]


def _run(fn, T, dtype_name):
    dt = getattr(T, dtype_name)
    out = fn(T, T.tensor(X).to(dt), T.tensor(Y).to(dt))
    return str(out.dtype), out.detach().float().numpy()


@pytest.mark.parametrize("dtype_name", ["float16", "bfloat16"])
@pytest.mark.parametrize("name,fn", REDUCTIONS, ids=[r[0] for r in REDUCTIONS])
def test_half_precision_reduction_matches_torch(name, fn, dtype_name):
    if dtype_name == "bfloat16":
        pytest.importorskip("ml_dtypes")
    t_dtype, theirs = _run(fn, torch, dtype_name)
    e_dtype, ours = _run(fn, ember, dtype_name)
    assert e_dtype == t_dtype
    # within two units in the last place of the low-precision result (a running bfloat16 sum is off by ~50%)
    ulp = 2.0**-7 if dtype_name == "bfloat16" else 2.0**-10
    np.testing.assert_allclose(ours, theirs, rtol=2 * ulp, atol=2 * ulp * np.abs(theirs).max())


@pytest.mark.parametrize("dtype_name", ["float16", "bfloat16"])
def test_half_precision_reduction_gradients_match_torch(dtype_name):
    if dtype_name == "bfloat16":
        pytest.importorskip("ml_dtypes")
    grads = []
    for T in (torch, ember):
        dt = getattr(T, dtype_name)
        a = T.tensor(X[:2]).to(dt).requires_grad_()
        w = T.tensor(X[2]).to(dt).requires_grad_()
        loss = (F_(T).layer_norm(a, (4096,), w).softmax(1) * T.tensor(Y[:2]).to(dt)).sum() + a.sum() * 0.5
        loss.backward()
        grads.append([g.float().numpy() for g in (a.grad, w.grad)])
    ulp = 2.0**-7 if dtype_name == "bfloat16" else 2.0**-10
    for ours, theirs in zip(grads[1], grads[0]):
        np.testing.assert_allclose(ours, theirs, rtol=4 * ulp, atol=4 * ulp * np.abs(theirs).max())


def test_bfloat16_sum_of_many_small_values_as_torch():
    pytest.importorskip("ml_dtypes")
    ours = ember.full((100000,), 0.1, dtype=ember.bfloat16).sum()
    theirs = torch.full((100000,), 0.1, dtype=torch.bfloat16).sum()
    assert ours.dtype is ember.bfloat16 and ours.item() == theirs.item() == 9984.0


def test_bfloat16_softmax_of_4096_values_sums_to_one():
    pytest.importorskip("ml_dtypes")
    total = ember.tensor(X[0]).bfloat16().softmax(0).float().sum().item()
    assert abs(total - 1) < 1e-2


def test_float16_cumsum_as_torch():
    ours = ember.full((5000,), 0.1, dtype=ember.float16).cumsum(0)
    theirs = torch.full((5000,), 0.1, dtype=torch.float16).cumsum(0)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    assert ours[-1].item() == 500.0


def test_float32_scans_accumulate_in_float64_as_torch():
    ours = ember.full((1000000,), 0.1).cumsum(0)
    theirs = torch.full((1000000,), 0.1).cumsum(0)
    assert ours.dtype is ember.float32
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    x = 1 + RNG.standard_normal(20000).astype(np.float32) * 1e-3
    np.testing.assert_array_equal(ember.tensor(x).cumprod(0).numpy(), torch.tensor(x).cumprod(0).numpy())
