"""Resuming a run: its frontier back from the index, its unfinished pages from the WARC.

A run's frontier row is `done` only once its page was analysed, indexed and its links
offered. After a crash every other row is one of:
- fetched (its capture is in the index, or was recovered from the WARC by reconcile): the
  archived response is read back and handled by the spider's callback as if just fetched,
  so no URL is fetched twice and nothing found on the page is lost;
- half-way through a redirect chain: the next hop is requested;
- answered "come back later" (429, 503): its retry was waiting out the host's backoff
  when the crawl stopped, so it is requested again;
- never fetched: requested again (it was queued, or in flight when the process died).
Every URL the run has an answer for is seen, a redirect's target too, so no link fetches
it again.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin

from scrapy import Request
from scrapy.http import Headers
from scrapy.responsetypes import responsetypes

from crawler.components.capture import CAPTURE_KEY
from crawler.politeness import BACKOFF_STATUSES
from pipelines.urls import url_key
from pipelines.warc import WarcError, decode_payload, read_record

if TYPE_CHECKING:
    from crawler.spiders.coverage import CoverageSpider
    from pipelines.archive import CrawlArchive

logger = logging.getLogger(__name__)
MAX_HOPS = 10  # redirects followed through the archive before giving up on a chain
_DROPPED = {b"content-encoding", b"content-length", b"transfer-encoding"}


async def resume_requests(spider: CoverageSpider, archive: CrawlArchive
                          ) -> AsyncIterator[Any]:
    from crawler.spiders.coverage import FRONTIER_KEY

    index, stats = archive.index, spider.crawler.stats
    rows = list(index.frontier(archive.run_id))
    spider.frontier.restore(rows)
    captures: dict[str, dict[str, Any]] = {}
    for capture in index.run_captures(archive.run_id):
        captures[capture["url"]] = capture  # the latest capture of each URL
    # A redirect's target has a capture but no row of its own: a link to it must not
    # fetch it again. A failed fetch or a "come back later" is no answer: not seen.
    spider.frontier.fetched(url_key(url) for url, capture in captures.items()
                            if (capture["status"] or 0) >= 200
                            and capture["status"] not in BACKOFF_STATUSES)
    for row in rows:
        if row["state"] == "done":
            continue
        chain = _final_capture(archive, captures, row["url"])
        if chain is None:
            continue
        url, capture = chain
        if capture is not None and capture["status"] in BACKOFF_STATUSES:
            capture = None  # the retry never went (crawler/components/politeness.py)
        meta = {**row["meta"], FRONTIER_KEY: row["key"]}
        if capture is None and row["state"] == "reserved" and url == row["url"]:
            continue  # still waiting in the reserve (restored there)
        spider.frontier.requeued(row["key"])
        if capture is None:  # never fetched (or not all the way): ask for it now
            stats.inc_value("liputan/resume/requeued")
            # Through the dupefilter like any request (this process's is empty): a
            # redirect that lands on a URL another row asks for is then fetched once.
            yield Request(url, callback=getattr(spider, row["callback"] or "parse"),
                          errback=spider.on_error, priority=int(row["priority"] or 0),
                          meta=meta)
            continue
        response = _response(archive, capture, meta)
        if response is None:
            spider.frontier.done(row["key"])
            continue
        stats.inc_value("liputan/resume/replayed")
        async for output in getattr(spider, row["callback"] or "parse")(response):
            yield output


def _final_capture(archive: CrawlArchive, captures: dict[str, dict[str, Any]], url: str
                   ) -> tuple[str, dict[str, Any] | None] | None:
    """(URL, capture) where the redirect chain from `url` ends in the archive: the capture
    None when the chain's next hop was never fetched."""
    for _ in range(MAX_HOPS):
        capture = captures.get(url)
        if capture is None:
            return url, None
        status = capture["status"] or 0
        if not 300 <= status < 400 or not capture["warc_file"]:
            return url, capture
        try:
            record, _ = read_record(archive.root, (capture["warc_file"], capture["warc_offset"],
                                                   capture["warc_length"]))
        except WarcError:
            return url, capture
        location = record.http_headers.get_header("Location") if record.http_headers else None
        if not location:
            return url, capture
        url = urljoin(url, location)
    return None


def _response(archive: CrawlArchive, capture: dict[str, Any], meta: dict[str, Any]) -> Any:
    """The archived 200 response as Scrapy would have handed it to the callback (body
    decoded), or None when there is nothing to handle (an error, a failed fetch)."""
    if capture["status"] != 200 or not capture["warc_file"]:
        return None
    pointer = archive.index.payload_pointer(capture["id"])  # a revisit: its original's
    if pointer is None:
        return None
    try:
        record, payload = read_record(archive.root, pointer)
        body = decode_payload(payload, record.http_headers)  # within the cap
    except WarcError as exc:  # BodyTooLarge too
        logger.warning("cannot read back %s: %s", capture["url"], exc)
        return None
    http = record.http_headers
    headers = Headers()
    for name, value in http.headers:
        if name.lower().encode("latin-1") not in _DROPPED:
            headers.appendlist(name, value)
    key = archive.adopt(capture["record_id"], capture["id"])
    cls = responsetypes.from_args(headers=headers, url=capture["url"], body=body)
    request = Request(capture["url"], meta={**meta, CAPTURE_KEY: key}, dont_filter=True)
    return cls(url=capture["url"], status=200, headers=headers, body=body, request=request)
