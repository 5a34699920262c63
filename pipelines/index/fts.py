"""A researcher's search query, as the FTS5 query the index runs.

`articles_fts` holds each article's title and text and, beside them, every word's Sastrawi
stem (`title_stems`, `text_stems`). A bare word is searched by its stem, so "rusuh" finds
"kerusuhan" and "merusuh"; a quoted phrase, a prefix (`tokay*`) or `exact=True` search the
words as written. A word or phrase the crawl's topic gives aliases for ("Tokayev",
"Tokaev") stands for all of them. Operators (AND, OR, NOT, parentheses) keep their meaning;
a query using FTS5's own column filters or NEAR is passed through as written.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pipelines.stemming import stem, words

_TEXT = "{title text}"
_STEMS = "{title_stems text_stems}"
_PART = re.compile(r'"[^"]*"|[()]|[^\s()"]+')
_OPERATORS = {"AND", "OR", "NOT"}
_RAW = re.compile(r"\bNEAR\b|[{}:^]")  # FTS5 syntax the rewrite leaves to the user


class SearchQueryError(ValueError):
    """A search query that cannot be run: its message says what to change."""


@dataclass(frozen=True)
class SearchTerms:
    """An FTS5 query and what it matches, for highlighting: stems, and exact words."""

    match: str
    stems: frozenset[str]
    exact: frozenset[str]
    prefixes: tuple[str, ...] = ()

    def marks(self, word: str) -> bool:
        """Whether a folded word of an article's text is one the query matched."""
        return (word in self.exact or stem(word) in self.stems
                or any(word.startswith(p) for p in self.prefixes))


def alias_groups(groups: Iterable[Sequence[str]]) -> dict[str, tuple[str, ...]]:
    """Every spelling (folded) of a name -> all its spellings."""
    out: dict[str, tuple[str, ...]] = {}
    for group in groups:
        names = tuple(dict.fromkeys(n for n in group if n.strip()))
        if len(names) < 2:
            continue
        for name in names:
            merged = out.get(_key(name), ()) + names
            out[_key(name)] = tuple(dict.fromkeys(merged))
    return out


def _key(name: str) -> str:
    return " ".join(words(name))


def build(query: str, *, exact: bool = False,
          aliases: dict[str, tuple[str, ...]] | None = None) -> SearchTerms:
    """The FTS5 query for a researcher's `query` (see the module's docstring). An empty
    result (`match` == "") means the query holds no word to search for."""
    if query.count('"') % 2:
        raise SearchQueryError(f"search query {query!r} has an unbalanced quote; quote "
                               'phrases as "status darurat"')
    if not _only_in_phrases(query):
        found = set(words(query)) - {w.lower() for w in _OPERATORS}
        return SearchTerms(query, frozenset(stem(w) for w in found), frozenset(found))
    parts: list[str] = []
    stems: set[str] = set()
    exact_words: set[str] = set()
    prefixes: list[str] = []
    for part in _PART.findall(query):
        if part in ("(", ")") or part in _OPERATORS:
            parts.append(part)
            continue
        quoted = part.startswith('"')
        text = part.strip('"')
        if not quoted and text.endswith("*") and words(text):
            prefix = " ".join(words(text))
            prefixes.append(prefix)
            parts.append(f'{_TEXT} : "{prefix}" *')
            continue
        names = (aliases or {}).get(_key(text), (text,))
        alternatives = []
        for name in names:
            tokens = words(name)
            if not tokens:
                continue
            if quoted or exact:
                exact_words.update(tokens)
                alternatives.append(f'{_TEXT} : "{" ".join(tokens)}"')
            else:
                stemmed = [stem(t) for t in tokens]
                stems.update(stemmed)
                alternatives.append(f'{_STEMS} : "{" ".join(stemmed)}"')
        if alternatives:
            alternatives = list(dict.fromkeys(alternatives))
            parts.append(alternatives[0] if len(alternatives) == 1
                         else "(" + " OR ".join(alternatives) + ")")
    match = " ".join(parts) if any(p not in _OPERATORS and p not in "()" for p in parts) else ""
    return SearchTerms(match, frozenset(stems), frozenset(exact_words), tuple(prefixes))


def _only_in_phrases(query: str) -> bool:
    """Whether FTS5's special characters appear only inside quoted phrases."""
    return not _RAW.search(re.sub(r'"[^"]*"', " ", query))


def snippet(text: str, terms: SearchTerms, width: int = 16) -> str:
    """A window of `width` words of `text` around its first matched word, marked [like
    this] (the stems a match may rest on are not in the text, so FTS5's own snippet cannot
    mark them)."""
    tokens = text.split()
    seen: dict[str, bool] = {}  # a text repeats its words: judge each once

    def matched(token: str) -> bool:
        found = seen.get(token)
        if found is None:
            found = seen[token] = any(terms.marks(w) for w in words(token))
        return found

    first = next((i for i, t in enumerate(tokens) if matched(t)), None)
    if first is None:
        return " ".join(tokens[:width]) + (" …" if len(tokens) > width else "")
    start = max(0, first - width // 3)
    window = tokens[start:start + width]
    marked = [f"[{t}]" if matched(t) else t for t in window]
    return ("… " if start else "") + " ".join(marked) + (
        " …" if start + width < len(tokens) else "")
