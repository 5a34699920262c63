"""The HTTP side: a threaded server that answers as a plain HTTP proxy for the fixture hosts.

Clients send absolute-URI requests (``GET http://host/path HTTP/1.1``) or origin-form requests
with a ``Host`` header; both are dispatched by host. Nothing is ever forwarded: unknown hosts get
a 502 and ``CONNECT`` gets a 405. Responses are written in a single ``send`` with Nagle disabled,
so keep-alive clients never wait on delayed ACKs.
"""

from __future__ import annotations

import contextlib
import socket
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from .site import Site


class Headers(Mapping[str, str]):
    """Read-only request headers with case-insensitive look-up; repeated names are joined."""

    def __init__(self, items: list[tuple[str, str]]) -> None:
        self._items = tuple(items)
        self._index: dict[str, str] = {}
        for name, value in items:
            key = name.lower()
            self._index[key] = f"{self._index[key]}, {value}" if key in self._index else value

    def __getitem__(self, name: str) -> str:
        return self._index[name.lower()]

    def __iter__(self) -> Iterator[str]:
        seen: set[str] = set()
        for name, _ in self._items:
            if name.lower() not in seen:
                seen.add(name.lower())
                yield name

    def __len__(self) -> int:
        return len(self._index)

    def items_raw(self) -> tuple[tuple[str, str], ...]:
        """The header lines as received, in order, duplicates included."""
        return self._items

    def __repr__(self) -> str:
        return f"Headers({list(self._items)!r})"


@dataclass(frozen=True)
class RequestLog:
    method: str
    host: str
    target: str  # path plus "?query"
    headers: Headers
    proxy_form: bool = False  # True when the request line carried an absolute URI

    @property
    def url(self) -> str:
        return f"http://{self.host}{self.target}"


class _DateCache:
    # Formatting the Date header once per second instead of once per response.
    def __init__(self) -> None:
        self._second = -1
        self._value = b""

    def header(self) -> bytes:
        now = int(time.time())
        if now != self._second:
            self._value = f"Date: {formatdate(now, usegmt=True)}\r\n".encode()
            self._second = now
        return self._value


def _accepts_gzip(value: str) -> bool:
    for part in value.split(","):
        coding, *params = (p.strip() for p in part.split(";"))
        if coding.lower() in ("gzip", "x-gzip", "*"):
            q = 1.0
            for param in params:
                if param.lower().startswith("q="):
                    try:
                        q = float(param[2:])
                    except ValueError:
                        q = 0.0
            return q > 0
    return False


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    timeout = 120  # idle keep-alive connections give their thread back eventually
    server: FixtureServer

    def log_message(self, format: str, *args: object) -> None:
        pass  # requests are recorded in FixtureServer.requests instead

    def do_GET(self) -> None:
        self._serve(head_only=False)

    def do_HEAD(self) -> None:
        self._serve(head_only=True)

    def _not_allowed(self) -> None:
        host, _, _, _ = self._target()
        self.server.record(self, host)
        if self.server.latency:
            time.sleep(self.server.latency)
        length = self.headers.get("Content-Length")
        if self.command != "CONNECT" and length and length.isdigit():
            self.rfile.read(int(length))  # drain the body so the connection stays usable
        else:
            self.close_connection = self.command == "CONNECT" or bool(
                self.headers.get("Transfer-Encoding"))
        body = b"405 Method Not Allowed: fixtureweb answers GET and HEAD only.\n"
        self._write(b"HTTP/1.1 405 Method Not Allowed\r\nServer: fixtureweb\r\n"
                    b"Content-Type: text/plain; charset=utf-8\r\nAllow: GET, HEAD\r\n"
                    b"Content-Length: %d\r\n" % len(body), body)

    do_CONNECT = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _not_allowed

    def _target(self) -> tuple[str, str, str, bool]:
        """(host, path, query, absolute-form?) of the request line."""
        target = self.path
        if target.startswith(("http://", "https://")):
            parts = urlsplit(target)
            return (parts.hostname or "").lower(), parts.path or "/", parts.query, True
        path, _, query = target.partition("?")
        host = (self.headers.get("Host") or "").strip().lower()
        if self.command == "CONNECT":
            host = target
        # Drop the port; keep an IPv6 literal whole.
        host = host[: host.find("]") + 1] if host.startswith("[") else host.partition(":")[0]
        return host, path, query, False

    def _serve(self, head_only: bool) -> None:
        host, path, query, _ = self._target()
        srv = self.server
        srv.record(self, host)
        if srv.latency:
            time.sleep(srv.latency)
        response = srv.site.respond(host, path, query)
        if response.not_modified(self.headers.get("If-None-Match"),
                                 self.headers.get("If-Modified-Since")):
            self._write(response.not_modified_head(), b"")
            return
        gzip_ok = _accepts_gzip(self.headers.get("Accept-Encoding", ""))
        http11 = self.request_version == "HTTP/1.1"
        head, body = response.wire(gzip_ok, chunk_ok=http11)
        self._write(head, b"" if head_only else body)

    def _write(self, head: bytes, body: bytes) -> None:
        extra = self.server.dates.header()
        if self.close_connection:
            extra += b"Connection: close\r\n"
        elif self.request_version != "HTTP/1.1":
            extra += b"Connection: keep-alive\r\n"
        try:
            self.wfile.write(head + extra + b"\r\n" + body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True


class FixtureServer(ThreadingHTTPServer):
    """One thread per connection, so a per-response latency does not serialise clients."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256

    def __init__(self, address: tuple[str, int], site: Site, latency: float = 0.0,
                 log_requests: bool = True) -> None:
        super().__init__(address, _Handler)
        self.site = site
        self.latency = latency
        self.log_requests = log_requests
        self.dates = _DateCache()
        self._log: list[RequestLog] = []
        self._lock = threading.Lock()
        self._connections: set[socket.socket] = set()

    def record(self, handler: _Handler, host: str) -> None:
        if not self.log_requests:
            return
        target = handler.path
        proxy_form = target.startswith(("http://", "https://"))
        if proxy_form:
            parts = urlsplit(target)
            target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        entry = RequestLog(handler.command, host, target, Headers(list(handler.headers.items())),
                           proxy_form)
        with self._lock:
            self._log.append(entry)

    @property
    def requests(self) -> list[RequestLog]:
        with self._lock:
            return list(self._log)

    def clear_requests(self) -> None:
        with self._lock:
            self._log.clear()

    def process_request(self, request, client_address) -> None:  # type: ignore[override]
        with self._lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request) -> None:  # type: ignore[override]
        with self._lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request, client_address) -> None:  # type: ignore[override]
        # Clients hanging up mid keep-alive (wget does, crawlers at shutdown) are normal here.
        if isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            return
        super().handle_error(request, client_address)

    def close_connections(self) -> None:
        """End idle keep-alive connections so their threads exit after shutdown()."""
        with self._lock:
            connections = list(self._connections)
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
