"""torch.utils.tensorboard: event files for TensorBoard, written with the standard library."""

from .writer import FileWriter, SummaryWriter

__all__ = ["FileWriter", "SummaryWriter"]
