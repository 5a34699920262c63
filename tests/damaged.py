"""A corpus of damaged WARC files, made from the fixture web's pages by our own writer and
then damaged the ways archives get damaged: flipped bytes inside a gzip member, a file cut
inside its last record, a bad HTTP status line, garbage between members, decompression
bombs (in the HTTP body and in the record itself), an uncompressed WARC with a corrupted
header, a zero-length file and a file that is no WARC at all.

Each `Damaged` says what a reader must make of its file: the good records, captures and
article pages it holds (counted on the pristine file), and the byte ranges of the damage.
The tests (tests/test_damaged_warcs.py) and benchmarks/damage.py use it.
"""

from __future__ import annotations

import gzip
import random
import sqlite3
import struct
import subprocess
import sys
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from warcio.archiveiterator import ArchiveIterator

from pipelines.warc import (
    WARC_VERSION,
    HttpExchange,
    WarcWriter,
    new_record_id,
    warc_date,
)

ZERO_CHUNK = 1 << 24  # a bomb is built from one compressed chunk of zeros, repeated
MOMENT = datetime(2022, 1, 6, 8, 30, tzinfo=UTC)


@dataclass
class Damaged:
    """One file of the corpus and what reading it must give."""

    path: Path
    records: int  # good records in it
    captures: int  # good response and revisit records
    articles: set[str] = field(default_factory=set)  # URLs of the good article pages
    ranges: list[tuple[int, int]] = field(default_factory=list)  # damaged byte ranges
    too_large: int = 0  # good captures whose body is over the cap


def site_urls(web, others: int | None = None) -> list[str]:
    """The web's article pages, then `others` (None: all) of its home pages, robots.txt,
    feeds and sitemaps."""
    extra = [*web.start_urls, *(u + "robots.txt" for u in web.start_urls), *web.feeds,
             *web.sitemaps]
    return [a.url for a in web.articles] + extra[:others]


def fixture_pages(web, urls: Sequence[str]) -> list[HttpExchange]:
    """Exchanges for `urls` of the web (every other compressible one gzip-encoded, as
    servers send them), built in process: no server, no crawl."""
    pages = []
    for n, url in enumerate(urls):
        parts = urlsplit(url)
        response = web.site.respond(parts.netloc, parts.path or "/", parts.query)
        headers = [("Content-Type", response.content_type), *response.headers]
        body = response.body
        if n % 2 and response.compressible:
            body = gzip.compress(body, 6)
            headers.append(("Content-Encoding", "gzip"))
        headers.append(("Content-Length", str(len(body))))
        pages.append(HttpExchange(url, response.status, headers, body, fetched_at=MOMENT,
                                  ip_address="127.0.0.1"))
    return pages


def article_urls(web) -> set[str]:
    return {a.url for a in web.articles}


def write_warc(directory: Path, name: str, exchanges: Sequence[HttpExchange]) -> Path:
    """A fresh WARC of `exchanges` (fresh record ids: files of a batch never share one)."""
    writer = WarcWriter(directory / name, name, directory, hostname="corpus",
                        clock=lambda: MOMENT)
    for exchange in exchanges:
        writer.write_exchange(exchange)
    writer.close()
    return writer.closed_files[0]


@dataclass(frozen=True)
class Record:
    """One record of a pristine file, as warcio reads it (not our reader: the census must
    not take the reader under test on trust)."""

    offset: int
    length: int
    rec_type: str
    uri: str


def census(path: Path, articles: set[str]) -> tuple[list[Record], Damaged]:
    """The records of a pristine file and what reading it gives."""
    records = []
    with open(path, "rb") as fh:
        iterator = ArchiveIterator(fh)
        for record in iterator:
            iterator.read_to_end(record)
            records.append(Record(iterator.get_record_offset(), iterator.get_record_length(),
                                  record.rec_type,
                                  record.rec_headers.get_header("WARC-Target-URI") or ""))
    captures = [r for r in records if r.rec_type in ("response", "revisit")]
    urls = {r.uri for r in captures if r.rec_type == "response"} & articles
    return records, Damaged(path, len(records), len(captures), urls)


def _lose(damaged: Damaged, lost: Record, start: int, end: int) -> None:
    damaged.records -= 1
    if lost.rec_type in ("response", "revisit"):
        damaged.captures -= 1
        damaged.articles.discard(lost.uri)
    damaged.ranges.append((start, end))


def _middle_response(records: list[Record], articles: set[str]) -> Record:
    middle = [r for r in records if r.rec_type == "response" and r.uri in articles]
    return middle[len(middle) // 2]


def flipped(path: Path, articles: set[str], count: int = 16) -> Damaged:
    """`count` bytes flipped in the middle of the gzip member of an article page."""
    records, damaged = census(path, articles)
    victim = _middle_response(records, articles)
    data = bytearray(path.read_bytes())
    at = victim.offset + victim.length // 2
    for i in range(count):
        data[at + i] ^= 0xFF
    path.write_bytes(bytes(data))
    _lose(damaged, victim, victim.offset, victim.offset + victim.length)
    return damaged


def flip_middle(path: Path, count: int = 16) -> int:
    """`count` bytes flipped in the middle of the file, wherever that falls: the issue's
    damage. Returns where."""
    data = bytearray(path.read_bytes())
    at = len(data) // 2
    for i in range(count):
        data[at + i] ^= 0xFF
    path.write_bytes(bytes(data))
    return at


def truncated(path: Path, articles: set[str]) -> Damaged:
    """The file cut in the middle of its last record."""
    records, damaged = census(path, articles)
    last = records[-1]
    cut = last.offset + last.length // 2
    with open(path, "r+b") as fh:
        fh.truncate(cut)
    _lose(damaged, last, last.offset, cut)
    return damaged


def bad_status(directory: Path, name: str, exchanges: Sequence[HttpExchange],
               articles: set[str]) -> Damaged:
    """A response with the status line `HTTP/1.1 abc` in the middle of good pages."""
    half = len(exchanges) // 2
    liar = HttpExchange("http://www.bad-status.test/", "abc",  # type: ignore[arg-type]
                        [("Content-Type", "text/html")], b"<html>x</html>")
    path = write_warc(directory, name, [*exchanges[:half], liar, *exchanges[half:]])
    records, damaged = census(path, articles)  # warcio does not read the status line
    bad = next(r for r in records if r.uri == liar.url and r.rec_type == "response")
    _lose(damaged, bad, bad.offset, bad.offset + bad.length)
    return damaged


def garbage_between(path: Path, articles: set[str], size: int = 1000) -> Damaged:
    """`size` random bytes between two gzip members in the middle of the file."""
    records, damaged = census(path, articles)
    at = records[len(records) // 2].offset
    data = path.read_bytes()
    junk = random.Random(13).randbytes(size).replace(b"\x1f\x8b", b"\x00\x00")
    path.write_bytes(data[:at] + junk + data[at:])
    damaged.ranges.append((at, at + size))
    return damaged


def plain_corrupted(path: Path, articles: set[str]) -> Damaged:
    """The file uncompressed (`.warc`), with the header of an article page's record
    corrupted: its `WARC/1.1` line and its first field overwritten."""
    plain = path.with_name(path.name.removesuffix(".gz"))
    plain.write_bytes(gzip.decompress(path.read_bytes()))
    path.unlink()
    records, damaged = census(plain, articles)
    victim = _middle_response(records, articles)
    after = records[records.index(victim) + 1]
    data = bytearray(plain.read_bytes())
    data[victim.offset:victim.offset + 12] = b"XXXX/1.1\r\nXY"
    plain.write_bytes(bytes(data))
    _lose(damaged, victim, victim.offset, after.offset)
    return damaged


def gzip_of_zeros(size: int, prefix: bytes = b"", suffix: bytes = b"") -> Iterator[bytes]:
    """A gzip member of `prefix`, `size` zero bytes and `suffix`, made without compressing
    the zeros: one compressed chunk repeated (a full flush makes each chunk's deflate bytes
    the same). 10 GB of zeros become ~10 MB at once."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    yield b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"  # gzip header, no name, no time
    yield compressor.compress(prefix) + compressor.flush(zlib.Z_FULL_FLUSH)
    zeros = bytes(ZERO_CHUNK)
    chunk = compressor.compress(zeros) + compressor.flush(zlib.Z_FULL_FLUSH)
    crc = zlib.crc32(prefix)
    whole, rest = divmod(size, ZERO_CHUNK)
    for _ in range(whole):
        yield chunk
        crc = zlib.crc32(zeros, crc)
    tail = bytes(rest) + suffix
    yield compressor.compress(tail) + compressor.flush()
    crc = zlib.crc32(tail, crc)
    yield struct.pack("<II", crc, (len(prefix) + size + len(suffix)) & 0xFFFFFFFF)


def bomb_body(size: int) -> bytes:
    """An HTTP body, Content-Encoding gzip, that inflates to `size` zero bytes."""
    return b"".join(gzip_of_zeros(size))


def http_bomb(directory: Path, name: str, exchanges: Sequence[HttpExchange],
              articles: set[str], size: int) -> Damaged:
    """Good pages and, in their middle, a 200 text/html page whose gzip body inflates to
    `size` bytes: a capture over the cap, not damage."""
    half = len(exchanges) // 2
    bomb = HttpExchange("http://www.bomb.test/", 200,
                        [("Content-Type", "text/html"), ("Content-Encoding", "gzip")],
                        bomb_body(size), fetched_at=MOMENT)
    path = write_warc(directory, name, [*exchanges[:half], bomb, *exchanges[half:]])
    _, damaged = census(path, articles)
    damaged.too_large = 1
    return damaged


def record_bomb(directory: Path, name: str, exchanges: Sequence[HttpExchange],
                articles: set[str], size: int) -> Damaged:
    """Good pages, then a response record whose own content is `size` bytes (a small gzip
    member): a capture over the cap, stored so."""
    path = write_warc(directory, name, exchanges)
    _, damaged = census(path, articles)
    http = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n"
    record_id = new_record_id()
    head = "".join(f"{line}\r\n" for line in [
        WARC_VERSION, "WARC-Type: response", f"WARC-Record-ID: {record_id}",
        f"WARC-Date: {warc_date(MOMENT)}", "WARC-Target-URI: http://www.record-bomb.test/",
        "Content-Type: application/http;msgtype=response",
        f"Content-Length: {len(http) + size}"]).encode() + b"\r\n"
    with open(path, "ab") as fh:
        for part in gzip_of_zeros(size, head + http, b"\r\n\r\n"):
            fh.write(part)
    damaged.records += 1
    damaged.captures += 1
    damaged.too_large = 1
    return damaged


def zero_length(directory: Path) -> Damaged:
    path = directory / "empty.warc.gz"
    path.write_bytes(b"")
    return Damaged(path, 0, 0, ranges=[])


def not_a_warc(directory: Path) -> Damaged:
    """Random bytes named .warc.gz, starting like gzip."""
    path = directory / "notes.warc.gz"
    path.write_bytes(gzip.compress(b"<html>not an archive</html>" * 50)
                     + random.Random(7).randbytes(5000))
    return Damaged(path, 0, 0, ranges=[(0, path.stat().st_size)])


def run_measured(args: Sequence[str], cwd: Path, timeout: float = 300,
                 memory_limit_mb: int = 0, keep_stdout: bool = True
                 ) -> tuple[subprocess.CompletedProcess, float]:
    """Run `python -m crawler.cli ARGS` and return it with its peak RSS in MB: the largest
    of the process and its workers, measured by a parent of their own (RUSAGE_CHILDREN
    of this process would include every child it ever had). `memory_limit_mb` caps its
    address space (code that inflates bombs whole then fails instead of filling the box)."""
    probe = ("import resource, subprocess, sys\n"
             f"limit = {memory_limit_mb} << 20\n"
             "if limit: resource.setrlimit(resource.RLIMIT_AS, (limit, limit))\n"
             "r = subprocess.run(sys.argv[1:])\n"
             "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr)\n"
             "sys.exit(r.returncode)\n")
    result = subprocess.run([sys.executable, "-c", probe, sys.executable, "-m", "crawler.cli",
                             *args], cwd=cwd, stdout=subprocess.PIPE if keep_stdout else
                            subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            errors="replace", timeout=timeout)
    lines = result.stderr.rstrip().splitlines()
    peak_kb = int(lines[-1])
    result.stderr = "\n".join(lines[:-1])
    return result, peak_kb / 1024


def point_an_article_at_bomb(archive: Path) -> str:
    """Make an article's capture point at the bomb's record (an index built before the
    cap, say); the article's id."""
    db = sqlite3.connect(archive / "index.db")
    pointer = db.execute("SELECT warc_file, warc_offset, warc_length FROM captures"
                         " WHERE url = 'http://www.bomb.test/'").fetchone()
    db.execute("UPDATE captures SET warc_file=?, warc_offset=?, warc_length=? WHERE id ="
               " (SELECT capture_id FROM articles LIMIT 1)", pointer)
    db.commit()
    article = str(db.execute("SELECT id FROM articles LIMIT 1").fetchone()[0])
    db.close()
    return article
