"""The crawl's scope (crawler/scope.py) kept on every request, and on every address.

ScopeGuard is a downloader middleware in the place of Scrapy's OffsiteMiddleware (50),
which lets through whatever carries `allow_offsite` or `dont_filter`, and redirect hops
inherit both from the request they answer: a start URL that redirected to another host
was followed. Here nothing passes unchecked: start URLs, feed, sitemap and aggregator
entries, links, robots.txt and each redirect hop are judged by the same `Scope.refusal`.
`allow_offsite` (set by the spider on the discovery plan's requests, and inherited by
their redirects) now means only "the plan's scope", which adds the aggregators' hosts.

ScopedResolver refuses a host name that resolves to a link-local or metadata address (a
name the URL rule cannot see through), so no connection is ever opened to one. A request
sent through an HTTP proxy is resolved by the proxy, not here.

Each refusal is counted under `liputan/scope/<reason>` and recorded as skipped (reason
`scope <reason>`), so the run's report lists it.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from scrapy.exceptions import IgnoreRequest
from scrapy.resolver import CachingThreadedResolver
from scrapy.utils.httpobj import urlparse_cached

from crawler.components.services import services
from crawler.scope import Scope
from pipelines.runs import SCOPE_REASON

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

PLAN_KEY = "allow_offsite"  # request.meta: judged by the plan's scope (Scrapy's own key)
ROBOTS = "/robots.txt"


def refuse(crawler: Crawler, url: str, why: str) -> None:
    """Count and record one refused URL."""
    crawler.stats.inc_value(f"liputan/scope/{why}")
    services(crawler).archive.record_skipped(url, f"{SCOPE_REASON} {why}")


class ScopeGuard:
    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.allow_link_local = services(crawler).options.allow_link_local

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ScopeGuard:
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        scope = getattr(self.crawler.spider, "scope_rules", None) or Scope(
            allow_link_local=self.allow_link_local)
        # robots.txt is asked only for a host some request passed here for: the plan's.
        plan = bool(request.meta.get(PLAN_KEY)) or urlparse_cached(request).path == ROBOTS
        why = scope.refusal(request.url, plan=plan)
        if why is None:
            return
        refuse(self.crawler, request.url, why)
        hops = request.meta.get("redirect_urls")
        logger.info("refused %s (%s)%s", request.url, why,
                    f", redirected from {hops[-1]}" if hops else "")
        raise IgnoreRequest(f"refused by the crawl's scope ({why}): {request.url}")


class RefusedAddress(Exception):
    """A host name resolved to an address the crawl never contacts (not an OSError:
    RetryMiddleware would ask again)."""


class ScopedResolver(CachingThreadedResolver):
    """Scrapy's caching resolver, refusing link-local and metadata answers."""

    rules = Scope()

    @classmethod
    def from_crawler(cls, crawler: Any, reactor: Any) -> ScopedResolver:
        # `crawler` is the CrawlerProcess here (Scrapy builds resolvers before crawlers):
        # settings only.
        resolver = super().from_crawler(crawler, reactor)
        resolver.rules = Scope(
            allow_link_local=crawler.settings.getbool("LIPUTAN_ALLOW_LINK_LOCAL"))
        return resolver

    def getHostByName(self, name: str, timeout: Any = ()) -> Any:  # noqa: N802 - Twisted's
        return super().getHostByName(name, timeout).addCallback(self._checked, name)

    def _checked(self, address: str, name: str) -> str:
        if why := self.rules.host_refusal(address):
            raise RefusedAddress(f"{name} resolves to {address} ({why})")
        return address
