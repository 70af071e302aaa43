"""Write docs_train.csv and docs_test.csv: generated documents as strings of token ids, with binary labels.

    python ember/examples/data/make_docs.py      # (re)writes both files beside this script

Each document has 20-80 tokens from a 300-word vocabulary: mostly Zipf-distributed background words,
and with probability 0.06 per token a word from its class's 15 indicative words (the classes share
none). Columns: id, text ("0 43 2 66 ..."), label (0 or 1).
"""
import os

import numpy as np
import pandas as pd

VOCAB = 300


def make_docs(n, rng, signal=0.06):
    background = 1.0 / np.arange(1, VOCAB + 1) ** 1.1
    background /= background.sum()
    indicative = rng.permutation(np.arange(20, VOCAB))[:30].reshape(2, 15)   # not among the most common words
    labels = rng.integers(0, 2, n)
    texts = []
    for label in labels:
        length = rng.integers(20, 81)
        tokens = rng.choice(VOCAB, size=length, p=background)
        from_class = rng.random(length) < signal
        tokens[from_class] = rng.choice(indicative[label], size=from_class.sum())
        texts.append(" ".join(map(str, tokens)))
    return texts, labels


def main(folder=os.path.dirname(os.path.abspath(__file__)), n_train=600, n_test=300, seed=0):
    rng = np.random.default_rng(seed)
    texts, labels = make_docs(n_train + n_test, rng)
    table = pd.DataFrame({"id": np.arange(len(texts)), "text": texts, "label": labels})
    table.iloc[:n_train].to_csv(os.path.join(folder, "docs_train.csv"), index=False)
    table.iloc[n_train:].to_csv(os.path.join(folder, "docs_test.csv"), index=False)


if __name__ == "__main__":
    main()
