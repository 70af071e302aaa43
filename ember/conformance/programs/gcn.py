"""A graph convolutional network (Kipf & Welling) on a Cora-style citation graph read from .content/.cites
files: normalised adjacency as a sparse COO tensor, two GraphConvolution layers, masked NLL loss."""

# conformance: trend factor=3 tol=0.15
import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim

import _data


class GraphConvolution(nn.Module):
    def __init__(self, in_features, out_features, bias=True):
        super(GraphConvolution, self).__init__()
        self.weight = nn.Parameter(torch.FloatTensor(in_features, out_features))
        self.bias = nn.Parameter(torch.FloatTensor(out_features)) if bias else None
        self.reset_parameters()

    def reset_parameters(self):
        stdv = 1.0 / math.sqrt(self.weight.size(1))
        self.weight.data.uniform_(-stdv, stdv)
        if self.bias is not None:
            self.bias.data.uniform_(-stdv, stdv)

    def forward(self, input, adj):
        support = torch.mm(input, self.weight)
        output = torch.sparse.mm(adj, support)
        return output + self.bias if self.bias is not None else output


class GCN(nn.Module):
    def __init__(self, nfeat, nhid, nclass, dropout):
        super(GCN, self).__init__()
        self.gc1 = GraphConvolution(nfeat, nhid)
        self.gc2 = GraphConvolution(nhid, nclass)
        self.dropout = dropout

    def forward(self, x, adj):
        x = F.relu(self.gc1(x, adj))
        x = F.dropout(x, self.dropout, training=self.training)
        return F.log_softmax(self.gc2(x, adj), dim=1)


def load_data():
    content, cites = _data.citation_graph()
    idx_features_labels = np.genfromtxt(content, dtype=np.dtype(str))
    features = idx_features_labels[:, 1:-1].astype(np.float32)
    classes = sorted(set(idx_features_labels[:, -1]))
    labels = np.array([classes.index(c) for c in idx_features_labels[:, -1]])
    idx = np.array(idx_features_labels[:, 0], dtype=np.int32)
    idx_map = {j: i for i, j in enumerate(idx)}
    edges_unordered = np.genfromtxt(cites, dtype=np.int32)
    edges = np.array(list(map(idx_map.get, edges_unordered.flatten())), dtype=np.int32).reshape(edges_unordered.shape)
    n = labels.shape[0]
    adj = np.zeros((n, n), np.float32)
    adj[edges[:, 0], edges[:, 1]] = 1
    adj = np.maximum(adj, adj.T) + np.eye(n, dtype=np.float32)
    adj = adj / adj.sum(1, keepdims=True)
    features = features / np.maximum(features.sum(1, keepdims=True), 1)
    rows, cols = np.nonzero(adj)
    sparse_adj = torch.sparse_coo_tensor(
        torch.from_numpy(np.vstack((rows, cols)).astype(np.int64)), torch.from_numpy(adj[rows, cols]), (n, n)
    )
    return sparse_adj, torch.FloatTensor(features), torch.LongTensor(labels)


torch.manual_seed(42)
adj, features, labels = load_data()
idx_train, idx_val, idx_test = torch.arange(0, 60), torch.arange(60, 90), torch.arange(90, 120)
model = GCN(nfeat=features.shape[1], nhid=16, nclass=int(labels.max()) + 1, dropout=0.5)
optimizer = optim.Adam(model.parameters(), lr=0.01, weight_decay=5e-4)


def accuracy(output, labels):
    preds = output.max(1)[1].type_as(labels)
    return preds.eq(labels).double().sum() / len(labels)


for epoch in range(60):
    model.train()
    optimizer.zero_grad()
    output = model(features, adj)
    loss_train = F.nll_loss(output[idx_train], labels[idx_train])
    loss_train.backward()
    optimizer.step()
    if epoch % 20 == 19:
        model.eval()
        output = model(features, adj)
        loss_val = F.nll_loss(output[idx_val], labels[idx_val])
        print(
            f"Epoch: {epoch + 1:04d} loss_train={loss_train.item():.4f} loss_val={loss_val.item():.4f} "
            f"acc_val={accuracy(output[idx_val], labels[idx_val]).item():.4f}"
        )
model.eval()
output = model(features, adj)
print(
    f"Test set results: loss_test={F.nll_loss(output[idx_test], labels[idx_test]).item():.4f} "
    f"accuracy={accuracy(output[idx_test], labels[idx_test]).item():.4f}"
)
