"""nn.utils.parametrize and parametrizations (weight_norm, spectral_norm) and the old nn.utils.weight_norm
against torch: state_dict keys, class and repr, outputs and every gradient with torch's tensors loaded,
power iterations in training, cached(), remove_parametrizations, right_inverse through assignment."""

import numpy as np
import pytest

import ember
from oracle import assert_close, torch


def _load(t_mod, e_mod):
    e_mod.load_state_dict({k: ember.tensor(v.detach().numpy().copy()) for k, v in t_mod.state_dict().items()})


def _compare(t_mod, e_mod, shape, steps=2):
    """Same outputs and gradients over a few training forwards (spectral norm's power method runs in each)."""
    _load(t_mod, e_mod)
    for step in range(steps):
        x = np.random.default_rng(step).standard_normal(shape).astype(np.float32)
        t_x, e_x = torch.tensor(x, requires_grad=True), ember.tensor(x, requires_grad=True)
        t_out, e_out = t_mod(t_x), e_mod(e_x)
        assert_close(e_out, t_out, atol=1e-5)
        t_out.pow(2).sum().backward()
        e_out.pow(2).sum().backward()
        assert_close(e_x.grad, t_x.grad, atol=1e-5)
        for (name, e_p), (_, t_p) in zip(e_mod.named_parameters(), t_mod.named_parameters()):
            assert_close(e_p.grad, t_p.grad, atol=1e-5, what=name)
        t_mod.zero_grad()
        e_mod.zero_grad()
    for (name, e_v), (_, t_v) in zip(e_mod.state_dict().items(), t_mod.state_dict().items()):
        assert_close(e_v, t_v, atol=1e-5, what=name)


@pytest.mark.parametrize(
    "make,shape,dim",
    [
        (lambda nn: nn.Linear(4, 3), (2, 4), 0),
        (lambda nn: nn.Conv2d(2, 3, 3), (1, 2, 5, 5), 1),
        (lambda nn: nn.Linear(4, 3), (2, 4), None),
    ],
)
def test_weight_norm_parametrization_matches_torch(make, shape, dim):
    mods = []
    for T in (torch, ember):
        T.manual_seed(0)
        mods.append(T.nn.utils.parametrizations.weight_norm(make(T.nn), dim=dim))
    t_mod, e_mod = mods
    assert list(e_mod.state_dict()) == list(t_mod.state_dict())
    assert type(e_mod).__name__ == type(t_mod).__name__ and repr(e_mod) == repr(t_mod)
    assert tuple(e_mod.parametrizations.weight.original0.shape) == tuple(t_mod.parametrizations.weight.original0.shape)
    _compare(t_mod, e_mod, shape)


@pytest.mark.parametrize(
    "make,shape,kwargs",
    [
        (lambda nn: nn.Linear(5, 4), (3, 5), {}),
        (lambda nn: nn.ConvTranspose2d(3, 2, 3), (1, 3, 4, 4), {}),
        (lambda nn: nn.Conv1d(2, 4, 3), (2, 2, 6), dict(n_power_iterations=3, dim=1)),
    ],
)
def test_spectral_norm_parametrization_matches_torch(make, shape, kwargs):
    mods = []
    for T in (torch, ember):
        mods.append(T.nn.utils.parametrizations.spectral_norm(make(T.nn), **kwargs))
    t_mod, e_mod = mods
    assert list(e_mod.state_dict()) == list(t_mod.state_dict())
    _compare(t_mod, e_mod, shape, steps=3)
    t_mod.eval(), e_mod.eval()
    _compare(t_mod, e_mod, shape, steps=1)


def test_register_parametrization_cached_assignment_and_removal():
    class Symmetric(ember.nn.Module):
        def forward(self, x):
            return x.triu() + x.triu(1).transpose(0, 1)

        def right_inverse(self, a):
            return a.triu()

    layer = ember.nn.Linear(3, 3)
    opt = ember.optim.SGD(layer.parameters(), lr=0.1)
    original = layer.weight
    ember.nn.utils.parametrize.register_parametrization(layer, "weight", Symmetric())
    assert ember.nn.utils.parametrize.is_parametrized(layer, "weight")
    assert type(layer).__name__ == "ParametrizedLinear" and layer.parametrizations.weight.original is original
    assert ember.nn.utils.parametrize.type_before_parametrizations(layer) is ember.nn.Linear
    w = layer.weight.detach().numpy()
    np.testing.assert_array_equal(w, w.T)
    layer(ember.randn(2, 3)).sum().backward()
    opt.step()  # the optimizer built before still updates the original
    np.testing.assert_array_equal(layer.weight.detach().numpy(), layer.weight.detach().numpy().T)
    with ember.nn.utils.parametrize.cached():
        assert layer.weight is layer.weight
    assert layer.weight is not layer.weight
    target = ember.tensor(np.array([[1.0, 2, 3], [2, 4, 5], [3, 5, 6]], dtype=np.float32))
    layer.weight = target  # through right_inverse
    np.testing.assert_array_equal(layer.weight.detach().numpy(), target.numpy())
    ember.nn.utils.parametrize.remove_parametrizations(layer, "weight")
    assert type(layer) is ember.nn.Linear and isinstance(layer.weight, ember.nn.Parameter)
    np.testing.assert_array_equal(layer.weight.detach().numpy(), target.numpy())
    with pytest.raises(ValueError, match="does not have a parameter, a buffer, or a parametrized element"):
        ember.nn.utils.parametrize.register_parametrization(layer, "nothing", Symmetric())


def test_old_weight_norm_hooks_match_torch():
    mods = []
    for T in (torch, ember):
        T.manual_seed(0)
        with pytest.warns(FutureWarning, match="torch.nn.utils.weight_norm` is deprecated"):
            mods.append(T.nn.utils.weight_norm(T.nn.Linear(4, 3)))
    t_mod, e_mod = mods
    assert list(e_mod.state_dict()) == list(t_mod.state_dict()) == ["bias", "weight_g", "weight_v"]
    _compare(t_mod, e_mod, (2, 4))
    for T, mod in ((torch, t_mod), (ember, e_mod)):
        T.nn.utils.remove_weight_norm(mod)
    assert list(e_mod.state_dict()) == list(t_mod.state_dict())
    assert_close(e_mod.weight, t_mod.weight, atol=1e-6)


def test_weight_norm_interface_double_backward():
    from ember.nn.utils.parametrizations import WeightNormInterface

    v = ember.tensor(np.random.default_rng(0).standard_normal((3, 4)), requires_grad=True)
    g = ember.tensor(np.random.default_rng(1).random((3, 1)) + 0.5, requires_grad=True)
    fn = lambda v, g: WeightNormInterface.apply(v, g, 0)  # noqa: E731
    assert ember.autograd.gradcheck(fn, (v, g)) and ember.autograd.gradgradcheck(fn, (v, g))
