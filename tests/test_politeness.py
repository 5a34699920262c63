"""Politeness as configured: the delay is a floor per host, 429/503 back the host off as
Retry-After says, a longer robots.txt Crawl-delay is honoured; measured by the server.

The crawl runs in a subprocess against tests/timedweb.py, which writes down when each
request arrived by its own clock: a gap is what the host saw, not what the crawler meant.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, formatdate
from pathlib import Path

import pytest

from crawler.politeness import HostPoliteness, retry_after_seconds
from tests.conftest import REPO, liputan
from tests.timedweb import Host, TimedWeb

DELAY = 0.3  # the configured delay_per_host
CRAWL_DELAY = 0.6  # what d.test's robots.txt asks for
SLACK = 0.010  # clock slack allowed between the crawler's clock and the server's
NOW = datetime(2022, 1, 6, 9, 0, tzinfo=UTC)


# -- the policy, without a crawl ------------------------------------------------------------
def test_every_gap_is_drawn_above_the_floor_never_below():
    policy = HostPoliteness(delay=1.0, jitter=0.5)
    draws = [policy.draw("a.test") for _ in range(2000)]
    assert min(draws) >= 1.0 and max(draws) <= 1.5
    assert max(draws) - min(draws) > 0.4  # randomised, not a metronome


def test_a_crawl_delay_counts_only_when_longer_than_ours_and_is_capped():
    policy = HostPoliteness(delay=2.0, max_wait=60)
    assert policy.honour_crawl_delay("a.test", 1.0) is None
    assert policy.honour_crawl_delay("b.test", float("inf")) is None
    assert policy.honour_crawl_delay("c.test", 5.0) == 5.0
    assert policy.honour_crawl_delay("d.test", 86_400) == 60
    assert [policy.floor(h) for h in ("a.test", "c.test", "d.test")] == [2.0, 5.0, 60]


@pytest.mark.parametrize(("header", "seconds"), [
    ("120", 120.0), (" 5 ", 5.0), ("0", 0.0),
    (format_datetime(NOW + timedelta(seconds=90), usegmt=True), 90.0),
    (format_datetime(NOW - timedelta(hours=1), usegmt=True), 0.0),  # already passed
    ("soon", None), ("-5", None), ("1.5", None), ("²", None), ("", None),
])
def test_retry_after_is_seconds_or_an_http_date(header, seconds):
    assert retry_after_seconds(header, NOW) == seconds


def test_a_429_backs_the_host_off_as_retry_after_says_capped():
    clock = [100.0]
    policy = HostPoliteness(delay=1.0, max_wait=3600, clock=lambda: clock[0])
    backoff = policy.answered("a.test", 429, "30", NOW)
    assert (backoff.seconds, backoff.retry_after, backoff.capped) == (30, True, False)
    assert policy.resume_at("a.test") == 130.0 and policy.resume_at("b.test") == 0.0
    assert policy.answered("a.test", 503, "999999", NOW).seconds == 3600  # capped
    assert policy.answered("a.test", 503, "999999", NOW).capped
    clock[0] = 4000.0
    assert policy.resume_at("a.test") == 0.0  # over


def test_without_retry_after_each_429_in_a_row_doubles_the_backoff():
    policy = HostPoliteness(delay=0.5, clock=lambda: 0.0)
    waits = [policy.answered("a.test", 503, None).seconds for _ in range(4)]
    assert waits == [1.0, 2.0, 4.0, 8.0]  # from a second (the floor is shorter)
    assert policy.answered("a.test", 200, None) is None  # an answer ends the run
    assert policy.answered("a.test", 429, "garbage").seconds == 1.0
    assert policy.answered("a.test", 404, "30") is None  # only 429 and 503 back off


# -- a crawl, measured by the server --------------------------------------------------------
def _http_date_in(seconds: float) -> str:
    return formatdate(time.time() + seconds, usegmt=True)


@dataclass
class Crawl:
    web: TimedWeb
    result: subprocess.CompletedProcess
    stats: dict
    root: Path


def _config(path: Path, name: str, web: TimedWeb, delay: float = DELAY) -> Path:
    path.write_text(f'name = "{name}"\n[sources]\nstart_urls = {json.dumps(web.start_urls)}\n'
                    f"[politeness]\ndelay_per_host = {delay}\nconcurrent_per_host = 2\n",
                    encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def polite(tmp_path_factory) -> Crawl:
    hosts = {
        "a.test": Host(pages=6),
        "b.test": Host(answers={"/p/1": [(429, {"Retry-After": "1"})]}),
        "c.test": Host(answers={"/p/2": [(503, {"Retry-After": lambda: _http_date_in(2)})]}),
        "d.test": Host(robots=f"User-agent: *\nCrawl-delay: {CRAWL_DELAY}\n"),
    }
    root = tmp_path_factory.mktemp("polite")
    with TimedWeb(hosts) as web:
        result = liputan("crawl", str(_config(root / "polite.toml", "polite", web)),
                         "--archive", str(root / "archive"), "--proxy", web.proxy_url,
                         "--stats-json", str(root / "stats.json"),
                         "-s", "LIPUTAN_EXTRACT_ENABLED=False", timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    return Crawl(web, result, json.loads((root / "stats.json").read_text()), root / "archive")


def test_every_host_got_every_page(polite):
    for host, plan in polite.web.hosts.items():
        paths = {a.path for a in polite.web.seen(host) if a.status == 200}
        assert paths == {"/robots.txt", "/", *(f"/p/{i}" for i in range(plan.pages))}, host


def test_no_gap_between_two_requests_to_a_host_is_below_the_configured_delay(polite):
    for host in polite.web.hosts:
        gaps = polite.web.gaps(host)
        assert len(gaps) >= 5 and min(gaps) >= DELAY - SLACK, (host, gaps)
    # Randomised above the floor: not every gap the same.
    gaps = polite.web.gaps("a.test")
    assert max(gaps) - min(gaps) > 0.02, gaps


def test_a_429_with_retry_after_in_seconds_holds_its_host_back(polite):
    seen = polite.web.seen("b.test")
    (refused,) = [i for i, a in enumerate(seen) if a.status == 429]
    later = seen[refused + 1:]
    assert later and later[0].at - seen[refused].at >= 1.0 - SLACK
    assert any(a.path == "/p/1" and a.status == 200 for a in later)  # the retry


def test_a_503_with_retry_after_as_a_date_holds_its_host_back_until_then(polite):
    seen = polite.web.seen("c.test")
    (refused,) = [i for i, a in enumerate(seen) if a.status == 503]
    # The date has whole seconds: the host's next request came no earlier than it names.
    named = int(seen[refused].wall + 2)
    assert seen[refused + 1].wall >= named - SLACK


def test_a_robots_crawl_delay_longer_than_ours_is_honoured(polite):
    gaps = polite.web.gaps("d.test")
    assert min(gaps) >= CRAWL_DELAY - SLACK, gaps


def test_politeness_is_in_the_stats_and_the_run_report(polite):
    stats = polite.stats
    assert stats["liputan/politeness/delay_floor"] == DELAY
    assert stats["liputan/politeness/backoffs"] == 2
    assert stats["liputan/politeness/retry_after"] == 2
    assert stats["liputan/politeness/crawl_delay/d.test"] == CRAWL_DELAY
    report = liputan("report", "latest", "--archive", str(polite.root), "--no-check")
    assert report.returncode == 0, report.stderr
    assert "delay per host 0.3 s at least, drawn up to 50% above it" in report.stdout
    assert "backed off 2 times after a 429 or 503 (2 as Retry-After said" in report.stdout
    assert "robots.txt Crawl-delay of d.test honoured: 0.6 s" in report.stdout


def test_a_stop_does_not_wait_out_a_backoff_and_the_resumed_run_sends_what_waited(tmp_path):
    """A Retry-After of two minutes: SIGTERM stops the crawl at once (it used to wait the
    whole backoff, and `inf` forever); the retry, never sent, goes out on resume."""
    hosts = {"e.test": Host(answers={"/p/0": [(429, {"Retry-After": "120"})]})}
    with TimedWeb(hosts) as web:
        command = [sys.executable, "-m", "crawler.cli", "crawl",
                   str(_config(tmp_path / "held.toml", "held", web, delay=0.2)), "--archive",
                   str(tmp_path / "archive"), "--proxy", web.proxy_url,
                   "-s", "LIPUTAN_EXTRACT_ENABLED=False"]
        proc = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True,
                                env={**os.environ, "PYTHONUNBUFFERED": "1"})
        deadline = time.monotonic() + 60
        while not any(a.status == 429 for a in web.arrivals) and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)  # the retry and the other pages now wait for e.test
        stopped = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        _out, err = proc.communicate(timeout=60)
        assert time.monotonic() - stopped < 10
        assert proc.returncode == 130, err
        assert "Traceback" not in err and "liputan/politeness/held_at_shutdown" in err
        before = len(web.arrivals)
        # The resumed run waits out what is left of the Retry-After, up to the cap.
        resumed = subprocess.run([*command, "-s", "LIPUTAN_MAX_HOST_WAIT=3"], cwd=REPO,
                                 capture_output=True, text=True, timeout=120)
        assert resumed.returncode == 0, resumed.stderr
        again = {a.path for a in web.arrivals[before:] if a.status == 200}
        assert "/p/0" in again  # the page the backoff held


def test_a_resumed_run_waits_out_what_is_left_of_a_retry_after():
    now = datetime(2026, 1, 5, 12, 0, 0, tzinfo=UTC)
    policy = HostPoliteness(delay=0.0, clock=lambda: 100.0)
    assert policy.restore("a.test", "30", now - timedelta(seconds=10), now=now) == 20.0
    assert policy.resume_at("a.test") == 120.0
    # An HTTP date counts from itself; one passed, or a bogus value, holds nothing back.
    date = "Mon, 05 Jan 2026 12:00:05 GMT"
    assert policy.restore("b.test", date, now - timedelta(seconds=1), now=now) == 5.0
    assert policy.restore("c.test", "30", now - timedelta(seconds=40), now=now) == 0.0
    assert policy.restore("d.test", "soon", now, now=now) == 0.0
    assert policy.resume_at("c.test") == policy.resume_at("d.test") == 0.0
