"""Recurrent ops: one graph node runs a whole layer's recurrence (LSTM, GRU, Elman RNN).

The input projection x_t @ W_ih^T for all time steps is one GEMM done by the caller; the Op gets those
pre-activations and runs h_t = cell(pre_t, h_{t-1}) on arrays, then back-propagates through time with
each cell's hand-written gradient. That replaces ~10 graph nodes per step (and their Python dispatch)
with one node per layer. For create_graph=True the same step formulas run on Tensors
(`differentiable_backward`), so double backward stays exact.

Each cell's forward step is written once for both array and Tensor math (`_ArrayMath`/`_TensorMath`).
"""
import numpy as np

from .._backend import array_module, matmul, single_threaded_blas
from .._tensor import Tensor
from ..autograd.function import Op
from ..autograd.grad_mode import state
from ._registry import torch_api
from .norm import differentiable_backward

__all__ = []


class _ArrayMath:
    @staticmethod
    def sigmoid(x):
        xp = array_module(x)
        with np.errstate(over="ignore"):
            s = xp.exp(-x)
        s += 1
        return xp.reciprocal(s, out=s)

    @staticmethod
    def transpose(w):
        return array_module(w).ascontiguousarray(w.T)

    @staticmethod
    def tanh(x):
        return array_module(x).tanh(x)

    @staticmethod
    def relu(x):
        return array_module(x).maximum(x, 0)


class _TensorMath:
    sigmoid = staticmethod(lambda x: x.sigmoid())
    tanh = staticmethod(lambda x: x.tanh())
    relu = staticmethod(lambda x: x.relu())
    transpose = staticmethod(lambda w: w.t())


# --- cells: step(math, pre, h, c, w_hh_t, b_hh) -> (h, c, cache); step_back on arrays ----------------
# `pre` is x_t @ W_ih^T + b_ih (+ b_hh where it can be folded in); w_hh_t is W_hh^T; gate order as torch.

def _lstm_step(m, pre, h, c, w_hh_t, b_hh):
    gates = pre + h @ w_hh_t
    size = h.shape[-1]
    s = m.sigmoid(gates)
    g = m.tanh(gates[:, 2 * size:3 * size])
    i, f, o = s[:, :size], s[:, size:2 * size], s[:, 3 * size:]
    c = f * c + i * g
    tc = m.tanh(c)
    return o * tc, c, (s, g, tc)


def _lstm_step_back(dh, dc, cache, h_prev, c_prev):
    s, g, tc = cache
    size = g.shape[-1]
    i, f, o = s[:, :size], s[:, size:2 * size], s[:, 3 * size:]
    dc = dc + dh * o * (1 - tc * tc)
    d_pre = np.empty_like(s) if array_module(s) is np else array_module(s).empty_like(s)
    d_pre[:, :size] = dc * g
    d_pre[:, size:2 * size] = dc * c_prev
    d_pre[:, 3 * size:] = dh * tc
    d_pre *= s * (1 - s)
    d_pre[:, 2 * size:3 * size] = dc * i * (1 - g * g)
    return d_pre, d_pre, None, dc * f


def _gru_step(m, pre, h, c, w_hh_t, b_hh):
    # torch's GRU: n = tanh(W_in x + b_in + r * (W_hn h + b_hn)), so b_hh stays inside the recurrence
    hh = h @ w_hh_t
    if b_hh is not None:
        hh = hh + b_hh
    size = h.shape[-1]
    rz = m.sigmoid(pre[:, :2 * size] + hh[:, :2 * size])
    r, z = rz[:, :size], rz[:, size:]
    hn = hh[:, 2 * size:]
    n = m.tanh(pre[:, 2 * size:] + r * hn)
    return n + z * (h - n), None, (rz, n, hn)


def _gru_step_back(dh, dc, cache, h_prev, c_prev):
    rz, n, hn = cache
    size = n.shape[-1]
    r, z = rz[:, :size], rz[:, size:]
    d_n = dh * (1 - z) * (1 - n * n)
    xp = array_module(n)
    d_pre = xp.empty(n.shape[:-1] + (3 * size,), n.dtype)
    d_pre[:, :size] = d_n * hn
    d_pre[:, size:2 * size] = dh * (h_prev - n)
    d_pre[:, :2 * size] *= rz * (1 - rz)
    d_pre[:, 2 * size:] = d_n
    d_hh = d_pre.copy()
    d_hh[:, 2 * size:] *= r
    return d_pre, d_hh, dh * z, None


def _rnn_step(nonlinearity):
    def step(m, pre, h, c, w_hh_t, b_hh):
        h = getattr(m, nonlinearity)(pre + h @ w_hh_t)
        return h, None, h
    return step


def _rnn_tanh_step_back(dh, dc, h, h_prev, c_prev):
    d_pre = dh * (1 - h * h)
    return d_pre, d_pre, None, None


def _rnn_relu_step_back(dh, dc, h, h_prev, c_prev):
    d_pre = dh * (h > 0)
    return d_pre, d_pre, None, None


CELLS = {
    "LSTM": (_lstm_step, _lstm_step_back),
    "GRU": (_gru_step, _gru_step_back),
    "RNN_TANH": (_rnn_step("tanh"), _rnn_tanh_step_back),
    "RNN_RELU": (_rnn_step("relu"), _rnn_relu_step_back),
}


def _run(mode, m, pre, h0, c0, w_hh, b_hh, reverse, keep_cache):
    """The recurrence over time (axis 0 of `pre`): per-step outputs, per-step cell states, caches."""
    step = CELLS[mode][0]
    steps = range(pre.shape[0] - 1, -1, -1) if reverse else range(pre.shape[0])
    h, c = h0, c0
    w_hh_t = m.transpose(w_hh)
    outs, cells, caches = [None] * pre.shape[0], [None] * pre.shape[0], [None] * pre.shape[0]
    for t in steps:
        h, c, cache = step(m, pre[t], h, c, w_hh_t, b_hh)
        outs[t], cells[t] = h, c
        if keep_cache:
            caches[t] = cache
    return outs, cells, caches


def _composed(mode, reverse):
    """The layer from ember ops (the reference differentiated for double backward)."""
    def layer(pre, h0, c0, w_hh, b_hh):
        from .shape import stack
        outs, cells, _ = _run(mode, _TensorMath, pre, h0, c0, w_hh, b_hh, reverse, False)
        return (stack(outs), cells[0 if reverse else -1]) if mode == "LSTM" else stack(outs)
    return layer


class Recurrence(Op):
    """out[t] = cell(pre[t], h[t-1]) for a whole sequence; pre (T, B, G), h0/c0 (B, H), w_hh (G, H).

    Returns `out` (T, B, H), and for LSTM also the last cell state c_T. `reverse` runs t = T-1 .. 0.
    """

    @staticmethod
    def forward(ctx, pre, h0, c0, w_hh, b_hh, mode, reverse):
        record = ctx._record
        with single_threaded_blas():     # per-step GEMMs are small: BLAS threads only add hand-offs
            outs, cells, caches = _run(mode, _ArrayMath, pre, h0, c0, w_hh, b_hh, reverse, record)
        out = array_module(pre).stack(outs)
        if record:
            ctx.mode, ctx.reverse, ctx.caches, ctx.out, ctx.cells = mode, reverse, caches, out, cells
            ctx.save_for_backward(pre, h0, c0, w_hh, b_hh)
        return (out, cells[0 if reverse else -1]) if mode == "LSTM" else out

    @staticmethod
    def backward(ctx, grad_out, grad_c=None):
        pre, h0, c0, w_hh, b_hh = ctx.saved_tensors
        if state.enabled:
            return differentiable_backward(_composed(ctx.mode, ctx.reverse), (pre, h0, c0, w_hh, b_hh),
                                           (grad_out, grad_c)) + (None, None)
        step_back = CELLS[ctx.mode][1]
        g_out, out, cells, caches = grad_out._data, ctx.out, ctx.cells, ctx.caches
        w = w_hh._data
        xp = array_module(g_out)
        length = g_out.shape[0]
        steps = range(length) if ctx.reverse else range(length - 1, -1, -1)
        prev = (lambda t: t + 1) if ctx.reverse else (lambda t: t - 1)
        d_pre = xp.empty(pre.shape, pre._data.dtype)
        d_hh_all = d_pre if ctx.mode != "GRU" else xp.empty_like(d_pre)
        dh = xp.zeros_like(h0._data)
        dc = grad_c._data if grad_c is not None and c0 is not None else None
        with single_threaded_blas():
            for t in steps:
                p = prev(t)
                first = p < 0 or p >= length
                h_prev = h0._data if first else out[p]
                c_prev = None if c0 is None else (c0._data if first else cells[p])
                dh = dh + g_out[t]
                d_pre[t], d_hh, dh_direct, dc = step_back(dh, dc, caches[t], h_prev, c_prev)
                if d_hh_all is not d_pre:
                    d_hh_all[t] = d_hh
                dh = d_hh @ w if dh_direct is None else dh_direct + d_hh @ w
        first_h = h0._data[None]
        h_prev_all = xp.concatenate([out[1:], first_h] if ctx.reverse else [first_h, out[:-1]])
        flat = d_hh_all.reshape(-1, d_hh_all.shape[-1])
        grad_w = matmul(flat.T, h_prev_all.reshape(-1, h_prev_all.shape[-1])) if ctx.needs_input_grad[3] else None
        grad_b = flat.sum(axis=0) if b_hh is not None and ctx.needs_input_grad[4] else None
        wrap = lambda a: None if a is None else Tensor._make(a)  # noqa: E731
        return wrap(d_pre), wrap(dh), wrap(dc), wrap(grad_w), wrap(grad_b), None, None
