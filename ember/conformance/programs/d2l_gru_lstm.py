"""d2l 10.1/10.2: concise GRU and LSTM language models through an RNNModel wrapper (nn.GRU/nn.LSTM,
begin_state for both state kinds), trained with clipping and perplexity."""

# conformance: trend factor=1.5 tol=0.2
import math

import torch
from torch import nn
from torch.nn import functional as F

import _d2l as d2l


class RNNModel(nn.Module):
    def __init__(self, rnn_layer, vocab_size, **kwargs):
        super(RNNModel, self).__init__(**kwargs)
        self.rnn = rnn_layer
        self.vocab_size = vocab_size
        self.num_hiddens = self.rnn.hidden_size
        self.num_directions = 2 if self.rnn.bidirectional else 1
        self.linear = nn.Linear(self.num_hiddens * self.num_directions, self.vocab_size)

    def forward(self, inputs, state):
        X = F.one_hot(inputs.T.long(), self.vocab_size)
        X = X.to(torch.float32)
        Y, state = self.rnn(X, state)
        output = self.linear(Y.reshape((-1, Y.shape[-1])))
        return output, state

    def begin_state(self, device, batch_size=1):
        if not isinstance(self.rnn, nn.LSTM):
            return torch.zeros((self.num_directions * self.rnn.num_layers, batch_size, self.num_hiddens), device=device)
        return (
            torch.zeros((self.num_directions * self.rnn.num_layers, batch_size, self.num_hiddens), device=device),
            torch.zeros((self.num_directions * self.rnn.num_layers, batch_size, self.num_hiddens), device=device),
        )


def train(net, train_iter, lr, num_epochs, tag):
    loss = nn.CrossEntropyLoss()
    updater = torch.optim.SGD(net.parameters(), lr)
    for epoch in range(num_epochs):
        state, metric = None, d2l.Accumulator(2)
        for X, Y in train_iter():
            if state is None:
                state = net.begin_state(batch_size=X.shape[0], device=torch.device("cpu"))
            elif isinstance(state, tuple):
                state = tuple(s.detach_() for s in state)
            else:
                state.detach_()
            y = Y.T.reshape(-1)
            y_hat, state = net(X, state)
            l = loss(y_hat, y.long()).mean()
            updater.zero_grad()
            l.backward()
            d2l.grad_clipping(net, 1)
            updater.step()
            metric.add(l * y.numel(), y.numel())
        print(f"{tag} epoch {epoch + 1} {tag}_perplexity={math.exp(metric[0] / metric[1]):.3f}")


torch.manual_seed(0)
train_iter, vocab = d2l.load_data_time_machine(16, 20)
train(RNNModel(nn.GRU(len(vocab), 64), len(vocab)), train_iter, 1.0, 4, "gru")
train(RNNModel(nn.LSTM(len(vocab), 64), len(vocab)), train_iter, 1.0, 4, "lstm")
train(RNNModel(nn.LSTM(len(vocab), 32, num_layers=2), len(vocab)), train_iter, 2.0, 4, "deep_lstm")
