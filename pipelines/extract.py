"""Article extraction: archived HTML in, clean article text and metadata out.

`analyse_page(body, url, content_type)` is the one entry point the crawl (in a process pool)
and `reindex` share, so both produce identical rows from the same bytes. It decodes the HTML,
classifies the page, and for articles runs trafilatura plus metadata from the page's own
structured data (JSON-LD, og:/article: meta), which news outlets fill more reliably than any
heuristic. Plain Python: no Scrapy imports.
"""

from __future__ import annotations

import codecs
import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import lru_cache
from urllib.parse import urljoin, urlsplit

import lxml.html
import trafilatura
from lxml import etree

from pipelines import dates
from pipelines.articlemark import ARTICLE_TYPES
from pipelines.cleanup import clean_paragraphs, page_bylines
from pipelines.language import detect_language
from pipelines.links import LINK_SKIP, MAX_PAGE_LINKS, Link, body_links, page_base
from pipelines.pagination import page_links, page_of
from pipelines.pruning import class_words, prune_page
from pipelines.stemming import stemmed
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
    site_name: str | None = None
    publisher: str | None = None
    canonical_url: str | None = None
    author: str | None = None
    editor: str | None = None
    ld_published: str | None = None
    meta_published: str | None = None
    date_lines: list[str] = field(default_factory=list)  # visible date lines, best first
    description: str | None = None
    language: str | None = None
    tags: list[str] = field(default_factory=list)

    @property
    def names(self) -> list[str]:
        """Names the outlet goes by on this page, for stripping them from titles."""
        return [n for n in (self.site_name, self.publisher) if n]


_PUBLISHED_META = ("article:published_time", "og:published_time", "datepublished", "pubdate",
                   "publishdate", "publish-date", "publish_date", "dc.date.issued", "dc.date",
                   "content_publisheddate", "date", "sailthru.date", "parsely-pub-date")


def read_meta(tree: lxml.html.HtmlElement) -> PageMeta:
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
    meta.date_lines = _date_lines(tree)
    return meta


# Class and id words that mark an element holding a date: a page's date line near its title,
# a listing item's day. One set: a second definition further down once silently replaced it.
_DATE_WORDS = frozenset({"date", "time", "tanggal", "tgl", "waktu", "publish", "published",
                         "pubdate", "posted", "dateline", "datetime", "timestamp", "jam"})


def _date_lines(tree: lxml.html.HtmlElement) -> list[str]:
    """Visible date lines near the headline: those after the <h1> first, then those before.

    Many portals print today's date in their header, so lines before the headline rank
    last; dates inside the article prose ("Kamis (6/1/2022)") are never candidates.
    """
    before: list[str] = []
    after: list[str] = []
    seen_h1 = False
    body = tree.find("body")
    if body is None:
        return []
    for el in body.iter():
        tag = el.tag
        if tag == "h1":
            seen_h1 = True
            continue
        if not isinstance(tag, str) or tag in ("p", "script", "style", "a"):
            continue
        if tag == "time":
            text = " ".join(filter(None, (el.get("datetime"), el.text_content())))
        else:
            if not class_words(el) & _DATE_WORDS:
                continue
            text = el.text_content()
        text = " ".join(text.split())
        if text and len(text) <= 120:
            (after if seen_h1 else before).append(text)
        if len(after) >= 4:
            break
    return after + before[::-1]


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


def _merge_json_ld(meta: PageMeta, data: dict) -> None:
    kinds = data.get("@type", [])
    kinds = {k.lower() for k in (kinds if isinstance(kinds, list) else [kinds]) if isinstance(
        k, str)}
    if not kinds & ARTICLE_TYPES:
        return
    meta.types |= kinds
    if not meta.headline and isinstance(data.get("headline"), str):
        meta.headline = data["headline"]
    authors = [a.strip() for a in _names(data.get("author")) if a.strip()]
    if authors and not meta.author:
        meta.author = ", ".join(dict.fromkeys(authors))
    editors = _names(data.get("editor"))
    if editors and not meta.editor:
        meta.editor = ", ".join(dict.fromkeys(editors))
    publisher = _names(data.get("publisher"))
    if publisher and not meta.publisher:
        meta.publisher = publisher[0]
    if isinstance(data.get("datePublished"), str) and not meta.ld_published:
        meta.ld_published = data["datePublished"]
    keywords = data.get("keywords")
    if isinstance(keywords, str):
        meta.tags.extend(k.strip() for k in keywords.split(",") if k.strip())
    elif isinstance(keywords, list):
        meta.tags.extend(k.strip() for k in keywords if isinstance(k, str) and k.strip())


# -- titles -----------------------------------------------------------------------------------
_TITLE_SEPARATORS = re.compile(r"\s+[-|–—·•»:]\s+|\s*\|\s*|(?<=\w):\s+")
_PAGE_SUFFIX = re.compile(r"\s+halaman\s+(all|\d+)$", re.I)


def _squash(text: str) -> str:
    return re.sub(r"[\W_]+", "", text.casefold())


def _host_brands(url: str) -> set[str]:
    """"kompas.com" -> {"kompascom", "kompas"}: outlets put their domain in titles."""
    host = (urlsplit(url).hostname or "").lower()
    labels = [x for x in host.split(".") if x not in ("www", "m", "amp", "mobile")]
    brands = set()
    if labels:
        brands.add(_squash(".".join(labels)))
        core = [x for x in labels if x not in ("com", "co", "id", "net", "org", "or", "go",
                                                "ac", "web", "news", "my", "test")]
        if core:
            brands.add(_squash(core[-1]))
            brands.add(_squash("".join(core)))
    return {b for b in brands if len(b) >= 3}


def _is_outlet_name(segment: str, names: set[str]) -> bool:
    squashed = _squash(segment)
    if not squashed:
        return True
    for name in names:
        if squashed == name or (squashed.startswith(name) and len(squashed) - len(name) <= 8):
            return True  # "Harian Langit Online", "Kompas.com", "Republika Online"
    return False


def clean_title(title: str | None, names: list[str] | tuple[str, ...] = (),
                url: str = "") -> str | None:
    """The headline without the outlet's name that <title> and og:title usually carry.

    Only a leading or trailing segment (split on " - ", " | ", ": " …) that *is* an outlet
    name goes, so "Rusia - Ukraina Sepakat …" keeps its dash.
    """
    if not title:
        return None
    title = _PAGE_SUFFIX.sub("", " ".join(title.split()))
    known = {_squash(n) for n in names if n and len(_squash(n)) >= 3} | _host_brands(url)
    for _ in range(3):
        parts = _TITLE_SEPARATORS.split(title)
        seps = _TITLE_SEPARATORS.findall(title)
        if len(parts) < 2:
            break
        if _is_outlet_name(parts[-1], known):
            title = title[: len(title) - len(parts[-1]) - len(seps[-1])]
        elif _is_outlet_name(parts[0], known):
            title = title[len(parts[0]) + len(seps[0]):]
        else:
            break
        title = _PAGE_SUFFIX.sub("", title.strip())
    return title.strip() or None


def best_title(meta: PageMeta, fallback: str | None, url: str) -> str | None:
    """JSON-LD headline first (rarely carries the outlet), then og:title, <title>."""
    names = meta.names
    for candidate in (meta.headline, *meta.titles, fallback):
        title = clean_title(candidate, names, url)
        if title:
            return title
    return None


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


def _collect(container: etree._Element, paragraphs: list[str]) -> None:
    if container.text and container.text.strip():
        paragraphs.append(" ".join(container.text.split()))
    for el in container:
        if el.tag in _BLOCK_TAGS:
            text = " ".join("".join(el.itertext()).split())
            if text:
                paragraphs.append(text)
        elif el.tag in _CONTAINER_TAGS:
            # trafilatura's fallback extractors hand back the page's own <div> nesting
            _collect(el, paragraphs)
        # Text trafilatura leaves between blocks (after a heading, say) is body text too.
        if el.tail and el.tail.strip():
            paragraphs.append(" ".join(el.tail.split()))


def _drop_leading_title(paragraphs: list[str], title: str | None, names: list[str],
                        url: str) -> list[str]:
    """trafilatura keeps the <h1> as the first paragraph (with the outlet's name, on some
    pages): the title is metadata."""
    if title:
        key = _squash(title)
        for i, paragraph in enumerate(paragraphs[:3]):
            if key in (_squash(paragraph), _squash(clean_title(paragraph, names, url) or "")):
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
        include_tables=False, deduplicate=False, fast=fast,
    )


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


def _extract(html: str, url: str, *, require_article: bool,
             captured_at: datetime | None = None, links_out: list[OutLink] | None = None,
             over_cap: set[str] | None = None,
             boilerplate: tuple[str, ...] = ()) -> tuple[Article | None, list[Link]]:
    tree = parse_html(html)
    if links_out is not None:
        links_out.extend(outlinks(tree, url, over_cap))
    if require_article and len(_ANCHOR.findall(html)) > MAX_PAGE_LINKS:
        return None, []  # a listing; trafilatura would read its thousands of links as text
    meta = read_meta(tree)
    marked = bool(meta.types & ARTICLE_TYPES)
    if require_article and not marked and meta.og_type not in (None, "article"):
        return None, []  # the page says it is something else: a homepage, a section
    # trafilatura's own metadata pass costs ~15 % of extraction: only when the page's
    # structured data leaves gaps. Its fallback extractors cost ~20 %: only when needed.
    published, date_source = publication_date(meta, url, captured_at)
    story_url, page = _story_position(tree, url) if marked else (url, None)
    need_meta = not ((meta.headline or meta.titles) and published and meta.site_name)
    if not need_meta:  # trafilatura's metadata pass reads <script> (JSON-LD): keep them then
        etree.strip_elements(tree, *_PRUNE_TAGS, with_tail=False)
    credits = page_bylines(tree)
    prune_page(tree)
    # A page marked as an article gets the fast pass; an unmarked page the full one, whose
    # comparison with other algorithms keeps a whole-page extraction from passing as text.
    document = _trafilatura(tree, url, with_metadata=need_meta, fast=True)
    paragraphs = _paragraphs(document.body if document else None)
    short = (marked or not paragraphs) and _word_count(paragraphs) < FALLBACK_BELOW_WORDS
    wall = _is_wall(paragraphs)
    if short or wall:
        again = parse_html(html)
        prune_page(again)
        thorough = _trafilatura(again, url, with_metadata=need_meta, fast=False)
        if thorough is not None:
            alt = _paragraphs(thorough.body)
            more = _word_count(alt) > _word_count(paragraphs)
            if (short and more) or (wall and alt and not _is_wall(alt)):
                document, paragraphs, tree = thorough, alt, again
    if document is None:
        return None, []
    title = best_title(meta, document.title, url)
    paragraphs, byline = clean_paragraphs(
        _drop_leading_title(paragraphs, title, meta.names, url), boilerplate)
    text = "\n\n".join(paragraphs)
    words = _word_count(paragraphs)
    if not text or (require_article and not marked and words < MIN_WORDS_UNMARKED):
        return None, []
    if not published and document.date:
        published, date_source = document.date, "htmldate"
    canonical = canonical_url(story_url, meta.canonical_url)
    # trafilatura works on a copy: `tree` is still the page it was given, links and all.
    links = body_links(tree, paragraphs, url, own=(url, story_url, canonical))
    return Article(
        url=story_url,
        page=page,
        canonical_url=canonical,
        outlet=meta.site_name or meta.publisher or document.sitename,
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
