"""BERT (Devlin et al. 2018) with Hugging Face's module names, so their checkpoints load key for key.

    BertModel
      embeddings: word_embeddings, position_embeddings, token_type_embeddings, LayerNorm, dropout
      encoder.layer.N: attention.self.{query,key,value}, attention.output.{dense,LayerNorm},
                       intermediate.dense (+ activation), output.{dense,LayerNorm}
      pooler.dense (+ tanh on the [CLS] vector)

`SentenceEncoder` adds sentence-transformers' mean pooling and L2 normalisation (all-MiniLM-L6-v2).
"""

import json
import os
from dataclasses import dataclass, fields

from .. import nn
from ..nn import functional as F
from ..autograd.grad_mode import no_grad
from .outputs import BaseModelOutputWithPooling, SequenceClassifierOutput

__all__ = [
    "BertConfig",
    "BertModel",
    "BertForSequenceClassification",
    "SentenceEncoder",
    "mean_pooling",
    "load_pretrained_state_dict",
]


@dataclass
class BertConfig:
    """The fields of a Hugging Face BERT config.json that the model uses (defaults: bert-base-uncased)."""

    vocab_size: int = 30522
    hidden_size: int = 768
    num_hidden_layers: int = 12
    num_attention_heads: int = 12
    intermediate_size: int = 3072
    hidden_act: str = "gelu"
    hidden_dropout_prob: float = 0.1
    attention_probs_dropout_prob: float = 0.1
    max_position_embeddings: int = 512
    type_vocab_size: int = 2
    initializer_range: float = 0.02
    layer_norm_eps: float = 1e-12
    pad_token_id: int = 0
    position_embedding_type: str = "absolute"
    classifier_dropout: float = None
    num_labels: int = 2

    def __post_init__(self):
        if self.hidden_size % self.num_attention_heads:
            raise ValueError(
                f"BertConfig: hidden_size ({self.hidden_size}) is not a multiple of "
                f"num_attention_heads ({self.num_attention_heads})"
            )
        if self.hidden_act not in _ACTIVATIONS:
            raise ValueError(
                f"BertConfig: hidden_act {self.hidden_act!r} is not supported; expected one of {sorted(_ACTIVATIONS)}"
            )
        if self.position_embedding_type != "absolute":
            raise ValueError(
                f"BertConfig: only position_embedding_type='absolute' is supported, "
                f"got {self.position_embedding_type!r}"
            )

    @classmethod
    def from_dict(cls, config):
        """Keys a BertConfig does not use (architectures, transformers_version, ...) are ignored."""
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in config.items() if k in known}
        if "id2label" in config and "num_labels" not in config:
            values["num_labels"] = len(config["id2label"])
        return cls(**values)

    @classmethod
    def from_json_file(cls, path):
        with open(path, encoding="utf-8") as f:
            return cls.from_dict(json.load(f))

    @classmethod
    def from_pretrained(cls, model_dir):
        return cls.from_json_file(os.path.join(model_dir, "config.json"))


_ACTIVATIONS = {
    "gelu": lambda x: F.gelu(x),  # the exact (erf) GELU
    "gelu_new": lambda x: F.gelu(x, approximate="tanh"),
    "gelu_pytorch_tanh": lambda x: F.gelu(x, approximate="tanh"),
    "relu": F.relu,
    "silu": F.silu,
}


class BertEmbeddings(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.word_embeddings = nn.Embedding(config.vocab_size, config.hidden_size, padding_idx=config.pad_token_id)
        self.position_embeddings = nn.Embedding(config.max_position_embeddings, config.hidden_size)
        self.token_type_embeddings = nn.Embedding(config.type_vocab_size, config.hidden_size)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)
        # persistent, as in the transformers 4.x checkpoints that carry it (all-MiniLM-L6-v2's does)
        from ..ops.creation import arange

        self.register_buffer("position_ids", arange(config.max_position_embeddings).unsqueeze(0))

    def _load_from_state_dict(
        self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs
    ):
        # newer transformers versions no longer save position_ids; its value is fixed anyway
        before = len(missing_keys)
        super()._load_from_state_dict(
            state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs
        )
        missing_keys[before:] = [k for k in missing_keys[before:] if k != prefix + "position_ids"]

    def forward(self, input_ids, token_type_ids=None):
        length = input_ids.shape[1]
        if length > self.position_embeddings.num_embeddings:
            raise ValueError(
                f"BertEmbeddings: input of {length} tokens is longer than max_position_embeddings "
                f"({self.position_embeddings.num_embeddings}); truncate it (max_length=...)"
            )
        if token_type_ids is None:
            token_type_ids = input_ids.new_zeros(input_ids.shape)
        embeddings = (
            self.word_embeddings(input_ids)
            + self.token_type_embeddings(token_type_ids)
            + self.position_embeddings(self.position_ids[:, :length])
        )
        return self.dropout(self.LayerNorm(embeddings))


class BertSelfAttention(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.num_attention_heads = config.num_attention_heads
        self.attention_head_size = config.hidden_size // config.num_attention_heads
        self.query = nn.Linear(config.hidden_size, config.hidden_size)
        self.key = nn.Linear(config.hidden_size, config.hidden_size)
        self.value = nn.Linear(config.hidden_size, config.hidden_size)
        self.dropout = nn.Dropout(config.attention_probs_dropout_prob)

    def _heads(self, x):
        batch, length, _ = x.shape
        return x.view(batch, length, self.num_attention_heads, self.attention_head_size).transpose(1, 2)

    def forward(self, hidden_states, attention_mask=None):
        """attention_mask: bool (batch, 1, 1, length), True at the tokens that may be attended to."""
        batch, length, hidden = hidden_states.shape
        q, k, v = (self._heads(proj(hidden_states)) for proj in (self.query, self.key, self.value))
        context = F.scaled_dot_product_attention(
            q, k, v, attn_mask=attention_mask, dropout_p=self.dropout.p if self.training else 0.0
        )
        return context.transpose(1, 2).reshape(batch, length, hidden)


class BertSelfOutput(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)

    def forward(self, hidden_states, input_tensor):
        return self.LayerNorm(self.dropout(self.dense(hidden_states)) + input_tensor)


class BertAttention(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.self = BertSelfAttention(config)
        self.output = BertSelfOutput(config)

    def forward(self, hidden_states, attention_mask=None):
        return self.output(self.self(hidden_states, attention_mask), hidden_states)


class BertIntermediate(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.intermediate_size)
        self.intermediate_act_fn = _ACTIVATIONS[config.hidden_act]

    def forward(self, hidden_states):
        return self.intermediate_act_fn(self.dense(hidden_states))


class BertOutput(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.dense = nn.Linear(config.intermediate_size, config.hidden_size)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)

    def forward(self, hidden_states, input_tensor):
        return self.LayerNorm(self.dropout(self.dense(hidden_states)) + input_tensor)


class BertLayer(nn.Module):
    """Post-norm transformer block: attention, then the feed-forward network, each with residual + LayerNorm."""

    def __init__(self, config):
        super().__init__()
        self.attention = BertAttention(config)
        self.intermediate = BertIntermediate(config)
        self.output = BertOutput(config)

    def forward(self, hidden_states, attention_mask=None):
        attended = self.attention(hidden_states, attention_mask)
        return self.output(self.intermediate(attended), attended)


class BertEncoder(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.layer = nn.ModuleList([BertLayer(config) for _ in range(config.num_hidden_layers)])

    def forward(self, hidden_states, attention_mask=None):
        for layer in self.layer:
            hidden_states = layer(hidden_states, attention_mask)
        return hidden_states


class BertPooler(nn.Module):
    """tanh(dense(h_[CLS])): the sentence vector BERT's next-sentence objective trained."""

    def __init__(self, config):
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)
        self.activation = nn.Tanh()

    def forward(self, hidden_states):
        return self.activation(self.dense(hidden_states[:, 0]))


def _init_bert_weights(module, std):
    """Hugging Face's BertPreTrainedModel._init_weights: N(0, initializer_range) weights, zero biases."""
    if isinstance(module, nn.Linear):
        nn.init.normal_(module.weight, 0.0, std)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.Embedding):
        nn.init.normal_(module.weight, 0.0, std)
        if module.padding_idx is not None:
            with no_grad():
                module.weight[module.padding_idx].zero_()
    elif isinstance(module, nn.LayerNorm):
        nn.init.ones_(module.weight)
        nn.init.zeros_(module.bias)


class BertModel(nn.Module):
    """forward(input_ids, attention_mask=None, token_type_ids=None) -> BaseModelOutputWithPooling: outputs.
    last_hidden_state and outputs.pooler_output, or by position (`hidden, pooled = model(ids)`) as before."""

    def __init__(self, config, add_pooling_layer=True):
        super().__init__()
        self.config = config
        self.embeddings = BertEmbeddings(config)
        self.encoder = BertEncoder(config)
        self.pooler = BertPooler(config) if add_pooling_layer else None
        self.apply(lambda m: _init_bert_weights(m, config.initializer_range))

    @classmethod
    def from_pretrained(cls, model_dir):
        """Build from config.json and load model.safetensors (or pytorch_model.bin) with strict key matching."""
        model = cls(BertConfig.from_pretrained(model_dir))
        model.load_state_dict(load_pretrained_state_dict(model_dir))
        return model.eval()

    def forward(self, input_ids, attention_mask=None, token_type_ids=None):
        if input_ids.dim() != 2:
            raise ValueError(
                f"BertModel: expected input_ids of shape (batch, sequence_length), got {list(input_ids.shape)}"
            )
        if input_ids.is_floating_point():
            raise TypeError(f"BertModel: input_ids must hold integer token ids, got dtype {input_ids.dtype}")
        hidden = self.embeddings(input_ids, token_type_ids)
        keep = None
        if attention_mask is not None:
            if tuple(attention_mask.shape) != tuple(input_ids.shape):
                raise ValueError(
                    f"BertModel: attention_mask of shape {list(attention_mask.shape)} does not "
                    f"match input_ids of shape {list(input_ids.shape)}"
                )
            keep = (attention_mask != 0)[:, None, None, :]
        hidden = self.encoder(hidden, keep)
        pooled = self.pooler(hidden) if self.pooler is not None else None
        return BaseModelOutputWithPooling(last_hidden_state=hidden, pooler_output=pooled)


def load_pretrained_state_dict(model_dir):
    """The weights of a Hugging Face BERT directory, read with ember's own safetensors / torch-zip readers.

    Checkpoints of BERT with a task head keep the encoder under 'bert.'; that prefix is removed and the
    head's keys (cls.*, classifier.*) are left out, so the result matches BertModel's keys.
    """
    safetensors_file = os.path.join(model_dir, "model.safetensors")
    if os.path.exists(safetensors_file):
        from ..safetensors import load_file

        state = load_file(safetensors_file)
    else:
        torch_file = os.path.join(model_dir, "pytorch_model.bin")
        if not os.path.exists(torch_file):
            raise FileNotFoundError(
                f"BertModel.from_pretrained: neither model.safetensors nor pytorch_model.bin in {model_dir}"
            )
        from ..serialization import load

        state = load(torch_file, map_location="cpu", weights_only=True)
    if any(k.startswith("bert.") for k in state):
        state = {k[len("bert.") :]: v for k, v in state.items() if k.startswith("bert.")}
    return state


def mean_pooling(token_embeddings, attention_mask):
    """The average of the token vectors over the real (mask 1) tokens, as sentence-transformers' Pooling."""
    mask = attention_mask.unsqueeze(-1).to(token_embeddings.dtype)
    return (token_embeddings * mask).sum(1) / mask.sum(1).clamp(min=1e-9)


class SentenceEncoder(nn.Module):
    """A sentence-transformers model of the all-MiniLM-L6-v2 kind: BERT -> mean pooling -> L2 normalise."""

    def __init__(self, bert, tokenizer, max_seq_length=256, normalize=True):
        super().__init__()
        self.bert = bert
        self.tokenizer = tokenizer
        self.max_seq_length = max_seq_length
        self.normalize = normalize

    @classmethod
    def from_pretrained(cls, model_dir):
        """A sentence-transformers directory: config.json, vocab.txt, weights, sentence_bert_config.json."""
        from .tokenizer import BertTokenizer

        max_seq_length = 256
        st_config = os.path.join(model_dir, "sentence_bert_config.json")
        if os.path.exists(st_config):
            with open(st_config, encoding="utf-8") as f:
                max_seq_length = json.load(f).get("max_seq_length", max_seq_length)
        normalize = os.path.exists(os.path.join(model_dir, "modules.json")) and _has_normalize(model_dir)
        return cls(
            BertModel.from_pretrained(model_dir), BertTokenizer.from_pretrained(model_dir), max_seq_length, normalize
        )

    def forward(self, input_ids, attention_mask, token_type_ids=None):
        hidden = self.bert(input_ids, attention_mask, token_type_ids).last_hidden_state
        embeddings = mean_pooling(hidden, attention_mask)
        return F.normalize(embeddings, p=2, dim=1) if self.normalize else embeddings

    def encode(self, sentences, batch_size=32):
        """Embeddings (len(sentences), hidden_size) of a list of strings, without building a graph.

        Batches are formed longest first, as sentence-transformers does, so that little padding is computed.
        """
        from ..ops.shape import stack

        single = isinstance(sentences, str)
        sentences = [sentences] if single else list(sentences)
        encoded = [self.tokenizer.encode(s, truncation=True, max_length=self.max_seq_length) for s in sentences]
        order = sorted(range(len(sentences)), key=lambda i: -len(encoded[i]))
        rows = [None] * len(sentences)
        with no_grad():
            for start in range(0, len(order), batch_size):
                chosen = order[start : start + batch_size]
                batch = self.tokenizer(
                    [sentences[i] for i in chosen],
                    padding=True,
                    truncation=True,
                    max_length=self.max_seq_length,
                    return_tensors="pt",
                )
                out = self(batch["input_ids"], batch["attention_mask"], batch["token_type_ids"])
                for row, i in enumerate(chosen):
                    rows[i] = out[row]
        if not rows:
            raise ValueError("SentenceEncoder.encode: got no sentences")
        return rows[0] if single else stack(rows)


def _has_normalize(model_dir):
    with open(os.path.join(model_dir, "modules.json"), encoding="utf-8") as f:
        return any(m.get("type", "").endswith("Normalize") for m in json.load(f))


class BertForSequenceClassification(nn.Module):
    """BERT -> pooled sentence vector -> dropout -> Linear(num_labels); Hugging Face's names (bert, classifier).

    pooling='cls' uses BERT's pooler output (Hugging Face's choice); pooling='mean' the masked mean
    of the token vectors, which suits sentence-transformers checkpoints whose pooler was never trained.
    """

    def __init__(self, config, pooling="cls"):
        super().__init__()
        if pooling not in ("cls", "mean"):
            raise ValueError(f"BertForSequenceClassification: pooling must be 'cls' or 'mean', got {pooling!r}")
        self.num_labels = config.num_labels
        self.pooling = pooling
        self.bert = BertModel(config)
        dropout = config.classifier_dropout if config.classifier_dropout is not None else config.hidden_dropout_prob
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(config.hidden_size, config.num_labels)
        _init_bert_weights(self.classifier, config.initializer_range)

    @classmethod
    def from_pretrained(cls, model_dir, num_labels=2, pooling="cls"):
        """The encoder from a pretrained directory; a new, randomly initialised classifier on top."""
        config = BertConfig.from_pretrained(model_dir)
        config.num_labels = num_labels
        model = cls(config, pooling)
        model.bert.load_state_dict(load_pretrained_state_dict(model_dir))
        return model

    def forward(self, input_ids, attention_mask=None, token_type_ids=None, labels=None):
        """SequenceClassifierOutput: outputs.logits (batch, num_labels), and outputs.loss when labels are given
        (cross-entropy, or mean squared error when num_labels == 1, as transformers); outputs[0] is the loss
        when there is one, else the logits."""
        outputs = self.bert(input_ids, attention_mask, token_type_ids)
        pooled = outputs.pooler_output
        if self.pooling == "mean":
            mask = attention_mask if attention_mask is not None else input_ids.new_ones(input_ids.shape)
            pooled = mean_pooling(outputs.last_hidden_state, mask)
        logits = self.classifier(self.dropout(pooled))
        loss = None
        if labels is not None:
            loss = (
                F.mse_loss(logits.squeeze(-1), labels.to(logits.dtype))
                if self.num_labels == 1
                else F.cross_entropy(logits.view(-1, self.num_labels), labels.view(-1))
            )
        return SequenceClassifierOutput(loss=loss, logits=logits)
