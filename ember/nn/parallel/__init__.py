"""torch.nn.parallel."""

from .distributed import DistributedDataParallel, DataParallel  # noqa: F401
