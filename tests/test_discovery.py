"""Feeds, sitemaps and link discovery, on small documents written here."""

from __future__ import annotations

import gzip
from datetime import date

from crawler.discovery import (
    in_window,
    parse_feed,
    parse_sitemap,
    propose,
    read_source,
    robots_sitemaps,
    unwrap_link,
)
from crawler.links import html_links
from crawler.scope import in_scope

RSS = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>K</title>
<item><title>Satu</title><link>http://www.k.test/a/1</link>
<pubDate>Thu, 06 Jan 2022 08:00:00 +0700</pubDate></item>
<item><title>Dua</title><link>/a/2</link></item></channel></rss>"""

ATOM = b"""<feed xmlns="http://www.w3.org/2005/Atom"><entry><title>A</title>
<link rel="alternate" href="http://www.k.test/atom/1"/><updated>2022-01-07T10:00:00Z</updated>
</entry></feed>"""

NEWS = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
 xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
<url><loc>http://www.k.test/n/1</loc><news:news><news:publication><news:name>K</news:name>
<news:language>id</news:language></news:publication>
<news:publication_date>2022-01-05T14:00:00+07:00</news:publication_date>
<news:title>Judul</news:title></news:news></url></urlset>"""

INDEX = b"""<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<sitemap><loc>http://www.k.test/sitemap-1.xml</loc></sitemap></sitemapindex>"""


def test_rss_items_with_dates_and_relative_links():
    items = parse_feed(RSS, "http://www.k.test/rss")
    assert [i.url for i in items] == ["http://www.k.test/a/1", "http://www.k.test/a/2"]
    assert items[0].published.date() == date(2022, 1, 6)


def test_atom_entries():
    (entry,) = parse_feed(ATOM, "http://www.k.test/atom")
    assert entry.url == "http://www.k.test/atom/1" and entry.title == "A"


def test_broken_feed_yields_nothing():
    assert parse_feed(b"<html>not a feed", "http://www.k.test/") == []
    assert parse_feed(b"", "http://www.k.test/") == []


def test_news_sitemap_and_index_and_gzip():
    news = parse_sitemap(gzip.compress(NEWS), "http://www.k.test/s.xml.gz")
    assert news.kind == "urlset"
    (entry,) = news.entries
    assert entry.source == "news-sitemap" and entry.title == "Judul"
    assert entry.published.isoformat() == "2022-01-05T14:00:00+07:00"
    index = parse_sitemap(INDEX, "http://www.k.test/sitemap.xml")
    assert index.kind == "index" and index.entries[0].url.endswith("sitemap-1.xml")


def test_date_window():
    news = parse_sitemap(NEWS, "http://www.k.test/")
    moment = news.entries[0].published
    assert in_window(moment, date(2022, 1, 1), date(2022, 1, 31))
    assert not in_window(moment, date(2022, 2, 1), None)
    assert in_window(None, date(2022, 2, 1), None)
    gmt_evening = parse_feed(RSS.replace(b"08:00:00 +0700", b"20:00:00 GMT"), "http://k.test/")
    assert in_window(gmt_evening[0].published, date(2022, 1, 7), None)  # 7 Jan 03:00 WIB


def test_robots_sitemap_lines():
    body = b"User-agent: *\nDisallow: /admin/\nSitemap: http://www.k.test/sitemap.xml\n"
    assert robots_sitemaps(body) == ["http://www.k.test/sitemap.xml"]


def test_html_links_resolve_dedupe_and_skip_non_http():
    page = """<a href="/a?x=1&amp;y=2">A</a><A HREF='b#frag'>B</A><a class=x href=c>C</a>
    <a href="javascript:void(0)">J</a><a href="mailto:x@k.test">M</a><a href="/a?x=1&y=2">A2</a>
    <a href="http://[bad">bad</a>"""
    assert html_links(page, "http://www.k.test/dir/page") == [
        "http://www.k.test/a?x=1&y=2", "http://www.k.test/dir/b", "http://www.k.test/dir/c"]


def test_scope_includes_subdomains_only():
    domains = frozenset({"harianlangit.test"})
    assert in_scope("http://regional.harianlangit.test/x", domains)
    assert in_scope("http://harianlangit.test/", domains)
    assert not in_scope("http://evilharianlangit.test/", domains)
    assert not in_scope("http://example.org/", domains)


def test_a_source_is_what_its_root_says_whatever_its_url():
    assert read_source(RSS, "http://www.k.test/sitemap.xml").kind == "feed"
    assert read_source(NEWS, "http://www.k.test/rss").kind == "urlset"
    assert read_source(INDEX, "http://www.k.test/feed").kind == "index"
    assert read_source(b"<html><body>Maaf</body></html>", "http://www.k.test/rss").kind == ""
    assert read_source(b"\x89PNG\r\n\x1a\n\x00", "http://www.k.test/rss").kind == ""


def test_aggregator_links_are_unwrapped_from_their_click_counter():
    feed = (b'<rss><channel><item><title>T</title><link>http://agg.test/klik?id=3&amp;url='
            b'http%3A%2F%2Fwww.k.test%2Fa%2F1</link></item></channel></rss>')
    (entry,) = read_source(feed, "http://agg.test/rss", unwrap="url").entries
    assert entry.url == "http://www.k.test/a/1"
    assert unwrap_link("http://agg.test/klik?url=javascript:x", "url") == \
        "http://agg.test/klik?url=javascript:x"  # not a web address: the link stays


def test_proposals_keep_the_window_by_source_date_and_url_date():
    feed = b"""<rss><channel>
    <item><title>Di jendela</title><link>http://www.k.test/a/1</link>
    <pubDate>Thu, 06 Jan 2022 08:00:00 +0700</pubDate></item>
    <item><title>Terlalu baru</title><link>http://www.k.test/a/2</link>
    <pubDate>Thu, 06 Oct 2022 08:00:00 +0700</pubDate></item>
    <item><title>Tanggal di URL</title><link>http://www.k.test/read/2021/03/02/x</link></item>
    <item><title>Tanpa tanggal</title><link>http://www.k.test/a/4</link></item>
    </channel></rss>"""
    found = propose(read_source(feed, "http://www.k.test/rss"), date(2022, 1, 1),
                    date(2022, 2, 15), score=lambda c: len(c.title) / 100)
    assert found.listed == 4 and found.out_of_window == 2
    assert found.entries == (("http://www.k.test/a/1", 0.1, False),
                             ("http://www.k.test/a/4", 0.13, False))
    index = propose(read_source(INDEX, "http://www.k.test/"), date(2030, 1, 1), None)
    assert index.entries == (("http://www.k.test/sitemap-1.xml", None, False),)  # always read


def test_a_story_edited_after_the_window_may_have_been_published_in_it():
    sitemap = b"""<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
    <url><loc>http://www.k.test/a/1</loc><lastmod>2022-03-20T10:00:00+07:00</lastmod></url>
    <url><loc>http://www.k.test/a/2</loc><lastmod>2021-11-02T10:00:00+07:00</lastmod></url>
    </urlset>"""
    found = propose(read_source(sitemap, "http://www.k.test/s.xml"), date(2022, 1, 1),
                    date(2022, 2, 15))
    assert found.entries == (("http://www.k.test/a/1", None, True),)  # late: fetched last
    assert found.out_of_window == 1


def test_a_gzip_bomb_posing_as_a_sitemap_is_inflated_no_further_than_the_cap():
    import resource
    import zlib

    from crawler.discovery import MAX_XML_BYTES, parse_sitemap

    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    head = (b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            b"<url><loc>http://a.test/berita/1</loc></url>")
    start = packer.compress(head) + packer.flush(zlib.Z_FULL_FLUSH)
    # A fully flushed block stands alone, so repeating it inflates to 1 MB each time.
    block = packer.compress(b" " * (1 << 20)) + packer.flush(zlib.Z_FULL_FLUSH)
    body = start + block * 2048 + packer.flush()  # 2 GB inflated, 2 MB sent
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    sitemap = parse_sitemap(body, "http://a.test/sitemap.xml.gz")
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before  # KiB
    assert grown * 1024 < 4 * MAX_XML_BYTES
    # What inflated within the cap is read: the entry before the padding stands.
    assert sitemap is not None and [e.url for e in sitemap.entries] == ["http://a.test/berita/1"]


LARGE_SITEMAP = """
import resource
from crawler.discovery import read_source
entry = ('<url><loc>https://k.test/berita/2022/01/{i:06d}/kabar-harga-gas-dan-protes-{i}</loc>'
         '<lastmod>2022-01-06T10:00:00+07:00</lastmod><news:news><news:publication>'
         '<news:name>K</news:name><news:language>id</news:language></news:publication>'
         '<news:publication_date>2022-01-06T10:00:00+07:00</news:publication_date>'
         '<news:title>Kabar nomor {i} tentang harga gas</news:title></news:news></url>')
body = ('<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">'
        + ''.join(entry.format(i=i) for i in range(50000)) + '</urlset>').encode()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
doc = read_source(body, 'https://k.test/sitemap.xml')
grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
print(len(doc.entries), doc.entries[-1].title, len(body) >> 20, grown >> 10)
"""


def test_a_sitemap_of_50000_urls_costs_its_entries_not_its_tree():
    # The protocol's largest sitemap, read entry by entry: as a tree, this one (19 MB)
    # took 85 MB on top of its body; its 50,000 entries take ~30 MB.
    import subprocess
    import sys

    from tests.conftest import REPO

    result = subprocess.run([sys.executable, "-c", LARGE_SITEMAP], cwd=REPO, check=True,
                            capture_output=True, text=True)
    count, rest = result.stdout.split(" ", 1)
    *title, body_mb, grown_mb = rest.split()
    assert int(count) == 50000 and " ".join(title) == "Kabar nomor 49999 tentang harga gas"
    assert int(grown_mb) < 2 * int(body_mb), result.stdout
