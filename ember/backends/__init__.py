"""torch.backends: the flags programs set for cuDNN, CUDA matmuls, MPS, opt_einsum ...

ember runs on NumPy (and CuPy on a GPU) and uses none of these libraries, so each `is_available()` says
False, and each settable flag keeps its value (programs read back what they set) without changing results:
ember's kernels are deterministic and never use TF32 unless CuPy is told so by its own CUPY_TF32 setting.
"""

from . import cpu, cuda, cudnn, mkl, mkldnn, mps, openmp, opt_einsum  # noqa: F401
