"""The standard workloads of workloads.py on tinygrad and MyGrad, which have no torch-compatible API: the same
shapes, data, loss and optimizer, written in each framework's own idiom.

Each builder takes the size scale and returns a `step()` closure doing one full training step and returning
its loss (the discriminator's for the DCGAN), so a test can see it train. The frameworks
are imported inside the builders, so this module imports without them.

tinygrad is lazy: a step realizes the loss together with the updated parameters and optimizer state (in one
schedule, as its `Optimizer.step` does), so the work is really done inside the timed call. The plain builders
are the eager comparison; the `tinygrad-jit` ones wrap the same step in TinyJit, which replays the captured
kernels without scheduling again.

MyGrad has layers (conv_nd, max_pool, batchnorm) but no modules, optimizers or transposed convolution: its
parameters are plain tensors updated by hand-written SGD, and it has no DCGAN (the generator is built of
transposed convolutions).
"""
import glob
import math
import os
import shutil

import numpy as np


# ----------------------------------------------------------------------------------------------- tinygrad

def tinygrad_env(environ=None):
    """Environment for a tinygrad child on the CPU: (variables to set, None) or ({}, why it cannot run).

    tinygrad's CPU device compiles its kernels, and its own queue programs, with clang (`CC`); gcc does not
    accept its flags or vector types. Distributions often ship clang as clang-NN only, so that is searched too.
    """
    environ = os.environ if environ is None else environ
    env = {"DEV": environ.get("DEV", "CPU"), "NUM_CPU_THREADS": "2"}
    if not env["DEV"].startswith("CPU"):
        return env, None
    cc, path = environ.get("CC", ""), environ.get("PATH", "")
    if "clang" not in os.path.basename(cc) or not shutil.which(cc, path=path):
        cc = shutil.which("clang", path=path) or _newest_versioned_clang(path)
    if cc is None:
        return {}, "tinygrad's CPU backend needs clang (CC=clang), and none is on PATH"
    env["CC"] = cc
    return env, None


def _newest_versioned_clang(path):
    found = [f for d in path.split(os.pathsep) if d for f in glob.glob(os.path.join(d, "clang-[0-9]*"))
             if os.path.basename(f)[len("clang-"):].isdigit() and os.access(f, os.X_OK)]
    return max(found, key=lambda f: int(os.path.basename(f)[len("clang-"):]), default=None)


def _tinygrad_data(array):
    from tinygrad import Tensor
    return Tensor(array).is_param_(False).realize()


def _tinygrad_train_step(opt, data, loss_of):
    """step(): zero_grad, loss, backward, then realize the loss with the optimizer's updates."""
    from tinygrad import Tensor
    from tinygrad.helpers import TRAINING
    TRAINING.value = 1          # BatchNorm uses batch statistics, and the optimizer refuses to step otherwise

    def step():
        opt.zero_grad()
        for t in data:          # backward fills .grad of every float tensor in the graph, inputs too
            t.grad = None
        loss = loss_of()
        loss.backward()
        Tensor.realize(loss, *opt.schedule_step())
        return loss
    return step


def tinygrad_tiny(scale=1.0):
    from tinygrad import Tensor
    x = Tensor(np.linspace(-1, 1, 16, dtype=np.float32)).realize()

    def step():
        for _ in range(100):
            loss = (x * x + x).sum()
            loss.backward()
            Tensor.realize(loss, x.grad)
        x.grad = None
        return loss
    return step


def _tinygrad_classifier(layers, opt_kwargs, batch, input_shape):
    from tinygrad import nn
    from tinygrad.nn.state import get_parameters
    rng = np.random.default_rng(0)
    X = _tinygrad_data(rng.standard_normal((batch,) + input_shape).astype(np.float32))
    y = _tinygrad_data(rng.integers(0, 10, batch))
    opt = nn.optim.SGD(get_parameters(layers), **opt_kwargs)
    return _tinygrad_train_step(opt, [X], lambda: layers.forward(X).sparse_categorical_crossentropy(y))


class _TinygradMLP:
    def __init__(self):
        from tinygrad import nn
        self.l1, self.l2 = nn.Linear(784, 256), nn.Linear(256, 10)

    def forward(self, x):
        return self.l2(self.l1(x.flatten(1)).relu())


class _TinygradLeNet:
    def __init__(self):
        from tinygrad import nn
        self.conv1, self.conv2 = nn.Conv2d(3, 6, 5), nn.Conv2d(6, 16, 5)
        self.fc1, self.fc2, self.fc3 = nn.Linear(16 * 5 * 5, 120), nn.Linear(120, 84), nn.Linear(84, 10)

    def forward(self, x):
        x = self.conv1(x).relu().max_pool2d(2)
        x = self.conv2(x).relu().max_pool2d(2)
        return self.fc3(self.fc2(self.fc1(x.flatten(1)).relu()).relu())


def tinygrad_mlp(scale=1.0):
    return _tinygrad_classifier(_TinygradMLP(), dict(lr=0.1, momentum=0.9), max(2, int(256 * scale)), (1, 28, 28))


def tinygrad_lenet(scale=1.0):
    return _tinygrad_classifier(_TinygradLeNet(), dict(lr=0.001, momentum=0.9), max(2, int(64 * scale)), (3, 32, 32))


class _TinygradDCGAN:
    """ember/examples/dcgan.py's Generator(100, 64, 3) and Discriminator(64, 3)."""

    def __init__(self, nz=100, ngf=64, ndf=64, nc=3):
        from tinygrad import nn
        self.G = [nn.ConvTranspose2d(nz, ngf * 4, 4, 1, 0, bias=False), nn.BatchNorm2d(ngf * 4),
                  nn.ConvTranspose2d(ngf * 4, ngf * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf * 2),
                  nn.ConvTranspose2d(ngf * 2, ngf, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf),
                  nn.ConvTranspose2d(ngf, nc, 4, 2, 1, bias=False)]
        self.D = [nn.Conv2d(nc, ndf, 4, 2, 1, bias=False),
                  nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * 2),
                  nn.Conv2d(ndf * 2, ndf * 4, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * 4),
                  nn.Conv2d(ndf * 4, 1, 4, 1, 0, bias=False)]

    def generate(self, z):
        for conv, norm in zip(self.G[0::2], self.G[1::2]):
            z = norm(conv(z)).relu()
        return self.G[-1](z).tanh()

    def discriminate(self, x):
        x = self.D[0](x).leaky_relu(0.2)
        for conv, norm in zip(self.D[1:-1:2], self.D[2:-1:2]):
            x = norm(conv(x)).leaky_relu(0.2)
        return self.D[-1](x).reshape(-1)


def tinygrad_dcgan(scale=1.0):
    from tinygrad import Tensor, nn
    from tinygrad.helpers import TRAINING
    from tinygrad.nn.state import get_parameters
    TRAINING.value = 1
    batch = max(2, int(64 * scale))
    gan = _TinygradDCGAN()
    opt_g = nn.optim.Adam(get_parameters(gan.G), lr=2e-4, b1=0.5, b2=0.999)
    opt_d = nn.optim.Adam(get_parameters(gan.D), lr=2e-4, b1=0.5, b2=0.999)
    rng = np.random.default_rng(0)
    real = _tinygrad_data(rng.uniform(-1, 1, (batch, 3, 32, 32)).astype(np.float32))
    noise = _tinygrad_data(rng.standard_normal((batch, 100, 1, 1)).astype(np.float32))
    ones, zeros = _tinygrad_data(np.ones(batch, np.float32)), _tinygrad_data(np.zeros(batch, np.float32))
    data = [real, noise, ones, zeros]

    def step():
        for t in data:
            t.grad = None
        opt_d.zero_grad()
        fake = gan.generate(noise)
        loss_d = (gan.discriminate(real).binary_crossentropy_logits(ones)
                  + gan.discriminate(fake.detach()).binary_crossentropy_logits(zeros))
        loss_d.backward()
        Tensor.realize(loss_d, *opt_d.schedule_step())
        opt_g.zero_grad()
        loss_g = gan.discriminate(fake).binary_crossentropy_logits(ones)
        loss_g.backward()
        Tensor.realize(loss_g, *opt_g.schedule_step())
        return loss_d
    return step


class _TinygradLSTMRegressor:
    """nn.LSTM(32, 128) + Linear(128, 1); tinygrad has only the cell, so the time loop is written out."""

    def __init__(self):
        from tinygrad import nn
        self.cell, self.head = nn.LSTMCell(32, 128), nn.Linear(128, 1)

    def forward(self, x):
        from tinygrad import Tensor
        hc, outs = None, []
        for t in range(x.shape[0]):
            hc = self.cell(x[t], hc)
            outs.append(hc[0])
        return self.head(Tensor.stack(*outs))


def tinygrad_lstm(scale=1.0):
    from tinygrad import nn
    from tinygrad.nn.state import get_parameters
    batch, seq = max(2, int(32 * scale)), max(2, int(35 * scale))
    model = _TinygradLSTMRegressor()
    opt = nn.optim.SGD(get_parameters(model), lr=0.01)
    rng = np.random.default_rng(0)
    X = _tinygrad_data(rng.standard_normal((seq, batch, 32)).astype(np.float32))
    y = _tinygrad_data(rng.standard_normal((seq, batch, 1)).astype(np.float32))
    return _tinygrad_train_step(opt, [X, y], lambda: (model.forward(X) - y).square().mean())


def _jitted(builder):
    def build(scale=1.0):
        from tinygrad import TinyJit
        return TinyJit(builder(scale))
    return build


TINYGRAD = {"tiny": tinygrad_tiny, "mlp": tinygrad_mlp, "lenet": tinygrad_lenet, "dcgan": tinygrad_dcgan,
            "lstm": tinygrad_lstm}


# ------------------------------------------------------------------------------------------------- MyGrad

def _mygrad_param(rng, shape, fan_in):
    """torch's default initialisation for Linear/Conv weights and biases: U(-1/sqrt(fan_in), 1/sqrt(fan_in))."""
    import mygrad as mg
    bound = 1 / math.sqrt(fan_in)
    return mg.tensor(rng.uniform(-bound, bound, shape).astype(np.float32))


def _mygrad_linear(rng, fan_in, fan_out):
    return [_mygrad_param(rng, (fan_in, fan_out), fan_in), _mygrad_param(rng, (fan_out,), fan_in)]


def _mygrad_sgd(params, lr, momentum=0.0):
    """torch.optim.SGD's update on the parameters' arrays (MyGrad has no optimizers)."""
    buffers = [np.zeros_like(p.data) for p in params] if momentum else None

    def update():
        for i, p in enumerate(params):
            g = p.grad
            if buffers is not None:
                buffers[i] *= momentum
                buffers[i] += g
                g = buffers[i]
            p.data -= lr * g
    return update


def _mygrad_train_step(params, update, loss_of):
    """step(): loss, backward, update. MyGrad clears a tensor's .grad when it enters a new graph (no zero_grad)."""
    def step():
        loss = loss_of()
        loss.backward()
        update()
        return loss
    return step


def mygrad_tiny(scale=1.0):
    import mygrad as mg
    x = mg.tensor(np.linspace(-1, 1, 16, dtype=np.float32))

    def step():
        for _ in range(100):
            loss = (x * x + x).sum()
            loss.backward()
        return loss
    return step


def _mygrad_classifier(params, forward, lr, batch, input_shape):
    from mygrad.nnet.losses import softmax_crossentropy
    rng = np.random.default_rng(0)
    X = rng.standard_normal((batch,) + input_shape).astype(np.float32)
    y = rng.integers(0, 10, batch)
    return _mygrad_train_step(params, _mygrad_sgd(params, lr, 0.9), lambda: softmax_crossentropy(forward(X), y))


def mygrad_mlp(scale=1.0):
    from mygrad.nnet.activations import relu
    rng = np.random.default_rng(1)
    w1, b1, w2, b2 = params = _mygrad_linear(rng, 784, 256) + _mygrad_linear(rng, 256, 10)

    def forward(x):
        return relu(x.reshape(len(x), -1) @ w1 + b1) @ w2 + b2
    return _mygrad_classifier(params, forward, 0.1, max(2, int(256 * scale)), (1, 28, 28))


def mygrad_lenet(scale=1.0):
    from mygrad.nnet.activations import relu
    from mygrad.nnet.layers import conv_nd, max_pool
    rng = np.random.default_rng(1)
    conv1 = [_mygrad_param(rng, (6, 3, 5, 5), 3 * 25), _mygrad_param(rng, (6, 1, 1), 3 * 25)]
    conv2 = [_mygrad_param(rng, (16, 6, 5, 5), 6 * 25), _mygrad_param(rng, (16, 1, 1), 6 * 25)]
    fcs = _mygrad_linear(rng, 16 * 5 * 5, 120) + _mygrad_linear(rng, 120, 84) + _mygrad_linear(rng, 84, 10)
    params = conv1 + conv2 + fcs
    (cw1, cb1), (cw2, cb2), (w1, b1, w2, b2, w3, b3) = conv1, conv2, fcs

    def forward(x):
        x = max_pool(relu(conv_nd(x, cw1, stride=1) + cb1), (2, 2), 2)
        x = max_pool(relu(conv_nd(x, cw2, stride=1) + cb2), (2, 2), 2)
        x = relu(x.reshape(len(x), -1) @ w1 + b1)
        return relu(x @ w2 + b2) @ w3 + b3
    return _mygrad_classifier(params, forward, 0.001, max(2, int(64 * scale)), (3, 32, 32))


def mygrad_lstm(scale=1.0):
    """nn.LSTM(32, 128) + Linear(128, 1) written out: the input projection for all steps in one product, as
    torch's LSTM does, then the recurrence step by step."""
    import mygrad as mg
    from mygrad.nnet.activations import sigmoid
    batch, seq, hidden = max(2, int(32 * scale)), max(2, int(35 * scale)), 128
    rng = np.random.default_rng(1)
    w_ih, w_hh = _mygrad_param(rng, (32, 4 * hidden), hidden), _mygrad_param(rng, (hidden, 4 * hidden), hidden)
    b_ih, b_hh = _mygrad_param(rng, (4 * hidden,), hidden), _mygrad_param(rng, (4 * hidden,), hidden)
    w_out, b_out = _mygrad_linear(rng, hidden, 1)
    params = [w_ih, w_hh, b_ih, b_hh, w_out, b_out]
    rng = np.random.default_rng(0)
    X = rng.standard_normal((seq, batch, 32)).astype(np.float32)
    y = rng.standard_normal((seq, batch, 1)).astype(np.float32)

    def loss():
        x_gates = X @ w_ih + (b_ih + b_hh)
        h = c = np.zeros((batch, hidden), np.float32)
        outs = []
        for t in range(seq):
            gates = x_gates[t] + h @ w_hh
            i, f = sigmoid(gates[:, :hidden]), sigmoid(gates[:, hidden:2 * hidden])
            g, o = mg.tanh(gates[:, 2 * hidden:3 * hidden]), sigmoid(gates[:, 3 * hidden:])
            c = f * c + i * g
            h = o * mg.tanh(c)
            outs.append(h)
        return mg.mean((mg.stack(outs) @ w_out + b_out - y) ** 2)
    return _mygrad_train_step(params, _mygrad_sgd(params, 0.01), loss)


MYGRAD = {"tiny": mygrad_tiny, "mlp": mygrad_mlp, "lenet": mygrad_lenet, "lstm": mygrad_lstm}

# framework name in the benchmark -> (module to import, {workload: builder})
BUILDERS = {
    "tinygrad": ("tinygrad", TINYGRAD),
    "tinygrad-jit": ("tinygrad", {name: _jitted(build) for name, build in TINYGRAD.items()}),
    "mygrad": ("mygrad", MYGRAD),
}
