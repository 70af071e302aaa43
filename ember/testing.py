"""torch.testing: assert_close with torch's default tolerances, checks and messages; make_tensor."""

import collections.abc
import numbers

import numpy as np

from . import _dtype
from ._tensor import Tensor

# torch/testing/_comparison.py: (rtol, atol) per dtype; every other dtype compares exactly
_TOLERANCES = {"float16": (1e-3, 1e-5), "bfloat16": (1.6e-2, 1e-5), "float32": (1.3e-6, 1e-5), "float64": (1e-7, 1e-7)}


class _Mismatch(AssertionError):
    """A failed comparison; `where` says which item of a sequence or mapping failed."""


def _fail(message, msg, where):
    if msg is not None:
        message = msg(message) if callable(msg) else msg
    elif where:
        message += f"\n\nThe failure occurred for item {''.join(f'[{w!r}]' for w in where)}"
    raise AssertionError(message)


def _tolerances(dtypes, rtol, atol):
    if (rtol is None) != (atol is None):
        raise ValueError(
            f"Both 'rtol' and 'atol' must be either specified or omitted, but got no "
            f"{'rtol' if rtol is None else 'atol'}."
        )
    if rtol is not None:
        return rtol, atol
    if not dtypes:
        return None, None
    pairs = [_TOLERANCES.get(d, (0.0, 0.0)) for d in dtypes]
    return max(p[0] for p in pairs), max(p[1] for p in pairs)


def _close(a, e, rtol, atol, equal_nan):
    """torch.isclose on arrays: |a - e| <= atol + rtol * |e|, infinities equal when they are the same."""
    if a.dtype.kind in "biu" and e.dtype.kind in "biu" and rtol == 0 and atol == 0:
        return a == e
    a64, e64 = a.astype(np.float64), e.astype(np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        close = (a64 == e64) | (np.abs(a64 - e64) <= atol + rtol * np.abs(e64))
    if equal_nan:
        close |= np.isnan(a64) & np.isnan(e64)
    return close


def _compare_tensors(actual, expected, rtol, atol, equal_nan, check_device, check_dtype, msg, where):
    if actual.shape != expected.shape:
        _fail(f"The values for attribute 'shape' do not match: {actual.shape} != {expected.shape}.", msg, where)
    if check_device and actual.device != expected.device:
        _fail(f"The values for attribute 'device' do not match: {actual.device} != {expected.device}.", msg, where)
    if check_dtype and actual.dtype is not expected.dtype:
        _fail(f"The values for attribute 'dtype' do not match: {actual.dtype} != {expected.dtype}.", msg, where)
    rtol, atol = _tolerances((actual.dtype.name, expected.dtype.name), rtol, atol)
    a, e = np.asarray(actual.detach().cpu()), np.asarray(expected.detach().cpu())
    close = _close(a, e, rtol, atol, equal_nan)
    if close.all():
        return
    if close.ndim == 0:  # torch words a 0-d mismatch as a scalar one
        _scalar_mismatch(a.item(), e.item(), rtol, atol, msg, where)
    exact = rtol == 0 and atol == 0
    total, bad = close.size, int((~close).sum())
    # the differences in the inputs' own precision, as torch computes them (bools and ints in int64, ratio
    # of ints in the default float dtype)
    work = np.result_type(a.dtype, e.dtype)
    if work.kind in "bui":
        a, e = a.astype(np.int64), e.astype(np.int64)
        abs_diff = np.abs(a - e)
        rel_diff = abs_diff.astype(_dtype.get_default_dtype().np) / np.abs(e).astype(_dtype.get_default_dtype().np)
    else:
        a, e = a.astype(work), e.astype(work)
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            abs_diff = np.abs(a - e)
            rel_diff = abs_diff / np.abs(e)
    with np.errstate(invalid="ignore", divide="ignore"):
        lines = [
            f"Tensor-likes are not {'equal' if exact else 'close'}!",
            "",
            f"Mismatched elements: {bad} / {total} ({bad / total:.1%})",
        ]
    for label, diff, tol in (("absolute", abs_diff, atol), ("relative", rel_diff, rtol)):
        flat = np.where(close, 0, diff).ravel()
        i = int(np.nanargmax(flat)) if not np.isnan(flat).any() else int(np.flatnonzero(np.isnan(flat))[0])
        index = tuple(int(k) for k in np.unravel_index(i, close.shape)) if close.ndim else ()
        line = f"Greatest {label} difference: {flat[i].item()} at index {index}"
        lines.append(line if exact else f"{line} (up to {tol} allowed)")
    _fail("\n".join(lines), msg, where)


def _compare_scalars(actual, expected, rtol, atol, equal_nan, msg, where):
    kinds = [
        "float64" if isinstance(x, float) else "complex128" if isinstance(x, complex) else "int64"
        for x in (actual, expected)
    ]
    rtol, atol = _tolerances(kinds, rtol, atol)
    if not bool(_close(np.asarray(actual), np.asarray(expected), rtol, atol, equal_nan)):
        _scalar_mismatch(actual, expected, rtol, atol, msg, where)


def _scalar_mismatch(actual, expected, rtol, atol, msg, where):
    exact = rtol == 0 and atol == 0
    abs_diff = abs(actual - expected)
    rel_diff = abs_diff / abs(expected) if expected != 0 else float("inf")
    lines = [
        f"Scalars are not {'equal' if exact else 'close'}!",
        "",
        f"Expected {expected} but got {actual}.",
        f"Absolute difference: {abs_diff}" + ("" if exact else f" (up to {atol} allowed)"),
        f"Relative difference: {rel_diff}" + ("" if exact else f" (up to {rtol} allowed)"),
    ]
    _fail("\n".join(lines), msg, where)


def _as_tensor_like(x):
    if isinstance(x, Tensor):
        return x
    if isinstance(x, np.ndarray):
        from .ops.creation import from_numpy

        return from_numpy(x)
    return None


def _compare(actual, expected, where, **options):
    ta, te = _as_tensor_like(actual), _as_tensor_like(expected)
    if ta is not None and te is not None:
        return _compare_tensors(ta, te, where=where, **options)
    scalar = (numbers.Number, np.number)
    if isinstance(actual, scalar) and isinstance(expected, scalar) and not (ta is not None or te is not None):
        return _compare_scalars(
            actual, expected, options["rtol"], options["atol"], options["equal_nan"], options["msg"], where
        )
    sequence = collections.abc.Sequence
    if (
        isinstance(actual, sequence)
        and isinstance(expected, sequence)
        and not isinstance(actual, str)
        and not isinstance(expected, str)
    ):
        if len(actual) != len(expected):
            _fail(f"The length of the sequences mismatch: {len(actual)} != {len(expected)}", options["msg"], where)
        for i, (a, e) in enumerate(zip(actual, expected)):
            _compare(a, e, where + [i], **options)
        return
    mapping = collections.abc.Mapping
    if isinstance(actual, mapping) and isinstance(expected, mapping):
        if set(actual) != set(expected):
            _fail(
                f"The keys of the mappings do not match:\nMissing keys in the actual mapping: "
                f"{sorted(set(expected) - set(actual), key=repr)}\nExtra keys in the actual mapping: "
                f"{sorted(set(actual) - set(expected), key=repr)}",
                options["msg"],
                where,
            )
        for k in expected:
            _compare(actual[k], expected[k], where + [k], **options)
        return
    raise TypeError(f"No comparison pair was able to handle inputs of type {type(actual)} and {type(expected)}.")


def assert_close(
    actual,
    expected,
    *,
    allow_subclasses=True,
    rtol=None,
    atol=None,
    equal_nan=False,
    check_device=True,
    check_dtype=True,
    check_layout=True,
    check_stride=False,
    msg=None,
):
    """torch.testing.assert_close: raises AssertionError with torch's message when the inputs differ."""
    _tolerances((), rtol, atol)  # both or neither, checked before any comparison as torch
    _compare(
        actual,
        expected,
        [],
        rtol=rtol,
        atol=atol,
        equal_nan=equal_nan,
        check_device=check_device,
        check_dtype=check_dtype,
        msg=msg,
    )


def make_tensor(
    *shape,
    dtype,
    device=None,
    low=None,
    high=None,
    requires_grad=False,
    noncontiguous=False,
    exclude_zero=False,
    memory_format=None,
):
    """A tensor of random values in [low, high): torch's defaults are [-9, 9] (floats and signed ints),
    [0, 10) for uint8 and {False, True} for bool."""
    from .ops.creation import default_generator, tensor

    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    dt = _dtype.as_dtype(dtype)
    rng = default_generator.rng
    if dt is _dtype.bool:
        values = rng.random(shape) < 0.5
    elif dt.is_floating_point:
        lo, hi = (-9 if low is None else low), (9 if high is None else high)
        values = rng.uniform(lo, hi, shape)
        if exclude_zero:
            values[values == 0] = np.finfo(dt.np).tiny if dt.np.kind == "f" else 1e-3
    else:
        lo, hi = (0 if dt is _dtype.uint8 else -9) if low is None else low, 10 if high is None else high
        values = rng.integers(int(lo), int(hi), shape)
        if exclude_zero:
            values[values == 0] = 1
    return tensor(values, dtype=dt, device=device, requires_grad=requires_grad)
