"""Pretrained-model architectures whose checkpoints load with their original names (BERT, sentence encoders)."""

from .bert import (
    BertConfig,
    BertModel,
    BertForSequenceClassification,
    SentenceEncoder,  # noqa: F401
    mean_pooling,
    load_pretrained_state_dict,
)
from .tokenizer import BertTokenizer, BasicTokenizer, WordPieceTokenizer  # noqa: F401
from .outputs import ModelOutput, BaseModelOutputWithPooling, SequenceClassifierOutput  # noqa: F401


def load_sentiment(split=None):
    """The shipped toy sentiment set (data/sentiment.csv): (texts, labels) with 1 = positive, 0 = negative.

    split: 'train' (80 sentences), 'test' (24, with subjects and phrasings unseen in training) or None (all).
    """
    import csv
    import os

    if split not in (None, "train", "test"):
        raise ValueError(f"load_sentiment: split must be 'train', 'test' or None, got {split!r}")
    with open(os.path.join(os.path.dirname(__file__), "data", "sentiment.csv"), newline="", encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if split is None or r["split"] == split]
    return [r["text"] for r in rows], [int(r["label"]) for r in rows]
