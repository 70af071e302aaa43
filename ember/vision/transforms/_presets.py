"""torchvision.transforms._presets.ImageClassification: the preprocessing a model's pretrained weights expect
(resize, center crop, float image, normalize), as a weights enum's .transforms() gives it."""

from ... import nn
from . import functional as F
from .functional import InterpolationMode


class ImageClassification(nn.Module):
    def __init__(
        self,
        *,
        crop_size,
        resize_size=256,
        mean=(0.485, 0.456, 0.406),
        std=(0.229, 0.224, 0.225),
        interpolation=InterpolationMode.BILINEAR,
        antialias=True,
    ):
        super().__init__()
        self.crop_size, self.resize_size = [crop_size], [resize_size]
        self.mean, self.std = list(mean), list(std)
        self.interpolation, self.antialias = interpolation, antialias

    def forward(self, img):
        img = F.resize(img, self.resize_size, interpolation=self.interpolation, antialias=self.antialias)
        img = F.center_crop(img, self.crop_size)
        if F._is_pil_image(img):
            img = F.pil_to_tensor(img)
        from ... import float32

        img = F.convert_image_dtype(img, float32)
        return F.normalize(img, mean=self.mean, std=self.std)

    def __repr__(self):
        lines = [
            f"crop_size={self.crop_size}",
            f"resize_size={self.resize_size}",
            f"mean={self.mean}",
            f"std={self.std}",
            f"interpolation={self.interpolation}",
        ]
        return f"{type(self).__name__}(\n" + "".join(f"    {line}\n" for line in lines) + ")"

    def describe(self):
        return (
            "Accepts ``PIL.Image``, batched ``(B, C, H, W)`` and single ``(C, H, W)`` image ``torch.Tensor`` "
            f"objects. The images are resized to ``resize_size={self.resize_size}`` using "
            f"``interpolation={self.interpolation}``, followed by a central crop of ``crop_size={self.crop_size}"
            f"``. Finally the values are first rescaled to ``[0.0, 1.0]`` and then normalized using "
            f"``mean={self.mean}`` and ``std={self.std}``."
        )
