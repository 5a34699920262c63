"""WarcWriter: records, digests, revisits, rollover, naming; read back with warcio."""

from __future__ import annotations

import gzip
import subprocess
import sys
from datetime import UTC, datetime
from itertools import count
from pathlib import Path

import pytest

from pipelines.warc import (
    HttpExchange,
    WarcError,
    WarcWriter,
    iter_records,
    read_record,
    target_uri,
)

HTML = b"<html><body><p>Halo dunia</p></body></html>"


def make_writer(tmp_path: Path, **kwargs) -> WarcWriter:
    ids = count()
    return WarcWriter(
        tmp_path / "c" / "warcs", "c", tmp_path,
        clock=lambda: datetime(2022, 1, 6, 8, 30, tzinfo=UTC),
        record_ids=lambda: f"<urn:uuid:00000000-0000-0000-0000-{next(ids):012d}>",
        hostname="testhost", **kwargs,
    )


def exchange(url="http://www.a.test/x", body=HTML, status=200, headers=None):
    return HttpExchange(url, status, headers or [("Content-Type", "text/html")], body,
                        ip_address="127.0.0.1", request_headers=[("User-Agent", "t")])


def test_file_is_named_by_convention_and_open_while_written(tmp_path):
    writer = make_writer(tmp_path)
    writer.write_exchange(exchange())
    name = "c-20220106083000-00000-testhost.warc.gz"
    assert (tmp_path / "c" / "warcs" / (name + ".open")).exists()
    writer.close()
    assert (tmp_path / "c" / "warcs" / name).exists()
    assert not (tmp_path / "c" / "warcs" / (name + ".open")).exists()


def test_records_read_back_in_order_with_warcinfo_first(tmp_path):
    writer = make_writer(tmp_path)
    writer.write_exchange(exchange())
    writer.close()
    records = list(iter_records(writer.closed_files[0]))
    assert [r.record.rec_type for r in records] == ["warcinfo", "request", "response"]
    request, response = records[1].record, records[2].record
    assert response.rec_headers.get_header("WARC-IP-Address") == "127.0.0.1"
    assert response.rec_headers.get_header("WARC-Protocol") == "http/1.1"
    assert request.rec_headers.get_header("WARC-Concurrent-To") == response.rec_headers.get_header(
        "WARC-Record-ID")
    assert records[2].content == HTML


def test_warcinfo_is_never_dated_after_the_first_record(tmp_path):
    writer = make_writer(tmp_path)  # the writer's clock says 08:30
    earlier = datetime(2022, 1, 6, 8, 29, 58, tzinfo=UTC)
    writer.write_exchange(HttpExchange("http://www.a.test/x", 200, [], HTML,
                                       fetched_at=earlier))
    writer.close()
    info, request = list(iter_records(writer.closed_files[0]))[:2]
    assert info.record.rec_headers.get_header("WARC-Date") == "2022-01-06T08:29:58.000000Z"
    assert request.record.rec_headers.get_header("WARC-Date") == "2022-01-06T08:29:58.000000Z"


def test_operator_is_written_when_set_and_left_out_when_not(tmp_path):
    for info, expect in (({"operator": "Arsip Contoh <arsip@contoh.test>"}, True),
                         ({"operator": ""}, False)):
        writer = make_writer(tmp_path / str(expect), info=info)
        writer.write_exchange(exchange())
        writer.close()
        fields = next(iter_records(writer.closed_files[0])).content.decode()
        assert ("operator: Arsip Contoh <arsip@contoh.test>" in fields) is expect
        assert ("operator:" in fields) is expect


def test_pointer_reads_back_exactly_that_record(tmp_path):
    writer = make_writer(tmp_path)
    writer.write_exchange(exchange("http://www.a.test/1"))
    capture = writer.write_exchange(exchange("http://www.a.test/2", body=b"<html>2</html>"))
    record, _ = read_record(tmp_path, capture.ref)  # while still .open
    assert target_uri(record) == "http://www.a.test/2"
    writer.close()
    record, _ = read_record(tmp_path, capture.ref)
    assert record.rec_headers.get_header("WARC-Record-ID") == capture.ref.record_id


def test_gzip_body_is_stored_as_transferred(tmp_path):
    body = gzip.compress(HTML)
    writer = make_writer(tmp_path)
    capture = writer.write_exchange(exchange(headers=[("Content-Type", "text/html"),
                                                      ("Content-Encoding", "gzip")], body=body))
    writer.close()
    record, raw = read_record(tmp_path, capture.ref)
    assert record.http_headers.get_header("Content-Encoding") == "gzip"
    assert raw.endswith(body)  # the gzip bytes themselves, not the decoded page


def test_repeated_headers_are_all_kept(tmp_path):
    writer = make_writer(tmp_path)
    headers = [("Content-Type", "text/html"), ("Set-Cookie", "a=1"), ("Set-Cookie", "b=2")]
    capture = writer.write_exchange(exchange(headers=headers))
    writer.close()
    record, _ = read_record(tmp_path, capture.ref)
    cookies = [v for k, v in record.http_headers.headers if k.lower() == "set-cookie"]
    assert cookies == ["a=1", "b=2"]


def test_identical_payload_becomes_revisit(tmp_path):
    writer = make_writer(tmp_path)
    first = writer.write_exchange(exchange("http://www.a.test/img1.jpg", body=b"\xff\xd8jpeg"))
    second = writer.write_exchange(exchange("http://www.a.test/img2.jpg", body=b"\xff\xd8jpeg"))
    writer.close()
    assert (first.record_type, second.record_type) == ("response", "revisit")
    assert second.revisit_of == first.ref.record_id
    record, _ = read_record(tmp_path, second.ref)
    headers = record.rec_headers
    assert headers.get_header("WARC-Profile").endswith("/warc/1.1/revisit/identical-payload-digest")
    assert headers.get_header("WARC-Refers-To-Target-URI") == "http://www.a.test/img1.jpg"
    assert headers.get_header("WARC-Payload-Digest") == first.payload_digest


def test_error_responses_are_never_revisits(tmp_path):
    writer = make_writer(tmp_path)
    writer.write_exchange(exchange("http://www.a.test/a", status=404, body=b"gone"))
    again = writer.write_exchange(exchange("http://www.a.test/b", status=404, body=b"gone"))
    assert again.record_type == "response"


def test_rollover_starts_a_new_file_with_its_own_warcinfo(tmp_path):
    writer = make_writer(tmp_path, max_bytes=500)
    for i in range(3):
        writer.write_exchange(exchange(f"http://www.a.test/{i}", body=b"x" * 400 + bytes([i])))
    writer.close()
    assert len(writer.closed_files) == 3
    for path in writer.closed_files:
        types = [r.record.rec_type for r in iter_records(path)]
        assert types == ["warcinfo", "request", "response"]


def test_warcio_check_passes(tmp_path):
    writer = make_writer(tmp_path)
    writer.write_exchange(exchange())
    writer.write_exchange(exchange("http://www.a.test/again"))
    writer.close()
    result = subprocess.run([sys.executable, "-m", "warcio.cli", "check",
                             str(writer.closed_files[0])], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_truncated_file_yields_good_records_then_error(tmp_path):
    writer = make_writer(tmp_path)
    writer.write_exchange(exchange())
    writer.write_exchange(exchange("http://www.a.test/2", body=b"<html>two</html>"))
    writer.close()
    path = writer.closed_files[0]
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 40])
    seen = []
    with pytest.raises(WarcError):
        for stored in iter_records(path):
            seen.append(stored.record.rec_type)
    assert seen[:3] == ["warcinfo", "request", "response"]


@pytest.mark.parametrize("cut", [1, 4, 8, 12])
def test_a_file_cut_in_its_last_gzip_trailer_is_truncated(tmp_path, cut):
    # warcio reads such a record whole; its gzip member has no end all the same.
    writer = make_writer(tmp_path)
    writer.write_exchange(exchange())
    writer.close()
    path = writer.closed_files[0]
    path.write_bytes(path.read_bytes()[:-cut])
    seen = []
    with pytest.raises(WarcError, match="truncated"):
        for stored in iter_records(path):
            seen.append(stored.record.rec_type)
    assert seen == ["warcinfo", "request"]
