"""A crawl of a hostile web (tests/faultweb.py): every fault recorded with its reason,
nothing off scope requested, no connection beyond loopback, every WARC valid, memory
bounded. One crawl in a subprocess, run with the socket guard (tests/netguard) and an empty
tldextract cache, as on a fresh machine with no network."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from benchmarks.crawl import tree_rss
from pipelines.links import MAX_PAGE_LINKS
from tests.conftest import REPO, liputan
from tests.faultweb import (
    AGGREGATOR,
    ELSEWHERE,
    FAULTS,
    FORBIDDEN_LINKS,
    HOST,
    MANY_LINKS,
    METADATA,
    METADATA_START,
    OFF_TARGETS,
    REDIRECTED_QUERY,
    FaultWeb,
    write_config,
)

NETGUARD = REPO / "tests" / "netguard"
# The requirement: the process tree (crawl, extraction worker, resource tracker) stays under
# 400 MB. It peaks at 290-300 MB (README, "Hostile web"): the 50k-link page's parse and the
# language model's load are the worker's peaks, the 32 MB download cap the crawl's.
MAX_RSS_MB = 400
# Short timeouts keep the hang and the drip to seconds; one retry shows retries are bounded.
SETTINGS = ("DOWNLOAD_TIMEOUT=3", "RETRY_TIMES=1", "LIPUTAN_EXTRACT_WORKERS=1",
            "LIPUTAN_PROGRESS=never")


def guarded_env(work: Path, **extra: str) -> dict[str, str]:
    """A crawl's environment: the socket guard on, an empty tldextract cache."""
    return {**os.environ, "PYTHONPATH": str(NETGUARD), "PYTHONUNBUFFERED": "1",
            "LIPUTAN_NETGUARD_LOG": str(work / "netguard.log"),
            "TLDEXTRACT_CACHE": str(work / "tldextract"), "XDG_CACHE_HOME": str(work / "xdg"),
            **extra}


def guard_log(work: Path) -> list[dict]:
    path = work / "netguard.log"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def run_sampled(cmd: list[str], env: dict[str, str]) -> tuple[subprocess.CompletedProcess,
                                                                 int]:
    """Run a command; also the peak RSS of its process tree, in MB."""
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, tree_rss(proc.pid) >> 20)
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        out, err = proc.communicate(timeout=120)
    finally:
        done.set()
        sampler.join()
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err), peak


@dataclass
class FaultCrawl:
    work: Path
    root: Path
    result: subprocess.CompletedProcess
    hits: list
    peak_mb: int
    stats: dict

    def db(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.root / "index.db")
        conn.row_factory = sqlite3.Row
        return conn

    def captures(self, url: str) -> list[sqlite3.Row]:
        return self.db().execute("SELECT * FROM captures WHERE url=? ORDER BY id",
                                 [url]).fetchall()

    def skipped(self) -> dict[str, str]:
        return dict(self.db().execute("SELECT url, reason FROM skipped WHERE reason != "
                                      "'budget'").fetchall())


@pytest.fixture(scope="module")
def fault_crawl(tmp_path_factory) -> FaultCrawl:
    work = tmp_path_factory.mktemp("faults")
    config = write_config(work)
    root = work / "archive"
    cmd = [sys.executable, "-m", "crawler.cli", "crawl", str(config), "--archive", str(root),
           "--stats-json", str(work / "stats.json")]
    for setting in SETTINGS:
        cmd += ["-s", setting]
    with FaultWeb() as web:
        result, peak = run_sampled([*cmd, "--proxy", web.proxy_url], guarded_env(work))
        hits = web.hits
    stats = json.loads((work / "stats.json").read_text()) if (work / "stats.json").exists() \
        else {}
    return FaultCrawl(work, root, result, hits, peak, stats)


def url(path: str) -> str:
    return f"http://{HOST}{path}"


def test_the_crawl_finishes_without_a_traceback(fault_crawl):
    result = fault_crawl.result
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout
    assert "finished" in result.stdout
    assert "refused (scope)" in result.stdout


@pytest.mark.parametrize(("fault", "reason"), [
    ("hang", "DownloadTimeoutError"),
    ("slow drip", "DownloadTimeoutError"),
    ("reset mid-body", "ResponseDataLossError"),
    ("100 MB body", "larger than download max size"),
    ("huge header", "DownloadFailedError"),
])
def test_a_fetch_that_fails_is_a_capture_row_with_its_reason(fault_crawl, fault, reason):
    rows = fault_crawl.captures(url(FAULTS[fault]))
    assert rows and all(r["warc_file"] is None for r in rows)
    assert reason in rows[0]["error"]
    assert len(rows) <= 2  # RETRY_TIMES=1: tried twice at most, never forever


def test_a_body_without_length_stops_at_the_download_cap(fault_crawl):
    rows = fault_crawl.captures(url(FAULTS["100 MB body, no length"]))
    assert rows and rows[0]["warc_file"] is None
    # Cancelled past DOWNLOAD_MAXSIZE, or timed out first on a loaded machine: bounded.
    assert "past DOWNLOAD_MAXSIZE" in rows[0]["error"] or "took longer" in rows[0]["error"]


def test_a_gzip_bomb_is_archived_as_sent_with_its_reason(fault_crawl):
    (row,) = fault_crawl.captures(url(FAULTS["gzip bomb"]))
    assert row["status"] == 200 and row["warc_file"]  # the 65 KB as sent, never inflated
    assert "exceeded DOWNLOAD_MAXSIZE" in row["error"]


@pytest.mark.parametrize("fault", ["binary as HTML", "binary after an HTML head"])
def test_binary_served_as_html_is_a_capture_not_an_article(fault_crawl, fault):
    (row,) = fault_crawl.captures(url(FAULTS[fault]))
    assert row["status"] == 200 and row["warc_file"]
    assert row["error"].startswith("binary: ") and "control characters" in row["error"]
    assert not fault_crawl.db().execute("SELECT 1 FROM articles WHERE capture_id=?",
                                        [row["id"]]).fetchone()


@pytest.mark.parametrize(("fault", "title"), [
    ("wrong charset", "Air Bah di Kota “Lama”"), ("bogus charset", "Banjir Susulan"),
    ("many headers", "Seribu Kepala")])
def test_pages_with_odd_charsets_or_heads_are_indexed_right(fault_crawl, fault, title):
    row = fault_crawl.db().execute("SELECT title, text FROM articles WHERE url=?",
                                   [url(FAULTS[fault])]).fetchone()
    assert row is not None and row["title"] == title
    assert "Ã" not in row["text"] and "“Cikalong” —" in row["text"]


def test_redirect_loops_end_with_a_reason(fault_crawl):
    loop = [r for p in ("/loop/a", "/loop/b") for r in fault_crawl.captures(url(p))]
    assert len(loop) == 2 and any("fetched already" in (r["error"] or "") for r in loop)
    spiral = fault_crawl.db().execute(
        "SELECT url, error FROM captures WHERE url LIKE ? ORDER BY id",
        [url("/spiral?%")]).fetchall()
    # REDIRECT_MAX_TIMES (20) hops after the first. On a loaded machine one hop can hit the
    # 3 s DOWNLOAD_TIMEOUT first (seen once: 15 hops); the chain still ends, with its reason.
    assert 1 < len(spiral) <= 21 and spiral[-1]["error"]
    if len(spiral) == 21:
        assert spiral[-1]["error"] == "ignored: max redirections reached"
    else:
        assert "took longer" in spiral[-1]["error"] or "Timeout" in spiral[-1]["error"]


def test_a_calendar_trap_ends_at_the_depth_limit(fault_crawl):
    fetched = fault_crawl.db().execute("SELECT count(*) FROM captures WHERE url LIKE ?",
                                       [url("/calendar?%")]).fetchone()[0]
    assert 1 <= fetched <= 1 + 5 + 25  # depths 1 to 3 (max_depth) of five links a day


def test_a_page_of_50k_links_offers_only_the_capped_few(fault_crawl):
    (row,) = fault_crawl.captures(url(FAULTS["50k-link page"]))
    assert row["status"] == 200 and row["warc_file"]
    assert fault_crawl.stats["liputan/links/over_page_cap"] == MANY_LINKS - MAX_PAGE_LINKS
    planned = fault_crawl.db().execute("SELECT count(*) FROM frontier WHERE url LIKE ?",
                                       [url("/item/%")]).fetchone()[0]
    assert planned == MAX_PAGE_LINKS
    assert not fault_crawl.db().execute("SELECT 1 FROM articles WHERE url=?",
                                        [row["url"]]).fetchone()


@pytest.mark.parametrize("path", sorted(p for p in OFF_TARGETS if p != "/off/file"))
def test_a_redirect_off_scope_is_refused_and_recorded(fault_crawl, path):
    (row,) = fault_crawl.captures(url(path))
    target = OFF_TARGETS[path]
    why = "off-site" if ELSEWHERE in target else (
        "link-local" if "169.254.10.10" in target else "metadata")
    assert row["status"] == 302
    assert row["error"] == f"ignored: refused by the crawl's scope ({why}): {target}"
    assert fault_crawl.skipped()[target] == f"scope {why}"


def test_a_redirect_to_a_file_url_is_refused_and_recorded(fault_crawl):
    (row,) = fault_crawl.captures(url("/off/file"))
    assert row["error"] == "ignored: redirect to file:///etc/passwd not followed (scheme)"
    assert fault_crawl.skipped()["file:///etc/passwd"] == "scope scheme"


def test_start_urls_feeds_sitemaps_and_aggregators_keep_to_scope(fault_crawl):
    skipped = fault_crawl.skipped()
    assert skipped[METADATA_START] == "scope metadata"  # a start URL
    for entry in FORBIDDEN_LINKS:  # feed entries (and page links)
        assert skipped[entry].startswith("scope "), entry
    assert skipped[f"http://{ELSEWHERE}/sitemapped"] == "scope off-site"
    assert skipped[f"http://{METADATA}/sitemapped"] == "scope metadata"
    # An aggregator's click targets, unwrapped or not, and its own redirect.
    assert skipped[f"http://{ELSEWHERE}/clicked"] == "scope off-site"
    assert skipped[f"http://{METADATA}/clicked"] == "scope metadata"
    assert skipped[f"http://{AGGREGATOR}/go/1"] == "scope off-site"
    assert skipped[f"http://{ELSEWHERE}/from-the-aggregator"] == "scope off-site"
    assert fault_crawl.captures(url("/artikel/banjir"))  # what they listed in scope: fetched


def test_nothing_off_scope_reaches_the_server(fault_crawl):
    hosts = {hit.host for hit in fault_crawl.hits}
    assert hosts == {HOST, AGGREGATOR}, hosts
    asked = sorted(hit.target for hit in fault_crawl.hits if hit.host == AGGREGATOR)
    assert asked == ["/robots.txt", "/search?q=banjir", f"/search?q={REDIRECTED_QUERY}"]


def test_no_connection_lookup_or_port_beyond_loopback(fault_crawl):
    # The guard refuses and records any; a fresh tldextract cache is filled from the
    # snapshot tldextract ships (Scrapy's cookie middleware asks it for the cookie's
    # Domain), not from publicsuffix.org.
    assert guard_log(fault_crawl.work) == []
    assert (fault_crawl.work / "tldextract").is_dir()


def test_every_warc_reads_back_and_passes_warcio_check(fault_crawl):
    files = sorted(fault_crawl.root.rglob("*.warc.gz"))
    assert files
    records = 0
    for path in files:
        check = subprocess.run([sys.executable, "-m", "warcio.cli", "check", str(path)],
                               capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr
        with path.open("rb") as fh:
            for record in ArchiveIterator(fh):
                record.raw_stream.read()  # as stored: the bomb is not inflated here
                records += 1
    archived = fault_crawl.db().execute(
        "SELECT count(*) FROM captures WHERE warc_file IS NOT NULL").fetchone()[0]
    assert records >= 2 * archived  # a request and a response (or revisit) each


def test_peak_memory_stays_bounded(fault_crawl):
    assert fault_crawl.peak_mb < MAX_RSS_MB, fault_crawl.peak_mb


def test_the_run_report_lists_the_refusals(fault_crawl):
    result = liputan("report", "latest", "--archive", str(fault_crawl.root), "--json")
    assert result.returncode == 0, result.stderr
    refused = {row["url"]: row["reason"] for row in json.loads(result.stdout)["refused"]}
    assert refused[METADATA_START] == "metadata"
    assert refused[f"http://{ELSEWHERE}/from-a-start-url"] == "off-site"
    assert json.loads(result.stdout)["run"]["refused"] == len(refused)


def test_the_guard_sees_a_public_suffix_list_download(tmp_path):
    """The guard's own check: with tldextract's URLs put back, the crawl's first cookie
    asks publicsuffix.org, and the guard records (and refuses) it."""
    config = tmp_path / "home.toml"
    config.write_text(f'name = "home"\n[sources]\nstart_urls = ["http://{HOST}/"]\n'
                      "[limits]\nmax_pages = 1\n[politeness]\ndelay_per_host = 0\n",
                      encoding="utf-8")
    env = guarded_env(tmp_path, TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS=(
        "https://publicsuffix.org/list/public_suffix_list.dat"))
    with FaultWeb() as web:
        subprocess.run([sys.executable, "-m", "crawler.cli", "crawl", str(config), "--archive",
                        str(tmp_path / "a"), "--proxy", web.proxy_url, "-s",
                        "LIPUTAN_EXTRACT_ENABLED=False", "-s", "LOG_LEVEL=CRITICAL"],
                       cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    looked_up = {(entry["call"], entry["target"]) for entry in guard_log(tmp_path)}
    assert ("getaddrinfo", "publicsuffix.org") in looked_up
