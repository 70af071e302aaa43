"""ember's WordPiece tokenizer against Hugging Face's `tokenizers` reading the same model's tokenizer.json."""

import os

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from bert_sentences import SENTENCES
from ember.models import BertTokenizer
from ember.models.tokenizer import BasicTokenizer, WordPieceTokenizer

tokenizers = pytest.importorskip("tokenizers")


@pytest.fixture(scope="module")
def ours(minilm_dir):
    return BertTokenizer.from_pretrained(minilm_dir)


@pytest.fixture(scope="module")
def reference(minilm_dir):
    tok = tokenizers.Tokenizer.from_file(os.path.join(minilm_dir, "tokenizer.json"))
    tok.no_truncation()  # the file fixes truncation and padding at 128; each test sets its own
    tok.no_padding()
    return tok


@pytest.mark.parametrize("text", SENTENCES)
def test_ids_and_tokens_equal_reference(ours, reference, text):
    expected = reference.encode(text)
    assert ours.encode(text) == expected.ids
    assert ["[CLS]"] + ours.tokenize(text) + ["[SEP]"] == expected.tokens


def test_pairs_types_and_longest_first_truncation(ours, reference):
    first, second = SENTENCES[1], SENTENCES[5]
    for max_length in (None, 12, 20, 21):
        if max_length is None:
            reference.no_truncation()
        else:
            reference.enable_truncation(max_length, strategy="longest_first")
        expected = reference.encode(first, second)
        ids = ours(first, second, truncation=max_length is not None, max_length=max_length)
        assert ids["input_ids"] == expected.ids, max_length
        assert ids["token_type_ids"] == expected.type_ids
        assert ids["attention_mask"] == expected.attention_mask
    reference.no_truncation()


@pytest.mark.parametrize("max_length", [256, 512, 16])
def test_batch_truncation_and_padding(ours, reference, max_length):
    reference.enable_truncation(max_length)
    reference.enable_padding(pad_id=0, pad_token="[PAD]")
    expected = reference.encode_batch(SENTENCES)
    reference.no_truncation()
    reference.no_padding()
    batch = ours(SENTENCES, padding=True, truncation=True, max_length=max_length, return_tensors="np")
    np.testing.assert_array_equal(batch["input_ids"], [e.ids for e in expected])
    np.testing.assert_array_equal(batch["attention_mask"], [e.attention_mask for e in expected])
    np.testing.assert_array_equal(batch["token_type_ids"], [e.type_ids for e in expected])
    assert batch["input_ids"].shape[1] == min(max_length, max(len(ours.encode(s)) for s in SENTENCES))


# Blocks whose characters both Unicode tables agree on (the Rust `tokenizers` carry older tables than
# Python's, so characters added since Unicode 9 tokenize differently), plus whatever the sentences hold
_BLOCKS = [
    (0x00, 0x24F),
    (0x370, 0x52F),
    (0x2000, 0x2064),
    (0x3000, 0x30FF),
    (0x4E00, 0x4FFF),
    (0xAC00, 0xAD00),
    (0xFF00, 0xFFEF),
    (0x1F600, 0x1F64F),
    (0x20000, 0x20100),
    (0x2B740, 0x2B81F),
    (0x2B920, 0x2BA00),
]
_ALPHABET = st.one_of(
    [st.characters(min_codepoint=lo, max_codepoint=hi, blacklist_categories=("Cs", "Cn")) for lo, hi in _BLOCKS]
    + [st.sampled_from(sorted(set("".join(SENTENCES))))]
)


@settings(max_examples=300, deadline=None)
@given(st.text(_ALPHABET, max_size=40))
def test_random_text_equals_reference(ours, reference, text):
    assert ours.encode(text) == reference.encode(text).ids


def test_basic_tokenizer_rules():
    basic = BasicTokenizer()
    assert basic.tokenize(" Héllo,WORLD!! 東京x ") == ["hello", ",", "world", "!", "!", "東", "京", "x"]
    assert BasicTokenizer(do_lower_case=False).tokenize("Héllo") == ["Héllo"]  # accents kept with case
    assert BasicTokenizer(strip_accents=True, do_lower_case=False).tokenize("Héllo") == ["Hello"]
    assert basic.tokenize("a$b^c`d") == ["a", "$", "b", "^", "c", "`", "d"]  # ASCII symbols split


def test_wordpiece_greedy_longest_match():
    vocab = {w: i for i, w in enumerate(["[UNK]", "un", "##aff", "##able", "##a", "aff"])}
    wp = WordPieceTokenizer(vocab, max_input_chars_per_word=8)
    assert wp.tokenize("unaffable") == ["[UNK]"]  # longer than 8 characters
    assert WordPieceTokenizer(vocab).tokenize("unaffable") == ["un", "##aff", "##able"]
    assert WordPieceTokenizer(vocab).tokenize("unx") == ["[UNK]"]  # one unmatched piece: the whole word


def test_decode_and_errors(ours):
    ids = ours.encode("Hello, unbelievable world!")
    assert ours.decode(ids, skip_special_tokens=True) == "hello , unbelievable world !"
    with pytest.raises(ValueError, match="padding=True"):
        ours(["short", "a longer text here"], return_tensors="pt")
    with pytest.raises(ValueError, match="return_tensors"):
        ours(["x"], return_tensors="tf")
