"""Max/avg/LP/adaptive pooling and max_unpool against torch: values, indices, gradients, reprs, errors."""

import numpy as np
import pytest

import ember
from ember.autograd import gradcheck, gradgradcheck
from oracle import check, on_devices, torch

pytestmark = pytest.mark.usefixtures("kernel_path")  # NumPy and compiled kernels (conftest)

F = lambda T: T.nn.functional  # noqa: E731


@pytest.mark.parametrize(
    "nd,xs,kw",
    [
        (2, (2, 3, 8, 8), dict(kernel_size=2)),
        (2, (2, 3, 9, 10), dict(kernel_size=3, stride=2, padding=1, dilation=2, ceil_mode=True)),
        (2, (2, 3, 9, 10), dict(kernel_size=(3, 2), stride=(2, 1), padding=(1, 0))),
        (2, (2, 3, 7, 7), dict(kernel_size=3, stride=2, ceil_mode=True)),
        (2, (3, 7, 6), dict(kernel_size=2, stride=1)),  # unbatched, overlapping windows
        (1, (2, 3, 10), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)),
        (1, (2, 3, 11), dict(kernel_size=2, dilation=3)),
        (3, (2, 3, 4, 5, 4), dict(kernel_size=2, stride=1)),
        (3, (1, 2, 5, 5, 6), dict(kernel_size=(3, 2, 3), stride=2, padding=1, ceil_mode=True)),
    ],
)
@on_devices
def test_max_pool_values_indices_grads_match_torch(nd, xs, kw):
    fn = f"max_pool{nd}d"
    check(lambda T, x: getattr(F(T), fn)(x, **kw, return_indices=True), [xs])
    check(lambda T, x: getattr(T.nn, f"MaxPool{nd}d")(**kw)(x), [xs])


@on_devices
def test_max_pool_ties_take_the_first_max_and_nan_propagates():
    x = np.zeros((1, 1, 4, 4), np.float32)
    x[0, 0, 1, 1] = x[0, 0, 0, 3] = np.nan
    x[0, 0, 3, 3] = -np.inf
    x[0, 0, 2:, :2] = -np.inf  # a window holding only -inf
    check(lambda T, x: F(T).max_pool2d(x, 2, return_indices=True), arrays=[x])
    check(lambda T, x: F(T).max_pool2d(x, 3, stride=1, padding=1, return_indices=True), arrays=[x])


# windows that tile the input (stride == kernel, no padding/dilation) take the reshape fast path
@pytest.mark.parametrize(
    "nd,xs,kw",
    [
        (2, (2, 3, 9, 11), dict(kernel_size=3)),  # the remainder rows/columns dropped
        (2, (2, 3, 8, 6), dict(kernel_size=(2, 3), stride=(2, 3))),
        (2, (2, 3, 8, 8), dict(kernel_size=2, ceil_mode=True)),  # ceil_mode adds no window here
        (2, (2, 3, 9, 9), dict(kernel_size=2, ceil_mode=True)),  # ... and a partial one here: general path
        (2, (1, 1, 17, 34), dict(kernel_size=17)),  # 289 taps: past a uint8 tap number
        (1, (2, 3, 11), dict(kernel_size=2)),
        (3, (2, 2, 4, 6, 5), dict(kernel_size=2)),
    ],
)
@on_devices
def test_tiling_max_pool_matches_torch(nd, xs, kw):
    check(lambda T, x: getattr(F(T), f"max_pool{nd}d")(x, **kw, return_indices=True), [xs])


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
def test_tiling_max_pool_special_values_match_torch(dtype):
    # per 2x2 window: several NaN (the last wins), a NaN first, ties (the first wins), only -inf,
    # -inf with a NaN, zeros of both signs (the first one's sign), inf ties
    windows = [
        [np.nan, 1, np.nan, 2],
        [np.nan, 0, 0, 0],
        [3, 3, 1, 3],
        [-np.inf] * 4,
        [-np.inf, np.nan, -np.inf, 1],
        [-0.0, 0.0, 0.0, -0.0],
        [0.0, -0.0, -0.0, 0.0],
        [1, np.inf, 5, np.inf],
        [np.nan] * 4,
    ]
    x = np.zeros((1, len(windows), 2, 2), dtype)
    x[0] = np.array(windows, dtype).reshape(-1, 2, 2)
    x = np.tile(x, (2, 1, 2, 3))
    for T in (ember, torch):
        values, index = F(T).max_pool2d(T.tensor(x), 2, return_indices=True)
        if T is ember:
            ours = values.numpy(), index.numpy()
    theirs = values.numpy(), index.numpy()
    np.testing.assert_array_equal(ours[1], theirs[1])
    np.testing.assert_array_equal(ours[0], theirs[0])
    np.testing.assert_array_equal(np.signbit(ours[0]), np.signbit(theirs[0]))
    check(lambda T, x: F(T).max_pool2d(x, 2), arrays=[x])  # gradients through NaN/-inf windows


def test_tiling_max_pool_double_backward():
    x = ember.tensor(np.random.default_rng(0).standard_normal((2, 2, 4, 6)), requires_grad=True)
    fn = lambda x: F(ember).max_pool2d(x, 2)  # noqa: E731
    assert gradcheck(fn, (x,))
    assert gradgradcheck(fn, (x,))


@pytest.mark.parametrize(
    "nd,xs,kw",
    [
        (2, (2, 3, 9, 10), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, count_include_pad=False)),
        (2, (2, 3, 9, 10), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, count_include_pad=True)),
        (2, (2, 3, 9, 10), dict(kernel_size=(3, 2), stride=(2, 1), padding=(1, 1), divisor_override=5)),
        (2, (3, 8, 8), dict(kernel_size=2)),
        (1, (2, 3, 10), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, count_include_pad=False)),
        (1, (2, 3, 10), dict(kernel_size=4, stride=1, padding=2)),
        (3, (2, 2, 5, 4, 6), dict(kernel_size=(2, 3, 2), stride=2, padding=(1, 1, 0), ceil_mode=True)),
        (3, (2, 2, 5, 4, 6), dict(kernel_size=2, count_include_pad=False, divisor_override=3)),
    ],
)
@on_devices
def test_avg_pool_matches_torch(nd, xs, kw):
    check(lambda T, x: getattr(F(T), f"avg_pool{nd}d")(x, **kw), [xs])
    check(lambda T, x: getattr(T.nn, f"AvgPool{nd}d")(**kw)(x), [xs])


@pytest.mark.parametrize(
    "nd,xs,args",
    [
        (2, (2, 3, 9, 10), (2, 3, 2)),
        (2, (2, 3, 9, 10), (3.0, (2, 3), None, True)),
        (1, (2, 3, 10), (2, 3, 2)),
        (1, (2, 3, 10), (1.5, 2)),
    ],
)
@on_devices
def test_lp_pool_matches_torch(nd, xs, args):
    check(lambda T, x: getattr(F(T), f"lp_pool{nd}d")(x, *args), [xs], low=0.1, high=2.0)
    check(lambda T, x: getattr(T.nn, f"LPPool{nd}d")(*args)(x), [xs], low=0.1, high=2.0)


@pytest.mark.parametrize(
    "nd,xs,out",
    [
        (2, (2, 3, 7, 10), (3, 4)),
        (2, (2, 3, 8, 8), 1),
        (2, (2, 3, 8, 6), (4, None)),
        (2, (3, 5, 5), 7),
        (1, (2, 3, 10), 4),
        (1, (2, 3, 9), 9),
        (3, (2, 3, 5, 7, 4), (2, 3, 2)),
        (3, (1, 2, 4, 4, 4), 2),
    ],
)
@on_devices
def test_adaptive_pools_match_torch(nd, xs, out):
    check(lambda T, x: getattr(F(T), f"adaptive_avg_pool{nd}d")(x, out), [xs])
    check(lambda T, x: getattr(F(T), f"adaptive_max_pool{nd}d")(x, out, return_indices=True), [xs])
    check(lambda T, x: getattr(T.nn, f"AdaptiveAvgPool{nd}d")(out)(x), [xs])
    check(lambda T, x: getattr(T.nn, f"AdaptiveMaxPool{nd}d")(out)(x), [xs])


@pytest.mark.parametrize(
    "nd,xs,kw",
    [
        (2, (2, 3, 8, 8), dict(kernel_size=2)),
        (2, (2, 3, 9, 9), dict(kernel_size=3, stride=2, padding=1)),
        (1, (2, 3, 10), dict(kernel_size=2)),
        (3, (1, 2, 4, 4, 6), dict(kernel_size=2)),
    ],
)
@on_devices
def test_max_unpool_matches_torch(nd, xs, kw):
    def fn(T, x):
        y, idx = getattr(F(T), f"max_pool{nd}d")(x, **kw, return_indices=True)
        return getattr(T.nn, f"MaxUnpool{nd}d")(**kw)(y * 2, idx, output_size=x.shape)

    check(fn, [xs])
    check(
        lambda T, x: getattr(F(T), f"max_unpool{nd}d")(
            *getattr(F(T), f"max_pool{nd}d")(x, **kw, return_indices=True), **kw
        ),
        [xs],
    )


def test_pool_gradcheck_and_double_backward():
    rng = np.random.default_rng(0)
    x = ember.tensor(rng.standard_normal((1, 2, 5, 5)), requires_grad=True)
    for f in (
        lambda x: F(ember).max_pool2d(x, 3, stride=2, padding=1),
        lambda x: F(ember).max_pool2d(x, 2, stride=1),
        lambda x: F(ember).avg_pool2d(x, 3, stride=2, padding=1, ceil_mode=True, count_include_pad=False),
        lambda x: F(ember).adaptive_avg_pool2d(x, (3, 2)),
        lambda x: F(ember).adaptive_max_pool2d(x, (2, 3)),
        lambda x: F(ember).lp_pool2d(x.abs() + 0.5, 2, 2),
    ):
        assert gradcheck(f, (x,))
        assert gradgradcheck(lambda x: f(x) * f(x), (x,))


POOL_MODULES = [
    lambda nn: nn.MaxPool2d(2),
    lambda nn: nn.MaxPool1d(3, 2, 1, ceil_mode=True),
    lambda nn: nn.MaxPool3d((1, 2, 3), dilation=2, return_indices=True),
    lambda nn: nn.AvgPool1d(3),
    lambda nn: nn.AvgPool2d(2),
    lambda nn: nn.AvgPool2d((2, 3), 1, 1, True, False, 2),
    lambda nn: nn.AvgPool3d(2, divisor_override=2),
    lambda nn: nn.LPPool2d(2, 3),
    lambda nn: nn.LPPool1d(1.5, 3, 2),
    lambda nn: nn.LPPool3d(2, 2),
    lambda nn: nn.AdaptiveAvgPool2d((3, None)),
    lambda nn: nn.AdaptiveMaxPool2d(3),
    lambda nn: nn.AdaptiveAvgPool1d(4),
    lambda nn: nn.AdaptiveMaxPool3d((1, 2, 3), return_indices=True),
    lambda nn: nn.MaxUnpool2d(2),
    lambda nn: nn.MaxUnpool1d(3, 2, 1),
    lambda nn: nn.MaxUnpool3d((1, 2, 2)),
]


@pytest.mark.parametrize("make", POOL_MODULES)
def test_pool_module_repr_matches_torch(make):
    assert repr(make(ember.nn)) == repr(make(torch.nn))


def test_pool_errors():
    x = ember.zeros(1, 1, 4, 4)
    with pytest.raises(RuntimeError, match="pad should be at most half of effective kernel size"):
        F(ember).max_pool2d(x, 2, padding=2)
    with pytest.raises(RuntimeError, match="Output size is too small"):
        F(ember).max_pool2d(x, 5)
    with pytest.raises(RuntimeError, match="Expected 3D or 4D"):
        F(ember).avg_pool2d(ember.zeros(4, 4), 2)
    with pytest.raises(RuntimeError, match="not implemented for 'Long'"):
        F(ember).max_pool2d(ember.zeros(1, 1, 4, 4, dtype=ember.int64), 2)
    y, idx = F(ember).max_pool2d(x, 2, return_indices=True)
    with pytest.raises(RuntimeError, match="Found an invalid max index"):
        F(ember).max_unpool2d(y, idx + 100, 2)
    assert idx.dtype == ember.int64
