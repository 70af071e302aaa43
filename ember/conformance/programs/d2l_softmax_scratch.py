"""d2l 3.6: softmax regression from scratch on Fashion-MNIST-format data: X.exp() partition, cross-entropy
by fancy indexing y_hat[range(len(y_hat)), y], accuracy with argmax(axis=1), Accumulator, sgd updater."""

# conformance: trend factor=2 tol=0.15
import torch

import _d2l as d2l

torch.manual_seed(0)
batch_size = 64
train_iter, test_iter = d2l.load_data_fashion_mnist(batch_size)
num_inputs, num_outputs = 784, 10
W = torch.normal(0, 0.01, size=(num_inputs, num_outputs), requires_grad=True)
b = torch.zeros(num_outputs, requires_grad=True)


def softmax(X):
    X_exp = torch.exp(X)
    partition = X_exp.sum(1, keepdim=True)
    return X_exp / partition


def net(X):
    return softmax(torch.matmul(X.reshape((-1, W.shape[0])), W) + b)


def cross_entropy(y_hat, y):
    return -torch.log(y_hat[range(len(y_hat)), y])


X = torch.normal(0, 1, (2, 5))
X_prob = softmax(X)
print(f"softmax_rows_sum={X_prob.sum(1).sum().item():.4f}")
y = torch.tensor([0, 2])
y_hat = torch.tensor([[0.1, 0.3, 0.6], [0.3, 0.2, 0.5]])
print(
    f"picked={y_hat[[0, 1], y].sum().item():.2f} ce_loss={cross_entropy(y_hat, y).mean().item():.4f} "
    f"check_acc={d2l.accuracy(y_hat, y) / len(y):.2f}"
)


def updater(batch_size):
    return d2l.sgd([W, b], 0.1, batch_size)


d2l.train_ch3(net, train_iter, test_iter, cross_entropy, 4, updater)
