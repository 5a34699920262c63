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
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from pipelines.extract import PageAnalysis, analyse_page, is_html
from pipelines.index import INDEX_NAME, Index
from pipelines.resync import Damage, describe
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
    crawl: str = ""  # the crawl the files belong to, as their warcinfo names it
    run_id: int | None = None  # the reindex run

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
        payload_digest=headers.get_header("WARC-Payload-Digest") or (
            "" if stored.too_large else sha1_digest(stored.content)),
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


def _crawl_of(paths: list[Path]) -> tuple[str, str]:
    """(crawl name, config digest) from the first warcinfo that names its crawl."""
    for path in paths:
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
    crawl, digest = _crawl_of(paths)
    run_id = index.start_run(crawl, {"reindex": [str(p) for p in paths], "gates": gated},
                             kind="reindex", config_digest=digest)
    report.crawl, report.run_id = crawl, run_id
    try:
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
                on_file(path, report.records)
        index.finish_run(run_id, "finished" if not report.problems else "finished_with_errors",
                           {"files": report.files, "records": report.records,
                            "captures": report.captures, "articles": report.articles,
                            "rejected": report.rejected, "problems": len(report.problems),
                            "damaged": report.damaged, "too_large": report.too_large})
    finally:
        index.close()
    return report


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
            if record.rec_type not in ("response", "revisit") or record.http_headers is None:
                continue
            url, status, content_type, capture = capture_row(stored, label)
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
    if not known:
        why = f" ({damaged[0].reason})" if damaged else " (empty)" if not records else ""
        report.problems.append(f"{path}: not a WARC or ARC file{why}")
    elif damaged:
        report.damaged += len(damaged)
        report.problems.append(f"{path}: {records:,} records, {describe(damaged)}")
        logger.debug("%s: damaged %s", path, damaged)


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
