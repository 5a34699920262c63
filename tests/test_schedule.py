"""Scheduled crawls and the archive lock: cron rules with an injected clock, the schedule
commands, `liputan scheduler` crawling the fixture web, and one writer per archive."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from crawler.daemon import Scheduler
from crawler.schedule import ScheduleBook, ScheduleError, check_cron, next_run
from pipelines.lock import ArchiveLock, holder, is_locked, live_status
from tests.conftest import DEMO_CONFIG, REPO, liputan
from tests.test_cli_errors import assert_one_line_error

T0 = datetime(2026, 12, 1, 21, 0, tzinfo=UTC)
FAST = ("-s", "LIPUTAN_EXTRACT_WORKERS=1")


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, start: datetime = T0):
        self.moment = start

    def __call__(self) -> datetime:
        return self.moment

    def advance(self, **delta: float) -> None:
        self.moment += timedelta(**delta)


def crawl_config(tmp_path: Path, name: str, *, max_pages: int = 60, delay: float = 0,
                 per_host: int = 8) -> Path:
    """The demo crawl under another name, budget and pace (its seed texts by absolute path)."""
    text = DEMO_CONFIG.read_text(encoding="utf-8")
    for old, new in (('name = "demo"', f'name = "{name}"'),
                     ('"demo-seeds/*.txt"', f'"{DEMO_CONFIG.parent}/demo-seeds/*.txt"'),
                     ("max_pages = 2000", f"max_pages = {max_pages}"),
                     ("delay_per_host = 0", f"delay_per_host = {delay}"),
                     ("concurrent_per_host = 8", f"concurrent_per_host = {per_host}")):
        assert old in text, old
        text = text.replace(old, new)
    path = tmp_path / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    return path


def rows(root: Path, sql: str, params: tuple = ()) -> list[tuple]:
    conn = sqlite3.connect(root / "index.db")
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def miss_slots(root: Path, name: str, hours: float = 72) -> None:
    """The machine was off: the schedule's next run passed `hours` ago."""
    past = (datetime.now(UTC) - timedelta(hours=hours)).isoformat(timespec="seconds")
    conn = sqlite3.connect(root / "index.db")
    conn.execute("UPDATE schedules SET next_run_at=? WHERE name=?", [past, name])
    conn.commit()
    conn.close()


# -- cron -----------------------------------------------------------------------------------
@pytest.mark.parametrize(("cron", "says"), [
    ("61 * * * *", "minute field '61'"),
    ("* 24 * * *", "hour field '24'"),
    ("* * 0 * *", "day-of-month field '0'"),
    ("* * * 13 *", "month field '13'"),
    ("* * * * 8", "day-of-week field '8'"),
    ("*/0 * * * *", "minute field '*/0'"),
    ("* * * *", "has 4 fields; it needs 5"),
    ("0 0 31 2 *", "never matches a date"),
    ("@reboot", "unknown alias"),
    ("  ", "empty"),
])
def test_a_bad_cron_expression_names_what_is_wrong(cron, says):
    with pytest.raises(ScheduleError) as caught:
        check_cron(cron)
    assert says in str(caught.value)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(("cron", "kept"), [
    ("0 */6 * * *", "0 */6 * * *"), ("*/15  9-17 * * mon-fri", "*/15 9-17 * * mon-fri"),
    ("0 0 1,15 * *", "0 0 1,15 * *"), ("@HOURLY", "@hourly"), ("0 0 29 2 *", "0 0 29 2 *"),
])
def test_good_cron_expressions_pass(cron, kept):
    assert check_cron(cron) == kept


def test_next_run_is_the_first_slot_strictly_after():
    assert next_run("0 */6 * * *", T0) == datetime(2026, 12, 2, 0, 0, tzinfo=UTC)
    on_a_slot = datetime(2026, 12, 2, 0, 0, tzinfo=UTC)
    assert next_run("0 0 * * *", on_a_slot) == datetime(2026, 12, 3, 0, 0, tzinfo=UTC)
    assert next_run("30 1 * * *", T0.replace(tzinfo=None)) == datetime(2026, 12, 2, 1, 30,
                                                                      tzinfo=UTC)


# -- the schedules of an archive, with an injected clock ------------------------------------------
def test_a_new_schedule_is_due_at_its_first_slot(tmp_path):
    clock = Clock()
    with ScheduleBook(tmp_path / "index.db", now=clock) as book:
        added = book.add("hourly", DEMO_CONFIG, "0 * * * *")
        assert added.next_run_at == "2026-12-01T22:00:00+00:00"
        assert book.due() == []
        clock.advance(minutes=60)
        assert [s.name for s in book.due()] == ["hourly"]


def test_missed_slots_run_once_and_the_next_run_is_after_now(tmp_path):
    clock = Clock()
    with ScheduleBook(tmp_path / "index.db", now=clock) as book:
        book.add("hourly", DEMO_CONFIG, "0 * * * *")
        clock.advance(hours=5, minutes=20)  # the machine was off for five slots
        (due,) = book.due()
        assert book.claim(due) == "2026-12-02T03:00:00+00:00"
        assert book.due() == []  # one run, not five
        clock.advance(minutes=40)
        assert len(book.due()) == 1


def test_a_slot_is_claimed_once(tmp_path):
    clock = Clock()
    with ScheduleBook(tmp_path / "index.db", now=clock) as one, \
            ScheduleBook(tmp_path / "index.db", now=clock) as other:
        one.add("hourly", DEMO_CONFIG, "0 * * * *")
        clock.advance(hours=2)
        (seen_by_one,), (seen_by_other,) = one.due(), other.due()
        assert one.claim(seen_by_one) is not None
        assert other.claim(seen_by_other) is None


def test_a_slot_given_back_stays_due(tmp_path):
    clock = Clock()
    with ScheduleBook(tmp_path / "index.db", now=clock) as book:
        book.add("hourly", DEMO_CONFIG, "0 * * * *")
        clock.advance(hours=2)
        (due,) = book.due()
        book.give_back(due, book.claim(due))
        assert [s.next_run_at for s in book.due()] == [due.next_run_at]


def test_a_paused_schedule_is_never_due_and_resumes_from_now(tmp_path):
    clock = Clock()
    with ScheduleBook(tmp_path / "index.db", now=clock) as book:
        book.add("hourly", DEMO_CONFIG, "0 * * * *")
        book.pause("hourly")
        clock.advance(hours=3, minutes=10)
        assert book.due() == []
        resumed = book.resume("hourly")
        assert resumed.next_run_at == "2026-12-02T01:00:00+00:00"  # skipped slots stay skipped
        assert book.due() == []


def test_the_config_is_stored_by_absolute_path(tmp_path, monkeypatch):
    monkeypatch.chdir(REPO)
    with ScheduleBook(tmp_path / "index.db") as book:
        added = book.add("demo", Path("crawls/demo.toml"), "@daily")
    assert added.config == str(DEMO_CONFIG)


def test_the_scheduler_goes_on_after_a_failed_run(tmp_path):
    """Both schedules' crawls fail (their configs are gone); each attempt is recorded with
    its exit code and its slot moves on, by the scheduler's clock."""
    clock = Clock()
    root = tmp_path / "archive"
    with ScheduleBook(root / "index.db", now=clock) as book:
        for name in ("first", "second"):
            book.add(name, crawl_config(tmp_path, name), "0 */6 * * *")
            (tmp_path / f"{name}.toml").unlink()
    clock.advance(hours=4)
    attempts = Scheduler(root, now=clock).run_due()
    assert [(a.schedule, a.exit_code, a.run_id) for a in attempts] == [
        ("first", 1, None), ("second", 1, None)]
    assert rows(root, "SELECT name, next_run_at, last_exit_code, last_started_at FROM schedules"
                " ORDER BY name") == [
        ("first", "2026-12-02T06:00:00+00:00", 1, "2026-12-02T01:00:00+00:00"),
        ("second", "2026-12-02T06:00:00+00:00", 1, "2026-12-02T01:00:00+00:00")]


# -- the lock -------------------------------------------------------------------------------
def test_the_lock_names_its_holder_until_released(tmp_path):
    with ArchiveLock(tmp_path, "demo"):
        found = holder(tmp_path)
        assert (found.pid, found.crawl, found.kind) == (os.getpid(), "demo", "crawl")
        assert is_locked(tmp_path)
    assert holder(tmp_path) is None and not is_locked(tmp_path)
    assert holder(tmp_path / "no-such-archive") is None


def test_the_holding_process_may_lock_again_and_keeps_it_until_the_last_release(tmp_path):
    outer = ArchiveLock(tmp_path, "demo").acquire()  # the CLI's
    inner = ArchiveLock(tmp_path, "demo").acquire()  # the crawl services', same process
    inner.release()
    assert holder(tmp_path).crawl == "demo"
    outer.release()
    assert holder(tmp_path) is None


def test_a_holder_killed_with_sigkill_leaves_no_lock(tmp_path):
    child = subprocess.Popen([sys.executable, "-c",
                              "import sys, time; from pipelines.lock import ArchiveLock;"
                              f" ArchiveLock({str(tmp_path)!r}, 'doomed').acquire();"
                              " print('held', flush=True); time.sleep(60)"],
                             cwd=REPO, stdout=subprocess.PIPE, text=True)
    assert child.stdout.readline().strip() == "held"
    assert holder(tmp_path).pid == child.pid
    child.kill()
    child.wait(timeout=10)
    assert (tmp_path / ".liputan.lock").exists()  # the file stays; its lock went with the process
    assert holder(tmp_path) is None
    with ArchiveLock(tmp_path, "next"):
        assert holder(tmp_path).crawl == "next"


def test_a_running_run_without_a_holder_is_interrupted(tmp_path):
    assert live_status("running", tmp_path) == "interrupted"
    assert live_status("finished", tmp_path) == "finished"
    with ArchiveLock(tmp_path, "demo"):
        assert live_status("running", tmp_path) == "running"


def test_a_second_crawl_is_refused_and_writes_nothing(tmp_path, web):
    root = tmp_path / "archive"
    with ArchiveLock(root, "manual"):
        result = liputan("crawl", str(DEMO_CONFIG), "--archive", str(root),
                         "--proxy", web.proxy_url, *FAST)
        reindex = liputan("reindex", str(DEMO_CONFIG), "--archive", str(root))
        written = sorted(p.name for p in root.iterdir())
        check = liputan("check", "--archive", str(root))  # readers never wait
    assert_one_line_error(result, f"archive {str(root)!r} is busy: crawl 'manual'"
                                  f" (pid {os.getpid()} on ")
    assert "wait for it or stop it" in result.stderr
    assert_one_line_error(reindex, "is busy: crawl 'manual'")
    assert "busy" not in check.stderr, check.stderr
    assert written == [".liputan.lock"]


# -- the commands -----------------------------------------------------------------------------
@pytest.mark.parametrize("command", [("schedule",), ("schedule", "add"), ("schedule", "list"),
                                     ("schedule", "remove"), ("schedule", "pause"),
                                     ("schedule", "resume"), ("scheduler",)])
def test_every_schedule_command_has_help_with_an_example(command):
    result = liputan(*command, "--help")
    assert result.returncode == 0 and "Example" in result.stdout


def test_schedule_add_list_pause_resume_remove(tmp_path):
    root = tmp_path / "archive"  # absent: `add` creates the index
    added = liputan("schedule", "add", "demo", "crawls/demo.toml", "--cron", "0 */6 * * *",
                    "--archive", str(root))
    assert added.returncode == 0, added.stderr
    assert str(DEMO_CONFIG) in added.stdout
    listed = liputan("schedule", "list", "--archive", str(root), "--json")
    (row,) = json.loads(listed.stdout)
    assert (row["name"], row["cron"], row["paused"], row["last_run_id"], row["config"]) == (
        "demo", "0 */6 * * *", False, None, str(DEMO_CONFIG))
    assert row["next_run_at"] > datetime.now(UTC).isoformat()
    assert liputan("schedule", "pause", "demo", "--archive", str(root)).returncode == 0
    table = liputan("schedule", "list", "--archive", str(root)).stdout
    assert "demo" in table and " yes " in table and "never run" in table
    csv_out = liputan("schedule", "list", "--archive", str(root), "--csv").stdout
    assert csv_out.splitlines()[0].startswith("name,cron,next_run_at,paused,last_run_id")
    assert liputan("schedule", "resume", "demo", "--archive", str(root)).returncode == 0
    assert rows(root, "SELECT paused FROM schedules") == [(0,)]
    assert liputan("schedule", "remove", "demo", "--archive", str(root)).returncode == 0
    assert rows(root, "SELECT count(*) FROM schedules") == [(0,)]


def test_schedule_mistakes_are_one_line(tmp_path):
    root = tmp_path / "archive"
    assert_one_line_error(liputan("schedule", "add", "x", str(DEMO_CONFIG), "--cron",
                                  "61 * * * *", "--archive", str(root)),
                          "minute field '61' is not valid")
    assert_one_line_error(liputan("schedule", "add", "x", str(tmp_path / "none.toml"),
                                  "--cron", "@daily", "--archive", str(root)),
                          "cannot read crawl config")
    assert_one_line_error(liputan("schedule", "list", "--archive", str(root)), "no index at")
    liputan("schedule", "add", "x", str(DEMO_CONFIG), "--cron", "@daily", "--archive", str(root))
    assert_one_line_error(liputan("schedule", "add", "x", str(DEMO_CONFIG), "--cron", "@daily",
                                  "--archive", str(root)), "a schedule named 'x' exists")
    for verb in ("pause", "resume", "remove"):
        assert_one_line_error(liputan("schedule", verb, "nope", "--archive", str(root)),
                              "no schedule named 'nope'")


@pytest.mark.parametrize(("name", "says"), [
    pytest.param("", "a schedule needs a name", id="empty"),
    pytest.param("   ", "a schedule needs a name", id="blank"),
    pytest.param("my daily", "a schedule's name may hold only letters, digits, '-', '_' and"
                 " '.', start with a letter or digit and be at most 100 characters long,"
                 " such as `daily` or `kazakhstan-2022`; got 'my daily'", id="space"),
    pytest.param(" daily", "got ' daily'", id="leading-space"),
    pytest.param("kaz/daily", "got 'kaz/daily'", id="slash"),
    pytest.param("a\nb", r"got 'a\nb'", id="newline"),
    pytest.param("a\x1b[31mb", r"got 'a\x1b[31mb'", id="terminal-escape"),
    pytest.param("x" * 10_000, "got '" + "x" * 60 + "'... (10000 characters)", id="10000-long"),
    pytest.param("kabar-é", "got 'kabar-é'", id="non-ascii"),
])
def test_a_schedule_name_that_cannot_be_typed_or_shown_is_one_line(tmp_path, name, says):
    root = tmp_path / "archive"
    result = liputan("schedule", "add", name, str(DEMO_CONFIG), "--cron", "@daily",
                     "--archive", str(root))
    assert_one_line_error(result, says)
    assert len(result.stderr.splitlines()) == 1 and len(result.stderr) < 300
    assert not root.exists()  # refused before the index is created


def test_a_schedule_named_before_the_rule_can_still_be_paused_and_removed(tmp_path):
    root = tmp_path / "archive"
    liputan("schedule", "add", "daily", str(DEMO_CONFIG), "--cron", "@daily", "--archive",
            str(root))
    with sqlite3.connect(root / "index.db") as conn:  # what an older Liputan let in
        conn.execute("UPDATE schedules SET name='my daily'")
    assert liputan("schedule", "pause", "my daily", "--archive", str(root)).returncode == 0
    assert "my daily" in liputan("schedule", "list", "--archive", str(root)).stdout
    assert liputan("schedule", "remove", "my daily", "--archive", str(root)).returncode == 0
    assert_one_line_error(liputan("schedule", "remove", "x" * 10_000, "--archive", str(root)),
                          "no schedule named '" + "x" * 60 + "'... (10000 characters)")


# -- the scheduler ------------------------------------------------------------------------------
def test_a_due_run_waits_while_the_archive_is_busy(tmp_path, web):
    root = tmp_path / "archive"
    config = crawl_config(tmp_path, "waits")
    liputan("schedule", "add", "waits", str(config), "--cron", "@daily", "--archive", str(root))
    miss_slots(root, "waits")
    (before,) = rows(root, "SELECT next_run_at FROM schedules")
    with ArchiveLock(root, "manual"):
        result = liputan("scheduler", "--once", "--archive", str(root), "--proxy",
                         web.proxy_url, *FAST)
    assert result.returncode == 0, result.stderr
    assert "the archive is busy" in result.stderr and "crawl 'manual'" in result.stderr
    assert rows(root, "SELECT count(*) FROM runs") == [(0,)]
    assert rows(root, "SELECT next_run_at FROM schedules") == [before]  # still due, not lost


def test_scheduler_once_runs_a_missed_slot_once(tmp_path, web):
    root = tmp_path / "archive"
    config = crawl_config(tmp_path, "daily")
    liputan("schedule", "add", "daily", str(config), "--cron", "0 6 * * *", "--archive",
            str(root))
    miss_slots(root, "daily", hours=72)  # three slots passed while the machine was off
    result = liputan("scheduler", "--once", "--archive", str(root), "--proxy", web.proxy_url,
                     *FAST)
    assert result.returncode == 0, result.stderr[-3000:]
    (schedule_id, next_run_at, last_run_id, exit_code), = rows(
        root, "SELECT id, next_run_at, last_run_id, last_exit_code FROM schedules")
    (run,) = rows(root, "SELECT id, crawl, schedule_id, status FROM runs")
    assert run == (last_run_id, "daily", schedule_id, "finished") and exit_code == 0
    assert next_run_at > datetime.now(UTC).isoformat()
    assert rows(root, "SELECT count(*) FROM captures WHERE run_id=?", (run[0],))[0][0] > 10
    again = liputan("scheduler", "--once", "--archive", str(root))
    assert again.returncode == 0 and "nothing due" in again.stderr
    assert rows(root, "SELECT count(*) FROM runs") == [(1,)]


def test_the_scheduler_waits_for_a_busy_archive_and_sigterm_interrupts_its_crawl(tmp_path, web):
    """A due run waits while a manual writer holds the archive, starts once it is free (one
    run, not two), and SIGTERM then stops the scheduler gracefully: exit 0, the run
    `interrupted` and its slot still due, so the next start resumes it."""
    root = tmp_path / "archive"
    config = crawl_config(tmp_path, "slow", max_pages=200, delay=0.5, per_host=1)
    liputan("schedule", "add", "slow", str(config), "--cron", "@daily", "--archive", str(root))
    miss_slots(root, "slow")
    ((due_at,),) = rows(root, "SELECT next_run_at FROM schedules")
    manual = ArchiveLock(root, "manual").acquire()
    scheduler = subprocess.Popen(
        [sys.executable, "-m", "crawler.cli", "scheduler", "--archive", str(root), "--poll",
         "0.2", "--proxy", web.proxy_url, *FAST],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(2.0)  # ten looks at a busy archive
        assert rows(root, "SELECT count(*) FROM runs") == [(0,)]
        manual.release()
        deadline = time.monotonic() + 60
        while not rows(root, "SELECT count(*) FROM captures")[0][0]:
            assert time.monotonic() < deadline and scheduler.poll() is None, "no crawl began"
            time.sleep(0.2)
        crawler_pid = holder(root).pid
        assert crawler_pid not in (0, scheduler.pid)  # the crawl process holds the archive
        scheduler.send_signal(signal.SIGTERM)
        _, stderr = scheduler.communicate(timeout=60)
    finally:
        manual.release()
        if scheduler.poll() is None:
            scheduler.kill()
    assert scheduler.returncode == 0, stderr[-3000:]
    assert stderr.count("is due but the archive is busy") == 1
    (run_id, status, schedule_id), = rows(root, "SELECT id, status, schedule_id FROM runs")
    assert status == "interrupted" and schedule_id == 1
    assert rows(root, "SELECT last_run_id, next_run_at FROM schedules") == [(run_id, due_at)]
    assert not is_locked(root)
