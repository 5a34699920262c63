"""The index schema, as sqlite-utils migrations: each change is a named step applied once,
in order, so an index written by any earlier Liputan opens in this one.

Add a step at the end, and count it in SCHEMA_VERSION (pipelines/index/__init__.py); never
edit one that has shipped.
"""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from pipelines.index import MIGRATION_SET

migrations = Migrations(MIGRATION_SET)


@migrations()
def m001_core(db: Database) -> None:
    """Crawls, captures, articles, their pages and links (schema 3 of the early indexes,
    which had no migrations table: every step here tolerates what they already hold)."""
    names = set(db.table_names())
    if "crawls" not in names:
        db["crawls"].create(
            {"id": int, "name": str, "config": str, "started_at": str, "finished_at": str,
             "status": str, "stats": str},
            pk="id",
        )
    if "captures" not in names:
        db["captures"].create(
            {"id": int, "crawl_id": int, "url": str, "status": int, "content_type": str,
             "fetched_at": str, "warc_file": str, "warc_offset": int, "warc_length": int,
             "record_id": str, "record_type": str, "payload_digest": str,
             "revisit_of": int, "error": str, "relevance": float, "verdict": str},
            pk="id",
            foreign_keys=[("crawl_id", "crawls", "id")],
        )
        db["captures"].create_index(["record_id"], unique=True)
        db["captures"].create_index(["url"])
    else:
        have = db["captures"].columns_dict
        for column, kind in (("relevance", float), ("verdict", str)):
            if column not in have:
                db["captures"].add_column(column, kind)
    if "articles" not in names:
        db["articles"].create(
            {"id": int, "capture_id": int, "url": str, "canonical_url": str, "outlet": str,
             "title": str, "author": str, "editor": str, "source": str,
             "published_at": str, "date_source": str, "pages": int,
             "language": str, "description": str, "tags": str, "text": str,
             "word_count": int, "relevance": float, "cluster_id": int,
             "extracted_with": str, "indexed_at": str},
            pk="id",
            foreign_keys=[("capture_id", "captures", "id")],
        )
        db["articles"].create_index(["url"], unique=True)
        db["articles"].create_index(["outlet", "published_at"])
        db["articles"].enable_fts(["title", "text"], create_triggers=True,
                                  tokenize="unicode61 remove_diacritics 2")
    else:
        have = db["articles"].columns_dict
        for column, kind in (("editor", str), ("source", str), ("pages", int)):
            if column not in have:
                db["articles"].add_column(column, kind)
    if "article_pages" not in names:
        # The pages of a multi-page story, each with its own capture: the article row's
        # text joins them in page order (or is the one-page view, page 0, when archived).
        db["article_pages"].create(
            {"article_id": int, "page": int, "capture_id": int, "url": str, "text": str,
             "word_count": int},
            pk=("article_id", "page"),
            foreign_keys=[("article_id", "articles", "id"), ("capture_id", "captures", "id")],
        )
    if "links" not in names:
        db["links"].create(
            {"source_article_id": int, "target_url": str, "anchor": str},
            foreign_keys=[("source_article_id", "articles", "id")],
        )
        db["links"].create_index(["source_article_id"])
        db["links"].create_index(["target_url"])


@migrations()
def m002_runs(db: Database) -> None:
    """A crawl (its name) has runs: each execution is a `runs` row with its own history.
    The run's frontier is durable (resume after a crash), each run keeps the articles it
    found, edited stories keep their versions, and crawls can be scheduled."""
    db.execute("ALTER TABLE crawls RENAME TO runs")
    db.execute("ALTER TABLE runs RENAME COLUMN name TO crawl")
    db.execute("ALTER TABLE captures RENAME COLUMN crawl_id TO run_id")
    for column, kind in (("kind", str), ("schedule_id", int), ("config_digest", str),
                         ("pid", int), ("hostname", str), ("resumed", int)):
        db["runs"].add_column(column, kind)
    db.execute("UPDATE runs SET kind = CASE WHEN config LIKE '{\"reindex\"%'"
               " THEN 'reindex' ELSE 'crawl' END, resumed = 0")
    db["runs"].create_index(["crawl", "started_at"])
    db["captures"].create_index(["run_id"])
    db["captures"].create_index(["payload_digest"])
    # One row per URL the run decided to fetch (by url_key): queued, reserved (waiting for
    # the scheduler to run dry), sent, or done (fetched, analysed and its links recorded).
    db["frontier"].create(
        {"run_id": int, "key": str, "url": str, "priority": int, "callback": str,
         "meta": str, "state": str},
        pk=("run_id", "key"),
        foreign_keys=[("run_id", "runs", "id")],
    )
    db["frontier"].create_index(["run_id", "state"])
    # Every article a run found, with the version it saw: later runs never rewrite it.
    db["run_articles"].create(
        {"run_id": int, "article_id": int, "version_id": int, "capture_id": int,
         "change": str},
        pk=("run_id", "article_id"),
        foreign_keys=[("run_id", "runs", "id"), ("article_id", "articles", "id")],
    )
    # Each distinct text a story had; the articles row holds the newest.
    db["article_versions"].create(
        {"id": int, "article_id": int, "version": int, "run_id": int, "capture_id": int,
         "fetched_at": str, "title": str, "text": str, "text_digest": str,
         "word_count": int},
        pk="id",
        foreign_keys=[("article_id", "articles", "id"), ("run_id", "runs", "id")],
    )
    db["article_versions"].create_index(["article_id", "version"], unique=True)
    # URLs a run did not fetch on purpose (robots.txt, page budget): listed in reports.
    db["skipped"].create(
        {"run_id": int, "url": str, "reason": str, "at": str},
        foreign_keys=[("run_id", "runs", "id")],
    )
    db["skipped"].create_index(["run_id", "reason"])
    db["schedules"].create(
        {"id": int, "name": str, "config": str, "cron": str, "paused": int,
         "created_at": str, "next_run_at": str, "last_run_id": int},
        pk="id",
    )
    db["schedules"].create_index(["name"], unique=True)
    db["runs"].add_foreign_key("schedule_id", "schedules", "id")


@migrations()
def m003_versions_text_digest(db: Database) -> None:
    """Article versions are filled: every article row carries the digest of its text, and
    the articles an index already holds become their first version, seen by the run of
    their capture (`captures.run_id`)."""
    from pipelines.versions import text_digest

    db["articles"].add_column("text_digest", str)
    db["article_versions"].create_index(["capture_id"])
    db["run_articles"].create_index(["article_id"])
    rows = db.execute(
        "SELECT a.id, a.capture_id, a.title, a.text, a.word_count, c.run_id, c.fetched_at"
        " FROM articles a LEFT JOIN captures c ON c.id = a.capture_id").fetchall()
    for article_id, capture_id, title, text, words, run_id, fetched_at in rows:
        digest = text_digest(text or "")
        db.execute("UPDATE articles SET text_digest=? WHERE id=?", [digest, article_id])
        if db.execute("SELECT 1 FROM article_versions WHERE article_id=?",
                      [article_id]).fetchone():
            continue
        version_id = db.execute(
            "INSERT INTO article_versions (article_id, version, run_id, capture_id, fetched_at,"
            " title, text, text_digest, word_count) VALUES (?,1,?,?,?,?,?,?,?)",
            [article_id, run_id, capture_id, fetched_at, title, text, digest, words],
        ).lastrowid
        if run_id is not None:
            db.execute("INSERT OR IGNORE INTO run_articles (run_id, article_id, version_id,"
                       " capture_id, change) VALUES (?,?,?,?,'new')",
                       [run_id, article_id, version_id, capture_id])


@migrations()
def m004_schedules_outcome(db: Database) -> None:
    """What a schedule's last attempt did: when the scheduler started it and the crawl
    process's exit code (a crawl that failed before its run began has no run row)."""
    have = db["schedules"].columns_dict
    for column, kind in (("last_started_at", str), ("last_exit_code", int)):
        if column not in have:
            db["schedules"].add_column(column, kind)


@migrations()
def m005_reports_skipped_once(db: Database) -> None:
    """A URL is skipped once per run and reason: a resumed run meets its robots-blocked
    links again (their frontier rows were never done) without listing them twice."""
    db.execute("DELETE FROM skipped WHERE rowid NOT IN (SELECT min(rowid) FROM skipped"
               " GROUP BY run_id, url, reason)")
    db["skipped"].create_index(["run_id", "url", "reason"], unique=True)


@migrations()
def m006_research(db: Database) -> None:
    """What researchers count and search by: `published_day`, the outlet's own calendar day
    (`published_at` keeps the outlet's offset, so its first ten characters), and every
    word's Sastrawi stem beside title and text, indexed by FTS5 with them, so "rusuh" finds
    "kerusuhan" while exact words and phrases stay searchable."""
    from pipelines.stemming import stemmed

    for column in ("published_day", "title_stems", "text_stems"):
        db["articles"].add_column(column, str)
    db["article_pages"].add_column("stems", str)
    db.execute("UPDATE articles SET published_day = substr(published_at, 1, 10)"
               " WHERE published_at IS NOT NULL")
    for table, pk, columns in (("articles", "id", ("title", "text")),
                               ("article_pages", "rowid", ("text",))):
        rows = db.execute(f"SELECT {pk}, {', '.join(columns)} FROM {table}").fetchall()
        target = ("title_stems", "text_stems") if table == "articles" else ("stems",)
        db.conn.executemany(
            f"UPDATE {table} SET {', '.join(f'{t}=?' for t in target)} WHERE {pk}=?",
            [[stemmed(value) for value in row[1:]] + [row[0]] for row in rows])
    db["articles"].create_index(["published_day", "outlet"])
    db["articles"].disable_fts()
    db["articles"].enable_fts(list(FTS_COLUMNS), create_triggers=True,
                              tokenize="unicode61 remove_diacritics 2")


# The columns of `articles_fts`, in order: bm25 weights and snippets refer to them by index.
FTS_COLUMNS = ("title", "text", "title_stems", "text_stems")


@migrations()
def m007_clusters_links(db: Database) -> None:
    """The citation graph resolved and syndication clusters: each link knows its target's
    host and key (`url_key`) and, once that article is indexed, its id; each article its own
    keys (URL and canonical URL), its MinHash signature and its cluster. Existing links get
    their keys and targets here; clusters are filled by the next crawl, reindex or
    `liputan clusters --rebuild`."""
    from pipelines.links import link_host
    from pipelines.urls import url_key

    have = db["articles"].columns_dict
    for column in ("url_key", "canonical_key"):
        if column not in have:
            db["articles"].add_column(column, str)
    for article_id, url, canonical in db.execute(
            "SELECT id, url, canonical_url FROM articles").fetchall():
        db.execute("UPDATE articles SET url_key=?, canonical_key=? WHERE id=?",
                   [url_key(url), url_key(canonical) if canonical else None, article_id])
    db["articles"].create_index(["url_key"], if_not_exists=True)
    db["articles"].create_index(["canonical_key"], if_not_exists=True)
    db["articles"].create_index(["cluster_id"], if_not_exists=True)
    have = db["links"].columns_dict
    for column, kind in (("target_article_id", int), ("target_host", str),
                         ("target_key", str)):
        if column not in have:
            db["links"].add_column(column, kind)
    for rowid, target in db.execute("SELECT rowid, target_url FROM links").fetchall():
        db.execute("UPDATE links SET target_key=?, target_host=? WHERE rowid=?",
                   [url_key(target), link_host(target), rowid])
    db.execute("UPDATE links SET target_article_id = (SELECT min(a.id) FROM articles a WHERE"
               " a.url_key = links.target_key OR a.canonical_key = links.target_key)")
    db["links"].create_index(["target_key"], if_not_exists=True)
    db["links"].create_index(["target_article_id"], if_not_exists=True)
    # One signature per article text: `scheme` names the MinHash parameters that made it
    # (another scheme is recomputed), `signature` its hash values as uint32 bytes.
    db["article_signatures"].create(
        {"article_id": int, "text_digest": str, "scheme": str, "signature": bytes},
        pk="article_id", if_not_exists=True,
    )
    # Every article is in one cluster (most alone); a cluster's id is its lowest article id.
    db["clusters"].create(
        {"id": int, "size": int, "original_article_id": int, "first_published_at": str,
         "last_published_at": str, "outlets": int, "updated_at": str},
        pk="id", if_not_exists=True,
    )
    db["clusters"].create_index(["size"], if_not_exists=True)
    _fts_reindex_on_text_only(db)


@migrations()
def m008_conversions(db: Database) -> None:
    """The extracted text of a capture, archived as a WARC conversion record
    (LIPUTAN_WARC_TEXT): where that record is, one per capture."""
    db["conversions"].create(
        {"capture_id": int, "warc_file": str, "warc_offset": int, "warc_length": int,
         "record_id": str},
        pk="capture_id", foreign_keys=[("capture_id", "captures", "id")], if_not_exists=True,
    )


def _fts_reindex_on_text_only(db: Database) -> None:
    """The full-text update trigger fires for the indexed columns only: sqlite-utils' fires
    on any UPDATE of articles, so setting a cluster id (or a relevance) re-tokenised the
    whole text (measured: 1.4 ms a row, two thirds of a clustering run). Whatever columns
    the full-text table holds when this step runs."""
    fts = db["articles"].detect_fts()
    row = db.execute("SELECT sql FROM sqlite_master WHERE type='trigger' AND name=?",
                     ["articles_au"]).fetchone()
    if not fts or row is None or " AFTER UPDATE ON " not in row[0]:
        return
    columns = ", ".join(f'"{c}"' for c in db[fts].columns_dict)
    db.execute("DROP TRIGGER articles_au")
    db.execute(row[0].replace(" AFTER UPDATE ON ", f" AFTER UPDATE OF {columns} ON ", 1))


def apply(db: Database) -> None:
    """Bring `db` to the current schema (a no-op when it is there)."""
    migrations.apply(db)
