"""Adamax: Adam with the infinity norm (torch/optim/adamax.py, _single_tensor_adamax)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from .._backend import array_module
from .optimizer import Optimizer, _step_no_grad, _scalar_state
from .adam import _check_adam_args
from . import _kernels as kernels

if TYPE_CHECKING:
    from .._tensor import Tensor
    from .._typing import ParamsT

__all__ = ["Adamax"]


class Adamax(Optimizer):
    def __init__(
        self,
        params: ParamsT,
        lr: float | Tensor = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        foreach: bool | None = None,
        *,
        maximize: bool = False,
        differentiable: bool = False,
        capturable: bool = False,
    ) -> None:
        _check_adam_args(lr, betas, eps, weight_decay)
        defaults = dict(
            lr=lr,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
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
            lr, eps = float(group["lr"]), group["eps"]
            beta1, beta2 = (float(b) for b in group["betas"])
            for p in self._params_with_grad(group, "Adamax"):
                xp = array_module(p._data)
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _scalar_state()
                    state["exp_avg"] = p._make(xp.zeros_like(p._data))
                    state["exp_inf"] = p._make(xp.zeros_like(p._data))
                step_t = state["step"]
                step_t._data += 1
                g = kernels.grad_for_update(p, group["maximize"], group["weight_decay"])
                exp_avg, exp_inf = state["exp_avg"]._data, state["exp_inf"]._data
                kernels.lerp_(exp_avg, g, 1 - beta1)
                exp_inf *= beta2
                norm_buf = xp.abs(g)
                norm_buf += eps
                xp.maximum(exp_inf, norm_buf, out=exp_inf)
                clr = lr / (1 - beta1 ** float(step_t._data))
                kernels.addcdiv_(p._data, exp_avg, exp_inf, -clr)
                kernels.bump_version(p)
