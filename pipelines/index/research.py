"""What researchers ask of the index: search, export, counts over time.

One `Selection` (a query and filters) means the same articles to `search`, `export` and
`timeline`, so a count, a table and an export of a question always agree.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from pipelines.index import fts
from pipelines.index.fts import SearchQueryError

RANK_WINDOW = 5_000  # matches ranked by bm25: the newest this many (see `search`)
COUNT_CAP = 10_000  # with filters, matches counted up to this many (then "more than")
# Every column of an exported article, in order: the row, its WARC record and its run.
EXPORT_COLUMNS = (
    "id", "url", "canonical_url", "outlet", "title", "author", "editor", "source",
    "published_at", "published_day", "date_source", "language", "description", "tags",
    "word_count", "pages", "relevance", "cluster_id", "text", "text_digest",
    "extracted_with", "indexed_at", "fetched_at", "status", "warc_file", "warc_offset",
    "warc_length", "record_id", "run_id", "crawl",
)
PERIODS = ("day", "week", "month")
# A period's key from the local day (YYYY-MM-DD): ISO weeks start on Monday.
_PERIOD_SQL = {
    "day": "a.published_day",
    "week": "date(a.published_day, '-' || ((strftime('%w', a.published_day) + 6) % 7)"
            " || ' days')",
    "month": "substr(a.published_day, 1, 7)",
}


@dataclass(frozen=True)
class Selection:
    """Which articles: a full-text query (optional) and filters, all ANDed; several values
    of one filter are ORed (`outlets=("A", "B")`: either outlet)."""

    query: str | None = None
    outlets: tuple[str, ...] = ()
    crawls: tuple[str, ...] = ()  # articles any run of these crawls found
    runs: tuple[int, ...] = ()
    languages: tuple[str, ...] = ()
    since: str | None = None  # local days, inclusive
    until: str | None = None
    exact: bool = False  # words as written, no stems
    aliases: bool = True  # a name stands for the spellings the crawls' topics give it


@dataclass(frozen=True)
class SearchHit:
    id: int
    url: str
    outlet: str | None
    title: str | None
    published_at: str | None
    snippet: str
    word_count: int | None


@dataclass
class SearchResult:
    hits: list[SearchHit]
    total: int  # how many articles match in all (hits holds the first `limit`)
    match: str = ""  # the FTS5 query run
    capped: bool = False  # more than COUNT_CAP match: `total` is COUNT_CAP + 1
    ranked_within: int | None = None  # the hits are the best of this many newest matches


def topic_aliases(conn: sqlite3.Connection) -> dict[str, tuple[str, ...]]:
    """The alias groups of every crawl in the index (from its runs' configs)."""
    groups: list[list[str]] = []
    for (config,) in conn.execute(
            "SELECT DISTINCT config FROM runs WHERE kind='crawl' AND json_valid(config)"):
        topic = json.loads(config).get("topic") or {}
        groups += [list(g) for g in topic.get("aliases") or () if isinstance(g, list | tuple)]
    return fts.alias_groups(groups)


def _terms(conn: sqlite3.Connection, selection: Selection) -> fts.SearchTerms | None:
    if not selection.query:
        return None
    aliases = topic_aliases(conn) if selection.aliases else {}
    terms = fts.build(selection.query, exact=selection.exact, aliases=aliases)
    if not terms.match:
        raise SearchQueryError(f"search query {selection.query!r} holds no word to search for")
    return terms


def _where(selection: Selection, terms: fts.SearchTerms | None
           ) -> tuple[list[str], dict[str, Any]]:
    where: list[str] = []
    params: dict[str, Any] = {}
    if terms is not None:
        where.append("a.rowid IN (SELECT rowid FROM articles_fts WHERE articles_fts MATCH :q)")
        params["q"] = terms.match
    for name, condition, values in (
            ("outlet", "a.outlet IN ({})", selection.outlets),
            ("language", "a.language IN ({})", selection.languages),
            ("run", "a.id IN (SELECT article_id FROM run_articles WHERE run_id IN ({}))",
             selection.runs),
            ("crawl", "a.id IN (SELECT ra.article_id FROM run_articles ra JOIN runs r ON"
                      " r.id = ra.run_id WHERE r.crawl IN ({}))", selection.crawls)):
        if values:  # several values of one filter: any of them
            keys = [f"{name}{i}" for i in range(len(values))]
            where.append(condition.format(", ".join(":" + k for k in keys)))
            params.update(zip(keys, values, strict=True))
    if selection.since:
        where.append("a.published_day >= :since")
        params["since"] = selection.since
    if selection.until:
        where.append("a.published_day <= :until")
        params["until"] = selection.until
    return where, params


def _run(conn: sqlite3.Connection, sql: str, params: dict[str, Any], query: str | None
         ) -> sqlite3.Cursor:
    try:
        return conn.execute(sql, params)
    except sqlite3.OperationalError as exc:
        if "no such" in str(exc) or "locked" in str(exc) or query is None:
            raise
        # The SQL is fixed; anything else SQLite rejects is the user's FTS5 query.
        raise SearchQueryError(
            f"cannot parse search query {query!r} ({exc}); quote phrases and special "
            f"characters, e.g. '\"{query.replace(chr(34), '')}\"'") from exc


def search(conn: sqlite3.Connection, selection: Selection, limit: int = 20) -> SearchResult:
    """The best `limit` matches (bm25) among the newest RANK_WINDOW matching articles
    (newest first without a query), and how many match in all (at most COUNT_CAP + 1 are
    counted when filters are set)."""
    terms = _terms(conn, selection)
    where, params = _where(selection, terms)
    params = {**params, "limit": limit, "window": RANK_WINDOW}
    columns = "a.id, a.url, a.outlet, a.title, a.published_at, a.text, a.word_count"
    filters = [w for w in where if not w.startswith("a.rowid IN")]
    if terms is None:
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        sql = (f"SELECT {columns} FROM articles a{clause} ORDER BY a.published_at DESC,"
               " a.id DESC LIMIT :limit")
        count_sql = f"SELECT count(*) FROM (SELECT 1 FROM articles a{clause} LIMIT :cap)"
    else:
        # bm25 over every match of a common word ("pemerintah": nine articles in ten) costs
        # seconds; FTS5 walks its matches newest first at almost no cost, so only the newest
        # RANK_WINDOW are ranked. Filters are checked on that walk.
        join = " JOIN articles a ON a.rowid = f.rowid" if filters else ""
        extra = "".join(f" AND {w}" for w in filters)
        window = (f"SELECT f.rowid, bm25(articles_fts) AS score FROM articles_fts f{join}"
                  f" WHERE articles_fts MATCH :q{extra} ORDER BY f.rowid DESC LIMIT :window")
        sql = (f"SELECT {columns} FROM ({window}) w JOIN articles a ON a.rowid = w.rowid"
               " ORDER BY w.score, a.id DESC LIMIT :limit")
        count_sql = (f"SELECT count(*) FROM (SELECT 1 FROM articles_fts f{join}"
                     f" WHERE articles_fts MATCH :q{extra} LIMIT :cap)") if filters else (
                     "SELECT count(*) FROM articles_fts WHERE articles_fts MATCH :q")
    rows = _run(conn, sql, params, selection.query).fetchall()
    hits = [SearchHit(r[0], r[1], r[2], r[3], r[4],
                      fts.snippet(r[5] or "", terms) if terms else _lead(r[5] or ""), r[6])
            for r in rows]
    total = len(hits)
    if total == limit:
        total = _run(conn, count_sql, {**params, "cap": COUNT_CAP + 1},
                     selection.query).fetchone()[0]
    return SearchResult(hits, total, terms.match if terms else "",
                        capped=total > COUNT_CAP, ranked_within=(
                            RANK_WINDOW if terms is not None and total > RANK_WINDOW else None))


def _lead(text: str, width: int = 16) -> str:
    tokens = text.split()
    return " ".join(tokens[:width]) + (" …" if len(tokens) > width else "")


def count(conn: sqlite3.Connection, selection: Selection) -> int:
    where, params = _where(selection, _terms(conn, selection))
    clause = f" WHERE {' AND '.join(where)}" if where else ""
    return _run(conn, f"SELECT count(*) FROM articles a{clause}", params,
                selection.query).fetchone()[0]


def export(conn: sqlite3.Connection, selection: Selection, *, as_json: bool = False
           ) -> sqlite3.Cursor:
    """Every selected article with all its fields (EXPORT_COLUMNS, `tags` as JSON text),
    in id order, as a cursor to read in batches: memory stays flat at any size. With
    `as_json`, each row is one JSON object, built by SQLite (a JSON Lines line)."""
    where, params = _where(selection, _terms(conn, selection))
    clause = f" WHERE {' AND '.join(where)}" if where else ""
    expressions = {c: _EXPORT_SQL.get(c, "a." + c) for c in EXPORT_COLUMNS}
    if as_json:
        expressions["tags"] = "json(coalesce(a.tags, '[]'))"
        columns = "json_object(" + ", ".join(f"'{c}', {e}" for c, e in expressions.items()) + ")"
    else:
        columns = ", ".join(f"{e} AS {c}" for c, e in expressions.items())
    return _run(conn,
                f"SELECT {columns} FROM articles a LEFT JOIN captures c ON c.id = a.capture_id"
                f" LEFT JOIN runs r ON r.id = c.run_id{clause} ORDER BY a.id", params,
                selection.query)


_EXPORT_SQL = {
    "fetched_at": "c.fetched_at", "status": "c.status", "warc_file": "c.warc_file",
    "warc_offset": "c.warc_offset", "warc_length": "c.warc_length",
    "record_id": "c.record_id", "run_id": "c.run_id", "crawl": "r.crawl",
}


_DATED = "a.published_day GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]'"


@dataclass(frozen=True)
class Count:
    period: str  # the local day (YYYY-MM-DD), the Monday of its week, or YYYY-MM
    outlet: str | None
    articles: int


def timeline(conn: sqlite3.Connection, selection: Selection, period: str = "day",
             per_outlet: bool = True) -> list[Count]:
    """Articles per local day (week, month), per outlet: the outlet's own calendar, not
    UTC's. Articles with no publication date are not counted (`undated` tells how many)."""
    if period not in _PERIOD_SQL:
        raise ValueError(f"period must be one of {', '.join(PERIODS)}, not {period!r}")
    where, params = _where(selection, _terms(conn, selection))
    where.append(_DATED)
    outlet = "a.outlet" if per_outlet else "NULL"
    sql = (f"SELECT {_PERIOD_SQL[period]} AS period, {outlet} AS outlet, count(*)"
           f" FROM articles a WHERE {' AND '.join(where)} GROUP BY 1, 2 ORDER BY 1, 2")
    found = {(row[0], row[1]): row[2] for row in _run(conn, sql, params, selection.query)}
    if not found:
        return []
    # Every period from the first to the last, zeros included: a day without coverage
    # is a finding, and a chart with gaps left out would hide it.
    outlets = sorted({o for _, o in found}, key=lambda o: (o is None, o or ""))
    first, last = min(p for p, _ in found), max(p for p, _ in found)
    return [Count(key, o, found.get((key, o), 0))
            for key in periods_between(first, last, period) for o in outlets]


def periods_between(first: str, last: str, period: str) -> list[str]:
    """The period keys from `first` to `last` inclusive (days, Mondays, or YYYY-MM)."""
    if period == "month":
        year, month = int(first[:4]), int(first[5:7])
        out = []
        while f"{year:04d}-{month:02d}" <= last:
            out.append(f"{year:04d}-{month:02d}")
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return out
    step = timedelta(days=7 if period == "week" else 1)
    day, end = date.fromisoformat(first), date.fromisoformat(last)
    out = []
    while day <= end:
        out.append(day.isoformat())
        day += step
    return out


def undated(conn: sqlite3.Connection, selection: Selection) -> int:
    """Selected articles with no publication date: outside any timeline."""
    where, params = _where(selection, _terms(conn, selection))
    where.append(f"NOT coalesce({_DATED}, 0)")
    return _run(conn, f"SELECT count(*) FROM articles a WHERE {' AND '.join(where)}", params,
                selection.query).fetchone()[0]
