"""WARC files made by other tools: wget's archive of the fixture web reindexes into articles."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess

import pytest

from tests.conftest import liputan

pytestmark = pytest.mark.skipif(shutil.which("wget") is None,
                                reason="wget missing: `make test` installs it")


def test_reindex_of_a_wget_warc_indexes_its_articles(web, tmp_path):
    env = {**os.environ, "http_proxy": web.proxy_url, "no_proxy": ""}
    start = web.start_urls[0]
    host = start.split("/")[2]
    result = subprocess.run(
        ["wget", "--recursive", "--level=2", f"--domains={host}", "--no-verbose", "--tries=1",
         "--warc-file", str(tmp_path / "wget"), "--directory-prefix", str(tmp_path / "files"),
         start],
        env=env, capture_output=True, text=True, timeout=300,
    )
    warc = tmp_path / "wget.warc.gz"
    assert warc.exists(), result.stderr[-2000:]
    archive = tmp_path / "archive"
    done = liputan("reindex", str(warc), "--archive", str(archive))
    assert done.returncode == 0, done.stderr
    conn = sqlite3.connect(archive / "index.db")
    urls = {u for (u,) in conn.execute("SELECT url FROM articles")}
    expected = {a.url for a in web.articles if a.host == host and a.pages == 1}
    assert len(urls & expected) >= 5
    check = liputan("check", "--archive", str(archive))
    assert check.returncode == 0, check.stdout
