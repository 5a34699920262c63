"""`liputan check`: prove the archive is intact and the index tells the truth about it.

Two checks: every record of every WARC file has the block and payload digests it claims,
and every capture pointer in the index reads back the record it names (same record id,
same target URI); every article row points at a response record. Each problem is reported
and the check goes on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

from pipelines.index import INDEX_NAME, Index
from pipelines.warc import OPEN_SUFFIX, WarcError, read_record, resolve_warc_path, target_uri


@dataclass
class CheckReport:
    files: int = 0
    records: int = 0
    pointers: int = 0
    articles: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def warc_files(root: Path) -> Iterator[Path]:
    for pattern in ("*.warc.gz", "*.warc", f"*.warc.gz{OPEN_SUFFIX}"):
        yield from sorted(root.rglob(pattern))


def check_digests(path: Path, report: CheckReport) -> None:
    """Recompute block and payload digests of every record, as `warcio check` does, and
    notice a file that ends inside a record (warcio stops there quietly)."""
    end = 0
    try:
        with open(path, "rb") as fh:
            iterator = ArchiveIterator(fh, check_digests=True)
            for record in iterator:
                iterator.read_to_end(record)
                if getattr(record.raw_stream, "limit", 0) > 0:
                    report.problems.append(f"{path}: truncated inside the record at offset "
                                           f"{iterator.get_record_offset()}")
                    return
                report.records += 1
                end = iterator.get_record_offset() + iterator.get_record_length()
                checker = record.digest_checker
                if checker.passed is False:
                    record_id = record.rec_headers.get_header("WARC-Record-ID")
                    report.problems.append(
                        f"{path}: record {record_id} at offset {iterator.get_record_offset()}:"
                        f" {'; '.join(str(p) for p in checker.problems) or 'digest mismatch'}"
                    )
            fh.seek(end)
            if fh.read(64).strip():
                report.problems.append(f"{path}: truncated or damaged after offset {end}")
    except Exception as exc:  # noqa: BLE001 - any failure to read is a finding, not a crash
        report.problems.append(f"{path}: unreadable after offset {end} ({exc or type(exc)})")


def check_pointers(root: Path, index: Index, report: CheckReport) -> None:
    for row in index.capture_pointers():
        report.pointers += 1
        try:
            record, _ = read_record(root, (row["warc_file"], row["warc_offset"],
                                           row["warc_length"]))
        except WarcError as exc:
            report.problems.append(f"capture {row['id']} ({row['url']}): {exc}")
            continue
        record_id = record.rec_headers.get_header("WARC-Record-ID")
        if record_id != row["record_id"]:
            report.problems.append(f"capture {row['id']}: pointer reads record {record_id},"
                                   f" index says {row['record_id']}")
        elif target_uri(record) != row["url"]:
            report.problems.append(f"capture {row['id']}: record is for {target_uri(record)},"
                                   f" index says {row['url']}")
    for row in index.article_pointers():
        report.articles += 1
        if row["record_type"] != "response":
            report.problems.append(f"article {row['article_id']} ({row['url']}): its capture is a"
                                   f" {row['record_type']} record, not a response")


def check_archive(root: Path, on_file: Callable[[Path], None] | None = None) -> CheckReport:
    """Check every WARC under `root` and, when present, `root/index.db` against them."""
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
        check_digests(path, report)
        if on_file:
            on_file(path)
    if index is not None:
        try:
            check_pointers(root, index, report)
        finally:
            index.close()
    return report
