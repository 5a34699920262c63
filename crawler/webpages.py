"""The pages our Datasette plugin adds (crawler/webplugin.py routes them): coverage over
time as a chart, and an archived HTTP exchange (an article's, or any capture's) as text.

An archived page is shown as escaped text, under a policy that runs no script: a page from
the web never runs inside the UI.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from datasette.utils.asgi import BadRequest, NotFound, Response
from markupsafe import Markup

from crawler.web import COVERAGE_PATH, DATABASE, PLUGIN_NAME, articles_path
from pipelines import chart
from pipelines.index import research, row_id
from pipelines.index.research import PERIODS, Selection

RECORD_PATH = "/-/liputan/record/{}"  # an article's archived response
CAPTURE_PATH = "/-/liputan/capture/{}"  # any capture's archived response
SHOWN_BYTES = 1_000_000  # a body longer than this is cut (`liputan show --raw` prints it all)
# The record pages: no script at all (archived markup is text, and stays inert if ever not).
RECORD_POLICY = ("default-src 'self'; script-src 'none'; object-src 'none'; frame-src 'none';"
                 " base-uri 'none'; form-action 'self'; style-src 'self' 'unsafe-inline'")


# -- the coverage chart --------------------------------------------------------------------
async def coverage_page(datasette: Any, request: Any) -> Response:
    """Articles per local day (week, month) of publication, all outlets and each outlet:
    the counts `liputan timeline` gives (pipelines.index.research), drawn as SVG."""
    db = datasette.get_database(DATABASE)
    outlet = request.args.get("outlet") or ""
    chosen = Selection(outlets=(outlet,) if outlet else ())
    by = request.args.get("by") or ""
    if by and by not in PERIODS:
        raise BadRequest(f"by= takes one of {', '.join(PERIODS)}")

    def count(conn: Any) -> tuple[list[research.Count], int, str]:
        period = by or "day"
        counts = research.timeline(conn, chosen, period)
        if not by and counts:
            span = (date.fromisoformat(counts[-1].period)
                    - date.fromisoformat(counts[0].period)).days
            period = chart.default_period(span)
            if period != "day":
                counts = research.timeline(conn, chosen, period)
        return counts, research.undated(conn, chosen), period

    counts, undated, by = await db.execute_fn(count)
    outlets = [r[0] for r in await db.execute(
        "SELECT DISTINCT outlet FROM articles WHERE outlet IS NOT NULL ORDER BY outlet")]
    periods = list(dict.fromkeys(c.period for c in counts))
    binned: dict[str, dict[str, int]] = {}
    for c in counts:
        binned.setdefault(c.outlet or "", {})[c.period] = c.articles
    total = {p: sum(b.get(p, 0) for b in binned.values()) for p in periods}

    def href_for(name: str) -> Any:
        def href(period: str) -> str:
            args = _period_filter(period, by)
            if name:
                args.append(("outlet", name))
            return datasette.urls.path(articles_path(args))
        return href

    charts = []
    if periods:
        charts.append(Markup(chart.bar_chart(total, periods, by, peak=max(total.values()),
                                                title=outlet or "All outlets",
                                                href=href_for(outlet))))
        if not outlet and len(binned) > 1:
            # Each outlet on one scale, the busiest outlet's busiest period, to compare.
            peak = max(max(b.values()) for b in binned.values())
            for name in sorted(binned):
                charts.append(Markup(chart.bar_chart(
                    binned[name], periods, by, peak=peak, title=name or "(no outlet)",
                    href=href_for(name))))
    context = {
        "charts": charts, "outlet": outlet, "outlets": outlets, "by": by,
        "buckets": PERIODS, "undated": undated,
        "total": sum(total.values()), "first": periods[0] if periods else None,
        "last": periods[-1] if periods else None,
        "articles_url": datasette.urls.path(articles_path()),
        "query_url": datasette.urls.query(DATABASE, "coverage_per_day"),
        "coverage_path": datasette.urls.path(COVERAGE_PATH),
    }
    html = await datasette.render_template("liputan_coverage.html", context, request=request)
    return Response.html(html)


def _period_filter(period: str, by: str) -> list[tuple[str, str]]:
    """The articles table's filter for one period, on the local day."""
    if by == "day":
        return [("published_day", period)]
    if by == "month":
        return [("published_day__startswith", period + "-")]
    end = date.fromisoformat(period) + timedelta(days=7)
    return [("published_day__gte", period), ("published_day__lt", end.isoformat())]


# -- archived records ----------------------------------------------------------------------
@dataclass
class ArchivedResponse:
    """One archived HTTP exchange, ready to show as text."""

    warc_headers: list[tuple[str, str]]
    http_head: str  # the status line and headers, as archived
    body: str | None  # the decoded body as text; None when it is not text
    body_bytes: int
    cut: bool  # the body shown is the first SHOWN_BYTES only


def read_archived(archive: Path, pointer: tuple[str, int, int]) -> ArchivedResponse:
    """Read and decode one record (`liputan show --raw` shows the same bytes). Raises
    pipelines.warc.WarcError when the record is not where the index says."""
    from pipelines.warc import decode_payload, read_record

    record, payload = read_record(archive, pointer)
    headers = record.http_headers
    head = headers.to_str() if headers is not None else ""
    body = decode_payload(payload, headers) if headers is not None else payload
    content_type = headers.get_header("Content-Type") if headers is not None else None
    text = None
    if _is_text(content_type, body):
        text = body[:SHOWN_BYTES].decode(_charset(content_type, body), errors="replace")
    return ArchivedResponse(list(record.rec_headers.headers), head.rstrip("\r\n"), text,
                            len(body), len(body) > SHOWN_BYTES)


def _is_text(content_type: str | None, body: bytes) -> bool:
    kind = (content_type or "").split(";")[0].strip().lower()
    if kind:
        return kind.startswith("text/") or any(
            word in kind for word in ("html", "xml", "json", "javascript"))
    return b"\x00" not in body[:1024]


_META_CHARSET = re.compile(rb"""<meta[^>]+charset=["']?([A-Za-z0-9_.:-]+)""", re.I)


def _charset(content_type: str | None, body: bytes) -> str:
    """The charset the header declares, else the page's <meta>, else UTF-8; one Python
    does not know is UTF-8 too (the text is for reading: errors become U+FFFD)."""
    import codecs

    found = re.search(r"charset=[\"']?([A-Za-z0-9_.:-]+)", content_type or "", re.I)
    meta = None if found else _META_CHARSET.search(body[:4096])
    name = found.group(1) if found else meta.group(1).decode("ascii") if meta else "utf-8"
    try:
        return codecs.lookup(name).name
    except LookupError:
        return "utf-8"


def replay_url(datasette: Any, capture: dict[str, Any]) -> str | None:
    """Where this capture can be replayed in a browser (its page as archived, live): the
    link the record page offers. None: this archive has no replay service (pywb or a WACZ
    player) to send a capture to."""
    return None


def _row_id(text: str, what: str) -> int:
    number = row_id(text)
    if number is None:  # past SQLite's range: no row has it
        raise NotFound(f"No {what} {text}")
    return number


async def article_record_page(datasette: Any, request: Any) -> Response:
    db = datasette.get_database(DATABASE)
    article_id = _row_id(request.url_vars["article_id"], "article")
    article = (await db.execute(
        "SELECT id, title, url, outlet, published_at, capture_id FROM articles WHERE id = ?",
        [article_id])).first()
    if article is None:
        raise NotFound(f"No article {article_id}")
    return await _record_page(datasette, request, int(article["capture_id"]), dict(article))


async def capture_record_page(datasette: Any, request: Any) -> Response:
    db = datasette.get_database(DATABASE)
    capture_id = _row_id(request.url_vars["capture_id"], "capture")
    article = (await db.execute(
        "SELECT a.id, a.title, a.url, a.outlet, a.published_at, a.capture_id FROM articles a"
        " WHERE a.capture_id = ? UNION ALL SELECT a.id, a.title, a.url, a.outlet,"
        " a.published_at, a.capture_id FROM article_pages p JOIN articles a"
        " ON a.id = p.article_id WHERE p.capture_id = ? LIMIT 1",
        [capture_id, capture_id])).first()
    return await _record_page(datasette, request, capture_id,
                              dict(article) if article else None)


async def _record_page(datasette: Any, request: Any, capture_id: int,
                       article: dict[str, Any] | None) -> Response:
    from pipelines.warc import WarcError

    db = datasette.get_database(DATABASE)
    capture = (await db.execute("SELECT * FROM captures WHERE id = ?", [capture_id])).first()
    if capture is None:
        raise NotFound(f"No capture {capture_id}")
    capture = dict(capture)
    pages = []
    if article is not None:
        pages = [dict(r) for r in await db.execute(
            "SELECT page, url, capture_id FROM article_pages WHERE article_id = ?"
            " ORDER BY page", [article["id"]])]
    archived, problem, status = None, None, 200
    if capture["warc_file"]:
        archive = Path((datasette.plugin_config(PLUGIN_NAME) or {}).get("archive", "archive"))
        pointer = (capture["warc_file"], capture["warc_offset"], capture["warc_length"])
        try:
            archived = await asyncio.to_thread(read_archived, archive, pointer)
        except WarcError as exc:
            problem, status = f"{exc} (`liputan check` verifies every pointer)", 404
    else:
        problem = f"Not archived: {capture['error'] or 'the fetch failed'}"
    context = {
        "capture": capture, "article": article, "pages": pages, "archived": archived,
        "problem": problem, "replay_url": replay_url(datasette, capture),
        "capture_path": CAPTURE_PATH, "record_path": RECORD_PATH,
        "shown_bytes": SHOWN_BYTES, "database": DATABASE,
    }
    html = await datasette.render_template("liputan_record.html", context, request=request)
    return Response.html(html, status=status, headers={
        "Content-Security-Policy": RECORD_POLICY, "X-Content-Type-Options": "nosniff"})
