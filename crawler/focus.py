"""The crawl's focus: which pages are coverage, and how promising each of their links is.

Runs in the extraction workers, right after a page is extracted: relevance needs the
article's clean text, and scoring hundreds of links a page is CPU work the event loop must
not do. The gates are, in order: language, publication-date window, topic relevance.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from crawler.config import CrawlConfig
from crawler.relevance import TopicProfile, link_score
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

    def verdict(self, analysis: PageAnalysis, relevance: float) -> str | None:
        """Why an extracted article is not coverage (None: it is)."""
        article = analysis.article
        if article is None:
            return "not an article"
        if self.language and article.language and article.language != self.language:
            return f"language {article.language}"
        day = _day(article.published_at)
        if day is not None:
            if self.published_after and day < self.published_after:
                return f"published {day} before the window"
            if self.published_before and day > self.published_before:
                return f"published {day} after the window"
        if relevance < self.threshold:
            return f"off topic ({relevance:.2f})"
        return None

    def assess(self, analysis: PageAnalysis) -> PageAnalysis:
        """The analysis with its relevance, verdict and scored links filled in."""
        if analysis.article is not None:
            relevance = self.topic.score(analysis.article.text, analysis.article.title or "")
        elif analysis.kind == "page" and analysis.outlinks:
            # A listing (section, tag, search results) is as relevant as its headlines.
            relevance = self.topic.score(" ".join(link.anchor for link in analysis.outlinks
                                                  if len(link.anchor) > 25))
        else:
            relevance = 0.0
        links = tuple((link.url, link_score(self.topic, link.anchor, link.url, link.context,
                                            relevance))
                      for link in analysis.outlinks)
        return replace(analysis, relevance=relevance, verdict=self.verdict(analysis, relevance)
                       if analysis.article is not None else None,
                       scored_links=links, outlinks=())


def _day(published_at: str | None) -> date | None:
    if not published_at:
        return None
    try:
        return date.fromisoformat(published_at[:10])
    except ValueError:
        return None
