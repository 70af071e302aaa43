"""`import ember` stays light: subpackages load on first use, and every torch-style path still works."""
import subprocess
import sys

LAZY = ["ember.nn", "ember.optim", "ember.utils", "ember.distributed", "ember.serialization", "ember.vision"]


def test_import_ember_leaves_subpackages_for_first_use():
    code = ("import sys, ember\n"
            f"print([m for m in {LAZY!r} if m in sys.modules])\n"
            "import ember as torch\n"
            "assert torch.nn.Linear(2, 3).weight.shape == (3, 2)\n"
            "assert torch.optim.SGD.__name__ == 'SGD' and torch.utils.data.DataLoader.__name__ == 'DataLoader'\n"
            "assert torch.distributed.is_available() in (True, False) and torch.cuda.is_available() in (True, False)\n"
            "assert torch.amp.GradScaler and torch.autocast is torch.amp.autocast\n"
            "assert callable(torch.save) and callable(torch.load) and callable(torch.summary)\n"
            "assert torch.relu(torch.tensor([-1.0])).item() == 0 and torch.tensor([-1.0]).relu().item() == 0\n"
            "assert callable(torch.conv2d) and callable(torch.Tensor.softmax)\n"
            "assert 'nn' in dir(torch)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_unknown_attribute_is_attribute_error():
    import ember
    try:
        ember.no_such_thing
    except AttributeError as e:
        assert "no_such_thing" in str(e)
    else:
        raise AssertionError("expected AttributeError")


def test_every_registered_function_is_an_ember_attribute():
    import types
    import ember
    from ember.ops._registry import FUNCTIONS
    for name in FUNCTIONS:
        assert not isinstance(getattr(ember, name), types.ModuleType), name
    assert ember.norm(ember.tensor([3.0, 4.0])).item() == 5.0
    assert ember.dropout(ember.ones(3), 0.0, True).sum().item() == 3.0
