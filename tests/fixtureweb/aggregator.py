"""A news aggregator of the topic web: a full-text news search across every outlet that
answers in RSS, like the news-RSS searches and the GDELT DOC API do.

    http://www.beritaindeks.test/rss/cari?q=kazakhstan&dari=2022-01-01&sampai=2022-02-15

Its links go through a click counter (/klik?url=...), as aggregators' links do; the counter
redirects to the story. It knows every outlet, including ones a crawl leaves out of scope.
"""

from __future__ import annotations

from datetime import date
from email.utils import format_datetime
from html import escape
from urllib.parse import parse_qs, quote

from .feeds import WIB
from .model import Entry, OutletSite
from .response import Response

HOST = "www.beritaindeks.test"
NAME = "Berita Indeks"
MAX_ITEMS = 50
RSS = "application/rss+xml; charset=utf-8"


class Aggregator:
    def __init__(self, sites: list[OutletSite]) -> None:
        self.entries = sorted((e for s in sites for e in s.searchable),
                              key=lambda e: e.art.published, reverse=True)

    def respond(self, path: str, query: str) -> Response | None:
        args = {k: v[-1] for k, v in parse_qs(query).items()}
        if path == "/robots.txt":
            return Response(200, "text/plain; charset=utf-8",
                            b"User-agent: *\nDisallow: /klik\nAllow: /\n")
        if path == "/rss/cari":
            return Response(200, RSS, self.search(args.get("q", ""), args.get("dari"),
                                                  args.get("sampai")))
        if path == "/klik" and args.get("url", "").startswith("http://"):
            return Response(302, "text/plain; charset=utf-8", b"",
                            headers=(("Location", args["url"]),))
        return None

    def search(self, query: str, after: str | None, before: str | None) -> bytes:
        words = query.lower().split()
        first, last = _day(after), _day(before)
        hits = [e for e in self.entries if words and all(w in e.search_text for w in words)
                and (first is None or e.art.published.date() >= first)
                and (last is None or e.art.published.date() <= last)][:MAX_ITEMS]
        items = "\n".join(_item(e) for e in hits)
        return ('<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0">\n<channel>'
                f"<title>{NAME}: {_x(query)}</title><link>http://{HOST}/</link>"
                f"<description>Hasil pencarian berita</description>\n{items}\n"
                "</channel>\n</rss>\n").encode()


def _item(e: Entry) -> str:
    link = f"http://{HOST}/klik?url={quote(e.url, safe='')}"
    return (f"<item><title>{_x(e.art.title)}</title><link>{_x(link)}</link>"
            f"<pubDate>{format_datetime(e.art.published.astimezone(WIB))}</pubDate>"
            f"<source url=\"http://{e.outlet.host}/\">{_x(e.outlet.name)}</source></item>")


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _x(text: str) -> str:
    return escape(text, quote=False)


def profile() -> str:
    """Its profile (crawler/sites format), for crawl configs of the topic web."""
    return "\n".join([
        f"# {NAME}: fictional news aggregator of the Liputan fixture web.",
        'key = "beritaindeks"', f'name = "{NAME}"', 'kind = "aggregator"',
        'domains = ["beritaindeks.test"]',
        f'search = "http://{HOST}/rss/cari?q={{query}}&dari={{after}}&sampai={{before}}"',
        'date_format = "%Y-%m-%d"', 'link_param = "url"', "",
    ])
