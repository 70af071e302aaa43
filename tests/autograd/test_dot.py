"""ember.autograd.graph.to_dot: the DOT text of a small MLP's loss graph, parsed back, and rendered."""

import re
import shutil

import pytest

import ember
from ember.autograd import dot as dot_module
from ember.autograd.graph import to_dot

NODE = re.compile(r'^\t(\d+) \[label="((?:[^"\\]|\\.)*)"(?: (.*))?\]$')
EDGE = re.compile(r"^\t(\d+) -> (\d+)(?: \[(.*)\])?$")


def _parse(source):
    """(nodes {id: (label, attrs)}, edges [(from, to, attrs)]); fails on any line that is not DOT we expect."""
    lines = source.splitlines()
    assert lines[0] == "digraph {" and lines[-1] == "}"
    assert lines[1].startswith("\tgraph [size=") and lines[2].startswith("\tnode [")
    nodes, edges = {}, []
    for line in lines[3:-1]:
        m = NODE.match(line)
        if m:
            nodes[m.group(1)] = (m.group(2).replace("\\n", "\n"), m.group(3) or "")
            continue
        m = EDGE.match(line)
        assert m, f"not a DOT node or edge: {line!r}"
        edges.append((m.group(1), m.group(2), m.group(3) or ""))
    for a, b, _ in edges:
        assert a in nodes and b in nodes, "an edge names an undeclared node"
    return nodes, edges


@pytest.fixture
def mlp_loss():
    model = ember.nn.Sequential(ember.nn.Linear(4, 3), ember.nn.Tanh(), ember.nn.Linear(3, 2))
    loss = ember.nn.functional.cross_entropy(model(ember.randn(5, 4)), ember.tensor([0, 1, 0, 1, 1]))
    return model, loss


def test_mlp_loss_graph(mlp_loss):
    model, loss = mlp_loss
    nodes, edges = _parse(to_dot(loss, params=dict(model.named_parameters())))
    by_label = {label: key for key, (label, _) in nodes.items()}
    # the four parameters as light-blue leaves with their names and shapes, each feeding an AccumulateGrad
    for name, shape in (("0.weight", "(3, 4)"), ("0.bias", "(3)"), ("2.weight", "(2, 3)"), ("2.bias", "(2)")):
        key = by_label[f"{name}\n {shape}"]
        assert 'fillcolor="lightblue"' in nodes[key][1]
        (target,) = [b for a, b, _ in edges if a == key]
        assert nodes[target][0] == "AccumulateGrad"
    labels = [label for label, _ in nodes.values()]
    assert labels.count("AccumulateGrad") == 4
    for name in (
        "NllLossBackward0",
        "LogSoftmaxBackward0",
        "TanhBackward0",
        "AddmmBackward0",
        "TBackward0",
    ):  # as torchviz draws torch's
        assert name in labels, name
    # the output: a green box fed by the loss node
    out = by_label["\n ()"]
    assert 'fillcolor="darkolivegreen1"' in nodes[out][1]
    assert [(nodes[a][0], b) for a, b, _ in edges if b == out] == [("NllLossBackward0", out)]
    # every backward node is reached from a leaf: the graph is connected from the parameters to the loss
    reached, frontier = set(), {by_label["0.weight\n (3, 4)"]}
    while frontier:
        reached |= frontier
        frontier = {b for a, b, _ in edges if a in frontier} - reached
    assert out in reached


def test_unnamed_leaves_saved_tensors_and_attributes():
    x = ember.randn(2, 3, requires_grad=True)
    y = (x * 2).sum(dim=1, keepdim=True)
    nodes, edges = _parse(to_dot(y, show_attrs=True, show_saved=True))
    labels = [label for label, _ in nodes.values()]
    assert "\n (2, 3)" in labels  # an unnamed leaf: its shape only
    assert any(label.startswith("SumBackward1") and "keepdim: True" in label for label in labels)
    x2 = ember.randn(3, requires_grad=True)
    nodes, edges = _parse(to_dot(x2.exp(), show_saved=True))
    saved = [key for key, (label, attrs) in nodes.items() if 'fillcolor="orange"' in attrs]
    assert len(saved) == 1 and nodes[saved[0]][0] == "saved[0]\n (3)"
    assert any(b == saved[0] and 'dir="none"' in attrs for _, b, attrs in edges)


def test_views_and_several_outputs():
    base = ember.randn(4, 2, requires_grad=True) * 1
    first, second = base.unbind(0)[:2]
    nodes, edges = _parse(to_dot((first, second)))
    greens = [attrs for _, attrs in nodes.values() if "darkolivegreen1" in attrs]
    assert len(greens) == 2
    assert any("darkolivegreen3" in attrs for _, attrs in nodes.values())  # the view's base
    assert any('style="dotted"' in attrs for _, _, attrs in edges)
    with pytest.raises(TypeError, match="Tensor"):
        to_dot([first, 3])


def test_save_dot_and_render(tmp_path, mlp_loss):
    model, loss = mlp_loss
    source = to_dot(loss, params=dict(model.named_parameters()))
    dot_path = dot_module.save(source, str(tmp_path / "graph.dot"))
    assert open(dot_path).read() == source
    if shutil.which("dot") is None:
        with pytest.raises(RuntimeError, match="Graphviz"):
            dot_module.save(source, str(tmp_path / "graph.svg"))
        pytest.skip("Graphviz's dot is not installed (apt-get install graphviz): rendering not checked")
    svg = open(dot_module.save(source, str(tmp_path / "graph.svg"))).read()
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    assert "NllLossBackward0" in svg and "0.weight" in svg and "AccumulateGrad" in svg
    png = dot_module.save(source, str(tmp_path / "graph.bin"), format="png")
    assert open(png, "rb").read(8) == b"\x89PNG\r\n\x1a\n"
