"""The char-RNN name classification tutorial: names per language from text files, one-hot letter tensors,
an nn.RNN over characters, NLLLoss on the last step, SGD, and evaluation with topk."""

# conformance: trend factor=2 tol=0.25
import glob
import os
import string
import unicodedata

import torch
import torch.nn as nn

import _data

allowed_characters = string.ascii_letters + " .,;'"
n_letters = len(allowed_characters)


def unicodeToAscii(s):
    return "".join(
        c for c in unicodedata.normalize("NFD", s) if unicodedata.category(c) != "Mn" and c in allowed_characters
    )


def letterToIndex(letter):
    return allowed_characters.find(letter)


def lineToTensor(line):
    tensor = torch.zeros(len(line), 1, n_letters)
    for li, letter in enumerate(line):
        tensor[li][0][letterToIndex(letter)] = 1
    return tensor


class CharRNN(nn.Module):
    def __init__(self, input_size, hidden_size, output_size):
        super(CharRNN, self).__init__()
        self.rnn = nn.RNN(input_size, hidden_size)
        self.h2o = nn.Linear(hidden_size, output_size)
        self.softmax = nn.LogSoftmax(dim=1)

    def forward(self, line_tensor):
        rnn_out, hidden = self.rnn(line_tensor)
        return self.softmax(self.h2o(hidden[0]))


torch.manual_seed(2024)
path = _data.names_by_language()
data, labels_uniq = [], []
for filename in sorted(glob.glob(os.path.join(path, "*.txt"))):
    label = os.path.splitext(os.path.basename(filename))[0]
    labels_uniq.append(label)
    with open(filename, encoding="utf-8") as f:
        for name in f.read().strip().split("\n"):
            data.append((unicodeToAscii(name), labels_uniq.index(label)))
print(f"languages={len(labels_uniq)} names={len(data)}")
train_set, test_set = torch.utils.data.random_split(data, [0.85, 0.15], generator=torch.Generator().manual_seed(2024))
rnn = CharRNN(n_letters, 64, len(labels_uniq))
criterion = nn.NLLLoss()
optimizer = torch.optim.SGD(rnn.parameters(), lr=0.05)
for epoch in range(1, 6):
    rnn.train()
    batches = list(range(len(train_set)))
    order = torch.randperm(len(batches)).tolist()
    current_loss = 0
    for start in range(0, len(order), 16):
        rnn.zero_grad()
        batch_loss = 0
        for i in order[start : start + 16]:
            name, label = train_set[i]
            output = rnn(lineToTensor(name))
            batch_loss = batch_loss + criterion(output, torch.tensor([label]))
        batch_loss.backward()
        nn.utils.clip_grad_norm_(rnn.parameters(), 3)
        optimizer.step()
        current_loss += batch_loss.item()
    rnn.eval()
    correct = 0
    with torch.no_grad():
        for name, label in test_set:
            top_n, top_i = rnn(lineToTensor(name)).topk(1)
            correct += int(top_i[0].item() == label)
    print(f"epoch {epoch} train_loss={current_loss / len(train_set):.4f} test_acc={correct / len(test_set):.3f}")
