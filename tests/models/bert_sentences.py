"""Test sentences for the tokenizer and the sentence encoder."""

# varied on purpose: punctuation, accents, CJK, emoji, numbers, contractions, URLs, special tokens in the
# text, control characters, and one text longer than the model's 256-token window
SENTENCES = [
    "A man is eating food.",
    "A man is riding a white horse on an enclosed ground.",
    "The quick brown fox jumps over the lazy dog!!!",
    "Ça va très bien, merci — et toi? Naïve café crème brûlée.",
    "東京は日本の首都です。北京是中国的首都。",
    "I can't believe it's not butter; it's 100% vegetable-oil based.",
    "Check https://example.com/path?q=1&r=2 or mail me at someone@example.org.",
    "The price rose from $3.50 to €4.20 (a 20% increase) in 2023.",
    "Emoji are unknown to the vocabulary 😀🚀 but the words around them are not.",
    "Supercalifragilisticexpialidocious is a word split into many word pieces.",
    "[CLS] special tokens written in the text [SEP] stay whole [MASK].",
    "tabs\tand\nnewlines\r\nare whitespace; the bell \x07 is a control character.",
    "Пример текста на русском языке.",
    "Straße, façade, jalapeño, Ångström and Øresund.",
    'She said: "Don\'t go!" — he went anyway...',
    "user_name@domain, snake_case and camelCaseIdentifiers",
    "안녕하세요, 반갑습니다.",
    "   leading and trailing spaces   ",
    "A" * 120 + " is longer than a WordPiece word may be.",
    " ".join(["This sentence repeats to exceed the maximum sequence length."] * 30),
]
