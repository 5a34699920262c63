"""FaultWeb: a hostile web on 127.0.0.1 for the crawl's fault tests.

It answers as an HTTP proxy, like the fixture web (tests/fixtureweb): the crawl sends
`GET http://faults.test/hang HTTP/1.1` to it and every request is dispatched by host, so
the hosts a crawl must never reach (another host, a cloud metadata address) are names the
server sees and logs instead of machines on a network. Nothing is forwarded.

Every route is a function of the handler and the query string that writes its own bytes,
so a fault can hang, drip, reset or send a malformed head. Routes are looked up by
(host, path); `add_route` adds more (tests of politeness add 429/503 answers with
Retry-After). Every request is logged with its arrival time (`hits`), including those for
hosts nobody serves.

    with FaultWeb() as web:
        crawl web.url("/") through web.proxy_url
        web.hits_for("elsewhere.test")  # must stay empty
"""

from __future__ import annotations

import json
import random
import socket
import struct
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

HOST = "faults.test"  # the crawl's scope
ELSEWHERE = "elsewhere.test"  # another host: never to be requested
AGGREGATOR = "agregat.test"  # a news search the crawl may ask, whose links must lead home
METADATA = "169.254.169.254"
REDIRECTED_QUERY = "pindah"  # the aggregator answers this query with a redirect off scope
HUGE_BYTES = 100 * 1024 * 1024  # beyond the crawl's 32 MB download cap
BOMB_BYTES = 64 * 1024 * 1024  # what the gzip bomb inflates to (~65 KB on the wire)
MANY_LINKS = 50_000
HANG_SECONDS = 30.0  # a hanging route gives up after this (the crawl times out first)
DRIP_INTERVAL = 0.2  # seconds between the slow drip's bytes

Route = Callable[["FaultHandler", dict[str, list[str]]], None]


@dataclass(frozen=True)
class Hit:
    """One request as the server saw it."""

    at: float  # time.time() when its request line was read
    method: str
    host: str
    target: str  # path plus "?query"

    @property
    def url(self) -> str:
        return f"http://{self.host}{self.target}"


# -- page bodies ------------------------------------------------------------------------------
PARAGRAPHS = (
    "Hujan deras sejak Senin malam membuat sungai di pinggir kota meluap dan merendam ratusan"
    " rumah warga. Petugas gabungan mengevakuasi warga lanjut usia dan anak-anak ke balai desa"
    " yang lebih tinggi, sementara dapur umum didirikan di halaman masjid.",
    "Kepala badan penanggulangan bencana daerah mengatakan ketinggian air sempat mencapai satu"
    " setengah meter di beberapa titik. Ia meminta warga tetap waspada karena curah hujan"
    " diperkirakan masih tinggi sampai akhir pekan, terutama pada sore dan malam hari.",
    "Warga yang ditemui di lokasi pengungsian mengaku belum sempat menyelamatkan barang"
    " berharga. Mereka berharap bantuan selimut, air bersih dan obat-obatan segera datang,"
    " sebab banyak anak mulai demam setelah dua malam tidur di lantai yang dingin.",
    "Pemerintah kabupaten menyiapkan anggaran tanggap darurat dan berjanji memperbaiki tanggul"
    " yang jebol. Perbaikan permanen, kata bupati, akan dimulai setelah air surut dan tim teknis"
    " selesai memeriksa kerusakan di sepanjang bantaran sungai “Cikalong” — kata warga.",
)


def article_html(title: str, charset: str = "utf-8", extra: str = "") -> str:
    """A small news article: JSON-LD NewsArticle, a headline, four paragraphs."""
    data = {"@context": "https://schema.org", "@type": "NewsArticle", "headline": title,
            "datePublished": "2024-03-05T08:00:00+07:00", "author": {"name": "Redaksi"}}
    body = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    return (f'<!doctype html><html lang="id"><head><meta charset="{charset}">'
            f"<title>{title} - Kabar Gangguan</title>"
            f'<script type="application/ld+json">{json.dumps(data)}</script></head>'
            f"<body><article><h1>{title}</h1>{body}{extra}</article></body></html>")


def page_html(title: str, links: list[str]) -> str:
    items = "".join(f'<li><a href="{u}">{u}</a></li>' for u in links)
    return (f"<!doctype html><html><head><title>{title}</title></head>"
            f"<body><h1>{title}</h1><ul>{items}</ul></body></html>")


@cache
def bomb_body() -> bytes:
    """BOMB_BYTES of zeros, gzipped: ~1,000 to 1 (computed once, ~0.3 s)."""
    zeros = bytes(1 << 20)
    deflate = zlib.compressobj(9, zlib.DEFLATED, 31)  # wbits 31: a gzip member
    return b"".join(deflate.compress(zeros) for _ in range(BOMB_BYTES >> 20)) + deflate.flush()


@cache
def binary_body() -> bytes:
    return random.Random(13).randbytes(256 * 1024)


@cache
def many_links_body() -> bytes:
    links = "".join(f'<a href="/item/{i}">butir {i}</a>\n' for i in range(MANY_LINKS))
    return (f"<!doctype html><html><head><title>Indeks</title></head><body>{links}"
            "</body></html>").encode()


# -- the faults -------------------------------------------------------------------------------
# name -> path on HOST: what the homepage links to, and what the tests check one by one.
FAULTS = {
    "hang": "/hang",
    "reset mid-body": "/reset",
    "slow drip": "/drip",
    "100 MB body": "/huge",
    "100 MB body, no length": "/huge-stream",
    "gzip bomb": "/bomb",
    "wrong charset": "/charset/wrong",
    "bogus charset": "/charset/bogus",
    "binary as HTML": "/binary",
    "binary after an HTML head": "/binary-head",
    "redirect loop": "/loop/a",
    "endless redirects": "/spiral?n=1",
    "calendar trap": "/calendar?date=2024-03-05",
    "50k-link page": "/links",
    "huge header": "/huge-header",
    "many headers": "/many-headers",
    "redirect to another host": "/off/host",
    "redirect to cloud metadata": "/off/metadata",
    "redirect to IPv6 metadata": "/off/metadata-v6",
    "redirect to GCE metadata": "/off/gce",
    "redirect to link-local": "/off/link-local",
    "redirect to metadata, decimal": "/off/decimal",
    "redirect to a file: URL": "/off/file",
    "links to forbidden hosts": "/off/links",
}
# Where the off-scope redirects point (each must stay unrequested).
OFF_TARGETS = {
    "/off/host": f"http://{ELSEWHERE}/caught",
    "/off/metadata": f"http://{METADATA}/latest/meta-data/",
    "/off/metadata-v6": "http://[fd00:ec2::254]/latest/meta-data/",
    "/off/gce": "http://metadata.google.internal/computeMetadata/v1/",
    "/off/link-local": "http://169.254.10.10/",
    "/off/decimal": "http://2852039166/latest/meta-data/",  # 169.254.169.254 as one number
    "/off/file": "file:///etc/passwd",
    "/start-redirect": f"http://{ELSEWHERE}/from-a-start-url",
}
START_REDIRECT = f"http://{HOST}/start-redirect"
METADATA_START = f"http://{METADATA}/latest/meta-data/"
FORBIDDEN_LINKS = (f"http://{ELSEWHERE}/linked", f"http://{METADATA}/linked",
                   "http://[fe80::1]/linked", "ftp://faults.test/linked")


class FaultHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    timeout = 60
    server: FaultServer

    def log_message(self, format: str, *args: object) -> None:
        pass  # requests are in FaultServer.hits

    def do_GET(self) -> None:
        host, path, query = self._target()
        self.server.record(Hit(time.time(), self.command, host, path +
                               (f"?{query}" if query else "")))
        route = self.server.routes.get((host, path))
        if route is None:  # the longest folder route ("/item/") that holds the path
            folders = [p for h, p in self.server.routes
                       if h == host and len(p) > 1 and p.endswith("/") and path.startswith(p)]
            route = self.server.routes[(host, max(folders, key=len))] if folders else None
        if route is None:
            status = 404 if host in self.server.hosts else 502
            self.send(status, b"not here\n", "text/plain")
            return
        try:
            route(self, parse_qs(query))
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            self.close_connection = True

    do_HEAD = do_GET

    def _target(self) -> tuple[str, str, str]:
        if self.path.startswith(("http://", "https://")):
            parts = urlsplit(self.path)
            return (parts.hostname or "").lower(), parts.path or "/", parts.query
        path, _, query = self.path.partition("?")
        host = (self.headers.get("Host") or "").lower()
        host = host[: host.find("]") + 1] if host.startswith("[") else host.partition(":")[0]
        return host, path, query

    # -- what routes write ------------------------------------------------------------------
    def head(self, status: int, headers: list[tuple[str, str]]) -> bytes:
        lines = [f"HTTP/1.1 {status} {HTTPStatus(status).phrase}", "Server: faultweb",
                 *(f"{k}: {v}" for k, v in headers)]
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    def send(self, status: int, body: bytes, content_type: str = "text/html; charset=utf-8",
             headers: list[tuple[str, str]] | None = None) -> None:
        head = self.head(status, [("Content-Type", content_type),
                                  ("Content-Length", str(len(body))), *(headers or [])])
        self.wfile.write(head + (b"" if self.command == "HEAD" else body))

    def redirect(self, location: str, status: int = 302) -> None:
        self.send(status, b"", "text/plain", [("Location", location)])

    def wait(self, seconds: float) -> bool:
        """Sleep, unless the server is stopping (True then)."""
        return self.server.stopping.wait(seconds)

    def reset(self) -> None:
        """Abort the connection with a TCP RST instead of a clean close."""
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()
        self.close_connection = True


# -- routes -----------------------------------------------------------------------------------
def robots(h: FaultHandler, q: dict) -> None:
    h.send(200, b"User-agent: *\nDisallow:\n", "text/plain")


def home(h: FaultHandler, q: dict) -> None:
    links = [*FAULTS.values(), "/artikel/banjir"]
    # A cookie with a Domain makes Scrapy's cookie middleware ask the Public Suffix List.
    h.send(200, page_html("Kabar Gangguan", links).encode(),
           headers=[("Set-Cookie", f"sesi=1; Domain={HOST}; Path=/")])


def hang(h: FaultHandler, q: dict) -> None:
    h.wait(HANG_SECONDS)
    h.close_connection = True


def reset(h: FaultHandler, q: dict) -> None:
    body = article_html("Sambungan Putus").encode()
    h.wfile.write(h.head(200, [("Content-Type", "text/html; charset=utf-8"),
                               ("Content-Length", str(len(body) * 4))]) + body)
    h.wfile.flush()
    h.reset()


def drip(h: FaultHandler, q: dict) -> None:
    body = article_html("Tetes Demi Tetes").encode()
    h.wfile.write(h.head(200, [("Content-Type", "text/html; charset=utf-8"),
                               ("Content-Length", str(len(body)))]))
    for byte in body:
        h.wfile.write(bytes([byte]))
        h.wfile.flush()
        if h.wait(DRIP_INTERVAL):
            break
    h.close_connection = True


def _stream(h: FaultHandler, headers: list[tuple[str, str]]) -> None:
    chunk = (b"<p>" + b"x" * 1020 + b"</p>") * 1024  # 1 MB
    h.wfile.write(h.head(200, [("Content-Type", "text/html; charset=utf-8"), *headers]))
    for _ in range(HUGE_BYTES // len(chunk)):
        if h.server.stopping.is_set():
            break
        h.wfile.write(chunk)
    h.close_connection = True


def huge(h: FaultHandler, q: dict) -> None:
    _stream(h, [("Content-Length", str(HUGE_BYTES))])


def huge_stream(h: FaultHandler, q: dict) -> None:
    _stream(h, [("Connection", "close")])  # no length: the body ends when the server closes


def bomb(h: FaultHandler, q: dict) -> None:
    h.send(200, bomb_body(), headers=[("Content-Encoding", "gzip")])


def charset_wrong(h: FaultHandler, q: dict) -> None:
    # UTF-8 bytes declared as ISO-8859-1, header and <meta> alike.
    h.send(200, article_html("Air Bah di Kota “Lama”", "iso-8859-1").encode(),
           "text/html; charset=iso-8859-1")


def charset_bogus(h: FaultHandler, q: dict) -> None:
    h.send(200, article_html("Banjir Susulan", "x-no-such-charset").encode(),
           "text/html; charset=x-no-such-charset")


def binary(h: FaultHandler, q: dict) -> None:
    h.send(200, binary_body())


def binary_head(h: FaultHandler, q: dict) -> None:
    h.send(200, b"<!doctype html><html><head><title>Laporan</title></head><body>"
           + binary_body())


def loop(h: FaultHandler, q: dict) -> None:
    h.redirect("/loop/b" if h.path.endswith("/a") else "/loop/a")


def spiral(h: FaultHandler, q: dict) -> None:
    n = int((q.get("n") or ["1"])[0])
    h.redirect(f"/spiral?n={n + 1}")


def calendar(h: FaultHandler, q: dict) -> None:
    try:
        day = date.fromisoformat((q.get("date") or ["2024-03-05"])[0])
    except ValueError:
        day = date(2024, 3, 5)
    links = [f"/calendar?date={day + timedelta(days=d)}" for d in (-1, 1, -30, 30, 365)]
    h.send(200, page_html(f"Arsip {day}", links).encode())


def links(h: FaultHandler, q: dict) -> None:
    h.send(200, many_links_body())


def item(h: FaultHandler, q: dict) -> None:
    h.send(200, page_html("Butir", []).encode())


def huge_header(h: FaultHandler, q: dict) -> None:
    h.send(200, article_html("Kepala Raksasa").encode(), headers=[("X-Padding", "a" * 1_000_000)])


def many_headers(h: FaultHandler, q: dict) -> None:
    h.send(200, article_html("Seribu Kepala").encode(),
           headers=[(f"X-Header-{i}", "b" * 40) for i in range(20_000)])


def off(h: FaultHandler, q: dict) -> None:
    h.redirect(OFF_TARGETS[urlsplit(h.path).path])


def off_links(h: FaultHandler, q: dict) -> None:
    h.send(200, page_html("Tautan Terlarang", list(FORBIDDEN_LINKS)).encode())


def article(h: FaultHandler, q: dict) -> None:
    h.send(200, article_html("Banjir Merendam Ratusan Rumah").encode())


def feed(h: FaultHandler, q: dict) -> None:
    items = "".join(f"<item><title>{u}</title><link>{u}</link>"
                    "<pubDate>Tue, 05 Mar 2024 08:00:00 +0700</pubDate></item>"
                    for u in (f"http://{HOST}/artikel/banjir", *FORBIDDEN_LINKS,
                              f"http://{HOST}/off/host"))
    h.send(200, f'<?xml version="1.0"?><rss version="2.0"><channel><title>Kabar</title>'
           f"{items}</channel></rss>".encode(), "application/rss+xml")


def sitemap(h: FaultHandler, q: dict) -> None:
    urls = "".join(f"<url><loc>{u}</loc></url>" for u in (
        f"http://{HOST}/artikel/banjir", f"http://{ELSEWHERE}/sitemapped",
        f"http://{METADATA}/sitemapped", f"http://{HOST}/off/metadata"))
    h.send(200, ('<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/'
                 f'sitemap/0.9">{urls}</urlset>').encode(), "application/xml")


def aggregator_search(h: FaultHandler, q: dict) -> None:
    """A news search answering in RSS through a click counter: one story at home, the rest
    off scope, and one click link that is not unwrapped. Asked REDIRECTED_QUERY, it
    redirects to another host."""
    if (q.get("q") or [""])[0] == REDIRECTED_QUERY:
        h.redirect(f"http://{ELSEWHERE}/from-the-aggregator")
        return
    targets = (f"http://{HOST}/artikel/banjir", f"http://{ELSEWHERE}/clicked",
               f"http://{METADATA}/clicked")
    links = [f"http://{AGGREGATOR}/click?url={quote(u, safe='')}" for u in targets]
    links.append(f"http://{AGGREGATOR}/go/1")
    items = "".join(f"<item><title>Banjir {i}</title><link>{u.replace('&', '&amp;')}</link>"
                    "<pubDate>Tue, 05 Mar 2024 08:00:00 +0700</pubDate></item>"
                    for i, u in enumerate(links))
    h.send(200, f'<?xml version="1.0"?><rss version="2.0"><channel><title>Cari</title>'
           f"{items}</channel></rss>".encode(), "application/rss+xml")


def catch_all(h: FaultHandler, q: dict) -> None:
    h.send(200, page_html("Jangan ke sini", []).encode())


DEFAULT_ROUTES: dict[tuple[str, str], Route] = {
    (HOST, "/robots.txt"): robots,
    (HOST, "/"): home,
    (HOST, "/hang"): hang,
    (HOST, "/reset"): reset,
    (HOST, "/drip"): drip,
    (HOST, "/huge"): huge,
    (HOST, "/huge-stream"): huge_stream,
    (HOST, "/bomb"): bomb,
    (HOST, "/charset/wrong"): charset_wrong,
    (HOST, "/charset/bogus"): charset_bogus,
    (HOST, "/binary"): binary,
    (HOST, "/binary-head"): binary_head,
    (HOST, "/loop/a"): loop,
    (HOST, "/loop/b"): loop,
    (HOST, "/spiral"): spiral,
    (HOST, "/calendar"): calendar,
    (HOST, "/links"): links,
    (HOST, "/item/"): item,
    (HOST, "/huge-header"): huge_header,
    (HOST, "/many-headers"): many_headers,
    **{(HOST, path): off for path in OFF_TARGETS},
    (HOST, "/off/links"): off_links,
    (HOST, "/artikel/banjir"): article,
    (HOST, "/feed.xml"): feed,
    (HOST, "/sitemap.xml"): sitemap,
    (AGGREGATOR, "/robots.txt"): robots,
    (AGGREGATOR, "/search"): aggregator_search,
    # Served, so that a request for them would be answered (and seen): it must not happen.
    (ELSEWHERE, "/"): catch_all,
    (METADATA, "/"): catch_all,
}


def write_config(folder: Path, start_urls: list[str] | None = None,
                 max_pages: int = 300) -> Path:
    """The crawl of the fault web (config and the aggregator's profile) in `folder`: every
    fault linked from the homepage, a start URL that redirects off scope, one at the
    metadata address, the feed, the sitemap and the aggregator (asked two queries)."""
    sites = folder / "sites"
    sites.mkdir(parents=True, exist_ok=True)
    (sites / "agregat.toml").write_text(
        f'key = "agregat"\nname = "Agregat"\nkind = "aggregator"\ndomains = ["{AGGREGATOR}"]\n'
        f'search = "http://{AGGREGATOR}/search?q={{query}}"\nlink_param = "url"\n',
        encoding="utf-8")
    starts = start_urls or [f"http://{HOST}/", START_REDIRECT, METADATA_START]
    sources = "" if start_urls else (
        f'feeds = ["http://{HOST}/feed.xml"]\nsitemaps = ["http://{HOST}/sitemap.xml"]\n'
        f'aggregators = ["agregat"]\nsites_dir = "sites"\n'
        f'search_queries = ["banjir", "{REDIRECTED_QUERY}"]\n')
    config = folder / "faults.toml"
    config.write_text(
        f'name = "faults"\n[sources]\nstart_urls = {json.dumps(starts)}\n{sources}'
        f"[limits]\nmax_pages = {max_pages}\nmax_depth = 3\n"
        "[politeness]\ndelay_per_host = 0\nconcurrent_per_host = 16\n", encoding="utf-8")
    return config


class FaultServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int]) -> None:
        super().__init__(address, FaultHandler)
        self.routes: dict[tuple[str, str], Route] = dict(DEFAULT_ROUTES)
        self.stopping = threading.Event()
        self._hits: list[Hit] = []
        self._lock = threading.Lock()

    @property
    def hosts(self) -> set[str]:
        return {host for host, _ in self.routes}

    def record(self, hit: Hit) -> None:
        with self._lock:
            self._hits.append(hit)

    def hits(self) -> list[Hit]:
        with self._lock:
            return list(self._hits)

    def handle_error(self, request, client_address) -> None:  # type: ignore[override]
        pass  # clients hanging up on a fault is what the faults are for


class FaultWeb:
    """The fault server, started on 127.0.0.1 (port 0: any free one) in a thread."""

    def __init__(self, port: int = 0) -> None:
        self._server = FaultServer(("127.0.0.1", port))
        self._thread: threading.Thread | None = None

    def start(self) -> FaultWeb:
        if self._thread is None:
            self._thread = threading.Thread(target=self._server.serve_forever,
                                            kwargs={"poll_interval": 0.1}, daemon=True,
                                            name="faultweb")
            self._thread.start()
        return self

    def stop(self) -> None:
        self._server.stopping.set()
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FaultWeb:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def proxy_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def url(self, path: str, host: str = HOST) -> str:
        return f"http://{host}{path}"

    def add_route(self, path: str, route: Route, host: str = HOST) -> None:
        """Serve `route` at `path` on `host` (a path ending in "/", other than "/" itself,
        serves everything under it)."""
        self._server.routes[(host, path)] = route

    @property
    def hits(self) -> list[Hit]:
        return self._server.hits()

    def hits_for(self, host: str) -> list[Hit]:
        return [hit for hit in self.hits if hit.host == host]

