"""Discovery sources: RSS/Atom feeds and (news) sitemaps, parsed into candidate URLs.

Plain functions over bytes, tolerant of the broken XML real outlets serve (recovering
parser, no entity expansion, gzip sniffed by magic bytes, not by file name).
"""

from __future__ import annotations

import gzip
import zlib
from dataclasses import dataclass
from datetime import date, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin

from lxml import etree

MAX_XML_BYTES = 50 * 1024 * 1024  # the sitemap protocol's own limit for one file


@dataclass(frozen=True)
class Candidate:
    """A URL a discovery source proposes, with what the source says about it."""

    url: str
    title: str | None = None
    published: datetime | None = None
    source: str = ""  # "feed", "sitemap", "news-sitemap"


@dataclass(frozen=True)
class Sitemap:
    kind: str  # "index" (points at sitemaps) or "urlset" (points at pages)
    entries: tuple[Candidate, ...]


def _xml_root(body: bytes) -> etree._Element | None:
    if body[:2] == b"\x1f\x8b":
        try:
            body = gzip.decompress(body)[:MAX_XML_BYTES]
        except (OSError, EOFError, zlib.error):
            return None
    parser = etree.XMLParser(recover=True, resolve_entities=False, no_network=True,
                             huge_tree=False)
    try:
        root = etree.fromstring(body.strip(), parser=parser)
    except etree.XMLSyntaxError:
        return None
    return root


def _local(tag: object) -> str:
    return etree.QName(tag).localname.lower() if isinstance(tag, str) else ""


def _child_text(el: etree._Element, *names: str) -> str | None:
    for child in el:
        if _local(child.tag) in names and (child.text or "").strip():
            return child.text.strip()
    return None


def parse_date(value: str | None) -> datetime | None:
    """ISO 8601 (sitemaps, Atom) or RFC 822 (RSS) into an aware-or-naive datetime."""
    if not value:
        return None
    value = value.strip()
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        pass
    try:
        return parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None


def parse_feed(body: bytes, base_url: str) -> list[Candidate]:
    """Items of an RSS 2.0, RSS 1.0 or Atom feed; an unreadable feed yields nothing."""
    root = _xml_root(body)
    if root is None:
        return []
    found: list[Candidate] = []
    for el in root.iter():
        name = _local(el.tag)
        if name not in ("item", "entry"):
            continue
        link = _child_text(el, "link")
        if name == "entry" or link is None:
            for child in el:
                if _local(child.tag) == "link" and child.get("href") and child.get(
                        "rel", "alternate") == "alternate":
                    link = child.get("href")
                    break
        link = link or _child_text(el, "guid")
        if not link:
            continue
        found.append(Candidate(
            url=urljoin(base_url, link),
            title=_child_text(el, "title"),
            published=parse_date(_child_text(el, "pubdate", "published", "updated", "date")),
            source="feed",
        ))
    return found


def parse_sitemap(body: bytes, base_url: str) -> Sitemap | None:
    """A sitemap index or urlset (with Google News extensions); None when unreadable."""
    root = _xml_root(body)
    if root is None:
        return _text_sitemap(body, base_url)
    kind = _local(root.tag)
    if kind not in ("sitemapindex", "urlset"):
        return None
    entries: list[Candidate] = []
    for el in root:
        loc = _child_text(el, "loc")
        if not loc:
            continue
        title, published, source = None, parse_date(_child_text(el, "lastmod")), "sitemap"
        for child in el:
            if _local(child.tag) == "news":
                source = "news-sitemap"
                title = _child_text(child, "title")
                published = parse_date(_child_text(child, "publication_date")) or published
        entries.append(Candidate(urljoin(base_url, loc), title, published, source))
    return Sitemap("index" if kind == "sitemapindex" else "urlset", tuple(entries))


def _text_sitemap(body: bytes, base_url: str) -> Sitemap | None:
    # The protocol also allows a plain list of URLs, one per line.
    try:
        lines = body.decode("utf-8").split()
    except UnicodeDecodeError:
        return None
    urls = [line for line in lines if line.startswith(("http://", "https://"))]
    if not urls or len(urls) != len(lines):
        return None
    return Sitemap("urlset", tuple(Candidate(urljoin(base_url, u), source="sitemap")
                                   for u in urls))


def in_window(moment: datetime | None, after: date | None, before: date | None) -> bool:
    """Whether a discovery date falls in the crawl's window (undated entries pass)."""
    if moment is None:
        return True
    day = moment.date()
    return (after is None or day >= after) and (before is None or day <= before)


def robots_sitemaps(body: bytes) -> list[str]:
    """`Sitemap:` lines of a robots.txt."""
    out = []
    for line in body.decode("utf-8", "replace").splitlines():
        key, _, value = line.partition(":")
        if key.strip().lower() == "sitemap" and value.strip():
            out.append(value.strip())
    return out
