"""torch.backends.opt_einsum: ember's einsum does not use the opt_einsum package; the flags are kept as set."""

enabled = True
strategy = None


def is_available():
    return False
