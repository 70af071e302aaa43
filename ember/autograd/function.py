"""Op (ember's own ops: array forward, Tensor backward) and Function (torch.autograd.Function)."""

import functools
import inspect

import numpy as np

from .. import _tensor as _tensor_module  # half-initialised here: read .Tensor at call time
from .._dtype import _FLOAT_NP, _DIFFERENTIABLE_NP
from .._backend import array_module, check_one_device
from .grad_mode import state
from .graph import (
    Node,
    SavedTensor,
    edge_of,
    accumulator_of,
    packed_if_hooked,
    _saved_tensors_hooks,
    _sequence,
    FREED_MESSAGE,
)


def _meta(arr):
    return (arr.shape, arr.dtype, array_module(arr))


class Op(Node):
    """An ember op: `forward(ctx, *arrays)` returns array(s); `backward(ctx, *grads)` returns Tensors.

    `apply` runs forward on the inputs' arrays and, when any input requires grad and grad mode
    is on, makes the ctx the outputs' grad_fn. Ops that return a view of input 0 set `view = True`.
    """

    view = False
    differentiable = True
    # backward is written as for real numbers (grad * f'(x)); for a holomorphic op on complex tensors the
    # engine conjugates around it, giving torch's convention grad * conj(f'(z)). Ops that treat complex
    # numbers themselves (real, imag, abs, angle, casts, fft...) set this False
    wirtinger = True
    # the positions of the args that get a `next_functions` entry whatever they are (a Python scalar or
    # None included), as torch lists a function's differentiable inputs; None: every float Tensor arg
    inputs = None

    def __init_subclass__(cls, **kw):
        super().__init_subclass__(**kw)
        if "_node_name" not in cls.__dict__:
            cls._node_name = cls.__name__ + "Backward0"
        # torch's node class is named as its node (type(y.grad_fn).__name__ == "SumBackward0")
        cls.__name__ = cls.__qualname__ = cls._node_name
        inputs = cls.__dict__.get("inputs")
        if inputs is not None:
            cls._sparse_inputs = tuple(inputs) != tuple(range(len(inputs)))

    @classmethod
    def apply(cls, *args, **kwargs):
        # the hot path of every op: one pass over the inputs, no work for the graph unless it records
        Tensor = _tensor_module.Tensor
        make = Tensor._make
        ctx = object.__new__(cls)
        arrays = []
        needs = []
        for a in args:
            if isinstance(a, Tensor):
                if a._view_version is not None and a._view_version != a._version_counter[0] and state.enabled:
                    sync_view(a)  # its memory was written since: its history is the base's now
                arrays.append(a._data)
                needs.append(a._requires_grad)
            else:
                arrays.append(a)
                needs.append(False)
        record = True in needs and cls.differentiable and state.enabled
        ctx._record = record
        if record:
            ctx.needs_input_grad = tuple(needs)
        try:
            out = cls.forward(ctx, *arrays, **kwargs)
        except (TypeError, ValueError):
            check_one_device(args, cls.__name__)  # CuPy's error for a NumPy operand becomes torch's
            raise
        multi = type(out) is tuple
        outs = out if multi else (out,)
        results = []
        for o in outs:
            if type(o) is not _ndarray and isinstance(o, _generic):
                o = np.asarray(o)
            t = make(o)
            if cls.view:
                parent = args[0]
                if parent._view_version is None:
                    t._base = parent
                    t._view_version = parent._version_counter[0] if state.enabled else NO_GRAD_VIEW
                else:  # a view of a view has the same base
                    t._base = parent._base
                    t._view_version = (
                        parent._view_version
                        if not state.enabled or parent._view_version == NO_GRAD_VIEW
                        else parent._version_counter[0]
                    )
                t._version_counter = parent._version_counter
            results.append(t)
        if record:
            edges = []
            in_meta = []
            explicit = cls.inputs
            if explicit is None:
                picked = args
            elif cls._sparse_inputs:
                picked = [args[i] for i in explicit if i < len(args)]
            else:
                picked = args[: len(explicit)]
            gap = sparse = False
            for a in picked:
                if isinstance(a, Tensor):
                    if a._requires_grad:
                        edges.append((a._grad_fn, a._output_nr) if a._grad_fn is not None else (accumulator_of(a), 0))
                    elif explicit is not None or a._data.dtype in _DIFFERENTIABLE_NP:
                        edges.append(_NO_EDGE)
                    else:  # an integer or bool Tensor (an index, a mask, a class target): not an input
                        gap = True
                        continue
                    if gap:
                        sparse = True
                    d = a._data
                    in_meta.append((d.shape, d.dtype, np if type(d) is _ndarray else array_module(d)))
                elif explicit is None:
                    gap = True
                else:
                    edges.append(_NO_EDGE)
                    in_meta.append(None)
            if sparse or picked is not args and cls._sparse_inputs:
                ctx._keep = _graph_input_positions(cls, args)
            ctx.next_functions = tuple(edges)
            ctx._seq = next(_sequence)  # after its inputs' nodes, AccumulateGrads made just now included
            ctx._in_meta = tuple(in_meta)
            non_diff = ctx.__dict__.get("_non_diff", ())
            out_meta = []
            for j, t in enumerate(results):
                d = t._data
                out_meta.append((d.shape, d.dtype, np if type(d) is _ndarray else array_module(d)))
                if d.dtype in _FLOAT_NP and (not non_diff or id(outs[j]) not in non_diff):
                    t._requires_grad = True
                    t._grad_fn = ctx
                    t._output_nr = j
                elif d.dtype in _DIFFERENTIABLE_NP and (not non_diff or id(outs[j]) not in non_diff):
                    t._requires_grad = True
                    t._grad_fn = ctx
                    t._output_nr = j
                    if cls.wirtinger:
                        ctx._conj = True
            ctx._out_meta = tuple(out_meta)
            to_save = ctx.__dict__.pop("_to_save", None)
            if to_save:
                ctx._saved = tuple([_saved(x, args, arrays, outs, results) for x in to_save])
                if _saved_tensors_hooks:
                    ctx._saved = tuple(packed_if_hooked(s, ctx) for s in ctx._saved)
            if state.anomaly:
                from .anomaly import note_forward

                note_forward(ctx, results, arrays)
        return tuple(results) if multi else results[0]


_NO_EDGE = (None, 0)
_ndarray, _generic = np.ndarray, np.generic


def _graph_input_positions(cls, args):
    """The positions of the args that became edges, when they are not a prefix of the args."""
    Tensor = _tensor_module.Tensor
    if cls.inputs is not None:
        return tuple([i for i in cls.inputs if i < len(args)])
    return tuple(
        [
            i
            for i, a in enumerate(args)
            if isinstance(a, Tensor) and (a._requires_grad or a._data.dtype in _DIFFERENTIABLE_NP)
        ]
    )


def renamed(cls, name):
    """The subclass of Op class `cls` that is torch's node type `name` (made once; assign it to
    `ctx.__class__` in a forward that picks torch's node by its arguments)."""
    sub = _RENAMED.get((cls, name))
    if sub is None:
        sub = _RENAMED[(cls, name)] = type(name, (cls,), {"_node_name": name})
    return sub


def rename(node, name):
    """Make `node` a node of torch's type `name` (a composed op's output named as torch's fused op)."""
    node.__class__ = renamed(type(node), name)


_RENAMED = {}


def _saved(x, args, arrays, outs, results):
    Tensor = _tensor_module.Tensor
    if x is None:
        return None
    for i, a in enumerate(arrays):
        if x is a and isinstance(args[i], Tensor):
            return SavedTensor(args[i])
    for j, o in enumerate(outs):
        if x is o:
            t = results[j]
            if t._grad_fn is None:
                return SavedTensor(array=t._data)
            return SavedTensor(array=t._data, output_nr=j, version_counter=t._version_counter)
    return SavedTensor(array=x)


class _FunctionCtx(Node):
    """The ctx of a user-defined autograd.Function; its backward calls the user's."""

    @staticmethod
    def backward(ctx, *grads):  # called as node.backward(node, *grads), like an Op's
        result = ctx._fn.backward(ctx, *grads)
        if type(result) is not tuple:
            result = tuple(result) if isinstance(result, tuple) else (result,)
        nargs = ctx._nargs
        if len(result) != nargs:  # torch's checks: a gradient per forward arg (extra Nones dropped) ...
            if len(result) < nargs or any(g is not None for g in result[nargs:]):
                raise RuntimeError(
                    f"function {ctx.name()} returned an incorrect number of gradients "
                    f"(expected {nargs}, got {len(result)})"
                )
            result = result[:nargs]
        if ctx._keep is not None:  # ... and None for each arg that is not a Tensor
            for i, g in enumerate(result):
                if g is not None and i not in ctx._keep:
                    raise RuntimeError(
                        f"function {ctx.name()} returned a gradient different than None at position "
                        f"{i + 1}, but the corresponding forward input was not a Variable"
                    )
        return result

    def save_for_backward(self, *tensors):
        Tensor = _tensor_module.Tensor
        for i, t in enumerate(tensors):
            if t is not None and not isinstance(t, Tensor):
                raise TypeError(
                    f"save_for_backward can only save variables, but argument {i} is of type {type(t).__name__}"
                )
        self._to_save = tensors

    def mark_dirty(self, *tensors):
        self._dirty = tensors

    @property
    def saved_variables(self):
        return self.saved_tensors


class FunctionMeta(type):
    def __init__(cls, name, bases, attrs):
        super().__init__(name, bases, attrs)
        cls._backward_cls = type(name + "Backward", (_FunctionCtx,), {"_fn": cls, "_node_name": name + "Backward"})


class Function(metaclass=FunctionMeta):
    """torch.autograd.Function: subclass with static forward and backward(ctx, *grads). forward is
    forward(ctx, *args), or (torch 2 style) forward(*args) with setup_context(ctx, inputs, output)."""

    @staticmethod
    def forward(*args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom autograd.Function.")

    @staticmethod
    def setup_context(ctx, inputs, output):
        raise NotImplementedError("setup_context is not implemented.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError(
            "You must implement either the backward or vjp method for your custom "
            "autograd.Function to use it with backward mode AD."
        )

    vjp = backward

    @classmethod
    def apply(cls, *args, **kwargs):
        Tensor = _tensor_module.Tensor
        ctx = cls._backward_cls()
        old_style = cls.setup_context is Function.setup_context
        if kwargs:  # as torch: keyword arguments become positional ones, each an input of the node
            bound = inspect.signature(cls.forward).bind(*((ctx,) if old_style else ()), *args, **kwargs)
            bound.apply_defaults()
            args, kwargs = bound.args[1 if old_style else 0 :], {}
        tensor_args = [a for a in args if isinstance(a, Tensor)]
        ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
        record = state.enabled and True in ctx.needs_input_grad
        prev = state.enabled
        state.enabled = False
        try:
            if old_style:
                out = cls.forward(ctx, *args)
            else:
                out = cls.forward(*args)
                cls.setup_context(ctx, args, out)
        finally:
            state.enabled = prev
        multi = isinstance(out, tuple)
        outs = out if multi else (out,)
        dirty = ctx.__dict__.pop("_dirty", ())
        if any(not any(d is o for o in outs) for d in dirty):
            raise RuntimeError(
                "Some elements marked as dirty during the forward method were not returned as output. "
                "The inputs that are modified inplace must all be outputs of the Function."
            )
        for d in dirty:
            d._version_counter[0] += 1
        if record:
            outs = _record_function_outputs(ctx, args, tensor_args, outs, dirty)
        ctx.__dict__.pop("_to_save", None)
        return outs if multi else outs[0]


def _record_function_outputs(ctx, args, tensor_args, outs, dirty):
    """Make ctx the history of a Function's outputs: new ones take it; an input returned as is becomes a
    view of itself first; an input marked dirty takes it as if an in-place op wrote it."""
    Tensor = _tensor_module.Tensor
    # as torch: an edge per Tensor arg; backward still returns a gradient per arg
    ctx.next_functions = tuple(edge_of(a) for a in tensor_args)
    ctx._seq = next(_sequence)  # after its inputs' nodes, AccumulateGrads made just now included
    ctx._in_meta = tuple(_meta(a._data) for a in tensor_args)
    ctx._nargs = len(args)
    if len(tensor_args) != len(args):
        ctx._keep = tuple(i for i, a in enumerate(args) if isinstance(a, Tensor))
    non_diff = getattr(ctx, "_non_diff", ())
    fixed = []
    for j, o in enumerate(outs):
        if isinstance(o, Tensor) and id(o) not in non_diff and o._data.dtype in _DIFFERENTIABLE_NP:
            if any(o is d for d in dirty):
                if o._requires_grad and o._grad_fn is None and o._view_version is None:
                    raise RuntimeError("a leaf Variable that requires grad has been used in an in-place operation.")
                written = Tensor._make(o._data, True)
                written._grad_fn, written._output_nr = ctx, j
                if o._view_version is not None:
                    rebase(o, written)
                else:
                    o._grad_fn, o._output_nr, o._requires_grad = ctx, j, True
            else:
                if any(o is a for a in tensor_args):  # an input returned as is: give it its own identity
                    o = o.view_as(o)
                o._requires_grad, o._grad_fn, o._output_nr = True, ctx, j
        fixed.append(o)
    ctx._out_meta = tuple(_meta(o._data) if isinstance(o, Tensor) else ((), np.float32, np) for o in fixed)
    to_save = ctx.__dict__.pop("_to_save", ())
    ctx._saved = tuple(None if t is None else packed_if_hooked(SavedTensor(tensor=t), ctx) for t in to_save)
    return tuple(fixed)


class DelayedError(Op):
    """Passes its inputs through; backward raises (once_differentiable's guard against a second derivative)."""

    @staticmethod
    def forward(ctx, message, *arrays):
        ctx.message = message
        return arrays if len(arrays) != 1 else arrays[0]

    @staticmethod
    def backward(ctx, *grads):
        raise RuntimeError(ctx.message)


def once_differentiable(fn):
    """Mark a Function's backward as not differentiable: it runs under no_grad, and a second derivative
    through it raises, as torch."""

    @functools.wraps(fn)
    def wrapper(ctx, *grads):
        Tensor = _tensor_module.Tensor
        prev = state.enabled
        state.enabled = False
        try:
            outputs = fn(ctx, *grads)
        finally:
            state.enabled = prev
        if not prev or not any(isinstance(g, Tensor) and g.requires_grad for g in grads):
            return outputs
        multi = isinstance(outputs, tuple)
        items = outputs if multi else (outputs,)
        live = [i for i, o in enumerate(items) if isinstance(o, Tensor)]
        guarded = DelayedError.apply(
            "trying to differentiate twice a function that was marked with @once_differentiable",
            *[items[i].detach().requires_grad_() for i in live],
        )
        guarded = guarded if isinstance(guarded, tuple) else (guarded,)
        items = list(items)
        for i, g in zip(live, guarded):
            items[i] = g
        return tuple(items) if multi else items[0]

    return wrapper


from .views import sync_view, rebase, NO_GRAD_VIEW  # noqa: E402  (views.py builds its nodes on Op)


__all__ = ["Op", "Function", "once_differentiable", "FREED_MESSAGE", "rename", "renamed"]
