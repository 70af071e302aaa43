import numbers

import numpy as np

from .._tensor import Size, Tensor
from ..autograd.function import Op
from ..ops.special import standard_gamma_grad64
from . import constraints
from .distribution import Distribution
from .utils import broadcast_all, finfo_tiny

__all__ = ["Gamma"]


class StandardGamma(Op):
    """Samples of Gamma(alpha, 1) from ember's generator, differentiable in alpha by implicit
    reparameterisation (the gradient of the sample at a fixed quantile), as torch._standard_gamma."""

    @staticmethod
    def forward(ctx, alpha):
        from ..ops.creation import _rng
        from .._backend import CPU, to_device, device_of

        x = _rng(None).standard_gamma(to_device(alpha, CPU).astype(np.float64))
        # as torch, a sample is never 0 (its log must stay finite)
        x = np.maximum(x, np.finfo(alpha.dtype).tiny).astype(alpha.dtype)
        x = to_device(x, device_of(alpha))
        ctx.save_for_backward(alpha, x)
        return x

    @staticmethod
    def backward(ctx, g):
        alpha, x = ctx.saved_tensors
        grad = standard_gamma_grad64(alpha._data, x._data).astype(alpha._data.dtype)
        return g * Tensor._make(grad)


def standard_gamma(concentration):
    return StandardGamma.apply(concentration)


class Gamma(Distribution):
    """A Gamma distribution parameterized by shape `concentration` and `rate`."""

    arg_constraints = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True
    _mean_carrier_measure = 0

    @property
    def mean(self):
        return self.concentration / self.rate

    @property
    def mode(self):
        return ((self.concentration - 1) / self.rate).clamp(min=0)

    @property
    def variance(self):
        return self.concentration / self.rate.pow(2)

    def __init__(self, concentration, rate, validate_args=None):
        self.concentration, self.rate = broadcast_all(concentration, rate)
        batch_shape = (
            Size()
            if isinstance(concentration, numbers.Number) and isinstance(rate, numbers.Number)
            else self.rate.size()
        )
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Gamma, _instance)
        batch_shape = Size(batch_shape)
        new.concentration = self.concentration.expand(batch_shape)
        new.rate = self.rate.expand(batch_shape)
        Distribution.__init__(new, batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def rsample(self, sample_shape=Size()):
        shape = self._extended_shape(sample_shape)
        value = standard_gamma(self.concentration.expand(shape)) / self.rate.expand(shape)
        return value.clamp(min=finfo_tiny(value.dtype))

    def log_prob(self, value):
        from ..ops.elementwise import xlogy
        from ..ops.special import lgamma

        if self._validate_args:
            self._validate_sample(value)
        return (
            xlogy(self.concentration, self.rate)
            + xlogy(self.concentration - 1, value)
            - self.rate * value
            - lgamma(self.concentration)
        )

    def entropy(self):
        from ..ops.special import digamma, lgamma

        return (
            self.concentration
            - self.rate.log()
            + lgamma(self.concentration)
            + (1.0 - self.concentration) * digamma(self.concentration)
        )

    def cdf(self, value):
        from ..ops.special import igamma

        if self._validate_args:
            self._validate_sample(value)
        return igamma(self.concentration, self.rate * value)
