"""House prices from a CSV table, as d2l's Kaggle house-price chapter (4.10): pandas preprocessing, an MLP.

    python examples/tabular_csv.py                      # the shipped houses_train.csv / houses_test.csv
    python examples/tabular_csv.py --root ~/kaggle      # any train.csv-like pair: --train-file, --test-file

Numeric columns are standardised (missing -> 0, the mean), categoricals one-hot encoded with
pd.get_dummies(dummy_na=True); the model, Sequential(Linear, ReLU, Dropout(0.2), Linear), is trained with
Adam on the MSE of log prices. The last 20% of the training rows are held out: the defaults reach a
validation log-RMSE of about 0.12 (the generated data's noise is 0.1; predicting the training mean gives about 0.36).
Writes OUT/submission.csv (Id, SalePrice) for the test file.
"""
import os

import numpy as np

import ember as torch
from ember import nn
from ember.utils import data

from ember.examples._common import (History, device_or_fail, fail, non_negative_float, parser, positive,
                                    progress)

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")


def preprocess(train_data, test_data, label="SalePrice"):
    """Features of both tables (the first column, Id, and the label dropped), as float32 arrays."""
    import pandas as pd
    all_features = pd.concat((train_data.iloc[:, 1:].drop(columns=[label]), test_data.iloc[:, 1:]))
    numeric_features = all_features.select_dtypes(include="number").columns
    all_features[numeric_features] = all_features[numeric_features].apply(lambda x: (x - x.mean()) / x.std())
    all_features[numeric_features] = all_features[numeric_features].fillna(0)
    all_features = pd.get_dummies(all_features, dummy_na=True)
    features = all_features.to_numpy(dtype=np.float32)
    n_train = train_data.shape[0]
    return features[:n_train], features[n_train:], list(all_features.columns)


def build_model(T, in_features, hidden=64, log_price_mean=0.0):
    """The MLP on T (ember or torch); the output bias starts at the mean log price so training starts close."""
    net = T.nn.Sequential(T.nn.Linear(in_features, hidden), T.nn.ReLU(), T.nn.Dropout(0.2), T.nn.Linear(hidden, 1))
    with T.no_grad():
        net[-1].bias.fill_(log_price_mean)
    return net


def log_rmse(net, features, log_labels):
    net.eval()
    with torch.no_grad():
        rmse = torch.sqrt(nn.functional.mse_loss(net(features), log_labels)).item()
    net.train()
    return rmse


def main(argv=None):
    p = parser(__doc__.splitlines()[0], epochs=60, batch_size=32, lr=0.01, root=DATA,
               root_help="folder holding the CSV files")
    p.add_argument("--train-file", default="houses_train.csv")
    p.add_argument("--test-file", default="houses_test.csv")
    p.add_argument("--weight-decay", type=non_negative_float, default=0.0)
    p.add_argument("--hidden", type=positive, default=64)
    args = p.parse_args(argv)
    device = device_or_fail(torch, args.device)
    torch.manual_seed(args.seed)
    import pandas as pd

    paths = [os.path.join(args.root, name) for name in (args.train_file, args.test_file)]
    for path in paths:
        if not os.path.isfile(path):
            fail(f"CSV file not found: {path} (pass --root DIR or --train-file/--test-file)")
    train_data, test_data = pd.read_csv(paths[0]), pd.read_csv(paths[1])
    if "SalePrice" not in train_data.columns:
        fail(f"{paths[0]} has no SalePrice column (columns: {', '.join(train_data.columns)})")
    train_features, test_features, columns = preprocess(train_data, test_data)
    log_prices = np.log(train_data["SalePrice"].to_numpy(dtype=np.float32)).reshape(-1, 1)
    n_fit = int(0.8 * len(train_features))   # the rest validates
    X_fit, y_fit = torch.tensor(train_features[:n_fit]), torch.tensor(log_prices[:n_fit])
    X_valid, y_valid = torch.tensor(train_features[n_fit:]).to(device), torch.tensor(log_prices[n_fit:]).to(device)
    print(f"{len(train_data)} training rows ({n_fit} fit, {len(train_data) - n_fit} validate), "
          f"{len(test_data)} test rows, {len(columns)} features")

    loader = data.DataLoader(data.TensorDataset(X_fit, y_fit), args.batch_size, shuffle=True,
                             num_workers=args.workers)
    net = build_model(torch, X_fit.shape[1], args.hidden, float(log_prices[:n_fit].mean())).to(device)
    loss = nn.MSELoss()
    optimizer = torch.optim.Adam(net.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    history = History(args)
    for epoch in range(1, args.epochs + 1):
        for X, y in progress(loader, args.quiet, f"epoch {epoch}"):
            X, y = X.to(device), y.to(device)
            optimizer.zero_grad()
            l = loss(net(X), y)
            l.backward()
            optimizer.step()
        history.log(epoch, train_log_rmse=log_rmse(net, X_fit.to(device), y_fit.to(device)),
                    valid_log_rmse=log_rmse(net, X_valid, y_valid))

    net.eval()
    with torch.no_grad():
        preds = torch.exp(net(torch.tensor(test_features).to(device))).cpu().numpy()
    os.makedirs(args.out, exist_ok=True)
    submission = pd.DataFrame({"Id": test_data["Id"], "SalePrice": preds.reshape(-1)})
    path = os.path.join(args.out, "submission.csv")
    submission.to_csv(path, index=False)
    baseline = float(np.sqrt(np.mean((log_prices[n_fit:] - log_prices[:n_fit].mean()) ** 2)))
    print(f"validation log-RMSE {history.rows['valid_log_rmse'][-1]:.4f} (predicting the mean: {baseline:.4f}); "
          f"saved {path}")
    history.close("tabular_csv")
    return {"train_log_rmse": history.rows["train_log_rmse"][-1],
            "valid_log_rmse": history.rows["valid_log_rmse"][-1], "baseline_log_rmse": baseline,
            "submission": path}


if __name__ == "__main__":
    main()
