"""Convolutions, transposed convolutions, unfold/fold and pixel shuffles against torch, plus gradchecks."""

import math

import numpy as np
import pytest

import ember
from ember.autograd import gradcheck, gradgradcheck
import oracle
from oracle import check, on_devices, torch

pytestmark = pytest.mark.usefixtures("kernel_path")  # NumPy and compiled kernels (conftest)

F = lambda T: T.nn.functional  # noqa: E731
SUM_TOL = dict(atol=1e-5, rtol=1e-5)  # outputs and grads are sums of many float32 terms


CONV2D_CASES = [  # input, weight, kwargs
    ((2, 3, 8, 8), (4, 3, 3, 3), {}),
    ((2, 4, 9, 8), (6, 2, 3, 2), dict(stride=2, padding=1, dilation=2, groups=2)),
    ((2, 3, 7, 9), (2, 3, 2, 3), dict(stride=(2, 1), padding=(0, 2))),
    ((2, 4, 9, 8), (6, 4, 4, 2), dict(padding="same")),
    ((2, 4, 9, 8), (4, 1, 3, 3), dict(padding="same", dilation=(1, 2), groups=4)),
    ((1, 2, 6, 6), (3, 2, 3, 3), dict(padding="valid", stride=3)),
]
WIDE_CASE = ((2, 32, 10, 10), (40, 32, 3, 3), dict(padding=1))  # 288-term sums


@pytest.mark.parametrize("xs,ws,kw", CONV2D_CASES)
@pytest.mark.parametrize("bias", [True, False])
@on_devices
def test_conv2d_matches_torch(xs, ws, kw, bias):
    if bias:
        check(lambda T, x, w, b: F(T).conv2d(x, w, b, **kw), [xs, ws, (ws[0],)], **SUM_TOL)
    else:
        check(lambda T, x, w: F(T).conv2d(x, w, **kw), [xs, ws], **SUM_TOL)


@on_devices
def test_conv2d_many_channels_matches_torch():
    xs, ws, kw = WIDE_CASE
    # 288-term sums of values up to ~30: float32 rounding reaches a few 1e-5 in absolute terms
    check(lambda T, x, w, b: F(T).conv2d(x, w, b, **kw), [xs, ws, (ws[0],)], atol=1e-4, rtol=1e-5)


@pytest.mark.parametrize(
    "xs,ws,kw",
    [
        ((2, 2, 9), (3, 2, 3), dict(stride=2, padding=1)),
        ((2, 4, 10), (4, 2, 4), dict(padding="same", dilation=3, groups=2)),
        ((3, 7), (2, 3, 2), {}),  # unbatched
    ],
)
@on_devices
def test_conv1d_matches_torch(xs, ws, kw):
    check(lambda T, x, w, b: F(T).conv1d(x, w, b, **kw), [xs, ws, (ws[0],)], **SUM_TOL)


@pytest.mark.parametrize(
    "xs,ws,kw",
    [
        ((2, 2, 5, 5, 4), (3, 2, 2, 3, 2), dict(stride=(1, 2, 1), padding=(1, 0, 1))),
        ((1, 4, 4, 5, 6), (4, 2, 3, 3, 3), dict(padding="same", groups=2, dilation=(1, 1, 2))),
    ],
)
@on_devices
def test_conv3d_matches_torch(xs, ws, kw):
    check(lambda T, x, w, b: F(T).conv3d(x, w, b, **kw), [xs, ws, (ws[0],)], **SUM_TOL)


@pytest.mark.parametrize(
    "nd,xs,ws,kw",
    [
        (2, (2, 4, 5, 5), (4, 3, 4, 4), dict(stride=2, padding=1)),
        (2, (2, 4, 5, 5), (4, 3, 3, 3), dict(stride=2, padding=1, output_padding=1)),
        (2, (2, 4, 5, 4), (4, 3, 3, 3), dict(padding=1, output_padding=1, dilation=2, groups=2)),
        (2, (2, 4, 3, 4), (4, 2, 2, 3), dict(stride=(3, 2), output_padding=(2, 1))),
        (2, (3, 16, 4, 4), (16, 24, 4, 4), dict(stride=2, padding=1)),
        (1, (2, 3, 6), (3, 2, 3), dict(stride=3, padding=1, output_padding=2)),
        (3, (1, 2, 3, 3, 2), (2, 3, 2, 3, 2), dict(stride=(2, 1, 2), padding=(0, 1, 1))),
        (2, (4, 5, 5), (4, 3, 3, 3), dict(stride=2)),  # unbatched
    ],
)
@on_devices
def test_conv_transpose_matches_torch(nd, xs, ws, kw):
    groups = kw.get("groups", 1)
    fn = f"conv_transpose{nd}d"
    # past a few hundred terms per sum (16x24x4x4: 384, values up to ~70) float32 rounding in the GEMM's
    # summation order reaches ~1e-5 in absolute terms, as in test_conv2d_many_channels_matches_torch
    tol = SUM_TOL if max(ws[0], ws[1] * groups) * math.prod(ws[2:]) < 256 else dict(atol=1e-4, rtol=1e-5)
    check(lambda T, x, w, b: getattr(F(T), fn)(x, w, b, **kw), [xs, ws, (ws[1] * groups,)], **tol)


def test_conv_keeps_float32_and_float64():
    for dt in (np.float32, np.float64):
        x = ember.tensor(np.ones((1, 2, 5, 5), dt))
        w = ember.tensor(np.ones((3, 2, 3, 3), dt), requires_grad=True)
        y = F(ember).conv2d(x, w, padding=1)
        y.sum().backward()
        assert y.dtype == x.dtype and w.grad.dtype == x.dtype


@pytest.mark.parametrize(
    "fn,xs,ws,kw",
    [
        ("conv2d", (1, 2, 4, 4), (2, 1, 2, 3), dict(stride=(2, 1), padding=1, dilation=(1, 2), groups=2)),
        ("conv1d", (2, 2, 5), (3, 2, 2), dict(padding="same")),
        ("conv_transpose2d", (1, 2, 3, 3), (2, 2, 2, 2), dict(stride=2, padding=1, output_padding=1)),
    ],
)
def test_conv_gradcheck_and_double_backward(fn, xs, ws, kw):
    rng = np.random.default_rng(0)
    x, w, b = (
        ember.tensor(rng.standard_normal(s), requires_grad=True)
        for s in (xs, ws, (ws[1] * kw.get("groups", 1) if "transpose" in fn else ws[0],))
    )
    f = lambda x, w, b: getattr(F(ember), fn)(x, w, b, **kw)  # noqa: E731
    assert gradcheck(f, (x, w, b))
    # the bias gradient does not depend on the inputs, so it is held constant for the second derivatives
    assert gradgradcheck(f, (x, w, b.detach()))


def test_double_backward_matches_torch():
    """grad of (d loss / d x) w.r.t. the weight goes through ConvTranspose and ConvWeightGrad."""

    def fn(T, x, w):
        y = F(T).conv2d(x, w, stride=2, padding=1)
        (gx,) = T.autograd.grad((y * y).sum(), x, create_graph=True)
        return gx

    check(fn, [(1, 2, 6, 5), (3, 2, 3, 3)], **SUM_TOL)


# --- unfold / fold / shuffles --------------------------------------------------------------------------
@pytest.mark.parametrize(
    "kw",
    [
        dict(kernel_size=(2, 3), dilation=(1, 2), padding=1, stride=(2, 1)),
        dict(kernel_size=3),
        dict(kernel_size=2, stride=2),
    ],
)
@on_devices
def test_unfold_matches_torch(kw):
    check(lambda T, x: F(T).unfold(x, **kw), [(2, 3, 7, 8)])
    check(lambda T, x: T.nn.Unfold(**kw)(x), [(3, 7, 8)])


@on_devices
def test_fold_matches_torch():
    check(lambda T, x: F(T).fold(x, (5, 6), (2, 3), padding=1, stride=(2, 1)), [(2, 12, 18)])
    check(lambda T, x: T.nn.Fold((4, 4), 2, stride=2)(x), [(8, 4)])


def test_fold_rejects_wrong_block_count():
    x = ember.zeros(2, 12, 20)
    with pytest.raises(RuntimeError, match="calculated number of sliding blocks 3 \\* 6 = 18"):
        F(ember).fold(x, (5, 6), (2, 3), padding=1, stride=(2, 1))


@on_devices
def test_pixel_and_channel_shuffle_match_torch():
    check(lambda T, x: F(T).pixel_shuffle(x, 2), [(2, 8, 3, 4)])
    check(lambda T, x: T.nn.PixelShuffle(3)(x), [(2, 2, 9, 2, 3)])
    check(lambda T, x: F(T).pixel_unshuffle(x, 2), [(2, 3, 4, 6)])
    check(lambda T, x: T.nn.PixelUnshuffle(2)(x), [(3, 4, 6)])
    check(lambda T, x: T.nn.ChannelShuffle(3)(x), [(2, 6, 2, 3)])


# --- modules -----------------------------------------------------------------------------------------
MODULES = [
    lambda nn: nn.Conv2d(1, 6, 5),
    lambda nn: nn.Conv2d(2, 4, 3, padding=1, bias=False, padding_mode="reflect", groups=2, dilation=2),
    lambda nn: nn.Conv2d(2, 4, 3, padding="same"),
    lambda nn: nn.Conv1d(3, 6, 3, stride=2, padding=1, groups=3),
    lambda nn: nn.Conv3d(2, 4, (1, 2, 3), stride=(1, 1, 2)),
    lambda nn: nn.ConvTranspose2d(100, 512, 4, 1, 0, bias=False),
    lambda nn: nn.ConvTranspose2d(4, 2, 3, 2, 1, output_padding=1),
    lambda nn: nn.ConvTranspose1d(4, 2, 3, dilation=2, groups=2),
    lambda nn: nn.ConvTranspose3d(2, 2, 2, stride=2),
    lambda nn: nn.Fold(3, 2),
    lambda nn: nn.Unfold(2, padding=1),
    lambda nn: nn.PixelShuffle(2),
    lambda nn: nn.PixelUnshuffle(2),
    lambda nn: nn.ChannelShuffle(2),
]


@pytest.mark.parametrize("make", MODULES)
def test_module_repr_matches_torch(make):
    assert repr(make(ember.nn)) == repr(make(torch.nn))


@pytest.mark.parametrize(
    "make,ts",
    [
        (lambda nn: nn.Conv2d(2, 4, 3, padding=2, padding_mode="reflect"), (2, 2, 5, 6)),
        (lambda nn: nn.Conv2d(2, 4, 3, padding=(1, 2), padding_mode="replicate"), (2, 2, 5, 6)),
        (lambda nn: nn.Conv2d(2, 4, 4, padding="same", padding_mode="circular"), (2, 2, 5, 6)),
        (lambda nn: nn.Conv1d(2, 4, 3, padding=1, padding_mode="circular"), (2, 2, 7)),
        (lambda nn: nn.Conv3d(2, 2, 3, padding=1, padding_mode="reflect"), (1, 2, 3, 4, 4)),
        (lambda nn: nn.Conv2d(2, 4, 3, padding=1, padding_mode="reflect"), (2, 5, 6)),  # unbatched
    ],
)
@on_devices
def test_conv_padding_modes_match_torch(make, ts):
    check_module(make, ts)


def check_module(make, input_shape, **forward_kw):
    """Same parameters in both frameworks; compare output and every gradient."""
    t_mod, e_mod = make(torch.nn), make(ember.nn)
    for name, p in t_mod.named_parameters():
        e_mod.get_parameter(name).data = ember.tensor(p.detach().numpy().copy())
    e_mod.to(oracle.DEVICE)
    check(lambda T, x: (t_mod if T is torch else e_mod)(x, **forward_kw), [input_shape], **SUM_TOL)
    x = np.random.default_rng(3).standard_normal(input_shape).astype(np.float32)
    t_out = t_mod(torch.tensor(x), **forward_kw)
    e_out = e_mod(ember.tensor(x, device=oracle.DEVICE), **forward_kw)
    t_out.square().sum().backward()
    e_out.square().sum().backward()
    for name, p in t_mod.named_parameters():
        np.testing.assert_allclose(
            e_mod.get_parameter(name).grad.cpu().numpy(), p.grad.numpy(), rtol=1e-4, atol=1e-4, err_msg=name
        )


def test_conv_transpose_output_size_matches_torch():
    check_module(lambda nn: nn.ConvTranspose2d(4, 2, 3, 2, 1), (2, 4, 5, 5), output_size=(10, 9))
    with pytest.raises(ValueError, match="requested an output size of"):
        ember.nn.ConvTranspose2d(4, 2, 3, 2, 1)(ember.zeros(1, 4, 5, 5), output_size=(12, 12))


@pytest.mark.parametrize(
    "make,shape,fan_in",
    [
        (lambda nn: nn.Conv2d(8, 16, 3, groups=2), (16, 4, 3, 3), 36),
        (lambda nn: nn.Conv1d(3, 5, 7), (5, 3, 7), 21),
        (lambda nn: nn.ConvTranspose2d(6, 4, 2, groups=2), (6, 2, 2, 2), 8),
        (lambda nn: nn.ConvTranspose3d(3, 8, 2), (3, 8, 2, 2, 2), 64),
    ],
)
def test_default_init_bounds(make, shape, fan_in):
    m = make(ember.nn)
    assert tuple(m.weight.shape) == shape and tuple(m.weight.shape) == tuple(make(torch.nn).weight.shape)
    bound = 1 / math.sqrt(fan_in)
    for p in (m.weight, m.bias):
        a = p.detach().numpy()
        assert a.dtype == np.float32 and np.abs(a).max() <= bound
        assert np.abs(a).max() > 0.5 * bound  # uniform over the whole range, not a tiny one
    assert m.weight.requires_grad and m.bias.requires_grad


def test_conv_module_error_messages():
    m = ember.nn.Conv2d(1, 6, 5)
    with pytest.raises(RuntimeError) as e:
        m(ember.zeros(4, 3, 32, 32))
    msg = str(e.value)
    assert msg.startswith(
        "Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1)) expected input with 1 channels, "
        "got input of shape (4, 3, 32, 32)"
    )
    assert "expected input[4, 3, 32, 32] to have 1 channels, but got 3 channels instead" in msg
    with pytest.raises(RuntimeError, match=r"Expected 3D \(unbatched\) or 4D \(batched\) input to conv2d"):
        m(ember.zeros(4, 32))
    with pytest.raises(RuntimeError, match="Kernel size can't be greater than actual input size"):
        m(ember.zeros(1, 1, 3, 3))
    assert m(ember.zeros(1, 32, 32)).shape == (6, 28, 28)  # unbatched, as torch
    with pytest.raises(RuntimeError, match="ConvTranspose2d.*expected input with 4 channels"):
        ember.nn.ConvTranspose2d(4, 2, 3)(ember.zeros(1, 3, 5, 5))


def test_conv_functional_errors():
    x, w = ember.zeros(1, 3, 8, 8), ember.zeros(4, 3, 3, 3)
    with pytest.raises(RuntimeError, match="padding='same' is not supported for strided convolutions"):
        F(ember).conv2d(x, w, stride=2, padding="same")
    with pytest.raises(RuntimeError, match="Input type"):
        F(ember).conv2d(x.double(), w)
    with pytest.raises(RuntimeError, match="expected input\\[1, 3, 8, 8\\] to have 6 channels"):
        F(ember).conv2d(x, ember.zeros(4, 3, 3, 3), groups=2)
    with pytest.raises(RuntimeError, match="output padding must be smaller than either stride or dilation"):
        F(ember).conv_transpose2d(x, ember.zeros(3, 2, 3, 3), output_padding=1)
    with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
        ember.nn.Conv2d(3, 4, 3, groups=2)
