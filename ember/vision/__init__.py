"""ember.vision: torchvision's datasets, transforms, models and utils (make_grid, save_image) on ember.

Pillow is imported only when an image is read, converted or saved.
"""
from . import datasets, models, transforms, utils  # noqa: F401
