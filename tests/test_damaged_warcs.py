"""Damaged archives cost only the damaged records: reindex and check read every good record
of every file (counted exactly), report each damaged one with its byte range, and stay under
400 MB on decompression bombs, as do `liputan extract` and `liputan show --raw`."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from crawler import settings
from pipelines.decoding import MAX_BODY_BYTES, BodyTooLarge, decode_bytes
from pipelines.resync import Damage
from pipelines.warc import iter_records, read_record
from tests import damaged as corpus
from tests.conftest import REPO
from tests.fixtureweb import FixtureWeb

RSS_LIMIT_MB = 400
SLICES = 8  # the good pages are shared out among the files: no two hold the same page


@pytest.fixture(scope="module")
def batch(tmp_path_factory) -> list[corpus.Damaged]:
    web = FixtureWeb()  # only its pages: no server
    pages = corpus.fixture_pages(web, corpus.site_urls(web, others=SLICES))
    articles = corpus.article_urls(web)
    root = tmp_path_factory.mktemp("corpus")
    share = [pages[i::SLICES] for i in range(SLICES)]

    def fresh(n: int, name: str) -> Path:
        return corpus.write_warc(root, name, share[n])

    return [
        corpus.census(fresh(0, "pristine"), articles)[1],
        corpus.flipped(fresh(1, "flipped"), articles),
        corpus.truncated(fresh(2, "truncated"), articles),
        corpus.bad_status(root, "status", share[3], articles),
        corpus.garbage_between(fresh(4, "garbage"), articles),
        corpus.plain_corrupted(fresh(5, "plain"), articles),
        corpus.http_bomb(root, "httpbomb", share[6], articles, 1 << 30),
        corpus.record_bomb(root, "recordbomb", share[7], articles, 450 << 20),
        corpus.zero_length(root),
        corpus.not_a_warc(root),
    ]


def test_the_cap_is_the_crawls_download_cap():
    assert settings.DOWNLOAD_MAXSIZE == MAX_BODY_BYTES


def test_each_file_gives_its_good_records_and_its_damage_ranges(batch):
    for expected in batch:
        damage: list[Damage] = []
        records = list(iter_records(expected.path, damage.append))
        name = expected.path.name
        assert len(records) == expected.records, name
        assert [(d.start, d.end) for d in damage] == expected.ranges, (name, damage)
        assert sum(1 for r in records if r.too_large) == expected.too_large, name
        for stored in records:  # every pointer, after the damage too, reads its record
            if stored.too_large:
                continue  # (a bomb: read through above, a second time costs seconds)
            record, _ = read_record(expected.path.parent, (expected.path.name, stored.offset,
                                                          stored.length), payload=False)
            assert record.rec_headers == stored.record.rec_headers


def test_reindex_of_a_batch_indexes_every_good_record_and_names_each_damage(batch, tmp_path):
    archive = tmp_path / "archive"
    result, peak = corpus.run_measured(
        ["reindex", "--archive", str(archive), "--workers", "2",
         *(str(f.path) for f in batch)], REPO)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    problems = [line for line in result.stderr.splitlines() if line.startswith("problem:")]
    damaged = [f for f in batch if f.ranges or not f.records]
    assert len(problems) == len(damaged), problems  # one line a file, however much damage
    for expected in damaged:
        (line,) = [p for p in problems if str(expected.path) in p]
        if expected.records:
            assert f"{expected.records:,} records, {len(expected.ranges)} damaged at" in line
            for start, end in expected.ranges:
                assert f"{start}-{end}" in line
        else:
            assert "not a WARC or ARC file" in line
    db = sqlite3.connect(archive / "index.db")
    assert db.execute("SELECT count(*) FROM captures").fetchone()[0] == sum(
        f.captures for f in batch)
    indexed = {url for (url,) in db.execute("SELECT url FROM articles")}
    assert indexed == set().union(*(f.articles for f in batch))
    over = db.execute("SELECT url, error FROM captures WHERE error LIKE 'body over%'").fetchall()
    assert sorted(url for url, _ in over) == ["http://www.bomb.test/",
                                              "http://www.record-bomb.test/"]
    assert all("not extracted" in error for _, error in over)
    assert f"{sum(f.records for f in batch):,} records" in result.stdout
    assert peak < RSS_LIMIT_MB, f"reindex peaked at {peak:.0f} MB"


def test_check_reports_each_damaged_file_in_one_line_and_reads_past_it(batch, tmp_path):
    archive = tmp_path / "archive"
    archive.mkdir()
    for f in batch:
        (archive / f.path.name).symlink_to(f.path)
    result, peak = corpus.run_measured(["check", "--archive", str(archive)], REPO)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert f"{sum(f.records for f in batch):,} records" in result.stdout
    problems = [line for line in result.stdout.splitlines() if line.startswith("problem:")]
    for expected in batch:
        if expected.ranges and expected.records:
            (line,) = [p for p in problems if expected.path.name in p]
            assert f"{expected.records:,} records, {len(expected.ranges)} damaged at" in line
    assert len(problems) == sum(1 for f in batch if f.ranges or not f.records)
    assert peak < RSS_LIMIT_MB, f"check peaked at {peak:.0f} MB"


def test_extract_of_a_gzip_bomb_is_one_line_and_bounded(tmp_path):
    bomb = tmp_path / "page.html.gz"
    with open(bomb, "wb") as fh:
        for part in corpus.gzip_of_zeros(1 << 30, b"<html><body><p>"):
            fh.write(part)
    result, peak = corpus.run_measured(["extract", str(bomb), "--url", "http://x.test/a"],
                                       REPO)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1].startswith("Error:")
    assert "body over 32 MB decoded" in result.stderr and "Traceback" not in result.stderr
    assert peak < RSS_LIMIT_MB, f"extract peaked at {peak:.0f} MB"


def test_show_raw_of_a_bomb_record_is_one_line_and_bounded(batch, tmp_path):
    bomb = next(f for f in batch if "httpbomb" in f.path.name)
    archive = tmp_path / "archive"
    result = corpus.run_measured(["reindex", "--archive", str(archive), "--workers", "1",
                                  str(bomb.path)], REPO)[0]
    assert result.returncode == 0, result.stderr
    article = corpus.point_an_article_at_bomb(archive)
    result, peak = corpus.run_measured(["show", str(article), "--raw", "--archive",
                                        str(archive)], REPO)
    assert result.returncode == 1
    assert "body over 32 MB decoded" in result.stderr and "Traceback" not in result.stderr
    assert peak < RSS_LIMIT_MB, f"show peaked at {peak:.0f} MB"


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br", "zstd"])
def test_every_content_encoding_stops_at_the_cap(encoding):
    import zlib

    import brotli
    from backports import zstd

    pack = {"gzip": corpus.bomb_body, "deflate": lambda n: zlib.compress(bytes(n), 9),
            "br": lambda n: brotli.compress(bytes(n), quality=1),
            "zstd": lambda n: zstd.compress(bytes(n))}[encoding]
    body = pack(64 << 20)
    with pytest.raises(BodyTooLarge):
        decode_bytes(body, encoding, 8 << 20)
    assert decode_bytes(pack(1000), encoding) == bytes(1000)
