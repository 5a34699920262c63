"""One crawl's archive: its WARC writer and its rows in the shared index, kept in step.

Layout under the archive root:
    index.db                      the SQLite index of every crawl in this archive
    <crawl>/warcs/*.warc.gz       the crawl's WARC files (".open" while written)

Callers name each capture by its response record id (the capture key), so the article found
on a page later refers to its capture without holding database ids. Writes are synchronous:
a background writer thread was measured slower (GIL contention with the event loop).

Opening an archive first recovers what a dead process left (pipelines/recovery.py): its
`.open` files are sealed and the index reconciled with them. With `resume`, the crawl's
unfinished run carries on (its frontier is in the index); otherwise a new run starts.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipelines.extract import Article, PageAnalysis
from pipelines.index import INDEX_NAME, Index
from pipelines.recovery import RecoveryReport, reconcile, seal_open_files
from pipelines.warc import (
    DEFAULT_GZIP_LEVEL,
    DEFAULT_MAX_BYTES,
    HttpExchange,
    WarcWriter,
    new_record_id,
    warc_label,
)

logger = logging.getLogger(__name__)



class ArchiveError(RuntimeError):
    """Writing the archive failed (disk full, permissions...): the crawl must stop."""


def header_value(headers: Any, name: str) -> str | None:
    """First value of a header in a list of (name, value) pairs, case-insensitively."""
    lowered = name.lower()
    for key, value in headers:
        if key.lower() == lowered:
            return value
    return None


@dataclass
class ArchiveCounts:
    captures: int = 0
    revisits: int = 0
    failures: int = 0
    skipped: int = 0
    articles: int = 0
    extraction_errors: int = 0
    bytes_written: int = 0


def conversion_text(article: Article) -> str:
    """An article as its conversion record holds it: the headline, a blank line, the text."""
    return f"{article.title}\n\n{article.text}\n" if article.title else f"{article.text}\n"


@dataclass
class CrawlArchive:
    """Writes a crawl's exchanges to WARC and the index; `close()` seals both."""

    root: Path
    crawl: str
    config: Mapping[str, Any] = field(default_factory=dict)
    warcinfo: Mapping[str, str] = field(default_factory=dict)
    max_bytes: int = DEFAULT_MAX_BYTES
    gzip_level: int = DEFAULT_GZIP_LEVEL
    config_digest: str = ""
    resume: bool = True
    schedule_id: int | None = None
    conversions: bool = False  # each indexed article's text also as a conversion record
    counts: ArchiveCounts = field(default_factory=ArchiveCounts)

    def __post_init__(self) -> None:
        self.root = Path(self.root)
        self.index = Index(self.root / INDEX_NAME)
        self.recovery = self.recover()
        unfinished = self.index.unfinished_run(self.crawl)
        self.resumed = bool(self.resume and unfinished)
        if self.resumed:
            self.run_id = int(unfinished["id"])
            self.index.resume_run(self.run_id)
        else:
            if unfinished:  # not resumed: it stays in the history as what it was
                self.index.finish_run(int(unfinished["id"]), "interrupted",
                                      json.loads(unfinished["stats"] or "{}"))
            self.run_id = self.index.start_run(self.crawl, self.config, kind="crawl",
                                               config_digest=self.config_digest,
                                               schedule_id=self.schedule_id)
        self.writer = WarcWriter(
            self.warc_dir, self.crawl, self.root,
            info={"isPartOf": self.crawl, "liputan-run": str(self.run_id), **self.warcinfo},
            max_bytes=self.max_bytes, gzip_level=self.gzip_level,
            lookup_payload=self.index.original_payload,
            lookup_response=self.index.original_response,
        )
        self.error: BaseException | None = None
        self._captures: dict[str, int] = {}  # capture key -> row id, until its page is indexed

    @property
    def warc_dir(self) -> Path:
        return self.root / self.crawl / "warcs"

    def recover(self) -> RecoveryReport:
        """Seal what a dead process left open and reconcile the index with this crawl's WARC
        files (a no-op after a clean close)."""
        report = seal_open_files(self.warc_dir) if self.warc_dir.exists() else RecoveryReport()
        if report.sealed:
            files = [Path(p) for p in report.sealed]
            runs = self.index.runs_of_files([warc_label(p, self.root) for p in files])
            latest = self.index.unfinished_run(self.crawl)
            reconcile(self.index, self.root, files, runs,
                      int(latest["id"]) if latest else 0, report)
            logger.warning("recovered %d WARC file(s) of %s: %d captures added, %d removed",
                           len(report.sealed), self.crawl, report.added, report.removed)
        return report

    # -- public --------------------------------------------------------------
    def capture(self, exchange: HttpExchange) -> str:
        """Write one exchange to the WARC and the index; returns its capture key."""
        key = new_record_id()
        with self._writing():
            record = self.writer.write_exchange(exchange, response_id=key)
            self.counts.captures += 1
            self.counts.bytes_written += record.ref.length
            self.counts.revisits += record.record_type == "revisit"
            self._captures[key] = self.index.add_capture(
                self.run_id, exchange.url, exchange.status,
                header_value(exchange.response_headers, "content-type"), record,
            )
        return key

    def record_failure(self, url: str, error: str) -> None:
        """A fetch that produced no response (timeout, refused, too large): no WARC record,
        but a capture row with the reason, so the gap is visible."""
        with self._writing():
            self.counts.failures += 1
            self.index.add_capture(self.run_id, url, None, None, None, error=error)

    def record_skipped(self, url: str, reason: str) -> None:
        """A URL the crawl did not fetch on purpose (robots.txt, the page budget): no
        capture, but listed in the run's report."""
        with self._writing():
            self.counts.skipped += 1
            self.index.add_skipped(self.run_id, url, reason)

    def note(self, key: str, reason: str) -> None:
        """Why a capture's page goes no further (its response was archived, then dropped);
        nothing once its page was indexed."""
        capture_id = self._captures.pop(key, None)
        if capture_id is not None:
            with self._writing():
                self.index.note_capture_error(capture_id, reason)

    def adopt(self, record_id: str, capture_id: int) -> str:
        """Take an archived capture (recovered after a crash) as this run's, so its page can
        be analysed and indexed again; returns its capture key."""
        self._captures[record_id] = capture_id
        return record_id

    def add_analysis(self, key: str, analysis: PageAnalysis) -> None:
        """Index what extraction found on the page captured under `key`."""
        with self._writing():
            capture_id = self._captures.pop(key, None)
            if capture_id is None:
                raise ArchiveError(f"no capture {key} for an extracted page")
            self.counts.extraction_errors += bool(analysis.error)
            article_id = self.index.add_analysis(capture_id, analysis)
            self.counts.articles += article_id is not None
            if (self.conversions and article_id is not None and analysis.article is not None
                    and not self.index.has_conversion(capture_id)):
                # After a crash the record may be in the WARC already (recovery indexed
                # it): the resumed run's analysis of the page then writes none.
                ref = self.writer.write_conversion(analysis.url, key,
                                                   conversion_text(analysis.article))
                self.index.add_conversion(capture_id, ref)

    def close(self, status: str = "finished", stats: Mapping[str, Any] | None = None) -> None:
        """Seal the WARC file, record the crawl's end."""
        try:
            self.writer.close()
            if self.error is not None:
                status = f"{status} (archive error: {self.error})"
            self.index.finish_run(self.run_id, status, dict(stats or {}))
        finally:
            self.index.close()
        logger.info("archive %s closed: %s", self.crawl, self.counts)

    @contextmanager
    def _writing(self) -> Iterator[None]:
        """A failed write stops all later ones: crawling on without an archive loses pages."""
        if self.error is not None:
            raise ArchiveError(f"cannot write the archive: {self.error}")
        try:
            yield
        except (OSError, ArchiveError, sqlite3.Error) as exc:
            logger.exception("archive write failed")
            self.error = exc
            raise ArchiveError(f"cannot write the archive: {exc}") from exc
