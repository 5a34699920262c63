"""Liputan's own Datasette plugin, registered by crawler/web.py (not an installed entry
point): our pages (crawler/webpages.py) routed, a facet by local day and one by run, links
from articles and captures to their archived records, and query-only connections.
"""

from __future__ import annotations

from typing import Any

from datasette import hookimpl
from datasette.facets import Facet
from datasette.filters import FilterArguments
from datasette.utils import escape_sqlite, path_with_added_args, path_with_removed_args
from datasette.utils.asgi import BadRequest
from markupsafe import Markup, escape

from crawler import webpages
from crawler.web import COVERAGE_PATH, DATABASE, articles_path
from crawler.webpages import CAPTURE_PATH, RECORD_PATH
from pipelines.index import row_id


# -- hooks ---------------------------------------------------------------------------------
@hookimpl
def prepare_connection(conn: Any, database: str, datasette: Any) -> None:
    if database == DATABASE:
        conn.execute("PRAGMA query_only = 1")  # with ?mode=ro: this UI never writes


@hookimpl
def register_routes(datasette: Any) -> list[tuple[str, Any]]:
    return [
        (rf"^{COVERAGE_PATH}$", webpages.coverage_page),
        (r"^/-/liputan/record/(?P<article_id>[0-9]+)$", webpages.article_record_page),
        (r"^/-/liputan/capture/(?P<capture_id>[0-9]+)$", webpages.capture_record_page),
    ]


@hookimpl
def register_facet_classes() -> list[type[Facet]]:
    return [RunFacet]


@hookimpl
def filters_from_request(request: Any, database: str, table: str, datasette: Any) -> Any:
    """`?_run=N` on articles: the stories run N saw (its run_articles rows)."""
    if database != DATABASE or table != "articles" or "_run" not in request.args:
        return None
    runs = request.args.getlist("_run")
    ids = [row_id(run) for run in runs]
    if None in ids:
        raise BadRequest("_run= takes a run id (a whole number)")
    params = {f"liputan_run_{i}": run for i, run in enumerate(ids)}
    return FilterArguments(
        [f"id IN (SELECT article_id FROM run_articles WHERE run_id = :{name})"
         for name in params],
        params, [f"seen by run {run}" for run in runs])


@hookimpl
def render_cell(row: Any, value: Any, column: str, table: str | None, database: str,
                datasette: Any) -> Markup | None:
    if database != DATABASE:
        return None
    if table == "articles" and column == "url" and value:
        return _with_record_link(datasette, value, RECORD_PATH.format(_key(row, "id")))
    if table == "captures" and column == "url" and value and _key(row, "warc_file"):
        return _with_record_link(datasette, value, CAPTURE_PATH.format(_key(row, "id")))
    if table is None and column == "article_id" and isinstance(value, int):
        # Canned and custom queries: an article id links to its row and its record.
        row_url = datasette.urls.row(DATABASE, "articles", str(value))
        record = datasette.urls.path(RECORD_PATH.format(value))
        return Markup(f'<a href="{escape(row_url)}">{value}</a>'
                      f' <a class="liputan-record" href="{escape(record)}"{_BADGE}>archived</a>')
    return None


@hookimpl
def menu_links(datasette: Any, actor: Any, request: Any) -> list[dict[str, str]]:
    return [{"href": datasette.urls.path(articles_path()), "label": "Articles"},
            {"href": datasette.urls.path(COVERAGE_PATH), "label": "Coverage over time"}]


@hookimpl
def table_actions(datasette: Any, actor: Any, database: str, table: str,
                  request: Any) -> list[dict[str, str]]:
    if database == DATABASE and table == "articles":
        return [{"href": datasette.urls.path(articles_path()), "label": "Articles"},
            {"href": datasette.urls.path(COVERAGE_PATH), "label": "Coverage over time"}]
    return []


# A small outlined label: the link to the record, told apart from the URL beside it.
_BADGE = (' style="white-space: nowrap; font-size: 85%; border: 1px solid currentColor;'
          ' border-radius: 3px; padding: 0 3px"')


def _key(row: Any, name: str) -> Any:
    try:
        return row[name]
    except (IndexError, KeyError):
        return None


def _with_record_link(datasette: Any, url: str, record_path: str) -> Markup:
    record = datasette.urls.path(record_path)
    link = (f'<a href="{escape(url)}">{escape(url)}</a>' if url.startswith(("http://",
            "https://")) else str(escape(url)))
    return Markup(f'{link}<br><a class="liputan-record" href="{escape(record)}"{_BADGE}'
                  ' title="The HTTP response as archived in the WARC file">archived</a>')


# -- facets --------------------------------------------------------------------------------
class _ValueFacet(Facet):
    """A facet whose values come from one SQL query and select rows by one query-string
    argument; subclasses give both."""

    name = ""  # the facet's heading

    def sql_for(self, column: str, limit: int) -> str:
        raise NotImplementedError

    def arg_for(self, column: str) -> str:
        raise NotImplementedError

    def label_for(self, row: Any) -> str:
        return str(row["value"])

    async def suggest(self) -> list[Any]:
        return []

    async def facet_results(self) -> tuple[list[dict[str, Any]], list[str]]:
        results, timed_out = [], []
        pairs = self.get_querystring_pairs()
        size = self.get_facet_size()
        for source_and_config in self.get_configs():
            config = source_and_config["config"]
            column = config.get("column") or config["simple"]
            arg = self.arg_for(column)
            try:
                rows = await self.ds.execute(
                    self.database, self.sql_for(column, size + 1), self.params,
                    truncate=False, custom_time_limit=self.ds.setting("facet_time_limit_ms"))
            except Exception:  # noqa: BLE001 - a facet that times out is listed, not fatal
                timed_out.append(column)
                continue
            values = []
            for row in rows.rows[:size]:
                value = str(row["value"])
                selected = (arg, value) in pairs
                path = (path_with_removed_args(self.request, {arg: value}) if selected
                        else path_with_added_args(self.request, {arg: value}))
                values.append({"value": row["value"], "label": self.label_for(row),
                               "count": row["count"], "selected": selected,
                               "toggle_url": self.ds.absolute_url(
                                   self.request, self.ds.urls.path(path))})
            results.append({
                "name": self.name, "type": self.type, "results": values,
                "hideable": source_and_config["source"] != "metadata",
                "toggle_url": self.ds.urls.path(path_with_removed_args(
                    self.request, {f"_facet_{self.type}": column})),
                "truncated": len(rows.rows) > size,
            })
        return results, timed_out


class RunFacet(_ValueFacet):
    """Articles per run that saw them (run_articles: a story rechecked by a later run
    counts for both runs); selecting one filters with `_run=N`."""

    type = "run"
    name = "run_id"

    def sql_for(self, column: str, limit: int) -> str:
        return (f"SELECT ra.run_id AS value, r.crawl AS crawl, r.started_at AS started,"
                f" count(*) AS count FROM ({self.sql}) a JOIN run_articles ra"
                f" ON ra.article_id = a.{escape_sqlite(column)} LEFT JOIN runs r"
                f" ON r.id = ra.run_id GROUP BY ra.run_id ORDER BY ra.run_id DESC"
                f" LIMIT {limit}")

    def arg_for(self, column: str) -> str:
        return "_run"

    def label_for(self, row: Any) -> str:
        started = f", {row['started'][:10]}" if row["started"] else ""
        return f"{row['crawl'] or '?'} run {row['value']}{started}"
