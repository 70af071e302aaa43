"""torch.random: the default generator's seeding and state, and fork_rng."""

import contextlib

from .ops.creation import (
    Generator,
    default_generator,
    get_rng_state,
    initial_seed,
    manual_seed,
    seed,  # noqa: F401
    set_rng_state,
)


@contextlib.contextmanager
def fork_rng(devices=None, enabled=True, _caller="fork_rng", _devices_kw="devices", device_type="cuda"):
    """Run the block and then put the default generator back where it was: its CPU stream, and its CUDA streams
    (inside the block those start afresh from the seed; after it they continue from where they were)."""
    if not enabled:
        yield
        return
    cpu_state = get_rng_state()
    device_streams = default_generator._device_rngs
    default_generator._device_rngs = {}
    try:
        yield
    finally:
        set_rng_state(cpu_state)
        default_generator._device_rngs = device_streams
