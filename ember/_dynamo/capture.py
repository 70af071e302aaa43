"""Recording one call of a compiled function as the array program it ran (ember.compile's front half).

While a call records, a few of ember's seams are swapped for recording versions (when no call records,
nothing is swapped and nothing costs): Op.apply (each op's forward), the engine's node calls, gradient sums
and AccumulateGrad, writes into tensor memory, `.grad` reads and assignments, and the places where a tensor's
value leaks into Python (item, bool, numpy, printing ...). Functions marked `@seams.replayed_as_one_call`
(random draws, optimizer steps, zero_grad ...) are recorded as one call. Each array the call handles becomes
a numbered value (a slot): an argument's, one an instruction made, or one the recording met without seeing
where it came from ("unknown": a parameter, a constant ...; program.py tells them apart by comparing two
recordings of the same program).
"""

import os
import sys
import threading
import types

import numpy as np

from .. import _backend
from .._tensor import Tensor
from .. import autograd
from ..autograd import graph
from ..autograd.function import Op, Function
from ..autograd.grad_mode import state
from . import seams
from .exc import Unsupported

_EMBER_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


class Ref:
    """An array value of the program: the slot that holds it."""

    __slots__ = ("slot",)

    def __init__(self, slot):
        self.slot = slot

    def __eq__(self, other):
        return type(other) is type(self) and other.slot == self.slot

    def __hash__(self):
        return hash((type(self), self.slot))

    def __repr__(self):
        return f"v{self.slot}"


class TensorRef(Ref):
    """A tensor made during the call, passed to a recorded call: replayed as a fresh Tensor of the slot's array."""


class ArgTensor:
    """Argument k of the call, a Tensor passed as the object itself."""

    __slots__ = ("index",)

    def __init__(self, index):
        self.index = index

    def __eq__(self, other):
        return type(other) is ArgTensor and other.index == self.index

    def __hash__(self):
        return hash(("arg", self.index))


class Obj:
    """A Python object from outside the call (a parameter, an optimizer), bound by identity."""

    __slots__ = ("obj",)

    def __init__(self, obj):
        self.obj = obj

    def __eq__(self, other):
        return type(other) is Obj and other.obj is self.obj

    def __hash__(self):
        return id(self.obj)


class ReturnedTensor:
    """A tensor the call made and returns: rebuilt around the replayed array (requiring grad, with a spent
    graph, when the call's own backward ran through it)."""

    __slots__ = ("slot", "requires_grad")

    def __init__(self, slot, requires_grad):
        self.slot, self.requires_grad = slot, requires_grad

    def __eq__(self, other):
        return type(other) is ReturnedTensor and (other.slot, other.requires_grad) == (self.slot, self.requires_grad)

    def __hash__(self):
        return hash((self.slot, self.requires_grad))


class LiveTensor(ReturnedTensor):
    """A tensor the call made and returns whose graph is still to be backpropagated: output `index` of the
    call's CompiledFunctionBackward node."""

    def __init__(self, slot, index):
        super().__init__(slot, True)
        self.index = index

    def __eq__(self, other):
        return type(other) is LiveTensor and (other.slot, other.index) == (self.slot, self.index)

    def __hash__(self):
        return hash((self.slot, self.index))


_PLAIN = (
    int,
    float,
    complex,
    bool,
    str,
    bytes,
    type(None),
    slice,
    type(Ellipsis),
    np.dtype,
    np.generic,
    type,
    types.FunctionType,
    types.BuiltinFunctionType,
    _backend.device,
)


def _is_static(x):
    """A value the program keeps as it is and compares by value: numbers, strings, dtypes, devices, ... and
    tuples of them (a namedtuple of a convolution's geometry)."""
    return isinstance(x, _PLAIN) or isinstance(x, (tuple, frozenset)) and all(_is_static(v) for v in x)


class Instr:
    """One recorded step: kind, what it calls, its arguments (with Refs for values), the slots it fills, and
    static facts about it; `where` is the user's line, for explanations."""

    __slots__ = ("kind", "target", "args", "kwargs", "outs", "info", "where", "grad_mode")

    def __init__(self, kind, target, args, kwargs, outs, info, where):
        self.kind, self.target, self.args, self.kwargs = kind, target, args, kwargs
        self.outs, self.info, self.where = outs, info, where
        self.grad_mode = state.enabled

    def same(self, other):
        return (
            self.kind == other.kind
            and self.target is other.target
            and _equal(self.args, other.args)
            and _equal(self.kwargs, other.kwargs)
            and self.outs == other.outs
            and _equal(self.info, other.info)
            and self.grad_mode == other.grad_mode
        )

    def describe(self):
        name = (
            getattr(self.target, "__qualname__", None)
            or getattr(self.target, "__name__", None)
            or type(self.target).__name__
        )
        return f"{self.kind} {name}" + (f" at {self.where}" if self.where else "")


def _equal(a, b):
    """Structural equality of recorded arguments (NaN equal to itself, numbers of different types not)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, (tuple, list)):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    if isinstance(a, float) and a != a:
        return b != b
    try:
        return bool(a == b)
    except Exception:  # noqa: BLE001 -- a value without a plain equality: compared by identity
        return a is b


def _masks_shape(args, outs):
    """Whether an index key among `args` holds a boolean mask and the result's shape is not the input's."""
    for a in args:
        if type(a) in (tuple, list) and any(is_array(k) and k.dtype == np.bool_ and k.ndim for k in a):
            first = args[0]._data.shape if isinstance(args[0], Tensor) else None
            return any(t._data.shape != first for t in outs)
    return False


def is_array(x):
    return type(x) is np.ndarray or (_backend._cupy and isinstance(x, _backend._cupy.ndarray))


def user_frame(skip_ember=True):
    """'file:line in function' of the innermost frame outside ember (the user's line)."""
    frame = sys._getframe(1)
    while frame is not None and skip_ember and frame.f_code.co_filename.startswith(_EMBER_DIR):
        frame = frame.f_back
    if frame is None:
        return ""
    return f"{frame.f_code.co_filename}:{frame.f_lineno} in {frame.f_code.co_name}"


class Recorder:
    """The program of one call, built while the call runs eagerly."""

    def __init__(self, arg_tensors, fullgraph=False):
        self.thread = threading.get_ident()
        self.depth = 0  # > 0 inside a call recorded as a whole: nothing in it is recorded again
        self.fullgraph = fullgraph
        self.grad_mode = state.enabled
        self.values = []  # slot -> its value in this recording (kept, so ids stay unique)
        self.kinds = []  # slot -> "input" | "out" | "unknown"
        self.owners = {}  # unknown slot -> the Tensor whose array it was
        self.vcs = {}  # unknown slot -> the version counter of a tensor written through it
        self.slot_of = {}  # id(value) -> slot
        self.instrs = []
        self.ctx_instr = {}  # id(ctx) -> index of the op instruction whose ctx it is
        self.ctxs = []  # the recorded ctxs (kept, so ids stay unique)
        self.reasons = []  # why the call cannot be replayed: (message, where)
        self.live = []  # the returned tensors whose backward runs after the call
        self.split = None  # where the instructions of that backward start
        self.grad_slots = ()  # the slots of the gradients it receives
        self.captured = None  # the slots of the gradients it returns (None: none reached that input)
        self.complete = False  # the call (and that backward, if any) has been recorded
        self.edge_vars = ()  # the leaves that backward reaches, as bound (params, arguments)
        self.arg_index = {}
        self.arg_slots = []  # argument k's array -> its slot
        for k, t in enumerate(arg_tensors):
            self.arg_index.setdefault(id(t), k)
            slot = self.slot_of.get(id(t._data))
            self.arg_slots.append(self._new(t._data, "input") if slot is None else slot)

    def release(self):
        """Drop what only building the program needed: the recorded arrays, objects and graph nodes."""
        self.values, self.slot_of, self.ctxs, self.ctx_instr, self.live = None, None, None, None, None

    # --- values -----------------------------------------------------------------------------------
    def _new(self, value, kind):
        slot = len(self.values)
        self.values.append(value)
        self.kinds.append(kind)
        self.slot_of[id(value)] = slot
        return slot

    def ref(self, value, owner=None):
        slot = self.slot_of.get(id(value))
        if slot is None:
            slot = self._new(value, "unknown")
            if owner is not None:
                self.owners[slot] = owner
        return Ref(slot)

    def out(self, value):
        return self._new(value, "out")

    def made_here(self, tensor):
        slot = self.slot_of.get(id(tensor._data))
        return slot is not None and self.kinds[slot] == "out"

    def bind(self, x):
        """An argument of a recorded call as the program keeps it."""
        if isinstance(x, Tensor):
            k = self.arg_index.get(id(x))
            if k is not None:
                return ArgTensor(k)
            if self.made_here(x):
                return TensorRef(self.slot_of[id(x._data)])
            return Obj(x)
        if is_array(x):
            return self.ref(x)
        if type(x) in (tuple, list):
            return type(x)(self.bind(v) for v in x)
        if type(x) is dict:
            return {k: self.bind(v) for k, v in x.items()}
        if _is_static(x):
            return x
        slot = self.slot_of.get(id(x))
        return Ref(slot) if slot is not None else Obj(x)

    def bind_object(self, tensor):
        k = self.arg_index.get(id(tensor))
        return ArgTensor(k) if k is not None else Obj(tensor)

    def bind_result(self, result):
        """The slots a recorded call's result fills: its arrays and tensors' arrays, as a template."""
        if isinstance(result, Tensor):
            return TensorRef(self.out(result._data))
        if is_array(result):
            return Ref(self.out(result))
        if type(result) in (tuple, list):
            return type(result)(self.bind_result(r) for r in result)
        if isinstance(result, _PLAIN):
            return result
        return Ref(self.out(result))  # an object the call made (a loss's targets ...): a value too

    def bind_return(self, result):
        """What the call returned, as the replay rebuilds it: tensors made in the call around their replayed
        arrays, the arguments and outside objects as themselves, other values as they were."""
        if isinstance(result, Tensor):
            k = self.arg_index.get(id(result))
            if k is not None:
                return ArgTensor(k)
            if not self.made_here(result):
                return Obj(result)
            node = result._grad_fn
            slot = self.slot_of[id(result._data)]
            if node is not None and not node._freed:  # its backward runs after the call
                index = next((i for i, t in enumerate(self.live) if t is result), None)
                if index is None:
                    index = len(self.live)
                    self.live.append(result)
                return LiveTensor(slot, index)
            if result._requires_grad and node is None:
                self.unsupported("the call returns a tensor made in the call that requires grad (a new leaf)")
            return ReturnedTensor(slot, node is not None)
        if is_array(result):
            return self.ref(result)
        if type(result) in (tuple, list):
            return type(result)(self.bind_return(r) for r in result)
        if type(result) is dict:
            return {k: self.bind_return(v) for k, v in result.items()}
        if isinstance(result, _PLAIN):
            return result
        return Obj(result)

    # --- what cannot be replayed ------------------------------------------------------------------
    def unsupported(self, message):
        where = user_frame()
        self.reasons.append((message, where))
        if self.fullgraph:
            raise Unsupported(
                f"{message}"
                + (f"\n  from user code at {where}" if where else "")
                + "\n(fullgraph=True: ember.compile cannot capture this call as one program; without "
                "fullgraph the call runs eagerly)"
            )

    # --- recording ----------------------------------------------------------------------------------
    def add(self, kind, target, args, kwargs, outs, info=None):
        self.instrs.append(Instr(kind, target, args, kwargs, outs, info, user_frame()))
        return len(self.instrs) - 1

    def record_call(self, fn, args, kwargs):
        """A @replayed_as_one_call function: called now, and called again by the replay."""
        args = tuple(list(a) if isinstance(a, (types.GeneratorType, map, filter)) else a for a in args)
        targs, tkwargs = self.bind(args), self.bind(kwargs)
        self.depth += 1
        try:
            result = fn(*args, **kwargs)
        finally:
            self.depth -= 1
        self.add("call", fn, targs, tkwargs, self.bind_result(result))
        return result

    def record_op(self, cls, args, kwargs):
        targs = tuple(self.ref(a._data, a) if isinstance(a, Tensor) else self.bind(a) for a in args)
        tkwargs = self.bind(kwargs) if kwargs else {}
        self.depth += 1
        try:
            result = _ORIGINAL["apply"](cls, *args, **kwargs)
        finally:
            self.depth -= 1
        multi = type(result) is tuple
        outs = result if multi else (result,)
        if _masks_shape(args, outs):
            self.unsupported(
                f"{cls.__name__[:-9] or cls.__name__}: indexing with a boolean mask makes a result whose "
                "shape depends on the mask's values (torch breaks the graph there too)"
            )
        needs = tuple([isinstance(a, Tensor) and a._requires_grad for a in args])
        record = True in needs and cls.differentiable and state.enabled
        slots = tuple(self.out(t._data) for t in outs)
        zero_d = tuple(t._data.ndim == 0 for t in outs)
        ctx = next((t._grad_fn for t in outs if t._grad_fn is not None), None) if record else None
        # what a backward may read of its node besides what its forward set: the inputs' (shape, dtype, xp)
        in_meta = ctx._in_meta if ctx is not None else None
        index = self.add("op", cls, targs, tkwargs, slots, (record, needs if record else None, zero_d, multi, in_meta))
        if ctx is not None:
            self.ctx_instr[id(ctx)] = index
            self.ctxs.append(ctx)
        if graph._saved_tensors_hooks:
            self.unsupported("saved_tensors_hooks: a hook packs each saved tensor in Python")
        return result

    def record_node(self, node, grads, mode):
        index = self.ctx_instr.get(id(node))
        problem = None
        if mode is graph.TENSORS:
            problem = "backward with create_graph=True (double backward) inside a compiled function"
        elif index is None:
            problem = (
                f"backward through {node.name()}, a graph node made outside what the compiled call "
                "recorded (a graph built before the call, or by a custom autograd.Function)"
            )
        elif node._out_hooks or node._retained or "_pre_hooks" in node.__dict__ or node._hooks:
            problem = f"a hook (or retain_grad) on {node.name()}: hooks run Python during backward"
        elif node._conj:
            problem = f"complex backward of {node.name()}"
        elif state.anomaly:
            problem = "anomaly detection is on"
        if problem is not None:
            self.unsupported(problem)
            self.depth += 1
            try:
                return _ORIGINAL["call_node"](node, grads, mode)
            finally:
                self.depth -= 1
        seen = {}
        backward = type(node).backward

        def shadow(n, *gs):
            seen["grads"] = gs
            seen["result"] = r = backward(n, *gs)
            return r

        node.backward = shadow
        self.depth += 1
        try:
            final = _ORIGINAL["call_node"](node, grads, mode)
        finally:
            self.depth -= 1
            del node.__dict__["backward"]
        array_mode = bool(node.array_backward)
        gs = tuple(None if g is None else self.ref(g if array_mode else g._data) for g in seen["grads"])
        raw = seen["result"]
        how = "tuple" if type(raw) is tuple else "seq" if isinstance(raw, tuple) else "single"
        raw = raw if how == "tuple" else tuple(raw) if how == "seq" else (raw,)
        pick = node._keep if node._keep is not None else tuple(range(len(final)))
        codes, outs = [], []
        for i, f in enumerate(final):
            r = raw[pick[i]]
            if f is None:
                codes.append(None)
                continue
            if f is r:
                codes.append("same")
            elif isinstance(r, Tensor) and f is r._data:
                codes.append("data")
            else:
                codes.append(("convert", node._in_meta[i], node.next_functions[i][0] is not None))
            outs.append(self.out(f))
        self.add(
            "node", backward, gs, None, tuple(outs), (index, array_mode, how, pick, tuple(codes), type(node).__name__)
        )
        return final

    def record_backward(self, args, kwargs):
        """The engine's walk: its node calls are recorded one by one, between these two marks (the walk runs
        NumPy's math with its warnings off, which the replay does too)."""
        self.add("backward", None, (), None, ())
        try:
            result = _ORIGINAL["run_backward"](*args, **kwargs)
        finally:
            self.add("end_backward", None, (), None, ())
        if graph._final_callbacks:
            self.unsupported("a callback queued for the end of backward (queue_callback) runs Python")
        return result

    def record_later_backward(self, roots, grads, edges):
        """The backward of the call's live outputs, run after the call: the engine's walk from the outputs'
        nodes to `edges` (the leaves the call's graph reaches), whose gradients it returns (arrays or None)."""
        self.split = len(self.instrs)
        self.grad_slots = tuple(self._new(g, "grad") for g in grads)
        self.thread = threading.get_ident()
        start(self)
        try:
            found = graph.run_backward(
                roots,
                [Tensor._make(g) for g in grads],
                True,
                False,
                capture={edge: i for i, edge in enumerate(edges)},
                accumulate=False,
            )
        finally:
            stop()
        found = [None if g is None else g._data for g in found]
        self.captured = tuple(None if g is None else self.ref(g) for g in found)
        self.complete = not self.reasons
        return found

    def record_sum(self, a, b):
        total = _ORIGINAL["sum"](a, b)
        self.add("sum", graph._sum, (self.ref(a), self.ref(b)), None, (self.out(total),))
        return total

    def record_accumulate(self, acc, grad, mode):
        var = acc.variable
        if var._hooks or var._post_acc_hooks:
            self.unsupported("a hook on a leaf tensor's gradient runs Python during backward")
        before = _GRAD_SLOT.__get__(var, Tensor)
        grad_ref = self.ref(grad)
        self.depth += 1
        try:
            _ORIGINAL["accumulate"](acc, grad, mode)
        finally:
            self.depth -= 1
        after = _GRAD_SLOT.__get__(var, Tensor)
        adopted = before is None and after is not None and after._data is grad
        outs = (self.out(after._data),) if before is None and not adopted and after is not None else ()
        self.add("acc", None, (self.bind_object(var), grad_ref), None, outs, (adopted,))

    def record_write(self, tensor, src, expanded_ok):
        dst = self.ref(tensor._data, tensor)
        if self.kinds[dst.slot] == "unknown":
            self.vcs[dst.slot] = tensor._version_counter
        source = self.ref(src) if is_array(src) else src
        self.depth += 1
        try:
            _ORIGINAL["write"](tensor, src, expanded_ok)
        finally:
            self.depth -= 1
        self.add("write", None, (dst, source, expanded_ok), None, ())

    def record_grad_read(self, tensor, grad):
        if self.made_here(tensor):
            return
        if grad is None:
            self.add("getgrad", None, (self.bind_object(tensor),), None, (), (False,))
        else:
            self.add("getgrad", None, (self.bind_object(tensor),), None, (self.out(grad._data),), (True,))

    def record_grad_write(self, tensor, value):
        if self.made_here(tensor):
            return
        if value is None:
            bound = None
        elif self.made_here(value):
            bound = TensorRef(self.slot_of[id(value._data)])
        else:
            bound = self.bind_object(value)
        self.add("setgrad", None, (self.bind_object(tensor), bound), None, ())


# --- the seams, swapped while a call records -------------------------------------------------------------
_ORIGINAL = {}
_GRAD_SLOT = Tensor.__dict__["grad"]  # the member descriptor of Tensor's `grad` slot
_LEAKS = {
    "item": "Tensor.item() reads a tensor's value into Python",
    "tolist": "Tensor.tolist() reads a tensor's values into Python",
    "numpy": "Tensor.numpy() hands the tensor's memory to NumPy",
    "__array__": "converting a tensor to a NumPy array (np.asarray(tensor)) reads its values into Python",
    "__bool__": "bool(tensor) (an `if` or `while` on a tensor value): data-dependent Python control flow",
    "__float__": "float(tensor) reads a tensor's value into Python",
    "__int__": "int(tensor) reads a tensor's value into Python",
    "__index__": "a tensor used as a Python index reads its value into Python",
    "__complex__": "complex(tensor) reads a tensor's value into Python",
    "__repr__": "printing a tensor (repr/str) reads its values into Python",
    "__format__": "formatting a tensor reads its values into Python",
}


def _active():
    rec = seams.recorder
    if rec is None or rec.depth or rec.thread != threading.get_ident():
        return None
    return rec


def _apply(cls, *args, **kwargs):
    rec = _active()
    if rec is None:
        return _ORIGINAL["apply"](cls, *args, **kwargs)
    return rec.record_op(cls, args, kwargs)


def _function_apply(cls, *args, **kwargs):
    rec = _active()
    if rec is not None:
        rec.unsupported(f"custom autograd.Function {cls.__name__}: its forward and backward run as Python code")
        rec.depth += 1
        try:
            return _ORIGINAL["function_apply"](cls, *args, **kwargs)
        finally:
            rec.depth -= 1
    return _ORIGINAL["function_apply"](cls, *args, **kwargs)


def _call_node(node, grads, mode):
    rec = _active()
    if rec is None:
        return _ORIGINAL["call_node"](node, grads, mode)
    return rec.record_node(node, grads, mode)


def _run_backward(*args, **kwargs):
    rec = _active()
    if rec is None:
        return _ORIGINAL["run_backward"](*args, **kwargs)
    return rec.record_backward(args, kwargs)


def _sum(a, b):
    rec = _active()
    if rec is None:
        return _ORIGINAL["sum"](a, b)
    return rec.record_sum(a, b)


def _accumulate(self, grad, mode):
    rec = _active()
    if rec is None:
        return _ORIGINAL["accumulate"](self, grad, mode)
    return rec.record_accumulate(self, grad, mode)


def _write(self, src, expanded_ok=False):
    rec = _active()
    if rec is None:
        return _ORIGINAL["write"](self, src, expanded_ok)
    rec.record_write(self, src, expanded_ok)
    return self


def _get_grad(self):
    grad = _GRAD_SLOT.__get__(self, Tensor)
    rec = _active()
    if rec is not None:
        rec.record_grad_read(self, grad)
    return grad


def _set_grad(self, value):
    rec = _active()
    if rec is not None:
        try:
            _GRAD_SLOT.__get__(self, Tensor)
        except AttributeError:  # a tensor being made (Tensor._make): nothing to record
            pass
        else:
            rec.record_grad_write(self, value)
    _GRAD_SLOT.__set__(self, value)


def _set_data(self, value):
    rec = _active()
    if rec is not None:
        rec.unsupported("assigning Tensor.data replaces a tensor's memory from Python")
    _ORIGINAL["data"].fset(self, value)


def _leak(name, message):
    original = _ORIGINAL[name]

    def method(self, *args, **kwargs):
        rec = _active()
        if rec is not None:
            rec.unsupported(message)
            rec.depth += 1
            try:
                return original(self, *args, **kwargs)
            finally:
                rec.depth -= 1
        return original(self, *args, **kwargs)

    method.__name__ = name
    return method


_ORIGINAL.update(
    apply=Op.apply.__func__,
    function_apply=Function.apply.__func__,
    call_node=graph._call_node,
    run_backward=graph.run_backward,
    sum=graph._sum,
    accumulate=graph.AccumulateGrad.accumulate,
    write=Tensor._write,
    data=Tensor.__dict__["data"],
)
_ORIGINAL.update({name: Tensor.__dict__[name] for name in _LEAKS})
_RECORDING = {
    (Op, "apply"): classmethod(_apply),
    (Function, "apply"): classmethod(_function_apply),
    (graph, "_call_node"): _call_node,
    (graph, "run_backward"): _run_backward,
    (autograd, "run_backward"): _run_backward,
    (graph, "_sum"): _sum,
    (graph.AccumulateGrad, "accumulate"): _accumulate,
    (Tensor, "_write"): _write,
    (Tensor, "grad"): property(_get_grad, _set_grad),
    (Tensor, "data"): property(_ORIGINAL["data"].fget, _set_data),
    **{(Tensor, name): _leak(name, message) for name, message in _LEAKS.items()},
}
_SAVED = {
    (owner, name): (owner.__dict__[name] if isinstance(owner, type) else getattr(owner, name))
    for owner, name in _RECORDING
}


def start(recorder):
    """Swap the seams for their recording versions; `stop` puts them back."""
    if seams.recorder is not None:
        raise RuntimeError("ember.compile: a call is already recording")
    seams.recorder = recorder
    for (owner, name), value in _RECORDING.items():
        setattr(owner, name, value)


def stop():
    for (owner, name), value in _SAVED.items():
        setattr(owner, name, value)
    seams.recorder = None
