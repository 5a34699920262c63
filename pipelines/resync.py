"""Finding the records of a WARC file that may be damaged, within bounded memory.

A `.warc.gz` is read one gzip member at a time (one record each), a plain `.warc` record by
record. A record that cannot be read (a member that does not inflate or stops short, a
header that does not parse, a bad HTTP status line, bytes that are no record at all) is a
`Damage` with its byte range, and reading goes on at the next record: the next gzip member
(magic 1f 8b 08) that inflates to a WARC header, or the next `WARC/1.x` line. warcio parses
each record's headers; it never sees more than one record, so its own stop at the first
damage (and its warnings on stderr) cannot cost the rest of the file.

Memory stays bounded whatever the file holds: headers up to HEAD_MAX, a record's content
kept up to the caller's limit (the rest is read through and dropped, so a member of zeros
that inflates to 10 GB costs time, not memory).
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from warcio.recordloader import ArcWarcRecord, ArcWarcRecordLoader

from pipelines.failpoints import failpoint

GZIP_MAGIC = b"\x1f\x8b\x08"
WINDOW = 1 << 20  # bytes of the file read at a time
IN_STEP = 1 << 16  # compressed bytes fed to the inflater at a time
OUT_STEP = 1 << 20  # inflated bytes produced at a time
HEAD_MAX = 16 << 20  # WARC and HTTP header bytes of one record (a warcinfo line can be long)
SHOWN = 3  # damaged ranges a summary names
# Why bytes are no record at all (rather than a damaged one): a file that starts so may be
# no WARC or ARC file.
NOT_A_GZIP_MEMBER, NOT_A_RECORD, NO_RECORD = (
    "not a gzip member", "not a WARC record", "truncated: no record")
_WARC_LINE = re.compile(rb"WARC/\d+\.\d+\r?\n")
# An ARC header line: URL, IP address, date, content type, length. Some writers left
# spaces in the URL: the four fields after it are found from the end of the line.
_ARC_LINE = re.compile(rb"[a-z][a-z0-9+.-]*:[^\r\n]*? \S+ \d{14} \S* \d+\r?\n")


@dataclass(frozen=True)
class Damage:
    """Bytes `start` to `end` of a file that hold no readable record."""

    start: int
    end: int
    reason: str


@dataclass(frozen=True)
class Found:
    """One readable record: where it is, and its content (the block after any HTTP
    headers) as stored, when kept and within the limit."""

    record: ArcWarcRecord
    offset: int
    length: int
    content: bytes
    over_limit: bool  # the content passed the limit: `content` is empty
    digest_problem: str | None = None  # when digests were checked and one does not match


def describe(damage: list[Damage], shown: int = SHOWN) -> str:
    """'K damaged at a-b (reason), ...': short, whatever K is."""
    parts = [f"{d.start}-{d.end} ({d.reason})" for d in damage[:shown]]
    more = f" and {len(damage) - shown} more" if len(damage) > shown else ""
    return f"{len(damage)} damaged at bytes {', '.join(parts)}{more}"


class _Damaged(Exception):
    """`end`: where the next record starts, when known. `find_end`: the gzip member is
    intact as far as known (its record is bad): its end is where reading goes on."""

    def __init__(self, reason: str, end: int | None = None, find_end: bool = False) -> None:
        super().__init__(reason)
        self.reason, self.end, self.find_end = reason, end, find_end


class _Cut(Exception):
    """The file (or the pointer's span) ends inside the record."""


class _Source:
    """A window of the file, read ahead: bytes [start, end) of it are the reader's."""

    def __init__(self, fh: BinaryIO, end: int) -> None:
        self.fh, self.end = fh, end
        self.base, self.data = 0, b""

    def read(self, pos: int, size: int) -> bytes:
        size = min(size, self.end - pos)
        if size <= 0:
            return b""
        if not (self.base <= pos and pos + size <= self.base + len(self.data)):
            self.fh.seek(pos)
            self.base, self.data = pos, self.fh.read(max(size, min(WINDOW, self.end - pos)))
        offset = pos - self.base
        return self.data[offset:offset + size]


class _Stream:
    """A record's bytes as a file for warcio, from `start`: bounded reads and lines."""

    def __init__(self, source: _Source, start: int) -> None:
        self.source, self.start = source, start
        self.fed = start  # file offset of the next byte to take from the source
        self.buf, self.pos, self.told = bytearray(), 0, 0
        self.head_left = HEAD_MAX

    def _more(self) -> bytes | None:  # more bytes, or None at the end
        data = self.source.read(self.fed, IN_STEP)
        self.fed += len(data)
        return data or None

    def _fill(self) -> bool:
        if self.pos > OUT_STEP:  # drop what was read: memory stays one step deep
            del self.buf[:self.pos]
            self.pos = 0
        data = self._more()
        if data is None:
            return False
        self.buf += data
        return True

    def peek(self, size: int) -> bytes:
        while len(self.buf) - self.pos < size and self._fill():
            pass
        return bytes(self.buf[self.pos:self.pos + size])

    def read(self, size: int | None = None) -> bytes:
        if size is None or size < 0:
            size = OUT_STEP
        if len(self.buf) == self.pos:
            self.buf.clear()
            self.pos = 0
            data = self._more()
            if data is None:
                return b""
            if len(data) <= size:  # handed on as is: content streams through uncopied
                self.told += len(data)
                return data
            self.buf += data
        data = bytes(self.buf[self.pos:self.pos + size])
        self.pos += len(data)
        self.told += len(data)
        return data

    def readline(self, size: int | None = None) -> bytes:
        limit = min(size if size is not None and size >= 0 else HEAD_MAX, self.head_left + 1)
        scanned = 0  # bytes after `pos` known to hold no line break
        while True:
            end = self.buf.find(b"\n", self.pos + scanned, self.pos + limit)
            if end >= 0:
                end += 1
                break
            if len(self.buf) - self.pos >= limit:
                end = self.pos + limit
                break
            scanned = len(self.buf) - self.pos
            if not self._fill():
                end = len(self.buf)
                break
        line = bytes(self.buf[self.pos:end])
        self.pos = end
        self.told += len(line)
        self.head_left -= len(line)
        if self.head_left < 0:
            raise _Damaged(f"headers over {HEAD_MAX >> 20} MB", find_end=True)
        return line

    def tell(self) -> int:
        return self.told

    def close(self) -> None:
        pass


class _Member(_Stream):
    """One gzip member, inflated as it is read. `end` is known once it has been read
    through: the file offset just past its trailer."""

    def __init__(self, source: _Source, start: int) -> None:
        super().__init__(source, start)
        self.inflater = zlib.decompressobj(31)
        self.tail = b""  # compressed bytes taken but not yet inflated

    def _more(self) -> bytes | None:
        while not self.inflater.eof:
            data = self.tail or self.source.read(self.fed, IN_STEP)
            if not self.tail:
                self.fed += len(data)
            try:
                piece = self.inflater.decompress(data, OUT_STEP)
            except zlib.error as exc:
                raise _Damaged(f"gzip member does not inflate: {exc}") from exc
            self.tail = self.inflater.unconsumed_tail
            if piece:
                return piece
            if not data:
                raise _Cut()
        return None

    @property
    def end(self) -> int:
        return self.fed - len(self.inflater.unused_data)

    def drain(self) -> bytes:
        """Read the member through to its end; returns the first bytes left unread."""
        left = self.peek(64)
        while self._fill():
            self.pos = len(self.buf)
        return left


def _format(head: bytes, known: str | None) -> str | None:
    if head.startswith(b"WARC/") and known in (None, "warc"):
        return "warc"
    if known in (None, "arc") and _ARC_LINE.match(head):
        return "arc"
    return None


class Reader:
    """The records of one open WARC file (gzip per record, or plain), damage and all."""

    def __init__(self, fh: BinaryIO, size: int, *, limit: int, keep: bool = True,
                 check_digests: bool = False) -> None:
        self.source = _Source(fh, size)
        self.size, self.limit, self.keep = size, limit, keep
        self.check_digests = check_digests
        self.gzip = self.source.read(0, 2) == GZIP_MAGIC[:2]
        self.format: str | None = None
        self.loader = ArcWarcRecordLoader(verify_http=False, arc2warc=False)

    def __iter__(self) -> Iterator[Found | Damage]:
        pos, pending = 0, None
        while pos < self.size:
            if not self.source.read(pos, 64).strip() and pos + 64 >= self.size:
                break  # blank lines at the end of the file
            try:
                found, pos_next = self._read_at(pos)
            except _Damaged as exc:
                end = exc.end if exc.end is not None and exc.end > pos else self._sync(pos + 1)
                if pending is not None and pending.end == pos:  # one damaged run, one range
                    pending = Damage(pending.start, end, pending.reason)
                else:
                    if pending is not None:
                        yield pending
                    pending = Damage(pos, end, exc.reason)
                pos = end
                continue
            if pending is not None:
                yield pending
                pending = None
            yield found
            pos = pos_next
        if pending is not None:
            yield pending

    def _read_at(self, pos: int) -> tuple[Found, int]:
        """The record at `pos` and where the next one may start; `_Damaged` if none."""
        if self.gzip and self.source.read(pos, 3) != GZIP_MAGIC:
            raise _Damaged(NOT_A_GZIP_MEMBER)
        stream = _Member(self.source, pos) if self.gzip else _Stream(self.source, pos)
        try:
            return self._read(stream, pos)
        except _Cut:
            raise _Damaged("truncated: the file ends inside this record") from None
        except _Damaged as exc:
            if exc.end is None and exc.find_end and isinstance(stream, _Member):
                exc.end = self._member_end(stream)
            raise

    def _member_end(self, stream: _Member) -> int | None:
        try:
            stream.drain()
        except (_Damaged, _Cut):
            return None
        return stream.end

    def _read(self, stream: _Stream, pos: int) -> tuple[Found, int]:
        head = stream.peek(512)
        kind = _format(head, self.format)
        if kind is None:
            raise _Damaged(NOT_A_RECORD if head else NO_RECORD,
                           find_end=True)
        try:
            record = self.loader.parse_record_stream(
                stream, known_format=kind, check_digests=self.check_digests)
        except (_Damaged, _Cut):
            raise
        except Exception as exc:  # noqa: BLE001 - warcio fails in many ways on damage
            raise _Damaged(f"unreadable header: {printable(exc)}", find_end=True) from exc
        bad = _bad_status(record)
        content, over = self._content(record)
        if getattr(record.raw_stream, "limit", 0) > 0:
            if isinstance(stream, _Member):  # the member ended before its record
                raise _Damaged("record shorter than its Content-Length", stream.end)
            raise _Damaged("truncated: the file ends inside this record")
        if isinstance(stream, _Member):
            after = stream.drain()
            length, next_pos = stream.end - pos, stream.end
            if after.strip():
                raise _Damaged("data after the record in its gzip member (a wrong"
                               " Content-Length, or several records in one member)", next_pos)
        else:
            length = stream.tell()
            after = stream.peek(4)
            if after and not after.startswith((b"\r\n", b"\n")):
                raise _Damaged("no blank line after the record (a wrong Content-Length?)")
            next_pos = pos + length + _blank_lines(self.source, pos + length)
        if bad:
            raise _Damaged(bad, next_pos)
        if self.format is None:
            self.format = kind
        problem = None
        checker = record.digest_checker
        if self.check_digests and checker is not None and checker.passed is False:
            problem = "; ".join(str(p) for p in checker.problems) or "digest mismatch"
        return Found(record, pos, length, content, over, problem), next_pos

    def _content(self, record: ArcWarcRecord) -> tuple[bytes, bool]:
        kept, size = bytearray(), 0
        while piece := record.raw_stream.read(OUT_STEP):
            size += len(piece)
            if self.keep and size <= self.limit:
                kept += piece
        if size > self.limit:
            return b"", True
        return bytes(kept), False

    def _sync(self, start: int) -> int:
        """The offset of the next readable record start at or after `start` (else the end)."""
        failpoint("warc-resync")  # crash tests die here: mid-scan past a damaged region
        pattern = GZIP_MAGIC if self.gzip else b"\nWARC/"
        pos = start if self.gzip else start - 1
        while True:
            window = self.source.read(pos, WINDOW)
            if len(window) < len(pattern):
                return self.size
            found = window.find(pattern)
            while found >= 0:
                candidate = pos + found + (0 if self.gzip else 1)
                if candidate >= start and self._starts_record(candidate):
                    return candidate
                found = window.find(pattern, found + 1)
            if len(window) < WINDOW:
                return self.size
            pos += len(window) - len(pattern) + 1

    def _starts_record(self, pos: int) -> bool:
        if not self.gzip:
            return bool(_WARC_LINE.match(self.source.read(pos, 16)))
        try:
            head = _Member(self.source, pos).peek(512)
        except (_Damaged, _Cut):
            return False
        return _format(head, self.format) is not None


def _bad_status(record: ArcWarcRecord) -> str | None:
    """Why a response's HTTP status line is unusable (None: it is fine)."""
    if record.rec_type not in ("response", "revisit") or record.http_headers is None:
        return None
    code = record.http_headers.get_statuscode() or ""
    if len(code) == 3 and code.isdigit():
        return None
    line = f"{record.http_headers.protocol} {record.http_headers.statusline}".strip()
    return f"bad HTTP status line {printable(line)!r}"


def _blank_lines(source: _Source, pos: int) -> int:
    """How many bytes of blank lines follow `pos` (between plain records)."""
    skipped = 0
    while True:
        chunk = source.read(pos + skipped, 4096)
        stripped = chunk.lstrip(b"\r\n")
        skipped += len(chunk) - len(stripped)
        if stripped or not chunk:
            return skipped


def printable(exc: BaseException | str) -> str:
    """Text fit for one line on a terminal: warcio quotes the damaged bytes it met,
    control characters included."""
    text = (exc if isinstance(exc, str) else str(exc)) or type(exc).__name__
    text = "".join(c if c.isprintable() else "?" for c in text)
    return text if len(text) <= 160 else text[:157] + "..."
