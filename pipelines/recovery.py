"""Recovery after a crash: seal the WARC files a dead process left open, and bring the
index back in step with them.

The WARC is the source of truth. A process killed at any moment leaves, at worst, a
partial record at the end of each `.open` file (records are written whole and flushed one
at a time) and an index up to about a second behind (it commits in batches). So:
1. `seal_open_files`: each `.open` file is cut back to its last complete record and
   renamed to its final name (the name the index's pointers already use);
2. `reconcile`: records missing from the index are added as captures of their run, and
   capture rows that point at no record are removed (with what hangs on them).
What extraction would have found on the recovered pages is left to the caller: a resumed
crawl analyses them again through its own spider, `liputan check --repair` through reindex.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from pipelines.index import Index
from pipelines.reindex import capture_row, link_conversion
from pipelines.warc import OPEN_SUFFIX, WarcError, iter_records, warc_label

logger = logging.getLogger(__name__)


@dataclass
class RecoveryReport:
    sealed: list[str] = field(default_factory=list)  # files renamed from .open
    cut_bytes: int = 0  # bytes of partial records cut off their ends
    added: int = 0  # captures added from records the index had missed
    removed: int = 0  # capture rows that pointed at nothing
    added_ids: list[int] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.sealed or self.added or self.removed)


def complete_end(path: Path) -> int:
    """The offset just past the last complete record of a WARC file."""
    end = 0
    try:
        for stored in iter_records(path):
            end = stored.offset + stored.length
    except WarcError:
        pass
    return end


def warcinfo_run(path: Path) -> int | None:
    """The run a Liputan WARC file belongs to, from its warcinfo (`liputan-run`)."""
    try:
        for stored in iter_records(path):
            if stored.record.rec_type != "warcinfo":
                return None
            for line in stored.content.decode("utf-8", "replace").splitlines():
                key, _, value = line.partition(":")
                if key.strip() == "liputan-run" and value.strip().isdecimal():
                    return int(value.strip())
            return None
    except WarcError:
        return None
    return None


def seal_open_files(directory: Path, report: RecoveryReport | None = None) -> RecoveryReport:
    """Cut every `.open` WARC under `directory` back to its last complete record, make it
    durable, and give it its final name."""
    report = report or RecoveryReport()
    for path in sorted(directory.rglob(f"*.warc.gz{OPEN_SUFFIX}")):
        end = complete_end(path)
        size = path.stat().st_size
        with open(path, "r+b") as fh:
            if end < size:
                fh.truncate(end)
                report.cut_bytes += size - end
            fh.flush()
            os.fsync(fh.fileno())
        final = path.with_name(path.name.removesuffix(OPEN_SUFFIX))
        if final.exists():
            report.problems.append(f"{path}: {final.name} exists already; left open")
            continue
        os.replace(path, final)
        report.sealed.append(str(final))
        logger.info("sealed %s (%d bytes of a partial record cut)", final, size - end)
    return report


def reconcile(index: Index, root: Path, files: Iterable[Path], run_for: dict[str, int],
              default_run: int, report: RecoveryReport | None = None) -> RecoveryReport:
    """Make the index agree with `files`: every response, revisit or resource record has
    its capture row (in the run `run_for[label]`, else `default_run`), and no capture row
    of these files points past their records."""
    report = report or RecoveryReport()
    for path in files:
        label = warc_label(path, root)
        rows = {r["warc_offset"]: r for r in index.db.query(
            "SELECT id, warc_offset, record_id FROM captures WHERE warc_file=?", [label])}
        texts = {r["warc_offset"]: r["capture_id"] for r in index.db.query(
            "SELECT capture_id, warc_offset FROM conversions WHERE warc_file=?", [label])}
        found: set[int] = set()
        run_id = run_for.get(label, default_run)
        try:
            for stored in iter_records(path):
                found.add(stored.offset)
                row = rows.get(stored.offset)
                record = stored.record
                if record.rec_type == "conversion" and stored.offset not in texts:
                    link_conversion(index, stored, label)  # its page is not re-read again
                    continue
                if row is not None or record.rec_type not in ("response", "revisit"):
                    continue
                if record.http_headers is None:
                    continue
                values = capture_row(stored, label)
                report.added_ids.append(index.add_capture(run_id, *values))
                report.added += 1
        except WarcError as exc:
            report.problems.append(str(exc))
        for offset, row in rows.items():
            if offset not in found:
                index.remove_capture(row["id"])
                report.removed += 1
        for offset, capture_id in texts.items():
            if offset not in found:  # a pointer past what the file holds
                index.remove_conversion(capture_id)
    index.commit()
    return report
