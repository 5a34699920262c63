"""Article URL identity: canonical URLs, tracking parameters, AMP and mobile variants.

One story reaches a crawler under many URLs: with `utm_*`/`fbclid` tails from social shares,
as an AMP page (`amp.` host, `/amp` path, `?amp=1`), on a mobile host (`m.`), with a
fragment. `canonical_url` is what the article row records; `url_key` is the looser identity
the crawl uses to fetch a story once.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import SplitResult, parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

_TRACKING = re.compile(
    r"^(utm_\w+|fbclid|gclid|dclid|gbraid|wbraid|msclkid|yclid|igshid|mc_cid|mc_eid|_ga|_gl"
    r"|ref|ref_src|ref_url|referrer|s_cid|cmpid"
    r"|_hsenc|_hsmi|spm|tt_medium|tt_content|amp_js_v|usqp|ga_source|ga_medium|ga_campaign)$",
    re.I,
)
# A host name once IDNA-encoded: dot-separated labels (underscores occur in real DNS names).
_HOST_NAME = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]{0,61}"
                        r"[a-z0-9_])?)*\.?")
_AMP_PATH = re.compile(r"/amp(?=/|$)|\.amp(?=$|\.html?$)", re.I)
_AMP_PARAMS = {"amp", "amp_js_v", "usqp", "outputtype", "_amp"}


def strip_tracking(url: str) -> str:
    """The URL without tracking parameters and fragment; everything else untouched."""
    parts = urlsplit(url)
    if parts.query:
        kept = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
                if not _TRACKING.match(k)]
        query = urlencode(kept)
    else:
        query = ""
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))


def canonical_url(page_url: str, declared: str | None = None) -> str:
    """The article's own URL: its rel=canonical/og:url when declared, else the page URL,
    resolved and cleaned of tracking parameters and fragment.

    Without a declaration the host is kept: guessing the desktop host of an `m.` page
    would invent URLs the outlet never served.
    """
    url = page_url
    if declared and declared.strip():
        try:
            candidate = urljoin(page_url, declared.strip())
            split_http(candidate)  # the one URL rule: a broken declaration costs only itself
            return strip_tracking(candidate)
        except ValueError:  # NotRequestable is one; "http://[bad" fails in urljoin
            pass
    return strip_tracking(url)


def url_key(url: str) -> str:
    """A crawl-side identity that folds AMP, mobile and www variants of one story together.

    Only for deciding "seen already": never shown as a URL (it drops the scheme). The crawl
    calls it for every link, so a plain URL without a query takes a string-only path.
    """
    if "?" not in url and "#" not in url and "@" not in url and "/amp" not in url.lower():
        rest = url.partition("://")[2]
        host, slash, path = rest.partition("/")
        host = host.lower().rsplit(":80", 1)[0] if host.endswith(":80") else host.lower()
        for prefix in ("www.", "amp.", "m.", "mobile."):
            if host.startswith(prefix) and host.count(".") > 1:
                host = host[len(prefix):]
                break
        path = (slash + path).rstrip("/") or "/"
        return host + path
    parts = urlsplit(strip_tracking(url))
    host = (parts.hostname or "").lower()
    for prefix in ("www.", "amp.", "m.", "mobile."):
        if host.startswith(prefix) and host.count(".") > 1:
            host = host[len(prefix):]
            break
    if parts.port not in (None, 80, 443):
        host = f"{host}:{parts.port}"
    path = _AMP_PATH.sub("", parts.path) or "/"
    if path != "/" and path.endswith("/"):
        path = path[:-1]
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
                       if k.lower() not in _AMP_PARAMS])
    return host + path + (f"?{query}" if query else "")


def host_problem(host: str) -> str | None:
    """Why `host` is not a host name or IP address a request can go to; None when it is."""
    if not host:
        return "no host"
    try:
        ipaddress.ip_address(host)
        return None
    except ValueError:
        pass
    try:
        ascii_host = host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        return f"{host!r} is not a valid host name"
    if len(ascii_host) > 253 or not _HOST_NAME.fullmatch(ascii_host):
        return f"{host!r} is not a valid host name"
    return None


HTTP_SCHEMES = ("http", "https")
_PORT = "the port must be a whole number from 1 to 65535"


class NotRequestable(ValueError):
    """A URL no HTTP request can be made for: `code` for the crawl's records (`scheme` or
    `bad-url`), the message in a user's words."""

    def __init__(self, code: str, words: str) -> None:
        self.code = code
        super().__init__(words)


def split_http(url: str) -> SplitResult:
    """`url` split, when it is an absolute http(s) URL with a host and a port from 1 to
    65535; NotRequestable otherwise. The one rule both the config check (`url_problem`)
    and the crawl's scope (crawler/scope.py) apply."""
    try:
        parts = urlsplit(url)
        port = parts.port  # parses the port and checks IPv6 brackets
    except ValueError as exc:  # "Invalid IPv6 URL", "Port out of range 0-65535", ...
        words = _PORT if "port" in str(exc).lower() else "a malformed IPv6 address or URL"
        raise NotRequestable("bad-url", words) from None
    if parts.scheme.lower() not in HTTP_SCHEMES:
        raise NotRequestable("scheme", "only http and https URLs can be crawled")
    if port == 0:
        raise NotRequestable("bad-url", _PORT)
    if not parts.hostname:
        raise NotRequestable("bad-url", "no host")
    return parts


def url_problem(url: str) -> str | None:
    """Why `url` is not an absolute http(s) URL with a valid host and port, in a few
    words; None when it is one."""
    if any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in url):
        return "it holds a space or control character"
    try:
        parts = split_http(url)
    except NotRequestable as exc:
        return str(exc)
    return host_problem(parts.hostname or "")
