"""Topic relevance: how much a page, or a link to one, is about the crawl's topic.

A topic profile has two kinds of terms, both stemmed Indonesian (Sastrawi):

* **entities** — the crawl's keywords and their aliases (who and where: "Tokayev",
  "Almaty", "CSTO"), matched as stems or as phrases of stems;
* **context** — what the seed texts talk about, weighted by tf-idf against a background
  table of general Indonesian news (the what: "kerusuhan", "elpiji", "darurat").

A page is on topic when it has both: the score is the geometric mean of the two saturated
evidences, so a sports report that names Almaty, or a fuel-price protest elsewhere, stays low
however often it repeats its half. Scales are calibrated on the seed texts themselves, so
the same thresholds hold for any topic.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from urllib.parse import unquote, urlsplit

BACKGROUND_FILE = Path(__file__).resolve().parent / "data" / "background-id.tsv"
CONTEXT_TERMS = 60  # context terms kept from the seed texts (by tf-idf)
DEFAULT_THRESHOLD = 0.4

_TOKEN = re.compile(r"[a-z0-9]+")
STOPWORDS_FILE = Path(__file__).resolve().parent / "data" / "stopwords.txt"
STOPWORDS = frozenset(
    word for line in STOPWORDS_FILE.read_text(encoding="utf-8").splitlines()
    if not line.startswith("#") for word in line.split())


def fold(text: str) -> str:
    """Lower case without accents: "Qañtar" and "qantar" are one word."""
    text = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in text if not unicodedata.combining(c))


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


def stems(text: str) -> list[str]:
    """Content-word stems of a text, in order (stopwords and 1-letter tokens dropped)."""
    found = (stem(t) for t in _TOKEN.findall(fold(text)) if len(t) > 1 and t not in STOPWORDS)
    return [s for s in found if s not in STOPWORDS]


def slug_text(url: str) -> str:
    """The words of a URL's path: "/internasional/d-5811187/tokayev-minta-bantuan" ->
    "internasional tokayev minta bantuan" (numbers and ids dropped)."""
    path = unquote(urlsplit(url).path)
    return " ".join(w for w in re.split(r"[^A-Za-z]+", path) if len(w) > 2)


# -- background ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Background:
    """Document frequencies of stems in general Indonesian news (not about any one topic)."""

    documents: int
    frequency: dict[str, int]

    def idf(self, term: str) -> float:
        return math.log((self.documents + 1) / (self.frequency.get(term, 0) + 1)) + 1.0

    @classmethod
    def load(cls, path: Path = BACKGROUND_FILE) -> Background:
        documents, frequency = 1, {}
        with path.open(encoding="utf-8") as lines:
            for line in lines:
                if line.startswith("#"):
                    if line.startswith("#documents\t"):
                        documents = int(line.split("\t")[1])
                    continue
                term, _, count = line.rstrip("\n").partition("\t")
                if term and count.isdigit():
                    frequency[term] = int(count)
        return cls(documents, frequency)

    @classmethod
    def build(cls, texts: Iterable[str]) -> Background:
        frequency: Counter[str] = Counter()
        documents = 0
        for text in texts:
            documents += 1
            frequency.update(set(stems(text)))
        return cls(documents, dict(frequency))

    def dump(self, path: Path, *, min_count: int = 2, note: str = "") -> None:
        rows = sorted((t, n) for t, n in self.frequency.items() if n >= min_count)
        with path.open("w", encoding="utf-8") as out:
            out.write(f"# stem document frequencies of general Indonesian news. {note}\n")
            out.write(f"#documents\t{self.documents}\n")
            out.writelines(f"{t}\t{n}\n" for t, n in rows)


@lru_cache(maxsize=1)
def default_background() -> Background:
    return Background.load()


# -- the profile -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Evidence:
    entity: float  # raw, before saturation
    context: float


@dataclass(frozen=True)
class TopicProfile:
    """What the crawl looks for, as weighted stems; build it with `TopicProfile.build`."""

    # Entities: each name as a tuple of stems -> its group (one group per name and its
    # aliases: "Kazakhstan", "Kazakstan", "Kazakh" are one entity) and each group's weight.
    names: dict[tuple[str, ...], int]
    weights: tuple[float, ...]
    context: dict[str, float]
    entity_scale: float  # raw entity evidence that scores 1 - 1/e
    context_scale: float
    threshold: float = DEFAULT_THRESHOLD
    labels: tuple[str, ...] = field(default=())  # the keywords as given, for reports

    @classmethod
    def build(cls, keywords: Sequence[str] = (), seed_texts: Sequence[str] = (),
              aliases: Sequence[Sequence[str]] = (), *, threshold: float = DEFAULT_THRESHOLD,
              background: Background | None = None) -> TopicProfile:
        background = background or default_background()
        names, weights = _entity_groups(keywords, aliases, background)
        context = _context_terms(seed_texts, background,
                                 {k[0] for k in names if len(k) == 1})
        if not names and not context:
            raise ValueError("a topic needs keywords or seed texts")
        profile = cls(names, weights, context, 1.0, 1.0, threshold, tuple(keywords))
        return profile._calibrated(seed_texts)

    def _calibrated(self, seed_texts: Sequence[str]) -> TopicProfile:
        # A seed text is on topic by definition: a typical one scores 0.9 on each half.
        # Without seeds, three mentions of the strongest entity (or context term) do.
        evidences = [self.evidence(stems(text)) for text in seed_texts if text.strip()]
        target = math.log(10)  # 1 - exp(-x) = 0.9
        strongest = max(self.weights, default=0.0)
        entity_ref = _median([e.entity for e in evidences if e.entity > 0]) or strongest * 1.9
        context_ref = _median([e.context for e in evidences if e.context > 0]) or (
            max(self.context.values(), default=0.0) * 1.9)
        return TopicProfile(self.names, self.weights, self.context,
                            entity_ref / target if entity_ref else 1.0,
                            context_ref / target if context_ref else 1.0,
                            self.threshold, self.labels)

    # -- scoring ----------------------------------------------------------------------------
    def evidence(self, words: Sequence[str]) -> Evidence:
        counts = Counter(words)
        mentions = [0] * len(self.weights)
        sizes = {len(k) for k in self.names}
        grams = Counter(_ngrams(words, sizes - {1})) if sizes - {1} else Counter()
        for key, group in self.names.items():
            mentions[group] += counts[key[0]] if len(key) == 1 else grams[key]
        entity = sum(w * _saturate(n) for w, n in zip(self.weights, mentions, strict=True) if n)
        context = sum(w * _saturate(counts[t]) for t, w in self.context.items() if t in counts)
        return Evidence(entity, context)

    def score_words(self, words: Sequence[str]) -> float:
        """Relevance in [0, 1] of a text given as stems."""
        ev = self.evidence(words)
        entity = 1 - math.exp(-ev.entity / self.entity_scale) if self.has_entities else None
        context = 1 - math.exp(-ev.context / self.context_scale) if self.context else None
        if entity is None:
            return round(context or 0.0, 4)
        if context is None:
            return round(entity, 4)
        return round(math.sqrt(entity * context), 4)

    def score(self, text: str, title: str = "") -> float:
        """Relevance of a page: its title counts twice (headlines name the story)."""
        return self.score_words(stems(f"{title}. {title}. {text}"))

    def score_snippet(self, text: str) -> float:
        """Relevance of a short text (anchor, slug, a feed item's title): one entity or two
        context terms are enough evidence, since a headline has no room for more."""
        ev = self.evidence(stems(text))
        strongest = max(self.weights, default=1.0)
        context_unit = _median(list(self.context.values())) or 1.0
        raw = ev.entity / strongest + ev.context / (2 * context_unit)
        return round(1 - math.exp(-2.3 * raw), 4)

    @property
    def has_entities(self) -> bool:
        return bool(self.names)

    def describe(self, top: int = 15) -> dict[str, list[str]]:
        """The strongest terms of each kind, for `--dry-run` and reports."""
        def best(weights: dict[str, float]) -> list[str]:
            return [k for k, _ in sorted(weights.items(), key=lambda kv: (-kv[1], kv[0]))[:top]]
        names = {" ".join(k): self.weights[g] for k, g in self.names.items()}
        return {"entities": best(names), "context": best(self.context)}


def link_score(profile: TopicProfile, anchor: str, url: str, context: str,
               parent: float) -> float:
    """How promising a link is: its own words (anchor text and URL slug) most, the text
    around it less; the page it was found on scales both (an on-topic page's links are
    worth more) but cannot lift a link that says nothing of the topic: an on-topic story's
    "related" box is mostly other news."""
    own = profile.score_snippet(f"{anchor} {slug_text(url)}")
    around = profile.score_snippet(context) if context else 0.0
    return round((0.75 * own + 0.25 * around) * (PARENT_FLOOR + (1 - PARENT_FLOOR) * parent), 4)


PARENT_FLOOR = 0.6  # share of a link's score that does not depend on its page


def _entity_groups(keywords: Sequence[str], aliases: Sequence[Sequence[str]],
                   background: Background) -> tuple[dict[tuple[str, ...], int], tuple[float, ...]]:
    """Names as stem tuples -> group index, and each group's weight (its rarest name's
    idf: how much naming it says about a page). A keyword and its alias groups are one
    group; an alias group without a keyword is a name of the topic all the same."""
    groups: list[list[str]] = [[k] for k in keywords]
    for group in aliases:
        folded = {fold(a) for a in group}
        home = next((g for g in groups if folded & {fold(n) for n in g}), None)
        if home is None:
            groups.append(list(group))
        else:
            home += [a for a in group if fold(a) not in {fold(n) for n in home}]
    names: dict[tuple[str, ...], int] = {}
    weights: list[float] = []
    for group in groups:
        keys = [k for k in (tuple(stems(name)) for name in group) if k and k not in names]
        if not keys:
            continue
        for key in keys:
            names[key] = len(weights)
        weights.append(max(background.idf(t) for key in keys for t in key))
    return names, tuple(weights)


def _context_terms(seed_texts: Sequence[str], background: Background,
                   exclude: set[str]) -> dict[str, float]:
    if not seed_texts:
        return {}
    tf: Counter[str] = Counter()
    df: Counter[str] = Counter()
    # The outlets' own names ("Jakarta, KabarNusantara.com --") are where a seed was
    # published, not what it is about.
    exclude = exclude | {stem(m) for text in seed_texts for m in _DOMAIN.findall(fold(text))}
    exclude = exclude | {stem(w) for text in seed_texts for line in _DATELINE.findall(text)
                         for w in _TOKEN.findall(fold(line))}
    for text in seed_texts:
        words = stems(text)
        tf.update(words)
        df.update(set(words))
    docs = len(seed_texts)
    scored = {}
    for term, count in tf.items():
        if term in exclude or term.isdigit() or len(term) < 3:
            continue
        # Terms in several seeds are the topic's; a term of one seed may be that seed's own
        # (with two seeds, that would leave only what both happen to say).
        spread = df[term] / docs
        if docs > 2 and df[term] < 2:
            continue
        scored[term] = (1 + math.log(count)) * background.idf(term) * (0.5 + spread)
    ranked = sorted(scored.items(), key=lambda kv: (-kv[1], kv[0]))[:CONTEXT_TERMS]
    return {t: background.idf(t) for t, _ in ranked}


_DATELINE = re.compile(r"^[A-Z][A-Z .]{1,30}, ([\w. ]{2,40}?)\s+[-\u2013\u2014]+\s", re.M)
_DOMAIN = re.compile(r"\b([a-z0-9]+)\.(?:com|co|id|net|org|news|tv|info|test)\b")


def _ngrams(words: Sequence[str], sizes: set[int]) -> Iterable[tuple[str, ...]]:
    for n in sizes:
        for i in range(len(words) - n + 1):
            yield tuple(words[i:i + n])


def _saturate(count: int) -> float:
    # The first mention is most of the evidence; repeats add less and less.
    return 1 - math.exp(-count / 1.5)


def _median(values: list[float]) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2
