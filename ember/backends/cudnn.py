"""torch.backends.cudnn: ember uses no cuDNN; the flags are kept as set."""

enabled = True
benchmark = False
benchmark_limit = 10
deterministic = False
allow_tf32 = True


def is_available():
    return False


def version():
    return None
