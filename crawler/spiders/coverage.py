"""The `coverage` spider: from a crawl config's seeds, feeds and sitemaps to archived pages.

Run it as `liputan crawl CONFIG.toml` or `scrapy crawl coverage -a config=CONFIG.toml`.
Every response is archived by WarcCapture before it gets here; this spider decides what to
fetch next and hands HTML pages to extraction.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import scrapy
from scrapy.http import Response

from crawler.config import CrawlConfig, load_config
from crawler.discovery import in_window, parse_feed, parse_sitemap
from crawler.links import html_links, in_scope
from pipelines.capture import CAPTURE_KEY
from pipelines.extract import decode_html, is_html
from pipelines.pagination import looks_like_article, page_links, rel_links
from pipelines.stages import CapturedPage
from pipelines.urls import url_key

# Requests found through feeds and sitemaps point at articles: fetch them before listings.
DISCOVERY_PRIORITY = 10
ARTICLE_HINT_PRIORITY = 5
# The remaining pages of a story: soon, so the article row is complete early.
STORY_PAGE_PRIORITY = 20


def settings_for(config: CrawlConfig) -> dict[str, Any]:
    """The Scrapy settings a crawl config decides."""
    politeness, limits = config.politeness, config.limits
    settings: dict[str, Any] = {
        "ROBOTSTXT_OBEY": politeness.obey_robots,
        "DOWNLOAD_DELAY": politeness.delay_per_host,
        "CONCURRENT_REQUESTS_PER_DOMAIN": politeness.concurrent_per_host,
        "DEPTH_LIMIT": limits.max_depth,
    }
    if politeness.user_agent:
        settings["USER_AGENT"] = politeness.user_agent
    return settings


class CoverageSpider(scrapy.Spider):
    name = "coverage"
    crawl_config: CrawlConfig

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, config: str | None = None,
                     **kwargs: Any) -> CoverageSpider:
        if not config:
            raise ValueError("the coverage spider needs a crawl config: -a config=FILE.toml")
        crawl_config = load_config(config)
        # Settings are still mutable here (frozen after the spider is built).
        crawler.settings.setdict(settings_for(crawl_config), priority="spider")
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.crawl_config = crawl_config
        spider.scope = frozenset(crawl_config.scope_domains())
        spider.allowed_domains = sorted(spider.scope)
        spider.budget = crawl_config.limits.max_pages
        spider.seen = set()
        return spider

    # -- scheduling -------------------------------------------------------------------------
    def follow(self, url: str, callback: Any = None, priority: int = 0,
               **meta: Any) -> scrapy.Request | None:
        """A request for `url` unless it is out of scope, already seen (as any variant of
        its URL) or over budget."""
        # One story, one fetch: AMP, mobile, www and tracking-tagged variants share a key.
        key = url_key(url)
        if key in self.seen or self.budget <= 0 or not in_scope(url, self.scope):
            return None
        self.seen.add(key)
        try:
            request = scrapy.Request(url, callback=callback or self.parse, priority=priority,
                                     meta=meta or None)
        except ValueError:
            self.crawler.stats.inc_value("liputan/invalid_urls")
            return None  # one malformed link must not cost the page its other links
        self.budget -= 1
        if self.budget == 0:
            self.logger.info("page budget of %d reached: no new requests",
                             self.crawl_config.limits.max_pages)
            self.crawler.stats.set_value("liputan/budget_exhausted", True)
        return request

    async def start(self) -> AsyncIterator[scrapy.Request]:
        config = self.crawl_config
        plan = [(url, self.parse_feed, DISCOVERY_PRIORITY) for url in config.sources.feeds]
        plan += [(url, self.parse_sitemap, DISCOVERY_PRIORITY) for url in config.sources.sitemaps]
        plan += [(url, self.parse, DISCOVERY_PRIORITY) for url in config.seed_urls_all()]
        for url, callback, priority in plan:
            request = self.follow(url, callback, priority)
            if request is not None:
                yield request

    # -- callbacks --------------------------------------------------------------------------
    def parse(self, response: Response) -> Iterator[Any]:
        content_type = response.headers.get("Content-Type", b"").decode("latin-1") or None
        if not is_html(content_type, response.body[:512]):
            return
        if CAPTURE_KEY in response.meta:
            yield CapturedPage(response.meta[CAPTURE_KEY], response.url, response.body,
                               content_type)
        text = decode_html(response.body, content_type)
        links = html_links(text, response.url)
        yield from self.follow_story_pages(response.url, text, links)
        for url in links:
            request = self.follow(url)
            if request is not None:
                yield request

    def follow_story_pages(self, url: str, text: str, links: list[str]) -> Iterator[Any]:
        """The rest of a multi-page story, first: its one-page view when the outlet has one
        (its numbered pages are then never fetched), else every numbered page."""
        if not looks_like_article(text):
            return
        story = page_links(url, links, rel_links(text).get("next"))
        if not story:
            return
        if story.single:
            self.seen.update(url_key(page_url) for _, page_url in story.pages)
            wanted = [story.single]
        else:
            wanted = [page_url for _, page_url in story.pages]
        self.crawler.stats.inc_value("liputan/story_pages", len(wanted))
        for page_url in wanted:
            request = self.follow(page_url, priority=STORY_PAGE_PRIORITY)
            if request is not None:
                yield request

    def parse_feed(self, response: Response) -> Iterator[scrapy.Request]:
        topic = self.crawl_config.topic
        entries = parse_feed(response.body, response.url)
        self.crawler.stats.inc_value("liputan/discovery/feed_entries", len(entries))
        for entry in entries:
            if in_window(entry.published, topic.published_after, topic.published_before):
                request = self.follow(entry.url, priority=ARTICLE_HINT_PRIORITY)
                if request is not None:
                    yield request

    def parse_sitemap(self, response: Response) -> Iterator[scrapy.Request]:
        topic = self.crawl_config.topic
        sitemap = parse_sitemap(response.body, response.url)
        if sitemap is None:
            self.logger.warning("not a sitemap: %s", response.url)
            return
        self.crawler.stats.inc_value("liputan/discovery/sitemap_entries", len(sitemap.entries))
        for entry in sitemap.entries:
            if sitemap.kind == "index":
                request = self.follow(entry.url, self.parse_sitemap, DISCOVERY_PRIORITY)
            elif in_window(entry.published, topic.published_after, topic.published_before):
                request = self.follow(entry.url, priority=ARTICLE_HINT_PRIORITY)
            else:
                continue
            if request is not None:
                yield request
