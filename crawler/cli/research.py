"""Researching the index: `search`, `show`."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import click

from crawler.cli import (
    archive_option,
    cli,
    echo_hits_table,
    emit,
    fail,
    index_path,
    output_format,
)


@cli.command()
@click.argument("query")
@archive_option
@click.option("--outlet", help="Only this outlet (as stored, e.g. 'KabarNusantara').")
@click.option("--since", metavar="YYYY-MM-DD", help="Published on or after this date.")
@click.option("--until", metavar="YYYY-MM-DD", help="Published on or before this date.")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 100_000))
@output_format
def search(query: str, archive: Path, outlet: str | None, since: str | None, until: str | None,
           limit: int, fmt: str) -> None:
    """Full-text search of indexed articles (SQLite FTS5 syntax).

    \b
    Examples:
        liputan search Tokayev
        liputan search '"status darurat" AND Almaty' --since 2022-01-01 --json
        liputan search kerusuhan --outlet KabarNusantara --csv > hits.csv
    """
    from pipelines.index import Index, SearchQueryError

    for name, value in (("--since", since), ("--until", until)):
        if value and not _is_date(value):
            raise fail(f"{name} expects a date like 2022-01-31, got {value!r}")
    index = Index(index_path(archive))
    try:
        hits = index.search(query, outlet=outlet, since=since, until=until, limit=limit)
    except SearchQueryError as exc:
        raise fail(str(exc)) from exc
    finally:
        index.close()
    emit([asdict(h) for h in hits], fmt, echo_hits_table)


def _is_date(value: str) -> bool:
    from datetime import date

    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


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
        except WarcError as exc:
            raise fail(str(exc)) from exc
        # Headers exactly as archived; the body with its Content-Encoding undone, readable.
        out = click.get_binary_stream("stdout")
        out.write(record.http_headers.to_bytes())
        out.write(decode_payload(payload, record.http_headers))
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


