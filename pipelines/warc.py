"""WARC/1.1 files: the archive's source of truth.

`WarcWriter` turns HTTP exchanges into request/response (or revisit) records, one gzip
member per record, in files named `{crawl}-{YYYYMMDDhhmmss}-{serial:05d}-{host}.warc.gz`
that carry a `.open` suffix while written. Records are serialised here rather than through
warcio's writer because its gzip level is fixed at 9, which made compression the crawl's
bottleneck; warcio reads everything back (`iter_records`, `read_record`: record by record,
past any damage, pipelines/resync.py) and checks it.

Plain Python: no Scrapy imports, so the crawl, `reindex`, `check` and the tests share it.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import socket
import uuid
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import quote, urlsplit

from warcio.recordloader import ArcWarcRecord

from pipelines.decoding import MAX_BODY_BYTES, BodyTooLarge, WarcError, decode_payload
from pipelines.failpoints import armed, failpoint
from pipelines.resync import Damage, Found, Reader, describe

WARC_VERSION = "WARC/1.1"
REVISIT_PROFILE = "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"
NOT_MODIFIED_PROFILE = "http://netpreserve.org/warc/1.1/revisit/server-not-modified"
CONVERSION_TYPE = "text/plain; charset=utf-8"  # a conversion record's block: the article text
WARC_SPEC = "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/"
# The warcinfo field that carries the crawl's config (`read_stored_config`), so the WARC files
# alone can rebuild the crawl's gates. One field of one line of JSON, ASCII-escaped (no line
# breaks, nothing a warc-fields reader could trip on), rather than a `metadata` record after
# the warcinfo: replay indexers take metadata records for captures (cdxj-indexer 1.5 writes a
# "-" line for one without WARC-Target-URI, a urn: entry for one with it) but never index a
# warcinfo, and warcio check and cdxj-indexer read a 300 KB warcinfo field line without
# complaint (measured). warcinfo is where the spec puts what describes the crawl anyway.
STORED_CONFIG_FIELD = "liputan-config"
OPEN_SUFFIX = ".open"
DEFAULT_MAX_BYTES = 1_000_000_000
# Level 6 deflate is ~1.7x faster than warcio's fixed level 9 for <1 % larger files.
DEFAULT_GZIP_LEVEL = 6

Headers = Sequence[tuple[str, str]]


@dataclass(frozen=True)
class WarcRef:
    """Where one record lives: enough to read it back with a single seek."""

    file: str  # path relative to the archive root (absolute for files outside it)
    offset: int
    length: int
    record_id: str


@dataclass(frozen=True)
class HttpExchange:
    """One request and its response as they crossed the wire."""

    url: str
    status: int
    response_headers: Headers
    body: bytes  # as transferred: still Content-Encoded, chunking undone
    method: str = "GET"
    request_headers: Headers = ()
    request_body: bytes = b""
    protocol: str = "HTTP/1.1"
    reason: str = ""
    ip_address: str | None = None
    fetched_at: datetime | None = None


@dataclass(frozen=True)
class CaptureRecord:
    """What `WarcWriter.write_exchange` wrote for one exchange."""

    ref: WarcRef  # the response or revisit record
    record_type: str  # "response" or "revisit"
    payload_digest: str
    fetched_at: datetime
    request_record_id: str
    revisit_of: str | None = None  # record id of the identical (or not modified) original
    profile: str | None = None  # a revisit's WARC-Profile


def sha1_digest(data: bytes) -> str:
    """WARC digest label: `sha1:` + base32, the form warcio and Heritrix write."""
    return "sha1:" + base64.b32encode(hashlib.sha1(data).digest()).decode("ascii")


def new_record_id() -> str:
    return f"<urn:uuid:{uuid.uuid4()}>"


def warc_date(moment: datetime) -> str:
    """WARC/1.1 date: UTC, microsecond precision, trailing Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _header_block(lines: Iterator[str] | list[str]) -> bytes:
    # Header values may carry non-ASCII bytes decoded as latin-1 upstream: keep them byte-exact.
    return "".join(f"{line}\r\n" for line in lines).encode("latin-1", "replace") + b"\r\n"


def http_response_block(exchange: HttpExchange) -> bytes:
    reason = exchange.reason or _reason(exchange.status)
    status_line = f"{exchange.protocol} {exchange.status} {reason}".rstrip()
    head = [status_line, *(f"{k}: {v}" for k, v in exchange.response_headers)]
    return _header_block(head)


def http_request_block(exchange: HttpExchange) -> bytes:
    parts = urlsplit(exchange.url)
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    head = [f"{exchange.method} {target} {exchange.protocol}"]
    if not any(k.lower() == "host" for k, _ in exchange.request_headers):
        head.append(f"Host: {parts.netloc}")
    head.extend(f"{k}: {v}" for k, v in exchange.request_headers)
    return _header_block(head) + exchange.request_body


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def _record_bytes(fields: list[tuple[str, str]], block: bytes) -> bytes:
    head = [WARC_VERSION, *(f"{k}: {v}" for k, v in fields)]
    head.append(f"Content-Length: {len(block)}")
    return "".join(f"{line}\r\n" for line in head).encode("utf-8") + b"\r\n" + block + b"\r\n\r\n"


@dataclass
class _OpenFile:
    final_path: Path
    handle: BinaryIO
    label: str  # the name WarcRefs use: resolved once, not per record
    size: int = 0


@dataclass
class WarcWriter:
    """Writes one crawl's WARC files into `directory`, rolling over at `max_bytes`.

    `root` is the archive root that `WarcRef.file` paths are relative to. `info` fills the
    warcinfo record that heads every file. `clock` and `record_ids` are injectable so tests
    can pin dates and ids.
    """

    directory: Path
    crawl: str
    root: Path
    info: Mapping[str, str] = field(default_factory=dict)
    max_bytes: int = DEFAULT_MAX_BYTES
    gzip_level: int = DEFAULT_GZIP_LEVEL
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    record_ids: Callable[[], str] = new_record_id
    hostname: str = field(default_factory=socket.gethostname)
    # The digest store revisits are found in: (record id, URL, date) of an earlier response
    # with the same payload, in any crawl of the archive (the index), or None. Without one,
    # this writer remembers the payloads it wrote itself.
    lookup_payload: Callable[[str], tuple[str, str, str] | None] | None = None
    # The same for a 304 Not Modified: (record id, URL, date) of the response of this URL
    # the server says is still current. Without one, the writer remembers its own.
    lookup_response: Callable[[str], tuple[str, str, str] | None] | None = None
    _current: _OpenFile | None = field(default=None, init=False, repr=False)
    _serial: int = field(default=0, init=False)
    _seen_payloads: dict[str, tuple[str, str, str]] = field(default_factory=dict, init=False)
    _seen_responses: dict[str, tuple[str, str, str]] = field(default_factory=dict, init=False)
    closed_files: list[Path] = field(default_factory=list, init=False)

    # -- public -----------------------------------------------------------------------------
    def write_exchange(self, exchange: HttpExchange, response_id: str | None = None
                       ) -> CaptureRecord:
        """Append the request and response records of one exchange; identical payloads
        archived before become revisit records pointing at the original (profile
        identical-payload-digest), and so does a 304 answer to a conditional request
        (server-not-modified: the earlier response of the URL). The request goes
        first: a crash between the two leaves a request without a response, never a
        response (indexed) without its request. `response_id` lets the caller choose the
        response record's id in advance."""
        fetched_at = exchange.fetched_at or self.clock()
        date = warc_date(fetched_at)
        http_head = http_response_block(exchange)
        payload_digest = sha1_digest(exchange.body)
        response_id = response_id or self.record_ids()
        profile = None
        if self._dedupable(exchange):
            original, profile = self._original(payload_digest), REVISIT_PROFILE
        elif exchange.status == 304:
            original, profile = self._not_modified(exchange.url), NOT_MODIFIED_PROFILE
        else:
            original = None
        if original is None:
            profile = None
        request_block = http_request_block(exchange)
        request_id = self.record_ids()
        self._append(
            _record_bytes(
                [
                    ("WARC-Type", "request"),
                    ("WARC-Record-ID", request_id),
                    ("WARC-Date", date),
                    ("WARC-Target-URI", exchange.url),
                    ("WARC-Concurrent-To", response_id),
                    ("WARC-Block-Digest", sha1_digest(request_block)),
                    ("Content-Type", "application/http;msgtype=request"),
                ],
                request_block,
            ),
            request_id,
            dated=fetched_at,
        )

        fields = [
            ("WARC-Record-ID", response_id),
            ("WARC-Date", date),
            ("WARC-Target-URI", exchange.url),
        ]
        if exchange.ip_address:
            fields.append(("WARC-IP-Address", exchange.ip_address))
        fields.append(("WARC-Protocol", exchange.protocol.lower()))
        if original is None:
            block = http_head + exchange.body
            record_type = "response"
            fields[0:0] = [("WARC-Type", "response")]
        else:
            block = http_head  # both profiles: headers only
            record_type = "revisit"
            orig_id, orig_uri, orig_date = original
            fields[0:0] = [("WARC-Type", "revisit")]
            fields += [
                ("WARC-Profile", profile),
                ("WARC-Refers-To", orig_id),
                ("WARC-Refers-To-Target-URI", orig_uri),
                ("WARC-Refers-To-Date", orig_date),
            ]
        fields.append(("WARC-Block-Digest", sha1_digest(block)))
        if profile != NOT_MODIFIED_PROFILE:
            # A 304 carries no payload: its digest would describe nothing.
            fields.append(("WARC-Payload-Digest", payload_digest))
        fields.append(("Content-Type", "application/http;msgtype=response"))
        # A response stays in the file of its request, whatever the size.
        ref = self._append(_record_bytes(fields, block), response_id, keep_with_previous=True)
        if original is None and self._dedupable(exchange):
            if self.lookup_payload is None:
                self._seen_payloads[payload_digest] = (response_id, exchange.url, date)
            if self.lookup_response is None:
                self._seen_responses[exchange.url] = (response_id, exchange.url, date)
        return CaptureRecord(
            ref=ref,
            record_type=record_type,
            payload_digest="" if profile == NOT_MODIFIED_PROFILE else payload_digest,
            fetched_at=fetched_at,
            request_record_id=request_id,
            revisit_of=original[0] if original else None,
            profile=profile,
        )

    def write_conversion(self, url: str, refers_to: str, text: str) -> WarcRef:
        """Append a conversion record: `text` (UTF-8 plain text) derived from the record
        `refers_to`, so the archive alone carries what was read from the page."""
        block = text.encode("utf-8")
        record_id = self.record_ids()
        return self._append(_record_bytes(
            [
                ("WARC-Type", "conversion"),
                ("WARC-Record-ID", record_id),
                ("WARC-Date", warc_date(self.clock())),
                ("WARC-Target-URI", url),
                ("WARC-Refers-To", refers_to),
                ("WARC-Block-Digest", sha1_digest(block)),
                ("WARC-Payload-Digest", sha1_digest(block)),
                ("Content-Type", CONVERSION_TYPE),
            ],
            block,
        ), record_id)

    def close(self) -> None:
        """Close the current file and drop its `.open` suffix."""
        if self._current is None:
            return
        current, self._current = self._current, None
        current.handle.close()
        os.replace(_open_name(current.final_path), current.final_path)
        self.closed_files.append(current.final_path)

    @property
    def current_file(self) -> Path | None:
        return self._current.final_path if self._current else None

    # -- internals --------------------------------------------------------------------------
    def _original(self, digest: str) -> tuple[str, str, str] | None:
        if self.lookup_payload is None:
            return self._seen_payloads.get(digest)
        return self._warc_dated(self.lookup_payload(digest))

    def _not_modified(self, url: str) -> tuple[str, str, str] | None:
        if self.lookup_response is None:
            return self._seen_responses.get(url)
        return self._warc_dated(self.lookup_response(url))

    @staticmethod
    def _warc_dated(found: tuple[str, str, str] | None) -> tuple[str, str, str] | None:
        if found is None:
            return None
        record_id, uri, when = found
        # The index keeps ISO 8601; WARC-Refers-To-Date wants the WARC form.
        with contextlib.suppress(ValueError):
            when = warc_date(datetime.fromisoformat(when.replace("Z", "+00:00")))
        return record_id, uri, when

    @staticmethod
    def _dedupable(exchange: HttpExchange) -> bool:
        # Only successful, non-empty payloads: an empty 404 body is not worth a pointer.
        return exchange.status == 200 and bool(exchange.body)

    def _append(self, record: bytes, record_id: str, keep_with_previous: bool = False,
                dated: datetime | None = None) -> WarcRef:
        if self._current is None or (
            not keep_with_previous and self._current.size >= self.max_bytes
        ):
            self.close()
            self._open_next(dated)
        assert self._current is not None
        member = _gzip_member(record, self.gzip_level)
        offset, length, handle = self._current.size, len(member), self._current.handle
        if armed("warc-mid-record"):  # crash tests: die with half a record on disk
            handle.write(member[:length // 2])
            handle.flush()
            failpoint("warc-mid-record")
            member = member[length // 2:]
        handle.write(member)
        handle.flush()  # a crash loses at most the record being written
        self._current.size += length
        return WarcRef(self._current.label, offset, length, record_id)

    def _open_next(self, first_record: datetime | None = None) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        stamp = self.clock().astimezone(UTC).strftime("%Y%m%d%H%M%S")
        while True:
            name = f"{self.crawl}-{stamp}-{self._serial:05d}-{self.hostname}.warc.gz"
            path = self.directory / name
            self._serial += 1
            if not path.exists() and not _open_name(path).exists():
                break
        handle = open(_open_name(path), "xb")  # noqa: SIM115 - lives until close()
        self._current = _OpenFile(path, handle, warc_label(path, self.root))
        self._append(self._warcinfo(name, first_record), "", keep_with_previous=True)

    def _warcinfo(self, filename: str, first_record: datetime | None = None) -> bytes:
        lines = {"software": "liputan", "format": "WARC File Format 1.1",
                 "conformsTo": WARC_SPEC, "hostname": self.hostname, **self.info}
        for key, value in lines.items():
            if "\r" in value or "\n" in value:  # a field is one line (application/warc-fields)
                raise ValueError(f"warcinfo field {key!r} holds a line break")
        block = "".join(f"{k}: {v}\r\n" for k, v in lines.items() if v).encode("utf-8")
        return _record_bytes(
            [
                ("WARC-Type", "warcinfo"),
                ("WARC-Record-ID", self.record_ids()),
                # never after the first record it describes (whose date is its capture's)
                ("WARC-Date", warc_date(min(filter(None, (self.clock(), first_record))))),
                ("WARC-Filename", filename),
                ("WARC-Block-Digest", sha1_digest(block)),
                ("Content-Type", "application/warc-fields"),
            ],
            block,
        )


def warc_label(path: Path, root: Path) -> str:
    """How the index names a WARC file: relative to the archive root when inside it."""
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path.resolve())


def _open_name(path: Path) -> Path:
    return path.with_name(path.name + OPEN_SUFFIX)


def _gzip_member(data: bytes, level: int) -> bytes:
    compressor = zlib.compressobj(level, zlib.DEFLATED, 31)  # wbits 31: a gzip member
    return compressor.compress(data) + compressor.flush()


# -- reading --------------------------------------------------------------------------------
def resolve_warc_path(root: Path, file: str) -> Path:
    """The file a `WarcRef` names, or its `.open` twin while the crawl still writes it."""
    path = Path(file) if os.path.isabs(file) else root / file
    if not path.exists() and _open_name(path).exists():
        return _open_name(path)
    return path


def read_record(root: Path, ref: WarcRef | tuple[str, int, int], *, payload: bool = True
                ) -> tuple[ArcWarcRecord, bytes]:
    """Read one record by pointer: returns the record (headers parsed) and its raw payload
    as stored (HTTP body still Content-Encoded; empty when `payload` is False). Raises
    WarcError when it is not there, BodyTooLarge (a WarcError) when its payload is over
    the cap."""
    file, offset, length = (ref.file, ref.offset, ref.length) if isinstance(ref, WarcRef) else ref
    path = resolve_warc_path(root, file)
    try:
        with open(path, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            if offset + length > size:
                raise WarcError(f"{file}: record at {offset} is truncated")
            fh.seek(offset)
            reader = Reader(_Span(fh, offset), length, limit=MAX_BODY_BYTES, keep=payload)
            found = next(iter(reader), None)
    except OSError as exc:
        raise WarcError(f"{file}: {exc.strerror}") from exc
    if isinstance(found, Found) and found.length <= length:
        if found.over_limit and payload:
            raise BodyTooLarge(MAX_BODY_BYTES, "stored")
        return found.record, found.content
    why = f" ({found.reason})" if isinstance(found, Damage) else ""
    raise WarcError(f"{file}: no WARC record at offset {offset}{why}")


class _Span:
    """The bytes of a file from `offset` on, as a file of their own (a pointer's span)."""

    def __init__(self, fh: BinaryIO, offset: int) -> None:
        self.fh, self.offset = fh, offset

    def seek(self, pos: int) -> None:
        self.fh.seek(self.offset + pos)

    def read(self, size: int) -> bytes:
        return self.fh.read(size)


@dataclass(frozen=True)
class StoredRecord:
    """A record met while scanning a WARC file, with its pointer."""

    record: ArcWarcRecord
    offset: int
    length: int
    content: bytes  # the payload, Content-Encoding undone for responses and revisits
    too_large: str | None = None  # why `content` is empty: the body is over the cap


def iter_records(path: Path, on_damage: Callable[[Damage], None] | None = None
                 ) -> Iterator[StoredRecord]:
    """Every readable record of a WARC (gzip or not) with offset and length. A damaged
    record costs only itself: its byte range goes to `on_damage` and reading resumes at the
    next record. Without `on_damage`, WarcError is raised once every readable record was
    yielded, naming the damage."""
    damage: list[Damage] = []
    try:
        with open(path, "rb") as fh:
            reader = Reader(fh, os.fstat(fh.fileno()).st_size, limit=MAX_BODY_BYTES)
            for found in reader:
                if isinstance(found, Damage):
                    (on_damage or damage.append)(found)
                    continue
                yield _stored(found)
    except OSError as exc:
        raise WarcError(f"{path}: {exc.strerror}") from exc
    if damage:
        raise WarcError(f"{path}: {describe(damage)}")


def _stored(found: Found) -> StoredRecord:
    record, content = found.record, found.content
    if found.over_limit:
        return StoredRecord(record, found.offset, found.length, b"",
                            str(BodyTooLarge(MAX_BODY_BYTES, "stored")))
    if record.http_headers is not None and record.rec_type in ("response", "revisit"):
        try:
            content = decode_payload(content, record.http_headers)
        except BodyTooLarge as exc:
            return StoredRecord(record, found.offset, found.length, b"", str(exc))
    return StoredRecord(record, found.offset, found.length, content)


def read_warcinfo(path: Path) -> dict[str, str] | None:
    """The fields of the warcinfo record that heads a WARC file (None: it has none, or the
    file cannot be read; reindex reports the damage)."""
    try:
        for stored in iter_records(path):
            if stored.record.rec_type != "warcinfo":
                return None
            fields: dict[str, str] = {}
            key = ""
            for line in stored.content.decode("utf-8", "replace").splitlines():
                if line[:1] in (" ", "\t") and key:  # a folded value goes on
                    fields[key] = f"{fields[key]} {line.strip()}".strip()
                    continue
                name, sep, value = line.partition(":")
                key = name.strip() if sep and name.strip() not in fields else ""
                if key:
                    fields[key] = value.strip()
            return fields
    except WarcError:
        return None
    return None


def stored_config_value(document: Mapping[str, Any]) -> str:
    """The `STORED_CONFIG_FIELD` value for a crawl's config document: one line of JSON."""
    return json.dumps(document, ensure_ascii=True, default=str, separators=(",", ":"))


def read_stored_config(path: Path) -> dict[str, Any] | None:
    """The crawl config a Liputan WARC file carries in its warcinfo (`STORED_CONFIG_FIELD`),
    as the crawl wrote it: None for other tools' files and Liputan's older ones."""
    value = (read_warcinfo(path) or {}).get(STORED_CONFIG_FIELD)
    if not value:
        return None
    try:
        document = json.loads(value)
    except ValueError:
        return None
    return document if isinstance(document, dict) else None


def target_uri(record: ArcWarcRecord) -> str:
    """WARC-Target-URI without the angle brackets some WARC/1.0 writers added; an ARC
    record's URL (warcio names it `uri`)."""
    uri = record.rec_headers.get_header("WARC-Target-URI") or (
        record.rec_headers.get_header("uri") if record.format == "arc" else "") or ""
    return uri.strip().removeprefix("<").removesuffix(">")


def record_id(record: ArcWarcRecord, label: str, offset: int) -> str:
    """The record's WARC-Record-ID, or for a record without one (every ARC record) a
    synthetic id made of its pointer, `<urn:liputan:offset:FILE:OFFSET>`: (file, offset)
    is the one thing unique to such a record in an archive (URL, date and payload repeat),
    it stays the same at every reindex of the file (so the row is found again), and
    `check` can recompute it from the pointer it reads."""
    found = record.rec_headers.get_header("WARC-Record-ID")
    if found:
        return found
    return f"<urn:liputan:offset:{quote(label, safe='/')}:{offset}>"


def record_date(record: ArcWarcRecord) -> datetime | None:
    """WARC-Date, or an ARC record's archive-date (14 digits, UTC); None if unreadable."""
    headers = record.rec_headers
    try:
        if record.format == "arc":
            stamp = headers.get_header("archive-date") or ""
            return datetime.strptime(stamp[:14], "%Y%m%d%H%M%S").replace(tzinfo=UTC)
        return datetime.fromisoformat(headers.get_header("WARC-Date") or "")
    except ValueError:
        return None
