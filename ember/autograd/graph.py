"""The autograd engine: graph nodes (grad_fn objects) and the reverse-mode walk over them.

Each node is the `ctx` of the op that made it: it keeps what backward needs and the edges
(`next_functions`) to the nodes of its inputs; leaves end in `AccumulateGrad`.
"""

import collections
import contextlib
import operator
import itertools
import sys
import weakref

import numpy as np

from .. import _tensor as _tensor_module  # half-initialised here: read .Tensor at call time
from .grad_mode import state
from .._backend import is_half_precision as _is_half_precision

_sequence = itertools.count()
_SEQ = operator.attrgetter("_seq")
_ndarray = np.ndarray
_no_context = contextlib.nullcontext()

FREED_MESSAGE = (
    "Trying to backward through the graph a second time (or directly access saved tensors after they "
    "have already been freed). Saved intermediate values of the graph are freed when you call "
    ".backward() or autograd.grad(). Specify retain_graph=True if you need to backward through the "
    "graph a second time or if you need to access saved tensors after calling backward."
)


class SavedTensor:
    """A tensor kept for backward, with the version it had, so that an in-place change is caught."""

    __slots__ = ("tensor", "version", "array", "output_nr", "version_counter")

    def __init__(self, tensor=None, array=None, output_nr=None, version_counter=None):
        self.tensor = tensor
        self.array = array
        self.output_nr = output_nr
        self.version_counter = version_counter if tensor is None else tensor._version_counter
        self.version = self.version_counter[0] if self.version_counter is not None else 0

    def unpack(self, node):
        Tensor = _tensor_module.Tensor
        if self.version_counter is not None and self.version_counter[0] != self.version:
            t = self.tensor
            shape = tuple(t.shape) if t is not None else self.array.shape
            what = (
                f"output {self.output_nr} of {node.name()}"
                if self.output_nr is not None
                else "an input of " + node.name()
            )
            raise RuntimeError(
                f"one of the variables needed for gradient computation has been modified by an inplace "
                f"operation: [tensor of shape {list(shape)}], which is {what}, is at version "
                f"{self.version_counter[0]}; expected version {self.version} instead. Hint: replace the in-place "
                f"op (x.add_(...), x[...] = ..., x += ...) by its out-of-place form, or clone() before modifying."
            )
        if self.tensor is not None:
            return self.tensor
        if self.output_nr is not None:  # rebuilt on use, so the node does not keep its output alive
            t = Tensor._make(self.array, True)
            t._grad_fn, t._output_nr, t._version_counter = node, self.output_nr, self.version_counter
            return t
        if not hasattr(self.array, "shape"):  # a Python scalar kept by the op
            return self.array
        return Tensor._make(self.array)

    def unpack_array(self, node):
        """The saved value as the engine's array mode hands it to a backward: the array itself."""
        if self.version_counter is not None and self.version_counter[0] != self.version:
            self.unpack(node)  # raises the in-place modification error
        return self.tensor._data if self.tensor is not None else self.array


_saved_tensors_hooks = []  # (pack_hook, unpack_hook) pairs in force, innermost last


class saved_tensors_hooks:
    """torch.autograd.graph.saved_tensors_hooks: while active, every tensor an op saves for backward is
    handed to pack_hook, and backward gets unpack_hook(what pack_hook returned) instead."""

    def __init__(self, pack_hook, unpack_hook):
        self.pack_hook, self.unpack_hook = pack_hook, unpack_hook

    def __enter__(self):
        _saved_tensors_hooks.append((self.pack_hook, self.unpack_hook))

    def __exit__(self, *exc):
        _saved_tensors_hooks.pop()


class PackedSavedTensor:
    """A saved tensor as saved_tensors_hooks keep it."""

    __slots__ = ("packed", "unpack_hook")

    def __init__(self, tensor, hooks):
        pack_hook, self.unpack_hook = hooks
        self.packed = pack_hook(tensor)

    def unpack(self, node):
        tensor = self.unpack_hook(self.packed)
        if not isinstance(tensor, _tensor_module.Tensor):
            raise TypeError(
                f"Output of saved tensor unpack_hook expected to be a Tensor but got result of type "
                f"{type(tensor).__name__}"
            )
        return tensor

    def unpack_array(self, node):
        return self.unpack(node)._data


def packed_if_hooked(saved, node):
    """A SavedTensor, or (while saved_tensors_hooks are active, and it holds a tensor) its packed form."""
    if not _saved_tensors_hooks or saved is None or (saved.tensor is None and not hasattr(saved.array, "shape")):
        return saved
    return PackedSavedTensor(saved.unpack(node), _saved_tensors_hooks[-1])


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
    _out_meta = (None,)  # (shape, dtype, xp) per output, set when the node is recorded; a leaf's one output
    next_functions = ()
    _saved = None
    _hooks = None  # node post-hooks: fn(grad_inputs, grad_outputs)
    _out_hooks = None  # {output_nr: [tensor hooks]} from Tensor.register_hook on non-leaves
    _retained = None  # {output_nr: weakref(tensor)} from retain_grad()
    _freed = False
    _conj = False  # a holomorphic op on complex tensors: backward runs between conjugations
    _keep = None  # the positions of backward's results that go to next_functions, when not a prefix

    def name(self):
        return self._node_name or type(self).__name__

    def __repr__(self):
        return f"<{self.name().rpartition('::')[2]} object at {hex(id(self))}>"  # torch's C++ nodes: no namespace

    # --- the ctx surface, shared by ember's ops and user autograd.Functions ---
    def save_for_backward(self, *items):
        self._to_save = items

    @property
    def saved_tensors(self):
        if self._freed:
            raise RuntimeError(FREED_MESSAGE)
        arrays = self._arrays
        if arrays:
            if arrays is not True:  # a ctx in an ember.compile replay: its saved values are the arrays
                return self._saved
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

    _node_name = "torch::autograd::AccumulateGrad"  # torch's name(); its type is AccumulateGrad

    def __init__(self, variable):
        self.variable = variable
        self._seq = next(_sequence)
        self._in_meta = ()

    def accumulate(self, grad, mode):
        """Add `grad` (a value of `mode`: an array, or a Tensor under create_graph) into variable.grad."""
        var = self.variable
        if var._hooks:
            tensor = mode.tensor(grad)
            for hook in var._hooks:
                new = hook(tensor)
                if new is not None:
                    tensor = new
            grad = mode.value(tensor)
        if mode is TENSORS:  # create_graph: .grad keeps its graph; torch's clone records CloneBackward0
            var.grad = grad.clone() if var.grad is None else var.grad + grad
        elif var.grad is None:
            var.grad = _tensor_module.Tensor._make(grad if _unshared(grad) else grad.copy())
        else:
            var.grad._data += grad
        for hook in var._post_acc_hooks or ():
            hook(var)


def _unshared(grad):
    """Whether a gradient array can become .grad without a copy, as torch's AccumulateGrad decides by
    use count: contiguous, and referenced only by the engine's `grads` list, the caller's argument and
    ours (4, with getrefcount's own); a view only if it spans its whole base and nothing else holds that
    base (as `(g.T @ x).T.T`, a weight's gradient made in its layout). Shared, hooked or kept ones are copied."""
    if (
        type(grad) is not _ndarray
        or not grad.flags.c_contiguous
        or not grad.flags.writeable
        or sys.getrefcount(grad) > 4
    ):
        return False
    base = grad.base
    if base is None:
        return True
    return (
        type(base) is _ndarray and base.base is None and base.nbytes == grad.nbytes and sys.getrefcount(base) <= 3
    )  # grad.base, our local, getrefcount's argument


def accumulator_of(tensor):
    acc = tensor._acc_ref() if tensor._acc_ref is not None else None
    if acc is None:
        acc = AccumulateGrad(tensor)
        tensor._acc_ref = weakref.ref(acc)
    return acc


class GradientEdge(collections.namedtuple("GradientEdge", ["node", "output_nr"])):
    """torch.autograd.graph.GradientEdge: where a gradient enters the graph (a node and its output)."""


def get_gradient_edge(tensor):
    if not tensor.requires_grad:
        raise RuntimeError("It is not possible to get the gradient edge for a Tensor that does not require gradients")
    return GradientEdge(*edge_of(tensor))


def edge_of(tensor):
    """(node, output_nr) that a gradient for `tensor` flows into; (None, 0) if none is needed."""
    if not tensor.requires_grad:
        return (None, 0)
    node = tensor.grad_fn  # (a view written since it was taken takes its base's history here)
    if node is not None:
        return (node, tensor._output_nr)
    return (accumulator_of(tensor), 0)


class _Arrays:
    """How gradients travel without create_graph: as raw arrays, no Tensor built per intermediate
    gradient (see Node.array_backward). Hooks and backwards that are not array_backward see Tensors."""

    @staticmethod
    def value(tensor):
        return tensor._data

    @staticmethod
    def tensor(grad):
        return _tensor_module.Tensor._make(grad)

    @staticmethod
    def sum_to(grad, shape):
        return sum_to_shape(grad, shape)

    @staticmethod
    def cast(grad, np_dtype):
        return grad.astype(np_dtype)


class _Tensors:
    """How gradients travel under create_graph: as Tensors, so that backward records a graph."""

    @staticmethod
    def value(tensor):
        return tensor

    @staticmethod
    def tensor(grad):
        return grad

    @staticmethod
    def sum_to(grad, shape):
        return grad.sum_to_size(shape)

    @staticmethod
    def cast(grad, np_dtype):
        return grad.to(np_dtype)


ARRAYS, TENSORS = _Arrays, _Tensors


_final_callbacks = []
_capturing = False  # whether the backward running returns gradients (autograd.grad, backward(inputs=))


def queue_callback(fn):
    """Run fn() once the current backward pass has finished (DistributedDataParallel uses it)."""
    _final_callbacks.append(fn)


def run_backward(roots, root_grads, retain_graph, create_graph, capture=None, accumulate=True):
    """Walk the graph backwards from `roots`, edges (node, output_nr); root_grads are Tensors.

    capture: {(node, output_nr): index} of gradients to return (as Tensors) instead of accumulating
    (autograd.grad); returns the list of captured gradients.

    Gradients flow between nodes as values of one mode: arrays without create_graph, Tensors with it.
    The walk and every node call are the same code in both (`_call_node`).
    """
    mode = TENSORS if create_graph else ARRAYS
    captured = [None] * (len(capture) if capture else 0)
    buffers = {}
    root_nodes = []
    for (node, nr), g in zip(roots, root_grads):
        if node is None:
            raise RuntimeError("element 0 of tensors does not require grad and does not have a grad_fn")
        g = g if mode is TENSORS else g._data
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
    global _capturing
    prev_enabled, prev_capturing = state.enabled, _capturing
    state.enabled, _capturing = create_graph, capture is not None
    # array-mode backwards do NumPy math directly; like ember's ops, they give torch's inf/nan silently
    with np.errstate(all="ignore") if mode is ARRAYS else _no_context:
        try:
            for node in sorted(seen, key=_SEQ, reverse=True):
                grads = buffers.pop(node, None)
                if grads is None or (grads[0] is None if len(grads) == 1 else all(g is None for g in grads)):
                    continue  # nothing flows this way
                if capture:
                    for nr in range(len(grads)):
                        idx = capture.get((node, nr))
                        if idx is not None:
                            captured[idx] = grads[nr]
                if type(node) is AccumulateGrad:
                    if accumulate:
                        node.accumulate(grads[0], mode)
                    continue
                input_grads = _call_node(node, grads, mode)
                if not retain_graph:
                    node._release()
                for (child, nr), g in zip(node.next_functions, input_grads):
                    if child is None or g is None:
                        continue
                    buf = buffers.get(child)
                    if buf is None:
                        buf = buffers[child] = [None] * len(child._out_meta)
                    buf[nr] = g if buf[nr] is None else _sum(buf[nr], g)
                input_grads = g = grads = None  # hold no gradient past its node (AccumulateGrad counts references)
        finally:
            state.enabled, _capturing = prev_enabled, prev_capturing
    while _final_callbacks:
        _final_callbacks.pop(0)()
    if captured:
        captured = [None if g is None else mode.tensor(g) for g in captured]
    return captured


def _sum(a, b):
    """Two gradients for one output, added (NumPy gives a scalar for 0-d arrays: kept an array)."""
    total = a + b
    return np.asarray(total) if isinstance(total, np.generic) else total


def _gradient_tuple(node, result):
    """What a backward returned (an entry per forward arg), as a tuple with an entry per graph input of the
    node: the args that are not (Python scalars, index tensors) are dropped."""
    if type(result) is not tuple:
        result = tuple(result) if isinstance(result, tuple) else (result,)
    keep = node._keep
    if keep is not None:  # a backward returns a gradient per forward arg; the edges are the inputs' only
        return tuple([result[i] for i in keep])
    expected = len(node._in_meta)
    if len(result) < expected:
        raise RuntimeError(
            f"function {node.name()} returned an incorrect number of gradients (expected {expected}, got {len(result)})"
        )
    return result[:expected] if len(result) > expected else result


def _call_node(node, grads, mode):
    """Run one node's backward on the gradients of its outputs (values of `mode`) and return the
    gradients for its inputs, each checked against and reduced to its input's shape and dtype."""
    Tensor = _tensor_module.Tensor
    if node._out_hooks or node._retained or "_pre_hooks" in node.__dict__:
        grads = _run_pre_hooks(node, grads, mode)
    received = grads
    if len(grads) > 1 and any(g is None for g in grads) and getattr(node, "_materialize", True):
        # a node runs only when some gradient reached it: a single output's is never None
        grads = [
            mode.value(Tensor._make(xp.zeros(shape, np_dtype))) if g is None else g
            for g, (shape, np_dtype, xp) in zip(grads, node._out_meta)
        ]
    if node._conj:
        result = _wirtinger_backward(node, [None if g is None else mode.tensor(g) for g in grads])
    elif mode is ARRAYS and node.array_backward:
        node._arrays = True
        try:
            result = node.backward(node, *grads)
        finally:
            node._arrays = False
    elif mode is ARRAYS:
        result = node.backward(node, *[None if g is None else Tensor._make(g) for g in grads])
    else:
        result = node.backward(node, *grads)
    result = _gradient_tuple(node, result)
    if state.anomaly:
        from .anomaly import check_backward

        check_backward(node, result)
    input_grads = []
    for i, ((child, _), g, meta) in enumerate(zip(node.next_functions, result, node._in_meta)):
        if g is None:
            input_grads.append(None)
            continue
        if child is None:
            if not node._hooks or meta is None:  # no gradient needed (post-hooks still see it, as torch's)
                input_grads.append(None)
                continue
        if type(g) is _ndarray and mode is ARRAYS and child is not None and g.shape == meta[0] and g.dtype == meta[1]:
            input_grads.append(g)  # the common case, as it is
        else:
            input_grads.append(input_grad(node, i, g, meta, mode, child is not None))
    if node._hooks:
        grad_inputs = tuple(None if g is None else mode.tensor(g) for g in input_grads)
        grad_outputs = tuple(None if g is None else mode.tensor(g) for g in received)  # as received, as torch
        for hook in node._hooks:
            new = hook(grad_inputs, grad_outputs)
            if new is not None:
                grad_inputs = tuple(new)
        input_grads = [
            None if g is None or child is None else mode.value(g)
            for g, (child, _) in zip(grad_inputs, node.next_functions)
        ]
    return input_grads


def input_grad(node, i, g, meta, mode, reduce=True):
    """What a backward returned for input i (a Tensor, an array, a scalar) as a value of `mode`; when
    `reduce`, checked against the input's meta (shape, dtype, xp) and summed/cast to it."""
    Tensor = _tensor_module.Tensor
    if isinstance(g, Tensor):
        g = mode.value(g)
    elif type(g) is not _ndarray or mode is TENSORS:  # a scalar, or a NumPy scalar from 0-d math
        g = mode.value(Tensor._make(meta[2].asarray(g, dtype=meta[1])))
    if not reduce:
        return g
    data = g if mode is ARRAYS else g._data
    if data.shape != meta[0]:
        if not _expandable(meta[0], data.shape):
            raise RuntimeError(
                f"Function {node.name()} returned an invalid gradient at index {i} - got "
                f"{list(data.shape)} but expected shape compatible with {list(meta[0])}"
            )
        g = mode.sum_to(g, meta[0])
    if data.dtype != meta[1]:
        g = mode.cast(g, meta[1])
    return g


def _run_pre_hooks(node, grads, mode):
    """Tensor hooks of the node's outputs, retain_grad, then the node's pre-hooks (all see Tensors)."""
    tensors = [None if g is None else mode.tensor(g) for g in grads]
    if node._out_hooks:
        for nr, hooks in node._out_hooks.items():
            for hook in hooks:
                if tensors[nr] is not None:
                    new = hook(tensors[nr])
                    if new is not None:
                        tensors[nr] = new
    if node._retained:
        for nr, ref in node._retained.items():
            t = ref()
            g = tensors[nr]
            if t is not None and g is not None:
                g = g if state.enabled else g.detach()
                t.grad = g._owned_copy() if t.grad is None else t.grad + g
    for hook in node.__dict__.get("_pre_hooks", ()):
        new = hook(tuple(tensors))
        if new is not None:
            tensors = list(new)
    return [None if t is None else mode.value(t) for t in tensors]


def _expandable(shape, grad_shape):
    """Whether `shape` broadcasts to `grad_shape` (torch's is_expandable_to), so the gradient sums back to it."""
    if len(shape) > len(grad_shape):
        return False
    for s, g in zip(reversed(shape), reversed(grad_shape)):
        if s != 1 and s != g:
            return False
    return True


def _wirtinger_backward(node, grads):
    """conj(backward(conj(grad))): a backward written as grad * f'(z) gives grad * conj(f'(z)), the gradient
    torch defines for complex tensors (the conjugate Wirtinger derivative, times two)."""
    result = node.backward(node, *[None if g is None else g.conj() for g in grads])
    result = result if isinstance(result, tuple) else (result,)
    return tuple(g.conj() if hasattr(g, "conj") else g for g in result)


def sum_to_shape(arr, shape):
    """Sum a broadcast array back to `shape` (Tensor.sum_to_size's array math)."""
    lead = arr.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(lead + i for i, n in enumerate(shape) if n == 1 and arr.shape[lead + i] != 1)
    if axes:
        if _is_half_precision(arr.dtype):  # summed in float32, as torch (a bfloat16 running sum stalls)
            arr = arr.sum(axis=axes, keepdims=True, dtype=np.float32).astype(arr.dtype)
        else:
            arr = arr.sum(axis=axes, keepdims=True)
    return arr.reshape(shape) if lead else arr


from .dot import to_dot  # noqa: E402,F401
