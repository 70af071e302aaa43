"""Conv layers run as one GEMM over the whole batch (batch-inner columns forward, batch-last col2im
backward): values, input, weight and bias gradients vs torch at layer sizes (groups, stride, padding,
dilation, transposed), and double backward."""
import numpy as np
import pytest

import ember
from oracle import check

pytestmark = pytest.mark.usefixtures("kernel_path")   # NumPy and compiled kernels (conftest)

TOL = dict(atol=1e-4, rtol=1e-4)      # sums of thousands of float32 products


@pytest.mark.parametrize("kw,xs,ws", [
    (dict(), (2, 32, 16, 16), (64, 32, 3, 3)),
    (dict(stride=2, padding=1), (3, 16, 32, 32), (64, 16, 4, 4)),
    (dict(groups=2, padding=1, dilation=2), (2, 64, 16, 16), (128, 32, 3, 3)),
], ids=["plain", "strided-padded", "groups-dilation"])
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
