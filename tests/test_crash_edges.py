"""Crash safety at two moments the kill -9 campaign (tests/test_resume.py) does not reach:
a crawl killed while politeness holds requests back (a 429 and a 503 with Retry-After),
a crawl killed after a redirect landed and before a link straight to its target was read,
and `liputan reindex` killed while it resynchronises past a damaged region of a WARC.
Each is resumed with the same command, then audited: the WARCs read back with warcio, the
index row by row. Nothing may be lost, nothing duplicated, every pointer reads its record.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from email.utils import formatdate
from pathlib import Path

import pytest

from pipelines.warc import iter_records, read_record, target_uri
from tests import damaged as corpus
from tests.conftest import REPO
from tests.crashcampaign import _alive, _children, audit, crawl_command
from tests.fixtureweb import FixtureWeb
from tests.timedweb import Host, TimedWeb

PAGES = 6  # /p/0 ... /p/5 on each host
HELD_FOR = 15  # seconds each Retry-After asks for: the kill lands well inside the wait
QUIET = 1.0  # seconds without a request before the kill: nothing is in flight then


def _run_until_killed(cmd: list[str], env: dict[str, str], ready: Callable[[], bool],
                      timeout: float = 60) -> tuple[int, int, str]:
    """Run `cmd` until `ready()` holds (then SIGKILL it) or it dies by itself; returns
    (exit code, extraction workers still alive 3 s after it died, its stderr)."""
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(cmd, cwd=REPO, env={**os.environ, **env},
                                stdout=subprocess.DEVNULL, stderr=err)
        workers: set[int] = set()
        deadline = time.monotonic() + timeout
        while proc.poll() is None and time.monotonic() < deadline and not ready():
            workers.update(_children(proc.pid))
            time.sleep(0.05)
        workers.update(_children(proc.pid))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
        code = proc.wait()
        err.seek(0)
        stderr = err.read().decode("utf-8", "replace")
    gone_by = time.monotonic() + 3.0  # workers die with their parent (pipelines/pool.py)
    while any(_alive(pid) for pid in workers) and time.monotonic() < gone_by:
        time.sleep(0.05)
    orphans = [pid for pid in workers if _alive(pid)]
    for pid in orphans:
        os.kill(pid, signal.SIGKILL)
    return code, len(orphans), stderr


# -- 1. a crawl killed while requests are held back by politeness ---------------------------
def _http_date_in(seconds: float) -> str:
    return formatdate(time.time() + seconds, usegmt=True)


def _archived(archive: Path) -> Counter:
    """(URL, status) of every response or revisit record (the hosts' home pages are the
    same bytes: revisits), robots.txt left out (each process reads it again, as it must)."""
    counts: Counter = Counter()
    for path in sorted(archive.rglob("*.warc.gz")):
        for stored in iter_records(path):
            url = target_uri(stored.record)
            if (stored.record.rec_type in ("response", "revisit")
                    and not url.endswith("/robots.txt")):
                counts[url, int(stored.record.http_headers.get_statuscode())] += 1
    return counts


def test_kill_9_while_politeness_holds_requests_back_then_resume(tmp_path):
    hosts = {
        "a.test": Host(pages=PAGES, answers={"/p/1": [(429, {"Retry-After": str(HELD_FOR)})]}),
        "b.test": Host(pages=PAGES, answers={
            "/p/0": [(503, {"Retry-After": lambda: _http_date_in(HELD_FOR)})]}),
        "c.test": Host(pages=PAGES),  # never held: done before the kill
    }
    refused = {("a.test", "/p/1"): 429, ("b.test", "/p/0"): 503}
    pages = {(h, p) for h in hosts for p in ("/", *(f"/p/{i}" for i in range(PAGES)))}
    config = tmp_path / "held.toml"
    with TimedWeb(hosts) as web:
        # One request at a time per host: the pages after a refusal queue behind its wait.
        config.write_text(f'name = "held"\n[sources]\nstart_urls = {json.dumps(web.start_urls)}\n'
                          "[politeness]\ndelay_per_host = 0.2\nconcurrent_per_host = 1\n",
                          encoding="utf-8")
        archive = tmp_path / "archive"
        cmd = [*crawl_command(config, archive, web.proxy_url), "-s", "LIPUTAN_FOCUS=False",
               "-s", "LIPUTAN_EXTRACT_WORKERS=1"]

        def held() -> bool:
            arrivals = list(web.arrivals)
            answered = {(a.host, a.path) for a in arrivals if a.status == 200}
            return (all(any((a.host, a.path, a.status) == (*k, s) for a in arrivals)
                        for k, s in refused.items())
                    and {k for k in pages if k[0] == "c.test"} <= answered
                    and time.monotonic() - arrivals[-1].at >= QUIET)

        code, orphans, _ = _run_until_killed(cmd, {}, held)
        assert code == -9 and orphans == 0, (code, orphans)
        sent = {(a.host, a.path) for a in web.arrivals if a.status == 200}
        assert not sent & set(refused)  # killed during the wait: the retries never went
        assert len(pages - sent) >= 6, pages - sent  # and the pages queued behind them
        killed_at = len(web.arrivals)

        resumed = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=120)
        assert resumed.returncode == 0, resumed.stderr[-2000:]
        assert "Traceback" not in resumed.stderr

    # The resumed run waited out what was left of each Retry-After (an HTTP date has whole
    # seconds), by the server's clock.
    for (host, path), status in refused.items():
        asked = min(a.wall for a in web.arrivals if (a.host, a.path, a.status) == (host, path,
                                                                                   status))
        retried = [a.wall for a in web.arrivals if (a.host, a.path, a.status) == (host, path,
                                                                                  200)]
        assert retried and retried[0] >= asked + HELD_FOR - 1.0, (host, retried[0] - asked)
    # The server: every page answered 200 exactly once over both processes, and the
    # resumed run asked again for nothing the dead one had finished.
    served = Counter((a.host, a.path) for a in web.arrivals
                     if a.status == 200 and a.path != "/robots.txt")
    assert set(served) == pages and max(served.values()) == 1, served
    assert {(a.host, a.path) for a in web.arrivals[killed_at:]
            if a.path != "/robots.txt"} == pages - sent
    # The WARCs: each page's 200 once, each refusal once.
    archived = _archived(archive)
    expected = {(f"http://{h}{p}", 200): 1 for h, p in pages}
    expected |= {(f"http://{h}{p}", s): 1 for (h, p), s in refused.items()}
    assert archived == expected
    # The index: in step with the WARCs, frontier finished, one run, equal to a reindex.
    figures = audit(archive)
    for name in ("open_files_left", "frontier_unfetched", "captures_missing_from_index",
                 "index_rows_pointing_at_nothing", "warcs_failing_check",
                 "reindex_articles_differ", "reindex_captures_differ"):
        assert figures[name] == 0, (name, figures)
    assert figures["urls_archived_twice"] == len(refused)  # the refusal and the page
    assert (figures["runs"], figures["run_statuses"]) == (1, "finished"), figures
    db = sqlite3.connect(archive / "index.db")
    articles = Counter(url for (url,) in db.execute("SELECT url FROM articles"))
    versions = db.execute("SELECT count(*) FROM article_versions").fetchone()[0]
    resumed_count = db.execute("SELECT resumed FROM runs").fetchone()[0]
    db.close()
    assert set(articles) == {f"http://{h}{p}" for h, p in pages if p != "/"}
    assert max(articles.values()) == 1 and versions == len(articles)  # each indexed once
    assert resumed_count == 1


# -- 2. a crawl killed after a redirect landed, before a link straight to its target ---------
def _redirect_web(slow: float = 0.0) -> dict[str, Host]:
    """/p/0 is moved (301) to /p/7; /p/7 links /p/8, which links /p/7 again, with
    a trailing slash and as it is: one story, to be fetched once however it is reached."""
    return {"r.test": Host(pages=1, redirects={"/p/0": "/p/7"},
                           links={"/p/7": ["/p/8"], "/p/8": ["/p/7/", "/p/7"]},
                           slow={"/p/8": slow} if slow else {})}


def _served(web: TimedWeb) -> Counter:
    return Counter(a.path for a in web.arrivals if a.path != "/robots.txt")


def test_a_redirect_target_is_fetched_once_however_a_link_reaches_it(tmp_path):
    with TimedWeb(_redirect_web()) as web:
        config = tmp_path / "moved.toml"
        config.write_text(f'name = "moved"\n[sources]\nstart_urls = {json.dumps(web.start_urls)}\n',
                          encoding="utf-8")
        cmd = [*crawl_command(config, tmp_path / "archive", web.proxy_url),
               "-s", "LIPUTAN_FOCUS=False", "-s", "LIPUTAN_EXTRACT_WORKERS=1"]
        done = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr[-2000:]
    # Scrapy's dupefilter would refuse "/p/7" itself, not "/p/7/": the frontier must.
    assert _served(web) == Counter({"/": 1, "/p/0": 1, "/p/7": 1, "/p/8": 1})


def test_kill_9_after_a_redirect_landed_and_resume_fetches_its_target_once(tmp_path):
    with TimedWeb(_redirect_web(slow=HELD_FOR)) as web:
        config = tmp_path / "moved.toml"
        config.write_text(f'name = "moved"\n[sources]\nstart_urls = {json.dumps(web.start_urls)}\n',
                          encoding="utf-8")
        archive = tmp_path / "archive"
        cmd = [*crawl_command(config, archive, web.proxy_url), "-s", "LIPUTAN_FOCUS=False",
               "-s", "LIPUTAN_EXTRACT_WORKERS=1"]

        def waiting_for_p8() -> bool:  # /p/7 archived, /p/8 asked for and held back
            return any(a.path == "/p/8" for a in web.arrivals)

        code, orphans, _ = _run_until_killed(cmd, {}, waiting_for_p8)
        assert code == -9 and orphans == 0, (code, orphans)
        web.hosts["r.test"].slow.clear()
        # The resumed process has an empty dupefilter: only the archive says /p/7 was
        # fetched (through /p/0), so /p/8's links to it must be refused by the frontier.
        resumed = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=120)
        assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert _served(web) == Counter({"/": 1, "/p/0": 1, "/p/7": 1, "/p/8": 2})
    figures = audit(archive)
    assert figures["urls_archived_twice"] == 0, figures["twice"]
    for name in ("open_files_left", "frontier_unfetched", "captures_missing_from_index",
                 "index_rows_pointing_at_nothing", "warcs_failing_check"):
        assert figures[name] == 0, (name, figures)


# -- 3. `liputan reindex` killed while resynchronising past damage --------------------------
@pytest.fixture(scope="module")
def damaged_batch(tmp_path_factory) -> list[Path]:
    """Four files: a pristine one, then a flipped gzip member, garbage between two
    members and a cut last record, each of which the reader resynchronises past."""
    web = FixtureWeb()  # only its pages: no server
    pages = corpus.fixture_pages(web, corpus.site_urls(web, others=4))
    articles = corpus.article_urls(web)
    root = tmp_path_factory.mktemp("damaged")
    share = [pages[i::4] for i in range(4)]
    return [
        corpus.write_warc(root, "pristine", share[0]),
        corpus.flipped(corpus.write_warc(root, "flipped", share[1]), articles).path,
        corpus.garbage_between(corpus.write_warc(root, "garbage", share[2]), articles).path,
        corpus.truncated(corpus.write_warc(root, "truncated", share[3]), articles).path,
    ]


def _reindex_command(files: list[Path], archive: Path) -> list[str]:
    return [sys.executable, "-m", "crawler.cli", "reindex", "--archive", str(archive),
            "--workers", "1", *map(str, files)]


def _problems(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("problem:")]


def _snapshot(path: Path) -> dict[str, list]:
    """The index's content with row ids, run ids and clock times left out: captures by
    record, articles by URL, everything pointing at them through those keys."""
    db = sqlite3.connect(path)
    tables = {
        "captures": "SELECT c.record_id, c.url, c.status, c.content_type, c.fetched_at,"
                    " c.warc_file, c.warc_offset, c.warc_length, c.record_type,"
                    " c.payload_digest, o.record_id, c.error, c.relevance, c.verdict"
                    " FROM captures c LEFT JOIN captures o ON o.id = c.revisit_of",
        "articles": "SELECT a.url, c.record_id, a.canonical_url, a.outlet, a.title,"
                    " a.author, a.published_at, a.pages, a.language, a.text, a.word_count,"
                    " a.relevance, a.text_digest, a.url_key, a.canonical_key"
                    " FROM articles a JOIN captures c ON c.id = a.capture_id",
        "versions": "SELECT a.url, v.version, c.record_id, v.title, v.text_digest,"
                    " v.word_count FROM article_versions v JOIN articles a"
                    " ON a.id = v.article_id JOIN captures c ON c.id = v.capture_id",
        "pages": "SELECT a.url, p.page, c.record_id, p.url, p.word_count FROM article_pages p"
                 " JOIN articles a ON a.id = p.article_id JOIN captures c ON c.id = p.capture_id",
        "signatures": "SELECT a.url, s.text_digest, s.scheme, s.signature FROM"
                      " article_signatures s JOIN articles a ON a.id = s.article_id",
        "links": "SELECT a.url, l.target_url, l.anchor, t.url, l.target_host, l.target_key"
                 " FROM links l JOIN articles a ON a.id = l.source_article_id"
                 " LEFT JOIN articles t ON t.id = l.target_article_id",
        "clusters": "SELECT group_concat(url, ' ') FROM (SELECT cluster_id, url FROM"
                    " articles WHERE cluster_id IS NOT NULL ORDER BY url)"
                    " GROUP BY cluster_id",
        "fts": "SELECT count(*) FROM articles_fts",
    }
    snapshot = {}
    for name, sql in tables.items():
        snapshot[name] = sorted(db.execute(sql).fetchall(), key=repr)
    db.close()
    return snapshot


def test_reindex_killed_while_resynchronising_past_damage_reruns_to_the_same_index(
        damaged_batch, tmp_path):
    reference = tmp_path / "reference"
    once = subprocess.run(_reindex_command(damaged_batch, reference), cwd=REPO,
                          capture_output=True, text=True, timeout=120)
    assert once.returncode == 1, once.stdout + once.stderr  # damage found: exit code 1
    assert len(_problems(once.stderr)) == 3

    archive = tmp_path / "archive"
    cmd = _reindex_command(damaged_batch, archive)
    # Killed at the first resynchronisation (in the flipped file), then, rerun, at the
    # third (in the cut one): the second run starts on the first's half-built index.
    for moment, files_done in (("warc-resync:1", 1), ("warc-resync:3", 3)):
        code, orphans, err = _run_until_killed(cmd, {"LIPUTAN_FAILPOINT": moment},
                                               lambda: False)
        assert code == -9 and orphans == 0, (moment, code, orphans)
        # Died inside the damaged file after the last one it finished ("[k/4] path: ...").
        done = [line for line in err.splitlines() if line.startswith("[")]
        assert len(done) == files_done, (moment, err)
    db = sqlite3.connect(archive / "index.db")
    partial = db.execute("SELECT count(*) FROM captures").fetchone()[0]
    db.close()
    assert 0 < partial < len(_snapshot(reference / "index.db")["captures"])

    again = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=120)
    assert again.returncode == 1 and "Traceback" not in again.stderr, again.stderr
    assert _problems(again.stderr) == _problems(once.stderr)  # the same damage, byte ranges
    assert again.stdout.splitlines()[0].split(" in ")[0] == (
        once.stdout.splitlines()[0].split(" in ")[0])  # "Reindexed 4 WARC files: N records..."

    expected, got = _snapshot(reference / "index.db"), _snapshot(archive / "index.db")
    for table in expected:
        assert got[table] == expected[table], table
    db = sqlite3.connect(archive / "index.db")
    duplicates = "SELECT count(*) - count(DISTINCT {}) FROM {}"
    assert db.execute(duplicates.format("record_id", "captures")).fetchone() == (0,)
    assert db.execute(duplicates.format("url", "articles")).fetchone() == (0,)
    runs = db.execute("SELECT status FROM runs ORDER BY id").fetchall()
    pointers = db.execute("SELECT record_id, warc_file, warc_offset, warc_length FROM captures"
                          ).fetchall()
    db.close()
    # The two killed runs stay in the history (shown as interrupted); the last finished.
    assert runs == [("running",), ("running",), ("finished_with_errors",)]
    for record_id, *pointer in pointers:  # every pointer reads its record
        record, _ = read_record(archive, tuple(pointer), payload=False)
        assert record.rec_headers.get_header("WARC-Record-ID") == record_id
