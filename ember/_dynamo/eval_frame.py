"""ember.compile (torch.compile): guards, a cache of recorded programs per guard set, and their replay.

A compiled callable's first calls run eagerly while capture.py records their array program. Two equal
recordings make a Program (program.py); the next call replays it and runs eagerly from the same state, and
the two results and states are compared bit for bit; from then on matching calls replay it. A call that
cannot be captured (a tensor value read into Python, hooks, a custom autograd.Function ...) runs eagerly,
with the reason kept for explain(); with fullgraph=True the reason is raised instead.

Every mode (default, reduce-overhead, max-autotune ...) uses this one mechanism: on the CPU a replay runs
the recorded NumPy kernels without the eager per-op work (Tensors, graph nodes, the engine's walk), which is
what torch's reduce-overhead mode buys on a GPU with CUDA graphs; there is no kernel generation.
"""

import copy
import functools
import warnings
import weakref

from .. import _backend, _dtype
from .._tensor import Tensor
from ..autograd.grad_mode import state
from . import capture, config, seams
from ..autograd.graph import AccumulateGrad, FREED_MESSAGE, Node, edge_of, run_backward, _sequence
from .capture import ArgTensor, Obj, Recorder, is_array
from .exc import Unsupported, InvalidBackend
from .program import CompiledFunctionBackward, Program, StaleProgram, _bitwise_equal
from ..nn.modules.module import Module

_CAPTURING_BACKENDS = ("inductor", "cudagraphs", "aot_eager", "aot_eager_decomp_partition", "aot_inductor_eager")
_MODES = ("default", "lite", "reduce-overhead", "max-autotune-no-cudagraphs", "max-autotune")
_all_compiled = []  # weak references to every compiled callable's state, for reset()


def compile(
    model=None,
    *,
    fullgraph=False,
    dynamic=None,
    backend="inductor",
    mode=None,
    options=None,
    name=None,
    disable=False,
    recompile_limit=None,
    isolate_recompiles=False,
    shapes_spec=None,
):
    """torch.compile: returns `model` (a function or an nn.Module) compiled; used bare or with arguments as
    a decorator (`@ember.compile`, `@ember.compile(mode="reduce-overhead")`).

    The first calls run eagerly and record the array program of the call (forward ops, backward nodes,
    optimizer updates, writes, random draws) for its guards: the arguments' shapes, dtypes, devices,
    strides and requires_grad, Python scalar arguments, grad mode, the default dtype, the training flags
    and parameters of the modules the function reaches (its own module, modules in its closure, globals or
    arguments). Later calls with the same guards replay the program: the same kernels in the same order on
    the same or freshly made arrays, so the results equal eager ember's bit for bit, without making Tensors,
    graph nodes or running the autograd engine. New guards record again, up to `recompile_limit`
    (torch._dynamo.config.cache_size_limit by default) recordings, then run eagerly. A learning rate changed
    by a scheduler is read by the replayed optimizer step itself.

    What cannot be captured runs eagerly for that call, and explain() says why: a tensor value read into
    Python (.item(), bool(tensor) in an `if`, .tolist(), .numpy(), printing), hooks, custom
    autograd.Function, double backward, a tensor returned whose backward runs after the call (the call
    must run its own backward, or none), arrays computed outside ember's ops. With fullgraph=True these
    raise torch._dynamo.exc.Unsupported instead, naming the construct and the line.

    mode: "default", "reduce-overhead", "max-autotune" (and torch's other names) all use this mechanism;
    on CuPy the replay is the same (the kernel launches without the Python around them). backend:
    "inductor" (default), "cudagraphs", "aot_eager" capture; "eager" runs the function as it is; a callable
    backend is refused (NotImplementedError). dynamic=True is accepted: ember records one program per shape
    either way. options (Inductor's settings) and shapes_spec are refused when given.
    """
    if model is None:
        return functools.partial(
            compile,
            fullgraph=fullgraph,
            dynamic=dynamic,
            backend=backend,
            mode=mode,
            options=options,
            name=name,
            disable=disable,
            recompile_limit=recompile_limit,
            isolate_recompiles=isolate_recompiles,
            shapes_spec=shapes_spec,
        )
    if not callable(model):
        raise AssertionError(f"A callable function is expected, but {type(model)} is provided.")
    if mode is not None and options is not None:
        raise RuntimeError("Either mode or options can be specified, but both can't be specified at the same time.")
    if mode is not None and mode not in _MODES:
        raise RuntimeError(f"Unrecognized mode={mode}, should be one of: {', '.join(_MODES)}")
    if options:
        raise NotImplementedError(
            f"ember.compile: options={options!r} configure torch's Inductor code generator, "
            "which ember does not have (ember replays recorded kernels); pass no options"
        )
    if shapes_spec is not None:
        raise NotImplementedError("ember.compile: shapes_spec is not supported (ember records one program per shape)")
    if dynamic not in (None, True, False):
        raise TypeError(f"ember.compile: dynamic must be None, True or False, got {dynamic!r}")
    if backend is None:
        backend = "inductor"
    if callable(backend):
        raise NotImplementedError(
            f"ember.compile: backend={getattr(backend, '__name__', backend)!r} is a callable "
            "backend (a function given an FX GraphModule); ember records array programs, not "
            "FX graphs, so it cannot call it. Use backend='inductor' or 'eager'"
        )
    if not isinstance(backend, str) or backend not in _CAPTURING_BACKENDS + ("eager",):
        raise InvalidBackend(
            f"Invalid backend: {backend!r}, see `torch._dynamo.list_backends()` for available backends."
        )
    if recompile_limit is not None and (type(recompile_limit) is not int or recompile_limit < 0):
        raise TypeError(f"ember.compile: recompile_limit must be a non-negative int, got {recompile_limit!r}")
    capturing = not disable and backend != "eager"
    if isinstance(model, Module):
        return OptimizedModule(model, _Compiled(None, fullgraph, capturing, recompile_limit, model))
    compiled = _Compiled(model, fullgraph, capturing, recompile_limit)

    @functools.wraps(model)
    def compiled_function(*args, **kwargs):
        return compiled(args, kwargs)

    compiled_function._torchdynamo_orig_callable = model
    compiled_function._ember_compiled = compiled
    compiled_function.explain = compiled.explain
    return compiled_function


class OptimizedModule(Module):
    """A compiled nn.Module (torch._dynamo.eval_frame.OptimizedModule): calls go through the compiled
    `_orig_mod.__call__`; parameters, buffers and state_dict are `_orig_mod`'s (keys prefixed '_orig_mod.',
    as torch's), and other attributes are read from `_orig_mod`."""

    def __init__(self, mod, compiled):
        super().__init__()
        self._orig_mod = mod
        object.__setattr__(self, "_ember_compiled", compiled)

    def __call__(self, *args, **kwargs):
        return self._ember_compiled(args, kwargs)

    forward = __call__

    def explain(self):
        return self._ember_compiled.explain()

    def __getattr__(self, name):
        try:
            return Module.__getattr__(self, name)
        except AttributeError:
            if name in ("_orig_mod", "_ember_compiled") or name.startswith("__"):
                raise
            return getattr(self._orig_mod, name)


# --- guards -------------------------------------------------------------------------------------------
def _flatten(value, tensors, key, keep):
    """The guard signature of an argument (appended to key), collecting its Tensors in order."""
    if isinstance(value, Tensor):
        d = value._data
        tensors.append(value)
        key.append(
            (
                type(value),
                d.shape,
                d.dtype,
                d.strides,
                _backend.device_of(d),
                value._requires_grad,
                value._grad_fn is None,
                value._base is None,
            )
        )
    elif isinstance(value, (tuple, list)):
        key.append((type(value), len(value)))
        for v in value:
            _flatten(v, tensors, key, keep)
    elif isinstance(value, dict):
        key.append((dict, tuple(value)))
        for v in value.values():
            _flatten(v, tensors, key, keep)
    elif isinstance(value, (int, float, bool, str, complex, bytes, type(None))):
        key.append((type(value), value))
    else:
        keep.append(value)
        key.append((type(value), id(value)))


def _reachable(fn):
    """The objects a function reaches without running: closure contents, the globals it names, `self` of a
    bound method (and that object's attributes)."""
    found = []
    self = getattr(fn, "__self__", None)
    if self is not None:
        found.append(self)
        found.extend(getattr(self, "__dict__", {}).values())
        fn = getattr(fn, "__func__", fn)
    code = getattr(fn, "__code__", None)
    if code is None:
        return found
    for cell in getattr(fn, "__closure__", None) or ():
        try:
            found.append(cell.cell_contents)
        except ValueError:  # an empty cell
            pass
    names = getattr(fn, "__globals__", {})
    found.extend(names[n] for n in code.co_names if n in names)
    return found


class _Known:
    """The modules, optimizers and tensors a call reaches: their state is guarded and, before a program's
    first replay, compared between the replay and eager."""

    def __init__(self, objects):
        from ..optim.optimizer import Optimizer

        self.modules, self.optimizers, self.tensors = [], [], []
        seen = set()
        for obj in objects:
            if id(obj) in seen:
                continue
            seen.add(id(obj))
            if isinstance(obj, Module):
                self.modules.append(obj)
            elif isinstance(obj, Optimizer):
                self.optimizers.append(obj)
            elif isinstance(obj, Tensor):
                self.tensors.append(obj)

    def signature(self):
        sig = []
        for m in self.modules:
            for sub in m.modules():
                sig.append(sub.training)
                sig.extend(map(id, sub._parameters.values()))
                sig.extend(map(id, sub._buffers.values()))
                if sub._forward_hooks or sub._forward_pre_hooks or sub._backward_hooks or sub._backward_pre_hooks:
                    sig.append("hooks")
        return tuple(sig)


def _module_hooks(known):
    from ..nn.modules import module as module_mod

    if (
        module_mod._global_forward_pre_hooks
        or module_mod._global_forward_hooks
        or module_mod._global_backward_hooks
        or module_mod._global_backward_pre_hooks
    ):
        return "a global module hook is registered: hooks run Python in the call"
    for m in known.modules:
        for name, sub in m.named_modules():
            if sub._forward_hooks or sub._forward_pre_hooks or sub._backward_hooks or sub._backward_pre_hooks:
                return f"module {name or type(m).__name__!r} has hooks: they run Python in the call"
    return None


# --- the compiled callable -------------------------------------------------------------------------------
class _Compiled:
    """The state of one compiled callable: its cache of entries, one per guard set."""

    def __init__(self, fn, fullgraph, capturing, recompile_limit=None, module=None):
        self._fn = fn
        self.fullgraph = fullgraph
        self.capturing = capturing
        self.recompile_limit = recompile_limit
        self.module = module
        self.entries = {}
        self.warned_limit = False
        self.known = None
        self.state_rebinds = 0  # calls that rebound their modules' parameters or buffers
        self.reason = None  # why every call runs eagerly (a call that rebinds module state each time)
        _all_compiled.append(weakref.ref(self))

    @property
    def fn(self):
        # a module's __call__ looked up at each call: a lazy module changes its class on its first call
        return self._fn if self.module is None else self.module.__call__

    def reset(self):
        self.entries.clear()
        self.warned_limit = False
        self.state_rebinds, self.reason = 0, None

    def rebound_state(self, entry):
        """A recorded call assigned its modules' parameters or buffers: the next call has new guards, so each
        would record again; after a few such calls every call runs eagerly, with the reason."""
        self.state_rebinds += 1
        reason = (
            "the call assigns a parameter or buffer of a module it reaches (e.g. `self.running = new "
            "tensor` in forward): the module state is guarded and a replay runs no Python of the function; "
            "update it in place instead (`self.running.copy_(new)`)",
            "",
        )
        entry.note = reason
        if self.state_rebinds >= 3:
            self.reason = reason
            self.entries = {k: e for k, e in self.entries.items() if e.program is not None}
            if self.fullgraph:
                raise Unsupported(reason[0] + "\n(fullgraph=True: ember.compile cannot replay this function)")

    def _known(self, reach, keep):
        """The modules, optimizers and tensors the call reaches (kept while those objects stay the same)."""
        ids = tuple(map(id, reach)) + tuple(map(id, keep))
        if self.known is None or self.known[0] != ids:
            objects = ([self.module] if self.module is not None else []) + reach + keep
            self.known = (ids, _Known(objects), objects)
        return self.known[1]

    def __call__(self, args, kwargs):
        if not self.capturing or seams.recorder is not None or state.anomaly or self.reason is not None:
            return self.fn(*args, **kwargs)  # inside a recording, the outer call records this one's ops
        tensors, key, keep = [], [], []
        for a in args:
            _flatten(a, tensors, key, keep)
        for k, v in kwargs.items():
            key.append(k)
            _flatten(v, tensors, key, keep)
        reach = _reachable(self.fn)
        known = self._known(reach, keep)
        key.append(tuple(map(id, reach)))
        key.append(known.signature())
        key.append((state.enabled, _dtype.get_default_dtype(), _backend.get_default_device()))
        key = tuple(key)
        entry = self.entries.get(key)
        if entry is None:
            limit = config.cache_size_limit if self.recompile_limit is None else self.recompile_limit
            if len(self.entries) >= limit:
                if not self.warned_limit:
                    self.warned_limit = True
                    warnings.warn(
                        f"ember.compile: {getattr(self.fn, '__qualname__', self.fn)} hit the recompile "
                        f"limit ({limit}, torch._dynamo.config.cache_size_limit): calls with new guards "
                        "(shapes, dtypes, Python values, module state) run eagerly from now on",
                        stacklevel=3,
                    )
                return self.fn(*args, **kwargs)
            entry = self.entries[key] = _Entry(self, keep + reach)
        return entry.call(args, kwargs, tensors, known)

    def explain(self):
        """Why calls of this function run eagerly: a list of torch's GraphCompileReason (reason, user_stack),
        one per guard set that cannot be replayed (empty when every guard set was captured)."""
        from .debugging import reasons_of

        reasons = [reason for entry in self.entries.values() for reason in entry.reasons()]
        return reasons_of(reasons + ([self.reason] if self.reason is not None else []))


class _Entry:
    """One guard set: its recordings, then its program, verified once against eager, then replayed."""

    def __init__(self, owner, keep):
        self.owner = owner
        self.keep = keep  # the guarded objects, kept so that their ids stay theirs
        self.recordings = []  # the latest recordings, waiting for two equal complete ones
        self.program = None
        self.verified = False  # a replay of the call equalled eager
        self.backward_verified = False  # ... and of the backward run after it (when there is one)
        self.reason = None  # why this guard set runs eagerly (then for good)
        self.mismatches = 0
        self.rebinding = 0
        self.note = None  # why the last recording was not kept
        self.replays = 0

    def reasons(self):
        reason = self.reason or (self.note if self.program is None else None)
        return [reason] if reason is not None else []

    def call(self, args, kwargs, tensors, known):
        fn = self.owner.fn
        if self.reason is None and self.program is None:
            self._consider()
        if self.reason is not None:
            return fn(*args, **kwargs)
        program = self.program
        if program is not None:
            if not self.verified:
                return self._verify(args, kwargs, tensors, known)
            if program.recording.split is not None and not self.backward_verified:
                return fn(*args, **kwargs)  # until the verified call's backward has been compared
            try:
                result = _replay(program, tensors)
            except StaleProgram:
                self.program, self.recordings = None, []
            else:
                self.replays += 1
                return result
        return self._record(args, kwargs, tensors, known)

    def _refuse(self, reason):
        self.reason = reason
        self.recordings, self.program = [], None
        if self.owner.fullgraph:
            message, where = reason
            raise Unsupported(
                message
                + (f"\n  from user code at {where}" if where else "")
                + "\n(fullgraph=True: ember.compile cannot replay this function)"
            )

    def _consider(self):
        """A program from the last two complete recordings, when they did the same thing."""
        for rec in self.recordings:
            if rec.reasons:
                self._refuse(rec.reasons[0])
                return
        complete = [r for r in self.recordings if r.complete]
        if len(complete) < 2:
            if len(self.recordings) == _KEPT and not complete:
                self._refuse(
                    (
                        "the tensors the call returns require grad, but their backward did not run before "
                        f"the next {_KEPT} calls (for evaluation, call it under torch.no_grad())",
                        "",
                    )
                )
            return
        program = Program(complete[-2], complete[-1])
        if program.reason is None:
            self.program, self.recordings = program, []
            self.verified = self.backward_verified = not config.verify_replay
            return
        self.recordings.remove(complete[-2])
        complete[-2].release()
        self.mismatches += 1
        if self.mismatches >= 3:
            self._refuse((program.reason, ""))

    def _record(self, args, kwargs, tensors, known, check=None):
        fn = self.owner.fn
        hooks = _module_hooks(known)
        if hooks is not None:
            if self.owner.fullgraph:
                raise Unsupported(hooks + " (fullgraph=True)")
            self._refuse((hooks, ""))
            return fn(*args, **kwargs)
        # an argument with history from before the call enters it as a leaf, so that the call's graph ends
        # at its arguments (the node made for a backward after the call links back to that history)
        inner = {id(t): t.detach().requires_grad_() for t in tensors if t._grad_fn is not None and t._requires_grad}
        if inner:
            args, kwargs = _substituted(args, inner), _substituted(kwargs, inner)
        rec = Recorder([inner.get(id(t), t) for t in tensors], self.owner.fullgraph)
        before = [id(o) for o in _reachable(fn)]
        signature = known.signature()
        capture.start(rec)
        try:
            result = fn(*args, **kwargs)
            rec.result = rec.bind_return(result)
        finally:
            capture.stop()
        if known.signature() != signature:
            self.program, self.recordings = None, []
            self.owner.rebound_state(self)
            return result
        if [id(o) for o in _reachable(fn)] != before:
            # a replay runs none of the function's Python: a call that rebinds what it reaches is not replayed
            # (a first call that sets up a cache does it once, and the next recordings are kept)
            self.rebinding += 1
            self.note = (
                "the call assigns a Python variable it reaches (a closure variable, a global or an "
                "attribute of self): a replay runs no Python of the function",
                "",
            )
            if self.rebinding >= 3:
                self._refuse(self.note)
            return result
        if any(t.grad is not None for t in inner.values()):
            rec.unsupported("the call's own backward reaches an argument's history from before the call")
        if rec.reasons:
            self._refuse(rec.reasons[0])
            return result
        if rec.live:
            result = _RecordingBackward.attach(rec, result, tensors, inner, self, check)
        else:
            rec.complete = True
        self.recordings.append(rec)
        if len(self.recordings) > _KEPT:
            self.recordings.pop(0)
        return result

    def _verify(self, args, kwargs, tensors, known):
        """Replay, then go back to the state before it and run eagerly (recording): the program is trusted
        once both give the same results and state, bit for bit (and, for a backward after the call, the
        same gradients: compared when that backward runs)."""
        program = self.program
        scope = _Scope(program, tensors, known)
        before = scope.save()
        try:
            replayed = program.replay(tensors)
        except StaleProgram:
            before.restore()
            self.program, self.recordings = None, []
            return self._record(args, kwargs, tensors, known)
        live = None
        if program.recording.split is not None:
            replayed, live, _ = replayed
        after_replay = scope.values(replayed)
        before.restore()
        result = self._record(args, kwargs, tensors, known, check=(program, live))
        if self.reason is not None or self.program is not program:
            return result
        difference = _first_difference(after_replay, scope.values(result))
        if difference is not None:
            self._refuse(
                (
                    f"the replayed program differs from eager at {difference}: something in the call "
                    "is computed or written outside what ember.compile records",
                    "",
                )
            )
            return result
        self.verified = True
        self.backward_verified = program.recording.split is None
        self.recordings = []  # (a backward still to come keeps its recording through its node)
        return result

    def backward_checked(self, program, difference):
        if self.program is not program:
            return
        if difference is None:
            self.backward_verified = True
        else:
            self._refuse(
                (
                    f"the replayed backward differs from eager at {difference}: something in it is "
                    "computed outside what ember.compile records",
                    "",
                )
            )


_KEPT = 4  # recordings an entry keeps while it waits for two equal complete ones


def _replay(program, tensors):
    if program.recording.split is None:
        return program.replay(tensors)
    result, live, outputs = program.replay(tensors)
    node = CompiledFunctionBackward(program, live)
    edges, in_meta = [], []
    for var in program.recording.edge_vars:
        t = tensors[var.index] if type(var) is ArgTensor else var.obj
        edges.append(edge_of(t))
        in_meta.append((t._data.shape, t._data.dtype, _backend.array_module(t._data)))
    node.next_functions = tuple(edges)
    node._in_meta = tuple(in_meta)
    node._out_meta = tuple(
        (outputs[i]._data.shape, outputs[i]._data.dtype, _backend.array_module(outputs[i]._data))
        for i in range(len(outputs))
    )
    node._seq = next(_sequence)
    for i, t in outputs.items():
        t._grad_fn, t._output_nr = node, i
    return result


def _substituted(value, inner):
    if isinstance(value, Tensor):
        return inner.get(id(value), value)
    if type(value) in (tuple, list):
        return type(value)(_substituted(v, inner) for v in value)
    if type(value) is dict:
        return {k: _substituted(v, inner) for k, v in value.items()}
    return value


class _RecordingBackward(Node):
    """The grad_fn of the tensors a recorded call returns when their backward runs after the call: that
    backward is the engine's walk through the call's graph to its leaves, recorded as the program's
    backward part; its gradients go to the leaves (and to the history of the arguments) through this node.
    (Named as the replayed calls' node, as torch names its compiled function's node.)"""

    array_backward = True

    @classmethod
    def attach(cls, rec, result, tensors, inner, entry, check):
        node = cls()
        node.rec, node.entry, node.check, node.recorded = rec, entry, check, False
        node.roots = [(t._grad_fn, t._output_nr) for t in rec.live]
        leaves, seen, stack = [], set(), [n for n, _ in node.roots]
        while stack:
            n = stack.pop()
            if id(n) in seen:
                continue
            seen.add(id(n))
            if type(n) is AccumulateGrad:
                leaves.append(n)
            else:
                stack.extend(child for child, _ in n.next_functions if child is not None)
        node.leaf_edges = [(acc, 0) for acc in leaves]
        outer = {id(sub): t for t in tensors for sub in (inner.get(id(t)),) if sub is not None}
        vars_ = [acc.variable for acc in leaves]
        rec.edge_vars = tuple(rec.bind_object(v) for v in vars_)
        node.next_functions = tuple(
            edge_of(outer[id(v)]) if id(v) in outer else (acc, 0) for v, acc in zip(vars_, leaves)
        )
        node._in_meta = tuple((v._data.shape, v._data.dtype, _backend.array_module(v._data)) for v in vars_)
        made = [Tensor._make(t._data, True) for t in rec.live]
        node._out_meta = tuple((t._data.shape, t._data.dtype, _backend.array_module(t._data)) for t in made)
        node._seq = next(_sequence)
        for i, t in enumerate(made):
            t._grad_fn, t._output_nr = node, i
        swap = {id(t): m for t, m in zip(rec.live, made)}
        return _substituted_outputs(result, swap)

    @staticmethod
    def backward(ctx, *grads):
        from .program import _refuse_double_backward

        _refuse_double_backward()
        if ctx.roots is None:
            raise RuntimeError(FREED_MESSAGE)
        if ctx.recorded or seams.recorder is not None:  # a second backward, or inside another recording
            found = run_backward(
                ctx.roots,
                [Tensor._make(g) for g in grads],
                True,
                False,
                capture={e: i for i, e in enumerate(ctx.leaf_edges)},
                accumulate=False,
            )
            return tuple(None if g is None else g._data for g in found)
        ctx.recorded = True
        found = ctx.rec.record_later_backward(ctx.roots, grads, ctx.leaf_edges)
        if ctx.check is not None:
            program, live = ctx.check
            replayed = program.replay_backward(live, grads)
            difference = None
            for i, (a, b) in enumerate(zip(replayed, found)):
                if not _same(a, b):
                    difference = f"the gradient of leaf {i}"
                    break
            ctx.entry.backward_checked(program, difference)
        return tuple(found)

    def _release(self):
        self.roots = None
        self._freed = True


_RecordingBackward.__name__ = _RecordingBackward.__qualname__ = "CompiledFunctionBackward"


def _substituted_outputs(value, swap):
    if isinstance(value, Tensor):
        return swap.get(id(value), value)
    if type(value) in (tuple, list):
        return type(value)(_substituted_outputs(v, swap) for v in value)
    if type(value) is dict:
        return {k: _substituted_outputs(v, swap) for k, v in value.items()}
    return value


class _Scope:
    """The state a program can change: its arguments, the arrays it reads, the modules, optimizers and
    tensors the call reaches (parameters, buffers, gradients, optimizer state), the random generator."""

    def __init__(self, program, tensors, known):
        from ..optim.optimizer import Optimizer

        self.tensors = list(tensors) + list(known.tensors)
        self.objects = []
        for m in known.modules:
            self.tensors.extend(m.parameters())
            self.tensors.extend(b for b in m.buffers() if b is not None)
        optimizers = list(known.optimizers)
        for ins in program.instrs:
            for t in _objects_in((ins.args, ins.kwargs)):
                if isinstance(t, Tensor):
                    self.tensors.append(t)
                elif isinstance(t, Optimizer):
                    optimizers.append(t)
                elif hasattr(t, "__dict__") and not isinstance(t, type):
                    self.objects.append(t)
        for opt in optimizers:
            for group in opt.param_groups:
                self.tensors.extend(group["params"])
        self.optimizers = list({id(o): o for o in optimizers}.values())
        self.tensors = list({id(t): t for t in self.tensors}.values())
        self.arrays = list(program.external.values())
        self.program = program

    def _all_arrays(self):
        arrays = list(self.arrays)
        for t in self.tensors:
            arrays.append(t._data)
            grad = capture._GRAD_SLOT.__get__(t, Tensor)
            if grad is not None:
                arrays.append(grad._data)
        for opt in self.optimizers:
            for per_param in opt.state.values():
                for v in per_param.values():
                    if isinstance(v, Tensor):
                        arrays.append(v._data)
        return list({id(a): a for a in arrays if is_array(a)}.values())

    def save(self):
        return _Saved(self)

    def values(self, result):
        """A comparable copy of the state and of the call's result."""
        out = [("result", _copy_result(result))]
        for i, t in enumerate(self.tensors):
            grad = capture._GRAD_SLOT.__get__(t, Tensor)
            out.append((f"tensor {i} ({tuple(t.shape)})", t._data.copy()))
            out.append((f"the .grad of tensor {i} ({tuple(t.shape)})", None if grad is None else grad._data.copy()))
        for opt in self.optimizers:
            for i, p in enumerate(opt.state):
                for k, v in opt.state[p].items():
                    out.append(
                        (
                            f"optimizer {type(opt).__name__} state {k!r} of parameter {i}",
                            v._data.copy() if isinstance(v, Tensor) else v,
                        )
                    )
            out.append(
                (
                    f"optimizer {type(opt).__name__} param_groups",
                    [{k: v for k, v in g.items() if k != "params"} for g in opt.param_groups],
                )
            )
        for i, a in enumerate(self.arrays):
            out.append((f"array {i} the program reads ({a.shape})", a.copy()))
        from ..ops.creation import default_generator

        out.append(("the random generator", default_generator.rng.bit_generator.state))
        return out


class _Saved:
    def __init__(self, scope):
        from ..ops.creation import default_generator

        self.scope = scope
        self.arrays = [(a, a.copy()) for a in scope._all_arrays()]
        self.grads = [(t, capture._GRAD_SLOT.__get__(t, Tensor)) for t in scope.tensors]
        self.datas = [(t, t._data) for t in scope.tensors]
        self.versions = [(t._version_counter, t._version_counter[0]) for t in scope.tensors]
        self.optimizers = [
            (opt, dict(opt.__dict__), {p: dict(s) for p, s in opt.state.items()}, [dict(g) for g in opt.param_groups])
            for opt in scope.optimizers
        ]
        self.objects = [(o, dict(o.__dict__)) for o in scope.objects]
        # the replay draws from copies of the generators (CPU and device streams), the eager run after it
        # from the originals
        from ..ops.creation import Generator

        generators = [default_generator] + [
            o for o in _objects_in([i.args for i in scope.program.instrs]) if isinstance(o, Generator)
        ]
        self.generators = [(g, g.rng, g._device_rngs) for g in {id(g): g for g in generators}.values()]
        for g, rng, device_rngs in self.generators:
            g.rng = copy.deepcopy(rng)
            g._device_rngs = {k: copy.deepcopy(v) for k, v in device_rngs.items()}

    def restore(self):
        for t, data in self.datas:
            t._data = data
        for vc, version in self.versions:
            vc[0] = version
        for a, saved in self.arrays:
            a[...] = saved
        for t, grad in self.grads:
            capture._GRAD_SLOT.__set__(t, grad)
        for opt, attrs, opt_state, groups in self.optimizers:
            opt.__dict__.update(attrs)
            for p in list(opt.state):
                if p not in opt_state:
                    del opt.state[p]
            for p, s in opt_state.items():
                current = opt.state[p]
                current.clear()
                current.update(s)
            for g, saved in zip(opt.param_groups, groups):
                g.clear()
                g.update(saved)
        for o, attrs in self.objects:
            o.__dict__.clear()
            o.__dict__.update(attrs)
        for g, rng, device_rngs in self.generators:
            g.rng, g._device_rngs = rng, device_rngs


def _objects_in(template):
    if type(template) is Obj:
        yield template.obj
    elif type(template) in (tuple, list):
        for t in template:
            yield from _objects_in(t)
    elif type(template) is dict:
        for t in template.values():
            yield from _objects_in(t)


def _copy_result(result):
    if isinstance(result, Tensor):
        return ("tensor", result._data.copy(), result._requires_grad)
    if type(result) in (tuple, list):
        return type(result)(_copy_result(r) for r in result)
    if type(result) is dict:
        return {k: _copy_result(v) for k, v in result.items()}
    return result


def _first_difference(a, b):
    if len(a) != len(b):
        return "the state's structure"
    for (label, x), (_, y) in zip(a, b):
        if not _same(x, y):
            return label
    return None


def _same(x, y):
    if is_array(x) or is_array(y):
        return is_array(x) and is_array(y) and _bitwise_equal(x, y)
    if type(x) is not type(y):
        return False
    if isinstance(x, (tuple, list)):
        return len(x) == len(y) and all(_same(p, q) for p, q in zip(x, y))
    if isinstance(x, dict):
        return x.keys() == y.keys() and all(_same(x[k], y[k]) for k in x)
    if isinstance(x, Tensor):
        return _bitwise_equal(x._data, y._data)
    try:
        return bool(x == y) or (x != x and y != y)
    except Exception:  # noqa: BLE001 -- values without a plain equality
        return x is y


def disable(fn=None, recursive=True, *, reason=None):
    """torch._dynamo.disable / torch.compiler.disable: `fn` is not captured into a compiled call's program;
    the replay calls it again as Python (torch's graph break around it). Used bare or as a decorator."""
    if fn is None:
        return functools.partial(disable, recursive=recursive, reason=reason)
    if not recursive:
        raise NotImplementedError(
            "torch.compiler.disable(recursive=False): ember cannot capture the functions a "
            "disabled function calls; use recursive=True"
        )
    if isinstance(fn, Module):
        raise NotImplementedError("torch.compiler.disable of an nn.Module: disable its forward instead")
    return seams.replayed_as_one_call(fn)


def mark_dynamic(t, index, *, min=None, max=None, specialize_on=None):
    """torch._dynamo.mark_dynamic: ember records one program per shape, so a dimension marked dynamic
    changes nothing; accepted so that programs written for torch run."""
    if not isinstance(t, Tensor):
        raise TypeError(f"mark_dynamic expects a Tensor, got {type(t).__name__}")


def mark_static(t, index=None):
    """torch._dynamo.mark_static: every dimension is static to ember already."""
    if not isinstance(t, Tensor):
        raise TypeError(f"mark_static expects a Tensor, got {type(t).__name__}")


def list_backends(exclude_tags=("debug", "experimental")):
    """The backend names ember.compile accepts (capturing ones; with exclude_tags=() also 'eager' and
    'aot_eager', torch's debug backends)."""
    names = ["cudagraphs", "inductor"]
    if not exclude_tags or "debug" not in exclude_tags:
        names += ["aot_eager", "aot_eager_decomp_partition", "aot_inductor_eager", "eager"]
    return sorted(names)


def reset():
    """Forget every compiled callable's recordings (torch._dynamo.reset / torch.compiler.reset)."""
    for ref in list(_all_compiled):
        compiled = ref()
        if compiled is None:
            _all_compiled.remove(ref)
        else:
            compiled.reset()


def is_compiling():
    """True while a compiled call is being recorded (torch.compiler.is_compiling)."""
    return seams.recorder is not None


__all__ = ["compile", "OptimizedModule", "reset", "is_compiling", "disable", "list_backends"]
