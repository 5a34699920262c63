"""Indonesian word forms: folding, word tokens and Sastrawi stems.

One rule for the whole project: the crawl's relevance model matches topics on these stems,
and search indexes them beside the text, so "rusuh" finds "kerusuhan" in both.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

WORD = re.compile(r"[a-z0-9]+")  # a token of folded text, as FTS5's unicode61 splits it


def fold(text: str) -> str:
    """Lower case without accents: "Qañtar" and "qantar" are one word."""
    if text.isascii():  # most Indonesian text: nothing to decompose
        return text.lower()
    text = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in text if not unicodedata.combining(c))


def words(text: str) -> list[str]:
    """The folded word tokens of a text, in order."""
    return WORD.findall(fold(text))


@lru_cache(maxsize=1)
def _stemmer():
    from Sastrawi.Stemmer.StemmerFactory import StemmerFactory

    stemmer = StemmerFactory().create_stemmer()
    # Sastrawi keeps its 30k-word dictionary in a list: a set makes each lookup O(1)
    # (~20 us a word instead of ~900).
    dictionary = stemmer.delegatedStemmer.dictionary
    dictionary.words = set(dictionary.words)
    return stemmer


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """Sastrawi's stem of one folded word (cached: it costs ~1 ms a word uncached).
    Words with digits and short words are kept as they are."""
    if len(word) <= 3 or not word.isalpha():
        return word
    return _stemmer().stem(word) or word


def stemmed(text: str | None) -> str:
    """Every word of a text as its stem, space-separated: what search indexes beside the
    text (nothing dropped, so any word a user types can match)."""
    return " ".join(stem(w) for w in words(text or ""))
