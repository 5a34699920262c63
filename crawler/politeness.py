"""How long the crawl leaves each host alone between two requests: the politeness policy.

The configured delay is a floor per host. Each gap is drawn above it, never below
(floor × [1, 1 + jitter]): Scrapy's own randomisation spreads the delay ±50 %, which gave
gaps of 0.56 s under a configured 1.0 s. A robots.txt `Crawl-delay` longer than ours raises
that host's floor. A 429 or 503 backs the host off: until the time its `Retry-After` names
(seconds or an HTTP date), or without one for the floor (at least a second) doubled on
each answer like it in a row. Every wait is capped, so no server (and no typo) parks the
crawl for longer than `max_wait`.

Plain Python with an injectable clock and random source; crawler/components/politeness.py
applies it to Scrapy's download slots.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

BACKOFF_STATUSES = frozenset({429, 503})  # "too many requests", "unavailable": slow down
MIN_BACKOFF = 1.0  # seconds: a backoff without Retry-After when the floor is 0


def retry_after_seconds(value: str, now: datetime) -> float | None:
    """Seconds from `now` until the time a Retry-After header names (delta-seconds or an
    HTTP date); None when it names none. A date in the past is 0."""
    value = value.strip()
    if value.isascii() and value.isdigit():
        return float(int(value))
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:  # "-0000": UTC by RFC 5322
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


@dataclass(frozen=True)
class Backoff:
    """One backoff of a host: how long, why, and whether the cap cut it."""

    host: str
    seconds: float
    status: int
    retry_after: bool  # the server said how long
    capped: bool


@dataclass
class HostPoliteness:
    delay: float  # the config's delay_per_host: the floor of every gap
    jitter: float = 0.5  # gaps drawn in [floor, floor * (1 + jitter)]
    max_wait: float = 3600.0  # the cap on a Crawl-delay and on any backoff
    clock: Callable[[], float] = time.monotonic
    rng: random.Random = field(default_factory=random.Random)
    crawl_delays: dict[str, float] = field(default_factory=dict)
    until: dict[str, float] = field(default_factory=dict)  # clock time a backoff ends
    strikes: dict[str, int] = field(default_factory=dict)  # 429/503 in a row, no Retry-After

    def floor(self, host: str) -> float:
        """The shortest gap allowed between two requests to `host`."""
        return max(self.delay, self.crawl_delays.get(host, 0.0))

    def draw(self, host: str) -> float:
        """The gap before the host's next request: above its floor, never below."""
        return self.floor(host) * (1.0 + self.rng.uniform(0.0, self.jitter))

    def honour_crawl_delay(self, host: str, seconds: float | None) -> float | None:
        """Take robots.txt's Crawl-delay for `host` when it is longer than ours; returns
        the floor it set (capped), or None when ours was already as long."""
        if seconds is None or not math.isfinite(seconds) or seconds <= self.delay:
            return None
        floor = min(seconds, self.max_wait)
        self.crawl_delays[host] = max(self.crawl_delays.get(host, 0.0), floor)
        return self.crawl_delays[host]

    def answered(self, host: str, status: int, retry_after: str | None,
                 now: datetime | None = None) -> Backoff | None:
        """A response from `host`: a 429 or 503 backs it off (returned), anything else
        ends its run of strikes."""
        if status not in BACKOFF_STATUSES:
            self.strikes.pop(host, None)
            return None
        said = None
        if retry_after:
            said = retry_after_seconds(retry_after, now or datetime.now(UTC))
        if said is None:
            strikes = self.strikes[host] = self.strikes.get(host, 0) + 1
            wanted = max(self.floor(host), MIN_BACKOFF) * 2.0 ** min(strikes - 1, 30)
        else:
            wanted = said
        seconds = min(wanted, self.max_wait)
        ends = self.clock() + seconds
        self.until[host] = max(self.until.get(host, 0.0), ends)
        return Backoff(host, seconds, status, said is not None, wanted > self.max_wait)

    def restore(self, host: str, retry_after: str, answered_at: datetime,
                now: datetime | None = None) -> float:
        """A Retry-After a dead process was waiting out, from its archived answer: the host
        gets no request for what is left of it (returned; 0 when it is over)."""
        said = retry_after_seconds(retry_after, answered_at)
        if said is None:
            return 0.0
        left = min(said, self.max_wait) - ((now or datetime.now(UTC)) - answered_at
                                           ).total_seconds()
        if left <= 0:
            return 0.0
        self.until[host] = max(self.until.get(host, 0.0), self.clock() + left)
        return left

    def resume_at(self, host: str) -> float:
        """Clock time before which `host` gets no request (0: not backed off)."""
        ends = self.until.get(host, 0.0)
        if ends and ends <= self.clock():
            del self.until[host]
            return 0.0
        return ends
