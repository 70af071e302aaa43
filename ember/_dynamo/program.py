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

import re

import numpy as np

from .._tensor import Tensor, write_array
from ..autograd import graph
from ..autograd.graph import ARRAYS, Node, FREED_MESSAGE, _sequence
from ..autograd.grad_mode import state
from .capture import Ref, TensorRef, ArgTensor, Obj, ReturnedTensor, LiveTensor, is_array, _equal, _ORIGINAL


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


# the `_arrays` flag of a replayed ctx while its backward runs on arrays: Node.saved_tensors then returns
# `_saved` itself, the saved arrays (no wrapper per saved value)
_SAVED_ARRAYS = "saved arrays"


def _hold(ctx, converted, arrays):
    """ctx._saved from what its forward saved, as Op.apply keeps it (a 0-d output saved as its array):
    the values themselves for a backward on arrays, else wrappers that Node.saved_tensors unpacks."""
    items = []
    for x in ctx.__dict__.pop("_to_save", ()):
        for raw, arr in converted:
            if x is raw:
                x = arr
                break
        items.append(x if arrays or x is None else _Held(x))
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
        raise RuntimeError(
            "ember.compile: a replayed program reads .grad of a tensor whose .grad is None, but "
            "the recorded call found a gradient there; call ember._dynamo.reset() (or recompile) "
            "after changing how gradients are kept between calls"
        )
    return grad._data


def _check_no_grad(var):
    if var.grad is not None:
        raise RuntimeError(
            "ember.compile: a replayed program reads .grad of a tensor that has a gradient, but "
            "the recorded call found None there; call ember._dynamo.reset() (or recompile) after "
            "changing how gradients are kept between calls"
        )


class _Named:
    """Stands for a node in the engine's error messages."""

    __slots__ = ("_name",)

    def __init__(self, name):
        self._name = name

    def name(self):
        return self._name


class CompiledFunctionBackward(Node):
    """The grad_fn of the tensors a replayed call returns (torch's compiled function's node). Its backward
    replays the program's backward part on the values the replayed forward kept (`live`); a call that ran
    its own backward returns tensors with a spent node (no `live`): a backward through them raises
    torch's error, as eager's would."""

    array_backward = True

    def __init__(self, program=None, live=None):
        self._program, self._live = program, live
        self._freed = live is None
        self._seq = next(_sequence)

    @staticmethod
    def backward(ctx, *grads):
        _refuse_double_backward()
        if ctx._live is None:
            raise RuntimeError(FREED_MESSAGE)
        return ctx._program.replay_backward(ctx._live, grads)

    def _release(self):
        self._live = None
        self._freed = True


CompiledFunctionBackward.__qualname__ = "CompiledFunctionBackward"


def _refuse_double_backward():
    if state.enabled:  # create_graph=True: gradients would need a graph of the replayed backward
        raise RuntimeError("torch.compile with aot_autograd does not currently support double backward")


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
            for rec in (first, second):  # the recordings' arrays and graphs are no longer needed
                rec.release()

    # --- comparing two recordings --------------------------------------------------------------------
    @staticmethod
    def _compare(a, b):
        if len(a.instrs) != len(b.instrs):
            return (
                f"the program changes between calls: {len(a.instrs)} steps, then {len(b.instrs)} (Python "
                "control flow or state that changes from call to call)"
            )
        for i, (x, y) in enumerate(zip(a.instrs, b.instrs)):
            if not x.same(y):
                return (
                    f"the program changes between calls at step {i}: {x.describe()}, then {y.describe()} "
                    "(an argument or Python value that changes from call to call)"
                )
        if a.kinds != b.kinds:
            return "the program's values differ between calls"
        if not _equal(a.result, b.result):
            return "what the call returns differs between calls"
        if (a.split, a.grad_slots, a.captured) != (b.split, b.grad_slots, b.captured) or not _equal(
            a.edge_vars, b.edge_vars
        ):
            return "the backward run after the call differs between calls"
        return None

    def _classify(self, first, second):
        """Sort the values met without a source: external (same object), constant (same value), or refused."""
        self.external, self.constant = {}, {}
        # the memory the call's instructions made (views of arguments or of unknown values excluded)
        made = {id(root(v)) for v, k in zip(second.values, second.kinds) if k == "out" and is_array(v)} - {
            id(v) for v, k in zip(second.values, second.kinds) if k != "out"
        }
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
                return f"a view of a tensor's memory was made outside ember's ops, a new one each call{used_by}"
            elif id(root(v2)) in made:
                return f"a value computed in the call was transformed outside ember's ops{used_by}"
            elif is_array(v1) and is_array(v2) and _bitwise_equal(v1, v2):
                self.constant[slot] = v2
            else:
                return (
                    "an array computed outside ember's ops (in Python code the recorder does not see) "
                    f"differs between calls{used_by}"
                )
        self.owners = {slot: t for slot, t in second.owners.items() if slot in self.external}
        self.bumps = {
            slot: vc for slot, vc in second.vcs.items() if slot in self.external and first.vcs.get(slot) is vc
        }
        return None

    # --- compiling -------------------------------------------------------------------------------------
    def _compile(self):
        gen = _Codegen(self)
        rec = self.recording
        split = rec.split if rec.split is not None else len(self.instrs)
        forward = gen.prologue() + gen.steps(range(split))
        result = gen.result(self.result_template)
        forward_names = _names("\n".join(forward))
        if rec.split is None:
            source = gen.function("replay", "A", forward, result, rec.grad_mode)
            self.replay = gen.build(source)
            self.live_names = ()
            return self.replay
        backward = [f"v{slot} = G[{k}]" for k, slot in enumerate(rec.grad_slots)]
        for slot in rec.grad_slots:
            gen.local.add(slot)
        backward += gen.steps(range(split, len(self.instrs)), start_mode=False)
        captured = (
            "(" + "".join(("None" if r is None else gen.value(r.slot, backward)) + ", " for r in rec.captured) + ")"
        )
        live = sorted(forward_names & _names("\n".join(backward) + captured))
        pack = "(" + "".join(n + ", " for n in live) + ")"
        source = gen.function("replay", "A", forward, f"{result}, {pack}, _outputs", rec.grad_mode, keep=live)
        source += gen.function("replay_backward", "L, G", [f"{pack} = L"] + backward, captured, False)
        gen.build(source)
        self.replay = gen.ns["replay"]
        self.replay_backward = gen.ns["replay_backward"]
        return self.replay


class _Codegen:
    """Python source for a program's instructions: one line (or a few) per instruction, values in locals
    v<slot>, ctxs in c<instruction>, everything else (classes, functions, constants, external arrays,
    objects) as names in the function's globals."""

    def __init__(self, program):
        self.program = program
        self.rec = program.recording
        self.ns = {
            "NEW": object.__new__,
            "T": Tensor._make,
            "HOLD": _hold,
            "Z": _as_array,
            "ACC": _accumulate,
            "WRITE": write_array,
            "SUM": _ORIGINAL["sum"],
            "INGRAD": graph.input_grad,
            "ARRAYS": ARRAYS,
            "GRAD": _grad_of,
            "NOGRAD": _check_no_grad,
            "STALE": StaleProgram,
            "RET": _returned,
            "S": state,
            "ERRORS_OFF": np.errstate,
            "LIVE": _live_output,
            "NDARRAY": np.ndarray,
            "SAVED_ARRAYS": _SAVED_ARRAYS,
        }
        self.names = {}
        self.local = set()
        self.used_ctx = {ins.info[0] for ins in program.instrs if ins.kind == "node"}
        # ctxs whose backward runs on arrays: Node.saved_tensors hands them their saved arrays as they are
        self.array_ctx = {ins.info[0] for ins in program.instrs if ins.kind == "node" and ins.info[1]}

    def name_of(self, obj, prefix):
        key = id(obj)
        if key not in self.names:
            self.names[key] = f"{prefix}{len(self.names)}"
            self.ns[self.names[key]] = obj
        return self.names[key]

    def prologue(self):
        """The guards on tensors whose memory the program reads directly, and the arguments' arrays."""
        lines = []
        program = self.program
        for slot, owner in program.owners.items():
            lines.append(
                f"if {self.name_of(owner, 'O')}._data is not {self.name_of(program.external[slot], 'E')}: raise STALE"
            )
        seen = set()
        for k, slot in enumerate(self.rec.arg_slots):
            if slot not in seen:
                seen.add(slot)
                lines.append(f"v{slot} = A[{k}]._data")
                self.local.add(slot)
        return lines

    def value(self, slot, lines):
        """The expression of a slot's value (a constant's fresh copy is made, in `lines`, where first used)."""
        program = self.program
        if slot in self.local:
            return f"v{slot}"
        if slot in program.external:
            return self.name_of(program.external[slot], "E")
        if slot in program.constant:
            lines.append(f"v{slot} = {self.name_of(program.constant[slot], 'K')}.copy()")
            self.local.add(slot)
            return f"v{slot}"
        raise AssertionError(f"slot {slot} has no value")

    def expr(self, t, lines):
        if type(t) is Ref:
            return self.value(t.slot, lines)
        if type(t) is TensorRef:
            return f"T({self.value(t.slot, lines)})"
        if type(t) is ArgTensor:
            return f"A[{t.index}]"
        if type(t) is Obj:
            return self.name_of(t.obj, "O")
        if type(t) is tuple:
            return "(" + "".join(self.expr(x, lines) + ", " for x in t) + ")"
        if type(t) is list:
            return "[" + ", ".join(self.expr(x, lines) for x in t) + "]"
        if type(t) is dict:
            return "{" + ", ".join(f"{k!r}: {self.expr(v, lines)}" for k, v in t.items()) + "}"
        if t is None or t is True or t is False or (type(t) is int and -1000 < t < 1000):
            return repr(t)
        return self.name_of(t, "S")

    def define(self, slot):
        self.local.add(slot)
        return f"v{slot}"

    def steps(self, indices, start_mode=None):
        """The lines of instructions `indices`, switching grad mode where the recording did."""
        lines = []
        indent = ""
        mode = self.rec.grad_mode if start_mode is None else start_mode

        def emit(line):
            lines.append(indent + line)

        def args_of(args, kwargs):
            parts = [self.expr(a, pending) for a in args]
            parts += [f"{k}={self.expr(v, pending)}" for k, v in (kwargs or {}).items()]
            return ", ".join(parts)

        def extract(t, source, body):
            """Lines that take the slots of the result template t out of the value `source`."""
            if type(t) in (Ref, TensorRef):
                body.append(f"{self.define(t.slot)} = {source}" + ("._data" if type(t) is TensorRef else ""))
            elif type(t) in (tuple, list):
                for j, x in enumerate(t):
                    extract(x, f"{source}[{j}]", body)

        for i in indices:
            ins = self.program.instrs[i]
            kind = ins.kind
            pending = []  # constants' copies, made before the line that uses them
            if ins.grad_mode != mode and kind not in ("backward", "end_backward"):
                emit(f"S.enabled = {ins.grad_mode}")
                mode = ins.grad_mode
            if kind == "backward":  # the engine's walk: NumPy's warnings off, as in run_backward
                emit("with ERRORS_OFF(all='ignore'):")
                indent += "    "
                emit("pass")
                continue
            if kind == "end_backward":
                indent = indent[:-4]
                continue
            body = []
            if kind == "op":
                record, needs, zero_d, multi, in_meta = ins.info
                c = f"c{i}"
                body.append(f"{c} = NEW({self.name_of(ins.target, 'C')}); {c}._record = {record}")
                if record:
                    body.append(f"{c}.needs_input_grad = {self.expr(needs, pending)}")
                outs = [f"r{i}_{j}" if z else f"v{s}" for j, (s, z) in enumerate(zip(ins.outs, zero_d))]
                target = "(" + "".join(o + ", " for o in outs) + ")" if multi else outs[0]
                forward = self.name_of(ins.target.forward, "F")
                body.append(f"{target} = {forward}({c}, {args_of(ins.args, ins.kwargs)})")
                converted = []
                for j, (s, z) in enumerate(zip(ins.outs, zero_d)):
                    self.local.add(s)
                    if z:  # Op.apply's NumPy scalar -> 0-d array
                        body.append(f"v{s} = r{i}_{j} if r{i}_{j}.__class__ is NDARRAY else Z(r{i}_{j})")
                        converted.append(f"(r{i}_{j}, v{s})")
                if i in self.used_ctx:
                    if i in self.array_ctx and not converted:
                        body.append(f"{c}._saved = {c}.__dict__.pop('_to_save', ())")
                    else:
                        body.append(f"HOLD({c}, ({''.join(x + ', ' for x in converted)}), {i in self.array_ctx})")
                    body.append(f"{c}._in_meta = {self.name_of(in_meta, 'M')}")
            elif kind == "node":
                index, array_mode, how, pick, codes, node_name = ins.info
                c = f"c{index}"
                grads = [
                    (
                        "None"
                        if g is None
                        else self.value(g.slot, pending)
                        if array_mode
                        else f"T({self.value(g.slot, pending)})"
                    )
                    for g in ins.args
                ]
                if array_mode:
                    body.append(f"{c}._arrays = SAVED_ARRAYS")
                body.append(f"r = {self.name_of(ins.target, 'B')}({c}, {', '.join(grads)})")
                if array_mode:
                    body.append(f"{c}._arrays = False")
                if how == "seq":
                    body.append("r = tuple(r)")
                outs = iter(ins.outs)
                for pos, code in enumerate(codes):
                    if code is None:
                        continue
                    raw = "r" if how == "single" else f"r[{pick[pos]}]"
                    slot = next(outs)
                    if code == "same":
                        body.append(f"{self.define(slot)} = {raw}")
                    elif code == "data":
                        body.append(f"{self.define(slot)} = {raw}._data")
                    else:
                        _, meta, reduce = code
                        body.append(
                            f"{self.define(slot)} = INGRAD({self.name_of(_Named(node_name), 'N')}, {pos}, "
                            f"{raw}, {self.name_of(meta, 'M')}, ARRAYS, {reduce})"
                        )
                body.append("del r")  # the engine keeps no backward's result past its node
            elif kind == "sum":
                a, b = ins.args
                body.append(
                    f"{self.define(ins.outs[0])} = SUM({self.value(a.slot, pending)}, {self.value(b.slot, pending)})"
                )
            elif kind == "acc":
                var, grad = ins.args
                call = f"ACC({self.expr(var, pending)}, {self.value(grad.slot, pending)})"
                body.append(f"{self.define(ins.outs[0])} = {call}" if ins.outs else call)
            elif kind == "write":
                dst, src, expanded_ok = ins.args
                body.append(f"WRITE({self.value(dst.slot, pending)}, {self.expr(src, pending)}, {expanded_ok})")
                if dst.slot in self.program.bumps:
                    body.append(f"{self.name_of(self.program.bumps[dst.slot], 'VC')}[0] += 1")
                elif dst.slot in self.rec.arg_slots:  # an argument written in place: its version steps
                    body.append(f"A[{self.rec.arg_slots.index(dst.slot)}]._version_counter[0] += 1")
            elif kind == "setgrad":
                target, grad = ins.args
                body.append(f"{self.expr(target, pending)}.grad = {self.expr(grad, pending)}")
            elif kind == "getgrad":
                (target,) = ins.args
                if ins.info[0]:
                    body.append(f"{self.define(ins.outs[0])} = GRAD({self.expr(target, pending)})")
                else:
                    body.append(f"NOGRAD({self.expr(target, pending)})")
            elif kind == "call":
                body.append(f"r = {self.name_of(ins.target, 'P')}({args_of(ins.args, ins.kwargs)})")
                extract(ins.outs, "r", body)
                body.append("del r")
            else:
                raise AssertionError(kind)
            for line in pending + body:
                emit(line)
        if mode != self.rec.grad_mode and start_mode is None:
            emit(f"S.enabled = {self.rec.grad_mode}")
        return lines

    def result(self, template):
        pending = []

        def build(t):
            if type(t) is LiveTensor:
                return f"LIVE(_outputs, {t.index}, {self.value(t.slot, pending)})"
            if type(t) is ReturnedTensor:
                made = f"T({self.value(t.slot, pending)})"
                return f"RET({made})" if t.requires_grad else made
            if type(t) in (tuple, list):
                inner = "".join(build(x) + ", " for x in t)
                return f"({inner})" if type(t) is tuple else f"[{inner}]"
            if type(t) is dict:
                return "{" + ", ".join(f"{k!r}: {build(v)}" for k, v in t.items()) + "}"
            return self.expr(t, pending)

        expr = build(template)
        assert not pending, "a constant returned as it is"
        return expr

    def function(self, name, params, lines, result, grad_mode, keep=()):
        body = "".join("        " + line + "\n" for line in _with_deletions(lines, set(keep) | _names(result)))
        # a replay leaves grad mode as it found it, also when a kernel raises
        return (
            f"def {name}({params}):\n    _outputs = {{}}\n    try:\n{body}        return {result}\n"
            f"    finally:\n        S.enabled = {grad_mode}\n"
        )

    def build(self, source):
        self.program.source = source
        exec(compile(source, f"<ember.compile replay of {len(self.program.instrs)} steps>", "exec"), self.ns)
        return self.ns["replay"]


def _live_output(outputs, index, array):
    """Output `index` of a replayed call whose backward runs later: a fresh tensor (one per index), given its
    grad_fn by the caller once all outputs are made."""
    t = outputs.get(index)
    if t is None:
        t = outputs[index] = Tensor._make(array, True)
    return t


def _returned(tensor):
    """A returned tensor whose own backward already ran in the call: requires grad, its graph spent."""
    tensor._requires_grad = True
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


_TOKEN = re.compile(r"\b([vc]\d+|r\d+_\d+)\b")


def _names(source):
    return set(_TOKEN.findall(source))


def _with_deletions(lines, keep=()):
    """The lines with `del` after the last use of each temporary (but those in `keep`), so a replay frees
    memory as eager does."""
    token = _TOKEN
    last = {}
    for i, line in enumerate(lines):
        for name in token.findall(line):
            last[name] = i
    for name in keep:
        last[name] = len(lines)
    out = []
    for i, line in enumerate(lines):
        out.append(line)
        dead = sorted(name for name in set(token.findall(line)) if last[name] == i)
        if dead:
            out.append(line[: len(line) - len(line.lstrip())] + "del " + ", ".join(dead))
    return out
