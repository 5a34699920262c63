"""LIPUTAN_WARC_TEXT: each indexed article's text archived as a WARC conversion record that
refers to its response, so the archive alone carries the text researchers cite; indexed,
checked, and found again by reindex. (Kill -9 with it on: tests/test_resume.py.)"""

from __future__ import annotations

import sqlite3
import subprocess

from pipelines.warc import CONVERSION_TYPE, iter_records, read_record
from tests.conftest import REPO, liputan
from tests.crashcampaign import crawl_command, write_config
from tests.fixtureweb import FixtureWeb


def test_every_article_has_its_text_as_a_conversion_record_of_its_response(tmp_path):
    root = tmp_path / "archive"
    with FixtureWeb(outlets=1, articles_per_outlet=25, seed=11, log_requests=False) as web:
        config = write_config(tmp_path / "texts.toml", web.start_urls, name="texts")
        done = subprocess.run([*crawl_command(config, root, web.proxy_url),
                               "-s", "LIPUTAN_FOCUS=False"],
                              cwd=REPO, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr[-2000:]
    db = sqlite3.connect(root / "index.db")
    rows = db.execute(
        "SELECT a.title, a.text, c.url, c.record_id, v.warc_file, v.warc_offset, v.warc_length,"
        " v.record_id FROM articles a JOIN captures c ON c.id = a.capture_id"
        " LEFT JOIN conversions v ON v.capture_id = c.id").fetchall()
    texts = set(db.execute(
        "SELECT c.url, v.record_id FROM conversions v JOIN captures c ON c.id = v.capture_id"))
    db.close()
    assert len(rows) >= 10 and all(row[4] for row in rows), "an article without its text"
    whole = 0
    for title, text, url, response_id, file, offset, length, text_id in rows:
        record, block = read_record(root, (file, offset, length))
        headers = record.rec_headers
        assert record.rec_type == "conversion" and headers.get_header("WARC-Record-ID") == text_id
        assert headers.get_header("WARC-Refers-To") == response_id
        assert headers.get_header("WARC-Target-URI") == url
        assert headers.get_header("Content-Type") == CONVERSION_TYPE
        # A page of a multi-page story holds its own part of the article's text.
        page_text = block.decode("utf-8").removeprefix(f"{title}\n\n")
        assert page_text.endswith("\n") and page_text.rstrip("\n") in text
        whole += page_text.rstrip("\n") == text
    assert whole >= len(rows) - 3  # all but the multi-page stories'
    check = liputan("check", "--archive", str(root))
    assert check.returncode == 0, check.stdout
    # Reindexed elsewhere, the same records are the same articles' texts.
    fresh = tmp_path / "fresh"
    warcs = sorted(str(p) for p in root.rglob("*.warc.gz"))
    again = liputan("reindex", *warcs, "--archive", str(fresh), "--no-gates")
    assert again.returncode == 0, again.stderr
    db = sqlite3.connect(fresh / "index.db")
    relinked = set(db.execute(
        "SELECT c.url, v.record_id FROM conversions v JOIN captures c ON c.id = v.capture_id"))
    db.close()
    assert relinked == texts and {(row[2], row[7]) for row in rows} <= texts


def test_without_the_setting_no_conversion_record_is_written(crawled):
    kinds = {stored.record.rec_type for path in crawled.root.rglob("*.warc.gz")
             for stored in iter_records(path)}
    assert "conversion" not in kinds and "response" in kinds
