"""User mistakes and damaged input: one readable line, exit code 1, nothing lost."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import REPO, liputan
from tests.timedweb import Host, TimedWeb

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
    import sqlite3

    # One flipped byte in the middle of a response record's gzip member: inside its
    # compressed data, which the member's CRC-32 guards (the middle of the file could land
    # in a member's header, which nothing checks).
    name, offset, length = sqlite3.connect(copy / "index.db").execute(
        "SELECT warc_file, warc_offset, warc_length FROM captures WHERE warc_file IS NOT NULL"
        " AND status = 200 ORDER BY warc_length DESC LIMIT 1").fetchone()
    (warc,) = [p for p in copy.rglob("*.warc.gz") if p.name == Path(name).name]
    data = bytearray(warc.read_bytes())
    data[offset + length // 2] ^= 0xFF
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
    ("LIPUTAN_WARC_OPERATOR=" + "x" * 501, "LIPUTAN_WARC_OPERATOR must be one line"),
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


# -- issue 13: odd input that used to print a traceback -------------------------------------
@pytest.mark.parametrize("command", ["show", "history", "diff"])
@pytest.mark.parametrize("key", ["99999999999999999999999", "²"])
def test_an_id_no_article_can_have_is_no_article(crawled, command, key):
    # Past SQLite's INTEGER range (OverflowError) or a digit int() refuses (ValueError).
    assert_one_line_error(liputan(command, key, "--archive", str(crawled.root)),
                          f"no article with id or URL {key!r}")


@pytest.mark.parametrize("key", ["99999999999999999999999", "²"])
def test_a_run_no_run_can_have_is_no_run(crawled, key):
    assert_one_line_error(liputan("report", key, "--archive", str(crawled.root)),
                          f"no run {key!r}")


def assert_usage_error(result, text):
    """click's answer to a malformed command line: its usage line, exit code 2."""
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("Usage: liputan") and text in result.stderr, result.stderr


@pytest.mark.parametrize("args", [
    ("search", "x", "--run", "99999999999999999999999"),
    ("export", "-o", "x.jsonl", "--run", "99999999999999999999999"),
    ("clusters", "--min-size", "99999999999999999999999"),
    ("clusters", "--limit", "99999999999999999999999"),
])
def test_a_number_past_sqlite_s_range_is_a_usage_error(crawled, args):
    assert_usage_error(liputan(*args, "--archive", str(crawled.root)),
                       "is not in the range 1<=x<=9223372036854775807")


def test_a_negative_worker_count_is_a_usage_error(tmp_path):
    warc = tmp_path / "x.warc.gz"
    warc.write_bytes(b"")
    assert_usage_error(liputan("reindex", "--workers", "-5", str(warc), "--archive",
                               str(tmp_path / "a")), "'--workers': -5 is not in the range")


def write_config(tmp_path, start_url: str):
    path = tmp_path / "crawl.toml"
    path.write_text(f'name = "odd"\n[sources]\nstart_urls = ["{start_url}"]\n'
                    "[politeness]\ndelay_per_host = 0\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(("url", "says"), [
    ("http://[::1", "a malformed IPv6 address or URL"),
    ("http://127.0.0.1:99999/", "the port must be a whole number from 1 to 65535"),
])
def test_a_start_url_that_cannot_be_fetched_is_one_line_before_anything_starts(
        tmp_path, url, says):
    result = liputan("crawl", str(write_config(tmp_path, url)), "--archive", str(tmp_path / "a"))
    assert_one_line_error(result, f"sources.start_urls must hold http(s) URLs; {url!r} is"
                                  f" not one ({says})")
    assert not (tmp_path / "a").exists()


def test_a_malformed_proxy_is_one_line_before_anything_starts(tmp_path):
    from tests.conftest import DEMO_CONFIG

    result = liputan("crawl", str(DEMO_CONFIG), "--archive", str(tmp_path / "a"),
                     "--proxy", "http://[::1")
    assert_one_line_error(result, "LIPUTAN_HTTP_PROXY (--proxy) must be an http(s) URL")
    assert not (tmp_path / "a").exists()


def test_an_unreachable_crawl_fails_with_exit_1_and_says_why(tmp_path):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    archive = tmp_path / "a"
    result = liputan("crawl", str(write_config(tmp_path, f"http://127.0.0.1:{port}/")),
                     "--archive", str(archive))
    assert_one_line_error(result, "run 1 of odd failed (pages fetched 0, failed fetches 3:"
                                  " DownloadConnectionRefusedError")
    assert result.stderr.strip().splitlines()[-1].startswith("Error: run 1 of odd failed")
    conn = sqlite3.connect(archive / "index.db")
    assert conn.execute("SELECT status FROM runs").fetchall() == [("failed",)]


def test_usage_errors_exit_2_and_other_errors_1_as_the_readme_says(tmp_path):
    assert_usage_error(liputan("search", "--no-such-option"), "No such option")
    assert_usage_error(liputan("show"), "Missing argument")
    assert_one_line_error(liputan("show", "1", "--archive", str(tmp_path)), "no index at")
    readme = " ".join((REPO / "README.md").read_text(encoding="utf-8").split())
    assert ("a malformed command line (an unknown option, a missing argument, a file that"
            " does not exist) is refused by click with its usage line and exit code 2") in readme
    assert "every command exits 1 on an error (2 on a malformed command line)" in readme


# -- Ctrl-C -----------------------------------------------------------------------------------
def _crawl_to_interrupt(tmp_path, web):
    """A crawl with extraction workers, in its own process group like a terminal's job."""
    config = tmp_path / "slow.toml"
    config.write_text(f'name = "slow"\n[sources]\nstart_urls = ["{web.start_urls[0]}"]\n'
                      "[politeness]\ndelay_per_host = 0.2\n", encoding="utf-8")
    return subprocess.Popen(
        [sys.executable, "-m", "crawler.cli", "crawl", str(config), "--archive",
         str(tmp_path / "a"), "--proxy", web.proxy_url], cwd=REPO, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, start_new_session=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"})


def _when(condition, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.02)


def test_ctrl_c_during_a_crawl_is_one_line_and_exit_130(tmp_path):
    """Ctrl-C reaches the whole process group: the extraction workers, still importing,
    used to print a KeyboardInterrupt traceback each and break the pool (65 tracebacks)."""
    with TimedWeb({"slow.test": Host(pages=40)}) as web:
        proc = _crawl_to_interrupt(tmp_path, web)
        _when(lambda: len(web.arrivals) >= 2)  # the home page: the workers start now
        time.sleep(0.3)
        os.killpg(proc.pid, signal.SIGINT)
        _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "BrokenProcessPool" not in err
    assert err.strip().splitlines()[-1] == ("Interrupted: run 1 of 'slow' is saved; run the"
                                            " same command again to resume it.")


def test_a_second_ctrl_c_stops_at_once_without_a_traceback(tmp_path):
    with TimedWeb({"slow.test": Host(pages=40)}) as web:
        proc = _crawl_to_interrupt(tmp_path, web)
        _when(lambda: len(web.arrivals) >= 4)
        os.killpg(proc.pid, signal.SIGINT)
        time.sleep(0.05)
        os.killpg(proc.pid, signal.SIGINT)
        sent = time.monotonic()
        _out, err = proc.communicate(timeout=60)
        took = time.monotonic() - sent
    assert proc.returncode == 130, err
    assert "Traceback" not in err and took < 10, (took, err)
    assert "Interrupted: run 1 of 'slow' is saved" in err.strip().splitlines()[-1]


def test_ctrl_c_while_the_command_is_still_starting_is_one_line_and_130():
    """Ctrl-C before the CLI has finished importing (its first few hundred ms): a real
    SIGINT, sent by the process to itself as the import of `crawler.cli` begins, through
    the entry point the `liputan` script calls."""
    script = Path(sys.executable).with_name("liputan")
    assert "crawler.launch import main" in script.read_text()  # pyproject's entry point
    code = ("import builtins, os, signal, sys\n"
            "import crawler.launch\n"
            "real = builtins.__import__\n"
            "def importing(name, *args, **kwargs):\n"
            "    if name == 'crawler.cli':\n"
            "        os.kill(os.getpid(), signal.SIGINT)\n"
            "    return real(name, *args, **kwargs)\n"
            "builtins.__import__ = importing\n"
            "sys.argv = ['liputan', '--help']\n"
            "crawler.launch.main()\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 130 and done.stderr == "Interrupted.\n", done.stderr
