"""The coverage as a network: `clusters` (syndication), `links` and `graph` (citations)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import click

from crawler.cli import (
    POSITIVE,
    archive_option,
    cli,
    emit,
    fail,
    hold_archive,
    index_path,
    output_format,
)


def _open(archive: Path) -> sqlite3.Connection:
    from pipelines.index import Index

    index = Index(index_path(archive))  # brings an older index to the current schema
    index.close()
    return sqlite3.connect(archive / "index.db")


@cli.command()
@archive_option
@click.option("--min-size", default=2, show_default=True, type=POSITIVE,
              help="Only clusters of at least this many articles.")
@click.option("--limit", type=POSITIVE, help="At most this many clusters.")
@click.option("--rebuild", is_flag=True,
              help="Compute every signature and cluster again first (takes the archive's"
                   " lock); crawls and reindexes keep the clusters up to date by themselves.")
@output_format
def clusters(archive: Path, min_size: int, limit: int | None, rebuild: bool, fmt: str) -> None:
    """Syndication clusters: one story on several outlets (wire copy, lightly edited).

    Articles whose texts share most of their 3-word phrases (estimated Jaccard similarity
    0.4 or more, MinHash) are one cluster; its original is the earliest published member.

    \b
    Examples:
        liputan clusters
        liputan clusters --min-size 3 --json
        liputan clusters --rebuild --archive archive
    """
    from pipelines.cluster import cluster_archive
    from pipelines.graph import cluster_rows, pending_articles

    index_path(archive)
    if rebuild:
        with hold_archive(archive, kind="clusters"):
            report = cluster_archive(archive, rebuild=True,
                                     on_progress=_progress("articles hashed"))
        click.echo(f"clustered {report.articles:,} articles in {report.seconds:.1f} s:"
                   f" {report.clusters:,} clusters of 2 or more hold {report.clustered:,}",
                   err=True)
    conn = _open(archive)
    try:
        rows = cluster_rows(conn, min_size, limit)
        pending = pending_articles(conn)
    finally:
        conn.close()
    if pending:
        click.echo(f"note: {pending:,} articles are in no cluster yet (indexed before"
                   " clustering ran): `liputan clusters --rebuild` adds them", err=True)
    if fmt == "csv":
        rows = [{**r, "member_outlets": "; ".join(r["member_outlets"]),
                 "members": " ".join(map(str, r["members"]))} for r in rows]
    emit(rows, fmt, _clusters_table)


def _clusters_table(rows: list[dict[str, Any]]) -> None:
    if not rows:
        click.echo("no clusters of that size")
    for row in rows:
        day = (row["first_published_at"] or "")[:10] or "undated"
        click.echo(f"[{row['cluster']}] {row['size']} articles, {row['outlets']} outlets;"
                   f" original [{row['original_id']}] {day}  {row['outlet'] or ''}"
                   f"  {row['title'] or ''}")
        click.echo(f"      outlets: {', '.join(row['member_outlets'])};"
                   f" articles {' '.join(map(str, row['members']))}")


def _progress(what: str):
    """A progress callback writing to a terminal's stderr (nothing elsewhere)."""
    if not click.get_text_stream("stderr").isatty():
        return None

    def show(done: int, total: int) -> None:
        click.echo(f"\r{done:,}/{total:,} {what}", err=True, nl=done >= total)

    return show


@cli.command()
@archive_option
@output_format
def links(archive: Path, fmt: str) -> None:
    """In-body links between outlets: how often each outlet's articles link to another's
    (a URL outside the index counts for the outlet of its host, else for the host).

    \b
    Examples:
        liputan links
        liputan links --csv > outlet-links.csv
    """
    from pipelines.graph import outlet_links

    conn = _open(archive)
    try:
        rows = outlet_links(conn)
    finally:
        conn.close()
    emit(rows, fmt, _links_table)


def _links_table(rows: list[dict[str, Any]]) -> None:
    if not rows:
        click.echo("no in-body links indexed")
        return
    width = max(len(r["source"]) for r in rows)
    for row in rows:
        click.echo(f"{row['source']:<{width}} -> {row['target']}: {row['links']:,} links"
                   f" ({row['to_indexed_articles']:,} to indexed articles)")


@cli.command()
@archive_option
@click.option("--format", "fmt", type=click.Choice(["gexf", "graphml"]), default="gexf",
              show_default=True, help="GEXF (Gephi) or GraphML (Gephi, Cytoscape, igraph).")
@click.option("--output", "-o", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The graph file to write.")
@click.option("--articles", is_flag=True,
              help="Articles as nodes (and target URLs outside the index), not outlets.")
def graph(archive: Path, fmt: str, output: Path, articles: bool) -> None:
    """Write the citation graph: outlets linked by their articles' in-body links (edge
    weight: links), or with --articles one node per article and per outside URL.

    \b
    Examples:
        liputan graph --output outlets.gexf
        liputan graph --articles --format graphml --output articles.graphml
    """
    from pipelines.graph import article_graph, graph_summary, outlet_graph, write_graph

    conn = _open(archive)
    try:
        network = article_graph(conn) if articles else outlet_graph(conn)
    finally:
        conn.close()
    try:
        write_graph(network, output, fmt)
    except OSError as exc:
        raise fail(f"cannot write {output}: {exc.strerror or exc}") from exc
    summary = graph_summary(network)
    click.echo(f"wrote {output} ({fmt}): {summary['nodes']:,} nodes, {summary['edges']:,}"
               f" edges, {summary['links']:,} links")
