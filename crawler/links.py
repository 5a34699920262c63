"""Fast link discovery on the crawl's event loop.

The spider needs only the href values of a page to schedule the next requests, so a
compiled regex over the decoded HTML does it in a fraction of a full parse; extraction,
which needs the tree, runs later in worker processes.
"""

from __future__ import annotations

import html
import re
from urllib.parse import urldefrag, urljoin, urlsplit

_HREF = re.compile(r"""<a\s[^>]*?\bhref\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>"']+))""", re.I | re.S)
_BASE = re.compile(r"""<base\s[^>]*?\bhref\s*=\s*["']?([^"'\s>]+)""", re.I)
_NEEDS_URLJOIN = ("/.", "\\", " ", "[", "\t", "\n")  # dot segments, odd characters
_SKIP = ("javascript:", "mailto:", "tel:", "data:", "#", "whatsapp:", "fb:")


def html_links(text: str, base_url: str) -> list[str]:
    """Distinct absolute http(s) URLs of a page's <a href>, fragment removed, page order."""
    base_match = _BASE.search(text, 0, 20_000)
    base = urljoin(base_url, base_match.group(1)) if base_match else base_url
    parts = urlsplit(base)
    origin = f"{parts.scheme}://{parts.netloc}"
    seen: dict[str, None] = {}
    for match in _HREF.finditer(text):
        href = (match.group(1) or match.group(2) or match.group(3) or "").strip()
        if not href or href.lower().startswith(_SKIP):
            continue
        if "&" in href:
            href = html.unescape(href)
        url = _resolve(href, base, origin)
        if url is not None:
            seen.setdefault(url, None)
    return list(seen)


def _resolve(href: str, base: str, origin: str) -> str | None:
    # Fast paths for the two forms that make up nearly all news links; urljoin otherwise.
    if "#" in href:
        href = href.partition("#")[0]
    if not any(c in href for c in _NEEDS_URLJOIN):
        if href.startswith(("http://", "https://")):
            return href if "/" in href[8:] else href + "/"
        if href.startswith("/") and not href.startswith("//"):
            return origin + href
    try:
        url = urldefrag(urljoin(base, href))[0]
    except ValueError:
        return None  # malformed URL (bad IPv6 literal, ...): skip, never fail the page
    return url if url.startswith(("http://", "https://")) else None
