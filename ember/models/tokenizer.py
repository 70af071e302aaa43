"""BERT's WordPiece tokenizer (Hugging Face `BertTokenizer`), reading a model's vocab.txt.

Two stages, as in the original BERT code: `BasicTokenizer` cleans the text, lower-cases it, strips
accents, and splits it on whitespace, punctuation and around CJK characters; `WordPieceTokenizer`
then splits each word greedily into the longest vocabulary pieces, continuations marked '##'.
"""

from .._tensor import Tensor
import json
import os
import unicodedata

__all__ = ["BasicTokenizer", "WordPieceTokenizer", "BertTokenizer"]

SPECIAL_TOKENS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")


def _is_whitespace(ch):
    return ch in " \t\n\r" or unicodedata.category(ch) == "Zs"


def _is_control(ch):
    if ch in "\t\n\r":  # whitespace for BERT, not control
        return False
    # Cc, Cf, Co, Cs but not Cn: the Rust `tokenizers` keep unassigned code points (and map them to [UNK])
    category = unicodedata.category(ch)
    return category.startswith("C") and category != "Cn"


def _is_punctuation(ch):
    cp = ord(ch)
    # BERT treats every non-alphanumeric ASCII character as punctuation ("$", "^", "`" are not Unicode P*)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(ch).startswith("P")


# Google's BERT has (0x2B820, 0x2CEAF); the Rust `tokenizers` that the Hugging Face models run with start that
# block at 0x2B920, and ids are to match theirs
_CJK_RANGES = (
    (0x4E00, 0x9FFF),
    (0x3400, 0x4DBF),
    (0x20000, 0x2A6DF),
    (0x2A700, 0x2B73F),
    (0x2B740, 0x2B81F),
    (0x2B920, 0x2CEAF),
    (0xF900, 0xFAFF),
    (0x2F800, 0x2FA1F),
)


def _is_cjk(cp):
    """The CJK Unified Ideographs blocks (not Hiragana, Katakana or Hangul, which are spaced words)."""
    return any(lo <= cp <= hi for lo, hi in _CJK_RANGES)


class BasicTokenizer:
    """Cleaning, lower-casing, accent stripping, punctuation and CJK splitting (no vocabulary needed)."""

    def __init__(self, do_lower_case=True, never_split=(), tokenize_chinese_chars=True, strip_accents=None):
        self.do_lower_case = do_lower_case
        self.never_split = set(never_split)
        self.tokenize_chinese_chars = tokenize_chinese_chars
        # None means: strip accents exactly when lower-casing (the original BERT behaviour)
        self.strip_accents = strip_accents

    def tokenize(self, text):
        text = self._clean(text)
        if self.tokenize_chinese_chars:
            text = "".join(f" {ch} " if _is_cjk(ord(ch)) else ch for ch in text)
        tokens = []
        for word in text.split():
            if word not in self.never_split:
                if self.do_lower_case:
                    word = word.lower()
                if self.strip_accents or (self.strip_accents is None and self.do_lower_case):
                    word = self._strip_accents(word)
                tokens.extend(self._split_on_punctuation(word))
            else:
                tokens.append(word)
        return " ".join(tokens).split()

    @staticmethod
    def _clean(text):
        """Drop NUL, U+FFFD and control characters; map every whitespace character to a space."""
        out = []
        for ch in text:
            if ch == "\0" or ch == "\ufffd" or _is_control(ch):
                continue
            out.append(" " if _is_whitespace(ch) else ch)
        return "".join(out)

    @staticmethod
    def _strip_accents(word):
        return "".join(ch for ch in unicodedata.normalize("NFD", word) if unicodedata.category(ch) != "Mn")

    def _split_on_punctuation(self, word):
        pieces, current = [], []
        for ch in word:
            if _is_punctuation(ch):
                if current:
                    pieces.append("".join(current))
                    current = []
                pieces.append(ch)
            else:
                current.append(ch)
        if current:
            pieces.append("".join(current))
        return pieces


class WordPieceTokenizer:
    """Greedy longest-match-first split of one word into vocabulary pieces; a word with no split is [UNK]."""

    def __init__(self, vocab, unk_token="[UNK]", max_input_chars_per_word=100, prefix="##"):
        self.vocab = vocab
        self.unk_token = unk_token
        self.max_input_chars_per_word = max_input_chars_per_word
        self.prefix = prefix

    def tokenize(self, word):
        if len(word) > self.max_input_chars_per_word:
            return [self.unk_token]
        pieces, start = [], 0
        while start < len(word):
            end = len(word)
            while end > start:
                piece = word[start:end] if start == 0 else self.prefix + word[start:end]
                if piece in self.vocab:
                    break
                end -= 1
            else:
                return [self.unk_token]
            pieces.append(piece)
            start = end
        return pieces


def load_vocab(vocab_file):
    """vocab.txt: one token per line, its id the line number."""
    with open(vocab_file, encoding="utf-8") as f:
        return {line.rstrip("\n"): i for i, line in enumerate(f)}


class BertTokenizer:
    """text -> input_ids / token_type_ids / attention_mask, as Hugging Face's BertTokenizer(Fast) gives them.

    Special tokens written in the text ("[MASK]") are kept whole and map to their ids, like the
    added tokens of a Hugging Face tokenizer.
    """

    def __init__(
        self,
        vocab_file,
        do_lower_case=True,
        tokenize_chinese_chars=True,
        strip_accents=None,
        model_max_length=512,
        unk_token="[UNK]",
        sep_token="[SEP]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        mask_token="[MASK]",
    ):
        self.vocab = load_vocab(vocab_file)
        self.ids_to_tokens = {i: t for t, i in self.vocab.items()}
        self.unk_token, self.sep_token, self.pad_token = unk_token, sep_token, pad_token
        self.cls_token, self.mask_token = cls_token, mask_token
        self.special_tokens = [t for t in (pad_token, unk_token, cls_token, sep_token, mask_token) if t in self.vocab]
        self.basic = BasicTokenizer(do_lower_case, self.special_tokens, tokenize_chinese_chars, strip_accents)
        self.wordpiece = WordPieceTokenizer(self.vocab, unk_token)
        self.model_max_length = model_max_length

    @classmethod
    def from_pretrained(cls, model_dir, **overrides):
        """Read vocab.txt and the options in tokenizer_config.json (if present) from a model directory."""
        options = {}
        config_file = os.path.join(model_dir, "tokenizer_config.json")
        if os.path.exists(config_file):
            with open(config_file, encoding="utf-8") as f:
                config = json.load(f)
            for key in (
                "do_lower_case",
                "tokenize_chinese_chars",
                "strip_accents",
                "model_max_length",
                "unk_token",
                "sep_token",
                "pad_token",
                "cls_token",
                "mask_token",
            ):
                if config.get(key) is not None:
                    options[key] = config[key]
        options.update(overrides)
        return cls(os.path.join(model_dir, "vocab.txt"), **options)

    def __len__(self):
        return len(self.vocab)

    @property
    def pad_token_id(self):
        return self.vocab[self.pad_token]

    def tokenize(self, text):
        tokens = []
        for chunk in self._split_special(text):
            if chunk in self.special_tokens:
                tokens.append(chunk)
                continue
            for word in self.basic.tokenize(chunk):
                tokens.extend(self.wordpiece.tokenize(word))
        return tokens

    def _split_special(self, text):
        """Cut the text around the special tokens written in it, so that they are not split as punctuation."""
        chunks = [text]
        for special in self.special_tokens:
            cut = []
            for chunk in chunks:
                if chunk in self.special_tokens:
                    cut.append(chunk)
                    continue
                parts = chunk.split(special)
                for i, part in enumerate(parts):
                    if i:
                        cut.append(special)
                    cut.append(part)
            chunks = cut
        return [c for c in chunks if c]

    def convert_tokens_to_ids(self, tokens):
        unk = self.vocab[self.unk_token]
        if isinstance(tokens, str):
            return self.vocab.get(tokens, unk)
        return [self.vocab.get(t, unk) for t in tokens]

    def convert_ids_to_tokens(self, ids):
        if isinstance(ids, int):
            return self.ids_to_tokens[ids]
        return [self.ids_to_tokens[int(i)] for i in ids]

    def decode(self, ids, skip_special_tokens=False):
        tokens = [t for t in self.convert_ids_to_tokens(ids) if not (skip_special_tokens and t in self.special_tokens)]
        return " ".join(tokens).replace(" ##", "").strip()

    def encode(self, text, text_pair=None, add_special_tokens=True, truncation=None, max_length=None):
        return self._encode_one(text, text_pair, add_special_tokens, truncation, max_length)[0]

    def _encode_one(self, text, text_pair, add_special_tokens, truncation, max_length):
        first = self.convert_tokens_to_ids(self.tokenize(text))
        second = self.convert_tokens_to_ids(self.tokenize(text_pair)) if text_pair is not None else None
        if truncation or (truncation is None and max_length is not None):
            limit = max_length if max_length is not None else self.model_max_length
            if add_special_tokens:
                limit -= 3 if second is not None else 2
            first, second = _truncate_longest_first(first, second, limit)
        cls_id, sep_id = self.vocab[self.cls_token], self.vocab[self.sep_token]
        if add_special_tokens:
            ids = [cls_id] + first + [sep_id]
            types = [0] * len(ids)
            if second is not None:
                ids += second + [sep_id]
                types += [1] * (len(second) + 1)
        else:
            ids = first + (second or [])
            types = [0] * len(first) + [1] * len(second or [])
        return ids, types

    def __call__(
        self,
        text,
        text_pair=None,
        padding=False,
        truncation=None,
        max_length=None,
        add_special_tokens=True,
        return_tensors=None,
    ):
        """Encode one text or a batch. padding: False, True/'longest' or 'max_length'.

        return_tensors='pt' (or 'ember') gives int64 ember Tensors, 'np' NumPy arrays, None lists.
        """
        batched = not isinstance(text, str)
        texts = list(text) if batched else [text]
        pairs = [None] * len(texts) if text_pair is None else list(text_pair) if batched else [text_pair]
        if len(pairs) != len(texts):
            raise ValueError(f"BertTokenizer: got {len(texts)} texts but {len(pairs)} text pairs")
        encoded = [self._encode_one(t, p, add_special_tokens, truncation, max_length) for t, p in zip(texts, pairs)]
        ids = [e[0] for e in encoded]
        types = [e[1] for e in encoded]
        masks = [[1] * len(i) for i in ids]
        if padding in (True, "longest", "max_length"):
            width = max(len(i) for i in ids) if padding != "max_length" else (max_length or self.model_max_length)
            pad = self.pad_token_id
            ids = [i + [pad] * (width - len(i)) for i in ids]
            types = [t + [0] * (width - len(t)) for t in types]
            masks = [m + [0] * (width - len(m)) for m in masks]
        elif padding is not False:
            raise ValueError(f"BertTokenizer: padding must be False, True, 'longest' or 'max_length', got {padding!r}")
        out = {"input_ids": ids, "token_type_ids": types, "attention_mask": masks}
        if return_tensors is not None:
            out = {k: _as_tensor(v, return_tensors) for k, v in out.items()}
        elif not batched:
            out = {k: v[0] for k, v in out.items()}
        return out


def _as_tensor(rows, kind):
    import numpy as np

    if len({len(r) for r in rows}) > 1:
        raise ValueError("BertTokenizer: sequences of different lengths cannot become one tensor; pass padding=True")
    array = np.asarray(rows, dtype=np.int64)
    if kind == "np":
        return array
    if kind in ("pt", "ember"):
        return Tensor._make(array)
    raise ValueError(f"BertTokenizer: return_tensors must be 'pt', 'ember', 'np' or None, got {kind!r}")


def _truncate_longest_first(first, second, limit):
    """Fit both sequences in `limit` tokens the way Hugging Face's fast tokenizers do (longest_first): cut the
    longer one down to what the shorter leaves, or, if both are too long, give each half (the longer one gets
    the odd token)."""
    if limit < 0:
        raise ValueError("BertTokenizer: max_length is too small to hold the special tokens")
    if second is None:
        return first[:limit], None
    if len(first) + len(second) <= limit:
        return first, second
    short, long_ = sorted((len(first), len(second)))
    long_ = short if short > limit else max(short, limit - short)
    if short + long_ > limit:
        short = limit // 2
        long_ = short + limit % 2
    if len(first) > len(second):
        return first[:long_], second[:short]
    return first[:short], second[:long_]
