"""SGD with momentum, dampening, Nesterov and weight decay (torch/optim/sgd.py, _single_tensor_sgd)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from .optimizer import Optimizer, _step_no_grad
from . import _kernels as kernels

if TYPE_CHECKING:
    from .._tensor import Tensor
    from .._typing import ParamsT

__all__ = ["SGD"]


class SGD(Optimizer):
    def __init__(
        self,
        params: ParamsT,
        lr: float | Tensor = 1e-3,
        momentum: float = 0,
        dampening: float = 0,
        weight_decay: float = 0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = dict(
            lr=lr,
            momentum=momentum,
            dampening=dampening,
            weight_decay=weight_decay,
            nesterov=nesterov,
            maximize=maximize,
            foreach=foreach,
            differentiable=differentiable,
            fused=fused,
        )
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)
        if fused:
            if differentiable:
                raise RuntimeError("`fused` does not support `differentiable`")
            if foreach:
                raise RuntimeError("`fused` and `foreach` cannot be `True` together.")

    _legacy_group_defaults = {
        "nesterov": False,
        "maximize": False,
        "foreach": None,
        "differentiable": False,
        "fused": False,
    }

    @_step_no_grad
    def step(self) -> Any:
        for group in self.param_groups:
            lr, momentum, dampening = float(group["lr"]), group["momentum"], group["dampening"]
            for p in self._params_with_grad(group, "SGD"):
                g = kernels.grad_for_update(p, group["maximize"], group["weight_decay"])
                if momentum != 0:
                    state = self.state[p]
                    buf = state.get("momentum_buffer")
                    if buf is None:
                        buf = p._make(g.copy())
                        state["momentum_buffer"] = buf
                    else:
                        buf._data *= momentum
                        kernels.add_(buf._data, g, 1 - dampening)
                    g = g + buf._data * momentum if group["nesterov"] else buf._data
                kernels.add_(p._data, g, -lr)
                kernels.bump_version(p)
