"""`liputan serve`: the researchers' web UI (Datasette and our plugin) over the index of a
real crawl of the fixture web, served by the CLI in a subprocess and driven in Debian's
headless Chromium. Nothing the pages load may come from beyond loopback."""

from __future__ import annotations

import hashlib
import json
import os
import re
import select
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import REPO, liputan
from tests.test_cli_errors import assert_one_line_error

CHROMIUM = Path("/usr/bin/chromium")


# -- the server and the browser ------------------------------------------------------------
@dataclass
class Served:
    url: str  # http://127.0.0.1:PORT (no trailing slash)
    banner: str  # the line it printed first
    archive: Path
    process: subprocess.Popen

    def get(self, path: str) -> bytes:
        with urllib.request.urlopen(self.url + path, timeout=10) as response:
            return response.read()

    def rows(self, path: str) -> list[dict]:
        return json.loads(self.get(path + ("&" if "?" in path else "?") + "_shape=array"))

    def stop(self) -> tuple[str, str]:
        """Ctrl-C, as a person stops it: returns what it printed (killed if it hangs)."""
        self.process.send_signal(signal.SIGINT)
        try:
            return self.process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.communicate()


def serve(archive: Path, *args: str) -> Served:
    """`liputan serve --port 0` in a subprocess, once it printed the URL to open."""
    process = subprocess.Popen(
        [sys.executable, "-m", "crawler.cli", "serve", "--archive", str(archive), "--port", "0",
         *args], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"})
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        ready, _, _ = select.select([process.stdout], [], [], deadline - time.monotonic())
        line = process.stdout.readline() if ready else ""
        found = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        if found:
            return Served(found.group(0).rstrip("/"), line.strip(), archive, process)
        if process.poll() is not None:
            break
    process.kill()
    raise AssertionError(f"serve printed no URL: {process.communicate()}")


def copy_archive(crawled, tmp_path_factory, name: str) -> Path:
    """A copy of the session crawl's archive: these tests write to it as a crawl would."""
    root = tmp_path_factory.mktemp(name) / "archive"
    shutil.copytree(crawled.root, root)
    return root


@pytest.fixture(scope="module")
def served(crawled, tmp_path_factory) -> Iterator[Served]:
    server = serve(copy_archive(crawled, tmp_path_factory, "served"))
    yield server
    out, err = server.stop()
    assert server.process.returncode == 0, err
    assert out.strip().splitlines()[-1] == "Stopped." and "Traceback" not in err, out + err


@pytest.fixture(scope="module")
def browser():
    reason = None
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        reason = "the playwright package is not installed (make install)"
    if reason is None and not CHROMIUM.exists():
        reason = f"no Chromium at {CHROMIUM} (apt-get install chromium; `make test` does)"
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"the web UI tests need a browser: {reason}")
        pytest.skip(reason)
    with sync_playwright() as playwright:  # Debian's Chromium: no browser download
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM))
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, served):
    """A browser tab that refuses, and records, every request beyond the server."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    outside: list[str] = []

    def guard(route):
        if route.request.url.startswith(served.url + "/"):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    tab = context.new_page()
    tab.set_default_timeout(10_000)
    yield tab
    context.close()
    assert not outside, f"the UI loaded from beyond loopback: {outside}"


def query(archive: Path, sql: str, params: tuple = ()) -> list[tuple]:
    conn = sqlite3.connect(f"{(archive / 'index.db').as_uri()}?mode=ro", uri=True)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def shown_count(tab) -> int:
    """The row count Datasette prints above a filtered table ("16 rows where ...")."""
    found = re.search(r"([\d,]+) rows?", tab.locator("h3").first.inner_text())
    assert found, tab.locator("h3").first.inner_text()
    return int(found.group(1).replace(",", ""))


def shown_ids(tab) -> set[int]:
    return {int(t) for t in tab.locator("table.rows-and-columns tbody td.col-id").all_inner_texts()}


# -- in the browser ------------------------------------------------------------------------
def test_search_on_the_articles_table_returns_the_matching_rows(served, page):
    expected = {r[0] for r in query(served.archive, "SELECT rowid FROM articles_fts"
                                    " WHERE articles_fts MATCH '\"Tokaev\"'")}
    assert len(expected) >= 2  # the fixture tells the story with that spelling several times
    page.goto(served.url + "/index/articles")
    page.fill("#_search", "Tokaev")
    page.press("#_search", "Enter")
    page.wait_for_url(re.compile(r"_search=Tokaev"))
    assert shown_ids(page) == expected
    assert shown_count(page) == len(expected)


def test_facet_clicks_filter_by_outlet_local_day_and_run(served, page):
    page.goto(served.url + "/index/articles")
    page.locator("#facet-outlet a", has_text="Seroja Pos").click()
    page.wait_for_url(re.compile(r"outlet=Seroja"))
    (n,) = query(served.archive, "SELECT count(*) FROM articles WHERE outlet='Seroja Pos'")[0]
    assert shown_count(page) == n > 0
    assert set(page.locator("td.col-outlet").all_inner_texts()) == {"Seroja Pos"}

    # The local day: the outlet's own date (WITA for Seroja Pos), not the UTC day.
    page.locator("#facet-published_day a").first.click()
    page.wait_for_url(re.compile(r"published_day=\d{4}-\d\d-\d\d"))
    day = re.search(r"published_day=([\d-]+)", page.url).group(1)
    (n,) = query(served.archive, "SELECT count(*) FROM articles WHERE outlet='Seroja Pos'"
                 " AND substr(published_at, 1, 10)=?", (day,))[0]
    assert shown_count(page) == n > 0

    page.goto(served.url + "/index/articles")
    page.locator("#facet-run_id a").first.click()
    page.wait_for_url(re.compile(r"_run=\d+"))
    run = int(re.search(r"_run=(\d+)", page.url).group(1))
    expected = {r[0] for r in query(served.archive, "SELECT article_id FROM run_articles"
                                    " WHERE run_id=?", (run,))}
    assert shown_count(page) == len(expected) > 0
    assert f"seen by run {run}" in page.locator("h3").first.inner_text()


def test_the_coverage_chart_renders_bars_per_local_day(served, page, tmp_path):
    from PIL import Image

    page.goto(served.url + "/index/articles")
    page.get_by_role("link", name="coverage over time", exact=True).click()
    page.wait_for_url(re.compile(r"/-/liputan/coverage"))
    outlets = query(served.archive, "SELECT count(DISTINCT outlet) FROM articles")[0][0]
    charts = page.locator("svg.coverage-chart")
    assert charts.count() == 1 + outlets  # all outlets, then each on one scale
    days = query(served.archive, "SELECT substr(published_at, 1, 10), count(*) FROM articles"
                 " WHERE published_at IS NOT NULL GROUP BY 1")
    assert charts.first.locator("rect.bar").count() == len(days)
    shot = tmp_path / "chart.png"
    charts.first.screenshot(path=str(shot))
    image = Image.open(shot).convert("RGB")
    colours = image.getcolors(maxcolors=1 << 20)
    bar = sum(n for n, rgb in colours if rgb == (0x3B, 0x6E, 0xA5))
    assert len(colours) > 3 and bar > 0.01 * image.width * image.height, colours[:5]

    # A bar is a link to the articles it counts.
    busiest_day, busiest = max(days, key=lambda d: (d[1], d[0]))
    title = f"{busiest_day}: {busiest:,} article{'s' if busiest != 1 else ''}"
    bar_link = charts.first.locator("a", has=page.locator("title", has_text=title))
    bar_link.first.click()
    page.wait_for_url(re.compile(rf"published_day={busiest_day}"))
    assert shown_count(page) == busiest


def test_an_article_links_to_its_archived_response_shown_as_inert_text(served, page):
    from pipelines.warc import read_record

    page.goto(served.url + "/index/articles?_sort=id")
    first = page.locator("table.rows-and-columns tbody tr").first
    article_id = int(first.locator("td.col-id").inner_text())
    with page.expect_navigation():
        first.locator("a.liputan-record").click()
    assert page.url.endswith(f"/-/liputan/record/{article_id}")
    warc_file, offset, length = query(
        served.archive, "SELECT c.warc_file, c.warc_offset, c.warc_length FROM articles a"
        " JOIN captures c ON c.id = a.capture_id WHERE a.id=?", (article_id,))[0]
    record, _ = read_record(served.archive, (warc_file, offset, length))
    status_line = f"{record.http_headers.protocol} {record.http_headers.statusline}"
    head = page.locator("pre.http-head").inner_text()
    assert head.splitlines()[0] == status_line == "HTTP/1.1 200 OK"
    assert f"Content-Type: {record.http_headers.get_header('Content-Type')}" in head
    assert f"{warc_file} @{offset}+{length}" in page.locator("dl").first.inner_text()
    body = page.locator("pre.http-body").inner_text()
    assert "<!DOCTYPE html>" in body and "window.dataLayer" in body  # the page as text
    # ... and never as a page: its markup made no elements, its scripts did not run.
    assert page.locator("meta[property='og:title']").count() == 0
    assert page.evaluate("typeof window.dataLayer") == "undefined"
    assert "no replay service" in page.locator("dd.replay").inner_text()
    response = page.request.get(page.url)
    assert "script-src 'none'" in response.headers["content-security-policy"]


# -- over HTTP: the canned queries, while a crawl writes -----------------------------------
def test_canned_queries_answer_and_see_what_a_crawl_commits_meanwhile(served):
    articles = query(served.archive, "SELECT count(*) FROM articles")[0][0]
    per_day = served.rows("/index/coverage_per_day.json?outlet=")
    assert sum(r["articles"] for r in per_day) == articles
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d", r["day"]) for r in per_day)
    assert {r["outlet"] for r in served.rows("/index/coverage_per_day.json?outlet=Seroja+Pos")
            } == {"Seroja Pos"}
    (run,) = served.rows("/index/coverage_per_run.json")
    assert run["articles"] == run["new"] == articles and run["captures"] > articles
    # The demo web's syndicated story is one cluster; its in-body links cite fixture hosts.
    clusters_before = served.rows("/index/syndication_clusters.json")
    assert {r["size"] for r in clusters_before} == {2}
    cited_before = served.rows("/index/most_cited_sources.json")
    assert all(r["host"].endswith(".test") for r in cited_before)

    # A writer (as a crawl, in WAL mode) holds a transaction open: the UI still answers.
    (a, b), (c,) = (query(served.archive, "SELECT min(id), max(id) FROM articles")[0],
                    query(served.archive, "SELECT min(id) FROM articles WHERE outlet="
                          "'Seroja Pos'")[0])
    writer = sqlite3.connect(served.archive / "index.db", timeout=10, isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("UPDATE articles SET cluster_id = 99999 WHERE id IN (?, ?)", (a, b))
        writer.executemany(
            "INSERT INTO links (source_article_id, target_url, anchor) VALUES (?, ?, 'x')",
            [(a, "https://www.antaranews.com/berita/1"), (b, "http://antaranews.com/b"),
             (c, "https://WHO.int/news"), (a, "mailto:redaksi@example.id")])
        # not committed yet
        assert served.rows("/index/syndication_clusters.json") == clusters_before
        writer.execute("COMMIT")
    finally:
        writer.close()
    cluster = [r for r in served.rows("/index/syndication_clusters.json")
               if r["cluster_id"] == 99999]
    assert {r["article_id"] for r in cluster} == {a, b} and {r["size"] for r in cluster} == {2}
    assert [r for r in served.rows("/index/most_cited_sources.json")
            if not r["host"].endswith(".test")] == [
        {"host": "antaranews.com", "links": 2, "citing_articles": 2,
         "citing_outlets": len({query(served.archive, "SELECT outlet FROM articles WHERE id=?",
                                      (i,))[0][0] for i in (a, b)})},
        {"host": "who.int", "links": 1, "citing_articles": 1, "citing_outlets": 1}]


def test_record_pages_of_unknown_ids_are_404(served):
    for path in ("/-/liputan/record/999999", "/-/liputan/capture/999999"):
        with pytest.raises(urllib.error.HTTPError) as raised:
            served.get(path)
        assert raised.value.code == 404


# -- the command ---------------------------------------------------------------------------
def test_serve_reads_only_and_stops_on_ctrl_c_in_one_line(crawled, tmp_path_factory):
    archive = copy_archive(crawled, tmp_path_factory, "readonly")
    before = hashlib.sha256((archive / "index.db").read_bytes()).hexdigest()
    server = serve(archive)
    try:
        for path in ("/", "/index/articles?_search=Kazakhstan", "/-/liputan/coverage",
                     "/-/liputan/record/1", "/index/coverage_per_run"):
            assert server.get(path)
        with pytest.raises(urllib.error.HTTPError):
            server.get("/-/liputan/record/999999")
    finally:
        out, err = server.stop()
    assert server.process.returncode == 0, err
    assert f"read-only at {server.url}/" in server.banner
    assert out.strip() == "Stopped." and not err.strip(), out + err  # a 404 said nothing
    assert hashlib.sha256((archive / "index.db").read_bytes()).hexdigest() == before


def test_serve_errors_are_one_line(tmp_path):
    assert_one_line_error(liputan("serve", "--archive", str(tmp_path)), "no index at")
    (tmp_path / "index.db").write_text("not a database")
    assert_one_line_error(liputan("serve", "--archive", str(tmp_path)),
                          "is not a readable SQLite index")


def test_serve_on_a_port_in_use_says_so(crawled):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = liputan("serve", "--archive", str(crawled.root), "--port", str(port),
                         timeout=60)
    assert_one_line_error(result, f"port {port} on 127.0.0.1 is in use")


def test_only_loopback_hosts_pass_without_a_warning():
    from crawler.cli.serve import _is_loopback

    assert all(map(_is_loopback, ("127.0.0.1", "127.0.0.2", "localhost", "::1")))
    assert not any(map(_is_loopback, ("0.0.0.0", "192.168.1.5", "::", "example.id")))


# -- the parts, without a server -----------------------------------------------------------
def test_the_metadata_facets_and_counts_by_the_local_day(tmp_path):
    from crawler.web import metadata

    served = metadata(tmp_path, {"id", "published_at", "published_day", "outlet"})
    tables = served["databases"]["index"]["tables"]
    assert "published_day" in tables["articles"]["facets"]
    assert served["databases"]["index"]["queries"]["coverage_per_day"]["sql"].startswith(
        "SELECT published_day AS day")
    assert tables["frontier"] == {"hidden": True} and tables["articles_fts"] == {"hidden": True}
    assert served["plugins"]["liputan"]["archive"] == str(tmp_path)


def test_an_index_from_before_published_day_is_brought_up_to_date(tmp_path):
    """An index written before the `published_day` column: serving migrates it first, then
    facet, chart and queries read the column."""
    import sqlite_utils

    from pipelines.index import schema

    archive = tmp_path / "archive"
    archive.mkdir()
    db = sqlite_utils.Database(archive / "index.db")
    schema.migrations.apply(db, stop_before="m006_research")
    db["runs"].insert({"id": 1, "crawl": "old", "kind": "crawl", "status": "finished"})
    db["captures"].insert({"id": 1, "run_id": 1, "url": "http://a.test/1",
                           "record_id": "<urn:uuid:1>"})
    db["articles"].insert({"id": 1, "capture_id": 1, "url": "http://a.test/1", "outlet": "A",
                           "title": "Kerusuhan", "text": "Kerusuhan di Almaty.",
                           "published_at": "2022-01-05T23:30:00+07:00"})
    db.conn.close()
    server = serve(archive)
    try:
        facets = json.loads(server.get("/index/articles.json?_extra=facet_results"))
        facet = facets["facet_results"]["published_day"]
        assert facet["type"] == "column" and facet["results"][0]["value"] == "2022-01-05"
        assert server.rows("/index/coverage_per_day.json") == [
            {"day": "2022-01-05", "outlet": "A", "articles": 1}]
        assert b'class="bar"' in server.get("/-/liputan/coverage")
    finally:
        server.stop()


def test_bar_chart_draws_a_bar_per_non_empty_period():
    from pipelines import chart as webchart

    periods = [f"2022-01-{d:02d}" for d in range(3, 32)] + ["2022-02-01"]
    counts = {"2022-01-03": 2, "2022-01-05": 1, "2022-02-01": 4}
    svg = webchart.bar_chart(counts, periods, "day", peak=4, title="A & B",
                             href=lambda d: f"/x?d={d}&o=1")
    assert svg.count("<rect") == 3 and "A &amp; B: 7 articles" in svg
    assert 'href="/x?d=2022-01-03&amp;o=1"' in svg and "2022-02-01: 4 articles" in svg
    assert webchart.default_period(365) == "day" and webchart.default_period(900) == "week"
    assert webchart.default_period(3000) == "month"
