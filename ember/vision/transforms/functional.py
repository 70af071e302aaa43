"""torchvision.transforms.functional: the image operations behind the transforms, for PIL images and tensors.

Tensor images are (..., C, H, W) ember tensors; geometric and colour operations on them compute with NumPy on the
tensor's array (as data-loading code does) and follow torchvision's tensor kernels (`_functional_tensor.py`), PIL
images go through Pillow as torchvision's `_functional_pil.py` does. Pillow is imported only when a PIL image or
a PIL-only operation is met.
"""

import math
import numbers
import sys
from enum import Enum

import numpy as np


class InterpolationMode(Enum):
    NEAREST = "nearest"
    NEAREST_EXACT = "nearest-exact"
    BILINEAR = "bilinear"
    BICUBIC = "bicubic"
    BOX = "box"
    HAMMING = "hamming"
    LANCZOS = "lanczos"


# Pillow's resampling filter codes (PIL.Image.Resampling), without importing Pillow.
_PIL_FILTERS = {
    InterpolationMode.NEAREST: 0,
    InterpolationMode.NEAREST_EXACT: 0,
    InterpolationMode.BILINEAR: 2,
    InterpolationMode.BICUBIC: 3,
    InterpolationMode.BOX: 4,
    InterpolationMode.HAMMING: 5,
    InterpolationMode.LANCZOS: 1,
}


def _interpolation(mode):
    if isinstance(mode, InterpolationMode):
        return mode
    if isinstance(mode, str):
        return InterpolationMode(mode)
    raise TypeError(f"interpolation should be an InterpolationMode or its string value, got {mode!r}")


# --- image kinds -------------------------------------------------------------------------------------


def _is_pil_image(img):
    pil = sys.modules.get("PIL.Image")  # an image can only be a PIL one if Pillow is already imported
    return pil is not None and isinstance(img, pil.Image)


def _is_tensor(img):
    from ..._tensor import Tensor

    return isinstance(img, Tensor)


def _pil():
    from ..._extras import require

    return require("PIL.Image", "this ember.vision operation")


def _array(tensor):
    return np.asarray(tensor.detach().numpy())


def _wrap(array):
    from ..._tensor import Tensor

    return Tensor._make(np.ascontiguousarray(array))


def _check_image(img, op):
    if isinstance(img, np.ndarray) and img.dtype == np.uint8:
        _pil()  # a dataset hands out raw arrays only without Pillow: name the extra that brings it
    if not (_is_pil_image(img) or _is_tensor(img)):
        raise TypeError(f"{op}: img should be PIL Image or Tensor. Got {type(img)}")
    if _is_tensor(img) and img.ndim < 2:
        raise TypeError(
            f"{op}: Tensor is not a torch image: expected (..., C, H, W) or (H, W), got shape {tuple(img.shape)}"
        )


def get_dimensions(img):
    """[channels, height, width] of a PIL image or a (..., C, H, W) tensor."""
    _check_image(img, "get_dimensions")
    if _is_tensor(img):
        channels = 1 if img.ndim == 2 else img.shape[-3]
        return [channels, img.shape[-2], img.shape[-1]]
    return [len(img.getbands()), img.height, img.width]


def get_image_size(img):
    """[width, height], as torchvision."""
    _, h, w = get_dimensions(img)
    return [w, h]


def get_image_num_channels(img):
    return get_dimensions(img)[0]


def _max_value(np_dtype):
    return 1.0 if np.issubdtype(np_dtype, np.floating) else float(np.iinfo(np_dtype).max)


def _float_array(tensor):
    """A tensor image's array in the float type its arithmetic runs in (uint8 promotes to float32, as torch)."""
    arr = _array(tensor)
    return arr if np.issubdtype(arr.dtype, np.floating) else arr.astype(np.float32)


def _cast_like(values, np_dtype):
    """Float results back to the image dtype: integer images truncate, as torch's .to(uint8) does."""
    return values.astype(np_dtype)


# --- conversions -------------------------------------------------------------------------------------


def to_tensor(pic):
    """HWC (or HW) image -> CHW tensor; uint8 becomes the default float dtype divided by 255, others stay unscaled.

    Accepts a PIL image, a NumPy array, or an ember tensor holding a raw HW/HWC image (e.g. MNIST's `data[i]`).
    """
    from ... import get_default_dtype

    if _is_pil_image(pic):
        arr = _pil_to_array(pic)
    elif isinstance(pic, np.ndarray) or _is_tensor(pic):
        arr = _array(pic) if _is_tensor(pic) else pic
        if arr.ndim not in (2, 3):
            raise ValueError(f"to_tensor: pic should be 2 or 3 dimensional (HW or HWC). Got {arr.ndim} dimensions.")
        if arr.ndim == 2:
            arr = arr[:, :, None]
    else:
        raise TypeError(f"to_tensor: pic should be PIL Image, ndarray or a HWC tensor. Got {type(pic)}")
    chw = np.ascontiguousarray(arr.transpose(2, 0, 1))
    if chw.dtype == np.uint8:
        return _wrap(chw.astype(get_default_dtype().np) / np.asarray(255, get_default_dtype().np))
    return _wrap(chw)


_PIL_MODE_DTYPES = {"I": np.int32, "I;16": np.int32, "F": np.float32}


def _pil_to_array(pic):
    """HWC array of a PIL image, with torchvision's dtype per mode (mode '1' scaled to 0/255)."""
    arr = np.array(pic, _PIL_MODE_DTYPES.get(pic.mode, np.uint8), copy=True)
    if pic.mode == "1":
        arr = arr * np.uint8(255)
    return arr.reshape(pic.height, pic.width, len(pic.getbands()))


def pil_to_tensor(pic):
    """PIL image -> CHW tensor, dtype kept and values unscaled."""
    if not _is_pil_image(pic):
        raise TypeError(f"pil_to_tensor: pic should be PIL Image. Got {type(pic)}")
    arr = np.array(pic, copy=True)
    return _wrap(arr.reshape(pic.height, pic.width, len(pic.getbands())).transpose(2, 0, 1))


def to_pil_image(pic, mode=None):
    """CHW tensor or HWC ndarray -> PIL image; float tensors are scaled by 255 and truncated to uint8."""
    if _is_tensor(pic):
        if pic.ndim not in (2, 3):
            raise ValueError(f"to_pil_image: pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
        arr = _array(pic)
        if arr.ndim == 2:
            arr = arr[None]
        if arr.shape[-3] > 4:
            raise ValueError(f"to_pil_image: pic should not have > 4 channels. Got {arr.shape[-3]} channels.")
        if np.issubdtype(arr.dtype, np.floating) and mode != "F":
            arr = (arr * np.asarray(255, arr.dtype)).astype(np.int64).astype(np.uint8)  # torch's .byte() wraps
        npimg = arr.transpose(1, 2, 0)
    elif isinstance(pic, np.ndarray):
        if pic.ndim not in (2, 3):
            raise ValueError(f"to_pil_image: pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
        npimg = pic[:, :, None] if pic.ndim == 2 else pic
        if npimg.shape[-1] > 4:
            raise ValueError(f"to_pil_image: pic should not have > 4 channels. Got {npimg.shape[-1]} channels.")
    else:
        raise TypeError(f"to_pil_image: pic should be Tensor or ndarray. Got {type(pic)}.")

    channels = npimg.shape[2]
    if channels == 1:
        npimg = npimg[:, :, 0]
        expected = {
            np.dtype(np.uint8): "L",
            np.dtype(np.int16): "I;16",
            np.dtype(np.int32): "I",
            np.dtype(np.float32): "F",
        }.get(npimg.dtype)
        if mode is not None and mode != expected:
            raise ValueError(
                f"to_pil_image: incorrect mode ({mode}) supplied for input type {npimg.dtype}. Should be {expected}"
            )
        mode = expected
    else:
        permitted = {2: ["LA"], 3: ["RGB", "YCbCr", "HSV"], 4: ["RGBA", "CMYK", "RGBX"]}[channels]
        if mode is not None and mode not in permitted:
            raise ValueError(f"to_pil_image: only modes {permitted} are supported for {channels}D inputs")
        if mode is None and npimg.dtype == np.uint8:
            mode = permitted[0]
    if mode is None:
        raise TypeError(f"to_pil_image: input type {npimg.dtype} is not supported")
    return _pil().fromarray(np.ascontiguousarray(npimg), mode=mode)


def convert_image_dtype(image, dtype):
    """Convert a tensor image between dtypes, rescaling values (torchvision's convert_image_dtype)."""
    if not _is_tensor(image):
        raise TypeError(f"convert_image_dtype: input img should be Tensor Image, got {type(image)}")
    src, dst = image.dtype, dtype
    if src == dst:
        return image
    arr = _array(image)
    if image.is_floating_point():
        if dst.is_floating_point:
            return _wrap(arr.astype(dst.np))
        eps = 1e-3
        max_val = float(np.iinfo(dst.np).max)
        return _wrap((arr * np.asarray(max_val + 1.0 - eps, arr.dtype)).astype(dst.np))
    if dst.is_floating_point:
        return _wrap(arr.astype(dst.np) / np.asarray(_max_value(arr.dtype), dst.np))
    # integer -> integer: shift by the difference in value bits, as torchvision
    in_bits = math.ceil(math.log2(_max_value(arr.dtype) + 1))
    out_bits = math.ceil(math.log2(_max_value(dst.np) + 1))
    if in_bits > out_bits:
        return _wrap((arr >> (in_bits - out_bits)).astype(dst.np))
    return _wrap(arr.astype(dst.np) << (out_bits - in_bits))


def normalize(tensor, mean, std, inplace=False):
    """(tensor - mean[:, None, None]) / std[:, None, None] per channel of a float (..., C, H, W) tensor."""
    import ember

    if not _is_tensor(tensor):
        raise TypeError(f"img should be Tensor Image. Got {type(tensor)}")
    if tensor.ndim < 2:
        raise TypeError(f"Tensor is not a torch image: expected (..., C, H, W), got shape {tuple(tensor.shape)}")
    if not tensor.is_floating_point():
        raise TypeError(f"Input tensor should be a float tensor. Got {tensor.dtype}.")
    if tensor.ndim < 3:
        raise ValueError(
            f"Expected tensor to be a tensor image of size (..., C, H, W). Got tensor.size() = {tensor.size()}"
        )
    if not inplace:
        tensor = tensor.clone()
    mean = ember.as_tensor(mean, dtype=tensor.dtype)
    std = ember.as_tensor(std, dtype=tensor.dtype)
    if (std == 0).any():
        raise ValueError(f"std evaluated to zero after conversion to {tensor.dtype}, leading to division by zero.")
    if mean.ndim == 1:
        mean = mean.view(-1, 1, 1)
    if std.ndim == 1:
        std = std.view(-1, 1, 1)
    return tensor.sub_(mean).div_(std)


# --- geometry ----------------------------------------------------------------------------------------


def _compute_resized_output_size(image_size, size, max_size=None):
    h, w = image_size
    short, long = (w, h) if w <= h else (h, w)
    if len(size) == 1:  # the shorter side becomes size[0], keeping the aspect ratio
        requested_new_short = size[0]
        new_short, new_long = requested_new_short, int(requested_new_short * long / short)
        if max_size is not None:
            if max_size <= requested_new_short:
                raise ValueError(
                    f"max_size = {max_size} must be strictly greater than the requested size for the "
                    f"smaller edge size = {size}"
                )
            if new_long > max_size:
                new_short, new_long = int(max_size * new_short / new_long), max_size
        new_w, new_h = (new_short, new_long) if w <= h else (new_long, new_short)
    else:
        if max_size is not None:
            raise ValueError(
                "max_size should only be passed if size specifies the length of the smaller edge, "
                "i.e. size should be an int or a sequence of length 1 in torchscript mode."
            )
        new_h, new_w = size
    return [int(new_h), int(new_w)]


def _resize_weights(in_size, out_size, mode, antialias):
    """(out_size, in_size) matrix of one separable resampling pass, as torch's interpolate kernels weigh pixels.

    Bilinear uses half-pixel centres (align_corners=False); when shrinking with antialias the triangle filter is
    widened by the scale (PIL's and torch's antialiased kernel), otherwise it is plain bilinear.
    """
    scale = in_size / out_size
    rows = np.arange(out_size)
    weights = np.zeros((out_size, in_size))
    if mode is InterpolationMode.NEAREST:
        weights[rows, np.minimum(np.floor(rows * scale).astype(np.int64), in_size - 1)] = 1.0
    elif mode is InterpolationMode.NEAREST_EXACT:
        weights[rows, np.minimum(np.floor((rows + 0.5) * scale).astype(np.int64), in_size - 1)] = 1.0
    elif antialias and scale > 1:
        centres = (rows + 0.5) * scale
        taps = np.maximum(0.0, 1.0 - np.abs((np.arange(in_size)[None, :] + 0.5 - centres[:, None]) / scale))
        weights = taps / taps.sum(axis=1, keepdims=True)
    else:
        src = np.maximum((rows + 0.5) * scale - 0.5, 0.0)
        lo = np.minimum(np.floor(src).astype(np.int64), in_size - 1)
        hi = np.minimum(lo + 1, in_size - 1)
        frac = src - lo
        np.add.at(weights, (rows, lo), 1.0 - frac)
        np.add.at(weights, (rows, hi), frac)
    return weights


def _resize_tensor(img, size, interpolation, antialias):
    if interpolation not in (InterpolationMode.NEAREST, InterpolationMode.NEAREST_EXACT, InterpolationMode.BILINEAR):
        raise ValueError(
            f"resize: tensor images support nearest, nearest-exact and bilinear interpolation, "
            f"got {interpolation.value}; convert to a PIL image for {interpolation.value}"
        )
    arr = _array(img)
    squeeze = arr.ndim == 2
    if squeeze:
        arr = arr[None]
    h, w = arr.shape[-2:]
    wh = _resize_weights(h, size[0], interpolation, antialias)
    ww = _resize_weights(w, size[1], interpolation, antialias)
    compute = arr.dtype if np.issubdtype(arr.dtype, np.floating) else np.float32
    out = np.matmul(np.matmul(wh.astype(compute), arr.astype(compute)), ww.T.astype(compute))
    if not np.issubdtype(arr.dtype, np.floating):
        info = np.iinfo(arr.dtype)
        out = np.clip(np.round(out), info.min, info.max)
    out = out.astype(arr.dtype)
    return _wrap(out[0] if squeeze else out)


def resize(img, size, interpolation=InterpolationMode.BILINEAR, max_size=None, antialias=True):
    """Resize to size (h, w), or make the shorter side `size` when it is an int (or a 1-element sequence)."""
    interpolation = _interpolation(interpolation)
    if isinstance(size, (list, tuple)):
        if len(size) not in (1, 2):
            raise ValueError(
                f"Size must be an int or a 1 or 2 element tuple/list, not a {len(size)} element tuple/list"
            )
    elif not isinstance(size, int):
        raise TypeError(f"Size should be int or sequence. Got {type(size)}")
    _, h, w = get_dimensions(img)
    output_size = _compute_resized_output_size((h, w), [size] if isinstance(size, int) else list(size), max_size)
    if [h, w] == output_size:
        return img
    if _is_pil_image(img):
        return img.resize((output_size[1], output_size[0]), _PIL_FILTERS[interpolation])
    return _resize_tensor(img, output_size, interpolation, bool(antialias))


def _parse_padding(padding):
    if isinstance(padding, numbers.Number):
        padding = [padding]
    if not isinstance(padding, (list, tuple)) or len(padding) not in (1, 2, 4):
        raise ValueError(f"Padding must be an int or a 1, 2, or 4 element tuple, not {padding!r}")
    if not all(isinstance(p, numbers.Integral) for p in padding):
        raise TypeError(f"Got inappropriate padding arg: {padding!r}")
    if len(padding) == 1:
        return [padding[0]] * 4
    if len(padding) == 2:
        return [padding[0], padding[1], padding[0], padding[1]]
    return list(padding)


def _pad_hw(arr, left, top, right, bottom, fill, padding_mode, channel_axis):
    """Pad the H and W axes of an array (negative amounts crop), fill per channel in constant mode."""
    h, w = (arr.shape[-2], arr.shape[-1]) if channel_axis != -1 else (arr.shape[0], arr.shape[1])
    crop = [max(-p, 0) for p in (left, top, right, bottom)]
    if any(crop):
        rows, cols = slice(crop[1], h - crop[3]), slice(crop[0], w - crop[2])
        arr = arr[..., rows, cols] if channel_axis != -1 else arr[rows, cols]
    left, top, right, bottom = (max(p, 0) for p in (left, top, right, bottom))
    ndim = arr.ndim
    hw_axes = (ndim - 2, ndim - 1) if channel_axis != -1 else (0, 1)
    pads = [(0, 0)] * ndim
    pads[hw_axes[0]], pads[hw_axes[1]] = (top, bottom), (left, right)
    if padding_mode != "constant":
        return np.pad(arr, pads, mode={"edge": "edge", "reflect": "reflect", "symmetric": "symmetric"}[padding_mode])
    fills = np.asarray(0 if fill is None else fill, dtype=np.float64).reshape(-1)
    if fills.size == 1:
        return np.pad(arr, pads, mode="constant", constant_values=fills[0].astype(arr.dtype))
    n_channels = arr.shape[channel_axis] if arr.ndim == 3 else 1
    if fills.size != n_channels:
        raise ValueError(f"pad: fill has {fills.size} values but the image has {n_channels} channels")
    out = np.empty([s + sum(p) for s, p in zip(arr.shape, pads)], dtype=arr.dtype)
    out[...] = fills.astype(arr.dtype).reshape([-1, 1, 1] if channel_axis != -1 else [1, 1, -1])
    index = [slice(p0, p0 + s) for s, (p0, _) in zip(arr.shape, pads)]
    out[tuple(index)] = arr
    return out


def pad(img, padding, fill=0, padding_mode="constant"):
    """Pad all sides: an int, (left/right, top/bottom) or (left, top, right, bottom); negative values crop."""
    _check_image(img, "pad")
    if padding_mode not in ("constant", "edge", "reflect", "symmetric"):
        raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")
    left, top, right, bottom = _parse_padding(padding)
    if _is_pil_image(img):
        arr = np.asarray(img)
        out = _pad_hw(arr, left, top, right, bottom, fill, padding_mode, channel_axis=-1)
        return _pil().fromarray(out)
    arr = _array(img)
    squeeze = arr.ndim == 2
    out = _pad_hw(arr[None] if squeeze else arr, left, top, right, bottom, fill, padding_mode, channel_axis=-3)
    return _wrap(out[0] if squeeze else out)


def crop(img, top, left, height, width):
    """The (height, width) window at (top, left); areas outside the image come back as zeros."""
    _check_image(img, "crop")
    if _is_pil_image(img):
        return img.crop((left, top, left + width, top + height))
    _, h, w = get_dimensions(img)
    right, bottom = left + width, top + height
    arr = _array(img)
    if left < 0 or top < 0 or right > w or bottom > h:
        padding = [
            max(-left + min(0, right), 0),
            max(-top + min(0, bottom), 0),
            max(right - max(w, left), 0),
            max(bottom - max(h, top), 0),
        ]
        return pad(_wrap(arr[..., max(top, 0) : bottom, max(left, 0) : right]), padding, fill=0)
    return _wrap(arr[..., top:bottom, left:right])


def _setup_size(size, error_msg):
    if isinstance(size, numbers.Number):
        return int(size), int(size)
    if isinstance(size, (list, tuple)) and len(size) == 1:
        return size[0], size[0]
    if not isinstance(size, (list, tuple)) or len(size) != 2:
        raise ValueError(error_msg)
    return tuple(size)


def center_crop(img, output_size):
    """Crop the centre (padding with zeros first when the crop is larger than the image)."""
    crop_height, crop_width = _setup_size(output_size, "Please provide only two dimensions (h, w) for size.")
    _, image_height, image_width = get_dimensions(img)
    if crop_width > image_width or crop_height > image_height:
        padding_ltrb = [
            (crop_width - image_width) // 2 if crop_width > image_width else 0,
            (crop_height - image_height) // 2 if crop_height > image_height else 0,
            (crop_width - image_width + 1) // 2 if crop_width > image_width else 0,
            (crop_height - image_height + 1) // 2 if crop_height > image_height else 0,
        ]
        img = pad(img, padding_ltrb, fill=0)
        _, image_height, image_width = get_dimensions(img)
        if crop_width == image_width and crop_height == image_height:
            return img
    crop_top = int(round((image_height - crop_height) / 2.0))
    crop_left = int(round((image_width - crop_width) / 2.0))
    return crop(img, crop_top, crop_left, crop_height, crop_width)


def resized_crop(img, top, left, height, width, size, interpolation=InterpolationMode.BILINEAR, antialias=True):
    return resize(crop(img, top, left, height, width), size, interpolation, antialias=antialias)


def hflip(img):
    _check_image(img, "hflip")
    if _is_pil_image(img):
        return img.transpose(_pil().Transpose.FLIP_LEFT_RIGHT)
    return _wrap(_array(img)[..., ::-1])


def vflip(img):
    _check_image(img, "vflip")
    if _is_pil_image(img):
        return img.transpose(_pil().Transpose.FLIP_TOP_BOTTOM)
    return _wrap(_array(img)[..., ::-1, :])


# --- colour ------------------------------------------------------------------------------------------


def _tensor_channels(img, op, permitted=(1, 3)):
    if img.ndim < 3:
        raise TypeError(
            f"{op}: input image tensor should have at least 3 dimensions (..., C, H, W), got shape {tuple(img.shape)}"
        )
    c = img.shape[-3]
    if c not in permitted:
        raise TypeError(f"{op}: input image tensor permitted channel values are {list(permitted)}, but found {c}")
    return c


def _gray_array(arr):
    """0.2989 R + 0.587 G + 0.114 B over the channel axis, computed in float32 and cast back (torchvision)."""
    values = arr if np.issubdtype(arr.dtype, np.floating) else arr.astype(np.float32)
    r, g, b = values[..., 0, :, :], values[..., 1, :, :], values[..., 2, :, :]
    gray = (
        np.asarray(0.2989, values.dtype) * r + np.asarray(0.587, values.dtype) * g + np.asarray(0.114, values.dtype) * b
    )
    return _cast_like(gray, arr.dtype)[..., None, :, :]


def rgb_to_grayscale(img, num_output_channels=1):
    """Luma of an RGB image (ITU-R 601-2 weights); 1 or 3 identical output channels."""
    if num_output_channels not in (1, 3):
        raise ValueError("num_output_channels should be either 1 or 3")
    if _is_pil_image(img):
        gray = img.convert("L")
        if num_output_channels == 3:
            arr = np.asarray(gray)
            return _pil().fromarray(np.dstack([arr, arr, arr]), mode="RGB")
        return gray
    _check_image(img, "rgb_to_grayscale")
    c = _tensor_channels(img, "rgb_to_grayscale")
    arr = _array(img)
    gray = _gray_array(arr) if c == 3 else arr.copy()
    if num_output_channels == 3:
        gray = np.broadcast_to(gray, gray.shape[:-3] + (3,) + gray.shape[-2:])
    return _wrap(gray)


def to_grayscale(img, num_output_channels=1):
    if not _is_pil_image(img):
        raise TypeError(f"to_grayscale: input should be PIL Image, got {type(img)}; use rgb_to_grayscale for tensors")
    return rgb_to_grayscale(img, num_output_channels)


def _blend(img1, img2, ratio):
    """ratio * img1 + (1 - ratio) * img2, clamped to the dtype's range; arrays in, array of img1's dtype out."""
    values = img1 if np.issubdtype(img1.dtype, np.floating) else img1.astype(np.float32)
    ratio = np.asarray(float(ratio), values.dtype)
    out = ratio * values + (np.asarray(1.0, values.dtype) - ratio) * img2
    return _cast_like(np.clip(out, 0, _max_value(img1.dtype)), img1.dtype)


def _pil_enhance(img, enhancer, factor):
    from PIL import ImageEnhance

    return getattr(ImageEnhance, enhancer)(img).enhance(factor)


def adjust_brightness(img, brightness_factor):
    if brightness_factor < 0:
        raise ValueError(f"brightness_factor ({brightness_factor}) is not non-negative.")
    if _is_pil_image(img):
        return _pil_enhance(img, "Brightness", brightness_factor)
    _check_image(img, "adjust_brightness")
    _tensor_channels(img, "adjust_brightness")
    arr = _array(img)
    return _wrap(_blend(arr, np.zeros((), np.float32), brightness_factor))


def adjust_contrast(img, contrast_factor):
    if contrast_factor < 0:
        raise ValueError(f"contrast_factor ({contrast_factor}) is not non-negative.")
    if _is_pil_image(img):
        return _pil_enhance(img, "Contrast", contrast_factor)
    _check_image(img, "adjust_contrast")
    c = _tensor_channels(img, "adjust_contrast")
    arr = _array(img)
    compute = arr.dtype if np.issubdtype(arr.dtype, np.floating) else np.float32
    gray = _gray_array(arr) if c == 3 else arr
    mean = gray.astype(compute).mean(axis=(-3, -2, -1), keepdims=True, dtype=np.float64).astype(compute)
    return _wrap(_blend(arr, mean, contrast_factor))


def adjust_saturation(img, saturation_factor):
    if saturation_factor < 0:
        raise ValueError(f"saturation_factor ({saturation_factor}) is not non-negative.")
    if _is_pil_image(img):
        return _pil_enhance(img, "Color", saturation_factor)
    _check_image(img, "adjust_saturation")
    c = _tensor_channels(img, "adjust_saturation")
    arr = _array(img)
    if c == 1:
        return img
    return _wrap(_blend(arr, _gray_array(arr), saturation_factor))


def _rgb2hsv(img):
    r, g, b = img[..., 0, :, :], img[..., 1, :, :], img[..., 2, :, :]
    maxc, minc = img.max(axis=-3), img.min(axis=-3)
    eqc = maxc == minc
    cr = maxc - minc
    ones = np.ones_like(maxc)
    s = cr / np.where(eqc, ones, maxc)
    cr_divisor = np.where(eqc, ones, cr)
    rc, gc, bc = (maxc - r) / cr_divisor, (maxc - g) / cr_divisor, (maxc - b) / cr_divisor
    hr = (maxc == r) * (bc - gc)
    hg = ((maxc == g) & (maxc != r)) * (2.0 + rc - bc)
    hb = ((maxc != g) & (maxc != r)) * (4.0 + gc - rc)
    h = np.fmod((hr + hg + hb) / 6.0 + 1.0, 1.0).astype(img.dtype)
    return np.stack((h, s, maxc), axis=-3)


def _hsv2rgb(img):
    h, s, v = img[..., 0, :, :], img[..., 1, :, :], img[..., 2, :, :]
    i = np.floor(h * 6.0)
    f = h * 6.0 - i
    i = i.astype(np.int32) % 6
    p = np.clip(v * (1.0 - s), 0.0, 1.0)
    q = np.clip(v * (1.0 - s * f), 0.0, 1.0)
    t = np.clip(v * (1.0 - s * (1.0 - f)), 0.0, 1.0)
    r = np.choose(i, (v, q, p, p, t, v))
    g = np.choose(i, (t, v, v, q, p, p))
    b = np.choose(i, (p, p, t, v, v, q))
    return np.stack((r, g, b), axis=-3).astype(img.dtype)


def adjust_hue(img, hue_factor):
    """Shift the hue by hue_factor (a fraction of the colour wheel, in [-0.5, 0.5])."""
    if not (-0.5 <= hue_factor <= 0.5):
        raise ValueError(f"hue_factor ({hue_factor}) is not in [-0.5, 0.5].")
    if _is_pil_image(img):
        if img.mode in ("L", "1", "I", "F"):
            return img
        Image = _pil()
        h, s, v = img.convert("HSV").split()
        np_h = np.array(h, dtype=np.uint8)
        np_h += np.array(np.int8(hue_factor * 255)).astype(np.uint8)  # uint8 addition wraps round the wheel
        return Image.merge("HSV", (Image.fromarray(np_h, mode="L"), s, v)).convert(img.mode)
    _check_image(img, "adjust_hue")
    if _tensor_channels(img, "adjust_hue") == 1:
        return img
    from ... import float32

    orig_dtype = img.dtype
    hsv = _rgb2hsv(_array(convert_image_dtype(img, float32)))
    hsv[..., 0, :, :] = (hsv[..., 0, :, :] + np.float32(hue_factor)) % np.float32(1.0)
    return convert_image_dtype(_wrap(_hsv2rgb(hsv)), orig_dtype)


# --- rotation ----------------------------------------------------------------------------------------


def rotate(img, angle, interpolation=InterpolationMode.NEAREST, expand=False, center=None, fill=None):
    """Rotate counter-clockwise by `angle` degrees about the centre (or `center`, (x, y) from the top-left)."""
    interpolation = _interpolation(interpolation)
    if _is_pil_image(img):
        if interpolation not in (InterpolationMode.NEAREST, InterpolationMode.BILINEAR, InterpolationMode.BICUBIC):
            raise ValueError(f"rotate: PIL images support nearest, bilinear and bicubic, got {interpolation.value}")
        channels = len(img.getbands())
        if fill is not None and not isinstance(fill, numbers.Number) and len(fill) == 1:
            fill = fill[0]
        if isinstance(fill, numbers.Number) and channels > 1:
            fill = tuple([fill] * channels)
        if isinstance(fill, list):
            fill = tuple(fill)
        return img.rotate(angle, resample=_PIL_FILTERS[interpolation], expand=expand, center=center, fillcolor=fill)
    _check_image(img, "rotate")
    if expand:
        raise ValueError("rotate: expand=True is supported for PIL images only")
    if interpolation not in (InterpolationMode.NEAREST, InterpolationMode.BILINEAR):
        raise ValueError(f"rotate: tensor images support nearest and bilinear, got {interpolation.value}")
    return _wrap(_rotate_array(_array(img), angle, interpolation, center, fill))


def _rotate_array(arr, angle, interpolation, center, fill):
    """torchvision's tensor rotate: inverse affine map of the output pixel centres, then grid sampling with zero
    padding (align_corners=False); with `fill`, a sampled validity mask blends in the fill colour."""
    squeeze = arr.ndim == 2
    img = arr[None] if squeeze else arr
    h, w = img.shape[-2:]
    cx, cy = (0.0, 0.0) if center is None else (center[0] - w * 0.5, center[1] - h * 0.5)
    rot = math.radians(-angle)
    m = [math.cos(rot), math.sin(rot), 0.0, -math.sin(rot), math.cos(rot), 0.0]
    m[2] += m[0] * -cx + m[1] * -cy + cx
    m[5] += m[3] * -cx + m[4] * -cy + cy
    xs = np.arange(w) - w * 0.5 + 0.5
    ys = np.arange(h) - h * 0.5 + 0.5
    gx, gy = np.meshgrid(xs, ys)
    src_x = m[0] * gx + m[1] * gy + m[2] + w * 0.5 - 0.5  # source pixel coordinates
    src_y = m[3] * gx + m[4] * gy + m[5] + h * 0.5 - 0.5
    compute = img.dtype if np.issubdtype(img.dtype, np.floating) else np.float32
    values = img.astype(compute)
    mask = np.ones((h, w), compute)

    def sample(a):
        if interpolation is InterpolationMode.NEAREST:
            xi, yi = np.rint(src_x).astype(np.int64), np.rint(src_y).astype(np.int64)
            inside = (xi >= 0) & (xi < w) & (yi >= 0) & (yi < h)
            return np.where(inside, a[..., np.clip(yi, 0, h - 1), np.clip(xi, 0, w - 1)], 0).astype(compute)
        x0, y0 = np.floor(src_x).astype(np.int64), np.floor(src_y).astype(np.int64)
        out = 0
        for dx, dy in ((0, 0), (1, 0), (0, 1), (1, 1)):
            xi, yi = x0 + dx, y0 + dy
            weight = (1 - np.abs(src_x - xi)) * (1 - np.abs(src_y - yi))
            inside = (xi >= 0) & (xi < w) & (yi >= 0) & (yi < h)
            out = out + np.where(inside, a[..., np.clip(yi, 0, h - 1), np.clip(xi, 0, w - 1)] * weight, 0)
        return out.astype(compute)

    out = sample(values)
    if fill is not None:
        fills = np.broadcast_to(np.asarray(fill, compute).reshape(-1), (img.shape[-3],)).reshape(-1, 1, 1)
        valid = sample(mask)
        if interpolation is InterpolationMode.NEAREST:
            out = np.where(valid < 0.5, fills, out)
        else:
            out = out * valid + (1.0 - valid) * fills
    if not np.issubdtype(img.dtype, np.floating):
        out = np.round(out)
    out = out.astype(img.dtype)
    return out[0] if squeeze else out
