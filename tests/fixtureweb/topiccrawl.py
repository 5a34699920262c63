"""A crawl config for the labeled topic web, shared by the focus test and benchmark.

The config is what an archivist would write for the web's event (tests/fixtureweb/events.py):
the outlets (by profile), keywords with aliases, a few seed articles as text, the date
window; the outlets' search and tag pages are asked for the first keywords. Nothing in
it names an article of the web except the seed texts, which any user supplies.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from .events import KAZAKHSTAN_SPEC
from .web import FixtureWeb

WINDOW = KAZAKHSTAN_SPEC.window  # the reference event's


def _toml(value: list) -> str:
    # JSON arrays of strings are TOML arrays ("Kuat Ma'ruf" and quotes escaped alike).
    return json.dumps(value, ensure_ascii=False)


def expected(web: FixtureWeb) -> list[dict]:
    """The coverage a perfect crawl indexes: on topic, Indonesian, in scope, in the window."""
    after, before = web.event.window
    return [row for row in web.labels() if row["on_topic"] and row["language"] == "id"
            and row["in_scope"]
            and after <= date.fromisoformat(row["published"][:10]) <= before]


SEEDINGS = ("seeds", "one-seed", "keywords")  # all seed texts, the first only, none


def write_config(web: FixtureWeb, folder: Path, *, budget_factor: float = 3.0,
                 name: str = "topic", seeding: str = "seeds") -> Path:
    """`seeding`: the event's seed texts ("seeds"), its first only ("one-seed"), or none,
    keywords and aliases only ("keywords")."""
    folder.mkdir(parents=True, exist_ok=True)
    sites = folder / "sites"
    sites.mkdir(exist_ok=True)
    for key, text in web.profiles().items():
        (sites / f"{key}.toml").write_text(text, encoding="utf-8")
    seeds = folder / "seeds"
    seeds.mkdir(exist_ok=True)
    by_id = {a.id: a for a in web.articles}
    event = web.event
    chosen = {"seeds": event.seed_ids, "one-seed": event.seed_ids[:1], "keywords": ()}[seeding]
    for i in chosen:
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
keywords = {_toml(list(event.keywords))}
aliases = {_toml([list(a) for a in event.aliases])}
seed_texts = {_toml(["seeds/*.txt"] if chosen else [])}
language = "id"
published_after = {event.window[0].isoformat()}
published_before = {event.window[1].isoformat()}
[sources]
outlets = {_toml([row["outlet"] for row in outlets])}
aggregators = {_toml(aggregators)}
sites_dir = "sites"
search_queries = {_toml(list(event.keywords[:2]))}
tags = {_toml(list(event.keywords[:1]))}
[limits]
max_pages = {budget}
max_depth = 8
[politeness]
delay_per_host = 0
concurrent_per_host = 4
""", encoding="utf-8")
    return config
