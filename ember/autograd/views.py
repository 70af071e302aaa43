"""In-place writes through views, as torch's view tracking: a view made by a view op keeps its base
(`_base`) and the version it last agreed with (`_view_version`).

An in-place op on a view rewrites the history of the base: the base's new node is a CopySlices whose
gradient is the old base's outside the view and the op's inside it. A view whose memory was written
since it last agreed with its base (through the base, itself or another view) takes its history
from the base again, as an AsStridedBackward0 of the base's current node.
"""

import math

from .._backend import memory_layout, strided_positions
from .function import Op
from .grad_mode import state

NO_GRAD_VIEW = -1  # _view_version of a view made in no_grad mode: it never takes a history


class CopySlices(Op):
    """The base's node after an in-place op on one of its views: inputs (base before the write, the
    written values); the gradient inside the view goes to the values, the rest to the old base."""

    _node_name = "torch::autograd::CopySlices"

    @staticmethod
    def forward(ctx, base, values, view_layout):
        ctx.layouts = (memory_layout(base), view_layout)
        return base

    @staticmethod
    def backward(ctx, g):
        _, _, shape, strides, _ = ctx.layouts[1]
        if 0 not in shape and any(st == 0 and n > 1 for n, st in zip(shape, strides)):
            # torch writes the gradient back through the view, and refuses to write an expanded one
            raise RuntimeError(
                "unsupported operation: more than one element of the written-to tensor refers to "
                "a single memory location. Please clone() the tensor before performing the "
                "operation."
            )
        positions = _positions(ctx.layouts, g)
        flat = g.reshape(-1)
        outside = flat.index_fill(0, positions.reshape(-1), 0).reshape(g.shape) if ctx.needs_input_grad[0] else None
        inside = flat.take(positions) if ctx.needs_input_grad[1] else None
        return outside, inside, None


def _positions(layouts, like):
    from ..ops.creation import tensor

    positions = strided_positions(*layouts)
    if positions.size and int(positions.min()) < 0:
        raise NotImplementedError(
            "as_strided: the view reaches memory outside its input; ember differentiates a "
            "strided view only over its input's elements"
        )
    return tensor(positions, device=like.device)


def strided_view_backward(g, base_shape, layouts):
    """The gradient of a strided view (as_strided, unfold, a regenerated view) for its base: each
    element's gradient added into the base element it shares memory with."""
    from ..ops.creation import zeros

    positions = _positions(layouts, g)
    return (
        zeros(math.prod(base_shape), dtype=g.dtype, device=g.device)
        .index_add(0, positions.reshape(-1), g.reshape(-1))
        .reshape(base_shape)
    )


def sync_view(view):
    """Give a view whose memory was written since it last agreed with its base the base's history."""
    if view._view_version != NO_GRAD_VIEW:
        _take_history_from_base(view)


def _take_history_from_base(view, written=False):
    base = view._base
    if not base._requires_grad:
        view._view_version = view._version_counter[0]
        view._grad_fn, view._requires_grad = None, False
        return
    multi = getattr(view, "_multi_output_view", None)
    if multi is not None and not written:
        raise RuntimeError(
            f"Output {multi[1]} of {multi[0]} is a view and its base or another view of its base has "
            "been modified inplace. This view is the output of a function that returns multiple views. "
            "Such functions do not allow the output views to be modified inplace. You should replace "
            "the inplace operation by an out-of-place one."
        )
    view._view_version = view._version_counter[0]
    from ..ops.shape import AsStrided

    prev = state.enabled
    state.enabled = True  # the history is the view's whatever the grad mode it is read in
    try:
        regenerated = AsStrided.apply(base, view._data)
    finally:
        state.enabled = prev
    view._grad_fn, view._output_nr, view._requires_grad = regenerated._grad_fn, 0, True


def rebase(view, values):
    """After `values` (a Tensor with its own history) was written into `view`'s memory: the base takes a
    CopySlices node and the view its history from the base."""
    base = view._base
    node = CopySlices.apply(base, values, memory_layout(view._data))._grad_fn
    base._grad_fn, base._output_nr, base._requires_grad = node, 0, True
    _take_history_from_base(view, written=True)


def check_inplace(tensor):
    """torch's checks before an in-place op that records a graph."""
    ver = tensor._view_version
    if ver is not None:
        base = tensor._base
        if ver == NO_GRAD_VIEW:
            raise RuntimeError(
                "A view was created in no_grad mode and is being modified inplace with grad mode enabled. Given "
                "that this use case is ambiguous and error-prone, it is forbidden. You can clarify your code by "
                "moving both the view and the inplace either both inside the no_grad block (if you don't want "
                "the inplace to be tracked) or both outside (if you want the inplace to be tracked)."
            )
        multi = getattr(tensor, "_multi_output_view", None)
        if multi is not None:
            raise RuntimeError(
                f"Output {multi[1]} of {multi[0]} is a view and is being modified inplace. This view is "
                "the output of a function that returns multiple views. Such functions do not allow "
                "the output views to be modified inplace. You should replace the inplace operation by "
                "an out-of-place one."
            )
        if base._requires_grad and base._grad_fn is None:
            raise RuntimeError(
                "a view of a leaf Variable that requires grad is being used in an in-place "
                "operation. (wrap the update in `with torch.no_grad():`, or clone() first)"
            )
    if tensor._requires_grad and tensor._grad_fn is None:
        raise RuntimeError(
            "a leaf Variable that requires grad is being used in an in-place operation. "
            "(wrap the update in `with torch.no_grad():`, or clone() the tensor first)"
        )
