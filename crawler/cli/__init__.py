"""The `liputan` command line: thin click wrappers over the crawler and the archive.

This module holds the group and what every command shares; the commands live by the user
they serve: crawl.py (crawling), schedule.py (recurring crawls), research.py (searching),
archive.py (upkeep), runs.py (the run history and reports), serve.py (the web UI).
"""

from __future__ import annotations

import csv
import importlib
import json
import sys
from pathlib import Path
from typing import Any

import click

from crawler import __version__
from crawler.launch import EXIT_INTERRUPTED
from pipelines.index import SQLITE_MAX_INTEGER
from pipelines.lock import ArchiveBusy, ArchiveLock

DEFAULT_ARCHIVE = "archive"
REPO_ROOT = Path(__file__).resolve().parents[2]  # crawler/cli/__init__.py -> the checkout
DEMO_CONFIG = REPO_ROOT / "crawls" / "demo.toml"

archive_option = click.option(
    "--archive", "archive", type=click.Path(file_okay=False, path_type=Path),
    default=DEFAULT_ARCHIVE, show_default=True, envvar="LIPUTAN_ARCHIVE",
    help="Archive root: WARC files under <crawl>/warcs/, the index in index.db.",
)

# A row id or a count on the command line (--run N, --limit N): past SQLite's range it is a
# usage error, not a traceback from the query.
POSITIVE = click.IntRange(1, SQLITE_MAX_INTEGER)


def fail(message: str) -> click.ClickException:
    return click.ClickException(message)


def index_path(archive: Path) -> Path:
    path = archive / "index.db"
    if not path.exists():
        raise fail(f"no index at {path}; run `liputan crawl CONFIG` or `liputan reindex WARC...`"
                    " first, or pass --archive")
    return path


def hold_archive(archive: Path, crawl: str = "", kind: str = "crawl") -> ArchiveLock:
    """The archive's lock, for a command that writes it (crawl, reindex, repair); while
    another process holds it, a one-line error naming the holder."""
    try:
        return ArchiveLock(archive, crawl, kind=kind).acquire()
    except ArchiveBusy as exc:
        raise fail(str(exc)) from exc




class _Commands(click.Group):
    """The `liputan` group: Ctrl-C in any command is one line and exit 130 (click's own
    answer is "Aborted!" and exit 1; a crawl says how to resume before it exits 130)."""

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        module = COMMAND_MODULES.get(cmd_name)
        if module is not None and cmd_name not in self.commands:
            importlib.import_module(f"crawler.cli.{module}")
        return super().get_command(ctx, cmd_name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        for module in sorted(set(COMMAND_MODULES.values())):
            importlib.import_module(f"crawler.cli.{module}")
        return super().list_commands(ctx)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            ctx.exit(EXIT_INTERRUPTED)


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="liputan")
def cli() -> None:
    """Liputan: archive Indonesian news coverage as WARC files and search it.

    \b
    Example:
        liputan demo
    """


def emit(rows: list[dict[str, Any]], fmt: str, table: Any) -> None:
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

def echo_hits_table(rows: list[dict[str, Any]]) -> None:
    for row in rows:
        date = (row.get("published_at") or "")[:10]
        click.echo(f"[{row['id']}] {date}  {row.get('outlet') or ''}  {row.get('title') or ''}")
        click.echo(f"      {row['url']}")
        if row.get("snippet"):
            click.echo(f"      {' '.join(row['snippet'].split())}")


def echo_timeline_table(counts: list[Any]) -> None:
    """Counts as a table: a row per period, a column per outlet, and the total."""
    from pipelines.plot import pivot

    periods, series = pivot(counts)
    names = list(series)
    widths = [max(len(n), 5) for n in names]
    click.echo("  ".join([f"{'period':<10}", *(f"{n:>{w}}" for n, w in zip(names, widths,
                                                                          strict=True)),
                          f"{'total':>6}"]))
    for i, period in enumerate(periods):
        values = [series[n][i] for n in names]
        click.echo("  ".join([f"{period:<10}", *(f"{v:>{w}}" for v, w in zip(values, widths,
                                                                            strict=True)),
                              f"{sum(values):>6}"]))


def echo_timeline_chart(counts: list[Any], width: int = 50) -> None:
    """Counts as horizontal bars, one line per period (outlets together)."""
    from pipelines.plot import pivot

    periods, series = pivot(counts)
    totals = [sum(values[i] for values in series.values()) for i in range(len(periods))]
    most = max(totals, default=0) or 1
    for period, total in zip(periods, totals, strict=True):
        bar = "█" * round(width * total / most)
        click.echo(f"{period:<10} {bar} {total}")


def main() -> None:
    cli(prog_name="liputan")  # also under `python -m crawler.cli`: usage lines say liputan


# The commands, by the module that defines them (each adds its own to the group): one is
# imported when its command runs, so a search does not load the crawler; `liputan --help`
# imports them all. tests/test_cli_errors.py checks this against what the modules define.
COMMAND_MODULES = {
    "crawl": "crawl", "demo": "crawl",
    "extract": "archive", "reindex": "archive", "check": "archive", "regate": "archive",
    "package": "package",
    "search": "research", "export": "research", "timeline": "research", "show": "research",
    "clusters": "graph", "links": "graph", "graph": "graph",
    "history": "history", "diff": "history",
    "runs": "runs", "report": "runs",
    "schedule": "schedule", "scheduler": "schedule",
    "serve": "serve",
}
