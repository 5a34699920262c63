"""The scheduler loop: an archive's due crawls, one at a time, each in its own process.

Plain Python (no Scrapy, no Twisted here): Twisted's reactor cannot restart, so every run is
`python -m crawler.cli crawl CONFIG --archive A --schedule-id ID`, a fresh process that takes
the archive lock itself. The scheduler holds no lock: while a manual crawl (or a reindex)
holds the archive, a due schedule stays due and runs once the lock frees, neither lost nor
run twice (the slot is claimed in the index before the crawl starts and given back if the
crawl could not take the archive).

Stopping (SIGTERM, SIGINT; `stop()`): no new run starts; a running crawl gets one SIGTERM,
which Scrapy answers with a graceful shutdown (the run ends `interrupted`); the scheduler
waits for it and gives its slot back, so the next start of the scheduler resumes the run.
"""

from __future__ import annotations

import logging
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from crawler.schedule import Schedule, ScheduleBook, UnknownSchedule, utc_now
from pipelines.index import INDEX_NAME
from pipelines.lock import holder, is_locked, live_status

logger = logging.getLogger(__name__)

STDERR = 2  # a crawl's summary goes where the scheduler logs (the journal under systemd)
# Statuses of a run that may carry on (CrawlArchive resumes them).
UNFINISHED = ("running", "interrupted", "shutdown")


@dataclass(frozen=True)
class Attempt:
    """One launch of a schedule's crawl and what came of it."""

    schedule: str
    exit_code: int
    run_id: int | None
    status: str | None  # the run row's status; None when the crawl failed before its run
    seconds: float

    @property
    def ok(self) -> bool:
        return self.exit_code == 0


class Scheduler:
    """Runs the due schedules of the archive at `archive`. `now` is the clock (tests inject
    one); `proxy` and `settings` (KEY=VALUE) are passed to every crawl."""

    def __init__(self, archive: Path | str, *, proxy: str | None = None,
                 settings: Sequence[str] = (), poll: float = 30.0,
                 now: Callable[[], datetime] = utc_now, python: str = sys.executable):
        # Absolute: crawls run from the scheduler's directory, whatever it becomes.
        self.archive = Path(archive).absolute()
        self.proxy = proxy
        self.settings = tuple(settings)
        self.poll = poll
        self.now = now
        self.python = python
        self.stopping = False
        self.waiting: list[str] = []  # due schedules the last pass left for a busy archive
        self._told: set[tuple[str, int, str]] = set()
        self._child: subprocess.Popen[bytes] | None = None

    # -- the loop ---------------------------------------------------------------------------
    def run_forever(self) -> None:
        """Run what is due, sleep until the next slot (or `poll` seconds), until stopped."""
        self._describe()
        while not self.stopping:
            self.run_due()
            self._sleep()
        logger.info("scheduler stopped")

    def run_due(self) -> list[Attempt]:
        """Every schedule due now, oldest slot first; a failed run does not stop the rest."""
        with self._book() as book:
            due = book.due()
        attempts, self.waiting = [], []
        for schedule in due:
            if self.stopping:
                break
            attempt = self._attempt(schedule)
            if attempt is not None:
                attempts.append(attempt)
        return attempts

    def stop(self, signum: int | None = None, _frame: object = None) -> None:
        """Stop starting runs; ask a running crawl to shut down gracefully (a signal handler).
        A second call forwards a second SIGTERM: Scrapy then stops at once (the run stays
        resumable, less tidily)."""
        if not self.stopping:
            name = signal.Signals(signum).name if signum else "stop"
            logger.info("%s: starting no new runs%s", name,
                        "; waiting for the running crawl to shut down" if self._child else "")
        self.stopping = True
        self._forward()

    def install_signal_handlers(self) -> None:
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)

    # -- one schedule -----------------------------------------------------------------------
    def _attempt(self, schedule: Schedule) -> Attempt | None:
        busy = holder(self.archive)
        if busy is not None:
            # Said once per holder, not at every look while a long manual crawl runs.
            said = (schedule.name, busy.pid, busy.started) in self._told
            (logger.debug if said else logger.info)(
                "schedule %r is due but the archive is busy: %s; it runs when the archive"
                " is free", schedule.name, busy.describe())
            self._told.add((schedule.name, busy.pid, busy.started))
            self.waiting.append(schedule.name)
            return None
        with self._book() as book:
            try:
                schedule = book.get(schedule.name)  # paused or changed since we looked?
            except UnknownSchedule:
                return None
            if not schedule.is_due(self.now()):
                return None
            claimed = book.claim(schedule)
            if claimed is None:
                return None
            if self.stopping:  # a signal came while we looked
                book.give_back(schedule, claimed)
                return None
            known = _known_runs(book)
            started = time.monotonic()
            logger.info("schedule %r: crawling %s", schedule.name, schedule.config)
            code, pid = self._launch(schedule)
            found = _run_of(book, pid, known)
            run_id, status = found if found else (None, None)
            status = live_status(status, self.archive)
            if found is None and code != 0 and is_locked(self.archive):
                # Another writer took the archive between our look and the crawl's start.
                book.give_back(schedule, claimed)
                logger.info("schedule %r: the archive became busy; it stays due",
                            schedule.name)
                self.waiting.append(schedule.name)
                return None
            book.record(schedule, run_id, code)
            # Stopped by us (or before its run began): resumed when the scheduler restarts.
            stopped = self.stopping and status in (None, "interrupted")
            if stopped:
                book.give_back(schedule, claimed)
            attempt = Attempt(schedule.name, code, run_id, status, time.monotonic() - started)
        log = logger.info if attempt.ok or stopped else logger.error
        log("schedule %r: run %s %s (exit %d) in %.0f s; next run %s", schedule.name,
            run_id if run_id is not None else "-", status or "never started", code,
            attempt.seconds, "when the scheduler starts again" if stopped else claimed)
        return attempt

    def _launch(self, schedule: Schedule) -> tuple[int, int]:
        """Run the schedule's crawl to its end; returns (exit code, its pid)."""
        command = [self.python, "-m", "crawler.cli", "crawl", schedule.config,
                   "--archive", str(self.archive), "--schedule-id", str(schedule.id)]
        if self.proxy:
            command += ["--proxy", self.proxy]
        for setting in self.settings:
            command += ["-s", setting]
        # Its own process group: a Ctrl-C at the terminal reaches the scheduler only, which
        # forwards one SIGTERM (a second signal makes Scrapy stop without closing the run).
        child = subprocess.Popen(command, stdout=STDERR, process_group=0)
        self._child = child
        try:
            if self.stopping:  # a signal came while the crawl was being started
                self._forward()
            code = child.wait()
        finally:
            self._child = None
        return code, child.pid

    def _forward(self) -> None:
        child = self._child
        if child is not None and child.poll() is None:
            child.send_signal(signal.SIGTERM)

    # -- helpers ------------------------------------------------------------------------------
    def _book(self) -> ScheduleBook:
        # Opened for each look: the index file may be replaced (rebuilt) between runs.
        return ScheduleBook(self.archive / INDEX_NAME, now=self.now)

    def _describe(self) -> None:
        with self._book() as book:
            schedules = book.all()
        active = [s for s in schedules if not s.paused]
        logger.info("scheduler for %s: %d schedules (%d paused)", self.archive,
                    len(schedules), len(schedules) - len(active))
        for schedule in active:
            logger.info("  %s: %s, next run %s", schedule.name, schedule.cron,
                        schedule.next_run_at)

    def _sleep(self) -> None:
        now = self.now()
        wake = now + timedelta(seconds=self.poll)
        with self._book() as book:
            soonest = book.next_due_at()
        if soonest is not None and now < soonest < wake:
            wake = soonest
        deadline = time.monotonic() + max(0.0, (wake - now).total_seconds())
        while not self.stopping and time.monotonic() < deadline:
            # Short naps: a signal handler sets `stopping`, and sleep() resumes after it.
            time.sleep(min(0.5, max(0.0, deadline - time.monotonic())))


def _known_runs(book: ScheduleBook) -> tuple[int, set[int]]:
    """The newest run id, and the unfinished runs a crawl may resume."""
    conn = book.index.conn
    newest = int(conn.execute("SELECT COALESCE(MAX(id), 0) FROM runs").fetchone()[0])
    marks = ",".join("?" * len(UNFINISHED))
    unfinished = {int(row[0]) for row in conn.execute(
        f"SELECT id FROM runs WHERE status IN ({marks})", UNFINISHED)}
    return newest, unfinished


def _run_of(book: ScheduleBook, pid: int, known: tuple[int, set[int]]) -> tuple[int, str] | None:
    """The run the crawl process `pid` started or resumed (runs record their process)."""
    newest, unfinished = known
    for run_id, status in book.index.conn.execute(
            "SELECT id, status FROM runs WHERE pid=? AND hostname=? ORDER BY id DESC",
            [pid, socket.gethostname()]):
        if run_id > newest or run_id in unfinished:
            return int(run_id), str(status)
    return None
