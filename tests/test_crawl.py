"""End to end: a real crawl of the fixture web, its WARC files and its index."""

from __future__ import annotations

import gzip
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from pipelines.warc import iter_records, read_record, target_uri
from tests.conftest import REPO, liputan


def records(root: Path):
    for path in sorted(root.rglob("*.warc.gz")):
        for stored in iter_records(path):
            yield path, stored


def responses_by_url(root: Path) -> dict[str, list]:
    out: dict[str, list] = {}
    for _, stored in records(root):
        if stored.record.rec_type in ("response", "revisit"):
            out.setdefault(target_uri(stored.record), []).append(stored)
    return out


def db(root: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(root / "index.db")
    conn.row_factory = sqlite3.Row
    return conn


def test_crawl_prints_summary_and_finishes(crawled):
    assert "finished" in crawled.result.stdout
    stats = json.loads((crawled.root / "stats.json").read_text())
    assert stats["liputan/articles"] >= 40
    assert stats["liputan/captures"] == stats["downloader/response_count"]


def test_every_warc_passes_warcio_check(crawled):
    files = sorted(crawled.root.rglob("*.warc.gz"))
    assert files and not list(crawled.root.rglob("*.open"))
    for path in files:
        result = subprocess.run([sys.executable, "-m", "warcio.cli", "check", str(path)],
                                capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr


def test_warcinfo_heads_every_file(crawled):
    for path in crawled.root.rglob("*.warc.gz"):
        first = next(iter_records(path))
        assert first.record.rec_type == "warcinfo"
        info = first.content.decode()
        assert "isPartOf: demo" in info and "robots: obey" in info
        assert "conformsTo: " in info and "description: " in info
        assert "liputan-request-records: rebuilt" in info


def test_redirect_404_and_robots_are_archived(crawled, web):
    by_url = responses_by_url(crawled.root)
    redirect = by_url[web.specials["redirect"]][0].record.http_headers
    assert redirect.get_statuscode() == "301"
    assert redirect.get_header("Location").endswith(
        web.specials["redirect_target"].split("/", 3)[3])
    assert by_url[web.specials["not_found"]][0].record.http_headers.get_statuscode() == "404"
    for host in ("www.kabarnusantara.test", "news.harianlangit.test", "www.serojapos.test"):
        assert f"http://{host}/robots.txt" in by_url


def test_gzip_response_is_stored_with_its_gzip_bytes(crawled, web):
    gzipped = [
        stored for _, stored in records(crawled.root)
        if stored.record.rec_type == "response"
        and stored.record.http_headers.get_header("Content-Encoding") == "gzip"
    ]
    assert gzipped
    raw = gzipped[0].record  # re-read the raw payload through the pointer API
    path = next(crawled.root.rglob("*.warc.gz"))
    rec, payload = read_record(crawled.root, (str(path.relative_to(crawled.root)),
                                              gzipped[0].offset, gzipped[0].length))
    assert rec.http_headers.get_header("Content-Encoding") == "gzip"
    body = payload.split(b"\r\n\r\n", 1)[1] if payload.startswith(b"HTTP/") else payload
    assert body[:2] == b"\x1f\x8b" and gzip.decompress(body)
    assert raw is not None


def test_repeated_set_cookie_headers_are_kept(crawled, web):
    by_url = responses_by_url(crawled.root)
    headers = by_url[web.specials["set_cookie"]][0].record.http_headers.headers
    assert len([v for k, v in headers if k.lower() == "set-cookie"]) >= 2


def test_identical_image_becomes_a_revisit(crawled, web):
    by_url = responses_by_url(crawled.root)
    kinds = {by_url[web.specials[k]][0].record.rec_type for k in ("jpeg", "jpeg_copy")}
    assert kinds == {"response", "revisit"}


def test_disallowed_path_is_never_requested(crawled, web):
    disallowed = "/" + web.specials["disallowed"].split("/", 3)[3]
    targets = [r.target for r in crawled.requests_seen]
    assert targets, "the crawl went through the fixture web"
    assert not [t for t in targets if t.startswith((disallowed, "/admin/", "/cari"))]
    stats = json.loads((crawled.root / "stats.json").read_text())
    assert stats["robotstxt/forbidden"] >= 1


def test_every_article_points_at_its_response_record(crawled):
    conn = db(crawled.root)
    rows = conn.execute(
        "SELECT a.url, c.url AS capture_url, c.warc_file, c.warc_offset, c.warc_length"
        " FROM articles a JOIN captures c ON c.id = a.capture_id").fetchall()
    assert len(rows) >= 40
    for row in rows:
        record, _ = read_record(crawled.root, (row["warc_file"], row["warc_offset"],
                                               row["warc_length"]))
        assert record.rec_type == "response"
        assert target_uri(record) == row["capture_url"] == row["url"]


def test_articles_match_the_fixture_texts(crawled, web):
    conn = db(crawled.root)
    stored = {r["url"]: r for r in conn.execute("SELECT * FROM articles")}
    found = 0
    for article in web.articles:
        if article.url not in stored:
            continue
        found += 1
        row = stored[article.url]
        assert row["title"] == article.title
        for paragraph in article.paragraphs:
            assert " ".join(paragraph.split()) in row["text"]
    assert found >= len(web.articles) - 3


def test_wrong_charset_page_is_decoded_right(crawled, web):
    conn = db(crawled.root)
    row = conn.execute("SELECT text FROM articles WHERE url = ?",
                       [web.specials["wrong_charset"]]).fetchone()
    assert row is not None
    assert "Ã" not in row["text"] and any(c in row["text"] for c in "“”—é")


def test_non_html_is_archived_but_not_an_article(crawled, web):
    conn = db(crawled.root)
    pdf = web.specials["pdf"]
    assert conn.execute("SELECT status FROM captures WHERE url = ?", [pdf]).fetchone()[0] == 200
    assert conn.execute("SELECT count(*) FROM articles WHERE url = ?", [pdf]).fetchone()[0] == 0


def test_liputan_check_passes(crawled):
    result = liputan("check", "--archive", str(crawled.root))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 problems" in result.stdout


def test_reindex_rebuilds_the_same_articles(crawled, tmp_path):
    copy = tmp_path / "copy"
    warcs = [p for p in crawled.root.rglob("*.warc.gz")]
    result = liputan("reindex", *map(str, warcs), "--archive", str(copy))
    assert result.returncode == 0, result.stderr
    original = {r["url"]: r["text"] for r in db(crawled.root).execute(
        "SELECT url, text FROM articles")}
    rebuilt = {r["url"]: r["text"] for r in db(copy).execute("SELECT url, text FROM articles")}
    assert rebuilt == original


def test_search_cli_outputs(crawled):
    table = liputan("search", "Kazakhstan", "--archive", str(crawled.root))
    assert table.returncode == 0 and "Kazakhstan" in table.stdout
    hits = json.loads(liputan("search", "Kazakhstan", "--archive", str(crawled.root),
                              "--json").stdout)
    assert hits and {"id", "url", "title", "snippet"} <= set(hits[0])
    csv_out = liputan("search", "Kazakhstan", "--archive", str(crawled.root), "--csv").stdout
    assert csv_out.splitlines()[0].startswith("id,url")


@pytest.mark.parametrize("query", ['"unterminated', "AND", "title:"])
def test_bad_search_query_is_one_line_not_a_traceback(crawled, query):
    result = liputan("search", query, "--archive", str(crawled.root))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().startswith("Error: ")
    assert "search query" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_show_prints_text_and_raw_response(crawled):
    shown = liputan("show", "1", "--archive", str(crawled.root))
    assert shown.returncode == 0 and "published_at" in shown.stdout
    raw = liputan("show", "1", "--archive", str(crawled.root), "--raw")
    assert raw.stdout.startswith("HTTP/1.1 200")
    assert "<html" in raw.stdout


def test_bad_config_is_one_line_error(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\n[limits]\nmax_pages = "lots"\n')
    result = liputan("crawl", str(bad), "--archive", str(tmp_path / "a"))
    assert result.returncode == 1
    assert "limits.max_pages must be a whole number" in result.stderr
    assert "Traceback" not in result.stderr


def test_scrapy_crawl_works_from_repo_root(web, tmp_path):
    env_args = ["-s", f"LIPUTAN_HTTP_PROXY={web.proxy_url}", "-s",
                f"LIPUTAN_ARCHIVE_DIR={tmp_path}", "-s", "CLOSESPIDER_PAGECOUNT=15",
                "-s", "LOG_LEVEL=WARNING"]
    result = subprocess.run(
        [sys.executable, "-m", "scrapy", "crawl", "coverage", "-a",
         "config=crawls/demo.toml", *env_args],
        cwd=REPO, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert list(tmp_path.rglob("*.warc.gz"))
    assert db(tmp_path).execute("SELECT count(*) FROM captures").fetchone()[0] >= 15


def test_oversized_responses_are_recorded_as_failed_captures(web, tmp_path):
    result = liputan("crawl", str(REPO / "crawls" / "demo.toml"), "--archive", str(tmp_path),
                     "--proxy", web.proxy_url, "-s", "DOWNLOAD_MAXSIZE=5000",
                     "-s", "LOG_LEVEL=CRITICAL")
    # Most pages are over the limit: the run is recorded failed and the crawl exits 1.
    assert result.returncode == 1 and "failed" in result.stderr, result.stderr
    conn = db(tmp_path)
    failed = conn.execute("SELECT url, error FROM captures WHERE error IS NOT NULL"
                          " AND warc_file IS NULL").fetchall()
    assert failed, "responses over DOWNLOAD_MAXSIZE leave a capture row with the reason"
    assert all(row["error"].startswith("DownloadCancelledError") for row in failed)
    assert any("larger than download max size" in row["error"] for row in failed)
    assert "http://www.kabarnusantara.test/" in {row["url"] for row in failed}


def _story(conn: sqlite3.Connection, url: str) -> tuple[sqlite3.Row, list[sqlite3.Row]]:
    rows = conn.execute("SELECT * FROM articles WHERE url LIKE ?", [url + "%"]).fetchall()
    assert len(rows) == 1, [r["url"] for r in rows]
    pages = conn.execute(
        "SELECT p.page, p.url, c.warc_file, c.warc_offset, c.warc_length FROM article_pages p"
        " JOIN captures c ON c.id = p.capture_id WHERE p.article_id = ? ORDER BY p.page",
        [rows[0]["id"]]).fetchall()
    return rows[0], pages


def test_multi_page_story_is_one_row_with_its_three_captures(crawled, web):
    url = web.specials["multi_page"]
    article = next(a for a in web.articles if a.url == url)
    row, pages = _story(db(crawled.root), url)
    assert row["url"] == url and row["pages"] == 3 and row["title"] == article.title
    assert row["text"] == "\n\n".join(" ".join(p.split()) for p in article.paragraphs)
    assert [p["page"] for p in pages] == [1, 2, 3]
    assert [p["url"] for p in pages] == [url, f"{url}?page=2", f"{url}?page=3"]
    for page in pages:  # each page's own response record, in the WARC
        record, _ = read_record(crawled.root, (page["warc_file"], page["warc_offset"],
                                               page["warc_length"]))
        assert record.rec_type == "response" and target_uri(record) == page["url"]


def test_story_with_a_one_page_view_is_fetched_through_it(crawled, web):
    url = web.specials["multi_page_all"]
    article = next(a for a in web.articles if a.url == url)
    conn = db(crawled.root)
    row, pages = _story(conn, url)
    assert [(p["page"], p["url"]) for p in pages] == [(0, f"{url}?page=all"), (1, url)]
    assert row["text"] == "\n\n".join(" ".join(p.split()) for p in article.paragraphs)
    fetched = {r[0] for r in conn.execute("SELECT url FROM captures")}
    assert f"{url}?page=2" not in fetched and f"{url}?page=3" not in fetched


def test_a_crawl_never_fetches_the_public_suffix_list(web, tmp_path):
    # An empty tldextract cache: Scrapy's cookie middleware would download the list.
    env = {**os.environ, "TLDEXTRACT_CACHE": str(tmp_path / "tld-cache")}
    result = subprocess.run(
        [sys.executable, "-m", "crawler.cli", "crawl", str(REPO / "crawls" / "demo.toml"),
         "--archive", str(tmp_path / "a"), "--proxy", web.proxy_url, "-s", "LOG_LEVEL=WARNING",
         "-s", "LIPUTAN_FOCUS=False"], cwd=REPO, env=env, capture_output=True, text=True,
        timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Public Suffix" not in result.stderr and "publicsuffix" not in result.stderr
