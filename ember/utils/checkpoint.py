"""torch.utils.checkpoint: trade compute for memory by running a function's forward again in backward.

use_reentrant=True (torch's old default): the function runs under no_grad, as one autograd.Function
node; its backward runs the function again with grad on and calls backward through that graph.
use_reentrant=False: the graph is recorded as usual, but the tensors its ops save for backward are
dropped (saved_tensors_hooks) and recomputed, all at once, the first time backward needs one.
Either way, the RNG state of the forward is restored for the rerun (preserve_rng_state=True).
"""

import contextlib
import warnings

from .. import autograd
from ..autograd import graph
from .._tensor import Tensor

__all__ = ["checkpoint", "checkpoint_sequential", "CheckpointError", "noop_context_fn"]


class CheckpointError(RuntimeError):
    pass


def noop_context_fn():
    return contextlib.nullcontext(), contextlib.nullcontext()


_REENTRANT_WARNING = (
    "the use_reentrant parameter should be passed explicitly. Starting in PyTorch 2.9, calling "
    "checkpoint without use_reentrant will raise an exception. use_reentrant=False is recommended, "
    "but if you need to preserve the current default behavior, you can pass use_reentrant=True. "
    "Refer to docs for more details on the differences between the two variants."
)


def checkpoint(
    function,
    *args,
    use_reentrant=None,
    context_fn=noop_context_fn,
    determinism_check="default",
    debug=False,
    early_stop=True,
    **kwargs,
):
    if use_reentrant is None:
        warnings.warn("torch.utils.checkpoint: " + _REENTRANT_WARNING, stacklevel=2)
        use_reentrant = True
    preserve = kwargs.pop("preserve_rng_state", True)
    if use_reentrant:
        if kwargs:
            raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
        if context_fn is not noop_context_fn or debug is not False:
            raise ValueError("Passing `context_fn` or `debug` is only supported when use_reentrant=False.")
        return CheckpointFunction.apply(function, preserve, *args)
    if determinism_check not in ("default", "none"):
        raise ValueError(f"determinism_check should be one of ['default', 'none'], but got {determinism_check}")
    return _checkpoint_recording(function, preserve, context_fn, determinism_check, args, kwargs)


def _rng_state():
    from ..ops.creation import default_generator

    return default_generator.get_state()


@contextlib.contextmanager
def _rng_of_the_forward(state):
    """Run with the RNG as it was in the forward; leave it as it was before."""
    if state is None:
        yield
        return
    from ..ops.creation import default_generator

    now = default_generator.get_state()
    default_generator.set_state(state)
    try:
        yield
    finally:
        default_generator.set_state(now)


class CheckpointFunction(autograd.Function):
    @staticmethod
    def forward(ctx, run_function, preserve_rng_state, *args):
        if not any(isinstance(a, Tensor) and a.requires_grad for a in args):
            warnings.warn("None of the inputs have requires_grad=True. Gradients will be None", stacklevel=2)
        ctx.run_function = run_function
        ctx.rng_state = _rng_state() if preserve_rng_state else None
        ctx.tensor_indices = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        ctx.inputs = [None if isinstance(a, Tensor) else a for a in args]
        ctx.save_for_backward(*[a for a in args if isinstance(a, Tensor)])
        return run_function(*args)

    @staticmethod
    def backward(ctx, *grads):
        if graph._capturing:
            raise RuntimeError(
                "When use_reentrant=True, torch.utils.checkpoint is incompatible with .grad() or "
                "passing an `inputs` parameter to .backward(). To resolve this error, you can either "
                "set use_reentrant=False, or call .backward() without passing the `inputs` argument."
            )
        inputs = list(ctx.inputs)
        for i, t in zip(ctx.tensor_indices, ctx.saved_tensors):
            inputs[i] = t.detach().requires_grad_(t.requires_grad)
        with _rng_of_the_forward(ctx.rng_state), autograd.enable_grad():
            outputs = ctx.run_function(*inputs)
        outputs = outputs if isinstance(outputs, tuple) else (outputs,)
        pairs = [(o, g) for o, g in zip(outputs, grads) if isinstance(o, Tensor) and o.requires_grad]
        if not pairs:
            raise RuntimeError("none of output has requires_grad=True, this checkpoint() is not necessary")
        autograd.backward([o for o, _ in pairs], [g for _, g in pairs])
        return (None, None) + tuple(a.grad if isinstance(a, Tensor) else None for a in inputs)


def _checkpoint_recording(function, preserve, context_fn, determinism_check, args, kwargs):
    rng_state = _rng_state() if preserve else None
    originals = []  # what each saved tensor looked like (shape, dtype, device)
    recomputed = {}

    def pack(tensor):
        originals.append((tuple(tensor.shape), tensor.dtype, tensor.device))
        return len(originals) - 1

    def recompute():
        values = []

        def keep(tensor):
            values.append(tensor.detach())
            return None

        _, recompute_context = context_fn()
        with (
            graph.saved_tensors_hooks(keep, _never_unpacked),
            _rng_of_the_forward(rng_state),
            autograd.enable_grad(),
            recompute_context,
        ):
            function(*args, **kwargs)
        if len(values) < len(originals):
            raise CheckpointError(
                "torch.utils.checkpoint: the recomputation saved fewer tensors than the original "
                f"forward pass ({len(values)} instead of {len(originals)}): the function must run "
                "the same ops when it runs again."
            )
        if determinism_check == "default":
            wrong = [i for i, (v, o) in enumerate(zip(values, originals)) if (tuple(v.shape), v.dtype, v.device) != o]
            if wrong:
                raise CheckpointError(
                    "torch.utils.checkpoint: Recomputed values for the following tensors have different metadata "
                    "than during the forward pass.\n"
                    + "\n".join(
                        f"tensor at position {i}:\nsaved metadata: {originals[i]}\nrecomputed metadata: "
                        f"{(tuple(values[i].shape), values[i].dtype, values[i].device)}"
                        for i in wrong
                    )
                )
        recomputed.update(enumerate(values[: len(originals)]))

    def unpack(index):
        if index not in recomputed:
            recompute()
        return recomputed[index]

    forward_context, _ = context_fn()
    with graph.saved_tensors_hooks(pack, unpack), forward_context:
        return function(*args, **kwargs)


def _never_unpacked(_):
    raise CheckpointError("torch.utils.checkpoint: a tensor saved during recomputation was used in backward")


def checkpoint_sequential(functions, segments, input, use_reentrant=None, **kwargs):
    """Run `functions` (a Sequential or a list of modules) in `segments` pieces, checkpointing all but the last."""
    from ..nn import Sequential

    if use_reentrant is None:
        warnings.warn("torch.utils.checkpoint.checkpoint_sequential: " + _REENTRANT_WARNING, stacklevel=2)
        use_reentrant = True
    preserve = kwargs.pop("preserve_rng_state", True)
    if kwargs:
        raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
    if isinstance(functions, Sequential):
        functions = list(functions.children())

    def run(start, end):
        def forward(x):
            for j in range(start, end + 1):
                x = functions[j](x)
            return x

        return forward

    size = len(functions) // segments
    end = -1
    for start in range(0, size * (segments - 1), size):
        end = start + size - 1
        input = checkpoint(run(start, end), input, use_reentrant=use_reentrant, preserve_rng_state=preserve)
    return run(end + 1, len(functions) - 1)(input)
