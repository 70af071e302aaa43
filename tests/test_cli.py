"""The `ember` command, run as a user would: a subprocess, checking exit codes and one-line errors."""

import importlib.util
import os
import shutil
import subprocess
import sys

import pytest

import ember
from ember.examples._common import digits_as_fashion_mnist

EXAMPLES = [
    "batchnorm_from_scratch",
    "dcgan",
    "lenet_cifar10",
    "linear_regression",
    "lstm",
    "mlp",
    "softmax_regression",
    "tabular_csv",
    "text_classification",
]
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def ember_command():
    """The installed console script when there is one, else `python -m ember`."""
    script = shutil.which("ember")
    return [script] if script else [sys.executable, "-m", "ember"]


def run(args, cwd, command=None):
    return subprocess.run((command or ember_command()) + args, cwd=cwd, capture_output=True, text=True, timeout=120)


def skip_if_an_extra_is_missing(result):
    """Skip when the command stopped because a package of an extra is not installed here (a NumPy-only
    install, .ci/numpy_only.sh): its one-line error names the package and the extra."""
    from ember._extras import EXTRA_OF, PACKAGE_OF

    for module, extra in EXTRA_OF.items():
        package = PACKAGE_OF.get(module, module)
        if (
            result.returncode == 2
            and f"needs {package} (the '{extra}' extra)" in result.stderr
            and importlib.util.find_spec(module) is None
        ):
            pytest.skip(f"{package} (the '{extra}' extra) is not installed")


def assert_one_line_error(result, *fragments):
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for fragment in fragments:
        assert fragment in lines[0]


def test_examples_lists_every_example(tmp_path):
    result = run(["examples"], tmp_path, [sys.executable, "-m", "ember"])
    assert result.returncode == 0, result.stderr
    names = [line.split()[0] for line in result.stdout.strip().splitlines()]
    assert names == EXAMPLES


def test_train_mlp_one_epoch(tmp_path):
    pytest.importorskip("sklearn")  # the stand-in data set is sklearn's digits
    digits_as_fashion_mnist(str(tmp_path / "data"))
    result = run(["train", "mlp", "--epochs", "1", "--quiet"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert "epoch 1: loss" in result.stdout and "test_acc" in result.stdout
    assert "epoch 2" not in result.stdout


def test_train_forwards_example_specific_flags(tmp_path):
    result = run(["train", "lstm", "--epochs", "1", "--quiet", "--window", "8", "--length", "200"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert "test MSE" in result.stdout


def test_unknown_example_lists_the_valid_ones(tmp_path):
    assert_one_line_error(run(["train", "nosuch"], tmp_path), "nosuch", *EXAMPLES)


def test_partial_cifar_folder_names_the_missing_files(tmp_path):
    folder = tmp_path / "data" / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    (folder / "data_batch_1").write_bytes(b"")  # real data half copied: no stand-in is mixed in
    result = run(["train", "lenet_cifar10", "--root", str(tmp_path / "data")], tmp_path)
    assert_one_line_error(result, "cifar-10-batches-py", "missing: data_batch_2", "--root", "--download")


@pytest.mark.parametrize("example", EXAMPLES)
def test_every_example_runs_one_epoch_from_a_fresh_install(example, tmp_path):
    """`ember train NAME --epochs 1` in an empty folder: no data present, each example finishes."""
    result = run(["train", example, "--epochs", "1", "--quiet"], tmp_path)
    skip_if_an_extra_is_missing(result)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "epoch 1" in result.stdout or "Epoch 1" in result.stdout, result.stdout
    if example == "lenet_cifar10":
        assert "wrote a stand-in in the same python-pickle batch format" in result.stdout
        assert (tmp_path / "data" / "cifar-10-batches-py" / "batches.meta").is_file()


BAD_NUMBERS = [
    (["--epochs", "0"], "--epochs: expected a positive integer, got '0'"),
    (["--epochs", "-1"], "--epochs: expected a positive integer, got '-1'"),
    (["--batch-size", "0"], "--batch-size: expected a positive integer, got '0'"),
    (["--workers", "-3"], "--workers: expected an integer >= 0, got '-3'"),
    (["--lr", "-5"], "--lr: expected a positive number, got '-5'"),
    (["--lr", "nan"], "--lr: expected a positive number, got 'nan'"),
    (["--epochs", "two"], "--epochs: expected a positive integer, got 'two'"),
]


@pytest.mark.parametrize("example", EXAMPLES)
@pytest.mark.parametrize("flags,message", BAD_NUMBERS, ids=[" ".join(f) for f, _ in BAD_NUMBERS])
def test_bad_numbers_are_one_line_errors(example, flags, message, tmp_path):
    result = run(["train", example, *flags], tmp_path, [sys.executable, "-m", "ember"])
    assert_one_line_error(result, f"ember train {example}: error: argument {message}")
    assert not (tmp_path / "data").exists()  # nothing ran


@pytest.mark.parametrize(
    "flags,message",
    [(["--beta1", "1"], "--beta1: expected a number in [0, 1)"), (["--nz", "0"], "--nz: expected a positive integer")],
)
def test_example_specific_bad_numbers(flags, message, tmp_path):
    assert_one_line_error(run(["train", "dcgan", *flags], tmp_path), message)


def test_unknown_flag_names_the_example_program(tmp_path):
    assert_one_line_error(
        run(["train", "mlp", "--bogus"], tmp_path),
        "ember train mlp: error: unrecognized arguments: --bogus",
        "ember train mlp --help",
    )


def test_train_example_help_lists_its_own_flags(tmp_path):
    result = run(["train", "mlp", "--help"], tmp_path)
    assert result.returncode == 0 and result.stderr == ""
    assert result.stdout.startswith("usage: ember train mlp")
    for flag in ("--lr", "--seed", "--out", "--epochs", "--batch-size", "--root", "--logdir"):
        assert flag in result.stdout
    result = run(["train", "lstm", "--help"], tmp_path)
    assert "--window" in result.stdout and "--hidden" in result.stdout
    assert "--limit" in run(["train", "lenet_cifar10", "--help"], tmp_path).stdout


def test_train_help_lists_the_examples(tmp_path):
    result = run(["train", "--help"], tmp_path)
    assert result.returncode == 0
    assert result.stdout.startswith("usage: ember train [EXAMPLE]")
    assert all(name in result.stdout for name in EXAMPLES)


def test_plain_ember_shows_help_and_runs_nothing(tmp_path):
    result = run([], tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: ember")
    assert all(command in result.stdout for command in ("train", "examples", "bench", "run", "demo"))
    assert list(tmp_path.iterdir()) == []


def test_version(tmp_path):
    result = run(["--version"], tmp_path)
    assert (
        result.returncode == 0
        and result.stdout.strip()
        == f"ember {ember.version.ember_version} (torch {ember.version.torch_api_version} API)"
    )


def test_unknown_command_is_one_line(tmp_path):
    assert_one_line_error(run(["trian"], tmp_path), "invalid choice: 'trian'", "'train'")


def test_closed_pipe_is_not_a_traceback(tmp_path):
    proc = subprocess.Popen(
        ember_command() + ["examples"], cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, bufsize=0
    )
    proc.stdout.close()  # the reader is gone before ember writes (as `| head -0`)
    stderr = proc.stderr.read().decode()
    proc.wait(timeout=60)
    assert "Traceback" not in stderr and "BrokenPipeError" not in stderr, stderr


def _without(module, tmp_path):
    """An environment in which importing `module` fails as if it were not installed."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(
        "import importlib.abc, sys\n"
        "class Block(importlib.abc.MetaPathFinder):\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        f"        if name.split('.')[0] == {module!r}:\n"
        "            raise ModuleNotFoundError(f'No module named {name!r}', name=name)\n"
        "sys.meta_path.insert(0, Block())\n"
    )
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(site), env.get("PYTHONPATH")) if p)
    return env


@pytest.mark.parametrize(
    "example,module,package,extra",
    [
        ("mlp", "sklearn", "scikit-learn", "examples"),
        ("tabular_csv", "pandas", "pandas", "examples"),
        ("text_classification", "pandas", "pandas", "examples"),
        ("dcgan", "PIL", "Pillow", "examples"),
    ],
)
def test_missing_optional_dependency_names_the_extra(example, module, package, extra, tmp_path):
    result = subprocess.run(
        ember_command() + ["train", example, "--epochs", "1", "--quiet"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env=_without(module, tmp_path),
    )
    if f"needs {package} " not in result.stderr:  # the example needs another package, missing here
        skip_if_an_extra_is_missing(result)
    assert_one_line_error(result, package, f"'{extra}' extra", "python -m pip install", f"[{extra}]")


def test_install_hint_names_the_checkout_ember_was_installed_from():
    from ember._extras import install_hint

    hint = install_hint("examples")
    assert hint.startswith('python -m pip install "') and hint.endswith('[examples]"')
    source = hint[len('python -m pip install "') : -len('[examples]"')]
    assert source == "ember" or source == "." or os.path.isfile(os.path.join(source, "pyproject.toml"))


@pytest.mark.skipif(ember.cuda.is_available(), reason="a GPU is usable here")
def test_cuda_without_a_gpu(tmp_path):
    assert_one_line_error(run(["train", "linear_regression", "--device", "cuda"], tmp_path), "--device cpu")


def test_unknown_device(tmp_path):
    assert_one_line_error(run(["train", "linear_regression", "--device", "tpu"], tmp_path), "tpu")


def test_example_runs_as_a_script(tmp_path):
    script = os.path.join(REPO, "examples", "linear_regression.py")
    result = run([script, "--epochs", "1", "--quiet"], tmp_path, [sys.executable])
    assert result.returncode == 0, result.stderr
    assert "error in estimating w" in result.stdout
