"""Adadelta (torch/optim/adadelta.py, _single_tensor_adadelta)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from .._backend import array_module
from .optimizer import Optimizer, _step_no_grad, _scalar_state
from . import _kernels as kernels

if TYPE_CHECKING:
    from .._tensor import Tensor
    from .._typing import ParamsT

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    def __init__(
        self,
        params: ParamsT,
        lr: float | Tensor = 1.0,
        rho: float = 0.9,
        eps: float = 1e-6,
        weight_decay: float = 0,
        foreach: bool | None = None,
        *,
        capturable: bool = False,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = dict(
            lr=lr,
            rho=rho,
            eps=eps,
            weight_decay=weight_decay,
            maximize=maximize,
            capturable=capturable,
            foreach=foreach,
            differentiable=differentiable,
        )
        super().__init__(params, defaults)

    _legacy_group_defaults = {"foreach": None, "maximize": False, "differentiable": False, "capturable": False}

    @_step_no_grad
    def step(self) -> Any:
        for group in self.param_groups:
            lr, rho, eps = float(group["lr"]), group["rho"], group["eps"]
            for p in self._params_with_grad(group, "Adadelta"):
                xp = array_module(p._data)
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _scalar_state()
                    state["square_avg"] = p._make(xp.zeros_like(p._data))
                    state["acc_delta"] = p._make(xp.zeros_like(p._data))
                state["step"]._data += 1
                g = kernels.grad_for_update(p, group["maximize"], group["weight_decay"])
                square_avg, acc_delta = state["square_avg"]._data, state["acc_delta"]._data
                square_avg *= rho
                kernels.addcmul_(square_avg, g, g, 1 - rho)
                std = square_avg + eps
                xp.sqrt(std, out=std)
                delta = acc_delta + eps
                xp.sqrt(delta, out=delta)
                delta /= std
                delta *= g
                acc_delta *= rho
                kernels.addcmul_(acc_delta, delta, delta, 1 - rho)
                kernels.add_(p._data, delta, -lr)
                kernels.bump_version(p)
