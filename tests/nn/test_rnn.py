"""Recurrent layers against the torch oracle: RNN (tanh/relu), LSTM, GRU over layers x directions x
batch_first x initial states x unbatched input, the cells, parameter names/shapes/init/repr, errors,
and float64 gradcheck/gradgradcheck of the fused Recurrence op (hand-written BPTT)."""

import itertools

import numpy as np
import pytest

import ember
from ember.autograd import gradcheck, gradgradcheck
from ember.ops.rnn import Recurrence
import oracle
from oracle import assert_close, assert_on, on_devices, torch

pytestmark = pytest.mark.usefixtures("kernel_path")  # NumPy and compiled kernels (conftest)


def _rand(*shape, seed=0, dtype=np.float32):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def _flat(out):
    items = []
    for o in out if isinstance(out, tuple) else (out,):
        items.extend(_flat(o) if isinstance(o, tuple) else [o])
    return items


def _compare(t_mod, e_mod, x, hx=None, tol=None):
    """Copy torch's weights into ember, run both, compare outputs, input/state grads and parameter grads."""
    tol = tol or {}
    e_mod.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in t_mod.state_dict().items()})
    e_mod.to(oracle.DEVICE)
    states = [] if hx is None else list(hx if isinstance(hx, tuple) else (hx,))
    t_in = [torch.tensor(a, requires_grad=True) for a in [x] + states]
    e_in = [ember.tensor(a, requires_grad=True, device=oracle.DEVICE) for a in [x] + states]

    def pack(inputs):
        if hx is None:
            return (inputs[0],)
        return (inputs[0], tuple(inputs[1:]) if isinstance(hx, tuple) else inputs[1])

    t_out, e_out = _flat(t_mod(*pack(t_in))), _flat(e_mod(*pack(e_in)))
    assert len(t_out) == len(e_out)
    for i, (e, t) in enumerate(zip(e_out, t_out)):
        assert_close(e, t, what=f"output {i}", **tol)
    rng = np.random.default_rng(5)
    weights = [rng.standard_normal(tuple(t.shape)).astype(x.dtype) for t in t_out]
    sum((t * torch.tensor(w)).sum() for t, w in zip(t_out, weights)).backward()
    sum((e * ember.tensor(w, device=oracle.DEVICE)).sum() for e, w in zip(e_out, weights)).backward()
    assert_on(oracle.DEVICE, e_out + [e.grad for e in e_in] + [p.grad for p in e_mod.parameters()], "output or grad")
    for i, (e, t) in enumerate(zip(e_in, t_in)):
        assert_close(e.grad, t.grad, what=f"grad of input {i}", **tol)
    e_params = dict(e_mod.named_parameters())
    for name, p in t_mod.named_parameters():
        assert_close(e_params[name].grad, p.grad, what=f"grad of {name}", **tol)


GRID = list(itertools.product(["LSTM", "GRU", "RNN_tanh", "RNN_relu"], [1, 2], [False, True], [False, True]))


def _make(kind, *args, **kwargs):
    name, _, nonlinearity = kind.partition("_")
    if nonlinearity:
        kwargs["nonlinearity"] = nonlinearity
    # reproducible weights: with unseeded ones, 1 run in ~5 met an element where ember's and torch's float32
    # rounding (each ~1e-6 from float64) differed by just over the tolerance
    torch.manual_seed(0)
    return getattr(torch.nn, name)(*args, **kwargs), getattr(ember.nn, name)(*args, **kwargs)


@pytest.mark.parametrize(
    "kind,num_layers,bidirectional,batch_first",
    GRID,
    ids=[f"{k}-L{n}-{'bi' if b else 'uni'}-{'bf' if f else 'sf'}" for k, n, b, f in GRID],
)
@on_devices
def test_recurrent_layer_matches_torch(kind, num_layers, bidirectional, batch_first):
    t_mod, e_mod = _make(kind, 3, 4, num_layers=num_layers, bidirectional=bidirectional, batch_first=batch_first)
    x = _rand(*((2, 5, 3) if batch_first else (5, 2, 3)))
    states = num_layers * (2 if bidirectional else 1)
    h0, c0 = _rand(states, 2, 4, seed=1), _rand(states, 2, 4, seed=2)
    _compare(t_mod, e_mod, x)
    _compare(t_mod, e_mod, x, (h0, c0) if kind == "LSTM" else h0)
    unbatched_x = x[0] if batch_first else x[:, 0]
    _compare(t_mod, e_mod, unbatched_x)
    _compare(t_mod, e_mod, unbatched_x, (h0[:, 0], c0[:, 0]) if kind == "LSTM" else h0[:, 0])


@pytest.mark.parametrize("kind", ["LSTM", "GRU", "RNN_tanh"])
def test_recurrent_layer_float64_no_bias(kind):
    t_mod, e_mod = _make(kind, 3, 5, num_layers=2, bias=False, bidirectional=True)
    t_mod.double(), e_mod.double()
    _compare(t_mod, e_mod, _rand(4, 3, 3, dtype=np.float64))


def test_lstm_dropout_between_layers_only_in_training():
    t_mod, e_mod = _make("LSTM", 3, 4, num_layers=2, dropout=0.5)
    t_mod.eval(), e_mod.eval()
    _compare(t_mod, e_mod, _rand(5, 2, 3))
    e_mod.train()
    ember.manual_seed(0)
    first = e_mod(ember.tensor(_rand(5, 2, 3)))[0]
    second = e_mod(ember.tensor(_rand(5, 2, 3)))[0]
    assert not np.allclose(first.detach().numpy(), second.detach().numpy())


@pytest.mark.parametrize("kind", ["LSTMCell", "GRUCell", "RNNCell", "RNNCell_relu"])
def test_cells_match_torch(kind):
    name, _, nonlinearity = kind.partition("_")
    kwargs = {"nonlinearity": nonlinearity} if nonlinearity else {}
    t_mod, e_mod = getattr(torch.nn, name)(3, 4, **kwargs), getattr(ember.nn, name)(3, 4, **kwargs)
    x, h, c = _rand(2, 3), _rand(2, 4, seed=1), _rand(2, 4, seed=2)
    _compare(t_mod, e_mod, x)
    _compare(t_mod, e_mod, x, (h, c) if name == "LSTMCell" else h)
    _compare(t_mod, e_mod, x[0], (h[0], c[0]) if name == "LSTMCell" else h[0])
    assert repr(e_mod) == repr(t_mod)
    assert list(e_mod.state_dict()) == list(t_mod.state_dict())


def test_lstm_cell_unrolled_matches_lstm_layer():
    cell, layer = ember.nn.LSTMCell(3, 4), ember.nn.LSTM(3, 4)
    layer.load_state_dict({k + "_l0": v for k, v in cell.state_dict().items()})
    x = ember.tensor(_rand(5, 2, 3))
    h = c = ember.zeros(2, 4)
    for t in range(5):
        h, c = cell(x[t], (h, c))
    out, (h_n, c_n) = layer(x)
    assert_close(h, out[-1])
    assert_close(h_n[0], h)
    assert_close(c_n[0], c)


# --- parameters, init, repr, errors ------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["LSTM", "GRU", "RNN_tanh"])
def test_parameter_names_shapes_and_init(kind):
    t_mod, e_mod = _make(kind, 5, 20, num_layers=2, bidirectional=True)
    assert [(n, tuple(p.shape)) for n, p in e_mod.named_parameters()] == [
        (n, tuple(p.shape)) for n, p in t_mod.named_parameters()
    ]
    assert list(e_mod.state_dict()) == list(t_mod.state_dict())
    assert [[tuple(p.shape) for p in ws] for ws in e_mod.all_weights] == [
        [tuple(p.shape) for p in ws] for ws in t_mod.all_weights
    ]
    bound = 1 / np.sqrt(20)
    values = np.concatenate([p.detach().numpy().ravel() for p in e_mod.parameters()])
    assert np.abs(values).max() <= bound and np.abs(values).max() > 0.95 * bound
    assert e_mod.flatten_parameters() is None


def test_reprs():
    for args, kwargs in [
        ((32, 128), {"batch_first": True}),
        ((3, 4), {"num_layers": 2, "dropout": 0.5}),
        ((3, 4), {"bias": False, "bidirectional": True}),
    ]:
        assert repr(ember.nn.LSTM(*args, **kwargs)) == repr(torch.nn.LSTM(*args, **kwargs))
        assert repr(ember.nn.GRU(*args, **kwargs)) == repr(torch.nn.GRU(*args, **kwargs))
    assert repr(ember.nn.RNN(3, 4, nonlinearity="relu")) == repr(torch.nn.RNN(3, 4, nonlinearity="relu"))
    assert repr(ember.nn.LSTM(32, 128, batch_first=True)) == "LSTM(32, 128, batch_first=True)"


def test_errors_name_the_layer():
    with pytest.raises(RuntimeError, match=r"LSTM: input.size\(-1\) must be equal to input_size. Expected 32, got 16"):
        ember.nn.LSTM(32, 8)(ember.zeros(5, 2, 16))
    with pytest.raises(ValueError, match="GRU: Expected input to be 2D or 3D, got 4D instead"):
        ember.nn.GRU(3, 4)(ember.zeros(1, 2, 3, 3))
    with pytest.raises(RuntimeError, match=r"Expected hidden size \(1, 2, 4\), got \[1, 3, 4\]"):
        ember.nn.RNN(3, 4)(ember.zeros(5, 2, 3), ember.zeros(1, 3, 4))
    with pytest.raises(RuntimeError, match="For batched 3-D input, hx and cx should also be 3-D"):
        ember.nn.LSTM(3, 4)(ember.zeros(5, 2, 3), (ember.zeros(2, 4), ember.zeros(2, 4)))
    with pytest.raises(RuntimeError, match="LSTMCell: input has inconsistent input_size: got 5, expected 3"):
        ember.nn.LSTMCell(3, 4)(ember.zeros(2, 5))
    with pytest.raises(ValueError, match="Unknown nonlinearity 'gelu'"):
        ember.nn.RNN(3, 4, nonlinearity="gelu")
    with pytest.raises(ValueError, match="proj_size has to be smaller than hidden_size"):
        ember.nn.LSTM(3, 4, proj_size=4)


# --- the fused op: float64 gradcheck and double backward --------------------------------------------------


@pytest.mark.parametrize("mode,gates", [("LSTM", 4), ("GRU", 3), ("RNN_TANH", 1), ("RNN_RELU", 1)])
@pytest.mark.parametrize("reverse", [False, True], ids=["forward", "reverse"])
def test_recurrence_gradcheck(mode, gates, reverse):
    rng = np.random.default_rng(0)

    def leaf(*shape):
        return ember.tensor(rng.standard_normal(shape) * 0.5, requires_grad=True)

    steps, batch, hidden = 3, 2, 2
    pre, h0, w_hh = leaf(steps, batch, gates * hidden), leaf(batch, hidden), leaf(gates * hidden, hidden)
    c0 = leaf(batch, hidden) if mode == "LSTM" else None
    b_hh = leaf(gates * hidden) if mode == "GRU" else None
    inputs = [t for t in (pre, h0, c0, w_hh, b_hh) if t is not None]

    def run(*args):
        it = iter(args)
        pre, h0 = next(it), next(it)
        c0 = next(it) if mode == "LSTM" else None
        w_hh = next(it)
        b_hh = next(it) if mode == "GRU" else None
        return Recurrence.apply(pre, h0, c0, w_hh, b_hh, mode, reverse)

    assert gradcheck(run, inputs)
    if mode != "RNN_RELU":  # relu's second derivative is 0 almost everywhere
        assert gradgradcheck(run, inputs)


def test_lstm_double_backward_matches_torch():
    x = _rand(4, 2, 3, dtype=np.float64)
    t_mod, e_mod = _make("LSTM", 3, 4)
    t_mod.double(), e_mod.double()
    e_mod.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in t_mod.state_dict().items()})
    grads = {}
    for T, mod in ((torch, t_mod), (ember, e_mod)):
        xt = T.tensor(x, requires_grad=True)
        out, _ = mod(xt)
        (gx,) = T.autograd.grad((out**2).sum(), [xt], create_graph=True)
        (gw,) = T.autograd.grad((gx**2).sum(), [mod.weight_hh_l0])
        grads[T] = (gx, gw)
    for ours, theirs in zip(grads[ember], grads[torch]):
        assert_close(ours, theirs)


def _torch_lstm_recurrence(pre, h, c, w_hh, reverse):
    """torch's LSTM cell formulas in a loop over given pre-activations (torch.sigmoid: 1 / (1 + exp(-x)))."""
    outs = [None] * len(pre)
    for t in reversed(range(len(pre))) if reverse else range(len(pre)):
        i, f, g, o = (pre[t] + h @ w_hh.T).chunk(4, 1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        h = outs[t] = torch.sigmoid(o) * torch.tanh(c)
    return torch.stack(outs), c


@pytest.mark.parametrize("reverse", [False, True], ids=["forward", "reverse"])
def test_lstm_recurrence_with_saturated_gates_matches_torch(reverse):
    """Pre-activations up to +-40 drive the gates to 0 and 1, where ember's sigmoid (0.5 tanh(x/2) + 0.5,
    one tanh for all four gates) must agree with torch's to float32 tolerance, forward and backward."""
    steps, batch, hidden = 7, 3, 16
    arrays = [
        10 * _rand(steps, batch, 4 * hidden),
        _rand(batch, hidden, seed=1),
        3 * _rand(batch, hidden, seed=2),
        _rand(4 * hidden, hidden, seed=3),
    ]
    grads = [_rand(steps, batch, hidden, seed=4), _rand(batch, hidden, seed=5)]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    ours = [ember.tensor(a, requires_grad=True) for a in arrays]
    t_out = _torch_lstm_recurrence(*theirs, reverse)
    e_out = Recurrence.apply(ours[0], ours[1], ours[2], ours[3], None, "LSTM", reverse)
    assert np.mean(np.abs(arrays[0]) > 17) > 0.05  # sigmoid(-17) < float32's resolution near 1
    torch.autograd.backward(t_out, [torch.tensor(g) for g in grads])
    ember.autograd.backward(list(e_out), [ember.tensor(g) for g in grads])
    for name, e, t in zip(("out", "c_T"), e_out, t_out):
        assert_close(e, t, what=name)
    for name, e, t in zip(("pre", "h0", "c0", "w_hh"), ours, theirs):
        assert_close(e.grad, t.grad, what=f"grad of {name}")


@pytest.mark.parametrize("mode,gates", [("LSTM", 4), ("GRU", 3), ("RNN_TANH", 1), ("RNN_RELU", 1)])
@pytest.mark.parametrize("reverse", [False, True], ids=["forward", "reverse"])
def test_recurrence_leaves_inputs_and_gradients_unchanged(mode, gates, reverse):
    """The array kernels work in place on their own buffers: never on pre, the states, W_hh or the incoming grads."""
    steps, batch, hidden = 4, 3, 5
    arrays = {
        "pre": _rand(steps, batch, gates * hidden),
        "h0": _rand(batch, hidden, seed=1),
        "c0": _rand(batch, hidden, seed=2) if mode == "LSTM" else None,
        "w_hh": _rand(gates * hidden, hidden, seed=3),
        "b_hh": _rand(gates * hidden, seed=4) if mode == "GRU" else None,
    }
    leaves = {k: None if a is None else ember.tensor(a, requires_grad=True) for k, a in arrays.items()}
    result = Recurrence.apply(*leaves.values(), mode, reverse)
    outs = result if mode == "LSTM" else (result,)
    grads = [_rand(*o.shape, seed=5 + i) for i, o in enumerate(outs)]
    grad_tensors = [ember.tensor(g) for g in grads]
    ember.autograd.backward(list(outs), grad_tensors)
    for name, a in arrays.items():
        if a is not None:
            np.testing.assert_array_equal(leaves[name].detach().numpy(), a, err_msg=name)
            assert leaves[name].grad is not None and np.isfinite(leaves[name].grad.numpy()).all(), name
    for g, t in zip(grads, grad_tensors):
        np.testing.assert_array_equal(t.numpy(), g)
    assert all(o.dtype == ember.float32 for o in outs)
