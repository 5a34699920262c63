"""User mistakes and damaged input: one readable line, exit code 1, nothing lost."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys

import pytest

from tests.conftest import liputan

COMMANDS = ["demo", "crawl", "search", "show", "reindex", "check", "history", "diff", "runs",
            "report", "serve", "clusters", "links", "graph", "export", "timeline"]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_an_example(command):
    result = liputan(command, "--help")
    assert result.returncode == 0
    assert "Example" in result.stdout


def test_demo_finds_its_config():
    from crawler.cli import DEMO_CONFIG

    assert DEMO_CONFIG.is_file()


def assert_one_line_error(result, text):
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert lines and text in lines[0], result.stderr


def test_search_without_an_index_says_how_to_make_one(tmp_path):
    assert_one_line_error(liputan("search", "x", "--archive", str(tmp_path)),
                          "no index at")


def test_search_rejects_bad_dates(crawled):
    assert_one_line_error(
        liputan("search", "x", "--archive", str(crawled.root), "--since", "Januari"),
        "--since expects a date")


def test_show_unknown_article(crawled):
    assert_one_line_error(liputan("show", "999999", "--archive", str(crawled.root)),
                          "no article with id or URL")


def test_history_and_diff_of_an_unknown_article(crawled):
    for command in ("history", "diff"):
        assert_one_line_error(liputan(command, "999999", "--archive", str(crawled.root)),
                              "no article with id or URL")


def test_diff_of_a_story_with_one_version_says_so(crawled):
    assert_one_line_error(liputan("diff", "1", "--archive", str(crawled.root)),
                          "has only 1 version: nothing to compare")


def test_reindex_of_a_truncated_warc_keeps_what_was_readable(crawled, tmp_path):
    (warc,) = list(crawled.root.rglob("*.warc.gz"))[:1]
    data = warc.read_bytes()
    broken = tmp_path / "broken.warc.gz"
    broken.write_bytes(data[: len(data) // 2])
    archive = tmp_path / "archive"
    result = liputan("reindex", str(broken), "--archive", str(archive))
    assert_one_line_error(result, "1 WARC file(s) had problems")
    assert "truncated" in result.stderr
    conn = sqlite3.connect(archive / "index.db")
    assert conn.execute("SELECT count(*) FROM captures").fetchone()[0] > 10
    assert conn.execute("SELECT count(*) FROM articles").fetchone()[0] > 5


def test_reindex_of_a_file_that_is_not_a_warc(tmp_path):
    bogus = tmp_path / "notes.warc.gz"
    bogus.write_text("this is not a WARC file\n")
    result = liputan("reindex", str(bogus), "--archive", str(tmp_path / "a"))
    assert_one_line_error(result, "had problems")


def test_check_reports_a_damaged_record(crawled, tmp_path):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(crawled.root, copy)
    (warc,) = list(copy.rglob("*.warc.gz"))[:1]
    data = bytearray(warc.read_bytes())
    data[len(data) // 2] ^= 0xFF  # one flipped byte inside a gzip member
    warc.write_bytes(bytes(data))
    result = liputan("check", "--archive", str(copy))
    assert_one_line_error(result, " found")  # "1 problem found" or "N problems found"
    assert "problem:" in result.stdout


def test_crawl_of_a_missing_config(tmp_path):
    assert_one_line_error(liputan("crawl", str(tmp_path / "none.toml")), "cannot read")


def test_demo_finds_its_config_and_the_fixture_web():
    from crawler.cli import DEMO_CONFIG, REPO_ROOT

    assert DEMO_CONFIG.is_file() and (REPO_ROOT / "tests" / "fixtureweb").is_dir()


@pytest.mark.parametrize(("setting", "says"), [
    ("LIPUTAN_MAX_FAILURE_SHARE=abc", "LIPUTAN_MAX_FAILURE_SHARE must be a number"),
    ("LIPUTAN_MAX_FAILURE_SHARE=nan", "LIPUTAN_MAX_FAILURE_SHARE must be between 0 and 1"),
    ("JOBDIR=/tmp/liputan-jobdir", "JOBDIR is not needed"),
    ("LIPUTAN_RESUME=maybe", "LIPUTAN_RESUME must be True or False"),
    ("LIPUTAN_PROGRESS=sometimes", "LIPUTAN_PROGRESS must be one of"),
])
def test_a_setting_liputan_cannot_use_is_one_line_before_anything_starts(tmp_path, setting,
                                                                         says):
    from tests.conftest import DEMO_CONFIG

    result = liputan("crawl", str(DEMO_CONFIG), "--archive", str(tmp_path / "a"), "-s", setting)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [f"Error: {result.stderr.split(': ', 1)[1]}"
                                                  .strip()] and says in result.stderr
    assert not (tmp_path / "a").exists()  # nothing created, not even the lock


def test_a_liputan_setting_is_read_from_the_environment_too(tmp_path):
    from tests.conftest import DEMO_CONFIG, REPO

    env = {**os.environ, "LIPUTAN_RESUME": "maybe"}
    result = subprocess.run([sys.executable, "-m", "crawler.cli", "crawl", str(DEMO_CONFIG),
                             "--archive", str(tmp_path / "a")], cwd=REPO, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert "LIPUTAN_RESUME must be True or False; got 'maybe'" in result.stderr
