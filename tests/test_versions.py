"""Article versions in a real index: numbering, what each run saw, multi-page stories,
304 rechecks, recovery, and the history and diff read back from them."""

from __future__ import annotations

import sqlite3
import subprocess
import sys

import pytest
from sqlite_utils import Database

from pipelines.archive import CrawlArchive
from pipelines.extract import Article, PageAnalysis
from pipelines.index import Index, schema
from pipelines.versions import VersionError, diff, history, text_digest
from pipelines.warc import NOT_MODIFIED_PROFILE, HttpExchange, iter_records

URL = "http://k.test/internasional/d-1/banjir"
ETAG = [("Content-Type", "text/html"), ("ETag", 'W/"v1"')]


def article(text: str, url: str = URL, page: int | None = None, title: str = "Banjir"
            ) -> Article:
    return Article(url=url, title=title, text=text, published_at="2022-01-06T08:00:00+07:00",
                   word_count=len(text.split()), page=page)


def run(root, *pages: tuple[str, Article | None, int]) -> int:
    """One run of the crawl "k": each page (URL, article found on it, HTTP status)
    captured and indexed as the crawl does it. Returns the run id."""
    archive = CrawlArchive(root, "k", resume=False)
    for url, found, status in pages:
        body = b"" if status == 304 else f"<html>{found.text if found else url}</html>".encode()
        key = archive.capture(HttpExchange(url, status, ETAG, body))
        if status == 200:
            archive.add_analysis(key, PageAnalysis("article", article=found, url=url))
    archive.close()
    return archive.run_id


def rows(root, sql: str, *params) -> list[tuple]:
    conn = sqlite3.connect(root / "index.db")
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def seen_by_runs(root) -> list[tuple]:
    return rows(root, "SELECT r.run_id, v.version, r.change FROM run_articles r JOIN"
                      " article_versions v ON v.id = r.version_id ORDER BY r.run_id")


def test_text_digest_folds_whitespace_only():
    assert text_digest("Banjir  di\n\nJakarta ") == text_digest("Banjir di Jakarta")
    assert text_digest("Banjir di Jakarta") != text_digest("Banjir di Bekasi")


def test_a_new_story_is_version_one_seen_as_new(tmp_path):
    first = run(tmp_path, (URL, article("Hujan deras sejak pagi."), 200))
    assert seen_by_runs(tmp_path) == [(first, 1, "new")]
    (digest,) = rows(tmp_path, "SELECT text_digest FROM articles")[0]
    assert digest == text_digest("Hujan deras sejak pagi.")


def test_the_same_text_again_is_no_new_version_and_keeps_the_row_on_its_response(tmp_path):
    first = run(tmp_path, (URL, article("Hujan deras sejak pagi."), 200))
    (capture,) = rows(tmp_path, "SELECT capture_id FROM articles")[0]
    # The same bytes again: an identical-payload revisit, extracted to the same text.
    second = run(tmp_path, (URL, article("Hujan  deras sejak\npagi."), 200))
    assert seen_by_runs(tmp_path) == [(first, 1, "new"), (second, 1, "unchanged")]
    assert rows(tmp_path, "SELECT capture_id FROM articles")[0][0] == capture
    assert rows(tmp_path, "SELECT record_type FROM captures WHERE id=?", capture) == [
        ("response",)]


def test_an_edited_story_gets_the_next_version_and_keeps_its_row(tmp_path):
    first = run(tmp_path, (URL, article("Hujan deras sejak pagi."), 200))
    (article_id,) = rows(tmp_path, "SELECT id FROM articles")[0]
    second = run(tmp_path, (URL, article("Hujan deras sejak pagi. Dua warga hilang."), 200))
    third = run(tmp_path, (URL, article("Hujan reda. Dua warga ditemukan."), 200))
    assert seen_by_runs(tmp_path) == [(first, 1, "new"), (second, 2, "changed"),
                                      (third, 3, "changed")]
    assert rows(tmp_path, "SELECT id, text FROM articles") == [
        (article_id, "Hujan reda. Dua warga ditemukan.")]
    versions = rows(tmp_path, "SELECT version, run_id, word_count FROM article_versions"
                              " ORDER BY version")
    assert versions == [(1, first, 4), (2, second, 7), (3, third, 5)]
    # The first run still lists the story with the text it saw.
    index = Index(tmp_path / "index.db")
    found = history(index, article_id)
    index.close()
    assert [(v.version, v.seen_by) for v in found.versions] == [
        (1, (first,)), (2, (second,)), (3, (third,))]


def test_a_capture_indexed_again_is_not_a_new_version(tmp_path):
    first = run(tmp_path, (URL, article("Hujan deras sejak pagi."), 200))
    index = Index(tmp_path / "index.db")
    (capture,) = index.conn.execute("SELECT capture_id FROM articles").fetchone()
    # A resumed run or a reindex analyses the same record again.
    index.add_article(capture, article("Hujan deras sejak pagi."))
    index.commit()
    index.close()
    assert seen_by_runs(tmp_path) == [(first, 1, "new")]


def test_a_record_extracted_again_with_another_text_keeps_its_version(tmp_path):
    first = run(tmp_path, (URL, article("Hujan deras sejak pagi. Iklan."), 200))
    index = Index(tmp_path / "index.db")
    (capture,) = index.conn.execute("SELECT capture_id FROM articles").fetchone()
    index.add_article(capture, article("Hujan deras sejak pagi."))  # a better extractor
    index.commit()
    index.close()
    assert seen_by_runs(tmp_path) == [(first, 1, "new")]
    assert rows(tmp_path, "SELECT text FROM article_versions") == [("Hujan deras sejak pagi.",)]
    assert rows(tmp_path, "SELECT text FROM articles") == [("Hujan deras sejak pagi.",)]


def test_a_multi_page_story_is_one_version_per_run_not_per_page(tmp_path):
    pages = [(URL, "Halaman satu."), (f"{URL}?page=2", "Halaman dua."),
             (f"{URL}?page=3", "Halaman tiga.")]
    first = run(tmp_path, *[(u, article(t, page=i + 1), 200) for i, (u, t) in enumerate(pages)])
    assert rows(tmp_path, "SELECT version, text FROM article_versions") == [
        (1, "Halaman satu.\n\nHalaman dua.\n\nHalaman tiga.")]
    # Run 2: page 2 was edited, pages 1 and 3 come back the same.
    edited = [(URL, "Halaman satu."), (f"{URL}?page=2", "Halaman dua, diperbarui."),
              (f"{URL}?page=3", "Halaman tiga.")]
    second = run(tmp_path, *[(u, article(t, page=i + 1), 200)
                             for i, (u, t) in enumerate(edited)])
    assert rows(tmp_path, "SELECT version, run_id, text FROM article_versions"
                          " ORDER BY version") == [
        (1, first, "Halaman satu.\n\nHalaman dua.\n\nHalaman tiga."),
        (2, second, "Halaman satu.\n\nHalaman dua, diperbarui.\n\nHalaman tiga.")]
    assert seen_by_runs(tmp_path) == [(first, 1, "new"), (second, 2, "changed")]
    # Unchanged pages still point at the captures that first had their text.
    runs_of_pages = rows(tmp_path, "SELECT p.page, c.run_id FROM article_pages p JOIN"
                                   " captures c ON c.id = p.capture_id ORDER BY p.page")
    assert runs_of_pages == [(1, first), (2, second), (3, first)]
    # Run 3: all the same again.
    third = run(tmp_path, *[(u, article(t, page=i + 1), 200)
                            for i, (u, t) in enumerate(edited)])
    assert seen_by_runs(tmp_path)[-1] == (third, 2, "unchanged")


def test_a_304_is_a_not_modified_revisit_and_the_run_saw_the_story_unchanged(tmp_path):
    first = run(tmp_path, (URL, article("Hujan deras sejak pagi."), 200))
    second = run(tmp_path, (URL, None, 304))
    revisit = rows(tmp_path, "SELECT c.record_type, c.status, o.run_id, c.payload_digest"
                             " FROM captures c JOIN captures o ON o.id = c.revisit_of"
                             " WHERE c.run_id=?", second)
    assert revisit == [("revisit", 304, first, None)]
    assert seen_by_runs(tmp_path) == [(first, 1, "new"), (second, 1, "unchanged")]
    (unchanged_capture,) = rows(tmp_path, "SELECT capture_id FROM run_articles WHERE"
                                          " run_id=?", second)[0]
    assert rows(tmp_path, "SELECT run_id FROM captures WHERE id=?", unchanged_capture) == [
        (second,)]
    records = [s.record for p in sorted(tmp_path.rglob("*.warc.gz")) for s in iter_records(p)
               if s.record.rec_type == "revisit"]
    assert [r.rec_headers.get_header("WARC-Profile") for r in records] == [
        NOT_MODIFIED_PROFILE]
    for path in tmp_path.rglob("*.warc.gz"):
        check = subprocess.run([sys.executable, "-m", "warcio.cli", "check", str(path)],
                               capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr


def test_a_lost_capture_of_an_edit_puts_the_story_back_to_its_previous_version(tmp_path):
    first = run(tmp_path, (URL, article("Hujan deras sejak pagi."), 200))
    second = run(tmp_path, (URL, article("Hujan reda."), 200))
    (lost,) = rows(tmp_path, "SELECT id FROM captures WHERE run_id=?", second)[0]
    index = Index(tmp_path / "index.db")
    index.remove_capture(lost)  # its record was cut off a crashed run's WARC
    index.commit()
    index.close()
    assert rows(tmp_path, "SELECT text FROM articles") == [("Hujan deras sejak pagi.",)]
    assert rows(tmp_path, "SELECT version FROM article_versions") == [(1,)]
    assert seen_by_runs(tmp_path) == [(first, 1, "new")]


def test_diff_shows_the_edited_paragraph_and_needs_two_versions(tmp_path):
    run(tmp_path, (URL, article("Hujan deras sejak pagi.\n\nJalan utama tergenang."), 200))
    index = Index(tmp_path / "index.db")
    with pytest.raises(VersionError, match="only 1 version"):
        diff(index, URL)
    index.close()
    run(tmp_path, (URL, article("Hujan deras sejak pagi.\n\nJalan utama sudah surut."), 200))
    index = Index(tmp_path / "index.db")
    text = diff(index, URL)
    with pytest.raises(VersionError, match="no version 7"):
        diff(index, URL, 1, 7)
    index.close()
    assert "-Jalan utama tergenang." in text and "+Jalan utama sudah surut." in text
    assert " Hujan deras sejak pagi." in text and "version 1" in text and "version 2" in text


def test_an_index_from_before_versions_gets_its_articles_as_version_one(tmp_path):
    path = tmp_path / "index.db"
    db = Database(path)
    schema.migrations.apply(db, stop_before="m003_versions_text_digest")
    db["runs"].insert({"id": 1, "crawl": "k", "kind": "crawl", "status": "finished"})
    db["captures"].insert({"id": 5, "run_id": 1, "url": URL, "status": 200,
                           "record_id": "<urn:uuid:x>", "record_type": "response",
                           "fetched_at": "2022-01-06T01:00:00+00:00"})
    db["articles"].insert({"id": 3, "capture_id": 5, "url": URL, "title": "Banjir",
                           "text": "Hujan  deras.", "word_count": 2})
    db.conn.close()
    Index(path).close()
    assert rows(tmp_path, "SELECT text_digest FROM articles") == [(text_digest("Hujan deras."),)]
    assert rows(tmp_path, "SELECT article_id, version, run_id, capture_id, fetched_at FROM"
                          " article_versions") == [(3, 1, 1, 5, "2022-01-06T01:00:00+00:00")]
    assert rows(tmp_path, "SELECT run_id, article_id, capture_id, change FROM"
                          " run_articles") == [(1, 3, 5, "new")]
