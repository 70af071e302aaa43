"""Op (ember's own ops: array forward, Tensor backward) and Function (torch.autograd.Function)."""
import numpy as np

from .. import _tensor as _tensor_module     # half-initialised here: read .Tensor at call time
from .._dtype import _FLOAT_NP
from .._backend import array_module, check_one_device
from .grad_mode import state
from .graph import Node, SavedTensor, edge_of, accumulator_of, _sequence, FREED_MESSAGE


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
                arrays.append(a._data)
                needs.append(a._rg)
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
            check_one_device(args, cls.__name__)       # CuPy's error for a NumPy operand becomes torch's
            raise
        multi = type(out) is tuple
        outs = out if multi else (out,)
        results = []
        for o in outs:
            if type(o) is not _ndarray and isinstance(o, _generic):
                o = np.asarray(o)
            t = make(o)
            if cls.view:
                base = args[0]
                t._base = base if base._base is None else base._base
                t._vc = base._vc
            results.append(t)
        if record:
            edges = []
            in_meta = []
            for a in args:
                if isinstance(a, Tensor):
                    if not a._rg:
                        edges.append(_NO_EDGE)
                    elif a.grad_fn is not None:
                        edges.append((a.grad_fn, a._output_nr))
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
                    t.grad_fn = ctx
                    t._output_nr = j
            ctx._out_meta = tuple(out_meta)
            to_save = ctx.__dict__.pop("_to_save", None)
            if to_save:
                ctx._saved = tuple([_saved(x, args, arrays, outs, results) for x in to_save])
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
            return SavedTensor(array=t._data, output_nr=j, vc=t._vc) if t.grad_fn is not None \
                else SavedTensor(array=t._data)
    return SavedTensor(array=x)


class _FunctionCtx(Node):
    """The ctx of a user-defined autograd.Function; its backward calls the user's."""

    @staticmethod
    def backward(ctx, *grads):       # called as node.backward(node, *grads), like an Op's
        return ctx._fn.backward(ctx, *grads)


class FunctionMeta(type):
    def __init__(cls, name, bases, attrs):
        super().__init__(name, bases, attrs)
        cls._backward_cls = type(name + "Backward", (_FunctionCtx,), {"_fn": cls, "_node_name": name + "Backward"})


class Function(metaclass=FunctionMeta):
    """torch.autograd.Function: subclass with static forward(ctx, ...) and backward(ctx, *grads)."""

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom autograd.Function.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement either the backward or vjp method for your custom "
                                  "autograd.Function to use it with backward mode AD.")

    @classmethod
    def apply(cls, *args, **kwargs):
        Tensor = _tensor_module.Tensor
        ctx = cls._backward_cls()
        tensor_args = [a for a in args if isinstance(a, Tensor)]
        requires = any(a.requires_grad for a in tensor_args)
        record = requires and state.enabled
        ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
        prev = state.enabled
        state.enabled = False
        try:
            out = cls.forward(ctx, *args, **kwargs)
        finally:
            state.enabled = prev
        multi = isinstance(out, tuple)
        outs = out if multi else (out,)
        if record:
            input_ids = {id(a) for a in tensor_args}
            ctx.next_functions = tuple(edge_of(a) if isinstance(a, Tensor) else (None, 0) for a in args)
            ctx._seq = next(_sequence)      # after its inputs' nodes, AccumulateGrads made just now included
            ctx._in_meta = tuple(_meta(a._data) if isinstance(a, Tensor) else None for a in args)
            non_diff = getattr(ctx, "_non_diff", ())
            fixed = []
            for j, o in enumerate(outs):
                if isinstance(o, Tensor) and id(o) not in non_diff and o.is_floating_point():
                    if id(o) in input_ids:          # an input returned as is: give it its own identity
                        o = o.view_as(o)
                    o.requires_grad, o.grad_fn, o._output_nr = True, ctx, j
                fixed.append(o)
            outs = tuple(fixed)
            ctx._out_meta = tuple(_meta(o._data) if isinstance(o, Tensor) else ((), np.float32, np)
                                  for o in outs)
            to_save = ctx.__dict__.pop("_to_save", ())
            ctx._saved = tuple(None if t is None else SavedTensor(tensor=t) for t in to_save)
        else:
            ctx.__dict__.pop("_to_save", None)
        return outs if multi else outs[0]


def once_differentiable(fn):
    return fn


__all__ = ["Op", "Function", "once_differentiable", "FREED_MESSAGE"]
