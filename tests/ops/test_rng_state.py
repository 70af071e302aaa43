"""get_rng_state / set_rng_state and Generator.get_state / set_state: a state is a uint8 tensor of integers
(as torch's ByteTensor), restoring it continues the stream, and nothing in it can run code."""

import pickle

import numpy as np
import pytest
import torch

import ember


def _draws(generator=None):
    """One of each kind of draw, so that every part of the state (including a cached 32-bit half) matters."""
    return [
        ember.rand(5, generator=generator).tolist(),
        ember.randn(3, generator=generator).tolist(),
        ember.randint(0, 1000, (4,), generator=generator).tolist(),
        ember.randperm(6, generator=generator).tolist(),
    ]


def test_state_is_a_byte_tensor_like_torchs():
    state, theirs = ember.get_rng_state(), torch.get_rng_state()
    assert (state.dtype, state.dim(), state.requires_grad) == (ember.uint8, 1, False)
    assert (theirs.dtype, theirs.dim(), theirs.requires_grad) == (torch.uint8, 1, False)
    assert state.is_contiguous()


@pytest.mark.parametrize("warmup", [0, 1, 7])
def test_restoring_the_state_continues_the_stream(warmup):
    ember.manual_seed(123)
    for _ in range(warmup):
        _draws()
    state = ember.get_rng_state()
    expected = _draws()
    ember.manual_seed(999)
    _draws()
    ember.set_rng_state(state)
    assert _draws() == expected
    assert ember.initial_seed() == 123  # torch restores the seed with the state too


def test_state_after_a_32_bit_draw_keeps_the_cached_half():
    """numpy's PCG64 keeps half of a 64-bit output after a 32-bit draw: the state must carry it."""
    ember.manual_seed(5)
    ember.default_generator.rng.integers(0, 10, dtype=np.int32)
    assert ember.default_generator.rng.bit_generator.state["has_uint32"] == 1
    state = ember.get_rng_state()
    expected = ember.default_generator.rng.integers(0, 2**31, 8, dtype=np.int32).tolist()
    ember.manual_seed(6)
    ember.set_rng_state(state)
    assert ember.default_generator.rng.integers(0, 2**31, 8, dtype=np.int32).tolist() == expected


def test_generator_get_set_state():
    g = ember.Generator().manual_seed(7)
    state = g.get_state()
    expected = _draws(g)
    assert g.set_state(state) is g  # torch returns the generator
    assert _draws(g) == expected
    # a state moves between generators and leaves the default generator alone
    ember.manual_seed(1)
    default_next = ember.rand(3).tolist()
    ember.manual_seed(1)
    other = ember.Generator().set_state(state)
    assert _draws(other) == expected
    assert ember.rand(3).tolist() == default_next


def test_state_is_a_marker_and_integers_not_a_pickle():
    ember.manual_seed(3)
    state = ember.get_rng_state().numpy().tobytes()
    assert state[:12] == b"emberRNG" + (1).to_bytes(4, "little")  # marker, layout version
    inner = ember.default_generator.rng.bit_generator.state["state"]
    assert int.from_bytes(state[12:28], "little") == inner["state"]
    assert int.from_bytes(state[28:44], "little") == inner["inc"]
    assert int.from_bytes(state[44:52], "little") == 3


def test_a_2d_view_of_the_state_is_accepted_as_torch():
    ember.manual_seed(2)
    state = ember.get_rng_state()
    expected = ember.rand(4).tolist()
    ember.set_rng_state(state.reshape(1, -1))
    assert ember.rand(4).tolist() == expected


def test_wrong_type_and_dtype_raise_torch_errors():
    state = ember.get_rng_state()
    with pytest.raises(TypeError, match="expected a torch.ByteTensor, but got list") as ours:
        ember.set_rng_state(state.tolist())
    with pytest.raises(TypeError, match="expected a torch.ByteTensor, but got list") as theirs:
        torch.set_rng_state(torch.get_rng_state().tolist())
    assert type(ours.value) is type(theirs.value)
    with pytest.raises(TypeError, match="RNG state must be a torch.ByteTensor"):
        ember.set_rng_state(state.float())
    with pytest.raises(TypeError, match="RNG state must be a torch.ByteTensor"):
        torch.set_rng_state(torch.get_rng_state().float())
    with pytest.raises(TypeError, match="RNG state must be a torch.ByteTensor"):
        ember.Generator().set_state(state.to(ember.int64))


@pytest.mark.parametrize("size", [0, 10, -1, +1, 5056])
def test_wrong_size_raises_torchs_runtime_error(size):
    n = ember.get_rng_state().numel()
    size = n + size if size in (-1, 1) else size
    with pytest.raises(
        RuntimeError,
        match=f"Expected a CPUGeneratorImplState of size {n} but found the input RNG state size to be {size}",
    ):
        ember.set_rng_state(ember.zeros(size, dtype=ember.uint8))
    with pytest.raises(RuntimeError, match="Expected a CPUGeneratorImplState of size 5056 but found"):
        torch.set_rng_state(torch.zeros(size if size != 5056 else 10, dtype=torch.uint8))


def _corrupt(offset, value):
    data = bytearray(ember.get_rng_state().numpy().tobytes())
    data[offset] = value
    return ember.tensor(list(data), dtype=ember.uint8)


@pytest.mark.parametrize(
    "offset, value, problem",
    [
        (0, ord("x"), "does not start with ember's marker"),
        (8, 2, "its version is 2"),
        (12 + 16, 0, "PCG64 fields"),  # the low byte of the increment: even
        (12 + 16 + 16 + 8, 2, "PCG64 fields"),  # has_uint32 is a flag
    ],
)
def test_damaged_state_is_refused_and_the_generator_kept(offset, value, problem):
    ember.manual_seed(4)
    expected = ember.rand(3).tolist()
    ember.manual_seed(4)
    with pytest.raises(RuntimeError, match=f"Invalid RNG state: .*{problem}"):
        ember.set_rng_state(_corrupt(offset, value))
    assert ember.rand(3).tolist() == expected


class _Payload:
    """A pickle that calls a function when loaded: what the old pickled state would have run."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))


def test_a_crafted_state_cannot_run_code(tmp_path):
    marker = tmp_path / "ran"
    payload = pickle.dumps(_Payload(str(marker)))
    for data in (payload, payload.ljust(ember.get_rng_state().numel(), b".")):
        with pytest.raises(RuntimeError):
            ember.set_rng_state(ember.tensor(list(data), dtype=ember.uint8))
        with pytest.raises(RuntimeError):
            ember.Generator().set_state(ember.tensor(list(data), dtype=ember.uint8))
    assert not marker.exists()
    # the same bytes given to pickle do run code: the test can fail
    pickle.loads(payload).close()
    assert marker.exists()


def test_checkpointed_state_loads_with_weights_only_and_restores_the_stream(tmp_path):
    model = ember.nn.Linear(3, 2)
    ember.manual_seed(11)
    ember.rand(7)
    path = tmp_path / "ckpt.pt"
    ember.save({"model": model.state_dict(), "rng": ember.get_rng_state()}, path)
    expected = _draws()
    ember.manual_seed(0)
    checkpoint = ember.load(path, weights_only=True)
    ember.set_rng_state(checkpoint["rng"])
    assert _draws() == expected
    # torch reads it too, as a uint8 tensor
    assert torch.load(path, weights_only=True)["rng"].dtype == torch.uint8
