"""Text classification with nn.TransformerEncoder: vocabulary from text, padding and key-padding masks,
sinusoidal positional encoding as a registered buffer, mean pooling over real tokens, AdamW + clipping."""

# conformance: trend factor=3 tol=0.2
import math

import torch
import torch.nn as nn

import _data


class PositionalEncoding(nn.Module):
    def __init__(self, d_model, dropout=0.1, max_len=64):
        super().__init__()
        self.dropout = nn.Dropout(p=dropout)
        position = torch.arange(max_len).unsqueeze(1)
        div_term = torch.exp(torch.arange(0, d_model, 2) * (-math.log(10000.0) / d_model))
        pe = torch.zeros(max_len, 1, d_model)
        pe[:, 0, 0::2] = torch.sin(position * div_term)
        pe[:, 0, 1::2] = torch.cos(position * div_term)
        self.register_buffer("pe", pe)

    def forward(self, x):
        x = x + self.pe[: x.size(0)]
        return self.dropout(x)


class TransformerClassifier(nn.Module):
    def __init__(self, ntoken, d_model=32, nhead=4, d_hid=64, nlayers=2, nclass=2, dropout=0.1):
        super().__init__()
        self.pos_encoder = PositionalEncoding(d_model, dropout)
        layer = nn.TransformerEncoderLayer(d_model, nhead, d_hid, dropout)
        self.transformer_encoder = nn.TransformerEncoder(layer, nlayers, enable_nested_tensor=False)
        self.embedding = nn.Embedding(ntoken, d_model, padding_idx=0)
        self.d_model = d_model
        self.classifier = nn.Linear(d_model, nclass)

    def forward(self, src, padding_mask):
        src = self.embedding(src) * math.sqrt(self.d_model)
        src = self.pos_encoder(src)
        output = self.transformer_encoder(src, src_key_padding_mask=padding_mask)
        keep = (~padding_mask).t().unsqueeze(-1).float()
        pooled = (output * keep).sum(0) / keep.sum(0)
        return self.classifier(pooled)


torch.manual_seed(0)
texts = _data.sentences(600, seed=3)
labels = [int(any(w in t.split() for w in ("quickly", "happily", "often"))) for t in texts]
vocab = {"<pad>": 0}
for t in texts:
    for w in t.split():
        vocab.setdefault(w, len(vocab))


def encode(batch):
    lengths = [len(t.split()) for t in batch]
    src = torch.zeros(max(lengths), len(batch), dtype=torch.long)
    for j, t in enumerate(batch):
        src[: lengths[j], j] = torch.tensor([vocab[w] for w in t.split()])
    return src, src.t() == 0


model = TransformerClassifier(len(vocab))
optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
criterion = nn.CrossEntropyLoss()
train_x, train_y, test_x, test_y = texts[:500], labels[:500], texts[500:], labels[500:]
for epoch in range(1, 4):
    model.train()
    total = 0.0
    perm = torch.randperm(len(train_x)).tolist()
    for i in range(0, len(perm), 25):
        idx = perm[i : i + 25]
        src, mask = encode([train_x[k] for k in idx])
        loss = criterion(model(src, mask), torch.tensor([train_y[k] for k in idx]))
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 0.5)
        optimizer.step()
        total += loss.item()
    model.eval()
    with torch.no_grad():
        src, mask = encode(test_x)
        acc = (model(src, mask).argmax(1) == torch.tensor(test_y)).float().mean().item()
    print(f"epoch {epoch} train_loss={total / (len(perm) / 25):.4f} test_acc={acc:.3f}")
