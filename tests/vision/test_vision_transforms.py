"""ember.vision.transforms against torchvision's documented formulas (NumPy/Pillow references; torch's
interpolate is the oracle for tensor resizing)."""

import colorsys

import numpy as np
import pytest

import ember
from ember.vision import transforms as T
from ember.vision.transforms import functional as F

Image = pytest.importorskip("PIL.Image")
ImageEnhance = pytest.importorskip("PIL.ImageEnhance")


def _rgb(h=5, w=7, seed=0):
    return np.random.RandomState(seed).randint(0, 256, size=(h, w, 3)).astype(np.uint8)


def _t(arr):
    return ember.from_numpy(np.ascontiguousarray(arr))


# --- conversions -------------------------------------------------------------------------------------


def test_to_tensor_scales_uint8_and_moves_channels_first():
    arr = _rgb()
    expected = arr.transpose(2, 0, 1).astype(np.float32) / np.float32(255)
    for pic in (Image.fromarray(arr), arr, _t(arr)):
        out = T.ToTensor()(pic)
        assert out.dtype == ember.float32 and tuple(out.shape) == (3, 5, 7)
        np.testing.assert_array_equal(out.numpy(), expected)
    gray = T.ToTensor()(arr[:, :, 0])
    assert tuple(gray.shape) == (1, 5, 7)


def test_to_tensor_other_dtypes_are_not_scaled():
    arr = np.random.RandomState(0).rand(4, 3, 2).astype(np.float64) * 7
    out = T.ToTensor()(arr)
    assert out.dtype == ember.float64
    np.testing.assert_array_equal(out.numpy(), arr.transpose(2, 0, 1))
    pic = Image.fromarray(np.array([[0, 1], [1, 0]], dtype=bool))  # mode "1" becomes 0/255, then /255
    assert pic.mode == "1"
    np.testing.assert_array_equal(T.ToTensor()(pic).numpy(), [[[0, 1], [1, 0]]])
    with pytest.raises(TypeError, match="to_tensor: pic should be PIL Image, ndarray"):
        T.ToTensor()([1, 2])


def test_pil_to_tensor_and_back():
    arr = _rgb()
    out = T.PILToTensor()(Image.fromarray(arr))
    assert out.dtype == ember.uint8
    np.testing.assert_array_equal(out.numpy(), arr.transpose(2, 0, 1))
    back = T.ToPILImage()(out)
    assert back.mode == "RGB"
    np.testing.assert_array_equal(np.asarray(back), arr)
    # float tensors are scaled by 255 and truncated (torch's .byte())
    img = T.ToPILImage()(ember.tensor([[[0.0, 0.5, 0.999, 1.0]]]))
    assert img.mode == "L" and np.asarray(img).tolist() == [[0, 127, 254, 255]]
    with pytest.raises(ValueError, match="incorrect mode"):
        T.ToPILImage(mode="RGB")(ember.zeros(1, 2, 2))


def test_normalize_formula_and_errors():
    x = ember.rand(3, 4, 5)
    mean, std = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
    out = T.Normalize(mean, std)(x)
    expected = (x.numpy() - np.float32(mean)[:, None, None]) / np.float32(std)[:, None, None]
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-6)
    assert not np.shares_memory(out.numpy(), x.numpy())
    batch = ember.rand(2, 3, 4, 5)
    assert T.Normalize(mean, std, inplace=True)(batch) is batch
    with pytest.raises(ValueError, match="std evaluated to zero after conversion to torch.float32"):
        T.Normalize((0.5,), (0.0,))(x)
    with pytest.raises(TypeError, match="Input tensor should be a float tensor. Got torch.uint8"):
        T.Normalize((0.5,), (0.5,))(ember.zeros(1, 2, 2, dtype=ember.uint8))
    with pytest.raises(TypeError, match="img should be Tensor Image"):
        T.Normalize((0.5,), (0.5,))(np.zeros((1, 2, 2)))


def test_reprs_match_torchvision():
    assert (
        repr(T.Normalize(mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5)))
        == "Normalize(mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5))"
    )
    pipeline = T.Compose([T.Resize(256), T.CenterCrop(224), T.ToTensor()])
    assert repr(pipeline) == (
        "Compose(\n    Resize(size=256, interpolation=bilinear, max_size=None, antialias=True)\n"
        "    CenterCrop(size=(224, 224))\n    ToTensor()\n)"
    )
    assert repr(T.RandomCrop(32, padding=4)) == "RandomCrop(size=(32, 32), padding=4)"
    assert repr(T.RandomHorizontalFlip()) == "RandomHorizontalFlip(p=0.5)"
    assert repr(T.RandomResizedCrop(224)) == (
        "RandomResizedCrop(size=(224, 224), scale=(0.08, 1.0), "
        "ratio=(0.75, 1.3333), interpolation=bilinear, antialias=True)"
    )
    assert repr(T.ColorJitter()) == "ColorJitter(brightness=None, contrast=None, saturation=None, hue=None)"
    assert (
        repr(T.ColorJitter(0.4, 0.4, 0.4, 0.1))
        == "ColorJitter(brightness=(0.6, 1.4), contrast=(0.6, 1.4), saturation=(0.6, 1.4), hue=(-0.1, 0.1))"
    )
    assert repr(T.Grayscale(3)) == "Grayscale(num_output_channels=3)"
    assert repr(T.Pad(2)) == "Pad(padding=2, fill=0, padding_mode=constant)"
    assert repr(T.Lambda(lambda x: x)) == "Lambda()"
    assert (
        repr(T.RandomRotation(10)) == "RandomRotation(degrees=[-10.0, 10.0], interpolation=nearest, expand=False, "
        "fill=0)"
    )
    assert repr(T.RandomApply([T.ToTensor()], p=0.3)) == "RandomApply(\n    p=0.3\n    ToTensor()\n)"
    assert repr(T.ToPILImage()) == "ToPILImage()"


# --- geometry ----------------------------------------------------------------------------------------


def test_resize_int_is_the_shorter_side():
    pil = Image.fromarray(_rgb(30, 40))
    out = T.Resize(15)(pil)
    assert out.size == (20, 15)
    np.testing.assert_array_equal(np.asarray(out), np.asarray(pil.resize((20, 15), Image.BILINEAR)))
    assert T.Resize((10, 12))(pil).size == (12, 10)
    assert T.Resize(30)(pil) is pil  # same size: returned as is
    assert tuple(T.Resize(15)(ember.rand(3, 40, 30)).shape) == (3, 20, 15)
    assert T.Resize(10, max_size=12)(pil).size == (12, 9)


@pytest.mark.parametrize("size, antialias", [((5, 9), True), ((5, 9), False), ((13, 29), True), ((7, 31), False)])
def test_resize_tensor_matches_torch_interpolate(size, antialias):
    torch = pytest.importorskip("torch")
    x = np.random.RandomState(0).rand(2, 3, 11, 17).astype(np.float32)
    out = F.resize(_t(x), list(size), antialias=antialias)
    expected = torch.nn.functional.interpolate(
        torch.from_numpy(x), size=size, mode="bilinear", align_corners=False, antialias=antialias
    ).numpy()
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-5, atol=1e-6)
    nearest = F.resize(_t(x), list(size), interpolation=T.InterpolationMode.NEAREST)
    np.testing.assert_array_equal(
        nearest.numpy(), torch.nn.functional.interpolate(torch.from_numpy(x), size=size, mode="nearest").numpy()
    )


def test_resize_uint8_tensor_rounds():
    torch = pytest.importorskip("torch")
    x = np.array([[[0, 255, 0, 255]]], dtype=np.uint8)
    out = F.resize(_t(x), [1, 2], antialias=True)  # the widened triangle filter reaches 3 pixels: 255*0.75/1.75
    assert out.dtype == ember.uint8 and out.numpy().tolist() == [[[109, 146]]]
    x = np.random.RandomState(0).randint(0, 256, (3, 11, 17)).astype(np.uint8)
    out = F.resize(_t(x), [5, 9]).numpy().astype(np.int32)
    via_float = (
        torch.nn.functional.interpolate(torch.from_numpy(x[None]).float(), size=(5, 9), mode="bilinear", antialias=True)
        .round()[0]
        .numpy()
    )
    np.testing.assert_array_equal(out, via_float)
    native = (
        torch.nn.functional.interpolate(torch.from_numpy(x[None]), size=(5, 9), mode="bilinear", antialias=True)[0]
        .numpy()
        .astype(np.int32)
    )
    assert np.abs(out - native).max() <= 1  # torch's uint8 kernel uses fixed-point weights


def test_center_crop_and_padding_when_larger():
    x = np.arange(2 * 6 * 8, dtype=np.float32).reshape(2, 6, 8)
    np.testing.assert_array_equal(T.CenterCrop(4)(_t(x)).numpy(), x[:, 1:5, 2:6])
    np.testing.assert_array_equal(T.CenterCrop((3, 5))(_t(x)).numpy(), x[:, 2:5, 2:7])  # round((6-3)/2) = 2
    big = T.CenterCrop((8, 11))(_t(x)).numpy()
    expected = np.zeros((2, 8, 11), np.float32)
    expected[:, 1:7, 1:9] = x
    np.testing.assert_array_equal(big, expected)
    arr = _rgb(6, 8)
    np.testing.assert_array_equal(np.asarray(T.CenterCrop(4)(Image.fromarray(arr))), arr[1:5, 2:6])


@pytest.mark.parametrize("mode", ["constant", "edge", "reflect", "symmetric"])
def test_pad_modes_match_numpy(mode):
    arr = _rgb(4, 5)
    kwargs = {"constant_values": 9} if mode == "constant" else {}
    expected = np.pad(arr, ((2, 3), (1, 4), (0, 0)), mode=mode, **kwargs)
    pad = T.Pad((1, 2, 4, 3), fill=9, padding_mode=mode)
    np.testing.assert_array_equal(np.asarray(pad(Image.fromarray(arr))), expected)
    np.testing.assert_array_equal(pad(_t(arr.transpose(2, 0, 1))).numpy(), expected.transpose(2, 0, 1))


def test_pad_fill_per_channel_and_negative_padding():
    out = F.pad(Image.fromarray(_rgb(2, 2)), 1, fill=(10, 20, 30))
    assert np.asarray(out)[0, 0].tolist() == [10, 20, 30]
    x = np.arange(16, dtype=np.float32).reshape(1, 4, 4)
    np.testing.assert_array_equal(F.pad(_t(x), [-1, 0]).numpy(), x[:, :, 1:3])


def test_random_crop_is_a_window_of_the_padded_image_and_seeded():
    x = np.random.RandomState(0).rand(3, 8, 8).astype(np.float32)
    crop = T.RandomCrop(8, padding=2, padding_mode="reflect")
    padded = np.pad(x, ((0, 0), (2, 2), (2, 2)), mode="reflect")
    ember.manual_seed(5)
    first = crop(_t(x)).numpy()
    windows = [padded[:, i : i + 8, j : j + 8] for i in range(5) for j in range(5)]
    assert any(np.array_equal(first, w) for w in windows)
    ember.manual_seed(5)
    np.testing.assert_array_equal(crop(_t(x)).numpy(), first)
    seen = {crop(_t(x)).numpy().tobytes() for _ in range(30)}
    assert len(seen) > 5
    assert tuple(T.RandomCrop(10, pad_if_needed=True)(_t(x)).shape) == (3, 10, 10)
    with pytest.raises(ValueError, match=r"Required crop size \(10, 10\) is larger than input image size \(8, 8\)"):
        T.RandomCrop(10)(_t(x))


def test_flips():
    arr = _rgb()
    x = _t(arr.transpose(2, 0, 1))
    np.testing.assert_array_equal(T.RandomHorizontalFlip(p=1.0)(x).numpy(), arr.transpose(2, 0, 1)[:, :, ::-1])
    np.testing.assert_array_equal(T.RandomVerticalFlip(p=1.0)(x).numpy(), arr.transpose(2, 0, 1)[:, ::-1, :])
    assert T.RandomHorizontalFlip(p=0.0)(x) is x
    np.testing.assert_array_equal(np.asarray(T.RandomHorizontalFlip(p=1.0)(Image.fromarray(arr))), arr[:, ::-1])
    ember.manual_seed(0)
    flips = [T.RandomHorizontalFlip()(x) is not x for _ in range(200)]
    assert 60 < sum(flips) < 140


def test_random_resized_crop_params():
    img = _t(np.zeros((3, 40, 60), np.float32))
    ember.manual_seed(0)
    for _ in range(50):
        i, j, h, w = T.RandomResizedCrop.get_params(img, (0.08, 1.0), (3 / 4, 4 / 3))
        assert 0 <= i <= 40 - h and 0 <= j <= 60 - w
        assert 0.08 * 2400 * 0.8 <= h * w <= 2400 and 0.7 <= w / h <= 1.45
    # no window can have a 10:1 ratio and this area: fallback centre crop clamped to the ratio range
    assert T.RandomResizedCrop.get_params(img, (0.9, 1.0), (10.0, 11.0)) == (17, 0, 6, 60)
    assert T.RandomResizedCrop.get_params(img, (0.9, 1.0), (0.1, 0.11)) == (0, 28, 40, 4)
    out = T.RandomResizedCrop((16, 24))(Image.fromarray(_rgb(40, 60)))
    assert out.size == (24, 16)


# --- colour ------------------------------------------------------------------------------------------


def _gray(arr_chw):
    r, g, b = (arr_chw[..., c, :, :].astype(np.float32) for c in range(3))
    return np.float32(0.2989) * r + np.float32(0.587) * g + np.float32(0.114) * b


def test_brightness_contrast_saturation_tensor_formulas():
    x = np.random.RandomState(0).rand(3, 4, 5).astype(np.float32)
    np.testing.assert_allclose(F.adjust_brightness(_t(x), 1.7).numpy(), np.clip(1.7 * x, 0, 1), rtol=1e-6)
    mean = _gray(x).mean()
    np.testing.assert_allclose(F.adjust_contrast(_t(x), 0.3).numpy(), np.clip(0.3 * x + 0.7 * mean, 0, 1), rtol=1e-5)
    np.testing.assert_allclose(
        F.adjust_saturation(_t(x), 2.0).numpy(), np.clip(2.0 * x - 1.0 * _gray(x)[None], 0, 1), rtol=1e-5, atol=1e-6
    )
    u8 = _rgb().transpose(2, 0, 1)
    out = F.adjust_brightness(_t(u8), 0.5)
    assert out.dtype == ember.uint8
    np.testing.assert_array_equal(out.numpy(), (np.float32(0.5) * u8).astype(np.uint8))  # truncated, as torch
    with pytest.raises(ValueError, match=r"brightness_factor \(-1\) is not non-negative"):
        F.adjust_brightness(_t(x), -1)


def test_hue_tensor_matches_colorsys():
    x = np.random.RandomState(1).rand(3, 3, 4).astype(np.float32)
    out = F.adjust_hue(_t(x), 0.2).numpy()
    for i in range(3):
        for j in range(4):
            h, s, v = colorsys.rgb_to_hsv(*x[:, i, j])
            np.testing.assert_allclose(out[:, i, j], colorsys.hsv_to_rgb((h + 0.2) % 1.0, s, v), atol=1e-5)
    with pytest.raises(ValueError, match=r"hue_factor \(0.7\) is not in \[-0.5, 0.5\]"):
        F.adjust_hue(_t(x), 0.7)


def test_pil_colour_paths_use_pillow_enhancers():
    pil = Image.fromarray(_rgb())
    for fn, enhancer in (
        (F.adjust_brightness, "Brightness"),
        (F.adjust_contrast, "Contrast"),
        (F.adjust_saturation, "Color"),
    ):
        np.testing.assert_array_equal(
            np.asarray(fn(pil, 1.3)), np.asarray(getattr(ImageEnhance, enhancer)(pil).enhance(1.3))
        )
    hsv = np.array(pil.convert("HSV"))
    hsv[..., 0] += np.uint8(int(0.25 * 255))
    np.testing.assert_array_equal(
        np.asarray(F.adjust_hue(pil, 0.25)), np.asarray(Image.fromarray(hsv, mode="HSV").convert("RGB"))
    )
    assert F.adjust_hue(pil, 0.0).size == pil.size


def test_color_jitter_is_seeded_and_keeps_range():
    jitter = T.ColorJitter(0.4, 0.4, 0.4, 0.1)
    x = _t(np.random.RandomState(2).rand(3, 6, 6).astype(np.float32))
    ember.manual_seed(3)
    a = jitter(x).numpy()
    ember.manual_seed(3)
    b = jitter(x).numpy()
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, x.numpy()) and a.min() >= 0 and a.max() <= 1
    assert jitter(Image.fromarray(_rgb())).mode == "RGB"
    with pytest.raises(ValueError, match="hue values should be between"):
        T.ColorJitter(hue=0.6)


def test_grayscale():
    arr = _rgb()
    out = T.Grayscale()(_t(arr.transpose(2, 0, 1)))
    assert out.dtype == ember.uint8 and tuple(out.shape) == (1, 5, 7)
    np.testing.assert_array_equal(out.numpy()[0], _gray(arr.transpose(2, 0, 1)).astype(np.uint8))
    three = T.Grayscale(3)(Image.fromarray(arr))
    assert three.mode == "RGB" and np.array_equal(np.asarray(three)[..., 0], np.asarray(three)[..., 2])
    assert T.Grayscale()(Image.fromarray(arr)).mode == "L"


# --- rotation, composition, randomness ---------------------------------------------------------------


def test_rotate_90_matches_pil_and_numpy():
    arr = _rgb(6, 6)
    expected = np.rot90(arr, k=1)  # counter-clockwise
    np.testing.assert_array_equal(np.asarray(F.rotate(Image.fromarray(arr), 90)), expected)
    np.testing.assert_array_equal(F.rotate(_t(arr.transpose(2, 0, 1)), 90).numpy(), expected.transpose(2, 0, 1))
    x = _t(np.ones((1, 5, 5), np.float32))
    corners = F.rotate(x, 45, fill=[0.5]).numpy()[0]
    assert corners[0, 0] == 0.5 and corners[2, 2] == 1.0


def test_random_apply_choice_lambda_and_determinism():
    x = _t(np.random.RandomState(0).rand(3, 8, 8).astype(np.float32))
    pipeline = T.Compose(
        [
            T.RandomResizedCrop(6),
            T.RandomHorizontalFlip(),
            T.RandomApply([T.Lambda(lambda t: t * 0)], p=0.5),
            T.RandomChoice([T.RandomVerticalFlip(1.0), T.Lambda(lambda t: t + 1)]),
        ]
    )
    ember.manual_seed(11)
    first = [pipeline(x).numpy() for _ in range(5)]
    ember.manual_seed(11)
    second = [pipeline(x).numpy() for _ in range(5)]
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    assert T.RandomApply([T.Lambda(lambda t: None)], p=0.0)(x) is x
    with pytest.raises(TypeError, match="Argument lambd should be callable, got 'int'"):
        T.Lambda(3)


@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
def test_rotate_tensor_matches_torchvision_grid_sampling(mode):
    """torchvision's tensor rotate: inverse rotation of the pixel-centre grid, grid_sample(align_corners=False)."""
    torch = pytest.importorskip("torch")
    import math

    x = np.random.RandomState(0).rand(1, 3, 9, 12).astype(np.float32)
    angle = 30.0
    rot = math.radians(-angle)
    theta = torch.tensor([[[math.cos(rot), math.sin(rot), 0.0], [-math.sin(rot), math.cos(rot), 0.0]]])
    h, w = x.shape[-2:]
    xs = torch.linspace(-w * 0.5 + 0.5, w * 0.5 - 0.5, steps=w)
    ys = torch.linspace(-h * 0.5 + 0.5, h * 0.5 - 0.5, steps=h)
    base = torch.stack([xs.expand(h, w), ys[:, None].expand(h, w), torch.ones(h, w)], dim=-1).view(1, h * w, 3)
    grid = base.bmm(theta.transpose(1, 2) / torch.tensor([0.5 * w, 0.5 * h])).view(1, h, w, 2)
    expected = torch.nn.functional.grid_sample(
        torch.from_numpy(x), grid, mode=mode, padding_mode="zeros", align_corners=False
    )[0].numpy()
    got = F.rotate(_t(x[0]), angle, interpolation=mode).numpy()
    np.testing.assert_allclose(got, expected, atol=1e-5)
