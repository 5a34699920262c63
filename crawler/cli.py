"""The `liputan` command line: thin click wrappers over the crawler and the archive."""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any

import click

from crawler import __version__
from crawler.config import ConfigError, load_config

DEFAULT_ARCHIVE = "archive"
REPO_ROOT = Path(__file__).resolve().parents[1]
DEMO_CONFIG = REPO_ROOT / "crawls" / "demo.toml"

archive_option = click.option(
    "--archive", "archive", type=click.Path(file_okay=False, path_type=Path),
    default=DEFAULT_ARCHIVE, show_default=True, envvar="LIPUTAN_ARCHIVE",
    help="Archive root: WARC files under <crawl>/warcs/, the index in index.db.",
)


def _fail(message: str) -> click.ClickException:
    return click.ClickException(message)


def _index_path(archive: Path) -> Path:
    path = archive / "index.db"
    if not path.exists():
        raise _fail(f"no index at {path}; run `liputan crawl CONFIG` or `liputan reindex WARC...`"
                    " first, or pass --archive")
    return path


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="liputan")
def cli() -> None:
    """Liputan: archive Indonesian news coverage as WARC files and search it.

    \b
    Example:
        liputan demo
    """


# -- crawling -------------------------------------------------------------------------------
def _parse_sets(values: tuple[str, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise _fail(f"--set expects KEY=VALUE, got {item!r}")
        out[key.strip()] = value
    return out


def _print_summary(result: Any) -> None:
    stats = result.stats
    elapsed = stats.get("liputan/elapsed_seconds") or stats.get("elapsed_time_seconds") or 0
    pages = stats.get("downloader/response_count", 0)
    rate = pages / elapsed if elapsed else 0.0
    warcs = sorted((result.archive / result.config.name / "warcs").glob("*.warc.gz"))
    click.echo(f"Crawl {result.config.name!r} {result.finish_reason} in {elapsed:.1f} s")
    click.echo(f"  pages fetched      {pages:>8,}  ({rate:.1f} pages/s)")
    click.echo(f"  captures archived  {stats.get('liputan/captures', 0):>8,}"
               f"  ({stats.get('liputan/revisits', 0)} revisits,"
               f" {stats.get('liputan/warc_bytes', 0) / 1e6:.1f} MB of WARC)")
    click.echo(f"  articles indexed   {stats.get('liputan/articles', 0):>8,}")
    click.echo(f"  fetch failures     {stats.get('liputan/fetch_failures', 0):>8,}"
               f"  extraction errors {stats.get('liputan/extraction_errors', 0):,}")
    click.echo(f"  robots.txt blocked {stats.get('robotstxt/forbidden', 0):>8,}")
    click.echo(f"  WARC files         {len(warcs):>8,}  in {result.archive / result.config.name}"
               "/warcs")
    click.echo(f"  index              {result.archive / 'index.db'}")


def _emit(rows: list[dict[str, Any]], fmt: str, table: Any) -> None:
    if fmt == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
    elif fmt == "csv":
        writer = csv.DictWriter(sys.stdout, fieldnames=list(rows[0]) if rows else ["id"])
        writer.writeheader()
        writer.writerows(rows)
    else:
        table(rows)


def output_format(func: Any) -> Any:
    func = click.option("--csv", "fmt", flag_value="csv", help="Output CSV.")(func)
    func = click.option("--json", "fmt", flag_value="json", help="Output JSON.")(func)
    return click.option("--table", "fmt", flag_value="table", default=True,
                        help="Output a readable table (default).")(func)


@cli.command()
@click.argument("config_file", metavar="CONFIG", type=click.Path(dir_okay=False, path_type=Path))
@archive_option
@click.option("--proxy", help="Send every request through this HTTP proxy.")
@click.option("--set", "-s", "settings", multiple=True, metavar="KEY=VALUE",
              help="Override a Scrapy or LIPUTAN_* setting (repeatable).")
@click.option("--stats-json", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the crawl's final stats to this JSON file.")
@click.option("--dry-run", is_flag=True,
              help="Print the discovery plan (every start URL by source and outlet) and the "
                   "topic's strongest terms; fetch nothing.")
@output_format
def crawl(config_file: Path, archive: Path, proxy: str | None, settings: tuple[str, ...],
          stats_json: Path | None, dry_run: bool, fmt: str) -> None:
    """Crawl the sources of CONFIG into the archive (WARC + index).

    \b
    Example:
        liputan crawl crawls/kazakhstan-2022.toml --archive archive
        liputan crawl crawls/kazakhstan-2022.toml --dry-run
    """
    try:
        config = load_config(config_file)
    except ConfigError as exc:
        raise _fail(str(exc)) from exc
    if dry_run:
        _print_plan(config, fmt)
        return
    from crawler.run import run_crawl
    result = run_crawl(config, archive, proxy=proxy, overrides=_parse_sets(settings))
    _print_summary(result)
    if stats_json:
        stats_json.write_text(json.dumps(result.stats, default=str, indent=2, sort_keys=True))
    if result.finish_reason not in ("finished", "closespider_pagecount"):
        raise _fail(f"crawl ended early: {result.finish_reason}")


def _print_plan(config: Any, fmt: str) -> None:
    from crawler.focus import Focus
    from crawler.plan import crawl_profiles, discovery_plan

    profiles = crawl_profiles(config)
    rows = [{"source": r.source, "outlet": r.outlet, "url": r.url}
            for r in discovery_plan(config, profiles)]
    if fmt != "table":
        _emit(rows, fmt, None)
        return
    topic = config.topic
    click.echo(f"crawl {config.name}: {len(rows)} start URLs, {len(profiles)} outlets, "
               f"budget {config.limits.max_pages:,} pages")
    window = f"{topic.published_after or '…'} to {topic.published_before or '…'}"
    click.echo(f"  language {topic.language or 'any'}, published {window}, "
               f"threshold {topic.threshold}")
    try:
        terms = Focus.from_config(config).topic.describe(10)
        click.echo(f"  entities: {', '.join(terms['entities'])}")
        if terms["context"]:
            click.echo(f"  context:  {', '.join(terms['context'])}")
    except ValueError:
        click.echo("  no keywords or seed texts: every article is coverage")
    click.echo(f"  scope: {', '.join(config.scope_domains(profiles))}")
    for outlet in [p.key for p in profiles] + [""]:
        mine = [r for r in rows if r["outlet"] == outlet]
        if not mine:
            continue
        profile = next((p for p in profiles if p.key == outlet), None)
        unverified = f"  (unverified: {', '.join(profile.unverified)})" if (
            profile and profile.unverified) else ""
        click.echo(f"\n{outlet or 'config'}{unverified}")
        for row in mine:
            click.echo(f"  {row['source']:<13} {row['url']}")


@contextmanager
def fixture_web(extra_args: tuple[str, ...] = ()) -> Iterator[dict[str, Any]]:
    """The bundled fixture web in a child process; yields its JSON description."""
    if not (REPO_ROOT / "tests" / "fixtureweb").is_dir():
        raise _fail("the demo needs a source checkout (tests/fixtureweb is missing)")
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.fixtureweb", "--port", "0", *extra_args],
        cwd=REPO_ROOT, stdout=subprocess.PIPE, text=True,
    )
    try:
        line = proc.stdout.readline() if proc.stdout else ""
        if not line:
            raise _fail("the fixture web did not start")
        yield json.loads(line)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@cli.command()
@archive_option
@click.option("--query", default="Kazakhstan", show_default=True,
              help="Search to run on the fresh index.")
def demo(archive: Path, query: str) -> None:
    """Crawl the bundled sample web (served on 127.0.0.1) and search the result.

    Serves the fixture web's fictional Indonesian outlets, crawls them with
    crawls/demo.toml (no delay), writes WARC files and the index, prints a summary
    and the top hits for QUERY.

    \b
    Example:
        liputan demo --archive /tmp/liputan-demo
    """
    from crawler.run import run_crawl
    from pipelines.index import Index

    try:
        config = load_config(DEMO_CONFIG)
    except ConfigError as exc:
        raise _fail(str(exc)) from exc
    with fixture_web() as web:
        click.echo(f"Fixture web on {web['proxy_url']}: {', '.join(web['hosts'])}")
        result = run_crawl(config, archive, proxy=web["proxy_url"],
                           overrides={"LOG_LEVEL": "WARNING"})
    _print_summary(result)
    index = Index(_index_path(archive))
    hits = index.search(query, limit=5)
    index.close()
    click.echo(f"\nSearch {query!r}: {len(hits)} hits shown")
    _echo_hits_table([asdict(h) for h in hits])
    if not hits:
        raise _fail(f"the demo found no article matching {query!r}")


# -- researching ----------------------------------------------------------------------------
def _echo_hits_table(rows: list[dict[str, Any]]) -> None:
    for row in rows:
        date = (row.get("published_at") or "")[:10]
        click.echo(f"[{row['id']}] {date}  {row.get('outlet') or ''}  {row.get('title') or ''}")
        click.echo(f"      {row['url']}")
        if row.get("snippet"):
            click.echo(f"      {' '.join(row['snippet'].split())}")


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
            raise _fail(f"{name} expects a date like 2022-01-31, got {value!r}")
    index = Index(_index_path(archive))
    try:
        hits = index.search(query, outlet=outlet, since=since, until=until, limit=limit)
    except SearchQueryError as exc:
        raise _fail(str(exc)) from exc
    finally:
        index.close()
    _emit([asdict(h) for h in hits], fmt, _echo_hits_table)


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

    index = Index(_index_path(archive))
    try:
        row = index.article(key)
        pages = index.article_pages(row["id"]) if row else []
    finally:
        index.close()
    if row is None:
        raise _fail(f"no article with id or URL {key!r}; find one with `liputan search`")
    row["article_pages"] = pages
    if raw:
        try:
            record, payload = read_record(archive, (row["warc_file"], row["warc_offset"],
                                                    row["warc_length"]))
        except WarcError as exc:
            raise _fail(str(exc)) from exc
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


@cli.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--url", required=True,
              help="The page's URL: resolves links and the canonical URL, dates in the path.")
@click.option("--captured-at", metavar="ISO8601",
              help="When the page was fetched, for relative dates (\"2 jam lalu\").")
@click.option("--json", "as_json", is_flag=True, help="Output the article as JSON.")
def extract(file: Path, url: str, captured_at: str | None, as_json: bool) -> None:
    """Extract the article from one saved HTML page (gzip-compressed files too).

    The same extraction the crawl and `reindex` run; evaluations call it this way.

    \b
    Examples:
        liputan extract page.html --url https://news.example.id/berita/d-1/judul
        liputan extract page.html.gz --url https://example.id/read/2022/01/06/1/x --json
    """
    import gzip
    from datetime import datetime

    from pipelines.extract import ExtractionError, article_from_bytes, is_html

    moment = None
    if captured_at:
        try:
            moment = datetime.fromisoformat(captured_at.replace("Z", "+00:00"))
        except ValueError as exc:
            raise _fail(f"--captured-at {captured_at!r} is not an ISO 8601 date-time") from exc
    try:
        body = file.read_bytes()
        if body[:2] == b"\x1f\x8b":
            body = gzip.decompress(body)
    except (OSError, EOFError) as exc:
        raise _fail(f"cannot read {file}: {exc}") from exc
    head = body[:8192]
    if b"\x00" in head or not (is_html(None, body) or re.search(
            rb"<(html|head|body|div|p|article)\b", head, re.I)):
        raise _fail(f"{file} is not an HTML page")
    try:
        article = article_from_bytes(body, url, captured_at=moment)
    except ExtractionError as exc:
        raise _fail(f"{file}: {exc}") from exc
    if article is None:
        raise _fail(f"{file}: no article text found")
    fields = asdict(article)
    fields["tags"] = list(article.tags)
    if as_json:
        click.echo(json.dumps(fields, ensure_ascii=False, indent=2))
        return
    for field in ("title", "author", "editor", "source", "published_at", "date_source",
                  "outlet", "language", "url", "canonical_url", "word_count"):
        click.echo(f"{field:>14}: {fields[field] if fields[field] is not None else ''}")
    click.echo("")
    click.echo(article.text)


# -- archive maintenance --------------------------------------------------------------------
@cli.command()
@click.argument("warcs", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@archive_option
@click.option("--workers", type=int, default=0, help="Extraction processes (0 = all cores).")
def reindex(warcs: tuple[Path, ...], archive: Path, workers: int) -> None:
    """Rebuild the index from WARC files (Liputan's or other tools', e.g. wget's).

    Damaged files are reported and skipped after their last good record; exit code 1 if
    any file had problems.

    \b
    Example:
        rm archive/index.db && liputan reindex archive/*/warcs/*.warc.gz
    """
    from pipelines.reindex import reindex as rebuild
    from pipelines.stages import default_workers, extraction_pool

    started = time.monotonic()
    total = len(warcs)
    done = 0

    def on_file(path: Path, records: int) -> None:
        nonlocal done
        done += 1
        click.echo(f"[{done}/{total}] {path}: {records:,} records so far", err=True)

    with extraction_pool(workers or default_workers()) as pool:
        report = rebuild(warcs, archive, pool=pool, on_file=on_file)
    elapsed = time.monotonic() - started
    click.echo(f"Reindexed {report.files} WARC files: {report.records:,} records,"
               f" {report.captures:,} captures, {report.articles:,} articles"
               f" in {elapsed:.1f} s into {archive / 'index.db'}")
    for problem in report.problems:
        click.echo(f"problem: {problem}", err=True)
    if report.problems:
        raise _fail(f"{len(report.problems)} WARC file(s) had problems (see above)")


@cli.command()
@archive_option
def check(archive: Path) -> None:
    """Verify WARC digests and that every index pointer reads back its record.

    \b
    Example:
        liputan check --archive archive
    """
    from pipelines.check import check_archive

    if not archive.is_dir():
        raise _fail(f"no archive at {archive}")
    report = check_archive(archive, on_file=lambda p: click.echo(f"checked {p}", err=True))
    click.echo(f"{report.files} WARC files, {report.records:,} records, {report.pointers:,}"
               f" capture pointers, {report.articles:,} articles checked:"
               f" {len(report.problems)} problems")
    for problem in report.problems:
        click.echo(f"problem: {problem}")
    if not report.ok:
        raise _fail(f"{len(report.problems)} problems found")


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
