"""RMSprop, plain or centered, with optional momentum (torch/optim/rmsprop.py, _single_tensor_rmsprop)."""
from .._backend import array_module
from .optimizer import Optimizer, _step_no_grad, _scalar_state
from . import _kernels as kernels

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False,
                 capturable=False, foreach=None, maximize=False, differentiable=False):
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
        defaults = dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered,
                        weight_decay=weight_decay, capturable=capturable, foreach=foreach, maximize=maximize,
                        differentiable=differentiable)
        super().__init__(params, defaults)

    _legacy_group_defaults = {"momentum": 0, "centered": False, "foreach": None, "maximize": False,
                              "differentiable": False, "capturable": False}

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
    def step(self):
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
