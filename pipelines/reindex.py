"""Rebuild the index from WARC files: ours, or any other crawler's (wget, Heritrix, ...).

The crawl's own analysis runs on the same bytes (the payload with its Content-Encoding
undone), so a rebuilt index holds the same articles as the original. Which analysis is the
caller's choice (`analyse`): plain extraction here, while `liputan reindex` passes the
crawl's worker function with the crawl's focus rebuilt from the config its WARC files carry
(pipelines never import the crawler's code), so the crawl's gates apply again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from pipelines.extract import PageAnalysis, analyse_page, is_html
from pipelines.index import INDEX_NAME, Index
from pipelines.resync import NO_RECORD, NOT_A_GZIP_MEMBER, NOT_A_RECORD, Damage, describe
from pipelines.warc import (
    OPEN_SUFFIX,
    CaptureRecord,
    StoredRecord,
    WarcError,
    WarcRef,
    decode_payload,
    iter_records,
    read_record,
    read_warcinfo,
    record_date,
    record_id,
    sha1_digest,
    target_uri,
    warc_label,
)

logger = logging.getLogger(__name__)
BATCH = 64  # pages handed to the extraction pool at a time (bounds memory) ...
BATCH_BYTES = 64 << 20  # ... and their bodies' bytes (a page may weigh up to the cap)


# What runs on each archived HTML page: (body, URL, content type) -> its analysis. In a
# pool it must be a module-level function (it is pickled by name).
Analyse = Callable[[bytes, str, str | None], PageAnalysis]


@dataclass
class ReindexReport:
    files: int = 0
    records: int = 0
    captures: int = 0
    article_ids: set[int] = field(default_factory=set)  # a story's pages are one article
    rejected: dict[str, int] = field(default_factory=dict)  # gate -> articles it kept out
    unresolved_revisits: int = 0  # HTML revisits whose original is in no indexed file
    too_large: int = 0  # captures whose body is over the cap: indexed, never extracted
    damaged: int = 0  # damaged ranges skipped in files that were read
    problems: list[str] = field(default_factory=list)  # one line per file with damage
    crawl: str = ""  # the crawl of the first files, as their warcinfo names it
    run_id: int | None = None  # its reindex run
    runs: dict[str, int] = field(default_factory=dict)  # crawl -> its reindex run

    @property
    def articles(self) -> int:
        return len(self.article_ids)

    def add(self, other: ReindexReport) -> None:
        self.files += other.files
        self.records += other.records
        self.captures += other.captures
        self.article_ids |= other.article_ids
        for gate, count in other.rejected.items():
            self.rejected[gate] = self.rejected.get(gate, 0) + count
        self.unresolved_revisits += other.unresolved_revisits
        self.too_large += other.too_large
        self.damaged += other.damaged
        self.problems += other.problems


@dataclass(frozen=True)
class _Page:
    capture_id: int
    url: str
    body: bytes
    content_type: str | None


# The records that are captures: what was fetched (response; revisit, the same again) and
# what a tool stored as it was (resource: wget's logs, a browser's screenshots, ...).
CAPTURE_TYPES = ("response", "revisit", "resource")


def _capture_record(stored: StoredRecord, label: str) -> CaptureRecord:
    record = stored.record
    headers = record.rec_headers
    digest = headers.get_header("WARC-Payload-Digest") or ""
    if not digest and record.rec_type != "revisit" and not stored.too_large:
        # A revisit holds no payload: the digest of its empty block would name another one.
        digest = sha1_digest(stored.content)
    return CaptureRecord(
        ref=WarcRef(label, stored.offset, stored.length,
                    record_id(record, label, stored.offset)),
        record_type=record.rec_type,
        payload_digest=digest,
        fetched_at=record_date(record) or datetime.now(UTC),
        request_record_id="",
        revisit_of=headers.get_header("WARC-Refers-To"),
    )


def capture_row(stored: StoredRecord, label: str
                ) -> tuple[str, int | None, str | None, CaptureRecord]:
    """(url, status, content type, record) of a response, revisit or resource, for
    Index.add_capture. A resource has no HTTP status (its type is the record's), nor has a
    revisit without HTTP headers (some writers leave its block empty)."""
    record = stored.record
    if record.http_headers is not None:
        status = int(record.http_headers.get_statuscode() or 0) or None
        content_type = record.http_headers.get_header("Content-Type")
    else:
        status = None
        content_type = (record.rec_headers.get_header("Content-Type")
                        if record.rec_type == "resource" else None)
    return target_uri(record), status, content_type, _capture_record(stored, label)


def link_conversion(index: Index, stored: StoredRecord, label: str) -> bool:
    """Index a conversion record (a capture's extracted text) under the capture it refers
    to; False when that capture is not indexed (another tool's conversion of something
    else)."""
    refers_to = stored.record.rec_headers.get_header("WARC-Refers-To")
    capture_id = index.capture_of_record(refers_to) if refers_to else None
    if capture_id is None:
        return False
    index.add_conversion(capture_id, WarcRef(label, stored.offset, stored.length,
                                             record_id(stored.record, label, stored.offset)))
    return True


def _crawl_of(path: Path) -> tuple[str, str]:
    """(crawl name, config digest) the file's warcinfo names; other tools' files are all
    of one crawl, "reindex"."""
    fields = read_warcinfo(path) or {}
    if fields.get("isPartOf"):
        return fields["isPartOf"], fields.get("config-digest", "").removeprefix("sha1:")
    return "reindex", ""


def reindex(
    paths: Iterable[Path],
    root: Path,
    pool: Executor | None = None,
    on_file: Callable[[Path, int], None] | None = None,
    *,
    analyse: Analyse = analyse_page,
    gated: bool = False,
) -> ReindexReport:
    """Index every response of `paths` into `root/index.db`, each HTML page through
    `analyse` (in `pool` when given). `gated`: `analyse` applies the crawl's gates, as the
    run's row records. A damaged record costs only itself: each file with damage is one
    line of `problems` ("N records, K damaged at <byte ranges>"), and every readable
    record of it, before and after the damage, is indexed. A body over the cap is a capture
    with that reason, never extracted."""
    paths = [Path(p) for p in paths]
    report = ReindexReport()
    index = Index(root / INDEX_NAME)
    # Each crawl its own run: files of several crawls stay apart (a capture indexed before
    # keeps its run whatever the files are reindexed with).
    crawls: dict[tuple[str, str], list[Path]] = {}
    for path in paths:
        crawls.setdefault(_crawl_of(path), []).append(path)
    try:
        for (crawl, digest), files in crawls.items():
            run_id = index.start_run(crawl, {"reindex": [str(p) for p in files],
                                             "gates": gated},
                                     kind="reindex", config_digest=digest)
            if report.run_id is None:
                report.crawl, report.run_id = crawl, run_id
            rebuilt = ReindexReport(crawl=crawl, run_id=run_id)
            _reindex_files(files, root, index, run_id, rebuilt, pool, on_file, analyse,
                           report.records)
            report.add(rebuilt)
            report.runs[crawl] = run_id
    finally:
        index.close()
    return report


def _reindex_files(paths: list[Path], root: Path, index: Index, run_id: int,
                   report: ReindexReport, pool: Executor | None,
                   on_file: Callable[[Path, int], None] | None, analyse: Analyse,
                   before: int) -> None:
    """Index `paths` into one run, `report` its own (`before`: records of the runs before,
    for `on_file`)."""
    for path in paths:
        report.files += 1
        pages = _captures(path, root, index, run_id, report)
        for batch in _batches(pages, BATCH):
            analyses = (pool.map if pool else map)(
                analyse, [p.body for p in batch], [p.url for p in batch],
                [p.content_type for p in batch],
            )
            for page, analysis in zip(batch, analyses, strict=True):
                article_id = index.add_analysis(page.capture_id, analysis)
                if article_id is not None:
                    report.article_ids.add(article_id)
                elif analysis.article is not None and analysis.gate:
                    report.rejected[analysis.gate] = report.rejected.get(
                        analysis.gate, 0) + 1
        if on_file:
            on_file(path, before + report.records)
    index.finish_run(run_id, "finished" if not report.problems else "finished_with_errors",
                       {"files": report.files, "records": report.records,
                        "captures": report.captures, "articles": report.articles,
                        "rejected": report.rejected, "problems": len(report.problems),
                        "damaged": report.damaged, "too_large": report.too_large})


def _captures(path: Path, root: Path, index: Index, run_id: int,
              report: ReindexReport) -> Iterator[_Page]:
    # An `.open` file (a crawl that died) is named as it will be once sealed: the pointers
    # then survive `check --repair` or the resumed crawl renaming it.
    label = warc_label(path.with_name(path.name.removesuffix(OPEN_SUFFIX)), root)
    known = records = 0
    damaged: list[Damage] = []
    try:
        for stored in iter_records(path, damaged.append):
            records += 1
            report.records += 1
            record = stored.record
            # ARC files open with a filedesc:// record; warcio reads any text line as ARC.
            known += record.format == "warc" or target_uri(record).startswith("filedesc:")
            if record.rec_type == "conversion":
                link_conversion(index, stored, label)
                continue
            if record.rec_type not in CAPTURE_TYPES:
                continue
            if record.rec_type == "response" and record.http_headers is None:
                continue  # a response that is no HTTP exchange (warcio reads dns: so)
            url, status, content_type, capture = capture_row(stored, label)
            if record.rec_type == "revisit":
                status, content_type, capture = _link_revisit(
                    index, url, status, content_type, capture)
            capture_id = index.add_capture(run_id, url, status, content_type, capture)
            report.captures += 1
            if stored.too_large:  # kept as a capture with the reason, never extracted
                index.note_capture_error(capture_id, f"{stored.too_large}: not extracted")
                report.too_large += 1
                continue
            if status != 200 or not is_html(content_type, stored.content[:512]):
                continue
            body = stored.content
            if record.rec_type == "revisit":
                # The crawl analysed the page it fetched, unchanged since the original: so
                # does the reindex, with the original's payload (a later run's articles
                # point at its own captures).
                body = capture_payload(root, index, capture_id)
                if body is None:
                    report.unresolved_revisits += 1
                    continue
            yield _Page(capture_id, url, body, content_type)
    except WarcError as exc:  # the file itself cannot be read
        report.problems.append(str(exc))
        return
    if not known and damaged and damaged[0].start == 0 and damaged[0].reason not in (
            NOT_A_GZIP_MEMBER, NOT_A_RECORD, NO_RECORD):
        known = 1  # a WARC or ARC file damaged from its first byte on
    if not known:
        why = f" ({damaged[0].reason})" if damaged else " (empty)" if not records else ""
        report.problems.append(f"{path}: not a WARC or ARC file{why}")
    elif damaged:
        report.damaged += len(damaged)
        report.problems.append(f"{path}: {records:,} records, {describe(damaged)}")
        logger.debug("%s: damaged %s", path, damaged)


def _link_revisit(index: Index, url: str, status: int | None, content_type: str | None,
                  capture: CaptureRecord
                  ) -> tuple[int | None, str | None, CaptureRecord]:
    """A revisit linked to its original: the one its WARC-Refers-To names, else (writers
    that leave it out) the same URL's capture with the same payload digest. A revisit
    without HTTP headers (an empty block) takes the original's status and content type."""
    original = index.revisit_original(capture.revisit_of, capture.payload_digest, url)
    if original is None:
        return status, content_type, capture
    if status is None:
        status, content_type = original["status"], original["content_type"]
    return status, content_type, replace(capture, revisit_of=original["record_id"])


def capture_payload(root: Path, index: Index, capture_id: int) -> bytes | None:
    """A capture's payload as the crawl analysed it (Content-Encoding undone): its own
    record's, or a revisit's original's when the index knows that record; None when the
    record cannot be read."""
    pointer = index.payload_pointer(capture_id)
    if pointer is None:
        return None
    try:
        record, payload = read_record(root, pointer)
        return decode_payload(payload, record.http_headers) if record.http_headers else None
    except WarcError:  # BodyTooLarge too
        return None


def _batches(items: Iterable[_Page], size: int) -> Iterator[list[_Page]]:
    batch: list[_Page] = []
    weight = 0
    for item in items:
        batch.append(item)
        weight += len(item.body)
        if len(batch) >= size or weight >= BATCH_BYTES:
            yield batch
            batch, weight = [], 0
    if batch:
        yield batch
