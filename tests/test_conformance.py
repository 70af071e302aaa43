"""The conformance suite: the runner's parsing and comparison (fast), and every program under torch and
ember (slow: python -m ember.conformance prints the same table)."""

import pytest

from ember.conformance import runner


def test_metrics_are_parsed_as_series():
    text = "epoch 1 loss=0.5 acc=0.75\nepoch 2 loss=0.25 acc=0.875 lr=1e-3\nnot_a=metric.x val=-2"
    assert runner.parse_metrics(text) == {"loss": [0.5, 0.25], "acc": [0.75, 0.875], "lr": [0.001], "val": [-2.0]}


def test_trend_comparison_rules():
    spec = runner.read_spec("mnist_cnn")
    assert spec["mode"] == "trend"
    torch_run = {"train_loss": [1.0, 0.5], "accuracy": [0.5, 0.9], "lr": [0.7, 0.49]}
    assert (
        runner.compare(spec, {"train_loss": [1.1, 0.45], "accuracy": [0.5, 0.85], "lr": [0.7, 0.49]}, torch_run) is None
    )
    assert "did not" in runner.compare(spec, {**torch_run, "train_loss": [1.0, 1.2]}, torch_run)
    assert "apart" in runner.compare(spec, {**torch_run, "train_loss": [1.0, 0.01]}, torch_run)
    assert "tolerance" in runner.compare(spec, {**torch_run, "accuracy": [0.5, 0.3]}, torch_run)
    assert "lr[1]" in runner.compare(spec, {**torch_run, "lr": [0.7, 0.5]}, torch_run)
    assert "not printed" in runner.compare(spec, {"train_loss": [1.0, 0.5]}, torch_run)
    assert "2 values" not in (
        runner.compare(spec, {**torch_run, "lr": [0.7]}, torch_run) or ""
    ) and "1 values" in runner.compare(spec, {**torch_run, "lr": [0.7]}, torch_run)


def test_exact_comparison_and_skip():
    spec = runner.read_spec("regression")
    assert spec["mode"] == "exact"
    assert runner.compare(spec, {"loss": [1.0, 0.5]}, {"loss": [1.0, 0.5]}) is None
    assert runner.compare(spec, {"loss": [1.0, 0.6]}, {"loss": [1.0, 0.5]}).startswith("loss[1]")
    assert "episode_len" in runner.read_spec("reinforce")["skip"]


def test_every_program_has_a_spec():
    names = runner.programs()
    assert len(names) >= 30 and "mnist_cnn" in names and "_data" not in names
    for name in names:
        assert runner.read_spec(name)["mode"] in ("exact", "trend")


@pytest.mark.slow
@pytest.mark.parametrize("name", runner.programs())
def test_program_matches_torch(name, tmp_path):
    pytest.importorskip("torch")
    row = runner.check(name, timeout=600, workdir=str(tmp_path))
    assert row["result"] in ("match", "ember only"), f"{row['result']}: {row['reason']}"
