"""WarcCapture: the Scrapy downloader middleware that archives every exchange at the wire.

Ordered at 950, above HttpCompressionMiddleware (590) and RedirectMiddleware (600), it sees
each response as transferred (still gzip, real status, every header) before anything
decodes or follows it; robots.txt fetches pass here too, and a URL robots.txt forbids is
recorded as skipped (the run's report lists it). The work is `CrawlArchive`'s
(`services(crawler).archive`).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import scrapy
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.utils.defer import deferred_from_coro

from crawler.components.services import services
from pipelines.archive import ArchiveError
from pipelines.warc import HttpExchange

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

CAPTURE_KEY = "liputan_capture"  # request.meta key: the capture (record id) of this response
# The reason of RobotsTxtMiddleware's IgnoreRequest: it tells a robots.txt refusal from the
# page budget's or scope's (tests/test_runs.py fails if Scrapy rewords it).
ROBOTS_FORBIDDEN = "Forbidden by robots.txt"


def _headers(headers: scrapy.http.Headers) -> list[tuple[str, str]]:
    # getlist keeps repeated headers (Set-Cookie); latin-1 keeps the bytes as sent.
    return [
        (key.decode("latin-1"), value.decode("latin-1"))
        for key, values in headers.items()
        for value in (headers.getlist(key) or values)
    ]


class WarcCapture:
    """Writes a request and a response (or revisit) record for every downloaded response."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self._stopping = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WarcCapture:
        if not crawler.settings.getbool("LIPUTAN_CAPTURE_ENABLED"):
            raise NotConfigured("WARC capture is off (LIPUTAN_CAPTURE_ENABLED=False)")
        return cls(crawler)

    def process_request(self, request: scrapy.Request) -> None:
        # Write-ahead: the frontier row of every request on the wire is committed first.
        services(self.crawler).archive.index.commit_frontier()

    def process_response(self, request: scrapy.Request, response: scrapy.http.Response
                         ) -> scrapy.http.Response:
        exchange = HttpExchange(
            url=response.url,
            status=response.status,
            response_headers=_headers(response.headers),
            body=response.body,
            method=request.method,
            request_headers=_headers(request.headers),
            request_body=request.body or b"",
            protocol=response.protocol or "HTTP/1.1",
            ip_address=str(response.ip_address) if response.ip_address else None,
        )
        archive = services(self.crawler).archive
        try:
            request.meta[CAPTURE_KEY] = archive.capture(exchange)
        except ArchiveError as exc:
            self._stop(exc)
            raise
        stats = self.crawler.stats
        stats.inc_value("liputan/captures")
        stats.set_value("liputan/warc_bytes", archive.counts.bytes_written)
        if archive.counts.revisits:
            stats.set_value("liputan/revisits", archive.counts.revisits)
        return response

    def _skip(self, url: str, reason: str) -> None:
        try:
            services(self.crawler).archive.record_skipped(url, reason)
        except ArchiveError as exc:
            self._stop(exc)

    def _stop(self, exc: ArchiveError) -> None:
        # Crawling on without an archive would lose every page: stop, say why.
        logger.error("%s; stopping the crawl", exc)
        engine = self.crawler.engine
        if engine is not None and not self._stopping:
            self._stopping = True
            deferred_from_coro(engine.close_spider_async(reason="archive_error"))

    def process_exception(self, request: scrapy.Request, exception: Exception) -> None:
        # Scrapy hands an exception raised in any middleware's process_request to every
        # process_exception (DownloaderMiddlewareManager._process_exception, Scrapy 2.19),
        # so RobotsTxtMiddleware's refusal (at 100) reaches this one too.
        if isinstance(exception, IgnoreRequest):
            if str(exception) == ROBOTS_FORBIDDEN:
                self._skip(request.url, "robots")
            return None  # robots.txt, the budget or scope decisions: not a fetch
        name = type(exception).__name__
        reason = f"{name}: {exception}" if str(exception).strip() else name
        if reason == "DownloadCancelledError":  # Scrapy gives no words when a body runs over
            reason += (": cancelled mid-body (past DOWNLOAD_MAXSIZE,"
                       f" {self.crawler.settings.getint('DOWNLOAD_MAXSIZE'):,} bytes)")
        try:
            services(self.crawler).archive.record_failure(request.url, reason[:500])
        except ArchiveError as exc:
            self._stop(exc)
        self.crawler.stats.inc_value("liputan/fetch_failures")
        return None
