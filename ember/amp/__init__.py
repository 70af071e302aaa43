"""torch.amp: autocast and GradScaler."""

from .autocast_mode import autocast, is_autocast_enabled, get_autocast_dtype, custom_fwd, custom_bwd  # noqa: F401
from .grad_scaler import GradScaler  # noqa: F401
