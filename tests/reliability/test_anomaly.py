"""Anomaly mode names the backward function that made NaN and the user's own source line that called its op,
as torch's; with check_forward=True (ember's opt-in) also the first op whose forward made NaN/inf."""

import inspect

import pytest
import torch

import ember

HERE = __file__


def next_line():
    """The line number after the caller's current line: the offending line that follows."""
    return inspect.currentframe().f_back.f_lineno + 1


def assert_points_at(message, line, code):
    assert f'File "{HERE}", line {line}' in message, message
    assert code in message, message


@pytest.fixture(autouse=True)
def _anomaly_off_afterwards():
    yield
    ember.autograd.set_detect_anomaly(False)
    assert not ember.autograd.is_anomaly_enabled()


def test_forward_nan_names_the_op_and_the_source_line():
    x = ember.tensor([1.0, -1.0], requires_grad=True)
    with pytest.raises(RuntimeError) as info:
        with ember.autograd.detect_anomaly(check_forward=True):
            line = next_line()
            y = ember.log(x)
            y.sum().backward()
    message = str(info.value)
    assert "Function 'LogBackward0' produced nan/inf values in its output 0 during forward" in message
    assert_points_at(message, line, "y = ember.log(x)")


def test_forward_nan_inside_a_model_points_at_the_models_forward():
    class Model(ember.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = ember.nn.Linear(2, 3)

        def forward(self, x):
            h = self.fc(x).relu() - 1.0
            self.line = next_line()
            return (h * 2).log().sum()  # log of a negative number

    model = Model()
    with pytest.raises(RuntimeError) as info:
        with ember.autograd.detect_anomaly(check_forward=True):
            model(ember.randn(4, 2)).backward()
    assert "LogBackward0" in str(info.value) and "during forward" in str(info.value)
    assert_points_at(str(info.value), model.line, "return (h * 2).log().sum()")
    assert "in forward" in str(info.value)


def test_backward_nan_names_the_backward_function_and_the_forward_line():
    for T in (torch, ember):
        x = T.tensor([0.0, 4.0], requires_grad=True)
        with pytest.raises(RuntimeError) as info:
            with T.autograd.detect_anomaly():
                line = next_line()
                y = x.sqrt() * 0  # forward is finite; d sqrt/dx at 0 is inf, times 0 is nan
                y.sum().backward()
        if T is torch:
            torch_message = str(info.value)
    message = str(info.value)
    assert message.startswith("Function 'SqrtBackward0' returned nan values in its 0th output.")
    assert torch_message.startswith("Function 'SqrtBackward0' returned nan values in its 0th output.")
    assert_points_at(message, line, "y = x.sqrt() * 0")


def test_x_over_x_at_zero_is_reported_at_the_division():
    x = ember.tensor([0.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError) as info:
        with ember.autograd.detect_anomaly(check_forward=True):
            line = next_line()
            y = x / x
            y.sum().backward()
    message = str(info.value)
    assert "Function 'DivBackward0' produced nan/inf values in its output 0 during forward" in message
    assert_points_at(message, line, "y = x / x")


def test_default_mode_checks_backward_nan_only_as_torch():
    # forward NaN/inf (log(-1), sqrt'(0) = inf) raises nothing in torch's anomaly mode unless a backward
    # function returns NaN; a NaN a backward returns is named with the forward line
    for T in (torch, ember):
        a = T.tensor([0.0, 1.0], requires_grad=True)
        with T.autograd.detect_anomaly():
            a.sqrt().sum().backward()
        assert T.isinf(a.grad[0]) and a.grad[1] == 0.5
        x = T.tensor([1.0, -1.0], requires_grad=True)
        with T.autograd.detect_anomaly():
            T.log(x).sum().backward()
        assert x.grad.tolist() == [1.0, -1.0]
        assert T.is_anomaly_check_nan_enabled()
    for T in (torch, ember):
        x = T.tensor([0.0, 2.0], requires_grad=True)
        with pytest.raises(RuntimeError) as info:
            with T.autograd.detect_anomaly():
                line = next_line()
                y = x / x
                y.sum().backward()
        assert str(info.value).startswith("Function 'DivBackward0' returned nan values in its 1th output.")
    assert_points_at(str(info.value), line, "y = x / x")


def test_set_detect_anomaly_as_a_function():
    ember.autograd.set_detect_anomaly(True)
    assert ember.autograd.is_anomaly_enabled()
    x = ember.tensor([-1.0], requires_grad=True)
    with pytest.raises(RuntimeError) as info:
        line = next_line()
        x.sqrt().sum().backward()
    assert "SqrtBackward0" in str(info.value)
    assert_points_at(str(info.value), line, "x.sqrt().sum().backward()")
    ember.autograd.set_detect_anomaly(False)
    assert not ember.autograd.is_anomaly_enabled()
    x.sqrt().sum().backward()  # off again: nan flows through silently, as torch
    assert ember.isnan(x.grad).all()


def test_set_detect_anomaly_as_a_context_manager_restores_the_mode():
    with ember.autograd.set_detect_anomaly(True):
        assert ember.autograd.is_anomaly_enabled()
    assert not ember.autograd.is_anomaly_enabled()


def test_detect_anomaly_as_a_decorator():
    @ember.autograd.detect_anomaly(check_forward=True)
    def step(x):
        return (x - 2).log().sum()

    with pytest.raises(RuntimeError, match="LogBackward0"):
        step(ember.ones(3, requires_grad=True))
    assert not ember.autograd.is_anomaly_enabled()


def test_check_nan_false_does_not_raise_as_torch():
    for T in (torch, ember):
        x = T.tensor([0.0], requires_grad=True)
        with T.autograd.detect_anomaly(check_nan=False):
            (x.sqrt() * 0).sum().backward()
        assert T.isnan(x.grad).all()


def test_nan_already_in_the_data_is_not_blamed_on_the_op():
    # torch's anomaly mode checks gradients only: a NaN that came with the data passes the forward
    x = ember.tensor([float("nan"), 1.0], requires_grad=True)
    with ember.autograd.detect_anomaly():
        y = (x * 2).sum()
        y.backward()
    assert x.grad.tolist() == [2.0, 2.0]


def test_finite_training_step_is_unchanged_by_anomaly_mode():
    ember.manual_seed(0)
    model = ember.nn.Sequential(ember.nn.Linear(3, 4), ember.nn.Tanh(), ember.nn.Linear(4, 1))
    x = ember.randn(8, 3)
    model(x).pow(2).mean().backward()
    plain = [p.grad.clone() for p in model.parameters()]
    model.zero_grad()
    with ember.autograd.detect_anomaly():
        model(x).pow(2).mean().backward()
    for a, p in zip(plain, model.parameters()):
        assert ember.equal(a, p.grad)
