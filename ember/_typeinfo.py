"""torch.finfo and torch.iinfo: the numerical limits of ember's dtypes, with torch's attributes and repr."""

import numpy as np

from . import _dtype


def _limits(dt, np_info):
    if dt.np.kind == "V":  # bfloat16 (ml_dtypes) has its own finfo
        import ml_dtypes

        return ml_dtypes.finfo(dt.np)
    return np_info(dt.np)


class finfo:
    """torch.finfo(dtype=None): bits, eps, max, min, tiny (= smallest_normal), resolution, dtype (a name)."""

    def __init__(self, type=None):
        dt = _dtype.get_default_dtype() if type is None else _dtype.as_dtype(type)
        if not dt.is_floating_point:
            raise TypeError(
                "torch.finfo() requires a floating point input type. Use torch.iinfo to handle 'torch.finfo'"
            )
        info = _limits(dt, np.finfo)
        self.bits = dt.itemsize * 8
        self.eps = float(info.eps)
        self.max = float(info.max)
        self.min = float(info.min)
        self.tiny = self.smallest_normal = float(info.smallest_normal)
        self.resolution = float(10.0**-info.precision)
        self.dtype = dt.name

    def __eq__(self, other):
        return isinstance(other, finfo) and self.dtype == other.dtype

    __hash__ = None  # as torch's

    def __repr__(self):
        return (
            f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, eps={self.eps:g}, "
            f"smallest_normal={self.smallest_normal:g}, tiny={self.tiny:g}, dtype={self.dtype})"
        )


class iinfo:
    """torch.iinfo(dtype): bits, max, min, dtype (a name)."""

    def __init__(self, type):
        dt = _dtype.as_dtype(type)
        if dt is _dtype.bool:
            raise TypeError("torch.bool is not supported by torch.iinfo")
        if dt.is_floating_point:
            raise TypeError("torch.iinfo() requires an integer input type. Use torch.finfo to handle 'torch.iinfo'")
        info = np.iinfo(dt.np)
        self.bits = dt.itemsize * 8
        self.max = int(info.max)
        self.min = int(info.min)
        self.dtype = dt.name

    def __eq__(self, other):
        return isinstance(other, iinfo) and self.dtype == other.dtype

    __hash__ = None

    def __repr__(self):
        return f"iinfo(min={self.min:g}, max={self.max:g}, dtype={self.dtype})"
