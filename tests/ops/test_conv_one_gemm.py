"""Layers past conv's _STACKED_MATMUL_LIMIT run as one GEMM over batch-inner columns: values, input,
weight and bias gradients vs torch (groups, stride, padding, dilation, transposed), and double backward."""
import math

import numpy as np
import pytest

import ember
from ember.ops import conv as conv_ops
from oracle import check

TOL = dict(atol=1e-4, rtol=1e-4)      # sums of thousands of float32 products


def _past_limit(out_channels, groups, weight_shape, out_spatial):
    return out_channels // groups * math.prod(weight_shape[1:]) * math.prod(out_spatial) >= \
        conv_ops._STACKED_MATMUL_LIMIT


@pytest.mark.parametrize("kw,xs,ws,out", [
    (dict(), (2, 32, 16, 16), (64, 32, 3, 3), (14, 14)),
    (dict(stride=2, padding=1), (3, 16, 32, 32), (64, 16, 4, 4), (16, 16)),
    (dict(groups=2, padding=1, dilation=2), (2, 64, 16, 16), (128, 32, 3, 3), (14, 14)),
], ids=["plain", "strided-padded", "groups-dilation"])
def test_conv2d_one_gemm_matches_torch(kw, xs, ws, out):
    assert _past_limit(ws[0], kw.get("groups", 1), ws, out)
    check(lambda T, x, w, b: T.nn.functional.conv2d(x, w, b, **kw), [xs, ws, (ws[0],)], **TOL)


def test_conv_transpose2d_one_gemm_matches_torch():
    # DCGAN's 256 -> 128 layer: the input gradient of a conv past the limit
    xs, ws = (2, 64, 8, 8), (64, 32, 4, 4)
    assert _past_limit(64, 1, (64, 32, 4, 4), (8, 8))
    check(lambda T, x, w: T.nn.functional.conv_transpose2d(x, w, stride=2, padding=1), [xs, ws], **TOL)


def test_conv_one_gemm_double_backward():
    rng = np.random.default_rng(0)
    x = ember.tensor(rng.standard_normal((2, 8, 10, 10)), requires_grad=True)
    w = ember.tensor(rng.standard_normal((4, 8, 3, 3)), requires_grad=True)
    limit = conv_ops._STACKED_MATMUL_LIMIT
    conv_ops._STACKED_MATMUL_LIMIT = 1          # force the one-GEMM path on a gradcheck-sized layer
    try:
        fn = lambda x, w: ember.nn.functional.conv2d(x, w, padding=1, stride=2)  # noqa: E731
        assert ember.autograd.gradcheck(fn, (x, w))
        assert ember.autograd.gradgradcheck(fn, (x, w))
    finally:
        conv_ops._STACKED_MATMUL_LIMIT = limit
