"""Article versions: `history` (what each run saw of a story) and `diff` (what changed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from crawler.cli import archive_option, cli, emit, fail, index_path, output_format


def _open(archive: Path) -> Any:
    from pipelines.index import Index

    return Index(index_path(archive))


@cli.command()
@click.argument("key", metavar="URL|ID")
@archive_option
@output_format
def history(key: str, archive: Path, fmt: str) -> None:
    """List the versions of one article: each distinct text the crawls found.

    For each version: its number, when it was fetched, the run that fetched it, its
    words and title, and every run that saw the story with that text.

    \b
    Examples:
        liputan history 12
        liputan history http://news.harianlangit.test/read/2022/02/22/10400078/x --json
    """
    from pipelines.versions import VersionError
    from pipelines.versions import history as article_history

    index = _open(archive)
    try:
        found = article_history(index, key)
    except VersionError as exc:
        raise fail(str(exc)) from exc
    finally:
        index.close()
    rows = [{"article_id": found.article_id, **v.row()} for v in found.versions]
    if fmt == "csv":
        rows = [{**r, "seen_by": " ".join(map(str, r["seen_by"]))} for r in rows]

    def table(rows: list[dict[str, Any]]) -> None:
        click.echo(f"[{found.article_id}] {found.url}")
        for row in rows:
            seen = ", ".join(map(str, row["seen_by"])) or "-"
            click.echo(f"  v{row['version']}  {(row['fetched_at'] or '')[:19]}  run "
                       f"{row['run_id']}  {row['word_count'] or 0} words  seen by runs {seen}")
            click.echo(f"      {row['title'] or ''}")

    emit(rows, fmt, table)


@cli.command()
@click.argument("key", metavar="ID|URL")
@archive_option
@click.option("--from", "start", type=click.IntRange(1), metavar="N",
              help="The older version (default: the one before --to).")
@click.option("--to", "end", type=click.IntRange(1), metavar="M",
              help="The newer version (default: the latest).")
def diff(key: str, archive: Path, start: int | None, end: int | None) -> None:
    """Show what changed in an article's text between two versions, as a unified diff
    (one paragraph a line; default: the last two versions).

    \b
    Examples:
        liputan diff 12
        liputan diff 12 --from 1 --to 3
    """
    from pipelines.versions import VersionError
    from pipelines.versions import diff as version_diff

    index = _open(archive)
    try:
        text = version_diff(index, key, start, end)
    except VersionError as exc:
        raise fail(str(exc)) from exc
    finally:
        index.close()
    click.echo(text)
