"""torchvision.io's image functions on Pillow: uint8 tensors in (C, H, W), files and encoded bytes.

read_image/decode_image give what torchvision's give for PNG (lossless); for JPEG the pixels are Pillow's
libjpeg decoding, which can differ from torchvision's by a unit here and there.
"""

import enum
import io as _io

import numpy as np


class ImageReadMode(enum.Enum):
    UNCHANGED = 0
    GRAY = 1
    GRAY_ALPHA = 2
    RGB = 3
    RGB_ALPHA = 4
    RGBA = 4


_PIL_MODE = {
    ImageReadMode.GRAY: "L",
    ImageReadMode.GRAY_ALPHA: "LA",
    ImageReadMode.RGB: "RGB",
    ImageReadMode.RGB_ALPHA: "RGBA",
}


def _pil():
    try:
        from PIL import Image
    except ImportError:
        raise ImportError("torchvision.io in ember reads and writes images with Pillow: pip install pillow") from None
    return Image


def _mode(mode):
    if isinstance(mode, str):
        try:
            return ImageReadMode[mode.upper()]
        except KeyError:
            raise ValueError(
                f"Unknown image read mode {mode!r}; use one of {[m.name for m in ImageReadMode]}"
            ) from None
    return mode


def read_file(path):
    """The bytes of a file as a 1-D uint8 tensor."""
    from ..ops.creation import from_numpy

    with open(path, "rb") as f:
        return from_numpy(np.frombuffer(f.read(), dtype=np.uint8).copy())


def write_file(filename, data):
    with open(filename, "wb") as f:
        f.write(np.asarray(data, dtype=np.uint8).tobytes())


def _to_chw_tensor(image, mode):
    from ..ops.creation import from_numpy

    mode = _mode(mode)
    if mode is ImageReadMode.UNCHANGED:
        if image.mode in ("P", "1"):  # palette and bit images decode to their colours, as torchvision
            image = image.convert("RGBA" if "transparency" in image.info else "RGB" if image.mode == "P" else "L")
        elif image.mode not in ("L", "LA", "RGB", "RGBA"):
            image = image.convert("RGB")
    else:
        image = image.convert(_PIL_MODE[mode])
    arr = np.asarray(image, dtype=np.uint8)
    arr = arr[:, :, None] if arr.ndim == 2 else arr
    return from_numpy(np.ascontiguousarray(arr.transpose(2, 0, 1)))


def decode_image(input, mode=ImageReadMode.UNCHANGED, apply_exif_orientation=False):
    """A uint8 tensor (C, H, W) from encoded bytes (a 1-D uint8 tensor) or a path."""
    Image = _pil()
    if isinstance(input, str) or hasattr(input, "__fspath__"):
        image = Image.open(input)
    else:
        data = np.asarray(input, dtype=np.uint8)
        if data.ndim != 1:
            raise RuntimeError(f"Expected a 1-D uint8 tensor of encoded bytes, got shape {list(data.shape)}")
        image = Image.open(_io.BytesIO(data.tobytes()))
    if apply_exif_orientation:
        from PIL import ImageOps

        image = ImageOps.exif_transpose(image)
    return _to_chw_tensor(image, mode)


def read_image(path, mode=ImageReadMode.UNCHANGED, apply_exif_orientation=False):
    return decode_image(read_file(path), mode, apply_exif_orientation)


decode_png = decode_jpeg = decode_image


def _hwc(input, what):
    arr = np.asarray(input.detach().cpu() if hasattr(input, "detach") else input)
    if arr.dtype != np.uint8:
        raise RuntimeError(f"{what}: input tensor must have uint8 data type, got {arr.dtype}")
    if arr.ndim != 3 or arr.shape[0] not in (1, 3) + ((2, 4) if what == "encode_png" else ()):
        raise RuntimeError(f"{what}: expected a (C, H, W) image tensor, got shape {list(arr.shape)}")
    hwc = arr.transpose(1, 2, 0)
    return hwc[:, :, 0] if hwc.shape[2] == 1 else hwc


def _encode(image_array, fmt, **options):
    from ..ops.creation import from_numpy

    buffer = _io.BytesIO()
    _pil().fromarray(np.ascontiguousarray(image_array)).save(buffer, format=fmt, **options)
    return from_numpy(np.frombuffer(buffer.getvalue(), dtype=np.uint8).copy())


def encode_png(input, compression_level=6):
    if not 0 <= compression_level <= 9:
        raise ValueError(f"Compression level should be between 0 and 9, got {compression_level}")
    return _encode(_hwc(input, "encode_png"), "PNG", compress_level=compression_level)


def write_png(input, filename, compression_level=6):
    write_file(filename, encode_png(input, compression_level))


def encode_jpeg(input, quality=75):
    if not 1 <= quality <= 100:
        raise ValueError(f"Image quality should be a positive number between 1 and 100, got {quality}")
    return _encode(_hwc(input, "encode_jpeg"), "JPEG", quality=quality)


def write_jpeg(input, filename, quality=75):
    write_file(filename, encode_jpeg(input, quality))
