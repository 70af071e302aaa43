"""ember.vision.models: forward shapes, torchvision's state_dict names and init, and weights interop with torch."""

import math

import numpy as np
import pytest

import ember
from ember.vision import models

torch = pytest.importorskip("torch")
import torch_reference_models as ref  # noqa: E402


def _count(model):
    return sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize(
    "builder, shape",
    [
        (models.lenet, (2, 1, 32, 32)),
        (models.lenet_cifar, (2, 3, 32, 32)),
        (models.alexnet_small, (2, 3, 32, 32)),
        (lambda **kw: models.resnet18(**kw), (2, 3, 32, 32)),
        (lambda **kw: models.resnet34(**kw), (2, 3, 32, 32)),
    ],
)
def test_forward_shapes(builder, shape):
    model = builder(num_classes=7)
    out = model(ember.rand(*shape))
    assert tuple(out.shape) == (shape[0], 7)
    assert out.dtype == ember.float32


def test_lenet_matches_the_blitz_parameter_count_and_names():
    assert _count(models.lenet()) == 61706
    assert _count(models.lenet_cifar()) == 62006
    assert list(models.lenet().state_dict()) == list(ref.LeNet().state_dict())
    assert list(models.lenet_cifar().state_dict()) == list(ref.LeNetCIFAR().state_dict())


ALEXNET_KEYS = [
    f"{part}.{i}.{p}"
    for part, idx in (("features", (0, 3, 6, 8, 10)), ("classifier", (1, 4, 6)))
    for i in idx
    for p in ("weight", "bias")
]


def test_alexnet_small_has_torchvision_alexnet_layout():
    small = models.alexnet_small()
    assert list(small.state_dict()) == ALEXNET_KEYS
    assert isinstance(small.avgpool, ember.nn.AdaptiveAvgPool2d)


@pytest.mark.slow
def test_alexnet_layout():
    model = models.alexnet()
    assert _count(model) == 61100840  # torchvision's AlexNet
    assert list(model.state_dict()) == ALEXNET_KEYS
    assert tuple(model(ember.rand(1, 3, 224, 224)).shape) == (1, 1000)


def test_resnet_state_dict_names_and_counts():
    model = models.resnet18()
    assert _count(model) == 11689512
    keys = list(model.state_dict())
    assert keys == list(ref.resnet18().state_dict())
    for key in (
        "conv1.weight",
        "bn1.running_var",
        "layer1.0.conv1.weight",
        "layer2.0.downsample.0.weight",
        "layer2.0.downsample.1.num_batches_tracked",
        "layer4.1.bn2.bias",
        "fc.weight",
        "fc.bias",
    ):
        assert key in keys
    assert _count(models.resnet34()) == 21797672
    assert isinstance(model.avgpool, ember.nn.AdaptiveAvgPool2d)


def test_resnet_init_follows_torchvision():
    model = models.resnet18(zero_init_residual=True)
    w = model.layer3[0].conv1.weight.detach().numpy()  # kaiming_normal_ fan_out: std = sqrt(2 / (256 * 3 * 3))
    assert abs(w.std() - math.sqrt(2.0 / (256 * 9))) < 0.05 * math.sqrt(2.0 / (256 * 9))
    assert abs(w.mean()) < 0.002
    assert np.all(model.bn1.weight.detach().numpy() == 1) and np.all(model.bn1.bias.detach().numpy() == 0)
    assert np.all(model.layer1[1].bn2.weight.detach().numpy() == 0)
    assert np.all(model.layer1[1].bn1.weight.detach().numpy() == 1)
    assert not np.all(models.resnet18().layer1[1].bn2.weight.detach().numpy() == 0)


@pytest.mark.slow  # the 25088x4096 classifier takes seconds to initialise
def test_vgg_layout_and_init():
    model = models.vgg11_bn(num_classes=10)
    names = [type(m).__name__ for m in model.features]
    assert names[:4] == ["Conv2d", "BatchNorm2d", "ReLU", "MaxPool2d"] and len(names) == 29
    assert isinstance(model.avgpool, ember.nn.AdaptiveAvgPool2d) and len(model.classifier) == 7
    assert np.all(model.features[0].bias.detach().numpy() == 0)
    lin = model.classifier[6].weight.detach().numpy()
    assert abs(lin.std() - 0.01) < 0.001 and np.all(model.classifier[6].bias.detach().numpy() == 0)
    assert tuple(model(ember.rand(2, 3, 32, 32)).shape) == (2, 10)


def _torch_state_to_ember(state_dict):
    return {k: ember.from_numpy(v.detach().numpy().copy()) for k, v in state_dict.items()}


def test_resnet18_loads_torchvision_state_dict_and_matches_torch(tmp_path):
    gen = torch.Generator().manual_seed(0)
    torch_model = ref.resnet18(num_classes=10)
    ref.randomize_batchnorm_stats(torch_model, gen)
    torch_model.eval()
    path = tmp_path / "resnet18.pt"
    torch.save(torch_model.state_dict(), path)

    model = models.resnet18(weights=str(path), num_classes=10).eval()
    x = np.random.RandomState(0).randn(2, 3, 64, 64).astype(np.float32)
    with torch.no_grad():
        expected = torch_model(torch.from_numpy(x)).numpy()
    with ember.no_grad():
        got = model(ember.from_numpy(x)).numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4)
    assert int(model.layer1[0].bn1.num_batches_tracked) == 7

    via_dict = models.resnet18(num_classes=10)
    via_dict.load_state_dict(_torch_state_to_ember(torch_model.state_dict()))
    np.testing.assert_allclose(via_dict.eval()(ember.from_numpy(x)).detach().numpy(), expected, rtol=1e-4, atol=1e-4)


def test_resnet18_state_dict_round_trips_to_torch():
    model = models.resnet18(num_classes=5)
    torch_model = ref.resnet18(num_classes=5)
    torch_model.load_state_dict({k: torch.from_numpy(v.numpy().copy()) for k, v in model.state_dict().items()})
    x = np.random.RandomState(1).randn(1, 3, 48, 48).astype(np.float32)
    np.testing.assert_allclose(
        model.eval()(ember.from_numpy(x)).detach().numpy(),
        torch_model.eval()(torch.from_numpy(x)).detach().numpy(),
        rtol=1e-4,
        atol=1e-4,
    )


@pytest.mark.slow
def test_vgg11_loads_torch_state_dict_and_matches_torch(tmp_path):
    torch_model = ref.VGG(ref.VGG11_CFG).eval()
    path = tmp_path / "vgg11.pt"
    torch.save(torch_model.state_dict(), path)
    model = models.vgg11(weights=str(path)).eval()
    x = np.random.RandomState(0).randn(1, 3, 64, 64).astype(np.float32)
    with torch.no_grad():
        expected = torch_model(torch.from_numpy(x)).numpy()
    with ember.no_grad():
        got = model(ember.from_numpy(x)).numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4)


@pytest.mark.slow
def test_vgg11_bn_names_match_torchvision():
    torch_model = ref.VGG(ref.VGG11_CFG, batch_norm=True, num_classes=10)
    assert list(models.vgg11_bn(num_classes=10).state_dict()) == list(torch_model.state_dict())


def test_missing_weights_file_says_no_download():
    with pytest.raises(RuntimeError, match=r"resnet18: weights='IMAGENET1K_V1' is not a local file.*cannot download"):
        models.resnet18(weights="IMAGENET1K_V1")


def test_deprecated_pretrained_keyword_warns_as_torchvision():
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = models.resnet18(pretrained=False, num_classes=3)
    assert model.fc.out_features == 3
    assert [str(w.message) for w in caught] == [
        "The parameter 'pretrained' is deprecated since 0.13 and may be "
        "removed in the future, please use 'weights' instead."
    ]
    with pytest.warns(UserWarning, match=r"equivalent to passing `weights=ResNet18_Weights.IMAGENET1K_V1`"):
        with pytest.raises(RuntimeError, match="ember cannot download pretrained weights"):
            models.resnet18(pretrained=True)
