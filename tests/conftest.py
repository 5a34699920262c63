"""Shared fixtures: the fixture web on 127.0.0.1 and one real crawl of it (in a subprocess,
because the Twisted reactor cannot restart), reused by the end-to-end tests."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.fixtureweb import FixtureWeb

REPO = Path(__file__).resolve().parents[1]
DEMO_CONFIG = REPO / "crawls" / "demo.toml"


def liputan(*args: str, timeout: float = 300, **kwargs) -> subprocess.CompletedProcess:
    """Run the `liputan` CLI in a fresh process."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.run(
        [sys.executable, "-m", "crawler.cli", *args], cwd=REPO, capture_output=True,
        text=True, timeout=timeout, env=env, **kwargs,
    )


@pytest.fixture(scope="session")
def web():
    with FixtureWeb() as served:
        yield served


@dataclass
class CrawledArchive:
    root: Path
    result: subprocess.CompletedProcess
    requests_seen: list


@pytest.fixture(scope="session")
def crawled(web, tmp_path_factory) -> CrawledArchive:
    """The demo config crawled once into a fresh archive, every article indexed (the focus
    gates are off: these tests check the archive path; tests/test_focus.py the gates)."""
    root = tmp_path_factory.mktemp("archive")
    before = len(web.requests)
    result = liputan("crawl", str(DEMO_CONFIG), "--archive", str(root), "--proxy",
                     web.proxy_url, "--stats-json", str(root / "stats.json"),
                     "-s", "LIPUTAN_FOCUS=False")
    assert result.returncode == 0, result.stdout + result.stderr
    return CrawledArchive(root, result, web.requests[before:])
