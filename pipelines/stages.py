"""The item pipelines of a crawl: extraction (in a process pool) and indexing.

Extraction is CPU work (~10 ms a page with trafilatura), so it runs in worker processes on
all cores and the pipeline only awaits the result: the reactor keeps downloading meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

from scrapy.exceptions import NotConfigured

from pipelines.capture import crawl_archive
from pipelines.extract import PageAnalysis, analyse_page

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)


@dataclass
class CapturedPage:
    """An archived HTML page on its way to extraction and the index."""

    capture: str  # the capture key WarcCapture put in request.meta
    url: str
    body: bytes  # Content-Decoded by Scrapy; charset handled by extraction
    content_type: str | None
    analysis: PageAnalysis | None = None
    relevance: float | None = None


def _lower_priority(niceness: int) -> None:
    # The event loop is the crawl's one serial path; workers can lag a little without harm.
    with contextlib.suppress(OSError):
        os.nice(niceness)


def extraction_pool(workers: int, niceness: int = 0) -> ProcessPoolExecutor:
    """Worker processes started by spawn: forking a process that runs a reactor and
    threads can deadlock on locks held at fork time."""
    return ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                               initializer=_lower_priority if niceness else None,
                               initargs=(niceness,) if niceness else ())


def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
               else os.cpu_count() or 1)


class ExtractPipeline:
    def __init__(self, crawler: Crawler, workers: int, niceness: int = 0):
        self.crawler = crawler
        self.workers = workers
        self.niceness = niceness
        self.pool: ProcessPoolExecutor | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ExtractPipeline:
        settings = crawler.settings
        if not settings.getbool("LIPUTAN_EXTRACT_ENABLED"):
            raise NotConfigured("extraction is off (LIPUTAN_EXTRACT_ENABLED=False)")
        return cls(crawler, settings.getint("LIPUTAN_EXTRACT_WORKERS") or default_workers(),
                   settings.getint("LIPUTAN_EXTRACT_NICENESS"))

    def open_spider(self) -> None:
        self.pool = extraction_pool(self.workers, niceness=self.niceness)

    async def process_item(self, item: object) -> object:
        if not isinstance(item, CapturedPage) or self.pool is None:
            return item
        loop = asyncio.get_running_loop()
        item.analysis = await loop.run_in_executor(
            self.pool, analyse_page, item.body, item.url, item.content_type
        )
        item.body = b""  # the bytes are in the WARC; do not hold them any longer
        return item

    def close_spider(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=False)


class IndexPipeline:
    def __init__(self, crawler: Crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> IndexPipeline:
        if not crawler.settings.getbool("LIPUTAN_CAPTURE_ENABLED"):
            raise NotConfigured("the index points into WARC files: capture is off")
        return cls(crawler)

    def process_item(self, item: object) -> object:
        if not isinstance(item, CapturedPage) or item.analysis is None:
            return item
        stats = self.crawler.stats
        crawl_archive(self.crawler).add_analysis(item.capture, item.analysis, item.relevance)
        if item.analysis.error:
            stats.inc_value("liputan/extraction_errors")
            logger.warning("extraction failed for %s: %s", item.url, item.analysis.error)
        if item.analysis.article is not None:
            stats.inc_value("liputan/articles")
        else:
            stats.inc_value(f"liputan/pages/{item.analysis.kind}")
        return item
