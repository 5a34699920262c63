"""`liputan reindex` of archives other tools wrote: ARC files (plain and gzipped, a space in
a URL, no record ids), `resource` records, revisits with an empty block and without
WARC-Refers-To, and files of several crawls into one index. The files are written here, by
hand, as those tools lay them out; warcio reads them back."""

from __future__ import annotations

import gzip
import sqlite3
from pathlib import Path

from pipelines.check import CheckReport, check_pointers
from pipelines.index import INDEX_NAME, Index
from pipelines.reindex import reindex
from pipelines.warc import sha1_digest
from tests.conftest import liputan

PAGE = (b"<html><head><title>Banjir di Jakarta</title></head><body><article><p>"
        + b"Banjir merendam ribuan rumah di Jakarta Timur pada hari Senin. " * 12
        + b"</p></article></body></html>")
HTTP = (b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: "
        + str(len(PAGE)).encode() + b"\r\n\r\n" + PAGE)
SPACED = "http://example.test/cari?q=banjir di jakarta"


def _arc(path: Path, records: list[tuple[str, bytes]], gzipped: bool = False) -> Path:
    """An ARC v1 file: its filedesc version block, then "URL IP date type length" + body."""
    version = b"1 0 Test\nURL IP-address Archive-date Content-type Archive-length\n"
    blocks = [(f"filedesc://{path.name}", "text/plain", version)]
    blocks += [(url, "text/html", body) for url, body in records]
    members = [f"{url} 127.0.0.1 20240105060708 {kind} {len(body)}\n".encode() + body + b"\n"
               for url, kind, body in blocks]
    path.write_bytes(b"".join(gzip.compress(m) for m in members) if gzipped
                     else b"".join(members))
    return path


def _warc_record(fields: list[tuple[str, str]], block: bytes) -> bytes:
    head = "".join(f"{k}: {v}\r\n" for k, v in [*fields, ("Content-Length", str(len(block)))])
    return gzip.compress(b"WARC/1.0\r\n" + head.encode() + b"\r\n" + block + b"\r\n\r\n")


def _warc(path: Path, crawl: str | None, records: list[tuple[str, str, bytes, dict]]) -> Path:
    """A gzipped WARC: a warcinfo (naming `crawl` when given), then (type, URL, block,
    extra headers) records; ids from the file name and position."""
    info = f"software: test\r\nisPartOf: {crawl}\r\n" if crawl else "software: test\r\n"
    out = [_warc_record([("WARC-Type", "warcinfo"),
                         ("WARC-Record-ID", f"<urn:test:{path.name}:info>"),
                         ("WARC-Date", "2024-01-05T06:07:08Z"),
                         ("Content-Type", "application/warc-fields")], info.encode())]
    for n, (kind, url, block, extra) in enumerate(records):
        fields = [("WARC-Type", kind), ("WARC-Record-ID", f"<urn:test:{path.name}:{n}>"),
                  ("WARC-Date", f"2024-01-05T06:07:{n:02d}Z"), ("WARC-Target-URI", url),
                  *extra.items()]
        out.append(_warc_record(fields, block))
    path.write_bytes(b"".join(out))
    return path


def _captures(root: Path) -> list[dict]:
    with sqlite3.connect(root / INDEX_NAME) as conn:
        conn.row_factory = sqlite3.Row
        return [dict(r) for r in conn.execute("SELECT * FROM captures ORDER BY id")]


def _pointers_ok(root: Path) -> list[str]:
    report = CheckReport()
    index = Index(root / INDEX_NAME)
    try:
        check_pointers(root, index, report)
    finally:
        index.close()
    return report.problems


def test_arc_records_keep_their_urls_and_rows(tmp_path):
    # Two captures of one URL in two files (plain and gzipped), and a URL with a space.
    root = tmp_path / "archive"
    plain = _arc(tmp_path / "a.arc", [("http://example.test/", HTTP), (SPACED, HTTP)])
    packed = _arc(tmp_path / "b.arc.gz", [("http://example.test/", HTTP)], gzipped=True)
    report = reindex([plain, packed], root)
    assert report.problems == []
    assert report.records == 5 and report.captures == 3
    rows = _captures(root)
    assert [r["url"] for r in rows] == ["http://example.test/", SPACED, "http://example.test/"]
    assert {r["status"] for r in rows} == {200}
    assert all(r["fetched_at"].startswith("2024-01-05T06:07:08") for r in rows)
    # No WARC-Record-ID in ARC: each row is keyed by its pointer, so none collapse.
    assert rows[0]["record_id"] == (f"<urn:liputan:offset:{plain.resolve()}:"
                                    f"{rows[0]['warc_offset']}>")
    assert len({r["record_id"] for r in rows}) == 3
    assert _pointers_ok(root) == []
    # Reindexed again: the same rows, found by the same ids.
    reindex([plain, packed], root)
    assert [r["id"] for r in _captures(root)] == [r["id"] for r in rows]


def test_resource_records_and_revisits_without_refers_to(tmp_path):
    root = tmp_path / "archive"
    digest = sha1_digest(PAGE)
    path = _warc(tmp_path / "tool.warc.gz", None, [
        ("response", "http://example.test/a", HTTP,
         {"Content-Type": "application/http;msgtype=response",
          "WARC-Payload-Digest": digest}),
        ("resource", "file:///notes.txt", b"catatan", {"Content-Type": "text/plain"}),
        # An empty block, no WARC-Refers-To: linked by payload digest and URL.
        ("revisit", "http://example.test/a", b"",
         {"WARC-Payload-Digest": digest,
          "WARC-Profile": "http://netpreserve.org/warc/1.0/revisit/identical-payload-digest"}),
        # Same payload, another URL: not this URL's revisit.
        ("revisit", "http://example.test/b", b"", {"WARC-Payload-Digest": digest}),
    ])
    report = reindex([path], root)
    assert report.problems == [] and report.captures == 4
    response, resource, revisit, other = _captures(root)
    assert (resource["url"], resource["record_type"], resource["status"],
            resource["content_type"]) == ("file:///notes.txt", "resource", None, "text/plain")
    assert resource["payload_digest"] == sha1_digest(b"catatan")
    assert (revisit["revisit_of"], revisit["status"], revisit["content_type"]) == (
        response["id"], 200, "text/html")
    assert revisit["payload_digest"] == digest
    assert (other["revisit_of"], other["status"]) == (None, None)
    assert report.unresolved_revisits == 0
    assert _pointers_ok(root) == []


def test_files_of_two_crawls_stay_apart(tmp_path):
    root = tmp_path / "archive"
    page = {"Content-Type": "application/http;msgtype=response"}
    first = _warc(tmp_path / "satu.warc.gz", "satu", [("response", "http://a.test/", HTTP, page)])
    second = _warc(tmp_path / "dua.warc.gz", "dua", [("response", "http://b.test/", HTTP, page)])
    arc = _arc(tmp_path / "c.arc", [("http://c.test/", HTTP)])
    report = reindex([first, second, arc], root)
    assert report.runs.keys() == {"satu", "dua", "reindex"}
    with sqlite3.connect(root / INDEX_NAME) as conn:
        crawl_of = dict(conn.execute(
            "SELECT c.url, r.crawl FROM captures c JOIN runs r ON r.id = c.run_id"))
    assert crawl_of == {"http://a.test/": "satu", "http://b.test/": "dua",
                        "http://c.test/": "reindex"}
    before = {r["url"]: r["run_id"] for r in _captures(root)}
    # Into the existing index, in another order and with another file: indexed captures
    # keep their crawl's run, the new one gets its own crawl's.
    third = _warc(tmp_path / "tiga.warc.gz", "satu", [("response", "http://d.test/", HTTP, page)])
    again = reindex([second, arc, third, first], root)
    after = {r["url"]: r["run_id"] for r in _captures(root)}
    assert {url: after[url] for url in before} == before
    assert after["http://d.test/"] == again.runs["satu"]


def test_cli_reindexes_arc_and_damage_costs_one_line(tmp_path):
    root = tmp_path / "archive"
    arc = _arc(tmp_path / "web.arc", [("http://example.test/", HTTP)])
    good = _warc(tmp_path / "ok.warc.gz", None, [
        ("response", "http://example.test/x", HTTP, {})])
    cut = tmp_path / "cut.warc.gz"
    cut.write_bytes(good.read_bytes()[:-20])  # the file ends inside its last record
    done = liputan("reindex", "--no-gates", "--workers", "1", "--archive", str(root),
                   str(arc), str(good))
    assert done.returncode == 0, done.stderr
    assert "not a WARC or ARC file" not in done.stderr
    done = liputan("reindex", "--no-gates", "--workers", "1", "--archive", str(root), str(cut))
    assert done.returncode == 1
    problems = [line for line in done.stderr.splitlines() if line.startswith("problem:")]
    assert len(problems) == 1 and "1 records, 1 damaged at bytes" in problems[0], done.stderr
    assert "Traceback" not in done.stderr
    assert [r["url"] for r in _captures(root)] == ["http://example.test/",
                                                  "http://example.test/x"]
