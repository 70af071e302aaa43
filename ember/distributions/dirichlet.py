from .._tensor import Size
from . import constraints
from .distribution import Distribution
from .gamma import standard_gamma
from .utils import finfo_tiny

__all__ = ["Dirichlet"]


class Dirichlet(Distribution):
    """A Dirichlet distribution parameterized by concentration (the last dimension indexes the events)."""

    arg_constraints = {"concentration": constraints.independent(constraints.positive, 1)}
    support = constraints.simplex
    has_rsample = True

    def __init__(self, concentration, validate_args=None):
        if concentration.dim() < 1:
            raise ValueError("`concentration` parameter must be at least one-dimensional.")
        self.concentration = concentration
        batch_shape, event_shape = concentration.shape[:-1], concentration.shape[-1:]
        super().__init__(batch_shape, event_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Dirichlet, _instance)
        batch_shape = Size(batch_shape)
        new.concentration = self.concentration.expand(batch_shape + self.event_shape)
        Distribution.__init__(new, batch_shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def rsample(self, sample_shape=()):
        # normalised Gamma draws: each Gamma is reparameterised, so the simplex sample is too
        shape = self._extended_shape(sample_shape)
        gammas = standard_gamma(self.concentration.expand(shape))
        sample = gammas / gammas.sum(-1, keepdim=True)
        tiny = finfo_tiny(sample.dtype)
        return sample.clamp(min=tiny, max=1 - tiny)

    def log_prob(self, value):
        from ..ops.elementwise import xlogy
        from ..ops.special import lgamma

        if self._validate_args:
            self._validate_sample(value)
        return (
            xlogy(self.concentration - 1.0, value).sum(-1)
            + lgamma(self.concentration.sum(-1))
            - lgamma(self.concentration).sum(-1)
        )

    @property
    def mean(self):
        return self.concentration / self.concentration.sum(-1, keepdim=True)

    @property
    def mode(self):
        from ..ops.elementwise import where

        concentrationm1 = (self.concentration - 1).clamp(min=0.0)
        mode = concentrationm1 / concentrationm1.sum(-1, True)
        mask = (self.concentration < 1).all(dim=-1)
        if bool(mask.any()):
            from ..nn.functional import one_hot

            corner = one_hot(self.concentration.argmax(-1), concentrationm1.shape[-1]).to(mode.dtype)
            mode = where(mask.unsqueeze(-1), corner, mode)
        return mode

    @property
    def variance(self):
        con0 = self.concentration.sum(-1, True)
        return self.concentration * (con0 - self.concentration) / (con0.pow(2) * (con0 + 1))

    def entropy(self):
        from ..ops.special import digamma, lgamma

        k = self.concentration.shape[-1]
        a0 = self.concentration.sum(-1)
        return (
            lgamma(self.concentration).sum(-1)
            - lgamma(a0)
            - (k - a0) * digamma(a0)
            - ((self.concentration - 1.0) * digamma(self.concentration)).sum(-1)
        )
