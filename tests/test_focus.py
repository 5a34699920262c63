"""Focused crawling: the relevance model, outlet profiles, the discovery plan, and a real
best-first crawl of the labeled topic web (tests/fixtureweb/topic/)."""

from __future__ import annotations

import json
import sqlite3
from datetime import date

import pytest

from crawler.config import load_config
from crawler.outlets import all_profiles
from crawler.relevance import TopicProfile, link_score
from pipelines.urls import url_key
from tests.conftest import REPO, liputan
from tests.fixtureweb.topiccrawl import WINDOW, expected, write_config
from tests.fixtureweb.web import FixtureWeb

UNREST = ("Warga turun ke jalan memprotes kenaikan harga elpiji. Kerusuhan meluas, "
          "pemerintah mundur dan status darurat diberlakukan. Aparat menangkap ribuan orang.")


def profile() -> TopicProfile:
    seeds = [f"Kazakhstan dilanda kerusuhan. {UNREST} Presiden Tokayev meminta bantuan CSTO.",
             f"Di Almaty, {UNREST} Tokayev menuding teroris. Pasukan CSTO tiba di Kazakhstan."]
    return TopicProfile.build(["Kazakhstan", "Tokayev", "CSTO"], seeds,
                              [["Kazakhstan", "Kazakstan"], ["CSTO", "ODKB"]])


def test_a_page_needs_both_the_who_and_the_what():
    topic = profile()
    on = topic.score(f"{UNREST} Di Kazakstan, pasukan ODKB berjaga.", "Kerusuhan di Kazakstan")
    sports = topic.score("Petenis Kazakhstan menang di Melbourne. Kazakhstan bangga atas gelar "
                         "pertama itu.", "Petenis Kazakhstan Juara")
    protest = topic.score(UNREST + " Di Nigeria, serikat buruh menolak kenaikan BBM.",
                          "Demo BBM di Nigeria")
    assert on >= topic.threshold > max(sports, protest)


def test_links_are_scored_by_their_own_words_first():
    topic = profile()
    good = link_score(topic, "Tokayev minta bantuan ODKB", "http://x.test/a/tokayev-odkb", "",
                      0.0)
    related = link_score(topic, "Timnas menang di Piala AFF", "http://x.test/b/timnas", "",
                         1.0)
    assert good > 0.4 > related


def test_every_shipped_outlet_profile_loads():
    profiles = all_profiles()
    assert len(profiles) >= 20
    for p in profiles:
        assert p.domains and (p.feeds or p.sitemaps), p.key


def test_dry_run_lists_every_source_offline():
    result = liputan("crawl", str(REPO / "crawls" / "kazakhstan-2022.toml"), "--dry-run",
                     "--json")
    assert result.returncode == 0, result.stderr
    plan = json.loads(result.stdout)
    config = load_config(REPO / "crawls" / "kazakhstan-2022.toml")
    for outlet in config.sources.outlets:
        kinds = {row["source"] for row in plan if row["outlet"] == outlet}
        assert {"sitemap", "home"} <= kinds, outlet
        assert kinds & {"search", "tag"}, outlet
    assert sum(row["source"] == "feed" for row in plan) >= 20


@pytest.fixture(scope="module")
def topic_crawl(tmp_path_factory):
    root = tmp_path_factory.mktemp("focus")
    with FixtureWeb(topic_web=True) as web:
        config = write_config(web, root)
        result = liputan("crawl", str(config), "--archive", str(root / "archive"), "--proxy",
                         web.proxy_url, "-s", "LOG_LEVEL=WARNING")
        assert result.returncode == 0, result.stdout + result.stderr
        yield web, root / "archive" / "index.db", list(web.requests)


def test_topic_web_is_labeled_and_large_enough():
    web = FixtureWeb(topic_web=True)
    labels = web.labels()
    assert len({r["outlet"] for r in labels if r["in_scope"]}) >= 8
    assert len(expected(web)) >= 60
    assert {"search", "sitemap", "link"} <= {r["reach"] for r in labels}
    assert {"ms", "en"} <= {r["language"] for r in labels if r["on_topic"]}


def test_focused_crawl_keeps_to_scope_and_robots(topic_crawl):
    web, _, requests = topic_crawl
    hosts = {r.host for r in requests}
    assert not any(h.endswith("beritaseberang.test") for h in hosts)  # not in the config
    assert not any(r.target.startswith("/admin/") for r in requests)  # robots.txt Disallow


def test_indexed_coverage_is_on_topic_indonesian_and_in_the_window(topic_crawl):
    web, index, _ = topic_crawl
    want = {url_key(r["url"]) for r in expected(web)}
    rows = sqlite3.connect(index).execute(
        "SELECT url, language, published_at FROM articles").fetchall()
    assert rows
    hits = [url for url, _, _ in rows if url_key(url) in want]
    assert len(hits) / len(rows) >= 0.95  # precision of the indexed coverage
    for _, language, published in rows:
        assert language == "id"
        assert WINDOW[0] <= date.fromisoformat(published[:10]) <= WINDOW[1]
    # Recall at a 3x budget: measured 0.70 (benchmarks/focus.py); the target is 0.95.
    assert len(set(hits)) / len(want) >= 0.6
