"""Recurrent ops: one graph node runs a whole layer's recurrence (LSTM, GRU, Elman RNN).

The input projection x_t @ W_ih^T for all time steps is one GEMM done by the caller; the Op gets those
pre-activations and runs h_t = cell(pre_t, h_{t-1}) on arrays, then back-propagates through time with
each cell's hand-written gradient. That replaces ~10 graph nodes per step (and their Python dispatch)
with one node per layer. For create_graph=True the same step formulas run on Tensors
(`differentiable_backward`), so double backward stays exact.

GRU and Elman cells write each forward step once for both array and Tensor math (`_ArrayMath`/`_TensorMath`).
The LSTM step is the Tensor reference only: on arrays the LSTM runs its own kernel (`_lstm_forward`,
`_lstm_backward`), because at benchmark sizes NumPy's per-call cost is as large as the arithmetic.
"""

import collections

import numpy as np

from .. import _kernels
from .._backend import array_module, matmul
from .._tensor import Tensor
from ..autograd.function import Op
from ..autograd.grad_mode import state
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
    g = m.tanh(gates[:, 2 * size : 3 * size])
    i, f, o = s[:, :size], s[:, size : 2 * size], s[:, 3 * size :]
    c = f * c + i * g
    return o * m.tanh(c), c, None


# The LSTM on arrays (the step above is its reference, run on Tensors for double backward): at 32x128 a
# NumPy call costs about as much as its arithmetic, so the loop writes into buffers allocated once per
# sequence with out= (no per-step temporaries, no stack/concatenate), runs one tanh for all four gates, and
# BPTT computes every factor that does not depend on the recurrence for all steps at once, before its loop.


def _gate_scale(xp, size, dtype):
    """(4H,) 0.5 on i, f, o and 1 on g: sigmoid(x) = 0.5 * tanh(0.5 * x) + 0.5, so with x scaled by it one tanh
    serves all four gates, and scale * tanh + (1 - scale) turns the result into (i, f, g, o). Scaling by 0.5
    is exact in binary floating point."""
    scale = xp.full(4 * size, 0.5, dtype)
    scale[2 * size : 3 * size] = 1
    return scale


def _lstm_forward(pre, h0, c0, w_hh, reverse):
    """The layer on arrays: returns out (T, B, H), c_T, and what `_lstm_backward` needs."""
    xp = array_module(pre)
    length, batch, size = pre.shape[0], pre.shape[1], h0.shape[-1]
    scale = _gate_scale(xp, size, pre.dtype)
    w_t = xp.multiply(w_hh.T, scale, out=xp.empty((size, 4 * size), pre.dtype))
    gates = xp.multiply(pre, scale)  # becomes the activated (i, f, g, o) of every step
    # full (B, 4H) copies: a ufunc broadcasting a (4H,) row costs ~2x one on equal shapes at this size
    scale = xp.ascontiguousarray(xp.broadcast_to(scale, (batch, 4 * size)))
    shift = 1 - scale
    # h and c with the initial state at one end: step t reads its previous state at prev[t], writes next[t]
    hs, cs = xp.empty((length + 1, batch, size), pre.dtype), xp.empty((length + 1, batch, size), pre.dtype)
    tanh_c = xp.empty((length, batch, size), pre.dtype)
    first = length if reverse else 0
    hs[first], cs[first] = h0, c0
    h_prev, h_next = (hs[1:], hs[:-1]) if reverse else (hs[:-1], hs[1:])
    c_prev, c_next = (cs[1:], cs[:-1]) if reverse else (cs[:-1], cs[1:])
    recurrent, product = xp.empty((batch, 4 * size), pre.dtype), xp.empty((batch, size), pre.dtype)
    kernels = _kernels.for_arrays(pre, h0, c0, w_hh)
    for t in range(length - 1, -1, -1) if reverse else range(length):
        gate = gates[t]
        gate += xp.matmul(h_prev[t], w_t, out=recurrent)
        xp.tanh(gate, out=gate)
        if kernels is not None:  # the arithmetic below in one pass instead of five NumPy calls
            kernels.lstm_cell_forward(gate, scale[0], shift[0], c_prev[t], c_next[t])
        else:
            gate *= scale
            gate += shift
            i, f, g = gate[:, :size], gate[:, size : 2 * size], gate[:, 2 * size : 3 * size]
            c = xp.multiply(f, c_prev[t], out=c_next[t])
            c += xp.multiply(i, g, out=product)
        xp.multiply(gate[:, 3 * size :], xp.tanh(c_next[t], out=tanh_c[t]), out=h_next[t])
    return h_next, c_next[0 if reverse else -1], (gates, tanh_c, h_prev, c_prev)


def _lstm_backward(g_out, dc, saved, w_hh, reverse):
    """BPTT on arrays: (d_pre, d_h0, d_c0, h_prev) for the layer run by `_lstm_forward`."""
    gates, tanh_c, h_prev, c_prev = saved
    xp = array_module(gates)
    length, batch, size = tanh_c.shape
    i, f, g, o = gates[..., :size], gates[..., size : 2 * size], gates[..., 2 * size : 3 * size], gates[..., 3 * size :]
    # what does not depend on the recurrence, for all steps at once:
    #   d_pre = (dc * g s_i', dc * c_prev s_f', dc * i tanh'(g), dh * tanh(c) s_o') with s' = s (1 - s)
    #   dc_t = dh_t * o (1 - tanh(c)^2) + dc_{t+1} * f_{t+1}
    d_pre = xp.subtract(1, gates)
    d_pre *= gates
    d_g = xp.multiply(g, g, out=d_pre[..., 2 * size : 3 * size])
    xp.subtract(1, d_g, out=d_g)
    d_pre[..., :size] *= g
    d_pre[..., size : 2 * size] *= c_prev
    d_g *= i
    d_pre[..., 3 * size :] *= tanh_c
    dc_dh = xp.multiply(tanh_c, tanh_c)
    xp.subtract(1, dc_dh, out=dc_dh)
    dc_dh *= o
    dc = xp.zeros((batch, size), gates.dtype) if dc is None else dc.copy()
    dh, product = xp.empty((batch, size), gates.dtype), xp.empty((batch, size), gates.dtype)
    recurrent = xp.zeros((batch, size), gates.dtype)
    d_pre_ifg = d_pre.reshape(length, batch, 4, size)[:, :, :3]
    kernels = _kernels.for_arrays(g_out, gates, w_hh)
    if kernels is not None:
        g_out = xp.ascontiguousarray(g_out)
    for t in range(length) if reverse else range(length - 1, -1, -1):
        if kernels is not None:  # the arithmetic below in one pass instead of five NumPy calls
            kernels.lstm_cell_backward(g_out[t], recurrent, dc_dh[t], gates[t], d_pre[t], dc)
        else:
            xp.add(g_out[t], recurrent, out=dh)
            dc += xp.multiply(dh, dc_dh[t], out=product)
            d_pre_ifg[t] *= dc[:, None, :]
            d_pre[t, :, 3 * size :] *= dh
            dc *= f[t]
        xp.matmul(d_pre[t], w_hh, out=recurrent)
    return d_pre, recurrent, dc, h_prev


def _gru_step(m, pre, h, c, w_hh_t, b_hh):
    # torch's GRU: n = tanh(W_in x + b_in + r * (W_hn h + b_hn)), so b_hh stays inside the recurrence
    hh = h @ w_hh_t
    if b_hh is not None:
        hh = hh + b_hh
    size = h.shape[-1]
    rz = m.sigmoid(pre[:, : 2 * size] + hh[:, : 2 * size])
    r, z = rz[:, :size], rz[:, size:]
    hn = hh[:, 2 * size :]
    n = m.tanh(pre[:, 2 * size :] + r * hn)
    return n + z * (h - n), None, (rz, n, hn)


def _gru_step_back(dh, dc, cache, h_prev, c_prev):
    rz, n, hn = cache
    size = n.shape[-1]
    r, z = rz[:, :size], rz[:, size:]
    d_n = dh * (1 - z) * (1 - n * n)
    xp = array_module(n)
    d_pre = xp.empty(n.shape[:-1] + (3 * size,), n.dtype)
    d_pre[:, :size] = d_n * hn
    d_pre[:, size : 2 * size] = dh * (h_prev - n)
    d_pre[:, : 2 * size] *= rz * (1 - rz)
    d_pre[:, 2 * size :] = d_n
    d_hh = d_pre.copy()
    d_hh[:, 2 * size :] *= r
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
    "LSTM": (_lstm_step, None),  # arrays: _lstm_forward / _lstm_backward
    "GRU": (_gru_step, _gru_step_back),
    "RNN_TANH": (_rnn_step("tanh"), _rnn_tanh_step_back),
    "RNN_RELU": (_rnn_step("relu"), _rnn_relu_step_back),
}


def _run(mode, m, pre, h0, c0, w_hh, b_hh, reverse):
    """The recurrence over time (axis 0 of `pre`) on Tensors: the per-step outputs and the last cell state."""
    step = CELLS[mode][0]
    h, c = h0, c0
    w_hh_t = m.transpose(w_hh)
    outs = [None] * pre.shape[0]
    for t in range(pre.shape[0] - 1, -1, -1) if reverse else range(pre.shape[0]):
        h, c, _ = step(m, pre[t], h, c, w_hh_t, b_hh)
        outs[t] = h
    return outs, c


def _run_arrays(mode, pre, h0, w_hh, b_hh, reverse):
    """GRU and Elman RNN on arrays: out (T, B, H), each step's previous h (T, B, H) and the cell caches."""
    xp = array_module(pre)
    step = CELLS[mode][0]
    length = pre.shape[0]
    hs = xp.empty((length + 1,) + h0.shape, pre.dtype)  # the initial state at one end, so no concatenation
    hs[length if reverse else 0] = h0
    h_prev, h_next = (hs[1:], hs[:-1]) if reverse else (hs[:-1], hs[1:])
    w_hh_t = _ArrayMath.transpose(w_hh)
    kernels = _kernels.for_arrays(pre, h0, w_hh, b_hh) if mode == "GRU" else None
    if kernels is not None:
        return h_next, h_prev, _gru_kernel_forward(kernels, pre, h_prev, h_next, w_hh_t, b_hh, reverse)
    caches = [None] * length
    for t in range(length - 1, -1, -1) if reverse else range(length):
        h_next[t], _, caches[t] = step(_ArrayMath, pre[t], h_prev[t], None, w_hh_t, b_hh)
    return h_next, h_prev, caches


class _GruSteps(collections.namedtuple("_GruSteps", "rz n hn")):
    """The GRU caches of every step, stacked (T, B, *): what the compiled kernels keep instead of a list."""


def _gru_kernel_forward(kernels, pre, h_prev, h_next, w_hh_t, b_hh, reverse):
    """_gru_step's arithmetic, the same bits: a GEMM, three kernels and NumPy's exp and tanh a step (against
    fourteen NumPy calls)."""
    length, batch, size = h_prev.shape
    steps = _GruSteps(
        np.empty((length, batch, 2 * size), pre.dtype),
        np.empty((length, batch, size), pre.dtype),
        np.empty((length, batch, size), pre.dtype),
    )
    hh = np.empty((batch, 3 * size), pre.dtype)
    pre = np.ascontiguousarray(pre)
    bias = b_hh if b_hh is not None else np.empty(0, pre.dtype)
    for t in range(length - 1, -1, -1) if reverse else range(length):
        np.matmul(h_prev[t], w_hh_t, out=hh)
        kernels.gru_gates(pre[t], hh, bias, b_hh is not None, steps.rz[t], steps.hn[t])
        np.exp(steps.rz[t], out=steps.rz[t])
        kernels.gru_candidate(pre[t], steps.hn[t], steps.rz[t], steps.n[t])
        np.tanh(steps.n[t], out=steps.n[t])
        kernels.gru_output(steps.n[t], steps.rz[t], h_prev[t], h_next[t])
    return steps


def _run_arrays_back(mode, g_out, saved, w, reverse):
    """BPTT for `_run_arrays` (saved: its results): (d_pre, d_h0, d_hh), d_hh the gradient at W_hh h (d_pre but
    for GRU)."""
    out, h_prev, caches = saved
    xp = array_module(g_out)
    d_pre = xp.empty(g_out.shape[:2] + (w.shape[0],), g_out.dtype)
    d_hh_all = d_pre if mode != "GRU" else xp.empty_like(d_pre)
    order = range(len(h_prev)) if reverse else range(len(h_prev) - 1, -1, -1)
    kernels = _kernels.for_arrays(g_out, out, w)
    if kernels is not None and (mode != "GRU" or isinstance(caches, _GruSteps)):
        # the step_back functions' arithmetic, the same bits, in one kernel between the GEMMs
        g_out = np.ascontiguousarray(g_out)
        recurrent, direct = np.zeros_like(h_prev[0]), np.zeros_like(h_prev[0])
        for t in order:
            if mode == "GRU":
                kernels.gru_step_back(
                    g_out[t],
                    direct,
                    recurrent,
                    caches.rz[t],
                    caches.n[t],
                    caches.hn[t],
                    h_prev[t],
                    d_pre[t],
                    d_hh_all[t],
                )
            else:
                kernels.rnn_step_back(g_out[t], recurrent, out[t], mode == "RNN_RELU", d_pre[t])
            np.matmul(d_hh_all[t], w, out=recurrent)
        return d_pre, direct + recurrent if mode == "GRU" else recurrent, d_hh_all
    step_back = CELLS[mode][1]
    dh = xp.zeros_like(h_prev[0])
    for t in order:
        dh = dh + g_out[t]
        d_pre[t], d_hh, dh_direct, _ = step_back(dh, None, caches[t], h_prev[t], None)
        if d_hh_all is not d_pre:
            d_hh_all[t] = d_hh
        dh = d_hh @ w if dh_direct is None else dh_direct + d_hh @ w
    return d_pre, dh, d_hh_all


def _composed(mode, reverse):
    """The layer from ember ops (the reference differentiated for double backward)."""

    def layer(pre, h0, c0, w_hh, b_hh):
        from .shape import stack

        outs, c_last = _run(mode, _TensorMath, pre, h0, c0, w_hh, b_hh, reverse)
        return (stack(outs), c_last) if mode == "LSTM" else stack(outs)

    return layer


class Recurrence(Op):
    """out[t] = cell(pre[t], h[t-1]) for a whole sequence; pre (T, B, G), h0/c0 (B, H), w_hh (G, H).

    Returns `out` (T, B, H), and for LSTM also the last cell state c_T. `reverse` runs t = T-1 .. 0.
    """

    @staticmethod
    def forward(ctx, pre, h0, c0, w_hh, b_hh, mode, reverse):
        if mode == "LSTM":
            out, c_last, saved = _lstm_forward(pre, h0, c0, w_hh, reverse)
        else:
            out, h_prev, caches = _run_arrays(mode, pre, h0, w_hh, b_hh, reverse)
            saved = (out, h_prev, caches)
        if ctx._record:
            ctx.mode, ctx.reverse, ctx.arrays = mode, reverse, saved
            ctx.save_for_backward(pre, h0, c0, w_hh, b_hh)
        return (out, c_last) if mode == "LSTM" else out

    @staticmethod
    def backward(ctx, grad_out, grad_c=None):
        pre, h0, c0, w_hh, b_hh = ctx.saved_tensors
        if state.enabled:
            return differentiable_backward(
                _composed(ctx.mode, ctx.reverse), (pre, h0, c0, w_hh, b_hh), (grad_out, grad_c)
            ) + (None, None)
        if ctx.mode == "LSTM":
            dc = grad_c._data if grad_c is not None else None
            d_pre, dh, dc, h_prev = _lstm_backward(grad_out._data, dc, ctx.arrays, w_hh._data, ctx.reverse)
            d_hh = d_pre
        else:
            h_prev = ctx.arrays[1]
            d_pre, dh, d_hh = _run_arrays_back(ctx.mode, grad_out._data, ctx.arrays, w_hh._data, ctx.reverse)
            dc = None
        flat = d_hh.reshape(-1, d_hh.shape[-1])
        grad_w = matmul(flat.T, h_prev.reshape(-1, h_prev.shape[-1])) if ctx.needs_input_grad[3] else None
        grad_b = flat.sum(axis=0) if b_hh is not None and ctx.needs_input_grad[4] else None
        wrap = lambda a: None if a is None else Tensor._make(a)  # noqa: E731
        return wrap(d_pre), wrap(dh), wrap(dc), wrap(grad_w), wrap(grad_b), None, None
