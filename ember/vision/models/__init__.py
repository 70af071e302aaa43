"""ember.vision.models: torchvision's classification models (same module names, so their state_dicts load)."""

from .alexnet import AlexNet, AlexNetSmall, alexnet, alexnet_small
from .lenet import LeNet, LeNetCIFAR, lenet, lenet_cifar
from .resnet import BasicBlock, Bottleneck, ResNet, resnet18, resnet34, resnet50
from .vgg import VGG, vgg11, vgg11_bn, vgg13, vgg13_bn, vgg16, vgg16_bn, vgg19, vgg19_bn
from ._api import (
    AlexNet_Weights,
    ResNet18_Weights,
    ResNet34_Weights,
    ResNet50_Weights,
    VGG11_Weights,  # noqa: F401
    VGG11_BN_Weights,
    VGG13_Weights,
    VGG13_BN_Weights,
    VGG16_Weights,
    VGG16_BN_Weights,
    VGG19_Weights,
    VGG19_BN_Weights,
    Weights,
    WeightsEnum,
    get_model,
    get_model_weights,
    get_weight,
    list_models,
)

__all__ = [
    "AlexNet",
    "AlexNetSmall",
    "BasicBlock",
    "Bottleneck",
    "LeNet",
    "LeNetCIFAR",
    "ResNet",
    "VGG",
    "alexnet",
    "alexnet_small",
    "lenet",
    "lenet_cifar",
    "resnet18",
    "resnet34",
    "resnet50",
    "vgg11",
    "vgg11_bn",
    "vgg13",
    "vgg13_bn",
    "vgg16",
    "vgg16_bn",
    "vgg19",
    "vgg19_bn",
]
