"""erf, erfc, erfinv (ember/ops/_erf.py) against torch over their whole range, tails and special values
included, in every float dtype; exact GELU and 0-d tensors."""

import numpy as np
import pytest

import ember
from oracle import torch

SPECIALS = [np.inf, -np.inf, np.nan, 0.0, -0.0]


def _erf_points():
    rng = np.random.default_rng(0)
    return np.concatenate(
        [
            rng.standard_normal(4000) * 2,
            rng.uniform(-30, 30, 4000),
            np.linspace(-6, 6, 2401),
            [0.5, -0.5, np.nextafter(0.5, 0), 1e-300, 5e-324, 26.5, 27.2, 27.3, 40, 1e300],
            SPECIALS,
        ]
    )


def _erfinv_points():
    rng = np.random.default_rng(1)
    near_one = 1 - np.logspace(-16, -1, 200)
    return np.concatenate(
        [
            rng.uniform(-1, 1, 4000),
            near_one,
            -near_one,
            np.logspace(-300, -1, 100),
            [0.5, 0.5205, 1.0, -1.0, 1.5, -2.0, 1e-300],
            SPECIALS,
        ]
    )


def _ulps(a, b, dtype):
    """|a - b| in units in the last place of dtype (a, b: float64 holding dtype values)."""
    spacing = np.spacing(np.abs(b).astype(np.float32 if dtype == "bfloat16" else dtype)).astype(np.float64)
    if dtype == "bfloat16":
        spacing *= 2**16  # 8 significand bits against float32's 24
    return np.abs(a - b) / spacing


@pytest.mark.parametrize("name", ["erf", "erfc", "erfinv"])
def test_float64_is_accurate_to_a_few_units_in_the_last_place(name):
    x = _erfinv_points() if name == "erfinv" else _erf_points()
    ours = getattr(ember, name)(ember.tensor(x)).numpy()
    theirs = getattr(torch, name)(torch.tensor(x)).numpy()
    assert ours.dtype == np.float64
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(theirs))
    np.testing.assert_array_equal(ours[np.isinf(theirs)], theirs[np.isinf(theirs)])
    normal = np.isfinite(theirs) & (np.abs(theirs) > np.finfo(np.float64).tiny)
    np.testing.assert_allclose(ours[normal], theirs[normal], rtol=1e-15, atol=0)
    np.testing.assert_allclose(
        ours[~normal & np.isfinite(theirs)], theirs[~normal & np.isfinite(theirs)], rtol=1e-4, atol=1e-322
    )  # erfc's subnormal results keep fewer digits
    np.testing.assert_array_equal(np.signbit(ours[theirs == 0]), np.signbit(theirs[theirs == 0]))


@pytest.mark.parametrize("dtype", ["float32", "float16", "bfloat16"])
@pytest.mark.parametrize("name", ["erf", "erfc", "erfinv"])
def test_narrower_floats_are_within_one_unit_in_the_last_place(name, dtype):
    if dtype == "bfloat16":
        pytest.importorskip("ml_dtypes")
    x = _erfinv_points() if name == "erfinv" else _erf_points()
    ours = getattr(ember, name)(ember.tensor(x).to(getattr(ember, dtype)))
    theirs = getattr(torch, name)(torch.tensor(x).to(getattr(torch, dtype)))
    assert ours.dtype == getattr(ember, dtype)
    ours, theirs = ours.double().numpy(), theirs.double().numpy()
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(theirs))
    finite = np.isfinite(theirs)
    np.testing.assert_array_equal(ours[~finite & ~np.isnan(theirs)], theirs[~finite & ~np.isnan(theirs)])
    assert _ulps(ours[finite], theirs[finite], dtype).max() <= 1


@pytest.mark.parametrize("name", ["erf", "erfc", "erfinv"])
def test_zero_dimensional_tensors(name):
    x = ember.tensor(0.25, requires_grad=True)
    y = getattr(ember, name)(x)
    y.backward()
    tx = torch.tensor(0.25, requires_grad=True)
    ty = getattr(torch, name)(tx)
    ty.backward()
    assert y.shape == () and abs(y.item() - ty.item()) < 1e-7 and abs(x.grad.item() - tx.grad.item()) < 1e-6


@pytest.mark.parametrize("shape", [(), (5,), (3, 0, 2)])
def test_exact_gelu_on_any_shape(shape):
    x = np.random.default_rng(2).standard_normal(shape).astype(np.float32) * 3
    ex, tx = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ey, ty = ember.nn.GELU()(ex), torch.nn.GELU()(tx)
    ey.sum().backward()
    ty.sum().backward()
    np.testing.assert_allclose(ey.detach().numpy(), ty.detach().numpy(), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(ex.grad.numpy(), tx.grad.numpy(), rtol=1e-6, atol=1e-7)
