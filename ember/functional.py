"""torch.functional: the functions torch defines in Python on top of its ops (the same objects as ember.*)."""
from .ops import FUNCTIONS as _FUNCTIONS

__all__ = ["atleast_1d", "atleast_2d", "atleast_3d", "block_diag", "broadcast_shapes", "broadcast_tensors",
           "cartesian_prod", "cdist", "chain_matmul", "einsum", "lu", "meshgrid", "norm", "pca_lowrank", "split",
           "stft", "istft", "svd_lowrank", "tensordot", "unique", "unique_consecutive", "unravel_index"]
globals().update({name: _FUNCTIONS[name] for name in __all__ if name in _FUNCTIONS})
__all__ = [name for name in __all__ if name in globals()]
