"""The crawl's focus: which pages are coverage, and how promising each of their links is.

Runs in the extraction workers, right after a page is extracted: relevance needs the
article's clean text, and scoring hundreds of links a page is CPU work the event loop must
not do. The gates are, in order: language, publication-date window, topic relevance.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from crawler.config import CrawlConfig
from crawler.discovery import Candidate, in_window
from crawler.relevance import TopicProfile, link_score, stems
from pipelines.dates import date_from_url
from pipelines.extract import PageAnalysis


@dataclass(frozen=True)
class Focus:
    topic: TopicProfile
    language: str = "id"  # "" accepts every language
    published_after: date | None = None
    published_before: date | None = None

    @classmethod
    def from_config(cls, config: CrawlConfig) -> Focus:
        topic = config.topic
        texts = [p.read_text(encoding="utf-8", errors="replace")
                 for p in config.seed_text_files()]
        profile = TopicProfile.build(topic.keywords, texts, topic.aliases,
                                     threshold=topic.threshold)
        return cls(profile, topic.language, topic.published_after, topic.published_before)

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
        if relevance < self.threshold:
            return "topic", f"off topic ({relevance:.2f})"
        return None

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


def _day(published_at: str | None) -> date | None:
    if not published_at:
        return None
    try:
        return date.fromisoformat(published_at[:10])
    except ValueError:
        return None
