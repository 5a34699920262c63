"""The fixture web answers like a proxy in front of real news portals: dispatch by host, each
outlet's pages and discovery files, and every special behaviour the archival tests rely on."""

from __future__ import annotations

import gzip
import html
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from functools import cache
from pathlib import Path

import pytest

from tests.fixtureweb import FixtureWeb

REPO = Path(__file__).resolve().parents[1]
# Points the tests at another corpus while developing (default: tests/fixtureweb/corpus).
CORPUS = os.environ.get("FIXTUREWEB_CORPUS_DIR")
SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
NEWS = "{http://www.google.com/schemas/sitemap-news/0.9}"


@pytest.fixture(scope="module")
def web():
    with FixtureWeb(corpus_dir=CORPUS) as served:
        yield served


class Fetched:
    def __init__(self, status: int, headers: http.client.HTTPMessage, body: bytes) -> None:
        self.status, self.headers, self.body = status, headers, body

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")


def fetch(web: FixtureWeb, url: str, headers: dict | None = None, method: str = "GET",
          origin_form: bool = False) -> Fetched:
    """One request through the proxy; the body is returned as sent (still gzip if it was)."""
    conn = http.client.HTTPConnection("127.0.0.1", web.port, timeout=10)
    try:
        if origin_form:
            host, _, path = url.split("://", 1)[1].partition("/")
            conn.request(method, "/" + path, headers={"Host": host, **(headers or {})})
        else:
            conn.request(method, url, headers=headers or {})
        resp = conn.getresponse()
        return Fetched(resp.status, resp.headers, resp.read())
    finally:
        conn.close()


@pytest.fixture(scope="module")
def page(web):
    """Cached GET of a URL's decoded text: article pages are read by several tests."""

    @cache
    def get(url: str) -> str:
        got = fetch(web, url)
        assert got.status == 200, url
        return got.text

    return get


def links(text: str) -> list[str]:
    return [html.unescape(h) for h in re.findall(r'<a\s[^>]*?href="([^"]*)"', text)]


def absolute(host: str, href: str) -> str:
    return href if href.startswith("http") else f"http://{host}{href}"


def json_ld(text: str) -> list[dict]:
    return [json.loads(block) for block in
            re.findall(r'<script type="application/ld\+json">(.*?)</script>', text, re.S)]


# --- dispatch --------------------------------------------------------------------------------

def test_absolute_uri_and_host_header_reach_the_same_page(web):
    url = web.start_urls[0]
    proxied, direct = fetch(web, url), fetch(web, url, origin_form=True)
    assert proxied.status == direct.status == 200
    assert proxied.body == direct.body
    log = web.requests[-2:]
    assert [r.proxy_form for r in log] == [True, False]
    assert {(r.method, r.host, r.target) for r in log} == {("GET", url.split("/")[2], "/")}


def test_unknown_host_gets_502_and_connect_gets_405(web):
    got = fetch(web, "http://www.example.com/")
    assert got.status == 502 and got.headers["Content-Type"].startswith("text/plain")
    assert b"nothing is forwarded" in got.body
    conn = http.client.HTTPConnection("127.0.0.1", web.port, timeout=5)
    conn.request("CONNECT", "www.kabarnusantara.test:443")
    assert conn.getresponse().status == 405
    conn.close()


def test_every_response_has_date_server_type_and_keeps_the_connection(web):
    conn = http.client.HTTPConnection("127.0.0.1", web.port, timeout=5)
    for url in (web.start_urls[0], web.feeds[0], web.sitemaps[0]):
        conn.request("GET", url)
        resp = conn.getresponse()
        resp.read()
        assert resp.status == 200 and not resp.will_close
        assert resp.headers["Server"] == "fixtureweb" and resp.headers["Date"]
        assert resp.headers["Content-Type"]
    conn.request("HEAD", web.start_urls[0])
    head = conn.getresponse()
    assert head.read() == b"" and int(head.headers["Content-Length"]) > 30_000
    conn.close()


def test_request_log_records_method_host_target_and_headers(web):
    web.clear_requests()
    fetch(web, web.feeds[1] + "?utm=x", headers={"User-Agent": "probe/1"})
    (entry,) = web.requests
    assert (entry.method, entry.host) == ("GET", web.feeds[1].split("/")[2])
    assert entry.target == "/" + web.feeds[1].split("/", 3)[3] + "?utm=x"
    assert entry.headers["user-agent"] == "probe/1" and entry.url.endswith("?utm=x")


# --- outlets ---------------------------------------------------------------------------------

def test_each_homepage_links_every_section_and_recent_articles(web, page):
    for site in web.site.sites:
        text = page(site.outlet.home_url)
        hrefs = {absolute(site.outlet.host, h) for h in links(text)}
        assert {site.outlet.section_url(sec) for sec in site.sections} <= hrefs
        assert site.entries[0].url in hrefs


def test_section_pages_list_newest_first_twenty_per_page(web, page):
    for site in web.site.sites:
        sec = max(site.sections, key=lambda s: len(site.by_section[s]))
        url = site.outlet.section_url(sec)
        host = url.split("/")[2]
        listed = [absolute(host, h) for h in links(page(url))]
        expected = [e.url for e in site.by_section[sec][:20]]
        in_order = [u for u in dict.fromkeys(listed) if u in set(expected)]
        assert in_order[: len(expected)] == expected
        pages = -(-len(site.by_section[sec]) // 20)
        assert fetch(web, f"{url}?page={pages + 1}").status == 404


def test_tag_pages_list_their_articles(web):
    site = web.site.sites[0]
    slug, (label, entries) = next(iter(site.tags.items()))
    got = fetch(web, f"http://{site.outlet.host}/tag/{slug}")
    assert got.status == 200 and html.escape(label) in got.text
    assert entries[0].path in got.text


def test_feeds_are_rss2_with_wib_dates(web):
    for site, feed in zip(web.site.sites, web.feeds, strict=True):
        got = fetch(web, feed)
        assert got.status == 200 and "xml" in got.headers["Content-Type"]
        channel = ET.fromstring(got.body).find("channel")
        items = channel.findall("item")
        assert len(items) >= min(15, len(site.entries))
        urls = {e.url for e in site.entries}
        for item in items:
            assert item.findtext("link") in urls and item.findtext("title")
            assert item.findtext("description") is not None and item.findtext("guid")
            assert re.fullmatch(r"\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d \+0700",
                                item.findtext("pubDate"))


def test_sitemap_index_points_at_article_and_news_sitemaps(web):
    for site, index_url in zip(web.site.sites, web.sitemaps, strict=True):
        index = ET.fromstring(fetch(web, index_url).body)
        assert index.tag == f"{SM}sitemapindex"
        locs = [e.text for e in index.iter(f"{SM}loc")]
        assert [u.rsplit("/", 1)[1] for u in locs] == ["sitemap-articles.xml", "sitemap-news.xml"]
        articles = ET.fromstring(fetch(web, locs[0]).body)
        assert {u.findtext(f"{SM}loc") for u in articles} == {e.url for e in site.entries}
        assert all(u.findtext(f"{SM}lastmod") for u in articles)
        news = ET.fromstring(fetch(web, locs[1]).body)
        first = news.find(f"{SM}url/{NEWS}news")
        assert first.findtext(f"{NEWS}publication/{NEWS}name") == site.outlet.name
        assert first.findtext(f"{NEWS}publication/{NEWS}language") in ("id", "en")
        assert first.findtext(f"{NEWS}publication_date") == site.entries[0].art.published \
            .isoformat()
        assert first.findtext(f"{NEWS}title") == site.entries[0].art.title


def test_robots_txt_disallows_admin_and_search_on_every_host(web):
    for host in web.hosts:
        got = fetch(web, f"http://{host}/robots.txt")
        lines = got.text.splitlines()
        assert got.status == 200 and "User-agent: *" in lines
        assert {"Disallow: /admin/", "Disallow: /cari"} <= set(lines)
        assert any(line.startswith("Sitemap: http://") for line in lines)


# --- article pages ---------------------------------------------------------------------------

def test_article_pages_hold_every_paragraph_verbatim(web, page):
    for art in web.articles:
        text = page(art.url if art.pages == 1 else f"{art.url}?page=all")
        # In-body links (corpus `links`) are markup around words of the paragraph.
        plain = html.unescape(re.sub(r"<a href=\"[^\"]*\">|</a>", "", text))
        for paragraph in art.paragraphs:
            assert paragraph in plain, (art.url, paragraph[:60])
        assert f"<title>{html.escape(art.title)}" in text
        assert f'<html lang="{art.language}">' in text and '<meta charset="utf-8">' in text


def test_article_metadata_and_json_ld(web, page):
    for art in web.articles:
        text = page(art.url)
        assert f'<link rel="canonical" href="{html.escape(art.url)}">' in text
        og_title = html.escape(f"{art.title} - {art.site_name}")
        assert f'<meta property="og:title" content="{og_title}">' in text
        assert f'<meta property="article:published_time" content="{art.published}">' in text
        news, crumbs = json_ld(text)
        assert news["@type"] == "NewsArticle" and news["headline"] == art.title
        assert news["datePublished"] == art.published
        assert news["publisher"]["name"] == art.site_name and news["publisher"]["logo"]["url"]
        assert news["mainEntityOfPage"]["@id"] == art.url
        assert crumbs["@type"] == "BreadcrumbList"


def test_article_pages_answer_conditional_requests_with_304_while_unchanged(web):
    url = web.specials["multi_page"]
    for page_url in (url, f"{url}?page=2"):
        full = fetch(web, page_url)
        etag, modified = full.headers["ETag"], full.headers["Last-Modified"]
        assert etag.startswith('W/"') and modified.endswith(" GMT")
        for conditional in ({"If-None-Match": etag}, {"If-Modified-Since": modified},
                            {"If-None-Match": etag, "If-Modified-Since": "x"}):
            got = fetch(web, page_url, headers=conditional)
            assert got.status == 304 and got.body == b"", conditional
            assert got.headers["ETag"] == etag and "Content-Length" not in got.headers
        assert fetch(web, page_url, headers={"If-None-Match": 'W/"other"',
                                             "If-Modified-Since": modified}).status == 200
    assert fetch(web, f"{url}?page=3", headers={"If-None-Match": etag}).status == 200


def test_an_edited_article_gets_new_text_etag_and_last_modified():
    with FixtureWeb() as web:
        art = next(a for a in web.articles if a.pages == 1)
        before = fetch(web, art.url)
        edited = web.edit(art.url, "Pembaruan: judul laporan diralat.")
        assert edited.paragraphs[-1] == "Pembaruan: judul laporan diralat."
        assert next(a for a in web.articles if a.url == art.url) == edited
        got = fetch(web, art.url, headers={"If-None-Match": before.headers["ETag"],
                                           "If-Modified-Since": before.headers["Last-Modified"]})
        assert got.status == 200 and "Pembaruan: judul laporan diralat." in got.text
        assert got.headers["ETag"] != before.headers["ETag"]
        assert got.headers["Last-Modified"] != before.headers["Last-Modified"]
        assert fetch(web, art.url, headers={"If-None-Match": got.headers["ETag"]}).status == 304


def test_article_pages_weigh_like_real_portals_and_link_their_outlet(web, page):
    by_url = {a.url: a for a in web.articles}
    for art in web.articles[:: max(1, len(web.articles) // 12)]:
        text = page(art.url)
        hrefs = [absolute(art.host, h) for h in links(text)]
        assert 30_000 <= len(text.encode()) <= 70_000
        assert 55 <= len(hrefs) <= 110
        siblings = {h for h in hrefs if h in by_url and h != art.url}
        assert len(siblings) >= 5 and all(by_url[h].outlet == art.outlet for h in siblings)
        assert web.specials["disallowed"].split("/", 3)[3] in text  # the /admin/ trap link


def test_markup_differs_per_outlet_style(web, page):
    markers = {"kabarnusantara": ('class="detail__body-text itp_bodycontent"', "Baca juga: <a",
                                  "SCROLL TO CONTINUE WITH CONTENT"),
               "harianlangit": ('class="read__content"', "<strong>Baca juga: <a", "Penulis: "),
               "serojapos": ('<div class="baca-juga"><h3>Baca Juga</h3>', 'class="tags">Tags:',
                             "Bagikan")}
    for art in web.articles:
        if art.outlet in markers and art.pages == 1 and len(art.paragraphs) >= 3:
            text = page(art.url)
            assert all(m in text for m in markers.pop(art.outlet)), art.url
    assert not markers


# --- specials --------------------------------------------------------------------------------

def test_gzip_bytes_are_sent_with_their_length(web):
    for url in (web.start_urls[1], web.feeds[0], web.sitemaps[0], web.articles[0].url,
                web.start_urls[0].rstrip("/") + "/robots.txt"):
        plain = fetch(web, url)
        packed = fetch(web, url, headers={"Accept-Encoding": "gzip, deflate"})
        assert packed.headers["Content-Encoding"] == "gzip"
        assert "Accept-Encoding" in packed.headers["Vary"]
        if packed.headers["Transfer-Encoding"] != "chunked":
            assert int(packed.headers["Content-Length"]) == len(packed.body)
        assert gzip.decompress(packed.body) == plain.body


def test_chunked_homepage_is_framed_in_chunks(web):
    host = web.specials["chunked"].split("/")[2]
    with socket.create_connection(("127.0.0.1", web.port), timeout=5) as sock:
        sock.sendall(f"GET {web.specials['chunked']} HTTP/1.1\r\nHost: {host}\r\n"
                     f"Connection: close\r\n\r\n".encode())
        raw = b""
        while chunk := sock.recv(65536):
            raw += chunk
    head, _, rest = raw.partition(b"\r\n\r\n")
    assert b"Transfer-Encoding: chunked" in head and b"Content-Length" not in head
    body = b""
    while True:
        size_line, _, rest = rest.partition(b"\r\n")
        size = int(size_line, 16)
        if size == 0:
            break
        body, rest = body + rest[:size], rest[size + 2:]
    assert body == fetch(web, web.specials["chunked"]).body


def test_homepages_send_two_set_cookie_lines(web):
    for url in web.start_urls:
        cookies = fetch(web, url).headers.get_all("Set-Cookie")
        assert len(cookies) == 2 and len({c.split("=")[0] for c in cookies}) == 2
    assert web.specials["set_cookie"] in web.start_urls


def test_old_url_redirects_permanently_and_is_linked(web, page):
    got = fetch(web, web.specials["redirect"])
    assert got.status == 301 and got.headers["Location"] == web.specials["redirect_target"]
    assert web.specials["redirect"] in page(web.start_urls[0])


def test_dead_link_answers_404_with_an_html_page(web, page):
    got = fetch(web, web.specials["not_found"])
    assert got.status == 404 and got.headers["Content-Type"].startswith("text/html")
    assert "<html" in got.text and web.specials["not_found"] in page(web.start_urls[0])


def test_pdf_and_two_identical_jpegs_are_linked_from_an_article(web, page):
    pdf = fetch(web, web.specials["pdf"])
    assert pdf.headers["Content-Type"] == "application/pdf"
    assert pdf.body.startswith(b"%PDF-1.") and pdf.body.rstrip().endswith(b"%%EOF")
    assert 500 < len(pdf.body) < 4000
    one, two = fetch(web, web.specials["jpeg"]), fetch(web, web.specials["jpeg_copy"])
    assert one.headers["Content-Type"] == two.headers["Content-Type"] == "image/jpeg"
    assert one.body == two.body and one.body[:2] == b"\xff\xd8" and one.body[-2:] == b"\xff\xd9"
    assert "Content-Encoding" not in one.headers
    hosting = [a for a in web.articles if a.topic == "kazakhstan-2022" or a.outlet ==
               web.articles[0].outlet]
    pages_linking = [a for a in hosting if web.specials["pdf"] in page(a.url)]
    assert pages_linking, "no article links the PDF"
    text = page(pages_linking[0].url)
    assert web.specials["jpeg"] in text and web.specials["jpeg_copy"] in text


def test_wrong_charset_header_lies_but_body_is_utf8(web):
    got = fetch(web, web.specials["wrong_charset"])
    assert got.headers["Content-Type"] == "text/html; charset=iso-8859-1"
    text = got.body.decode("utf-8")
    assert '<meta charset="utf-8">' in text
    art = next(a for a in web.articles if a.url == web.specials["wrong_charset"])
    assert all(p in html.unescape(text) for p in art.paragraphs)


def test_english_article_is_under_english_with_lang_en(web, page):
    url = web.specials["english"]
    assert "/english/" in url and '<html lang="en">' in page(url)


@pytest.mark.parametrize("special", ["multi_page", "multi_page_all"])
def test_multi_page_article_pages_and_all(web, page, special):
    url = web.specials[special]
    art = next(a for a in web.articles if a.url == url)
    assert art.pages == 3
    seen: list[str] = []
    for n in (1, 2, 3):
        text = page(url if n == 1 else f"{url}?page={n}")
        assert f'<link rel="canonical" href="{html.escape(url)}">' in text
        assert ('<link rel="next"' in text) == (n < 3)
        seen += [p for p in art.paragraphs if html.escape(p) in text]
    assert sorted(seen) == sorted(art.paragraphs)  # each paragraph on exactly one page
    whole = page(f"{url}?page=all")
    assert all(html.escape(p) in whole for p in art.paragraphs)
    assert "Selanjutnya" in page(url)
    assert (f"{url.split('/', 3)[3]}?page=all" in page(url)) == (special == "multi_page_all")
    assert fetch(web, f"{url}?page=4").status == 404


def test_harianlangit_titles_show_all_pages(web, page):
    arts = [a for a in web.articles if a.outlet == "harianlangit" and a.pages > 1]
    for art in arts:
        assert f"<title>{html.escape(art.title)} Halaman all - Harian Langit</title>" in page(
            f"{art.url}?page=all")
        assert f"<title>{html.escape(art.title)} - Harian Langit</title>" in page(art.url)


def test_disallowed_link_is_on_pages_and_in_robots(web, page):
    url = web.specials["disallowed"]
    host, path = url.split("/")[2], "/" + url.split("/", 3)[3]
    assert path.startswith("/admin/") and path in page(f"http://{host}/")
    assert "/cari?q=" in page(f"http://{host}/")


def test_latency_is_per_request_not_serialised():
    with FixtureWeb(corpus_dir=CORPUS, latency=0.3, log_requests=False) as slow:
        url = slow.start_urls[0].rstrip("/") + "/robots.txt"
        started = time.monotonic()
        threads = [threading.Thread(target=fetch, args=(slow, url)) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.monotonic() - started
        assert 0.3 <= elapsed < 1.2
        assert slow.requests == []


# --- generated webs and the CLI --------------------------------------------------------------

def test_generated_web_starts_fast_and_serves():
    started = time.monotonic()
    big = FixtureWeb(outlets=5, articles_per_outlet=1000, seed=0, corpus_dir=CORPUS)
    assert time.monotonic() - started < 3
    assert len(big.articles) == 5000 and len({a.title for a in big.articles}) == 5000
    assert len(big.hosts) == 5 and big.hosts[4] == "www.outlet05.test"
    with big:
        art = big.articles[-1]
        got = fetch(big, art.url)
        assert got.status == 200 and all(html.escape(p) in got.text for p in art.paragraphs)
        urlset = ET.fromstring(fetch(big, big.sitemaps[4].replace(
            "sitemap.xml", "sitemap-articles.xml")).body)
        assert len(urlset) == 1000
        for key in ("redirect", "pdf", "jpeg", "multi_page", "chunked", "wrong_charset"):
            assert fetch(big, big.specials[key]).status in (200, 301)
    again = FixtureWeb(outlets=5, articles_per_outlet=1000, seed=0, corpus_dir=CORPUS)
    assert again.articles == big.articles  # deterministic for a seed


def test_cli_prints_its_description_first_and_stops_on_sigterm():
    cmd = [sys.executable, "-m", "tests.fixtureweb", "--port", "0", "--outlets", "2",
           "--articles-per-outlet", "50"]
    if CORPUS:
        cmd += ["--corpus-dir", CORPUS]
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, text=True)
    try:
        info = json.loads(proc.stdout.readline())
        assert set(info) >= {"proxy_url", "start_urls", "feeds", "sitemaps", "hosts"}
        port = int(info["proxy_url"].rsplit(":", 1)[1])
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        conn.request("GET", info["start_urls"][0])
        assert conn.getresponse().status == 200
        conn.close()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=5) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
