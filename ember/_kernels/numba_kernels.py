"""numba kernels for ember's CPU hot spots (imported through `ember._kernels.load`, never directly).

Rules every kernel keeps:
- Serial loops, IEEE arithmetic (no fastmath: no reassociation, no fused multiply-adds), so a kernel
  that does the NumPy path's arithmetic in the NumPy path's order returns the same bits; where a
  kernel sums in another order (channel statistics) it accumulates in float64.
- Transcendental functions stay in NumPy: numba calls the C library's exp/tanh once per element,
  which cannot be vectorised and is 10-100x slower than NumPy's SIMD loops. Kernels fuse the
  arithmetic around them.
- Arrays arrive C-contiguous, so each kernel compiles one variant per dtype.
- Spatial kernels take 3 spatial dimensions; 1-d and 2-d callers add leading dimensions of size 1.
- Inner loops index with their own range variable, on slices taken outside them: numba guards a computed
  index against negative values (Python's wraparound), and that guard in an inner loop makes it several
  times slower.
"""

import numba
import numpy as np

_OPTIONS = dict(nogil=True, fastmath=False, error_model="numpy", boundscheck=False)


def _jit(fn):
    try:
        return numba.njit(cache=True, **_OPTIONS)(fn)
    except RuntimeError:  # numba found no writable cache directory: compile in each process
        return numba.njit(**_OPTIONS)(fn)


# --- convolution: columns with the batch innermost, (C, *K, *Out, N), as ember.ops.conv lays them out ---------
# One channel at a time: its (N, *S) plane is moved to (*S, N) in a scratch buffer that stays in cache, then
# every window position is a run of N contiguous values. This does in one pass per channel what the NumPy
# path does with whole-array copies (batch to the end, zero padding, the strided window copy, and back).


@_jit
def _inside(count, offset, step, length):
    """[lo, hi): the indices o < count whose position o * step + offset lies in [0, length)."""
    lo = 0 if offset >= 0 else (step - 1 - offset) // step
    hi = min(count, (length - 1 - offset) // step + 1) if offset < length else 0
    return lo, max(lo, hi)


@_jit
def im2col(x, cols, stride, dilation, pad):
    """x (N, C, D, H, W) -> cols (C, KD, KH, KW, OD, OH, OW, N): every window, zeros outside x."""
    n_, c_, d_, h_, w_ = x.shape
    kd_, kh_, kw_ = cols.shape[1], cols.shape[2], cols.shape[3]
    od_, oh_, ow_ = cols.shape[4], cols.shape[5], cols.shape[6]
    channels = x.reshape(n_, c_, d_ * h_ * w_)
    plane = np.empty((d_ * h_ * w_, n_), x.dtype)
    runs = cols.reshape(c_, kd_, kh_, kw_, od_, oh_, ow_ * n_)
    for c in range(c_):
        for n in range(n_):
            for p in range(d_ * h_ * w_):
                plane[p, n] = channels[n, c, p]
        for a in range(kd_):
            i_lo, i_hi = _inside(od_, a * dilation[0] - pad[0], stride[0], d_)
            for b in range(kh_):
                j_lo, j_hi = _inside(oh_, b * dilation[1] - pad[1], stride[1], h_)
                for e in range(kw_):
                    offset = e * dilation[2] - pad[2]
                    k_lo, k_hi = _inside(ow_, offset, stride[2], w_)
                    for i in range(od_):
                        for j in range(oh_):
                            run = runs[c, a, b, e, i, j]
                            if i < i_lo or i >= i_hi or j < j_lo or j >= j_hi or k_lo == k_hi:
                                run[:] = 0
                                continue
                            row = (
                                (i * stride[0] + a * dilation[0] - pad[0]) * h_
                                + j * stride[1]
                                + b * dilation[1]
                                - pad[1]
                            ) * w_ + offset
                            run[: k_lo * n_] = 0
                            run[k_hi * n_ :] = 0
                            if stride[2] == 1:  # the windows' rows are one run of the plane
                                dst = run[k_lo * n_ : k_hi * n_]
                                src = plane[row + k_lo : row + k_hi].reshape(-1)
                                for t in range(dst.size):
                                    dst[t] = src[t]
                            else:
                                for k in range(k_lo, k_hi):
                                    dst = run[k * n_ : (k + 1) * n_]
                                    src = plane[row + k * stride[2]]
                                    for n in range(n_):
                                        dst[n] = src[n]


@_jit
def col2im(cols, out, stride, dilation, pad):
    """Adjoint of im2col: cols (C, KD, KH, KW, OD, OH, OW, N) summed into out (N, C, D, H, W).

    Each input position gets its taps added in kernel-offset order onto zero, as the NumPy col2im
    adds one whole tap after another: the same sums, bit for bit."""
    n_, c_, d_, h_, w_ = out.shape
    kd_, kh_, kw_ = cols.shape[1], cols.shape[2], cols.shape[3]
    od_, oh_, ow_ = cols.shape[4], cols.shape[5], cols.shape[6]
    channels = out.reshape(n_, c_, d_ * h_ * w_)
    plane = np.empty((d_ * h_ * w_, n_), cols.dtype)
    runs = cols.reshape(c_, kd_, kh_, kw_, od_, oh_, ow_ * n_)
    for c in range(c_):
        plane[:] = 0
        for a in range(kd_):
            i_lo, i_hi = _inside(od_, a * dilation[0] - pad[0], stride[0], d_)
            for b in range(kh_):
                j_lo, j_hi = _inside(oh_, b * dilation[1] - pad[1], stride[1], h_)
                for e in range(kw_):
                    offset = e * dilation[2] - pad[2]
                    k_lo, k_hi = _inside(ow_, offset, stride[2], w_)
                    for i in range(i_lo, i_hi):
                        for j in range(j_lo, j_hi):
                            run = runs[c, a, b, e, i, j]
                            row = (
                                (i * stride[0] + a * dilation[0] - pad[0]) * h_
                                + j * stride[1]
                                + b * dilation[1]
                                - pad[1]
                            ) * w_ + offset
                            if stride[2] == 1:
                                dst = plane[row + k_lo : row + k_hi].reshape(-1)
                                src = run[k_lo * n_ : k_hi * n_]
                                for t in range(src.size):
                                    dst[t] += src[t]
                            else:
                                for k in range(k_lo, k_hi):
                                    dst = plane[row + k * stride[2]]
                                    src = run[k * n_ : (k + 1) * n_]
                                    for n in range(n_):
                                        dst[n] += src[n]
        for n in range(n_):
            for p in range(d_ * h_ * w_):
                channels[n, c, p] = plane[p, n]


# --- pooling: planes (N, C, D, H, W), flat indices within a plane ------------------------------------------


@_jit
def max_pool(x, values, index, kernel, stride, dilation, pad):
    """values/index (N, C, OD, OH, OW): each window's maximum and its flat position in the plane, as
    torch's CPU kernel picks it: the first maximum, a NaN over any number (the last NaN), and the window's
    first position inside x when every value is -inf. The comparison is a select, not a branch (random
    data mispredicts half of such branches); windows wholly inside x read their taps from one table of
    offsets, the others clip their tap ranges."""
    n_, c_, d_, h_, w_ = x.shape
    od_, oh_, ow_ = values.shape[2], values.shape[3], values.shape[4]
    planes = x.reshape(n_, c_, d_ * h_ * w_)
    lowest = np.full(1, -np.inf, x.dtype)[0]
    taps = np.empty(kernel[0] * kernel[1] * kernel[2], np.int64)
    t = 0
    for a in range(kernel[0]):
        for b in range(kernel[1]):
            for e in range(kernel[2]):
                taps[t] = ((a * dilation[0]) * h_ + b * dilation[1]) * w_ + e * dilation[2]
                t += 1
    for n in range(n_):
        for c in range(c_):
            plane = planes[n, c]
            for i in range(od_):
                z0 = i * stride[0] - pad[0]
                a_lo, a_hi = _inside(kernel[0], z0, dilation[0], d_)
                for j in range(oh_):
                    y0 = j * stride[1] - pad[1]
                    b_lo, b_hi = _inside(kernel[1], y0, dilation[1], h_)
                    for k in range(ow_):
                        v0 = k * stride[2] - pad[2]
                        e_lo, e_hi = _inside(kernel[2], v0, dilation[2], w_)
                        best = lowest
                        corner = (z0 * h_ + y0) * w_ + v0
                        at = corner + ((a_lo * dilation[0]) * h_ + b_lo * dilation[1]) * w_ + e_lo * dilation[2]
                        if a_hi - a_lo == kernel[0] and b_hi - b_lo == kernel[1] and e_hi - e_lo == kernel[2]:
                            for t in range(taps.size):
                                value = plane[corner + taps[t]]
                                better = (value > best) | (value != value)
                                best = value if better else best
                                at = corner + taps[t] if better else at
                        else:
                            for a in range(a_lo, a_hi):
                                for b in range(b_lo, b_hi):
                                    row = corner + ((a * dilation[0]) * h_ + b * dilation[1]) * w_
                                    for e in range(e_lo, e_hi):
                                        value = plane[row + e * dilation[2]]
                                        better = (value > best) | (value != value)
                                        best = value if better else best
                                        at = row + e * dilation[2] if better else at
                        values[n, c, i, j, k] = best
                        index[n, c, i, j, k] = at


@_jit
def scatter_add(g, index, out):
    """out (N, C, P) = 0, then out[n, c, index[n, c, q]] += g[n, c, q] in order (np.add.at's sums)."""
    out[:] = 0
    for n in range(g.shape[0]):
        for c in range(g.shape[1]):
            dst = out[n, c]
            src = g[n, c]
            at = index[n, c]
            for q in range(src.size):
                dst[at[q]] += src[q]


# --- recurrent cells: the elementwise work of one time step, between NumPy's GEMM and tanh ---------------


@_jit
def lstm_cell_forward(gate, scale, shift, c_prev, c_next):
    """gate (B, 4H) holds tanh of the scaled pre-activations: make it the activated (i, f, g, o) in place,
    gate * scale + shift, and write c_next = f * c_prev + i * g (ember.ops.rnn._lstm_forward's arithmetic)."""
    batch, size = c_prev.shape
    for b in range(batch):
        row = gate[b]
        for j in range(4 * size):
            row[j] = row[j] * scale[j] + shift[j]
        i, f, g = row[:size], row[size : 2 * size], row[2 * size : 3 * size]
        c, c_out = c_prev[b], c_next[b]
        for j in range(size):
            c_out[j] = f[j] * c[j] + i[j] * g[j]


@_jit
def lstm_cell_backward(g_out, recurrent, dc_dh, gate, d_pre, dc):
    """One BPTT step of ember.ops.rnn._lstm_backward: dh = g_out + recurrent; dc += dh * dc_dh; the (i, f, g)
    parts of d_pre (B, 4H) times dc, the o part times dh; then dc *= f (gate (B, 4H): the activated i, f, g, o)."""
    batch, size = dc.shape
    for b in range(batch):
        grad, rec, factor, forget, d, c = g_out[b], recurrent[b], dc_dh[b], gate[b, size : 2 * size], d_pre[b], dc[b]
        for j in range(size):
            dh = grad[j] + rec[j]
            c[j] += dh * factor[j]
            d[j] *= c[j]
            d[size + j] *= c[j]
            d[2 * size + j] *= c[j]
            d[3 * size + j] *= dh
            c[j] *= forget[j]


# --- batch norm: per-channel sums over (N, C, L) ----------------------------------------------------------
# Sums run in float64 over 16 interleaved partial sums (lanes the compiler vectorises; one running sum would
# wait on each addition's latency), a fixed order, so the results are deterministic.

_LANES = 16


@_jit
def _lane_total(lanes):
    total = 0.0
    for q in range(_LANES):
        total += lanes[q]
    return total


@_jit
def channel_sum(x, out):
    """out (C,) float64 = sum of x (N, C, L) over N and L."""
    lanes = np.zeros((x.shape[1], _LANES))
    size = x.shape[2]
    whole = size - size % _LANES
    for n in range(x.shape[0]):
        for c in range(x.shape[1]):
            row, acc = x[n, c], lanes[c]
            for p in range(0, whole, _LANES):
                for q in range(_LANES):
                    acc[q] += row[p + q]
            for q in range(size - whole):
                acc[q] += row[whole + q]
    for c in range(x.shape[1]):
        out[c] = _lane_total(lanes[c])


@_jit
def channel_dot(a, b, out):
    """out (C,) float64 = sum of a * b (both (N, C, L)) over N and L, each product rounded to a's dtype
    as NumPy's (a * b).sum() rounds it."""
    lanes = np.zeros((a.shape[1], _LANES))
    size = a.shape[2]
    whole = size - size % _LANES
    for n in range(a.shape[0]):
        for c in range(a.shape[1]):
            x, y, acc = a[n, c], b[n, c], lanes[c]
            for p in range(0, whole, _LANES):
                for q in range(_LANES):
                    acc[q] += x[p + q] * y[p + q]
            for q in range(size - whole):
                acc[q] += x[whole + q] * y[whole + q]
    for c in range(a.shape[1]):
        out[c] = _lane_total(lanes[c])


@_jit
def centre(x, mean, centred, squares):
    """centred = x - mean (per channel, in x's dtype) and squares (C,) float64 = the sum of centred ** 2."""
    lanes = np.zeros((x.shape[1], _LANES))
    size = x.shape[2]
    whole = size - size % _LANES
    for n in range(x.shape[0]):
        for c in range(x.shape[1]):
            src, dst, m, acc = x[n, c], centred[n, c], mean[c], lanes[c]
            for p in range(size):
                dst[p] = src[p] - m
            for p in range(0, whole, _LANES):
                for q in range(_LANES):
                    acc[q] += dst[p + q] * dst[p + q]
            for q in range(size - whole):
                acc[q] += dst[whole + q] * dst[whole + q]
    for c in range(x.shape[1]):
        squares[c] = _lane_total(lanes[c])


@_jit
def normalise(xhat, invstd, weight, bias, y):
    """xhat *= invstd in place, y = xhat * weight + bias (per channel; batch_norm's forward arithmetic)."""
    for n in range(xhat.shape[0]):
        for c in range(xhat.shape[1]):
            src, dst = xhat[n, c], y[n, c]
            s, w, b = invstd[c], weight[c], bias[c]
            for p in range(src.size):
                v = src[p] * s
                src[p] = v
                dst[p] = v * w + b


@_jit
def batch_norm_input_grad(g, xhat, scale, slope, offset, out):
    """out = g * scale - xhat * slope - offset (per channel; batch_norm's training-mode input gradient)."""
    for n in range(g.shape[0]):
        for c in range(g.shape[1]):
            grad, x, dst = g[n, c], xhat[n, c], out[n, c]
            s, k, o = scale[c], slope[c], offset[c]
            for p in range(grad.size):
                dst[p] = grad[p] * s - x[p] * k - o


@_jit
def gru_gates(pre, hh, b_hh, has_bias, rz, hn):
    """hh (B, 3H) = h W_hh^T: add b_hh (when has_bias); rz (B, 2H) = -(pre_rz + hh_rz), ready for NumPy's exp;
    hn (B, H) = the n part of hh (ember.ops.rnn._gru_step's arithmetic)."""
    batch, size = hn.shape
    for b in range(batch):
        row, p, gate, out = hh[b], pre[b], rz[b], hn[b]
        if has_bias:
            for j in range(3 * size):
                row[j] = row[j] + b_hh[j]
        for j in range(2 * size):
            gate[j] = -(p[j] + row[j])
        for j in range(size):
            out[j] = row[2 * size + j]


@_jit
def gru_candidate(pre, hn, rz, n):
    """rz (B, 2H) holds exp(-x): make it sigmoid(x) = 1 / (exp(-x) + 1); n (B, H) = pre_n + r * hn."""
    batch, size = n.shape
    one = np.ones(1, rz.dtype)[0]
    for b in range(batch):
        gate, p, h, out = rz[b], pre[b], hn[b], n[b]
        for j in range(2 * size):
            gate[j] = one / (gate[j] + one)
        for j in range(size):
            out[j] = p[2 * size + j] + gate[j] * h[j]


@_jit
def gru_output(n, rz, h_prev, h_next):
    """h_next = n + z * (h_prev - n), n already through tanh."""
    batch, size = n.shape
    for b in range(batch):
        new, gate, old, out = n[b], rz[b], h_prev[b], h_next[b]
        for j in range(size):
            out[j] = new[j] + gate[size + j] * (old[j] - new[j])


@_jit
def gru_step_back(g_out, direct, recurrent, rz, n, hn, h_prev, d_pre, d_hh):
    """One BPTT step of ember.ops.rnn._gru_step_back: dh = (direct + recurrent) + g_out, where direct is
    the previous step's dh * z and recurrent its d_hh W_hh; writes d_pre, d_hh (B, 3H) and direct <- dh * z."""
    batch, size = n.shape
    one = np.ones(1, n.dtype)[0]
    for b in range(batch):
        g, carry, rec, gate, new, h_n, old = g_out[b], direct[b], recurrent[b], rz[b], n[b], hn[b], h_prev[b]
        dp, dhh = d_pre[b], d_hh[b]
        for j in range(size):
            dh = (carry[j] + rec[j]) + g[j]
            r, z, v = gate[j], gate[size + j], new[j]
            d_n = dh * (one - z) * (one - v * v)
            d_r = (d_n * h_n[j]) * (r * (one - r))
            d_z = (dh * (old[j] - v)) * (z * (one - z))
            dp[j], dp[size + j], dp[2 * size + j] = d_r, d_z, d_n
            dhh[j], dhh[size + j], dhh[2 * size + j] = d_r, d_z, d_n * r
            carry[j] = dh * z


@_jit
def rnn_step_back(g_out, recurrent, h, relu, d_pre):
    """One BPTT step of the Elman RNN: dh = recurrent + g_out (recurrent: the previous step's d_pre W_hh),
    d_pre = dh * (1 - h^2) for tanh, dh * (h > 0) for relu."""
    one, zero = np.ones(1, h.dtype)[0], np.zeros(1, h.dtype)[0]
    for b in range(h.shape[0]):
        g, rec, out, d = g_out[b], recurrent[b], h[b], d_pre[b]
        for j in range(h.shape[1]):
            dh = rec[j] + g[j]
            d[j] = dh * (one if out[j] > 0 else zero) if relu else dh * (one - out[j] * out[j])
