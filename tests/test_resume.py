"""Crash safety (DESIGN.md principle 3): kill -9 at any moment, resume with the same
command, nothing lost or duplicated; Ctrl-C stops gracefully; `check` sees an index behind
its WARCs and `check --repair` mends it. The larger campaign is benchmarks/crash.py."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipelines.index import Index
from pipelines.recovery import complete_end, seal_open_files
from pipelines.warc import iter_records
from tests.conftest import REPO, liputan
from tests.crashcampaign import (
    archived_urls,
    audit,
    crawl_command,
    run_campaign,
    write_config,
)
from tests.fixtureweb import FixtureWeb
from tests.test_warc import exchange, make_writer


@pytest.fixture(scope="module")
def small_web():
    with FixtureWeb(outlets=2, articles_per_outlet=120, seed=5, log_requests=False) as web:
        yield web


@pytest.fixture(scope="module")
def reference(small_web, tmp_path_factory):
    """The same crawl, undisturbed: what a campaign must end up with."""
    work = tmp_path_factory.mktemp("reference")
    config = write_config(work / "crash.toml", small_web.start_urls)
    done = subprocess.run(crawl_command(config, work / "archive", small_web.proxy_url),
                          cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return set(archived_urls(work / "archive"))


def test_kill_9_at_failpoints_and_random_moments_loses_and_duplicates_nothing(
        small_web, reference, tmp_path):
    config = write_config(tmp_path / "crash.toml", small_web.start_urls)
    archive = tmp_path / "archive"
    # Mid-WARC-record, just before and just after an index commit, then at a random moment.
    moments = ["warc-mid-record:150", "index-before-commit:6", "index-after-commit:10", 2.5]
    campaign = run_campaign(config, archive, small_web.proxy_url, moments, timeout=300)
    assert sum(k.exit_code == -9 for k in campaign.kills) >= 3, campaign.kills
    assert all(k.orphans == 0 for k in campaign.kills), "extraction workers outlived the crawl"
    figures = audit(archive, reference)
    for name in ("open_files_left", "urls_archived_twice", "frontier_unfetched",
                 "captures_missing_from_index", "index_rows_pointing_at_nothing",
                 "warcs_failing_check", "reference_urls_never_archived",
                 "reindex_articles_differ", "reindex_captures_differ", "texts_twice",
                 "articles_without_text", "reindex_texts_differ"):
        assert figures[name] == 0, (name, figures["twice"], figures)
    assert figures["runs"] == 1 and figures["run_statuses"] == "finished", figures


def test_ctrl_c_stops_in_one_line_and_the_same_command_resumes(tmp_path):
    with FixtureWeb(outlets=2, articles_per_outlet=80, seed=6, latency=0.05,
                    log_requests=False) as web:
        config = write_config(tmp_path / "slow.toml", web.start_urls, name="slow")
        cmd = crawl_command(config, tmp_path / "archive", web.proxy_url)
        proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)
        time.sleep(4.0)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 130, out + err
        assert "Traceback" not in err and "run the same command again to resume" in err
        db = sqlite3.connect(tmp_path / "archive" / "index.db")
        assert db.execute("SELECT status FROM runs").fetchall() == [("interrupted",)]
        db.close()
        again = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=300)
        assert again.returncode == 0, again.stderr[-2000:]
    db = sqlite3.connect(tmp_path / "archive" / "index.db")
    assert db.execute("SELECT status, resumed FROM runs").fetchall() == [("finished", 1)]
    db.close()
    assert max(archived_urls(tmp_path / "archive").values()) == 1


def test_check_sees_an_index_behind_its_warcs_and_repair_mends_it(small_web, tmp_path):
    config = write_config(tmp_path / "crash.toml", small_web.start_urls)
    archive = tmp_path / "archive"
    env = {**os.environ, "LIPUTAN_FAILPOINT": "index-before-commit:8"}
    killed = subprocess.run(crawl_command(config, archive, small_web.proxy_url), cwd=REPO,
                            env=env, capture_output=True, text=True, timeout=300)
    assert killed.returncode == -9
    behind = liputan("check", "--archive", str(archive))
    assert behind.returncode == 1
    assert "left open by a process that is gone" in behind.stdout
    assert "records not in the index" in behind.stdout
    repaired = liputan("check", "--repair", "--archive", str(archive))
    assert repaired.returncode == 0, repaired.stdout + repaired.stderr
    assert "1 WARC files sealed" in repaired.stdout and "0 problems" in repaired.stdout
    assert not list(archive.rglob("*.open"))


def test_sealing_cuts_a_partial_record_and_keeps_every_whole_one(tmp_path):
    writer = make_writer(tmp_path)
    writer.write_exchange(exchange("http://www.a.test/1"))
    writer.write_exchange(exchange("http://www.a.test/2", body=b"<html>2</html>"))
    path = Path(str(writer.current_file) + ".open")
    whole = path.stat().st_size
    writer._current.handle.write(b"\x1f\x8b\x08\x00 half a gzip member")
    writer._current.handle.flush()
    report = seal_open_files(tmp_path)
    assert report.sealed == [str(writer.current_file)] and report.cut_bytes == 23
    assert writer.current_file.stat().st_size == whole == complete_end(writer.current_file)
    assert [r.record.rec_type for r in iter_records(writer.current_file)] == [
        "warcinfo", "request", "response", "request", "response"]
    check = subprocess.run([sys.executable, "-m", "warcio.cli", "check",
                            str(writer.current_file)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout


def test_an_unfinished_run_is_resumed_or_closed_as_interrupted(tmp_path):
    index = Index(tmp_path / "index.db")
    first = index.start_run("c")
    assert index.unfinished_run("c")["id"] == first
    index.finish_run(first, "finished", {})
    assert index.unfinished_run("c") is None
    index.close()


def test_reindex_of_a_file_left_open_points_at_its_sealed_name(small_web, tmp_path):
    config = write_config(tmp_path / "crash.toml", small_web.start_urls)
    archive = tmp_path / "archive"
    env = {**os.environ, "LIPUTAN_FAILPOINT": "index-after-commit:8"}
    subprocess.run(crawl_command(config, archive, small_web.proxy_url), cwd=REPO, env=env,
                   capture_output=True, text=True, timeout=300)
    (left_open,) = archive.rglob("*.warc.gz.open")
    fresh = tmp_path / "fresh"
    assert liputan("reindex", str(left_open), "--archive", str(fresh)).returncode in (0, 1)
    seal_open_files(archive)  # the crawl's resume (or check --repair) renames it
    checked = liputan("check", "--archive", str(fresh))
    assert checked.returncode == 0 and ": 0 problems" in checked.stdout, checked.stdout
    assert sqlite3.connect(fresh / "index.db").execute(
        "SELECT count(*) FROM captures WHERE warc_file LIKE '%.open'").fetchone() == (0,)
