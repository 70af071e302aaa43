"""ember.summary prints the same table as the torchsummary package does for the equivalent torch model."""

import contextlib
import io

import pytest

import ember
from ember import nn
from ember.vision import models

torch = pytest.importorskip("torch")
torchsummary = pytest.importorskip("torchsummary")
from vision import torch_reference_models as ref  # noqa: E402


def _printed(fn, *args, **kwargs):
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        result = fn(*args, **kwargs)
    return buf.getvalue(), result


def _torchsummary(model, input_size, **kwargs):
    return _printed(torchsummary.summary, model, input_size, device="cpu", **kwargs)[0]


LENET_TABLE = """\
----------------------------------------------------------------
        Layer (type)               Output Shape         Param #
================================================================
            Conv2d-1            [-1, 6, 28, 28]             156
            Conv2d-2           [-1, 16, 10, 10]           2,416
            Linear-3                  [-1, 120]          48,120
            Linear-4                   [-1, 84]          10,164
            Linear-5                   [-1, 10]             850
================================================================
Total params: 61,706
Trainable params: 61,706
Non-trainable params: 0
----------------------------------------------------------------
Input size (MB): 0.00
Forward/backward pass size (MB): 0.05
Params size (MB): 0.24
Estimated Total Size (MB): 0.29
----------------------------------------------------------------
"""


def test_lenet_table_matches_torchsummary():
    text, result = _printed(ember.summary, models.lenet(), (1, 32, 32))
    assert text == _torchsummary(ref.LeNet(), (1, 32, 32))
    assert text == LENET_TABLE
    assert result == (61706, 61706)


def test_reused_module_and_batch_size_match_torchsummary():
    text, _ = _printed(ember.summary, models.lenet_cifar(), (3, 32, 32), batch_size=16)
    assert "MaxPool2d-2" in text and "MaxPool2d-4" in text  # one module, two rows: rows follow hook firings
    assert text == _torchsummary(ref.LeNetCIFAR(), (3, 32, 32), batch_size=16)


def _small_cnn(T):
    class Split(T.nn.Module):
        def forward(self, x):
            return x.chunk(2, dim=1)

    class Net(T.nn.Module):
        def __init__(self):
            super().__init__()
            self.body = T.nn.Sequential(T.nn.Conv2d(1, 8, 3), T.nn.BatchNorm2d(8), T.nn.ReLU(), T.nn.MaxPool2d(2))
            self.split = Split()
            self.heads = T.nn.ModuleList([T.nn.Flatten(), T.nn.Linear(4 * 13 * 13, 10)])
            self.body[0].weight.requires_grad_(False)  # frozen: its weight and bias count as non-trainable

        def forward(self, x):
            a, b = self.split(self.body(x))
            return self.heads[1](self.heads[0](a + b))

    return Net()


def test_tuple_outputs_frozen_layers_and_containers_match_torchsummary():
    text, result = _printed(ember.summary, _small_cnn(ember), (1, 28, 28))
    assert text == _torchsummary(_small_cnn(torch), (1, 28, 28))
    assert "[[-1, 4, 13, 13], [-1, 4, 13, 13]]" in text
    assert "Sequential" not in text and "ModuleList" not in text and "Net-" not in text
    assert result == (80 + 16 + 6770, 16 + 6770)


def test_resnet18_small_input_matches_torchsummary():
    text, _ = _printed(ember.summary, models.resnet18(), (3, 32, 32))
    assert text == _torchsummary(ref.resnet18(), (3, 32, 32))
    assert "Total params: 11,689,512" in text


@pytest.mark.slow
def test_resnet18_imagenet_input_matches_torchsummary():
    text, result = _printed(ember.summary, models.resnet18(), (3, 224, 224))
    assert text == _torchsummary(ref.resnet18(), (3, 224, 224))
    assert "Forward/backward pass size (MB): 62.79" in text and result == (11689512, 11689512)


def test_summary_leaves_no_hooks_behind():
    model = models.lenet()
    _printed(ember.summary, model, (1, 32, 32))
    assert all(not m._forward_hooks for m in model.modules())
    assert isinstance(model.conv1, nn.Conv2d)


def test_several_inputs_and_dtypes():
    class Pair(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Linear(3, 2)
            self.b = nn.Linear(5, 2, bias=False)

        def forward(self, x, y):
            assert x.dtype == ember.float64
            return self.a(x.float()) + self.b(y)

    text, result = _printed(ember.summary, Pair(), [(3,), (5,)], dtypes=[ember.DoubleTensor, ember.float32])
    assert result == (8 + 10, 18)
    assert "Input size (MB): 0.00" in text and "           Linear-2                    [-1, 2]              10" in text
