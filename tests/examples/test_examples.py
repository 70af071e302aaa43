"""The example programs: each runs in-process at a tiny size and reaches a sanity level; the fast ones
also reach the quality their docstring states at default settings. The oracle tests train ember and
real torch from the same initial weights on the same batches (each example's own model code, built
with T=torch and T=ember) and compare the first 20 losses."""
import contextlib
import os

import numpy as np
import pytest

import ember
from ember.examples import (batchnorm_from_scratch, dcgan, lenet_cifar10, linear_regression, lstm, mlp,
                            softmax_regression, tabular_csv, text_classification)
from ember.examples._common import progress
from ember.utils import data
from ember.vision import datasets, transforms

import oracle
from oracle import assert_on, on_devices

torch = pytest.importorskip("torch")

STEPS = 20


# --- the oracle: the same training steps in ember and in torch -------------------------------------------

def copy_torch_state(torch_net, ember_net):
    """Load torch's initial parameters and buffers into the ember model (through NumPy)."""
    state = {k: ember.tensor(v.detach().numpy().copy()) for k, v in torch_net.state_dict().items()}
    ember_net.load_state_dict(state)


def train_losses(T, net, batches, loss_fn, optimizer, device="cpu"):
    losses = []
    for X, y in batches:
        X, y = T.from_numpy(X.copy()).to(device), T.from_numpy(y.copy()).to(device)
        optimizer.zero_grad()
        loss = loss_fn(net(X), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


def assert_same_training(build, batches, make_loss, make_optimizer, eval_mode=False, rtol=2e-4, atol=1e-5):
    """build(T) -> model; make_loss(T); make_optimizer(T, params). Compare the losses of STEPS steps, ember
    running on oracle.DEVICE (the `device` fixture's)."""
    device = oracle.DEVICE
    batches = batches[:STEPS]
    assert len(batches) == STEPS and all(len(X) == len(y) > 0 for X, y in batches)
    torch.manual_seed(0)
    torch_net, ember_net = build(torch), build(ember)
    copy_torch_state(torch_net, ember_net)
    ember_net.to(device)
    for net in (torch_net, ember_net):
        net.train(not eval_mode)
    theirs = train_losses(torch, torch_net, batches, make_loss(torch), make_optimizer(torch, torch_net.parameters()))
    ours = train_losses(ember, ember_net, batches, make_loss(ember), make_optimizer(ember, ember_net.parameters()),
                        device)
    np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=atol)
    assert theirs[-1] < theirs[0], "the oracle run should learn something in 20 steps"
    assert_on(device, list(ember_net.state_dict().values()) + [p.grad for p in ember_net.parameters()],
              "parameter, buffer or gradient")
    for name, value in torch_net.state_dict().items():
        np.testing.assert_allclose(ember_net.state_dict()[name].cpu().numpy(), value.numpy(), rtol=1e-3, atol=1e-4,
                                   err_msg=name)


def loader_batches(dataset, batch_size, n=STEPS):
    """The first n batches of an unshuffled ember DataLoader, as NumPy arrays."""
    batches = []
    for X, y in data.DataLoader(dataset, batch_size, shuffle=False):
        batches.append((X.numpy(), y.numpy()))
        if len(batches) == n:
            break
    return batches


@on_devices
def test_oracle_linear_regression():
    ember.manual_seed(0)
    features, labels = linear_regression.synthetic_data(ember.tensor([2, -3.4]), 4.2, 1000)
    X, y = features.numpy(), labels.numpy()
    batches = [(X[i:i + 10], y[i:i + 10]) for i in range(0, 10 * STEPS, 10)]
    assert_same_training(linear_regression.build_model, batches, lambda T: T.nn.MSELoss(),
                         lambda T, p: T.optim.SGD(p, lr=0.03))


@pytest.mark.parametrize("example", [softmax_regression, mlp], ids=["softmax_regression", "mlp"])
@on_devices
def test_oracle_fashion_classifiers(example, fashion_root):
    train_set = datasets.FashionMNIST(fashion_root, train=True, transform=transforms.ToTensor())
    assert_same_training(example.build_model, loader_batches(train_set, 64), lambda T: T.nn.CrossEntropyLoss(),
                         lambda T, p: T.optim.SGD(p, lr=0.1))


@on_devices
def test_oracle_lenet_cifar10(cifar_root):
    train_set, _ = lenet_cifar10.load_cifar10(cifar_root, train=True)
    assert_same_training(lambda T: lenet_cifar10.make_net(T)(), loader_batches(train_set, 4),
                         lambda T: T.nn.CrossEntropyLoss(), lambda T, p: T.optim.SGD(p, lr=0.001, momentum=0.9))


@on_devices
def test_oracle_lstm():
    inputs, targets = lstm.sliding_windows(lstm.noisy_sine(1200), 24)
    batches = [(inputs[i:i + 32], targets[i:i + 32]) for i in range(0, 32 * STEPS, 32)]
    assert_same_training(lambda T: lstm.make_model(T)(32), batches, lambda T: T.nn.MSELoss(),
                         lambda T, p: T.optim.Adam(p, lr=0.01))


@on_devices
def test_oracle_tabular():
    import pandas as pd
    train = pd.read_csv(os.path.join(tabular_csv.DATA, "houses_train.csv"))
    test = pd.read_csv(os.path.join(tabular_csv.DATA, "houses_test.csv"))
    features, _, _ = tabular_csv.preprocess(train, test)
    log_prices = np.log(train["SalePrice"].to_numpy(dtype=np.float32)).reshape(-1, 1)
    batches = [(features[i:i + 16], log_prices[i:i + 16]) for i in range(0, 16 * STEPS, 16)]
    mean = float(log_prices.mean())
    # eval mode: Dropout is the identity, since ember's and torch's random masks differ
    assert_same_training(lambda T: tabular_csv.build_model(T, features.shape[1], 64, mean), batches,
                         lambda T: T.nn.MSELoss(), lambda T, p: T.optim.Adam(p, lr=0.01), eval_mode=True)


# --- each example at a tiny size, and at its defaults where that is fast -------------------------------

def test_linear_regression_defaults_reach_stated_error(tmp_path):
    result = linear_regression.main(["--quiet", "--out", str(tmp_path)])
    assert result["w_error"] < 0.01 and result["b_error"] < 0.01


def test_history_writes_tensorboard_and_plot(tmp_path):
    logdir, out = tmp_path / "logs", tmp_path / "out"
    linear_regression.main(["--epochs", "2", "--quiet", "--logdir", str(logdir), "--plot", "--out", str(out)])
    assert any(name.startswith("events.out.tfevents") for name in os.listdir(logdir))
    from PIL import Image
    assert Image.open(out / "linear_regression_curves.png").size[0] > 100


def test_progress_bar_only_on_a_terminal():
    items = [1, 2, 3]
    assert progress(items, quiet=True, desc="x") is items
    assert progress(items, quiet=False, desc="x") is items   # pytest captures stdout: not a TTY


@pytest.mark.parametrize("example", [softmax_regression, mlp], ids=["softmax_regression", "mlp"])
def test_fashion_classifiers_tiny(example, fashion_root, tmp_path):
    result = example.main(["--epochs", "2", "--batch-size", "32", "--quiet", "--root", fashion_root,
                           "--out", str(tmp_path)])
    assert result["test_acc"] > 0.6 and np.isfinite(result["loss"])


@pytest.mark.slow
@pytest.mark.parametrize("example", [softmax_regression, mlp], ids=["softmax_regression", "mlp"])
def test_fashion_classifiers_defaults_reach_stated_accuracy(example, fashion_root, tmp_path):
    result = example.main(["--quiet", "--root", fashion_root, "--out", str(tmp_path)])
    assert result["test_acc"] > 0.9


def test_lenet_cifar10_tiny_saves_a_checkpoint_torch_can_load(cifar_root, tmp_path):
    result = lenet_cifar10.main(["--root", cifar_root, "--limit", "200", "--epochs", "3", "--lr", "0.01",
                                 "--quiet", "--print-every", "25", "--out", str(tmp_path)])
    assert result["test_acc"] > 0.3   # 10 classes: chance is 0.1; the fixture's classes differ in colour
    assert sum(result["class_acc"].values()) > 0
    state = torch.load(tmp_path / "cifar_net.pth", weights_only=True)
    net = lenet_cifar10.make_net(torch)()
    net.load_state_dict(state)
    x = np.random.default_rng(0).uniform(-1, 1, (2, 3, 32, 32)).astype(np.float32)
    ours = lenet_cifar10.Net()
    ours.load_state_dict(ember.load(tmp_path / "cifar_net.pth", weights_only=True))
    np.testing.assert_allclose(ours(ember.from_numpy(x)).detach().numpy(),
                               net(torch.from_numpy(x)).detach().numpy(), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("use_cifar", [False, True], ids=["digits", "cifar10"])
def test_dcgan_tiny_writes_images(use_cifar, cifar_root, in_tmp):
    from PIL import Image
    out = in_tmp / "gan"
    argv = ["--epochs", "2", "--limit", "32", "--batch-size", "16", "--ngf", "8", "--ndf", "8", "--nz", "16",
            "--quiet", "--out", str(out)] + (["--root", cifar_root] if use_cifar else [])
    result = dcgan.main(argv)
    assert all(np.isfinite(result[k]) for k in ("loss_D", "loss_G", "D_x", "D_G_z"))
    assert tuple(result["fake_images"].shape) == (16, 3 if use_cifar else 1, 32, 32)
    for name in ("real_samples.png", "fake_epoch_1.png", "fake_epoch_2.png"):
        assert Image.open(out / name).size == (274, 70)   # make_grid: 8 x 2 tiles of 32 + 2 padding


def test_dcgan_weights_init_as_the_pytorch_example():
    ember.manual_seed(0)
    G, D = dcgan.Generator(16, 8, 1), dcgan.Discriminator(8, 1)
    G.apply(dcgan.weights_init)
    D.apply(dcgan.weights_init)
    conv = np.concatenate([m.weight.detach().numpy().ravel() for m in list(G.modules()) + list(D.modules())
                           if "Conv" in type(m).__name__])
    bn = [m for m in list(G.modules()) + list(D.modules()) if "BatchNorm" in type(m).__name__]
    assert abs(conv.mean()) < 0.002 and abs(conv.std() - 0.02) < 0.001
    gammas = np.concatenate([m.weight.detach().numpy() for m in bn])
    assert abs(gammas.mean() - 1) < 0.01 and abs(gammas.std() - 0.02) < 0.006
    assert all((m.bias.detach().numpy() == 0).all() for m in bn)
    # the generator maps (N, nz, 1, 1) noise to (N, 1, 32, 32) images in [-1, 1]; D gives one logit each
    fake = G(ember.randn(3, 16, 1, 1))
    assert tuple(fake.shape) == (3, 1, 32, 32) and fake.abs().max().item() <= 1
    assert tuple(D(fake).shape) == (3,)


def test_lstm_defaults_beat_baselines(tmp_path):
    result = lstm.main(["--quiet", "--out", str(tmp_path)])
    assert result["test_mse"] < 0.3 * result["baseline_last_mse"]
    assert result["test_mse"] < 0.3 * result["baseline_mean_mse"]


def test_tabular_defaults_reach_stated_error(tmp_path):
    import pandas as pd
    result = tabular_csv.main(["--quiet", "--out", str(tmp_path)])
    assert result["valid_log_rmse"] < 0.16 and result["valid_log_rmse"] < 0.5 * result["baseline_log_rmse"]
    submission = pd.read_csv(result["submission"])
    test = pd.read_csv(os.path.join(tabular_csv.DATA, "houses_test.csv"))
    assert list(submission.columns) == ["Id", "SalePrice"]
    assert (submission["Id"] == test["Id"]).all() and (submission["SalePrice"] > 0).all()


def test_tabular_preprocessing_one_hot_with_missing_column():
    import pandas as pd
    train = pd.DataFrame({"Id": [1, 2, 3], "Area": [1.0, np.nan, 3.0], "Kind": ["a", None, "b"],
                          "SalePrice": [10, 20, 30]})
    test = pd.DataFrame({"Id": [4], "Area": [2.0], "Kind": ["a"]})
    train_x, test_x, columns = tabular_csv.preprocess(train, test)
    assert columns == ["Area", "Kind_a", "Kind_b", "Kind_nan"]
    np.testing.assert_allclose(train_x[:, 0], [(1 - 2) / np.std([1, 3, 2], ddof=1), 0, 1 / np.std([1, 3, 2], ddof=1)],
                               rtol=1e-6)
    np.testing.assert_array_equal(train_x[:, 1:], [[1, 0, 0], [0, 0, 1], [0, 1, 0]])
    np.testing.assert_array_equal(test_x, [[0, 1, 0, 0]])


def test_text_classification_defaults_and_metrics_match_sklearn(tmp_path):
    metrics = pytest.importorskip("sklearn.metrics")
    result = text_classification.main(["--quiet", "--out", str(tmp_path)])
    labels = result["labels"]
    for name in ("logistic_regression", "mlp"):
        ours, scores = result[name], result["scores"][name]
        assert ours["accuracy"] > 0.85 and ours["roc_auc"] > 0.93
        predicted = scores >= 0.5
        assert ours["accuracy"] == pytest.approx(metrics.accuracy_score(labels, predicted))
        assert ours["precision"] == pytest.approx(metrics.precision_score(labels, predicted))
        assert ours["recall"] == pytest.approx(metrics.recall_score(labels, predicted))
        assert ours["f1"] == pytest.approx(metrics.f1_score(labels, predicted))
        assert ours["roc_auc"] == pytest.approx(metrics.roc_auc_score(labels, scores))
    assert os.path.getsize(result["roc_curve_png"]) > 1000


def test_roc_with_ties_matches_sklearn():
    metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, 200)
    scores = np.round(rng.uniform(0, 1, 200) + 0.3 * labels, 1)   # many tied scores
    fpr, tpr = text_classification.roc_curve(labels, scores)
    sk_fpr, sk_tpr, _ = metrics.roc_curve(labels, scores, drop_intermediate=False)
    np.testing.assert_allclose(fpr, sk_fpr)
    np.testing.assert_allclose(tpr, sk_tpr)
    assert text_classification.roc_auc(labels, scores) == pytest.approx(metrics.roc_auc_score(labels, scores))


def test_bag_of_words_counts():
    counts = text_classification.bag_of_words(["0 2 2", "1 5"], vocab_size=4)
    np.testing.assert_array_equal(counts, [[1, 0, 2, 0], [0, 1, 0, 0]])


def test_hand_written_batchnorm_matches_nn_batchnorm():
    x = ember.randn(8, 3, 5, 5)
    ours, builtin = batchnorm_from_scratch.BatchNorm(3, num_dims=4), ember.nn.BatchNorm2d(3)
    assert set(dict(ours.named_buffers())) == {"moving_mean", "moving_var"}
    for _ in range(3):
        np.testing.assert_allclose(ours(x).detach().numpy(), builtin(x).detach().numpy(), rtol=1e-5, atol=1e-5)
    # d2l's momentum 0.9 is torch's 0.1; d2l keeps the biased batch variance, torch the unbiased one
    np.testing.assert_allclose(ours.moving_mean.reshape(-1).numpy(), builtin.running_mean.numpy(), rtol=1e-5,
                               atol=1e-6)
    n = 8 * 5 * 5
    biased_var = x.numpy().var(axis=(0, 2, 3))
    expected = 1 + (1 - 0.9 ** 3) * (biased_var - 1)
    np.testing.assert_allclose(ours.moving_var.reshape(-1).numpy(), expected, rtol=1e-5)
    assert builtin.running_var.numpy() == pytest.approx(1 + (1 - 0.9 ** 3) * (biased_var * n / (n - 1) - 1),
                                                        rel=1e-5)
    ours.eval()
    expected = (x.numpy() - ours.moving_mean.numpy()) / np.sqrt(ours.moving_var.numpy() + 1e-5)
    np.testing.assert_allclose(ours(x).detach().numpy(), expected, rtol=1e-5, atol=1e-5)


def test_batchnorm_from_scratch_tiny(fashion_root, tmp_path):
    result = batchnorm_from_scratch.main(["--epochs", "1", "--quiet", "--root", fashion_root, "--out",
                                          str(tmp_path)])
    assert result["scratch_test_acc"] > 0.3 and result["builtin_test_acc"] > 0.3


@pytest.mark.slow
def test_batchnorm_from_scratch_defaults_close(fashion_root, tmp_path):
    result = batchnorm_from_scratch.main(["--quiet", "--root", fashion_root, "--out", str(tmp_path)])
    assert result["scratch_test_acc"] > 0.85 and result["builtin_test_acc"] > 0.85
    assert abs(result["scratch_test_acc"] - result["builtin_test_acc"]) < 0.06


def test_stand_in_never_mixes_with_real_files(tmp_path):
    from ember.examples._common import digits_as_fashion_mnist
    raw = tmp_path / "FashionMNIST" / "raw"
    raw.mkdir(parents=True)
    (raw / "train-images-idx3-ubyte.gz").write_bytes(b"")
    digits_as_fashion_mnist(str(tmp_path))
    assert os.listdir(raw) == ["train-images-idx3-ubyte.gz"]


# --- every example's own program on cuda (the strict test device without a GPU) ----------------------------

TINY_ON_CUDA = {
    "linear_regression": (linear_regression, ["--epochs", "1"]),
    "softmax_regression": (softmax_regression, ["--epochs", "1", "--batch-size", "256"]),
    "mlp": (mlp, ["--epochs", "1", "--batch-size", "256"]),
    "lenet_cifar10": (lenet_cifar10, ["--limit", "40", "--epochs", "1", "--print-every", "5"]),
    "dcgan": (dcgan, ["--epochs", "1", "--limit", "16", "--batch-size", "8", "--ngf", "4", "--ndf", "4",
                      "--nz", "8"]),
    "lstm": (lstm, ["--epochs", "1", "--hidden", "8"]),
    "tabular_csv": (tabular_csv, ["--epochs", "1"]),
    "text_classification": (text_classification, ["--epochs", "1"]),
    "batchnorm_from_scratch": (batchnorm_from_scratch, ["--epochs", "1", "--batch-size", "256"]),
}


@pytest.mark.parametrize("name", sorted(TINY_ON_CUDA))
def test_example_trains_on_cuda(name, fashion_root, cifar_root, in_tmp, monkeypatch):
    """Each example's own training loop with --device cuda: no op leaves the device or mixes devices."""
    from ember._backend import has_real_cupy, strict_cuda
    from ember.nn import Module
    module, argv = TINY_ON_CUDA[name]
    if name in ("softmax_regression", "mlp", "batchnorm_from_scratch"):
        argv = argv + ["--root", fashion_root]
    if name == "lenet_cifar10":
        argv = argv + ["--root", cifar_root]
    on_cuda = []
    real_to = Module.to

    def to(self, *args, **kwargs):         # record every model the example moves, to check where it ended up
        on_cuda.append(self)
        return real_to(self, *args, **kwargs)
    monkeypatch.setattr(Module, "to", to)
    with (contextlib.nullcontext() if has_real_cupy() else strict_cuda()):
        module.main(argv + ["--device", "cuda", "--quiet", "--out", str(in_tmp / "out")])
        assert on_cuda and all(p.device.type == "cuda" for m in on_cuda for p in m.parameters())
        assert all(p.grad is None or p.grad.device.type == "cuda" for m in on_cuda for p in m.parameters())
