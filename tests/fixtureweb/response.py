"""A ready-to-send response whose wire bytes are computed once and reused."""

from __future__ import annotations

import gzip
from email.utils import parsedate_to_datetime
from http import HTTPStatus

CHUNK_SIZE = 8192
HTML = "text/html; charset=utf-8"


def _chunked(body: bytes) -> bytes:
    parts = [b"%x\r\n%b\r\n" % (len(body[i:i + CHUNK_SIZE]), body[i:i + CHUNK_SIZE])
             for i in range(0, len(body), CHUNK_SIZE)]
    return b"".join(parts) + b"0\r\n\r\n"


class Response:
    """Status, headers and body; the header block and gzip body are built on first use.

    ``compressible`` responses (HTML, XML, RSS, robots.txt) are sent gzip-encoded to clients that
    accept it, always with ``Vary: Accept-Encoding``. ``chunked`` responses use
    ``Transfer-Encoding: chunked`` instead of ``Content-Length`` on HTTP/1.1.
    """

    __slots__ = ("status", "content_type", "body", "headers", "compressible", "chunked", "_wire")

    def __init__(self, status: int, content_type: str, body: bytes,
                 headers: tuple[tuple[str, str], ...] = (), compressible: bool = True,
                 chunked: bool = False) -> None:
        self.status = status
        self.content_type = content_type
        self.body = body
        self.headers = headers
        self.compressible = compressible
        self.chunked = chunked
        self._wire: dict[tuple[bool, bool], tuple[bytes, bytes]] = {}

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)

    def not_modified(self, if_none_match: str | None, if_modified_since: str | None) -> bool:
        """Whether a conditional GET is answered 304: If-None-Match (weak comparison, as
        for GET) decides when sent, else If-Modified-Since against Last-Modified."""
        etag, modified = self.header("ETag"), self.header("Last-Modified")
        if self.status != 200 or not (etag or modified):
            return False
        if if_none_match is not None:
            wanted = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
            return "*" in wanted or (etag or "").removeprefix("W/") in wanted
        if if_modified_since and modified:
            try:
                return parsedate_to_datetime(modified) <= parsedate_to_datetime(
                    if_modified_since)
            except (TypeError, ValueError):
                return False
        return False

    def not_modified_head(self) -> bytes:
        """The 304's header lines: the validators, no body and no Content-Length."""
        lines = ["HTTP/1.1 304 Not Modified", "Server: fixtureweb"]
        if self.compressible:
            lines.append("Vary: Accept-Encoding")
        lines += [f"{k}: {v}" for k, v in self.headers if k in ("ETag", "Last-Modified")]
        return ("\r\n".join(lines) + "\r\n").encode("latin-1")

    def wire(self, gzip_ok: bool, chunk_ok: bool) -> tuple[bytes, bytes]:
        """(header lines without Date/Connection and the final CRLF, body bytes as sent)."""
        key = (gzip_ok and self.compressible, chunk_ok and self.chunked)
        cached = self._wire.get(key)
        if cached is None:
            cached = self._wire[key] = self._build(*key)
        return cached

    def _build(self, gzipped: bool, chunked: bool) -> tuple[bytes, bytes]:
        # mtime=0 keeps the gzip bytes identical across runs (stable payload digests).
        body = gzip.compress(self.body, compresslevel=6, mtime=0) if gzipped else self.body
        lines = [f"HTTP/1.1 {self.status} {HTTPStatus(self.status).phrase}",
                 "Server: fixtureweb", f"Content-Type: {self.content_type}"]
        if gzipped:
            lines.append("Content-Encoding: gzip")
        if self.compressible:
            lines.append("Vary: Accept-Encoding")
        lines += [f"{name}: {value}" for name, value in self.headers]
        if chunked:
            lines.append("Transfer-Encoding: chunked")
            body = _chunked(body)
        else:
            lines.append(f"Content-Length: {len(body)}")
        return ("\r\n".join(lines) + "\r\n").encode("latin-1"), body
