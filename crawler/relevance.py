"""Topic relevance: how much a page, or a link to one, is about the crawl's topic.

A topic profile has two kinds of terms, both stemmed Indonesian (Sastrawi):

* **entities** — the crawl's keywords and their aliases (who and where: "Tokayev",
  "Almaty", "CSTO"), matched as stems or as phrases of stems;
* **context** — what the seed texts talk about, weighted by tf-idf against a background
  table of general Indonesian news (the what: "kerusuhan", "elpiji", "darurat").

A page is on topic when it has both: the score is the geometric mean of the two saturated
evidences, so a sports report that names Almaty, or a fuel-price protest elsewhere, stays low
however often it repeats its half. Entities weigh by where they stand (headline, lead, body);
context words by their rarity in general Indonesian (crawler/data/background-id.tsv, from
wordfreq) above a common-word floor. Scales come from the topic's own weights, not from how
densely the seeds use them, so one threshold holds for topics with one seed or five; the
crawl's confident coverage can extend the context afterwards (`TopicProfile.learned`,
crawler/feedback.py).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property, lru_cache
from pathlib import Path
from urllib.parse import unquote, urlsplit

from pipelines.stemming import fold, stem, words

BACKGROUND_FILE = Path(__file__).resolve().parent / "data" / "background-id.tsv"
CONTEXT_TERMS = 60  # context terms kept from the seed texts (by tf-idf)
# Names the archivist gave as aliases of no keyword, and names found in the seeds, weigh
# this much of a keyword's: they stand near the story (an institution, a sector, a place)
# more often than they name it.
RELATED = 0.5
# Relevance feedback (TopicProfile.learned): a page from CONFIDENT that names the topic up
# front is coverage beyond doubt; LEARN_MIN of them are enough to learn from, and a word
# that LEARN_SPREAD of them use is the story's.
CONFIDENT = 0.6
LEARN_MIN = 5
LEARN_SPREAD = 0.3
RARE_IDF = 8.0  # a word in fewer than one news story in a thousand (see _entity_groups)
COMMON_IDF = 3.0  # the idf of a word in one news story of seven (see context_weight)
DEFAULT_THRESHOLD = 0.5

STOPWORDS_FILE = Path(__file__).resolve().parent / "data" / "stopwords.txt"

def _words(text: str) -> frozenset[str]:
    return frozenset(word for line in text.splitlines() if not line.startswith("#")
                     for word in line.split())


# The file's first part is function words; after GENERIC_MARK, news vocabulary every story
# uses ("kasus", "pemerintah"): no context, but part of a name ("kasus minyak goreng").
GENERIC_MARK = "# Generic news vocabulary"
_FUNCTION, _, _GENERIC = STOPWORDS_FILE.read_text(encoding="utf-8").partition(GENERIC_MARK)
FUNCTION_WORDS = _words(_FUNCTION)
STOPWORDS = FUNCTION_WORDS | _words(_GENERIC)


def stems(text: str, drop: frozenset[str] = STOPWORDS) -> list[str]:
    """Content-word stems of a text, in order (stopwords and 1-letter tokens dropped)."""
    found = (stem(t) for t in words(text) if len(t) > 1 and t not in drop)
    return [s for s in found if s not in drop]


def tokens(text: str) -> list[str]:
    """Stems of a text without its function words: what names are matched in (the news
    vocabulary `stems` drops may be part of a name)."""
    return stems(text, FUNCTION_WORDS)


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

    def phrase_idf(self, words: Sequence[str]) -> float:
        """A phrase is rarer than its rarest word: its words' idfs add up (as if they
        were independent), up to the idf of a word never seen."""
        return min(self.idf(""), sum(self.idf(w) for w in words))

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
class Zones:
    """A page's `tokens` by where they stand: headline, lead (the first paragraph or two,
    where a story says what it is about), and the rest of the body."""

    title: tuple[str, ...]
    lead: tuple[str, ...]
    body: tuple[str, ...]

    @classmethod
    def of(cls, text: str, title: str = "") -> Zones:
        paragraphs = [p for p in re.split(r"\n\s*\n|\n", text) if p.strip()]
        lead: list[str] = []
        taken = 0
        for paragraph in paragraphs:
            if len(lead) >= LEAD_WORDS:
                break
            lead += tokens(paragraph)
            taken += 1
        body = [w for p in paragraphs[taken:] for w in tokens(p)]
        return cls(tuple(tokens(title)), tuple(lead), tuple(body))


LEAD_WORDS = 25  # content words that make a lead: a dateline paragraph alone is too short
# How much one entity's presence in each zone says the page is about it (combined as
# independent evidence): a headline names the story, a lead its subject, a body mention may
# be an aside ("seperti di Kazakhstan", a "Baca juga" line the extractor left).
IN_TITLE, IN_LEAD, IN_BODY = 0.7, 0.5, 0.5
# The entity evidence of the strongest entity in a headline and nothing else scores
# 1 - exp(-IN_TITLE / ENTITY_UNIT) = 0.75.
ENTITY_UNIT = 0.5
SCATTERED = 0.6  # a name's words all in one zone, not as the phrase (see _scattered)
PARTIAL = 0.7  # ... or the words holding this share of its idf, for that share of it
CONTEXT_UNIT = 2.0  # three context terms of typical weight, named once each, score 0.5


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
    # The idf of each word of the names of several words (see _scattered).
    name_words: dict[str, float] = field(default_factory=dict)

    @classmethod
    def build(cls, keywords: Sequence[str] = (), seed_texts: Sequence[str] = (),
              aliases: Sequence[Sequence[str]] = (), *, threshold: float = DEFAULT_THRESHOLD,
              background: Background | None = None) -> TopicProfile:
        background = background or default_background()
        names, weights = _entity_groups(keywords, aliases, background)
        # The seeds' words once the names are taken out: a name's words are not context.
        bare = cls(names, weights, {}, 1.0, 1.0)
        words = [bare._mentions(tokens(text))[1] for text in seed_texts]
        context = _context_terms(seed_texts, words, background)
        if names:
            # Rare proper names the seeds share are names the archivist did not list
            # (Kassym-Jomart, Kepanjen, Zhanaozen): they name the story too, as related
            # names. A rare common noun ("elpiji") stays context: other stories use it.
            proper = _proper_names(seed_texts)
            weights = list(weights)
            for term in [t for t in context
                         if background.idf(t) >= RARE_IDF and t in proper]:
                names[(term,)] = len(weights)
                weights.append(background.idf(term) * RELATED)
                del context[term]
            weights = tuple(weights)
        if not names and not context:
            raise ValueError("a topic needs keywords or seed texts")
        name_words = {w: background.idf(w) for key in names if len(key) > 1 for w in key}
        profile = cls(names, weights, context, 1.0, 1.0, threshold, tuple(keywords), name_words)
        return profile._calibrated()

    def _calibrated(self) -> TopicProfile:
        # Scales from the topic's own term weights, not from how densely the seed texts use
        # them: a seed is the densest coverage there is, and a follow-up on another angle
        # of the story names the event in a sentence or two.
        strongest = max(self.weights, default=0.0)
        typical = _median([w for w in self.context.values() if w > 0])
        return replace(self, entity_scale=ENTITY_UNIT * strongest or 1.0,
                       context_scale=CONTEXT_UNIT * typical or 1.0)

    # -- relevance feedback -----------------------------------------------------------------
    def learned(self, confident: Sequence[Zones], background: Background | None = None
                ) -> TopicProfile:
        """The profile extended by what the crawl's confident coverage says (pseudo-
        relevance feedback; `confident`: the pages `is_confident` keeps): words a good
        share (LEARN_SPREAD) of them use join the context, or weigh more in it. Seeds tell
        one or a few angles of a story; its coverage tells the others (prices, citizens
        abroad, the trial). Scales stay the seeds', so no score goes down. Fewer than
        LEARN_MIN confident pages, or no seed text (keywords alone give no context to
        extend): the profile as it is."""
        if len(confident) < LEARN_MIN or not self.context:
            return self
        background = background or default_background()
        df: Counter[str] = Counter()
        for zones in confident:
            df.update({w for zone in (zones.title, zones.lead, zones.body)
                       for w in self._mentions(zone)[1] if w not in STOPWORDS})
        found = {term: context_weight(background.idf(term), count / len(confident))
                 for term, count in df.items()
                 if count / len(confident) >= LEARN_SPREAD and not term.isdigit()
                 and len(term) >= 3}
        best = sorted(((t, w) for t, w in found.items() if w > 0),
                      key=lambda kv: (-kv[1], kv[0]))[:CONTEXT_TERMS]
        context = dict(self.context)
        for term, weight in best:
            context[term] = max(context.get(term, 0.0), weight)
        return replace(self, context=context)

    def is_confident(self, zones: Zones) -> bool:
        """Coverage beyond doubt: the topic named in the headline or the lead, and a score
        well above any threshold."""
        head = self._mentions(zones.title + zones.lead)[0]
        return any(head) and self.score_zones(zones) >= CONFIDENT

    def learned_terms(self, seeds: TopicProfile) -> list[str]:
        """The context terms this profile has that `seeds` (the one it learned from)
        has not, or weighs less: what the crawl taught it, for reports."""
        return sorted(t for t, w in self.context.items() if w > seeds.context.get(t, 0.0))

    # -- scoring ----------------------------------------------------------------------------
    def evidence(self, words: Sequence[str]) -> Evidence:
        """Raw evidence of a text taken as one run of `tokens` (headlines, anchors)."""
        mentions, rest = self._mentions(words)
        entity = sum(w * _saturate(n) for w, n in zip(self.weights, mentions, strict=True) if n)
        return Evidence(entity, self._context(Counter(rest)))

    def page_evidence(self, zones: Zones) -> Evidence:
        """Raw evidence of a page: each entity by the zones it stands in."""
        (title, t_rest), (lead, l_rest), (body, b_rest) = (
            self._mentions(z) for z in (zones.title, zones.lead, zones.body))
        loose = [self._scattered(z) for z in (zones.title, zones.lead, zones.body)]
        entity = 0.0
        for group, weight in enumerate(self.weights):
            t, lead_, b = ((1.0, exact[group]) if exact[group] else near[group]
                           for exact, near in zip((title, lead, body), loose, strict=True))
            absent = ((1 - IN_TITLE * t[0]) * (1 - IN_LEAD * lead_[0])
                      * (1 - IN_BODY * b[0] * _body_share(b[1])))
            entity += weight * (1 - absent)
        return Evidence(entity, self._context(Counter(t_rest + l_rest + b_rest)))

    def _scattered(self, words: Sequence[str]) -> list[tuple[float, int]]:
        """(strength, mentions) of each group by its names of several words, when the
        zone holds their words but not the phrase: "kenaikan harga BBM" in "harga BBM ...
        naik" (all its words: SCATTERED), "gempa Cianjur" in a story that says only
        "Cianjur" (the words holding at least PARTIAL of the name's idf: that share of
        SCATTERED)."""
        counts = Counter(words)
        found = [(0.0, 0)] * len(self.weights)
        for key, group in self.names.items():
            if len(key) < 2:
                continue
            present = [w for w in key if counts[w]]
            if not present:
                continue
            share = (sum(self.name_words.get(w, 0.0) for w in present)
                     / (sum(self.name_words.get(w, 0.0) for w in key) or 1.0))
            if share >= PARTIAL:
                found[group] = max(found[group], (SCATTERED * share,
                                                  min(counts[w] for w in present)))
        return found

    def _mentions(self, words: Sequence[str]) -> tuple[list[int], list[str]]:
        """Mentions of each entity group, and the words left once the names are taken
        out: a name's words ("Lin Che Wei", "Kejaksaan Agung") count once, as the name,
        never again as context."""
        mentions = [0] * len(self.weights)
        rest: list[str] = []
        starts = self._by_first_word
        i = 0
        while i < len(words):
            for key in starts.get(words[i], ()):  # longest first: the longest name wins
                if tuple(words[i:i + len(key)]) == key:
                    mentions[self.names[key]] += 1
                    i += len(key)
                    break
            else:
                rest.append(words[i])
                i += 1
        return mentions, rest

    @cached_property
    def _by_first_word(self) -> dict[str, list[tuple[str, ...]]]:
        starts: dict[str, list[tuple[str, ...]]] = {}
        for key in sorted(self.names, key=lambda k: (-len(k), k)):
            starts.setdefault(key[0], []).append(key)
        return starts

    def _context(self, counts: Counter[str]) -> float:
        # Context terms are never stopwords: the news vocabulary left with the tokens is
        # ignored here.
        return sum(w * _saturate(counts[t]) for t, w in self.context.items() if t in counts)

    def combine(self, ev: Evidence) -> float:
        """Relevance in [0, 1] from raw evidence: the geometric mean of the saturated
        halves, so a page needs both (a topic without one kind scores on the other)."""
        entity = 1 - math.exp(-ev.entity / self.entity_scale) if self.has_entities else None
        context = 1 - math.exp(-ev.context / self.context_scale) if self.context else None
        if entity is None:
            return round(context or 0.0, 4)
        if context is None:
            return round(entity, 4)
        return round(math.sqrt(entity * context), 4)

    def score(self, text: str, title: str = "") -> float:
        """Relevance of a page: entities weigh by where they stand (headline, lead, body)."""
        return self.score_zones(Zones.of(text, title))

    def score_zones(self, zones: Zones) -> float:
        return self.combine(self.page_evidence(zones))

    def score_snippet(self, text: str) -> float:
        """Relevance of a short text (anchor, slug, a feed item's title): one entity or two
        context terms are enough evidence, since a headline has no room for more."""
        ev = self.evidence(tokens(text))
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
    idf, Background.phrase_idf: how much naming it says about a page). A keyword and its
    alias groups are one group; an alias group without a keyword names something near the
    topic (RELATED).

    A name of several words is matched as that phrase, and by each of its words rare
    enough to name the topic alone (idf from RARE_IDF): coverage of the "Tragedi
    Kanjuruhan" says "Kanjuruhan" far more often than the archivist's phrase."""
    groups: list[list[str]] = [[k] for k in keywords]
    related: set[int] = set()
    for group in aliases:
        folded = {fold(a) for a in group}
        home = next((g for g in groups if folded & {fold(n) for n in g}), None)
        if home is None:
            related.add(len(groups))
            groups.append(list(group))
        else:
            home += [a for a in group if fold(a) not in {fold(n) for n in home}]

    names: dict[tuple[str, ...], int] = {}
    weights: list[float] = []
    given = [[k for k in (tuple(tokens(name)) for name in group) if k] for group in groups]
    spelled = {key for keys in given for key in keys}
    for index, keys in enumerate(given):
        keys = [k for k in dict.fromkeys(keys) if k not in names]
        # The rare words of a phrase name it alone, unless they are another group's name
        # ("CPO" in "kasus ekspor CPO" is the commodity, a group of its own).
        rare = [(t,) for key in keys if len(key) > 1 for t in key
                if t.isalpha() and background.idf(t) >= RARE_IDF and (t,) not in spelled]
        keys += [k for k in dict.fromkeys(rare) if k not in names and k not in keys]
        if not keys:
            continue
        for key in keys:
            names[key] = len(weights)
        weights.append(max(background.phrase_idf(key) for key in keys)
                       * (RELATED if index in related else 1.0))
    return names, tuple(weights)


def _context_terms(seed_texts: Sequence[str], seed_words: Sequence[Sequence[str]],
                   background: Background) -> dict[str, float]:
    """The seeds' strongest terms (`seed_words`: each seed's stems, names taken out)."""
    if not seed_texts:
        return {}
    tf: Counter[str] = Counter()
    df: Counter[str] = Counter()
    # The outlets' own names ("Jakarta, KabarNusantara.com --") are where a seed was
    # published, not what it is about.
    exclude = {stem(m) for text in seed_texts for m in _DOMAIN.findall(fold(text))}
    exclude |= {stem(w) for text in seed_texts for line in _DATELINE.findall(text)
                for w in words(line)}
    for seed in seed_words:
        content = [w for w in seed if w not in STOPWORDS]
        tf.update(content)
        df.update(set(content))
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
    return {t: context_weight(background.idf(t), df[t] / docs) for t, _ in ranked}


_WORD = re.compile(r"[^\W\d_]+")
_SENTENCE_START = re.compile(r"(?:^|[.!?:\u201c\"]\s*)$")


def _proper_names(texts: Sequence[str]) -> set[str]:
    """Stems of the words the texts write capitalized inside sentences, never in lower
    case: proper names ("Kepanjen", "Zhanaozen"), not common nouns."""
    upper: Counter[str] = Counter()
    lower: Counter[str] = Counter()
    for text in texts:
        for match in _WORD.finditer(text):
            word = match.group()
            if word[0].isupper() and _SENTENCE_START.search(text[:match.start()][-3:]):
                continue  # a sentence's first word says nothing
            (upper if word[0].isupper() else lower)[stem(fold(word))] += 1
    return {term for term in upper if not lower[term]}


def context_weight(idf: float, spread: float) -> float:
    """A context term's weight: its idf above COMMON_IDF (words common in any news, like
    "harga" or "umum", say little of which story a page tells, however often the seeds
    use them), and more for a term most seed texts share: that is the
    event's own; a term of one text may be its angle."""
    return round(max(0.0, idf - COMMON_IDF) * (0.5 + spread) / 1.5, 4)


# "JAKARTA, KabarNusantara - ", "KabarNusantara, Jakarta - ", "Jakarta (ANTARA) - ": where
# a story was filed and by whom, never what it is about.
_DATELINE = re.compile(r"^[A-Z][\w.]*(?: [A-Z][\w.]*){0,2}(?:, [\w. ]{2,40}?|"
                       r"\s*\([\w. ]{2,30}\))\s*[-\u2013\u2014]+\s", re.M)
_DOMAIN = re.compile(r"\b([a-z0-9]+)\.(?:com|co|id|net|org|news|tv|info|test)\b")


def _body_share(count: int) -> float:
    # One mention deep in a body is most often an aside ("seperti kerusuhan di Kazakhstan"):
    # it counts for a fifth of what repeated mentions do.
    return 1 - math.exp(-(count - 0.5) / 2) if count else 0.0


def _saturate(count: int) -> float:
    # The first mention is most of the evidence; repeats add less and less.
    return 1 - math.exp(-count / 1.5)


def _median(values: list[float]) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2
