"""`liputan reindex` reproduces a focused crawl's index from its WARC files alone: the crawl
config travels in every warcinfo, and the crawl's gates (language, window, topic) apply
again in the extraction workers."""

from __future__ import annotations

import io
import json
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from itertools import count
from pathlib import Path

import pytest
from warcio.warcwriter import WARCWriter

from crawler.config import ConfigError, load_config
from crawler.focus import Focus, focus_from_stored, stored_config
from pipelines.reindex import reindex
from pipelines.warc import (
    STORED_CONFIG_FIELD,
    HttpExchange,
    WarcWriter,
    iter_records,
    read_stored_config,
    read_warcinfo,
)
from tests.conftest import DEMO_CONFIG, liputan


@pytest.fixture(scope="module")
def focused(web, tmp_path_factory) -> Path:
    """The demo config crawled with its focus on (the gates keep most articles out)."""
    root = tmp_path_factory.mktemp("focused")
    result = liputan("crawl", str(DEMO_CONFIG), "--archive", str(root), "--proxy",
                     web.proxy_url, "-s", "LOG_LEVEL=WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    return root


def warcs(root: Path) -> list[Path]:
    return sorted(root.rglob("*.warc.gz"))


def articles(root: Path) -> dict[str, str]:
    """Article URL -> the record id of the capture it was indexed from."""
    return dict(sqlite3.connect(root / "index.db").execute(
        "SELECT a.url, c.record_id FROM articles a JOIN captures c ON c.id = a.capture_id"))


def verdicts(root: Path) -> dict[str, tuple]:
    """Every archived capture's relevance and verdict, by record id."""
    return {row[0]: (row[1], row[2]) for row in sqlite3.connect(root / "index.db").execute(
        "SELECT record_id, round(relevance, 9), verdict FROM captures"
        " WHERE record_id IS NOT NULL")}


def reindexed(files: list[Path], archive: Path, *flags: str) -> subprocess.CompletedProcess:
    # One worker: the demo is small, and each worker loads the language model first.
    result = liputan("reindex", *map(str, files), "--archive", str(archive), "--workers", "1",
                     *flags)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


@pytest.fixture(scope="module")
def rebuilt(focused, tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    archive = tmp_path_factory.mktemp("rebuilt")
    return archive, reindexed(warcs(focused), archive)


@pytest.fixture(scope="module")
def ungated(focused, tmp_path_factory) -> Path:
    archive = tmp_path_factory.mktemp("ungated")
    reindexed(warcs(focused), archive, "--no-gates")
    return archive


def test_reindex_gives_exactly_the_crawls_articles(focused, rebuilt):
    archive, result = rebuilt
    crawl = articles(focused)
    assert 5 <= len(crawl) < 20  # the demo's coverage, most of the web kept out
    assert articles(archive) == crawl  # same stories, indexed from the same records
    assert "its gates applied" in result.stdout and "kept out by the gates" in result.stdout


def test_every_capture_gets_the_crawls_relevance_and_verdict(focused, rebuilt):
    archive, _ = rebuilt
    crawl = verdicts(focused)
    assert any(verdict for _, verdict in crawl.values())
    assert verdicts(archive) == crawl


def test_no_gates_indexes_what_the_crawl_kept_out(focused, ungated):
    everything, crawl = articles(ungated), articles(focused)
    assert everything.items() >= crawl.items()
    rejected = {record for record, (_, verdict) in verdicts(focused).items() if verdict}
    assert set(everything.values()) & rejected  # e.g. the Almaty sports story of 2021


def test_a_warc_without_stored_config_is_reindexed_without_gates(focused, ungated, tmp_path):
    (original,) = warcs(focused)
    foreign = tmp_path / "foreign.warc.gz"
    foreign.write_bytes(without_stored_config(original))
    assert read_stored_config(foreign) is None
    result = reindexed([foreign], tmp_path / "archive")
    assert "carry no crawl config" in result.stdout and "indexed without gates" in result.stdout
    assert articles(tmp_path / "archive") == articles(ungated)


def test_warcinfo_carries_the_config_and_passes_warcio_check(focused):
    config = load_config(DEMO_CONFIG)
    for path in warcs(focused):
        result = subprocess.run([sys.executable, "-m", "warcio.cli", "check", str(path)],
                                capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr
        fields = read_warcinfo(path)
        for name in ("software", "format", "conformsTo", "hostname", "isPartOf", "robots",
                     "http-header-user-agent", "description"):
            assert fields.get(name), name
        stored = json.loads(fields[STORED_CONFIG_FIELD])
        assert stored["gates"] is True
        assert stored["config"]["topic"]["keywords"] == list(config.topic.keywords)
        texts = [t["text"] for t in stored["seed_texts"]]
        assert texts and texts == [p.read_text(encoding="utf-8")
                                   for p in config.seed_text_files()]


def test_the_stored_focus_is_the_crawls_focus():
    config = load_config(DEMO_CONFIG)
    # Through JSON, as the warcinfo carries it; no config file needed to read it back.
    document = json.loads(json.dumps(stored_config(config, gates=True), default=str))
    assert focus_from_stored(document, "x.warc.gz") == Focus.from_config(config)
    assert focus_from_stored({**document, "gates": False}, "x.warc.gz") is None


def test_a_damaged_stored_config_is_one_clear_error():
    config = load_config(DEMO_CONFIG)
    document = json.loads(json.dumps(stored_config(config, gates=True), default=str))
    document["config"]["topic"]["published_after"] = "early 2022"
    with pytest.raises(ConfigError, match="x.warc.gz: topic.published_after"):
        focus_from_stored(document, "x.warc.gz")


GOLDEN = Path(__file__).parent / "golden"


def test_a_revisited_page_is_analysed_with_its_originals_payload(tmp_path):
    # A later run fetches the story unchanged: the crawl analyses that run's revisit record
    # with its original's payload, and so must the reindex. The text is the same, so the
    # article stays with the response that first held it (a pointer `show --raw` reads).
    url = json.loads((GOLDEN / "bylines.json").read_text())["url"]
    page = (GOLDEN / "bylines.html").read_bytes()
    ids = count()
    writer = WarcWriter(tmp_path / "c" / "warcs", "c", tmp_path,
                        clock=lambda: datetime(2022, 1, 6, tzinfo=UTC),
                        record_ids=lambda: f"<urn:uuid:{next(ids):032d}>", hostname="h")
    for _ in range(2):
        writer.write_exchange(HttpExchange(url, 200, [("Content-Type", "text/html")], page))
    writer.close()
    (path,) = writer.closed_files
    assert [s.record.rec_type for s in iter_records(path)][-1] == "revisit"
    report = reindex([path], tmp_path)
    assert report.articles == 1 and not report.unresolved_revisits
    (kind,) = sqlite3.connect(tmp_path / "index.db").execute(
        "SELECT c.record_type FROM articles a JOIN captures c ON c.id = a.capture_id"
    ).fetchone()
    assert kind == "response"


def without_stored_config(path: Path) -> bytes:
    """The file as another tool would have written it: a warcinfo of its own (warcio's),
    then the same records byte for byte."""
    first = next(iter_records(path))
    out = io.BytesIO()
    writer = WARCWriter(out, gzip=True, warc_version="1.1")
    writer.write_record(writer.create_warcinfo_record(path.name, {"software": "other"}))
    return out.getvalue() + path.read_bytes()[first.length:]


def test_warcinfo_fields_read_back_with_folded_values(tmp_path):
    # Other writers fold long values onto continuation lines, as the spec's example does.
    out = io.BytesIO()
    writer = WARCWriter(out, gzip=True, warc_version="1.1")
    block = (b"software: Heritrix/3.4\r\nhttp-header-user-agent:\r\n Mozilla/5.0 (compatible;"
             b"\r\n\theritrix/3.4)\r\nisPartOf: other-crawl\r\n")
    writer.write_record(writer.create_warc_record(
        "", "warcinfo", payload=io.BytesIO(block), warc_content_type="application/warc-fields"))
    path = tmp_path / "other.warc.gz"
    path.write_bytes(out.getvalue())
    assert read_warcinfo(path) == {"software": "Heritrix/3.4", "isPartOf": "other-crawl",
                                   "http-header-user-agent":
                                   "Mozilla/5.0 (compatible; heritrix/3.4)"}
    assert read_stored_config(path) is None
