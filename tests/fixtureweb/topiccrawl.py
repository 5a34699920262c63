"""A crawl config for the labeled topic web, shared by the focus test and benchmark.

The config is what an archivist would write for the reference topic: the outlets (by
profile), keywords with aliases, a few seed articles as text, the date window. Nothing in
it names an article of the web except the seed texts, which any user supplies.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from .web import FixtureWeb

WINDOW = (date(2022, 1, 1), date(2022, 2, 15))
# Seed articles: early, middle and late coverage, two outlets (page-1 ids in the corpus).
SEED_IDS = (5810342, 5811187, 5813415, 412517, 31043090)
KEYWORDS = ["Kazakhstan", "Tokayev", "Almaty", "CSTO", "Nazarbayev"]
ALIASES = [["Kazakhstan", "Kazakstan", "Kazakh"], ["Tokayev", "Tokaev"], ["CSTO", "ODKB"],
           ["Almaty", "Alma-Ata"], ["Nur-Sultan", "Astana"]]


def expected(web: FixtureWeb) -> list[dict]:
    """The coverage a perfect crawl indexes: on topic, Indonesian, in scope, in the window."""
    return [row for row in web.labels() if row["on_topic"] and row["language"] == "id"
            and row["in_scope"]
            and WINDOW[0] <= date.fromisoformat(row["published"][:10]) <= WINDOW[1]]


def write_config(web: FixtureWeb, folder: Path, *, budget_factor: float = 3.0,
                 name: str = "topic") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    sites = folder / "sites"
    sites.mkdir(exist_ok=True)
    for key, text in web.profiles().items():
        (sites / f"{key}.toml").write_text(text, encoding="utf-8")
    seeds = folder / "seeds"
    seeds.mkdir(exist_ok=True)
    by_id = {a.id: a for a in web.articles}
    for i in SEED_IDS:
        art = by_id[i]
        (seeds / f"{i}.txt").write_text(art.title + "\n\n" + "\n\n".join(art.paragraphs),
                                        encoding="utf-8")
    outlets = [row for row in {r["outlet"]: r for r in web.labels()}.values()
               if row["in_scope"]]
    aggregators = ["beritaindeks"] if "beritaindeks" in web.profiles() else []
    budget = int(budget_factor * len(expected(web)))
    config = folder / f"{name}.toml"
    config.write_text(f"""name = "{name}"
[topic]
keywords = {KEYWORDS!r}
aliases = {ALIASES!r}
seed_texts = ["seeds/*.txt"]
language = "id"
published_after = {WINDOW[0].isoformat()}
published_before = {WINDOW[1].isoformat()}
[sources]
outlets = {[row["outlet"] for row in outlets]!r}
aggregators = {aggregators!r}
sites_dir = "sites"
search_queries = ["Kazakhstan", "Tokayev"]
tags = ["Kazakhstan"]
[limits]
max_pages = {budget}
max_depth = 8
[politeness]
delay_per_host = 0
concurrent_per_host = 4
""".replace("'", '"'), encoding="utf-8")
    return config
