"""make_grid and save_image, following torchvision/utils.py step by step."""

import numpy as np
import pytest

import ember
from ember.vision.utils import make_grid, save_image

Image = pytest.importorskip("PIL.Image")


def _batch(n, c=1, h=4, w=5):
    return ember.from_numpy(np.stack([np.full((c, h, w), k + 1, np.float32) for k in range(n)]))


def test_grid_layout_padding_and_channel_repeat():
    grid = make_grid(_batch(5), nrow=2, padding=2, pad_value=-1.0).numpy()
    # xmaps = 2, ymaps = 3: (C, (H+p)*3 + p, (W+p)*2 + p); 1 channel becomes 3
    assert grid.shape == (3, 6 * 3 + 2, 7 * 2 + 2)
    for k in range(5):
        y, x = divmod(k, 2)
        tile = grid[:, y * 6 + 2 : y * 6 + 6, x * 7 + 2 : x * 7 + 7]
        assert np.all(tile == k + 1), k
    assert np.all(grid[:, 14:18, 9:14] == -1)  # the empty sixth slot stays padding
    assert np.all(grid[:, :2, :] == -1) and np.all(grid[:, :, :2] == -1) and np.all(grid[:, 6:8, :] == -1)
    assert (grid != -1).sum() == 5 * 3 * 4 * 5


def test_grid_defaults_and_inputs():
    grid = make_grid(_batch(10, c=3, h=2, w=2))
    assert tuple(grid.shape) == (3, 4 * 2 + 2, 4 * 8 + 2) and grid.dtype == ember.float32  # nrow=8 -> 2 rows
    assert float(grid[0, 0, 0]) == 0.0
    from_list = make_grid([ember.ones(3, 2, 2) for _ in range(3)], padding=1)
    assert tuple(from_list.shape) == (3, 4, 10)
    single = make_grid(ember.rand(1, 1, 4, 5))  # one image: no padding, channels repeated
    assert tuple(single.shape) == (3, 4, 5)
    assert tuple(make_grid(ember.rand(4, 5)).shape) == (3, 4, 5)
    with pytest.raises(TypeError, match="tensor or list of tensors expected, got a list containing"):
        make_grid([np.zeros((3, 2, 2))])
    with pytest.raises(TypeError, match="tensor or list of tensors expected"):
        make_grid(np.zeros((3, 2, 2)))


def test_grid_normalize():
    x = ember.from_numpy(np.array([[[[0.0, 2.0]]], [[[4.0, 8.0]]]], np.float32))
    grid = make_grid(x, normalize=True, padding=0).numpy()
    np.testing.assert_allclose(grid[0], [[0.0, 0.25, 0.5, 1.0]])
    each = make_grid(x, normalize=True, scale_each=True, padding=0).numpy()
    np.testing.assert_allclose(each[0], [[0.0, 1.0, 0.0, 1.0]])
    clamped = make_grid(x, normalize=True, value_range=(1.0, 5.0), padding=0).numpy()
    np.testing.assert_allclose(clamped[0], [[0.0, 0.25, 0.75, 1.0]])
    constant = make_grid(ember.full((2, 1, 1, 1), 3.0), normalize=True, padding=0).numpy()
    np.testing.assert_allclose(constant, 0.0)  # (x - lo) / max(hi - lo, 1e-5)
    assert np.all(x.numpy()[1] == [[[4.0, 8.0]]])  # the input is not modified
    with pytest.raises(TypeError, match="value_range has to be a tuple"):
        make_grid(x, normalize=True, value_range=[0, 1])


def test_save_image_png_round_trip(tmp_path):
    values = np.array([0.0, 0.001, 0.5, 0.999, 1.0, 1.5, -0.2, 0.2], np.float32)
    x = ember.from_numpy(np.tile(values, (2, 1, 3, 1)))  # 2 images 1x3x8 -> grid 3 x 7 x 20
    path = tmp_path / "grid.png"
    save_image(x, str(path), padding=2, pad_value=1.0)
    img = Image.open(path)
    assert img.format == "PNG" and img.mode == "RGB" and img.size == (2 * 10 + 2, 7)
    arr = np.asarray(img)
    expected_row = np.clip(values * np.float32(255) + np.float32(0.5), 0, 255).astype(np.uint8)
    assert expected_row.tolist() == [0, 0, 128, 255, 255, 255, 0, 51]
    np.testing.assert_array_equal(arr[2, 2:10, 0], expected_row)
    np.testing.assert_array_equal(arr[2, 12:20, 1], expected_row)
    assert np.all(arr[0] == 255) and np.all(arr[:, 10:12] == 255)


def test_save_image_single_image_and_format(tmp_path):
    x = ember.rand(3, 4, 6)
    path = tmp_path / "one"
    save_image(x, str(path), format="png")
    arr = np.asarray(Image.open(path))
    assert arr.shape == (4, 6, 3)
    expected = np.clip(x.numpy() * np.float32(255) + np.float32(0.5), 0, 255).astype(np.uint8).transpose(1, 2, 0)
    np.testing.assert_array_equal(arr, expected)


def test_io_png_round_trip_and_modes(tmp_path):
    """torchvision.io on Pillow: PNG is lossless, so write_png -> read_image gives the same uint8 (C, H, W)."""
    from ember.vision import io

    rng = np.random.default_rng(0)
    rgb = ember.tensor(rng.integers(0, 256, (3, 5, 7)), dtype=ember.uint8)
    path = tmp_path / "x.png"
    io.write_png(rgb, str(path))
    back = io.read_image(str(path))
    assert back.dtype is ember.uint8 and tuple(back.shape) == (3, 5, 7) and ember.equal(back, rgb)
    assert ember.equal(io.decode_image(io.read_file(str(path))), rgb)
    assert ember.equal(io.decode_png(io.encode_png(rgb, compression_level=0)), rgb)
    gray = io.read_image(str(path), mode=io.ImageReadMode.GRAY)
    expected = np.asarray(Image.open(path).convert("L"))
    assert tuple(gray.shape) == (1, 5, 7) and np.array_equal(gray.numpy()[0], expected)
    assert tuple(io.read_image(str(path), io.ImageReadMode.RGB_ALPHA).shape) == (4, 5, 7)
    io.write_jpeg(rgb, str(tmp_path / "x.jpg"), quality=95)
    jpeg = io.read_image(str(tmp_path / "x.jpg"))
    assert tuple(jpeg.shape) == (3, 5, 7) and np.abs(jpeg.numpy().astype(int) - rgb.numpy()).mean() < 40
    with pytest.raises(RuntimeError, match="uint8"):
        io.encode_png(rgb.float())
