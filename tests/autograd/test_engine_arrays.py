"""The engine's array mode (backward without create_graph): gradients flow as arrays, and a leaf takes a
fresh gradient array as its .grad without a copy only when nothing else holds it."""

import weakref

import numpy as np
import pytest

import ember
from oracle import torch


def _leaves(n=2, size=4):
    return [ember.tensor(np.linspace(-1, 1, size, dtype=np.float32) + i, requires_grad=True) for i in range(n)]


def test_one_gradient_sent_to_two_leaves_is_not_shared():
    a, b = _leaves()
    (a + b).sum().backward()  # AddBackward0 hands the same array to both accumulators
    assert not np.shares_memory(a.grad.numpy(), b.grad.numpy())
    a.grad.add_(1)
    np.testing.assert_array_equal(b.grad.numpy(), np.ones(4, np.float32))


def test_a_leaf_used_twice_sums_its_gradients():
    (a,) = _leaves(1)
    (a * a + a).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), 2 * a.detach().numpy() + 1, rtol=1e-6)


class _Fixed(ember.autograd.Function):
    """Backward returns a new tensor of twos; `kept` collects weak (or, if keep=True, strong) references."""

    kept = []

    @staticmethod
    def forward(ctx, x, keep):
        ctx.keep = keep
        return x * 1

    @staticmethod
    def backward(ctx, g):
        out = ember.full(g.shape, 2.0)
        _Fixed.kept.append(out if ctx.keep else weakref.ref(out._data))
        return out, None


def test_a_fresh_gradient_becomes_grad_without_a_copy():
    _Fixed.kept.clear()
    (x,) = _leaves(1)
    _Fixed.apply(x, False).sum().backward()
    assert _Fixed.kept[0]() is x.grad._data


def test_a_gradient_someone_keeps_is_copied():
    _Fixed.kept.clear()
    (x,) = _leaves(1)
    _Fixed.apply(x, True).sum().backward()
    kept = _Fixed.kept[0]
    assert not np.shares_memory(kept.numpy(), x.grad.numpy())
    x.grad.zero_()
    np.testing.assert_array_equal(kept.numpy(), np.full(4, 2.0, np.float32))


class _ViewOfKept(ember.autograd.Function):
    """Backward returns a whole-array, contiguous view of an array it also keeps."""

    kept = []

    @staticmethod
    def forward(ctx, x):
        return x * 1

    @staticmethod
    def backward(ctx, g):
        base = np.full(tuple(g.shape), 2.0, np.float32)
        _ViewOfKept.kept.append(base)
        return ember.from_numpy(base[...])


def test_a_view_of_an_array_someone_keeps_is_copied():
    _ViewOfKept.kept.clear()
    x = ember.zeros(3, 4, requires_grad=True)
    _ViewOfKept.apply(x).sum().backward()
    assert not np.shares_memory(_ViewOfKept.kept[0], x.grad.numpy())


def test_a_linear_weight_gradient_is_made_in_place_of_a_copy():
    # Addmm makes W's gradient as (g.T @ x).T, so after TBackward it is a whole contiguous array
    layer = ember.nn.Linear(5, 3)
    x = ember.ones(4, 5)
    layer(x).sum().backward()
    assert layer.weight.grad.numpy().flags.c_contiguous
    np.testing.assert_allclose(layer.weight.grad.numpy(), np.full((3, 5), 4.0, np.float32))


def test_a_hooked_gradient_is_copied():
    (x,) = _leaves(1)
    seen = []
    x.register_hook(lambda g: seen.append(g))
    (x * 3).sum().backward()
    assert not np.shares_memory(seen[0].numpy(), x.grad.numpy())


def test_gradients_accumulate_into_a_taken_array():
    (x,) = _leaves(1)
    for _ in range(3):
        (x * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.full(4, 9.0, np.float32))


def test_array_mode_equals_the_tensor_mode_of_create_graph():
    rng = np.random.default_rng(0)
    model = ember.nn.Sequential(ember.nn.Linear(5, 7), ember.nn.Tanh(), ember.nn.Linear(7, 3))
    x = ember.tensor(rng.standard_normal((6, 5)).astype(np.float32))
    y = ember.tensor(rng.integers(0, 3, 6))
    loss_fn = ember.nn.CrossEntropyLoss()
    loss_fn(model(x), y).backward()
    by_arrays = [p.grad.numpy().copy() for p in model.parameters()]
    by_tensors = ember.autograd.grad(loss_fn(model(x), y), list(model.parameters()), create_graph=True)
    for a, t in zip(by_arrays, by_tensors):
        np.testing.assert_allclose(a, t.detach().numpy(), rtol=1e-6, atol=1e-7)


def test_a_zero_dim_leaf_used_twice_gets_an_array_gradient():
    # two 0-d gradients summed by NumPy give a NumPy scalar, which an in-place op could not write into
    results = {}
    for T in (ember, torch):
        x = T.tensor(2.0, requires_grad=True)
        (x * x + x * 3).backward()
        x.grad.add_(1)
        results[T.__name__] = x.grad.numpy()
    assert isinstance(results["ember"], np.ndarray) and results["ember"].shape == ()
    np.testing.assert_array_equal(results["ember"], results["torch"])


_SHAPES = [(), (3,), (2, 3), (1, 3), (2, 1)]
_GRAPHS = {
    "mul-add": lambda a, b: a * b + a,
    "div": lambda a, b: (a - b) / (b * b + 1),
    "unary": lambda a, b: (a * 2).exp() * b.tanh() + (a / 3).log1p().neg() * b.square(),
    "reductions": lambda a, b: a.sum() * b + a.mean(),
    "kinks": lambda a, b: (
        ember.nn.functional.leaky_relu(a * b - 1, 0.1)
        + (a - b).relu()
        + ember.nn.functional.hardtanh(a - b) * ember.nn.functional.threshold(b, 0.5, 0.25)
    ),
    "views": lambda a, b: (a.unsqueeze(0) * b).sum(0) + a.reshape(-1).sum(),
}


@pytest.mark.parametrize("graph", list(_GRAPHS))
@pytest.mark.parametrize(
    "sa,sb", [(sa, sb) for sa in _SHAPES for sb in _SHAPES if sa == sb or () in (sa, sb) or 1 in sa + sb]
)
def test_array_mode_equals_tensor_mode_over_shapes(graph, sa, sb):
    """0-d, broadcast and repeated leaves: the array walk gives the Tensor walk's gradients, as arrays."""
    fn = _GRAPHS[graph]
    rng = np.random.default_rng(1)
    A, B = rng.uniform(0.1, 2, sa).astype(np.float32), rng.uniform(0.1, 2, sb).astype(np.float32)

    def leaves():
        return ember.tensor(A, requires_grad=True), ember.tensor(B, requires_grad=True)

    a, b = leaves()
    by_tensors = ember.autograd.grad((fn(a, b) ** 2).sum(), [a, b], create_graph=True)
    a, b = leaves()
    (fn(a, b) ** 2).sum().backward()
    for leaf, expected in zip((a, b), by_tensors):
        assert type(leaf.grad._data) is np.ndarray and leaf.grad.dtype == ember.float32
        np.testing.assert_allclose(leaf.grad.numpy(), expected.detach().numpy(), rtol=1e-5, atol=1e-6)
