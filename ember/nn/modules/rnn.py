"""nn modules: RNN, LSTM, GRU (multi-layer, bidirectional) and RNNCell, LSTMCell, GRUCell, as torch.

Each layer and direction is one input-projection GEMM over all time steps plus one `Recurrence` node
(ember/ops/rnn.py); an LSTM with proj_size composes its steps from ember ops (the fused node has no projection).
A PackedSequence input runs each group of equally long sequences over its own length (so final states are
exact), and the output is packed back in the input's layout. A cell's step is composed as torch's CPU cells are,
so its graph is torch's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
import math
import numbers
import warnings

import numpy as np

from ..._tensor import Tensor
from ...autograd.grad_mode import no_grad
from ...ops.creation import empty, zeros
from ...ops.linear import linear
from ...ops.rnn import Recurrence
from ...ops.shape import cat, stack
from .. import functional as F
from ..parameter import Parameter
from ..utils.rnn import PackedSequence, pad_packed_sequence
from .module import Module

if TYPE_CHECKING:
    from ..._typing import DeviceLike, DType

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]

_GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}


def _recurrence(mode, x, w_ih, h0, c0, w_hh, b_ih, b_hh, reverse):
    """One layer, one direction over x (T, B, I), or one cell step over x (B, I). Returns (out, c_last or None).

    The input projection for every step is one linear (bias added inside its GEMM node): GRU keeps b_hh
    inside r * (W_hn h + b_hn), the others add both biases up front."""
    bias = None if b_ih is None else (b_ih if mode == "GRU" else b_ih + b_hh)
    pre = linear(x, w_ih, bias)
    if pre.dim() == 2:
        pre = pre.unsqueeze(0)
    result = Recurrence.apply(pre, h0, c0, w_hh, b_hh if mode == "GRU" else None, mode, reverse)
    return result if mode == "LSTM" else (result, None)


def _cell(mode, x, states, w_ih, w_hh, b_ih, b_hh):
    """One step composed as ATen's CPU cells (SimpleCell, LSTMCell, GRUCell), so that the graph holds torch's
    nodes: the gates of the hidden state first, then those of the input. Returns (h, c or None)."""
    hx = states[0]
    if mode == "GRU":
        i_r, i_z, i_n = linear(x, w_ih, b_ih).unsafe_chunk(3, 1)
        h_r, h_z, h_n = linear(hx, w_hh, b_hh).unsafe_chunk(3, 1)
        reset, update = (h_r + i_r).sigmoid(), (h_z + i_z).sigmoid()
        new = (i_n + h_n * reset).tanh()
        return (hx - new) * update + new, None
    gates = linear(hx, w_hh, b_hh) + linear(x, w_ih, b_ih)
    if mode == "LSTM":
        i, f, g, o = gates.unsafe_chunk(4, 1)
        c = f.sigmoid() * states[1] + i.sigmoid() * g.tanh()
        return o.sigmoid() * c.tanh(), c
    return (gates.tanh() if mode == "RNN_TANH" else gates.relu()), None


def _init_uniform(module):
    stdv = 1.0 / math.sqrt(module.hidden_size) if module.hidden_size > 0 else 0
    with no_grad():
        for weight in module.parameters():
            weight.uniform_(-stdv, stdv)


class RNNBase(Module):
    def __init__(
        self,
        mode: str,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        proj_size: int = 0,
        device: DeviceLike = None,
        dtype: DType | None = None,
    ) -> None:
        super().__init__()
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        num_directions = 2 if bidirectional else 1
        if not isinstance(dropout, numbers.Number) or not 0 <= dropout <= 1 or isinstance(dropout, bool):
            raise ValueError(
                "dropout should be a number in range [0, 1] representing the probability of an element being zeroed"
            )
        if dropout > 0 and num_layers == 1:
            warnings.warn(
                "dropout option adds dropout after all but last recurrent layer, so non-zero dropout "
                f"expects num_layers greater than 1, but got dropout={dropout} and "
                f"num_layers={num_layers}",
                stacklevel=2,
            )
        if not isinstance(bias, bool):
            raise TypeError(f"bias should be of type bool, got: {type(bias).__name__}")
        if not isinstance(batch_first, bool):
            raise TypeError(f"batch_first should be of type bool, got: {type(batch_first).__name__}")
        if not isinstance(input_size, int):
            raise TypeError(f"input_size should be of type int, got: {type(input_size).__name__}")
        if input_size <= 0:
            raise ValueError("input_size must be greater than zero")
        if not isinstance(hidden_size, int):
            raise TypeError(f"hidden_size should be of type int, got: {type(hidden_size).__name__}")
        if hidden_size <= 0:
            raise ValueError("hidden_size must be greater than zero")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable projections")
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        if mode not in _GATES:
            raise ValueError("Unrecognized RNN mode: " + mode)
        gate_size = _GATES[mode] * hidden_size
        factory: dict[str, Any] = dict(device=device, dtype=dtype)
        self._flat_weights_names = []
        self._all_weights = []
        for layer in range(num_layers):
            for direction in range(num_directions):
                real_hidden = proj_size if proj_size > 0 else hidden_size
                layer_input_size = input_size if layer == 0 else real_hidden * num_directions
                suffix = "_reverse" if direction == 1 else ""
                shapes = [
                    ("weight_ih_l{}{}", (gate_size, layer_input_size)),
                    ("weight_hh_l{}{}", (gate_size, real_hidden)),
                ]
                if bias:
                    shapes += [("bias_ih_l{}{}", (gate_size,)), ("bias_hh_l{}{}", (gate_size,))]  # type: ignore[list-item]
                if proj_size > 0:
                    shapes += [("weight_hr_l{}{}", (proj_size, hidden_size))]
                names = []
                for pattern, shape in shapes:
                    name = pattern.format(layer, suffix)
                    setattr(self, name, Parameter(empty(shape, **factory)))
                    names.append(name)
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    @property
    def _flat_weights(self):
        return [getattr(self, name) for name in self._flat_weights_names]

    @property
    def all_weights(self):
        return [[getattr(self, name) for name in names] for names in self._all_weights]

    def flatten_parameters(self):
        """A no-op, as torch's on the CPU (it compacts weights for cuDNN)."""

    def reset_parameters(self) -> None:
        _init_uniform(self)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s

    # --- argument checks (torch's messages, prefixed with the layer) ------------------------------
    def _name(self):
        return type(self).__name__

    def check_input(self, input, batch_sizes=None):
        weight_dtype = self.weight_ih_l0.dtype
        if input.dtype != weight_dtype:
            raise ValueError(
                f"RNN input dtype ({input.dtype}) does not match weight dtype ({weight_dtype}). "
                f"Convert input: input.to({weight_dtype}), or convert model: model.to({input.dtype})"
            )
        if input.dim() != 3:
            raise RuntimeError(f"{self._name()}: input must have 3 dimensions, got {input.dim()}")
        if self.input_size != input.size(-1):
            raise RuntimeError(
                f"{self._name()}: input.size(-1) must be equal to input_size. Expected "
                f"{self.input_size}, got {input.size(-1)} (input of shape {list(input.shape)})"
            )

    def get_expected_hidden_size(self, input, batch_sizes=None):
        mini_batch = (
            int(batch_sizes[0]) if batch_sizes is not None else input.size(0) if self.batch_first else input.size(1)
        )
        size = self.proj_size if self.proj_size > 0 else self.hidden_size
        return (self.num_layers * (2 if self.bidirectional else 1), mini_batch, size)

    def get_expected_cell_size(self, input, batch_sizes=None):
        return self.get_expected_hidden_size(input, batch_sizes)[:2] + (self.hidden_size,)

    def check_hidden_size(self, hx, expected_hidden_size, msg="Expected hidden size {}, got {}"):
        if tuple(hx.shape) != expected_hidden_size:
            raise RuntimeError(f"{self._name()}: " + msg.format(expected_hidden_size, list(hx.shape)))

    def _prepare(self, input, hx):
        """Validate, add the batch dim for unbatched input, and make zero initial states: (input, hx, batched)."""
        if not isinstance(input, Tensor):
            raise TypeError(f"{self._name()}: expected a Tensor or a PackedSequence input, got {type(input).__name__}")
        if input.dim() not in (2, 3):
            raise ValueError(f"{self._name()}: Expected input to be 2D or 3D, got {input.dim()}D instead")
        batched = input.dim() == 3
        if not batched:
            input = input.unsqueeze(0 if self.batch_first else 1)
        states = 2 if self.mode == "LSTM" else 1
        if hx is None:
            shapes = [self.get_expected_hidden_size(input), self.get_expected_cell_size(input)][:states]
            hx = tuple(zeros(shape, dtype=input.dtype, device=input.device) for shape in shapes)
        else:
            hx = tuple(hx) if states == 2 else (hx,)
            want = 3 if batched else 2
            if any(h.dim() != want for h in hx):
                got = ", ".join(f"{h.dim()}-D" for h in hx)
                what = "hx and cx" if states == 2 else "hx"
                kind = "batched 3-D" if batched else "unbatched 2-D"
                raise RuntimeError(
                    f"{self._name()}: For {kind} input, {what} should also be {want}-D but got ({got}) tensor(s)"
                )
            if not batched:
                hx = tuple(h.unsqueeze(1) for h in hx)
        self.check_input(input)
        self.check_hidden_size(hx[0], self.get_expected_hidden_size(input))
        if states == 2:
            self.check_hidden_size(hx[1], self.get_expected_cell_size(input), "Expected hidden[1] size {}, got {}")
        return input, hx, batched

    # --- the computation ------------------------------------------------------------------------------
    def _direction(self, k, x, h0, c0, reverse):
        """One layer and direction over x (T, B, I): (output (T, B, H), h_last, c_last or None)."""
        params = self.all_weights[k]
        w_ih, w_hh = params[0], params[1]
        b_ih, b_hh = (params[2], params[3]) if self.bias else (None, None)
        if self.proj_size > 0:
            return _projected_lstm(x, h0, c0, w_ih, w_hh, b_ih, b_hh, params[-1], reverse)
        out, c = _recurrence(self.mode, x, w_ih, h0, c0, w_hh, b_ih, b_hh, reverse)
        return out, (out[0] if reverse else out[-1]), c

    def _direction_by_length(self, k, x, h0, c0, reverse, lengths):
        """_direction for padded sequences of `lengths`: each group of equal length runs over its own steps."""
        steps, outs, h_last, c_last, order = x.shape[0], [], [], [], []
        for length in sorted(set(lengths.tolist()), reverse=True):
            rows = np.nonzero(lengths == length)[0]
            index = Tensor._make(rows)
            out, h, c = self._direction(
                k,
                x[:length].index_select(1, index),
                h0.index_select(0, index),
                None if c0 is None else c0.index_select(0, index),
                reverse,
            )
            outs.append(F.pad(out, (0, 0, 0, 0, 0, steps - length)) if length < steps else out)
            h_last.append(h)
            c_last.append(c)
            order.extend(rows.tolist())
        back = Tensor._make(np.argsort(np.asarray(order)))

        def joined(parts, dim):
            return cat(parts, dim).index_select(dim, back) if len(parts) > 1 else parts[0]

        return joined(outs, 1), joined(h_last, 0), None if c0 is None else joined(c_last, 0)

    def _run(self, x, h0, c0, lengths=None):
        """x (T, B, I), h0/c0 (layers * directions, B, H) -> output (T, B, directions * H), h_n, c_n."""
        directions = 2 if self.bidirectional else 1
        h_last, c_last = [], []
        layer_input = x
        for layer in range(self.num_layers):
            outs = []
            for direction in range(directions):
                k = layer * directions + direction
                c_k = None if c0 is None else c0[k]
                if lengths is None:
                    out, h, c = self._direction(k, layer_input, h0[k], c_k, direction == 1)
                else:
                    out, h, c = self._direction_by_length(k, layer_input, h0[k], c_k, direction == 1, lengths)
                outs.append(out)
                h_last.append(h)
                c_last.append(c)
            layer_input = outs[0] if directions == 1 else cat(outs, 2)
            if self.dropout and self.training and layer < self.num_layers - 1:
                layer_input = F.dropout(layer_input, self.dropout, True)
        return layer_input, stack(h_last), (stack(c_last) if c0 is not None else None)

    def forward(self, input: Tensor, hx: Any = None) -> tuple[Tensor, Any]:
        if isinstance(input, PackedSequence):
            return self._forward_packed(input, hx)
        input, hx, batched = self._prepare(input, hx)
        x = input.transpose(0, 1) if self.batch_first else input
        output, h_n, c_n = self._run(x, hx[0], hx[1] if self.mode == "LSTM" else None)
        if self.batch_first:
            output = output.transpose(0, 1)
        if not batched:
            output = output.squeeze(0 if self.batch_first else 1)
            h_n = h_n.squeeze(1)
            c_n = c_n.squeeze(1) if c_n is not None else None
        return output, ((h_n, c_n) if self.mode == "LSTM" else h_n)

    def _forward_packed(self, packed, hx):
        """torch's PackedSequence path: hx and h_n in the caller's batch order, the output packed as the input."""
        padded, lengths = pad_packed_sequence(packed)
        lengths = np.asarray(lengths.__array__(), dtype=np.int64)
        states = 2 if self.mode == "LSTM" else 1
        batch = len(lengths)
        if hx is None:
            shapes = [self.get_expected_hidden_size(padded), self.get_expected_cell_size(padded)][:states]
            hx = tuple(zeros(shape, dtype=padded.dtype, device=padded.device) for shape in shapes)
        else:
            hx = tuple(hx) if states == 2 else (hx,)
        self.check_input(padded)
        self.check_hidden_size(hx[0], self.get_expected_hidden_size(padded))
        if states == 2:
            self.check_hidden_size(hx[1], self.get_expected_cell_size(padded), "Expected hidden[1] size {}, got {}")
        output, h_n, c_n = self._run(padded, hx[0], hx[1] if states == 2 else None, lengths)
        # the output's rows in the input's packed layout: step t holds its batch_sizes[t] longest sequences
        sorted_indices = (
            np.arange(batch) if packed.sorted_indices is None else np.asarray(packed.sorted_indices.__array__())
        )
        rows = np.concatenate(
            [t * batch + sorted_indices[:n] for t, n in enumerate(np.asarray(packed.batch_sizes.__array__()))]
        )
        data = output.reshape(-1, output.shape[2]).index_select(0, Tensor._make(rows))
        result = PackedSequence(data, packed.batch_sizes, packed.sorted_indices, packed.unsorted_indices)
        return result, ((h_n, c_n) if self.mode == "LSTM" else h_n)


def _projected_lstm(x, h, c, w_ih, w_hh, b_ih, b_hh, w_hr, reverse):
    """An LSTM direction with a projection (h = W_hr (o * tanh(c))), step by step."""
    outs = []
    for t in range(x.shape[0] - 1, -1, -1) if reverse else range(x.shape[0]):
        i, f, g, o = (linear(x[t], w_ih, b_ih) + linear(h, w_hh, b_hh)).chunk(4, 1)
        c = f.sigmoid() * c + i.sigmoid() * g.tanh()
        h = linear(o.sigmoid() * c.tanh(), w_hr)
        outs.append(h)
    if reverse:
        outs.reverse()
    return stack(outs), h, c


class RNN(RNNBase):
    """Elman RNN: h_t = tanh|relu(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if len(args) > 3:
            self.nonlinearity = args[3]
            args = args[:3] + args[4:]
        else:
            self.nonlinearity = kwargs.pop("nonlinearity", "tanh")
        modes = {"tanh": "RNN_TANH", "relu": "RNN_RELU"}
        if self.nonlinearity not in modes:
            raise ValueError(f"Unknown nonlinearity '{self.nonlinearity}'. Select from 'tanh' or 'relu'.")
        super().__init__(modes[self.nonlinearity], *args, **kwargs)


class LSTM(RNNBase):
    """LSTM with torch's gate order (i, f, g, o) in weight_ih_l{k} / weight_hh_l{k}."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__("LSTM", *args, **kwargs)


class GRU(RNNBase):
    """GRU with torch's gate order (r, z, n) and n = tanh(W_in x + b_in + r * (W_hn h + b_hn))."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        super().__init__("GRU", *args, **kwargs)


# --- cells ------------------------------------------------------------------------------------------------


class RNNCellBase(Module):
    def __init__(self, input_size, hidden_size, bias, num_chunks, device=None, dtype=None):
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        factory: dict[str, Any] = dict(device=device, dtype=dtype)
        self.weight_ih = Parameter(empty((num_chunks * hidden_size, input_size), **factory))
        self.weight_hh = Parameter(empty((num_chunks * hidden_size, hidden_size), **factory))
        if bias:
            self.bias_ih = Parameter(empty(num_chunks * hidden_size, **factory))
            self.bias_hh = Parameter(empty(num_chunks * hidden_size, **factory))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity}"
        return s

    def reset_parameters(self) -> None:
        _init_uniform(self)

    def _step(self, mode, input, states):
        """One time step (composed as torch's cells); handles unbatched input."""
        name = type(self).__name__
        if input.dim() not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.dim()}D instead")
        if input.shape[-1] != self.input_size:
            raise RuntimeError(
                f"{name}: input has inconsistent input_size: got {input.shape[-1]}, expected "
                f"{self.input_size} (input of shape {list(input.shape)})"
            )
        batched = input.dim() == 2
        if not batched:
            input = input.unsqueeze(0)
        if states is None:
            h = zeros(input.shape[0], self.hidden_size, dtype=input.dtype, device=input.device)
            states = (h, h) if mode == "LSTM" else (h,)
        else:
            for idx, value in enumerate(states):
                if value.dim() not in (1, 2):
                    which = f"hx[{idx}]" if mode == "LSTM" else "hidden"
                    raise ValueError(f"{name}: Expected {which} to be 1D or 2D, got {value.dim()}D instead")
            if not batched:
                states = tuple(s.unsqueeze(0) for s in states)
        for s in states:
            if tuple(s.shape) != (input.shape[0], self.hidden_size):
                raise RuntimeError(
                    f"{name}: Expected hidden state of shape {[input.shape[0], self.hidden_size]}, got {list(s.shape)}"
                )
        h, c = _cell(mode, input, states, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        if not batched:
            h = h.squeeze(0)
            c = c.squeeze(0) if c is not None else None
        return (h, c) if mode == "LSTM" else h


class RNNCell(RNNCellBase):
    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        nonlinearity: str = "tanh",
        device: DeviceLike = None,
        dtype: DType | None = None,
    ) -> None:
        super().__init__(input_size, hidden_size, bias, num_chunks=1, device=device, dtype=dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input: Tensor, hx: Any = None) -> Tensor:
        if self.nonlinearity not in ("tanh", "relu"):
            raise RuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")
        if hx is not None and hx.dim() not in (1, 2):
            raise ValueError(f"RNNCell: Expected hidden to be 1D or 2D, got {hx.dim()}D instead")
        return self._step(
            "RNN_TANH" if self.nonlinearity == "tanh" else "RNN_RELU", input, None if hx is None else (hx,)
        )


class LSTMCell(RNNCellBase):
    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        device: DeviceLike = None,
        dtype: DType | None = None,
    ) -> None:
        super().__init__(input_size, hidden_size, bias, num_chunks=4, device=device, dtype=dtype)

    def forward(self, input: Tensor, hx: Any = None) -> Tensor:
        return self._step("LSTM", input, None if hx is None else tuple(hx))


class GRUCell(RNNCellBase):
    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        device: DeviceLike = None,
        dtype: DType | None = None,
    ) -> None:
        super().__init__(input_size, hidden_size, bias, num_chunks=3, device=device, dtype=dtype)

    def forward(self, input: Tensor, hx: Any = None) -> Tensor:
        if hx is not None and hx.dim() not in (1, 2):
            raise ValueError(f"GRUCell: Expected hidden to be 1D or 2D, got {hx.dim()}D instead")
        return self._step("GRU", input, None if hx is None else (hx,))
