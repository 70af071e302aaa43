"""Op (ember's own ops: array forward, Tensor backward) and Function (torch.autograd.Function)."""
import numpy as np

from .. import _tensor as _tensor_module     # half-initialised here: read .Tensor at call time
from .._dtype import _FLOAT_NP
from .._backend import array_module
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
                base = args[0]
                t._base = base if base._base is None else base._base
                t._vc = base._vc
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
                picked = args[:len(explicit)]
            gap = sparse = False
            for a in picked:
                if isinstance(a, Tensor):
                    if a._rg:
                        edges.append((a.grad_fn, a._output_nr) if a.grad_fn is not None else (accumulator_of(a), 0))
                    elif explicit is not None or a._data.dtype in _FLOAT_NP:
                        edges.append(_NO_EDGE)
                    else:       # an integer or bool Tensor (an index, a mask, a class target): not an input
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


def _graph_input_positions(cls, args):
    """The positions of the args that became edges, when they are not a prefix of the args."""
    Tensor = _tensor_module.Tensor
    if cls.inputs is not None:
        return tuple([i for i in cls.inputs if i < len(args)])
    return tuple([i for i, a in enumerate(args) if isinstance(a, Tensor) and (a._rg or a._data.dtype in _FLOAT_NP)])


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
            return SavedTensor(array=t._data, output_nr=j, vc=t._vc) if t.grad_fn is not None \
                else SavedTensor(array=t._data)
    return SavedTensor(array=x)


class _FunctionCtx(Node):
    """The ctx of a user-defined autograd.Function; its backward calls the user's."""

    @staticmethod
    def backward(ctx, *grads):       # called as node.backward(node, *grads), like an Op's
        result = ctx._fn.backward(ctx, *grads)
        if type(result) is not tuple:
            result = tuple(result) if isinstance(result, tuple) else (result,)
        if len(result) < ctx._nargs:
            raise RuntimeError(f"function {ctx.name()} returned an incorrect number of gradients "
                               f"(expected {ctx._nargs}, got {len(result)})")
        return result


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
            # as torch: an edge per Tensor arg; backward still returns a gradient per arg
            ctx.next_functions = tuple(edge_of(a) for a in tensor_args)
            ctx._seq = next(_sequence)      # after its inputs' nodes, AccumulateGrads made just now included
            ctx._in_meta = tuple(_meta(a._data) for a in tensor_args)
            ctx._nargs = len(args)
            if len(tensor_args) != len(args):
                ctx._keep = tuple(i for i, a in enumerate(args) if isinstance(a, Tensor))
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


__all__ = ["Op", "Function", "once_differentiable", "FREED_MESSAGE", "rename", "renamed"]
