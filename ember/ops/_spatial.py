"""Argument helpers shared by the sliding-window families (conv, pool, padding, upsampling).

torch words the same check differently in each family, so each helper takes its family's message.
"""

import numbers


def shape_str(shape):
    return "[" + ", ".join(str(s) for s in shape) + "]"


def int_tuple(value, n, name, op, message):
    """`value` (an int, or a sequence of 1 or n ints) as n ints; for another length, torch's `message`
    formatted with op, name, n, value (the tuple) and values (the list)."""
    if isinstance(value, numbers.Integral):
        return (int(value),) * n
    value = tuple(int(v) for v in value)
    if len(value) == 1:
        return value * n
    if len(value) != n:
        raise RuntimeError(message.format(op=op, name=name, n=n, value=value, values=list(value)))
    return value


def batched(input, nd, expected):
    """(input with a batch dimension, whether one was added): unbatched input (C, *S) runs as a batch of one,
    as torch does. For another rank, `expected` starts torch's error."""
    if input.ndim == nd + 2:
        return input, False
    if input.ndim == nd + 1:
        return input.unsqueeze(0), True
    raise RuntimeError(f"{expected}, but got input of size: {shape_str(input.shape)}")
