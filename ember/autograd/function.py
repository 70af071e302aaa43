"""Op (ember's own ops: array forward, Tensor backward) and Function (torch.autograd.Function)."""
import functools
import inspect

import numpy as np

from .. import _tensor as _tensor_module     # half-initialised here: read .Tensor at call time
from .._dtype import _FLOAT_NP
from .._backend import array_module
from .grad_mode import state
from .graph import (Node, SavedTensor, edge_of, accumulator_of, packed_if_hooked, _saved_tensors_hooks, _sequence,
                    FREED_MESSAGE)


def _meta(arr):
    return (arr.shape, arr.dtype, array_module(arr))


class Op(Node):
    """An ember op: `forward(ctx, *arrays)` returns array(s); `backward(ctx, *grads)` returns Tensors.

    `apply` runs forward on the inputs' arrays and, when any input requires grad and grad mode
    is on, makes the ctx the outputs' grad_fn. Ops that return a view of input 0 set `view = True`.
    """
    view = False
    differentiable = True

    def __init_subclass__(cls, **kw):
        super().__init_subclass__(**kw)
        if "_node_name" not in cls.__dict__:
            cls._node_name = cls.__name__ + "Backward0"

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
                if a._view_ver is not None and a._view_ver != a._vc[0] and state.enabled:
                    sync_view(a)        # its memory was written since: its history is the base's now
                arrays.append(a._data)
                needs.append(a._rg)
            else:
                arrays.append(a)
                needs.append(False)
        record = True in needs and cls.differentiable and state.enabled
        ctx._record = record
        if record:
            ctx.needs_input_grad = tuple(needs)
        out = cls.forward(ctx, *arrays, **kwargs)
        multi = type(out) is tuple
        outs = out if multi else (out,)
        results = []
        for o in outs:
            if type(o) is not _ndarray and isinstance(o, _generic):
                o = np.asarray(o)
            t = make(o)
            if cls.view:
                parent = args[0]
                if parent._view_ver is None:
                    t._base = parent
                    t._view_ver = parent._vc[0] if state.enabled else NO_GRAD_VIEW
                else:       # a view of a view has the same base
                    t._base = parent._base
                    t._view_ver = parent._view_ver if not state.enabled or parent._view_ver == NO_GRAD_VIEW \
                        else parent._vc[0]
                t._vc = parent._vc
            results.append(t)
        if record:
            edges = []
            in_meta = []
            for a in args:
                if isinstance(a, Tensor):
                    if not a._rg:
                        edges.append(_NO_EDGE)
                    elif a._grad_fn is not None:
                        edges.append((a._grad_fn, a._output_nr))
                    else:
                        edges.append((accumulator_of(a), 0))
                    d = a._data
                    in_meta.append((d.shape, d.dtype, np if type(d) is _ndarray else array_module(d)))
                else:
                    edges.append(_NO_EDGE)
                    in_meta.append(None)
            ctx.next_functions = tuple(edges)
            ctx._seq = next(_sequence)      # after its inputs' nodes, AccumulateGrads made just now included
            ctx._in_meta = tuple(in_meta)
            non_diff = ctx.__dict__.get("_non_diff", ())
            out_meta = []
            for j, t in enumerate(results):
                d = t._data
                out_meta.append((d.shape, d.dtype, np if type(d) is _ndarray else array_module(d)))
                if d.dtype in _FLOAT_NP and (not non_diff or id(outs[j]) not in non_diff):
                    t._rg = True
                    t._grad_fn = ctx
                    t._output_nr = j
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
            return SavedTensor(array=t._data, output_nr=j, vc=t._vc) if t._grad_fn is not None \
                else SavedTensor(array=t._data)
    return SavedTensor(array=x)


class _FunctionCtx(Node):
    """The ctx of a user-defined autograd.Function; its backward calls the user's."""
    _user_function = True

    @staticmethod
    def backward(ctx, *grads):       # called as node.backward(node, *grads), like an Op's
        return ctx._fn.backward(ctx, *grads)

    def save_for_backward(self, *tensors):
        Tensor = _tensor_module.Tensor
        for i, t in enumerate(tensors):
            if t is not None and not isinstance(t, Tensor):
                raise TypeError(f"save_for_backward can only save variables, but argument {i} is of type "
                                f"{type(t).__name__}")
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
        raise NotImplementedError("You must implement either the backward or vjp method for your custom "
                                  "autograd.Function to use it with backward mode AD.")

    vjp = backward

    @classmethod
    def apply(cls, *args, **kwargs):
        Tensor = _tensor_module.Tensor
        ctx = cls._backward_cls()
        old_style = cls.setup_context is Function.setup_context
        if kwargs:      # as torch: keyword arguments become positional ones, each an input of the node
            bound = inspect.signature(cls.forward).bind(*((ctx,) if old_style else ()), *args, **kwargs)
            bound.apply_defaults()
            args, kwargs = bound.args[1 if old_style else 0:], {}
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
            raise RuntimeError("Some elements marked as dirty during the forward method were not returned as output. "
                               "The inputs that are modified inplace must all be outputs of the Function.")
        for d in dirty:
            d._vc[0] += 1
        if record:
            outs = _record_function_outputs(ctx, args, tensor_args, outs, dirty)
        ctx.__dict__.pop("_to_save", None)
        return outs if multi else outs[0]


def _record_function_outputs(ctx, args, tensor_args, outs, dirty):
    """Make ctx the history of a Function's outputs: new ones take it; an input returned as is becomes a
    view of itself first; an input marked dirty takes it as if an in-place op wrote it."""
    Tensor = _tensor_module.Tensor
    ctx.next_functions = tuple(edge_of(a) if isinstance(a, Tensor) else (None, 0) for a in args)
    ctx._seq = next(_sequence)      # after its inputs' nodes, AccumulateGrads made just now included
    ctx._in_meta = tuple(_meta(a._data) if isinstance(a, Tensor) else None for a in args)
    non_diff = getattr(ctx, "_non_diff", ())
    fixed = []
    for j, o in enumerate(outs):
        if isinstance(o, Tensor) and id(o) not in non_diff and o.is_floating_point():
            if any(o is d for d in dirty):
                if o._rg and o._grad_fn is None and o._view_ver is None:
                    raise RuntimeError("a leaf Variable that requires grad has been used in an in-place operation.")
                written = Tensor._make(o._data, True)
                written._grad_fn, written._output_nr = ctx, j
                if o._view_ver is not None:
                    rebase(o, written)
                else:
                    o._grad_fn, o._output_nr, o._rg = ctx, j, True
            else:
                if any(o is a for a in tensor_args):      # an input returned as is: give it its own identity
                    o = o.view_as(o)
                o._rg, o._grad_fn, o._output_nr = True, ctx, j
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
        guarded = DelayedError.apply("trying to differentiate twice a function that was marked with "
                                     "@once_differentiable", *[items[i].detach().requires_grad_() for i in live])
        guarded = guarded if isinstance(guarded, tuple) else (guarded,)
        items = list(items)
        for i, g in zip(live, guarded):
            items[i] = g
        return tuple(items) if multi else items[0]
    return wrapper


from .views import sync_view, rebase, NO_GRAD_VIEW  # noqa: E402  (views.py builds its nodes on Op)


__all__ = ["Op", "Function", "once_differentiable", "FREED_MESSAGE"]
