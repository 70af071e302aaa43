"""ASGD, averaged SGD (torch/optim/asgd.py, _single_tensor_asgd): SGD with a decaying step eta and a decay
term lambd, keeping in `ax` the average of the iterates since step t0."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from .._backend import array_module
from .optimizer import Optimizer, _step_no_grad, _scalar_state
from . import _kernels as kernels

if TYPE_CHECKING:
    from .._tensor import Tensor
    from .._typing import ParamsT

__all__ = ["ASGD"]


class ASGD(Optimizer):
    def __init__(
        self,
        params: ParamsT,
        lr: float | Tensor = 1e-2,
        lambd: float = 1e-4,
        alpha: float = 0.75,
        t0: float = 1e6,
        weight_decay: float = 0,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
        capturable: bool = False,
    ) -> None:
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = dict(
            lr=lr,
            lambd=lambd,
            alpha=alpha,
            t0=t0,
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
            lr, lambd, alpha, t0 = float(group["lr"]), group["lambd"], group["alpha"], group["t0"]
            for p in self._params_with_grad(group, "ASGD"):
                xp = array_module(p._data)
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _scalar_state()
                    state["eta"] = _scalar_state(lr)
                    state["mu"] = _scalar_state(1.0)
                    state["ax"] = p._make(xp.zeros_like(p._data))
                step_t, eta, mu, ax = state["step"], state["eta"], state["mu"], state["ax"]._data
                step_t._data += 1
                g = kernels.grad_for_update(p, group["maximize"], group["weight_decay"])
                eta_value = float(eta._data)
                p._data *= 1 - lambd * eta_value
                kernels.add_(p._data, g, -eta_value)
                if float(mu._data) != 1:
                    ax += (p._data - ax) * float(mu._data)  # mu is a host scalar, as torch keeps it
                else:
                    ax[...] = p._data
                step = float(step_t._data)
                eta._data[...] = lr / ((1 + lambd * lr * step) ** alpha)
                mu._data[...] = 1 / max(1, step - t0)
                kernels.bump_version(p)
