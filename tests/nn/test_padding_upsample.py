"""F.pad in every mode, the padding modules, F.interpolate in every mode and the upsampling modules vs torch."""

import numpy as np
import pytest

import ember
from ember.autograd import gradcheck, gradgradcheck
from oracle import check, on_devices, torch

F = lambda T: T.nn.functional  # noqa: E731


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
@pytest.mark.parametrize(
    "xs,pad",
    [
        ((2, 3, 4, 5), (1, 2, 2, 1)),
        ((2, 3, 4, 5), (-1, 2, 1, -1)),
        ((2, 3, 7), (3, 2)),
        ((3, 7), (0, 4)),
        ((2, 3, 4, 5, 4), (1, 2, 0, 1, 2, 1)),
        ((3, 4, 5, 4), (2, -1, 1, 0, 0, 3)),
    ],
)
@on_devices
def test_pad_matches_torch(mode, xs, pad):
    check(lambda T, x: F(T).pad(x, pad, mode=mode), [xs])


@on_devices
def test_constant_pad_value_any_rank_and_cropping():
    check(lambda T, x: F(T).pad(x, (1, -2, 2, 1), value=3.5), [(2, 3, 4, 5)])
    check(lambda T, x: F(T).pad(x, (1, 1, 0, 0, 2, 0, 0, 1), value=-1.0), [(2, 3, 4, 5)])
    check(lambda T, x: F(T).pad(x, (2, 3)), [(5,)])


def test_pad_gradcheck_and_double_backward():
    x = ember.tensor(np.random.default_rng(0).standard_normal((1, 2, 3, 4)), requires_grad=True)
    for mode in ("constant", "reflect", "replicate", "circular"):
        f = lambda x: F(ember).pad(x, (2, 1, -1, 2), mode=mode)  # noqa: E731
        assert gradcheck(f, (x,))
        assert gradgradcheck(lambda x: f(x) * f(x), (x,))


def test_pad_errors_match_torch():
    x = ember.zeros(1, 2, 4, 5)
    with pytest.raises(NotImplementedError, match="Padding size 2 is not supported for 1D input tensor"):
        F(ember).pad(ember.zeros(5), (1, 1), mode="reflect")
    with pytest.raises(RuntimeError, match="doesn't take in value argument"):
        F(ember).pad(x, (1, 1), mode="reflect", value=1.0)
    with pytest.raises(RuntimeError, match="Padding size should be less than the corresponding input dimension"):
        F(ember).pad(ember.zeros(2, 4, 5), (5, 0), mode="reflect")
    with pytest.raises(RuntimeError, match="Padding length must be divisible by 2"):
        F(ember).pad(x, (1, 1, 1))
    with pytest.raises(RuntimeError, match="negative output size"):
        F(ember).pad(x, (-3, -3))


PAD_MODULES = [
    (lambda nn: nn.ConstantPad1d(2, 3.5), (2, 3, 4)),
    (lambda nn: nn.ConstantPad2d((1, 0, 2, 1), -1.0), (2, 3, 4, 5)),
    (lambda nn: nn.ConstantPad3d(1, 0.5), (1, 2, 3, 3, 3)),
    (lambda nn: nn.ZeroPad1d((1, 2)), (2, 3, 4)),
    (lambda nn: nn.ZeroPad2d(2), (2, 3, 4, 5)),
    (lambda nn: nn.ZeroPad3d((1, 0, 0, 1, 1, 1)), (1, 2, 3, 3, 3)),
    (lambda nn: nn.ReflectionPad1d(2), (2, 3, 4)),
    (lambda nn: nn.ReflectionPad2d((1, 2, 3, 0)), (2, 3, 4, 5)),
    (lambda nn: nn.ReflectionPad3d(1), (1, 2, 3, 3, 3)),
    (lambda nn: nn.ReplicationPad1d((3, 1)), (2, 3, 4)),
    (lambda nn: nn.ReplicationPad2d(2), (3, 4, 5)),
    (lambda nn: nn.ReplicationPad3d((1, 2, 0, 1, 2, 0)), (1, 2, 3, 3, 3)),
    (lambda nn: nn.CircularPad1d(2), (2, 3, 4)),
    (lambda nn: nn.CircularPad2d((1, 2, 3, 0)), (2, 3, 4, 5)),
    (lambda nn: nn.CircularPad3d(1), (1, 2, 3, 3, 3)),
]


@pytest.mark.parametrize("make,xs", PAD_MODULES)
@on_devices
def test_pad_modules_match_torch(make, xs):
    assert repr(make(ember.nn)) == repr(make(torch.nn))
    check(lambda T, x: make(T.nn)(x), [xs])


INTERP_MODES = [
    ("nearest", None),
    ("nearest-exact", None),
    ("bilinear", False),
    ("bilinear", True),
    ("bicubic", False),
    ("bicubic", True),
    ("area", None),
]


@pytest.mark.parametrize("mode,align", INTERP_MODES)
@pytest.mark.parametrize(
    "kw",
    [
        dict(size=(7, 5)),
        dict(size=(3, 12)),
        dict(scale_factor=1.7),
        dict(scale_factor=(2, 0.5)),
        dict(scale_factor=2.1),
        dict(scale_factor=(1.3, 2.5), recompute_scale_factor=True),
    ],
)
@on_devices
def test_interpolate_2d_matches_torch(mode, align, kw):
    check(lambda T, x: F(T).interpolate(x, mode=mode, align_corners=align, **kw), [(2, 3, 4, 6)], atol=1e-5)


@pytest.mark.parametrize(
    "mode,align", [("nearest", None), ("nearest-exact", None), ("linear", False), ("linear", True), ("area", None)]
)
@pytest.mark.parametrize("kw", [dict(size=11), dict(scale_factor=2), dict(scale_factor=0.4), dict(size=3)])
@on_devices
def test_interpolate_1d_matches_torch(mode, align, kw):
    check(lambda T, x: F(T).interpolate(x, mode=mode, align_corners=align, **kw), [(2, 3, 7)], atol=1e-5)


@pytest.mark.parametrize(
    "mode,align",
    [("nearest", None), ("nearest-exact", None), ("trilinear", False), ("trilinear", True), ("area", None)],
)
@on_devices
def test_interpolate_3d_matches_torch(mode, align):
    check(
        lambda T, x: F(T).interpolate(x, scale_factor=(2, 1.5, 0.5), mode=mode, align_corners=align),
        [(2, 2, 3, 4, 6)],
        atol=1e-5,
    )
    check(
        lambda T, x: F(T).interpolate(x, size=(4, 3, 5), mode=mode, align_corners=align), [(1, 2, 3, 4, 6)], atol=1e-5
    )


def test_interpolate_gradcheck_and_double_backward():
    x = ember.tensor(np.random.default_rng(0).standard_normal((1, 2, 3, 4)), requires_grad=True)
    for mode, align in INTERP_MODES:
        f = lambda x: F(ember).interpolate(x, size=(5, 3), mode=mode, align_corners=align)  # noqa: E731
        assert gradcheck(f, (x,))
        assert gradgradcheck(lambda x: f(x) * f(x), (x,))


def test_interpolate_errors_match_torch():
    x = ember.zeros(1, 2, 4, 4)
    with pytest.raises(ValueError, match="align_corners option can only be set with the interpolating modes"):
        F(ember).interpolate(x, scale_factor=2, align_corners=True)
    with pytest.raises(ValueError, match="only one of size or scale_factor should be defined"):
        F(ember).interpolate(x, size=3, scale_factor=2)
    with pytest.raises(ValueError, match="either size or scale_factor should be defined"):
        F(ember).interpolate(x)
    with pytest.raises(NotImplementedError, match="Got 4D input, but linear mode needs 3D input"):
        F(ember).interpolate(x, scale_factor=2, mode="linear")
    with pytest.raises(ValueError, match="Input and output must have the same number of spatial dimensions"):
        F(ember).interpolate(x, size=(2, 3, 4))


UPSAMPLE_MODULES = [
    (lambda nn: nn.Upsample(scale_factor=2), (2, 3, 4, 5)),
    (lambda nn: nn.Upsample(size=(3, 7), mode="bilinear", align_corners=True), (2, 3, 4, 5)),
    (lambda nn: nn.Upsample(scale_factor=(1.5, 2.0), mode="bicubic"), (2, 3, 4, 5)),
    (lambda nn: nn.Upsample(scale_factor=3, mode="linear"), (2, 3, 4)),
    (lambda nn: nn.Upsample(size=4, mode="trilinear"), (1, 2, 3, 2, 5)),
    (lambda nn: nn.UpsamplingNearest2d(scale_factor=2), (2, 3, 4, 5)),
    (lambda nn: nn.UpsamplingBilinear2d(size=(6, 3)), (2, 3, 4, 5)),
]


@pytest.mark.parametrize("make,xs", UPSAMPLE_MODULES)
@on_devices
def test_upsample_modules_match_torch(make, xs):
    assert repr(make(ember.nn)) == repr(make(torch.nn))
    check(lambda T, x: make(T.nn)(x), [xs], atol=1e-5)


def test_upsample_aliases():
    x = np.random.default_rng(0).standard_normal((1, 2, 3, 3)).astype(np.float32)
    np.testing.assert_allclose(
        F(ember).upsample(ember.tensor(x), scale_factor=2).numpy(),
        F(torch).interpolate(torch.tensor(x), scale_factor=2).numpy(),
    )
    np.testing.assert_allclose(
        F(ember).upsample_bilinear(ember.tensor(x), size=5).numpy(),
        F(torch).interpolate(torch.tensor(x), size=5, mode="bilinear", align_corners=True).numpy(),
        rtol=1e-5,
        atol=1e-6,
    )
