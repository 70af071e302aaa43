"""SummaryWriter.add_graph: the module graph of one forward pass as a TensorBoard GraphDef.

Nodes are the graph's inputs and outputs (op 'IO Node') and each call of a leaf module, named by its scope
as torch names them (`Net/Linear[fc1]`, with the module's class as op). Edges are data dependences found
through autograd: a module's input links to the module calls whose outputs it was computed from, also
across functional ops (F.relu, view, +) that run between modules.
"""

from ...autograd.grad_mode import enable_grad
from . import _proto


def _tensors(value):
    if hasattr(value, "grad_fn") and hasattr(value, "shape"):
        return [value]
    if isinstance(value, (tuple, list)):
        return [t for v in value for t in _tensors(v)]
    if isinstance(value, dict):
        return [t for v in value.values() for t in _tensors(v)]
    return []


def _sources(tensor, producers):
    """The recorded nodes a tensor was computed from: its grad_fn's, or those found walking back from it."""
    if id(tensor) in producers:
        return [producers[id(tensor)]]
    found, seen, stack = [], set(), [tensor.grad_fn]
    while stack:
        fn = stack.pop()
        if fn is None or id(fn) in seen:
            continue
        seen.add(id(fn))
        if id(fn) in producers:
            found.append(producers[id(fn)])
            continue
        stack.extend(next_fn for next_fn, _ in getattr(fn, "next_functions", ()))
    return sorted(set(found))


def build_graph(model, input_to_model):
    """The serialized GraphDef of model(*input_to_model)."""
    inputs = list(input_to_model) if isinstance(input_to_model, (tuple, list)) else [input_to_model]
    inputs = [
        x.detach().requires_grad_(True) if hasattr(x, "is_floating_point") and x.is_floating_point() else x
        for x in inputs
    ]
    producers = {}  # id(tensor) and id(grad_fn) -> node name
    nodes = []
    for i, x in enumerate(inputs):
        name = f"input/input.{i}"
        producers[id(x)] = name
        if getattr(x, "grad_fn", None) is not None:
            producers[id(x.grad_fn)] = name
        nodes.append(_proto.node_def(name, "IO Node", [], [tuple(x.shape)]))
    root = type(model).__name__
    names = {m: n for n, m in model.named_modules()}
    calls = {}

    def record(module, args, output):
        scope = "/".join([root] + [f"{type(m).__name__}[{part}]" for m, part in _path(model, names[module])])
        calls[scope] = calls.get(scope, 0) + 1
        name = scope if calls[scope] == 1 else f"{scope}.{calls[scope] - 1}"
        sources = sorted({s for t in _tensors(args) for s in _sources(t, producers)})
        outs = _tensors(output)
        nodes.append(_proto.node_def(name, type(module).__name__, sources, [tuple(t.shape) for t in outs]))
        for t in outs:
            producers[id(t)] = name
            if t.grad_fn is not None:
                producers[id(t.grad_fn)] = name

    leaves = [m for m in model.modules() if not any(True for _ in m.children())]
    handles = [m.register_forward_hook(record) for m in leaves]
    try:
        with enable_grad():
            outputs = _tensors(model(*inputs))
    finally:
        for h in handles:
            h.remove()
    for i, out in enumerate(outputs):
        nodes.append(_proto.node_def(f"output/output.{i}", "IO Node", _sources(out, producers), [tuple(out.shape)]))
    return _proto.graph_def(nodes)


def _path(model, qualified_name):
    """(module, attribute name) for each step from model down to the named submodule."""
    steps, module = [], model
    for part in qualified_name.split(".") if qualified_name else []:
        module = getattr(module, part)
        steps.append((module, part))
    return steps
