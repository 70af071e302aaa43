"""A bfloat16 autocast training step of a small classifier matches torch's loss and gradients."""

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")
pytest.importorskip("ml_dtypes")


def _train(T, arrays, steps):
    x, y, *params = arrays
    model = T.nn.Sequential(
        T.nn.Linear(x.shape[1], params[0].shape[0]), T.nn.ReLU(), T.nn.Linear(params[0].shape[0], params[2].shape[0])
    )
    with T.no_grad():
        for p, v in zip(model.parameters(), params):
            p.copy_(T.tensor(v))
    opt = T.optim.SGD(model.parameters(), lr=0.1)
    losses, first_grads = [], None
    for _ in range(steps):
        opt.zero_grad()
        with T.autocast("cpu", dtype=T.bfloat16):
            out = model(T.tensor(x))
            loss = T.nn.functional.cross_entropy(out, T.tensor(y))
        assert out.dtype is T.bfloat16 and loss.dtype is T.float32
        loss.backward()
        if first_grads is None:
            first_grads = [p.grad.numpy().copy() for p in model.parameters()]
        opt.step()
        losses.append(loss.item())
    return losses, first_grads


def test_bfloat16_autocast_classifier_step_matches_torch():
    rng = np.random.default_rng(0)
    n, d, h, c = 64, 256, 512, 1000
    arrays = [
        rng.standard_normal((n, d)).astype(np.float32),
        rng.integers(0, c, n),
        (rng.standard_normal((h, d)) / 16).astype(np.float32),
        (rng.standard_normal(h) * 0.1).astype(np.float32),
        (rng.standard_normal((c, h)) / 22).astype(np.float32),
        (rng.standard_normal(c) * 0.1).astype(np.float32),
    ]
    t_losses, t_grads = _train(torch, arrays, 3)
    e_losses, e_grads = _train(ember, arrays, 3)
    np.testing.assert_allclose(e_losses, t_losses, rtol=2.0**-8)
    for ours, theirs in zip(e_grads, t_grads):
        np.testing.assert_allclose(ours, theirs, rtol=2.0**-7, atol=2.0**-8 * np.abs(theirs).max())
