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
from datetime import datetime
from functools import lru_cache
from urllib.parse import urljoin

import lxml.html
import trafilatura
from lxml import etree

ARTICLE_TYPES = {
    "newsarticle", "article", "reportagenewsarticle", "analysisnewsarticle", "blogposting",
    "opinionnewsarticle", "backgroundnewsarticle", "reviewnewsarticle",
}
# A page without article markup still counts when its main text is this long.
MIN_WORDS_UNMARKED = 150
HTML_TYPES = ("text/html", "application/xhtml+xml")
_BLOCK_TAGS = {"p", "head", "item", "quote", "cell", "list", "table"}
# Never article text, and trafilatura discards them anyway: removing them first in C cuts its
# pruning work by a quarter. (<form> stays: ASP.NET pages wrap the whole body in one.)
_PRUNE_TAGS = ("script", "style", "noscript", "svg", "iframe", "nav", "footer", "aside",
               "button", "select", "template")


@dataclass(frozen=True)
class Link:
    url: str
    anchor: str


@dataclass(frozen=True)
class Article:
    url: str
    title: str | None
    text: str
    canonical_url: str | None = None
    outlet: str | None = None
    author: str | None = None
    published_at: str | None = None
    date_source: str | None = None
    language: str | None = None
    description: str | None = None
    tags: tuple[str, ...] = ()
    word_count: int = 0
    extracted_with: str = ""


@dataclass(frozen=True)
class PageAnalysis:
    """What the extraction step learned about one archived page."""

    kind: str  # "article", "page" (HTML, not an article), "other" (not HTML)
    article: Article | None = None
    links: tuple[Link, ...] = ()  # links inside the article body (the citation graph)
    error: str | None = None


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
    title: str | None = None
    site_name: str | None = None
    canonical_url: str | None = None
    author: str | None = None
    published: str | None = None
    published_source: str | None = None
    description: str | None = None
    language: str | None = None
    tags: list[str] = field(default_factory=list)


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
    meta.title = meta.title or props.get("og:title") or props.get("twitter:title")
    meta.site_name = meta.site_name or props.get("og:site_name")
    meta.author = meta.author or props.get("author") or props.get("article:author")
    meta.description = props.get("og:description") or props.get("description")
    for key in ("article:published_time", "pubdate", "publishdate", "datepublished",
                "dc.date.issued", "date"):
        if not meta.published and props.get(key):
            meta.published, meta.published_source = props[key], f"meta:{key}"
    canonical = tree.find(".//link[@rel='canonical']")
    meta.canonical_url = (canonical.get("href") if canonical is not None else None) or props.get(
        "og:url")
    meta.language = (tree.get("lang") or props.get("og:locale") or "").split("-")[0].split(
        "_")[0].lower() or None
    meta.tags = list(dict.fromkeys(meta.tags + tags))
    return meta


def _json_ld(tree: lxml.html.HtmlElement) -> list[dict]:
    found: list[dict] = []
    for script in tree.iterfind(".//script[@type='application/ld+json']"):
        try:
            data = json.loads(script.text or "")
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
    meta.title = meta.title or (data.get("headline") if isinstance(data.get("headline"), str)
                                else None)
    authors = _names(data.get("author"))
    if authors and not meta.author:
        meta.author = ", ".join(dict.fromkeys(authors))
    publisher = _names(data.get("publisher"))
    if publisher and not meta.site_name:
        meta.site_name = publisher[0]
    if isinstance(data.get("datePublished"), str) and not meta.published:
        meta.published, meta.published_source = data["datePublished"], "json-ld"
    keywords = data.get("keywords")
    if isinstance(keywords, str):
        meta.tags.extend(k.strip() for k in keywords.split(",") if k.strip())
    elif isinstance(keywords, list):
        meta.tags.extend(k.strip() for k in keywords if isinstance(k, str) and k.strip())


def clean_title(title: str | None, site_name: str | None) -> str | None:
    """Drop the outlet's name that <title> and og:title usually carry."""
    if not title:
        return None
    title = " ".join(title.split())
    if site_name:
        for sep in (" - ", " | ", " – ", " — ", " : "):
            if title.endswith(sep + site_name):
                title = title[: -len(sep + site_name)]
            if title.startswith(site_name + sep):
                title = title[len(site_name + sep):]
    return title.strip() or None


def normalise_date(value: str | None) -> str | None:
    """ISO 8601 as the page declared it, keeping its UTC offset."""
    if not value:
        return None
    value = value.strip()
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).isoformat()
    except ValueError:
        return None


# -- extraction -----------------------------------------------------------------------------
def _body_text(body: etree._Element | None) -> tuple[str, list[Link]]:
    """Paragraph text and in-body links from trafilatura's output tree."""
    if body is None:
        return "", []
    paragraphs: list[str] = []
    links: list[Link] = []
    for el in body:
        if el.tag not in _BLOCK_TAGS:
            continue
        for ref in el.iter("ref"):
            target = ref.get("target")
            if target and target.startswith(("http://", "https://")):
                links.append(Link(target, " ".join("".join(ref.itertext()).split())))
        text = " ".join("".join(el.itertext()).split())
        if text:
            paragraphs.append(text)
    return "\n\n".join(paragraphs), links


def _drop_leading_title(text: str, title: str | None) -> str:
    """trafilatura keeps the <h1> as the first paragraph: the title is metadata."""
    first, sep, rest = text.partition("\n\n")
    if title and first.casefold() == title.casefold():
        return rest
    return text


def extract_article(html: str, url: str) -> Article | None:
    """The article on an HTML page, or None when the page holds no article text."""
    article, _ = _extract(html, url, require_article=False)
    return article


# Below this many words on a page marked as an article, the fast pass probably missed the
# body: run trafilatura again with its fallback extractors.
FALLBACK_BELOW_WORDS = 120


def _trafilatura(tree: lxml.html.HtmlElement, url: str, *, with_metadata: bool, fast: bool):
    return trafilatura.bare_extraction(
        tree, url=url, with_metadata=with_metadata, include_links=True, include_comments=False,
        include_tables=False, deduplicate=False, fast=fast,
    )


def _extract(html: str, url: str, *, require_article: bool) -> tuple[Article | None, list[Link]]:
    tree = parse_html(html)
    meta = read_meta(tree)
    marked = bool(meta.types & ARTICLE_TYPES)
    if require_article and not marked and meta.og_type not in (None, "article"):
        return None, []  # the page says it is something else: a homepage, a section
    # trafilatura's own metadata pass costs ~15 % of extraction: only when the page's
    # structured data leaves gaps. Its fallback extractors cost ~20 %: only when needed.
    need_meta = not (meta.title and meta.published and meta.site_name)
    if not need_meta:  # trafilatura's metadata pass reads <script> (JSON-LD): keep them then
        etree.strip_elements(tree, *_PRUNE_TAGS, with_tail=False)
    document = _trafilatura(tree, url, with_metadata=need_meta, fast=True)
    text, links = _body_text(document.body if document else None)
    if marked and len(text.split()) < FALLBACK_BELOW_WORDS:
        thorough = _trafilatura(parse_html(html), url, with_metadata=need_meta, fast=False)
        if thorough is not None:
            alt_text, alt_links = _body_text(thorough.body)
            if len(alt_text) > len(text):
                document, text, links = thorough, alt_text, alt_links
    if document is None:
        return None, []
    title = clean_title(meta.title or document.title, meta.site_name or document.sitename)
    text = _drop_leading_title(text, title)
    words = len(text.split())
    if not text or (require_article and not marked and words < MIN_WORDS_UNMARKED):
        return None, []
    published = normalise_date(meta.published)
    date_source = meta.published_source if published else None
    if not published and document.date:
        published, date_source = document.date, "trafilatura"
    return Article(
        url=url,
        canonical_url=urljoin(url, meta.canonical_url) if meta.canonical_url else None,
        outlet=meta.site_name or document.sitename,
        title=title,
        author=meta.author or document.author,
        published_at=published,
        date_source=date_source,
        language=meta.language,
        description=meta.description or document.description,
        tags=tuple(meta.tags or (document.tags or [])),
        text=text,
        word_count=words,
        extracted_with=extractor_version(),
    ), links


def analyse_page(body: bytes, url: str, content_type: str | None = None) -> PageAnalysis:
    """Classify and extract one archived response body (already Content-Decoded).

    Never raises for bad input: failures come back as `PageAnalysis.error` so the caller
    records the capture with its reason and nothing is lost.
    """
    if not is_html(content_type, body):
        return PageAnalysis("other")
    try:
        article, links = _extract(decode_html(body, content_type), url, require_article=True)
    except ExtractionError as exc:
        return PageAnalysis("page", error=str(exc))
    except Exception as exc:  # noqa: BLE001 - third-party parser bugs must not stop a crawl
        return PageAnalysis("page", error=f"extraction failed: {type(exc).__name__}: {exc}")
    if article is None:
        return PageAnalysis("page")
    return PageAnalysis("article", article, tuple(links))
