"""Rprop (torch/optim/rprop.py, _single_tensor_rprop): a step size per element, grown by etaplus while the
gradient keeps its sign and shrunk by etaminus when it flips (and that element then skips its update)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from .._backend import array_module
from .optimizer import Optimizer, _step_no_grad, _scalar_state
from . import _kernels as kernels

if TYPE_CHECKING:
    from .._tensor import Tensor
    from .._typing import ParamsT

__all__ = ["Rprop"]


class Rprop(Optimizer):
    def __init__(
        self,
        params: ParamsT,
        lr: float | Tensor = 1e-2,
        etas: tuple[float, float] = (0.5, 1.2),
        step_sizes: tuple[float, float] = (1e-6, 50),
        *,
        capturable: bool = False,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        defaults = dict(
            lr=lr,
            etas=etas,
            step_sizes=step_sizes,
            foreach=foreach,
            maximize=maximize,
            differentiable=differentiable,
            capturable=capturable,
        )
        super().__init__(params, defaults)

    _legacy_group_defaults = {"foreach": None, "maximize": False, "differentiable": False, "capturable": False}

    @_step_no_grad
    def step(self) -> Any:
        for group in self.param_groups:
            etaminus, etaplus = group["etas"]
            smallest, largest = group["step_sizes"]
            for p in self._params_with_grad(group, "Rprop"):
                xp = array_module(p._data)
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _scalar_state()
                    state["prev"] = p._make(xp.zeros_like(p._data))
                    state["step_size"] = p._make(xp.full_like(p.grad._data, float(group["lr"])))
                state["step"]._data += 1
                g = kernels.grad_for_update(p, group["maximize"], 0)
                prev, step_size = state["prev"]._data, state["step_size"]._data
                direction = xp.sign(g * prev)
                dtype = direction.dtype.type
                factor = xp.where(
                    direction > 0,
                    dtype(etaplus),
                    xp.where(direction < 0, dtype(etaminus), xp.where(direction == 0, dtype(1), direction)),
                )
                step_size *= factor
                xp.clip(step_size, smallest, largest, out=step_size)
                # where the sign flipped, this step moves nothing and the next one starts afresh
                g = xp.where(factor == dtype(etaminus), dtype(0), g)
                kernels.addcmul_(p._data, xp.sign(g), step_size, -1)
                prev[...] = g
                kernels.bump_version(p)
