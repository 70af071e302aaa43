"""The seq2seq translation tutorial: Lang vocabularies from a tab-separated pairs file, a GRU encoder and a
Bahdanau-attention GRU decoder with teacher forcing, NLLLoss, greedy decoding for evaluation."""

# conformance: trend factor=2 tol=0.25
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import optim
from torch.utils.data import DataLoader, TensorDataset

import _data

SOS_token, EOS_token, MAX_LENGTH = 0, 1, 8


class Lang:
    def __init__(self, name):
        self.name = name
        self.word2index = {}
        self.index2word = {0: "SOS", 1: "EOS"}
        self.n_words = 2

    def addSentence(self, sentence):
        for word in sentence.split(" "):
            if word not in self.word2index:
                self.word2index[word] = self.n_words
                self.index2word[self.n_words] = word
                self.n_words += 1


class EncoderRNN(nn.Module):
    def __init__(self, input_size, hidden_size, dropout_p=0.1):
        super(EncoderRNN, self).__init__()
        self.embedding = nn.Embedding(input_size, hidden_size)
        self.gru = nn.GRU(hidden_size, hidden_size, batch_first=True)
        self.dropout = nn.Dropout(dropout_p)

    def forward(self, input):
        embedded = self.dropout(self.embedding(input))
        return self.gru(embedded)


class BahdanauAttention(nn.Module):
    def __init__(self, hidden_size):
        super(BahdanauAttention, self).__init__()
        self.Wa = nn.Linear(hidden_size, hidden_size)
        self.Ua = nn.Linear(hidden_size, hidden_size)
        self.Va = nn.Linear(hidden_size, 1)

    def forward(self, query, keys):
        scores = self.Va(torch.tanh(self.Wa(query) + self.Ua(keys)))
        scores = scores.squeeze(2).unsqueeze(1)
        weights = F.softmax(scores, dim=-1)
        return torch.bmm(weights, keys), weights


class AttnDecoderRNN(nn.Module):
    def __init__(self, hidden_size, output_size, dropout_p=0.1):
        super(AttnDecoderRNN, self).__init__()
        self.embedding = nn.Embedding(output_size, hidden_size)
        self.attention = BahdanauAttention(hidden_size)
        self.gru = nn.GRU(2 * hidden_size, hidden_size, batch_first=True)
        self.out = nn.Linear(hidden_size, output_size)
        self.dropout = nn.Dropout(dropout_p)

    def forward(self, encoder_outputs, encoder_hidden, target_tensor=None):
        batch_size = encoder_outputs.size(0)
        decoder_input = torch.empty(batch_size, 1, dtype=torch.long).fill_(SOS_token)
        decoder_hidden = encoder_hidden
        decoder_outputs, attentions = [], []
        for i in range(MAX_LENGTH):
            decoder_output, decoder_hidden, attn_weights = self.forward_step(
                decoder_input, decoder_hidden, encoder_outputs
            )
            decoder_outputs.append(decoder_output)
            attentions.append(attn_weights)
            if target_tensor is not None:
                decoder_input = target_tensor[:, i].unsqueeze(1)
            else:
                _, topi = decoder_output.topk(1)
                decoder_input = topi.squeeze(-1).detach()
        decoder_outputs = F.log_softmax(torch.cat(decoder_outputs, dim=1), dim=-1)
        return decoder_outputs, decoder_hidden, torch.cat(attentions, dim=1)

    def forward_step(self, input, hidden, encoder_outputs):
        embedded = self.dropout(self.embedding(input))
        query = hidden.permute(1, 0, 2)
        context, attn_weights = self.attention(query, encoder_outputs)
        output, hidden = self.gru(torch.cat((embedded, context), dim=2), hidden)
        return self.out(output), hidden, attn_weights


torch.manual_seed(0)
with open(_data.translation_pairs(), encoding="utf-8") as f:
    pairs = [line.strip().split("\t") for line in f if line.strip()]
input_lang, output_lang = Lang("eng"), Lang("xyz")
for src, tgt in pairs:
    input_lang.addSentence(src)
    output_lang.addSentence(tgt)
n = len(pairs)
input_ids = torch.zeros(n, MAX_LENGTH, dtype=torch.long)
target_ids = torch.zeros(n, MAX_LENGTH, dtype=torch.long)
for idx, (src, tgt) in enumerate(pairs):
    inp = [input_lang.word2index[w] for w in src.split(" ")] + [EOS_token]
    tgt_ids = [output_lang.word2index[w] for w in tgt.split(" ")] + [EOS_token]
    input_ids[idx, : len(inp)] = torch.tensor(inp)
    target_ids[idx, : len(tgt_ids)] = torch.tensor(tgt_ids)
print(f"input_words={input_lang.n_words} output_words={output_lang.n_words}")
train = DataLoader(TensorDataset(input_ids[:340], target_ids[:340]), batch_size=20, shuffle=True)
encoder, decoder = EncoderRNN(input_lang.n_words, 48), AttnDecoderRNN(48, output_lang.n_words)
encoder_optimizer = optim.Adam(encoder.parameters(), lr=0.005)
decoder_optimizer = optim.Adam(decoder.parameters(), lr=0.005)
criterion = nn.NLLLoss()
for epoch in range(1, 7):
    total_loss = 0
    for input_tensor, target_tensor in train:
        encoder_optimizer.zero_grad()
        decoder_optimizer.zero_grad()
        encoder_outputs, encoder_hidden = encoder(input_tensor)
        decoder_outputs, _, _ = decoder(encoder_outputs, encoder_hidden, target_tensor)
        loss = criterion(decoder_outputs.view(-1, decoder_outputs.size(-1)), target_tensor.view(-1))
        loss.backward()
        encoder_optimizer.step()
        decoder_optimizer.step()
        total_loss += loss.item()
    encoder.eval()
    decoder.eval()
    with torch.no_grad():
        encoder_outputs, encoder_hidden = encoder(input_ids[340:])
        decoder_outputs, _, attentions = decoder(encoder_outputs, encoder_hidden)
        predicted = decoder_outputs.argmax(-1)
        token_acc = (predicted == target_ids[340:]).float().mean().item()
    encoder.train()
    decoder.train()
    print(
        f"epoch {epoch} train_loss={total_loss / len(train):.4f} token_acc={token_acc:.3f} "
        f"attention_rows={attentions.sum(-1).mean().item():.3f}"
    )
