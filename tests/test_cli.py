"""The `ember` command, run as a user would: a subprocess, checking exit codes and one-line errors."""
import os
import shutil
import subprocess
import sys

import pytest

import ember
from ember.examples._common import digits_as_fashion_mnist

EXAMPLES = ["batchnorm_from_scratch", "dcgan", "lenet_cifar10", "linear_regression", "lstm", "mlp",
            "softmax_regression", "tabular_csv", "text_classification"]
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def ember_command():
    """The installed console script when there is one, else `python -m ember`."""
    script = shutil.which("ember")
    return [script] if script else [sys.executable, "-m", "ember"]


def run(args, cwd, command=None):
    return subprocess.run((command or ember_command()) + args, cwd=cwd, capture_output=True, text=True,
                          timeout=120)


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
    pytest.importorskip("sklearn")      # the stand-in data set is sklearn's digits
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


def test_missing_cifar_root_says_where_to_put_it(tmp_path):
    result = run(["train", "lenet_cifar10", "--root", str(tmp_path / "nowhere")], tmp_path)
    assert_one_line_error(result, "cifar-10-batches-py", "--root")


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
