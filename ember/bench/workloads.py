"""The five standard training steps, written once against the torch API and run with T = torch or ember
(LeNet and the DCGAN come from the examples' factories, which take the framework module too).

Each builder returns a `step()` closure doing zero_grad, forward, loss, backward and optimizer step.
"""
import numpy as np


def _tensor(T, array):
    return T.tensor(array)


def tiny(T, scale=1.0):
    x = T.tensor(np.linspace(-1, 1, 16, dtype=np.float32), requires_grad=True)

    def step():
        for _ in range(100):
            ((x * x + x).sum()).backward()
        x.grad = None
    return step


def _classification_step(T, model, opt, batch, input_shape):
    """One SGD step of `model` on a fixed random batch with CrossEntropyLoss."""
    loss_fn = T.nn.CrossEntropyLoss()
    rng = np.random.default_rng(0)
    X = T.tensor(rng.standard_normal((batch,) + input_shape).astype(np.float32))
    y = T.tensor(rng.integers(0, 10, batch))

    def step():
        opt.zero_grad()
        loss = loss_fn(model(X), y)
        loss.backward()
        opt.step()
    return step


def mlp(T, scale=1.0):
    nn = T.nn
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
    opt = T.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    return _classification_step(T, model, opt, max(2, int(256 * scale)), (1, 28, 28))


def lenet(T, scale=1.0):
    from ember.examples.lenet_cifar10 import make_net
    model = make_net(T)()
    opt = T.optim.SGD(model.parameters(), lr=0.001, momentum=0.9)
    return _classification_step(T, model, opt, max(2, int(64 * scale)), (3, 32, 32))


def dcgan(T, scale=1.0):
    batch = max(2, int(64 * scale))
    from ember.examples.dcgan import make_models
    Generator, Discriminator = make_models(T)
    G, D = Generator(100, 64, 3), Discriminator(64, 3)
    opt_g = T.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = T.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    loss_fn = T.nn.BCEWithLogitsLoss()
    rng = np.random.default_rng(0)
    real = T.tensor(rng.uniform(-1, 1, (batch, 3, 32, 32)).astype(np.float32))
    noise = T.tensor(rng.standard_normal((batch, 100, 1, 1)).astype(np.float32))
    ones, zeros = T.ones(batch), T.zeros(batch)

    def step():
        opt_d.zero_grad()
        fake = G(noise)
        loss_d = loss_fn(D(real), ones) + loss_fn(D(fake.detach()), zeros)
        loss_d.backward()
        opt_d.step()
        opt_g.zero_grad()
        loss_g = loss_fn(D(fake), ones)
        loss_g.backward()
        opt_g.step()
    return step


def lstm(T, scale=1.0):
    nn = T.nn
    batch, seq = max(2, int(32 * scale)), max(2, int(35 * scale))

    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(32, 128)
            self.head = nn.Linear(128, 1)

        def forward(self, x):
            out, _ = self.lstm(x)
            return self.head(out)
    model = Model()
    opt = T.optim.SGD(model.parameters(), lr=0.01)
    loss_fn = nn.MSELoss()
    rng = np.random.default_rng(0)
    X = T.tensor(rng.standard_normal((seq, batch, 32)).astype(np.float32))
    y = T.tensor(rng.standard_normal((seq, batch, 1)).astype(np.float32))

    def step():
        opt.zero_grad()
        loss = loss_fn(model(X), y)
        loss.backward()
        opt.step()
    return step


WORKLOADS = {"tiny": tiny, "mlp": mlp, "lenet": lenet, "dcgan": dcgan, "lstm": lstm}
