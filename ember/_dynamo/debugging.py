"""torch._dynamo.explain: run a function once under ember.compile's recorder and report what it captured."""

import dataclasses

from . import capture
from .capture import Recorder


@dataclasses.dataclass
class GraphCompileReason:
    """Why a call could not be captured (torch._dynamo.output_graph.GraphCompileReason)."""

    reason: str
    user_stack: list
    graph_break: bool = True


@dataclasses.dataclass
class ExplainOutput:
    """torch._dynamo.backends.debugging.ExplainOutput. ember captures a call whole or not at all, so there is
    one graph (the recorded program, as its op names) or none, and graph breaks are the reasons for none."""

    graphs: list
    graph_count: int
    graph_break_count: int
    break_reasons: list
    op_count: int
    ops_per_graph: list = None
    out_guards: list = None
    compile_times: str = None

    def __str__(self):
        text = f"Graph Count: {self.graph_count}\nGraph Break Count: {self.graph_break_count}\n"
        text += f"Op Count: {self.op_count}\n"
        text += "Break Reasons:\n"
        for i, reason in enumerate(self.break_reasons, 1):
            text += f"  Break Reason {i}:\n    Reason: {reason.reason}\n    User Stack:\n"
            for frame in reason.user_stack:
                text += f"      {frame}\n"
        if self.ops_per_graph is not None:
            text += "Ops per Graph:\n"
            for i, ops in enumerate(self.ops_per_graph, 1):
                text += f"  Ops {i}:\n" + "".join(f"    {op}\n" for op in ops)
        if self.out_guards is not None:
            text += "Out Guards:\n" + "".join(f"  Guard {i}: {g}\n" for i, g in enumerate(self.out_guards, 1))
        if self.compile_times is not None:
            text += f"Compile Times: {self.compile_times}\n"
        return text


def reasons_of(pairs):
    return [GraphCompileReason(message, [where] if where else []) for message, where in pairs]


def explain(f, *extra_args, **extra_kwargs):
    """torch._dynamo.explain(f)(*args, **kwargs): runs f once (eagerly, recording) and returns an
    ExplainOutput: the recorded ops, or the reasons the call cannot be captured."""
    if extra_args or extra_kwargs:
        raise TypeError("explain(f, *args, **kwargs) was removed in torch 2.2; call explain(f)(*args, **kwargs)")
    from .eval_frame import _flatten

    def inner(*args, **kwargs):
        tensors, key, keep = [], [], []
        for a in list(args) + list(kwargs.values()):
            _flatten(a, tensors, key, keep)
        rec = Recorder(tensors)
        capture.start(rec)
        try:
            result = f(*args, **kwargs)
            rec.bind_return(result)
        finally:
            capture.stop()
        ops = [_op_name(ins) for ins in rec.instrs if ins.kind in ("op", "call")]
        breaks = reasons_of(rec.reasons)
        graphs = [ops] if not breaks else []
        guards = [
            f"{type(t).__name__} argument: shape {tuple(t.shape)}, dtype {t.dtype}, requires_grad {t.requires_grad}"
            for t in tensors
        ]
        return ExplainOutput(graphs, len(graphs), len(breaks), breaks, len(ops), [ops] if graphs else [], guards)

    return inner


def _op_name(ins):
    target = ins.target
    if ins.kind == "op":
        return target._node_name[:-9] if target._node_name.endswith("Backward0") else target._node_name
    return getattr(target, "__qualname__", getattr(target, "__name__", repr(target)))
