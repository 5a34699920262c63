"""Progress: a live status line on a terminal, plain log lines elsewhere, a summary at the end.

Counts come from the crawl's stats (`downloader/response_count`, `liputan/...`), so the line
shows what the archive really holds, not what the spider hoped to fetch.
"""

from __future__ import annotations

import logging
import sys
import time
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.exceptions import NotConfigured
from twisted.internet import task

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)


def progress_counts(stats: dict[str, Any], elapsed: float) -> dict[str, Any]:
    pages = stats.get("downloader/response_count", 0)
    errors = stats.get("liputan/fetch_failures", 0) + stats.get("liputan/extraction_errors", 0)
    return {
        "pages": pages,
        "articles": stats.get("liputan/articles", 0),
        "errors": errors,
        "rate": pages / elapsed if elapsed > 0 else 0.0,
        "elapsed": elapsed,
    }


def format_progress(counts: dict[str, Any]) -> str:
    return ("{pages:>7,} pages  {articles:>6,} articles  {errors:>4,} errors  "
            "{rate:6.1f} pages/s  {elapsed:6.0f} s").format(**counts)


class Progress:
    def __init__(self, crawler: Crawler, live: bool, interval: float):
        self.crawler = crawler
        self.live = live
        self.interval = interval
        self.started = time.monotonic()
        self.loop: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Progress:
        settings = crawler.settings
        mode = settings.get("LIPUTAN_PROGRESS", "auto")
        if mode == "never":
            raise NotConfigured("progress is off (LIPUTAN_PROGRESS=never)")
        live = mode == "always" or (mode == "auto" and sys.stderr.isatty())
        interval = settings.getfloat(
            "LIPUTAN_PROGRESS_INTERVAL" if live else "LIPUTAN_LOG_INTERVAL")
        ext = cls(crawler, live, interval)
        crawler.signals.connect(ext.opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.closed, signal=signals.spider_closed)
        return ext

    def opened(self) -> None:
        self.started = time.monotonic()
        self.loop = task.LoopingCall(self.report)
        self.loop.start(self.interval, now=False)

    def counts(self) -> dict[str, Any]:
        stats = self.crawler.stats.get_stats() if self.crawler.stats else {}
        return progress_counts(stats, time.monotonic() - self.started)

    def report(self) -> None:
        line = format_progress(self.counts())
        if self.live:
            sys.stderr.write("\r" + line)
            sys.stderr.flush()
        else:
            logger.info("progress: %s", line)

    def closed(self, reason: str) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        if self.live:
            sys.stderr.write("\r" + format_progress(self.counts()) + "\n")
            sys.stderr.flush()
        self.crawler.stats.set_value("liputan/elapsed_seconds", round(self.counts()["elapsed"], 3))
