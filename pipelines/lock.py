"""The archive lock: one writer (a crawl, a reindex, a repair) per archive at a time.

Two crawls writing one archive would interleave their index batches and, worse, each would
"recover" the other's `.open` WARC files as if a dead process had left them. The lock is an
`flock` on `<archive>/.liputan.lock`: the kernel drops it when the holding process ends,
however it ends (kill -9, OOM), so a stale lock file never blocks anyone. The holder writes
who it is into the file, so a refused caller can say who holds the archive.

Readers (search, show, check) never take it: SQLite's WAL lets them read while a crawl writes.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

LOCK_NAME = ".liputan.lock"
# holder() probes the lock by taking it for a moment; a writer that tries to start during
# such a probe retries for this long before it calls the archive busy (a real holder keeps
# the lock for minutes, a probe for microseconds).
PROBE_GRACE_SECONDS = 0.25
# Running statuses of a runs row: whoever wrote one still holds the lock, or is gone.
RUNNING_STATUSES = ("running",)


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Holder:
    """Who holds an archive: written into the lock file by the holder."""

    pid: int
    hostname: str
    crawl: str
    started: str
    kind: str = "crawl"  # crawl, reindex, regate, repair

    def describe(self) -> str:
        if not self.pid:
            return "another process (it left no name in the lock file)"
        what = f"{self.kind} {self.crawl!r}" if self.crawl else self.kind
        return f"{what} (pid {self.pid} on {self.hostname}) running since {self.started}"


class ArchiveBusy(RuntimeError):
    """Another process holds the archive lock."""

    def __init__(self, root: Path, holder: Holder | None):
        self.root = Path(root)
        self.holder = holder
        who = holder.describe() if holder else "another process holds it"
        super().__init__(f"archive {str(root)!r} is busy: {who}; wait for it or stop it")


def lock_path(root: Path | str) -> Path:
    return Path(root) / LOCK_NAME


# Locks this process holds, by lock file: an flock belongs to one open file, so a second
# ArchiveLock on the same archive in this process (the CLI's, then the crawl services')
# would refuse its own process. It counts instead.
_held: dict[Path, list[Any]] = {}


class ArchiveLock:
    """`with ArchiveLock(root, "demo"):` ... the archive is this process's until the block
    ends or the process dies. Raises ArchiveBusy at once if another process holds it."""

    def __init__(self, root: Path | str, crawl: str = "", *, kind: str = "crawl",
                 now: Callable[[], datetime] = _utc_now):
        self.root = Path(root)
        self.crawl = crawl
        self.kind = kind
        self.now = now
        self._path = lock_path(self.root).resolve()
        self._taken = False

    @property
    def held(self) -> bool:
        return self._taken

    def acquire(self) -> ArchiveLock:
        if self._taken:
            return self
        entry = _held.get(self._path)
        if entry is not None:
            entry[1] += 1
            self._taken = True
            return self
        self.root.mkdir(parents=True, exist_ok=True)
        fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + PROBE_GRACE_SECONDS
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    found = _read_holder(fd)
                    os.close(fd)
                    raise ArchiveBusy(self.root, found) from None
                time.sleep(0.02)
        holder = Holder(os.getpid(), socket.gethostname(), self.crawl,
                        self.now().astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), self.kind)
        os.ftruncate(fd, 0)
        os.pwrite(fd, (json.dumps(asdict(holder)) + "\n").encode(), 0)
        _held[self._path] = [fd, 1]
        self._taken = True
        return self

    def release(self) -> None:
        if not self._taken:
            return
        self._taken = False
        entry = _held[self._path]
        entry[1] -= 1
        if entry[1]:
            return
        del _held[self._path]
        fd = entry[0]
        try:
            os.ftruncate(fd, 0)  # nobody holds it: no holder to name
        finally:
            os.close(fd)  # closing the file drops the flock

    def __enter__(self) -> ArchiveLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


def _read_holder(fd: int) -> Holder | None:
    try:
        data = json.loads(os.pread(fd, 4096, 0).decode("utf-8") or "null")
        return Holder(**data) if isinstance(data, dict) else None
    except (OSError, ValueError, TypeError):
        return None


def holder(root: Path | str) -> Holder | None:
    """Who holds the archive now, or None when nobody does (whatever the file still says:
    a holder that died left its name behind, but not its lock)."""
    path = lock_path(root)
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        try:
            # A shared lock, given up at once: it fails only while a writer holds the archive.
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            found = _read_holder(fd)
            deadline = time.monotonic() + PROBE_GRACE_SECONDS
            while found is None and time.monotonic() < deadline:
                time.sleep(0.02)  # taken a moment ago: its holder is writing its name
                found = _read_holder(fd)
            return found or Holder(0, "", "", "", "unknown")
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


def is_locked(root: Path | str) -> bool:
    return holder(root) is not None


def live_status(status: str | None, root: Path | str, pid: int | None = None,
                hostname: str | None = None) -> str | None:
    """A run's status as it really is (the one liveness rule): a `running` row whose process
    is gone was interrupted, and resumes on the crawl's next run. Gone: nobody holds the
    archive, or (given the row's `pid` and `hostname`) another process does."""
    if status not in RUNNING_STATUSES:
        return status
    found = holder(root)
    if found is None or (pid is not None and (found.pid, found.hostname) != (pid, hostname)):
        return "interrupted"
    return status
