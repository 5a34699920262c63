"""Researching the index: `search`, `export`, `timeline`, `show`."""

from __future__ import annotations

import json
import sqlite3
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from crawler.cli import (
    POSITIVE,
    archive_option,
    cli,
    echo_hits_table,
    echo_timeline_chart,
    echo_timeline_table,
    emit,
    fail,
    index_path,
    output_format,
)
from pipelines.export import EXPORT_FORMATS

if TYPE_CHECKING:
    from pipelines.index.research import Selection


def selection_options(func: Any) -> Any:
    """The filters search, export and timeline share: the same flags select the same
    articles in all three."""
    options = [
        click.option("--outlet", "outlets", multiple=True,
                     help="Only this outlet, as stored (repeat for several)."),
        click.option("--crawl", "crawls", multiple=True,
                     help="Only articles a run of this crawl found (repeat for several)."),
        click.option("--run", "runs", multiple=True, type=POSITIVE,
                     help="Only articles this run found (repeat for several)."),
        click.option("--language", "languages", multiple=True,
                     help="Only this language code, e.g. id (repeat for several)."),
        click.option("--since", metavar="YYYY-MM-DD",
                     help="Published on or after this day (the outlet's local day)."),
        click.option("--until", metavar="YYYY-MM-DD",
                     help="Published on or before this day (the outlet's local day)."),
        click.option("--exact", is_flag=True,
                     help="Match words as written (default: Indonesian word forms, so"
                          " 'rusuh' finds 'kerusuhan'; quoted phrases are always exact)."),
        click.option("--no-aliases", is_flag=True,
                     help="Do not expand names to the spellings the crawls' topics list.")]
    for option in reversed(options):
        func = option(func)
    return func


def selection(query: str | None, outlets: tuple[str, ...], crawls: tuple[str, ...],
              runs: tuple[int, ...], languages: tuple[str, ...], since: str | None,
              until: str | None, exact: bool, no_aliases: bool) -> Selection:
    from pipelines.index.research import Selection

    for name, value in (("--since", since), ("--until", until)):
        if value and not _is_date(value):
            raise fail(f"{name} expects a date like 2022-01-31, got {value!r}")
    return Selection(query or None, outlets=outlets, crawls=crawls, runs=runs,
                     languages=languages, since=since, until=until, exact=exact,
                     aliases=not no_aliases)


def _is_date(value: str) -> bool:
    from datetime import date

    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def upgraded(conn: sqlite3.Connection, path: Path) -> bool:
    """True when the index has this Liputan's schema. An index written by an earlier one
    is upgraded once (a write, the only one a read command makes); when it cannot be (a
    read-only copy), one line says what to do."""
    from pipelines.index import SCHEMA_VERSION, Index, schema_steps

    if schema_steps(conn) >= SCHEMA_VERSION:
        return True
    try:
        Index(path).close()
    except sqlite3.Error as exc:
        raise fail(f"{path} was written by an earlier Liputan and cannot be upgraded here"
                   f" ({exc}); open a writable copy once with `liputan check --archive DIR`"
                   ) from exc
    click.echo(f"upgraded {path} to this Liputan's index schema", err=True)
    return False


@contextmanager
def research_index(archive: Path) -> Iterator[sqlite3.Connection]:
    """A read-only connection to the archive's index (a crawl may be writing it), with
    query errors as one-line messages."""
    from pipelines.index import SearchQueryError, open_readonly

    path = index_path(archive)
    conn = open_readonly(path)
    if not upgraded(conn, path):
        conn.close()
        conn = open_readonly(path)
    try:
        yield conn
    except SearchQueryError as exc:
        raise fail(str(exc)) from exc
    finally:
        conn.close()


@cli.command()
@click.argument("query")
@archive_option
@selection_options
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 100_000))
@output_format
def search(query: str, archive: Path, limit: int, fmt: str, **filters: Any) -> None:
    """Full-text search of indexed articles, best matches first.

    Words match their Indonesian forms ('rusuh' finds 'kerusuhan'), names match the
    spellings the crawl's topic lists ('Tokayev' finds 'Tokaev'); "quoted phrases" and
    --exact match as written. FTS5 syntax: AND, OR, NOT, parentheses, prefix*.

    \b
    Examples:
        liputan search Tokayev
        liputan search '"status darurat" AND Almaty' --since 2022-01-01 --json
        liputan search rusuh --outlet KabarNusantara --outlet SerojaPos --csv > hits.csv
    """
    from pipelines.index import research

    chosen = selection(query, **filters)
    with research_index(archive) as conn:
        result = research.search(conn, chosen, limit)
    emit([asdict(h) for h in result.hits], fmt, echo_hits_table)
    if result.total > len(result.hits):
        total = (f"more than {research.COUNT_CAP:,}" if result.capped
                 else f"{result.total:,}")
        ranked = (f", the best of the newest {result.ranked_within:,} matches"
                  if result.ranked_within else "")
        click.echo(f"showing {len(result.hits)} of {total} matching articles{ranked}; raise"
                   " --limit, or `liputan export` them all", err=True)


@cli.command()
@click.argument("query", required=False)
@archive_option
@selection_options
@click.option("--format", "fmt", type=click.Choice(EXPORT_FORMATS), default="jsonl",
              show_default=True, help="File format.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="Write here (default: standard output; parquet needs a file).")
def export(query: str | None, archive: Path, fmt: str, output: Path | None,
           **filters: Any) -> None:
    """Export every matching article with all its fields: text, metadata, the WARC record
    it was extracted from, its run and its syndication cluster.

    With no QUERY, every article (of the filters). Streamed: any size, flat memory.

    \b
    Examples:
        liputan export --format csv -o coverage.csv
        liputan export Tokayev --since 2022-01-05 --until 2022-01-10 > tokayev.jsonl
        liputan export --crawl kazakhstan-2022 --format parquet -o kazakhstan.parquet
    """
    from pipelines.export import ExportError, write_export
    from pipelines.index import research

    chosen = selection(query, **filters)
    if fmt == "parquet" and output is None:
        raise fail("parquet is a binary format: give a file with --output")
    with research_index(archive) as conn:
        try:
            if sys.stderr.isatty():
                total = research.count(conn, chosen)
                with click.progressbar(length=total, label="exporting",
                                       file=sys.stderr) as bar:
                    written = write_export(conn, chosen, fmt, output, bar.update)
            else:
                written = write_export(conn, chosen, fmt, output)
        except ExportError as exc:
            raise fail(str(exc)) from exc
    where = f" to {output}" if output else ""
    click.echo(f"exported {written} articles{where} ({fmt})", err=True)


@cli.command()
@click.argument("query", required=False)
@archive_option
@selection_options
@click.option("--by", "period", type=click.Choice(["day", "week", "month"]), default="day",
              show_default=True, help="Count per local day, ISO week (its Monday) or month.")
@click.option("--all-outlets", is_flag=True, help="One count per period, outlets together.")
@click.option("--chart", is_flag=True, help="Draw the counts as a bar chart in the terminal.")
@click.option("--plot", type=click.Path(dir_okay=False, path_type=Path),
              help="Also draw the counts to a PNG or SVG file (by its extension).")
@output_format
def timeline(query: str | None, archive: Path, period: str, all_outlets: bool, chart: bool,
             plot: Path | None, fmt: str, **filters: Any) -> None:
    """Articles per day (week, month) per outlet, by the outlet's own calendar day.

    \b
    Examples:
        liputan timeline
        liputan timeline Tokayev --by week --chart
        liputan timeline --crawl kazakhstan-2022 --plot coverage.png --csv > counts.csv
    """
    from pipelines.index import research

    if plot is not None and plot.suffix.lower() not in (".png", ".svg"):
        raise fail(f"--plot writes .png or .svg files, not {plot.name!r}")
    chosen = selection(query, **filters)
    with research_index(archive) as conn:
        counts = research.timeline(conn, chosen, period, per_outlet=not all_outlets)
        undated = research.undated(conn, chosen)
    rows = [asdict(c) for c in counts]
    if all_outlets:
        for row in rows:
            row.pop("outlet")
    if chart:
        echo_timeline_chart(counts)
    else:
        emit(rows, fmt, lambda rows: echo_timeline_table(counts))
    if undated:
        click.echo(f"{undated} matching articles have no publication date: not counted",
                   err=True)
    if plot is not None:
        from pipelines.plot import plot_timeline

        plot_timeline(counts, plot, title=f"Articles per {period}" + (
            f": {query}" if query else ""))
        click.echo(f"plot written to {plot}", err=True)


@cli.command()
@click.argument("key", metavar="ID|URL")
@archive_option
@click.option("--raw", is_flag=True,
              help="Print the archived HTTP response read back from the WARC file.")
@click.option("--json", "as_json", is_flag=True, help="Output the article row as JSON.")
def show(key: str, archive: Path, raw: bool, as_json: bool) -> None:
    """Show one article: metadata and text, or its archived response.

    \b
    Examples:
        liputan show 12
        liputan show http://www.kabarnusantara.test/internasional/d-5890123/slug --raw
    """
    from pipelines.decoding import BodyTooLarge
    from pipelines.index import Index
    from pipelines.warc import WarcError, decode_payload, read_record

    index = Index(index_path(archive))
    try:
        row = index.article(key)
        pages = index.article_pages(row["id"]) if row else []
    finally:
        index.close()
    if row is None:
        raise fail(f"no article with id or URL {key!r}; find one with `liputan search`")
    row["article_pages"] = pages
    if raw:
        try:
            record, payload = read_record(archive, (row["warc_file"], row["warc_offset"],
                                                    row["warc_length"]))
            body = decode_payload(payload, record.http_headers)  # within the cap
        except BodyTooLarge as exc:  # never inflated whole
            raise fail(f"{row['warc_file']} @{row['warc_offset']}: {exc}") from exc
        except WarcError as exc:
            raise fail(str(exc)) from exc
        # Headers exactly as archived; the body with its Content-Encoding undone, readable.
        out = click.get_binary_stream("stdout")
        out.write(record.http_headers.to_bytes())
        out.write(body)
        return
    if as_json:
        click.echo(json.dumps(row, ensure_ascii=False, indent=2))
        return
    for field in ("id", "title", "outlet", "author", "editor", "source", "published_at",
                  "date_source", "language", "url", "canonical_url", "word_count", "fetched_at",
                  "extracted_with"):
        click.echo(f"{field:>14}: {row.get(field) if row.get(field) is not None else ''}")
    click.echo(f"{'warc':>14}: {row['warc_file']} @{row['warc_offset']}+{row['warc_length']}")
    for page in pages:
        label = "one-page view" if page["page"] == 0 else f"page {page['page']}"
        click.echo(f"{label:>14}: {page['url']}  {page['warc_file']} @{page['warc_offset']}"
                   f"+{page['warc_length']}")
    click.echo("")
    click.echo(row["text"])


