"""Golden pages: our own fixture news pages, each exercising one clean-up rule or one defect
of the seed texts, with the exact article a careful reader would extract (tests/golden/)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from pipelines.extract import analyse_page, article_from_bytes

GOLDEN = Path(__file__).parent / "golden"
CASES = sorted(p.stem for p in GOLDEN.glob("*.json"))


def load(name: str) -> tuple[dict, bytes]:
    return (json.loads((GOLDEN / f"{name}.json").read_text(encoding="utf-8")),
            (GOLDEN / f"{name}.html").read_bytes())


def case_param(name: str):
    """A case with an "xfail" reason is a known failure of today's extraction: strict, so the
    fix that makes it pass fails the test until the key is removed."""
    reason = load(name)[0].get("xfail")
    marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
    return pytest.param(name, marks=marks, id=name)


def test_there_are_golden_pages_for_every_seed_defect():
    for defect in ("seed_repeated_body", "seed_baca_juga", "seed_halaman", "seed_loading_aaa",
                   "seed_share_bar"):
        assert defect in CASES


@pytest.mark.parametrize("name", [case_param(name) for name in CASES])
def test_golden_page(name):
    case, html = load(name)
    captured = case.get("captured_at")
    captured_at = datetime.fromisoformat(captured) if captured else None
    article = article_from_bytes(html, case["url"], captured_at=captured_at)
    assert article is not None, f"{name}: no article extracted"
    assert article.text.split("\n\n") == case["paragraphs"]
    for field, want in case["expect"].items():
        assert getattr(article, field) == want, f"{name}: {field}"
    for phrase in case.get("absent", []):
        assert phrase not in article.text, f"{name}: {phrase!r} left in the text"
    # The crawl's entry point must archive the same article (`liputan extract` never asks
    # whether the page is one).
    analysis = analyse_page(html, case["url"], "text/html", captured_at=captured_at)
    assert analysis.kind == "article", f"{name}: the crawl classifies it {analysis.kind!r}"
    assert analysis.article == article
