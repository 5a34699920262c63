"""The run history: `runs` (every run, newest first) and `report RUN` (what one run did)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from crawler.cli import archive_option, cli, emit, fail, index_path, output_format

RUNS_COLUMNS = (  # (heading, key) of the table; --json and --csv carry every key
    ("run", "run"), ("crawl", "crawl"), ("kind", "kind"), ("schedule", "schedule"),
    ("started", "started"), ("ended", "ended"), ("duration", "duration_s"),
    ("status", "status"), ("fetched", "fetched"), ("new", "new_articles"),
    ("changed", "changed_articles"),
    ("revisits", "revisits"), ("failures", "failures"), ("robots", "robots_blocked"),
)


@cli.command()
@archive_option
@click.option("--crawl", "crawl_name", metavar="NAME", help="Only the runs of this crawl.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 10_000_000),
              help="Show at most this many runs.")
@output_format
def runs(archive: Path, crawl_name: str | None, limit: int, fmt: str) -> None:
    """List the archive's runs, newest first: status, pages, articles, failures.

    Counts come from the index tables, so a run resumed over several processes counts
    whole. A `running` run whose process is gone shows as `interrupted`.

    \b
    Examples:
        liputan runs
        liputan runs --crawl kazakhstan-2022 --limit 5 --json
    """
    from pipelines.index import Index
    from pipelines.runs import run_rows

    index = Index(index_path(archive))
    try:
        rows = run_rows(index, crawl=crawl_name, limit=limit)
    finally:
        index.close()
    if not rows and fmt == "table":
        raise fail(f"no runs{f' of {crawl_name}' if crawl_name else ''} in {archive};"
                   " run `liputan crawl CONFIG` first")
    emit(rows, fmt, _runs_table)


def _runs_table(rows: list[dict[str, Any]]) -> None:
    cells = [[_cell(key, row.get(key)) for _, key in RUNS_COLUMNS] for row in rows]
    headings = [heading for heading, _ in RUNS_COLUMNS]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(headings)]
    numeric = {"run", "duration", "fetched", "new", "changed", "revisits", "failures",
               "robots"}
    for line in [headings, *cells]:
        click.echo("  ".join(c.rjust(w) if h in numeric else c.ljust(w)
                             for c, w, h in zip(line, widths, headings, strict=True)).rstrip())


def _cell(key: str, value: Any) -> str:
    if value is None:
        return ""
    if key in ("started", "ended"):
        return str(value).replace("T", " ").removesuffix("+00:00")
    if key == "duration_s":
        seconds = float(value)
        if seconds < 3600:
            return f"{seconds:.0f} s" if seconds >= 10 else f"{seconds:.1f} s"
        return f"{int(seconds // 3600)} h {int(seconds % 3600 // 60):02d} min"
    return f"{value:,}" if isinstance(value, int) else str(value)


@cli.command()
@click.argument("run_ref", metavar="RUN")
@archive_option
@click.option("--json", "as_json", is_flag=True, help="Output the report as JSON.")
@click.option("--html", "html_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the report as one self-contained HTML file.")
@click.option("--no-check", is_flag=True,
              help="Do not re-check the digests of the run's WARC files (large runs).")
def report(run_ref: str, archive: Path, as_json: bool, html_file: Path | None,
           no_check: bool) -> None:
    """Report what one run did, per outlet: fetched, archived, indexed, rejected,
    robots-blocked, errors; its WARC files, checked. RUN is a run id, `latest`, or a
    crawl's name (its latest run).

    Exit code 1 when a WARC file of the run fails its check.

    \b
    Examples:
        liputan report latest
        liputan report kazakhstan-2022 --html report.html
        liputan report 12 --json
    """
    from pipelines.index import Index
    from pipelines.report import render_html, render_json, render_text, run_report
    from pipelines.runs import find_run

    index = Index(index_path(archive))
    try:
        run_id = find_run(index, run_ref)
        if run_id is None:
            raise fail(f"no run {run_ref!r} in {archive}; list them with `liputan runs`")
        found = run_report(index, run_id, verify=not no_check)
    finally:
        index.close()
    click.echo(render_json(found) if as_json else render_text(found))
    if html_file:
        try:
            html_file.write_text(render_html(found), encoding="utf-8")
        except OSError as exc:
            raise fail(f"cannot write {html_file}: {exc.strerror}") from exc
        click.echo(f"wrote {html_file}", err=True)
    if found["valid"] is False:
        raise fail(f"the WARC files of run {run_id} have problems (listed above);"
                   " `liputan check` checks the whole archive")
