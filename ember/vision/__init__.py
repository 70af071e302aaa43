"""ember.vision: torchvision's datasets, transforms, models, utils (make_grid, save_image) and io on ember.

Pillow is imported only when an image is read, converted or saved.
"""

from . import datasets, io, models, transforms, utils  # noqa: F401
