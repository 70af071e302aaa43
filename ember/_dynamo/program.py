"""A recorded array program made replayable (ember.compile's back half).

Two recordings of the same call (capture.py) become one Program when they did the same thing: the same
instructions on the same slots. Comparing them also sorts the values the recordings met without seeing
where they came from: the same array object both times is external state read live at each replay (a
parameter, a buffer, a tensor the function closes over); an equal but new array each time is a constant
(a root gradient of ones, zeros made for an initial state), handed to each replay as a fresh copy, since the
program may write into it; anything else was computed where the recorder could not see it, and the program
is refused with that reason.

The program is compiled into one straight-line Python function: each op's forward on arrays with a bare
ctx, each backward node's call with that ctx, the engine's sums and AccumulateGrad, writes, and the calls
recorded whole (optimizer steps, random draws) in the recorded order. No Tensor, graph edge, sort or
per-op bookkeeping is made, and every value is computed by the same kernel as in eager ember, so results
are the eager ones bit for bit.
"""
import numpy as np

from .._tensor import Tensor, write_array
from ..autograd import graph
from ..autograd.graph import ARRAYS, Node, FREED_MESSAGE
from ..autograd.grad_mode import state
from .capture import Ref, TensorRef, ArgTensor, Obj, ReturnedTensor, is_array, _equal, _ORIGINAL


class StaleProgram(Exception):
    """A tensor the program reads had its memory replaced (tensor.data = ...) since it was recorded."""


class _Held:
    """A saved value of a replayed ctx (Node.saved_tensors reads these)."""
    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value

    def unpack_array(self, node):
        return self.value

    def unpack(self, node):
        return Tensor._make(self.value) if hasattr(self.value, "shape") else self.value


def _hold(ctx, converted):
    """ctx._saved from what its forward saved, as Op.apply keeps it (a 0-d output saved as its array)."""
    to_save = ctx.__dict__.pop("_to_save", None)
    if to_save is None:
        ctx._saved = None
        return
    items = []
    for x in to_save:
        for raw, arr in converted:
            if x is raw:
                x = arr
                break
        items.append(None if x is None else _Held(x))
    ctx._saved = tuple(items)


def _as_array(o):
    return np.asarray(o) if type(o) is not np.ndarray and isinstance(o, np.generic) else o


def _accumulate(var, grad):
    """AccumulateGrad's array-mode step (no hooks: a recording with hooks is refused). The replay holds the
    gradient as the engine does (one reference), so _unshared takes or copies it as eager would."""
    current = var.grad
    if current is None:
        var.grad = current = Tensor._make(grad if graph._unshared(grad) else grad.copy())
    else:
        current._data += grad
    return current._data


def _grad_of(var):
    grad = var.grad
    if grad is None:
        raise RuntimeError("ember.compile: a replayed program reads .grad of a tensor whose .grad is None, but "
                           "the recorded call found a gradient there; call ember._dynamo.reset() (or recompile) "
                           "after changing how gradients are kept between calls")
    return grad._data


def _check_no_grad(var):
    if var.grad is not None:
        raise RuntimeError("ember.compile: a replayed program reads .grad of a tensor that has a gradient, but "
                           "the recorded call found None there; call ember._dynamo.reset() (or recompile) after "
                           "changing how gradients are kept between calls")


class _Named:
    """Stands for a node in the engine's error messages."""
    __slots__ = ("_name",)

    def __init__(self, name):
        self._name = name

    def name(self):
        return self._name


class CompiledFunctionBackward(Node):
    """The grad_fn of a tensor a replayed call returns after its own backward ran (as torch's compiled
    function's node): its graph is spent, so a second backward raises torch's error."""
    _freed = True

    def backward(self, *grads):
        raise RuntimeError(FREED_MESSAGE)


def root(arr):
    while is_array(getattr(arr, "base", None)):
        arr = arr.base
    return arr


def _bitwise_equal(a, b):
    if type(a) is not type(b) or a.shape != b.shape or a.dtype != b.dtype:
        return False
    if type(a) is not np.ndarray:
        return a.tobytes() == b.tobytes() if hasattr(a, "tobytes") else bool((a == b).all())
    if a.size == 0:
        return True
    if a.dtype.kind in "fc" or a.dtype.kind == "V":
        return a.tobytes() == b.tobytes()
    return bool(np.array_equal(a, b))


class Program:
    """What two equal recordings of a call did, compiled to a replay function (or the reason it cannot be)."""

    def __init__(self, first, second):
        self.reason = self._compare(first, second)
        self.instrs = second.instrs
        self.recording = second
        self.result_template = second.result
        if self.reason is None:
            self.reason = self._classify(first, second)
        if self.reason is None:
            self.replay = self._compile()

    # --- comparing two recordings --------------------------------------------------------------------
    @staticmethod
    def _compare(a, b):
        if len(a.instrs) != len(b.instrs):
            return (f"the program changes between calls: {len(a.instrs)} steps, then {len(b.instrs)} (Python "
                    "control flow or state that changes from call to call)")
        for i, (x, y) in enumerate(zip(a.instrs, b.instrs)):
            if not x.same(y):
                return (f"the program changes between calls at step {i}: {x.describe()}, then {y.describe()} "
                        "(an argument or Python value that changes from call to call)")
        if a.kinds != b.kinds:
            return "the program's values differ between calls"
        if not _equal(a.result, b.result):
            return "what the call returns differs between calls"
        return None

    def _classify(self, first, second):
        """Sort the values met without a source: external (same object), constant (same value), or refused."""
        self.external, self.constant = {}, {}
        # the memory the call's instructions made (views of arguments or of unknown values excluded)
        made = {id(root(v)) for v, k in zip(second.values, second.kinds) if k == "out" and is_array(v)} - \
            {id(v) for v, k in zip(second.values, second.kinds) if k != "out"}
        for slot, kind in enumerate(second.kinds):
            if kind != "unknown":
                continue
            v1, v2 = first.values[slot], second.values[slot]
            user = next((ins for ins in self.instrs if _uses(ins, slot)), None)
            used_by = f" (used by {user.describe()})" if user is not None else ""
            if v1 is v2:
                if id(root(v2)) in made and root(v2) is not v2:
                    return f"a view of a value computed in the call was made outside ember's ops{used_by}"
                self.external[slot] = v2
            elif root(v1) is root(v2) and root(v2) is not v2:
                return ("a view of a tensor's memory was made outside ember's ops, a new one each call"
                        f"{used_by}")
            elif id(root(v2)) in made:
                return f"a value computed in the call was transformed outside ember's ops{used_by}"
            elif is_array(v1) and is_array(v2) and _bitwise_equal(v1, v2):
                self.constant[slot] = v2
            else:
                return ("an array computed outside ember's ops (in Python code the recorder does not see) "
                        f"differs between calls{used_by}")
        self.owners = {slot: t for slot, t in second.owners.items() if slot in self.external}
        self.bumps = {slot: vc for slot, vc in second.vcs.items()
                      if slot in self.external and first.vcs.get(slot) is vc}
        return None

    # --- compiling -------------------------------------------------------------------------------------
    def _compile(self):
        rec = self.recording
        ns = {"NEW": object.__new__, "T": Tensor._make, "HOLD": _hold, "Z": _as_array, "ACC": _accumulate,
              "WRITE": write_array, "SUM": _ORIGINAL["sum"], "INGRAD": graph.input_grad, "ARRAYS": ARRAYS,
              "GRAD": _grad_of, "NOGRAD": _check_no_grad, "STALE": StaleProgram, "RET": _returned, "S": state,
              "ERRORS_OFF": np.errstate}
        names = {}

        def name_of(obj, prefix):
            key = id(obj)
            if key not in names:
                names[key] = f"{prefix}{len(names)}"
                ns[names[key]] = obj
            return names[key]

        lines = []
        indent = [""]
        local = set()

        def emit(line):
            lines.append(indent[0] + line)
        arg_slot = {}
        for k, slot in enumerate(rec.arg_slots):
            if slot is not None and slot not in arg_slot.values():
                arg_slot[k] = slot
        # the guards on the tensors whose memory the program reads directly
        for slot, owner in self.owners.items():
            emit(f"if {name_of(owner, 'O')}._data is not {name_of(self.external[slot], 'E')}: raise STALE")
        for k, slot in arg_slot.items():
            emit(f"v{slot} = A[{k}]._data")
            local.add(slot)

        def value(slot):
            if slot in local:
                return f"v{slot}"
            if slot in self.external:
                return name_of(self.external[slot], "E")
            if slot in self.constant:       # a fresh copy for each replay, made where first used
                emit(f"v{slot} = {name_of(self.constant[slot], 'K')}.copy()")
                local.add(slot)
                return f"v{slot}"
            raise AssertionError(f"slot {slot} has no value")

        def expr(t):
            if type(t) is Ref:
                return value(t.slot)
            if type(t) is TensorRef:
                return f"T({value(t.slot)})"
            if type(t) is ArgTensor:
                return f"A[{t.index}]"
            if type(t) is Obj:
                return name_of(t.obj, "O")
            if type(t) is tuple:
                return "(" + "".join(expr(x) + ", " for x in t) + ")"
            if type(t) is list:
                return "[" + ", ".join(expr(x) for x in t) + "]"
            if type(t) is dict:
                return "{" + ", ".join(f"{k!r}: {expr(v)}" for k, v in t.items()) + "}"
            if t is None or t is True or t is False or (type(t) is int and -1000 < t < 1000):
                return repr(t)
            return name_of(t, "S")

        def call_args(args, kwargs):
            parts = [expr(a) for a in args]
            parts += [f"{k}={expr(v)}" for k, v in (kwargs or {}).items()]
            return ", ".join(parts)

        def define(slot):
            local.add(slot)
            return f"v{slot}"

        def extract(t, source):
            """Lines that take the slots of template t out of the value `source`."""
            if type(t) in (Ref, TensorRef):
                emit(f"{define(t.slot)} = {source}" + ("._data" if type(t) is TensorRef else ""))
            elif type(t) in (tuple, list):
                for j, x in enumerate(t):
                    extract(x, f"{source}[{j}]")

        used_ctx = {ins.info[0] for ins in self.instrs if ins.kind == "node"}
        mode = rec.grad_mode
        for i, ins in enumerate(self.instrs):
            kind = ins.kind
            if ins.grad_mode != mode:
                emit(f"S.enabled = {ins.grad_mode}")
                mode = ins.grad_mode
            if kind == "backward":      # the engine's walk: its NumPy warnings off, as run_backward's
                emit("with ERRORS_OFF(all='ignore'):")
                indent[0] += "    "
                emit("pass")
            elif kind == "end_backward":
                indent[0] = indent[0][:-4]
            elif kind == "op":
                record, needs, zero_d, multi, in_meta = ins.info
                c = f"c{i}"
                emit(f"{c} = NEW({name_of(ins.target, 'C')}); {c}._record = {record}")
                if record:
                    emit(f"{c}.needs_input_grad = {expr(needs)}")
                outs = [f"r{i}_{j}" if z else f"v{s}" for j, (s, z) in enumerate(zip(ins.outs, zero_d))]
                target = f"{'(' + ''.join(o + ', ' for o in outs) + ')' if multi else outs[0]}"
                forward = name_of(ins.target.forward, "F")
                emit(f"{target} = {forward}({c}, {call_args(ins.args, ins.kwargs)})")
                converted = []
                for j, (s, z) in enumerate(zip(ins.outs, zero_d)):
                    local.add(s)
                    if z:
                        emit(f"v{s} = Z(r{i}_{j})")
                        converted.append(f"(r{i}_{j}, v{s})")
                if i in used_ctx:
                    emit(f"HOLD({c}, ({''.join(x + ', ' for x in converted)})); "
                                 f"{c}._in_meta = {name_of(in_meta, 'M')}")
            elif kind == "node":
                index, array_mode, how, pick, codes, node_name = ins.info
                c = f"c{index}"
                grads = [("None" if g is None else value(g.slot) if array_mode else f"T({value(g.slot)})")
                         for g in ins.args]
                if array_mode:
                    emit(f"{c}._arrays = True")
                emit(f"r = {name_of(ins.target, 'B')}({c}, {', '.join(grads)})")
                if array_mode:
                    emit(f"{c}._arrays = False")
                if how == "seq":
                    emit("r = tuple(r)")
                outs = iter(ins.outs)
                for pos, code in enumerate(codes):
                    if code is None:
                        continue
                    raw = "r" if how == "single" else f"r[{pick[pos]}]"
                    slot = next(outs)
                    if code == "same":
                        emit(f"{define(slot)} = {raw}")
                    elif code == "data":
                        emit(f"{define(slot)} = {raw}._data")
                    else:
                        _, meta, reduce = code
                        emit(f"{define(slot)} = INGRAD({name_of(_Named(node_name), 'N')}, {pos}, {raw}, "
                                     f"{name_of(meta, 'M')}, ARRAYS, {reduce})")
                emit("del r")       # the engine keeps no backward's result past its node
            elif kind == "sum":
                a, b = ins.args
                emit(f"{define(ins.outs[0])} = SUM({value(a.slot)}, {value(b.slot)})")
            elif kind == "acc":
                var, grad = ins.args
                call = f"ACC({expr(var)}, {value(grad.slot)})"
                emit(f"{define(ins.outs[0])} = {call}" if ins.outs else call)
            elif kind == "write":
                dst, src, expanded_ok = ins.args
                emit(f"WRITE({value(dst.slot)}, {expr(src)}, {expanded_ok})")
                if dst.slot in self.bumps:
                    emit(f"{name_of(self.bumps[dst.slot], 'VC')}[0] += 1")
            elif kind == "setgrad":
                target, grad = ins.args
                emit(f"{expr(target)}.grad = {expr(grad)}")
            elif kind == "getgrad":
                (target,) = ins.args
                if ins.info[0]:
                    emit(f"{define(ins.outs[0])} = GRAD({expr(target)})")
                else:
                    emit(f"NOGRAD({expr(target)})")
            elif kind == "call":
                emit(f"r = {name_of(ins.target, 'P')}({call_args(ins.args, ins.kwargs)})")
                extract(ins.outs, "r")
                emit("del r")
            else:
                raise AssertionError(kind)
        result = self._result_expr(expr)
        body = "".join("        " + line + "\n" for line in _with_deletions(lines))
        # a replay leaves grad mode as it found it, also when a kernel raises
        source = (f"def replay(A):\n    try:\n{body}        return {result}\n"
                  f"    finally:\n        S.enabled = {rec.grad_mode}\n")
        self.source = source
        exec(compile(source, f"<ember.compile replay of {len(self.instrs)} steps>", "exec"), ns)
        return ns["replay"]

    def _result_expr(self, expr):
        def build(t):
            if type(t) is ReturnedTensor:
                made = f"T({expr(Ref(t.slot))})"
                return f"RET({made})" if t.requires_grad else made
            if type(t) in (tuple, list):
                inner = "".join(build(x) + ", " for x in t)
                return f"({inner})" if type(t) is tuple else f"[{inner}]"
            if type(t) is dict:
                return "{" + ", ".join(f"{k!r}: {build(v)}" for k, v in t.items()) + "}"
            return expr(t)
        return build(self.result_template)


def _returned(tensor):
    """A returned tensor whose own backward already ran in the call: requires grad, its graph spent."""
    tensor._rg = True
    tensor._grad_fn = CompiledFunctionBackward()
    return tensor


def _uses(ins, slot):
    def walk(t):
        if isinstance(t, Ref):
            return t.slot == slot
        if type(t) in (tuple, list):
            return any(walk(x) for x in t)
        if type(t) is dict:
            return any(walk(x) for x in t.values())
        return False
    return walk(ins.args) or walk(ins.kwargs)


def _with_deletions(lines):
    """The lines with `del` after the last use of each temporary, so a replay frees memory as eager does."""
    import re
    token = re.compile(r"\b([vc]\d+|r\d+_\d+)\b")
    last = {}
    for i, line in enumerate(lines):
        for name in token.findall(line):
            last[name] = i
    out = []
    for i, line in enumerate(lines):
        out.append(line)
        dead = sorted(name for name in set(token.findall(line)) if last[name] == i)
        if dead:
            out.append(line[:len(line) - len(line.lstrip())] + "del " + ", ".join(dead))
    return out
