"""`import torch` means ember when asked: the import hook, `ember run-torch`, and torch modules ember lacks."""

import os
import subprocess
import sys
import textwrap

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _run(args, cwd=None):
    env = dict(os.environ, PYTHONPATH=ROOT)
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=120)


def _python(code):
    out = _run(["-c", textwrap.dedent(code)])
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_import_line_maps_torch_and_torchvision_to_ember_modules():
    out = _python("""
        import ember.as_torch
        import torch, torch.nn as nn, torch.nn.functional as F, torch.optim.lr_scheduler as sched
        from torch.utils.data import DataLoader, TensorDataset
        import torchvision, torchvision.transforms as T
        from torch.cuda.amp import GradScaler
        import ember, ember.nn, ember.vision, ember.utils.data
        assert torch is ember and nn is ember.nn and F is ember.nn.functional
        assert torchvision is ember.vision and T is ember.vision.transforms
        assert DataLoader is ember.utils.data.DataLoader and sched is ember.optim.lr_scheduler
        assert isinstance(nn.Linear(2, 3).weight, torch.Tensor) and isinstance(nn.Linear(2, 3), ember.nn.Module)
        assert ember.__spec__.name == "ember"      # importlib's alias spec did not replace ember's own
        print(GradScaler.__name__, torch.cuda.amp.autocast.__name__)
    """)
    assert out.split() == ["GradScaler", "autocast"]


def test_install_refuses_when_real_torch_is_loaded():
    out = _python("""
        import torch, ember
        try:
            ember.install_torch_alias()
        except RuntimeError as e:
            print("refused:", "already imported" in str(e))
    """)
    assert out.strip() == "refused: True"


def test_uninstall_lets_real_torch_import_again():
    out = _python("""
        import ember.as_torch
        import torch
        assert torch.__name__ == "ember"
        ember.as_torch.uninstall()
        import torch
        print(torch.__name__, hasattr(torch, "_C"))
    """)
    assert out.split() == ["torch", "True"]


def test_missing_torch_module_imports_and_raises_not_implemented_on_use():
    out = _python("""
        import ember.as_torch
        import torch.onnx, torch._dynamo, torchvision.ops
        import torch.onnx.operators
        assert not hasattr(torch.onnx, "__wrapped__")    # introspection stays an AttributeError
        for use in (lambda: torch.onnx.export, lambda: torchvision.ops.nms, lambda: torch.onnx.operators.x):
            try:
                use()
            except NotImplementedError as e:
                print(e)
    """)
    lines = out.strip().splitlines()
    assert len(lines) == 3
    assert lines[0].startswith("torch.onnx.export: ember has no torch.onnx")
    assert lines[1].startswith("torchvision.ops.nms: ember has no torchvision.ops")
    assert "torch.onnx.operators" in lines[2]


def test_missing_dependency_of_an_ember_module_is_not_hidden(tmp_path):
    """A ModuleNotFoundError from inside an ember module (not the alias itself) propagates unchanged."""
    out = _python(f"""
        import sys
        sys.path.insert(0, {str(tmp_path)!r})
        open({str(tmp_path / "ember_missing_dep_probe.py")!r}, "w").write("import no_such_dependency_xyz\\n")
        from ember import _torch_alias
        try:
            _torch_alias._load("torch.probe", "ember_missing_dep_probe")
        except ModuleNotFoundError as e:
            print(e.name)
    """)
    assert out.strip() == "no_such_dependency_xyz"


def test_run_torch_runs_a_program_as_python_would(tmp_path):
    (tmp_path / "helper.py").write_text("import torch\n\ndef total():\n    return torch.ones(3).sum().item()\n")
    (tmp_path / "prog.py").write_text(
        textwrap.dedent("""
        import sys
        import torch
        import helper                       # a sibling file, as `python prog.py` finds it
        print(__name__, sys.argv[1:], torch.__name__, helper.total())
        if __name__ == "__main__":
            sys.exit(int(sys.argv[-1]))
    """)
    )
    out = _run(["-m", "ember", "run-torch", str(tmp_path / "prog.py"), "--epochs", "2", "3"], cwd=str(tmp_path))
    assert out.returncode == 3, out.stderr
    assert out.stdout.strip() == "__main__ ['--epochs', '2', '3'] ember 3.0"


def test_run_torch_module_and_errors(tmp_path):
    pkg = tmp_path / "mypkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "train.py").write_text("import sys, torch\nprint(__name__, torch.__name__, sys.argv[1:])\n")
    out = _run(["-m", "ember", "run-torch", "-m", "mypkg.train", "x"], cwd=str(tmp_path))
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "__main__ ember ['x']"
    out = _run(["-m", "ember", "run-torch", str(tmp_path / "nope.py")])
    assert out.returncode == 2 and "program not found" in out.stderr
    out = _run(["-m", "ember", "run-torch"])
    assert out.returncode == 2 and "needs a program" in out.stderr


def test_spawned_dataloader_workers_see_the_alias(tmp_path):
    """spawn re-imports the main program in each worker; the alias must be there before that."""
    (tmp_path / "prog.py").write_text(
        textwrap.dedent("""
        import torch
        from torch.utils.data import DataLoader, TensorDataset

        class Doubled(TensorDataset):
            def __getitem__(self, i):
                return super().__getitem__(i)[0] * 2

        if __name__ == "__main__":
            data = Doubled(torch.arange(6.0))
            loader = DataLoader(data, batch_size=3, num_workers=1, multiprocessing_context="spawn")
            print(torch.cat(list(loader)).tolist(), type(data).__module__)
    """)
    )
    out = _run(["-m", "ember", "run-torch", str(tmp_path / "prog.py")], cwd=str(tmp_path))
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[0.0, 2.0, 4.0, 6.0, 8.0, 10.0] __main__"


def test_pickle_of_an_aliased_program_names_ember(tmp_path):
    out = _python(f"""
        import ember.as_torch
        import torch, pickle
        m = torch.nn.Linear(2, 2)
        blob = pickle.dumps(m)
        print(b"ember.nn" in blob, type(pickle.loads(blob)) is torch.nn.Linear)
        torch.save(m.state_dict(), {str(tmp_path / "m.pt")!r})
        print(sorted(torch.load({str(tmp_path / "m.pt")!r})))
    """)
    assert out.split("\n")[:2] == ["True True", "['bias', 'weight']"]


@pytest.mark.parametrize("spelling", ["ember.install_torch_alias()", "import ember.as_torch"])
def test_notebook_spellings(spelling):
    out = _python(f"import ember\n{spelling}\nimport torch\nprint(torch is ember)\n")
    assert out.strip() == "True"
