"""Archived HTTP bodies decoded within a cap: chunking and Content-Encoding (gzip, deflate,
br, zstd) undone a step at a time, never past `MAX_BODY_BYTES`.

A few MB of gzip can inflate to many GB; the crawl is safe from that (Scrapy stops at
DOWNLOAD_MAXSIZE, this cap), but everything that reads the archive afterwards (reindex,
extract, show, serve, replay) decodes here so it stays bounded too. A body over the cap,
stored or decoded, raises `BodyTooLarge`: it is indexed as a capture with that reason and
never extracted.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterator
from typing import Any

# The crawl's download cap (crawler/settings.py takes DOWNLOAD_MAXSIZE from here) and the
# most any reader of the archive decodes of one body: the crawl and a reindex see the same pages.
MAX_BODY_BYTES = 32 * 1024 * 1024
STEP = 1 << 20  # decoded bytes produced per step


class WarcError(Exception):
    """A WARC file or record that cannot be read as expected (`pipelines.warc` exports it)."""


class BodyTooLarge(WarcError):
    """A body over the cap: read no further, never extracted."""

    def __init__(self, limit: int, what: str = "decoded", prefix: bytes = b"") -> None:
        self.limit = limit
        self.prefix = prefix  # what was decoded up to the cap (see decode_prefix)
        super().__init__(f"body over {limit / (1 << 20):g} MB {what}")


def decode_payload(raw: bytes, http_headers: Any, limit: int = MAX_BODY_BYTES) -> bytes:
    """An HTTP payload as stored -> the entity the page author wrote: chunking and
    Content-Encoding undone, at most `limit` bytes (else `BodyTooLarge`). A body that does
    not decode as declared is returned as is (servers do lie about gzip); one that breaks off
    part-way gives what decoded before the break, as Scrapy does in the crawl."""
    if len(raw) > limit:
        raise BodyTooLarge(limit, "stored")
    if "chunked" in (http_headers.get_header("Transfer-Encoding") or "").lower():
        raw = _dechunk(raw)
    encoding = (http_headers.get_header("Content-Encoding") or "").strip().lower()
    return decode_bytes(raw, encoding, limit)


def decode_bytes(raw: bytes, encoding: str, limit: int = MAX_BODY_BYTES) -> bytes:
    """`raw` with one Content-Encoding undone (an unknown one: as is), within `limit`."""
    decoder = _DECODERS.get(encoding)
    if decoder is None:
        return raw
    out = bytearray()
    try:
        for piece in decoder(raw):
            out += piece
            if len(out) > limit:
                del out[limit:]  # in place: a copy of up to 32 MB would double the cost
                raise BodyTooLarge(limit, prefix=out)
    except BodyTooLarge:
        raise
    except Exception:  # noqa: BLE001 - a lying or damaged encoding is not an error here
        return bytes(out) if out else raw
    return bytes(out)


def decode_prefix(raw: bytes, encoding: str, limit: int) -> bytes:
    """`raw` with one Content-Encoding undone, cut at `limit` bytes: for readers that can
    use a document's beginning (a sitemap's first entries), inflated no further."""
    try:
        return decode_bytes(raw, encoding, limit)
    except BodyTooLarge as exc:
        return bytes(exc.prefix)


def _inflate(data: bytes, wbits: int, rest: list[bytes] | None = None) -> Iterator[bytes]:
    """One zlib stream, STEP bytes at a time; what follows its end goes to `rest`."""
    inflater = zlib.decompressobj(wbits)
    while not inflater.eof:
        piece = inflater.decompress(data, STEP)
        data = inflater.unconsumed_tail
        if not piece and not data:
            break  # the input ended before the stream did: what decoded stands
        yield piece
    if rest is not None:
        rest.append(inflater.unused_data if inflater.eof else b"")


def _gunzip(raw: bytes) -> Iterator[bytes]:
    # Several gzip members are one body (Scrapy's gunzip reads them all); junk after is not.
    data = raw
    while True:
        rest: list[bytes] = []
        yield from _inflate(data, 47, rest)  # 47: a gzip or zlib header
        data = rest[0]
        if data[:2] != b"\x1f\x8b":
            return


def _inflate_deflate(raw: bytes) -> Iterator[bytes]:
    # A zlib stream (RFC 1950 header), or the raw deflate some servers send under that name.
    zlib_header = len(raw) > 1 and raw[0] & 0x0F == 8 and (raw[0] << 8 | raw[1]) % 31 == 0
    yield from _inflate(raw, 15 if zlib_header else -15)


def _unbrotli(raw: bytes) -> Iterator[bytes]:
    try:
        import brotli
    except ImportError:  # Scrapy installs one of the two
        import brotlicffi as brotli
    decompressor = brotli.Decompressor()
    yield decompressor.process(raw, output_buffer_limit=STEP)
    while not decompressor.is_finished():
        piece = decompressor.process(b"", output_buffer_limit=STEP)
        if not piece:
            return
        yield piece


def _unzstd(raw: bytes) -> Iterator[bytes]:
    try:
        from compression import zstd  # type: ignore[import-not-found]  # Python 3.14
    except ImportError:
        from backports import zstd  # Scrapy's dependency before 3.14
    decompressor = zstd.ZstdDecompressor()
    data = raw
    while not decompressor.eof:
        piece = decompressor.decompress(data, STEP)
        data = b""
        if not piece and decompressor.needs_input:
            return
        yield piece


_DECODERS: dict[str, Callable[[bytes], Iterator[bytes]]] = {
    "gzip": _gunzip, "x-gzip": _gunzip, "deflate": _inflate_deflate, "br": _unbrotli,
    "zstd": _unzstd,
}


def _dechunk(raw: bytes) -> bytes:
    out, pos = bytearray(), 0
    while pos < len(raw):
        line_end = raw.find(b"\r\n", pos)
        if line_end < 0:
            return raw  # not really chunked: keep what was stored
        try:
            size = int(raw[pos:line_end].split(b";")[0].strip() or b"0", 16)
        except ValueError:
            return raw
        if size == 0:
            break
        start = line_end + 2
        out += raw[start:start + size]
        pos = start + size + 2
    return bytes(out)
