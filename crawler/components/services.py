"""The per-crawl services every component shares: the options, the archive, the workers.

One object per Scrapy crawler (not module-level registries), opened on first use, so each
component reaches the same archive and pool through `services(crawler)`.
"""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import scrapy
from scrapy import signals

from crawler import __version__
from crawler.components.options import Options
from crawler.components.workers import PageAnalyser
from crawler.focus import stored_config
from pipelines.archive import CrawlArchive
from pipelines.lock import ArchiveLock
from pipelines.pool import default_workers
from pipelines.runs import FEEDBACK_KEY, FEEDBACK_PENDING, RunCounts, run_counts
from pipelines.warc import STORED_CONFIG_FIELD, stored_config_value

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)
_ATTRIBUTE = "_liputan_services"


@dataclass
class CrawlServices:
    crawler: Crawler
    options: Options
    _archive: CrawlArchive | None = field(default=None, init=False)
    _analyser: PageAnalyser | None = field(default=None, init=False)
    _lock: ArchiveLock | None = field(default=None, init=False)

    @property
    def analyser(self) -> PageAnalyser | None:
        """The extraction workers (None when extraction is off)."""
        if not self.options.extract:
            return None
        if self._analyser is None:
            self._analyser = PageAnalyser(self.options.extract_workers or default_workers(),
                                          self.options.extract_niceness)
        return self._analyser

    @property
    def archive(self) -> CrawlArchive:
        """The crawl's archive, opened (or resumed) on first use, sealed at spider close."""
        if self._archive is None:
            self._archive = self._open_archive()
        return self._archive

    @property
    def archive_open(self) -> bool:
        return self._archive is not None

    def _open_archive(self) -> CrawlArchive:
        crawler, options = self.crawler, self.options
        config = getattr(crawler.spider, "crawl_config", None)
        name = config.name if config else crawler.spider.name
        settings = crawler.settings
        # `liputan crawl` holds the archive already (this counts once more); a bare
        # `scrapy crawl` takes it here, before recovery could touch another crawl's files.
        self._lock = ArchiveLock(options.archive_dir, name).acquire()
        warcinfo = {
            "software": f"liputan {__version__} (Scrapy {scrapy.__version__})",
            "description": f"Liputan crawl {name}: every HTTP exchange as sent and received",
            "operator": options.warc_operator,
            "robots": "obey" if settings.getbool("ROBOTSTXT_OBEY") else "ignore",
            # Scrapy hands over the request as an object, not the bytes it sent.
            "liputan-request-records": "rebuilt from Scrapy's request: origin-form target, "
                                       "the headers Scrapy sent plus Host",
            "http-header-user-agent": settings.get("USER_AGENT"),
            "config-digest": f"sha1:{config.digest}" if config and config.digest else "",
        }
        if config is not None:
            # Last: the one long line. The gates are the spider's focus (None when off).
            gates = getattr(crawler.spider, "focus", None) is not None
            warcinfo[STORED_CONFIG_FIELD] = stored_config_value(
                stored_config(config, gates=gates))
        archive = CrawlArchive(
            root=options.archive_dir,
            crawl=name,
            config=config.as_dict() if config else {},
            config_digest=config.digest if config else "",
            warcinfo=warcinfo,
            max_bytes=options.warc_max_bytes,
            gzip_level=options.warc_gzip_level,
            resume=options.resume,
            schedule_id=options.schedule_id,
            conversions=options.warc_text,
        )
        crawler.signals.connect(self._seal, signal=signals.spider_closed, weak=False)
        return archive

    def _seal(self, spider: scrapy.Spider, reason: str) -> None:
        if self._archive is None:
            return
        archive = self._archive
        stats = self.crawler.stats.get_stats() if self.crawler.stats else {}
        # The whole run's counts, from the index: a resumed run's earlier processes count.
        try:
            counts = run_counts(archive.index, [archive.run_id])[archive.run_id]
        except sqlite3.Error:
            logger.exception("cannot count run %d in the index", archive.run_id)
            counts = RunCounts()  # an index that cannot be read: the run failed
        if not self.options.capture:  # nothing reaches the index: Scrapy's count is all
            counts = replace(counts, fetched=int(stats.get("downloader/response_count", 0)))
        status = run_status(reason, counts, self.options)
        if self.crawler.stats:  # what the command line reports
            self.crawler.stats.set_value("liputan/run_id", archive.run_id)
            self.crawler.stats.set_value("liputan/run_status", status)
        if getattr(spider, "focus", None) is not None:
            stats = {**stats, FEEDBACK_KEY: FEEDBACK_PENDING}  # until crawler/feedback.py
        try:
            archive.close(status=status, stats=stats)
        finally:
            if self._lock is not None:
                self._lock.release()

    @property
    def run_id(self) -> int | None:
        """The run this crawl recorded (None when its archive was never opened)."""
        return self._archive.run_id if self._archive is not None else None


def run_status(reason: str, counts: RunCounts, options: Options) -> str:
    """How a run ended, for the runs table: Ctrl-C or SIGTERM, `interrupted` (resumable);
    a crawl that served no page, or whose failures pass the configured share, `failed`
    (RunCounts.outcome); another close reason, that reason."""
    if reason == "shutdown":
        return "interrupted"
    if reason not in ("finished", "closespider_pagecount"):
        return reason
    return counts.outcome(options.max_failure_share)


def services(crawler: Crawler) -> CrawlServices:
    found = getattr(crawler, _ATTRIBUTE, None)
    if found is None:
        found = CrawlServices(crawler, Options.from_settings(crawler.settings))
        setattr(crawler, _ATTRIBUTE, found)
    return found
