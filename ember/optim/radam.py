"""RAdam: Adam with variance rectification (torch/optim/radam.py, _single_tensor_radam)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from .._backend import array_module
from .optimizer import Optimizer, _step_no_grad, _scalar_state
from .adam import _check_adam_args
from . import _kernels as kernels

if TYPE_CHECKING:
    from .._tensor import Tensor
    from .._typing import ParamsT

__all__ = ["RAdam"]


class RAdam(Optimizer):
    def __init__(
        self,
        params: ParamsT,
        lr: float | Tensor = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        decoupled_weight_decay: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
    ) -> None:
        _check_adam_args(lr, betas, eps, weight_decay)
        defaults = dict(
            lr=lr,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
            maximize=maximize,
            foreach=foreach,
            capturable=capturable,
            decoupled_weight_decay=decoupled_weight_decay,
            differentiable=differentiable,
        )
        super().__init__(params, defaults)

    _legacy_group_defaults = {
        "foreach": None,
        "maximize": False,
        "differentiable": False,
        "decoupled_weight_decay": False,
        "capturable": False,
    }

    @_step_no_grad
    def step(self) -> Any:
        for group in self.param_groups:
            lr, eps = float(group["lr"]), group["eps"]
            beta1, beta2 = (float(b) for b in group["betas"])
            for p in self._params_with_grad(group, "RAdam"):
                xp = array_module(p._data)
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _scalar_state()
                    state["exp_avg"] = p._make(xp.zeros_like(p._data))
                    state["exp_avg_sq"] = p._make(xp.zeros_like(p._data))
                step = kernels.adam_moments_(p, state, group, lr, beta1, beta2)
                exp_avg, exp_avg_sq = state["exp_avg"]._data, state["exp_avg_sq"]._data

                bias_correction1 = 1 - beta1**step
                bias_correction2 = 1 - beta2**step
                update = exp_avg / bias_correction1
                update *= lr
                rho_inf = 2 / (1 - beta2) - 1
                rho_t = rho_inf - 2 * step * (beta2**step) / bias_correction2
                if rho_t > 5.0:
                    rect = ((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
                    # torch's `float / tensor` is reciprocal(tensor) * float
                    adaptive_lr = xp.sqrt(exp_avg_sq)
                    adaptive_lr += eps
                    xp.reciprocal(adaptive_lr, out=adaptive_lr)
                    adaptive_lr *= bias_correction2**0.5
                    update *= adaptive_lr
                    update *= rect
                p._data -= update
                kernels.bump_version(p)
