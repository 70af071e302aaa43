"""torchvision's weights enums in ember.vision.models: the names, urls and preprocessing of torchvision's, loaded
from torch's hub cache (ember downloads nothing) with a clear error naming the file when it is not there."""

import pytest

import ember
from ember.vision import models


def test_weights_enums_name_torchvisions_checkpoints():
    assert models.ResNet18_Weights.DEFAULT is models.ResNet18_Weights.IMAGENET1K_V1
    assert models.ResNet50_Weights.DEFAULT is models.ResNet50_Weights.IMAGENET1K_V2
    assert models.ResNet18_Weights["DEFAULT"] is models.ResNet18_Weights.IMAGENET1K_V1
    assert repr(models.VGG16_Weights.DEFAULT) == "VGG16_Weights.IMAGENET1K_V1"
    assert models.AlexNet_Weights.DEFAULT.url == "https://download.pytorch.org/models/alexnet-owt-7be5be79.pth"
    assert models.get_weight("ResNet34_Weights.IMAGENET1K_V1").url.endswith("/resnet34-b627a593.pth")
    assert models.get_model_weights("vgg11_bn") is models.VGG11_BN_Weights
    assert "resnet18" in models.list_models() and models.list_models(include="vgg1?_bn") == [
        "vgg11_bn",
        "vgg13_bn",
        "vgg16_bn",
        "vgg19_bn",
    ]
    assert isinstance(models.get_model("lenet"), models.LeNet)
    with pytest.raises(ValueError, match="Failed to find Weights NOPE in ResNet18_Weights"):
        models.ResNet18_Weights.verify("NOPE")


def test_transforms_are_torchvisions_image_classification_preset():
    preset = models.ResNet18_Weights.DEFAULT.transforms()
    assert repr(preset) == (
        "ImageClassification(\n    crop_size=[224]\n    resize_size=[256]\n"
        "    mean=[0.485, 0.456, 0.406]\n    std=[0.229, 0.224, 0.225]\n"
        "    interpolation=InterpolationMode.BILINEAR\n)"
    )
    image = (ember.rand(3, 300, 260) * 255).to(ember.uint8)
    out = preset(image)
    assert out.shape == (3, 224, 224) and out.dtype is ember.float32
    scaled = (
        ember.vision.transforms.functional.center_crop(
            ember.vision.transforms.functional.resize(image, [256]), [224]
        ).float()
        / 255
    )
    expected = (scaled - ember.tensor([0.485, 0.456, 0.406]).view(3, 1, 1)) / ember.tensor([0.229, 0.224, 0.225]).view(
        3, 1, 1
    )
    assert ember.allclose(out, expected, atol=1e-5)
    with pytest.raises(NotImplementedError, match="category names"):
        models.ResNet18_Weights.DEFAULT.meta["categories"]


def test_weights_load_from_the_hub_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    with pytest.raises(RuntimeError, match="ember cannot download pretrained weights.*resnet18-f37072fd.pth"):
        models.resnet18(weights=models.ResNet18_Weights.DEFAULT)
    trained = models.resnet18(num_classes=1000)
    (tmp_path / "hub" / "checkpoints").mkdir(parents=True)
    ember.save(trained.state_dict(), str(tmp_path / "hub" / "checkpoints" / "resnet18-f37072fd.pth"))
    for weights in (models.ResNet18_Weights.IMAGENET1K_V1, "DEFAULT", "ResNet18_Weights.IMAGENET1K_V1"):
        loaded = models.resnet18(weights=weights)
        assert all(bool((a == b).all()) for a, b in zip(loaded.state_dict().values(), trained.state_dict().values()))
    assert set(models.ResNet18_Weights.DEFAULT.get_state_dict()) == set(trained.state_dict())
