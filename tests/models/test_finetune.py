"""Fine-tuning BertForSequenceClassification on the shipped sentiment sentences: the loss falls and
held-out accuracy rises."""

import numpy as np
import pytest

import ember
from ember.models import BertConfig, BertForSequenceClassification, BertTokenizer, load_sentiment


def _accuracy(model, tokenizer, texts, labels):
    model.eval()
    with ember.no_grad():
        batch = tokenizer(texts, padding=True, return_tensors="pt")
        predicted = model(batch["input_ids"], batch["attention_mask"]).logits.argmax(1).numpy()
    model.train()
    return float((predicted == np.asarray(labels)).mean())


def _train(model, tokenizer, optimizer, texts, labels, steps, batch_size):
    order = np.random.RandomState(0)
    losses = []
    for _ in range(steps):
        idx = order.choice(len(texts), batch_size, replace=False)
        batch = tokenizer([texts[i] for i in idx], padding=True, return_tensors="pt")
        outputs = model(batch["input_ids"], batch["attention_mask"], labels=ember.tensor([labels[i] for i in idx]))
        loss = outputs.loss
        assert outputs[0] is loss and ember.equal(outputs[1], outputs.logits)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


def test_shipped_data_set():
    texts, labels = load_sentiment()
    train, test = load_sentiment("train"), load_sentiment("test")
    assert len(texts) == 104 and len(train[0]) == 80 and len(test[0]) == 24
    assert sum(train[1]) == 40 and sum(test[1]) == 12  # balanced
    assert not set(train[0]) & set(test[0])
    with pytest.raises(ValueError, match="split"):
        load_sentiment("validation")


def test_small_bert_from_scratch_learns_sentiment(minilm_dir):
    """A 2-layer BERT from random weights, trained on 60 sentences, judges the 20 it has not seen."""
    ember.manual_seed(0)
    tokenizer = BertTokenizer.from_pretrained(minilm_dir)
    texts, labels = load_sentiment("train")
    config = BertConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=64,
        max_position_embeddings=64,
        hidden_dropout_prob=0.0,
        attention_probs_dropout_prob=0.0,
    )
    model = BertForSequenceClassification(config, pooling="mean")
    optimizer = ember.optim.Adam(model.parameters(), lr=3e-3)
    before = _accuracy(model, tokenizer, texts[60:], labels[60:])
    losses = _train(model, tokenizer, optimizer, texts[:60], labels[:60], steps=40, batch_size=16)
    after = _accuracy(model, tokenizer, texts[60:], labels[60:])
    assert np.mean(losses[-5:]) < 0.5 * np.mean(losses[:5])
    assert after >= 0.9 and after > before


@pytest.mark.slow
def test_pretrained_minilm_fine_tuned_generalises_to_unseen_phrasings(minilm_dir):
    """MiniLM with all but its last layer frozen: a few steps teach it sentiment it can apply to new words."""
    ember.manual_seed(0)
    tokenizer = BertTokenizer.from_pretrained(minilm_dir)
    model = BertForSequenceClassification.from_pretrained(minilm_dir, num_labels=2, pooling="mean")
    model.bert.requires_grad_(False)
    last = model.bert.encoder.layer[-1]
    last.requires_grad_(True)
    optimizer = ember.optim.Adam(
        [{"params": model.classifier.parameters(), "lr": 1e-2}, {"params": last.parameters(), "lr": 1e-4}]
    )
    test_texts, test_labels = load_sentiment("test")
    before = _accuracy(model, tokenizer, test_texts, test_labels)
    losses = _train(model, tokenizer, optimizer, *load_sentiment("train"), steps=10, batch_size=16)
    after = _accuracy(model, tokenizer, test_texts, test_labels)
    assert np.mean(losses[-3:]) < 0.5 * np.mean(losses[:3])
    assert after >= 0.95 and after > before
