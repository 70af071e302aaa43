"""Adam and AdamW (torch/optim/adam.py, _single_tensor_adam): bias correction on the step size and
on sqrt(v) with eps added after it; amsgrad keeps the max of the uncorrected v."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
import numpy as np

from .._backend import array_module
from .._tensor import Tensor
from .optimizer import Optimizer, _step_no_grad, _scalar_state
from . import _kernels as kernels

if TYPE_CHECKING:
    from .._typing import ParamsT

__all__ = ["Adam"]


def _check_adam_args(lr, betas, eps, weight_decay):
    if not 0.0 <= lr:
        raise ValueError(f"Invalid learning rate: {lr}")
    if not 0.0 <= eps:
        raise ValueError(f"Invalid epsilon value: {eps}")
    if not 0.0 <= betas[0] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
    if not 0.0 <= betas[1] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
    if not 0.0 <= weight_decay:
        raise ValueError(f"Invalid weight_decay value: {weight_decay}")


class Adam(Optimizer):
    def __init__(
        self,
        params: ParamsT,
        lr: float | Tensor = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        amsgrad: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
        decoupled_weight_decay: bool = False,
    ) -> None:
        _check_adam_args(lr, betas, eps, weight_decay)
        if not (all(isinstance(b, float) for b in betas) or all(isinstance(b, Tensor) for b in betas)):
            raise ValueError("betas must be either both floats or both Tensors")
        betas = tuple(b.squeeze() if isinstance(b, Tensor) and b.dim() != 0 else b for b in betas)  # type: ignore[assignment]
        defaults = dict(
            lr=lr,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
            amsgrad=amsgrad,
            maximize=maximize,
            foreach=foreach,
            capturable=capturable,
            differentiable=differentiable,
            fused=fused,
            decoupled_weight_decay=decoupled_weight_decay,
        )
        super().__init__(params, defaults)
        if fused:
            if differentiable:
                raise RuntimeError("`fused` does not support `differentiable`")
            if foreach:
                raise RuntimeError("`fused` and `foreach` cannot be `True` together.")

    _legacy_group_defaults = {
        "amsgrad": False,
        "maximize": False,
        "foreach": None,
        "capturable": False,
        "differentiable": False,
        "decoupled_weight_decay": False,
        "fused": None,
    }

    def _state_of(self, p, amsgrad, capturable=False):
        state = self.state[p]
        if len(state) == 0:
            xp = array_module(p._data)
            # capturable: the step count on the parameter's device, as torch keeps it for CUDA graphs
            state["step"] = p._make(xp.zeros((), np.float32)) if capturable else _scalar_state()
            state["exp_avg"] = p._make(xp.zeros_like(p._data))
            state["exp_avg_sq"] = p._make(xp.zeros_like(p._data))
            if amsgrad:
                state["max_exp_avg_sq"] = p._make(xp.zeros_like(p._data))
        return state

    @_step_no_grad
    def step(self) -> Any:
        name = type(self).__name__
        for group in self.param_groups:
            lr, eps = float(group["lr"]), group["eps"]
            beta1, beta2 = (float(b) for b in group["betas"])
            amsgrad = group["amsgrad"]
            for p in self._params_with_grad(group, name):
                if group["capturable"] and p.device.type != "cuda":
                    raise AssertionError(
                        "If capturable=True, params and state_steps must be on supported devices: ['cuda']."
                    )
                state = self._state_of(p, amsgrad, group["capturable"])
                step = kernels.adam_moments_(p, state, group, lr, beta1, beta2, group["capturable"])
                if group["capturable"]:
                    _capturable_update(p, state, step, lr, beta1, beta2, eps, amsgrad)
                    continue
                exp_avg, exp_avg_sq = state["exp_avg"]._data, state["exp_avg_sq"]._data
                step_size = lr / (1 - beta1**step)
                bias_correction2_sqrt = (1 - beta2**step) ** 0.5
                xp = array_module(p._data)
                if amsgrad:
                    max_sq = state["max_exp_avg_sq"]._data
                    xp.maximum(max_sq, exp_avg_sq, out=max_sq)
                    denom = xp.sqrt(max_sq)
                else:
                    denom = xp.sqrt(exp_avg_sq)
                denom /= bias_correction2_sqrt
                denom += eps
                kernels.addcdiv_(p._data, exp_avg, denom, -step_size)
                kernels.bump_version(p)


def _capturable_update(p, state, step, lr, beta1, beta2, eps, amsgrad):
    """torch's capturable Adam update: the bias corrections computed from the step count on the device,
    in torch's order of operations, so that nothing is read back to the host."""
    xp = array_module(p._data)
    exp_avg, exp_avg_sq = state["exp_avg"]._data, state["exp_avg_sq"]._data
    step_size_neg = -(lr / (1 - beta1**step))
    bias_correction2_sqrt = xp.sqrt(1 - beta2**step)
    if amsgrad:
        max_sq = state["max_exp_avg_sq"]._data
        xp.maximum(max_sq, exp_avg_sq, out=max_sq)
        exp_avg_sq = max_sq
    denom = xp.sqrt(exp_avg_sq) / (bias_correction2_sqrt * step_size_neg)
    denom += eps / step_size_neg
    kernels.addcdiv_(p._data, exp_avg, denom)
    kernels.bump_version(p)
