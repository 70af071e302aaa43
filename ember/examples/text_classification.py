"""Document classification from bag-of-words counts: logistic regression and a small MLP, with ROC AUC.

    python examples/text_classification.py                 # the shipped generated set, 10 epochs, Adam
    python examples/text_classification.py --train-csv my_train.csv --test-csv my_test.csv

A CSV has the columns id, text, label: text is a document as space-separated token ids ("0 43 2 66"),
label is 0 or 1. The shipped set (ember/examples/data/docs_*.csv, 600 train / 200 test documents over a
500-id vocabulary) comes from data/make_docs.py. Each document becomes a row of token counts; both models
train with BCEWithLogitsLoss and Adam. The script prints accuracy, precision, recall, F1 and ROC AUC
(all computed in NumPy; AUC from ranks) for both models and saves their ROC curves as --out/text_roc.png.
With the defaults (seed 0) logistic regression reaches 0.81 test accuracy and ROC AUC 0.91, the MLP 0.80 and
0.89 (chance is 0.5 for both), in about 3 seconds on 2 cores.
"""
import csv
import os

import numpy as np

import ember as torch
from ember import nn
from ember.utils import data

from ember.examples._common import device_or_fail, fail, parser, progress

DATA_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")


def read_docs(path):
    """(list of token-id arrays, labels array) from a CSV with the columns id, text, label."""
    if not os.path.exists(path):
        fail(f"no such CSV file: {path} (expected columns id, text, label)")
    docs, labels = [], []
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        missing = {"text", "label"} - set(reader.fieldnames or ())
        if missing:
            fail(f"{path} lacks the column(s) {sorted(missing)}; it has {reader.fieldnames}")
        for row in reader:
            docs.append(np.array(row["text"].split(), dtype=np.int64))
            labels.append(int(row["label"]))
    return docs, np.array(labels, dtype=np.int64)


def bag_of_words(docs, vocab_size):
    """(documents, vocab_size) float32 count matrix; ids outside the vocabulary are dropped."""
    counts = np.zeros((len(docs), vocab_size), dtype=np.float32)
    for row, tokens in enumerate(docs):
        tokens = tokens[(tokens >= 0) & (tokens < vocab_size)]
        np.add.at(counts[row], tokens, 1.0)
    return counts


def build_model(T=torch, vocab_size=500, hidden=None):
    """Logistic regression (hidden=None) or a one-hidden-layer ReLU MLP giving one logit; T is ember or torch."""
    if hidden is None:
        return T.nn.Sequential(T.nn.Linear(vocab_size, 1))
    return T.nn.Sequential(T.nn.Linear(vocab_size, hidden), T.nn.ReLU(), T.nn.Linear(hidden, 1))


def train_step(net, loss_fn, optimizer, X, y):
    """One Adam/SGD step on a batch of count rows X and float 0/1 labels y; returns the loss."""
    l = loss_fn(net(X).squeeze(1), y)
    optimizer.zero_grad()
    l.backward()
    optimizer.step()
    return l.item()


# --- metrics, in NumPy ----------------------------------------------------------------------------------

def classification_metrics(scores, labels, threshold=0.5):
    """Accuracy, precision, recall, F1 at `threshold` on probabilities, and the rank-based ROC AUC."""
    scores, labels = np.asarray(scores, dtype=np.float64), np.asarray(labels).astype(bool)
    predicted = scores >= threshold
    tp = np.sum(predicted & labels)
    fp = np.sum(predicted & ~labels)
    fn = np.sum(~predicted & labels)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"accuracy": float(np.mean(predicted == labels)), "precision": float(precision),
            "recall": float(recall), "f1": float(f1), "auc": roc_auc(scores, labels)}


def average_ranks(values):
    """1-based ranks, tied values sharing the mean of their ranks."""
    order = np.argsort(values, kind="mergesort")
    sorted_values = values[order]
    ranks = np.empty(len(values))
    start = 0
    for end in np.append(np.flatnonzero(np.diff(sorted_values)) + 1, len(values)):
        ranks[order[start:end]] = (start + 1 + end) / 2.0
        start = end
    return ranks


def roc_auc(scores, labels):
    """Mann-Whitney: the chance that a random positive scores above a random negative (ties count half)."""
    scores, labels = np.asarray(scores, dtype=np.float64), np.asarray(labels).astype(bool)
    n_pos, n_neg = labels.sum(), (~labels).sum()
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    rank_sum = average_ranks(scores)[labels].sum()
    return float((rank_sum - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def roc_curve(scores, labels):
    """False- and true-positive rates as the threshold sweeps down through the distinct scores."""
    scores, labels = np.asarray(scores, dtype=np.float64), np.asarray(labels).astype(bool)
    order = np.argsort(-scores, kind="mergesort")
    scores, labels = scores[order], labels[order]
    last_of_each_score = np.append(np.flatnonzero(np.diff(scores)), len(scores) - 1)
    tps = np.cumsum(labels)[last_of_each_score]
    fps = np.cumsum(~labels)[last_of_each_score]
    tpr = np.concatenate([[0.0], tps / max(labels.sum(), 1)])
    fpr = np.concatenate([[0.0], fps / max((~labels).sum(), 1)])
    return fpr, tpr


def save_roc_plot(curves, path):
    """curves: {name: (fpr, tpr, auc)} drawn on one set of axes with the chance diagonal."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(4.5, 4.5))
    for name, (fpr, tpr, auc) in curves.items():
        ax.plot(fpr, tpr, label=f"{name} (AUC {auc:.3f})")
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", label="chance")
    ax.set_xlabel("false positive rate")
    ax.set_ylabel("true positive rate")
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def main(argv=None):
    p = parser(__doc__.splitlines()[0], epochs=10, batch_size=32, lr=0.01)
    p.add_argument("--train-csv", default=os.path.join(DATA_DIR, "docs_train.csv"))
    p.add_argument("--test-csv", default=os.path.join(DATA_DIR, "docs_test.csv"))
    p.add_argument("--vocab-size", type=int, default=500, help="token ids at or above this are dropped")
    p.add_argument("--hidden", type=int, default=64, help="hidden units of the MLP")
    p.add_argument("--weight-decay", type=float, default=1e-3)
    args = p.parse_args(argv)
    device = device_or_fail(torch, args.device)
    train_docs, train_labels = read_docs(args.train_csv)
    test_docs, test_labels = read_docs(args.test_csv)
    X_train = torch.tensor(bag_of_words(train_docs, args.vocab_size))
    X_test = torch.tensor(bag_of_words(test_docs, args.vocab_size)).to(device)
    y_train = torch.tensor(train_labels.astype(np.float32))
    train_set = data.TensorDataset(X_train, y_train)

    results, curves = {}, {}
    for name, hidden in (("logreg", None), ("mlp", args.hidden)):
        torch.manual_seed(args.seed)
        train_iter = data.DataLoader(train_set, args.batch_size, shuffle=True, num_workers=args.workers)
        net = build_model(torch, args.vocab_size, hidden).to(device)
        loss_fn = nn.BCEWithLogitsLoss()
        optimizer = torch.optim.Adam(net.parameters(), lr=args.lr, weight_decay=args.weight_decay)
        for epoch in range(1, args.epochs + 1):
            net.train()
            loss_sum, seen = 0.0, 0
            for X, y in progress(train_iter, args.quiet, f"{name} epoch {epoch}"):
                X, y = X.to(device), y.to(device)
                loss_sum += train_step(net, loss_fn, optimizer, X, y) * len(y)
                seen += len(y)
            if not args.quiet and (epoch == args.epochs or epoch % 5 == 0):
                print(f"{name} epoch {epoch}: train loss {loss_sum / seen:.4f}", flush=True)
        net.eval()
        with torch.no_grad():
            scores = torch.sigmoid(net(X_test).squeeze(1)).cpu().numpy()
        metrics = classification_metrics(scores, test_labels)
        print(f"{name}: " + ", ".join(f"{k} {v:.3f}" for k, v in metrics.items()), flush=True)
        results.update({f"{name}_{k}": v for k, v in metrics.items()})
        fpr, tpr = roc_curve(scores, test_labels)
        curves[name] = (fpr, tpr, metrics["auc"])

    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "text_roc.png")
    save_roc_plot(curves, path)
    print(f"saved {path}")
    return results


if __name__ == "__main__":
    main()
