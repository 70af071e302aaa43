"""Adafactor (torch/optim/_adafactor.py, _single_tensor_adafactor): Adam's second moment kept factored as
row and column means of g^2 for a matrix (a full variance for a vector), a step that decays as step**beta2_decay,
the update scaled by the parameter's RMS and clipped by its own RMS over d."""

from __future__ import annotations

from typing import Any
import math

import numpy as np

from .._backend import array_module
from .optimizer import Optimizer, _step_no_grad, _scalar_state
from . import _kernels as kernels


__all__ = ["Adafactor"]


def _norm(x, axis=None):
    """torch.norm(x, 2, dim=axis, keepdim=True) (the whole tensor's for axis None)."""
    return array_module(x).sqrt((x * x).sum(axis=axis, keepdims=axis is not None))


class Adafactor(Optimizer):
    def __init__(
        self,
        params,
        lr=1e-2,
        beta2_decay=-0.8,
        eps=(None, 1e-3),
        d=1.0,
        weight_decay=0.0,
        *,
        foreach=None,
        maximize=False,
    ):
        if not 0.0 <= lr:
            raise ValueError(f"Learning rate should be >= 0 but is: {lr}")
        if not 0.0 >= beta2_decay:
            raise ValueError(f"beta2_decay should be <= 0 but is: {beta2_decay}")
        if eps[0] is not None and not 0.0 <= eps[0]:
            raise ValueError(f"epsilon1 should be >= 0 but is: {eps[0]}")
        if not 0.0 <= eps[1]:
            raise ValueError(f"epsilon2 should be >= 0 but is: {eps[1]}")
        if not 1.0 <= d:
            raise ValueError(f"Clipping threshold d should be >= 1 but is: {d}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"weight_decay should be >= 0 but is: {weight_decay}")
        defaults = dict(
            lr=lr, beta2_decay=beta2_decay, eps=eps, d=d, weight_decay=weight_decay, foreach=foreach, maximize=maximize
        )
        super().__init__(params, defaults)

    @_step_no_grad
    def step(self) -> Any:
        for group in self.param_groups:
            lr, d, wd = float(group["lr"]), group["d"], group["weight_decay"]
            eps1, eps2 = group["eps"]
            for p in self._params_with_grad(group, "Adafactor"):
                if p.is_complex():
                    raise RuntimeError("Adafactor does not support complex parameters")
                xp = array_module(p._data)
                g = kernels.grad_for_update(p, group["maximize"], 0)
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _scalar_state()
                    if g.ndim > 1:
                        state["row_var"] = p._make(xp.zeros(g.shape[:-1] + (1,), g.dtype))
                        state["col_var"] = p._make(xp.zeros(g.shape[:-2] + (1,) + g.shape[-1:], g.dtype))
                    else:
                        state["variance"] = p._make(xp.zeros_like(g))
                eps1_p = float(np.finfo(p._data.dtype).eps) if eps1 is None else eps1
                state["step"]._data += 1
                step = float(state["step"]._data)
                one_minus_beta2 = step ** group["beta2_decay"]
                rho = min(lr, 1 / step**0.5)
                alpha = max(eps2, float(_norm(p._data)) / p._data.size**0.5) * rho
                if wd != 0:
                    p._data *= 1 - lr * wd
                if g.ndim > 1:
                    row_var, col_var = state["row_var"]._data, state["col_var"]._data
                    kernels.lerp_(row_var, _norm(g, -1) ** 2 / g.shape[-1], one_minus_beta2)
                    kernels.lerp_(col_var, _norm(g, -2) ** 2 / g.shape[-2], one_minus_beta2)
                    estimate = row_var @ col_var
                    estimate /= xp.maximum(row_var.mean(axis=-2, keepdims=True), eps1_p)
                else:
                    variance = state["variance"]._data
                    kernels.lerp_(variance, g * g, one_minus_beta2)
                    estimate = variance.copy()
                update = 1 / xp.sqrt(xp.maximum(estimate, eps1_p * eps1_p))
                update *= g
                denom = max(1.0, float(_norm(update)) / (math.sqrt(update.size) * d))
                kernels.add_(p._data, update, -alpha / denom)
                kernels.bump_version(p)
