"""The SQLite index (`archive/index.db`): crawls, captures, articles, links, full-text search.

Derived from the WARC files and rebuildable from them (`liputan reindex`). Every capture row
carries the (warc_file, warc_offset, warc_length) pointer of its record; every article row
points at its capture. One writer per file, batched in transactions; WAL lets researchers
query while a crawl writes. Plain Python over sqlite-utils: no Scrapy imports.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipelines.failpoints import failpoint
from pipelines.index import research
from pipelines.index.research import SearchHit, Selection
from pipelines.index.research import SearchQueryError as SearchQueryError  # re-exported
from pipelines.links import link_host
from pipelines.stemming import stemmed
from pipelines.urls import url_key
from pipelines.versions import text_digest

if TYPE_CHECKING:  # annotations only: opening an index need not load the extractors
    from pipelines.extract import Article, Link, PageAnalysis
    from pipelines.warc import CaptureRecord, WarcRef

INDEX_NAME = "index.db"  # the one index of an archive, at its root
# How many schema steps (pipelines/index/schema.py, tests/test_index.py counts them) this
# Liputan applies: a reader compares it with what an index has, without importing
# sqlite-utils (a tenth of a second, most of a search's start-up).
SCHEMA_VERSION = 8
MIGRATION_SET = "liputan"
SQLITE_MAX_INTEGER = (1 << 63) - 1  # the largest row id SQLite can hold


def row_id(key: str | int) -> int | None:
    """A row id as a user wrote it: ASCII digits (not '²', which `str.isdigit` passes)
    within SQLite's INTEGER range; None for anything else (a URL, a name, a number no row
    can have)."""
    text = str(key).strip()
    if not (text.isascii() and text.isdigit()):
        return None
    value = int(text)
    return value if value <= SQLITE_MAX_INTEGER else None


def open_readonly(path: Path | str) -> sqlite3.Connection:
    """A read-only connection to an index (researchers' queries: nothing they run can
    change it, and a crawl writing it meanwhile is not disturbed, thanks to WAL)."""
    conn = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True, timeout=30)
    conn.execute("PRAGMA query_only=1")
    return conn


def schema_steps(conn: sqlite3.Connection) -> int:
    """How many of Liputan's schema steps an index has had (read-only)."""
    try:
        row = conn.execute("SELECT count(*) FROM _sqlite_migrations WHERE migration_set=?",
                           [MIGRATION_SET]).fetchone()
    except sqlite3.OperationalError:  # an index from before the migrations table
        return 0
    return int(row[0])


def local_day(published_at: str | None) -> str | None:
    """The outlet's calendar day of a publication time: `published_at` keeps the outlet's
    UTC offset, so its date part is the day the outlet's readers saw (not the UTC day)."""
    return published_at[:10] if published_at and len(published_at) >= 10 else None


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class Index:
    """One index file. Writes go through one connection in batched transactions."""

    def __init__(self, path: Path | str, *, batch_size: int = 500, flush_seconds: float = 1.0):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # check_same_thread=False: the crawl writes from the reactor thread, tests may not.
        import sqlite_utils  # writers only: readers open the file with open_readonly

        conn = sqlite3.connect(self.path, check_same_thread=False, timeout=30)
        self.conn = conn  # raw connection for writes: sqlite-utils commits each execute()
        self.db = sqlite_utils.Database(conn)
        self.db.enable_wal()
        self.db.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: durable at checkpoints
        self.batch_size = batch_size
        self.flush_seconds = flush_seconds
        self._pending = 0
        self._last_commit = time.monotonic()
        self._frontier_dirty = False
        self._captures_pending = False
        self.ensure_schema()

    # -- schema -----------------------------------------------------------------------------
    def ensure_schema(self) -> None:
        from pipelines.index import schema

        schema.apply(self.db)
        self.db.conn.commit()

    # -- writing ----------------------------------------------------------------------------
    def start_run(self, crawl: str, config: Mapping[str, Any] | None = None, *,
                  kind: str = "crawl", config_digest: str = "",
                  schedule_id: int | None = None) -> int:
        """A new run of `crawl` (its name), `running` until finish_run."""
        cur = self.conn.execute(
            "INSERT INTO runs (crawl, kind, config, config_digest, schedule_id, started_at,"
            " status, pid, hostname, resumed) VALUES (?,?,?,?,?,?,'running',?,?,0)",
            [crawl, kind, json.dumps(config or {}, default=str, ensure_ascii=False),
             config_digest, schedule_id, utc_now(), os.getpid(), socket.gethostname()],
        )
        self.commit()
        return int(cur.lastrowid)

    def resume_run(self, run_id: int) -> None:
        """This process carries on `run_id`, left unfinished by an earlier one."""
        self.conn.execute(
            "UPDATE runs SET status='running', finished_at=NULL, pid=?, hostname=?,"
            " resumed=COALESCE(resumed, 0) + 1 WHERE id=?",
            [os.getpid(), socket.gethostname(), run_id],
        )
        self.commit()

    def unfinished_run(self, crawl: str) -> dict[str, Any] | None:
        """The latest crawl run of `crawl` that never finished (killed, interrupted)."""
        rows = list(self.db.query(
            "SELECT * FROM runs WHERE crawl=? AND kind='crawl' ORDER BY id DESC LIMIT 1",
            [crawl]))
        if rows and rows[0]["status"] in ("running", "interrupted", "shutdown"):
            return rows[0]
        return None

    def finish_run(self, run_id: int, status: str, stats: Mapping[str, Any]) -> None:
        self.conn.execute(
            "UPDATE runs SET finished_at=?, status=?, stats=? WHERE id=?",
            [utc_now(), status, json.dumps(stats, default=str, sort_keys=True), run_id],
        )
        self.commit()

    def runs_of_files(self, labels: list[str]) -> dict[str, int]:
        """The run each of these WARC files belongs to, as far as the index knows."""
        out: dict[str, int] = {}
        for label in labels:
            row = self.conn.execute("SELECT run_id FROM captures WHERE warc_file=? LIMIT 1",
                                    [label]).fetchone()
            if row is not None:
                out[label] = int(row[0])
        return out

    def original_payload(self, digest: str) -> tuple[str, str, str] | None:
        """(record id, URL, WARC date) of the first full response with this payload digest,
        in any run: the original a revisit record refers to."""
        row = self.conn.execute(
            "SELECT record_id, url, fetched_at FROM captures WHERE payload_digest=?"
            " AND record_type='response' AND status=200 ORDER BY id LIMIT 1", [digest],
        ).fetchone()
        return (row[0], row[1], row[2]) if row else None

    def revisit_original(self, refers_to: str | None, digest: str, url: str
                         ) -> dict[str, Any] | None:
        """The capture a revisit record stands for (record_id, status, content_type): the
        record its WARC-Refers-To names, else (writers that leave it out) the first
        response or resource of the same URL with the same payload digest."""
        row = None
        if refers_to:
            row = self.conn.execute("SELECT record_id, status, content_type FROM captures"
                                    " WHERE record_id=?", [refers_to]).fetchone()
        if row is None and digest:
            row = self.conn.execute(
                "SELECT record_id, status, content_type FROM captures WHERE payload_digest=?"
                " AND url=? AND record_type IN ('response', 'resource') ORDER BY id LIMIT 1",
                [digest, url]).fetchone()
        return dict(zip(("record_id", "status", "content_type"), row, strict=True)
                    ) if row else None

    def latest_full_capture(self, url: str) -> dict[str, Any] | None:
        """The latest capture of `url` that was a full answer (status 200, archived as a
        response or an identical-payload revisit): whose validators a recheck sends."""
        rows = list(self.db.query(
            "SELECT * FROM captures WHERE url=? AND status=200 AND warc_file IS NOT NULL"
            " ORDER BY id DESC LIMIT 1", [url]))
        return rows[0] if rows else None

    def original_response(self, url: str) -> tuple[str, str, str] | None:
        """(record id, URL, WARC date) of the record holding the payload of the latest full
        response of `url`: the original a 304 Not Modified revisit refers to."""
        row = self.latest_full_capture(url)
        if row is not None and row["record_type"] == "revisit" and row["revisit_of"]:
            rows = list(self.db.query("SELECT * FROM captures WHERE id=?", [row["revisit_of"]]))
            row = rows[0] if rows else row
        return (row["record_id"], row["url"], row["fetched_at"]) if row else None

    def run(self, run_id: int) -> dict[str, Any] | None:
        rows = list(self.db.query("SELECT * FROM runs WHERE id=?", [run_id]))
        return rows[0] if rows else None

    # -- what earlier runs of a crawl archived (incremental recrawls) ----------------------
    def crawl_articles(self, crawl: str, before_run: int) -> list[dict[str, Any]]:
        """The stories earlier runs of `crawl` indexed: id, url, published_at, first_fetched
        (the capture time of their first version) and `pages` (the URLs of their pages)."""
        rows = list(self.db.query(
            "SELECT a.id, a.url, a.published_at, (SELECT min(v.fetched_at) FROM"
            " article_versions v WHERE v.article_id = a.id) AS first_fetched FROM articles a"
            " WHERE a.id IN (SELECT ra.article_id FROM run_articles ra JOIN runs r ON"
            " r.id = ra.run_id WHERE r.crawl=? AND r.kind='crawl' AND r.id<?) ORDER BY a.id",
            [crawl, before_run]))
        pages: dict[int, list[str]] = {}
        for page in self.db.query(
                "SELECT p.article_id, p.url FROM article_pages p WHERE p.article_id IN"
                " (SELECT ra.article_id FROM run_articles ra JOIN runs r ON r.id = ra.run_id"
                " WHERE r.crawl=? AND r.kind='crawl' AND r.id<?) ORDER BY p.page",
                [crawl, before_run]):
            pages.setdefault(page["article_id"], []).append(page["url"])
        for row in rows:
            row["pages"] = pages.get(row["id"], [])
        return rows

    def crawl_captures(self, crawl: str, before_run: int, kind: str
                       ) -> Iterator[dict[str, Any]]:
        """Captures of earlier runs of `crawl` of one kind: "rejected" (archived stories
        the crawl's gates kept out) or "redirect" (archived 3xx answers)."""
        condition = _EARLIER_CAPTURES[kind]
        yield from self.db.query(
            "SELECT c.* FROM captures c JOIN runs r ON r.id = c.run_id WHERE r.crawl=? AND"
            f" r.kind='crawl' AND r.id<? AND ({condition}) ORDER BY c.id", [crawl, before_run])

    # -- relevance feedback (crawler/feedback.py) ------------------------------------------
    def crawl_coverage(self, crawl: str, *, text: bool = True) -> Iterator[dict[str, Any]]:
        """Every article a crawl's runs (or a reindex of its files) indexed: id, capture_id,
        relevance, and (`text`) title and text, in id order."""
        columns = "a.id, a.capture_id, a.relevance" + (", a.title, a.text" if text else "")
        yield from self.db.query(
            f"SELECT {columns} FROM articles a"
            " JOIN captures c ON c.id = a.capture_id JOIN runs r ON r.id = c.run_id"
            " WHERE r.crawl=? ORDER BY a.id", [crawl])

    def crawl_rejected(self, crawl: str, verdict: str) -> list[dict[str, Any]]:
        """Captures of a crawl its gates kept out with a verdict starting `verdict` and some
        relevance: id, url, content_type."""
        return list(self.db.query(
            "SELECT c.id, c.url, c.content_type FROM captures c JOIN runs r ON r.id = c.run_id"
            " WHERE r.crawl=? AND c.verdict LIKE ? AND c.relevance > 0 ORDER BY c.id",
            [crawl, verdict.replace("%", "") + "%"]))

    def set_relevance(self, article_id: int, relevance: float) -> None:
        """A rescored article: its row and its capture's."""
        self.conn.execute("UPDATE articles SET relevance=? WHERE id=?", [relevance, article_id])
        self.conn.execute("UPDATE captures SET relevance=? WHERE id=(SELECT capture_id FROM"
                          " articles WHERE id=?)", [relevance, article_id])
        self._wrote()

    def runs_with_stat(self, key: str, value: str, crawl: str | None = None
                       ) -> list[tuple[int, str]]:
        """(id, crawl) of the runs (of `crawl`, or of every crawl) whose stats hold `value`
        under `key`."""
        return [(r[0], r[1]) for r in self.conn.execute(
            "SELECT id, crawl FROM runs WHERE json_valid(stats) AND json_extract(stats, ?) = ?"
            " AND (? IS NULL OR crawl = ?) ORDER BY id",
            [f"$.{key}", value, crawl, crawl])]

    def note_run(self, run_id: int, key: str, value: Any) -> None:
        """Add one entry to a finished run's stats (what a step after the crawl did)."""
        row = self.conn.execute("SELECT stats FROM runs WHERE id=?", [run_id]).fetchone()
        if row is None:
            return
        stats = json.loads(row[0] or "{}")
        stats[key] = value
        self.conn.execute("UPDATE runs SET stats=? WHERE id=?",
                          [json.dumps(stats, default=str, sort_keys=True), run_id])
        self._wrote()

    # -- the run's frontier ---------------------------------------------------------------
    def frontier_add(self, run_id: int, key: str, url: str, priority: int, callback: str,
                     meta: Mapping[str, Any], state: str) -> None:
        """Record (or, for a better request of the same story, replace) a URL the run will
        fetch. Committed with the index batch: a crash loses at most the last second."""
        self.conn.execute(
            "INSERT INTO frontier (run_id, key, url, priority, callback, meta, state)"
            " VALUES (?,?,?,?,?,?,?) ON CONFLICT(run_id, key) DO UPDATE SET url=excluded.url,"
            " priority=excluded.priority, callback=excluded.callback, meta=excluded.meta,"
            " state=excluded.state WHERE frontier.state IN ('queued', 'reserved')",
            [run_id, key, url, priority, callback,
             json.dumps(dict(meta), ensure_ascii=False, default=str), state],
        )
        self._frontier_dirty = True
        self._wrote()

    def frontier_state(self, run_id: int, key: str, state: str) -> None:
        self.conn.execute("UPDATE frontier SET state=? WHERE run_id=? AND key=?",
                          [state, run_id, key])
        self._wrote()

    def commit_frontier(self) -> None:
        """Commit if the frontier grew since the last commit. Called before each request
        goes on the wire: then every archived response has a durable frontier row, and a
        resumed run knows what each recovered record was for (write-ahead, like a log)."""
        if self._frontier_dirty:
            self.commit()

    def frontier(self, run_id: int) -> Iterator[dict[str, Any]]:
        """Every frontier row of a run, in the order the run found them."""
        for row in self.db.query("SELECT * FROM frontier WHERE run_id=? ORDER BY rowid",
                                 [run_id]):
            row["meta"] = json.loads(row["meta"] or "{}")
            yield row

    def run_captures(self, run_id: int) -> Iterator[dict[str, Any]]:
        """The captures of a run, oldest first."""
        yield from self.db.query("SELECT * FROM captures WHERE run_id=? ORDER BY id", [run_id])

    def add_capture(
        self,
        run_id: int,
        url: str,
        status: int | None,
        content_type: str | None,
        record: CaptureRecord | None = None,
        *,
        fetched_at: str | None = None,
        error: str | None = None,
    ) -> int:
        """Record one archived response (or, with no record, a fetch that failed)."""
        revisit_of = None
        if record is not None and record.revisit_of:
            row = self.conn.execute(
                "SELECT id FROM captures WHERE record_id=?", [record.revisit_of]
            ).fetchone()
            revisit_of = row[0] if row else None
        ref = record.ref if record else None
        values = [
            run_id, url, status, content_type,
            record.fetched_at.isoformat() if record else (fetched_at or utc_now()),
            ref.file if ref else None, ref.offset if ref else None, ref.length if ref else None,
            ref.record_id if ref else None, record.record_type if record else None,
            (record.payload_digest or None) if record else None, revisit_of, error,
        ]
        cur = self.conn.execute(
            "INSERT INTO captures (run_id, url, status, content_type, fetched_at, warc_file,"
            " warc_offset, warc_length, record_id, record_type, payload_digest, revisit_of,"
            " error) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)"
            # A record indexed before (reindex of an archived file) keeps its run.
            " ON CONFLICT(record_id) DO UPDATE SET record_id=excluded.record_id"
            " RETURNING id",
            values,
        )
        capture_id = int(cur.fetchone()[0])
        self._captures_pending = True
        if status == 304 and revisit_of is not None:
            self._note_not_modified(capture_id, revisit_of)
        self._wrote()
        return capture_id

    def _note_not_modified(self, capture_id: int, original_id: int) -> None:
        """A 304 to a recheck: its run saw the story the original capture holds, unchanged
        (the page is not extracted again)."""
        found = self.conn.execute(
            "SELECT article_id, id FROM article_versions WHERE capture_id=:c UNION ALL"
            " SELECT article_id, NULL FROM article_pages WHERE capture_id=:c UNION ALL"
            " SELECT id, NULL FROM articles WHERE capture_id=:c LIMIT 1", {"c": original_id},
        ).fetchone()
        if found is None:
            return
        article_id, version_id = found
        if version_id is None:
            latest = self._latest_version(article_id)
            version_id = latest[0] if latest else None
        self.conn.execute(
            "INSERT OR IGNORE INTO run_articles (run_id, article_id, version_id, capture_id,"
            " change) SELECT run_id, ?, ?, id, 'unchanged' FROM captures WHERE id=?",
            [article_id, version_id, capture_id])

    def add_skipped(self, run_id: int, url: str, reason: str) -> None:
        """A URL the run chose not to fetch (`robots`, `budget`), once per run and reason."""
        self.conn.execute(
            "INSERT OR IGNORE INTO skipped (run_id, url, reason, at) VALUES (?,?,?,?)",
            [run_id, url, reason, utc_now()],
        )
        self._wrote()

    def remove_capture(self, capture_id: int) -> None:
        """Forget a capture row whose record is gone, and what was indexed from it; its URL
        goes back to its run's frontier to be fetched again."""
        row = self.conn.execute("SELECT run_id, url FROM captures WHERE id=?",
                                [capture_id]).fetchone()
        if row is None:
            return
        articles = [r[0] for r in self.conn.execute(
            "SELECT id FROM articles WHERE capture_id=?", [capture_id])]
        for article_id in articles:
            earlier = self.conn.execute(
                "SELECT capture_id, title, text, text_digest, word_count FROM article_versions"
                " WHERE article_id=? AND capture_id!=? ORDER BY version DESC LIMIT 1",
                [article_id, capture_id]).fetchone()
            if earlier is not None:
                # An edited story whose new capture is gone: it is again what it was.
                self.conn.execute(
                    "UPDATE articles SET capture_id=?, title=?, text=?, text_digest=?,"
                    " word_count=?, title_stems=?, text_stems=? WHERE id=?",
                    [*earlier, stemmed(earlier[1]), stemmed(earlier[2]), article_id])
                continue
            self._drop_article(article_id)
        self.conn.execute("DELETE FROM run_articles WHERE capture_id=:c OR version_id IN"
                          " (SELECT id FROM article_versions WHERE capture_id=:c)",
                          {"c": capture_id})
        self.conn.execute("DELETE FROM article_versions WHERE capture_id=?", [capture_id])
        self.conn.execute("DELETE FROM article_pages WHERE capture_id=?", [capture_id])
        self.conn.execute("DELETE FROM conversions WHERE capture_id=?", [capture_id])
        self.conn.execute("UPDATE captures SET revisit_of=NULL WHERE revisit_of=?", [capture_id])
        self.conn.execute("DELETE FROM captures WHERE id=?", [capture_id])
        self.conn.execute("UPDATE frontier SET state='queued' WHERE run_id=? AND key=?",
                          [row[0], url_key(row[1])])
        self._wrote()

    def _drop_article(self, article_id: int) -> None:
        for table, column in (("links", "source_article_id"), ("article_pages", "article_id"),
                              ("run_articles", "article_id"), ("article_versions", "article_id"),
                              ("article_signatures", "article_id")):
            self.conn.execute(f"DELETE FROM {table} WHERE {column}=?", [article_id])
        self.conn.execute("UPDATE links SET target_article_id=NULL WHERE target_article_id=?",
                          [article_id])
        # Its cluster's stored size no longer matches its members: the next clustering
        # (pipelines/cluster.py) redoes that cluster.
        self.conn.execute("DELETE FROM articles WHERE id=?", [article_id])

    def unindex_article(self, article_id: int, verdict: str) -> None:
        """Take a story out of the coverage (a stricter gate, `liputan regate`): its row
        goes, its captures stay, with the verdict that keeps them out."""
        self.conn.execute(
            "UPDATE captures SET verdict=:v WHERE id IN (SELECT capture_id FROM article_pages"
            " WHERE article_id=:a UNION SELECT capture_id FROM article_versions WHERE"
            " article_id=:a UNION SELECT capture_id FROM articles WHERE id=:a)",
            {"v": verdict, "a": article_id})
        self._drop_article(article_id)
        self._wrote()

    def payload_pointer(self, capture_id: int) -> tuple[str, int, int] | None:
        """(warc_file, offset, length) of the record holding a capture's payload: its own,
        or for a revisit its original's (None: no record, or an original not indexed)."""
        sql = ("SELECT record_type, revisit_of, warc_file, warc_offset, warc_length"
               " FROM captures WHERE id=?")
        row = self.conn.execute(sql, [capture_id]).fetchone()
        if row is not None and row[0] == "revisit":
            row = self.conn.execute(sql, [row[1]]).fetchone() if row[1] else None
            if row is not None and row[0] != "response":
                return None
        return (row[2], row[3], row[4]) if row is not None and row[2] else None

    def note_capture_error(self, capture_id: int, error: str) -> None:
        self.conn.execute("UPDATE captures SET error=? WHERE id=?", [error, capture_id])
        self._wrote()

    def add_article(
        self, capture_id: int, article: Article, links: Iterable[Link] = (),
        relevance: float | None = None, *, page_url: str | None = None,
        stems: tuple[str, str] | None = None,
    ) -> int:
        """Index the article at `article.url` (one row per story) and its outgoing links.

        The row holds the story's newest text; each distinct text is a version
        (`article_versions`), and the capture's run records which version it saw
        (`run_articles`). The same text captured again leaves the row pointing at the
        capture that first had it (a full response, not a revisit).

        A page of a multi-page story (`article.page` set) joins the story's row instead:
        the first page (or, without it, the first to arrive) gives the metadata, and the
        text is rebuilt from all pages archived so far.

        `stems`: (title, text) as `stemmed()` gives them, when the extraction worker has
        computed them (off the crawl's event loop); computed here otherwise.
        """
        row = asdict(article)
        row["title_stems"], row["text_stems"] = stems or (stemmed(article.title),
                                                          stemmed(article.text))
        row["published_day"] = local_day(article.published_at)
        row["tags"] = json.dumps(list(article.tags), ensure_ascii=False)
        row.update(capture_id=capture_id, relevance=relevance, indexed_at=utc_now(), pages=1,
                   text_digest=text_digest(article.text), url_key=url_key(article.url),
                   canonical_key=url_key(article.canonical_url) if article.canonical_url
                   else None)
        columns = [c for c in row if c in _ARTICLE_COLUMNS]
        if article.page is not None:
            return self._add_story_page(capture_id, article, row, columns, links,
                                        page_url or article.url)
        found = self.conn.execute(
            "SELECT a.id, a.text_digest, c.fetched_at FROM articles a LEFT JOIN captures c"
            " ON c.id = a.capture_id WHERE a.url=?", [article.url]).fetchone()
        if found is not None and (found[1] == row["text_digest"]
                                  or (found[2] or "") > self._capture(capture_id)[1]):
            # The same text again, or an older capture indexed late (reindex): the row
            # keeps the newest text and the capture that holds it.
            article_id = int(found[0])
        else:
            updates = ", ".join(f"{c}=excluded.{c}" for c in columns if c != "url")
            cur = self.conn.execute(
                f"INSERT INTO articles ({', '.join(columns)})"
                f" VALUES ({', '.join('?' * len(columns))})"
                f" ON CONFLICT(url) DO UPDATE SET {updates} RETURNING id",
                [row[c] for c in columns],
            )
            article_id = int(cur.fetchone()[0])
            self.conn.execute("DELETE FROM article_pages WHERE article_id=?", [article_id])
            self._set_links(article_id, links, replace=True)
        self._record_version(article_id, capture_id, article.title, article.text,
                             article.word_count, row["text_digest"], grows=False)
        self._resolve_links_to(article_id)
        return article_id

    def _add_story_page(self, capture_id: int, article: Article, row: dict[str, Any],
                        columns: list[str], links: Iterable[Link], page_url: str) -> int:
        found = self.conn.execute("SELECT id FROM articles WHERE url=?", [article.url]).fetchone()
        if found is None:
            cur = self.conn.execute(
                f"INSERT INTO articles ({', '.join(columns)})"
                f" VALUES ({', '.join('?' * len(columns))}) RETURNING id",
                [row[c] for c in columns],
            )
            article_id, changed = int(cur.fetchone()[0]), True
        else:
            article_id = int(found[0])
            held = self.conn.execute("SELECT text FROM article_pages WHERE article_id=? AND"
                                     " page=?", [article_id, article.page]).fetchone()
            # An unchanged page keeps pointing at the capture that first had its text.
            changed = held is None or text_digest(held[0] or "") != row["text_digest"]
            if changed and article.page == 1:  # the first page speaks for the story
                keep = [c for c in columns if c not in
                        ("url", "text", "word_count", "pages", "text_digest", "text_stems")]
                self.conn.execute(
                    f"UPDATE articles SET {', '.join(f'{c}=?' for c in keep)} WHERE id=?",
                    [row[c] for c in keep] + [article_id],
                )
        if changed:
            self.conn.execute(
                "INSERT OR REPLACE INTO article_pages (article_id, page, capture_id, url, text,"
                " word_count, stems) VALUES (?,?,?,?,?,?,?)",
                [article_id, article.page, capture_id, page_url, article.text,
                 article.word_count, row["text_stems"]],
            )
        pages = self.conn.execute(
            "SELECT page, text, word_count, stems FROM article_pages WHERE article_id=?"
            " ORDER BY page", [article_id],
        ).fetchall()
        whole = [p for p in pages if p[0] == 0]
        numbered = [p for p in pages if p[0] > 0]
        text, words, text_stems = (
            (whole[0][1], whole[0][2], whole[0][3]) if whole else
            ("\n\n".join(p[1] for p in numbered), sum(p[2] for p in numbered),
             " ".join(p[3] or "" for p in numbered)))
        digest = text_digest(text)
        self.conn.execute("UPDATE articles SET text=?, word_count=?, pages=?, text_digest=?,"
                          " text_stems=? WHERE id=? AND (text_digest IS NOT ? OR pages IS NOT ?)",
                          [text, words, len(pages), digest, text_stems, article_id, digest,
                           len(pages)])
        if changed:
            self._set_links(article_id, links, replace=False)
        title = self.conn.execute("SELECT title FROM articles WHERE id=?",
                                  [article_id]).fetchone()[0]
        # The story's text grows page by page: one version per run, not one per page.
        self._record_version(article_id, capture_id, title, text, words, digest, grows=True)
        self._resolve_links_to(article_id)
        return article_id

    def _capture(self, capture_id: int) -> tuple[int | None, str]:
        """(run id, fetched_at) of a capture: the run of a capture is its `run_id`."""
        row = self.conn.execute("SELECT run_id, fetched_at FROM captures WHERE id=?",
                                [capture_id]).fetchone()
        return (row[0], row[1] or "") if row else (None, "")

    def _latest_version(self, article_id: int) -> tuple[int, int, str] | None:
        """(id, version, text digest) of the story's newest version."""
        return self.conn.execute(
            "SELECT id, version, text_digest FROM article_versions WHERE article_id=?"
            " ORDER BY version DESC LIMIT 1", [article_id]).fetchone()

    def _record_version(self, article_id: int, capture_id: int, title: str | None, text: str,
                        words: int, digest: str, *, grows: bool) -> None:
        """Record that the capture's run saw the story with this text: a new version when
        the text differs from the newest one, and the run's `run_articles` row. `grows`:
        a multi-page story, whose text this run completes page by page, so its own
        version is updated in place instead of a new one per page."""
        run_id, fetched_at = self._capture(capture_id)
        if run_id is None:
            return
        own = None if grows else self.conn.execute(
            "SELECT id FROM article_versions WHERE article_id=? AND capture_id=?",
            [article_id, capture_id]).fetchone()
        if own is not None:
            # The same record extracted again (a reindex with a better extractor): its
            # version takes the new text; the story did not change.
            self.conn.execute("UPDATE article_versions SET title=?, text=?, text_digest=?,"
                              " word_count=? WHERE id=?", [title, text, digest, words, own[0]])
            self._wrote()
            return
        seen = self.conn.execute(
            "SELECT r.version_id, r.change, v.run_id, v.text_digest, v.version FROM"
            " run_articles r LEFT JOIN article_versions v ON v.id = r.version_id"
            " WHERE r.run_id=? AND r.article_id=?", [run_id, article_id]).fetchone()
        if seen is not None:
            version_id, change, version_run, seen_digest, number = seen
            if seen_digest == digest:
                return  # this run has seen this text already (a replay, a reindex)
            if grows and change != "unchanged" and version_run == run_id:
                previous = self.conn.execute(
                    "SELECT id, text_digest FROM article_versions WHERE article_id=? AND"
                    " version=?", [article_id, number - 1]).fetchone()
                if previous is not None and previous[1] == digest:
                    # Complete, the story is its previous text after all.
                    self.conn.execute("DELETE FROM article_versions WHERE id=?", [version_id])
                    self.conn.execute(
                        "UPDATE run_articles SET version_id=?, change='unchanged' WHERE"
                        " run_id=? AND article_id=?", [previous[0], run_id, article_id])
                else:
                    self.conn.execute(
                        "UPDATE article_versions SET title=?, text=?, text_digest=?,"
                        " word_count=? WHERE id=?", [title, text, digest, words, version_id])
                self._wrote()
                return
        latest = self._latest_version(article_id)
        if latest is not None and latest[2] == digest:
            version_id, change = latest[0], "unchanged"
        else:
            version_id = int(self.conn.execute(
                "INSERT INTO article_versions (article_id, version, run_id, capture_id,"
                " fetched_at, title, text, text_digest, word_count) VALUES (?,?,?,?,?,?,?,?,?)",
                [article_id, latest[1] + 1 if latest else 1, run_id, capture_id, fetched_at,
                 title, text, digest, words]).lastrowid)
            change = "new" if latest is None else "changed"
        self.conn.execute(
            "INSERT OR REPLACE INTO run_articles (run_id, article_id, version_id, capture_id,"
            " change) VALUES (?,?,?,?,?)", [run_id, article_id, version_id, capture_id, change])
        self._wrote()

    def _set_links(self, article_id: int, links: Iterable[Link], *, replace: bool) -> None:
        """The article's in-body links, each with its target's host and key and, when the
        index holds the target already, its article id (the crawl meets them in any
        order: `_resolve_links_to` fills the rest when the target comes)."""
        if replace:
            self.conn.execute("DELETE FROM links WHERE source_article_id=?", [article_id])
        rows = []
        for link in links:
            key = url_key(link.url)
            rows.append((article_id, link.url, link.anchor, key, link_host(link.url),
                         self._article_with_key(key), article_id, link.url, link.anchor))
        # A page of a story indexed again (a reindex, a changed page) adds no link twice.
        self.conn.executemany(
            "INSERT INTO links (source_article_id, target_url, anchor, target_key, target_host,"
            " target_article_id) SELECT ?,?,?,?,?,? WHERE NOT EXISTS (SELECT 1 FROM links"
            " WHERE source_article_id=? AND target_url=? AND anchor=?)", rows)
        self._wrote()

    def _article_with_key(self, key: str) -> int | None:
        """The article whose URL or canonical URL has this `url_key` (the first indexed)."""
        row = self.conn.execute("SELECT min(id) FROM articles WHERE url_key=:k OR"
                                " canonical_key=:k", {"k": key}).fetchone()
        return row[0] if row else None

    def _resolve_links_to(self, article_id: int) -> None:
        """Links indexed before their target: they point at this article now."""
        self.conn.execute(
            "UPDATE links SET target_article_id=:a WHERE target_article_id IS NULL AND"
            " target_key IN (SELECT url_key FROM articles WHERE id=:a UNION"
            " SELECT canonical_key FROM articles WHERE id=:a)", {"a": article_id})

    def add_analysis(self, capture_id: int, analysis: PageAnalysis) -> int | None:
        """Index what extraction found on a captured page: the article (id returned) or,
        for a page that failed, the reason on its capture row. An article the crawl's gates
        rejected (off topic, another language, outside the window) stays a capture only,
        with its relevance and the verdict."""
        if analysis.error:
            self.note_capture_error(capture_id, analysis.error)
        if analysis.relevance is not None:
            self.conn.execute("UPDATE captures SET relevance=?, verdict=? WHERE id=?",
                              [analysis.relevance, analysis.verdict, capture_id])
        if analysis.article is None or analysis.verdict:
            return None
        return self.add_article(capture_id, analysis.article, analysis.links,
                                analysis.relevance, page_url=analysis.url,
                                stems=analysis.stems)

    def _wrote(self) -> None:
        self._pending += 1
        if (self._pending >= self.batch_size
                or time.monotonic() - self._last_commit >= self.flush_seconds):
            self.commit()

    def commit(self) -> None:
        if self._captures_pending:
            # Crash tests count the commits that hold captures: a kill here leaves archived
            # records the index has not seen (what recovery must add).
            failpoint("index-before-commit")
        self.conn.commit()
        if self._captures_pending:
            failpoint("index-after-commit")
        self._captures_pending = False
        self._frontier_dirty = False
        self._pending = 0
        self._last_commit = time.monotonic()

    def close(self) -> None:
        self.commit()
        self.conn.close()

    # -- reading ----------------------------------------------------------------------------
    def search(
        self, query: str, *, outlet: str | None = None, since: str | None = None,
        until: str | None = None, limit: int = 20,
    ) -> list[SearchHit]:
        """Ranked full-text search (see `pipelines.index.research` for every filter)."""
        selection = Selection(query, outlets=(outlet,) if outlet else (), since=since,
                              until=until)
        return research.search(self.conn, selection, limit).hits

    def article(self, key: str | int) -> dict[str, Any] | None:
        """An article row (joined with its capture pointer) by id or URL."""
        sql = (
            "SELECT a.*, c.warc_file, c.warc_offset, c.warc_length, c.record_id, c.fetched_at,"
            " c.status FROM articles a JOIN captures c ON c.id = a.capture_id WHERE "
        )
        number = row_id(key)
        if number is not None:
            rows = list(self.db.query(sql + "a.id = ?", [number]))
        elif str(key).strip().isdigit():  # a number no article can have
            rows = []
        else:
            rows = list(self.db.query(sql + "a.url = ? OR a.canonical_url = ?", [key, key]))
        return rows[0] if rows else None

    def article_pages(self, article_id: int) -> list[dict[str, Any]]:
        """The pages of a multi-page story with their capture pointers, page order."""
        return list(self.db.query(
            "SELECT p.page, p.url, p.word_count, c.id AS capture_id, c.warc_file,"
            " c.warc_offset, c.warc_length, c.record_id FROM article_pages p"
            " JOIN captures c ON c.id = p.capture_id WHERE p.article_id = ? ORDER BY p.page",
            [article_id],
        ))

    def article_pointers(self) -> Iterator[dict[str, Any]]:
        """(article, capture pointer) pairs for consistency checks."""
        yield from self.db.query(
            "SELECT a.id AS article_id, a.url, c.id AS capture_id, c.url AS capture_url,"
            " c.warc_file, c.warc_offset, c.warc_length, c.record_id, c.record_type"
            " FROM articles a JOIN captures c ON c.id = a.capture_id ORDER BY a.id"
        )

    def add_conversion(self, capture_id: int, ref: WarcRef) -> None:
        """Where the conversion record (the extracted text) of a capture is; the first one
        found stays (a crash can leave a second, unindexed, which reindex links the same)."""
        self.conn.execute(
            "INSERT INTO conversions (capture_id, warc_file, warc_offset, warc_length,"
            " record_id) VALUES (?,?,?,?,?) ON CONFLICT(capture_id) DO NOTHING",
            [capture_id, ref.file, ref.offset, ref.length, ref.record_id])
        self._captures_pending = True
        self._wrote()

    def remove_conversion(self, capture_id: int) -> None:
        self.conn.execute("DELETE FROM conversions WHERE capture_id=?", [capture_id])
        self._wrote()

    def has_conversion(self, capture_id: int) -> bool:
        return self.conn.execute("SELECT 1 FROM conversions WHERE capture_id=?",
                                 [capture_id]).fetchone() is not None

    def capture_of_record(self, record_id: str) -> int | None:
        row = self.conn.execute("SELECT id FROM captures WHERE record_id=?",
                                [record_id]).fetchone()
        return int(row[0]) if row else None

    def conversion_pointers(self) -> Iterator[dict[str, Any]]:
        yield from self.db.query(
            "SELECT v.capture_id, v.warc_file, v.warc_offset, v.warc_length, v.record_id,"
            " c.record_id AS refers_to FROM conversions v JOIN captures c ON c.id=v.capture_id"
            " ORDER BY v.capture_id")

    def capture_pointers(self) -> Iterator[dict[str, Any]]:
        yield from self.db.query(
            "SELECT id, url, warc_file, warc_offset, warc_length, record_id, record_type"
            " FROM captures WHERE warc_file IS NOT NULL ORDER BY id"
        )


_EARLIER_CAPTURES = {
    "rejected": "c.verdict IS NOT NULL",
    "redirect": "c.status BETWEEN 300 AND 399 AND c.warc_file IS NOT NULL",
}

_ARTICLE_COLUMNS = {
    "capture_id", "url", "canonical_url", "outlet", "title", "author", "editor", "source",
    "published_at", "date_source", "pages", "language", "description", "tags", "text",
    "word_count", "relevance", "cluster_id", "extracted_with", "indexed_at", "text_digest",
    "published_day", "title_stems", "text_stems", "url_key", "canonical_key",
}
