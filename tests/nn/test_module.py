"""nn.Module behaviour against torch for the same architecture: registration, iteration orders,
state_dict keys and loading (strict and not), modes, casting, hooks, repr, containers, deepcopy."""

import copy
import re

import numpy as np
import pytest

import ember
from oracle import assert_close, torch


def make_net(T):
    """A nested model, written once for both libraries."""
    nn = T.nn

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.proj = nn.Linear(4, 4)
            self.act = nn.Tanh()
            self.scale = nn.Parameter(T.ones(4))
            self.register_buffer("offset", T.zeros(4))
            self.register_buffer("scratch", T.zeros(2), persistent=False)

        def forward(self, x):
            return self.act(self.proj(x)) * self.scale + self.offset

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Linear(3, 4)
            self.blocks = nn.ModuleList([Block(), Block()])
            self.head = nn.Sequential(nn.ReLU(), nn.Dropout(0.1), nn.Linear(4, 2, bias=False))
            self.extras = nn.ModuleDict({"gate": nn.Linear(2, 2), "prelu": nn.PReLU()})
            self.temperature = nn.Parameter(T.tensor(1.5))

        def forward(self, x):
            h = self.embed(x)
            for block in self.blocks:
                h = block(h)
            h = self.head(h)
            return self.extras["prelu"](self.extras["gate"](h)) / self.temperature

    return Net()


def _names(pairs):
    return [name for name, _ in pairs]


@pytest.fixture
def nets():
    return make_net(ember), make_net(torch)


def test_iteration_orders_match_torch(nets):
    ours, theirs = nets
    assert _names(ours.named_parameters()) == _names(theirs.named_parameters())
    assert [tuple(p.shape) for p in ours.parameters()] == [tuple(p.shape) for p in theirs.parameters()]
    assert _names(ours.named_buffers()) == _names(theirs.named_buffers())
    assert _names(ours.named_children()) == _names(theirs.named_children())
    assert _names(ours.named_modules()) == _names(theirs.named_modules())
    assert [type(m).__name__ for m in ours.modules()] == [type(m).__name__ for m in theirs.modules()]
    assert [type(m).__name__ for m in ours.children()] == [type(m).__name__ for m in theirs.children()]
    assert _names(ours.named_parameters(recurse=False)) == _names(theirs.named_parameters(recurse=False))
    assert _names(ours.blocks[0].named_parameters(prefix="b")) == _names(theirs.blocks[0].named_parameters(prefix="b"))


def test_state_dict_keys_match_torch(nets):
    ours, theirs = nets
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert "blocks.0.scratch" not in ours.state_dict()
    seq_ours = ember.nn.Sequential(ember.nn.Linear(2, 3), ember.nn.ReLU(), ember.nn.Linear(3, 1))
    seq_theirs = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU(), torch.nn.Linear(3, 1))
    assert list(seq_ours.state_dict()) == list(seq_theirs.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert list(ours.state_dict()._metadata) == list(theirs.state_dict()._metadata)


def test_repr_matches_torch(nets):
    ours, theirs = nets
    assert repr(ours) == repr(theirs)
    assert repr(ember.nn.ParameterList([ember.nn.Parameter(ember.ones(2, 3))])) == repr(
        torch.nn.ParameterList([torch.nn.Parameter(torch.ones(2, 3))])
    )


def _torch_state_as_numpy(theirs):
    return {k: v.detach().numpy().copy() for k, v in theirs.state_dict().items()}


def test_torch_state_dict_loads_and_gives_identical_outputs(nets):
    ours, theirs = nets
    result = ours.load_state_dict(_torch_state_as_numpy(theirs))
    assert result.missing_keys == [] and result.unexpected_keys == []
    ours.eval(), theirs.eval()
    x = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32)
    ex, tx = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out_ours, out_theirs = ours(ex), theirs(tx)
    assert_close(out_ours, out_theirs)
    out_ours.sum().backward()
    out_theirs.sum().backward()
    assert_close(ex.grad, tx.grad)
    for (name, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
        assert_close(p.grad, q.grad, what=name)


def test_load_state_dict_strict_lists_every_missing_and_unexpected_key(nets):
    ours, theirs = nets
    state = _torch_state_as_numpy(theirs)
    del state["embed.bias"], state["blocks.1.offset"]
    state["head.5.weight"] = np.zeros(3, np.float32)
    state["extra"] = np.zeros(1, np.float32)
    with pytest.raises(RuntimeError) as info:
        ours.load_state_dict(state)
    with pytest.raises(RuntimeError) as torch_info:
        theirs.load_state_dict({k: torch.tensor(v) for k, v in state.items()})
    msg = str(info.value)
    assert msg.startswith("Error(s) in loading state_dict for Net:")
    assert 'Missing key(s) in state_dict: "embed.bias", "blocks.1.offset".' in msg
    assert 'Unexpected key(s) in state_dict: "extra", "head.5.weight".' in msg  # torch's module order
    assert msg == str(torch_info.value)
    result = ours.load_state_dict(state, strict=False)
    torch_result = theirs.load_state_dict({k: torch.tensor(v) for k, v in state.items()}, strict=False)
    assert result.missing_keys == torch_result.missing_keys == ["embed.bias", "blocks.1.offset"]
    assert result.unexpected_keys == torch_result.unexpected_keys == ["extra", "head.5.weight"]


def test_load_state_dict_size_mismatch(nets):
    ours, theirs = nets
    state = _torch_state_as_numpy(theirs)
    state["embed.weight"] = np.zeros((5, 3), np.float32)
    state["head.2.weight"] = np.zeros((2, 5), np.float32)
    with pytest.raises(RuntimeError) as info:
        ours.load_state_dict(state)
    msg = str(info.value)
    assert (
        "size mismatch for embed.weight: copying a param with shape torch.Size([5, 3]) from checkpoint, the "
        "shape in current model is torch.Size([4, 3])." in msg
    )
    assert "size mismatch for head.2.weight" in msg


def test_load_state_dict_copies_values_in_place(nets):
    ours, theirs = nets
    weight = ours.embed.weight
    ours.load_state_dict(_torch_state_as_numpy(theirs))
    assert ours.embed.weight is weight
    np.testing.assert_array_equal(weight.detach().numpy(), theirs.embed.weight.detach().numpy())


def test_registration_through_setattr():
    m = ember.nn.Module()
    m.w = ember.nn.Parameter(ember.ones(2))
    m.child = ember.nn.Linear(2, 2)
    m.plain = ember.ones(2)  # a plain tensor is an attribute, not a buffer
    assert _names(m.named_parameters()) == ["w", "child.weight", "child.bias"]
    assert list(m.named_buffers()) == []
    m.register_buffer("b", ember.zeros(1))
    m.b = ember.ones(1)  # reassigning keeps it a buffer
    assert _names(m.named_buffers()) == ["b"]
    m.w = None
    assert _names(m.named_parameters()) == ["child.weight", "child.bias"]
    with pytest.raises(TypeError, match="cannot assign 'Tensor' as parameter 'w'"):
        m.w = ember.ones(2)
    del m.child
    assert _names(m.named_modules()) == [""]
    with pytest.raises(AttributeError, match="cannot assign parameters before Module.__init__"):

        class Broken(ember.nn.Module):
            def __init__(self):
                self.w = ember.nn.Parameter(ember.ones(1))

        Broken()


def test_a_non_leaf_parameter_is_refused_with_its_name_as_torch():
    messages = []
    for T in (ember, torch):
        computed = (T.nn.Parameter(T.ones(2)) * 2).as_subclass(T.nn.Parameter)
        with pytest.raises(ValueError) as info:
            T.nn.Module().register_parameter("w", computed)
        messages.append(str(info.value))
    assert messages[0] == messages[1]
    assert "To express 'w' as a function" in messages[0]


def test_shared_parameters_are_listed_once():
    for T in (ember, torch):
        layer = T.nn.Linear(3, 3)
        model = T.nn.Sequential(layer, T.nn.ReLU(), layer)
        assert len(list(model.parameters())) == 2
        assert _names(model.named_modules()) == ["", "0", "1"]


def test_apply_visits_children_first(nets):
    orders = []
    for net in nets:
        seen = []
        net.apply(lambda m: seen.append(type(m).__name__))
        orders.append(seen)
    assert orders[0] == orders[1]


def test_train_eval_propagate(nets):
    ours, _ = nets
    assert all(m.training for m in ours.modules())
    assert ours.eval() is ours
    assert not any(m.training for m in ours.modules())
    ours.blocks.train()
    assert ours.blocks[1].proj.training and not ours.head.training
    with pytest.raises(ValueError, match="training mode is expected to be boolean"):
        ours.train("yes")


def test_zero_grad_and_requires_grad(nets):
    ours, _ = nets
    ours(ember.randn(2, 3)).sum().backward()
    assert all(p.grad is not None for p in ours.parameters())
    ours.zero_grad(set_to_none=False)
    assert all(p.grad is not None and not p.grad.numpy().any() for p in ours.parameters())
    ours.zero_grad()
    assert all(p.grad is None for p in ours.parameters())
    ours.requires_grad_(False)
    assert not any(p.requires_grad for p in ours.parameters())
    ours.embed.requires_grad_()
    assert [n for n, p in ours.named_parameters() if p.requires_grad] == ["embed.weight", "embed.bias"]


def test_casting_keeps_parameter_objects(nets):
    ours, _ = nets
    weight = ours.embed.weight
    assert ours.to(ember.float64) is ours
    assert ours.embed.weight is weight and weight.dtype is ember.float64
    assert ours.blocks[0].offset.dtype is ember.float64
    ours.half()
    assert weight.dtype is ember.float16
    ours.float()
    assert weight.dtype is ember.float32
    ours.double()
    assert all(p.dtype is ember.float64 for p in ours.parameters())
    assert isinstance(weight, ember.nn.Parameter) and weight.requires_grad
    out = ours(ember.randn(2, 3, dtype=ember.float64))
    assert out.dtype is ember.float64
    with pytest.raises(TypeError, match="nn.Module.to only accepts floating point"):
        ours.to(ember.int64)


def test_forward_hooks_and_removal():
    for T in (ember, torch):
        layer = T.nn.Linear(2, 2)
        calls = []
        pre = layer.register_forward_pre_hook(lambda m, args: (args[0] * 0,))
        post = layer.register_forward_hook(lambda m, args, out: calls.append(out.shape) or out + 1)
        out = layer(T.ones(3, 2))
        np.testing.assert_allclose(
            out.detach().numpy(), np.broadcast_to(layer.bias.detach().numpy() + 1, (3, 2)), rtol=1e-6
        )
        assert calls == [(3, 2)]
        pre.remove()
        post.remove()
        out = layer(T.ones(3, 2))
        np.testing.assert_allclose(
            out.detach().numpy(), (T.ones(3, 2) @ layer.weight.T + layer.bias).detach().numpy(), rtol=1e-6
        )
        assert calls == [(3, 2)]


def test_sequential_indexing_slicing_and_editing():
    ours = ember.nn.Sequential(ember.nn.Linear(2, 3), ember.nn.ReLU(), ember.nn.Linear(3, 4), ember.nn.Tanh())
    theirs = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU(), torch.nn.Linear(3, 4), torch.nn.Tanh())
    assert len(ours) == 4 and isinstance(ours[-1], ember.nn.Tanh)
    assert repr(ours[1:3]) == repr(theirs[1:3]) and isinstance(ours[1:3], ember.nn.Sequential)
    for seq, nn in ((ours, ember.nn), (theirs, torch.nn)):
        seq.append(nn.Sigmoid())
        seq.insert(1, nn.Identity())
        del seq[3]
        seq[0] = nn.Linear(2, 3, bias=False)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    with pytest.raises(IndexError):
        ours[10]


def test_module_list_and_dict():
    for nn in (ember.nn, torch.nn):
        layers = nn.ModuleList([nn.Linear(1, 1) for _ in range(3)])
        layers.append(nn.ReLU())
        layers.extend([nn.Tanh()])
        layers.insert(0, nn.Identity())
        assert len(layers) == 6 and type(layers[0]).__name__ == "Identity"
        assert [type(m).__name__ for m in layers[1:3]] == ["Linear", "Linear"]
        d = nn.ModuleDict({"a": nn.ReLU()})
        d["b"] = nn.Tanh()
        d.update({"c": nn.Sigmoid()})
        assert list(d.keys()) == ["a", "b", "c"] and "b" in d and len(d) == 3
        del d["a"]
        assert list(d) == ["b", "c"]
    ours = ember.nn.ModuleList([ember.nn.Linear(2, 2), ember.nn.ReLU()])
    theirs = torch.nn.ModuleList([torch.nn.Linear(2, 2), torch.nn.ReLU()])
    assert repr(ours) == repr(theirs) and list(ours.state_dict()) == list(theirs.state_dict())


def test_parameter_list_registers_parameters():
    for T in (ember, torch):
        params = T.nn.ParameterList([T.nn.Parameter(T.ones(2)), T.nn.Parameter(T.zeros(3))])
        params.append(T.nn.Parameter(T.ones(1)))
        assert _names(params.named_parameters()) == ["0", "1", "2"]
        assert len(params) == 3 and tuple(params[1].shape) == (3,)


def test_deepcopy_is_independent(nets):
    ours, _ = nets
    clone = copy.deepcopy(ours)
    assert repr(clone) == repr(ours)
    for (_name, p), (_, q) in zip(ours.named_parameters(), clone.named_parameters()):
        assert p is not q and isinstance(q, ember.nn.Parameter) and q.requires_grad
        np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy())
    with ember.no_grad():
        clone.embed.weight.add_(1.0)
    assert not np.array_equal(clone.embed.weight.detach().numpy(), ours.embed.weight.detach().numpy())
    x = ember.randn(2, 3)
    ours.eval(), clone.eval()
    assert clone.blocks[0].offset is not ours.blocks[0].offset
    assert clone(x).shape == ours(x).shape


def test_missing_forward_and_unknown_attribute():
    with pytest.raises(NotImplementedError, match='missing the required "forward" function'):
        ember.nn.Module()(ember.ones(1))
    with pytest.raises(AttributeError, match=re.escape("'Linear' object has no attribute 'wieght'")):
        ember.nn.Linear(1, 1).wieght
