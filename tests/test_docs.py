"""The README documents every command and every LIPUTAN_* setting."""

from __future__ import annotations

import re

from crawler import settings
from crawler.cli import cli
from tests.conftest import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")


def test_every_command_is_in_the_readme():
    for name in cli.commands:
        assert f"liputan {name}" in README, name


def test_every_setting_is_in_the_readme_and_commented():
    source = (REPO / "crawler" / "settings.py").read_text(encoding="utf-8")
    names = [n for n in dir(settings) if n.startswith("LIPUTAN_")]
    assert names
    for name in names:
        assert f"`{name}`" in README, name
        line = next(line for line in source.splitlines() if line.startswith(name))
        above = source.splitlines()[source.splitlines().index(line) - 1]
        assert "#" in line or above.startswith("#"), f"{name} has no comment"


def test_readme_starts_with_the_two_commands():
    first = README.index("make demo")
    assert first < README.index("## A real crawl") and "make test" in README[:first + 200]
    assert re.search(r"## Performance\n", README)
