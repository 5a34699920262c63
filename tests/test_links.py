"""The citation graph: in-body links, their targets resolved in any order, graph files."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import networkx as nx
import pytest

from pipelines.extract import Article, Link, analyse_page
from pipelines.index import Index
from pipelines.warc import HttpExchange, WarcWriter
from tests.conftest import liputan

BODY = ("Gempa bermagnitudo 5,6 mengguncang selatan Garut pada Rabu pagi, menurut catatan "
        "BMKG yang dirilis beberapa menit kemudian.")
PAGE = f"""<!doctype html><html lang="id"><head><title>Gempa Garut - Kabar Priangan</title>
<base href="http://www.kabarpriangan.test/berita/">
<meta property="og:site_name" content="Kabar Priangan">
<meta property="og:type" content="article">
<link rel="canonical" href="http://www.kabarpriangan.test/berita/gempa-garut">
<script type="application/ld+json">{{"@type": "NewsArticle", "headline": "Gempa Garut",
"datePublished": "2022-09-14T05:00:00+07:00"}}</script></head><body>
<nav><a href="/">Beranda</a> <a href="/tag/gempa">Gempa</a></nav>
<article><h1>Gempa Garut</h1>
<p>{BODY.replace("catatan BMKG", '<a href="bmkg-catat-gempa">catatan BMKG</a>')}</p>
<p>Warga Pameungpeuk berhamburan keluar rumah karena getaran terasa hampir sepuluh detik,
lalu <a href="https://www.bpbd.test/laporan?utm_source=x#rumah">BPBD Garut mencatat 43 rumah
rusak</a> di tiga kecamatan sepanjang pesisir selatan.</p>
<p>Pemerintah kabupaten menyiapkan tenda darurat dan dapur umum bagi warga yang rumahnya
rusak, sementara <a href="gempa-garut">pembaruan berita ini</a> terus dilakukan.</p>
<p>Baca juga: <a href="/berita/banjir-bandung">Banjir di Bandung Selatan</a></p>
<ul class="tags"><li><a href="/tag/garut">Garut</a></li></ul>
</article>
<aside class="related"><a href="/berita/lain">Gempa di Garut kemarin</a></aside>
</body></html>"""


def test_links_inside_the_body_with_absolute_urls_and_anchors():
    analysis = analyse_page(PAGE.encode(), "http://www.kabarpriangan.test/berita/gempa-garut",
                            "text/html")
    assert analysis.article is not None
    assert list(analysis.links) == [
        Link("http://www.kabarpriangan.test/berita/bmkg-catat-gempa", "catatan BMKG"),
        Link("https://www.bpbd.test/laporan?utm_source=x",
             "BPBD Garut mencatat 43 rumah rusak"),
    ]  # not the menu, the promo, the tags, the sidebar, nor the article's own URL


def test_asking_for_links_leaves_the_text_as_it_was():
    from pipelines import extract

    analysis = analyse_page(PAGE.encode(), "http://www.kabarpriangan.test/berita/gempa-garut",
                            "text/html")
    assert BODY in analysis.article.text and "Baca juga" not in analysis.article.text
    source = Path(extract.__file__).read_text()
    assert "include_links=False" in source  # the text pass never asks trafilatura for links


@pytest.fixture
def index(tmp_path):
    idx = Index(tmp_path / "index.db")
    yield idx
    idx.close()


def add(index: Index, tmp_path: Path, url: str, links=(), canonical=None) -> int:
    writer = WarcWriter(tmp_path / "w", "t", tmp_path)
    record = writer.write_exchange(HttpExchange(url, 200, [("Content-Type", "text/html")],
                                                f"<html>{url}</html>".encode()))
    writer.close()
    capture = index.add_capture(index.start_run("t"), url, 200, "text/html", record)
    article_id = index.add_article(capture, Article(
        url=url, title=url, text=f"teks {url}", outlet="Kabar Priangan",
        canonical_url=canonical, word_count=2), links=links)
    index.commit()
    return article_id


def targets(index: Index) -> list[tuple]:
    return index.conn.execute("SELECT target_url, target_host, target_article_id FROM links"
                              " ORDER BY rowid").fetchall()


def test_a_link_to_an_indexed_article_knows_its_id(index, tmp_path):
    target = add(index, tmp_path, "http://www.a.test/berita/1")
    add(index, tmp_path, "http://b.test/2", [Link("http://m.a.test/berita/1/?utm_source=wa",
                                                 "satu")])
    assert targets(index) == [("http://m.a.test/berita/1/?utm_source=wa", "m.a.test", target)]


def test_a_link_found_before_its_target_is_resolved_when_the_target_comes(index, tmp_path):
    add(index, tmp_path, "http://b.test/2", [Link("http://a.test/amp/berita/1", "satu"),
                                             Link("http://c.test/x", "luar")])
    assert [t[2] for t in targets(index)] == [None, None]
    # Indexed under another URL; its canonical is the one linked (AMP folded by url_key).
    target = add(index, tmp_path, "http://a.test/berita/1?page=1",
                 canonical="http://a.test/berita/1")
    assert [t[2] for t in targets(index)] == [target, None]
    index.unindex_article(target, "topic")
    index.commit()
    assert [t[2] for t in targets(index)] == [None, None]


def test_the_same_link_is_kept_once(index, tmp_path):
    links = [Link("http://a.test/1", "satu"), Link("http://a.test/1", "satu")]
    add(index, tmp_path, "http://b.test/2", links)
    assert len(targets(index)) == 1


# -- end to end: the crawled demo web -------------------------------------------------------
def test_the_crawl_indexes_links_between_real_articles(crawled):
    db = sqlite3.connect(crawled.root / "index.db")
    rows = db.execute("SELECT l.target_url, t.url, l.anchor FROM links l"
                      " JOIN articles t ON t.id = l.target_article_id").fetchall()
    assert len(rows) >= 4 and all(target == url for target, url, _ in rows)
    assert db.execute("SELECT count(*) FROM links WHERE target_article_id IS NULL"
                      " OR target_article_id NOT IN (SELECT id FROM articles)").fetchone() == (0,)
    hosts = {h for (h,) in db.execute("SELECT DISTINCT target_host FROM links")}
    assert "makassar.serojapos.test" in hosts  # a regional edition, across outlets


def test_outlet_counts_and_graph_files_parse_back(crawled, tmp_path):
    result = liputan("links", "--archive", str(crawled.root), "--json")
    assert result.returncode == 0, result.stderr
    pairs = {(r["source"], r["target"]): r["links"] for r in json.loads(result.stdout)}
    assert pairs[("Harian Langit", "Seroja Pos")] >= 1
    for fmt, read in (("gexf", nx.read_gexf), ("graphml", nx.read_graphml)):
        out = tmp_path / f"outlets.{fmt}"
        done = liputan("graph", "--archive", str(crawled.root), "--format", fmt,
                       "--output", str(out))
        assert done.returncode == 0, done.stderr
        graph = read(out)
        assert graph.is_directed()
        assert graph["Harian Langit"]["Seroja Pos"]["weight"] == pairs[("Harian Langit",
                                                                         "Seroja Pos")]
    out = tmp_path / "articles.graphml"
    assert liputan("graph", "--archive", str(crawled.root), "--articles", "--format",
                   "graphml", "-o", str(out)).returncode == 0
    articles = nx.read_graphml(out)
    assert articles.number_of_edges() >= 4
    assert all(d["kind"] == "article" for _, d in articles.nodes(data=True))


def test_graph_errors_are_one_line(crawled, tmp_path):
    result = liputan("graph", "--archive", str(crawled.root), "-o",
                     str(tmp_path / "missing" / "g.gexf"))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith("Error: cannot write")
    nothing = liputan("clusters", "--archive", str(tmp_path / "none"))
    assert nothing.returncode == 1 and "no index at" in nothing.stderr
