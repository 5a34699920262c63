"""Reading the coverage as a network: syndication clusters, and who links to whom.

The citation graph is the `links` table: each in-body link from an article to a URL, with
the indexed article at that URL when there is one. Outlet-level, a link goes from its
article's outlet to the target article's outlet, or, for a URL outside the index, to the
outlet whose articles the index holds on that host (else to the host itself).
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from pathlib import Path
from typing import Any

import networkx as nx

from pipelines.links import link_host

GRAPH_FORMATS = ("gexf", "graphml")


def pending_articles(conn: sqlite3.Connection) -> int:
    """Articles no cluster holds yet (indexed before clustering ran, or since)."""
    return conn.execute("SELECT count(*) FROM articles WHERE cluster_id IS NULL").fetchone()[0]


def cluster_rows(conn: sqlite3.Connection, min_size: int = 2,
                 limit: int | None = None) -> list[dict[str, Any]]:
    """Clusters of at least `min_size` articles, largest first: the original's id, title,
    outlet, date and URL, and every member outlet with its articles' ids."""
    conn.row_factory = sqlite3.Row
    try:
        rows = [dict(r) for r in conn.execute(
            "SELECT c.id AS cluster, c.size, c.outlets, c.first_published_at,"
            " c.last_published_at, c.original_article_id AS original_id, a.title, a.outlet,"
            " a.url FROM clusters c JOIN articles a ON a.id = c.original_article_id"
            " WHERE c.size >= ? ORDER BY c.size DESC, c.first_published_at, c.id LIMIT ?",
            [min_size, -1 if limit is None else limit])]
        for row in rows:
            members = conn.execute(
                "SELECT id, outlet FROM articles WHERE cluster_id=? ORDER BY published_at, id",
                [row["cluster"]]).fetchall()
            row["member_outlets"] = list(dict.fromkeys(m["outlet"] or "?" for m in members))
            row["members"] = [m["id"] for m in members]
    finally:
        conn.row_factory = None
    return rows


def _host_outlets(conn: sqlite3.Connection) -> dict[str, str]:
    """host -> the outlet most of the index's articles on it belong to."""
    counts: dict[str, Counter] = {}
    for url, outlet in conn.execute("SELECT url, outlet FROM articles WHERE outlet IS NOT NULL"):
        host = link_host(url)
        if host:
            counts.setdefault(host, Counter())[outlet] += 1
    return {host: c.most_common(1)[0][0] for host, c in counts.items()}


def _links(conn: sqlite3.Connection):
    return conn.execute(
        "SELECT l.source_article_id, s.outlet, l.target_url, l.anchor, l.target_host,"
        " l.target_article_id, t.outlet FROM links l JOIN articles s ON s.id ="
        " l.source_article_id LEFT JOIN articles t ON t.id = l.target_article_id"
        " ORDER BY l.source_article_id, l.rowid")


def outlet_links(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Link counts outlet -> outlet (most first): all links, and those to indexed articles."""
    hosts = _host_outlets(conn)
    counts: Counter = Counter()
    resolved: Counter = Counter()
    for _, source, _, _, host, target_id, target_outlet in _links(conn):
        pair = (source or "?", target_outlet or hosts.get(host or "") or host or "?")
        counts[pair] += 1
        resolved[pair] += target_id is not None
    return [{"source": s, "target": t, "links": n, "to_indexed_articles": resolved[(s, t)]}
            for (s, t), n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]


def outlet_graph(conn: sqlite3.Connection) -> nx.DiGraph:
    """Outlets as nodes (articles indexed), links between them as weighted edges."""
    graph = nx.DiGraph()
    for outlet, articles in conn.execute(
            "SELECT outlet, count(*) FROM articles WHERE outlet IS NOT NULL GROUP BY outlet"):
        graph.add_node(outlet, label=outlet, kind="outlet", articles=articles)
    for row in outlet_links(conn):
        for node in (row["source"], row["target"]):
            if node not in graph:
                graph.add_node(node, label=node, kind="host", articles=0)
        graph.add_edge(row["source"], row["target"], weight=row["links"],
                       to_indexed_articles=row["to_indexed_articles"])
    return graph


def article_graph(conn: sqlite3.Connection) -> nx.DiGraph:
    """Articles as nodes ("a<id>"), their links as edges; a target URL outside the index is
    a node of its own (kind "url")."""
    graph = nx.DiGraph()
    for article_id, title, outlet, url, published, cluster in conn.execute(
            "SELECT id, title, outlet, url, published_at, cluster_id FROM articles"
            " WHERE id IN (SELECT source_article_id FROM links UNION"
            " SELECT target_article_id FROM links)"):
        graph.add_node(f"a{article_id}", **_attributes(
            kind="article", label=title or url, outlet=outlet, url=url, published_at=published,
            cluster=cluster))
    for source_id, _, url, anchor, host, target_id, _ in _links(conn):
        target = f"a{target_id}" if target_id is not None else url
        if target not in graph:
            graph.add_node(target, **_attributes(kind="url", label=url, url=url, host=host))
        edge = graph.get_edge_data(f"a{source_id}", target)
        if edge:
            edge["weight"] += 1
        else:
            graph.add_edge(f"a{source_id}", target, weight=1, anchor=anchor or "")
    return graph


def _attributes(**values: Any) -> dict[str, Any]:
    # GEXF and GraphML take no null: an unknown value is left out.
    return {k: v for k, v in values.items() if v is not None}


def write_graph(graph: nx.DiGraph, path: Path, fmt: str) -> None:
    """The graph as GEXF (Gephi) or GraphML (Gephi, Cytoscape, igraph, yEd)."""
    if fmt == "gexf":
        nx.write_gexf(graph, path)
    elif fmt == "graphml":
        nx.write_graphml(graph, path)
    else:
        raise ValueError(f"graph format must be one of {', '.join(GRAPH_FORMATS)}; got {fmt!r}")


def graph_summary(graph: nx.DiGraph) -> dict[str, int]:
    """Nodes, edges, and the links the edges stand for."""
    weight = sum(d.get("weight", 1) for _, _, d in graph.edges(data=True))
    return {"nodes": graph.number_of_nodes(), "edges": graph.number_of_edges(), "links": weight}
