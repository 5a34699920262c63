"""Crawling: `crawl`, `demo`."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any

import click

from crawler.cli import (
    DEFAULT_ARCHIVE,
    DEMO_CONFIG,
    EXIT_INTERRUPTED,
    POSITIVE,
    REPO_ROOT,
    archive_option,
    cli,
    echo_hits_table,
    emit,
    fail,
    hold_archive,
    index_path,
    output_format,
)
from crawler.config import ConfigError, load_config


def parse_sets(values: tuple[str, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise fail(f"--set expects KEY=VALUE, got {item!r}")
        out[key.strip()] = value
    return out


def _print_summary(result: Any) -> None:
    """The run's figures, whole (from the index: a resumed run's earlier processes count),
    then what this process did."""
    stats, run = result.stats, result.run or {}
    elapsed = stats.get("liputan/elapsed_seconds") or stats.get("elapsed_time_seconds") or 0
    here = stats.get("downloader/response_count", 0)
    rate = here / elapsed if elapsed else 0.0
    warcs = sorted((result.archive / result.config.name / "warcs").glob("*.warc.gz"))
    named = f"Run {run['run']} of crawl" if run else "Crawl"
    resumed = f", resumed {run['resumed']} times" if run.get("resumed") else ""
    click.echo(f"{named} {result.config.name!r} {result.status}{resumed}")
    click.echo(f"  pages fetched      {run.get('fetched', here):>8,}")
    click.echo(f"  records archived   {run.get('archived', 0):>8,}"
               f"  ({run.get('revisits', 0):,} revisits)")
    click.echo(f"  new articles       {run.get('new_articles', 0):>8,}")
    known, rechecked = (stats.get(f"liputan/recrawl/{k}", 0) for k in ("known", "rechecked"))
    if known or rechecked:  # a later run of the crawl: what earlier runs had archived
        click.echo(f"  archived before    {known:>8,}  left out, {rechecked:,} rechecked"
                   f" ({stats.get('liputan/recrawl/not_modified', 0):,} not modified)")
    feedback = result.feedback
    if feedback is not None and feedback.learned_terms:
        click.echo(f"  feedback           {feedback.added:>8,}  more articles:"
                   f" {len(feedback.learned_terms)} terms learned from"
                   f" {feedback.confident:,} confident ones,"
                   f" {feedback.reread:,} kept-out pages judged again")
    click.echo(f"  fetch failures     {run.get('failures', 0):>8,}")
    click.echo(f"  robots.txt blocked {run.get('robots_blocked', 0):>8,}")
    if run.get("refused"):
        click.echo(f"  refused (scope)    {run['refused']:>8,}  off site, link-local, metadata,"
                   " not http (`liputan report` lists them)")
    click.echo(f"  this process       {here:>8,}  responses in {elapsed:.1f} s ({rate:.1f}/s),"
               f" {stats.get('liputan/warc_bytes', 0) / 1e6:.1f} MB of WARC,"
               f" {stats.get('liputan/extraction_errors', 0):,} extraction errors")
    click.echo(f"  WARC files         {len(warcs):>8,}  in {result.archive / result.config.name}"
               "/warcs")
    click.echo(f"  index              {result.archive / 'index.db'}")
    if result.wacz is not None:
        click.echo(f"  WACZ               {result.wacz}")


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
@click.option("--package", "package_run", is_flag=True,
              help="After a finished run, write its CDXJ and WACZ (LIPUTAN_PACKAGE=True;"
                   " see `liputan package`).")
@click.option("--schedule-id", type=POSITIVE, hidden=True,
              help="The schedule this run belongs to (the scheduler passes it).")
@output_format
def crawl(config_file: Path, archive: Path, proxy: str | None, settings: tuple[str, ...],
          stats_json: Path | None, dry_run: bool, package_run: bool, schedule_id: int | None,
          fmt: str) -> None:
    """Crawl the sources of CONFIG into the archive (WARC + index).

    \b
    Example:
        liputan crawl crawls/kazakhstan-2022.toml --archive archive
        liputan crawl crawls/kazakhstan-2022.toml --dry-run
        liputan crawl crawls/kazakhstan-2022.toml --package   # + archive/<crawl>/*.wacz
    """
    try:
        config = load_config(config_file)
    except ConfigError as exc:
        raise fail(str(exc)) from exc
    if dry_run:
        _print_plan(config, fmt)
        return
    from crawler.run import run_crawl
    overrides = parse_sets(settings)
    if schedule_id:
        overrides["LIPUTAN_SCHEDULE_ID"] = schedule_id
    if package_run:
        overrides["LIPUTAN_PACKAGE"] = True
    from crawler.components.options import OptionsError
    from crawler.run import checked_settings
    try:
        checked_settings(archive, proxy, overrides)
    except OptionsError as exc:
        raise fail(str(exc)) from exc
    with hold_archive(archive, config.name):
        result = run_crawl(config, archive, proxy=proxy, overrides=overrides)
    _print_summary(result)
    if stats_json:
        stats_json.write_text(json.dumps(result.stats, default=str, indent=2, sort_keys=True))
    if result.run is None:
        raise fail(f"crawl ended before its run started: {result.finish_reason}")
    if result.status == "interrupted":
        click.echo(f"Interrupted: run {result.run['run']} of {config.name!r} is saved; run"
                   " the same command again to resume it.", err=True)
        sys.exit(EXIT_INTERRUPTED)
    if result.left_for_later:
        click.echo(f"Interrupted after the crawl: run {result.run['run']} of {config.name!r}"
                   f" {result.status}; {result.left_for_later}.", err=True)
        sys.exit(EXIT_INTERRUPTED)
    if result.package_problem:
        raise fail(f"run {result.run['run']} of {config.name} finished, but its WACZ was not"
                   f" written: {result.package_problem}; `liputan package {config.name}"
                   f" --run {result.run['run']}` tries again")
    if result.status != "finished":
        # One line cron mails: which run, how it ended, why, where to look.
        run = result.run
        raise fail(f"run {run['run']} of {config.name} {result.status} (pages fetched"
                   f" {run['fetched']}, failed fetches {run['failures']}"
                   f"{_commonest_failure(archive, run['run'], run['failures'])});"
                   f" see `liputan report {run['run']}`")


def _commonest_failure(archive: Path, run_id: int, failures: int) -> str:
    """What the run's failed fetches went wrong with, for its one line: a closed port or
    a dead host says so at once."""
    from pipelines.index import Index
    from pipelines.runs import commonest_failure

    index = Index(index_path(archive))
    try:
        found = commonest_failure(index, run_id)
    finally:
        index.close()
    if found is None:
        return ""
    error, count = found
    error = error if len(error) <= 160 else error[:157] + "..."
    return f": {error}" if count == failures else f", {count} of them: {error}"


def _print_plan(config: Any, fmt: str) -> None:
    from crawler.focus import Focus
    from crawler.plan import crawl_profiles, discovery_plan

    profiles = crawl_profiles(config)
    rows = [{"source": r.source, "outlet": r.outlet, "url": r.url}
            for r in discovery_plan(config, profiles)]
    if fmt != "table":
        emit(rows, fmt, None)
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
        raise fail("the demo needs a source checkout (tests/fixtureweb is missing)")
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.fixtureweb", "--port", "0", *extra_args],
        cwd=REPO_ROOT, stdout=subprocess.PIPE, text=True,
    )
    try:
        line = proc.stdout.readline() if proc.stdout else ""
        if not line:
            raise fail("the fixture web did not start")
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
        raise fail(str(exc)) from exc
    with hold_archive(archive, config.name), fixture_web() as web:
        click.echo(f"Fixture web on {web['proxy_url']}: {', '.join(web['hosts'])}")
        result = run_crawl(config, archive, proxy=web["proxy_url"],
                           overrides={"LOG_LEVEL": "WARNING"})
    _print_summary(result)
    index = Index(index_path(archive))
    hits = index.search(query, limit=5)
    index.close()
    click.echo(f"\nSearch {query!r}: {len(hits)} hits shown")
    echo_hits_table([asdict(h) for h in hits])
    if not hits:
        raise fail(f"the demo found no article matching {query!r}")
    where = "" if archive == Path(DEFAULT_ARCHIVE) else f" --archive {archive}"
    click.echo(f"\nBrowse, search and chart it in your browser: liputan serve{where}"
               "  (then open http://127.0.0.1:8001/)")
    click.echo(f"Export it: liputan export{where} --format csv -o demo.csv;"
               f" counts per day: liputan timeline{where} --chart")


