"""Recurring crawls: cron expressions, the next run, and the schedules of an archive.

Plain policy (no Scrapy, no click). The schedules live in the archive's index (`schedules`
table); `liputan schedule ...` edits them and the scheduler (crawler/daemon.py) asks which
are due and records what their runs did.

Cron expressions have the five classic fields (minute hour day-of-month month
day-of-week) or an alias (@hourly, @daily, @weekly, @monthly, @yearly) and are read in
UTC, like every timestamp of the index: "0 23 * * *" is 06:00 WIB.

A missed slot runs once, not once per slot missed: a schedule whose next run passed while
nothing ran (the machine was off, a long crawl overran) is due, and claiming it sets its
next run to the first slot after *now*.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from croniter import CroniterError, croniter

from crawler.config import NAME_RULE, name_ok, quoted
from pipelines.index import Index

FIELDS = ("minute", "hour", "day-of-month", "month", "day-of-week")
VALUES = ("0-59", "0-23", "1-31", "1-12 or jan-dec", "0-7 or sun-sat")
ALIASES = ("@hourly", "@daily", "@midnight", "@weekly", "@monthly", "@yearly", "@annually")
EXAMPLE = "'0 */6 * * *' (every 6 hours)"


class ScheduleError(ValueError):
    """A schedule Liputan cannot keep: a bad cron expression or name, a name taken."""


class UnknownSchedule(ScheduleError):
    def __init__(self, name: str):
        super().__init__(f"no schedule named {quoted(name)}; `liputan schedule list` shows them")


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    """The index's timestamp form (UTC, seconds)."""
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def parse_time(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def check_name(name: str) -> str:
    """The name, if it can name a schedule: it is typed on command lines and shown in
    tables and logs, so the crawl names' rule (no spaces, slashes or control characters).
    ScheduleError says what is wrong."""
    if not name.strip():
        raise ScheduleError("a schedule needs a name, e.g. `liputan schedule add daily ...`")
    if not name_ok(name):
        raise ScheduleError(f"a schedule's name {NAME_RULE}, such as `daily` or"
                            f" `kazakhstan-2022`; got {quoted(name)}")
    return name


def check_cron(expression: str) -> str:
    """The expression, normalised; ScheduleError names the field that is wrong."""
    text = " ".join(expression.split())
    if not text:
        raise ScheduleError(f"the cron expression is empty; give five fields, e.g. {EXAMPLE}")
    if text.startswith("@"):
        if text.lower() not in ALIASES:
            raise ScheduleError(f"cron {expression!r}: unknown alias; use one of"
                                f" {', '.join(ALIASES)} or five fields, e.g. {EXAMPLE}")
        return text.lower()
    fields = text.split(" ")
    if len(fields) != len(FIELDS):
        raise ScheduleError(f"cron {expression!r} has {len(fields)} fields; it needs 5"
                            f" ({' '.join(FIELDS)}), e.g. {EXAMPLE}")
    for position, field in enumerate(fields):
        # Each field alone, the others any value: the one croniter refuses is the culprit.
        probe = ["*"] * len(FIELDS)
        probe[position] = field
        if not croniter.is_valid(" ".join(probe)):
            raise ScheduleError(
                f"cron {expression!r}: {FIELDS[position]} field {field!r} is not valid"
                f" (values {VALUES[position]}; *, lists a,b, ranges a-b and steps */N)")
    try:
        croniter(text, datetime(2000, 1, 1, tzinfo=UTC)).get_next(datetime)
    except CroniterError as exc:  # each field fine, together impossible: 31 February
        raise ScheduleError(f"cron {expression!r} never matches a date; check the day and"
                            " month fields") from exc
    return text


def next_run(cron: str, after: datetime) -> datetime:
    """The first slot of `cron` strictly after `after` (UTC)."""
    start = after if after.tzinfo else after.replace(tzinfo=UTC)
    found = croniter(cron, start.astimezone(UTC)).get_next(datetime)
    return found.astimezone(UTC)


@dataclass(frozen=True)
class Schedule:
    id: int
    name: str
    config: str
    cron: str
    paused: bool
    created_at: str
    next_run_at: str | None
    last_run_id: int | None = None
    last_started_at: str | None = None
    last_exit_code: int | None = None
    last_run_status: str | None = None

    def is_due(self, now: datetime) -> bool:
        return (not self.paused and self.next_run_at is not None
                and parse_time(self.next_run_at) <= now)

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Schedule:
        return cls(
            id=int(row["id"]), name=row["name"], config=row["config"], cron=row["cron"],
            paused=bool(row["paused"]), created_at=row["created_at"],
            next_run_at=row["next_run_at"], last_run_id=row["last_run_id"],
            last_started_at=row["last_started_at"], last_exit_code=row["last_exit_code"],
            last_run_status=row.get("last_run_status"),
        )


_SELECT = ("SELECT s.*, r.status AS last_run_status FROM schedules s"
           " LEFT JOIN runs r ON r.id = s.last_run_id")


class ScheduleBook:
    """The schedules of one archive, in its index. `now` is the clock (tests inject one)."""

    def __init__(self, index_path: Path | str, now: Callable[[], datetime] = utc_now):
        self.index = Index(index_path)
        self.now = now

    def close(self) -> None:
        self.index.close()

    def __enter__(self) -> ScheduleBook:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- reading ----------------------------------------------------------------------------
    def all(self) -> list[Schedule]:
        return [Schedule.from_row(r) for r in self.index.db.query(_SELECT + " ORDER BY s.name")]

    def get(self, name: str) -> Schedule:
        rows = list(self.index.db.query(_SELECT + " WHERE s.name = ?", [name]))
        if not rows:
            raise UnknownSchedule(name)
        return Schedule.from_row(rows[0])

    def due(self) -> list[Schedule]:
        """Schedules whose next run has come, the longest waiting first."""
        now = self.now()
        found = [s for s in self.all() if s.is_due(now)]
        return sorted(found, key=lambda s: (parse_time(s.next_run_at or ""), s.id))

    def next_due_at(self) -> datetime | None:
        """When the soonest unpaused schedule is due (None without one)."""
        times = [parse_time(s.next_run_at) for s in self.all()
                 if not s.paused and s.next_run_at]
        return min(times) if times else None

    # -- editing ----------------------------------------------------------------------------
    def add(self, name: str, config: Path | str, cron: str) -> Schedule:
        name = check_name(name)
        cron = check_cron(cron)
        now = self.now()
        try:  # the unique index on name decides, so two adds at once cannot both win
            self.index.conn.execute(
                "INSERT INTO schedules (name, config, cron, paused, created_at, next_run_at)"
                " VALUES (?,?,?,0,?,?)",
                # Absolute: the scheduler may run from another directory than the archivist.
                [name, str(Path(config).resolve()), cron, iso(now), iso(next_run(cron, now))],
            )
        except sqlite3.IntegrityError as exc:
            self.index.conn.rollback()
            raise ScheduleError(f"a schedule named {name!r} exists; remove it first"
                                " (`liputan schedule remove`) or choose another name") from exc
        self.index.commit()
        return self.get(name)

    def remove(self, name: str) -> Schedule:
        schedule = self.get(name)
        # Its runs stay in the history, no longer pointing at a schedule that is gone.
        self.index.conn.execute("UPDATE runs SET schedule_id=NULL WHERE schedule_id=?",
                                [schedule.id])
        self.index.conn.execute("DELETE FROM schedules WHERE id=?", [schedule.id])
        self.index.commit()
        return schedule

    def pause(self, name: str) -> Schedule:
        schedule = self.get(name)
        self.index.conn.execute("UPDATE schedules SET paused=1 WHERE id=?", [schedule.id])
        self.index.commit()
        return self.get(name)

    def resume(self, name: str) -> Schedule:
        """Unpause: slots that passed while paused were skipped on purpose, so the next run
        is the first slot from now."""
        schedule = self.get(name)
        self.index.conn.execute(
            "UPDATE schedules SET paused=0, next_run_at=? WHERE id=?",
            [iso(next_run(schedule.cron, self.now())), schedule.id])
        self.index.commit()
        return self.get(name)

    # -- the scheduler's side ----------------------------------------------------------------
    def claim(self, schedule: Schedule) -> str | None:
        """Take a due slot: the next run becomes the first slot after now (a missed slot
        runs once). Returns the new next run, or None when the slot is no longer there
        (another scheduler took it, the schedule was paused, changed or removed)."""
        now = self.now()
        following = iso(next_run(schedule.cron, now))
        cur = self.index.conn.execute(
            "UPDATE schedules SET next_run_at=?, last_started_at=? WHERE id=? AND paused=0"
            " AND cron=? AND next_run_at IS ?",
            [following, iso(now), schedule.id, schedule.cron, schedule.next_run_at])
        self.index.commit()
        return following if cur.rowcount else None

    def give_back(self, schedule: Schedule, claimed_next: str) -> None:
        """Undo a claim: the slot stays due (the run could not start, or was interrupted by
        the scheduler's shutdown and resumes when the scheduler starts again)."""
        self.index.conn.execute(
            "UPDATE schedules SET next_run_at=? WHERE id=? AND next_run_at=?",
            [schedule.next_run_at, schedule.id, claimed_next])
        self.index.commit()

    def record(self, schedule: Schedule, run_id: int | None, exit_code: int) -> None:
        """What the attempt did: its run (None when it failed before one began) and the
        crawl process's exit code."""
        self.index.conn.execute(
            "UPDATE schedules SET last_run_id=?, last_exit_code=? WHERE id=?",
            [run_id, exit_code, schedule.id])
        self.index.commit()
