"""Politeness: the per-host policy of crawler/politeness.py applied to Scrapy's download slots.

Scrapy sends a slot's next request once `lastseen + delay` has passed (Downloader.
_process_queue, Scrapy 2.19). This extension owns both public fields of every slot: it
turns Scrapy's ±50 % randomisation off (`jitter = 0`), sets a fresh draw above the host's
floor as each request reaches the slot and each response comes back, and moves `lastseen`
forward so a backed-off host's next request waits until its backoff ends. Retries go
through the same slots, so they keep the same floor and backoff.

A crawl stopping (Ctrl-C, SIGTERM) does not wait out a delay: requests still queued in a
slot are dropped (`HeldAtShutdown`), their frontier rows stay unfinished, and the resumed
run sends them. Counts go to `liputan/politeness/...` in the stats, which the run keeps.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from scrapy import signals
from scrapy.exceptions import IgnoreRequest
from twisted.internet import task

from crawler.components.services import services
from crawler.politeness import BACKOFF_STATUSES, HostPoliteness
from pipelines.warc import WarcError, read_record

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response

    from pipelines.archive import CrawlArchive

logger = logging.getLogger(__name__)

STATS = "liputan/politeness"
MIN_GAP = 0.001  # seconds: Scrapy checks a slot's lastseen only when its delay is not 0
WATCH_INTERVAL = 0.25  # seconds between looks at whether the crawl is stopping


class HeldAtShutdown(IgnoreRequest):
    """A request still waiting for its host's delay when the crawl stopped: never sent,
    left for the resumed run (the spider does not mark its frontier row done)."""


class Politeness:
    def __init__(self, crawler: Crawler, policy: HostPoliteness, robots_agent: str):
        self.crawler = crawler
        self.policy = policy
        self.robots_agent = robots_agent
        self.watch: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Politeness:
        settings, options = crawler.settings, services(crawler).options
        policy = HostPoliteness(delay=settings.getfloat("DOWNLOAD_DELAY"),
                                jitter=options.delay_jitter, max_wait=options.max_host_wait)
        agent = settings.get("ROBOTSTXT_USER_AGENT") or settings.get("USER_AGENT") or ""
        ext = cls(crawler, policy, agent)
        crawler.signals.connect(ext.opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.closed, signal=signals.spider_closed)
        crawler.signals.connect(ext.reached, signal=signals.request_reached_downloader)
        crawler.signals.connect(ext.downloaded, signal=signals.response_downloaded)
        crawler.signals.connect(ext.robots_parsed, signal=signals.robots_parsed)
        return ext

    # -- signals ----------------------------------------------------------------------------
    def opened(self) -> None:
        stats = self.crawler.stats
        stats.set_value(f"{STATS}/delay_floor", self.policy.delay)
        stats.set_value(f"{STATS}/delay_jitter", self.policy.jitter)
        self.watch = task.LoopingCall(self._watch)
        self.watch.start(WATCH_INTERVAL, now=False)
        archive = services(self.crawler).archive
        if archive.resumed:
            self._restore_backoffs(archive)

    def _restore_backoffs(self, archive: CrawlArchive) -> None:
        """A resumed run honours the Retry-After its dead process was waiting out: each
        host whose last answer was "come back later" waits what is left of it."""
        last: dict[str, dict[str, Any]] = {}
        for capture in archive.index.run_captures(archive.run_id):
            last[urlsplit(capture["url"]).hostname or ""] = capture
        for host, capture in last.items():
            if capture["status"] not in BACKOFF_STATUSES or not capture["warc_file"]:
                continue
            try:
                record, _ = read_record(archive.root, (capture["warc_file"],
                                                       capture["warc_offset"],
                                                       capture["warc_length"]), payload=False)
                answered_at = datetime.fromisoformat(capture["fetched_at"])
            except (WarcError, ValueError, TypeError):
                continue
            header = record.http_headers.get_header("Retry-After") if record.http_headers \
                else None
            left = self.policy.restore(host, header, answered_at) if header else 0.0
            if left:
                self.crawler.stats.inc_value(f"{STATS}/backoffs_resumed")
                logger.info("%s answered %d before the crawl stopped: no request to it for"
                            " %.1f s more (its Retry-After)", host, capture["status"], left)

    def closed(self) -> None:
        if self.watch is not None and self.watch.running:
            self.watch.stop()

    def reached(self, request: Request) -> None:
        self._pace(self._key(request))

    def downloaded(self, response: Response, request: Request) -> None:
        key = self._key(request)
        header = response.headers.get("Retry-After")
        backoff = self.policy.answered(key, response.status,
                                       header.decode("latin-1") if header else None)
        if backoff is not None:
            stats = self.crawler.stats
            stats.inc_value(f"{STATS}/backoffs")
            stats.inc_value(f"{STATS}/backoff_seconds", round(backoff.seconds, 3))
            stats.max_value(f"{STATS}/longest_backoff", round(backoff.seconds, 3))
            if backoff.retry_after:
                stats.inc_value(f"{STATS}/retry_after")
            if backoff.capped:
                stats.inc_value(f"{STATS}/backoff_capped")
            logger.info("%s answered %d: no request to it for %.1f s%s", key, backoff.status,
                        backoff.seconds, " (its Retry-After)" if backoff.retry_after else "")
        self._pace(key, answered=True)

    def robots_parsed(self, robotparser: Any, request: Request) -> None:
        # RobotParser.crawl_delay is Scrapy 2.18+; before, Protego's own parser has it.
        crawl_delay = getattr(robotparser, "crawl_delay", None) or getattr(
            getattr(robotparser, "rp", None), "crawl_delay", None)
        if crawl_delay is None:
            return
        agent = self.robots_agent or request.headers.get("User-Agent") or ""
        try:
            seconds = crawl_delay(agent)
        except (TypeError, ValueError):
            return
        key = self._key(request)
        floor = self.policy.honour_crawl_delay(key, None if seconds is None else float(seconds))
        if floor is not None:
            self.crawler.stats.set_value(f"{STATS}/crawl_delay/{key}", floor)
            logger.info("%s asks for a Crawl-delay of %s s: honoured (%.1f s)", key, seconds,
                        floor)
            self._pace(key)

    # -- slots ------------------------------------------------------------------------------
    def _key(self, request: Request) -> str:
        key = request.meta.get("download_slot")
        if key is None and self.crawler.engine is not None:
            key = self.crawler.engine.downloader.get_slot_key(request)
        return str(key or "")

    def _pace(self, key: str, answered: bool = False) -> None:
        """The slot's next gap: a draw above the host's floor; during a backoff, not
        before it ends (`lastseen + delay` is when Scrapy sends the next request).
        `answered`: a response just came, and the gap counts from it too. Scrapy counts
        from when it dispatched the last request, which can be a while before the server
        saw it (a first connection, a lazily loaded handler: 60 ms measured), so by the
        server's clock the next request came too soon."""
        engine = self.crawler.engine
        slot = engine.downloader.slots.get(key) if engine is not None else None
        if slot is None:
            return
        if answered:
            slot.lastseen = max(slot.lastseen, time.monotonic())
        delay = self.policy.draw(key)
        ends = self.policy.resume_at(key)
        if ends:
            least = max(self.policy.floor(key), MIN_GAP)  # no later draw is shorter
            delay = max(delay, least)
            slot.lastseen = max(slot.lastseen, ends - least)
        slot.jitter = 0.0
        slot.delay = delay

    def _watch(self) -> None:
        engine = self.crawler.engine
        if engine is None or engine.running:
            return
        held = 0
        for slot in engine.downloader.slots.values():
            while slot.queue:
                _request, waiting = slot.queue.popleft()
                waiting.errback(HeldAtShutdown("the crawl stopped before this request's"
                                               " turn; the resumed run sends it"))
                held += 1
        if held:
            self.crawler.stats.inc_value(f"{STATS}/held_at_shutdown", held)
