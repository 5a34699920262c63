"""Machine-readable discovery files: RSS 2.0 feed, sitemaps and robots.txt."""

from __future__ import annotations

from datetime import timedelta, timezone
from email.utils import format_datetime
from html import escape

from .model import OutletSite
from .outlets import section_label

WIB = timezone(timedelta(hours=7))
FEED_ITEMS = 30
NEWS_SITEMAP_ITEMS = 1000  # Google News sitemaps hold at most 1,000 URLs


def _x(text: str) -> str:
    return escape(text, quote=False)


def rss(site: OutletSite) -> bytes:
    o = site.outlet
    items = []
    for e in site.listed[:FEED_ITEMS]:
        a = e.art
        categories = "".join(f"<category>{_x(t)}</category>" for t in a.tags)
        items.append(
            f"<item><title>{_x(a.title)}</title><link>{_x(e.url)}</link>"
            f'<guid isPermaLink="true">{_x(e.url)}</guid>'
            # Feeds state times in WIB, whatever zone the article was written in.
            f"<pubDate>{format_datetime(a.published.astimezone(WIB))}</pubDate>"
            f"<description>{_x(a.summary)}</description>"
            f"<dc:creator>{_x(a.author or o.name)}</dc:creator>"
            f"<category>{_x(section_label(a.section))}</category>{categories}</item>")
    built = site.entries[0].art.published.astimezone(WIB) if site.entries else None
    last_build = f"<lastBuildDate>{format_datetime(built)}</lastBuildDate>" if built else ""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/">\n<channel>'
        f"<title>{_x(o.name)}</title><link>{o.home_url}</link>"
        f"<description>Berita terkini dari {_x(o.name)}</description>"
        f"<language>id</language>{last_build}"
        f'<atom:link href="http://{o.host}{o.feed_path}" rel="self" type="application/rss+xml"/>'
        f"<image><url>http://{o.host}/assets/logo.jpg</url><title>{_x(o.name)}</title>"
        f"<link>{o.home_url}</link></image>\n" + "\n".join(items) + "\n</channel>\n</rss>\n"
    ).encode("utf-8")


def sitemap_index(site: OutletSite) -> bytes:
    o = site.outlet
    newest = site.entries[0].art if site.entries else None
    lastmod = f"<lastmod>{(newest.updated or newest.published).isoformat()}</lastmod>" if newest \
        else ""
    parts = "".join(f"<sitemap><loc>http://{o.host}/{name}</loc>{lastmod}</sitemap>"
                    for name in ("sitemap-articles.xml", "sitemap-news.xml"))
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"{parts}</sitemapindex>\n").encode()


def sitemap_articles(site: OutletSite) -> bytes:
    rows = "\n".join(
        f"<url><loc>{_x(e.url)}</loc>"
        f"<lastmod>{(e.art.updated or e.art.published).isoformat()}</lastmod></url>"
        for e in site.mapped)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
            f"{rows}\n</urlset>\n").encode()


def sitemap_news(site: OutletSite) -> bytes:
    o = site.outlet
    rows = "\n".join(
        f"<url><loc>{_x(e.url)}</loc><news:news><news:publication>"
        f"<news:name>{_x(o.name)}</news:name><news:language>{_x(e.art.language)}</news:language>"
        f"</news:publication><news:publication_date>{e.art.published.isoformat()}"
        f"</news:publication_date><news:title>{_x(e.art.title)}</news:title>"
        f"<news:keywords>{_x(', '.join(e.art.tags))}</news:keywords></news:news></url>"
        for e in site.mapped[:NEWS_SITEMAP_ITEMS])
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
            'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">\n'
            f"{rows}\n</urlset>\n").encode()


def robots(site: OutletSite, host: str) -> bytes:
    # Regional subdomains point at the main host's sitemaps (allowed by cross-host submission).
    o = site.outlet
    return (
        f"# robots.txt for {host} ({o.name})\n"
        "User-agent: *\n"
        "Disallow: /admin/\n"
        + ("Disallow: /cari\n" if o.search_disallowed else "")
        + "Allow: /\n\n"
        f"Sitemap: http://{o.host}/sitemap.xml\n"
        f"Sitemap: http://{o.host}/sitemap-news.xml\n"
    ).encode()
