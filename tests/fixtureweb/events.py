"""The events a labeled topic web can be about: the team's reference event (Kazakhstan,
January 2022) and the blind event webs in ``events/<name>/`` (see README, "Event webs").

An `EventSpec` is what an archivist knows before crawling: keywords, aliases, the date
window and a few seed articles. The blind webs' specs were written by their authors in
``event.toml``; the reference event's are the constants below.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from .corpus import KAZAKHSTAN, CorpusArticle, load_corpus

EVENTS_DIR = Path(__file__).parent / "events"


@dataclass(frozen=True)
class EventSpec:
    name: str
    keywords: tuple[str, ...]
    aliases: tuple[tuple[str, ...], ...]
    window: tuple[date, date]
    seed_ids: tuple[int, ...]
    # "reference" (the team's own web), "development" (blind, but the model may be tuned
    # on it) or "held-out" (blind, only ever reported on).
    role: str = "held-out"

    def terms(self) -> re.Pattern[str]:
        """The event's own words (keywords and aliases), to keep generated filler off it."""
        words = {w for w in self.keywords} | {w for group in self.aliases for w in group}
        return re.compile("|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)),
                          re.I)


KAZAKHSTAN_SPEC = EventSpec(
    name=KAZAKHSTAN,
    keywords=("Kazakhstan", "Tokayev", "Almaty", "CSTO", "Nazarbayev"),
    aliases=(("Kazakhstan", "Kazakstan", "Kazakh"), ("Tokayev", "Tokaev"), ("CSTO", "ODKB"),
             ("Almaty", "Alma-Ata"), ("Nur-Sultan", "Astana")),
    window=(date(2022, 1, 1), date(2022, 2, 15)),
    # Early, middle and late coverage, two outlets (page-1 ids in the corpus).
    seed_ids=(5810342, 5811187, 5813415, 412517, 31043090),
    role="reference",
)


def event_names() -> list[str]:
    return [KAZAKHSTAN, *sorted(p.name for p in EVENTS_DIR.glob("*")
                                if (p / "event.toml").exists())]


def event_spec(name: str) -> EventSpec:
    if name == KAZAKHSTAN:
        return KAZAKHSTAN_SPEC
    path = EVENTS_DIR / name / "event.toml"
    if not path.exists():
        raise KeyError(f"no event web {name!r}; known: {', '.join(event_names())}")
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    return EventSpec(name, tuple(raw["keywords"]), tuple(tuple(a) for a in raw.get("aliases", [])),
                     (raw["published_after"], raw["published_before"]),
                     tuple(raw.get("seed_ids", ())), str(raw.get("role", "held-out")))


def event_corpus(name: str) -> dict[str, list[CorpusArticle]]:
    """The articles of a blind event web, by outlet (`event.toml` holds none)."""
    return {k: v for k, v in load_corpus(EVENTS_DIR / name).items() if v}
