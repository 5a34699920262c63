"""Golden pages: our own fixture news pages, each exercising one clean-up rule or one defect
of the seed texts, with the exact article a careful reader would extract (tests/golden/)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from pipelines.extract import article_from_bytes

GOLDEN = Path(__file__).parent / "golden"
CASES = sorted(p.stem for p in GOLDEN.glob("*.json"))


def load(name: str) -> tuple[dict, bytes]:
    return (json.loads((GOLDEN / f"{name}.json").read_text(encoding="utf-8")),
            (GOLDEN / f"{name}.html").read_bytes())


def test_there_are_golden_pages_for_every_seed_defect():
    for defect in ("seed_repeated_body", "seed_baca_juga", "seed_halaman", "seed_loading_aaa",
                   "seed_share_bar"):
        assert defect in CASES


@pytest.mark.parametrize("name", CASES)
def test_golden_page(name):
    case, html = load(name)
    captured = case.get("captured_at")
    article = article_from_bytes(html, case["url"], captured_at=datetime.fromisoformat(
        captured) if captured else None)
    assert article is not None, f"{name}: no article extracted"
    assert article.text.split("\n\n") == case["paragraphs"]
    for field, want in case["expect"].items():
        assert getattr(article, field) == want, f"{name}: {field}"
    for phrase in case.get("absent", []):
        assert phrase not in article.text, f"{name}: {phrase!r} left in the text"
