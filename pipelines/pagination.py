"""Multi-page articles: which URLs are pages of one story, and which page a URL is.

Indonesian portals split long stories over pages: `?page=2` (kompas, tribun), `?hal=2`,
`/2` path suffixes announced by rel=next, with a one-page view at `?page=all`,
`?single=1` or `?showall=1`. The crawl uses `page_links` to fetch the rest of a story (the
one-page view alone when there is one); extraction uses `page_of` so every page lands in one
article row, whichever order the pages arrive in, in a crawl or a reindex.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

PAGE_PARAMS = ("page", "hal", "halaman", "pg")
SINGLE_PARAMS = {"single": "1", "showall": "1", "all": "1", "full": "1"}
MAX_PAGES = 50  # a "page 600" link is a listing archive, not an article
_PATH_PAGE = re.compile(r"^(.*?)/(\d{1,2})/?$")
_REL_LINK = re.compile(r"""<link\s[^>]*\brel\s*=\s*["']?(next|prev)\b[^>]*>""", re.I)
_HREF = re.compile(r"""\bhref\s*=\s*["']?([^"'\s>]+)""", re.I)

SINGLE = 0  # page number recorded for a one-page view
@dataclass(frozen=True)
class PageOf:
    """Where one URL sits in a paginated story."""

    base: str  # the story's first-page URL: the article row's URL
    page: int  # 1, 2, ... or SINGLE for the whole story on one page


def _split(url: str) -> tuple[tuple[str, str, str, str, str], list[tuple[str, str]]]:
    parts = urlsplit(url)
    return (parts.scheme, parts.netloc, parts.path, parts.query, ""), parse_qsl(
        parts.query, keep_blank_values=True)


def page_of(url: str, rel_prev: bool = False) -> PageOf | None:
    """The page a URL names through its query (`?page=2`, `?page=all`, `?single=1`), or
    through a `/2` path suffix when the page says it has a previous page (rel=prev)."""
    (scheme, netloc, path, _query, _), params = _split(url)
    rest: list[tuple[str, str]] = []
    page: int | None = None
    for key, value in params:
        low = key.lower()
        if low in PAGE_PARAMS and page is None:
            if value.lower() in ("all", "semua", "full"):
                page = SINGLE
                continue
            if value.isdecimal() and 1 <= int(value) <= MAX_PAGES:  # not "²": int() fails
                page = int(value)
                continue
        if SINGLE_PARAMS.get(low) == value.lower() and page is None:
            page = SINGLE
            continue
        rest.append((key, value))
    if page is None and rel_prev:
        match = _PATH_PAGE.match(path)
        if match and 2 <= int(match.group(2)) <= MAX_PAGES:
            path, page = match.group(1), int(match.group(2))
    if page is None:
        return None
    return PageOf(urlunsplit((scheme, netloc, path, urlencode(rest), "")), page)


@dataclass(frozen=True)
class PageLinks:
    """The other pages of a story as linked from one of its pages."""

    pages: tuple[tuple[int, str], ...]  # (page number, URL), page order
    single: str | None  # the one-page view, when the outlet offers one

    def __bool__(self) -> bool:
        return bool(self.pages or self.single)


def rel_links(html: str) -> dict[str, str]:
    """`<link rel=next|prev href=...>` of a page's head."""
    found: dict[str, str] = {}
    for match in _REL_LINK.finditer(html, 0, 200_000):
        href = _HREF.search(match.group(0))
        if href:
            found.setdefault(match.group(1).lower(), href.group(1))
    return found


def page_links(url: str, links: list[str], rel_next: str | None = None) -> PageLinks:
    """Among a page's links, the pages of the same story: same host and path with another
    page number, the one-page view, and the rel=next page."""
    here = page_of(url)
    base = here.base if here else urlsplit(url)._replace(fragment="").geturl()
    pages: dict[int, str] = {}
    single = None
    candidates = list(links)
    if rel_next:
        candidates.append(rel_next)
    for link in candidates:
        if link == url:
            continue
        of = page_of(link, rel_prev=link == rel_next)
        if of is None or of.base != base:
            continue
        if of.page == SINGLE:
            single = single or link
        elif of.page >= 2:
            pages.setdefault(of.page, link)
    return PageLinks(tuple(sorted(pages.items())), single)
