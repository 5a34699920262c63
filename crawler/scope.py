"""The crawl's scope: which URLs a crawl may request at all. One rule for every request.

Plain Python (no Scrapy). A URL is refused, with the reason, when
- its scheme is not http or https (`scheme`), or it cannot be parsed (`bad-url`);
- its host is a cloud metadata address or name (`metadata`) or a link-local address
  (`link-local`: 169.254.0.0/16, fe80::/10), however it is written: a decimal or hex IPv4
  (http://2852039166/ is 169.254.169.254), an IPv4-mapped or NAT64 IPv6 (a crawl may
  allow the local link, LIPUTAN_ALLOW_LINK_LOCAL; metadata addresses stay refused);
- its host is neither one of the crawl's domains nor a subdomain of one (`off-site`).

The spider asks before it offers a URL to the frontier, the downloader middleware
(crawler/components/scope.py) before any request leaves, redirect hops and robots.txt
included, and the DNS resolver asks about the address a host name resolves to.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from pipelines.urls import NotRequestable, split_http

# The refusal codes recorded in `skipped.reason` and the stats; `scheme` and `bad-url`
# come from pipelines.urls.split_http, the rule the config check applies too.
SCHEME, BAD_URL, METADATA, LINK_LOCAL, OFF_SITE = (
    "scheme", "bad-url", "metadata", "link-local", "off-site")
# Instance metadata services: AWS, Azure, GCP, Oracle, DigitalOcean (169.254.169.254),
# AWS over IPv6 (fd00:ec2::254), Alibaba Cloud (100.100.100.200, outside link-local).
METADATA_ADDRESSES = frozenset(ipaddress.ip_address(a) for a in (
    "169.254.169.254", "fd00:ec2::254", "100.100.100.200"))
METADATA_NAMES = frozenset({"metadata.google.internal", "metadata.goog",
                            "instance-data.ec2.internal"})
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
# The old IPv4 spellings getaddrinfo still accepts: 2852039166, 0xa9fea9fe, 0251.0376.0.1.
_LEGACY_IPV4 = re.compile(r"(?:0x[0-9a-f]*|[0-9]+)(?:\.(?:0x[0-9a-f]*|[0-9]+)){0,3}", re.I)

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def in_scope(url: str, domains: Iterable[str]) -> bool:
    """Whether the URL's host is one of `domains` or a subdomain of one."""
    host = (urlsplit(url).hostname or "").lower().rstrip(".")
    while host:
        if host in domains:
            return True
        host = host.partition(".")[2]
    return False


def ip_of(host: str) -> Address | None:
    """The address a host name spells, if it is an address in any form (None: a name)."""
    host = host.strip("[]").rstrip(".").partition("%")[0]  # an IPv6 zone: fe80::1%eth0
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        if not _LEGACY_IPV4.fullmatch(host):
            return None
        try:
            address = ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        if address in _NAT64:
            return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address


def forbidden_host(host: str) -> str | None:
    """`metadata` or `link-local` for a host the crawl never contacts, else None."""
    name = host.lower().rstrip(".")
    if name in METADATA_NAMES:
        return METADATA
    address = ip_of(name)
    if address is None:
        return None
    if address in METADATA_ADDRESSES:
        return METADATA
    return LINK_LOCAL if address.is_link_local else None


@dataclass(frozen=True)
class Scope:
    """`domains`: where the crawl goes (None: no host rule, the other checks only);
    `plan_domains`: where the discovery plan goes too (an aggregator's host, for the
    queries the plan sends it, and the redirects of those)."""

    domains: frozenset[str] | None = None
    plan_domains: frozenset[str] | None = None
    allow_link_local: bool = False

    def host_refusal(self, host: str) -> str | None:
        """`metadata` or `link-local` for a host (a name, or the address it resolved to)
        this crawl never contacts."""
        why = forbidden_host(host)
        return why if why == METADATA or not self.allow_link_local else None

    def refusal(self, url: str, *, plan: bool = False) -> str | None:
        """Why `url` must not be requested, or None when it may be."""
        try:
            host = split_http(url).hostname or ""
        except NotRequestable as exc:
            return exc.code
        if why := self.host_refusal(host):
            return why
        domains = self.plan_domains if plan and self.plan_domains is not None else self.domains
        if domains is not None and not in_scope(url, domains):
            return OFF_SITE
        return None
