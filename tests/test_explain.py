"""ember.explain against Captum on the same small CNN (identical weights)."""

import numpy as np
import pytest

import ember
from ember.explain import IntegratedGradients, Saliency, approximation_parameters

torch = pytest.importorskip("torch")
captum_attr = pytest.importorskip("captum.attr")
pytestmark = pytest.mark.filterwarnings("ignore:Input Tensor.*did not already require gradients:UserWarning")


def _cnn(T):
    T.manual_seed(0)
    return T.nn.Sequential(
        T.nn.Conv2d(1, 4, 3, padding=1),
        T.nn.ReLU(),
        T.nn.MaxPool2d(2),
        T.nn.Conv2d(4, 6, 3),
        T.nn.Tanh(),
        T.nn.Flatten(),
        T.nn.Linear(6 * 2 * 2, 3),
        T.nn.Softmax(dim=1),
    )


@pytest.fixture(scope="module")
def models():
    ours, ref = _cnn(ember), _cnn(torch)
    ours.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in ref.state_dict().items()})
    return ours.eval(), ref.eval()


@pytest.fixture(scope="module")
def images():
    return np.random.RandomState(1).rand(3, 1, 8, 8).astype(np.float32)


def _close(a, b, atol=1e-4):
    np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), atol=atol, rtol=1e-3)


@pytest.mark.parametrize(
    "method,n_steps",
    [
        ("gausslegendre", 50),
        ("gausslegendre", 7),
        ("riemann_trapezoid", 20),
        ("riemann_left", 10),
        ("riemann_right", 10),
        ("riemann_middle", 16),
    ],
)
def test_integrated_gradients_equal_captum(models, images, method, n_steps):
    ours, ref = models
    baseline = np.full_like(images, 0.25)
    attr, delta = IntegratedGradients(ours).attribute(
        ember.tensor(images),
        ember.tensor(baseline),
        target=1,
        n_steps=n_steps,
        method=method,
        return_convergence_delta=True,
    )
    ref_attr, ref_delta = captum_attr.IntegratedGradients(ref).attribute(
        torch.tensor(images),
        torch.tensor(baseline),
        target=1,
        n_steps=n_steps,
        method=method,
        return_convergence_delta=True,
    )
    assert attr.shape == ref_attr.shape and attr.dtype == ember.float32
    _close(attr, ref_attr)
    _close(delta, ref_delta)


@pytest.mark.parametrize("target", [[0, 2, 1], (2,)], ids=["per-example-list", "tuple"])
def test_targets_batches_and_scalar_baselines(models, images, target):
    ours, ref = models
    kwargs = dict(baselines=0.1, target=target, n_steps=24, internal_batch_size=10)
    attr = IntegratedGradients(ours).attribute(ember.tensor(images), **kwargs)
    ref_attr = captum_attr.IntegratedGradients(ref).attribute(torch.tensor(images), **kwargs)
    _close(attr, ref_attr)


def test_tensor_target_and_additional_forward_args(images):
    """Two inputs (a tuple), a Tensor of targets and an extra per-example argument repeated along the path."""

    def forward(T):
        def f(x, y, scale):
            return (x.flatten(1)[:, :3] * y).tanh() * scale

        return f

    x, y, scale = (
        images,
        np.random.RandomState(2).rand(3, 3).astype(np.float32),
        np.array([[1.0], [2.0], [3.0]], np.float32),
    )
    ours = IntegratedGradients(forward(ember)).attribute(
        (ember.tensor(x), ember.tensor(y)),
        target=ember.tensor([0, 2, 1]),
        additional_forward_args=(ember.tensor(scale),),
        n_steps=12,
    )
    ref = captum_attr.IntegratedGradients(forward(torch)).attribute(
        (torch.tensor(x), torch.tensor(y)),
        target=torch.tensor([0, 2, 1]),
        additional_forward_args=(torch.tensor(scale),),
        n_steps=12,
    )
    assert isinstance(ours, tuple) and len(ours) == 2
    for a, b in zip(ours, ref):
        _close(a, b)


def test_completeness(models, images):
    """Attributions add up to F(x) - F(baseline): the delta vanishes as the quadrature gets finer."""
    ours, _ = models
    x = ember.tensor(images)
    ig = IntegratedGradients(ours)
    attr, delta = ig.attribute(x, target=2, n_steps=200, return_convergence_delta=True)
    with ember.no_grad():
        gap = ours(x)[:, 2] - ours(ember.zeros_like(x))[:, 2]
    np.testing.assert_allclose(attr.sum((1, 2, 3)).numpy(), gap.numpy(), atol=1e-4)
    assert delta.abs().max().item() < 1e-4
    coarse = ig.attribute(x, target=2, n_steps=2, method="riemann_left", return_convergence_delta=True)[1]
    assert coarse.abs().max().item() > delta.abs().max().item()


@pytest.mark.parametrize("use_abs", [True, False])
def test_saliency_equals_captum(models, images, use_abs):
    ours, ref = models
    grads = Saliency(ours).attribute(ember.tensor(images), target=[0, 1, 2], abs=use_abs)
    ref_grads = captum_attr.Saliency(ref).attribute(torch.tensor(images), target=[0, 1, 2], abs=use_abs)
    _close(grads, ref_grads, atol=1e-6)
    if not use_abs:
        assert (grads.numpy() < 0).any()


def test_quadrature_rules_equal_captums():
    from captum.attr._utils.approximation_methods import approximation_parameters as captum_params

    for method in ("gausslegendre", "riemann_trapezoid", "riemann_left", "riemann_right", "riemann_middle"):
        for n in (2, 5, 50):
            for ours, ref in zip(approximation_parameters(method), captum_params(method)):
                np.testing.assert_allclose(ours(n), ref(n), rtol=2.5e-7)  # torch.linspace: 1 ulp
    with pytest.raises(ValueError, match="approximation method"):
        approximation_parameters("simpson")


def test_errors(models, images):
    ours, _ = models
    with pytest.raises(AssertionError, match="Target not provided"):
        IntegratedGradients(ours).attribute(ember.tensor(images), n_steps=4)
    with pytest.raises(ValueError, match="baseline of shape"):
        IntegratedGradients(ours).attribute(ember.tensor(images), ember.zeros(2, 1, 8, 8), target=0)
