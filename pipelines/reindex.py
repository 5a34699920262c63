"""Rebuild the index from WARC files: ours, or any other crawler's (wget, Heritrix, ...).

The same `analyse_page` as the crawl runs on the same bytes (the payload with its
Content-Encoding undone), so a rebuilt index holds the same articles as the original.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path

from pipelines.extract import analyse_page, is_html
from pipelines.index import INDEX_NAME, Index
from pipelines.warc import (
    CaptureRecord,
    StoredRecord,
    WarcError,
    WarcRef,
    iter_records,
    sha1_digest,
    target_uri,
    warc_label,
)

logger = logging.getLogger(__name__)
BATCH = 64  # pages handed to the extraction pool at a time (bounds memory)


@dataclass
class ReindexReport:
    files: int = 0
    records: int = 0
    captures: int = 0
    articles: int = 0
    problems: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Page:
    capture_id: int
    url: str
    body: bytes
    content_type: str | None


def _capture_record(stored: StoredRecord, label: str) -> CaptureRecord:
    headers = stored.record.rec_headers
    try:
        fetched = datetime.fromisoformat(headers.get_header("WARC-Date") or "")
    except ValueError:
        fetched = datetime.now(UTC)
    return CaptureRecord(
        ref=WarcRef(label, stored.offset, stored.length,
                    headers.get_header("WARC-Record-ID") or ""),
        record_type=stored.record.rec_type,
        payload_digest=headers.get_header("WARC-Payload-Digest") or sha1_digest(stored.content),
        fetched_at=fetched,
        request_record_id="",
        revisit_of=headers.get_header("WARC-Refers-To"),
    )


def capture_row(stored: StoredRecord, label: str
                ) -> tuple[str, int | None, str | None, CaptureRecord]:
    """(url, status, content type, record) of a response or revisit, for Index.add_capture."""
    record = stored.record
    status = int(record.http_headers.get_statuscode() or 0) or None
    return (target_uri(record), status, record.http_headers.get_header("Content-Type"),
            _capture_record(stored, label))


def _crawl_name(paths: list[Path]) -> str:
    for path in paths:
        try:
            for stored in iter_records(path):
                if stored.record.rec_type == "warcinfo":
                    for line in stored.content.decode("utf-8", "replace").splitlines():
                        key, _, value = line.partition(":")
                        if key.strip() == "isPartOf" and value.strip():
                            return value.strip()
                break
        except WarcError:
            continue
    return "reindex"


def reindex(
    paths: Iterable[Path],
    root: Path,
    pool: Executor | None = None,
    on_file: Callable[[Path, int], None] | None = None,
) -> ReindexReport:
    """Index every response of `paths` into `root/index.db`. A damaged file is reported in
    `problems` and the run goes on; what was readable before the damage is kept."""
    paths = [Path(p) for p in paths]
    report = ReindexReport()
    index = Index(root / INDEX_NAME)
    run_id = index.start_run(_crawl_name(paths), {"reindex": [str(p) for p in paths]},
                             kind="reindex")
    try:
        for path in paths:
            report.files += 1
            pages = _captures(path, root, index, run_id, report)
            for batch in _batches(pages, BATCH):
                analyses = (pool.map if pool else map)(
                    analyse_page, [p.body for p in batch], [p.url for p in batch],
                    [p.content_type for p in batch],
                )
                for page, analysis in zip(batch, analyses, strict=True):
                    if index.add_analysis(page.capture_id, analysis) is not None:
                        report.articles += 1
            if on_file:
                on_file(path, report.records)
        index.finish_run(run_id, "finished" if not report.problems else "finished_with_errors",
                           {"files": report.files, "records": report.records,
                            "captures": report.captures, "articles": report.articles,
                            "problems": len(report.problems)})
    finally:
        index.close()
    return report


def _captures(path: Path, root: Path, index: Index, run_id: int,
              report: ReindexReport) -> Iterator[_Page]:
    label = warc_label(path, root)
    known = 0
    try:
        for stored in iter_records(path):
            report.records += 1
            record = stored.record
            # ARC files open with a filedesc:// record; warcio reads any text line as ARC.
            known += record.format == "warc" or target_uri(record).startswith("filedesc:")
            if record.rec_type not in ("response", "revisit") or record.http_headers is None:
                continue
            url, status, content_type, capture = capture_row(stored, label)
            capture_id = index.add_capture(run_id, url, status, content_type, capture)
            report.captures += 1
            if (record.rec_type == "response" and status == 200
                    and is_html(content_type, stored.content[:512])):
                yield _Page(capture_id, url, stored.content, content_type)
    except WarcError as exc:
        report.problems.append(str(exc))
        logger.debug("%s", exc)
        return
    if not known:
        report.problems.append(f"{path}: not a WARC or ARC file")
        return


def _batches(items: Iterable[_Page], size: int) -> Iterator[list[_Page]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch
