"""Incremental recrawls: what a new run of a crawl leaves out, and what it rechecks.

A new run polls its discovery sources again (the whole discovery plan is always fetched)
but does not fetch again the stories earlier runs of the same crawl archived (same
`runs.crawl`), except recent ones: those are fetched again with conditional requests
(`If-None-Match` / `If-Modified-Since` from the earlier response, read back from its WARC
record), so an unchanged story costs a 304 and an edited one becomes a new version.

Plain Python: the spider asks for the plan in start() and seeds its frontier with it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urljoin

from crawler.config import RecrawlConfig
from pipelines.urls import url_key
from pipelines.warc import WarcError, read_record

if TYPE_CHECKING:
    from pipelines.index import Index

WIB = timezone(timedelta(hours=7))  # a published day without a time is the outlet's day
MAX_HOPS = 10  # redirect chains followed to the story they end at


@dataclass(frozen=True)
class Recheck:
    """A story page to fetch again, with the conditional headers of its last response."""

    url: str
    key: str
    validators: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RecrawlPlan:
    known: frozenset[str] = frozenset()  # url_keys the run does not fetch again
    rechecks: tuple[Recheck, ...] = ()


def is_recent(published_at: str | None, first_fetched: str | None, since: datetime) -> bool:
    """Published on or after `since`; a story without a readable date counts from when
    it was first captured."""
    for value in (published_at, first_fetched):
        moment = _moment(value)
        if moment is not None:
            return moment >= since
    return False


def plan_recrawl(index: Index, root: Path, crawl: str, run_id: int, policy: RecrawlConfig,
                 now: datetime) -> RecrawlPlan:
    """What run `run_id` of `crawl` leaves out and rechecks of what its earlier runs
    archived: every page of their indexed stories, the stories their gates kept out, and
    the redirects that led to them; the stories published within `policy.recheck_days`
    before `now` are rechecked instead."""
    if not policy.enabled:
        return RecrawlPlan()
    since = now - timedelta(days=policy.recheck_days)
    known: set[str] = set()
    rechecks: dict[str, Recheck] = {}
    for story in index.crawl_articles(crawl, run_id):
        urls = list(dict.fromkeys([story["url"], *story["pages"]]))
        if policy.recheck_days and is_recent(story["published_at"], story["first_fetched"],
                                             since):
            for url in urls:
                rechecks.setdefault(url_key(url), Recheck(url, url_key(url),
                                                          validators(index, root, url)))
        else:
            known.update(url_key(url) for url in urls)
    known.update(url_key(c["url"]) for c in index.crawl_captures(crawl, run_id, "rejected"))
    known -= set(rechecks)
    known |= _redirects_to(known, index, root, crawl, run_id)
    return RecrawlPlan(frozenset(known), tuple(rechecks.values()))


def validators(index: Index, root: Path, url: str) -> dict[str, str]:
    """The conditional request headers for `url`: its last full response's ETag and
    Last-Modified, read from the WARC record (the source of truth; none when the server
    sent neither)."""
    capture = index.latest_full_capture(url)
    if capture is None:
        return {}
    try:
        record, _ = read_record(root, (capture["warc_file"], capture["warc_offset"],
                                       capture["warc_length"]))
    except WarcError:
        return {}
    headers = record.http_headers
    out = {}
    if headers is not None:
        for name, conditional in (("ETag", "If-None-Match"),
                                  ("Last-Modified", "If-Modified-Since")):
            value = headers.get_header(name)
            if value:
                out[conditional] = value
    return out


def _redirects_to(known: set[str], index: Index, root: Path, crawl: str, run_id: int
                  ) -> set[str]:
    """The url_keys of archived redirects whose chain ends at a known story: following
    them again would fetch the story again."""
    hops: dict[str, str] = {}
    for capture in index.crawl_captures(crawl, run_id, "redirect"):
        try:
            record, _ = read_record(root, (capture["warc_file"], capture["warc_offset"],
                                           capture["warc_length"]))
        except WarcError:
            continue
        location = record.http_headers.get_header("Location") if record.http_headers else None
        if location:
            hops[url_key(capture["url"])] = url_key(urljoin(capture["url"], location))
    found = set()
    for start in hops:
        key = start
        for _ in range(MAX_HOPS):
            key = hops.get(key, "")
            if key in known:
                found.add(start)
                break
            if not key:
                break
    return found


def _moment(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=WIB)
