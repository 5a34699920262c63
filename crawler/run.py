"""Run one crawl in this process (the Twisted reactor runs once per process)."""

from __future__ import annotations

import logging
import os
import signal
import sqlite3
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from crawler.components.options import Options, OptionsError
from crawler.components.services import services
from crawler.config import CrawlConfig
from crawler.feedback import FeedbackReport, apply_feedback
from crawler.spiders.coverage import CoverageSpider
from pipelines.index import INDEX_NAME, Index
from pipelines.lock import ArchiveBusy, ArchiveLock
from pipelines.runs import run_rows


@dataclass(frozen=True)
class CrawlResult:
    config: CrawlConfig
    archive: Path
    stats: dict[str, Any]
    run: dict[str, Any] | None = None  # the run as `liputan runs` shows it, from the index
    feedback: FeedbackReport | None = None  # relevance feedback after the crawl, if any
    # A second Ctrl-C stopped the crawl at once: its spider never closed, the run is left
    # as a kill leaves it, resumed by the next crawl.
    stopped_at_once: bool = False
    # Ctrl-C (or SIGTERM) after the crawl had closed: what was left for later, and how.
    left_for_later: str = ""
    wacz: Path | None = None  # the run's WACZ (LIPUTAN_PACKAGE)
    package_problem: str = ""  # why it was not written

    @property
    def status(self) -> str:
        """The run's recorded status (`finished`, `failed`, `interrupted`...)."""
        if self.stopped_at_once:
            return "interrupted"
        return str(self.run["status"]) if self.run else self.finish_reason

    @property
    def finish_reason(self) -> str:
        return str(self.stats.get("finish_reason", "unknown"))


def crawl_settings(archive: Path, proxy: str | None = None,
                   overrides: dict[str, Any] | None = None) -> Settings:
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    # A LIPUTAN_* setting may come from the environment too (a service's unit file, a
    # shell); a crawl config and -s still win.
    for key in [k for k in settings if k.startswith("LIPUTAN_")]:
        if key in os.environ:
            settings.set(key, os.environ[key], priority="spider")
    settings.set("LIPUTAN_ARCHIVE_DIR", str(archive), priority="cmdline")
    if proxy:
        settings.set("LIPUTAN_HTTP_PROXY", proxy, priority="cmdline")
    if sys.stderr.isatty():
        # The live progress line says what INFO lines would; keep warnings and errors.
        settings.set("LOG_LEVEL", "WARNING", priority="cmdline")
    for key, value in (overrides or {}).items():
        settings.set(key, value, priority="cmdline")
    return settings


def checked_settings(archive: Path, proxy: str | None = None,
                     overrides: dict[str, Any] | None = None) -> Settings:
    """The crawl's settings, refused (OptionsError, one line) when Liputan cannot use one:
    before anything is created or locked."""
    settings = crawl_settings(archive, proxy, overrides)
    Options.from_settings(settings)
    if settings.get("JOBDIR"):
        # Scrapy persists JOBDIR only on a clean close (FACTS.md): our frontier is durable.
        raise OptionsError("JOBDIR is not needed: a crawl resumes from its archive by itself"
                           " (README, \"Crash safety and resume\"); leave it out")
    return settings


def run_crawl(config: CrawlConfig, archive: Path, proxy: str | None = None,
              overrides: dict[str, Any] | None = None) -> CrawlResult:
    """Crawl `config` into `archive`; returns the crawl's final stats. Raises OptionsError
    for a setting Liputan cannot use, before anything starts."""
    settings = checked_settings(archive, proxy, overrides)
    handlers = _interrupt_handlers()
    process = _Process(settings)
    # Scrapy's per-component INFO lines drown the progress line on a terminal.
    logging.getLogger("scrapy.middleware").setLevel(logging.WARNING)
    logging.getLogger("scrapy.downloadermiddlewares.robotstxt").addFilter(_without_traceback)
    crawler = process.create_crawler(CoverageSpider)
    process.crawl(crawler, config=str(config.path))
    process.start()
    # Scrapy's handlers outlive its reactor, where they do nothing: from here Ctrl-C and
    # SIGTERM interrupt the steps below (each is safe to cut: a kill leaves them pending).
    _restore_interrupts(handlers)
    stats = dict(crawler.stats.get_stats()) if crawler.stats else {}
    found = services(crawler)
    run = _recorded_run(found.options.archive_dir, found.run_id)
    if "finish_reason" not in stats:  # the spider never closed: a second Ctrl-C
        return CrawlResult(config, archive, stats, run, stopped_at_once=True)
    focus = getattr(crawler.spider, "focus", None)
    feedback = None
    step = "relevance feedback left pending (the next run or `liputan regate` applies it)"
    try:
        if process.signalled:  # Ctrl-C as the crawl was closing: nothing left to stop
            raise KeyboardInterrupt
        if focus is not None and run is not None and run["status"] != "interrupted":
            # After the crawl, not during it: the reactor is stopped and Ctrl-C works. A
            # kill leaves the run's feedback "pending", which `liputan check` reports and
            # the next run's feedback (or `liputan regate`) applies. The crawl released the
            # archive's lock when it closed: the feedback takes it again.
            try:
                with ArchiveLock(found.options.archive_dir, config.name, kind="feedback"):
                    feedback = apply_feedback(found.options.archive_dir, config.name, focus,
                                              workers=found.options.extract_workers,
                                              run_id=run["run"])
            except (ArchiveBusy, OSError, sqlite3.Error) as exc:
                logging.getLogger(__name__).warning("relevance feedback left pending: %s",
                                                    exc)
            run = _recorded_run(found.options.archive_dir, found.run_id)
        step = "syndication clusters left for the next run (or `liputan clusters --rebuild`)"
        if run is not None and run["status"] != "interrupted":
            _cluster(found.options.archive_dir, config.name)
        wacz, problem = None, ""
        if found.options.package and run is not None and run["status"] == "finished":
            step = (f"the WACZ left for later (`liputan package {config.name}"
                    f" --run {run['run']}`)")
            wacz, problem = _package(found.options.archive_dir, config.name, run["run"])
    except KeyboardInterrupt:
        run = _recorded_run(found.options.archive_dir, found.run_id)
        return CrawlResult(config, archive, stats, run, feedback, left_for_later=step)
    return CrawlResult(config, archive, stats, run, feedback, wacz=wacz,
                       package_problem=problem)


class _Process(CrawlerProcess):
    """Remembers Ctrl-C and SIGTERM, even one that came as the crawl was closing, when
    Scrapy has nothing left to stop and the steps after the crawl would ignore it."""

    signalled = False

    def _signal_shutdown(self, signum: int, frame: Any) -> None:
        self.signalled = True
        super()._signal_shutdown(signum, frame)


def _interrupt_handlers() -> dict[int, Any]:
    return {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}


def _restore_interrupts(before: dict[int, Any]) -> None:
    """The handlers from before the crawl, SIGTERM raising KeyboardInterrupt like Ctrl-C
    where it would have killed the process (a scheduler's SIGTERM gets the same answer);
    an ignored signal (nohup, a background job) stays ignored."""
    if threading.current_thread() is not threading.main_thread():
        return
    for sig, handler in before.items():
        if sig == signal.SIGTERM and handler == signal.SIG_DFL:
            handler = _interrupt
        signal.signal(sig, handler if handler is not None else signal.SIG_DFL)


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def _without_traceback(record: logging.LogRecord) -> bool:
    """A robots.txt that cannot be fetched (a closed port, a dead host) is the site's
    problem: Scrapy's error line names the URL and the reason; its traceback adds nothing."""
    record.exc_info, record.exc_text = None, None
    return True


def _cluster(archive: Path, crawl: str) -> None:
    """Syndication clusters of what the run indexed (incremental: its new and changed
    articles). Left to the next run, reindex or `liputan clusters --rebuild` when it
    cannot run now: clusters are derived, the crawl's outcome does not depend on them."""
    from pipelines.cluster import cluster_archive

    try:
        with ArchiveLock(archive, crawl, kind="clusters"):
            cluster_archive(archive)  # one process: ~2,300 articles/s (README, Performance)
    except (ArchiveBusy, OSError, sqlite3.Error) as exc:
        logging.getLogger(__name__).warning("syndication clusters left for later: %s", exc)


def _package(archive: Path, crawl: str, run_id: int) -> tuple[Path | None, str]:
    """The finished run as CDXJ and a validated WACZ: (its path, or None and why not). A
    failure costs the WACZ only: the run is archived and `liputan package` can retry."""
    from pipelines.package import PackageError, package, run_wacz, validate

    output = run_wacz(archive, crawl, run_id)
    try:
        with ArchiveLock(archive, crawl, kind="package"):
            report = package(archive, crawl, output, run_id)
    except (ArchiveBusy, PackageError, OSError, sqlite3.Error) as exc:
        return None, str(exc)
    if not validate(report.wacz):
        return None, f"{report.wacz} does not pass `wacz validate`"
    return report.wacz, ""


def _recorded_run(archive: Path, run_id: int | None) -> dict[str, Any] | None:
    """The run as the index holds it now that the crawl has closed it."""
    if run_id is None or not (archive / INDEX_NAME).exists():
        return None
    index = Index(archive / INDEX_NAME)
    try:
        rows = run_rows(index, run_id=run_id)
    finally:
        index.close()
    return rows[0] if rows else None
