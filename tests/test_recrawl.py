"""Incremental recrawls: a new run of a crawl polls its discovery sources again, leaves out
the stories earlier runs archived, and rechecks the recent ones with conditional requests;
an edited story becomes a new version, an unchanged one a 304 revisit. Both runs are
slots of one schedule, run by `liputan scheduler --once` as an archivist's service would."""

from __future__ import annotations

import json
import shutil
import sqlite3
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from crawler.config import RecrawlConfig, load_config
from crawler.frontier.policy import Frontier
from crawler.plan import crawl_profiles, discovery_plan
from crawler.recrawl import is_recent, plan_recrawl
from pipelines.archive import CrawlArchive
from pipelines.extract import Article, PageAnalysis
from pipelines.index import Index
from pipelines.urls import url_key
from pipelines.warc import (
    NOT_MODIFIED_PROFILE,
    REVISIT_PROFILE,
    HttpExchange,
    iter_records,
    target_uri,
)
from tests.conftest import DEMO_CONFIG, liputan
from tests.fixtureweb import FixtureWeb

# "Recent" is counted back from the run, and the demo corpus dates from 2021-11 to 2022-03,
# years before any test run. So recheck_days reaches back from today to CUTOFF: stories
# published from 2022-01-18 on (among them both multi-page stories) are rechecked, those
# up to 2022-01-16 are not. The gap between those two days absorbs the time of day and a
# midnight between this module's `today` and the run's start.
CUTOFF = date(2022, 1, 17)
EDIT = "Pembaruan: jumlah warga yang terdampak direvisi menjadi 41 orang."


def base(url: str) -> str:
    return url.split("?", 1)[0]


@dataclass
class TwoRuns:
    root: Path
    config: Path
    web: FixtureWeb
    first_requests: list
    second_requests: list
    first_run_articles: list
    stats: dict
    recent: set[str]  # page-1 URLs of the stories rechecked in run 2
    edited: str  # a recent single-page story, edited between the runs
    edited_story: str  # a recent multi-page story, edited too
    edited_old: str  # an old story, edited: not rechecked, so not seen


def db(root: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(root / "index.db")
    conn.row_factory = sqlite3.Row
    return conn


def crawl(config: Path, root: Path, web: FixtureWeb, n: int) -> list:
    """Run `n` of the crawl, as its schedule's due slot (`liputan scheduler --once`, the
    clock moved past the slot); returns the fixture's log of the requests it made."""
    if n == 1:
        added = liputan("schedule", "add", "demo", str(config), "--cron", "0 */6 * * *",
                        "--archive", str(root))
        assert added.returncode == 0, added.stderr
    conn = sqlite3.connect(root / "index.db")
    conn.execute("UPDATE schedules SET next_run_at=?", [
        (datetime.now(UTC) - timedelta(minutes=1)).isoformat(timespec="seconds")])
    conn.commit()
    conn.close()
    before = len(web.requests)
    # Focus gates off (as in the session crawl): every story of the fixture is indexed,
    # whatever the relevance model makes of it, so the recent set is known in advance.
    result = liputan("scheduler", "--once", "--archive", str(root), "--proxy", web.proxy_url,
                     "-s", "LIPUTAN_FOCUS=False")
    assert result.returncode == 0, result.stdout + result.stderr
    conn = sqlite3.connect(root / "index.db")
    assert conn.execute("SELECT count(*) FROM runs WHERE id=? AND schedule_id IS NOT NULL",
                        [n]).fetchone() == (1,), "each run is its schedule's"
    conn.close()
    return web.requests[before:]


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory) -> TwoRuns:
    work = tmp_path_factory.mktemp("recrawl")
    shutil.copytree(DEMO_CONFIG.parent / "demo-seeds", work / "demo-seeds")
    config = work / "demo.toml"
    days = (date.today() - CUTOFF).days
    config.write_text(DEMO_CONFIG.read_text() + f"\n[recrawl]\nrecheck_days = {days}\n")
    root = work / "archive"
    with FixtureWeb() as web:
        first = crawl(config, root, web, 1)
        conn = db(root)
        first_run_articles = [tuple(r) for r in conn.execute(
            "SELECT * FROM run_articles WHERE run_id=1 ORDER BY article_id")]
        conn.close()
        recent = {a.url for a in web.articles
                  if datetime.fromisoformat(a.published).date() > CUTOFF}
        single = next(a.url for a in web.articles if a.url in recent and a.pages == 1)
        story = web.specials["multi_page"]
        old = next(a.url for a in web.articles if a.url not in recent and a.pages == 1)
        assert story in recent, "the demo's 3-page story is among the rechecked ones"
        for url in (single, story, old):
            web.edit(url, EDIT)
        second = crawl(config, root, web, 2)
        conn = db(root)
        stats = json.loads(conn.execute("SELECT stats FROM runs WHERE id=2").fetchone()[0])
        conn.close()
        yield TwoRuns(root, config, web, first, second, first_run_articles, stats, recent,
                      single, story, old)


def article_urls(runs: TwoRuns) -> set[str]:
    return {a.url for a in runs.web.articles}


def test_second_run_fetches_discovery_and_rechecks_only_the_recent_stories(two_runs):
    stories = article_urls(two_runs)
    fetched = [r for r in two_runs.second_requests if base(r.url) in stories]
    # Article fetches of the second run are the rechecks, each once and conditional.
    assert {base(r.url) for r in fetched} == two_runs.recent
    assert len(fetched) == len({r.url for r in fetched})
    assert all("If-None-Match" in r.headers and "If-Modified-Since" in r.headers
               for r in fetched)
    assert 0 < len(two_runs.recent) < len(stories)  # 24 of the 48 stories
    # ... while every start URL of the discovery plan was polled again.
    config = load_config(two_runs.config)
    plan = discovery_plan(config, crawl_profiles(config))
    assert plan and {p.url for p in plan} <= {r.url for r in two_runs.second_requests}
    # Stats say what was left out and what was rechecked (every page of a recent story).
    conn = db(two_runs.root)
    pages = {r[0] for r in conn.execute("SELECT p.url FROM article_pages p JOIN articles a"
                                        " ON a.id = p.article_id")}
    rechecked = two_runs.recent | {p for p in pages if base(p) in two_runs.recent}
    assert two_runs.stats["liputan/recrawl/rechecked"] == len(rechecked)
    assert two_runs.stats["liputan/recrawl/known"] > 0
    assert len(two_runs.second_requests) < len(two_runs.first_requests) / 2


def test_an_edited_story_has_two_versions_in_history_and_diff(two_runs):
    result = liputan("history", two_runs.edited, "--archive", str(two_runs.root), "--json")
    assert result.returncode == 0, result.stderr
    versions = json.loads(result.stdout)
    assert [(v["version"], v["run_id"], v["seen_by"]) for v in versions] == [
        (1, 1, [1]), (2, 2, [2])]
    assert versions[1]["word_count"] == versions[0]["word_count"] + len(EDIT.split())
    table = liputan("history", two_runs.edited, "--archive", str(two_runs.root))
    assert "v2" in table.stdout and "seen by runs 2" in table.stdout
    result = liputan("diff", two_runs.edited, "--archive", str(two_runs.root))
    assert result.returncode == 0, result.stderr
    assert f"\n+{EDIT}" in result.stdout and "version 1" in result.stdout
    assert not [line for line in result.stdout.splitlines()
                if line.startswith("-") and not line.startswith("---")]


def test_an_edited_multi_page_story_is_one_new_version(two_runs):
    conn = db(two_runs.root)
    (article_id,) = conn.execute("SELECT id FROM articles WHERE url=?",
                                 [two_runs.edited_story]).fetchone()
    versions = conn.execute("SELECT version, run_id, text FROM article_versions WHERE"
                            " article_id=? ORDER BY version", [article_id]).fetchall()
    assert [(v["version"], v["run_id"]) for v in versions] == [(1, 1), (2, 2)]
    assert versions[1]["text"].endswith(EDIT) and EDIT not in versions[0]["text"]
    (text,) = conn.execute("SELECT text FROM articles WHERE id=?", [article_id]).fetchone()
    assert text == versions[1]["text"]


def test_an_old_story_is_not_rechecked_so_its_edit_is_not_seen(two_runs):
    assert two_runs.edited_old not in {base(r.url) for r in two_runs.second_requests}
    conn = db(two_runs.root)
    assert conn.execute("SELECT count(*) FROM article_versions v JOIN articles a ON"
                        " a.id = v.article_id WHERE a.url=?",
                        [two_runs.edited_old]).fetchone()[0] == 1


def records(root: Path) -> dict[str, list]:
    """Response and revisit records by target URI, in file order (run 1's files first)."""
    out: dict[str, list] = {}
    for path in sorted(root.rglob("*.warc.gz")):
        for stored in iter_records(path):
            if stored.record.rec_type in ("response", "revisit"):
                out.setdefault(target_uri(stored.record), []).append(stored.record)
    return out


def test_an_unchanged_recheck_is_a_304_revisit_of_the_first_runs_record(two_runs):
    url = next(u for u in sorted(two_runs.recent)
               if u not in (two_runs.edited, two_runs.edited_story))
    first, second = records(two_runs.root)[url]
    assert first.rec_type == "response"
    headers = second.rec_headers
    assert second.rec_type == "revisit" and second.http_headers.get_statuscode() == "304"
    assert headers.get_header("WARC-Profile") == NOT_MODIFIED_PROFILE
    assert headers.get_header("WARC-Refers-To") == first.rec_headers.get_header(
        "WARC-Record-ID")
    assert headers.get_header("WARC-Refers-To-Target-URI") == url
    assert headers.get_header("WARC-Refers-To-Date") == first.rec_headers.get_header(
        "WARC-Date")
    conn = db(two_runs.root)
    capture = conn.execute("SELECT c.record_type, o.run_id AS original_run, c.id FROM"
                           " captures c JOIN captures o ON o.id = c.revisit_of WHERE c.url=?"
                           " AND c.run_id=2", [url]).fetchone()
    assert (capture["record_type"], capture["original_run"]) == ("revisit", 1)
    seen = conn.execute("SELECT r.change, r.capture_id, v.version FROM run_articles r JOIN"
                        " articles a ON a.id = r.article_id JOIN article_versions v ON"
                        " v.id = r.version_id WHERE r.run_id=2 AND a.url=?", [url]).fetchone()
    assert tuple(seen) == ("unchanged", capture["id"], 1)
    assert two_runs.stats["liputan/recrawl/not_modified"] >= 1


def test_an_unchanged_feed_is_an_identical_payload_revisit_of_the_first_run(two_runs):
    feed = two_runs.web.feeds[0]
    first, second = records(two_runs.root)[feed]
    assert first.rec_type == "response" and second.rec_type == "revisit"
    assert second.rec_headers.get_header("WARC-Profile") == REVISIT_PROFILE
    assert second.rec_headers.get_header("WARC-Refers-To") == first.rec_headers.get_header(
        "WARC-Record-ID")


def test_the_first_runs_history_is_not_rewritten(two_runs):
    conn = db(two_runs.root)
    after = [tuple(r) for r in conn.execute(
        "SELECT * FROM run_articles WHERE run_id=1 ORDER BY article_id")]
    assert after == two_runs.first_run_articles and len(after) >= 40
    changes = dict(conn.execute("SELECT change, count(*) FROM run_articles WHERE run_id=2"
                                " GROUP BY change").fetchall())
    assert changes == {"changed": 2, "unchanged": len(two_runs.recent) - 2}


def test_the_two_run_archive_checks_clean(two_runs):
    result = liputan("check", "--archive", str(two_runs.root))
    assert result.returncode == 0, result.stdout + result.stderr


# -- the frontier and the plan, without a crawl ---------------------------------------------
def test_frontier_refuses_known_urls_once_and_counts_them():
    frontier = Frontier(best_first=False)
    frontier.offer("k.test/rss", "http://k.test/rss")
    frontier.seed_known({"k.test/a", "k.test/rss"})
    assert frontier.offer("k.test/a", "http://k.test/a") == (None, False)
    assert frontier.offer("k.test/a", "http://www.k.test/a") == (None, False)
    assert frontier.known_skipped == 1
    assert frontier.offer("k.test/b", "http://k.test/b")[0] is not None
    # A resumed run's own rows are its own, whatever earlier runs archived.
    resumed = Frontier(best_first=False)
    resumed.seed_known({"k.test/c"})
    resumed.restore([{"key": "k.test/c", "url": "http://k.test/c", "priority": 0,
                      "callback": "parse", "meta": {}, "state": "done"}])
    assert not resumed.known


def test_recent_means_published_or_else_first_captured_since():
    since = datetime(2022, 1, 17, tzinfo=UTC)
    assert is_recent("2022-01-18T08:00:00+07:00", None, since)
    assert not is_recent("2022-01-16", "2026-01-01T00:00:00+00:00", since)
    assert is_recent(None, "2022-01-17T00:00:01+00:00", since)
    assert not is_recent(None, None, since)


def _story(archive: CrawlArchive, url: str, published: str, headers=(), verdict=None) -> None:
    key = archive.capture(HttpExchange(url, 200, [("Content-Type", "text/html"), *headers],
                                       f"<html>{url}</html>".encode()))
    text = f"Isi berita {url}."
    archive.add_analysis(key, PageAnalysis(
        "article", article=Article(url=url, title="t", text=text, published_at=published,
                                   word_count=3), url=url, verdict=verdict,
        relevance=0.1 if verdict else None))


def test_plan_leaves_out_archived_stories_and_rechecks_recent_ones(tmp_path):
    archive = CrawlArchive(tmp_path, "k", resume=False)
    _story(archive, "http://k.test/lama", "2022-01-02T08:00:00+07:00")
    _story(archive, "http://k.test/baru", "2022-01-20T08:00:00+07:00",
           [("ETag", '"e1"'), ("Last-Modified", "Thu, 20 Jan 2022 01:00:00 GMT")])
    _story(archive, "http://k.test/luar", "2022-05-01", verdict="published after the window")
    archive.capture(HttpExchange("http://k.test/berita/1", 301,
                                 [("Location", "http://www.k.test/lama")], b""))
    archive.capture(HttpExchange("http://k.test/rss", 200, [], b"<rss/>"))
    archive.close()
    other = CrawlArchive(tmp_path, "lain", resume=False)  # another crawl's story
    _story(other, "http://k.test/lain", "2022-01-01")
    other.close()
    index = Index(tmp_path / "index.db")
    run_id = index.start_run("k")
    now = datetime(2022, 1, 22, tzinfo=UTC)
    plan = plan_recrawl(index, tmp_path, "k", run_id, RecrawlConfig(recheck_days=3), now)
    assert plan.known == {url_key(u) for u in ("http://k.test/lama", "http://k.test/luar",
                                               "http://k.test/berita/1")}
    assert [(r.url, dict(r.validators)) for r in plan.rechecks] == [
        ("http://k.test/baru", {"If-None-Match": '"e1"',
                                "If-Modified-Since": "Thu, 20 Jan 2022 01:00:00 GMT"})]
    later = plan_recrawl(index, tmp_path, "k", run_id, RecrawlConfig(recheck_days=3),
                         now + timedelta(days=30))
    assert not later.rechecks and url_key("http://k.test/baru") in later.known
    off = plan_recrawl(index, tmp_path, "k", run_id, RecrawlConfig(enabled=False), now)
    assert not off.known and not off.rechecks
    index.close()


def test_runs_count_the_edited_stories_of_the_second_run_as_changed(two_runs):
    result = liputan("runs", "--archive", str(two_runs.root), "--json")
    runs = {row["run"]: row for row in json.loads(result.stdout)}
    # The recent single-page story and the 3-page story were edited; the old one not seen.
    assert runs[2]["changed_articles"] == 2 and runs[1]["changed_articles"] == 0
    assert runs[1]["schedule"] == runs[2]["schedule"] == "demo"
