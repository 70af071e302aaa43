"""F.affine_grid and F.grid_sample against torch: 2-d and 3-d, every mode and padding mode, align_corners both
ways, sample points inside, on the border and outside; values and the gradients of the input, the grid and theta."""

import numpy as np
import pytest

from oracle import check


def F(T):
    return T.nn.functional


THETA2 = np.array([[[0.9, -0.3, 0.1], [0.2, 1.1, -0.2]], [[1.3, 0.4, 0.3], [-0.5, 0.8, 0.25]]])
THETA3 = np.array([[[0.9, -0.3, 0.1, 0.05], [0.2, 1.1, -0.2, 0.0], [0.1, 0.0, 0.8, 0.3]]])


@pytest.mark.parametrize("align_corners", [False, True])
def test_affine_grid_matches_torch(align_corners):
    check(
        lambda T, th: F(T).affine_grid(th, (2, 3, 4, 5), align_corners=align_corners),
        arrays=[THETA2.astype(np.float32)],
    )
    check(
        lambda T, th: F(T).affine_grid(th, (1, 2, 3, 4, 2), align_corners=align_corners),
        arrays=[THETA3.astype(np.float64)],
    )


def _grid(shape, seed=0, spread=1.3):
    """Sample points across [-spread, spread]: inside, near the edges and outside the input."""
    return (np.random.default_rng(seed).uniform(-spread, spread, shape)).astype(np.float64)


CASES = [
    (mode, padding, align)
    for mode in ("bilinear", "nearest", "bicubic")
    for padding in ("zeros", "border", "reflection")
    for align in (False, True)
]


@pytest.mark.parametrize("mode,padding_mode,align_corners", CASES, ids=["-".join(map(str, c)) for c in CASES])
def test_grid_sample_2d_matches_torch(mode, padding_mode, align_corners):
    x = np.random.default_rng(1).standard_normal((2, 3, 5, 6))
    check(
        lambda T, x, g: F(T).grid_sample(x, g, mode=mode, padding_mode=padding_mode, align_corners=align_corners),
        arrays=[x, _grid((2, 4, 7, 2))],
    )


@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
def test_grid_sample_3d_matches_torch(mode, padding_mode):
    x = np.random.default_rng(2).standard_normal((1, 2, 3, 4, 5))
    check(
        lambda T, x, g: F(T).grid_sample(x, g, mode=mode, padding_mode=padding_mode, align_corners=False),
        arrays=[x, _grid((1, 2, 3, 4, 3), seed=3)],
    )


def test_spatial_transformer_float32_end_to_end():
    """The STN tutorial's use: affine_grid from a predicted theta, then bilinear grid_sample."""
    x = np.random.default_rng(4).standard_normal((2, 1, 8, 8)).astype(np.float32)
    check(
        lambda T, x, th: F(T).grid_sample(
            x, F(T).affine_grid(th, (2, 1, 6, 6), align_corners=False), align_corners=False
        ),
        arrays=[x, THETA2.astype(np.float32)],
        atol=1e-5,
    )


def test_align_corners_default_warns_and_errors_as_torch():
    import ember
    from oracle import torch

    for T in (torch, ember):
        with pytest.warns(UserWarning, match="Default grid_sample and affine_grid behavior has changed"):
            F(T).affine_grid(T.tensor(THETA2, dtype=T.float32), (2, 3, 4, 5))
        with pytest.raises(ValueError, match="Expected a batch of 2D affine matrices of shape Nx2x3"):
            F(T).affine_grid(T.zeros(2, 3, 3), (2, 3, 4, 5), align_corners=False)
        with pytest.raises(ValueError, match="expected mode to be 'bilinear', 'nearest' or 'bicubic'"):
            F(T).grid_sample(T.zeros(1, 1, 2, 2), T.zeros(1, 1, 1, 2), mode="area", align_corners=False)


def test_grid_sample_double_backward():
    import ember

    x = ember.tensor(np.random.default_rng(5).standard_normal((1, 2, 4, 4)), requires_grad=True)
    g = ember.tensor(_grid((1, 3, 3, 2), seed=6, spread=0.9), requires_grad=True)
    fn = lambda x, g: F(ember).grid_sample(x, g, padding_mode="reflection", align_corners=True)  # noqa: E731
    assert ember.autograd.gradcheck(fn, (x, g))
    assert ember.autograd.gradgradcheck(fn, (x, g))
