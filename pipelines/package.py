"""Packaging a crawl for replay: a CDXJ index beside every WARC, and one WACZ.

The WACZ is py-wacz's (`wacz create`), with `pages/pages.jsonl` written from the index, not
guessed: one entry per indexed article, at its capture's URL and time, with its title, so
ReplayWeb.page lists exactly the coverage the crawl kept. The CDXJ files are cdxj-indexer's
format, sorted, so pywb and OutbackCDX read them. Plain Python: no Scrapy or click.
"""

from __future__ import annotations

import contextlib
import io
import json
import sqlite3
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from pipelines.index import INDEX_NAME

PAGES_FORMAT = "json-pages-1.0"


class PackageError(Exception):
    """Nothing to package, or the packaging tools failed: the message says which."""


@dataclass
class PackageReport:
    wacz: Path
    warcs: list[Path] = field(default_factory=list)
    cdxj: list[Path] = field(default_factory=list)
    pages: int = 0
    open_files: list[str] = field(default_factory=list)  # still being written: left out


def _runs(db: sqlite3.Connection, crawl: str, run_id: int | None) -> list[int]:
    if run_id is not None:
        rows = db.execute("SELECT id FROM runs WHERE id = ? AND crawl = ?",
                          (run_id, crawl)).fetchall()
        if not rows:
            raise PackageError(f"crawl {crawl!r} has no run {run_id}")
    else:
        rows = db.execute("SELECT id FROM runs WHERE crawl = ? ORDER BY id", (crawl,)).fetchall()
        if not rows:
            raise PackageError(f"no crawl {crawl!r} in this archive")
    return [row[0] for row in rows]


def pages_of(db: sqlite3.Connection, runs: list[int]) -> list[dict]:
    """One pages.jsonl entry per article whose capture a chosen run made."""
    marks = ",".join("?" * len(runs))
    rows = db.execute(
        f"SELECT a.id, c.url, c.fetched_at, a.title FROM articles a"
        f" JOIN captures c ON c.id = a.capture_id WHERE c.run_id IN ({marks})"
        f" ORDER BY c.fetched_at, a.id", runs).fetchall()
    return [{"id": f"article-{aid}", "url": url, "ts": _page_ts(fetched_at),
             "title": title or url} for aid, url, fetched_at, title in rows]


def _page_ts(fetched_at: str) -> str:
    """The capture time as pages.jsonl writers (Browsertrix) give it: UTC, to the second."""
    moment = datetime.fromisoformat(fetched_at.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def warcs_of(db: sqlite3.Connection, runs: list[int], root: Path) -> tuple[list[Path], list[str]]:
    """(the sealed WARC files the runs wrote, those still open)."""
    marks = ",".join("?" * len(runs))
    names = [row[0] for row in db.execute(
        f"SELECT DISTINCT warc_file FROM captures WHERE run_id IN ({marks}) ORDER BY warc_file",
        runs)]
    sealed, still_open = [], []
    for name in names:
        path = Path(name) if Path(name).is_absolute() else root / name
        (sealed if path.is_file() else still_open).append(path if path.is_file() else name)
    return sealed, still_open


def write_cdxj(warc: Path) -> Path:
    """`<warc>.cdxj` beside the WARC, sorted, file names relative to the WARC's directory."""
    from cdxj_indexer.main import main as cdxj_main

    out = warc.with_name(warc.name + ".cdxj")
    partial = out.with_name(out.name + ".partial")
    with contextlib.redirect_stdout(io.StringIO()):
        cdxj_main(["-s", "--dir-root", str(warc.parent), "-o", str(partial), str(warc)])
    partial.replace(out)  # never a half-written index under the final name
    return out


def run_wacz(root: Path, crawl: str, run_id: int | None = None) -> Path:
    """Where a crawl's WACZ goes by default: <archive>/<crawl>/<crawl>[-run<N>].wacz."""
    return root / crawl / f"{crawl}{f'-run{run_id}' if run_id else ''}.wacz"


def package(root: Path, crawl: str, output: Path, run_id: int | None = None,
            on_step=lambda message: None) -> PackageReport:
    """CDXJ beside every sealed WARC of the crawl (or one run), and a WACZ at `output`."""
    from wacz.main import main as wacz_main

    index = root / INDEX_NAME
    if not index.is_file():
        raise PackageError(f"no index at {index}")
    db = sqlite3.connect(f"file:{index}?mode=ro", uri=True)
    try:
        runs = _runs(db, crawl, run_id)
        pages = pages_of(db, runs)
        warcs, still_open = warcs_of(db, runs, root)
    finally:
        db.close()
    if not warcs:
        raise PackageError(f"crawl {crawl!r} has no sealed WARC file to package")
    report = PackageReport(output, warcs, pages=len(pages),
                           open_files=[str(name) for name in still_open])
    for warc in warcs:
        on_step(f"indexing {warc.name}")
        report.cdxj.append(write_cdxj(warc))
    output.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="liputan-wacz-") as tmp:
        listing = Path(tmp) / "pages.jsonl"
        header = {"format": PAGES_FORMAT, "id": "pages", "title": f"Liputan crawl {crawl}"}
        listing.write_text("\n".join(json.dumps(line, ensure_ascii=False)
                                     for line in [header, *pages]) + "\n", encoding="utf-8")
        partial = output.with_name(output.name + ".partial")
        on_step(f"writing {output.name}")
        quiet = io.StringIO()
        with contextlib.redirect_stdout(quiet):
            code = wacz_main(["create", "-o", str(partial), "-p", str(listing), "--copy-pages",
                              "--title", f"Liputan crawl {crawl}", *map(str, warcs)])
        if code:
            partial.unlink(missing_ok=True)
            raise PackageError(f"wacz create failed: {quiet.getvalue().strip()[-300:]}")
        partial.replace(output)
    return report


def validate(wacz: Path) -> bool:
    """py-wacz's own validation (`wacz validate`)."""
    from wacz.main import main as wacz_main

    with contextlib.redirect_stdout(io.StringIO()):
        return wacz_main(["validate", "-f", str(wacz)]) == 0
