"""In-body links: what an article cites, read from the page's own markup.

The article text comes from a link-free trafilatura pass: asking trafilatura for its links
(`include_links=True`) changes the text it extracts (measured on the golden pages, the real
pages of ../shared/data and the fixture web: 28 of 276 pages came out different, one golden
page among them: spacing around anchors, link-heavy blocks kept or dropped). So the links are
read from the tree trafilatura was given: a link belongs to the body when the block that holds
it (its paragraph, list item, quote) is text of the article. Navigation, related boxes and
"Baca juga" promos were pruned before trafilatura, or did not make it into the text: their
links are left out by the same rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

from pipelines.urls import url_key

if TYPE_CHECKING:  # the index reads link hosts here without loading lxml
    import lxml.html

# Links read from one page, at most (its first ones). A page of 50,000 links (a link farm,
# an endless index) took 31 s and 430 MB to extract, and queued 50,000 requests; a news
# homepage has 200 to 700. A page with more anchors than this is a listing, not an article.
MAX_PAGE_LINKS = 2000
# Hrefs that lead nowhere a crawler or a reader of the archive can follow.
LINK_SKIP = ("javascript:", "mailto:", "tel:", "data:", "#", "whatsapp:")
# The elements a link's words are read in: the nearest one around the link is its block.
_BLOCKS = frozenset({"p", "li", "blockquote", "td", "th", "dd", "dt", "h2", "h3", "h4", "h5",
                     "h6", "figcaption", "pre", "div", "section", "article", "main", "body"})


@dataclass(frozen=True)
class Link:
    url: str
    anchor: str


def link_host(url: str) -> str | None:
    """The host a link points at, lower case (its port kept, for local webs)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
        return f"{host}:{parts.port}" if host and parts.port not in (None, 80, 443) else host
    except ValueError:
        return None


def page_base(tree: lxml.html.HtmlElement, url: str) -> str:
    """The URL the page's relative links resolve against: its <base href>, else its own."""
    base = tree.find(".//base[@href]")
    return urljoin(url, base.get("href")) if base is not None else url


def _squash(text: str) -> str:
    # Without any whitespace: trafilatura and lxml space text around <br> and inline tags
    # differently, the words and their order are what identify a paragraph.
    return "".join(text.split())


def body_links(tree: lxml.html.HtmlElement, paragraphs: list[str], url: str,
               own: tuple[str, ...] = ()) -> list[Link]:
    """The links inside the article body: those whose block is one of `paragraphs` (the
    article's final text) or part of one, with absolute URLs and their anchor text, in page
    order, once each. `own`: the article's own URLs (page, story, canonical), whose links are
    no citation."""
    if not paragraphs:
        return []
    whole = {_squash(p) for p in paragraphs}
    joined = "\n".join(_squash(p) for p in paragraphs)
    base = page_base(tree, url)
    skip = {url_key(u) for u in own if u}
    texts: dict[lxml.html.HtmlElement, str] = {}
    seen: set[tuple[str, str]] = set()
    found: list[Link] = []
    for a in tree.iter("a"):
        href = (a.get("href") or "").strip()
        if not href or href.lower().startswith(LINK_SKIP):
            continue
        anchor = " ".join(a.text_content().split())
        squashed = _squash(anchor)
        if not squashed or squashed not in joined:
            continue  # an image link, or words the article does not hold
        block = next((el for el in a.iterancestors() if el.tag in _BLOCKS), None)
        if block is None:
            continue
        text = texts.get(block)
        if text is None:
            text = texts[block] = _squash(block.text_content())
        # The block is a paragraph of the text, or a piece of one (a list item of a list
        # trafilatura returns as one block); a block that is the link alone must be a
        # whole paragraph, or a tag list's "Kazakhstan" would match any mention of it.
        if text not in whole and not (len(text) > len(squashed) and text in joined):
            continue
        try:
            target = urljoin(base, href).partition("#")[0]
        except ValueError:
            continue
        if not target.startswith(("http://", "https://")) or url_key(target) in skip:
            continue
        if (target, anchor) not in seen:
            seen.add((target, anchor))
            found.append(Link(target, anchor))
    return found
