"""One-way layers (DESIGN.md): the data path and the crawl policy are plain Python.

`pipelines/` imports no Scrapy, Twisted, click or `crawler/` code; the policy modules of
`crawler/` import no Scrapy, Twisted or click. Adapters live in crawler/components,
crawler/spiders and crawler/cli.
"""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FRAMEWORKS = ("scrapy", "twisted", "click")
PURE_CRAWLER = ("config", "outlets", "plan", "discovery", "relevance", "focus", "links",
                "frontier/policy", "schedule", "recrawl", "politeness", "scope")


def imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


def offending(path: Path, banned: tuple[str, ...]) -> list[str]:
    return sorted(n for n in imported(path) if n.split(".")[0] in banned)


def test_pipelines_import_no_framework_and_no_crawler_code():
    for path in sorted((REPO / "pipelines").rglob("*.py")):
        assert not offending(path, (*FRAMEWORKS, "crawler")), path


def test_crawl_policy_modules_import_no_framework():
    for name in PURE_CRAWLER:
        path = REPO / "crawler" / f"{name}.py"
        if path.exists():
            assert not offending(path, FRAMEWORKS), path
