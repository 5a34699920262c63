"""One crawl's archive: its WARC writer and its rows in the shared index, kept in step.

Layout under the archive root:
    index.db                      the SQLite index of every crawl in this archive
    <crawl>/warcs/*.warc.gz       the crawl's WARC files (".open" while written)
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipelines.extract import PageAnalysis
from pipelines.index import Index
from pipelines.warc import DEFAULT_GZIP_LEVEL, DEFAULT_MAX_BYTES, HttpExchange, WarcWriter

logger = logging.getLogger(__name__)

INDEX_NAME = "index.db"


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
    articles: int = 0
    extraction_errors: int = 0
    bytes_written: int = 0


@dataclass
class CrawlArchive:
    """Writes a crawl's exchanges to WARC and the index; `close()` seals both."""

    root: Path
    crawl: str
    config: Mapping[str, Any] = field(default_factory=dict)
    warcinfo: Mapping[str, str] = field(default_factory=dict)
    max_bytes: int = DEFAULT_MAX_BYTES
    gzip_level: int = DEFAULT_GZIP_LEVEL
    counts: ArchiveCounts = field(default_factory=ArchiveCounts)

    def __post_init__(self) -> None:
        self.root = Path(self.root)
        self.index = Index(self.root / INDEX_NAME)
        self.crawl_id = self.index.start_crawl(self.crawl, self.config)
        self.writer = WarcWriter(
            self.root / self.crawl / "warcs", self.crawl, self.root,
            info={"isPartOf": self.crawl, **self.warcinfo},
            max_bytes=self.max_bytes, gzip_level=self.gzip_level,
        )

    def capture(self, exchange: HttpExchange) -> int:
        """Archive one exchange; returns its capture id."""
        record = self.writer.write_exchange(exchange)
        self.counts.captures += 1
        self.counts.bytes_written += record.ref.length
        if record.record_type == "revisit":
            self.counts.revisits += 1
        return self.index.add_capture(
            self.crawl_id, exchange.url, exchange.status,
            header_value(exchange.response_headers, "content-type"), record,
        )

    def record_failure(self, url: str, error: str) -> int:
        """A fetch that produced no response (timeout, refused, too large): no WARC record,
        but a capture row with the reason, so the gap is visible."""
        self.counts.failures += 1
        return self.index.add_capture(self.crawl_id, url, None, None, None, error=error)

    def add_analysis(self, capture_id: int, analysis: PageAnalysis,
                     relevance: float | None = None) -> int | None:
        """Index what extraction found on a captured page; returns the article id."""
        self.counts.extraction_errors += bool(analysis.error)
        article_id = self.index.add_analysis(capture_id, analysis, relevance)
        self.counts.articles += article_id is not None
        return article_id

    def close(self, status: str = "finished", stats: Mapping[str, Any] | None = None) -> None:
        self.writer.close()
        self.index.finish_crawl(self.crawl_id, status, dict(stats or {}))
        self.index.close()
        logger.info("archive %s closed: %s", self.crawl, self.counts)

    @property
    def warc_files(self) -> list[Path]:
        files = list(self.writer.closed_files)
        if self.writer.current_file:
            files.append(self.writer.current_file)
        return files
