"""Discovery sources: RSS/Atom feeds and (news) sitemaps, parsed into candidate URLs.

Plain functions over bytes, tolerant of the broken XML real outlets serve (recovering
parser, no entity expansion, gzip sniffed by magic bytes, not by file name).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import parse_qs, urljoin, urlsplit

from lxml import etree

from pipelines.dates import WIB, date_from_url
from pipelines.decoding import decode_prefix

MAX_XML_BYTES = 50 * 1024 * 1024  # the sitemap protocol's own limit for one file


@dataclass(frozen=True)
class Candidate:
    """A URL a discovery source proposes, with what the source says about it."""

    url: str
    title: str | None = None
    published: datetime | None = None
    source: str = ""  # "feed", "sitemap", "news-sitemap"
    # When the source gives a modification date (a sitemap's lastmod, an Atom entry's
    # updated): the story was published then or before.
    modified: datetime | None = None


@dataclass(frozen=True)
class Sitemap:
    kind: str  # "index" (points at sitemaps) or "urlset" (points at pages)
    entries: tuple[Candidate, ...]


_SITEMAP_ROOTS = ("sitemapindex", "urlset")
_FEED_ROOTS = ("rss", "rdf", "feed")


def _read_xml(body: bytes, base_url: str) -> tuple[str, list[Candidate]] | None:
    """(root element's name, entries) of an XML feed or sitemap, read incrementally: each
    entry is released once read, so a 50,000-URL sitemap costs its entries, not its tree
    (a 20 MB one took 85 MB as a tree). None when the body is not XML."""
    if body[:2] == b"\x1f\x8b":
        # Inflated no further than the cap: a gzip bomb posing as a sitemap costs
        # MAX_XML_BYTES, not what it would inflate to.
        body = decode_prefix(body, "gzip", MAX_XML_BYTES)
    events = etree.iterparse(io.BytesIO(body.strip()), events=("start", "end"), recover=True,
                             resolve_entities=False, no_network=True, huge_tree=False)
    root, kind, found = None, "", []
    try:
        for event, el in events:
            if root is None:
                root, kind = el, _local(el.tag)
            if event == "start":
                continue
            if kind in _SITEMAP_ROOTS:
                if el.getparent() is not root:
                    continue
                entry = _sitemap_entry(el, base_url)
            elif _local(el.tag) in ("item", "entry"):
                entry = _feed_entry(el, base_url)
            else:
                continue
            if entry is not None:
                found.append(entry)
            _release(el)
    except etree.XMLSyntaxError:  # what was read before the error stands
        pass
    return (kind, found) if root is not None else None


def _release(el: etree._Element) -> None:
    # The entry and the siblings before it, once read: the tree never holds more than one.
    el.clear(keep_tail=False)
    parent = el.getparent()
    if parent is not None:
        while el.getprevious() is not None:
            del parent[0]


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
    read = _read_xml(body, base_url)
    return read[1] if read is not None and read[0] not in _SITEMAP_ROOTS else []


def _feed_entry(el: etree._Element, base_url: str) -> Candidate | None:
    name = _local(el.tag)
    link = _child_text(el, "link")
    if name == "entry" or link is None:
        for child in el:
            if _local(child.tag) == "link" and child.get("href") and child.get(
                    "rel", "alternate") == "alternate":
                link = child.get("href")
                break
    link = link or _child_text(el, "guid")
    if not link:
        return None
    return Candidate(
        url=urljoin(base_url, link),
        title=_child_text(el, "title"),
        published=parse_date(_child_text(el, "pubdate", "published", "issued")),
        modified=parse_date(_child_text(el, "updated", "date", "modified")),
        source="feed",
    )


def parse_sitemap(body: bytes, base_url: str) -> Sitemap | None:
    """A sitemap index or urlset (with Google News extensions); None when unreadable."""
    read = _read_xml(body, base_url)
    if read is None:
        return _text_sitemap(body, base_url)
    return _sitemap(*read)


def _sitemap(kind: str, entries: list[Candidate]) -> Sitemap | None:
    if kind not in _SITEMAP_ROOTS:
        return None
    return Sitemap("index" if kind == "sitemapindex" else "urlset", tuple(entries))


def _sitemap_entry(el: etree._Element, base_url: str) -> Candidate | None:
    loc = _child_text(el, "loc")
    if not loc:
        return None
    title, published, source = None, None, "sitemap"
    modified = parse_date(_child_text(el, "lastmod"))
    for child in el:
        if _local(child.tag) == "news":
            source = "news-sitemap"
            title = _child_text(child, "title")
            published = parse_date(_child_text(child, "publication_date"))
    return Candidate(urljoin(base_url, loc), title, published, source, modified)


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


def in_window(moment: date | datetime | None, after: date | None, before: date | None) -> bool:
    """Whether a day or a moment falls in the crawl's window (undated things pass). The
    window's days are Indonesian (WIB) days: a GMT pubDate of 4 Jan 20:00 is 5 Jan."""
    if moment is None:
        return True
    if isinstance(moment, datetime):
        moment = (moment.astimezone(WIB) if moment.tzinfo else moment).date()
    day = moment
    return (after is None or day >= after) and (before is None or day <= before)


def robots_sitemaps(body: bytes) -> list[str]:
    """`Sitemap:` lines of a robots.txt."""
    out = []
    for line in body.decode("utf-8", "replace").splitlines():
        key, _, value = line.partition(":")
        if key.strip().lower() == "sitemap" and value.strip():
            out.append(value.strip())
    return out


@dataclass(frozen=True)
class SourceDocument:
    """A fetched discovery document, whatever it turned out to be."""

    kind: str  # "feed", "index" (a sitemap index), "urlset" (a sitemap), "" (unreadable)
    entries: tuple[Candidate, ...] = ()


def read_source(body: bytes, base_url: str, *, unwrap: str = "") -> SourceDocument:
    """A feed or a sitemap, told apart by its root element, not by what the URL promised
    (outlets serve feeds at /sitemap and sitemaps at /rss). `unwrap` names the query
    parameter that holds the real URL when a source links through a click counter
    (aggregators: .../click?url=https%3A%2F%2F...)."""
    read = _read_xml(body, base_url)
    if read is not None and read[0] in _FEED_ROOTS:
        found = SourceDocument("feed", tuple(read[1]))
    else:
        sitemap = _sitemap(*read) if read is not None else _text_sitemap(body, base_url)
        if sitemap is None:
            return SourceDocument("")
        found = SourceDocument(sitemap.kind, sitemap.entries)
    if unwrap:
        found = SourceDocument(found.kind, tuple(
            replace(c, url=unwrap_link(c.url, unwrap)) for c in found.entries))
    return found


def unwrap_link(url: str, param: str) -> str:
    """The URL a click-through link points at (its `param` query value), else the link."""
    for value in parse_qs(urlsplit(url).query).get(param, []):
        if value.startswith(("http://", "https://")):
            return value
    return url


@dataclass(frozen=True)
class Proposals:
    """What a discovery document proposes to fetch: (url, score, late) triples, score None
    when the crawl has no topic, late when the entry was last modified after the window
    (published in it, or after it: worth a fetch only when nothing better is left), and
    what it ruled out."""

    kind: str  # as SourceDocument.kind
    entries: tuple[tuple[str, float | None, bool], ...] = ()
    listed: int = 0  # entries in the document
    out_of_window: int = 0  # dated (by the source or the URL) outside the window


def propose(doc: SourceDocument, after: date | None, before: date | None,
            score: Callable[[Candidate], float] | None = None) -> Proposals:
    """The entries of `doc` worth a request: in the window (sitemap indexes name
    sitemaps, which are always read), each with its score when there is a topic."""
    if doc.kind == "index":
        return Proposals(doc.kind, tuple((c.url, None, False) for c in doc.entries),
                         len(doc.entries))
    kept, ruled_out = [], 0
    for c in doc.entries:
        day = date_from_url(c.url)
        url_day = date.fromisoformat(day) if day else None
        # A story modified after the window may have been published in it; one last
        # modified before the window was not.
        if not (in_window(c.published, after, before) and in_window(url_day, after, before)
                and in_window(c.modified, after, None)):
            ruled_out += 1
            continue
        late = c.published is None and not in_window(c.modified, None, before)
        kept.append((c.url, score(c) if score else None, late))
    return Proposals(doc.kind, tuple(kept), len(doc.entries), ruled_out)
