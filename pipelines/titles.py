"""Titles: the headline a page prints, without the site framing its <title> adds.

og:title and <title> carry the outlet's name ("… - Kompas.com") and on some portals the
section ("Musik - …"). Only a leading or trailing segment (split on " - ", " | ", ": " …) can
be framing, and only with evidence: it *is* an outlet name, it is the page's section
(article:section, JSON-LD articleSection, the breadcrumb), or the headline printed in the
page's <h1> lacks it. So "Rusia - Ukraina Sepakat …" keeps its dash.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlsplit

_TITLE_SEPARATORS = re.compile(r"\s+[-|–—·•»:]\s+|\s*\|\s*|(?<=\w):\s+")
_PAGE_SUFFIX = re.compile(r"\s+halaman\s+(all|\d+)$", re.I)
_WORD = re.compile(r"\w+")
# A printed headline has at least this many words: an <h1> with fewer is as likely a logo
# or a section header ("Sepak Bola Nasional") as the story's title, so it is no evidence.
HEADLINE_MIN_WORDS = 4
# A section name is short; a longer breadcrumb item is the story's own title.
SECTION_MAX_WORDS = 4


def squash(text: str) -> str:
    return re.sub(r"[\W_]+", "", text.casefold())


def _words(text: str) -> list[str]:
    return _WORD.findall(text.casefold())


def _host_brands(url: str) -> set[str]:
    """"kompas.com" -> {"kompascom", "kompas"}: outlets put their domain in titles."""
    host = (urlsplit(url).hostname or "").lower()
    labels = [x for x in host.split(".") if x not in ("www", "m", "amp", "mobile")]
    brands = set()
    if labels:
        brands.add(squash(".".join(labels)))
        core = [x for x in labels if x not in ("com", "co", "id", "net", "org", "or", "go",
                                                "ac", "web", "news", "my", "test")]
        if core:
            brands.add(squash(core[-1]))
            brands.add(squash("".join(core)))
    return {b for b in brands if len(b) >= 3}


def _is_outlet_name(segment: str, names: set[str]) -> bool:
    squashed = squash(segment)
    if not squashed:
        return True
    for name in names:
        if squashed == name or (squashed.startswith(name) and len(squashed) - len(name) <= 8):
            return True  # "Harian Langit Online", "Kompas.com", "Republika Online"
    return False


def clean_title(title: str | None, names: Iterable[str] = (), url: str = "") -> str | None:
    """The headline without the outlet's name that <title> and og:title usually carry.

    Only a leading or trailing segment that *is* an outlet name goes, so
    "Rusia - Ukraina Sepakat …" keeps its dash.
    """
    if not title:
        return None
    title = _PAGE_SUFFIX.sub("", " ".join(title.split()))
    known = {squash(n) for n in names if n and len(squash(n)) >= 3} | _host_brands(url)
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


def outlet_from_title(titles: Iterable[str], url: str) -> str | None:
    """The outlet's name as its own <title> or og:title frames the headline ("… - Kompas.com
    Bola" on bola.kompas.com), else the page's host without "www.": what trafilatura's
    metadata pass would guess, without running it."""
    brands = _host_brands(url)
    for title in titles:
        parts = [p.strip() for p in _TITLE_SEPARATORS.split(" ".join(title.split()))]
        if len(parts) < 2:
            continue
        for segment in (parts[-1], parts[0]):
            if segment and _is_outlet_name(segment, brands):
                return segment
    host = (urlsplit(url).hostname or "").lower()
    return host.removeprefix("www.") or None


def printed_headline(h1_texts: list[str], names: Iterable[str] = (),
                     url: str = "") -> str | None:
    """The page's one <h1>, when it reads as a headline: long enough, not the outlet's name.
    A page with several candidate <h1>s (a logo and a headline) gives no evidence."""
    known = {squash(n) for n in names if n and len(squash(n)) >= 3} | _host_brands(url)
    found = [t for t in (" ".join(h.split()) for h in h1_texts)
             if len(_words(t)) >= HEADLINE_MIN_WORDS and not _is_outlet_name(t, known)]
    return found[0] if len(found) == 1 else None


def section_names(values: Iterable[str | None]) -> set[str]:
    """Squashed names of the page's sections, for telling framing from headline."""
    return {squash(v) for v in values
            if v and squash(v) and len(_words(v)) <= SECTION_MAX_WORDS}


def _contains_words(text: str, segment: str) -> bool:
    return f" {' '.join(_words(segment))} " in f" {' '.join(_words(text))} "


def drop_framing(title: str, sections: set[str], printed: str | None) -> str:
    """`title` without the leading/trailing segments that frame it rather than belong to it.

    With a printed headline, a run of the title's segments that reads exactly as the <h1>
    is the title, provided each segment left out is shorter than it (framing is short). Else
    a segment that is the section goes, when it is shorter than the rest and the printed
    headline does not have it too ("Musik: …" as the story's real first words).
    """
    spans = [(0, 0)]
    for sep in _TITLE_SEPARATORS.finditer(title):
        spans[-1] = (spans[-1][0], sep.start())
        spans.append((sep.end(), sep.end()))
    spans[-1] = (spans[-1][0], len(title))
    if len(spans) < 2:
        return title
    if printed:
        key = squash(printed)
        if squash(title) == key:
            return title
        n = len(spans)
        for i in range(n):
            for j in range(n, i, -1):
                if (i, j) == (0, n) or squash(title[spans[i][0]:spans[j - 1][1]]) != key:
                    continue
                kept = len(_words(printed))
                left_out = [title[a:b] for a, b in spans[:i] + spans[j:]]
                if all(len(_words(seg)) < kept for seg in left_out):
                    return title[spans[i][0]:spans[j - 1][1]]
    after_first, before_last = title[spans[1][0]:], title[:spans[-2][1]]
    if _is_framing(title[slice(*spans[0])], after_first, sections, printed):
        return drop_framing(after_first, sections, printed)
    if _is_framing(title[slice(*spans[-1])], before_last, sections, printed):
        return drop_framing(before_last, sections, printed)
    return title


def _is_framing(segment: str, rest: str, sections: set[str], printed: str | None) -> bool:
    return (squash(segment) in sections and len(_words(segment)) < len(_words(rest))
            and not (printed and _contains_words(printed, segment)))


def best_title(candidates: Iterable[str | None], names: Iterable[str], url: str, *,
               sections: set[str] = frozenset(), printed: str | None = None) -> str | None:
    """The first candidate (JSON-LD headline, og:title, <title>, then a fallback) that is
    left with words once the outlet's name and the site's framing are gone."""
    names = list(names)
    for candidate in candidates:
        title = clean_title(candidate, names, url)
        if title:
            title = drop_framing(title, sections, printed)
            # The same words as printed: the page's own capitalisation wins (Antara's
            # metadata is in sentence case, its <h1> in title case).
            if printed and printed != title and printed.casefold() == title.casefold():
                return printed
            return title
    return None
