"""torch.backends.cpu."""


def get_cpu_capability():
    """ember computes with NumPy, whose SIMD level is not a torch capability name: 'DEFAULT'."""
    return "DEFAULT"
