"""The autograd engine: graph nodes (grad_fn objects) and the reverse-mode walk over them.

Each node is the `ctx` of the op that made it: it keeps what backward needs and the edges
(`next_functions`) to the nodes of its inputs; leaves end in `AccumulateGrad`.
"""
import contextlib
import operator
import itertools
import sys
import weakref

import numpy as np

from .. import _tensor as _tensor_module     # half-initialised here: read .Tensor at call time
from .grad_mode import state, no_grad
from .._backend import is_half_precision as _is_half_precision

_sequence = itertools.count()
_SEQ = operator.attrgetter("_seq")
_ndarray = np.ndarray
_no_context = contextlib.nullcontext()

FREED_MESSAGE = (
    "Trying to backward through the graph a second time (or directly access saved tensors after they "
    "have already been freed). Saved intermediate values of the graph are freed when you call "
    ".backward() or autograd.grad(). Specify retain_graph=True if you need to backward through the "
    "graph a second time or if you need to access saved tensors after calling backward.")


class SavedTensor:
    """A tensor kept for backward, with the version it had, so that an in-place change is caught."""
    __slots__ = ("tensor", "version", "array", "output_nr", "vc")

    def __init__(self, tensor=None, array=None, output_nr=None, vc=None):
        self.tensor = tensor
        self.array = array
        self.output_nr = output_nr
        self.vc = vc if tensor is None else tensor._vc
        self.version = self.vc[0] if self.vc is not None else 0

    def unpack(self, node):
        Tensor = _tensor_module.Tensor
        if self.vc is not None and self.vc[0] != self.version:
            t = self.tensor
            shape = tuple(t.shape) if t is not None else self.array.shape
            what = (f"output {self.output_nr} of {node.name()}" if self.output_nr is not None
                    else "an input of " + node.name())
            raise RuntimeError(
                f"one of the variables needed for gradient computation has been modified by an inplace "
                f"operation: [tensor of shape {list(shape)}], which is {what}, is at version {self.vc[0]}; "
                f"expected version {self.version} instead. Hint: replace the in-place op (x.add_(...), "
                f"x[...] = ..., x += ...) by its out-of-place form, or clone() before modifying.")
        if self.tensor is not None:
            return self.tensor
        if self.output_nr is not None:      # rebuilt on use, so the node does not keep its output alive
            t = Tensor._make(self.array, True)
            t.grad_fn, t._output_nr, t._vc = node, self.output_nr, self.vc
            return t
        if not hasattr(self.array, "shape"):      # a Python scalar kept by the op
            return self.array
        return Tensor._make(self.array)

    def unpack_array(self, node):
        """The saved value as the engine's array mode hands it to a backward: the array itself."""
        if self.vc is not None and self.vc[0] != self.version:
            self.unpack(node)       # raises the in-place modification error
        return self.tensor._data if self.tensor is not None else self.array


class Node:
    """Base of every grad_fn. Subclasses provide `backward(ctx, *grads)`.

    `array_backward = True` marks a backward written so that it also runs on raw arrays (operators and
    array methods only, or an explicit branch): without create_graph the engine then calls it with
    arrays for the gradients and `saved_tensors` (while `_arrays` is set), skipping a Tensor wrapper and
    an op dispatch per operation. Such a backward must not write into the arrays it receives.
    """
    _node_name = None
    array_backward = False
    _arrays = False
    _out_meta = (None,)    # (shape, dtype, xp) per output, set when the node is recorded; a leaf's one output
    next_functions = ()
    _saved = None
    _hooks = None          # node post-hooks: fn(grad_inputs, grad_outputs)
    _out_hooks = None      # {output_nr: [tensor hooks]} from Tensor.register_hook on non-leaves
    _retained = None       # {output_nr: weakref(tensor)} from retain_grad()
    _freed = False

    def name(self):
        return self._node_name or type(self).__name__ + "Backward0"

    def __repr__(self):
        return f"<{self.name()} object at {hex(id(self))}>"

    # --- the ctx surface, shared by ember's ops and user autograd.Functions ---
    def save_for_backward(self, *items):
        self._to_save = items

    @property
    def saved_tensors(self):
        if self._freed:
            raise RuntimeError(FREED_MESSAGE)
        if self._arrays:
            return tuple(None if s is None else s.unpack_array(self) for s in (self._saved or ()))
        return tuple(None if s is None else s.unpack(self) for s in (self._saved or ()))

    def mark_non_differentiable(self, *outputs):
        self._non_diff = {id(o) for o in outputs}

    def mark_dirty(self, *tensors):
        pass

    def set_materialize_grads(self, value):
        self._materialize = value

    def register_hook(self, fn):
        if self._hooks is None:
            self._hooks = []
        self._hooks.append(fn)
        return _RemovableHandle(self._hooks, fn)

    def register_prehook(self, fn):
        return _prehook(self, fn)

    def _release(self):
        self._saved = None
        self._freed = True


def _prehook(node, fn):
    hooks = node.__dict__.setdefault("_pre_hooks", [])
    hooks.append(fn)
    return _RemovableHandle(hooks, fn)


class _RemovableHandle:
    def __init__(self, container, item):
        self._container, self._item = container, item

    def remove(self):
        if self._item in self._container:
            self._container.remove(self._item)


class AccumulateGrad(Node):
    """The node at a leaf: adds the incoming gradient into `variable.grad`."""
    _node_name = "AccumulateGrad"

    def __init__(self, variable):
        self.variable = variable
        self._seq = next(_sequence)
        self._in_meta = ()

    def accumulate(self, grad, create_graph):
        var = self.variable
        for hook in var._hooks or ():
            new = hook(grad)
            if new is not None:
                grad = new
        if var.grad is None:
            var.grad = grad if create_graph else grad.detach()._owned_copy()
        elif create_graph:
            var.grad = var.grad + grad
        else:
            var.grad._data += grad._data
        for hook in var._post_acc_hooks or ():
            hook(var)

    def accumulate_array(self, grad):
        """accumulate() for the engine's array mode (no create_graph)."""
        var = self.variable
        if var._hooks or var._post_acc_hooks:
            self.accumulate(_tensor_module.Tensor._make(grad), False)
        elif var.grad is None:
            var.grad = _tensor_module.Tensor._make(grad if _unshared(grad) else grad.copy())
        else:
            var.grad._data += grad


def _unshared(grad):
    """Whether a gradient array can become .grad without a copy, as torch's AccumulateGrad decides by
    use count: contiguous, and referenced only by the engine's `grads` list, the caller's argument and
    ours (4, with getrefcount's own); a view only if it spans its whole base and nothing else holds that
    base (as `(g.T @ x).T.T`, a weight's gradient made in its layout). Shared, hooked or kept ones are copied."""
    if type(grad) is not _ndarray or not grad.flags.c_contiguous or not grad.flags.writeable or \
            sys.getrefcount(grad) > 4:
        return False
    base = grad.base
    if base is None:
        return True
    return type(base) is _ndarray and base.base is None and base.nbytes == grad.nbytes and \
        sys.getrefcount(base) <= 3      # grad.base, our local, getrefcount's argument


def accumulator_of(tensor):
    acc = tensor._acc_ref() if tensor._acc_ref is not None else None
    if acc is None:
        acc = AccumulateGrad(tensor)
        tensor._acc_ref = weakref.ref(acc)
    return acc


def edge_of(tensor):
    """(node, output_nr) that a gradient for `tensor` flows into; (None, 0) if none is needed."""
    if not tensor.requires_grad:
        return (None, 0)
    if tensor.grad_fn is not None:
        return (tensor.grad_fn, tensor._output_nr)
    return (accumulator_of(tensor), 0)


def _zeros_for(meta):
    Tensor = _tensor_module.Tensor
    shape, np_dtype, xp = meta
    return Tensor._make(xp.zeros(shape, np_dtype))


def _reduce_to_input(grad, meta):
    """The engine, not each op, sums a broadcast gradient back to the input's shape and dtype."""
    shape, np_dtype, _ = meta
    if grad._data.shape != shape:
        grad = grad.sum_to_size(shape)
    if grad._data.dtype != np_dtype:
        grad = grad.to(np_dtype)
    return grad


_final_callbacks = []


def queue_callback(fn):
    """Run fn() once the current backward pass has finished (DistributedDataParallel uses it)."""
    _final_callbacks.append(fn)


def run_backward(roots, root_grads, retain_graph, create_graph, capture=None, accumulate=True):
    """Walk the graph from `roots` (Tensors) backwards.

    capture: {(node, output_nr): index} of gradients to return instead of accumulating
    (autograd.grad); returns the list of captured gradients.

    Without create_graph (and outside anomaly mode) gradients flow between nodes as raw arrays: the
    walk is the same, but no Tensor is built for an intermediate gradient (see Node.array_backward).
    """
    arrays = not create_graph and not state.anomaly
    call_node = _call_node_arrays if arrays else _call_node
    captured = [None] * (len(capture) if capture else 0)
    buffers = {}
    root_nodes = []
    for t, g in zip(roots, root_grads):
        node, nr = edge_of(t)
        if node is None:
            raise RuntimeError("element 0 of tensors does not require grad and does not have a grad_fn")
        if arrays:
            g = g._data
        buf = buffers.get(node)
        if buf is None:
            buf = buffers[node] = [None] * len(node._out_meta)
        buf[nr] = g if buf[nr] is None else _sum(buf[nr], g)
        if node not in root_nodes:
            root_nodes.append(node)
    # every node reachable from the roots. A gradient flows from a node to the nodes of its inputs, which
    # were all numbered (_seq) before it, so visiting by decreasing number reaches each node after every
    # node that can send it one: no dependency counts or ready queue needed
    stack = list(root_nodes)
    seen = set(stack)
    while stack:
        for child, _ in stack.pop().next_functions:
            if child is not None and child not in seen:
                seen.add(child)
                stack.append(child)
    prev_enabled = state.enabled
    state.enabled = create_graph
    # array-mode backwards do NumPy math directly; like ember's ops, they give torch's inf/nan silently
    with (np.errstate(all="ignore") if arrays else _no_context):
        try:
            for node in sorted(seen, key=_SEQ, reverse=True):
                grads = buffers.pop(node, None)
                if grads is None or (grads[0] is None if len(grads) == 1 else all(g is None for g in grads)):
                    continue        # nothing flows this way
                if capture:
                    for nr in range(len(grads)):
                        idx = capture.get((node, nr))
                        if idx is not None:
                            captured[idx] = grads[nr]
                if type(node) is AccumulateGrad:
                    if accumulate:
                        if arrays:
                            node.accumulate_array(grads[0])
                        else:
                            node.accumulate(grads[0], create_graph)
                    continue
                input_grads = call_node(node, grads)
                if not retain_graph:
                    node._release()
                for (child, nr), g in zip(node.next_functions, input_grads):
                    if child is None or g is None:
                        continue
                    buf = buffers.get(child)
                    if buf is None:
                        buf = buffers[child] = [None] * len(child._out_meta)
                    buf[nr] = g if buf[nr] is None else _sum(buf[nr], g)
                input_grads = g = grads = None      # hold no gradient past its node (AccumulateGrad counts references)
        finally:
            state.enabled = prev_enabled
    while _final_callbacks:
        _final_callbacks.pop(0)()
    if arrays and capture:
        Tensor = _tensor_module.Tensor
        captured = [None if g is None else Tensor._make(g) for g in captured]
    return captured


def _sum(a, b):
    """Two gradients for one output, added (NumPy gives a scalar for 0-d arrays: kept an array)."""
    total = a + b
    return np.asarray(total) if isinstance(total, np.generic) else total


def _gradient_tuple(node, result):
    """What a backward returned, as a tuple with an entry for each input."""
    if type(result) is not tuple:
        result = tuple(result) if isinstance(result, tuple) else (result,)
    if len(result) < len(node._in_meta):
        raise RuntimeError(f"function {node.name()} returned an incorrect number of gradients "
                           f"(expected {len(node._in_meta)}, got {len(result)})")
    return result


def _call_node(node, grads):
    Tensor = _tensor_module.Tensor
    if None in grads and getattr(node, "_materialize", True):
        out_meta = node._out_meta
        for nr, g in enumerate(grads):
            if g is None:
                grads[nr] = _zeros_for(out_meta[nr])
    if node._out_hooks:
        for nr, hooks in node._out_hooks.items():
            for hook in hooks:
                if grads[nr] is not None:
                    new = hook(grads[nr])
                    if new is not None:
                        grads[nr] = new
    if node._retained:
        for nr, ref in node._retained.items():
            t = ref()
            if t is not None and grads[nr] is not None:
                g = grads[nr] if state.enabled else grads[nr].detach()
                t.grad = g._owned_copy() if t.grad is None else t.grad + g
    node_dict = node.__dict__
    if "_pre_hooks" in node_dict:
        for hook in node_dict["_pre_hooks"]:
            new = hook(tuple(grads))
            if new is not None:
                grads = list(new)
    if state.anomaly:
        from .anomaly import check_backward
        result = check_backward(node, grads)
    else:
        result = node.backward(node, *grads)
    result = _gradient_tuple(node, result)
    in_meta = node._in_meta
    input_grads = []
    for (child, _), g, meta in zip(node.next_functions, result, in_meta):
        if child is None or g is None:
            input_grads.append(None)
            continue
        if not isinstance(g, Tensor):
            g = Tensor._make(meta[2].asarray(g, dtype=meta[1]))
        data = g._data
        if data.shape != meta[0] or data.dtype != meta[1]:
            g = _reduce_to_input(g, meta)
        input_grads.append(g)
    if node._hooks:
        for hook in node._hooks:
            new = hook(tuple(input_grads), tuple(grads))
            if new is not None:
                input_grads = list(new)
    return input_grads


def _call_node_arrays(node, grads):
    """_call_node in array mode: array gradients in and out; hooks see Tensors, as always."""
    Tensor = _tensor_module.Tensor
    if node._out_hooks or node._retained or node._hooks or "_pre_hooks" in node.__dict__:
        result = _call_node(node, [None if g is None else Tensor._make(g) for g in grads])
        return [None if g is None else g._data for g in result]
    # a node runs only when some gradient reached it: a single output's is never None
    if len(grads) > 1 and any(g is None for g in grads) and getattr(node, "_materialize", True):
        for nr, (shape, np_dtype, xp) in enumerate(node._out_meta):
            if grads[nr] is None:
                grads[nr] = xp.zeros(shape, np_dtype)
    if node.array_backward:
        node._arrays = True
        try:
            result = node.backward(node, *grads)
        finally:
            node._arrays = False
    else:
        result = node.backward(node, *[None if g is None else Tensor._make(g) for g in grads])
    result = _gradient_tuple(node, result)
    in_meta = node._in_meta
    input_grads = []
    for i, ((child, _), g, meta) in enumerate(zip(node.next_functions, result, in_meta)):
        if child is None or g is None:
            input_grads.append(None)
            continue
        if isinstance(g, Tensor):
            g = g._data
        elif type(g) is not _ndarray:
            g = meta[2].asarray(g, dtype=meta[1])      # a scalar, or a NumPy scalar from 0-d math
        if g.shape != meta[0]:
            try:
                g = sum_to_shape(g, meta[0])
            except ValueError:
                g = None
            if g is None or g.shape != meta[0]:
                raise RuntimeError(f"Function {node.name()} returned an invalid gradient at index {i} - got "
                                   f"{list(result[i].shape)} but expected shape compatible with {list(meta[0])}")
        if g.dtype != meta[1]:
            g = g.astype(meta[1])
        input_grads.append(g)
    return input_grads


def sum_to_shape(arr, shape):
    """Sum a broadcast array back to `shape` (Tensor.sum_to_size's array math)."""
    lead = arr.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(lead + i for i, n in enumerate(shape) if n == 1 and arr.shape[lead + i] != 1)
    if axes:
        if _is_half_precision(arr.dtype):      # summed in float32, as torch (a bfloat16 running sum stalls)
            arr = arr.sum(axis=axes, keepdims=True, dtype=np.float32).astype(arr.dtype)
        else:
            arr = arr.sum(axis=axes, keepdims=True)
    return arr.reshape(shape) if lead else arr


from .dot import to_dot  # noqa: E402
