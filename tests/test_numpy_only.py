"""ember on an install without its extras: a subprocess that cannot import ml_dtypes (as on a NumPy-only
install) checks that the core works and that asking for bfloat16 names the extra instead of silently
making float32 tensors. CI also runs the core tests in a real NumPy-only environment (.ci/numpy_only.sh)."""

import os
import subprocess
import sys
import textwrap

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

WITHOUT_ML_DTYPES = """
import importlib.abc, sys

class _Absent(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "ml_dtypes" or name.startswith("ml_dtypes."):
            raise ModuleNotFoundError("No module named 'ml_dtypes'", name=name)

sys.meta_path.insert(0, _Absent())
sys.modules.pop("ml_dtypes", None)
"""


def _run(code):
    env = dict(os.environ, PYTHONPATH=REPO)
    return subprocess.run(
        [sys.executable, "-c", WITHOUT_ML_DTYPES + textwrap.dedent(code)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_core_ops_without_ml_dtypes():
    result = _run("""
        import ember
        x = ember.tensor([1.0, 2.0], requires_grad=True)
        y = (2 ** x + x ** 2).sum()
        y.backward()
        expected = [2 * 0.6931471805599453 + 2, 4 * 0.6931471805599453 + 4]
        assert all(abs(g - e) < 1e-5 for g, e in zip(x.grad.tolist(), expected)), x.grad
        print(y.item(), ember.full((2,), 0.5, dtype=ember.float16).dtype)
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["11.0", "torch.float16"]


def test_bfloat16_without_ml_dtypes_names_the_extra():
    result = _run("""
        import ember
        print(repr(ember.bfloat16))
        for attempt in (lambda: ember.full((4,), 0.1, dtype=ember.bfloat16), lambda: ember.ones(2).bfloat16(),
                        lambda: ember.ones(2).to(ember.bfloat16), lambda: ember.zeros(2, dtype="bfloat16"),
                        lambda: ember.autocast("cpu")):
            try:
                attempt()
            except Exception as error:
                print(type(error).__name__, "|", error)
            else:
                print("no error")
    """)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "torch.bfloat16"
    for line in lines[1:]:  # the install command names the amp extra (install_hint: of this checkout)
        assert "ml_dtypes" in line and 'pip install "' in line and '[amp]"' in line, line
    assert all(line.startswith("ModuleNotFoundError") for line in lines[1:5]), lines
