"""d2l 9.5: an RNN language model from scratch on characters: one_hot inputs, parameters in a list,
begin_state, gradient clipping over all parameters, perplexity, and greedy prediction."""

# conformance: trend factor=1.5 tol=0.2
import math

import torch
from torch.nn import functional as F

import _d2l as d2l


def get_params(vocab_size, num_hiddens, device):
    num_inputs = num_outputs = vocab_size

    def normal(shape):
        return torch.randn(size=shape, device=device) * 0.01

    W_xh, W_hh, b_h = (
        normal((num_inputs, num_hiddens)),
        normal((num_hiddens, num_hiddens)),
        torch.zeros(num_hiddens, device=device),
    )
    W_hq, b_q = normal((num_hiddens, num_outputs)), torch.zeros(num_outputs, device=device)
    params = [W_xh, W_hh, b_h, W_hq, b_q]
    for param in params:
        param.requires_grad_(True)
    return params


def init_rnn_state(batch_size, num_hiddens, device):
    return (torch.zeros((batch_size, num_hiddens), device=device),)


def rnn(inputs, state, params):
    W_xh, W_hh, b_h, W_hq, b_q = params
    (H,) = state
    outputs = []
    for X in inputs:
        H = torch.tanh(torch.mm(X, W_xh) + torch.mm(H, W_hh) + b_h)
        outputs.append(torch.mm(H, W_hq) + b_q)
    return torch.cat(outputs, dim=0), (H,)


class RNNModelScratch:
    def __init__(self, vocab_size, num_hiddens, device, get_params, init_state, forward_fn):
        self.vocab_size, self.num_hiddens = vocab_size, num_hiddens
        self.params = get_params(vocab_size, num_hiddens, device)
        self.init_state, self.forward_fn = init_state, forward_fn

    def __call__(self, X, state):
        X = F.one_hot(X.T, self.vocab_size).type(torch.float32)
        return self.forward_fn(X, state, self.params)

    def begin_state(self, batch_size, device):
        return self.init_state(batch_size, self.num_hiddens, device)


def predict_ch8(prefix, num_preds, net, vocab, device):
    state = net.begin_state(batch_size=1, device=device)
    outputs = [vocab[prefix[0]]]
    get_input = lambda: torch.tensor([outputs[-1]], device=device).reshape((1, 1))  # noqa: E731
    for y in prefix[1:]:
        _, state = net(get_input(), state)
        outputs.append(vocab[y])
    for _ in range(num_preds):
        y, state = net(get_input(), state)
        outputs.append(int(y.argmax(dim=1).reshape(1)))
    return "".join([vocab.idx_to_token[i] for i in outputs])


torch.manual_seed(0)
batch_size, num_steps = 16, 20
train_iter, vocab = d2l.load_data_time_machine(batch_size, num_steps)
device = torch.device("cpu")
net = RNNModelScratch(len(vocab), 64, device, get_params, init_rnn_state, rnn)
state = net.begin_state(2, device)
Y, new_state = net(torch.arange(10).reshape((2, 5)), state)
print(f"vocab_size={len(vocab)} out_rows={Y.shape[0]} state_cols={new_state[0].shape[1]}")
loss = torch.nn.CrossEntropyLoss()
lr = 1.0
for epoch in range(6):
    state = None
    metric = d2l.Accumulator(2)
    for X, Y in train_iter():
        if state is None:
            state = net.begin_state(batch_size=X.shape[0], device=device)
        else:
            for s in state:
                s.detach_()
        y = Y.T.reshape(-1)
        y_hat, state = net(X, state)
        l = loss(y_hat, y.long()).mean()
        l.backward()
        d2l.grad_clipping(net, 1)
        d2l.sgd(net.params, lr, batch_size=1)
        metric.add(l * y.numel(), y.numel())
    print(f"epoch {epoch + 1} perplexity={math.exp(metric[0] / metric[1]):.3f}")
print(predict_ch8("the ", 10, net, vocab, device))
