"""The blind evaluation webs (tests/fixtureweb/events/*/): labeled coverage of other events,
written by authors who never saw the relevance model. Only their shape is checked here; the
model is never fitted on them (see tests/fixtureweb/README.md)."""

from __future__ import annotations

import tomllib
from collections import Counter
from pathlib import Path

import pytest

from crawler.config import load_config
from tests.fixtureweb.corpus import load_corpus

EVENTS = sorted(p for p in (Path(__file__).parent / "fixtureweb" / "events").glob("*")
                if (p / "event.toml").exists())
OUTLETS = {"kabarnusantara", "harianlangit", "serojapos", "wartabahari", "gemarakyat",
           "sinartimur", "pelitaraya", "lintaskhatulistiwa", "beritaseberang"}


@pytest.mark.parametrize("folder", EVENTS, ids=[p.name for p in EVENTS])
def test_an_event_web_parses_with_labels_an_archivist_can_use(folder):
    event = tomllib.loads((folder / "event.toml").read_text(encoding="utf-8"))
    assert event["name"] == folder.name and event["keywords"]
    assert event["published_after"] < event["published_before"]
    corpus = {k: v for k, v in load_corpus(folder).items() if v}  # event.toml holds none
    assert set(corpus) <= OUTLETS
    articles = [a for arts in corpus.values() for a in arts]
    ids = [a.id for a in articles]
    assert len(ids) == len(set(ids)), "article ids are unique"
    labels = Counter((a.topic, a.language) for a in articles)
    assert labels[(folder.name, "id")] >= 20 and labels[("near", "id")] >= 5, labels
    assert set(event["seed_ids"]) <= {a.id for a in articles if a.topic == folder.name}


@pytest.mark.parametrize("folder", EVENTS, ids=[p.name for p in EVENTS])
def test_an_event_web_is_served_as_a_labeled_topic_web(folder, tmp_path):
    from tests.fixtureweb.topiccrawl import expected, write_config
    from tests.fixtureweb.web import FixtureWeb

    web = FixtureWeb(topic_web=True, event=folder.name)
    rows = web.labels()
    assert load_config(write_config(web, tmp_path)).topic.keywords == web.event.keywords
    assert {r["id"] for r in rows if r["on_topic"]} >= set(web.event.seed_ids)
    # Padded with off-topic news so the event is a needle; the labels are the authors'.
    assert len(rows) > 10 * len(expected(web)) > 0


def test_article_ids_are_unique_across_every_web():
    # Ids are in the articles' URLs: two webs sharing one would mix their labels.
    folders = [*EVENTS, Path(__file__).parent / "fixtureweb" / "corpus",
               Path(__file__).parent / "fixtureweb" / "topic"]
    ids = Counter(a.id for folder in folders for arts in load_corpus(folder).values()
                  for a in arts)
    assert not [i for i, n in ids.items() if n > 1]
