"""Figures for a numba proposal: what fused, compiled elementwise loops would buy ember, measured, not guessed.

    python bench/numba_figures.py            # numba is not an ember dependency: pip install numba first
    OMP_NUM_THREADS=1 python bench/numba_figures.py    # on a shared, busy machine: with 2 threads torch's
                                             # OpenMP barriers stall on a busy core (10x swings in (c))

For the benchmark shapes it times, interleaved in one process with 2 threads like bench/run.py:
  (a) ember as it is (NumPy), (b) the same computation with its elementwise work as @numba.njit loops
  (GEMMs stay NumPy), (c) torch;
checks that (b) computes what (a) does, and prints per-op times, ratios to torch and, for the LSTM and
LeNet workloads, the step time projected by swapping (a) for (b). It also prints numba's import time and
each kernel's first-call compile time: ember's import target is 0.12 s, so numba could only be imported
lazily, on the first call of a kernel that needs it.

The kernels are compiled with fastmath=False (results must match NumPy's) and cache=False (a cold start,
as a user without a cache directory sees it). Without Intel's SVML, numba computes exp/tanh with scalar
libm calls that LLVM cannot vectorise, 10-100x slower than NumPy's SIMD ufuncs; so the LSTM kernel (b)
keeps NumPy's tanh and fuses the arithmetic around it, and row (b-libm) shows the fully fused cell.
"""
import os
import subprocess
import sys
import time

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "2")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.realpath(__file__)))))

import numpy as np  # noqa: E402

from ember._backend import matmul  # noqa: E402
from ember.ops import rnn  # noqa: E402

try:
    _started = time.perf_counter()
    import numba  # noqa: E402
    NUMBA_IMPORT_IN_PROCESS = time.perf_counter() - _started
except ImportError:
    numba = None

REPEATS, CALLS = 9, 10        # interleaved rounds; calls timed per round (the fastest round is reported)


# --- numba kernels ---------------------------------------------------------------------------------------

def _kernels():
    """Compile-on-first-call kernels (defined here so the module imports without numba)."""
    njit = numba.njit(fastmath=False, cache=False)
    one, half = np.float32(1), np.float32(0.5)

    @njit
    def lstm_cell_forward(gates, c_prev, c_next):
        """gates (B, 4H) hold tanh of the scaled pre-activations (as ember's kernel): make them (i, f, g, o)
        in place and write c = f c_prev + i g."""
        batch, size = c_prev.shape
        for b in range(batch):
            for j in range(size):
                i = half * gates[b, j] + half
                f = half * gates[b, size + j] + half
                o = half * gates[b, 3 * size + j] + half
                gates[b, j], gates[b, size + j], gates[b, 3 * size + j] = i, f, o
                c_next[b, j] = f * c_prev[b, j] + i * gates[b, 2 * size + j]

    @njit
    def lstm_cell_forward_libm(pre, recurrent, c_prev, gates, c_next, tanh_c, h_next):
        """The whole cell in one loop, exp and tanh from libm (what numba compiles without SVML)."""
        batch, size = c_prev.shape
        for b in range(batch):
            for j in range(size):
                i = one / (one + np.exp(-(pre[b, j] + recurrent[b, j])))
                f = one / (one + np.exp(-(pre[b, size + j] + recurrent[b, size + j])))
                g = np.tanh(pre[b, 2 * size + j] + recurrent[b, 2 * size + j])
                o = one / (one + np.exp(-(pre[b, 3 * size + j] + recurrent[b, 3 * size + j])))
                c = f * c_prev[b, j] + i * g
                tc = np.tanh(c)
                gates[b, j], gates[b, size + j], gates[b, 2 * size + j], gates[b, 3 * size + j] = i, f, g, o
                c_next[b, j], tanh_c[b, j], h_next[b, j] = c, tc, o * tc

    @njit
    def lstm_cell_backward(g_out, recurrent, dc, gates, c_prev, tanh_c, d_pre):
        """One BPTT step: dh = g_out + d_pre[t+1] W_hh, the four gate gradients, and dc <- dc_{t-1}, in one pass."""
        batch, size = dc.shape
        for b in range(batch):
            for j in range(size):
                i, f = gates[b, j], gates[b, size + j]
                g, o = gates[b, 2 * size + j], gates[b, 3 * size + j]
                tc = tanh_c[b, j]
                dh = g_out[b, j] + recurrent[b, j]
                d_c = dc[b, j] + dh * o * (one - tc * tc)
                d_pre[b, j] = d_c * g * i * (one - i)
                d_pre[b, size + j] = d_c * c_prev[b, j] * f * (one - f)
                d_pre[b, 2 * size + j] = d_c * i * (one - g * g)
                d_pre[b, 3 * size + j] = dh * tc * o * (one - o)
                dc[b, j] = d_c * f

    @njit
    def max_pool_2x2_forward(x, out, which):
        """2x2/2 windows: the max (NaN wins, the first maximum on ties, as torch) and which of the 4 it was."""
        n_, c_, h_, w_ = out.shape
        for n in range(n_):
            for c in range(c_):
                for i in range(h_):
                    for j in range(w_):
                        best, k = x[n, c, 2 * i, 2 * j], 0
                        for t in range(1, 4):
                            v = x[n, c, 2 * i + t // 2, 2 * j + t % 2]
                            if v > best or v != v:            # torch: a NaN wins
                                best, k = v, t
                        out[n, c, i, j], which[n, c, i, j] = best, k

    @njit
    def max_pool_2x2_backward(g, which, gx):
        """Writes every element of gx (the gradient or 0), so gx needs no zeroing first."""
        n_, c_, h_, w_ = g.shape
        for n in range(n_):
            for c in range(c_):
                for i in range(h_):
                    for j in range(w_):
                        k = which[n, c, i, j]
                        for t in range(4):
                            gx[n, c, 2 * i + t // 2, 2 * j + t % 2] = g[n, c, i, j] if t == k else 0

    @njit
    def col2im(cols, kernel, stride, pad, out):
        """fold: cols (N, C*k*k, L) summed into out (N, C, H, W), which it zeroes first. Per kernel tap, the
        block range whose pixels land inside the image is computed up front, so the inner loop has no branch."""
        n_, c_, h_, w_ = out.shape
        blocks_h = (h_ + 2 * pad - kernel) // stride + 1
        blocks_w = (w_ + 2 * pad - kernel) // stride + 1
        out[...] = 0
        for n in range(n_):
            for c in range(c_):
                for ki in range(kernel):
                    by_lo = max(0, (pad - ki + stride - 1) // stride)
                    by_hi = min(blocks_h, (h_ - 1 + pad - ki) // stride + 1)
                    for kj in range(kernel):
                        row = (c * kernel + ki) * kernel + kj
                        bx_lo = max(0, (pad - kj + stride - 1) // stride)
                        bx_hi = min(blocks_w, (w_ - 1 + pad - kj) // stride + 1)
                        for by in range(by_lo, by_hi):
                            y = by * stride - pad + ki
                            for bx in range(bx_lo, bx_hi):
                                out[n, c, y, bx * stride - pad + kj] += cols[n, row, by * blocks_w + bx]

    return dict(lstm_cell_forward=lstm_cell_forward, lstm_cell_forward_libm=lstm_cell_forward_libm,
                lstm_cell_backward=lstm_cell_backward, max_pool_2x2_forward=max_pool_2x2_forward,
                max_pool_2x2_backward=max_pool_2x2_backward, col2im=col2im)


# --- (b): the LSTM layer on arrays with numba cells -------------------------------------------------------

def _gate_scale(size):
    scale = np.full(4 * size, 0.5, np.float32)
    scale[2 * size:3 * size] = 1
    return scale


class ArrayLSTM:
    """LSTM(I, H) forward + backward on arrays, no autograd graph: the input projection, per-step and weight
    GEMMs in NumPy with ember's BLAS thread policy. `cells` picks the recurrence's elementwise work:
    "ember" ember's NumPy kernel (ember.ops.rnn), "numba" numba loops around NumPy's tanh, "libm" the
    whole cell, transcendentals included, in one numba loop."""

    def __init__(self, k, cells, w_ih, w_hh, b_ih, b_hh):
        self.k, self.cells = k, cells
        self.w_ih, self.w_hh, self.bias = w_ih, w_hh, b_ih + b_hh
        self.scale = _gate_scale(w_hh.shape[1])
        self.w_t = np.ascontiguousarray(w_hh.T * (1 if cells == "libm" else self.scale))

    def forward(self, x):
        length, batch, size = x.shape[0], x.shape[1], self.w_hh.shape[1]
        pre = matmul(x.reshape(-1, x.shape[-1]), self.w_ih.T).reshape(length, batch, 4 * size)
        pre += self.bias
        if self.cells == "ember":
            zeros = np.zeros((batch, size), np.float32)
            out, _, self.saved = rnn._lstm_forward(pre, zeros, zeros, self.w_hh, False)
        else:
            out = self._numba_forward(pre)
        self.x, self.h_prev = x, self.saved[2]
        return out

    def backward(self, g_out):
        if self.cells == "ember":
            d_pre = rnn._lstm_backward(g_out, None, self.saved, self.w_hh, False)[0]
        else:
            d_pre = self._numba_backward(g_out)
        flat = d_pre.reshape(-1, d_pre.shape[-1])
        grad_w_hh = matmul(flat.T, self.h_prev.reshape(-1, self.h_prev.shape[-1]))
        grad_w_ih = matmul(flat.T, self.x.reshape(-1, self.x.shape[-1]))
        grad_b = flat.sum(axis=0)
        return grad_w_ih, grad_w_hh, grad_b, grad_b

    def _numba_forward(self, pre):
        k, (length, batch, size) = self.k, pre.shape[:2] + (self.w_hh.shape[1],)
        hs, cs = np.zeros((length + 1, batch, size), np.float32), np.zeros((length + 1, batch, size), np.float32)
        tanh_c = np.empty((length, batch, size), np.float32)
        recurrent = np.empty((batch, 4 * size), np.float32)
        if self.cells == "libm":
            gates = np.empty_like(pre)
            for t in range(length):
                np.matmul(hs[t], self.w_t, out=recurrent)
                k["lstm_cell_forward_libm"](pre[t], recurrent, cs[t], gates[t], cs[t + 1], tanh_c[t], hs[t + 1])
        else:
            gates = np.multiply(pre, self.scale, out=pre)
            for t in range(length):
                gate = gates[t]
                gate += np.matmul(hs[t], self.w_t, out=recurrent)
                np.tanh(gate, out=gate)
                k["lstm_cell_forward"](gate, cs[t], cs[t + 1])
                np.multiply(gate[:, 3 * size:], np.tanh(cs[t + 1], out=tanh_c[t]), out=hs[t + 1])
        self.saved = (gates, tanh_c, hs[:-1], cs[:-1])
        return hs[1:]

    def _numba_backward(self, g_out):
        gates, tanh_c, _, c_prev = self.saved
        length, batch, size = tanh_c.shape
        d_pre = np.empty_like(gates)
        dc, recurrent = np.zeros((batch, size), np.float32), np.zeros((batch, size), np.float32)
        for t in range(length - 1, -1, -1):
            self.k["lstm_cell_backward"](g_out[t], recurrent, dc, gates[t], c_prev[t], tanh_c[t], d_pre[t])
            np.matmul(d_pre[t], self.w_hh, out=recurrent)
        return d_pre


# --- timing ---------------------------------------------------------------------------------------------

def interleaved(fns):
    """ms per call of each function in its fastest round, the functions taking turns so that load from other
    processes hits them alike (on a shared machine the fastest round is the least disturbed one)."""
    times = {name: [] for name in fns}
    for fn in fns.values():
        fn()
    for _ in range(REPEATS):
        for name, fn in fns.items():
            started = time.perf_counter()
            for _ in range(CALLS):
                fn()
            times[name].append((time.perf_counter() - started) / CALLS * 1e3)
    return {name: min(t) for name, t in times.items()}


def first_call_ms(fn):
    """First call (numba's type inference and LLVM compile included) minus a later call."""
    started = time.perf_counter()
    fn()
    first = time.perf_counter() - started
    started = time.perf_counter()
    fn()
    return (first - (time.perf_counter() - started)) * 1e3


def import_seconds():
    """numba's own import time on top of numpy's, in a fresh interpreter (best of 3)."""
    code = ("import time, numpy; t = time.perf_counter(); import numba; "
            "print(time.perf_counter() - t)")
    runs = [float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                 check=True).stdout) for _ in range(3)]
    return min(runs)


def table(title, rows, torch_ms):
    print(f"\n{title}")
    print(f"  {'variant':44s} {'ms':>8s} {'/ torch':>8s}")
    for name, ms in rows:
        print(f"  {name:44s} {ms:8.3f} {ms / torch_ms:8.2f}")


def close(ours, reference, what, tol=1e-5):
    """(b) must compute (a): max |difference| relative to the largest |value|, below tol."""
    err = float(np.max(np.abs(ours - reference)) / max(float(np.max(np.abs(reference))), 1e-30))
    assert err < tol, f"{what}: numba differs from ember by {err:.2e} (relative to the largest value)"
    return err


# --- the three comparisons ------------------------------------------------------------------------------

def lstm_figures(ember, torch, k):
    from ember.bench.workloads import WORKLOADS
    length, batch, inputs, size = 35, 32, 32, 128
    rng = np.random.default_rng(0)
    x = rng.standard_normal((length, batch, inputs)).astype(np.float32)
    g = rng.standard_normal((length, batch, size)).astype(np.float32)
    layer = ember.nn.LSTM(inputs, size)
    t_layer = torch.nn.LSTM(inputs, size)
    t_layer.load_state_dict({name: torch.tensor(p.detach().numpy()) for name, p in layer.state_dict().items()})
    weights = [p.detach().numpy() for p in (layer.weight_ih_l0, layer.weight_hh_l0, layer.bias_ih_l0,
                                            layer.bias_hh_l0)]
    arrays = {cells: ArrayLSTM(k, cells, *weights) for cells in ("ember", "numba", "libm")}
    ex, eg, tx, tg = ember.tensor(x), ember.tensor(g), torch.tensor(x), torch.tensor(g)

    def ember_layer():
        out, _ = layer(ex)
        out.backward(eg)
        return out

    def torch_layer():
        out, _ = t_layer(tx)
        out.backward(tg)

    def array_layer(model):
        def run():
            out = model.forward(x)
            return out, model.backward(g)
        return run

    compile_ms = {cells: first_call_ms(array_layer(arrays[cells])) for cells in ("numba", "libm")}
    for p in layer.parameters():
        p.grad = None
    reference = ember_layer().detach().numpy()
    ref_grads = [p.grad.numpy() for p in (layer.weight_ih_l0, layer.weight_hh_l0, layer.bias_ih_l0,
                                          layer.bias_hh_l0)]
    errors = {}
    for cells, model in arrays.items():
        out, grads = array_layer(model)()
        errors[cells] = max([close(out, reference, f"LSTM output ({cells})")] +
                            [close(ours, theirs, f"LSTM grad {i} ({cells})") for i, (ours, theirs) in
                             enumerate(zip(grads, ref_grads))])
    ember_step, torch_step = WORKLOADS["lstm"](ember, 1.0), WORKLOADS["lstm"](torch, 1.0)
    ms = interleaved({"a": ember_layer, "a_arrays": array_layer(arrays["ember"]), "b": array_layer(arrays["numba"]),
                      "b_libm": array_layer(arrays["libm"]), "c": torch_layer,
                      "ember_step": ember_step, "torch_step": torch_step})
    table("LSTM(32, 128), seq 35, batch 32: one layer, forward + backward", [
        ("(a) ember nn.LSTM", ms["a"]),
        ("(a-arrays) ember's NumPy kernel, no graph", ms["a_arrays"]),
        ("(b) numba cells around NumPy tanh", ms["b"]),
        ("(b-libm) numba cells, libm exp/tanh", ms["b_libm"]),
        ("(c) torch nn.LSTM", ms["c"])], ms["c"])
    projected = ms["ember_step"] - ms["a_arrays"] + ms["b"]
    print(f"  (b) and (a-arrays) run the same GEMMs and the same graph-free pipeline: they differ only in the cells")
    print(f"  max relative difference to (a): (a-arrays) {errors['ember']:.1e}, (b) {errors['numba']:.1e}, "
          f"(b-libm) {errors['libm']:.1e}")
    print(f"  first-call compile: (b) {compile_ms['numba']:.0f} ms, (b-libm) {compile_ms['libm']:.0f} ms")
    print(f"  lstm workload step: ember {ms['ember_step']:.2f} ms, torch {ms['torch_step']:.2f} ms, ratio "
          f"{ms['ember_step'] / ms['torch_step']:.2f}; with (b)'s cells: {projected:.2f} ms, projected ratio "
          f"{projected / ms['torch_step']:.2f}")


def pool_figures(ember, torch, k):
    from ember.bench.workloads import WORKLOADS
    rng = np.random.default_rng(0)
    saved = {}
    for shape in ((64, 6, 28, 28), (64, 16, 10, 10)):
        x = rng.standard_normal(shape).astype(np.float32)
        half = shape[:2] + (shape[2] // 2, shape[3] // 2)
        g = rng.standard_normal(half).astype(np.float32)
        ex, tx = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        eg, tg = ember.tensor(g), torch.tensor(g)

        def ember_pool():
            ex.grad = None
            out = ember.nn.functional.max_pool2d(ex, 2)
            out.backward(eg)
            return out.detach().numpy(), ex.grad.numpy()

        def torch_pool():
            tx.grad = None
            torch.nn.functional.max_pool2d(tx, 2).backward(tg)

        def numba_pool():
            out, which = np.empty(half, np.float32), np.empty(half, np.int8)
            k["max_pool_2x2_forward"](x, out, which)
            gx = np.empty(shape, np.float32)
            k["max_pool_2x2_backward"](g, which, gx)
            return out, gx

        compile_ms = first_call_ms(numba_pool) if not saved else None    # compiled once, for the first shape
        (out_a, gx_a), (out_b, gx_b) = ember_pool(), numba_pool()
        assert np.array_equal(out_a, out_b) and np.array_equal(gx_a, gx_b), "max_pool2d: numba differs from ember"
        ms = interleaved({"a": ember_pool, "b": numba_pool, "c": torch_pool})
        saved[shape] = ms
        table(f"max_pool2d 2x2 on {shape}: forward + backward (identical results)",
              [("(a) ember, NumPy", ms["a"]), ("(b) numba", ms["b"]), ("(c) torch", ms["c"])], ms["c"])
        if compile_ms is not None:
            print(f"  first-call compile (forward + backward kernels): {compile_ms:.0f} ms")
    steps = interleaved({"ember": WORKLOADS["lenet"](ember, 1.0), "torch": WORKLOADS["lenet"](torch, 1.0)})
    projected = steps["ember"] - sum(ms["a"] - ms["b"] for ms in saved.values())
    print(f"  lenet workload step: ember {steps['ember']:.2f} ms, torch {steps['torch']:.2f} ms, ratio "
          f"{steps['ember'] / steps['torch']:.2f}; with (b) pools: {projected:.2f} ms, projected ratio "
          f"{projected / steps['torch']:.2f}")


def col2im_figures(ember, torch, k):
    # DCGAN's ConvTranspose2d(128, 64, 4, 2, 1) at batch 64: 8x8 -> 16x16; its col2im in fold's layout
    batch, channels, kernel, stride, pad, spatial = 64, 64, 4, 2, 1, 16
    blocks = ((spatial + 2 * pad - kernel) // stride + 1) ** 2
    cols = np.random.default_rng(0).standard_normal((batch, channels * kernel * kernel, blocks)).astype(np.float32)
    ec, tc = ember.tensor(cols), torch.tensor(cols)
    out = np.empty((batch, channels, spatial, spatial), np.float32)
    fold = dict(output_size=(spatial, spatial), kernel_size=kernel, stride=stride, padding=pad)

    def numba_fold():
        k["col2im"](cols, kernel, stride, pad, out)
        return out

    compile_ms = first_call_ms(numba_fold)
    reference = ember.nn.functional.fold(ec, **fold).numpy()
    error = close(numba_fold(), reference, "col2im")
    ms = interleaved({"a": lambda: ember.nn.functional.fold(ec, **fold), "b": numba_fold,
                      "c": lambda: torch.nn.functional.fold(tc, **fold)})
    table(f"col2im (F.fold) for ConvTranspose2d(128, 64, 4, 2, 1), batch 64: cols {cols.shape} -> "
          f"{out.shape}", [("(a) ember, NumPy", ms["a"]), ("(b) numba", ms["b"]), ("(c) torch", ms["c"])], ms["c"])
    print(f"  max relative difference (b) vs (a): {error:.1e}; first-call compile: {compile_ms:.0f} ms")


def main():
    if numba is None:
        print("numba is not installed (it is not an ember dependency): pip install numba, then run again.")
        return 0
    import ember
    import torch
    torch.set_num_threads(int(os.environ["OMP_NUM_THREADS"]))
    print(f"numba {numba.__version__}, numpy {np.__version__}, torch {torch.__version__}; "
          f"{os.environ['OMP_NUM_THREADS']} threads; fastest of {REPEATS} interleaved rounds of {CALLS} calls")
    print(f"numba import: {import_seconds():.3f} s in a fresh interpreter after numpy "
          f"({NUMBA_IMPORT_IN_PROCESS:.3f} s here); ember's import target is 0.12 s")
    k = _kernels()
    lstm_figures(ember, torch, k)
    pool_figures(ember, torch, k)
    col2im_figures(ember, torch, k)
    return 0


if __name__ == "__main__":
    sys.exit(main())
