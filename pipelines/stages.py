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
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, TypeVar

from scrapy.exceptions import NotConfigured

from crawler.discovery import Proposals, propose, read_source
from pipelines.capture import crawl_archive
from pipelines.extract import PageAnalysis, analyse_page

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

    from crawler.focus import Focus

logger = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass
class CapturedPage:
    """An archived HTML page on its way to extraction and the index."""

    capture: str  # the capture key WarcCapture put in request.meta
    url: str
    body: bytes  # Content-Decoded by Scrapy; charset handled by extraction
    content_type: str | None
    analysis: PageAnalysis | None = None


_FOCUS: Focus | None = None  # the crawl's focus, in each worker process


def _init_worker(niceness: int, focus: Focus | None) -> None:
    global _FOCUS
    _FOCUS = focus
    if niceness:
        # The event loop is the crawl's one serial path; workers can lag without harm.
        with contextlib.suppress(OSError):
            os.nice(niceness)


def extraction_pool(workers: int, niceness: int = 0,
                    focus: Focus | None = None) -> ProcessPoolExecutor:
    """Worker processes started by spawn: forking a process that runs a reactor and
    threads can deadlock on locks held at fork time."""
    return ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                               initializer=_init_worker, initargs=(niceness, focus))


def analyse_in_worker(body: bytes, url: str, content_type: str | None,
                      vouch: str = "") -> PageAnalysis:
    """Extraction, then (when the crawl has a focus) relevance, gates and link scores."""
    if _FOCUS is None:
        return analyse_page(body, url, content_type)
    return _FOCUS.assess(analyse_page(body, url, content_type, with_outlinks=True), vouch)


def propose_in_worker(body: bytes, url: str, unwrap: str, after: date | None,
                      before: date | None, vouch: str = "") -> Proposals:
    """A feed or sitemap read, filtered by the window and (focused) scored: a news
    sitemap holds thousands of entries, too many to parse and score on the event loop.
    `vouch`: the query an aggregator's answer is for (see Focus.candidate_score)."""
    focus = _FOCUS
    score = (lambda c: focus.candidate_score(c, vouch)) if focus is not None else None
    return propose(read_source(body, url, unwrap=unwrap), after, before, score)


class PageAnalyser:
    """The crawl's extraction workers, shared by the spider (which needs link scores before
    it can schedule) and the extraction pipeline."""

    def __init__(self, workers: int, niceness: int = 0, focus: Focus | None = None):
        self.workers, self.niceness, self.focus = workers, niceness, focus
        self.pool: ProcessPoolExecutor | None = None

    async def analyse(self, body: bytes, url: str, content_type: str | None,
                      vouch: str = "") -> PageAnalysis:
        """`vouch`: what the page answers (a search query, a tag), see Focus.assess."""
        return await self._in_worker(analyse_in_worker, body, url, content_type, vouch)

    async def propose(self, body: bytes, url: str, unwrap: str, after: date | None,
                      before: date | None, vouch: str = "") -> Proposals:
        return await self._in_worker(propose_in_worker, body, url, unwrap, after, before, vouch)

    async def _in_worker(self, work: Callable[..., T], *args: object) -> T:
        if self.pool is None:  # started on first use: a crawl that extracts nothing has none
            self.pool = extraction_pool(self.workers, self.niceness, self.focus)
        return await asyncio.get_running_loop().run_in_executor(self.pool, work, *args)

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=False)
            self.pool = None


def page_analyser(crawler: Crawler) -> PageAnalyser | None:
    """The crawl's one PageAnalyser (None when extraction is off)."""
    settings = crawler.settings
    if not settings.getbool("LIPUTAN_EXTRACT_ENABLED"):
        return None
    analyser = getattr(crawler, "_liputan_analyser", None)
    if analyser is None:
        analyser = PageAnalyser(settings.getint("LIPUTAN_EXTRACT_WORKERS") or default_workers(),
                                settings.getint("LIPUTAN_EXTRACT_NICENESS"))
        crawler._liputan_analyser = analyser
    return analyser


def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
               else os.cpu_count() or 1)


class ExtractPipeline:
    """Extracts the pages the spider did not already analyse (it does, when focused)."""

    def __init__(self, crawler: Crawler, analyser: PageAnalyser):
        self.crawler = crawler
        self.analyser = analyser

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ExtractPipeline:
        analyser = page_analyser(crawler)
        if analyser is None:
            raise NotConfigured("extraction is off (LIPUTAN_EXTRACT_ENABLED=False)")
        return cls(crawler, analyser)

    async def process_item(self, item: object) -> object:
        if not isinstance(item, CapturedPage):
            return item
        if item.analysis is None:
            item.analysis = await self.analyser.analyse(item.body, item.url, item.content_type)
        item.body = b""  # the bytes are in the WARC; do not hold them any longer
        return item

    def close_spider(self) -> None:
        self.analyser.close()


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
        crawl_archive(self.crawler).add_analysis(item.capture, item.analysis)
        if item.analysis.error:
            stats.inc_value("liputan/extraction_errors")
            logger.warning("extraction failed for %s: %s", item.url, item.analysis.error)
        if item.analysis.article is not None and item.analysis.verdict:
            stats.inc_value(f"liputan/rejected/{item.analysis.gate}")
        elif item.analysis.article is not None:
            stats.inc_value("liputan/articles")
        else:
            stats.inc_value(f"liputan/pages/{item.analysis.kind}")
        return item
