"""`liputan check`: prove the archive is intact and the index tells the truth about it.

Three checks: every record of every WARC file has the block and payload digests it claims;
every capture pointer in the index reads back the record it names (same record id, same
target URI) and every article row points at a response record; and the index is not
behind its WARCs (every response or revisit record has its capture row, no file is left
`.open` by a dead process). Each problem is reported and the check goes on. `repair`
seals what a dead process left open and reconciles the index (pipelines/recovery.py).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipelines.decoding import MAX_BODY_BYTES
from pipelines.index import INDEX_NAME, Index
from pipelines.recovery import RecoveryReport, reconcile, seal_open_files, warcinfo_run
from pipelines.resync import Damage, Reader, describe
from pipelines.runs import FEEDBACK_KEY, FEEDBACK_PENDING
from pipelines.warc import (
    OPEN_SUFFIX,
    WarcError,
    read_record,
    resolve_warc_path,
    target_uri,
    warc_label,
)
from pipelines.warc import (
    record_id as record_id_of,
)


@dataclass
class CheckReport:
    files: int = 0
    records: int = 0
    pointers: int = 0
    articles: int = 0
    problems: list[str] = field(default_factory=list)
    # Response and revisit records by file label: offset -> record id (for the index check).
    captured: dict[str, dict[int, str]] = field(default_factory=dict, repr=False)

    @property
    def ok(self) -> bool:
        return not self.problems


def warc_files(root: Path) -> Iterator[Path]:
    for pattern in ("*.warc.gz", "*.warc", f"*.warc.gz{OPEN_SUFFIX}"):
        yield from sorted(root.rglob(pattern))


def check_digests(path: Path, report: CheckReport, label: str | None = None) -> None:
    """Recompute block and payload digests of every record, as `warcio check` does, and
    find every damaged record (a gzip member that does not inflate, a file cut inside a
    record, bytes that are no record): one problem line per file, "N records, K damaged
    at <ranges>", and every record after the damage checked all the same."""
    damaged: list[Damage] = []
    records = 0
    try:
        with open(path, "rb") as fh:
            reader = Reader(fh, os.fstat(fh.fileno()).st_size, limit=MAX_BODY_BYTES,
                            keep=False, check_digests=True)
            for found in reader:
                if isinstance(found, Damage):
                    damaged.append(found)
                    continue
                records += 1
                record = found.record
                if label is not None and record.rec_type in ("response", "revisit"):
                    report.captured.setdefault(label, {})[found.offset] = (
                        record.rec_headers.get_header("WARC-Record-ID"))
                if found.digest_problem:
                    damaged.append(Damage(found.offset, found.offset + found.length,
                                          found.digest_problem))
    except OSError as exc:
        report.problems.append(f"{path}: unreadable ({exc.strerror})")
        return
    report.records += records
    if damaged:
        report.problems.append(f"{path}: {records:,} records, {describe(damaged)}")
    elif not records and not path.name.endswith(OPEN_SUFFIX):  # a crawl's is written
        report.problems.append(f"{path}: no WARC records")


def _pointed(root: Path, row: Mapping[str, Any], report: CheckReport, what: str) -> Any:
    """The record an index row points at (headers only), or None with the problem noted."""
    report.pointers += 1
    try:
        record, _ = read_record(root, (row["warc_file"], row["warc_offset"],
                                       row["warc_length"]), payload=False)
    except WarcError as exc:
        report.problems.append(f"{what}: {exc}")
        return None
    return record


def check_pointers(root: Path, index: Index, report: CheckReport) -> None:
    for row in index.capture_pointers():
        record = _pointed(root, row, report, f"capture {row['id']} ({row['url']})")
        if record is None:
            continue
        record_id = record_id_of(record, row["warc_file"], row["warc_offset"])
        if record_id != row["record_id"]:
            report.problems.append(f"capture {row['id']}: pointer reads record {record_id},"
                                   f" index says {row['record_id']}")
        elif target_uri(record) != row["url"]:
            report.problems.append(f"capture {row['id']}: record is for {target_uri(record)},"
                                   f" index says {row['url']}")
    for row in index.conversion_pointers():
        record = _pointed(root, row, report, f"text of capture {row['capture_id']}")
        if record is None:
            continue
        refers = record.rec_headers.get_header("WARC-Refers-To")
        if record.rec_type != "conversion" or refers != row["refers_to"]:
            report.problems.append(f"text of capture {row['capture_id']}: pointer reads a"
                                   f" {record.rec_type} record of {refers},"
                                   f" index says a conversion of {row['refers_to']}")
    for row in index.article_pointers():
        report.articles += 1
        if row["record_type"] != "response":
            report.problems.append(f"article {row['article_id']} ({row['url']}): its capture is a"
                                   f" {row['record_type']} record, not a response")


def check_index_behind(root: Path, index: Index, report: CheckReport) -> None:
    """Records of indexed WARC files that have no capture row: the index fell behind (a
    crash between the WARC write and the index commit)."""
    labels = {row[0] for row in index.db.execute(
        "SELECT DISTINCT warc_file FROM captures WHERE warc_file IS NOT NULL")}
    for label, records in report.captured.items():
        if label not in labels and not label.endswith(OPEN_SUFFIX):
            continue  # a file this index never held (another crawler's, not reindexed)
        indexed = {row[0] for row in index.db.execute(
            "SELECT warc_offset FROM captures WHERE warc_file=?", [label.removesuffix(
                OPEN_SUFFIX)])}
        missing = [offset for offset in records if offset not in indexed]
        if missing:
            report.problems.append(
                f"{label}: {len(missing)} records not in the index (first at offset"
                f" {min(missing)}); run `liputan check --repair`, or resume the crawl")


def check_runs(index: Index, report: CheckReport) -> None:
    """A run recorded `finished` whose frontier still holds URLs it never fetched lost
    them: the crawl ended without them. A focused run whose relevance feedback is still
    pending was killed after its crawl: its index lacks what the feedback would add."""
    for run_id, left in index.db.execute(
            "SELECT r.id, count(*) FROM runs r JOIN frontier f ON f.run_id = r.id"
            " WHERE r.status = 'finished' AND f.state != 'done' GROUP BY r.id"):
        report.problems.append(f"run {run_id} finished with {left} URLs of its frontier never"
                               " fetched")
    for run_id, crawl in index.runs_with_stat(FEEDBACK_KEY, FEEDBACK_PENDING):
        report.problems.append(f"run {run_id} of {crawl!r} has its relevance feedback pending"
                               f" (killed after its crawl): run `liputan regate --crawl"
                               f" {crawl}`")


def check_archive(root: Path, on_file: Callable[[Path], None] | None = None,
                  writing: bool = False) -> CheckReport:
    """Check every WARC under `root` and, when present, `root/index.db` against them.
    `writing`: a crawl holds the archive, so `.open` files and the newest records may be
    ahead of the index by design."""
    report = CheckReport()
    seen: set[Path] = set()
    index = Index(root / INDEX_NAME) if (root / INDEX_NAME).exists() else None
    extra: list[Path] = []
    if index is not None:
        for (file,) in index.db.execute(
                "SELECT DISTINCT warc_file FROM captures WHERE warc_file IS NOT NULL"):
            extra.append(resolve_warc_path(root, file))
    for path in [*warc_files(root), *extra]:
        resolved = path.resolve()
        if resolved in seen or not path.exists():
            continue
        seen.add(resolved)
        report.files += 1
        if path.name.endswith(OPEN_SUFFIX) and not writing:
            report.problems.append(f"{path}: left open by a process that is gone; run"
                                   " `liputan check --repair`, or resume the crawl")
        check_digests(path, report, warc_label(path, root))
        if on_file:
            on_file(path)
    if index is not None:
        try:
            check_pointers(root, index, report)
            if not writing:
                check_index_behind(root, index, report)
                check_runs(index, report)
        finally:
            index.close()
    return report


def repair_archive(root: Path) -> RecoveryReport:
    """Seal every `.open` WARC under `root` and reconcile the index with every WARC file
    it points into. Pages recovered this way are analysed when their crawl resumes."""
    report = RecoveryReport()
    index = Index(root / INDEX_NAME)
    try:
        seal_open_files(root, report)
        labels = [row[0] for row in index.db.execute(
            "SELECT DISTINCT warc_file FROM captures WHERE warc_file IS NOT NULL")]
        files = {resolve_warc_path(root, label) for label in labels}
        files |= {Path(p) for p in report.sealed}
        files = {p for p in files if p.exists()}
        runs = index.runs_of_files([warc_label(p, root) for p in files])
        for path in files:  # a file the index never heard of: its warcinfo names the run
            runs.setdefault(warc_label(path, root), warcinfo_run(path) or 0)
        reconcile(index, root, sorted(files), runs, 0, report)
    finally:
        index.close()
    return report
