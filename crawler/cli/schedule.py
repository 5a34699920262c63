"""Recurring crawls: `schedule add|list|remove|pause|resume` and `scheduler`."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from crawler.cli import archive_option, cli, emit, fail, index_path, output_format
from crawler.cli.crawl import parse_sets
from crawler.config import ConfigError, load_config
from pipelines.lock import live_status

if TYPE_CHECKING:
    from crawler.schedule import Schedule, ScheduleBook


def _book(archive: Path, *, create: bool = False) -> ScheduleBook:
    # Imported here: the index pulls in extraction, which `liputan --help` does not need.
    from crawler.schedule import ScheduleBook
    from pipelines.index import INDEX_NAME

    return ScheduleBook(archive / INDEX_NAME if create else index_path(archive))


@cli.group()
def schedule() -> None:
    """Recurring crawls of an archive: add, list, pause, resume, remove.

    Schedules live in the archive's index; `liputan scheduler` runs them. Cron times are
    UTC ("0 23 * * *" is 06:00 WIB).

    \b
    Example:
        liputan schedule add kazakhstan crawls/kazakhstan-2022.toml --cron "0 */6 * * *"
        liputan schedule list
    """


@schedule.command("add")
@click.argument("name")
@click.argument("config_file", metavar="CONFIG", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--cron", required=True, metavar="EXPR",
              help='When to crawl: five cron fields in UTC, e.g. "0 */6 * * *", or @daily.')
@archive_option
def schedule_add(name: str, config_file: Path, cron: str, archive: Path) -> None:
    """Crawl CONFIG into the archive on a cron schedule (creates the index if absent).

    \b
    Example:
        liputan schedule add kazakhstan crawls/kazakhstan-2022.toml --cron "0 */6 * * *"
    """
    from crawler.schedule import ScheduleError, check_cron, check_name

    try:  # everything checked before the index is created
        check_name(name)
        check_cron(cron)
        load_config(config_file)
    except (ScheduleError, ConfigError) as exc:
        raise fail(str(exc)) from exc
    with _book(archive, create=True) as book:
        try:
            added = book.add(name, config_file, cron)
        except ScheduleError as exc:
            raise fail(str(exc)) from exc
    click.echo(f"schedule {added.name!r}: {added.config} at {added.cron!r} (UTC),"
               f" next run {added.next_run_at}; `liputan scheduler` runs it")


@schedule.command("list")
@archive_option
@output_format
def schedule_list(archive: Path, fmt: str) -> None:
    """The archive's schedules: cron, next run, paused, the last run and how it ended.

    \b
    Example:
        liputan schedule list --json
    """
    with _book(archive) as book:
        schedules = book.all()
    rows = [{
        "name": s.name, "cron": s.cron, "next_run_at": s.next_run_at, "paused": s.paused,
        "last_run_id": s.last_run_id,
        # A run still `running` whose crawl is gone (nobody holds the archive) is shown
        # as what it is: interrupted, resumed by the crawl's next run.
        "last_run_status": live_status(s.last_run_status, archive),
        "last_exit_code": s.last_exit_code, "last_started_at": s.last_started_at,
        "config": s.config,
    } for s in schedules]
    if fmt == "table" and not rows:
        click.echo(f"no schedules in {archive}; add one with"
                   " `liputan schedule add NAME CONFIG --cron \"0 */6 * * *\"`")
        return
    emit(rows, fmt, _echo_table)


def _echo_table(rows: list[dict[str, Any]]) -> None:
    def last(row: dict[str, Any]) -> str:
        if row["last_exit_code"] is None:
            return "never run"
        run = f"run {row['last_run_id']} " if row["last_run_id"] is not None else ""
        return f"{run}{row['last_run_status'] or 'did not start'} (exit {row['last_exit_code']})"

    table = [("name", "cron", "next run (UTC)", "paused", "last run")] + [
        (r["name"], r["cron"], r["next_run_at"] or "", "yes" if r["paused"] else "no", last(r))
        for r in rows]
    widths = [max(len(line[i]) for line in table) for i in range(len(table[0]) - 1)]
    for line in table:
        click.echo("  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=False))
                   + "  " + line[-1])


def _edit(archive: Path, change: Callable[[ScheduleBook], Schedule]) -> Schedule:
    from crawler.schedule import ScheduleError

    with _book(archive) as book:
        try:
            return change(book)
        except ScheduleError as exc:
            raise fail(str(exc)) from exc


@schedule.command("remove")
@click.argument("name")
@archive_option
def schedule_remove(name: str, archive: Path) -> None:
    """Delete a schedule (its past runs stay in the index).

    \b
    Example:
        liputan schedule remove kazakhstan
    """
    _edit(archive, lambda book: book.remove(name))
    click.echo(f"schedule {name!r} removed")


@schedule.command("pause")
@click.argument("name")
@archive_option
def schedule_pause(name: str, archive: Path) -> None:
    """Stop starting runs of a schedule until `liputan schedule resume`.

    A run already going carries on.

    \b
    Example:
        liputan schedule pause kazakhstan
    """
    _edit(archive, lambda book: book.pause(name))
    click.echo(f"schedule {name!r} paused; `liputan schedule resume {name}` restarts it")


@schedule.command("resume")
@click.argument("name")
@archive_option
def schedule_resume(name: str, archive: Path) -> None:
    """Unpause a schedule: it next runs at its first slot from now.

    \b
    Example:
        liputan schedule resume kazakhstan
    """
    resumed = _edit(archive, lambda book: book.resume(name))
    click.echo(f"schedule {name!r} resumed; next run {resumed.next_run_at}")


@cli.command()
@archive_option
@click.option("--once", is_flag=True,
              help="Run what is due now, then exit (for cron users and tests).")
@click.option("--poll", type=click.FloatRange(min=0.1), default=30.0, show_default=True,
              help="Seconds between looks at the schedules.")
@click.option("--proxy", help="Send every crawl's requests through this HTTP proxy.")
@click.option("--set", "-s", "settings", multiple=True, metavar="KEY=VALUE",
              help="A setting for every crawl it starts, as `crawl -s` (repeatable).")
def scheduler(archive: Path, once: bool, poll: float, proxy: str | None,
              settings: tuple[str, ...]) -> None:
    """Run the archive's schedules: each due crawl in its own process, one at a time.

    Stays in the foreground and logs to stderr: run it as a systemd service. A due crawl
    waits while another writer (a manual crawl) holds the archive, and a slot missed while
    the machine was off runs once. SIGTERM or Ctrl-C: no new runs; the running crawl shuts
    down gracefully (its run becomes `interrupted` and resumes at the next start), exit 0.

    \b
    Example:
        liputan scheduler --archive /srv/liputan/archive
        liputan scheduler --once --proxy http://127.0.0.1:3128
    """
    from crawler.daemon import Scheduler

    index_path(archive)
    parse_sets(settings)  # a malformed -s fails now, not in every crawl
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    runner = Scheduler(archive, proxy=proxy, settings=settings, poll=poll)
    runner.install_signal_handlers()
    if not once:
        runner.run_forever()
        return
    attempts = runner.run_due()
    if runner.waiting:
        names = ", ".join(repr(name) for name in runner.waiting)
        click.echo(f"the archive is busy; due, and run on the next pass once it is free:"
                   f" {names}", err=True)
    elif not attempts:
        click.echo("nothing due", err=True)
    failed = [a for a in attempts if not a.ok]
    if failed and not runner.stopping:
        raise fail(f"{len(failed)} of {len(attempts)} scheduled runs failed"
                   f" ({', '.join(a.schedule for a in failed)}); see the log above")
