"""VGG with torchvision's architecture, initialisation and module names (features / avgpool / classifier)."""

from ... import nn
from ._utils import legacy_pretrained, load_weights

cfgs = {
    "A": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "B": [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "D": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"],
    "E": [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512, 512, 512, "M"],
}


class VGG(nn.Module):
    def __init__(self, features, num_classes=1000, init_weights=True, dropout=0.5):
        super().__init__()
        self.features = features
        self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
        self.classifier = nn.Sequential(
            nn.Linear(512 * 7 * 7, 4096),
            nn.ReLU(True),
            nn.Dropout(p=dropout),
            nn.Linear(4096, 4096),
            nn.ReLU(True),
            nn.Dropout(p=dropout),
            nn.Linear(4096, num_classes),
        )
        if init_weights:
            for m in self.modules():
                if isinstance(m, nn.Conv2d):
                    nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                    if m.bias is not None:
                        nn.init.constant_(m.bias, 0)
                elif isinstance(m, nn.BatchNorm2d):
                    nn.init.constant_(m.weight, 1)
                    nn.init.constant_(m.bias, 0)
                elif isinstance(m, nn.Linear):
                    nn.init.normal_(m.weight, 0, 0.01)
                    nn.init.constant_(m.bias, 0)

    def forward(self, x):
        x = self.features(x)
        x = self.avgpool(x)
        x = x.flatten(1)
        return self.classifier(x)


def make_layers(cfg, batch_norm=False):
    layers = []
    in_channels = 3
    for v in cfg:
        if v == "M":
            layers += [nn.MaxPool2d(kernel_size=2, stride=2)]
        else:
            conv2d = nn.Conv2d(in_channels, v, kernel_size=3, padding=1)
            layers += [conv2d, nn.BatchNorm2d(v)] if batch_norm else [conv2d]
            layers += [nn.ReLU(inplace=True)]
            in_channels = v
    return nn.Sequential(*layers)


def _vgg(cfg, batch_norm, weights, builder, **kwargs):
    if weights is not None:
        kwargs["init_weights"] = False
    return load_weights(VGG(make_layers(cfgs[cfg], batch_norm=batch_norm), **kwargs), weights, builder)


@legacy_pretrained("VGG11_Weights")
def vgg11(*, weights=None, progress=True, **kwargs):
    return _vgg("A", False, weights, "vgg11", **kwargs)


@legacy_pretrained("VGG11_BN_Weights")
def vgg11_bn(*, weights=None, progress=True, **kwargs):
    return _vgg("A", True, weights, "vgg11_bn", **kwargs)


@legacy_pretrained("VGG13_Weights")
def vgg13(*, weights=None, progress=True, **kwargs):
    return _vgg("B", False, weights, "vgg13", **kwargs)


@legacy_pretrained("VGG13_BN_Weights")
def vgg13_bn(*, weights=None, progress=True, **kwargs):
    return _vgg("B", True, weights, "vgg13_bn", **kwargs)


@legacy_pretrained("VGG16_Weights")
def vgg16(*, weights=None, progress=True, **kwargs):
    return _vgg("D", False, weights, "vgg16", **kwargs)


@legacy_pretrained("VGG16_BN_Weights")
def vgg16_bn(*, weights=None, progress=True, **kwargs):
    return _vgg("D", True, weights, "vgg16_bn", **kwargs)


@legacy_pretrained("VGG19_Weights")
def vgg19(*, weights=None, progress=True, **kwargs):
    return _vgg("E", False, weights, "vgg19", **kwargs)


@legacy_pretrained("VGG19_BN_Weights")
def vgg19_bn(*, weights=None, progress=True, **kwargs):
    return _vgg("E", True, weights, "vgg19_bn", **kwargs)
