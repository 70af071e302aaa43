"""Gradient attributions with Captum's API and numbers: IntegratedGradients and Saliency.

Integrated gradients (Sundararajan et al. 2017) attribute F(x) - F(baseline) to the input features:
    attr_i = (x_i - x'_i) * integral_0^1 dF(x' + a (x - x')) / dx_i da,
the integral taken by a quadrature rule on n_steps points of the straight path, all points evaluated
in one batch (or in chunks of internal_batch_size).
"""

import numpy as np

from ._tensor import Tensor
from .autograd import grad as autograd_grad
from .autograd.grad_mode import enable_grad, no_grad

__all__ = ["IntegratedGradients", "Saliency", "approximation_parameters"]

_RIEMANN = ("riemann_left", "riemann_right", "riemann_middle", "riemann_trapezoid")


def approximation_parameters(method):
    """(step_sizes(n), alphas(n)) of a quadrature rule on [0, 1], as captum.attr._utils.approximation_methods."""
    if method in _RIEMANN:
        return _riemann_step_sizes(method), _riemann_alphas(method)
    if method == "gausslegendre":
        return (
            lambda n: list(0.5 * np.polynomial.legendre.leggauss(n)[1]),
            lambda n: list(0.5 * (1 + np.polynomial.legendre.leggauss(n)[0])),
        )
    raise ValueError(
        f"Invalid integral approximation method name: {method!r}; expected one of "
        f"{', '.join(_RIEMANN + ('gausslegendre',))}"
    )


def _riemann_step_sizes(method):
    def sizes(n):
        steps = [1 / n] * n
        if method == "riemann_trapezoid":
            if n <= 1:
                raise ValueError(f"riemann_trapezoid needs n_steps > 1, got {n}")
            # captum's weights: 1/n with halved ends (they sum to (n-1)/n, not 1); kept to give its numbers
            steps[0] /= 2
            steps[-1] /= 2
        return steps

    return sizes


def _riemann_alphas(method):
    start, end = {
        "riemann_left": (0, lambda n: 1 - 1 / n),
        "riemann_right": (lambda n: 1 / n, 1),
        "riemann_middle": (lambda n: 1 / (2 * n), lambda n: 1 - 1 / (2 * n)),
        "riemann_trapezoid": (0, 1),
    }[method]

    def alphas(n):
        lo = start(n) if callable(start) else start
        hi = end(n) if callable(end) else end
        # captum takes these from torch.linspace in float32 (whose rounding may differ by an ulp)
        return np.linspace(lo, hi, n).astype(np.float32).tolist()

    return alphas


def _as_tuple(inputs):
    return (inputs, True) if isinstance(inputs, tuple) else ((inputs,), False)


def _format_baselines(baselines, inputs):
    if baselines is None:
        return tuple(x.new_zeros(x.shape) for x in inputs)
    if not isinstance(baselines, tuple):
        baselines = (baselines,)
    if len(baselines) != len(inputs):
        raise ValueError(f"IntegratedGradients: got {len(inputs)} inputs but {len(baselines)} baselines")
    out = []
    for b, x in zip(baselines, inputs):
        if isinstance(b, (int, float)):
            b = x.new_full(x.shape, float(b))
        elif not isinstance(b, Tensor):
            raise TypeError(f"IntegratedGradients: a baseline must be a number or a Tensor, got {type(b).__name__}")
        elif b.shape[0] != x.shape[0] and b.shape[0] != 1:
            raise ValueError(
                f"IntegratedGradients: baseline of shape {list(b.shape)} does not match input of "
                f"shape {list(x.shape)} (its first dimension must be {x.shape[0]} or 1)"
            )
        out.append(b)
    return tuple(out)


def _select_targets(output, target):
    """The per-example scalar to differentiate, as captum.attr._utils.common._select_targets."""
    if target is None:
        return output
    n = output.shape[0]
    if isinstance(target, int):
        return output[:, target]
    if isinstance(target, tuple):
        return output[(slice(None),) + target]
    if isinstance(target, Tensor):
        if target.numel() == 1 and not target.is_floating_point():
            return output[:, int(target.item())]
        if target.dim() == 1 and target.numel() == n:
            return output.gather(1, target.reshape(-1, 1)).squeeze(1)
        raise ValueError(f"Tensor target dimension {list(target.shape)} is not valid. {list(output.shape)}")
    if isinstance(target, list):
        if len(target) != n:
            raise ValueError(f"a target list needs one entry per example: got {len(target)} for {n} examples")
        if all(isinstance(t, int) for t in target):
            from .ops.creation import tensor

            index = tensor(target, device=output.device).reshape(-1, 1)
            return output.gather(1, index).squeeze(1)
        if all(isinstance(t, tuple) for t in target):
            from .ops.shape import stack

            return stack([output[(i,) + t] for i, t in enumerate(target)])
        raise AssertionError("Target element type in list is not valid.")
    raise AssertionError(f"Target type {type(target)} is not valid.")


def _expand_target(target, n_steps):
    """Per-example targets repeated once per integration step (captum's _expand_target)."""
    if isinstance(target, list):
        return target * n_steps
    if isinstance(target, Tensor) and target.numel() > 1:
        return target.repeat(n_steps)
    return target


def _expand_args(args, n_steps):
    """Tensor arguments stacked once per integration step along dim 0; other arguments passed as they are."""
    if args is None:
        return None
    args = args if isinstance(args, tuple) else (args,)
    return tuple(a.repeat((n_steps,) + (1,) * (a.dim() - 1)) if isinstance(a, Tensor) and a.dim() else a for a in args)


def _run_forward(forward_func, inputs, target, additional_forward_args):
    args = additional_forward_args
    extra = () if args is None else args if isinstance(args, tuple) else (args,)
    return _select_targets(forward_func(*inputs, *extra), target)


def _gradients(forward_func, inputs, target, additional_forward_args):
    """d sum(F(inputs)[target]) / d inputs; the output must be one scalar per example."""
    with enable_grad():
        inputs = tuple(x.detach().requires_grad_(True) for x in inputs)
        output = _run_forward(forward_func, inputs, target, additional_forward_args)
        if output.dim() > 1 or (output.dim() == 1 and output.shape[0] != inputs[0].shape[0]):
            raise AssertionError(
                f"Target not provided when necessary, cannot take gradient with respect to "
                f"multiple outputs: the selected output has shape {list(output.shape)}, "
                f"expected one scalar per example"
            )
        return autograd_grad(output.sum(), inputs)


def _sum_rows(t):
    return t.reshape(t.shape[0], -1).sum(1)


class IntegratedGradients:
    """captum.attr.IntegratedGradients(forward_func, multiply_by_inputs=True) on ember models."""

    def __init__(self, forward_func, multiply_by_inputs=True):
        self.forward_func = forward_func
        self.multiplies_by_inputs = multiply_by_inputs

    def attribute(
        self,
        inputs,
        baselines=None,
        target=None,
        additional_forward_args=None,
        n_steps=50,
        method="gausslegendre",
        internal_batch_size=None,
        return_convergence_delta=False,
    ):
        inputs, is_tuple = _as_tuple(inputs)
        baselines = _format_baselines(baselines, inputs)
        if n_steps < 1:
            raise ValueError(f"IntegratedGradients: n_steps must be positive, got {n_steps}")
        step_sizes_func, alphas_func = approximation_parameters(method)
        step_sizes, alphas = step_sizes_func(n_steps), alphas_func(n_steps)
        n = inputs[0].shape[0]
        # chunks of whole steps: internal_batch_size bounds the examples evaluated at once
        per_chunk = n_steps if internal_batch_size is None else max(internal_batch_size // n, 1)
        totals = [None] * len(inputs)
        for start in range(0, n_steps, per_chunk):
            chunk_alphas = alphas[start : start + per_chunk]
            chunk_sizes = step_sizes[start : start + per_chunk]
            grads = self._path_gradients(inputs, baselines, target, additional_forward_args, chunk_alphas)
            for i, g in enumerate(grads):
                weighted = self._weighted_sum(g, chunk_sizes, n)
                totals[i] = weighted if totals[i] is None else totals[i] + weighted
        with no_grad():
            if self.multiplies_by_inputs:
                attributions = tuple(t * (x - b) for t, x, b in zip(totals, inputs, baselines))
            else:
                attributions = tuple(totals)
        result = attributions if is_tuple else attributions[0]
        if not return_convergence_delta:
            return result
        delta = self.compute_convergence_delta(
            attributions, baselines, inputs, target=target, additional_forward_args=additional_forward_args
        )
        return result, delta

    def _path_gradients(self, inputs, baselines, target, additional_forward_args, alphas):
        from .ops.shape import cat

        k = len(alphas)
        with no_grad():
            scaled = tuple(cat([b + float(a) * (x - b) for a in alphas], 0) for x, b in zip(inputs, baselines))
        return _gradients(
            self.forward_func, scaled, _expand_target(target, k), _expand_args(additional_forward_args, k)
        )

    @staticmethod
    def _weighted_sum(grad, step_sizes, n):
        """sum_k step_k * grad at path point k, back in the input's shape."""
        from . import _dtype
        from .ops.creation import tensor

        k = len(step_sizes)
        # float32 weights whatever the input's dtype, as captum builds them
        weights = tensor(step_sizes, dtype=_dtype.float32, device=grad.device).view(k, 1)
        flat = grad.contiguous().view(k, -1) * weights
        return flat.view((k, n) + tuple(grad.shape[1:])).sum(0)

    def compute_convergence_delta(
        self, attributions, start_point, end_point, target=None, additional_forward_args=None
    ):
        """sum(attributions) - (F(end_point) - F(start_point)) per example: zero for exact integration."""
        attributions, _ = _as_tuple(attributions)
        start_point, _ = _as_tuple(start_point)
        end_point, _ = _as_tuple(end_point)
        with no_grad():
            start = _sum_rows(_run_forward(self.forward_func, start_point, target, additional_forward_args))
            end = _sum_rows(_run_forward(self.forward_func, end_point, target, additional_forward_args))
            total = sum(_sum_rows(a) for a in attributions)
            return total - (end - start)

    def has_convergence_delta(self):
        return True


class Saliency:
    """captum.attr.Saliency: the gradient of the target output with respect to the inputs (|grad| by default)."""

    def __init__(self, forward_func):
        self.forward_func = forward_func

    def attribute(self, inputs, target=None, abs=True, additional_forward_args=None):
        inputs, is_tuple = _as_tuple(inputs)
        grads = _gradients(self.forward_func, inputs, target, additional_forward_args)
        if abs:
            grads = tuple(g.abs() for g in grads)
        return grads if is_tuple else grads[0]

    def has_convergence_delta(self):
        return False
