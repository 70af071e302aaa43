"""torch's graph nodes (issue 15 item 3): every nn layer and loss records the nodes torch records.

For each module class that ember.nn shares with torch.nn, the output's graph is walked in both libraries
from `grad_fn` down to the AccumulateGrad leaves, and the walks must agree at every level:
`type(node).__name__`, `name()`, the `repr` form and the `next_functions` edges (None included, shared
nodes shared).
"""

import inspect
import re
import sys

import numpy as np
import pytest

import ember
from oracle import torch


def x(*shape):
    """a float input that requires grad"""
    return ("x", shape)


def t(*shape):
    """a float target (no grad)"""
    return ("t", shape)


def prob(*shape):
    """a target in (0, 1)"""
    return ("prob", shape)


def xprob(*shape):
    """an input in (0, 1) that requires grad"""
    return ("xprob", shape)


def sign(*shape):
    """a target of +-1"""
    return ("sign", shape)


def cls(high, *shape):
    """an int64 class-index target"""
    return ("cls", (high,) + shape)


def var(*shape):
    """a positive float target (no grad)"""
    return ("var", shape)


def _make(spec, T, rng):
    kind, args = spec
    if kind == "cls":
        return T.tensor(rng.integers(0, args[0], size=args[1:]))
    shape = args
    if kind in ("prob", "xprob"):
        a = rng.uniform(0.05, 0.95, size=shape)
    elif kind == "sign":
        a = np.where(rng.uniform(size=shape) > 0.5, 1.0, -1.0)
    elif kind == "var":
        a = rng.uniform(0.5, 2.0, size=shape)
    else:
        a = rng.standard_normal(shape)
    return T.tensor(a.astype(np.float32), requires_grad=kind in ("x", "xprob"))


SPECS = {
    "AdaptiveAvgPool1d": (lambda nn: nn.AdaptiveAvgPool1d(3), [x(2, 3, 7)]),
    "AdaptiveAvgPool2d": (lambda nn: nn.AdaptiveAvgPool2d((3, 2)), [x(2, 3, 7, 5)]),
    "AdaptiveAvgPool3d": (lambda nn: nn.AdaptiveAvgPool3d(2), [x(1, 2, 5, 4, 4)]),
    "AdaptiveMaxPool1d": (lambda nn: nn.AdaptiveMaxPool1d(3), [x(2, 3, 7)]),
    "AdaptiveMaxPool2d": (lambda nn: nn.AdaptiveMaxPool2d((3, 2)), [x(2, 3, 7, 5)]),
    "AdaptiveMaxPool3d": (lambda nn: nn.AdaptiveMaxPool3d(2), [x(1, 2, 5, 4, 4)]),
    "AlphaDropout": (lambda nn: nn.AlphaDropout(0.3), [x(4, 5)]),
    "AvgPool1d": (lambda nn: nn.AvgPool1d(2), [x(2, 3, 8)]),
    "AvgPool2d": (lambda nn: nn.AvgPool2d(2), [x(2, 3, 6, 6)]),
    "AvgPool3d": (lambda nn: nn.AvgPool3d(2), [x(1, 2, 4, 4, 4)]),
    "BCELoss": (lambda nn: nn.BCELoss(), [xprob(4, 3), prob(4, 3)]),
    "BCEWithLogitsLoss": (lambda nn: nn.BCEWithLogitsLoss(), [x(4, 3), prob(4, 3)]),
    "BatchNorm1d": (lambda nn: nn.BatchNorm1d(3), [x(4, 3)]),
    "BatchNorm2d": (lambda nn: nn.BatchNorm2d(3), [x(2, 3, 4, 4)]),
    "BatchNorm3d": (lambda nn: nn.BatchNorm3d(2), [x(2, 2, 3, 3, 3)]),
    "Bilinear": (lambda nn: nn.Bilinear(3, 4, 5), [x(2, 3), x(2, 4)]),
    "CELU": (lambda nn: nn.CELU(), [x(4, 5)]),
    "ChannelShuffle": (lambda nn: nn.ChannelShuffle(2), [x(2, 4, 3, 3)]),
    "CircularPad1d": (lambda nn: nn.CircularPad1d(2), [x(2, 3, 5)]),
    "CircularPad2d": (lambda nn: nn.CircularPad2d(1), [x(2, 3, 4, 4)]),
    "CircularPad3d": (lambda nn: nn.CircularPad3d(1), [x(1, 2, 3, 3, 3)]),
    "ConstantPad1d": (lambda nn: nn.ConstantPad1d(2, 1.5), [x(2, 3, 5)]),
    "ConstantPad2d": (lambda nn: nn.ConstantPad2d(1, 1.5), [x(2, 3, 4, 4)]),
    "ConstantPad3d": (lambda nn: nn.ConstantPad3d(1, 1.5), [x(1, 2, 3, 3, 3)]),
    "Conv1d": (lambda nn: nn.Conv1d(3, 4, 3), [x(2, 3, 8)]),
    "Conv2d": (lambda nn: nn.Conv2d(3, 4, 3, padding=1), [x(2, 3, 6, 6)]),
    "Conv3d": (lambda nn: nn.Conv3d(2, 3, 2), [x(1, 2, 4, 4, 4)]),
    "ConvTranspose1d": (lambda nn: nn.ConvTranspose1d(3, 4, 3, stride=2), [x(2, 3, 5)]),
    "ConvTranspose2d": (lambda nn: nn.ConvTranspose2d(3, 4, 3, stride=2), [x(2, 3, 4, 4)]),
    "ConvTranspose3d": (lambda nn: nn.ConvTranspose3d(2, 3, 2), [x(1, 2, 3, 3, 3)]),
    "CosineEmbeddingLoss": (lambda nn: nn.CosineEmbeddingLoss(), [x(4, 5), x(4, 5), sign(4)]),
    "CosineSimilarity": (lambda nn: nn.CosineSimilarity(), [x(4, 5), x(4, 5)]),
    "CrossEntropyLoss": (lambda nn: nn.CrossEntropyLoss(), [x(4, 5), cls(5, 4)]),
    "CrossEntropyLoss_probs": (lambda nn: nn.CrossEntropyLoss(), [x(4, 5), prob(4, 5)]),
    "CrossEntropyLoss_smoothing": (lambda nn: nn.CrossEntropyLoss(label_smoothing=0.1), [x(4, 5), cls(5, 4)]),
    "Dropout": (lambda nn: nn.Dropout(0.3), [x(4, 5)]),
    "Dropout1d": (lambda nn: nn.Dropout1d(0.3), [x(2, 4, 5)]),
    "Dropout2d": (lambda nn: nn.Dropout2d(0.3), [x(2, 4, 3, 3)]),
    "Dropout3d": (lambda nn: nn.Dropout3d(0.3), [x(2, 4, 2, 3, 3)]),
    "ELU": (lambda nn: nn.ELU(), [x(4, 5)]),
    "Embedding": (lambda nn: nn.Embedding(10, 3), [cls(10, 2, 4)]),
    "FeatureAlphaDropout": (lambda nn: nn.FeatureAlphaDropout(0.3), [x(2, 4, 3, 3)]),
    "Flatten": (lambda nn: nn.Flatten(), [x(2, 3, 4)]),
    "Fold": (lambda nn: nn.Fold((4, 5), (2, 2)), [x(2, 12, 12)]),
    "GELU": (lambda nn: nn.GELU(), [x(4, 5)]),
    "GELU_tanh": (lambda nn: nn.GELU("tanh"), [x(4, 5)]),
    "GLU": (lambda nn: nn.GLU(), [x(4, 6)]),
    "GRU": (lambda nn: nn.GRU(3, 4), [x(5, 2, 3)]),
    "GRUCell": (lambda nn: nn.GRUCell(3, 4), [x(2, 3)]),
    "GaussianNLLLoss": (lambda nn: nn.GaussianNLLLoss(), [x(4, 3), t(4, 3), var(4, 3)]),
    "GroupNorm": (lambda nn: nn.GroupNorm(2, 4), [x(2, 4, 3)]),
    "Hardshrink": (lambda nn: nn.Hardshrink(), [x(4, 5)]),
    "Hardsigmoid": (lambda nn: nn.Hardsigmoid(), [x(4, 5)]),
    "Hardswish": (lambda nn: nn.Hardswish(), [x(4, 5)]),
    "Hardtanh": (lambda nn: nn.Hardtanh(), [x(4, 5)]),
    "HingeEmbeddingLoss": (lambda nn: nn.HingeEmbeddingLoss(), [x(4, 5), sign(4, 5)]),
    "HuberLoss": (lambda nn: nn.HuberLoss(), [x(4, 5), t(4, 5)]),
    "Identity": (lambda nn: nn.Sequential(nn.Identity(), nn.Tanh()), [x(4, 5)]),
    "InstanceNorm1d": (lambda nn: nn.InstanceNorm1d(3), [x(2, 3, 5)]),
    "InstanceNorm2d": (lambda nn: nn.InstanceNorm2d(3, affine=True), [x(2, 3, 4, 4)]),
    "InstanceNorm3d": (lambda nn: nn.InstanceNorm3d(2), [x(1, 2, 3, 3, 3)]),
    "KLDivLoss": (lambda nn: nn.KLDivLoss(reduction="batchmean"), [x(4, 5), prob(4, 5)]),
    "L1Loss": (lambda nn: nn.L1Loss(), [x(4, 5), t(4, 5)]),
    "LPPool1d": (lambda nn: nn.LPPool1d(2, 2), [x(2, 3, 8)]),
    "LPPool2d": (lambda nn: nn.LPPool2d(2, 2), [x(2, 3, 6, 6)]),
    "LPPool3d": (lambda nn: nn.LPPool3d(2, 2), [x(1, 2, 4, 4, 4)]),
    "LSTM": (lambda nn: nn.LSTM(3, 4), [x(5, 2, 3)]),
    "LSTMCell": (lambda nn: nn.LSTMCell(3, 4), [x(2, 3)]),
    "LayerNorm": (lambda nn: nn.LayerNorm(5), [x(4, 5)]),
    "LeakyReLU": (lambda nn: nn.LeakyReLU(), [x(4, 5)]),
    "Linear": (lambda nn: nn.Linear(3, 4), [x(2, 3)]),
    "Linear_3d": (lambda nn: nn.Linear(3, 4), [x(2, 5, 3)]),
    "Linear_1d": (lambda nn: nn.Linear(3, 4), [x(3)]),
    "Linear_nobias": (lambda nn: nn.Linear(3, 4, bias=False), [x(2, 3)]),
    "LocalResponseNorm": (lambda nn: nn.LocalResponseNorm(2), [x(2, 4, 3, 3)]),
    "LogSigmoid": (lambda nn: nn.LogSigmoid(), [x(4, 5)]),
    "LogSoftmax": (lambda nn: nn.LogSoftmax(1), [x(4, 5)]),
    "MSELoss": (lambda nn: nn.MSELoss(), [x(4, 5), t(4, 5)]),
    "MSELoss_sum": (lambda nn: nn.MSELoss(reduction="sum"), [x(4, 5), t(4, 5)]),
    "MarginRankingLoss": (lambda nn: nn.MarginRankingLoss(), [x(4), x(4), sign(4)]),
    "MaxPool1d": (lambda nn: nn.MaxPool1d(2), [x(2, 3, 8)]),
    "MaxPool2d": (lambda nn: nn.MaxPool2d(2), [x(2, 3, 6, 6)]),
    "MaxPool3d": (lambda nn: nn.MaxPool3d(2), [x(1, 2, 4, 4, 4)]),
    "Mish": (lambda nn: nn.Mish(), [x(4, 5)]),
    "MultiLabelSoftMarginLoss": (lambda nn: nn.MultiLabelSoftMarginLoss(), [x(4, 5), prob(4, 5)]),
    "MultiheadAttention": (lambda nn: nn.MultiheadAttention(4, 2), [x(3, 2, 4), x(3, 2, 4), x(3, 2, 4)]),
    "NLLLoss": (lambda nn: nn.NLLLoss(), [x(4, 5), cls(5, 4)]),
    "PReLU": (lambda nn: nn.PReLU(), [x(4, 5)]),
    "PairwiseDistance": (lambda nn: nn.PairwiseDistance(), [x(4, 5), x(4, 5)]),
    "PixelShuffle": (lambda nn: nn.PixelShuffle(2), [x(2, 8, 3, 3)]),
    "PixelUnshuffle": (lambda nn: nn.PixelUnshuffle(2), [x(2, 2, 4, 4)]),
    "PoissonNLLLoss": (lambda nn: nn.PoissonNLLLoss(), [x(4, 5), var(4, 5)]),
    "RMSNorm": (lambda nn: nn.RMSNorm(5), [x(4, 5)]),
    "RNN": (lambda nn: nn.RNN(3, 4), [x(5, 2, 3)]),
    "RNNCell": (lambda nn: nn.RNNCell(3, 4), [x(2, 3)]),
    "RReLU": (lambda nn: nn.RReLU(), [x(4, 5)]),
    "ReLU": (lambda nn: nn.ReLU(), [x(4, 5)]),
    "ReLU6": (lambda nn: nn.ReLU6(), [x(4, 5)]),
    "ReflectionPad1d": (lambda nn: nn.ReflectionPad1d(2), [x(2, 3, 5)]),
    "ReflectionPad2d": (lambda nn: nn.ReflectionPad2d(1), [x(2, 3, 4, 4)]),
    "ReflectionPad3d": (lambda nn: nn.ReflectionPad3d(1), [x(1, 2, 3, 3, 3)]),
    "ReplicationPad1d": (lambda nn: nn.ReplicationPad1d(2), [x(2, 3, 5)]),
    "ReplicationPad2d": (lambda nn: nn.ReplicationPad2d(1), [x(2, 3, 4, 4)]),
    "ReplicationPad3d": (lambda nn: nn.ReplicationPad3d(1), [x(1, 2, 3, 3, 3)]),
    "SELU": (lambda nn: nn.SELU(), [x(4, 5)]),
    "SiLU": (lambda nn: nn.SiLU(), [x(4, 5)]),
    "Sigmoid": (lambda nn: nn.Sigmoid(), [x(4, 5)]),
    "SmoothL1Loss": (lambda nn: nn.SmoothL1Loss(), [x(4, 5), t(4, 5)]),
    "SoftMarginLoss": (lambda nn: nn.SoftMarginLoss(), [x(4, 5), sign(4, 5)]),
    "Softmax": (lambda nn: nn.Softmax(1), [x(4, 5)]),
    "Softmax2d": (lambda nn: nn.Softmax2d(), [x(2, 3, 4, 4)]),
    "Softmin": (lambda nn: nn.Softmin(1), [x(4, 5)]),
    "Softplus": (lambda nn: nn.Softplus(), [x(4, 5)]),
    "Softshrink": (lambda nn: nn.Softshrink(), [x(4, 5)]),
    "Softsign": (lambda nn: nn.Softsign(), [x(4, 5)]),
    "Tanh": (lambda nn: nn.Tanh(), [x(4, 5)]),
    "Tanhshrink": (lambda nn: nn.Tanhshrink(), [x(4, 5)]),
    "Threshold": (lambda nn: nn.Threshold(0.1, 20.0), [x(4, 5)]),
    "TripletMarginLoss": (lambda nn: nn.TripletMarginLoss(), [x(4, 5), x(4, 5), x(4, 5)]),
    "TripletMarginWithDistanceLoss": (lambda nn: nn.TripletMarginWithDistanceLoss(), [x(4, 5), x(4, 5), x(4, 5)]),
    "Unflatten": (lambda nn: nn.Unflatten(1, (2, 3)), [x(4, 6)]),
    "Unfold": (lambda nn: nn.Unfold((2, 2)), [x(2, 3, 4, 5)]),
    "Upsample": (lambda nn: nn.Upsample(scale_factor=2), [x(2, 3, 4, 4)]),
    "Upsample_bilinear": (lambda nn: nn.Upsample(scale_factor=2, mode="bilinear"), [x(2, 3, 4, 4)]),
    "UpsamplingBilinear2d": (lambda nn: nn.UpsamplingBilinear2d(scale_factor=2), [x(2, 3, 4, 4)]),
    "UpsamplingNearest2d": (lambda nn: nn.UpsamplingNearest2d(scale_factor=2), [x(2, 3, 4, 4)]),
    "ZeroPad1d": (lambda nn: nn.ZeroPad1d(2), [x(2, 3, 5)]),
    "ZeroPad2d": (lambda nn: nn.ZeroPad2d(1), [x(2, 3, 4, 4)]),
    "ZeroPad3d": (lambda nn: nn.ZeroPad3d(1), [x(1, 2, 3, 3, 3)]),
    "MaxUnpool2d": (lambda nn: _Unpool(nn, 2), [x(2, 3, 4, 4)]),
    "MaxUnpool1d": (lambda nn: _Unpool(nn, 1), [x(2, 3, 8)]),
    "MaxUnpool3d": (lambda nn: _Unpool(nn, 3), [x(1, 2, 4, 4, 4)]),
    "TransformerEncoderLayer": (lambda nn: nn.TransformerEncoderLayer(4, 2, 8, dropout=0.0), [x(3, 2, 4)]),
    "TransformerEncoder": (
        lambda nn: nn.TransformerEncoder(
            nn.TransformerEncoderLayer(4, 2, 8, dropout=0.0), 2, enable_nested_tensor=False
        ),
        [x(3, 2, 4)],
    ),
    "Transformer": (lambda nn: nn.Transformer(4, 2, 1, 1, 8, dropout=0.0), [x(3, 2, 4), x(2, 2, 4)]),
    "TransformerDecoderLayer": (
        lambda nn: nn.TransformerDecoderLayer(4, 2, 8, dropout=0.0, norm_first=True),
        [x(3, 2, 4), x(2, 2, 4)],
    ),
    "TransformerDecoder": (
        lambda nn: nn.TransformerDecoder(nn.TransformerDecoderLayer(4, 2, 8, dropout=0.0), 2),
        [x(3, 2, 4), x(2, 2, 4)],
    ),
    "EmbeddingBag": (lambda nn: nn.EmbeddingBag(10, 3, mode="sum"), [cls(10, 2, 4)]),
    "CTCLoss": (lambda nn: _CTC(nn), [x(6, 2, 4)]),
    "NLLLoss2d": (lambda nn: nn.NLLLoss(), [x(2, 4, 3, 3), cls(4, 2, 3, 3)]),
    "MultiMarginLoss": (lambda nn: nn.MultiMarginLoss(), [x(4, 5), cls(5, 4)]),
    "MultiLabelMarginLoss": (lambda nn: nn.MultiLabelMarginLoss(), [x(4, 5), cls(5, 4, 5)]),
    "FractionalMaxPool2d": (lambda nn: nn.FractionalMaxPool2d(2, output_size=3), [x(2, 3, 7, 7)]),
    "FractionalMaxPool3d": (lambda nn: nn.FractionalMaxPool3d(2, output_ratio=0.5), [x(1, 2, 6, 6, 6)]),
    "CTCLoss_zero_infinity": (lambda nn: _CTC(nn, zero_infinity=True, reduction="sum"), [x(6, 2, 4)]),
    "LazyLinear": (lambda nn: nn.LazyLinear(4), [x(2, 3)]),
    "LazyConv1d": (lambda nn: nn.LazyConv1d(4, 3), [x(2, 3, 6)]),
    "LazyConv2d": (lambda nn: nn.LazyConv2d(4, 3), [x(2, 3, 5, 5)]),
    "LazyConv3d": (lambda nn: nn.LazyConv3d(2, 2), [x(1, 2, 3, 3, 3)]),
    "LazyConvTranspose1d": (lambda nn: nn.LazyConvTranspose1d(4, 3), [x(2, 3, 5)]),
    "LazyConvTranspose2d": (lambda nn: nn.LazyConvTranspose2d(4, 3), [x(2, 3, 4, 4)]),
    "LazyConvTranspose3d": (lambda nn: nn.LazyConvTranspose3d(2, 2), [x(1, 2, 3, 3, 3)]),
    "LazyBatchNorm1d": (lambda nn: nn.LazyBatchNorm1d(), [x(4, 3)]),
    "LazyBatchNorm2d": (lambda nn: nn.LazyBatchNorm2d(), [x(2, 3, 2, 2)]),
    "LazyBatchNorm3d": (lambda nn: nn.LazyBatchNorm3d(), [x(2, 2, 2, 2, 2)]),
    "LazyInstanceNorm1d": (lambda nn: nn.LazyInstanceNorm1d(), [x(2, 3, 4)]),
    "LazyInstanceNorm2d": (lambda nn: nn.LazyInstanceNorm2d(), [x(2, 3, 3, 3)]),
    "LazyInstanceNorm3d": (lambda nn: nn.LazyInstanceNorm3d(), [x(1, 2, 3, 3, 3)]),
    # other options and shapes of the same layers
    "Conv2d_nobias": (lambda nn: nn.Conv2d(3, 4, 3, bias=False), [x(2, 3, 5, 5)]),
    "ConvTranspose2d_nobias": (lambda nn: nn.ConvTranspose2d(3, 2, 2, bias=False), [x(1, 3, 3, 3)]),
    "BatchNorm2d_eval": (lambda nn: nn.BatchNorm2d(3).eval(), [x(2, 3, 2, 2)]),
    "BatchNorm1d_noaffine": (lambda nn: nn.BatchNorm1d(3, affine=False), [x(4, 3, 2)]),
    "LayerNorm_noaffine": (lambda nn: nn.LayerNorm((2, 5), elementwise_affine=False), [x(3, 2, 5)]),
    "GroupNorm_noaffine": (lambda nn: nn.GroupNorm(3, 3, affine=False), [x(2, 3, 4, 2)]),
    "AdaptiveAvgPool2d_one": (lambda nn: nn.AdaptiveAvgPool2d(1), [x(2, 3, 5, 5)]),
    "AdaptiveAvgPool2d_divisible": (lambda nn: nn.AdaptiveAvgPool2d(2), [x(2, 3, 4, 6)]),
    "AdaptiveAvgPool1d_one": (lambda nn: nn.AdaptiveAvgPool1d(1), [x(2, 3, 5)]),
    "MaxPool2d_options": (lambda nn: nn.MaxPool2d(3, 2, 1, ceil_mode=True), [x(2, 3, 7, 7)]),
    "Upsample_nearest_exact": (lambda nn: nn.Upsample(scale_factor=2, mode="nearest-exact"), [x(2, 3, 3, 3)]),
    "Upsample_bicubic": (lambda nn: nn.Upsample(size=(5, 7), mode="bicubic"), [x(2, 3, 3, 3)]),
    "Upsample_linear": (lambda nn: nn.Upsample(scale_factor=2, mode="linear"), [x(2, 3, 4)]),
    "Upsample_trilinear": (lambda nn: nn.Upsample(scale_factor=2, mode="trilinear"), [x(1, 2, 2, 2, 2)]),
    "Upsample_same_size": (lambda nn: nn.Upsample(size=(3, 3)), [x(2, 3, 3, 3)]),
    "PReLU_channels": (lambda nn: nn.PReLU(3), [x(2, 3, 4)]),
    "PReLU_1d": (lambda nn: nn.PReLU(), [x(5)]),
    "RReLU_eval": (lambda nn: nn.RReLU().eval(), [x(4, 5)]),
    "Softmax_3d": (lambda nn: nn.Softmax(dim=-1), [x(2, 3, 4)]),
    "CrossEntropyLoss_weight": (lambda nn: nn.CrossEntropyLoss(weight=_weights(nn, 5)), [x(4, 5), cls(5, 4)]),
    "CrossEntropyLoss_spatial": (lambda nn: nn.CrossEntropyLoss(), [x(2, 5, 3, 3), cls(5, 2, 3, 3)]),
    "CrossEntropyLoss_3d": (lambda nn: nn.CrossEntropyLoss(reduction="none"), [x(2, 5, 3), cls(5, 2, 3)]),
    "CrossEntropyLoss_unbatched": (lambda nn: nn.CrossEntropyLoss(), [x(5), cls(5)]),
    "NLLLoss_none": (lambda nn: nn.NLLLoss(reduction="none"), [x(4, 5), cls(5, 4)]),
    "BCELoss_weight": (lambda nn: nn.BCELoss(weight=_weights(nn, 3)), [xprob(4, 3), prob(4, 3)]),
    "BCEWithLogitsLoss_pos_weight": (
        lambda nn: nn.BCEWithLogitsLoss(pos_weight=_weights(nn, 3)),
        [x(4, 3), prob(4, 3)],
    ),
    "MSELoss_broadcast": (lambda nn: nn.MSELoss(), [x(4, 5), t(5)]),
    "L1Loss_none": (lambda nn: nn.L1Loss(reduction="none"), [x(4, 5), t(4, 5)]),
    "HuberLoss_sum": (lambda nn: nn.HuberLoss(reduction="sum", delta=0.5), [x(4, 5), t(4, 5)]),
    "SmoothL1Loss_beta0": (lambda nn: nn.SmoothL1Loss(beta=0.0), [x(4, 5), t(4, 5)]),
    "KLDivLoss_log_target": (lambda nn: nn.KLDivLoss(reduction="sum", log_target=True), [x(4, 5), t(4, 5)]),
    "PoissonNLLLoss_full": (lambda nn: nn.PoissonNLLLoss(log_input=False, full=True), [xprob(4, 5), var(4, 5)]),
    "GaussianNLLLoss_full": (lambda nn: nn.GaussianNLLLoss(full=True, reduction="sum"), [x(4, 3), t(4, 3), var(4)]),
    "TripletMarginLoss_swap": (lambda nn: nn.TripletMarginLoss(swap=True), [x(4, 5), x(4, 5), x(4, 5)]),
    "MultiLabelSoftMarginLoss_weight": (
        lambda nn: nn.MultiLabelSoftMarginLoss(weight=_weights(nn, 5)),
        [x(4, 5), prob(4, 5)],
    ),
}


def _weights(nn, n):
    """n class weights in the library whose `nn` this is"""
    return sys.modules[nn.__name__.rpartition(".")[0]].linspace(0.5, 2.0, n)


def _CTC(nn, **kwargs):
    loss = nn.CTCLoss(**kwargs)
    T = sys.modules[nn.__name__.rpartition(".")[0]]
    return lambda lp: loss(lp.log_softmax(2), T.tensor([[1, 2], [3, 3]]), (6, 5), (2, 2))


def _Unpool(nn, d):
    pool = getattr(nn, f"MaxPool{d}d")(2, return_indices=True)
    unpool = getattr(nn, f"MaxUnpool{d}d")(2)
    return lambda inp: unpool(*pool(inp))


def _root(out):
    return out[0] if isinstance(out, tuple) else out


def walk(root):
    """The graph under `root` as a list of (type name, name(), repr form, [child number or None]) in DFS
    order; a node reached twice keeps its first number, so sharing is compared too."""
    numbers, rows = {}, []

    def visit(node):
        if node in numbers:
            return numbers[node]
        numbers[node] = len(rows)
        row = [type(node).__name__, node.name(), re.sub(r"0x[0-9a-f]+", "ADDR", repr(node)), None]
        rows.append(row)
        row[3] = [None if child is None else visit(child) for child, _ in node.next_functions]
        return numbers[node]

    visit(root)
    return rows


def _run(T, name):
    ctor, inputs = SPECS[name]
    T.manual_seed(0)
    module = ctor(T.nn)
    rng = np.random.default_rng(0)
    args = [_make(s, T, rng) for s in inputs]
    return walk(_root(module(*args)).grad_fn)


def _format(rows):
    return "\n".join(f"{i}: {r[0]} {r[1]} -> {r[3]}" for i, r in enumerate(rows))


_UNROLLED = (
    "torch's CPU RNN/GRU unroll the sequence into one cell per time step (Addmm, Tanh/Sigmoid ... per "
    "step, then StackBackward0); ember runs each layer as an input-projection GEMM and one fused Recurrence "
    "node, for speed"
)
_COPY_SLICES = (
    "torch builds a circular pad from in-place copies into slices of a new tensor, a chain of CopySlices "
    "nodes; ember's pad is one node, named CopySlices as the chain's last"
)
# layers whose torch graph is an implementation detail ember does not reproduce (strict xfail: a match fails)
NOT_TORCH_GRAPH = {
    "RNN": _UNROLLED,
    "GRU": _UNROLLED,
    "LSTM": "torch's CPU LSTM is one oneDNN node (MkldnnRnnLayerBackward0) with the input projection inside; ember's "
    "is an input-projection GEMM and one fused Recurrence node",
    "CircularPad1d": _COPY_SLICES,
    "CircularPad2d": _COPY_SLICES,
    "CircularPad3d": _COPY_SLICES,
}


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(n, marks=pytest.mark.xfail(strict=True, reason=NOT_TORCH_GRAPH[n])) if n in NOT_TORCH_GRAPH else n
        for n in sorted(SPECS)
    ],
)
def test_layer_graph_matches_torch(name):
    theirs, ours = _run(torch, name), _run(ember, name)
    assert ours == theirs, f"ember:\n{_format(ours)}\ntorch:\n{_format(theirs)}"


def test_blitz_walk_of_mse_loss():
    """The 60-minute blitz prints loss.grad_fn and two steps of next_functions[0][0] (MSELoss, Linear, the
    bias's AccumulateGrad)."""
    walks = []
    for T in (torch, ember):
        T.manual_seed(0)
        net = T.nn.Sequential(T.nn.Linear(4, 3), T.nn.ReLU(), T.nn.Linear(3, 2))
        loss = T.nn.MSELoss()(net(T.randn(5, 4)), T.randn(5, 2))
        node = loss.grad_fn
        steps = [node]
        for _ in range(2):
            node = node.next_functions[0][0]
            steps.append(node)
        walks.append([(type(n).__name__, n.name(), re.sub(r"0x[0-9a-f]+", "ADDR", repr(n))) for n in steps])
        walks[-1].append(len(loss.grad_fn.next_functions))
    assert walks[1] == walks[0]
    assert walks[0][:3] == [
        ("MseLossBackward0",) * 2 + ("<MseLossBackward0 object at ADDR>",),
        ("AddmmBackward0",) * 2 + ("<AddmmBackward0 object at ADDR>",),
        ("AccumulateGrad", "torch::autograd::AccumulateGrad", "<AccumulateGrad object at ADDR>"),
    ]


EXPRESSIONS = {
    "x ** 2": lambda T, x, y: x**2,
    "x.max()": lambda T, x, y: x.max(),
    "x.max(1)": lambda T, x, y: x.max(1)[0],
    "x.sum()": lambda T, x, y: x.sum(),
    "x.sum(0)": lambda T, x, y: x.sum(0),
    "x.mean(1)": lambda T, x, y: x.mean(1),
    "2 * x + 1": lambda T, x, y: 2 * x + 1,
    "1 - x / 2": lambda T, x, y: 1 - x / 2,
    "2 / x": lambda T, x, y: 2 / x,
    "x @ y.T": lambda T, x, y: x @ y.T,
    "x.t().reshape": lambda T, x, y: x.t().reshape(-1),
    "x.view(-1)": lambda T, x, y: x.view(-1),
    "chunk": lambda T, x, y: x.chunk(2, 1)[1] * y[:, :2],
    "where": lambda T, x, y: T.where(x > 0, x, 0.0),
    "softmax": lambda T, x, y: x.softmax(-1),
    "cat": lambda T, x, y: T.cat([x, y]),
    "stack": lambda T, x, y: T.stack([x, y]),
    "index": lambda T, x, y: x[T.tensor([0, 1])],
    "gather": lambda T, x, y: x.gather(1, T.tensor([[0], [1], [2]])),
    "median": lambda T, x, y: x.median() + x.median(0)[0] + x.kthvalue(2, 1, keepdim=True)[0],
    "min(1, keepdim)": lambda T, x, y: x.min(1, keepdim=True)[0],
    "exp.log": lambda T, x, y: x.exp().log(),
    "relu_": lambda T, x, y: (x * 1).relu_(),
}


@pytest.mark.parametrize("name", sorted(EXPRESSIONS))
def test_tensor_expression_graph_matches_torch(name):
    rows = []
    for T in (torch, ember):
        rng = np.random.default_rng(0)
        x = T.tensor(rng.standard_normal((3, 4)).astype(np.float32), requires_grad=True)
        y = T.tensor(rng.standard_normal((3, 4)).astype(np.float32), requires_grad=True)
        rows.append(walk(EXPRESSIONS[name](T, x, y).grad_fn))
    assert rows[1] == rows[0], f"ember:\n{_format(rows[1])}\ntorch:\n{_format(rows[0])}"


def test_specs_cover_every_shared_module():
    """Every module class in both ember.nn and torch.nn has a graph spec (or needs none: containers)."""
    containers = {
        "Module",
        "Sequential",
        "ModuleList",
        "ModuleDict",
        "ParameterList",
        "ParameterDict",
        "DataParallel",
        "RNNBase",
        "RNNCellBase",
        "SyncBatchNorm",
        "Container",
    }
    shared = {
        n
        for n in dir(ember.nn)
        if inspect.isclass(getattr(ember.nn, n))
        and issubclass(getattr(ember.nn, n), ember.nn.Module)
        and hasattr(torch.nn, n)
    }
    covered = {n.split("_")[0] for n in SPECS}
    assert shared - containers - covered == set()
