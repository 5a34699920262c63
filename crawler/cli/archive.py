"""Keeping the archive: `extract`, `reindex`, `regate`, `check`."""

from __future__ import annotations

import json
import re
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import click

from crawler.cli import (
    archive_option,
    cli,
    fail,
    hold_archive,
    index_path,
)
from pipelines.pool import MAX_WORKERS


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
    from datetime import datetime

    from crawler.outlets import known_outlets
    from pipelines.decoding import MAX_BODY_BYTES, BodyTooLarge, decode_bytes
    from pipelines.extract import ExtractionError, article_from_bytes, is_html

    moment = None
    if captured_at:
        try:
            moment = datetime.fromisoformat(captured_at.replace("Z", "+00:00"))
        except ValueError as exc:
            raise fail(f"--captured-at {captured_at!r} is not an ISO 8601 date-time") from exc
    try:
        with open(file, "rb") as fh:
            body = fh.read(MAX_BODY_BYTES + 1)  # a page over the cap is not read whole
        if len(body) > MAX_BODY_BYTES:
            raise BodyTooLarge(MAX_BODY_BYTES, "stored")
        if body[:2] == b"\x1f\x8b":
            body = decode_bytes(body, "gzip")
    except BodyTooLarge as exc:
        raise fail(f"{file}: {exc}: not extracted (the crawl's cap)") from exc
    except OSError as exc:
        raise fail(f"cannot read {file}: {exc}") from exc
    head = body[:8192]
    if b"\x00" in head or not (is_html(None, body) or re.search(
            rb"<(html|head|body|div|p|article)\b", head, re.I)):
        raise fail(f"{file} is not an HTML page")
    try:
        article = article_from_bytes(body, url, captured_at=moment,
                                     boilerplate=known_outlets().boilerplate_for(url))
    except ExtractionError as exc:
        raise fail(f"{file}: {exc}") from exc
    if article is None:
        raise fail(f"{file}: no article text found")
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
@click.option("--workers", type=click.IntRange(0, MAX_WORKERS), default=0,
              help="Extraction processes (0 = all cores).")
@click.option("--no-gates", is_flag=True,
              help="Index every article: do not re-apply the crawl's language, window and "
                   "topic gates stored with its WARC files.")
def reindex(warcs: tuple[Path, ...], archive: Path, workers: int, no_gates: bool) -> None:
    """Rebuild the index from WARC files (Liputan's or other tools', e.g. wget's).

    Liputan's WARC files carry their crawl's config: its gates (language, publication
    window, topic relevance) apply again, so the index holds the crawl's articles;
    --no-gates indexes every article. Other tools' WARC files are indexed without gates.
    A damaged record costs only itself: each damaged file is one line ("N records, K
    damaged at <byte ranges>"), every readable record of it is indexed, and the other files
    go on. Exit code 1 if anything was damaged or unreadable.

    \b
    Example:
        rm archive/index.db && liputan reindex archive/*/warcs/*.warc.gz
        liputan reindex --no-gates --archive everything archive/demo/warcs/*.warc.gz
    """
    from crawler.components.workers import analyse_in_worker, set_focus
    from crawler.feedback import apply_feedback
    from pipelines.cluster import cluster_archive
    from pipelines.decoding import MAX_BODY_BYTES
    from pipelines.pool import default_workers, extraction_pool
    from pipelines.reindex import ReindexReport
    from pipelines.reindex import reindex as rebuild

    started = time.monotonic()
    total = len(warcs)
    done = 0

    def on_file(path: Path, records: int) -> None:
        nonlocal done
        done += 1
        click.echo(f"[{done}/{total}] {path}: {records:,} records so far", err=True)

    report, notes, added = ReindexReport(), [], 0
    with hold_archive(archive, kind="reindex"):
        for document, paths in _by_stored_config(warcs):
            try:
                focus, note = _gates(document, paths, no_gates)
            except ValueError as exc:  # reported, and the other crawls' files go on
                report.files += len(paths)
                report.problems.append(f"{exc}: {len(paths)} WARC file(s) not reindexed;"
                                       " reindex them with --no-gates")
                continue
            notes.append(note)
            with extraction_pool(workers or default_workers(), 0, set_focus, (focus,)) as pool:
                rebuilt = rebuild(paths, archive, pool=pool, on_file=on_file,
                                  analyse=analyse_in_worker, gated=focus is not None)
            report.add(rebuilt)
            if focus is not None:  # what the crawl learned after its runs, learned again
                learned = apply_feedback(archive, rebuilt.crawl, focus, workers=workers,
                                         run_id=rebuilt.run_id)
                notes.append(f"relevance feedback: {len(learned.learned_terms)} terms learned"
                             f" from {learned.confident:,} confident articles,"
                             f" {learned.added:,} more articles")
                added += learned.added
                report.rejected["topic"] = report.rejected.get("topic", 0) - learned.added
        clustered = cluster_archive(archive)
        notes.append(f"syndication clusters: {clustered.clusters:,} of 2 or more articles"
                     f" hold {clustered.clustered:,} of {clustered.articles:,}")
    if report.too_large:
        notes.append(f"{report.too_large:,} capture(s) with a body over"
                     f" {MAX_BODY_BYTES >> 20} MB (stored or decoded): indexed with the"
                     " reason, not extracted")
    if report.unresolved_revisits:
        notes.append(f"{report.unresolved_revisits:,} revisit record(s) of HTML pages refer to"
                     " records in no indexed WARC file (reindex those files too, first):"
                     " not analysed")
    kept_out = ", ".join(f"{n:,} {gate}" for gate, n in sorted(report.rejected.items()) if n)
    click.echo(f"Reindexed {report.files} WARC files: {report.records:,} records,"
               f" {report.captures:,} captures, {report.articles + added:,} articles"
               + (f" (captured articles kept out by the gates: {kept_out})" if kept_out else "")
               + f" in {time.monotonic() - started:.1f} s into {archive / 'index.db'}")
    for note in notes:
        click.echo(f"note: {note}")
    for problem in report.problems:
        click.echo(f"problem: {problem}", err=True)
    if report.problems:
        raise fail(f"{len(report.problems)} WARC file(s) had problems (see above); every"
                   " readable record was indexed")


def _by_stored_config(warcs: tuple[Path, ...]) -> list[tuple[dict[str, Any] | None, list[Path]]]:
    """The files by the crawl config they carry (one crawl; a config edited between runs is
    another), in the order given: each batch's workers hold its crawl's focus."""
    from pipelines.warc import read_stored_config

    batches: dict[str, tuple[dict[str, Any] | None, list[Path]]] = {}
    for path in warcs:
        document = read_stored_config(path)
        batches.setdefault(json.dumps(document, sort_keys=True), (document, []))[1].append(path)
    return list(batches.values())


def _gates(document: dict[str, Any] | None, paths: list[Path], no_gates: bool
           ) -> tuple[Any, str]:
    """(the focus that reindexes these files, or None; a note saying so). Raises ValueError
    (ConfigError) when the stored config cannot be read."""
    from crawler.focus import focus_from_stored

    files = f"{len(paths)} WARC file(s)"
    if document is None:
        return None, (f"{files} carry no crawl config (other tools', or older Liputan"
                      " ones): indexed without gates")
    if no_gates:
        return None, f"{files}: gates off (--no-gates), every article indexed"
    focus = focus_from_stored(document, str(paths[0]))
    if focus is None:
        return None, (f"{files}: their crawl ran without gates (LIPUTAN_FOCUS=False or no"
                      " topic): every article indexed")
    return focus, (f"{files} of crawl {document['config'].get('name', '?')!r}: its gates"
                   f" applied (language {focus.language or 'any'}, published"
                   f" {focus.published_after or '…'} to {focus.published_before or '…'},"
                   f" relevance from {focus.threshold})")


@cli.command()
@archive_option
@click.option("--repair", is_flag=True,
              help="First seal WARC files a dead process left open (cut back to their last"
                   " complete record) and bring the index in step with the WARCs.")
def check(archive: Path, repair: bool) -> None:
    """Verify WARC digests, that every index pointer reads back its record, and that the
    index is not behind its WARCs (after a crash).

    A damaged record is reported with its byte range, one line per file ("N records, K
    damaged at ..."), and every record after it is checked all the same. Exit code 1 when
    anything is found.

    \b
    Examples:
        liputan check --archive archive
        liputan check --repair      # after a crash, if you will not resume the crawl
    """
    from pipelines.check import check_archive, repair_archive
    from pipelines.lock import is_locked

    if not archive.is_dir():
        raise fail(f"no archive at {archive}")
    if repair:
        with hold_archive(archive, kind="repair"):
            fixed = repair_archive(archive)
        click.echo(f"repaired: {len(fixed.sealed)} WARC files sealed ({fixed.cut_bytes:,}"
                   f" bytes of partial records cut), {fixed.added:,} captures added to the"
                   f" index, {fixed.removed:,} rows pointing at nothing removed")
        for problem in fixed.problems:
            click.echo(f"problem: {problem}", err=True)
    # While a crawl writes, its .open file and newest records are ahead of the index by design.
    report = check_archive(archive, on_file=lambda p: click.echo(f"checked {p}", err=True),
                           writing=is_locked(archive))
    click.echo(f"{report.files} WARC files, {report.records:,} records, {report.pointers:,}"
               f" capture pointers, {report.articles:,} articles checked:"
               f" {len(report.problems)} problems")
    for problem in report.problems:
        click.echo(f"problem: {problem}")
    if not report.ok:
        count = len(report.problems)
        raise fail(f"{count} problem{'s' if count != 1 else ''} found")




@cli.command()
@archive_option
@click.option("--crawl", "crawl_name", metavar="NAME", required=True,
              help="The crawl whose archived pages are judged again.")
@click.option("--threshold", type=click.FloatRange(0, 1, min_open=True), default=None,
              help="Relevance from which an article is coverage (default: the crawl's).")
@click.option("--workers", type=click.IntRange(0, MAX_WORKERS), default=0,
              help="Extraction processes (0 = all cores).")
def regate(archive: Path, crawl_name: str, threshold: float | None, workers: int) -> None:
    """Judge a crawl's archived pages again, fetching nothing: relevance feedback from its
    coverage, and the topic gate at another threshold if given.

    The crawl's focus is rebuilt from the config its newest WARC file carries. A lower
    threshold brings in kept-out pages that reach it; a higher one takes out articles
    below it (their captures stay, with the verdict). The index changes, not the crawl:
    its next run, or a reindex, applies the config's threshold (set topic.threshold to
    keep the new one).

    \b
    Examples:
        liputan regate --crawl kazakhstan-2022 --threshold 0.4
        liputan regate --crawl kazakhstan-2022          # feedback only (after a kill)
    """
    from crawler.feedback import regate as judge_again
    from crawler.focus import focus_from_stored
    from pipelines.warc import read_stored_config

    warcs = sorted((archive / crawl_name / "warcs").glob("*.warc.gz"))
    if not warcs:
        raise fail(f"no WARC files of crawl {crawl_name!r} in {archive / crawl_name / 'warcs'}")
    document = read_stored_config(warcs[-1])
    if document is None:
        raise fail(f"{warcs[-1]} carries no crawl config: its crawl's gates are unknown")
    try:
        focus = focus_from_stored(document, str(warcs[-1]))
    except ValueError as exc:
        raise fail(str(exc)) from exc
    if focus is None:
        raise fail(f"crawl {crawl_name!r} ran without gates: every article is indexed already")
    index_path(archive)  # a clear error when there is no index
    with hold_archive(archive, crawl_name, kind="regate"):
        report, removed = judge_again(
            archive, crawl_name, focus, focus.threshold if threshold is None else threshold,
            workers=workers,
            on_batch=lambda done, total: click.echo(f"[{done}/{total}] pages judged again",
                                                    err=True))
    click.echo(f"Crawl {crawl_name!r} at relevance {threshold or focus.threshold}:"
               f" {report.added:,} articles added, {removed:,} taken out;"
               f" {len(report.learned_terms)} terms learned from {report.confident:,}"
               f" confident articles, {report.reread:,} kept-out pages judged again")
    if report.unreadable:
        click.echo(f"note: {report.unreadable:,} kept-out pages could not be read back from"
                   " their WARC records (`liputan check`)", err=True)
