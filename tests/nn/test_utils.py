"""nn.utils against torch: clip_grad_norm_ / clip_grad_value_, parameters_to_vector and back, and
the rnn packing helpers (values, batch sizes, index permutations and gradients)."""

import math
import warnings

import numpy as np
import pytest

import ember
import ember.nn.utils as e_utils
from ember.nn.utils import rnn as e_rnn

torch = pytest.importorskip("torch")
t_utils = torch.nn.utils
t_rnn = torch.nn.utils.rnn

RTOL, ATOL = 1e-5, 1e-6


def make_params(T, scale=1.0, seed=0, with_missing_grad=True):
    rng = np.random.default_rng(seed)
    shapes = [(4, 3), (3,), (2, 2, 2), (5,)]
    params = []
    for i, shape in enumerate(shapes):
        p = T.nn.Parameter(T.tensor(rng.standard_normal(shape).astype(np.float32)))
        g = (rng.standard_normal(shape) * scale).astype(np.float32)
        if not (with_missing_grad and i == 3):
            p.grad = T.tensor(g)
        params.append(p)
    return params


def grads_np(params):
    return [None if p.grad is None else p.grad.numpy().copy() for p in params]


@pytest.mark.parametrize("norm_type", [2, 2.0, 1, math.inf, 3.5, -math.inf, 0])
@pytest.mark.parametrize("max_norm", [0.5, 1e3])
def test_clip_grad_norm_matches_torch(norm_type, max_norm):
    t_params, e_params = make_params(torch), make_params(ember)
    t_total = t_utils.clip_grad_norm_(t_params, max_norm, norm_type=norm_type)
    e_total = e_utils.clip_grad_norm_(e_params, max_norm, norm_type=norm_type)
    assert isinstance(e_total, ember.Tensor) and e_total.shape == () and e_total.dtype == ember.float32
    np.testing.assert_allclose(e_total.numpy(), t_total.numpy(), rtol=RTOL, atol=ATOL)
    for e, t in zip(grads_np(e_params), grads_np(t_params)):
        if t is None:
            assert e is None
        else:
            np.testing.assert_allclose(e, t, rtol=RTOL, atol=ATOL)


def test_clip_grad_norm_single_tensor_and_generator():
    t_p, e_p = make_params(torch)[0], make_params(ember)[0]
    np.testing.assert_allclose(
        e_utils.clip_grad_norm_(e_p, 0.1).numpy(), t_utils.clip_grad_norm_(t_p, 0.1).numpy(), rtol=RTOL
    )
    np.testing.assert_allclose(e_p.grad.numpy(), t_p.grad.numpy(), rtol=RTOL, atol=ATOL)
    t_params, e_params = make_params(torch), make_params(ember)
    t_total = t_utils.clip_grad_norm_((p for p in t_params), 0.3)
    e_total = e_utils.clip_grad_norm_((p for p in e_params), 0.3)
    np.testing.assert_allclose(e_total.numpy(), t_total.numpy(), rtol=RTOL)
    with pytest.warns(UserWarning, match="empty generator"):
        total = e_utils.clip_grad_norm_((p for p in []), 1.0)
    assert float(total) == 0.0


def test_clip_grad_norm_leaves_small_grads_untouched():
    e_params = make_params(ember, scale=1e-3)
    before = grads_np(e_params)
    e_utils.clip_grad_norm_(e_params, 10.0)
    for a, b in zip(grads_np(e_params), before):
        if b is not None:
            np.testing.assert_array_equal(a, b)


def test_clip_grad_norm_nonfinite():
    t_params, e_params = make_params(torch), make_params(ember)
    t_params[0].grad[0, 0] = float("inf")
    e_params[0].grad._data[0, 0] = np.inf
    with pytest.raises(RuntimeError, match="The total norm of order 2.0 for gradients from `parameters` is non-finite"):
        e_utils.clip_grad_norm_(e_params, 1.0, error_if_nonfinite=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t_total = t_utils.clip_grad_norm_(t_params, 1.0)
        e_total = e_utils.clip_grad_norm_(e_params, 1.0)
    assert math.isinf(float(e_total)) and math.isinf(float(t_total))
    for e, t in zip(grads_np(e_params), grads_np(t_params)):
        if t is not None:
            np.testing.assert_array_equal(np.isnan(e), np.isnan(t))
            np.testing.assert_allclose(e[~np.isnan(e)], t[~np.isnan(t)])


def test_get_total_norm_and_clip_grads_with_norm():
    t_params, e_params = make_params(torch), make_params(ember)
    t_grads = [p.grad for p in t_params if p.grad is not None]
    e_grads = [p.grad for p in e_params if p.grad is not None]
    t_total, e_total = t_utils.get_total_norm(t_grads, 1.0), e_utils.get_total_norm(e_grads, 1.0)
    np.testing.assert_allclose(e_total.numpy(), t_total.numpy(), rtol=RTOL)
    t_utils.clip_grads_with_norm_(t_params, 2.0, t_total)
    e_utils.clip_grads_with_norm_(e_params, 2.0, e_total)
    for e, t in zip(grads_np(e_params), grads_np(t_params)):
        if t is not None:
            np.testing.assert_allclose(e, t, rtol=RTOL, atol=ATOL)


def test_clip_grad_value_matches_torch():
    t_params, e_params = make_params(torch), make_params(ember)
    assert e_utils.clip_grad_value_(e_params, 0.7) is None
    t_utils.clip_grad_value_(t_params, 0.7)
    for e, t in zip(grads_np(e_params), grads_np(t_params)):
        if t is not None:
            np.testing.assert_array_equal(e, t)
            assert np.abs(e).max() <= 0.7


def test_parameters_to_vector_and_back():
    t_params, e_params = make_params(torch), make_params(ember)
    t_vec, e_vec = t_utils.parameters_to_vector(t_params), e_utils.parameters_to_vector(e_params)
    np.testing.assert_array_equal(e_vec.detach().numpy(), t_vec.detach().numpy())
    assert e_vec.requires_grad and e_vec.shape == (28,)
    e_vec.sum().backward()  # differentiable, as torch.cat
    assert e_params[0].grad is not None

    new = np.arange(28, dtype=np.float32)
    t_utils.vector_to_parameters(torch.tensor(new), t_params)
    e_utils.vector_to_parameters(ember.tensor(new), e_params)
    for e, t in zip(e_params, t_params):
        assert tuple(e.shape) == tuple(t.shape)
        np.testing.assert_array_equal(e.detach().numpy(), t.detach().numpy())
    with pytest.raises(TypeError, match="expected torch.Tensor"):
        e_utils.vector_to_parameters([1.0], e_params)


# --- rnn utilities ------------------------------------------------------------------------------------
LENGTHS = [5, 3, 3, 1]
LENGTHS_UNSORTED = [2, 5, 1, 4, 4]


def padded_input(batch_first, lengths, features=3, seed=0):
    rng = np.random.default_rng(seed)
    steps, batch = max(lengths), len(lengths)
    shape = (batch, steps, features) if batch_first else (steps, batch, features)
    return rng.standard_normal(shape).astype(np.float32)


def assert_packed_equal(e_packed, t_packed):
    np.testing.assert_array_equal(e_packed.data.detach().numpy(), t_packed.data.detach().numpy())
    np.testing.assert_array_equal(e_packed.batch_sizes.numpy(), t_packed.batch_sizes.numpy())
    assert e_packed.batch_sizes.dtype == ember.int64
    for e, t in (
        (e_packed.sorted_indices, t_packed.sorted_indices),
        (e_packed.unsorted_indices, t_packed.unsorted_indices),
    ):
        assert (e is None) == (t is None)
        if t is not None:
            np.testing.assert_array_equal(e.numpy(), t.numpy())


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("lengths, enforce_sorted", [(LENGTHS, True), (LENGTHS_UNSORTED, False)])
def test_pack_and_pad_round_trip_with_gradients(batch_first, lengths, enforce_sorted):
    x = padded_input(batch_first, lengths)
    t_x, e_x = torch.tensor(x, requires_grad=True), ember.tensor(x, requires_grad=True)
    t_packed = t_rnn.pack_padded_sequence(t_x, torch.tensor(lengths), batch_first, enforce_sorted)
    e_packed = e_rnn.pack_padded_sequence(e_x, lengths, batch_first, enforce_sorted)
    assert_packed_equal(e_packed, t_packed)

    t_out, t_len = t_rnn.pad_packed_sequence(t_packed, batch_first, padding_value=-1.5, total_length=7)
    e_out, e_len = e_rnn.pad_packed_sequence(e_packed, batch_first, padding_value=-1.5, total_length=7)
    np.testing.assert_array_equal(e_out.detach().numpy(), t_out.detach().numpy())
    np.testing.assert_array_equal(e_len.numpy(), t_len.numpy())

    w = np.random.default_rng(1).standard_normal(tuple(t_out.shape)).astype(np.float32)
    (t_out * torch.tensor(w)).sum().backward()
    (e_out * ember.tensor(w)).sum().backward()
    np.testing.assert_allclose(e_x.grad.numpy(), t_x.grad.numpy(), rtol=RTOL, atol=ATOL)


def test_pack_padded_sequence_errors():
    x = ember.tensor(padded_input(False, LENGTHS_UNSORTED))
    with pytest.raises(RuntimeError, match="must be sorted in decreasing order"):
        e_rnn.pack_padded_sequence(x, LENGTHS_UNSORTED)
    with pytest.raises(RuntimeError, match="Length of all samples has to be greater than 0"):
        e_rnn.pack_padded_sequence(ember.tensor(padded_input(False, [3, 0])), [3, 0])
    packed = e_rnn.pack_padded_sequence(ember.tensor(padded_input(False, LENGTHS)), LENGTHS)
    with pytest.raises(ValueError, match="Expected total_length to be at least the length of the longest"):
        e_rnn.pad_packed_sequence(packed, total_length=2)


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("padding_side", ["right", "left"])
def test_pad_sequence_matches_torch(batch_first, padding_side):
    rng = np.random.default_rng(3)
    arrays = [rng.standard_normal((n, 2)).astype(np.float32) for n in (3, 5, 1)]
    t_seqs = [torch.tensor(a, requires_grad=True) for a in arrays]
    e_seqs = [ember.tensor(a, requires_grad=True) for a in arrays]
    t_out = t_rnn.pad_sequence(t_seqs, batch_first, padding_value=9.0, padding_side=padding_side)
    e_out = e_rnn.pad_sequence(e_seqs, batch_first, padding_value=9.0, padding_side=padding_side)
    np.testing.assert_array_equal(e_out.detach().numpy(), t_out.detach().numpy())
    w = rng.standard_normal(tuple(t_out.shape)).astype(np.float32)
    (t_out * torch.tensor(w)).sum().backward()
    (e_out * ember.tensor(w)).sum().backward()
    for e, t in zip(e_seqs, t_seqs):
        np.testing.assert_allclose(e.grad.numpy(), t.grad.numpy(), rtol=RTOL, atol=ATOL)


def test_pack_sequence_unpack_and_unpad():
    rng = np.random.default_rng(4)
    arrays = [rng.standard_normal(n).astype(np.float32) for n in (2, 4, 3)]
    t_packed = t_rnn.pack_sequence([torch.tensor(a) for a in arrays], enforce_sorted=False)
    e_packed = e_rnn.pack_sequence([ember.tensor(a) for a in arrays], enforce_sorted=False)
    assert_packed_equal(e_packed, t_packed)
    for e, a in zip(e_rnn.unpack_sequence(e_packed), arrays):
        np.testing.assert_array_equal(e.numpy(), a)
    padded = e_rnn.pad_sequence([ember.tensor(a) for a in arrays])
    for e, a in zip(e_rnn.unpad_sequence(padded, ember.tensor([2, 4, 3])), arrays):
        np.testing.assert_array_equal(e.numpy(), a)


def test_packed_sequence_is_a_namedtuple_with_conversions():
    packed = e_rnn.pack_sequence([ember.tensor([1.0, 2.0]), ember.tensor([3.0])])
    data, batch_sizes, sorted_indices, unsorted_indices = packed
    assert sorted_indices is None and unsorted_indices is None
    assert packed.double().data.dtype == ember.float64
    assert packed.double().batch_sizes is packed.batch_sizes
    assert packed.to(ember.float32) is packed
    assert not packed.is_cuda
    np.testing.assert_array_equal(e_rnn.invert_permutation(ember.tensor([2, 0, 1])).numpy(), [1, 2, 0])
