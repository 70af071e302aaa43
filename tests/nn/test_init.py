"""nn.init: gains and fans equal torch's; samplers are checked statistically against torch's formulas
(values come from ember's generator, so they differ from torch's draw for draw)."""

import math
import warnings

import numpy as np
import pytest

import ember
from ember.nn import init
from oracle import torch


@pytest.mark.parametrize(
    "nonlinearity,param",
    [
        ("linear", None),
        ("conv1d", None),
        ("conv2d", None),
        ("conv3d", None),
        ("conv_transpose1d", None),
        ("conv_transpose2d", None),
        ("conv_transpose3d", None),
        ("sigmoid", None),
        ("tanh", None),
        ("relu", None),
        ("leaky_relu", None),
        ("leaky_relu", 0.2),
        ("leaky_relu", 1),
        ("leaky_relu", math.sqrt(5)),
        ("selu", None),
    ],
)
def test_calculate_gain_matches_torch(nonlinearity, param):
    assert init.calculate_gain(nonlinearity, param) == torch.nn.init.calculate_gain(nonlinearity, param)


def test_calculate_gain_errors():
    with pytest.raises(ValueError, match="Unsupported nonlinearity gelu"):
        init.calculate_gain("gelu")
    with pytest.raises(ValueError, match="negative_slope True not a valid number"):
        init.calculate_gain("leaky_relu", True)


@pytest.mark.parametrize("shape", [(5, 3), (8, 4, 3), (16, 8, 3, 3), (4, 2, 3, 3, 3)])
def test_fan_in_and_fan_out_match_torch(shape):
    assert init._calculate_fan_in_and_fan_out(ember.empty(*shape)) == torch.nn.init._calculate_fan_in_and_fan_out(
        torch.empty(*shape)
    )


def test_fans_need_two_dimensions():
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init._calculate_fan_in_and_fan_out(ember.empty(5))
    with pytest.raises(ValueError, match="Mode fan_avg not supported"):
        init.kaiming_uniform_(ember.empty(3, 3), mode="fan_avg")


def _values(t):
    return t.detach().numpy().ravel()


def test_functions_are_in_place_untracked_and_return_the_tensor():
    w = ember.nn.Parameter(ember.zeros(30, 40))
    for fn, args in (
        (init.uniform_, (-1, 1)),
        (init.normal_, ()),
        (init.trunc_normal_, ()),
        (init.constant_, (3,)),
        (init.ones_, ()),
        (init.zeros_, ()),
        (init.eye_, ()),
        (init.xavier_uniform_, ()),
        (init.xavier_normal_, ()),
        (init.kaiming_uniform_, ()),
        (init.kaiming_normal_, ()),
        (init.orthogonal_, ()),
        (init.sparse_, (0.5,)),
    ):
        version = w._version
        assert fn(w, *args) is w, fn.__name__
        assert w.requires_grad and w.grad_fn is None and w.is_leaf
        assert w._version > version
        assert w.dtype is ember.float32


def test_uniform_and_normal():
    u = _values(init.uniform_(ember.empty(200, 100), -0.3, 0.7))
    assert u.min() >= -0.3 and u.max() <= 0.7 and abs(u.mean() - 0.2) < 0.01
    n = _values(init.normal_(ember.empty(200, 100), 2.0, 0.5))
    assert abs(n.mean() - 2.0) < 0.01 and abs(n.std() - 0.5) < 0.01


@pytest.mark.parametrize(
    "mean,std,a,b", [(0.0, 1.0, -2.0, 2.0), (0.0, 1.0, 1.0, 3.0), (1.0, 0.2, 0.9, 1.5), (0.0, 0.02, -0.04, 0.04)]
)
def test_trunc_normal_stays_in_bounds_with_the_truncated_moments(mean, std, a, b):
    v = _values(init.trunc_normal_(ember.empty(300, 100), mean, std, a, b)).astype(np.float64)
    assert v.min() >= a and v.max() <= b
    alpha, beta = (a - mean) / std, (b - mean) / std
    pdf = lambda z: math.exp(-z * z / 2) / math.sqrt(2 * math.pi)  # noqa: E731
    cdf = lambda z: 0.5 * (1 + math.erf(z / math.sqrt(2)))  # noqa: E731
    mass = cdf(beta) - cdf(alpha)
    expected_mean = mean + std * (pdf(alpha) - pdf(beta)) / mass
    expected_var = std**2 * (
        1 + (alpha * pdf(alpha) - beta * pdf(beta)) / mass - ((pdf(alpha) - pdf(beta)) / mass) ** 2
    )
    assert abs(v.mean() - expected_mean) < 0.02 * std
    assert abs(v.var() / expected_var - 1) < 0.03


def test_trunc_normal_warns_when_mean_is_far_outside():
    with pytest.warns(UserWarning, match="mean is more than 2 std from"):
        init.trunc_normal_(ember.empty(3), mean=10.0, std=1.0, a=-1.0, b=1.0)


def test_constant_ones_zeros_eye():
    np.testing.assert_array_equal(init.constant_(ember.empty(2, 3), 0.5).numpy(), np.full((2, 3), 0.5))
    np.testing.assert_array_equal(init.ones_(ember.empty(4)).numpy(), np.ones(4))
    np.testing.assert_array_equal(init.zeros_(ember.empty(4)).numpy(), np.zeros(4))
    np.testing.assert_array_equal(init.eye_(ember.empty(3, 5)).numpy(), torch.nn.init.eye_(torch.empty(3, 5)).numpy())
    with pytest.raises(ValueError, match="Only tensors with 2 dimensions are supported"):
        init.eye_(ember.empty(2, 2, 2))


@pytest.mark.parametrize(
    "shape,groups", [((4, 4, 3), 1), ((6, 3, 3, 3), 1), ((6, 2, 3, 5), 2), ((4, 2, 3, 3, 3), 2), ((3, 5, 3, 3), 1)]
)
def test_dirac_matches_torch(shape, groups):
    np.testing.assert_array_equal(
        init.dirac_(ember.empty(*shape), groups).numpy(), torch.nn.init.dirac_(torch.empty(*shape), groups).numpy()
    )


def test_dirac_rejects_2d():
    with pytest.raises(ValueError, match="Only tensors with 3, 4, or 5 dimensions are supported"):
        init.dirac_(ember.empty(3, 3))


@pytest.mark.parametrize("shape", [(300, 200), (64, 32, 3, 3)])
def test_xavier_bounds_and_std(shape):
    fan_in, fan_out = init._calculate_fan_in_and_fan_out(ember.empty(*shape))
    std = 1.5 * math.sqrt(2.0 / (fan_in + fan_out))
    u = _values(init.xavier_uniform_(ember.empty(*shape), gain=1.5))
    assert np.abs(u).max() <= math.sqrt(3) * std and np.abs(u).max() > 0.98 * math.sqrt(3) * std
    assert abs(u.std() / std - 1) < 0.02
    n = _values(init.xavier_normal_(ember.empty(*shape), gain=1.5))
    assert abs(n.std() / std - 1) < 0.02 and abs(n.mean()) < 0.02 * std


@pytest.mark.parametrize(
    "a,mode,nonlinearity",
    [
        (0, "fan_in", "leaky_relu"),
        (math.sqrt(5), "fan_in", "leaky_relu"),
        (0, "fan_out", "relu"),
        (0.1, "fan_out", "leaky_relu"),
        (0, "fan_in", "tanh"),
    ],
)
def test_kaiming_bounds_and_std(a, mode, nonlinearity):
    shape = (128, 64, 3, 3)
    fan_in, fan_out = init._calculate_fan_in_and_fan_out(ember.empty(*shape))
    std = init.calculate_gain(nonlinearity, a) / math.sqrt(fan_in if mode == "fan_in" else fan_out)
    u = _values(init.kaiming_uniform_(ember.empty(*shape), a, mode, nonlinearity))
    bound = math.sqrt(3) * std
    assert np.abs(u).max() <= bound * (1 + 1e-6) and np.abs(u).max() > 0.98 * bound
    n = _values(init.kaiming_normal_(ember.empty(*shape), a, mode, nonlinearity))
    assert abs(n.std() / std - 1) < 0.02


def test_kaiming_on_zero_element_tensor_warns():
    with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
        init.kaiming_uniform_(ember.empty(0, 3))


@pytest.mark.parametrize("shape", [(6, 6), (4, 10), (10, 4), (3, 4, 2)])
def test_orthogonal(shape):
    q = init.orthogonal_(ember.empty(*shape), gain=2.0).numpy().reshape(shape[0], -1).astype(np.float64)
    rows, cols = q.shape
    gram = q @ q.T if rows <= cols else q.T @ q
    np.testing.assert_allclose(gram, 4.0 * np.eye(min(rows, cols)), atol=1e-5)


def test_orthogonal_is_sign_corrected_so_columns_are_unbiased():
    # without the sign correction, the first entry of each column would follow the sign of R's diagonal
    first_entries = [init.orthogonal_(ember.empty(3, 3))[0, 0].item() for _ in range(400)]
    assert 0.4 < np.mean(np.array(first_entries) > 0) < 0.6


def test_sparse_zeroes_a_fraction_of_each_column():
    w = init.sparse_(ember.empty(10, 300), sparsity=0.25, std=0.5).numpy()
    np.testing.assert_array_equal((w == 0).sum(axis=0), np.full(300, 3))  # ceil(0.25 * 10)
    assert abs(w[w != 0].std() - 0.5) < 0.03
    with pytest.raises(ValueError, match="Only tensors with 2 dimensions are supported"):
        init.sparse_(ember.empty(3, 3, 3), 0.1)


def test_generator_makes_draws_reproducible():
    def draw(seed):
        g = ember.Generator().manual_seed(seed)
        return [
            fn(ember.empty(5, 4), generator=g).numpy().copy()
            for fn in (
                init.uniform_,
                init.normal_,
                init.trunc_normal_,
                init.xavier_uniform_,
                init.kaiming_normal_,
                init.orthogonal_,
            )
        ]

    for x, y in zip(draw(3), draw(3)):
        np.testing.assert_array_equal(x, y)
    assert not np.array_equal(draw(3)[0], draw(4)[0])


def test_manual_seed_makes_module_init_reproducible():
    ember.manual_seed(11)
    a = ember.nn.Linear(5, 3).weight.detach().numpy().copy()
    ember.manual_seed(11)
    np.testing.assert_array_equal(ember.nn.Linear(5, 3).weight.detach().numpy(), a)


def test_float64_tensor_keeps_its_dtype():
    w = init.kaiming_uniform_(ember.empty(4, 4, dtype=ember.float64))
    assert w.dtype is ember.float64


def test_deprecated_aliases_warn():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        init.xavier_uniform(ember.empty(3, 3))
    assert any("nn.init.xavier_uniform_" in str(w.message) for w in caught)
