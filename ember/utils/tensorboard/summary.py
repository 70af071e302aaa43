"""Summary builders, as torch/utils/tensorboard/summary.py; each returns an encoded Summary."""

import struct
import zlib

import numpy as np

from . import _proto


def make_np(x, what="value"):
    """An ember Tensor, NumPy array or scalar as a NumPy array (torch's ``make_np``)."""
    from ..._tensor import Tensor

    if isinstance(x, np.ndarray):
        return x
    if np.isscalar(x):
        return np.array([x])
    if isinstance(x, Tensor):
        return np.asarray(x.detach())
    raise NotImplementedError(f"Got {type(x)} for {what}, but numpy array or ember tensor are expected.")


def scalar(name, tensor, new_style=False, double_precision=False):
    array = make_np(tensor, "scalar_value").squeeze()
    if array.ndim != 0:
        raise AssertionError(
            f"add_scalar: scalar_value should contain one element (0 dimensions), "
            f"got shape {tuple(array.shape)} with {array.size} elements"
        )
    value = float(array)
    if not new_style:
        return _proto.summary(_proto.summary_value(name, simple_value=value))
    if double_precision:
        tensor_proto = _proto.tensor_proto(_proto.DT_DOUBLE, double_val=[value])
    else:
        tensor_proto = _proto.tensor_proto(_proto.DT_FLOAT, float_val=[value])
    return _proto.summary(_proto.summary_value(name, tensor=tensor_proto, metadata=_proto.summary_metadata("scalars")))


def histogram_raw(name, min, max, num, sum, sum_squares, bucket_limits, bucket_counts):
    histo = _proto.histogram_proto(
        min, max, num, sum, sum_squares, [float(v) for v in bucket_limits], [float(v) for v in bucket_counts]
    )
    return _proto.summary(_proto.summary_value(name, histo=histo))


def histogram(name, values, bins, max_bins=None):
    values = make_np(values, "values").astype(float)
    return _proto.summary(_proto.summary_value(name, histo=make_histogram(values, bins, max_bins)))


def make_histogram(values, bins, max_bins=None):
    """An encoded HistogramProto, computed as torch's ``make_histogram``."""
    if values.size == 0:
        raise ValueError("The input has no element.")
    values = values.reshape(-1)
    counts, limits = np.histogram(values, bins=bins)
    num_bins = len(counts)
    if max_bins is not None and num_bins > max_bins:
        subsampling = num_bins // max_bins
        remainder = num_bins % subsampling
        if remainder != 0:
            counts = np.pad(counts, pad_width=[[0, subsampling - remainder]], mode="constant", constant_values=0)
        counts = counts.reshape(-1, subsampling).sum(axis=-1)
        new_limits = np.empty((counts.size + 1,), limits.dtype)
        new_limits[:-1] = limits[:-1:subsampling]
        new_limits[-1] = limits[-1]
        limits = new_limits

    # keep only the support of the histogram; TensorBoard stores right bin edges only,
    # so one empty bin on the left carries the leftmost edge
    cum_counts = np.cumsum(np.greater(counts, 0))
    start, end = np.searchsorted(cum_counts, [0, cum_counts[-1] - 1], side="right")
    start, end = int(start), int(end) + 1
    counts = counts[start - 1 : end] if start > 0 else np.concatenate([[0], counts[:end]])
    limits = limits[start : end + 1]
    if counts.size == 0 or limits.size == 0:
        raise ValueError("The histogram is empty, please file a bug report.")
    return _proto.histogram_proto(
        min=float(values.min()),
        max=float(values.max()),
        num=float(len(values)),
        sum=float(values.sum()),
        sum_squares=float(values.dot(values)),
        bucket_limit=limits.tolist(),
        bucket=[float(c) for c in counts],
    )


def make_grid(images, ncols=8):
    """Tile an N1HW or N3HW array into one 3HW canvas, row by row."""
    if images.shape[1] == 1:
        images = np.concatenate([images, images, images], 1)
    if images.ndim != 4 or images.shape[1] != 3:
        raise AssertionError(f"add_images: expected a batch of 1- or 3-channel images, got shape {images.shape}")
    nimg, _, height, width = images.shape
    ncols = min(nimg, ncols)
    nrows = -(-nimg // ncols)
    canvas = np.zeros((3, height * nrows, width * ncols), dtype=images.dtype)
    for i in range(nimg):
        y, x = divmod(i, ncols)
        canvas[:, y * height : (y + 1) * height, x * width : (x + 1) * width] = images[i]
    return canvas


def convert_to_HWC(tensor, input_format):
    input_format = input_format.upper()
    if len(set(input_format)) != len(input_format):
        raise AssertionError(f"You can not use the same dimension shorthand twice. input_format: {input_format}")
    if tensor.ndim != len(input_format):
        raise AssertionError(
            f"size of input tensor and input format are different. "
            f"tensor shape: {tensor.shape}, input_format: {input_format}"
        )
    if len(input_format) == 4:
        tensor_nchw = tensor.transpose([input_format.find(c) for c in "NCHW"])
        return make_grid(tensor_nchw).transpose(1, 2, 0)
    if len(input_format) == 3:
        tensor_hwc = tensor.transpose([input_format.find(c) for c in "HWC"])
        if tensor_hwc.shape[2] == 1:
            tensor_hwc = np.concatenate([tensor_hwc, tensor_hwc, tensor_hwc], 2)
        return tensor_hwc
    if len(input_format) == 2:
        tensor = tensor.transpose([input_format.find(c) for c in "HW"])
        return np.stack([tensor, tensor, tensor], 2)
    raise AssertionError(f"dataformats should have 2, 3 or 4 letters, got {input_format!r}")


def encode_png_zlib(hwc):
    """A PNG of an HxWxC uint8 array (C = 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA)."""
    height, width, channels = hwc.shape
    color_type = {1: 0, 2: 4, 3: 2, 4: 6}[channels]
    rows = hwc.reshape(height, width * channels)
    raw = np.concatenate([np.zeros((height, 1), np.uint8), rows], axis=1)  # filter 0 per row

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    return b"".join(
        [
            b"\x89PNG\r\n\x1a\n",
            chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, color_type, 0, 0, 0)),
            chunk(b"IDAT", zlib.compress(raw.tobytes())),
            chunk(b"IEND", b""),
        ]
    )


def encode_png(hwc):
    """Pillow's PNG when Pillow is installed (the bytes torch writes), else a zlib one."""
    try:
        from PIL import Image
    except ImportError:
        return encode_png_zlib(hwc)
    import io

    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(hwc)).save(buffer, format="PNG")
    return buffer.getvalue()


def image(tag, tensor, dataformats="NCHW"):
    array = convert_to_HWC(make_np(tensor, "img_tensor"), dataformats)
    # uint8 input is taken as [0, 255]; anything else as [0, 1]
    scale_factor = 1 if array.dtype == np.uint8 else 255
    array = (array.astype(np.float32) * scale_factor).clip(0, 255).astype(np.uint8)
    height, width, channels = array.shape
    return _proto.summary(
        _proto.summary_value(tag, image=_proto.image_proto(height, width, channels, encode_png(array)))
    )


def text(tag, text):
    # TextPluginData(version=0) serializes to no bytes
    tensor = _proto.tensor_proto(_proto.DT_STRING, shape=[1], string_val=[text.encode("utf_8")])
    return _proto.summary(
        _proto.summary_value(tag + "/text_summary", tensor=tensor, metadata=_proto.summary_metadata("text"))
    )
