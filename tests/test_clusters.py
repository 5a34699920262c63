"""Syndication clusters: our own Indonesian pairs, real index files, the crawled demo web."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import tomllib
from pathlib import Path

import numpy as np
import pytest
import sqlite_utils

from pipelines import cluster
from pipelines.cluster import THRESHOLD, shingles, signature, similarity, update_clusters
from pipelines.extract import Article
from pipelines.index import Index
from pipelines.index.schema import migrations
from pipelines.warc import HttpExchange, WarcWriter
from tests.conftest import REPO, liputan
from tests.fixtureweb.corpus import load_corpus

PAIRS = tomllib.loads((Path(__file__).parent / "data" / "syndication.toml").read_text())
TEXTS = {name: "\n\n".join(part["paragraphs"]) for name, part in PAIRS.items()}
WIRE_ID, COPY_ID = 5812403, 412655  # the fixture web's syndicated Antara story


def fixture_pair() -> tuple[str, str]:
    by_id = {a.id: a for arts in load_corpus().values() for a in arts}
    return tuple("\n\n".join(by_id[i].paragraphs) for i in (WIRE_ID, COPY_ID))


def jaccard(a: str, b: str) -> float:
    x, y = set(shingles(a)), set(shingles(b))
    return len(x & y) / len(x | y)


# -- the measure ----------------------------------------------------------------------------
def test_a_lightly_edited_wire_copy_is_a_near_duplicate():
    for a, b in ((TEXTS["wire"], TEXTS["copy"]), fixture_pair()):
        assert jaccard(a, b) > 0.65  # measured 0.70 and 0.69
        assert similarity(signature(a), signature(b)) >= THRESHOLD + 0.15


def test_different_stories_on_the_same_event_are_not():
    for a, b in (("wire", "followup"), ("wire", "explainer"), ("followup", "explainer"),
                 ("copy", "followup")):
        assert jaccard(TEXTS[a], TEXTS[b]) < 0.05
        assert similarity(signature(TEXTS[a]), signature(TEXTS[b])) < THRESHOLD / 2


def test_shingles_ignore_case_punctuation_and_spacing():
    assert np.array_equal(shingles("Gempa  Garut, kata BMKG."), shingles("gempa garut kata bmkg"))
    assert not np.array_equal(shingles("garut gempa kata"), shingles("gempa garut kata"))
    assert signature("") is None and len(shingles("dua kata")) == 1


def test_a_signature_is_stable_across_processes():
    # Stored signatures must mean the same thing to the next run: no salted hash().
    result = subprocess.run(
        [sys.executable, "-c",
         "from pipelines.cluster import signature; print(signature('Gempa di Garut').tolist())"],
        capture_output=True, text=True, check=True)
    assert json.loads(result.stdout) == signature("Gempa di Garut").tolist()


# -- an index -------------------------------------------------------------------------------
@pytest.fixture
def index(tmp_path):
    idx = Index(tmp_path / "index.db")
    yield idx
    idx.close()


def add(index: Index, tmp_path: Path, name: str, text: str, published: str,
        outlet: str = "Kabar Priangan") -> int:
    url = f"http://www.{outlet.replace(' ', '').lower()}.test/{name}"
    writer = WarcWriter(tmp_path / "w", "t", tmp_path)
    record = writer.write_exchange(HttpExchange(url, 200, [("Content-Type", "text/html")],
                                                f"<html>{name}</html>".encode()))
    writer.close()
    capture = index.add_capture(index.start_run("t"), url, 200, "text/html", record)
    article_id = index.add_article(capture, Article(
        url=url, title=name, text=text, outlet=outlet, published_at=published,
        word_count=len(text.split())))
    index.commit()
    return article_id


def clusters_of(index: Index) -> dict[int, list[int]]:
    found: dict[int, list[int]] = {}
    for article_id, cluster_id in index.conn.execute(
            "SELECT id, cluster_id FROM articles ORDER BY id"):
        found.setdefault(cluster_id, []).append(article_id)
    return found


def test_wire_copy_clusters_and_its_original_is_the_earliest_published(index, tmp_path):
    copy = add(index, tmp_path, "copy", TEXTS["copy"], "2022-09-14T06:10:00+07:00")
    wire = add(index, tmp_path, "wire", TEXTS["wire"], "2022-09-14T05:00:00+08:00", "Antara")
    other = add(index, tmp_path, "followup", TEXTS["followup"], "2022-09-14T21:00:00+07:00")
    report = update_clusters(index.conn)
    assert (report.hashed, report.clusters, report.clustered) == (3, 1, 2)
    assert clusters_of(index) == {copy: [copy, wire], other: [other]}
    row = index.conn.execute("SELECT size, original_article_id, outlets, first_published_at"
                             " FROM clusters WHERE id=?", [copy]).fetchone()
    # 05:00 at +08:00 is 04:00 WIB: the wire story came first though indexed second.
    assert row == (2, wire, 2, "2022-09-14T05:00:00+08:00")


def test_a_later_copy_joins_and_only_new_text_is_hashed(index, tmp_path):
    wire = add(index, tmp_path, "wire", TEXTS["wire"], "2022-09-14T05:00:00+07:00", "Antara")
    add(index, tmp_path, "explainer", TEXTS["explainer"], "2022-09-15T08:00:00+07:00")
    update_clusters(index.conn)
    copy = add(index, tmp_path, "copy", TEXTS["copy"], "2022-09-14T06:10:00+07:00")
    report = update_clusters(index.conn)
    assert report.hashed == report.redone == 1  # the copy; the wire's cluster stands, joined
    assert clusters_of(index)[wire] == [wire, copy]
    assert update_clusters(index.conn).hashed == 0  # nothing new: nothing hashed


def test_an_edited_story_leaves_its_cluster_and_a_dropped_one_shrinks_it(index, tmp_path):
    wire = add(index, tmp_path, "wire", TEXTS["wire"], "2022-09-14T05:00:00+07:00", "Antara")
    copy = add(index, tmp_path, "copy", TEXTS["copy"], "2022-09-14T06:10:00+07:00")
    third = add(index, tmp_path, "copy3", TEXTS["copy"] + " Pembaruan: dua rumah lagi rusak.",
                "2022-09-14T07:00:00+07:00", "Harian Langit")
    update_clusters(index.conn)
    assert clusters_of(index) == {wire: [wire, copy, third]}
    # The copy's outlet replaced the story with another one (a new version of its text).
    add(index, tmp_path, "copy", TEXTS["explainer"], "2022-09-14T06:10:00+07:00")
    update_clusters(index.conn)
    assert clusters_of(index) == {wire: [wire, third], copy: [copy]}
    index.unindex_article(third, "topic")
    index.commit()
    update_clusters(index.conn)
    assert clusters_of(index) == {wire: [wire], copy: [copy]}
    assert index.conn.execute("SELECT id, size FROM clusters ORDER BY id").fetchall() == [
        (wire, 1), (copy, 1)]


def test_a_rebuild_gives_what_incremental_runs_gave(index, tmp_path):
    for n, name in enumerate(("followup", "wire", "explainer", "copy")):
        add(index, tmp_path, name, TEXTS[name], f"2022-09-1{4 + n}T08:00:00+07:00")
        update_clusters(index.conn)
    before = (clusters_of(index), index.conn.execute(
        "SELECT id, size, original_article_id FROM clusters ORDER BY id").fetchall())
    report = update_clusters(index.conn, rebuild=True)
    assert report.rebuilt and report.hashed == 4
    assert (clusters_of(index), index.conn.execute(
        "SELECT id, size, original_article_id FROM clusters ORDER BY id").fetchall()) == before


def test_signatures_of_other_parameters_are_made_again(index, tmp_path, monkeypatch):
    add(index, tmp_path, "wire", TEXTS["wire"], "2022-09-14T05:00:00+07:00")
    update_clusters(index.conn)
    monkeypatch.setattr(cluster, "SCHEME", cluster.SCHEME + "-other")
    assert update_clusters(index.conn).hashed == 1
    blob = index.conn.execute("SELECT signature FROM article_signatures").fetchone()[0]
    assert len(blob) == 4 * cluster.NUM_PERM  # uint32 values, compact


def test_migration_fills_an_existing_index(tmp_path):
    path = tmp_path / "index.db"
    old = sqlite3.connect(path)
    migrations.apply(sqlite_utils.Database(old), stop_before="m006_research")
    old.execute("INSERT INTO articles (id, url, canonical_url, outlet, title, text, text_digest)"
                " VALUES (1, 'http://www.a.test/x', 'http://www.a.test/x', 'A', 'x', ?, 'd1'),"
                " (2, 'http://b.test/y', NULL, 'B', 'y', ?, 'd2')",
                [TEXTS["wire"], TEXTS["copy"]])
    old.execute("INSERT INTO links (source_article_id, target_url, anchor) VALUES"
                " (2, 'http://a.test/x?utm_source=wa', 'x'), (2, 'http://c.test/z', 'z')")
    old.commit()
    old.close()
    index = Index(path)  # applies m007
    try:
        assert index.conn.execute("SELECT target_article_id, target_host, target_key FROM links"
                                  " ORDER BY rowid").fetchall() == [
            (1, "a.test", "a.test/x"), (None, "c.test", "c.test/z")]
        trigger = index.conn.execute("SELECT sql FROM sqlite_master WHERE name='articles_au'")
        assert 'AFTER UPDATE OF "title", "text"' in trigger.fetchone()[0]
        report = update_clusters(index.conn)
        assert (report.clusters, report.clustered) == (1, 2)
        assert {h.id for h in index.search("Garut")} == {1, 2}  # full text search unharmed
    finally:
        index.close()


# -- end to end: the crawled demo web -------------------------------------------------------
def test_the_crawl_clusters_the_syndicated_story(crawled, web):
    urls = {a.id: a.url for a in web.articles}
    result = liputan("clusters", "--archive", str(crawled.root), "--json")
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert len(found) == 1
    db = sqlite3.connect(crawled.root / "index.db")
    members = {db.execute("SELECT url FROM articles WHERE id=?", [m]).fetchone()[0]
               for m in found[0]["members"]}
    assert members == {urls[WIRE_ID], urls[COPY_ID]}
    assert found[0]["original_id"] == db.execute("SELECT id FROM articles WHERE url=?",
                                                 [urls[WIRE_ID]]).fetchone()[0]
    assert found[0]["member_outlets"] == ["KabarNusantara", "Harian Langit"]
    # Every article was clustered by the crawl itself: nothing left for a rebuild.
    assert db.execute("SELECT count(*) FROM articles WHERE cluster_id IS NULL").fetchone() == (0,)
    table = liputan("clusters", "--archive", str(crawled.root))
    assert "2 articles, 2 outlets" in table.stdout and "Hari Berkabung" in table.stdout


def test_stored_signatures_are_datasketchs_minhash():
    # datasketch is the reference, imported by the tests only (pipelines/cluster.py says why).
    from datasketch import MinHash, MinHashLSH

    texts = [*TEXTS.values(), "", "satu", "dua kata"]
    for text, stored in zip(texts, cluster.signatures_of(texts), strict=True):
        hashed = shingles(text)
        if not len(hashed):
            assert stored is None and signature(text) is None
            continue
        reference = MinHash(num_perm=cluster.NUM_PERM, seed=cluster.SEED,
                            hashfunc=lambda value: value, scheme="affine32")
        reference.update_batch(hashed.tolist())
        assert stored == reference.hashvalues.astype(np.uint32).tobytes()
        assert signature(text).tobytes() == stored
    lsh = MinHashLSH(threshold=THRESHOLD, num_perm=cluster.NUM_PERM)
    assert cluster.bands() == (lsh.b, lsh.r)


def test_the_clustering_imports_no_datasketch():
    # Its package brings scipy into every crawl process and extraction worker (~33 MB each).
    code = ("import sys; from pipelines import cluster; cluster.signature('Gempa di Garut');"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('datasketch','scipy')))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True, cwd=REPO)
    assert result.stdout.strip() == "[]"
