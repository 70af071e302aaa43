"""Conv layers run as one GEMM over the whole batch (batch-inner columns forward, batch-last col2im
backward): values, input, weight and bias gradients vs torch at layer sizes (groups, stride, padding,
dilation, transposed), and double backward."""

import numpy as np
import pytest

import ember
from oracle import check

pytestmark = pytest.mark.usefixtures("kernel_path")  # NumPy and compiled kernels (conftest)

TOL = dict(atol=1e-4, rtol=1e-4)  # sums of thousands of float32 products


@pytest.mark.parametrize(
    "kw,xs,ws",
    [
        (dict(), (2, 32, 16, 16), (64, 32, 3, 3)),
        (dict(stride=2, padding=1), (3, 16, 32, 32), (64, 16, 4, 4)),
        (dict(groups=2, padding=1, dilation=2), (2, 64, 16, 16), (128, 32, 3, 3)),
    ],
    ids=["plain", "strided-padded", "groups-dilation"],
)
def test_conv2d_one_gemm_matches_torch(kw, xs, ws):
    check(lambda T, x, w, b: T.nn.functional.conv2d(x, w, b, **kw), [xs, ws, (ws[0],)], **TOL)


def test_conv_transpose2d_one_gemm_matches_torch():
    # DCGAN's 256 -> 128 layer shape: the input gradient of a conv
    xs, ws = (2, 64, 8, 8), (64, 32, 4, 4)
    check(lambda T, x, w: T.nn.functional.conv_transpose2d(x, w, stride=2, padding=1), [xs, ws], **TOL)


def test_conv_one_gemm_double_backward():
    rng = np.random.default_rng(0)
    x = ember.tensor(rng.standard_normal((2, 8, 10, 10)), requires_grad=True)
    w = ember.tensor(rng.standard_normal((4, 8, 3, 3)), requires_grad=True)
    fn = lambda x, w: ember.nn.functional.conv2d(x, w, padding=1, stride=2)  # noqa: E731
    assert ember.autograd.gradcheck(fn, (x, w))
    assert ember.autograd.gradgradcheck(fn, (x, w))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_few_output_channels_run_by_sample_tiles(monkeypatch, dtype):
    # columns over 4 MB, at most 16 output channels (LeNet's conv1 at batch 64) and one BLAS thread: the GEMMs
    # run a few samples at a time; the output is the one-GEMM output bit for bit, the gradients match torch
    from ember.ops import conv

    monkeypatch.setattr(conv, "get_num_threads", lambda: 1)
    rng = np.random.default_rng(0)
    x0, w0 = rng.standard_normal((12, 3, 40, 40)).astype(dtype), rng.standard_normal((6, 3, 5, 5)).astype(dtype)
    assert len(conv._sample_tiles(x0, w0.shape, conv.Geometry((5, 5), (1, 1), (1, 1), ((1, 1),) * 2, 1), (38, 38))) > 1
    # the weight gradient sums 17k products of magnitude up to ~6 into values up to ~350: torch's float32 sum
    # is itself 8e-4 from the float64 one there (ember's 2e-4, tiled or not)
    check(
        lambda T, x, w, b: T.nn.functional.conv2d(x, w, b, padding=1),
        arrays=[x0, w0, rng.standard_normal(6).astype(dtype)],
        **TOL,
        grad_atol=2e-3 if dtype == np.float32 else None,
    )
    tiled = ember.nn.functional.conv2d(ember.tensor(x0), ember.tensor(w0), padding=1).numpy()
    monkeypatch.setattr(conv, "get_num_threads", lambda: 2)
    assert conv._sample_tiles(x0, w0.shape, conv.Geometry((5, 5), (1, 1), (1, 1), ((1, 1),) * 2, 1), (38, 38)) is None
    whole = ember.nn.functional.conv2d(ember.tensor(x0), ember.tensor(w0), padding=1).numpy()
    np.testing.assert_array_equal(tiled, whole)
