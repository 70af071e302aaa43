"""torch.backends.mkl: not used by ember (NumPy brings its own BLAS and threads)."""


def is_available():
    return False
