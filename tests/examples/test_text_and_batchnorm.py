"""The text_classification and batchnorm_from_scratch examples: tiny end-to-end runs, and checks against torch."""
import os

import numpy as np
import pytest
import torch

import ember
from ember.examples import batchnorm_from_scratch as bn_example
from ember.examples import text_classification as text_example


# --- text_classification ----------------------------------------------------------------------------

def test_text_classification_runs_and_beats_chance(tmp_path):
    results = text_example.main(["--epochs", "3", "--out", str(tmp_path), "--quiet"])
    assert (tmp_path / "text_roc.png").stat().st_size > 0
    for model in ("logreg", "mlp"):
        for metric in ("accuracy", "precision", "recall", "f1", "auc"):
            assert 0.0 <= results[f"{model}_{metric}"] <= 1.0
        assert results[f"{model}_accuracy"] > 0.65
        assert results[f"{model}_auc"] > 0.75


def test_metrics_match_scikit_learn():
    metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, size=300)
    scores = np.round(0.3 * labels + rng.random(300), 1)          # rounded: many tied scores
    ours = text_example.classification_metrics(scores, labels)
    predicted = scores >= 0.5
    assert ours["accuracy"] == pytest.approx(metrics.accuracy_score(labels, predicted))
    assert ours["precision"] == pytest.approx(metrics.precision_score(labels, predicted))
    assert ours["recall"] == pytest.approx(metrics.recall_score(labels, predicted))
    assert ours["f1"] == pytest.approx(metrics.f1_score(labels, predicted))
    assert ours["auc"] == pytest.approx(metrics.roc_auc_score(labels, scores))
    fpr, tpr = text_example.roc_curve(scores, labels)
    ref_fpr, ref_tpr, _ = metrics.roc_curve(labels, scores, drop_intermediate=False)
    np.testing.assert_allclose(fpr, ref_fpr)
    np.testing.assert_allclose(tpr, ref_tpr)


def test_bag_of_words_counts_and_drops_out_of_vocabulary_ids():
    docs = [np.array([0, 2, 2, 7]), np.array([], dtype=np.int64), np.array([1, 1, 1])]
    counts = text_example.bag_of_words(docs, vocab_size=4)
    np.testing.assert_array_equal(counts, [[1, 0, 2, 0], [0, 0, 0, 0], [0, 3, 0, 0]])
    assert counts.dtype == np.float32


def test_logistic_regression_first_20_steps_match_torch():
    """Same initial weights, same batches in order, Adam with weight decay: ember and torch losses agree."""
    docs, labels = text_example.read_docs(os.path.join(text_example.DATA_DIR, "docs_train.csv"))
    X = text_example.bag_of_words(docs, 500)
    y = labels.astype(np.float32)
    ember.manual_seed(0)
    ember_net = text_example.build_model(ember, 500)
    torch_net = text_example.build_model(torch, 500)
    with torch.no_grad():
        for ours, theirs in zip(ember_net.parameters(), torch_net.parameters()):
            theirs.copy_(torch.from_numpy(ours.detach().numpy().copy()))
    runs = []
    for T, net in ((ember, ember_net), (torch, torch_net)):
        optimizer = T.optim.Adam(net.parameters(), lr=0.01, weight_decay=1e-3)
        loss_fn = T.nn.BCEWithLogitsLoss()
        batches = [(T.tensor(X[i:i + 16]), T.tensor(y[i:i + 16])) for i in range(0, 20 * 16, 16)]
        runs.append([text_example.train_step(net, loss_fn, optimizer, xb, yb) for xb, yb in batches])
    ember_losses, torch_losses = runs
    assert ember_losses[-1] < ember_losses[0]                      # it learns, so the comparison means something
    np.testing.assert_allclose(ember_losses, torch_losses, rtol=1e-5, atol=1e-6)


def test_shipped_csvs_are_the_generator_output(tmp_path):
    from ember.examples.data import make_docs
    make_docs.main(folder=str(tmp_path))
    for name in ("docs_train.csv", "docs_test.csv"):
        with open(os.path.join(text_example.DATA_DIR, name)) as shipped:
            assert (tmp_path / name).read_text() == shipped.read()


# --- batchnorm_from_scratch -------------------------------------------------------------------------

@pytest.mark.parametrize("shape, num_dims, torch_layer", [((8, 3, 5, 5), 4, torch.nn.BatchNorm2d),
                                                          ((16, 6), 2, torch.nn.BatchNorm1d)])
def test_hand_written_batchnorm_matches_torch(shape, num_dims, torch_layer):
    """d2l's momentum 0.1 is torch's momentum 0.1; the moving variance is biased where torch's is unbiased."""
    rng = np.random.default_rng(1)
    x = (rng.normal(size=shape) * 3 + 2).astype(np.float32)
    ours = bn_example.BatchNorm(shape[1], num_dims=num_dims)
    theirs = torch_layer(shape[1], eps=1e-5, momentum=0.1)
    stats_axes = (0, 2, 3) if num_dims == 4 else (0,)
    n = int(np.prod([shape[a] for a in stats_axes]))
    for _ in range(3):                                              # training mode, three updates
        y_ours = ours(ember.tensor(x)).detach().numpy()
        y_theirs = theirs.train()(torch.from_numpy(x)).detach().numpy()
        np.testing.assert_allclose(y_ours, y_theirs, rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(ours.moving_mean.numpy().reshape(-1), theirs.running_mean.numpy(), rtol=1e-5)
        x = x * 1.5 - 1
    # after 3 updates from 1 both moving variances are 0.9^3 plus a weighted sum of batch variances, which
    # torch takes unbiased (divided by n - 1) and d2l biased (divided by n)
    start = 0.9 ** 3
    np.testing.assert_allclose(ours.moving_var.numpy().reshape(-1) - start,
                               (theirs.running_var.numpy() - start) * (n - 1) / n, rtol=1e-4)
    assert isinstance(dict(ours.named_buffers())["moving_mean"], ember.Tensor)
    assert set(ours.state_dict()) == {"gamma", "beta", "moving_mean", "moving_var"}
    # prediction mode (no_grad) normalises with the moving averages, as torch's eval mode with the same ones
    with torch.no_grad():
        theirs.running_var.copy_(torch.from_numpy(ours.moving_var.numpy().reshape(-1)))
    with ember.no_grad():
        y_ours = ours(ember.tensor(x)).numpy()
    y_theirs = theirs.eval()(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(y_ours, y_theirs, rtol=1e-4, atol=1e-5)


def test_batchnorm_example_smoke_run(tmp_path):
    results = bn_example.main(["--limit", "128", "--epochs", "1", "--quiet", "--plot",
                               "--root", str(tmp_path / "data"), "--out", str(tmp_path / "out")])
    for name in ("scratch", "builtin"):
        assert (tmp_path / "out" / f"batchnorm_{name}_curves.png").exists()
        assert 0.0 <= results[f"{name}_test_acc"] <= 1.0
    # same seed, same initial weights and batches: the hand-written layer trains exactly like nn.BatchNorm
    assert results["scratch_loss"] == pytest.approx(results["builtin_loss"], rel=1e-5)


def test_build_model_with_torch_is_d2l_lenet():
    net = bn_example.build_model(torch)
    assert net(torch.zeros(4, 1, 28, 28)).shape == (4, 10)
    assert sum(isinstance(m, (torch.nn.BatchNorm1d, torch.nn.BatchNorm2d)) for m in net) == 4
    with pytest.raises(ValueError, match="hand-written"):
        bn_example.build_model(torch, scratch=True)
