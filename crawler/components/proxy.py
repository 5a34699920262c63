"""FixedProxy: route every request (robots.txt included) through one HTTP proxy.

Used to crawl the fixture web, whose outlets answer as a proxy on 127.0.0.1; setting
`request.meta["proxy"]` reaches requests that Scrapy makes itself, unlike spider code.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from scrapy.exceptions import NotConfigured

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler


class FixedProxy:
    def __init__(self, proxy: str):
        self.proxy = proxy

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> FixedProxy:
        proxy = crawler.settings.get("LIPUTAN_HTTP_PROXY")
        if not proxy:
            raise NotConfigured("no proxy (LIPUTAN_HTTP_PROXY is empty)")
        return cls(proxy)

    def process_request(self, request: Request) -> None:
        request.meta.setdefault("proxy", self.proxy)
