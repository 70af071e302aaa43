"""ember.vision.transforms: torchvision.transforms (v1) for PIL images, NumPy arrays (ToTensor) and tensors."""
from . import functional  # noqa: F401
from .functional import InterpolationMode
from .transforms import (CenterCrop, ColorJitter, Compose, ConvertImageDtype, Grayscale, Lambda, Normalize, Pad,
                         PILToTensor, RandomApply, RandomChoice, RandomCrop, RandomGrayscale, RandomHorizontalFlip,
                         RandomOrder, RandomResizedCrop, RandomRotation, RandomVerticalFlip, Resize, ToPILImage,
                         ToTensor)

__all__ = ["CenterCrop", "ColorJitter", "Compose", "ConvertImageDtype", "Grayscale", "InterpolationMode", "Lambda",
           "Normalize", "Pad", "PILToTensor", "RandomApply", "RandomChoice", "RandomCrop", "RandomGrayscale",
           "RandomHorizontalFlip", "RandomOrder", "RandomResizedCrop", "RandomRotation", "RandomVerticalFlip",
           "Resize", "ToPILImage", "ToTensor"]
