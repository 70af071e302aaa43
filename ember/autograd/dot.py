"""The autograd graph as Graphviz DOT text, drawn the way torchviz's make_dot draws torch's.

    dot = ember.autograd.graph.to_dot(loss, params=dict(model.named_parameters()))
    ember.autograd.dot.save(dot, "graph.svg")      # renders with the `dot` binary; .dot writes the text

One box per backward node (its name, e.g. AddmmBackward0), a light-blue box per leaf tensor reached
through AccumulateGrad (its parameter name when `params` names it, and its shape), the output in
green and the base of a view output in darker green, edges pointing from inputs towards the output.
"""

import os
import shutil
import subprocess

__all__ = ["to_dot", "save"]

_NODE_ATTR = dict(
    style="filled", shape="box", align="left", fontsize="10", ranksep="0.1", height="0.2", fontname="monospace"
)
# ctx attributes that belong to the engine, not to the op (left out of show_attrs)
_ENGINE_ATTRS = {"next_functions", "needs_input_grad", "variable"}


def _quote(text):
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _attrs(attrs):
    return " ".join(f"{k}={_quote(v)}" for k, v in attrs.items())


def _size(shape):
    return "(" + ", ".join(str(int(s)) for s in shape) + ")"


def _op_attributes(node, max_attr_chars):
    """The plain values an op kept on its ctx (dims, flags, scalars), as torchviz lists a node's _saved_ attrs."""
    lines = []
    for name, value in sorted(vars(node).items()):
        if name.startswith("_") or name in _ENGINE_ATTRS:
            continue
        plain = (bool, int, float, str, type(None))
        listed = isinstance(value, (tuple, list)) and all(isinstance(v, plain) for v in value)
        if not (isinstance(value, plain) or listed):
            continue
        text = str(value)
        if len(text) > max_attr_chars:
            text = text[:max_attr_chars] + "..."
        lines.append(f"{name}: {text}")
    return lines


def to_dot(output, params=None, show_attrs=False, show_saved=False, max_attr_chars=50):
    """DOT source of the graph that produced `output` (a Tensor or a tuple of Tensors).

    params: {name: Tensor} to label leaves (e.g. dict(model.named_parameters())).
    show_attrs: list each op's non-tensor attributes in its box.
    show_saved: draw the tensors each node saved for backward (orange) with their shapes.
    """
    from .._tensor import Tensor

    names = {id(v): k for k, v in (params or {}).items()}
    if params is not None and any(not isinstance(v, Tensor) for v in params.values()):
        raise TypeError("to_dot: params must map names to Tensors, e.g. dict(model.named_parameters())")
    lines = []
    seen = set()

    def var_label(t, name=None):
        return f"{name if name else names.get(id(t), '')}\n {_size(t.shape)}"

    def node(key, label, **attrs):
        lines.append(f"\t{key} [label={_quote(label)}{' ' + _attrs(attrs) if attrs else ''}]")

    def edge(a, b, **attrs):
        lines.append(f"\t{a} -> {b}{' [' + _attrs(attrs) + ']' if attrs else ''}")

    def add_function(fn):
        if id(fn) in seen:
            return
        seen.add(id(fn))
        if show_saved:
            for i, saved in enumerate(fn._saved or ()):
                if saved is None:
                    continue
                key = id(saved.tensor) if saved.tensor is not None else id(saved)
                shape = saved.tensor.shape if saved.tensor is not None else getattr(saved.array, "shape", ())
                edge(id(fn), key, dir="none")
                if key not in seen:
                    seen.add(key)
                    node(key, f"saved[{i}]\n {_size(shape)}", fillcolor="orange")
        variable = getattr(fn, "variable", None)
        if variable is not None:  # AccumulateGrad: draw the leaf it feeds
            seen.add(id(variable))
            node(id(variable), var_label(variable), fillcolor="lightblue")
            edge(id(variable), id(fn))
        label = type(fn).__name__
        if show_attrs:
            label = "\n".join([label] + _op_attributes(fn, max_attr_chars))
        node(id(fn), label)
        for child, _ in fn.next_functions:
            if child is not None:
                edge(id(child), id(fn))
                add_function(child)

    def add_tensor(t, color="darkolivegreen1"):
        if id(t) in seen:
            return
        seen.add(id(t))
        node(id(t), var_label(t), fillcolor=color)
        if t.grad_fn is not None:
            add_function(t.grad_fn)
            edge(id(t.grad_fn), id(t))
        if t._base is not None:
            add_tensor(t._base, color="darkolivegreen3")
            edge(id(t._base), id(t), style="dotted")

    outputs = output if isinstance(output, (tuple, list)) else (output,)
    for t in outputs:
        if not isinstance(t, Tensor):
            raise TypeError(f"to_dot: expected a Tensor or a tuple of Tensors, got {type(t).__name__}")
        add_tensor(t)
    # torchviz's resize_graph: 0.15 inch per line, at least 12 inches
    size = max(12, len(lines) * 0.15)
    header = [f"\tgraph [size={_quote(f'{size},{size}')}]", f"\tnode [{_attrs(_NODE_ATTR)}]"]
    return "digraph {\n" + "\n".join(header + lines) + "\n}\n"


def save(dot_source, path, format=None):
    """Write DOT text to `path`, or render it with Graphviz's `dot` ('svg', 'png', 'pdf', ...).

    format defaults to the path's extension ('dot' or 'gv' writes the text unchanged).
    """
    format = (format or os.path.splitext(path)[1].lstrip(".") or "dot").lower()
    if format in ("dot", "gv"):
        with open(path, "w", encoding="utf-8") as f:
            f.write(dot_source)
        return path
    binary = shutil.which("dot")
    if binary is None:
        raise RuntimeError(
            f"save: rendering to {format!r} needs Graphviz's `dot` program, which is not on PATH "
            f"(apt-get install graphviz), or save with format='dot'"
        )
    result = subprocess.run([binary, f"-T{format}", "-o", path], input=dot_source.encode("utf-8"), capture_output=True)
    if result.returncode != 0:
        raise RuntimeError(f"save: dot -T{format} failed: {result.stderr.decode(errors='replace').strip()}")
    return path
