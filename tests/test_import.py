"""`import ember` stays light: subpackages load on first use, and every torch-style path still works."""

import json
import subprocess
import sys

import pytest

LAZY = ["ember.nn", "ember.optim", "ember.utils", "ember.distributed", "ember.serialization", "ember.vision"]


def test_import_ember_leaves_subpackages_for_first_use():
    code = (
        "import sys, ember\n"
        f"print([m for m in {LAZY!r} if m in sys.modules])\n"
        "import ember as torch\n"
        "assert torch.nn.Linear(2, 3).weight.shape == (3, 2)\n"
        "assert torch.optim.SGD.__name__ == 'SGD' and torch.utils.data.DataLoader.__name__ == 'DataLoader'\n"
        "assert torch.distributed.is_available() in (True, False) and torch.cuda.is_available() in (True, False)\n"
        "assert torch.amp.GradScaler and torch.autocast is torch.amp.autocast\n"
        "assert callable(torch.save) and callable(torch.load) and callable(torch.summary)\n"
        "assert torch.relu(torch.tensor([-1.0])).item() == 0 and torch.tensor([-1.0]).relu().item() == 0\n"
        "assert callable(torch.conv2d) and callable(torch.Tensor.softmax)\n"
        "assert 'nn' in dir(torch)\n"
    )
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


OPTIONAL = ["numba", "ml_dtypes", "scipy", "threadpoolctl", "torch", "pandas", "PIL", "matplotlib"]


def test_import_ember_imports_numpy_and_the_standard_library_only():
    # each of these, if installed, is imported on first use: numba by the first compiled kernel, ml_dtypes by
    # the first bfloat16 tensor, threadpoolctl by set_num_threads (ml_dtypes alone takes 1-2 s to import)
    code = (
        "import json, sys, time\n"
        "before = set(sys.modules)\n"
        "started = time.perf_counter()\n"
        "import ember\n"
        "seconds = time.perf_counter() - started\n"
        "print(json.dumps([seconds, sorted(set(sys.modules) - before)]))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    seconds, modules = json.loads(out.stdout)
    packages = {m.split(".")[0] for m in modules}
    assert not packages & set(OPTIONAL)
    # (NumPy's Cython extensions register cython_runtime and _cython_<version> modules)
    assert {p for p in packages - set(sys.stdlib_module_names) if "cython" not in p} == {"ember", "numpy"}
    own = {p: len([m for m in modules if m.split(".")[0] == p]) for p in ("ember", "numpy")}
    print(
        f"import ember: {seconds:.3f} s, {len(modules)} modules ({own['ember']} of ember's, {own['numpy']} of numpy's)"
    )


def test_bfloat16_imports_ml_dtypes_when_a_tensor_first_needs_it():
    pytest.importorskip("ml_dtypes")
    code = (
        "import sys, ember\n"
        "assert ember.bfloat16.is_floating_point and ember.bfloat16.itemsize == 2\n"
        "print('ml_dtypes' in sys.modules)\n"
        "x = ember.ones(2, dtype=ember.bfloat16)\n"
        "print('ml_dtypes' in sys.modules, x.dtype, (x * 3).dtype, x.float().sum().item())\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split("\n")[:2] == ["False", "True torch.bfloat16 torch.bfloat16 2.0"]


def test_an_ml_dtypes_array_made_before_ember_needed_bfloat16_becomes_a_bfloat16_tensor():
    pytest.importorskip("ml_dtypes")
    code = (
        "import ember, ml_dtypes, numpy as np\n"
        "t = ember.from_numpy(np.arange(3).astype(ml_dtypes.bfloat16))\n"
        "print(t.dtype, t.is_floating_point(), (t + 1).tolist())\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "torch.bfloat16 True [1.0, 2.0, 3.0]"
