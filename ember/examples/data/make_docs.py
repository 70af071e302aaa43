"""Write docs_train.csv and docs_test.csv: a generated document-classification set for text_classification.py.

    python -m ember.examples.data.make_docs          # rewrites the two CSVs next to this file

Each document is a string of token ids ("0 43 2 66") drawn from a 500-id vocabulary with Zipf-like
frequencies. A positive document (label 1) draws some of its tokens from 30 "positive" ids, a negative one
from 30 "negative" ids, so a bag-of-words model can learn the label, but not perfectly: the share of
signal tokens varies per document and is sometimes close to zero. Seeded: the CSVs are its exact output.
"""
import csv
import os

import numpy as np

VOCAB_SIZE = 500
N_TRAIN, N_TEST = 600, 200
MIN_LEN, MAX_LEN = 20, 60
N_SIGNAL = 30


def make_docs(n, rng, background, positive_ids, negative_ids):
    """n (text, label) pairs; labels are balanced on average. background: every id's probability."""
    docs = []
    for _ in range(n):
        label = int(rng.random() < 0.5)
        length = int(rng.integers(MIN_LEN, MAX_LEN + 1))
        signal_share = rng.uniform(0.0, 0.15)                  # how clearly this document shows its class
        tokens = rng.choice(VOCAB_SIZE, size=length, p=background)
        from_signal = rng.random(length) < signal_share
        signal_ids = positive_ids if label else negative_ids
        tokens[from_signal] = rng.choice(signal_ids, size=int(from_signal.sum()))
        docs.append((" ".join(str(t) for t in tokens), label))
    return docs


def write_csv(path, docs):
    with open(path, "w", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["id", "text", "label"])
        for i, (text, label) in enumerate(docs):
            writer.writerow([i, text, label])


def main(folder=os.path.dirname(os.path.abspath(__file__)), seed=0):
    rng = np.random.default_rng(seed)
    signal_ids = rng.choice(VOCAB_SIZE, size=2 * N_SIGNAL, replace=False)
    positive_ids, negative_ids = signal_ids[:N_SIGNAL], signal_ids[N_SIGNAL:]
    background = 1.0 / np.arange(1, VOCAB_SIZE + 1)
    background = background[rng.permutation(VOCAB_SIZE)]    # frequent ids scattered over the vocabulary
    background /= background.sum()
    for name, n in (("docs_train.csv", N_TRAIN), ("docs_test.csv", N_TEST)):
        path = os.path.join(folder, name)
        write_csv(path, make_docs(n, rng, background, positive_ids, negative_ids))
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
