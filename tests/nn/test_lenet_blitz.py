"""The "done" criterion of nn: the LeNet of PyTorch's 60-minute blitz ("Neural Networks" section) runs
in ember with torch's weights and prints, computes, backpropagates and steps exactly as torch does."""

import numpy as np
import pytest

import ember
from oracle import assert_close, torch


def make_lenet(T):
    nn, F = T.nn, T.nn.functional

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 6, 5)
            self.conv2 = nn.Conv2d(6, 16, 5)
            self.fc1 = nn.Linear(16 * 5 * 5, 120)
            self.fc2 = nn.Linear(120, 84)
            self.fc3 = nn.Linear(84, 10)

        def forward(self, x):
            x = F.max_pool2d(F.relu(self.conv1(x)), (2, 2))
            x = F.max_pool2d(F.relu(self.conv2(x)), 2)
            x = T.flatten(x, 1)
            x = F.relu(self.fc1(x))
            x = F.relu(self.fc2(x))
            return self.fc3(x)

    return Net()


@pytest.fixture
def nets():
    if not hasattr(ember.nn, "Conv2d") or not hasattr(ember.nn.functional, "max_pool2d"):
        pytest.skip("ember.nn.Conv2d / F.max_pool2d have not landed yet")
    torch.manual_seed(0)
    theirs = make_lenet(torch)
    ours = make_lenet(ember)
    ours.load_state_dict({k: v.detach().numpy().copy() for k, v in theirs.state_dict().items()})
    return ours, theirs


def test_print_net_is_identical(nets):
    ours, theirs = nets
    assert str(ours) == str(theirs)
    assert str(ours) == (
        "Net(\n"
        "  (conv1): Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1))\n"
        "  (conv2): Conv2d(6, 16, kernel_size=(5, 5), stride=(1, 1))\n"
        "  (fc1): Linear(in_features=400, out_features=120, bias=True)\n"
        "  (fc2): Linear(in_features=120, out_features=84, bias=True)\n"
        "  (fc3): Linear(in_features=84, out_features=10, bias=True)\n"
        ")"
    )


def test_parameter_listing(nets):
    ours, theirs = nets
    params = list(ours.parameters())
    assert len(params) == 10
    assert params[0].size() == ember.Size([6, 1, 5, 5])
    listing = [(name, tuple(p.size())) for name, p in ours.named_parameters()]
    assert listing == [(name, tuple(p.size())) for name, p in theirs.named_parameters()]
    assert listing == [
        ("conv1.weight", (6, 1, 5, 5)),
        ("conv1.bias", (6,)),
        ("conv2.weight", (16, 6, 5, 5)),
        ("conv2.bias", (16,)),
        ("fc1.weight", (120, 400)),
        ("fc1.bias", (120,)),
        ("fc2.weight", (84, 120)),
        ("fc2.bias", (84,)),
        ("fc3.weight", (10, 84)),
        ("fc3.bias", (10,)),
    ]


def test_forward_backward_and_one_sgd_step_match_torch(nets):
    ours, theirs = nets
    x = np.random.default_rng(0).standard_normal((1, 1, 32, 32)).astype(np.float32)
    target = np.random.default_rng(1).standard_normal((1, 10)).astype(np.float32)

    out_ours, out_theirs = ours(ember.tensor(x)), theirs(torch.tensor(x))
    assert tuple(out_ours.shape) == (1, 10)
    assert_close(out_ours, out_theirs)

    learning_rate = 0.01
    for net, T, out in ((ours, ember, out_ours), (theirs, torch, out_theirs)):
        net.zero_grad()
        assert net.conv1.bias.grad is None
        loss = T.nn.MSELoss()(out, T.tensor(target))
        loss.backward()
        for f in net.parameters():
            f.data.sub_(f.grad.data * learning_rate)

    assert_close(ours.conv1.bias.grad, theirs.conv1.bias.grad, what="conv1.bias.grad")
    for (name, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
        assert_close(p.grad, q.grad, what=f"{name}.grad")
        assert_close(p, q, what=f"{name} after one SGD step")

    assert_close(ours(ember.tensor(x)), theirs(torch.tensor(x)), what="output after the step")


def test_fc1_complains_when_flatten_is_forgotten(nets):
    ours, _ = nets
    with pytest.raises(
        RuntimeError,
        match=r"Linear\(in_features=400, out_features=120, bias=True\) got input of "
        r"shape \(1, 16, 5, 5\).*did you forget to flatten\?",
    ):
        ours.fc1(ember.randn(1, 16, 5, 5))
