"""The crawl's focus: which pages are coverage, and how promising each of their links is.

Runs in the extraction workers, right after a page is extracted: relevance needs the
article's clean text, and scoring hundreds of links a page is CPU work the event loop must
not do. The gates are, in order: language, publication-date window, topic relevance.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

from crawler import __version__
from crawler.config import ConfigError, CrawlConfig, TopicConfig, topic_from_stored
from crawler.discovery import Candidate, in_window
from crawler.relevance import TopicProfile, link_score, stems
from pipelines import cluster
from pipelines.cleanup import clean_text
from pipelines.dates import date_from_url
from pipelines.extract import PageAnalysis, extract_article, is_html

OFF_TOPIC = "off topic"  # how a topic verdict starts (crawler/feedback.py finds them so)


@dataclass(frozen=True)
class Focus:
    topic: TopicProfile
    language: str = "id"  # "" accepts every language
    published_after: date | None = None
    published_before: date | None = None
    # MinHash signatures of the seed texts: a page that retells one is the archivist's own
    # example of the coverage, whatever its words score (see `retells_seed`).
    seed_signatures: tuple[Any, ...] = field(default=(), compare=False, repr=False)

    @classmethod
    def from_config(cls, config: CrawlConfig) -> Focus:
        """Raises ValueError for a topic with neither keywords nor seed texts."""
        return cls.from_topic(config.topic, [text for _, text in seed_texts(config)])

    @classmethod
    def from_topic(cls, topic: TopicConfig, texts: Sequence[str]) -> Focus:
        """`texts`: the seed texts as their files hold them (plain text or a saved page),
        cleaned here, so a focus rebuilt from the WARC files' copy is the crawl's."""
        articles = [seed_article(t) for t in texts]
        profile = TopicProfile.build(topic.keywords, articles, topic.aliases,
                                     threshold=topic.threshold)
        signatures = tuple(s for s in map(cluster.signature, articles) if s is not None)
        return cls(profile, topic.language, topic.published_after, topic.published_before,
                   signatures)

    @property
    def threshold(self) -> float:
        return self.topic.threshold

    def verdict(self, analysis: PageAnalysis, relevance: float) -> tuple[str, str] | None:
        """Which gate keeps an extracted article out of the coverage, and why, in words
        (None: it is coverage). Gates: "article", "language", "window", "topic"."""
        article = analysis.article
        if article is None:
            return "article", "not an article"
        if self.language and article.language and article.language != self.language:
            return "language", f"language {article.language}"
        day = _day(article.published_at)
        if not self.in_window(day):
            side = "after" if self.published_before and day > self.published_before else "before"
            return "window", f"published {day} {side} the window"
        if relevance < self.threshold and not self.retells_seed(article.text,
                                                                article.title or ""):
            return "topic", f"{OFF_TOPIC} ({relevance:.2f})"
        return None

    def retells_seed(self, text: str, title: str = "") -> bool:
        """Whether the page is one of the seed texts, or a syndicated copy of one (the
        similarity that makes one syndication cluster): the archivist chose it as coverage,
        and a seed about an angle its keywords do not name (the crew's families, not the
        submarine) would otherwise be kept out by the very topic it defines."""
        if not self.seed_signatures:
            return False
        page = cluster.signature(f"{title}\n\n{text}")
        return page is not None and any(cluster.similarity(page, seed) >= cluster.THRESHOLD
                                        for seed in self.seed_signatures)

    def candidate_score(self, candidate: Candidate, vouch: str = "") -> float:
        """A feed or sitemap entry, scored on its title and URL like a link; an
        aggregator's answer to a query (`vouch`) holds the query's words."""
        return link_score(self.topic, f"{candidate.title or ''} {vouch}", candidate.url, "",
                          0.0)

    def url_in_window(self, url: str) -> bool:
        """False when the URL itself dates the story outside the window (/2022/12/04/...):
        such a link is not worth a fetch. Undated URLs pass."""
        return self.in_window(_day(date_from_url(url)))

    def in_window(self, day: date | None) -> bool:
        return in_window(day, self.published_after, self.published_before)

    def assess(self, analysis: PageAnalysis, vouch: str = "") -> PageAnalysis:
        """The analysis with its relevance, verdict and scored links filled in.

        `vouch` is what the page answers when it is the outlet's search or tag page for a
        term of the crawl: every story it lists outside its chrome holds that term, even
        when the headline does not show it ("Minyak Brent Menguat" found by "Kazakhstan"),
        so the term counts among the link's own words. Only headlines are vouched for (an
        anchor of three words or more: not "Login", "2", "Olahraga"), and only when some
        result shows the term itself: a page that found nothing and lists the latest news
        instead vouches for nothing."""
        if analysis.article is not None:
            relevance = self.topic.score(analysis.article.text, analysis.article.title or "")
        elif analysis.kind == "page" and analysis.outlinks:
            # A listing (section, tag, search results) is as relevant as its headlines.
            relevance = self.topic.score(" ".join(link.anchor for link in analysis.outlinks
                                                  if len(link.anchor) > 25))
        else:
            relevance = 0.0
        results = [link for link in analysis.outlinks
                   if not link.chrome and len(link.anchor.split()) >= 3] if vouch else []
        term = set(stems(vouch))
        if term and not any(term <= set(stems(f"{r.anchor} {r.context}")) for r in results):
            results = []
        vouched = {link.url for link in results}
        links, ruled_out = [], 0
        for link in analysis.outlinks:
            if not (self.url_in_window(link.url) and self.in_window(_day(link.dated))):
                ruled_out += 1
                continue
            words = f"{link.anchor} {vouch}" if link.url in vouched else link.anchor
            # A page that answers a crawl term is a parent fully on topic.
            links.append((link.url, link_score(self.topic, words, link.url, link.context,
                                               1.0 if vouched else relevance)))
        gate, verdict = (self.verdict(analysis, relevance) or (None, None)
                         if analysis.article is not None else (None, None))
        return replace(analysis, relevance=relevance, gate=gate, verdict=verdict,
                       scored_links=tuple(links), links_out_of_window=ruled_out, outlinks=())


def seed_article(text: str) -> str:
    """A seed text as the topic reads it: a saved HTML page through the project's own
    extraction (headline and body), a plain-text copy without its page's furniture (menu
    labels, "Editor: x", "loading...", a body pasted twice): seed noise is not the topic."""
    if is_html(None, text[:512].encode("utf-8", "replace")):
        article = extract_article(text, "")
        return f"{article.title or ''}\n\n{article.text}" if article is not None else ""
    return clean_text(text)


def seed_texts(config: CrawlConfig) -> list[tuple[str, str]]:
    """(file name as the config's glob found it, text) of every seed text, in the order the
    topic profile reads them."""
    base = config.path.parent if config.path else Path.cwd()
    out = []
    for path in config.seed_text_files():
        try:
            name = path.relative_to(base).as_posix()
        except ValueError:
            name = str(path)
        out.append((name, path.read_text(encoding="utf-8", errors="replace")))
    return out


# -- the focus the WARC files carry -----------------------------------------------------------
STORED_FORMAT = 1  # bumped when the stored document changes shape


def stored_config(config: CrawlConfig, *, gates: bool) -> dict[str, Any]:
    """What each of a crawl's WARC files carries about it (pipelines/warc.py writes it into
    the warcinfo): the config, the seed texts' contents (the config names files, which a
    reindex elsewhere does not have) and whether the crawl applied its gates. Enough to
    rebuild the crawl's focus from the WARC files alone (`focus_from_stored`)."""
    return {
        "format": STORED_FORMAT,
        "liputan": __version__,  # relevance is scored by that version's model
        "config": config.as_dict(),
        "config_digest": config.digest,
        "gates": gates,
        "seed_texts": [{"file": name, "text": text} for name, text in seed_texts(config)],
    }


def focus_from_stored(document: Mapping[str, Any], where: str) -> Focus | None:
    """The focus a crawl ran with, rebuilt from the config its WARC files carry; None when
    the crawl ran without gates. Raises ConfigError when the document cannot be read."""
    if not document.get("gates"):
        return None
    config = document.get("config")
    texts = document.get("seed_texts") or []
    if not isinstance(config, dict) or not isinstance(texts, list) or not all(
            isinstance(t, dict) and isinstance(t.get("text"), str) for t in texts):
        raise ConfigError(f"{where}: the stored crawl config is not one Liputan wrote")
    topic = topic_from_stored(config.get("topic"), where)
    try:
        return Focus.from_topic(topic, [t["text"] for t in texts])
    except ValueError as exc:  # no keywords, no seed texts: the crawl had no gates either
        raise ConfigError(f"{where}: the stored crawl config has no topic ({exc})") from exc


def _day(published_at: str | None) -> date | None:
    if not published_at:
        return None
    try:
        return date.fromisoformat(published_at[:10])
    except ValueError:
        return None
