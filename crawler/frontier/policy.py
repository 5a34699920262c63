"""The frontier policy: which URLs a run fetches, once each, best first; durable for resume.

Plain Python (no Scrapy), so it is tested without a crawl. The spider offers every URL it
finds; the frontier answers with a `Planned` request to send now, or keeps it:
- seen set by `url_key`: AMP, mobile, www and tracking variants of a story are one URL;
- known: what earlier runs of the crawl archived (crawler/recrawl.py) is not fetched again;
- rank before spending: best-first, every candidate below `send_from` (stories found in
  feeds, sitemaps and pages) waits in a hold, and only the best held go out, as many as
  keep `in_flight` requests outstanding; so arrival order never decides what a small
  budget buys, even when hosts are idle (no backlog builds up in Scrapy's scheduler);
- the reserve: unpromising or deferred requests wait until the scheduler runs dry, and a
  story found again with a better score replaces its waiting request;
- the tunnel rule: links of off-topic pages are followed only so many pages deep;
- redirect targets: a page reached through a redirect is seen under its own key too;
- story pages: a multi-page story is fetched through its one-page view when it has one;
- the page budget, spent when a request leaves for the downloader (PageBudget);
- a durable store (the index's `frontier` table, committed with the index batch) records
  every decision, so a killed run resumes with the same frontier: what was queued or
  reserved comes back, what was done is never fetched again.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

QUEUED, RESERVED, DONE = "queued", "reserved", "done"


class FrontierStore(Protocol):
    def frontier_add(self, run_id: int, key: str, url: str, priority: int, callback: str,
                     meta: Mapping[str, Any], state: str) -> None: ...

    def frontier_state(self, run_id: int, key: str, state: str) -> None: ...


@dataclass(frozen=True)
class Planned:
    """A request the frontier decided on, in plain values the spider turns into a Request."""

    key: str
    url: str
    priority: int
    callback: str = "parse"
    meta: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class Frontier:
    """`reserve_below`: priorities under it wait in the reserve (best-first only);
    `send_from`: priorities from it are sent at once, those under it are held and ranked
    (best-first only; 0: none held)."""

    run_id: int = 0
    store: FrontierStore | None = None
    best_first: bool = True
    reserve_below: int = 0
    send_from: int = 0
    in_flight: int = 32  # outstanding requests the hold keeps (see `pump`)
    tunnel_depth: int | None = None  # None: follow every link (no focus)
    max_depth: int = 0  # links from the start URLs; 0: no limit
    max_pages: int = 0  # 0: no budget
    sent: int = 0  # requests charged to the budget (a resumed run: its done rows)
    seen: set[str] = field(default_factory=set)
    known: set[str] = field(default_factory=set)  # archived by earlier runs: not fetched
    known_skipped: int = 0  # offers refused because an earlier run archived the URL
    _heap: list[tuple[int, int, int, str, Planned]] = field(default_factory=list, repr=False)
    _outstanding: set[str] = field(default_factory=set, repr=False)
    _reserved: dict[str, Planned] = field(default_factory=dict, repr=False)
    _order: itertools.count = field(default_factory=itertools.count, repr=False)

    def offer(self, key: str, url: str, priority: int = 0, callback: str = "parse",
              meta: Mapping[str, Any] | None = None, *, defer: bool = False, depth: int = 0
              ) -> tuple[Planned | None, bool]:
        """Decide on one URL: (request to send now or None, whether it newly went to the
        reserve). A URL already seen is refused, unless it waits in the reserve and this
        offer is better (a search hit its sitemap entry undersold). A URL deeper than
        `max_depth` is refused but not seen: a shorter path to it may come later (the
        limit is kept here, not by Scrapy's DepthMiddleware, which would drop a request
        the frontier had already counted as planned, for good)."""
        if self.max_depth and depth > self.max_depth:
            return None, False
        if key in self.known:
            self.known.discard(key)  # counted once, then refused as seen
            self.seen.add(key)
            self.known_skipped += 1
            return None, False
        held = self._reserved.get(key)
        if key in self.seen and not (held is not None and priority > held.priority):
            return None, False
        planned = Planned(key, url, priority, callback, dict(meta or {}))
        self.seen.add(key)
        if held is not None:
            del self._reserved[key]  # its heap entry is skipped when popped
        reserve = defer or priority < self.reserve_below
        if self.best_first and (reserve or priority < self.send_from):
            self._hold(planned, 1 if reserve else 0)
            self._record(planned, RESERVED)
            return None, held is None and reserve
        self._record(planned, QUEUED)
        self._outstanding.add(key)
        return planned, False

    def follows(self, tunnel: int, score: float, threshold: float) -> bool:
        """The tunnel rule: `tunnel` off-topic pages in a row led to this link; past
        `tunnel_depth` only a link that itself looks on topic is followed."""
        return self.tunnel_depth is None or tunnel <= self.tunnel_depth or score >= threshold

    def story_pages(self, pages: list[tuple[str, str]], single: str | None) -> list[str]:
        """The rest of a multi-page story to fetch: its one-page view when it has one (its
        numbered pages, given as (key, url), are then never fetched), else every page."""
        if single:
            for key, _ in pages:
                self.skip(key)
            return [single]
        return [url for _, url in pages]

    def spend(self) -> bool:
        """Charge one request to the page budget; False when it is spent."""
        if self.max_pages and self.sent >= self.max_pages:
            return False
        self.sent += 1
        return True

    def seed_known(self, keys: Iterable[str]) -> None:
        """URLs earlier runs archived: refused when offered (and counted in
        `known_skipped`), unless this run has planned them already."""
        self.known.update(k for k in keys if k not in self.seen)

    def skip(self, key: str) -> None:
        """Never fetch this URL (a story page its one-page view makes redundant)."""
        self.seen.add(key)
        self._reserved.pop(key, None)

    def pump(self) -> list[Planned]:
        """The best held requests (not the reserve's), as many as bring the outstanding
        requests up to `in_flight`: called whenever a request is done."""
        return self.release(self.in_flight - len(self._outstanding), tier=0)

    def release(self, limit: int, tier: int = 1) -> list[Planned]:
        """Up to `limit` of the best waiting requests of tiers up to `tier` (0: held,
        1: held and reserve), now to be sent."""
        out: list[Planned] = []
        while self._heap and len(out) < limit and self._heap[0][0] <= tier:
            _, _, _, key, planned = heapq.heappop(self._heap)
            if self._reserved.get(key) is not planned:
                continue  # replaced by a better offer, or skipped
            del self._reserved[key]
            self._record(planned, QUEUED)
            self._outstanding.add(key)
            out.append(planned)
        return out

    def fetched(self, keys: Iterable[str]) -> None:
        """URLs this run fetched under another row's request (a redirect's target): seen,
        so a link straight to one is refused. Scrapy's dupefilter catches only the exact
        URL, and only in the process that fetched it; a resumed run gets these from its
        captures."""
        for key in keys:
            self.seen.add(key)
            self.known.discard(key)

    def requeued(self, key: str) -> None:
        """A restored row is being sent again (its fetch was lost with the dead process)."""
        self.seen.add(key)
        self._reserved.pop(key, None)
        self._outstanding.add(key)

    @property
    def reserved(self) -> int:
        """Requests waiting, held or in the reserve."""
        return len(self._reserved)

    @property
    def outstanding(self) -> int:
        return len(self._outstanding)

    def done(self, key: str) -> None:
        """The URL was fetched and its page analysed, indexed and its links offered."""
        self._outstanding.discard(key)
        if self.store is not None and key:
            self.store.frontier_state(self.run_id, key, DONE)

    def restore(self, rows: Iterable[Mapping[str, Any]]) -> list[Planned]:
        """Rebuild from a run's stored frontier: every key is seen again, reserved rows go
        back to the reserve, and the queued ones are returned to be sent."""
        queued: list[Planned] = []
        for row in rows:
            self.seen.add(row["key"])
            self.known.discard(row["key"])
            if row["state"] == DONE:
                self.sent += 1  # what the earlier processes spent of the budget
                continue
            planned = Planned(row["key"], row["url"], int(row["priority"] or 0),
                              row["callback"] or "parse", dict(row["meta"] or {}))
            if row["state"] == RESERVED:
                self._hold(planned, 1 if planned.priority < self.reserve_below else 0)
            else:
                queued.append(planned)
        return queued

    def _hold(self, planned: Planned, tier: int) -> None:
        self._reserved[planned.key] = planned
        heapq.heappush(self._heap, (tier, -planned.priority, next(self._order), planned.key,
                                    planned))

    def _record(self, planned: Planned, state: str) -> None:
        if self.store is not None:
            self.store.frontier_add(self.run_id, planned.key, planned.url, planned.priority,
                                    planned.callback, planned.meta, state)
