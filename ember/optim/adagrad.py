"""Adagrad (torch/optim/adagrad.py, _single_tensor_adagrad): state is created for every parameter
at construction, with `sum` filled with initial_accumulator_value."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from .._backend import array_module
from .optimizer import Optimizer, _step_no_grad, _scalar_state
from . import _kernels as kernels

if TYPE_CHECKING:
    from .._tensor import Tensor
    from .._typing import ParamsT

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    def __init__(
        self,
        params: ParamsT,
        lr: float | Tensor = 1e-2,
        lr_decay: float = 0,
        weight_decay: float = 0,
        initial_accumulator_value: float = 0,
        eps: float = 1e-10,
        foreach: bool | None = None,
        *,
        maximize: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= lr_decay:
            raise ValueError(f"Invalid lr_decay value: {lr_decay}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= initial_accumulator_value:
            raise ValueError(f"Invalid initial_accumulator_value value: {initial_accumulator_value}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        defaults = dict(
            lr=lr,
            lr_decay=lr_decay,
            eps=eps,
            weight_decay=weight_decay,
            initial_accumulator_value=initial_accumulator_value,
            foreach=foreach,
            maximize=maximize,
            differentiable=differentiable,
            fused=fused,
        )
        super().__init__(params, defaults)
        if fused:
            if differentiable:
                raise RuntimeError("`fused` does not support `differentiable`")
            if foreach:
                raise RuntimeError("`fused` and `foreach` cannot be `True` together.")
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(p, initial_accumulator_value)

    def _init_state(self, p, initial_accumulator_value):
        state = self.state[p]
        state["step"] = _scalar_state()
        state["sum"] = p._make(array_module(p._data).full_like(p._data, initial_accumulator_value))

    _legacy_group_defaults = {"foreach": None, "maximize": False, "differentiable": False, "fused": None}

    @_step_no_grad
    def step(self) -> Any:
        for group in self.param_groups:
            lr, lr_decay, eps = float(group["lr"]), group["lr_decay"], group["eps"]
            for p in self._params_with_grad(group, "Adagrad"):
                state = self.state[p]
                if len(state) == 0:  # a parameter added by add_param_group after construction
                    self._init_state(p, self.defaults["initial_accumulator_value"])
                step_t = state["step"]
                step_t._data += 1
                step = float(step_t._data)
                g = kernels.grad_for_update(p, group["maximize"], group["weight_decay"])
                clr = lr / (1 + (step - 1) * lr_decay)
                state_sum = state["sum"]._data
                kernels.addcmul_(state_sum, g, g)
                std = array_module(p._data).sqrt(state_sum)
                std += eps
                kernels.addcdiv_(p._data, g, std, -clr)
                kernels.bump_version(p)
