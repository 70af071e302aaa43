"""Linear regression on synthetic data (y = Xw + b + noise, w = [2, -3.4], b = 4.2), as in d2l.

    python examples/linear_regression.py            # 3 epochs, SGD lr 0.03, batch 10
Reaches an estimation error below 0.01 for w and b.
"""
import ember as torch
from ember import nn
from ember.utils import data

from ember.examples._common import History, device_or_fail, parser, progress


def synthetic_data(w, b, num_examples):
    X = torch.normal(0, 1, (num_examples, len(w)))
    y = torch.matmul(X, w) + b
    y += torch.normal(0, 0.01, y.shape)
    return X, y.reshape((-1, 1))


def build_model(T=torch):
    """One Linear(2, 1) layer with d2l's N(0, 0.01) weights and zero bias; T is ember or torch."""
    net = T.nn.Sequential(T.nn.Linear(2, 1))
    net[0].weight.data.normal_(0, 0.01)
    net[0].bias.data.fill_(0)
    return net


def main(argv=None):
    args = parser(__doc__.splitlines()[0], epochs=3, batch_size=10, lr=0.03).parse_args(argv)
    device = device_or_fail(torch, args.device)
    torch.manual_seed(args.seed)
    true_w, true_b = torch.tensor([2, -3.4]), 4.2
    features, labels = synthetic_data(true_w, true_b, 1000)
    loader = data.DataLoader(data.TensorDataset(features, labels), args.batch_size, shuffle=True,
                             num_workers=args.workers)
    net = build_model(torch).to(device)
    loss = nn.MSELoss()
    trainer = torch.optim.SGD(net.parameters(), lr=args.lr)
    history = History(args)
    for epoch in range(1, args.epochs + 1):
        for X, y in progress(loader, args.quiet, f"epoch {epoch}"):
            X, y = X.to(device), y.to(device)
            l = loss(net(X), y)
            trainer.zero_grad()
            l.backward()
            trainer.step()
        with torch.no_grad():
            history.log(epoch, loss=loss(net(features.to(device)), labels.to(device)).item())
    w, b = net[0].weight.data.cpu(), net[0].bias.data.cpu()
    w_error = (true_w - w.reshape(true_w.shape)).abs().max().item()
    b_error = abs(true_b - b.item())
    print(f"error in estimating w: {true_w - w.reshape(true_w.shape)}")
    print(f"error in estimating b: {true_b - b}")
    history.close("linear_regression")
    return {"w_error": w_error, "b_error": b_error}


if __name__ == "__main__":
    main()
