"""ember._kernels: the compiled (numba) kernels give the NumPy path's results, bit for bit where they do the
same arithmetic; numba is imported only when a kernel runs, compiled kernels are cached on disk, and
EMBER_NO_NUMBA=1 keeps ember on NumPy."""

import os
import subprocess
import sys

import numpy as np
import pytest

import ember
from ember import _kernels

numba = pytest.importorskip("numba")
F = ember.nn.functional
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _on_both_paths(monkeypatch, run):
    """run() on the NumPy path, then with the kernels: its list of arrays, twice."""
    results = []
    for enabled in (False, True):
        monkeypatch.setattr(_kernels, "enabled", enabled)
        results.append([np.asarray(a).copy() for a in run()])
    return results


def _assert_same_bits(numpy_path, kernels):
    for a, b in zip(numpy_path, kernels):
        assert a.dtype == b.dtype and a.shape == b.shape
        assert np.array_equal(a.view(f"u{a.itemsize}"), b.view(f"u{b.itemsize}"))


def _grads(out, grad, *tensors):
    out.backward(ember.tensor(grad))
    return [out.detach().numpy()] + [t.grad.numpy() for t in tensors]


CONVS = [  # rank, transposed, input shape, weight shape, keyword arguments
    (1, False, (3, 4, 11), (6, 4, 3), dict(stride=2, padding=1)),
    (2, False, (2, 3, 9, 8), (4, 3, 3, 2), dict(stride=(2, 1), padding=(1, 0), dilation=(1, 2))),
    (2, False, (2, 4, 7, 7), (6, 2, 3, 3), dict(padding=2, groups=2)),
    (2, False, (3, 2, 6, 6), (5, 2, 4, 4), dict(padding="same")),
    (3, False, (2, 2, 5, 6, 5), (3, 2, 2, 3, 2), dict(stride=(1, 2, 1), padding=(1, 0, 1))),
    (2, True, (2, 5, 4, 4), (5, 3, 4, 4), dict(stride=2, padding=1)),
    (2, True, (2, 4, 3, 5), (4, 3, 3, 3), dict(stride=(2, 3), padding=(0, 1), output_padding=(1, 2), dilation=1)),
    (1, True, (2, 4, 6), (4, 1, 3), dict(stride=3, groups=4, dilation=2)),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("rank,transposed,xs,ws,kw", CONVS)
def test_conv_kernels_give_the_numpy_paths_bits(monkeypatch, rank, transposed, xs, ws, kw, dtype):
    rng = np.random.default_rng(0)
    x0, w0 = rng.standard_normal(xs).astype(dtype), rng.standard_normal(ws).astype(dtype)
    op = getattr(F, f"conv_transpose{rank}d" if transposed else f"conv{rank}d")

    def run():
        x, w = ember.tensor(x0, requires_grad=True), ember.tensor(w0, requires_grad=True)
        out = op(x, w, **kw)
        return _grads(out, np.random.default_rng(1).standard_normal(tuple(out.shape)).astype(dtype), x, w)

    _assert_same_bits(*_on_both_paths(monkeypatch, run))


def _special_values(shape, rng):
    x = rng.standard_normal(shape).astype(np.float32)
    flat = x.reshape(-1)
    flat[rng.choice(flat.size, flat.size // 8, replace=False)] = -np.inf
    flat[rng.choice(flat.size, 3, replace=False)] = np.nan
    flat[:4] = -np.inf  # a window of -inf only
    return x


@pytest.mark.parametrize(
    "rank,kw",
    [
        (1, dict(kernel_size=3, stride=2, padding=1)),
        (2, dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)),
        (2, dict(kernel_size=(2, 3), stride=1, dilation=(2, 1), padding=(1, 1))),
        (3, dict(kernel_size=2, stride=(1, 2, 2), padding=1)),
    ],
)
def test_max_pool_kernel_gives_the_numpy_paths_values_indices_and_gradients(monkeypatch, rank, kw):
    rng = np.random.default_rng(0)
    x0 = _special_values((2, 3) + (7,) * rank, rng)

    def run():
        x = ember.tensor(x0, requires_grad=True)
        out, index = getattr(F, f"max_pool{rank}d")(x, return_indices=True, **kw)
        g = np.random.default_rng(1).standard_normal(tuple(out.shape)).astype(np.float32)
        return _grads(out, g, x) + [index.numpy()]

    _assert_same_bits(*_on_both_paths(monkeypatch, run))


RECURRENT = [("LSTM", {}), ("GRU", {}), ("GRU", dict(bias=False)), ("RNN", {}), ("RNN", dict(nonlinearity="relu"))]


@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("layer,kw", RECURRENT, ids=["lstm", "gru", "gru-no-bias", "rnn-tanh", "rnn-relu"])
def test_recurrent_cell_kernels_give_the_numpy_paths_bits(monkeypatch, layer, kw, bidirectional, dtype):
    rng = np.random.default_rng(0)
    net = getattr(ember.nn, layer)(5, 7, num_layers=2, bidirectional=bidirectional, **kw)
    if dtype == np.float64:
        net = net.double()
    x0 = rng.standard_normal((6, 3, 5)).astype(dtype)
    h0, c0 = (rng.standard_normal((2 * (1 + bidirectional), 3, 7)).astype(dtype) for _ in range(2))

    def run():
        net.zero_grad()
        x = ember.tensor(x0, requires_grad=True)
        state = (ember.tensor(h0), ember.tensor(c0)) if layer == "LSTM" else ember.tensor(h0)
        out, state = net(x, state)
        h, c = state if layer == "LSTM" else (state, state)
        (out.sum() + (h * h).sum() + c.sum()).backward()
        return [out.detach().numpy(), h.detach().numpy(), c.detach().numpy(), x.grad.numpy()] + [
            p.grad.numpy() for p in net.parameters()
        ]

    _assert_same_bits(*_on_both_paths(monkeypatch, run))


@pytest.mark.parametrize("shape", [(8, 3), (4, 5, 7, 6), (3, 4, 2, 5, 3)])
@pytest.mark.parametrize("affine", [True, False])
def test_batch_norm_kernels_match_the_numpy_path(monkeypatch, shape, affine):
    rng = np.random.default_rng(0)
    x0 = (rng.standard_normal(shape) * 3 + 1).astype(np.float32)
    norm = {2: ember.nn.BatchNorm1d, 4: ember.nn.BatchNorm2d, 5: ember.nn.BatchNorm3d}[len(shape)](
        shape[1], affine=affine
    )

    def run():
        norm.zero_grad()
        norm.reset_running_stats()
        x = ember.tensor(x0, requires_grad=True)
        out = norm(x)
        (out * ember.tensor(np.linspace(-1, 1, out.numel(), dtype=np.float32).reshape(shape))).sum().backward()
        grads = [x.grad.numpy()] + ([norm.weight.grad.numpy(), norm.bias.grad.numpy()] if affine else [])
        return [out.detach().numpy()] + grads + [norm.running_mean.numpy(), norm.running_var.numpy()]

    numpy_path, kernels = _on_both_paths(monkeypatch, run)
    for a, b in zip(numpy_path, kernels):  # the kernels sum in float64: close, not the same bits
        np.testing.assert_allclose(b, a, rtol=2e-5, atol=2e-6)


def test_kernels_run_only_on_numpy_float_arrays_and_can_be_turned_off(monkeypatch):
    f32 = np.zeros(3, np.float32)
    assert _kernels.for_arrays(f32, None, np.zeros(2, np.float32)) is not None
    assert _kernels.for_arrays(f32, np.zeros(3)) is None  # mixed dtypes
    assert _kernels.for_arrays(np.zeros(3, np.float16)) is None
    assert _kernels.for_arrays(np.zeros(3, np.int64)) is None
    monkeypatch.setattr(_kernels, "enabled", False)
    assert _kernels.for_arrays(f32) is None


def _python(code, **env):
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": REPO, **env},
        check=True,
    ).stdout.strip()


_CONV = (
    "import sys, ember\n"
    "x = ember.randn(2, 3, 8, 8, requires_grad=True)\n"
    "ember.nn.functional.conv2d(x, ember.randn(4, 3, 3, 3)).sum().backward()\n"
)


def test_numba_is_imported_by_the_first_kernel_and_not_with_ember_no_numba():
    before = "import sys, ember\nprint('numba' in sys.modules)\n"
    assert _python(before + _CONV + "print('numba' in sys.modules)") == "False\nTrue"
    assert _python(_CONV + "print('numba' in sys.modules)", EMBER_NO_NUMBA="1") == "False"


def test_compiled_kernels_are_cached_on_disk_for_later_processes(tmp_path):
    code = (
        "import numpy as np\n"
        "from ember._kernels import numba_kernels as k\n"
        "k.channel_sum(np.ones((2, 3, 4), np.float32), np.empty(3))\n"
        "print(sum(k.channel_sum.stats.cache_hits.values()), sum(k.channel_sum.stats.cache_misses.values()))"
    )
    assert _python(code, NUMBA_CACHE_DIR=str(tmp_path)) == "0 1"  # compiled ...
    assert any(tmp_path.rglob("*channel_sum*.nbi"))  # ... and written to the cache
    assert _python(code, NUMBA_CACHE_DIR=str(tmp_path)) == "1 0"  # loaded, not compiled


def test_kernels_compile_without_a_writable_cache(monkeypatch):
    from ember._kernels import numba_kernels

    real_njit = numba.njit

    def njit(**options):
        if options.get("cache"):
            raise RuntimeError("cannot cache function: no locator available")
        return real_njit(**options)

    monkeypatch.setattr(numba_kernels.numba, "njit", njit)
    twice = numba_kernels._jit(lambda a: 2 * a)
    assert twice(np.float32(3)) == 6
