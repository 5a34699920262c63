"""The researchers' web UI (`liputan serve`): what Datasette is given to browse an index.

Plain data and one factory: the metadata (titles, descriptions of every table and column,
units, default facets and sort, full-text search, hidden internals), the canned queries,
the settings, and `make_datasette`, which opens the index read-only with our plugin
(crawler/webplugin.py) registered. Nothing here writes the index: a crawl may be writing
it at the same time (WAL), and the UI only reads.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

if TYPE_CHECKING:
    from datasette.app import Datasette

DATABASE = "index"  # Datasette names a database after its file: archive/index.db
TEMPLATES = Path(__file__).with_name("web_templates")
PLUGIN_NAME = "liputan"
COVERAGE_PATH = "/-/liputan/coverage"  # the chart (crawler/webplugin.py)

# Tables a researcher never needs (still reachable by URL, listed under "hidden tables").
HIDDEN = ("_sqlite_migrations", "frontier", "articles_fts", "articles_fts_config",
          "articles_fts_data", "articles_fts_docsize", "articles_fts_idx")


# The articles table as researchers read it (the links of our pages open it so): the full
# row, text and all, is one click away on each article's own page.
READING_COLUMNS = ("published_at", "outlet", "title", "author", "language", "word_count",
                   "relevance", "url")


def articles_path(filters: Iterable[tuple[str, str]] = ()) -> str:
    """The path of the articles table in its reading columns, with these filters."""
    return f"/{DATABASE}/articles?" + urlencode(
        [*(("_col", c) for c in READING_COLUMNS), *filters])


def article_columns(path: Path) -> set[str]:
    """The columns of the index's `articles` table, read without writing anything."""
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return {row[1] for row in conn.execute("PRAGMA table_info(articles)")}
    finally:
        conn.close()


_TABLES: dict[str, dict[str, Any]] = {
    "articles": {
        "description_html": "One row per story: the newest version of its text and metadata,"
                            " as extracted from its archived page. Search covers title and"
                            " text; <em>archived</em> next to a URL shows the archived HTTP"
                            f" response. <a href=\"{escape(articles_path())}\">Fewer"
                            f" columns</a>, for reading; the <a href=\"{COVERAGE_PATH}\">"
                            "coverage over time</a> chart.",
        "columns": {
            "id": "Article id (`liputan show ID`).",
            "capture_id": "The capture (archived HTTP response) the text was extracted from.",
            "url": "The URL the story was fetched from.",
            "canonical_url": "The URL the page names as its canonical one.",
            "outlet": "The news outlet, as its site names itself.",
            "title": "Headline.",
            "author": "Author(s), as the page credits them.",
            "editor": "Editor, when the page credits one.",
            "source": "News agency or source the outlet credits (e.g. Antara).",
            "published_at": "Publication time as the outlet gave it, ISO 8601 with the"
                            " outlet's UTC offset (+07:00 WIB, +08:00 WITA, +09:00 WIT).",
            "published_day": "Local day of publication (YYYY-MM-DD, outlet's time zone).",
            "date_source": "Where the publication date was found (json-ld, meta, url, ...).",
            "pages": "Pages of a multi-page story (see article_pages).",
            "language": "Language of the text (ISO 639-1).",
            "description": "The page's own summary (meta description).",
            "tags": "The outlet's tags for the story, a JSON list.",
            "text": "Clean article text (all pages joined, boilerplate removed).",
            "word_count": "Words in the text.",
            "relevance": "Topic relevance, 0 to 1 (coverage from the crawl's threshold).",
            "cluster_id": "Syndication cluster: articles sharing one are copies or rewrites"
                          " of one story (empty until clustering ran).",
            "extracted_with": "Extractor and version that produced the text.",
            "indexed_at": "When the article was indexed (UTC).",
            "text_digest": "Digest of the text: equal digests, equal texts.",
            "title_stems": "Stemmed title (Sastrawi), for search.",
            "text_stems": "Stemmed text (Sastrawi), for search.",
        },
        "facets": ["outlet", "published_day", "language", "author",
                   {"run": "id"}],
        "sort_desc": "published_at",
        "fts_table": "articles_fts",
        "fts_pk": "id",
        "label_column": "title",
    },
    "runs": {
        "description": "Each execution of a crawl (or a reindex): when, how it ended and its"
                       " statistics.",
        "columns": {
            "id": "Run id (`liputan report RUN`).",
            "crawl": "The crawl's name (its config's `name`).",
            "config": "The crawl config the run used, as JSON.",
            "started_at": "Start (UTC).",
            "finished_at": "End (UTC); empty while running or after a crash.",
            "status": "running, finished, failed, interrupted, shutdown.",
            "stats": "The run's statistics, as JSON.",
            "kind": "crawl or reindex.",
            "schedule_id": "The schedule that started the run, if any.",
            "config_digest": "Digest of the config: runs with equal digests crawled alike.",
            "pid": "Process id of the crawl.",
            "hostname": "Machine the crawl ran on.",
            "resumed": "How many times the run was resumed after a crash or a stop.",
        },
        "sort_desc": "id",
        "label_column": "crawl",
    },
    "captures": {
        "description": "Every HTTP exchange archived (or failed), with the pointer to its"
                       " WARC record: file, byte offset and length.",
        "columns": {
            "id": "Capture id.",
            "run_id": "The run that fetched it.",
            "url": "Requested URL.",
            "status": "HTTP status code.",
            "content_type": "Content-Type of the response.",
            "fetched_at": "When it was fetched (UTC, the record's WARC-Date).",
            "warc_file": "WARC file, relative to the archive root.",
            "warc_offset": "Byte offset of the record in its WARC file.",
            "warc_length": "Length of the record in its WARC file (compressed).",
            "record_id": "The record's WARC-Record-ID.",
            "record_type": "response, or revisit (payload identical to an earlier one).",
            "payload_digest": "WARC-Payload-Digest of the body.",
            "revisit_of": "For a revisit: the capture holding the payload.",
            "error": "Why the fetch failed, when it did.",
            "relevance": "Topic relevance of the page, 0 to 1.",
            "verdict": "Why the crawl's gates kept the page out of the articles, if they did.",
        },
        "units": {"warc_offset": "byte", "warc_length": "byte"},
        "facets": ["run_id", "status", "record_type"],
        "sort_desc": "id",
        "label_column": "fetched_at",
    },
    "article_pages": {
        "description": "The pages of multi-page stories, each with its own capture.",
        "columns": {
            "article_id": "The story.",
            "page": "Page number (0: the outlet's one-page view).",
            "capture_id": "The page's capture.",
            "url": "The page's URL.",
            "text": "The page's text.",
            "word_count": "Words on the page.",
        },
    },
    "article_versions": {
        "description": "Every distinct text a story had over the runs that saw it; the"
                       " articles row holds the newest (`liputan history`, `liputan diff`).",
        "columns": {
            "id": "Version row id.",
            "article_id": "The story.",
            "version": "Version number, 1 for the first text seen.",
            "run_id": "The run that first saw this text.",
            "capture_id": "The capture it was extracted from.",
            "fetched_at": "When that capture was fetched (UTC).",
            "title": "Headline of this version.",
            "text": "Text of this version.",
            "text_digest": "Digest of the text.",
            "word_count": "Words in the text.",
        },
    },
    "run_articles": {
        "description": "Which run saw which story, with the version it saw.",
        "columns": {
            "run_id": "The run.",
            "article_id": "The story.",
            "version_id": "The version the run saw.",
            "capture_id": "The capture the run saw it in.",
            "change": "new (first seen), changed (new text) or unchanged.",
        },
        "facets": ["run_id", "change"],
    },
    "links": {
        "description": "Links inside article bodies: what the stories cite.",
        "columns": {
            "source_article_id": "The citing article.",
            "target_url": "Where the link points.",
            "anchor": "The link's words.",
        },
    },
    "skipped": {
        "description": "URLs a run chose not to fetch: disallowed by robots.txt, or over the"
                       " page budget.",
        "columns": {
            "run_id": "The run.",
            "url": "The URL not fetched.",
            "reason": "robots or budget.",
            "at": "When (UTC).",
        },
        "facets": ["reason", "run_id"],
    },
    "schedules": {
        "description": "Recurring crawls (`liputan schedule`).",
        "columns": {
            "id": "Schedule id.",
            "name": "Schedule name.",
            "config": "The crawl config file.",
            "cron": "Cron expression (UTC).",
            "paused": "1 while paused.",
            "created_at": "When it was added (UTC).",
            "next_run_at": "Next slot (UTC).",
            "last_run_id": "The last run it started.",
            "last_started_at": "When it last started a crawl (UTC).",
            "last_exit_code": "Exit code of that crawl's process.",
        },
        "label_column": "name",
    },
}


def canned_queries() -> dict[str, dict[str, Any]]:
    """The questions researchers ask most, as named queries."""
    return {
        "coverage_per_day": {
            "title": "Coverage per day and outlet",
            "description": "Articles per local day of publication and outlet (leave outlet"
                           f" empty for every outlet). The chart: {COVERAGE_PATH}.",
            "sql": "SELECT published_day AS day, outlet, count(*) AS articles FROM articles"
                   " WHERE published_day IS NOT NULL AND (:outlet = '' OR outlet = :outlet)"
                   " GROUP BY 1, 2 ORDER BY 1 DESC, 2",
        },
        "coverage_per_run": {
            "title": "Coverage per run",
            "description": "What each run saw: stories new, changed and unchanged, and"
                           " captures archived.",
            "sql": "SELECT r.id AS run_id, r.crawl, r.kind, r.status, r.started_at,"
                   " r.finished_at, count(ra.article_id) AS articles,"
                   " coalesce(sum(ra.change = 'new'), 0) AS new,"
                   " coalesce(sum(ra.change = 'changed'), 0) AS changed,"
                   " coalesce(sum(ra.change = 'unchanged'), 0) AS unchanged,"
                   " (SELECT count(*) FROM captures c WHERE c.run_id = r.id) AS captures"
                   " FROM runs r LEFT JOIN run_articles ra ON ra.run_id = r.id"
                   " GROUP BY r.id ORDER BY r.id DESC",
        },
        "syndication_clusters": {
            "title": "Syndication clusters",
            "description": "Stories published by several outlets (copies or rewrites of one"
                           " story), biggest cluster first, earliest publication first"
                           " within a cluster. Empty until clustering has run.",
            "sql": "SELECT a.cluster_id, s.size, a.id AS article_id, a.outlet,"
                   " a.published_at, a.title, a.url FROM articles a JOIN (SELECT cluster_id,"
                   " count(*) AS size FROM articles WHERE cluster_id IS NOT NULL"
                   " GROUP BY cluster_id HAVING count(*) > 1) s USING (cluster_id)"
                   " ORDER BY s.size DESC, a.cluster_id, a.published_at, a.id",
        },
        "most_cited_sources": {
            "title": "Most-cited sources",
            "description": "Hosts the articles link to from their text (www. dropped), by"
                           " number of links, with how many articles and outlets cite them.",
            "sql": "WITH hosts AS (SELECT l.source_article_id, a.outlet, lower(CASE WHEN"
                   " instr(rest, '/') > 0 THEN substr(rest, 1, instr(rest, '/') - 1)"
                   " ELSE rest END) AS host FROM (SELECT source_article_id,"
                   " substr(target_url, instr(target_url, '://') + 3) AS rest FROM links"
                   " WHERE instr(target_url, '://') > 0) l"
                   " LEFT JOIN articles a ON a.id = l.source_article_id)"
                   " SELECT CASE WHEN host LIKE 'www.%' THEN substr(host, 5) ELSE host END"
                   " AS host, count(*) AS links, count(DISTINCT source_article_id) AS"
                   " citing_articles, count(DISTINCT outlet) AS citing_outlets FROM hosts"
                   " WHERE host != '' GROUP BY 1 ORDER BY links DESC, host LIMIT 500",
        },
    }


def metadata(archive: Path, columns: set[str]) -> dict[str, Any]:
    """Datasette's metadata for an index whose `articles` table has `columns`."""
    tables = {name: {**spec, "columns": dict(spec["columns"])} for name, spec in _TABLES.items()}
    articles = tables["articles"]
    articles["columns"] = {k: v for k, v in articles["columns"].items() if k in columns}
    for name in HIDDEN:
        tables[name] = {"hidden": True}
    return {
        "title": "Liputan",
        "description_html": (
            "The index of a Liputan archive of Indonesian news coverage: every article"
            " extracted from the archived pages, searchable, with the runs that crawled them"
            " and a pointer to each page's WARC record. Start with the <a href=\""
            f"{escape(articles_path())}\">articles</a> or the <a href=\"{COVERAGE_PATH}\">"
            "coverage over time</a> chart. Read-only: nothing here changes the archive."),
        "databases": {
            DATABASE: {
                "description": "The archive's index (archive/index.db), derived from its WARC"
                               " files.",
                "tables": tables,
                "queries": canned_queries(),
            },
        },
        "plugins": {PLUGIN_NAME: {"archive": str(archive)}},
    }


SETTINGS = {
    "truncate_cells_html": 200,  # article texts: a snippet in the table, whole on the row page
    "facet_time_limit_ms": 1000,  # facets over a large index: counts, not a timeout
    "sql_time_limit_ms": 5000,
    "allow_download": False,
    # Suggestions cost a query per column on every page, and Datasette's date facet counts
    # UTC days, not the outlets' local days: the default facets are the ones that fit.
    "suggest_facets": False,
}


def make_datasette(index: Path, archive: Path) -> Datasette:
    """A Datasette over `index` (read-only) with the Liputan plugin; `archive` is the root
    the WARC pointers are relative to."""
    from datasette.app import Datasette
    from datasette.plugins import pm

    from crawler import webplugin

    # With rich installed, Datasette's error handler renders every error, each 404 too, as a
    # traceback with its locals (pages of rows, half a second): without rich it prints only
    # a 500's plain traceback, and answers with the same pages.
    errors = pm.get_plugin("datasette.handle_exception")
    if errors is not None:
        errors.rich = None

    if not pm.is_registered(webplugin):
        pm.register(webplugin, name=PLUGIN_NAME)
    # A mutable file (not immutable=): Datasette reads it with ?mode=ro connections and sees
    # what a running crawl commits; the plugin also makes those connections query-only.
    return Datasette([str(index)], metadata=metadata(archive, article_columns(index)),
                     settings=SETTINGS, template_dir=str(TEMPLATES))
