"""The crawl's page budget, spent when a request leaves the scheduler.

Counting at the downloader, not when links are found, is what makes a best-first crawl
work: every link can be queued, and the budget goes to the highest-scored requests. The
count is the frontier's (crawler/frontier/policy.py), so a resumed run keeps what its
earlier processes spent. A URL dropped once the budget is spent is recorded as skipped
(reason `budget`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from scrapy.exceptions import IgnoreRequest, NotConfigured

from crawler.components.services import services

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler


class PageBudget:
    def __init__(self, crawler: Crawler, max_pages: int):
        self.crawler = crawler
        self.max_pages = max_pages

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PageBudget:
        max_pages = services(crawler).options.max_pages
        if max_pages <= 0:
            raise NotConfigured("no page budget (LIPUTAN_MAX_PAGES=0)")
        return cls(crawler, max_pages)

    def process_request(self, request: Request) -> None:
        if request.url.endswith("/robots.txt"):
            return  # politeness, not crawling: never charged
        frontier = getattr(self.crawler.spider, "frontier", None)
        if frontier is not None and not frontier.spend():
            stats = self.crawler.stats
            if not stats.get_value("liputan/budget_exhausted"):
                stats.set_value("liputan/budget_exhausted", True)
                self.crawler.spider.logger.info("page budget of %d spent: dropping the rest",
                                                self.max_pages)
            stats.inc_value("liputan/budget_dropped")
            services(self.crawler).archive.record_skipped(request.url, "budget")
            raise IgnoreRequest(f"page budget of {self.max_pages} spent")
