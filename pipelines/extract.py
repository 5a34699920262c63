"""Article extraction: archived HTML in, clean article text and metadata out.

`analyse_page(body, url, content_type)` is the one entry point the crawl (in a process pool)
and `reindex` share, so both produce identical rows from the same bytes. It decodes the HTML,
classifies the page, and for articles runs trafilatura plus metadata from the page's own
structured data (JSON-LD, og:/article: meta), which news outlets fill more reliably than any
heuristic. Plain Python: no Scrapy imports.
"""

from __future__ import annotations

import codecs
import contextlib
import copy
import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import lru_cache
from urllib.parse import urljoin

import lxml.html
import trafilatura
from lxml import etree

from pipelines import dates, titles
from pipelines.articlemark import ARTICLE_TYPES
from pipelines.cleanup import clean_paragraphs, norm_words, page_bylines
from pipelines.language import detect_language
from pipelines.links import LINK_SKIP, MAX_PAGE_LINKS, Link, body_links, page_base
from pipelines.pagination import page_links, page_of
from pipelines.pruning import class_words, prune_page, story_block
from pipelines.stemming import stemmed
from pipelines.titles import clean_title, outlet_from_title
from pipelines.titles import squash as _squash  # one definition of a title's key
from pipelines.urls import canonical_url

# A page without article markup still counts when its main text is this long.
MIN_WORDS_UNMARKED = 150
HTML_TYPES = ("text/html", "application/xhtml+xml")
_BLOCK_TAGS = {"p", "head", "item", "quote", "cell", "list", "table"}
_CONTAINER_TAGS = {"div", "section", "article", "main", "span", "body"}
# Never article text, and trafilatura discards them anyway: removing them first in C cuts its
# pruning work by a quarter. (<form> stays: ASP.NET pages wrap the whole body in one.)
_PRUNE_TAGS = ("script", "style", "noscript", "svg", "iframe", "nav", "footer", "aside",
               "button", "select", "template")


@dataclass(frozen=True)
class OutLink:
    """A link of the page as the crawl sees it: where it goes, its words and their setting."""

    url: str
    anchor: str
    context: str = ""  # text of the list item / paragraph holding the link
    chrome: bool = False  # in the page's menus, sidebars, footer or widgets
    dated: str | None = None  # the date its listing item shows (ISO), if any


@dataclass(frozen=True)
class Article:
    url: str
    title: str | None
    text: str
    canonical_url: str | None = None
    outlet: str | None = None
    author: str | None = None
    editor: str | None = None
    source: str | None = None  # news agency credited ("Sumber: AFP")
    published_at: str | None = None
    date_source: str | None = None
    language: str | None = None
    description: str | None = None
    tags: tuple[str, ...] = ()
    word_count: int = 0
    extracted_with: str = ""
    # For a page of a multi-page story: its number (1, 2, ...; 0 = the one-page view).
    # `url` is then the story's first-page URL, shared by all its pages.
    page: int | None = None


@dataclass(frozen=True)
class PageAnalysis:
    """What the extraction step learned about one archived page."""

    # "article", "page" (HTML, not an article), "other" (not HTML), BINARY (served as
    # HTML, but not text: `error` says why)
    kind: str
    article: Article | None = None
    links: tuple[Link, ...] = ()  # links inside the article body (the citation graph)
    error: str | None = None
    url: str | None = None  # the page's own URL (an article's `url` may be its story's)
    outlinks: tuple[OutLink, ...] = ()  # every <a href> of the page (when asked for)
    # Set by the crawl's relevance step (crawler/focus.py), not by extraction:
    relevance: float | None = None
    verdict: str | None = None  # why the article is not coverage; None when it is
    gate: str | None = None  # the gate that said so: "language", "window", "topic", ...
    scored_links: tuple[tuple[str, float], ...] = ()
    links_out_of_window: int = 0  # links the crawl's date window ruled out unfetched
    # The article's title and text as word stems (search indexes them): computed here, in
    # the extraction worker, so the index writer on the crawl's event loop does not.
    stems: tuple[str, str] | None = None
    links_over_cap: int = 0  # distinct hrefs left out of `outlinks` (MAX_PAGE_LINKS)


class ExtractionError(Exception):
    """The page could not be read as HTML."""


@lru_cache(maxsize=1)
def extractor_version() -> str:
    return f"trafilatura {trafilatura.__version__}"


# -- decoding -------------------------------------------------------------------------------
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)


def charset_from_content_type(content_type: str | None) -> str | None:
    if not content_type:
        return None
    match = re.search(r"charset\s*=\s*[\"']?([A-Za-z0-9_.:-]+)", content_type, re.I)
    return match.group(1) if match else None


def _codec(name: str | None) -> str | None:
    if not name:
        return None
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def decode_html(body: bytes, content_type: str | None = None) -> str:
    """Bytes to text, robust to lying charset declarations.

    Valid UTF-8 is taken as UTF-8 whatever the header says: outlets that declare
    iso-8859-1 while serving UTF-8 are common, and random non-UTF-8 text almost never
    decodes as UTF-8. Otherwise the declared charset (header, then <meta>), then cp1252.
    """
    if body.startswith(codecs.BOM_UTF8):
        return body[3:].decode("utf-8", "replace")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    meta = _META_CHARSET.search(body[:4096])
    for name in (charset_from_content_type(content_type),
                 meta.group(1).decode("ascii", "ignore") if meta else None):
        codec = _codec(name)
        if codec and codec != "utf-8":
            return body.decode(codec, "replace")
    return body.decode("cp1252", "replace")


def is_html(content_type: str | None, body: bytes) -> bool:
    if content_type:
        return content_type.split(";")[0].strip().lower() in HTML_TYPES
    head = body[:512].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html"))


BINARY = "binary"  # PageAnalysis.kind of a body served as HTML that is not text
SNIFF_BYTES = 32 * 1024  # read from each end of the body
# Text in any charset has next to no C0 control characters (tab, newlines and form feed
# aside); random or compressed bytes have ~11 %. Nor does text declared in the right
# charset fail to decode in bulk; random bytes fail about half as UTF-8.
MAX_CONTROL_SHARE = 0.02
MAX_UNDECODABLE_SHARE = 0.3
_ANCHOR = re.compile(r"<a[\s>]", re.I)
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


def not_text(body: bytes, content_type: str | None = None) -> str | None:
    """Why a body served as HTML is no text (the reason recorded on its capture), or None.
    Its head and tail are decoded with the declared charset (UTF-8 when none is known)."""
    sample = body if len(body) <= 2 * SNIFF_BYTES else body[:SNIFF_BYTES] + body[-SNIFF_BYTES:]
    if not sample:
        return None
    meta = _META_CHARSET.search(sample[:4096])
    codec = (_codec(charset_from_content_type(content_type))
             or _codec(meta.group(1).decode("ascii", "ignore") if meta else None) or "utf-8")
    try:
        text = sample.decode(codec, "replace")
    except LookupError:  # a codec that is not a text encoding (rot13, base64...)
        text = sample.decode("utf-8", "replace")
    if not text:
        return None
    controls = len(_CONTROLS.findall(text)) / len(text)
    undecodable = text.count("\ufffd") / len(text)
    if controls > MAX_CONTROL_SHARE:
        return f"binary: {controls:.0%} control characters (served as {content_type or 'HTML'})"
    if undecodable > MAX_UNDECODABLE_SHARE:
        return f"binary: {undecodable:.0%} undecodable as {codec} (served as {content_type})"
    return None


# -- page structure -------------------------------------------------------------------------
def parse_html(html: str) -> lxml.html.HtmlElement:
    if not html.strip():
        raise ExtractionError("empty document")
    try:
        # lxml refuses str input that carries an XML encoding declaration.
        return lxml.html.document_fromstring(html.encode("utf-8"),
                                             parser=lxml.html.HTMLParser(encoding="utf-8"))
    except (etree.ParserError, ValueError) as exc:
        raise ExtractionError(f"unparseable HTML ({exc})") from exc


@dataclass
class PageMeta:
    """Structured metadata a news page declares about itself."""

    types: set[str] = field(default_factory=set)
    og_type: str | None = None
    headline: str | None = None  # JSON-LD
    titles: list[str] = field(default_factory=list)  # og:title, twitter:title, <title>
    h1s: list[str] = field(default_factory=list)  # the text of every <h1>
    sections: list[str] = field(default_factory=list)  # article:section, breadcrumb's last
    site_name: str | None = None
    publisher: str | None = None
    canonical_url: str | None = None
    author: str | None = None
    editor: str | None = None
    ld_published: str | None = None
    meta_published: str | None = None
    date_lines: list[str] = field(default_factory=list)  # visible date lines, best first
    description: str | None = None
    article_body: str | None = None  # JSON-LD articleBody: the outlet's own copy of the text
    language: str | None = None
    tags: list[str] = field(default_factory=list)

    @property
    def names(self) -> list[str]:
        """Names the outlet goes by on this page, for stripping them from titles."""
        return [n for n in (self.site_name, self.publisher) if n]


_PUBLISHED_META = ("article:published_time", "og:published_time", "datepublished", "pubdate",
                   "publishdate", "publish-date", "publish_date", "dc.date.issued", "dc.date",
                   "content_publisheddate", "date", "sailthru.date", "parsely-pub-date")


def read_meta(tree: lxml.html.HtmlElement, url: str = "") -> PageMeta:
    """What the page says about itself; `url` (where it was captured) tells its own links
    from links to other stories."""
    meta = PageMeta()
    props: dict[str, str] = {}
    tags: list[str] = []
    for el in tree.iterfind(".//meta"):
        key = (el.get("property") or el.get("name") or el.get("itemprop") or "").strip().lower()
        value = (el.get("content") or "").strip()
        if key and value:
            if key in ("article:tag", "keywords", "news_keywords"):
                tags.extend(t.strip() for t in value.split(",") if t.strip())
            props.setdefault(key, value)
    for data in _json_ld(tree):
        _merge_json_ld(meta, data)
        if _ld_types(data) & {"breadcrumblist"}:
            meta.sections.extend(_breadcrumb_section([_ld_item_name(x) for x in data.get(
                "itemListElement") or [] if isinstance(x, dict)]))
    meta.og_type = props.get("og:type", "").lower() or None
    if meta.og_type == "article":
        meta.types.add("article")
    title_el = tree.find(".//title")
    meta.titles = [t for t in (props.get("og:title"), props.get("twitter:title"),
                               title_el.text_content() if title_el is not None else None) if t]
    meta.site_name = props.get("og:site_name") or props.get("application-name")
    meta.author = meta.author or props.get("author") or props.get("article:author")
    if meta.author and meta.author.startswith(("http://", "https://")):
        meta.author = None  # article:author is often a profile URL, not a name
    meta.editor = meta.editor or props.get("editor")
    meta.description = props.get("og:description") or props.get("description")
    meta.meta_published = next((props[k] for k in _PUBLISHED_META if props.get(k)), None)
    canonical = tree.find(".//link[@rel='canonical']")
    meta.canonical_url = (canonical.get("href") if canonical is not None else None) or props.get(
        "og:url")
    meta.language = (tree.get("lang") or props.get("og:locale") or "").split("-")[0].split(
        "_")[0].lower() or None
    meta.tags = list(dict.fromkeys(meta.tags + tags))
    meta.h1s = [h.text_content() for h in tree.iter("h1")]
    meta.sections.extend(v for v in (props.get("article:section"), props.get("articlesection"))
                         if v)
    for crumbs in tree.xpath(_BREADCRUMB_XPATH)[:1]:
        items = crumbs.findall(".//li") or crumbs.findall(".//a")
        meta.sections.extend(_breadcrumb_section([i.text_content() for i in items]))
    meta.date_lines = _date_lines(tree, url, meta.canonical_url)
    return meta


# "breadcrumb", "Breadcrumb", "site-breadcrumbs": translate() to lower case costs 3x as much.
_BREADCRUMB_XPATH = "//*[contains(@class, 'readcrumb') or contains(@id, 'readcrumb')]"


def _breadcrumb_section(items: list[str | None]) -> list[str]:
    """The section a breadcrumb ends on: its last item short enough to be a section name
    (the last item is often the story's own title)."""
    for item in reversed(items):
        item = " ".join((item or "").split())
        if item and len(item.split()) <= titles.SECTION_MAX_WORDS:
            return [item]
    return []


def _ld_item_name(item: dict) -> str | None:
    name = item.get("name")
    if not isinstance(name, str) and isinstance(item.get("item"), dict):
        name = item["item"].get("name")
    return name if isinstance(name, str) else None


# Class and id words that mark an element holding a date: a page's date line near its title,
# a listing item's day. One set: a second definition further down once silently replaced it.
_DATE_WORDS = frozenset({"date", "time", "tanggal", "tgl", "waktu", "publish", "published",
                         "pubdate", "posted", "dateline", "datetime", "timestamp", "jam"})


# Date lines after the headline weighed per page (listing cards not counted): the page's
# own is among the first few, the rest of a long page is not worth reading.
_DATE_CANDIDATES = 8
# Every class or id holding a word of _DATE_WORDS contains it: a cheap first test.
_DATE_HINT = re.compile("|".join(sorted(_DATE_WORDS)))


def _date_lines(tree: lxml.html.HtmlElement, url: str = "",
                canonical: str | None = None) -> list[str]:
    """Visible date lines of the page itself, best first.

    A date in a listing card is that card's story's date, never a candidate. The others
    rank by how close they sit to the headline or to the main text in the tree (the deepest
    common ancestor with either), then those after the <h1> in document order before those
    before it (many portals print today's date in their header). Dates inside the article
    prose ("Kamis (6/1/2022)") are never candidates.
    """
    body = tree.find("body")
    if body is None:
        return []
    h1 = next(body.iter("h1"), None)
    own = {_bare(u, url) for u in (url, canonical or "") if u}
    depths: list[dict[etree._Element, int]] = []
    for anchor in (h1, story_block(body)):
        if anchor is not None:
            path = [anchor, *anchor.iterancestors()]
            depths.append({el: len(path) - i for i, el in enumerate(path)})
    found: list[tuple[int, int, int, str]] = []
    seen_h1 = False
    after = 0
    for order, el in enumerate(body.iter()):
        tag = el.tag
        if el is h1 or tag == "h1":
            seen_h1 = True
            continue
        if not isinstance(tag, str) or tag in ("p", "script", "style", "a"):
            continue
        if tag == "time":
            text = " ".join(filter(None, (el.get("datetime"), el.text_content())))
        else:
            # class_words on every element of a page costs more than the rest of read_meta
            hint = f"{el.get('class') or ''} {el.get('id') or ''}".lower()
            if not _DATE_HINT.search(hint) or not class_words(el) & _DATE_WORDS:
                continue
            text = el.text_content()
        text = " ".join(text.split())
        if not text or len(text) > 120 or _in_listing_item(el, url, own, depths):
            continue
        near = max((_shared_depth(el, d) for d in depths), default=0)
        found.append((-near, 0 if seen_h1 else 1, order if seen_h1 else -order, text))
        after += seen_h1
        if after >= _DATE_CANDIDATES:
            break
    return [text for *_, text in sorted(found)]


def _shared_depth(el: etree._Element, depths: dict[etree._Element, int]) -> int:
    """Depth of the deepest common ancestor of `el` and the element `depths` describes."""
    return next((depths[anc] for anc in el.iterancestors() if anc in depths), 0)


def _bare(url: str, base: str = "") -> str:
    """`url` made absolute against `base`, without fragment or trailing slash."""
    with contextlib.suppress(ValueError):  # "http://[" and the like: compared as written
        url = urljoin(base, url)
    return url.partition("#")[0].rstrip("/")


def _in_listing_item(el: etree._Element, url: str, own: set[str],
                     anchors: list[dict[etree._Element, int]]) -> bool:
    """Whether `el` is part of a listing item (a card, a list entry) of another story: the
    nearest block around it that holds a link is that link's item (`_link_setting`), the
    link names a story (a headline's worth of words besides the date) elsewhere than this
    page, and the block holds neither the headline nor the main text."""
    for node in (el, *el.iterancestors()):
        if node.tag in ("body", "html"):
            return False
        a = next(node.iter("a"), None)
        if a is None:
            continue
        href = (a.get("href") or "").strip()
        _, item = _link_setting(a, a.text_content())
        if item is None or not (item is node or any(x is item for x in node.iterancestors())):
            return False
        if any(item in d for d in anchors):
            return False  # the block holds the page's headline or its text
        if _bare(href, url) in own:
            return False  # a permalink: this page's own
        own_words = len(el.text_content().split())
        return any(len(x.text_content().split()) - (own_words if el in x.iter() else 0)
                   >= titles.HEADLINE_MIN_WORDS for x in item.iter("a"))
    return False


def _json_ld(tree: lxml.html.HtmlElement) -> list[dict]:
    found: list[dict] = []
    for script in tree.iterfind(".//script[@type='application/ld+json']"):
        try:
            data = json.loads(script.text or "", strict=False)
        except ValueError:
            continue  # outlets ship broken JSON-LD often enough: ignore, never fail
        stack = data if isinstance(data, list) else [data]
        while stack:
            item = stack.pop(0)
            if isinstance(item, dict):
                found.append(item)
                if isinstance(item.get("@graph"), list):
                    stack.extend(item["@graph"])
    return found


def _names(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return _names(value.get("name"))
    if isinstance(value, list):
        return [n for v in value for n in _names(v)]
    return []


def _ld_types(data: dict) -> set[str]:
    kinds = data.get("@type", [])
    return {k.lower() for k in (kinds if isinstance(kinds, list) else [kinds])
            if isinstance(k, str)}


def _merge_json_ld(meta: PageMeta, data: dict) -> None:
    kinds = _ld_types(data)
    if not kinds & ARTICLE_TYPES:
        return
    meta.types |= kinds
    if not meta.headline and isinstance(data.get("headline"), str):
        meta.headline = data["headline"]
    section = data.get("articleSection")
    meta.sections.extend(s for s in (section if isinstance(section, list) else [section])
                         if isinstance(s, str) and s.strip())
    authors = [a.strip() for a in _names(data.get("author")) if a.strip()]
    if authors and not meta.author:
        meta.author = ", ".join(dict.fromkeys(authors))
    editors = _names(data.get("editor"))
    if editors and not meta.editor:
        meta.editor = ", ".join(dict.fromkeys(editors))
    publisher = _names(data.get("publisher"))
    if publisher and not meta.publisher:
        meta.publisher = publisher[0]
    if isinstance(data.get("articleBody"), str) and not meta.article_body:
        meta.article_body = data["articleBody"]
    if isinstance(data.get("datePublished"), str) and not meta.ld_published:
        meta.ld_published = data["datePublished"]
    keywords = data.get("keywords")
    if isinstance(keywords, str):
        meta.tags.extend(k.strip() for k in keywords.split(",") if k.strip())
    elif isinstance(keywords, list):
        meta.tags.extend(k.strip() for k in keywords if isinstance(k, str) and k.strip())


# -- titles -----------------------------------------------------------------------------------
def best_title(meta: PageMeta, fallback: str | None, url: str) -> str | None:
    """JSON-LD headline first (rarely carries the outlet), then og:title, <title>; the site's
    framing (outlet name, section) judged against the headline the page prints."""
    names = meta.names
    return titles.best_title(
        (meta.headline, *meta.titles, fallback), names, url,
        sections=titles.section_names(meta.sections),
        printed=titles.printed_headline(meta.h1s, names, url))


# -- dates ------------------------------------------------------------------------------------
def publication_date(meta: PageMeta, url: str, captured_at: datetime | None,
                     tz: timezone = dates.WIB) -> tuple[str | None, str | None]:
    """(ISO 8601 date, which source won): JSON-LD, meta, URL, visible text, relative."""
    visible = " ".join(meta.date_lines)
    tz = dates.zone_in(visible) or tz
    for value, source in ((meta.ld_published, "json-ld"), (meta.meta_published, "meta")):
        found = dates.parse_iso(value, tz)
        if found:
            return found, source
    from_text = next((d for d in map(lambda t: dates.parse_text(t, tz), meta.date_lines) if d),
                     None)
    from_url = dates.date_from_url(url)
    if from_url:
        # The URL knows the day; a visible line for the same day also knows the time.
        if from_text and from_text[:10] == from_url and len(from_text) > 10:
            return from_text, "text"
        return from_url, "url"
    if from_text:
        return from_text, "text"
    for line in meta.date_lines:
        found = dates.parse_relative(line, captured_at, tz)
        if found:
            return found, "relative"
    return None, None


# -- extraction -----------------------------------------------------------------------------
def _paragraphs(body: etree._Element | None) -> list[str]:
    """Paragraph texts from trafilatura's output tree."""
    paragraphs: list[str] = []
    if body is not None:
        _collect(body, paragraphs)
    return paragraphs


def _text(el: etree._Element) -> str:
    """An output block's words; a line break (trafilatura's <lb>) separates words too."""
    parts: list[str] = []
    if el.text:
        parts.append(el.text)
    for child in el:
        if child.tag == "lb":
            parts.append(" ")
        elif isinstance(child.tag, str):
            parts.append(_text(child))
        if child.tail:
            parts.append(child.tail)
    return "".join(parts)


def _collect(container: etree._Element, paragraphs: list[str]) -> None:
    if container.text and container.text.strip():
        paragraphs.append(" ".join(container.text.split()))
    for el in container:
        if el.tag == "list":
            # one paragraph per item: joined, "Item satu" and "Item dua" would meet
            for item in el:
                text = " ".join(_text(item).split())
                if text:
                    paragraphs.append(text)
        elif el.tag == "table":
            for row in el.iter("row"):
                text = " ".join(" ".join(_text(cell).split()) for cell in row)
                if text.strip():
                    paragraphs.append(" ".join(text.split()))
        elif el.tag in _BLOCK_TAGS:
            text = " ".join(_text(el).split())
            if text:
                paragraphs.append(text)
        elif el.tag in _CONTAINER_TAGS:
            # trafilatura's fallback extractors hand back the page's own <div> nesting
            _collect(el, paragraphs)
        # Text trafilatura leaves between blocks (after a heading, say) is body text too.
        if el.tail and el.tail.strip():
            paragraphs.append(" ".join(el.tail.split()))


# A header block holds the headline and at most this many words more (a label, a date line).
HEADER_EXTRA_WORDS = 12


def _drop_leading_title(paragraphs: list[str], title: str | None, names: list[str],
                        url: str) -> list[str]:
    """trafilatura keeps the <h1> as the first paragraph (with the outlet's name, on some
    pages), or the header block around it ("LIVE UPDATE <headline> Senin, 21 November 2022
    | 21:05 WIB"): the title, label and date are metadata."""
    if title:
        key = _squash(title)
        for i, paragraph in enumerate(paragraphs[:3]):
            squashed = _squash(paragraph)
            if key in (squashed, _squash(clean_title(paragraph, names, url) or "")) or (
                    key in squashed
                    and len(paragraph.split()) - len(title.split()) <= HEADER_EXTRA_WORDS):
                return paragraphs[:i] + paragraphs[i + 1:]
    return paragraphs


def _story_position(tree: lxml.html.HtmlElement, url: str) -> tuple[str, int | None]:
    """(story URL, page number) of a page that is part of a multi-page story, else
    (url, None). Read before pruning: the pagination block is page furniture."""
    rel = {el.get("rel", "").lower(): el.get("href") for el in tree.iterfind(".//link[@rel]")}
    here = page_of(url, rel_prev=bool(rel.get("prev")))
    if here is not None:
        return here.base, here.page
    # Only links with a query can name another page of this story (path-suffix pages are
    # announced by rel=next): skip urljoin for the hundreds of others on a news page.
    hrefs = [urljoin(url, href) for a in tree.iter("a")
             if (href := a.get("href")) and "=" in href]
    next_url = urljoin(url, rel["next"]) if rel.get("next") else None
    if page_links(url, hrefs, next_url):
        return url, 1
    return url, None


def extract_article(html: str, url: str, *, captured_at: datetime | None = None,
                    boilerplate: tuple[str, ...] = ()) -> Article | None:
    """The article on an HTML page, or None when the page holds no article text.

    `captured_at` resolves relative dates ("2 jam lalu"); give the capture time.
    `boilerplate`: the outlet's own furniture phrases (its profile's; see clean_paragraphs).
    """
    article, _ = _extract(html, url, require_article=False, captured_at=captured_at,
                          boilerplate=boilerplate)
    return article


# Below this many words on a page marked as an article, the fast pass probably missed the
# body: run trafilatura again with its fallback extractors.
FALLBACK_BELOW_WORDS = 120
# A page whose text is not split into blocks (one <div> of bare text) can come out of the
# fast pass whole, menus included, as one "paragraph": the full pass then decides.
WALL_WORDS = 300
WALL_SHARE = 0.8


def _is_wall(paragraphs: list[str]) -> bool:
    if not paragraphs:
        return False
    sizes = [len(p.split()) for p in paragraphs]
    return max(sizes) >= WALL_WORDS and max(sizes) >= WALL_SHARE * sum(sizes)


def _trafilatura(tree: lxml.html.HtmlElement, url: str, *, with_metadata: bool, fast: bool):
    return trafilatura.bare_extraction(
        tree, url=url, with_metadata=with_metadata, include_links=False, include_comments=False,
        include_tables=True, deduplicate=False, fast=fast,
    )


# The fast pass's text is doubtful when this share of it is the page's own link text (a
# list of other stories), or when it holds less than this share of the words of the page's
# own summary of itself (JSON-LD articleBody, else its description): the full pass then
# runs, and the better of the two by these same measures wins.
DOUBT_LINK_SHARE = 0.25
DOUBT_REFERENCE_RECALL = 0.5
_MIN_ANCHOR_WORDS = 3
_MIN_REFERENCE_WORDS = 6


@dataclass(frozen=True)
class _Quality:
    words: int
    link_share: float
    reference_recall: float | None  # None: the page has no summary to compare with

    @property
    def doubtful(self) -> bool:
        return self.words > 0 and (
            self.link_share >= DOUBT_LINK_SHARE
            or (self.reference_recall is not None
                and self.reference_recall < DOUBT_REFERENCE_RECALL))

    def better_than(self, other: _Quality) -> bool:
        if not self.words:
            return False
        if self.reference_recall is not None and other.reference_recall is not None \
                and abs(self.reference_recall - other.reference_recall) >= 0.1:
            return self.reference_recall > other.reference_recall
        if abs(self.link_share - other.link_share) >= 0.1:
            return self.link_share < other.link_share
        return not self.doubtful and other.doubtful


class _Judge:
    """Measures an extraction against the page it came from."""

    def __init__(self, tree: lxml.html.HtmlElement, reference: str | None) -> None:
        anchors = {" ".join(a.text_content().split()) for a in tree.iter("a")}
        self.anchors = [a for a in anchors if len(a.split()) >= _MIN_ANCHOR_WORDS]
        words = set(_WORD.findall(reference.casefold())) if reference else set()
        self.reference = words if len(words) >= _MIN_REFERENCE_WORDS else None

    def quality(self, paragraphs: list[str]) -> _Quality:
        text = " ".join(paragraphs)
        if not text:
            return _Quality(0, 0.0, None)
        linked = sum(len(a) for a in self.anchors if a in text)
        recall = None
        if self.reference is not None:
            found = self.reference & set(_WORD.findall(text.casefold()))
            recall = len(found) / len(self.reference)
        return _Quality(len(text.split()), min(linked / len(text), 1.0), recall)


    def echoes_summary(self, text: str) -> bool:
        """A lead apart from the story's block says what the page's summary says (half its
        words): a claim box or a pull quote there does not."""
        if self.reference is None:
            return False
        found = self.reference & set(_WORD.findall(text.casefold()))
        return len(found) >= DOUBT_REFERENCE_RECALL * len(self.reference)

    def summary_block(self, tree: lxml.html.HtmlElement) -> lxml.html.HtmlElement | None:
        """The smallest block, not mostly links, holding most of the summary's words."""
        if self.reference is None:
            return None
        best, best_recall, best_size = None, DOUBT_REFERENCE_RECALL, 0
        for el in tree.iter("div", "section", "article", "main", "td"):
            text = el.text_content()
            size = len(text)
            recall = len(self.reference & set(_WORD.findall(text.casefold()))) / len(
                self.reference)
            if not size or recall < best_recall:
                continue
            if sum(len(a.text_content()) for a in el.iter("a")) >= DOUBT_LINK_SHARE * size:
                continue
            if best is None or recall > best_recall + 0.05 or size < best_size:
                best, best_recall, best_size = el, recall, size
        return best


def _page_of(block: lxml.html.HtmlElement) -> lxml.html.HtmlElement:
    """A page holding only a copy of `block`, for trafilatura to read on its own."""
    page = lxml.html.document_fromstring("<html><body></body></html>")
    page.find("body").append(copy.deepcopy(block))
    return page


_WORD = re.compile(r"\w+")


def _word_count(paragraphs: list[str]) -> int:
    return sum(len(p.split()) for p in paragraphs)


_PROSE_TAGS = {"p", "blockquote", "td", "dd", "figcaption"}
_CONTEXT_MAX = 400  # beyond this an ancestor is a region of the page, not the link's setting


def outlinks(tree: lxml.html.HtmlElement, url: str,
             over_cap: set[str] | None = None) -> list[OutLink]:
    """Every http(s) link of the page (the first MAX_PAGE_LINKS) with its words and the
    text around it, read before pruning (related lists are links too). A URL linked
    several times (a thumbnail, then the headline) gets the words of every occurrence: the
    first is often an image. The hrefs past the cap go to `over_cap`, unread."""
    base_url = page_base(tree, url)
    anchors: dict[str, list[str]] = {}
    contexts: dict[str, str] = {}
    dated: dict[str, str] = {}
    in_chrome = _chrome_anchors(tree)
    chrome: dict[str, bool] = {}
    for a in tree.iter("a"):
        href = (a.get("href") or "").strip()
        if not href or href.lower().startswith(LINK_SKIP):
            continue
        if len(anchors) >= MAX_PAGE_LINKS:
            if over_cap is not None:
                over_cap.add(href)
            continue
        try:
            target = urljoin(base_url, href).partition("#")[0]
        except ValueError:
            continue
        if not target.startswith(("http://", "https://")):
            continue
        anchor = " ".join((a.text_content() or a.get("title") or "").split())
        if not anchor:
            anchor = " ".join(" ".join(img.get("alt") or "" for img in a.iter("img")).split())
        # Chrome only if every occurrence is: a story in a sidebar and in the results list
        # is a result.
        chrome[target] = chrome.get(target, True) and a in in_chrome
        words = anchors.setdefault(target, [])
        if anchor and anchor not in words:
            words.append(anchor)
        if len(contexts.get(target, "")) < len(anchor) + 20 or target not in dated:
            context, item = _link_setting(a, anchor)
            if len(context) > len(contexts.get(target, "")):
                contexts[target] = context
            if item is not None and target not in dated and (day := _item_date(item)):
                dated[target] = day
    return [OutLink(target, " ".join(words)[:200], contexts.get(target, ""), chrome[target],
                    dated.get(target)) for target, words in anchors.items()]


# Blocks that frame every page of a site rather than hold its own content.
_CHROME_TAGS = ("nav", "header", "footer", "aside")
_CHROME_WORDS = frozenset({
    "nav", "navbar", "navigation", "menu", "header", "masthead", "footer", "sidebar",
    "widget", "populer", "popular", "terpopuler", "trending", "terkini", "breadcrumb",
    "breadcrumbs", "related", "terkait", "bacajuga", "readalso", "recommend", "recommended",
    "rekomendasi", "share", "social", "advert", "advertisement", "ads", "iklan", "banner",
    "newsletter", "subscribe"})


def _chrome_anchors(tree: lxml.html.HtmlElement) -> set[lxml.html.HtmlElement]:
    """The <a> elements inside the page's chrome: menus, sidebars, footers, widgets. A
    block that holds the page's heading or its <main> is the content, whatever its class
    ("content has-sidebar"); an article's own <header> is part of the article."""
    content = {anc for el in tree.iter("h1", "main") for anc in el.iterancestors()}
    roots: set[lxml.html.HtmlElement] = set()
    for el in tree.iter(*_CHROME_TAGS, "div", "section", "ul", "ol"):
        if el in content:
            continue
        if el.tag in ("header", "footer"):
            chrome = next(el.iterancestors("article", "main"), None) is None
        else:
            chrome = el.tag in _CHROME_TAGS or bool(class_words(el) & _CHROME_WORDS)
        if chrome and not any(anc in roots for anc in el.iterancestors()):
            roots.add(el)
    return {a for root in roots for a in root.iter("a")}


def _link_setting(a: lxml.html.HtmlElement,
                  anchor: str) -> tuple[str, lxml.html.HtmlElement | None]:
    """The words around a link, and its listing item when it has one.

    In running text (a paragraph, a quote, a table cell) that is the paragraph. In a list of
    stories it is the item: the largest block around the link that links nowhere else (a
    card with its thumbnail, headline, date and summary), never the list itself, so one
    item's date or summary is not lent to its neighbours. "" when the setting says no more
    than the link."""
    href = (a.get("href") or "").strip()
    item = None
    node = a.getparent()
    for _ in range(6):
        if node is None or node.tag in ("body", "html"):
            break
        if node.tag in _PROSE_TAGS:
            text = " ".join(node.text_content().split())
            return (text[:_CONTEXT_MAX] if len(text) >= len(anchor) + 20 else ""), None
        if any((other.get("href") or "").strip() != href for other in node.iter("a")):
            break
        item = node
        node = node.getparent()
    if item is None:
        return "", None
    text = " ".join(" ".join(item.itertext()).split())[:_CONTEXT_MAX]
    return (text if len(text) >= len(anchor) + 20 else ""), item


def _item_date(item: lxml.html.HtmlElement) -> str | None:
    """The day a listing item says its story was published: its <time>, or an element
    whose class names a date ("date", "tanggal"). Never a date in running text, which may
    be the date of an event."""
    for el in item.iter("time", "span", "div", "small", "p"):
        if el.tag != "time" and not class_words(el) & _DATE_WORDS:
            continue
        found = dates.parse_iso(el.get("datetime")) or dates.parse_text(el.text_content())
        if found:
            return found[:10]
    return None


# A short page without article markup is still an article (a brief) when it shows what an
# article shows: its headline printed on the page, a publication date and a few sentences
# that are not links to other stories (a search page with two results is no brief).
MIN_WORDS_BRIEF = 40
MIN_SENTENCES_BRIEF = 2
_HEADLINE_TAGS = ("h1", "h2", "h3", "p", "div", "span", "strong", "b", "td", "font")


def _brief(tree: lxml.html.HtmlElement, paragraphs: list[str], title: str | None,
           published: str | None) -> bool:
    if not title or not published or _word_count(paragraphs) < MIN_WORDS_BRIEF:
        return False
    if sum(p.rstrip()[-1:] in ".!?\"”" for p in paragraphs) < MIN_SENTENCES_BRIEF:
        return False
    key = _squash(title)
    body = tree.find("body")
    if body is None or _linked_headings(body) >= 2:
        return False  # a list of other stories' headlines (a search page), not one story
    return any(
        _squash(el.text_content()) == key for el in body.iter(*_HEADLINE_TAGS)
        if el.text_content() and len(el.text_content()) < 2 * len(title) + 20)


def _linked_headings(body: lxml.html.HtmlElement) -> int:
    """Headings that are links to another page (a listing's headlines)."""
    return sum(1 for h in body.iter("h2", "h3", "h4", "h5", "h6")
               if (text := h.text_content().strip()) and len(text.split()) >= 3
               and sum(len(a.text_content().strip()) for a in h.iter("a")) >= 0.8 * len(text))


def _extract(html: str, url: str, *, require_article: bool,
             captured_at: datetime | None = None, links_out: list[OutLink] | None = None,
             over_cap: set[str] | None = None,
             boilerplate: tuple[str, ...] = ()) -> tuple[Article | None, list[Link]]:
    tree = parse_html(html)
    if links_out is not None:
        links_out.extend(outlinks(tree, url, over_cap))
    if require_article and len(_ANCHOR.findall(html)) > MAX_PAGE_LINKS:
        return None, []  # a listing; trafilatura would read its thousands of links as text
    meta = read_meta(tree, url)
    marked = bool(meta.types & ARTICLE_TYPES)
    if require_article and not marked and meta.og_type not in (None, "article"):
        return None, []  # the page says it is something else: a homepage, a section
    # trafilatura's own metadata pass costs ~15 % of extraction: only when the page's
    # structured data leaves gaps. Its fallback extractors cost ~20 %: only when needed.
    published, date_source = publication_date(meta, url, captured_at)
    story_url, page = _story_position(tree, url) if marked else (url, None)
    need_meta = not ((meta.headline or meta.titles) and published)
    if not need_meta:  # trafilatura's metadata pass reads <script> (JSON-LD): keep them then
        etree.strip_elements(tree, *_PRUNE_TAGS, with_tail=False)
    credits = page_bylines(tree)
    leads = prune_page(tree, meta.description)
    # The fast pass first; the full pass (trafilatura's comparison with its fallback
    # extractors) when the fast pass's text is short, one wall, or doubtful (_Judge).
    document = _trafilatura(tree, url, with_metadata=need_meta, fast=True)
    paragraphs = _paragraphs(document.body if document else None)
    short = (marked or not paragraphs) and _word_count(paragraphs) < FALLBACK_BELOW_WORDS
    wall = _is_wall(paragraphs)
    judge = _Judge(tree, meta.article_body or meta.description)
    first = judge.quality(paragraphs)
    if short or wall or first.doubtful:
        again = parse_html(html)
        again_leads = prune_page(again, meta.description)
        thorough = _trafilatura(again, url, with_metadata=need_meta, fast=False)
        if thorough is not None:
            alt = _paragraphs(thorough.body)
            second = judge.quality(alt)
            more = _word_count(alt) > _word_count(paragraphs)
            if (second.better_than(first) if first.doubtful else
                    (short and more) or (wall and alt and not _is_wall(alt))):
                document, paragraphs, tree, first = thorough, alt, again, second
                leads = again_leads
        if first.doubtful and (block := judge.summary_block(tree)) is not None:
            # Both passes read something else (another story list): read the block the
            # page's own summary points to.
            alone = _trafilatura(_page_of(block), url, with_metadata=False, fast=False)
            third = _paragraphs(alone.body if alone is not None else None)
            if judge.quality(third).better_than(first):
                paragraphs = third
    if document is None:
        return None, []
    if leads:  # a lead apart from the story's block, which trafilatura read alone
        have = norm_words(" ".join(paragraphs))
        paragraphs = [lead for lead in leads if norm_words(lead) not in have
                      and judge.echoes_summary(lead)] + paragraphs
    title = best_title(meta, document.title, url)
    paragraphs, byline = clean_paragraphs(
        _drop_leading_title(paragraphs, title, meta.names, url), boilerplate)
    text = "\n\n".join(paragraphs)
    words = _word_count(paragraphs)
    if not published and document.date:
        published, date_source = document.date, "htmldate"
    if not text or (require_article and not marked and words < MIN_WORDS_UNMARKED
                    and not (_brief(tree, paragraphs, title, published)
                             and judge.quality(paragraphs).link_share < DOUBT_LINK_SHARE)):
        return None, []
    canonical = canonical_url(story_url, meta.canonical_url)
    # trafilatura works on a copy: `tree` is still the page it was given, links and all.
    links = body_links(tree, paragraphs, url, own=(url, story_url, canonical))
    return Article(
        url=story_url,
        page=page,
        canonical_url=canonical,
        outlet=meta.site_name or meta.publisher or document.sitename
        or outlet_from_title(meta.titles, url),
        title=title,
        author=meta.author or byline.author or credits.author or document.author,
        editor=meta.editor or byline.editor or credits.editor,
        source=byline.source or credits.source,
        published_at=published,
        date_source=date_source,
        language=detect_language(f"{title or ''}. {text}", meta.language),
        description=meta.description or document.description,
        tags=tuple(meta.tags or (document.tags or [])),
        text=text,
        word_count=words,
        extracted_with=extractor_version(),
    ), links


def analyse_page(body: bytes, url: str, content_type: str | None = None,
                 captured_at: datetime | None = None, *,
                 with_outlinks: bool = False,
                 boilerplate: tuple[str, ...] = ()) -> PageAnalysis:
    """Classify and extract one archived response body (already Content-Decoded); with
    `with_outlinks`, also every link of the page for the crawl to score. `boilerplate`:
    the outlet's own furniture phrases (its profile's; see clean_paragraphs).

    Never raises for bad input: failures come back as `PageAnalysis.error` so the caller
    records the capture with its reason and nothing is lost.
    """
    if not is_html(content_type, body):
        return PageAnalysis("other")
    if reason := not_text(body, content_type):
        return PageAnalysis(BINARY, error=reason, url=url)
    found: list[OutLink] | None = [] if with_outlinks else None
    over_cap: set[str] = set()
    try:
        article, links = _extract(decode_html(body, content_type), url, require_article=True,
                                  captured_at=captured_at, links_out=found, over_cap=over_cap,
                                  boilerplate=boilerplate)
    except ExtractionError as exc:
        return PageAnalysis("page", error=str(exc), outlinks=tuple(found or ()),
                            links_over_cap=len(over_cap))
    except Exception as exc:  # noqa: BLE001 - third-party parser bugs must not stop a crawl
        return PageAnalysis("page", error=f"extraction failed: {type(exc).__name__}: {exc}",
                            outlinks=tuple(found or ()), links_over_cap=len(over_cap))
    if article is None:
        return PageAnalysis("page", url=url, outlinks=tuple(found or ()),
                            links_over_cap=len(over_cap))
    return PageAnalysis("article", article, tuple(links), url=url, outlinks=tuple(found or ()),
                        stems=(stemmed(article.title), stemmed(article.text)),
                        links_over_cap=len(over_cap))


def article_from_bytes(body: bytes, url: str, content_type: str | None = None,
                       captured_at: datetime | None = None,
                       boilerplate: tuple[str, ...] = ()) -> Article | None:
    """The article in a saved page's raw bytes: what `liputan extract FILE` runs."""
    return extract_article(decode_html(body, content_type), url, captured_at=captured_at,
                           boilerplate=boilerplate)
