"""torch.nn.utils.parametrizations: weight_norm and spectral_norm as parametrizations (torch's state_dict keys:
parametrizations.weight.original0/original1, parametrizations.weight.original and .0._u/_v)."""

from ..._backend import array_module
from ..._tensor import Tensor
from ...autograd.function import Op
from ...autograd.grad_mode import no_grad
from ...ops.distance import normalize
from ..modules.conv import ConvTranspose1d, ConvTranspose2d, ConvTranspose3d
from ..modules.module import Module
from . import parametrize

__all__ = ["orthogonal", "spectral_norm", "weight_norm"]


def _other_axes(ndim, dim):
    return tuple(a for a in range(ndim) if a != dim) if dim != -1 else tuple(range(ndim))


def norm_except_dim(v, dim):
    """The 2-norm of v over every dim but `dim` (keeping them as 1); over all of v for dim -1."""
    return v.norm(2, dim=_other_axes(v.dim(), dim), keepdim=True) if dim != -1 else v.norm(2)


class WeightNormInterface(Op):
    """w = v * g / ||v|| (the norm over every dim but `dim`): torch's _weight_norm kernel, edges v and g."""

    @staticmethod
    def forward(ctx, v, g, dim):
        xp = array_module(v)
        axes = _other_axes(v.ndim, dim)
        norm = xp.sqrt((v * v).sum(axis=axes, keepdims=True))
        ctx.dim = dim
        ctx.save_for_backward(v, g)
        return (v * (g / norm)).astype(v.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        v, g = ctx.saved_tensors
        axes = _other_axes(v.dim(), ctx.dim)
        norm = (v * v).sum(axes, keepdim=True).sqrt()
        projection = (grad * v).sum(axes, keepdim=True)
        gv = g / norm * (grad - v * (projection / (norm * norm)))
        gg = (projection / norm).reshape(tuple(g.shape))
        return gv, gg, None


class _WeightNorm(Module):
    def __init__(self, dim=0):
        super().__init__()
        self.dim = -1 if dim is None else dim

    def forward(self, weight_g, weight_v):
        return WeightNormInterface.apply(weight_v, weight_g, self.dim % weight_v.dim() if self.dim != -1 else -1)

    def right_inverse(self, weight):
        dim = self.dim % weight.dim() if self.dim != -1 else -1
        return norm_except_dim(weight, dim), weight


def weight_norm(module, name="weight", dim=0):
    """weight = g * v / ||v||: g (original0) the norm per slice of `dim`, v (original1) the direction."""
    parametrize.register_parametrization(module, name, _WeightNorm(dim), unsafe=True)
    return module


class _SpectralNorm(Module):
    """weight / sigma, sigma the largest singular value of the weight (as a matrix over `dim`), estimated by the
    power method: n_power_iterations steps per forward in training, on the _u/_v buffers."""

    def __init__(self, weight, n_power_iterations=1, dim=0, eps=1e-12):
        super().__init__()
        ndim = weight.dim()
        if dim >= ndim or dim < -ndim:
            raise IndexError(f"Dimension out of range (expected to be in range of [-{ndim}, {ndim - 1}] but got {dim})")
        if n_power_iterations <= 0:
            raise ValueError(
                f"Expected n_power_iterations to be positive, but got n_power_iterations={n_power_iterations}"
            )
        self.dim = dim if dim >= 0 else dim + ndim
        self.eps = eps
        if ndim > 1:
            self.n_power_iterations = n_power_iterations
            matrix = self._reshape_weight_to_matrix(weight)
            h, w = matrix.shape
            self.register_buffer("_u", normalize(matrix.new_empty(h).normal_(0, 1), dim=0, eps=self.eps))
            self.register_buffer("_v", normalize(matrix.new_empty(w).normal_(0, 1), dim=0, eps=self.eps))
            self._power_method(matrix, 15)

    def _reshape_weight_to_matrix(self, weight):
        if self.dim != 0:
            weight = weight.permute(self.dim, *(d for d in range(weight.dim()) if d != self.dim))
        return weight.flatten(1)

    def _power_method(self, matrix, n_power_iterations):
        with no_grad():
            for _ in range(n_power_iterations):
                self._u.copy_(normalize(matrix.mv(self._v), dim=0, eps=self.eps))
                self._v.copy_(normalize(matrix.t().mv(self._u), dim=0, eps=self.eps))

    def forward(self, weight):
        if weight.dim() == 1:
            return normalize(weight, dim=0, eps=self.eps)
        matrix = self._reshape_weight_to_matrix(weight)
        if self.training:
            self._power_method(matrix, self.n_power_iterations)
        u, v = self._u.clone(), self._v.clone()
        sigma = u.dot(matrix.mv(v))
        return weight / sigma

    def right_inverse(self, value):
        return value


def spectral_norm(module, name="weight", n_power_iterations=1, eps=1e-12, dim=None):
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if dim is None:
        dim = 1 if isinstance(module, (ConvTranspose1d, ConvTranspose2d, ConvTranspose3d)) else 0
    parametrize.register_parametrization(module, name, _SpectralNorm(weight, n_power_iterations, dim, eps))
    return module


def orthogonal(module, name="weight", orthogonal_map=None, *, use_trivialization=True):
    raise NotImplementedError(
        "nn.utils.parametrizations.orthogonal is not implemented in ember yet (it needs the "
        "matrix exponential, Cayley and Householder maps)"
    )
