"""ConditionalRequests: a recheck asks the server whether the archived story changed.

The spider marks a recheck with the validators of the story's last response (request meta
`liputan_validators`, kept in the run's frontier, so a resumed run asks the same); this
downloader middleware sends them as `If-None-Match` / `If-Modified-Since`, and lets a
`304 Not Modified` through Scrapy's HttpErrorMiddleware to the callback
(`handle_httpstatus_list`), which then knows the story is unchanged.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler

VALIDATORS_KEY = "liputan_validators"  # request.meta key: conditional headers of a recheck
NOT_MODIFIED = 304


class ConditionalRequests:
    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ConditionalRequests:
        return cls()

    def process_request(self, request: Request) -> None:
        validators = request.meta.get(VALIDATORS_KEY)
        if not validators:
            return
        for name, value in validators.items():
            request.headers.setdefault(name, value)
        allowed = list(request.meta.get("handle_httpstatus_list", ()))
        if NOT_MODIFIED not in allowed:
            request.meta["handle_httpstatus_list"] = [*allowed, NOT_MODIFIED]
