"""make_grid and save_image, as torchvision.utils."""

import math

import numpy as np


def make_grid(tensor, nrow=8, padding=2, normalize=False, value_range=None, scale_each=False, pad_value=0.0):
    """Tile a batch (B, C, H, W) or a list of (C, H, W) images into one (C, H', W') image, row-major, `nrow` a row.

    1-channel images become 3-channel; a single image comes back without padding (torchvision's rules).
    The grid is on the input's device; it is assembled on the host (a picture, not a training step).
    """
    import ember

    if not ember.is_tensor(tensor):
        if isinstance(tensor, list):
            for t in tensor:
                if not ember.is_tensor(t):
                    raise TypeError(f"tensor or list of tensors expected, got a list containing {type(t)}")
        else:
            raise TypeError(f"tensor or list of tensors expected, got {type(tensor)}")
    if isinstance(tensor, list):
        tensor = ember.stack(tensor, dim=0)
    if tensor.dim() not in (2, 3, 4):
        raise ValueError(
            f"make_grid: expected a 2-D, 3-D (C, H, W) or 4-D (B, C, H, W) tensor, got shape {tuple(tensor.shape)}"
        )
    device = tensor.device
    arr = np.array(tensor.detach().cpu().numpy())
    if arr.ndim == 2:
        arr = arr[None]
    if arr.ndim == 3:
        if arr.shape[0] == 1:
            arr = np.concatenate((arr, arr, arr), 0)
        arr = arr[None]
    if arr.shape[1] == 1:
        arr = np.concatenate((arr, arr, arr), 1)

    if normalize is True:
        if value_range is not None and not isinstance(value_range, tuple):
            raise TypeError("value_range has to be a tuple (min, max) if specified. min and max are numbers")

        def norm_range(img):  # in place on a float array, as torchvision's norm_ip
            low, high = value_range if value_range is not None else (float(img.min()), float(img.max()))
            np.clip(img, low, high, out=img)
            img -= np.asarray(low, img.dtype)
            img /= np.asarray(max(high - low, 1e-5), img.dtype)

        if scale_each is True:
            for img in arr:
                norm_range(img)
        else:
            norm_range(arr)

    if arr.shape[0] == 1:
        return ember.from_numpy(np.ascontiguousarray(arr[0])).to(device)
    nmaps, channels = arr.shape[0], arr.shape[1]
    xmaps = min(nrow, nmaps)
    ymaps = int(math.ceil(float(nmaps) / xmaps))
    height, width = int(arr.shape[2] + padding), int(arr.shape[3] + padding)
    grid = np.full((channels, height * ymaps + padding, width * xmaps + padding), pad_value, dtype=arr.dtype)
    for k in range(nmaps):
        y, x = divmod(k, xmaps)
        grid[:, y * height + padding : (y + 1) * height, x * width + padding : (x + 1) * width] = arr[k]
    return ember.from_numpy(grid).to(device)


def save_image(tensor, fp, format=None, **kwargs):
    """make_grid(tensor, **kwargs), scaled by 255 with rounding to uint8, saved with Pillow (PNG by extension)."""
    from PIL import Image

    grid = make_grid(tensor, **kwargs).cpu().numpy()
    values = grid * np.asarray(255, grid.dtype) + np.asarray(0.5, grid.dtype)
    ndarr = np.clip(values, 0, 255).transpose(1, 2, 0).astype(np.uint8)
    Image.fromarray(ndarr).save(fp, format=format)
