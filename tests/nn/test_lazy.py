"""Lazy modules against torch: UninitializedParameter/Buffer before the first call (repr, state_dict, errors),
shapes inferred from the first input, the class they become, outputs and gradients with torch's weights, an
optimizer built before the first call, load_state_dict into a lazy module, dtype changes before the call."""

import copy

import numpy as np
import pytest

import ember
from oracle import assert_close, torch

LAZY = [
    ("LazyLinear", (3,), {}, (2, 5), "Linear"),
    ("LazyLinear", (3,), dict(bias=False), (4, 2, 5), "Linear"),
    ("LazyConv1d", (4, 3), dict(padding=1), (2, 3, 7), "Conv1d"),
    ("LazyConv2d", (4, 3), dict(stride=2, groups=2), (2, 6, 7, 7), "Conv2d"),
    ("LazyConv2d", (4, 3), {}, (3, 6, 6), "Conv2d"),
    ("LazyConv3d", (2, 2), dict(bias=False), (1, 2, 4, 4, 4), "Conv3d"),
    ("LazyConvTranspose1d", (4, 3), dict(stride=2), (2, 3, 5), "ConvTranspose1d"),
    ("LazyConvTranspose2d", (4, 3), dict(output_padding=1, stride=2), (2, 3, 4, 4), "ConvTranspose2d"),
    ("LazyConvTranspose3d", (2, 2), {}, (1, 3, 3, 3, 3), "ConvTranspose3d"),
    ("LazyBatchNorm1d", (), {}, (4, 3), "BatchNorm1d"),
    ("LazyBatchNorm2d", (), dict(momentum=0.3), (2, 3, 4, 4), "BatchNorm2d"),
    ("LazyBatchNorm3d", (), dict(affine=False), (2, 3, 2, 2, 2), "BatchNorm3d"),
    ("LazyInstanceNorm1d", (), {}, (2, 3, 5), "InstanceNorm1d"),
    ("LazyInstanceNorm2d", (), dict(track_running_stats=False), (2, 3, 4, 4), "InstanceNorm2d"),
    ("LazyInstanceNorm3d", (), dict(affine=False), (1, 2, 3, 3, 3), "InstanceNorm3d"),
]


def _id(row):
    return row[0] + "-" + "-".join(f"{k}={v}" for k, v in row[2].items()) + "-" + "x".join(map(str, row[3]))


@pytest.mark.parametrize("name,args,kwargs,shape,becomes", LAZY, ids=[_id(r) for r in LAZY])
def test_lazy_module_matches_torch(name, args, kwargs, shape, becomes):
    t_mod, e_mod = getattr(torch.nn, name)(*args, **kwargs), getattr(ember.nn, name)(*args, **kwargs)
    assert repr(e_mod) == repr(t_mod)
    t_sd, e_sd = t_mod.state_dict(), e_mod.state_dict()
    assert list(e_sd) == list(t_sd)
    assert [repr(v) for v in e_sd.values()] == [repr(v) for v in t_sd.values()]
    assert e_mod.has_uninitialized_params() and t_mod.has_uninitialized_params()
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    t_mod(torch.tensor(x))
    e_mod(ember.tensor(x))
    assert type(e_mod).__name__ == type(t_mod).__name__ == becomes
    assert repr(e_mod) == repr(t_mod)
    assert [(k, tuple(v.shape)) for k, v in e_mod.state_dict().items()] == [
        (k, tuple(v.shape)) for k, v in t_mod.state_dict().items()
    ]
    # with torch's weights (and statistics) loaded, the same outputs and gradients
    e_mod.load_state_dict({k: ember.tensor(v.numpy()) for k, v in t_mod.state_dict().items()})
    t_in, e_in = torch.tensor(x, requires_grad=True), ember.tensor(x, requires_grad=True)
    t_out, e_out = t_mod(t_in), e_mod(e_in)
    assert_close(e_out, t_out, atol=1e-5)
    w = np.random.default_rng(1).standard_normal(tuple(t_out.shape)).astype(np.float32)
    (t_out * torch.tensor(w)).sum().backward()
    (e_out * ember.tensor(w)).sum().backward()
    assert_close(e_in.grad, t_in.grad, atol=1e-5)
    for (name_e, p_e), (name_t, p_t) in zip(e_mod.named_parameters(), t_mod.named_parameters()):
        assert name_e == name_t
        assert_close(p_e.grad, p_t.grad, atol=1e-5)


def test_optimizer_built_before_the_first_call_trains_the_materialized_parameters():
    model = ember.nn.Sequential(ember.nn.LazyLinear(4), ember.nn.ReLU(), ember.nn.LazyLinear(1))
    opt = ember.optim.Adam(model.parameters(), lr=0.01)
    x, y = ember.randn(8, 3), ember.randn(8, 1)
    losses = []
    for _ in range(20):
        opt.zero_grad()
        loss = ((model(x) - y) ** 2).mean()
        loss.backward()
        opt.step()
        losses.append(float(loss))
    assert opt.param_groups[0]["params"][0] is model[0].weight and model[0].weight.shape == (4, 3)
    assert isinstance(model[0], ember.nn.Linear) and type(model[0].weight) is ember.nn.Parameter
    assert losses[-1] < losses[0]


def test_load_state_dict_materializes_and_keeps_the_lazy_class():
    for T in (torch, ember):
        source = T.nn.Linear(4, 3)
        lazy = T.nn.LazyLinear(3)
        lazy.load_state_dict(source.state_dict())
        assert type(lazy).__name__ == "LazyLinear" and tuple(lazy.weight.shape) == (3, 4)
        assert not lazy.has_uninitialized_params()
        assert np.array_equal(lazy.weight.detach().numpy(), source.weight.detach().numpy())
        lazy(T.randn(2, 4))
        assert type(lazy).__name__ == "Linear"


def test_dtype_and_copies_before_the_first_call():
    lazy = ember.nn.LazyLinear(3).double()
    clone = copy.deepcopy(lazy)
    assert isinstance(clone.weight, ember.nn.UninitializedParameter)
    lazy(ember.randn(2, 5, dtype=ember.float64))
    assert lazy.weight.dtype == ember.float64 and lazy.in_features == 5
    assert ember.nn.LazyLinear(2, dtype=ember.float64).weight.dtype == ember.float64
    bn = ember.nn.LazyBatchNorm1d()
    assert isinstance(bn.running_mean, ember.nn.UninitializedBuffer) and not bn.running_mean.requires_grad
    bn(ember.randn(4, 3))
    assert type(bn.running_mean) is ember.Tensor and bn.running_mean.shape == (3,)


def test_uninitialized_parameter_errors_as_torch():
    for T in (torch, ember):
        p = T.nn.LazyLinear(3).weight
        assert repr(p) == "<UninitializedParameter>" and p.requires_grad
        with pytest.raises(RuntimeError, match="Can't access the shape of an uninitialized parameter or buffer"):
            p.shape
        with pytest.raises(ValueError, match="Attempted to use an uninitialized parameter in"):
            p.numel()
    with pytest.raises(RuntimeError, match=r"Expected 3D \(unbatched\) or 4D \(batched\) input to LazyConv2d"):
        ember.nn.LazyConv2d(2, 3)(ember.randn(5, 5))
    with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
        ember.nn.LazyConv2d(4, 3, groups=2)(ember.randn(1, 3, 5, 5))
