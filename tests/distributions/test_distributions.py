"""torch.distributions against torch: log_prob, entropy, moments, cdf/icdf and kl_divergence values and
gradients on the same parameters; samples (ember's generator, not torch's stream) tested statistically."""

import math

import numpy as np
import pytest

import ember
from oracle import check, torch

RNG = np.random.default_rng(7)


def _u(low, high, *shape):
    return RNG.uniform(low, high, size=shape)


def _spd(n, batch=()):
    a = RNG.standard_normal(batch + (n, n))
    return a @ np.swapaxes(a, -1, -2) + n * np.eye(n)


# name: (make(T, *params), params as arrays, values for log_prob as arrays, methods)
MOMENTS = ("mean", "mode", "variance", "stddev")
SPECS = {
    "Normal": (
        lambda D, loc, scale: D.Normal(loc, scale),
        [_u(-1, 1, 3), _u(0.5, 2, 3)],
        [_u(-2, 2, 4, 3)],
        MOMENTS + ("entropy", "cdf", "icdf"),
    ),
    "Normal-scalar-bcast": (lambda D, loc: D.Normal(loc, 2.0), [_u(-1, 1, 2, 3)], [_u(-2, 2, 3)], ("entropy", "cdf")),
    "Bernoulli-probs": (
        lambda D, p: D.Bernoulli(probs=p),
        [_u(0.05, 0.95, 4)],
        [np.array([0.0, 1.0, 1.0, 0.0])],
        MOMENTS + ("entropy", "enumerate_support"),
    ),
    "Bernoulli-logits": (
        lambda D, lg: D.Bernoulli(logits=lg),
        [_u(-3, 3, 2, 3)],
        [np.array([1.0, 0.0, 1.0])],
        ("mean", "variance", "entropy"),
    ),
    "Categorical-probs": (
        lambda D, p: D.Categorical(probs=p),
        [_u(0.1, 1, 3, 4)],
        [np.array([0, 3, 1])],
        ("mode", "entropy", "enumerate_support"),
    ),
    "Categorical-logits": (
        lambda D, lg: D.Categorical(logits=lg),
        [_u(-2, 2, 2, 5)],
        [np.array([[4, 0], [1, 2], [3, 3]])],
        ("entropy", "mode"),
    ),
    "OneHotCategorical": (
        lambda D, lg: D.OneHotCategorical(logits=lg),
        [_u(-2, 2, 2, 3)],
        [np.eye(3)[[0, 2]]],
        MOMENTS[:3] + ("entropy", "enumerate_support"),
    ),
    "Uniform": (
        lambda D, lo, w: D.Uniform(lo, lo + w),
        [_u(-1, 0, 3), _u(1.5, 2, 3)],
        [_u(0, 0.45, 2, 3)],
        ("mean", "variance", "stddev", "entropy", "cdf", "icdf"),
    ),
    "Exponential": (
        lambda D, r: D.Exponential(r),
        [_u(0.5, 2, 3)],
        [_u(0.1, 3, 2, 3)],
        MOMENTS + ("entropy", "cdf", "icdf"),
    ),
    "Laplace": (
        lambda D, loc, scale: D.Laplace(loc, scale),
        [_u(-1, 1, 3), _u(0.5, 2, 3)],
        [_u(-2, 2, 2, 3)],
        MOMENTS + ("entropy", "cdf", "icdf"),
    ),
    "Gamma": (
        lambda D, a, r: D.Gamma(a, r),
        [_u(0.5, 3, 3), _u(0.5, 2, 3)],
        [_u(0.1, 4, 2, 3)],
        MOMENTS + ("entropy",),
    ),
    "Beta": (
        lambda D, a, b: D.Beta(a, b),
        [_u(0.5, 3, 3), _u(1.5, 3, 3)],
        [_u(0.05, 0.95, 2, 3)],
        MOMENTS + ("entropy",),
    ),
    "Dirichlet": (
        lambda D, a: D.Dirichlet(a),
        [_u(1.5, 3, 2, 3)],
        [np.array([[0.2, 0.5, 0.3], [0.6, 0.1, 0.3]])],
        MOMENTS[:3] + ("entropy",),
    ),
    "LogNormal": (
        lambda D, loc, scale: D.LogNormal(loc, scale),
        [_u(-1, 1, 3), _u(0.5, 1.5, 3)],
        [_u(0.1, 4, 2, 3)],
        MOMENTS + ("entropy", "cdf", "icdf"),
    ),
    "Poisson": (lambda D, r: D.Poisson(r), [_u(0.5, 5, 3)], [np.array([[0.0, 3.0, 7.0], [1.0, 1.0, 2.0]])], MOMENTS),
    "Binomial": (
        lambda D, p: D.Binomial(7, probs=p),
        [_u(0.1, 0.9, 3)],
        [np.array([[0.0, 3.0, 7.0]])],
        ("mean", "mode", "variance", "entropy", "enumerate_support"),
    ),
    "Binomial-logits": (
        lambda D, lg: D.Binomial(lg.new_tensor([4.0, 6.0, 9.0]), logits=lg),
        [_u(-2, 2, 3)],
        [np.array([2.0, 6.0, 0.0])],
        ("mean", "variance"),
    ),
    "MultivariateNormal-cov": (
        lambda D, loc, cov: D.MultivariateNormal(loc, covariance_matrix=cov),
        [_u(-1, 1, 2, 3), _spd(3)],
        [_u(-2, 2, 4, 2, 3)],
        MOMENTS[:3] + ("entropy",),
    ),
    "MultivariateNormal-precision": (
        lambda D, loc, p: D.MultivariateNormal(loc, precision_matrix=p),
        [_u(-1, 1, 3), _spd(3, (2,))],
        [_u(-2, 2, 2, 3)],
        ("variance", "entropy"),
    ),
    "MultivariateNormal-tril": (
        lambda D, loc, a: D.MultivariateNormal(
            loc, scale_tril=a.tril(-1) + 2 * a.new_ones(3).diag_embed() + a.diagonal(0, -2, -1).abs().diag_embed()
        ),
        [_u(-1, 1, 3), _u(-1, 1, 3, 3)],
        [_u(-2, 2, 3)],
        ("variance", "entropy"),
    ),
    "Independent": (
        lambda D, loc, scale: D.Independent(D.Normal(loc, scale), 1),
        [_u(-1, 1, 2, 3), _u(0.5, 2, 2, 3)],
        [_u(-2, 2, 2, 3)],
        MOMENTS + ("entropy",),
    ),
    "Cauchy": (
        lambda D, loc, scale: D.Cauchy(loc, scale),
        [_u(-1, 1, 3), _u(0.5, 2, 3)],
        [_u(-3, 3, 2, 3)],
        ("mode", "entropy", "cdf", "icdf"),
    ),
    "HalfNormal": (
        lambda D, scale: D.HalfNormal(scale),
        [_u(0.5, 2, 3)],
        [_u(0.1, 3, 2, 3)],
        MOMENTS + ("entropy", "cdf", "icdf"),
    ),
    "Geometric": (
        lambda D, p: D.Geometric(p),
        [_u(0.1, 0.9, 3)],
        [np.array([[0.0, 2.0, 5.0]])],
        MOMENTS + ("entropy",),
    ),
    "Geometric-logits": (
        lambda D, lg: D.Geometric(logits=lg),
        [_u(-2, 2, 3)],
        [np.array([1.0, 0.0, 3.0])],
        ("mean", "entropy"),
    ),
    "Multinomial": (
        lambda D, p: D.Multinomial(6, p),
        [_u(0.1, 1, 2, 3)],
        [np.array([[1.0, 2.0, 3.0], [0, 6, 0]])],
        ("mean", "variance"),
    ),
    "Chi2": (lambda D, df: D.Chi2(df), [_u(1, 5, 3)], [_u(0.1, 6, 2, 3)], MOMENTS + ("entropy",)),
    "StudentT": (
        lambda D, df, loc, scale: D.StudentT(df, loc, scale),
        [_u(2.5, 6, 3), _u(-1, 1, 3), _u(0.5, 2, 3)],
        [_u(-3, 3, 2, 3)],
        MOMENTS + ("entropy",),
    ),
    "Gumbel": (
        lambda D, loc, scale: D.Gumbel(loc, scale),
        [_u(-1, 1, 3), _u(0.5, 2, 3)],
        [_u(-2, 4, 2, 3)],
        MOMENTS + ("entropy", "cdf"),
    ),
    "MixtureSameFamily": (
        lambda D, lg, loc, scale: D.MixtureSameFamily(D.Categorical(logits=lg), D.Normal(loc, scale)),
        [_u(-1, 1, 2, 4), _u(-2, 2, 2, 4), _u(0.5, 1.5, 2, 4)],
        [_u(-3, 3, 5, 2)],
        ("mean", "variance", "cdf"),
    ),
    "MixtureSameFamily-mvn": (
        lambda D, lg, loc: D.MixtureSameFamily(D.Categorical(logits=lg), D.Independent(D.Normal(loc, 1.0), 1)),
        [_u(-1, 1, 3), _u(-2, 2, 3, 2)],
        [_u(-3, 3, 4, 2)],
        ("mean", "variance"),
    ),
    "RelaxedBernoulli": (
        lambda D, lg: D.RelaxedBernoulli(lg.new_full((), 0.7), logits=lg),
        [_u(-2, 2, 3)],
        [_u(0.05, 0.95, 2, 3)],
        (),
    ),
    "RelaxedOneHotCategorical": (
        lambda D, p: D.RelaxedOneHotCategorical(p.new_full((), 0.5), probs=p),
        [_u(0.1, 1, 2, 3)],
        [np.array([[0.2, 0.5, 0.3], [0.6, 0.1, 0.3]])],
        (),
    ),
    "Tanh-squashed-Normal": (
        lambda D, loc, scale: D.TransformedDistribution(D.Normal(loc, scale), [D.TanhTransform()]),
        [_u(-1, 1, 3), _u(0.5, 1.5, 3)],
        [_u(-0.9, 0.9, 2, 3)],
        ("cdf",),
    ),
    "Affine-Exp-Sigmoid": (
        lambda D, loc, scale: D.TransformedDistribution(
            D.Normal(loc, scale),
            [D.AffineTransform(0.5, -2.0), D.SigmoidTransform(), D.ExpTransform(), D.PowerTransform(2.0)],
        ),
        [_u(-1, 1, 3), _u(0.5, 1.5, 3)],
        [_u(1.1, 2.5, 2, 3)],
        ("cdf",),
    ),
}


def _evaluate(make, methods):
    def fn(T, *tensors):
        params, values = tensors[:-1], tensors[-1]
        dist = make(T.distributions, *params)
        out = [dist.log_prob(values)]
        for m in methods:
            if m in MOMENTS:
                out.append(getattr(dist, m))
            elif m == "entropy":
                out.append(dist.entropy())
            elif m == "cdf":
                out.append(dist.cdf(values))
            elif m == "icdf":
                out.append(dist.icdf(dist.cdf(values)))
            elif m == "enumerate_support":
                out.extend([dist.enumerate_support(), dist.enumerate_support(expand=False)])
        out = [
            o.float() if o.dtype is T.int64 and m != "enumerate_support" else o
            for o, m in zip(out, ["log_prob"] + list(methods))
        ]
        assert tuple(dist.batch_shape) == tuple(make(T.distributions, *params).batch_shape)
        return out

    return fn


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("name", list(SPECS))
def test_distribution_values_and_gradients_match_torch(name, dtype):
    make, params, values, methods = SPECS[name]
    arrays = [p.astype(dtype) for p in params] + [v.astype(dtype) if v.dtype.kind == "f" else v for v in values]
    if name.startswith("Categorical"):
        arrays[-1] = values[0]
    check(_evaluate(make, methods), arrays=arrays, dtype=dtype, rtol={np.float32: 2e-5}, grad_rtol=_GRAD_RTOL)


# entropies and KLs of Beta/Dirichlet/Gamma differentiate digamma: torch's float64 trigamma is good to ~1e-10
_GRAD_RTOL = {np.float32: 1e-4, np.float64: 1e-8}


def test_gamma_cdf_matches_torch():
    # torch has no derivative of the incomplete gamma function in the shape, so values only
    check(
        lambda T, a, r, x: T.distributions.Gamma(a, r).cdf(x),
        arrays=[_u(0.5, 3, 3), _u(0.5, 2, 3), _u(0.1, 4, 2, 3)],
        grad=False,
    )


@pytest.mark.parametrize("name", list(SPECS))
def test_shapes_and_repr_match_torch(name):
    make, params, _, _ = SPECS[name]
    ours = make(ember.distributions, *[ember.tensor(p) for p in params])
    theirs = make(torch.distributions, *[torch.tensor(p) for p in params])
    assert tuple(ours.batch_shape) == tuple(theirs.batch_shape)
    assert tuple(ours.event_shape) == tuple(theirs.event_shape)
    assert repr(ours) == repr(theirs)
    assert repr(ours.support) == repr(theirs.support)
    assert ours.has_rsample == theirs.has_rsample
    for sample_shape in ((), (2,), (4, 1)):
        assert tuple(ours.sample(sample_shape).shape) == tuple(theirs.sample(sample_shape).shape)
    expanded_shape = (5,) + tuple(ours.batch_shape)
    assert tuple(ours.expand(expanded_shape).sample().shape) == tuple(theirs.expand(expanded_shape).sample().shape)


# --- sampling: moments of many draws --------------------------------------------------------------------

SAMPLED = [
    ("Normal", lambda D: D.Normal(ember.tensor([0.5, -1.0]), ember.tensor([1.0, 0.3]))),
    ("Bernoulli", lambda D: D.Bernoulli(ember.tensor([0.2, 0.7]))),
    ("Categorical", lambda D: D.Categorical(ember.tensor([0.1, 0.6, 0.3]))),
    ("Uniform", lambda D: D.Uniform(-1.0, 3.0)),
    ("Exponential", lambda D: D.Exponential(ember.tensor([0.5, 2.0]))),
    ("Laplace", lambda D: D.Laplace(1.0, 0.5)),
    ("Gamma", lambda D: D.Gamma(ember.tensor([0.3, 4.0]), ember.tensor([1.0, 2.0]))),
    ("Beta", lambda D: D.Beta(ember.tensor([0.5, 3.0]), ember.tensor([2.0, 1.5]))),
    ("Dirichlet", lambda D: D.Dirichlet(ember.tensor([0.5, 2.0, 3.0]))),
    ("LogNormal", lambda D: D.LogNormal(0.2, 0.4)),
    ("Poisson", lambda D: D.Poisson(ember.tensor([0.5, 7.0]))),
    ("Binomial", lambda D: D.Binomial(10, ember.tensor([0.3, 0.9]))),
    (
        "MultivariateNormal",
        lambda D: D.MultivariateNormal(ember.tensor([1.0, -1.0]), ember.tensor([[2.0, 0.6], [0.6, 0.5]])),
    ),
    ("OneHotCategorical", lambda D: D.OneHotCategorical(ember.tensor([0.2, 0.8]))),
    ("HalfNormal", lambda D: D.HalfNormal(ember.tensor([0.5, 2.0]))),
    ("Geometric", lambda D: D.Geometric(ember.tensor([0.3, 0.8]))),
    ("Multinomial", lambda D: D.Multinomial(5, ember.tensor([0.2, 0.5, 0.3]))),
    ("Chi2", lambda D: D.Chi2(ember.tensor([1.0, 4.0]))),
    ("StudentT", lambda D: D.StudentT(ember.tensor([5.0, 9.0]), 1.0, 2.0)),
    ("Gumbel", lambda D: D.Gumbel(ember.tensor([0.0, 2.0]), 1.5)),
    (
        "MixtureSameFamily",
        lambda D: D.MixtureSameFamily(
            D.Categorical(ember.tensor([0.3, 0.7])), D.Normal(ember.tensor([-1.0, 2.0]), ember.tensor([0.5, 1.0]))
        ),
    ),
]


@pytest.mark.parametrize("name,make", SAMPLED, ids=[s[0] for s in SAMPLED])
def test_sample_moments_match_the_distribution(name, make):
    dist = make(ember.distributions)
    n = 40000
    x = dist.sample((n,)).double()
    mean, var = dist.mean.double(), dist.variance.double()
    if name == "Categorical":
        mean = (dist.probs * ember.arange(3)).sum().double()
        var = (dist.probs * ember.arange(3) ** 2).sum().double() - mean**2
    # the sample mean is within 5 standard errors; the sample variance within 10% (+ a little for tiny ones)
    np.testing.assert_array_less(np.abs((x.mean(0) - mean).numpy()), 5 * np.sqrt(var.numpy() / n) + 1e-12)
    np.testing.assert_allclose(x.var(0).numpy(), var.numpy(), rtol=0.1, atol=1e-3)
    assert bool(dist.support.check(dist.sample((100,))).all())


def test_samples_follow_ember_manual_seed():
    d = ember.distributions.Gamma(ember.tensor([2.0, 0.5]), 1.0)
    ember.manual_seed(3)
    a = d.sample((5,))
    ember.manual_seed(3)
    assert bool((d.sample((5,)) == a).all())


# --- rsample: reparameterised gradients ---------------------------------------------------------------------


def test_normal_and_friends_rsample_gradients_are_the_reparameterisation():
    loc = ember.tensor([0.5, -1.0], requires_grad=True)
    scale = ember.tensor([2.0, 0.5], requires_grad=True)
    x = ember.distributions.Normal(loc, scale).rsample((3,))
    x.sum().backward()
    np.testing.assert_allclose(loc.grad.numpy(), [3.0, 3.0])
    np.testing.assert_allclose(scale.grad.numpy(), ((x - loc) / scale).detach().sum(0).numpy(), rtol=1e-6)


def test_gamma_rsample_gradient_is_torchs_implicit_reparameterisation():
    alpha = ember.tensor(np.geomspace(0.05, 50, 40), dtype=ember.float64, requires_grad=True)
    x = ember.distributions.Gamma(alpha, 1.0).rsample()
    x.sum().backward()
    expected = torch._standard_gamma_grad(torch.tensor(alpha.detach().numpy()), torch.tensor(x.detach().numpy()))
    # torch's approximation is itself good to ~5e-4 (ember differentiates the incomplete gamma function)
    np.testing.assert_allclose(alpha.grad.numpy(), expected.numpy(), rtol=2e-3)


@pytest.mark.parametrize(
    "make,mean_grad",
    [
        (lambda a, b: ember.distributions.Beta(a, b), lambda a, b: (b / (a + b) ** 2, -a / (a + b) ** 2)),
        (lambda a, b: ember.distributions.Gamma(a, b), lambda a, b: (1 / b, -a / b**2)),
    ],
)
def test_rsample_gradient_is_unbiased_for_the_mean(make, mean_grad):
    a = ember.tensor(1.5, dtype=ember.float64, requires_grad=True)
    b = ember.tensor(2.5, dtype=ember.float64, requires_grad=True)
    make(a, b).rsample((50000,)).mean().backward()
    np.testing.assert_allclose([a.grad.item(), b.grad.item()], mean_grad(1.5, 2.5), rtol=0.03)


def test_dirichlet_rsample_gradient_is_unbiased_for_the_mean():
    conc = ember.tensor([1.0, 2.0, 3.0], dtype=ember.float64, requires_grad=True)
    x = ember.distributions.Dirichlet(conc).rsample((50000,))
    x[:, 0].mean().backward()
    # d/d alpha_j of alpha_0 / sum(alpha)
    np.testing.assert_allclose(conc.grad.numpy(), [5 / 36, -1 / 36, -1 / 36], rtol=0.05, atol=2e-3)


def test_tanh_normal_policy_log_prob_as_sac_computes_it():
    # rsample through TanhTransform(cache_size=1) and log_prob of that sample reuse the cached pre-image
    loc = ember.zeros(4, requires_grad=True)
    scale = ember.ones(4, requires_grad=True)
    dist = ember.distributions.TransformedDistribution(
        ember.distributions.Normal(loc, scale), [ember.distributions.TanhTransform(cache_size=1)]
    )
    action = dist.rsample()
    log_prob = dist.log_prob(action).sum()
    pre = action.detach().atanh()
    expected = torch.distributions.Normal(0.0, 1.0).log_prob(torch.tensor(pre.numpy())) - torch.log(
        1 - torch.tanh(torch.tensor(pre.numpy())) ** 2
    )
    np.testing.assert_allclose(log_prob.item(), expected.sum().item(), rtol=1e-4)
    log_prob.backward()
    assert loc.grad is not None and scale.grad is not None


@pytest.mark.parametrize(
    "make",
    [
        lambda D, lg: D.RelaxedOneHotCategorical(ember.tensor(0.5), logits=lg),
        lambda D, lg: D.RelaxedBernoulli(ember.tensor(0.3), logits=lg),
        lambda D, lg: D.OneHotCategoricalStraightThrough(logits=lg),
        lambda D, lg: D.StudentT(lg.exp() + 2.0),
        lambda D, lg: D.Cauchy(lg, 1.0),
    ],
)
def test_relaxed_and_other_rsamples_lie_in_the_support_and_carry_gradients(make):
    logits = ember.tensor([0.5, -1.0, 2.0], requires_grad=True)
    dist = make(ember.distributions, logits)
    x = dist.rsample((100,))
    assert bool(dist.support.check(x).all())
    (x * ember.arange(3.0)).sum().backward()
    assert logits.grad is not None and bool(logits.grad.isfinite().all())


def test_no_rsample_for_discrete_distributions():
    with pytest.raises(NotImplementedError):
        ember.distributions.Bernoulli(0.3).rsample()


# --- kl_divergence -------------------------------------------------------------------------------------------

KL_PAIRS = [
    ("Normal", lambda D, a, b, c, d: (D.Normal(a, b), D.Normal(c, d)), [_u(-1, 1, 3), _u(0.5, 2, 3)] * 2),
    ("Bernoulli", lambda D, p, q: (D.Bernoulli(p), D.Bernoulli(logits=q)), [_u(0.1, 0.9, 3), _u(-2, 2, 3)]),
    ("Categorical", lambda D, p, q: (D.Categorical(p), D.Categorical(logits=q)), [_u(0.1, 1, 2, 4), _u(-2, 2, 4)]),
    (
        "OneHotCategorical",
        lambda D, p, q: (D.OneHotCategorical(p), D.OneHotCategorical(q)),
        [_u(0.1, 1, 2, 4), _u(0.1, 1, 4)],
    ),
    ("Uniform", lambda D, a, b: (D.Uniform(a, a + 1), D.Uniform(b - 2, b + 2)), [_u(0, 1, 3), _u(0, 1, 3)]),
    ("Exponential", lambda D, a, b: (D.Exponential(a), D.Exponential(b)), [_u(0.5, 2, 3)] * 2),
    ("Laplace", lambda D, a, b, c, d: (D.Laplace(a, b), D.Laplace(c, d)), [_u(-1, 1, 3), _u(0.5, 2, 3)] * 2),
    ("Gamma", lambda D, a, b, c, d: (D.Gamma(a, b), D.Gamma(c, d)), [_u(0.5, 3, 3), _u(0.5, 2, 3)] * 2),
    ("Beta", lambda D, a, b, c, d: (D.Beta(a, b), D.Beta(c, d)), [_u(0.5, 3, 3), _u(0.5, 3, 3)] * 2),
    ("Dirichlet", lambda D, a, b: (D.Dirichlet(a), D.Dirichlet(b)), [_u(0.5, 3, 2, 3), _u(0.5, 3, 3)]),
    ("Poisson", lambda D, a, b: (D.Poisson(a), D.Poisson(b)), [_u(0.5, 5, 3)] * 2),
    ("Binomial", lambda D, p, q: (D.Binomial(5, p), D.Binomial(5, q)), [_u(0.1, 0.9, 3)] * 2),
    (
        "MultivariateNormal",
        lambda D, a, s, b, t: (D.MultivariateNormal(a, s), D.MultivariateNormal(b, scale_tril=t)),
        [_u(-1, 1, 2, 3), _spd(3), _u(-1, 1, 3), np.linalg.cholesky(_spd(3, (2,)))],
    ),
    (
        "Independent",
        lambda D, a, b: (D.Independent(D.Normal(a, 1.0), 1), D.Independent(D.Normal(b, 2.0), 1)),
        [_u(-1, 1, 2, 3)] * 2,
    ),
    ("LogNormal", lambda D, a, b: (D.LogNormal(a, 1.0), D.LogNormal(b, 0.5)), [_u(-1, 1, 3)] * 2),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("name,make,params", KL_PAIRS, ids=[k[0] for k in KL_PAIRS])
def test_kl_divergence_matches_torch(name, make, params, dtype):
    check(
        lambda T, *ps: T.distributions.kl_divergence(*make(T.distributions, *ps)),
        arrays=[p.astype(dtype) for p in params],
        dtype=dtype,
        rtol={np.float32: 2e-5},
        grad_rtol=_GRAD_RTOL,
    )


def test_kl_divergence_infinite_where_supports_differ():
    check(
        lambda T, a: T.distributions.kl_divergence(
            T.distributions.Uniform(a, a + 3), T.distributions.Uniform(0.0, 1.0)
        ),
        arrays=[_u(0, 0.5, 3)],
        grad=False,
    )


def test_unregistered_kl_pair_raises_and_register_kl_adds_one():
    D = ember.distributions
    with pytest.raises(NotImplementedError):
        D.kl_divergence(D.Normal(0.0, 1.0), D.Exponential(1.0))

    class MyNormal(D.Normal):
        pass

    @D.register_kl(MyNormal, D.Exponential)
    def _kl(p, q):
        return p.loc * 0 + 42.0

    assert D.kl_divergence(MyNormal(0.0, 1.0), D.Exponential(1.0)).item() == 42.0
    # a subclass falls back to its parent's pair
    assert D.kl_divergence(MyNormal(0.0, 1.0), D.Normal(0.0, 1.0)).item() == 0.0


# --- validation ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call",
    [
        lambda D, T: D.Normal(0.0, -1.0),
        lambda D, T: D.Bernoulli(probs=T.tensor(1.5)),
        lambda D, T: D.Bernoulli(probs=0.3, logits=0.1),
        lambda D, T: D.Categorical(probs=T.tensor([0.5, -0.1])),
        lambda D, T: D.Uniform(1.0, 0.0),
        lambda D, T: D.Gamma(T.tensor([1.0, -2.0]), 1.0),
        lambda D, T: D.Dirichlet(T.tensor([1.0, 0.0])),
        lambda D, T: D.MultivariateNormal(T.zeros(2), T.tensor([[1.0, 2.0], [2.0, 1.0]])),
        lambda D, T: D.MultivariateNormal(T.zeros(2)),
        lambda D, T: D.Bernoulli(0.3).log_prob(T.tensor(0.5)),
        lambda D, T: D.Categorical(T.ones(3)).log_prob(T.tensor(3)),
        lambda D, T: D.Exponential(1.0).log_prob(T.tensor(-1.0)),
        lambda D, T: D.Normal(T.zeros(3), 1.0).log_prob(T.zeros(2)),
        lambda D, T: D.Dirichlet(T.ones(3)).log_prob(T.tensor([0.5, 0.6, 0.1])),
        lambda D, T: D.Beta(2.0, 2.0).log_prob(T.tensor(1.5)),
    ],
)
def test_invalid_arguments_raise_value_error_as_torch(call):
    with pytest.raises(ValueError) as theirs:
        call(torch.distributions, torch)
    with pytest.raises(ValueError) as ours:
        call(ember.distributions, ember)
    assert str(ours.value).split(":")[0] == str(theirs.value).split(":")[0]


def test_validation_can_be_turned_off():
    D = ember.distributions
    assert math.isnan(D.Normal(0.0, -1.0, validate_args=False).log_prob(ember.tensor(0.0)).item())
    D.Distribution.set_default_validate_args(False)
    try:
        D.Bernoulli(0.3).log_prob(ember.tensor(0.5))
    finally:
        D.Distribution.set_default_validate_args(True)


def test_constraints_print_and_check_as_torch():
    values = torch.tensor([[-1.0, 0.0, 0.5], [1.0, 2.0, 0.3]])
    for name in (
        "real",
        "positive",
        "nonnegative",
        "unit_interval",
        "boolean",
        "nonnegative_integer",
        "simplex",
        "real_vector",
        "lower_cholesky",
        "positive_definite",
    ):
        ours, theirs = getattr(ember.distributions.constraints, name), getattr(torch.distributions.constraints, name)
        assert repr(ours) == repr(theirs)
        if ours.event_dim < 2:
            assert ours.check(ember.tensor(values.numpy())).tolist() == theirs.check(values).tolist(), name
    for make in (
        lambda c: c.interval(0.0, 1.0),
        lambda c: c.greater_than(1.0),
        lambda c: c.integer_interval(0, 3),
        lambda c: c.half_open_interval(0, 1),
        lambda c: c.independent(c.real, 1),
    ):
        assert repr(make(ember.distributions.constraints)) == repr(make(torch.distributions.constraints))
