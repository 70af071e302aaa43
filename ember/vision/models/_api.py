"""torchvision's weights enums (ResNet18_Weights.IMAGENET1K_V1, .DEFAULT, .transforms(), .url, .get_state_dict) and
get_model/get_weight/list_models. ember downloads nothing: the weights load from torch's hub cache
(torch.hub.get_dir()/checkpoints/<file>), where torchvision keeps them too, so a machine that has them (or a
file copied there) loads them; otherwise the error names the file to put there."""

import enum
import functools

from ..transforms._presets import ImageClassification


class _Meta(dict):
    def __missing__(self, key):
        raise NotImplementedError(
            f"weights.meta[{key!r}]: ember does not bundle torchvision's metadata of pretrained "
            "weights (category names, metrics); it has the url and the transforms"
        )


class Weights:
    def __init__(self, url, transforms):
        self.url, self.transforms, self.meta = url, transforms, _Meta()


class WeightsEnum(enum.Enum):
    """The pretrained weights of one architecture; DEFAULT names the best of them, as torchvision's."""

    @classmethod
    def verify(cls, obj):
        if obj is None or isinstance(obj, cls):
            return obj
        if isinstance(obj, str):
            name = obj.replace(cls.__name__ + ".", "")
            if name not in cls.__members__:
                raise ValueError(f"Failed to find Weights {name} in {cls.__name__}.")
            return cls[name]
        raise TypeError(f"Invalid Weight class provided; expected {cls.__name__} but received {type(obj).__name__}.")

    @property
    def url(self):
        return self.value.url

    @property
    def transforms(self):
        return self.value.transforms

    @property
    def meta(self):
        return self.value.meta

    def get_state_dict(self, progress=True, check_hash=False):
        from ...hub import load_state_dict_from_url

        return load_state_dict_from_url(self.url, progress=progress, check_hash=check_hash)

    def __repr__(self):
        return f"{type(self).__name__}.{self.name}"


def _enum(name, urls):
    """A weights enum: {member: url}, the last member the DEFAULT (224-pixel ImageNet preprocessing)."""
    members = {m: Weights(url, functools.partial(ImageClassification, crop_size=224)) for m, url in urls.items()}
    members["DEFAULT"] = members[list(urls)[-1]]  # an alias of the newest, as torchvision's
    return WeightsEnum(name, members, module=__name__)


_MODELS = "https://download.pytorch.org/models/"
AlexNet_Weights = _enum("AlexNet_Weights", {"IMAGENET1K_V1": _MODELS + "alexnet-owt-7be5be79.pth"})
ResNet18_Weights = _enum("ResNet18_Weights", {"IMAGENET1K_V1": _MODELS + "resnet18-f37072fd.pth"})
ResNet34_Weights = _enum("ResNet34_Weights", {"IMAGENET1K_V1": _MODELS + "resnet34-b627a593.pth"})
ResNet50_Weights = _enum(
    "ResNet50_Weights",
    {"IMAGENET1K_V1": _MODELS + "resnet50-0676ba61.pth", "IMAGENET1K_V2": _MODELS + "resnet50-11ad3fa6.pth"},
)
VGG11_Weights = _enum("VGG11_Weights", {"IMAGENET1K_V1": _MODELS + "vgg11-8a719046.pth"})
VGG11_BN_Weights = _enum("VGG11_BN_Weights", {"IMAGENET1K_V1": _MODELS + "vgg11_bn-6002323d.pth"})
VGG13_Weights = _enum("VGG13_Weights", {"IMAGENET1K_V1": _MODELS + "vgg13-19584684.pth"})
VGG13_BN_Weights = _enum("VGG13_BN_Weights", {"IMAGENET1K_V1": _MODELS + "vgg13_bn-abd245e5.pth"})
VGG16_Weights = _enum("VGG16_Weights", {"IMAGENET1K_V1": _MODELS + "vgg16-397923af.pth"})
VGG16_BN_Weights = _enum("VGG16_BN_Weights", {"IMAGENET1K_V1": _MODELS + "vgg16_bn-6c64b313.pth"})
VGG19_Weights = _enum("VGG19_Weights", {"IMAGENET1K_V1": _MODELS + "vgg19-dcbb9e9d.pth"})
VGG19_BN_Weights = _enum("VGG19_BN_Weights", {"IMAGENET1K_V1": _MODELS + "vgg19_bn-c79401a0.pth"})

WEIGHTS = {
    cls.__name__: cls
    for cls in (
        AlexNet_Weights,
        ResNet18_Weights,
        ResNet34_Weights,
        ResNet50_Weights,
        VGG11_Weights,
        VGG11_BN_Weights,
        VGG13_Weights,
        VGG13_BN_Weights,
        VGG16_Weights,
        VGG16_BN_Weights,
        VGG19_Weights,
        VGG19_BN_Weights,
    )
}
# builder name -> its weights enum
BUILDER_WEIGHTS = {
    "alexnet": AlexNet_Weights,
    "resnet18": ResNet18_Weights,
    "resnet34": ResNet34_Weights,
    "resnet50": ResNet50_Weights,
    "vgg11": VGG11_Weights,
    "vgg11_bn": VGG11_BN_Weights,
    "vgg13": VGG13_Weights,
    "vgg13_bn": VGG13_BN_Weights,
    "vgg16": VGG16_Weights,
    "vgg16_bn": VGG16_BN_Weights,
    "vgg19": VGG19_Weights,
    "vgg19_bn": VGG19_BN_Weights,
}


def get_weight(name):
    """get_weight('ResNet18_Weights.IMAGENET1K_V1')."""
    enum_name, _, member = name.partition(".")
    if enum_name not in WEIGHTS:
        raise ValueError(f"The weight enum '{enum_name}' for the specific method couldn't be retrieved.")
    return WEIGHTS[enum_name][member]


def get_model_weights(name):
    builder = name if isinstance(name, str) else name.__name__
    if builder not in BUILDER_WEIGHTS:
        raise ValueError(f"Unknown model {builder}")
    return BUILDER_WEIGHTS[builder]


def list_models(module=None, include=None, exclude=None):
    import fnmatch
    from . import __all__ as names
    from .. import models

    found = sorted(n for n in names if n[0].islower() and callable(getattr(models, n)))
    if include:
        found = [
            n for n in found if any(fnmatch.fnmatch(n, p) for p in ([include] if isinstance(include, str) else include))
        ]
    if exclude:
        found = [
            n
            for n in found
            if not any(fnmatch.fnmatch(n, p) for p in ([exclude] if isinstance(exclude, str) else exclude))
        ]
    return found


def get_model(name, **config):
    from .. import models

    if name not in list_models():
        raise ValueError(f"Unknown model {name}")
    return getattr(models, name)(**config)
