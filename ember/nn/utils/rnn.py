"""Variable-length sequences for RNNs (torch/nn/utils/rnn.py): PackedSequence, pack/pad helpers.

Packing and padding are single row gathers (index_select) over the flattened time/batch rows, so
gradients flow back to the padded or packed input through ember's own ops.
"""

from collections import namedtuple
from collections.abc import Iterable

import numpy as np

from ..._backend import array_module, to_host
from ..._tensor import Tensor
from ... import _dtype

__all__ = [
    "PackedSequence",
    "invert_permutation",
    "pack_padded_sequence",
    "pad_packed_sequence",
    "pad_sequence",
    "unpad_sequence",
    "pack_sequence",
    "unpack_sequence",
]


def _long(values):
    return Tensor._make(np.asarray(values, dtype=np.int64))


def _rows(xp, indices):
    return Tensor._make(xp.asarray(np.asarray(indices, dtype=np.int64)))


class PackedSequence(namedtuple("PackedSequence_", ["data", "batch_sizes", "sorted_indices", "unsorted_indices"])):
    """data: the packed rows (sum(lengths), *); batch_sizes: int64 CPU tensor, sequences alive per step."""

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is None:
            if not (isinstance(data, (list, tuple)) and len(data) == 2):
                raise AssertionError("Expected data to be a list or tuple of length 2")
            data, batch_sizes = data
        elif batch_sizes.device.type != "cpu":
            raise ValueError(
                "batch_sizes should always be on CPU. Instances of PackedSequence should never be "
                "created manually. They should be instantiated by functions like pack_sequence and "
                "pack_padded_sequences in nn.utils.rnn. "
                "https://pytorch.org/docs/stable/nn.html#torch.nn.utils.rnn.pack_sequence"
            )
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def to(self, *args, **kwargs):
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self

        def move(t):
            return None if t is None else t.to(data.device)

        return type(self)(data, self.batch_sizes, move(self.sorted_indices), move(self.unsorted_indices))

    def cuda(self, *args, **kwargs):
        return self.to("cuda" if not args else args[0], **kwargs)

    def cpu(self):
        return self.to("cpu")

    def double(self):
        return self.to(dtype=_dtype.float64)

    def float(self):
        return self.to(dtype=_dtype.float32)

    def half(self):
        return self.to(dtype=_dtype.float16)

    def long(self):
        return self.to(dtype=_dtype.int64)

    def int(self):
        return self.to(dtype=_dtype.int32)

    def short(self):
        return self.to(dtype=_dtype.int16)

    def char(self):
        return self.to(dtype=_dtype.int8)

    def byte(self):
        return self.to(dtype=_dtype.uint8)

    @property
    def is_cuda(self):
        return self.data.is_cuda

    def is_pinned(self):
        return False


def invert_permutation(permutation):
    if permutation is None:
        return None
    perm = to_host(permutation._data)
    out = np.empty_like(perm)
    out[perm] = np.arange(perm.size, dtype=perm.dtype)
    return Tensor._make(array_module(permutation._data).asarray(out))


def _lengths_array(lengths):
    if isinstance(lengths, Tensor):
        return to_host(lengths._data).astype(np.int64).reshape(-1)  # lengths live on the CPU, as torch's
    return np.asarray(lengths, dtype=np.int64).reshape(-1)


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):
    """Pack a padded batch (T, B, *) (or (B, T, *) with batch_first) of sequences of `lengths`."""
    lengths = _lengths_array(lengths)
    sorted_indices = None
    if not enforce_sorted:
        from ...ops.index import sort

        lengths_t, sorted_indices = sort(_long(lengths), descending=True)
        lengths = to_host(lengths_t._data)
        sorted_indices = sorted_indices.to(input.device)
        input = input.index_select(0 if batch_first else 1, sorted_indices)
    if batch_first:
        input = input.transpose(0, 1)
    steps, batch = input.shape[0], input.shape[1]
    if lengths.size != batch:
        raise ValueError(
            f"Expected `len(lengths)` to be equal to batch_size, but got {lengths.size} (batch_size={batch})"
        )
    if lengths.size and lengths[-1] <= 0:
        raise RuntimeError(
            "Length of all samples has to be greater than 0, but found an element in 'lengths' that is <= 0"
        )
    if enforce_sorted and np.any(lengths[1:] > lengths[:-1]):
        raise RuntimeError(
            "`lengths` array must be sorted in decreasing order when `enforce_sorted` is True. You "
            "can pass `enforce_sorted=False` to pack_padded_sequence and/or pack_sequence to "
            "sidestep this requirement if you do not need ONNX exportability."
        )
    if lengths.size and lengths[0] > steps:
        raise RuntimeError(
            f"Expected sequence length to be larger than or equal to the max length in lengths, "
            f"but got sequence length {steps} and max length {int(lengths[0])}"
        )
    max_len = int(lengths[0]) if lengths.size else 0
    batch_sizes = (lengths[None, :] > np.arange(max_len)[:, None]).sum(1).astype(np.int64)
    rows = np.concatenate([t * batch + np.arange(n) for t, n in enumerate(batch_sizes)]) if max_len else []
    flat = input.reshape(steps * batch, *input.shape[2:])
    data = flat.index_select(0, _rows(array_module(input._data), rows))
    return PackedSequence(data, _long(batch_sizes), sorted_indices, None)


def _scatter_rows(data, positions, total_rows, padding_value):
    """A (total_rows, *) tensor whose row positions[i] is data[i]; the others are padding_value.
    Gathers from [data; padding row] so the gradient reaches `data`."""
    from ...ops.shape import cat
    from ...ops.creation import full

    xp = array_module(data._data)
    pad_row = full((1, *data.shape[1:]), padding_value, dtype=data.dtype, device=data.device)
    source = cat([data, pad_row])
    index = np.full(total_rows, data.shape[0], dtype=np.int64)
    index[np.asarray(positions, dtype=np.int64)] = np.arange(len(positions))
    return source.index_select(0, _rows(xp, index))


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    """Inverse of pack_padded_sequence: returns (padded, lengths) with lengths an int64 tensor."""
    batch_sizes = to_host(sequence.batch_sizes._data).astype(np.int64)
    max_seq_length = batch_sizes.size
    if total_length is not None:
        if total_length < max_seq_length:
            raise ValueError(
                "Expected total_length to be at least the length of the longest sequence in input, "
                f"but got total_length={total_length} and max sequence length being {max_seq_length}"
            )
        max_seq_length = total_length
    batch = int(batch_sizes[0]) if batch_sizes.size else 0
    positions = (
        np.concatenate([t * batch + np.arange(n) for t, n in enumerate(batch_sizes)])
        if batch_sizes.size
        else np.zeros(0, np.int64)
    )
    data = sequence.data
    padded = _scatter_rows(data, positions, max_seq_length * batch, padding_value)
    padded = padded.reshape(max_seq_length, batch, *data.shape[1:])
    lengths = (batch_sizes[None, :] > np.arange(batch)[:, None]).sum(1).astype(np.int64)
    if batch_first:
        padded = padded.transpose(0, 1)
    if sequence.unsorted_indices is not None:
        unsorted = sequence.unsorted_indices
        padded = padded.index_select(0 if batch_first else 1, unsorted)
        lengths = lengths[to_host(unsorted._data)]
    return padded, _long(lengths)


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    """Stack variable-length tensors (L_i, *) into (L_max, B, *) (or (B, L_max, *)), padding each one."""
    if isinstance(sequences, Tensor):
        sequences = list(sequences.unbind(0))
    elif not isinstance(sequences, Iterable):
        raise RuntimeError(
            f"pad_sequence: Expected iterable for input sequences, but got arg of type: {type(sequences)}"
        )
    sequences = list(sequences)
    if padding_side not in ("left", "right"):
        raise ValueError(f"Expected padding_side to be one of left or right, but got {padding_side}.")
    if len(sequences) == 0:
        raise RuntimeError("received an empty list of sequences")
    from ...ops.shape import cat

    trailing = sequences[0].shape[1:]
    for s in sequences:
        if s.shape[1:] != trailing:
            raise RuntimeError(
                f"pad_sequence: all sequences must have the same trailing shape {tuple(trailing)}, got {tuple(s.shape)}"
            )
    lengths = [s.shape[0] for s in sequences]
    max_len, batch = max(lengths), len(sequences)
    positions = []
    for b, n in enumerate(lengths):
        steps = np.arange(n) + (max_len - n if padding_side == "left" else 0)
        positions.append(b * max_len + steps)
    padded = _scatter_rows(cat(sequences), np.concatenate(positions), batch * max_len, padding_value)
    padded = padded.reshape(batch, max_len, *trailing)
    return padded if batch_first else padded.transpose(0, 1)


def unpad_sequence(padded_sequences, lengths, batch_first=False):
    """Split a padded batch back into the list of its unpadded sequences."""
    if not batch_first:
        padded_sequences = padded_sequences.transpose(0, 1)
    return [seq[: int(length)] for seq, length in zip(padded_sequences, _lengths_array(lengths))]


def pack_sequence(sequences, enforce_sorted=True):
    lengths = _long([v.size(0) for v in sequences])
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences):
    padded_sequences, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded_sequences, lengths, batch_first=True)
