"""A small web of fake hosts behind one HTTP proxy on 127.0.0.1 that writes down when each
request arrived, by its own clock: the politeness tests' witness.

Each host serves `/robots.txt`, a home page linking to `/p/0` ... `/p/N-1`, and those
pages (news articles, by their JSON-LD). A host's `answers` list, per path, what to answer
the first requests for it (a 429 with Retry-After, a 503...) before the page itself;
`redirects` answer a path with a 301, `links` add links to a page, `slow` holds a path's
answer back so many seconds (a crash test kills the crawl while it waits). The
crawl reaches the hosts through `proxy_url` (`liputan crawl --proxy`), the way it reaches
the fixture web.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

# An answer before the page: (status, headers); a header value may be a callable, called
# when the request comes (an HTTP date "two seconds from now").
Answer = tuple[int, dict[str, "str | Callable[[], str]"]]


@dataclass
class Host:
    pages: int = 4
    robots: str = "User-agent: *\nAllow: /\n"
    answers: dict[str, list[Answer]] = field(default_factory=dict)
    redirects: dict[str, str] = field(default_factory=dict)  # path: Location (301)
    links: dict[str, list[str]] = field(default_factory=dict)  # path: more hrefs
    slow: dict[str, float] = field(default_factory=dict)  # path: seconds before answering


@dataclass(frozen=True)
class Arrival:
    host: str
    path: str
    status: int
    at: float  # time.monotonic() when the request had arrived
    wall: float  # time.time(), the same moment


class TimedWeb:
    def __init__(self, hosts: dict[str, Host]):
        self.hosts = hosts
        self.arrivals: list[Arrival] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    def __enter__(self) -> TimedWeb:
        web = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                at, wall = time.monotonic(), time.time()
                parts = urlsplit(self.path)
                host = parts.hostname or self.headers.get("Host", "").split(":")[0]
                status, headers, body = web._answer(host, parts.path or "/")
                with web._lock:
                    web.arrivals.append(Arrival(host, parts.path or "/", status, at, wall))
                plan = web.hosts.get(host)
                if plan is not None and parts.path in plan.slow:
                    time.sleep(plan.slow[parts.path])
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    @property
    def proxy_url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def start_urls(self) -> list[str]:
        return [f"http://{host}/" for host in self.hosts]

    def seen(self, host: str) -> list[Arrival]:
        with self._lock:
            return [a for a in self.arrivals if a.host == host]

    def gaps(self, host: str) -> list[float]:
        """Seconds between consecutive arrivals at `host`, by the server's clock."""
        times = [a.at for a in self.seen(host)]
        return [later - earlier for earlier, later in zip(times, times[1:], strict=False)]

    def _answer(self, host: str, path: str) -> tuple[int, dict[str, str], bytes]:
        plan = self.hosts.get(host)
        if plan is None:
            return 404, {"Content-Type": "text/plain"}, b"no such host"
        with self._lock:
            queued = plan.answers.get(path)
            early = queued.pop(0) if queued else None
        if early is not None:
            status, headers = early
            values = {k: v() if callable(v) else v for k, v in headers.items()}
            return status, {"Content-Type": "text/plain", **values}, b"not now"
        if path == "/robots.txt":
            return 200, {"Content-Type": "text/plain"}, plan.robots.encode()
        if path in plan.redirects:
            return 301, {"Content-Type": "text/plain", "Location": plan.redirects[path]}, b""
        if path == "/":
            links = "".join(f'<li><a href="/p/{i}">Berita {i}</a></li>'
                            for i in range(plan.pages))
            return 200, _HTML, f"<html><body><ul>{links}</ul></body></html>".encode()
        if path.startswith("/p/"):
            text = f"Berita {path[3:]} dari {host}. " * 30
            more = "".join(f'<a href="{href}">Baca berita lain</a>'
                           for href in plan.links.get(path, ()))
            return 200, _HTML, (f"<html><head><title>Berita {path[3:]}</title>{_NEWS}</head>"
                                "<body>"
                                f"<article><p>{text}</p></article>{more}"
                                '<a href="/">Beranda</a></body></html>').encode()
        return 404, {"Content-Type": "text/plain"}, b"not found"


_HTML = {"Content-Type": "text/html; charset=utf-8"}
# A page that says it is a news article is one to extraction (pipelines/extract.py).
_NEWS = '<script type="application/ld+json">{"@type": "NewsArticle"}</script>'
