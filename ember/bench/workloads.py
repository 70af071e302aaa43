"""The five standard training steps, written once against the torch API and run with T = torch or ember
(LeNet and the DCGAN come from the examples' factories, which take the framework module too).

Each builder returns a `step()` closure doing zero_grad, forward, loss, backward and optimizer step. The
benchmark builds them under `with T.device(...)`, so for a GPU every tensor and parameter is made there.
GPU_WORKLOADS add the GPU-sized steps of the issue that set ember's GPU targets (large batches, ResNet-18).
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


def mlp_wide(T, scale=1.0):
    """4 hidden layers of 4096, batch 4096: GEMM-bound on a GPU."""
    nn = T.nn
    width = max(16, int(4096 * scale))
    layers = [nn.Flatten()]
    for _ in range(4):
        layers += [nn.Linear(width, width), nn.ReLU()]
    model = nn.Sequential(*layers, nn.Linear(width, 10))
    opt = T.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    return _classification_step(T, model, opt, width, (width,))


def lenet(T, scale=1.0):
    from ember.examples.lenet_cifar10 import make_net
    model = make_net(T)()
    opt = T.optim.SGD(model.parameters(), lr=0.001, momentum=0.9)
    return _classification_step(T, model, opt, max(2, int(64 * scale)), (3, 32, 32))


def dcgan(T, scale=1.0, batch=64):
    batch = max(2, int(batch * scale))
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


def lstm(T, scale=1.0, hidden=128, batch=32):
    nn = T.nn
    batch, seq = max(2, int(batch * scale)), max(2, int(35 * scale))
    hidden = max(8, int(hidden * scale)) if hidden > 128 else hidden

    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(32, hidden)
            self.head = nn.Linear(hidden, 1)

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


def resnet18(T, scale=1.0):
    """ResNet-18 (torchvision's layout, written against the torch API so torch needs no torchvision),
    batch 64 of 64x64 images."""
    nn = T.nn

    class Block(nn.Module):
        def __init__(self, cin, cout, stride):
            super().__init__()
            self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(cout)
            self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
            self.bn2 = nn.BatchNorm2d(cout)
            self.down = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout)) \
                if stride != 1 or cin != cout else nn.Identity()

        def forward(self, x):
            out = self.bn1(self.conv1(x)).relu()
            return (self.bn2(self.conv2(out)) + self.down(x)).relu()
    layers = [nn.Conv2d(3, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(3, 2, 1)]
    for cin, cout, stride in ((64, 64, 1), (64, 128, 2), (128, 256, 2), (256, 512, 2)):
        layers += [Block(cin, cout, stride), Block(cout, cout, 1)]
    model = nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(512, 10))
    opt = T.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    side = max(16, int(64 * scale))
    return _classification_step(T, model, opt, max(2, int(64 * scale)), (3, side, side))


WORKLOADS = {"tiny": tiny, "mlp": mlp, "lenet": lenet, "dcgan": dcgan, "lstm": lstm}
GPU_WORKLOADS = {"mlp-4x4096": mlp_wide, "dcgan-b512": lambda T, scale=1.0: dcgan(T, scale, batch=512),
                 "lstm-h1024": lambda T, scale=1.0: lstm(T, scale, hidden=1024, batch=128), "resnet18": resnet18}
ALL_WORKLOADS = {**WORKLOADS, **GPU_WORKLOADS}
