"""`liputan package`: CDXJ beside every WARC and a WACZ whose pages are the indexed articles,
checked with py-wacz's own validator and read back with warcio."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import zipfile

from tests.conftest import REPO, liputan


def test_package_writes_cdxj_and_a_valid_wacz_listing_exactly_the_articles(crawled, tmp_path):
    from pipelines.package import validate

    root = tmp_path / "archive"
    shutil.copytree(crawled.root, root)
    result = liputan("package", "demo", "--archive", str(root))
    assert result.returncode == 0, result.stderr
    wacz = root / "demo" / "demo.wacz"
    assert validate(wacz)
    db = sqlite3.connect(root / "index.db")
    articles = {(url, title) for url, title in db.execute(
        "SELECT c.url, a.title FROM articles a JOIN captures c ON c.id = a.capture_id")}
    with zipfile.ZipFile(wacz) as archive:
        lines = archive.read("pages/pages.jsonl").decode().splitlines()
        names = archive.namelist()
    header, *pages = map(json.loads, lines)
    assert header["format"] == "json-pages-1.0"
    assert {(p["url"], p["title"]) for p in pages} == articles and len(pages) == len(articles)
    assert all(p["ts"].endswith("Z") and len(p["ts"]) == 20 for p in pages)
    warcs = sorted(root.rglob("*.warc.gz"))
    assert {f"archive/{w.name}" for w in warcs} <= set(names)
    # a CDXJ beside every WARC, one line per record cdxj-indexer indexes, pointing into it
    offsets = {(f, o) for f, o in db.execute(
        "SELECT warc_file, warc_offset FROM captures WHERE warc_offset IS NOT NULL")}
    for warc in warcs:
        cdxj = warc.with_name(warc.name + ".cdxj")
        entries = [json.loads(line.split(" ", 2)[2]) for line in cdxj.read_text().splitlines()]
        assert entries and all(e["filename"] == warc.name for e in entries)
        indexed = {int(e["offset"]) for e in entries}
        label = warc.relative_to(root).as_posix()
        assert {o for f, o in offsets if f == label} <= indexed


def test_package_of_an_unknown_crawl_or_run_is_one_line(crawled, tmp_path):
    root = tmp_path / "archive"
    shutil.copytree(crawled.root, root)
    for args, says in ((["nosuch"], "no crawl 'nosuch'"),
                       (["demo", "--run", "999"], "crawl 'demo' has no run 999")):
        result = liputan("package", *args, "--archive", str(root))
        assert result.returncode == 1 and "Traceback" not in result.stderr
        assert says in result.stderr.strip().splitlines()[-1]


def test_crawl_with_package_writes_a_valid_wacz_of_each_finished_run(tmp_path):
    from pipelines.package import validate
    from tests.crashcampaign import crawl_command, write_config
    from tests.fixtureweb import FixtureWeb

    root = tmp_path / "archive"
    with FixtureWeb(outlets=1, articles_per_outlet=30, seed=9, log_requests=False) as web:
        config = write_config(tmp_path / "small.toml", web.start_urls, name="small")
        for run in (1, 2):  # the second run, a recurring crawl's next: its own WACZ
            done = subprocess.run([*crawl_command(config, root, web.proxy_url), "--package",
                                   "-s", "LIPUTAN_FOCUS=False"],
                                  cwd=REPO, capture_output=True, text=True, timeout=300)
            assert done.returncode == 0, done.stderr[-2000:]
            wacz = root / "small" / f"small-run{run}.wacz"
            assert f"WACZ               {wacz}" in done.stdout and validate(wacz)
    db = sqlite3.connect(root / "index.db")
    first = {url for (url,) in db.execute(
        "SELECT c.url FROM articles a JOIN captures c ON c.id = a.capture_id"
        " WHERE c.run_id = 1")}
    with zipfile.ZipFile(root / "small" / "small-run1.wacz") as archive:
        pages = [json.loads(line) for line in
                 archive.read("pages/pages.jsonl").decode().splitlines()[1:]]
    assert first and {p["url"] for p in pages} == first
