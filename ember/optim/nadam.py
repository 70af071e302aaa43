"""NAdam: Adam with Nesterov momentum and a momentum-decay schedule (torch/optim/nadam.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from .._backend import array_module
from .._tensor import Tensor
from .optimizer import Optimizer, _step_no_grad, _scalar_state
from .adam import _check_adam_args
from . import _kernels as kernels

if TYPE_CHECKING:
    from .._typing import ParamsT

__all__ = ["NAdam"]


class NAdam(Optimizer):
    def __init__(
        self,
        params: ParamsT,
        lr: float | Tensor = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum_decay: float = 4e-3,
        decoupled_weight_decay: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
    ) -> None:
        _check_adam_args(lr, betas, eps, weight_decay)
        if not 0.0 <= momentum_decay:
            raise ValueError(f"Invalid momentum_decay value: {momentum_decay}")
        defaults = dict(
            lr=lr,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
            momentum_decay=momentum_decay,
            decoupled_weight_decay=decoupled_weight_decay,
            maximize=maximize,
            foreach=foreach,
            capturable=capturable,
            differentiable=differentiable,
        )
        super().__init__(params, defaults)

    _legacy_group_defaults = {
        "maximize": False,
        "foreach": None,
        "capturable": False,
        "differentiable": False,
        "decoupled_weight_decay": False,
    }

    def __setstate__(self, state):
        super().__setstate__(state)
        for p_state in self.state.values():
            mu_product = p_state.get("mu_product") if isinstance(p_state, dict) else None
            if mu_product is not None and not isinstance(mu_product, Tensor):
                p_state["mu_product"] = _scalar_state(float(mu_product))

    @_step_no_grad
    def step(self) -> Any:
        for group in self.param_groups:
            lr, eps, wd = float(group["lr"]), group["eps"], group["weight_decay"]
            momentum_decay = group["momentum_decay"]
            beta1, beta2 = (float(b) for b in group["betas"])
            for p in self._params_with_grad(group, "NAdam"):
                xp = array_module(p._data)
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _scalar_state()
                    state["mu_product"] = _scalar_state(1.0)
                    state["exp_avg"] = p._make(xp.zeros_like(p._data))
                    state["exp_avg_sq"] = p._make(xp.zeros_like(p._data))
                step_t = state["step"]
                step_t._data += 1
                step = float(step_t._data)
                bias_correction2 = 1 - beta2**step
                if wd != 0 and group["decoupled_weight_decay"]:
                    p._data *= 1 - lr * wd
                    g = kernels.grad_for_update(p, group["maximize"], 0)
                else:
                    g = kernels.grad_for_update(p, group["maximize"], wd)
                mu = beta1 * (1.0 - 0.5 * 0.96 ** (step * momentum_decay))
                mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * momentum_decay))
                mu_product = state["mu_product"]._data
                mu_product *= mu
                exp_avg, exp_avg_sq = state["exp_avg"]._data, state["exp_avg_sq"]._data
                kernels.lerp_(exp_avg, g, 1 - beta1)
                exp_avg_sq *= beta2
                kernels.addcmul_(exp_avg_sq, g, g, 1 - beta2)
                denom = exp_avg_sq / bias_correction2
                xp.sqrt(denom, out=denom)
                mu_product_value = float(mu_product)
                mu_product_next = mu_product_value * mu_next
                denom += eps
                kernels.addcdiv_(p._data, g, denom, -lr * (1.0 - mu) / (1.0 - mu_product_value))
                kernels.addcdiv_(p._data, exp_avg, denom, (-lr * mu_next) / (1.0 - mu_product_next))
                kernels.bump_version(p)
