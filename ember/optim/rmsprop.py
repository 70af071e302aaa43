"""RMSprop, plain or centered, with optional momentum (torch/optim/rmsprop.py, _single_tensor_rmsprop)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from .._backend import array_module
from .optimizer import Optimizer, _step_no_grad, _scalar_state
from . import _kernels as kernels

if TYPE_CHECKING:
    from .._tensor import Tensor
    from .._typing import ParamsT

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    def __init__(
        self,
        params: ParamsT,
        lr: float | Tensor = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum: float = 0,
        centered: bool = False,
        capturable: bool = False,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= momentum:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= alpha:
            raise ValueError(f"Invalid alpha value: {alpha}")
        defaults = dict(
            lr=lr,
            momentum=momentum,
            alpha=alpha,
            eps=eps,
            centered=centered,
            weight_decay=weight_decay,
            capturable=capturable,
            foreach=foreach,
            maximize=maximize,
            differentiable=differentiable,
        )
        super().__init__(params, defaults)

    _legacy_group_defaults = {
        "momentum": 0,
        "centered": False,
        "foreach": None,
        "maximize": False,
        "differentiable": False,
        "capturable": False,
    }

    def _state_of(self, p, group):
        state = self.state[p]
        if len(state) == 0:
            zeros = array_module(p._data).zeros_like
            state["step"] = _scalar_state()
            state["square_avg"] = p._make(zeros(p._data))
            if group["momentum"] > 0:
                state["momentum_buffer"] = p._make(zeros(p._data))
            if group["centered"]:
                state["grad_avg"] = p._make(zeros(p._data))
        return state

    @_step_no_grad
    def step(self) -> Any:
        for group in self.param_groups:
            lr, alpha, eps, momentum = float(group["lr"]), group["alpha"], group["eps"], group["momentum"]
            for p in self._params_with_grad(group, "RMSprop"):
                state = self._state_of(p, group)
                state["step"]._data += 1
                g = kernels.grad_for_update(p, group["maximize"], group["weight_decay"])
                square_avg = state["square_avg"]._data
                square_avg *= alpha
                kernels.addcmul_(square_avg, g, g, 1 - alpha)
                xp = array_module(p._data)
                if group["centered"]:
                    grad_avg = state["grad_avg"]._data
                    kernels.lerp_(grad_avg, g, 1 - alpha)
                    avg = square_avg - grad_avg * grad_avg
                    xp.sqrt(avg, out=avg)
                else:
                    avg = xp.sqrt(square_avg)
                avg += eps
                if momentum > 0:
                    buf = state["momentum_buffer"]._data
                    buf *= momentum
                    kernels.addcdiv_(buf, g, avg)
                    kernels.add_(p._data, buf, -lr)
                else:
                    kernels.addcdiv_(p._data, g, avg, -lr)
                kernels.bump_version(p)
