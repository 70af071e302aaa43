"""Custom autograd Functions, as in "Learning PyTorch with Examples": a Legendre polynomial and a ReLU,
fitted to sin(x) with hand-written gradient steps; gradcheck on double inputs."""

# conformance: exact rtol=1e-4 atol=1e-6
import math

import torch
from torch.autograd import gradcheck


class LegendrePolynomial3(torch.autograd.Function):
    @staticmethod
    def forward(ctx, input):
        ctx.save_for_backward(input)
        return 0.5 * (5 * input**3 - 3 * input)

    @staticmethod
    def backward(ctx, grad_output):
        (input,) = ctx.saved_tensors
        return grad_output * 1.5 * (5 * input**2 - 1)


class MyReLU(torch.autograd.Function):
    @staticmethod
    def forward(ctx, input):
        ctx.save_for_backward(input)
        return input.clamp(min=0)

    @staticmethod
    def backward(ctx, grad_output):
        (input,) = ctx.saved_tensors
        grad_input = grad_output.clone()
        grad_input[input < 0] = 0
        return grad_input


class ScaleBy(torch.autograd.Function):
    """A Function with a non-tensor argument: its gradient slot is None."""

    @staticmethod
    def forward(ctx, input, factor):
        ctx.factor = factor
        return input * factor

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output * ctx.factor, None


dtype = torch.float
x = torch.linspace(-math.pi, math.pi, 2000, dtype=dtype)
y = torch.sin(x)
a = torch.full((), 0.0, dtype=dtype, requires_grad=True)
b = torch.full((), -1.0, dtype=dtype, requires_grad=True)
c = torch.full((), 0.0, dtype=dtype, requires_grad=True)
d = torch.full((), 0.3, dtype=dtype, requires_grad=True)
learning_rate = 5e-6
for t in range(2000):
    P3 = LegendrePolynomial3.apply
    y_pred = a + b * P3(c + d * x)
    loss = (y_pred - y).pow(2).sum()
    if t % 500 == 99:
        print(f"iter {t} loss={loss.item():.4f}")
    loss.backward()
    with torch.no_grad():
        a -= learning_rate * a.grad
        b -= learning_rate * b.grad
        c -= learning_rate * c.grad
        d -= learning_rate * d.grad
        a.grad = None
        b.grad = None
        c.grad = None
        d.grad = None
print(f"Result: y = {a.item()} + {b.item()} * P3({c.item()} + {d.item()} x) a={a.item():.5f} b={b.item():.5f}")

inp = torch.linspace(-1, 1, 7, dtype=torch.double, requires_grad=True)
print(f"gradcheck_legendre={int(gradcheck(LegendrePolynomial3.apply, (inp,), eps=1e-6, atol=1e-4))}")
print(f"gradcheck_scale={int(gradcheck(lambda t: ScaleBy.apply(t, 3.0), (inp,)))}")
z = torch.tensor([-1.0, 0.5, 2.0], requires_grad=True)
MyReLU.apply(z).sum().backward()
print(f"relu_grad_sum={z.grad.sum().item()} relu_out_sum={MyReLU.apply(z).sum().item()}")
