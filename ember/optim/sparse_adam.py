"""SparseAdam (torch/optim/sparse_adam.py): "lazy" Adam, whose moments and parameter change only where the
gradient has entries.

ember has no sparse tensors: Embedding(sparse=True) gives a dense gradient, and SparseAdam takes the rows
(slices along dim 0) of a dense gradient that hold a nonzero as the sparse gradient's entries. That is
torch's update whenever every row a batch looked up gets a nonzero gradient; a looked-up row whose gradient
is exactly zero is left alone here, where torch would still decay its moments. torch raises for a dense
gradient instead."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
import math

from .._backend import array_module
from .optimizer import Optimizer, _step_no_grad

if TYPE_CHECKING:
    from .._tensor import Tensor
    from .._typing import ParamsT

__all__ = ["SparseAdam"]


class SparseAdam(Optimizer):
    def __init__(
        self,
        params: ParamsT,
        lr: float | Tensor = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        maximize: bool = False,
    ) -> None:
        if not 0.0 < lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 < eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= betas[0] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
        if not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, maximize=maximize))
        complex_params = [
            [i, j] for i, group in enumerate(self.param_groups) for j, p in enumerate(group["params"]) if p.is_complex()
        ]
        if complex_params:
            raise ValueError(
                f"Complex params at indices {complex_params}: SparseAdam does not support complex parameters"
            )

    @_step_no_grad
    def step(self) -> Any:
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            eps, lr = group["eps"], float(group["lr"])
            for p in group["params"]:
                if p.grad is None:
                    continue
                xp = array_module(p._data)
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = 0
                    state["exp_avg"] = p._make(xp.zeros_like(p._data))
                    state["exp_avg_sq"] = p._make(xp.zeros_like(p._data))
                state["step"] += 1
                g = -p.grad._data if group["maximize"] else p.grad._data
                rows = g.reshape(len(g), -1).any(axis=1) if g.ndim else g != 0
                if not rows.any():
                    continue
                values = g[rows]
                exp_avg, exp_avg_sq = state["exp_avg"]._data, state["exp_avg_sq"]._data
                old_avg, old_sq = exp_avg[rows], exp_avg_sq[rows]
                avg_update = (values - old_avg) * (1 - beta1)
                sq_update = (values * values - old_sq) * (1 - beta2)
                exp_avg[rows] += avg_update
                exp_avg_sq[rows] += sq_update
                step = state["step"]
                step_size = lr * math.sqrt(1 - beta2**step) / (1 - beta1**step)
                denom = xp.sqrt(sq_update + old_sq) + eps
                p._data[rows] += -step_size * ((avg_update + old_avg) / denom)
                p._version_counter[0] += 1
