"""Whether a page declares itself an article: its schema.org type (JSON-LD) or its og:type.

One list for the two readers: the extractor, which reads the page's JSON-LD and meta tags
(pipelines/extract.py), and the spider, which decides on the raw HTML, before any parse,
whether a page's pagination links are pages of one story (`looks_like_article`).
"""

from __future__ import annotations

import re

# schema.org's Article and the subtypes news sites use (lower-cased, as compared).
ARTICLE_TYPES = frozenset({
    "newsarticle", "article", "reportagenewsarticle", "analysisnewsarticle", "blogposting",
    "opinionnewsarticle", "backgroundnewsarticle", "reviewnewsarticle",
})
_TYPES = "|".join(sorted(ARTICLE_TYPES, key=len, reverse=True))
# og:type before or after its content attribute; "@type" as a string or inside a list.
_ARTICLE_MARK = re.compile(
    r"""og:type["']\s+content\s*=\s*["']article["']"""
    r"""|content\s*=\s*["']article["']\s+(?:property|name)\s*=\s*["']og:type"""
    rf"""|"@type"\s*:\s*(?:\[\s*(?:"[^"]*"\s*,\s*)*)?"(?:{_TYPES})\"""", re.I)
# Where a page's head and its JSON-LD sit: the mark is looked for no further.
MARK_WITHIN = 300_000


def looks_like_article(html: str) -> bool:
    """Whether a page declares itself an article (og:type, JSON-LD @type) in its raw HTML:
    listings paginate too, but their pages are separate pages, not parts of one story."""
    return _ARTICLE_MARK.search(html, 0, MARK_WITHIN) is not None
