"""F.gumbel_softmax: with ember's noise fed to torch's formula, the same values and gradients (soft and hard,
any tau and dim); the hard sample is one-hot at the soft sample's argmax with the soft gradient; argmax
frequencies follow softmax(logits) (the Gumbel-max property)."""

import warnings

import numpy as np
import pytest

import ember
from oracle import assert_close, torch


def _noise(shape, seed):
    """The exponential draws gumbel_softmax makes right after ember.manual_seed(seed)."""
    ember.manual_seed(seed)
    return ember.empty(shape).exponential_().numpy()


@pytest.mark.parametrize("hard", [False, True])
@pytest.mark.parametrize("tau,dim", [(1.0, -1), (0.3, 0), (2.5, 1)])
def test_gumbel_softmax_is_torchs_formula_on_embers_noise(hard, tau, dim):
    logits = np.random.default_rng(0).standard_normal((4, 5, 3)).astype(np.float32)
    noise = _noise(logits.shape, 7)
    t_logits = torch.tensor(logits, requires_grad=True)
    y_soft = ((t_logits - torch.tensor(noise).log()) / tau).softmax(dim)
    if hard:
        index = y_soft.max(dim, keepdim=True)[1]
        expected = torch.zeros_like(t_logits).scatter_(dim, index, 1.0) - y_soft.detach() + y_soft
    else:
        expected = y_soft
    e_logits = ember.tensor(logits, requires_grad=True)
    ember.manual_seed(7)
    got = ember.nn.functional.gumbel_softmax(e_logits, tau=tau, hard=hard, dim=dim)
    assert_close(got, expected)
    w = np.random.default_rng(1).standard_normal(logits.shape).astype(np.float32)
    (expected * torch.tensor(w)).sum().backward()
    (got * ember.tensor(w)).sum().backward()
    assert_close(e_logits.grad, t_logits.grad)


def test_hard_sample_is_one_hot_with_the_soft_gradient():
    logits = ember.randn(6, 4, requires_grad=True)
    ember.manual_seed(3)
    hard = ember.nn.functional.gumbel_softmax(logits, hard=True)
    ember.manual_seed(3)
    soft = ember.nn.functional.gumbel_softmax(logits)
    h = hard.detach().numpy()
    assert set(np.unique(h)) == {0.0, 1.0} and (h.sum(1) == 1).all()
    assert (h.argmax(1) == soft.detach().numpy().argmax(1)).all()
    (g_hard,) = ember.autograd.grad(hard[:, 1].sum(), logits)
    (g_soft,) = ember.autograd.grad(soft[:, 1].sum(), logits)
    assert_close(g_hard, g_soft)


def test_argmax_frequencies_follow_softmax():
    logits = np.log(np.array([0.1, 0.2, 0.3, 0.4], dtype=np.float32))
    samples = ember.nn.functional.gumbel_softmax(ember.tensor(np.tile(logits, (20000, 1))), tau=0.1, hard=True)
    freq = samples.numpy().mean(0)
    np.testing.assert_allclose(freq, [0.1, 0.2, 0.3, 0.4], atol=0.015)


def test_eps_is_deprecated_as_torch():
    with pytest.warns(UserWarning, match="`eps` parameter is deprecated and has no effect."):
        ember.nn.functional.gumbel_softmax(ember.randn(2, 3), eps=1e-5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ember.nn.functional.gumbel_softmax(ember.randn(2, 3))
