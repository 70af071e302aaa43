"""torch.nn."""
from .parameter import Parameter, Buffer  # noqa: F401
