"""The SQLite index: schema, pointers, upserts, FTS search, clear query errors."""

from __future__ import annotations

import sqlite3

import pytest

from pipelines.extract import Article, Link, PageAnalysis
from pipelines.index import Index, SearchQueryError
from pipelines.warc import HttpExchange, WarcWriter


@pytest.fixture
def index(tmp_path):
    idx = Index(tmp_path / "index.db")
    yield idx
    idx.close()


def article(url, title, text, outlet="KabarNusantara", published="2022-01-06T08:00:00+07:00"):
    return Article(url=url, title=title, text=text, outlet=outlet, published_at=published,
                   word_count=len(text.split()))


def capture(index, tmp_path, url):
    writer = WarcWriter(tmp_path / "w", "t", tmp_path)
    record = writer.write_exchange(HttpExchange(url, 200, [("Content-Type", "text/html")],
                                                f"<html>{url}</html>".encode()))
    writer.close()
    return index.add_capture(index.start_run("t"), url, 200, "text/html", record)


def test_wal_mode_lets_readers_in_during_writes(index):
    assert index.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_article_upsert_by_url_keeps_one_row(index, tmp_path):
    cid = capture(index, tmp_path, "http://k.test/a")
    index.add_article(cid, article("http://k.test/a", "Satu", "teks lama"))
    index.add_article(cid, article("http://k.test/a", "Satu", "teks baru tentang Almaty"),
                      links=[Link("http://k.test/b", "B")])
    index.commit()
    assert index.db["articles"].count == 1
    assert [h.url for h in index.search("Almaty")] == ["http://k.test/a"]
    assert index.search("lama") == []  # FTS follows the update
    assert index.db["links"].count == 1


def test_search_filters_by_outlet_and_dates(index, tmp_path):
    for i, (outlet, day) in enumerate([("A", "2022-01-05"), ("B", "2022-01-20")]):
        url = f"http://k.test/{i}"
        cid = capture(index, tmp_path, url)
        index.add_article(cid, article(url, f"Kazakhstan {i}", "kerusuhan di Kazakhstan",
                                       outlet=outlet, published=f"{day}T10:00:00+07:00"))
    index.commit()
    assert len(index.search("kazakhstan")) == 2
    assert [h.outlet for h in index.search("kazakhstan", outlet="B")] == ["B"]
    assert [h.outlet for h in index.search("kazakhstan", since="2022-01-10")] == ["B"]
    assert [h.outlet for h in index.search("kazakhstan", until="2022-01-10")] == ["A"]


def test_bad_fts_query_is_a_clear_error(index):
    with pytest.raises(SearchQueryError, match="quote"):
        index.search('"unterminated')
    with pytest.raises(SearchQueryError):
        index.search("AND OR")


def test_failed_extraction_leaves_reason_on_capture(index, tmp_path):
    cid = capture(index, tmp_path, "http://k.test/broken")
    assert index.add_analysis(cid, PageAnalysis("page", error="unparseable HTML")) is None
    index.commit()
    assert index.db["captures"].get(cid)["error"] == "unparseable HTML"


def test_readers_see_committed_rows_while_writer_is_open(index, tmp_path):
    cid = capture(index, tmp_path, "http://k.test/x")
    index.add_article(cid, article("http://k.test/x", "X", "isi"))
    index.commit()
    reader = sqlite3.connect(index.path)
    assert reader.execute("SELECT count(*) FROM articles").fetchone()[0] == 1
    reader.close()
