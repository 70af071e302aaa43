"""BERT's forward written directly in real torch (Hugging Face's eager attention, additive finfo.min mask),
reading a state_dict of torch tensors: the reference the ember model is compared with."""

import math

import torch
import torch.nn.functional as F


def torch_bert(state, config, input_ids, attention_mask, token_type_ids=None):
    """(last_hidden_state, pooler_output) of a Hugging Face BERT state_dict."""

    def lin(x, name):
        return F.linear(x, state[name + ".weight"], state[name + ".bias"])

    def norm(x, name):
        return F.layer_norm(x, x.shape[-1:], state[name + ".weight"], state[name + ".bias"], config.layer_norm_eps)

    batch, length = input_ids.shape
    if token_type_ids is None:
        token_type_ids = torch.zeros_like(input_ids)
    positions = torch.arange(length)
    x = (
        F.embedding(input_ids, state["embeddings.word_embeddings.weight"])
        + F.embedding(token_type_ids, state["embeddings.token_type_embeddings.weight"])
        + F.embedding(positions, state["embeddings.position_embeddings.weight"])
    )
    x = norm(x, "embeddings.LayerNorm")
    heads, size = config.num_attention_heads, config.hidden_size // config.num_attention_heads
    additive = (1.0 - attention_mask[:, None, None, :].to(x.dtype)) * torch.finfo(x.dtype).min
    for i in range(config.num_hidden_layers):
        p = f"encoder.layer.{i}."

        def split(t):
            return t.view(batch, length, heads, size).transpose(1, 2)

        q, k, v = (split(lin(x, p + "attention.self." + n)) for n in ("query", "key", "value"))
        scores = q @ k.transpose(-1, -2) / math.sqrt(size) + additive
        context = (scores.softmax(-1) @ v).transpose(1, 2).reshape(batch, length, -1)
        x = norm(lin(context, p + "attention.output.dense") + x, p + "attention.output.LayerNorm")
        hidden = F.gelu(lin(x, p + "intermediate.dense"))
        x = norm(lin(hidden, p + "output.dense") + x, p + "output.LayerNorm")
    pooled = torch.tanh(lin(x[:, 0], "pooler.dense"))
    return x, pooled


def torch_sentence_embeddings(state, config, input_ids, attention_mask):
    """sentence-transformers' Pooling(mean) + Normalize on top of BERT."""
    hidden, _ = torch_bert(state, config, input_ids, attention_mask)
    mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
    mean = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
    return F.normalize(mean, p=2, dim=1)
