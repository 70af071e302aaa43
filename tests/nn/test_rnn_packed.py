"""RNN/LSTM/GRU with PackedSequence input and LSTM proj_size against torch (weights copied): the packed output
(data, batch_sizes, sorted/unsorted indices), h_n and c_n in the caller's batch order, and the gradients of the
padded input, the initial states and every weight."""

import numpy as np
import pytest

import ember
from oracle import assert_close, torch

LENGTHS = [5, 2, 4, 2]


def _load(t_mod, e_mod):
    e_mod.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in t_mod.state_dict().items()})


def _run(T, mod, x, lengths, enforce_sorted, hx):
    xs = T.tensor(x, requires_grad=True)
    packed = T.nn.utils.rnn.pack_padded_sequence(
        xs, lengths if enforce_sorted else LENGTHS, enforce_sorted=enforce_sorted
    )
    states = None if hx is None else tuple(T.tensor(h, requires_grad=True) for h in hx)
    out, h = mod(packed, None if states is None else (states if len(states) == 2 else states[0]))
    finals = h if isinstance(h, tuple) else (h,)
    padded, _ = T.nn.utils.rnn.pad_packed_sequence(out)
    loss = (padded**2).sum() + sum((f * (k + 2)).sum() for k, f in enumerate(finals))
    loss.backward()
    return out, finals, xs, states


CASES = [
    ("LSTM", dict(num_layers=2)),
    ("GRU", dict(bidirectional=True)),
    ("RNN", dict(nonlinearity="relu")),
    ("LSTM", dict(bidirectional=True, proj_size=2)),
    ("GRU", dict(num_layers=2, bidirectional=True)),
]


@pytest.mark.parametrize("enforce_sorted", [True, False])
@pytest.mark.parametrize("with_hx", [False, True])
@pytest.mark.parametrize(
    "name,kwargs", CASES, ids=[f"{n}-" + "-".join(f"{k}={v}" for k, v in kw.items()) for n, kw in CASES]
)
def test_packed_input_matches_torch(name, kwargs, with_hx, enforce_sorted):
    t_mod = getattr(torch.nn, name)(3, 4, **kwargs).double()
    e_mod = getattr(ember.nn, name)(3, 4, **kwargs).double()
    _load(t_mod, e_mod)
    rng = np.random.default_rng(0)
    lengths = sorted(LENGTHS, reverse=True)
    x = rng.standard_normal((5, 4, 3))
    layers = kwargs.get("num_layers", 1) * (2 if kwargs.get("bidirectional") else 1)
    hx = None
    if with_hx:
        hx = [rng.standard_normal((layers, 4, kwargs.get("proj_size", 4)))]
        if name == "LSTM":
            hx.append(rng.standard_normal((layers, 4, 4)))
    t_out, t_h, t_x, t_states = _run(torch, t_mod, x, lengths, enforce_sorted, hx)
    e_out, e_h, e_x, e_states = _run(ember, e_mod, x, lengths, enforce_sorted, hx)
    assert_close(e_out.data, t_out.data)
    assert_close(e_out.batch_sizes, t_out.batch_sizes)
    for ours, theirs in (
        (e_out.sorted_indices, t_out.sorted_indices),
        (e_out.unsorted_indices, t_out.unsorted_indices),
    ):
        assert (ours is None) == (theirs is None) and (ours is None or (ours.numpy() == theirs.numpy()).all())
    for ours, theirs in zip(e_h, t_h):
        assert_close(ours, theirs)
    assert_close(e_x.grad, t_x.grad)
    for ours, theirs in zip(e_states or (), t_states or ()):
        assert_close(ours.grad, theirs.grad)
    for (name_, e_p), (_, t_p) in zip(e_mod.named_parameters(), t_mod.named_parameters()):
        assert_close(e_p.grad, t_p.grad, what=name_)


@pytest.mark.parametrize(
    "kwargs", [dict(proj_size=2), dict(proj_size=3, num_layers=2, bidirectional=True, batch_first=True)]
)
def test_lstm_proj_size_matches_torch(kwargs):
    t_mod, e_mod = torch.nn.LSTM(3, 5, **kwargs).double(), ember.nn.LSTM(3, 5, **kwargs).double()
    assert list(e_mod.state_dict()) == list(t_mod.state_dict())
    assert [tuple(p.shape) for p in e_mod.parameters()] == [tuple(p.shape) for p in t_mod.parameters()]
    _load(t_mod, e_mod)
    x = np.random.default_rng(1).standard_normal((2, 4, 3))
    results = []
    for T, mod in ((torch, t_mod), (ember, e_mod)):
        xs = T.tensor(x, requires_grad=True)
        out, (h, c) = mod(xs)
        (out.sum() + (h * 2).sum() + (c * 3).sum()).backward()
        results.append((out, h, c, xs.grad, [p.grad for p in mod.parameters()]))
    for ours, theirs in zip(results[1][:4], results[0][:4]):
        assert_close(ours, theirs)
    for ours, theirs in zip(results[1][4], results[0][4]):
        assert_close(ours, theirs)
    assert repr(e_mod) == repr(t_mod)
    with pytest.raises(RuntimeError, match="Expected hidden size"):
        e_mod(
            ember.tensor(x),
            (
                ember.zeros(e_mod.num_layers * (2 if e_mod.bidirectional else 1), 2, 5),
                ember.zeros(e_mod.num_layers * (2 if e_mod.bidirectional else 1), 2, 5),
            ),
        )
