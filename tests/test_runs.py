"""Run history and reports: a failed run exits 1 and says where to look, robots-blocked and
budget-dropped URLs are recorded, `liputan runs` counts from the tables and tells a dead
run from a running one, `liputan report` renders a run as a table, JSON and one HTML file."""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from crawler.config import load_config
from crawler.focus import Focus
from pipelines.archive import CrawlArchive
from pipelines.extract import Article, PageAnalysis
from pipelines.index import Index
from pipelines.lock import ArchiveLock
from pipelines.report import gate_of
from pipelines.runs import run_counts
from pipelines.warc import HttpExchange
from tests.conftest import DEMO_CONFIG, liputan

HOSTS = ("www.kabarnusantara.test", "news.harianlangit.test", "www.serojapos.test")


def runs_json(root: Path) -> list[dict]:
    result = liputan("runs", "--archive", str(root), "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def report_json(root: Path, run: str = "latest") -> dict:
    result = liputan("report", run, "--archive", str(root), "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


STARTS = ("http://www.kabarnusantara.test/", "http://www.kabarnusantara.test/redaksi",
          "http://www.kabarnusantara.test/kontak")


@pytest.fixture(scope="module")
def failed_crawl(web, tmp_path_factory):
    """A crawl whose pages are all too large to download (DOWNLOAD_MAXSIZE) while its
    host's robots.txt, small, answers: every page fetch fails. Its budget of one page goes
    to the first start URL; the other two are dropped."""
    root = tmp_path_factory.mktemp("failed")
    config = root / "broken.toml"
    config.write_text(f'name = "broken"\n[topic]\nlanguage = ""\n[sources]\n'
                      f"start_urls = {json.dumps(STARTS)}\n[limits]\nmax_pages = 1\n"
                      "[politeness]\ndelay_per_host = 0\n", encoding="utf-8")
    result = liputan("crawl", str(config), "--archive", str(root / "archive"), "--proxy",
                     web.proxy_url, "-s", "DOWNLOAD_MAXSIZE=1000", "-s", "RETRY_TIMES=0",
                     "-s", "LOG_LEVEL=CRITICAL")
    root = root / "archive"
    return Views(root, result, runs_json(root), report_json(root))


@dataclass
class Views:
    """An archive and what `liputan runs --json` and `liputan report latest --json` say."""
    root: Path
    result: subprocess.CompletedProcess | None
    runs: list[dict]
    report: dict


@pytest.fixture(scope="module")
def crawled_views(crawled) -> Views:
    return Views(crawled.root, None, runs_json(crawled.root), report_json(crawled.root, "demo"))


def test_a_failed_run_exits_1_with_one_line_naming_its_report(failed_crawl):
    result = failed_crawl.result
    assert result.returncode == 1, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "run 1 of broken failed" in lines[0] and "`liputan report 1`" in lines[0]


def test_robots_txt_answering_does_not_save_a_run_whose_pages_all_fail(failed_crawl):
    conn = sqlite3.connect(failed_crawl.root / "index.db")
    robots = conn.execute("SELECT status FROM captures WHERE url LIKE '%/robots.txt'").fetchall()
    assert robots == [(200,)]  # robots.txt was fetched and archived
    (run,) = failed_crawl.runs
    assert run["status"] == "failed"
    assert run["fetched"] == 0 and run["failures"] == 1 and run["archived"] == 1
    assert conn.execute("SELECT status FROM runs").fetchone() == ("failed",)


def test_the_report_of_a_failed_run_lists_its_failures(failed_crawl):
    report = failed_crawl.report
    assert report["run"]["status"] == "failed"
    (failure,) = report["failures"]
    assert failure["url"] in STARTS
    assert failure["error"].startswith("DownloadCancelledError")
    assert report["errors"] == {"DownloadCancelledError": 1}
    (outlet,) = report["outlets"]
    assert outlet["outlet"] == "www.kabarnusantara.test"
    assert (outlet["fetched"], outlet["failures"], outlet["archived"]) == (0, 1, 1)
    table = liputan("report", "1", "--archive", str(failed_crawl.root))
    assert table.returncode == 0 and "Failed fetches (1)" in table.stdout
    assert f"{failure['url']}  DownloadCancelledError" in table.stdout


def test_urls_dropped_by_the_page_budget_are_recorded(failed_crawl):
    skipped = sqlite3.connect(failed_crawl.root / "index.db").execute(
        "SELECT url, reason FROM skipped ORDER BY url").fetchall()
    (failure,) = failed_crawl.report["failures"]
    assert skipped == sorted((url, "budget") for url in STARTS if url != failure["url"])
    assert sum(o["budget_dropped"] for o in failed_crawl.report["outlets"]) == 2
    (run,) = failed_crawl.runs
    assert run["budget_dropped"] == 2 and run["robots_blocked"] == 0


def test_pages_counted_leave_robots_txt_out_and_server_errors_fail(tmp_path):
    archive = CrawlArchive(tmp_path, "unit")
    page = [("Content-Type", "text/html")]
    archive.capture(HttpExchange("http://a.test/robots.txt", 200, [], b"User-agent: *\n"))
    archive.capture(HttpExchange("http://a.test/1", 503, page, b"<p>busy</p>"))
    archive.record_failure("http://a.test/2", "ConnectionRefusedError: refused")
    run_id = archive.run_id
    counts = run_counts(archive.index, [run_id])[run_id]
    assert (counts.fetched, counts.failures, counts.archived) == (0, 2, 2)
    assert counts.outcome(0.5) == "failed"  # robots.txt answered, no page was served
    archive.capture(HttpExchange("http://a.test/3", 200, page, b"<p>ok</p>"))
    counts = run_counts(archive.index, [run_id])[run_id]
    assert (counts.fetched, counts.failures) == (1, 2)
    assert counts.outcome(0.5) == "failed" and counts.outcome(0.7) == "finished"
    archive.close()


def test_a_resumed_run_counts_what_its_earlier_processes_fetched(tmp_path):
    first = CrawlArchive(tmp_path, "unit")
    first.capture(HttpExchange("http://a.test/1", 200, [("Content-Type", "text/html")],
                               b"<p>ok</p>"))
    first.close(status="interrupted")
    second = CrawlArchive(tmp_path, "unit")  # carries on the run, fetches nothing more
    assert second.resumed and second.run_id == first.run_id
    counts = run_counts(second.index, [second.run_id])[second.run_id]
    assert counts.fetched == 1 and counts.outcome(0.5) == "finished"
    second.close()


def test_robots_blocked_urls_are_recorded_and_reported(crawled, crawled_views, web):
    conn = sqlite3.connect(crawled.root / "index.db")
    blocked = {url for (url,) in conn.execute(
        "SELECT url FROM skipped WHERE reason='robots'")}
    assert web.specials["disallowed"] in blocked  # /admin/login, linked from every page
    assert all(re.search(r"/(admin/|cari)", url) for url in blocked)
    captured = {url for (url,) in conn.execute("SELECT url FROM captures")}
    assert not blocked & captured  # never fetched
    stats = json.loads((crawled.root / "stats.json").read_text())
    assert len(blocked) == stats["robotstxt/forbidden"]  # every refusal, once
    report = crawled_views.report
    assert {row["url"] for row in report["robots_blocked"]} == blocked
    assert sum(o["robots_blocked"] for o in report["outlets"]) == len(blocked)
    assert crawled_views.runs[0]["robots_blocked"] == len(blocked)


def test_a_finished_run_counts_agree_between_runs_report_and_tables(crawled_views):
    (run,) = crawled_views.runs
    assert run["status"] == "finished" and run["failures"] == 0
    conn = sqlite3.connect(crawled_views.root / "index.db")
    pages = conn.execute("SELECT count(*) FROM captures WHERE url NOT LIKE '%/robots.txt'"
                         ).fetchone()[0]
    articles = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
    assert run["fetched"] == pages and run["new_articles"] == articles >= 40
    report = crawled_views.report  # `liputan report demo`: the crawl's latest run
    assert report["run"]["run"] == run["run"] and report["valid"] is True
    assert {o["outlet"] for o in report["outlets"]} >= set(HOSTS)
    assert sum(o["fetched"] for o in report["outlets"]) == run["fetched"]
    assert sum(o["indexed"] for o in report["outlets"]) == articles
    assert sum(d["articles"] for d in report["published_days"]) + report[
        "undated_articles"] == articles
    assert report["warc_files"] and all(f["records"] for f in report["warc_files"])


def test_html_report_is_one_self_contained_file(crawled, tmp_path):
    out = tmp_path / "report.html"
    result = liputan("report", "latest", "--archive", str(crawled.root), "--html", str(out))
    assert result.returncode == 0, result.stderr
    page = out.read_text(encoding="utf-8")
    assert '<table class="outlets">' in page and all(host in page for host in HOSTS)
    assert "<svg" in page and "<rect" in page  # articles per published day
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", page, re.I)
    assert "<script" not in page and "<link" not in page and "@import" not in page
    assert "/admin/login" in page  # robots-blocked URLs listed


def test_a_running_run_whose_process_is_gone_shows_interrupted(tmp_path):
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    index = Index(tmp_path / "index.db")
    dead = index.start_run("gone")
    index.conn.execute("UPDATE runs SET pid=? WHERE id=?", [int(gone.stdout), dead])
    alive = index.start_run("here")  # this test's own process, holding the archive: alive
    index.close()
    with ArchiveLock(tmp_path, "here"):
        shown = {row["run"]: row["status"] for row in runs_json(tmp_path)}
    assert shown == {dead: "interrupted", alive: "running"}
    assert {row["run"]: row["status"] for row in runs_json(tmp_path)}[alive] == "interrupted"
    table = liputan("runs", "--archive", str(tmp_path), "--crawl", "gone").stdout.splitlines()
    assert len(table) == 2 and " gone " in table[1] and " interrupted " in table[1]
    assert sqlite3.connect(tmp_path / "index.db").execute(
        "SELECT status FROM runs WHERE id=?", [dead]).fetchone() == ("running",)  # read only


def test_report_of_an_unknown_run_is_one_line(crawled):
    result = liputan("report", "no-such-crawl", "--archive", str(crawled.root))
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"Error: no run 'no-such-crawl' in {crawled.root}; list them with `liputan runs`"]


def test_gate_words_name_the_gates_of_the_focus_verdicts():
    focus = Focus.from_config(load_config(DEMO_CONFIG))
    cases = {"language": Article("u", "t", "x", language="en", published_at="2022-01-05"),
             "window": Article("u", "t", "x", language="id", published_at="2021-11-03"),
             "topic": Article("u", "t", "x", language="id", published_at="2022-01-05")}
    for gate, article in cases.items():
        found, words = focus.verdict(PageAnalysis("article", article=article), 0.0)
        assert found == gate and gate_of(words) == gate, words


def test_report_needs_an_index(tmp_path):
    result = liputan("report", "latest", "--archive", str(tmp_path / "none"))
    assert result.returncode == 1 and "no index" in result.stderr
