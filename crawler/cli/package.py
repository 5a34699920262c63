"""`liputan package`: a crawl (or one run) as CDXJ indexes and a WACZ for replay."""

from __future__ import annotations

from pathlib import Path

import click

from crawler.cli import POSITIVE, archive_option, cli, fail, index_path


@cli.command()
@click.argument("crawl")
@archive_option
@click.option("--run", "run_id", type=POSITIVE, default=None,
              help="Package this run only (see `liputan runs`); default: every run.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="The WACZ to write (default: <archive>/<crawl>/<crawl>.wacz).")
@click.option("--no-validate", is_flag=True, help="Skip `wacz validate` on the result.")
def package(crawl: str, archive: Path, run_id: int | None, output: Path | None,
            no_validate: bool) -> None:
    """Write a CDXJ index beside every sealed WARC of CRAWL and one WACZ of it.

    The WACZ's pages/pages.jsonl lists exactly the indexed articles (URL, capture time,
    title), so ReplayWeb.page opens the coverage, not a guess. WARC files still being
    written (.open) are left out and named.

    \b
    Examples:
        liputan package demo                       # archive/demo/demo.wacz
        liputan package demo --run 3 -o run3.wacz
    """
    from pipelines.package import PackageError, run_wacz, validate
    from pipelines.package import package as make_package

    index_path(archive)
    output = output or run_wacz(archive, crawl, run_id)
    try:
        report = make_package(archive, crawl, output, run_id,
                              on_step=lambda step: click.echo(step, err=True))
    except PackageError as exc:
        raise fail(str(exc)) from exc
    for name in report.open_files:
        click.echo(f"left out (still being written): {name}", err=True)
    if not no_validate and not validate(report.wacz):
        raise fail(f"{report.wacz} does not pass `wacz validate`")
    click.echo(f"{report.wacz}: {len(report.warcs)} WARC files, {report.pages:,} pages;"
               f" {len(report.cdxj)} CDXJ indexes beside the WARCs")
