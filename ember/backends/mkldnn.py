"""torch.backends.mkldnn: not used by ember (NumPy brings its own BLAS and threads)."""


def is_available():
    return False


enabled = False
