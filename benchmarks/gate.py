"""The focus's gates alone, on every article of the labeled topic webs: no crawl order, no
budget, only whether each article would be kept (quick to rerun while working on the model).

    python benchmarks/gate.py [--events a,b] [--seeding seeds,one-seed,keywords] [--explain]

Every labeled article of a web is fetched once from the fixture web, extracted as a crawl
would (pipelines.extract.analyse_page) and cached in a temporary folder; then the crawl
config's focus (tests/fixtureweb/topiccrawl.py, one per seeding) judges each one, with the
relevance feedback a crawl applies after its run. Reported:
recall (expected coverage kept / expected) and precision (expected kept / kept), where
expected = on topic, Indonesian, in scope, in the window. `--explain` (development and
reference webs only) lists the misses and wrong keeps with their relevance.
"""

from __future__ import annotations

import argparse
import pickle
import sys
import tempfile
import urllib.request
from dataclasses import replace
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from crawler.config import load_config  # noqa: E402
from crawler.focus import Focus  # noqa: E402
from crawler.relevance import Zones  # noqa: E402
from pipelines.extract import analyse_page, extractor_version  # noqa: E402
from tests.fixtureweb.events import event_names  # noqa: E402
from tests.fixtureweb.topiccrawl import SEEDINGS, expected, write_config  # noqa: E402
from tests.fixtureweb.web import FixtureWeb  # noqa: E402

CACHE = Path(tempfile.gettempdir()) / "liputan-gate-cache"


def analyses(web: FixtureWeb, event: str) -> dict:
    """url -> PageAnalysis of every labeled article (cached per web and extractor)."""
    CACHE.mkdir(exist_ok=True)
    path = CACHE / f"{event}-{extractor_version()}.pickle"
    if path.exists():
        return pickle.loads(path.read_bytes())
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({"http": web.proxy_url}))
    found = {}
    for row in web.labels():
        with opener.open(row["url"]) as response:
            body = response.read()
            ctype = response.headers.get("Content-Type")
        found[row["url"]] = analyse_page(body, row["url"], ctype)
    path.write_bytes(pickle.dumps(found))
    return found


def judge(event: str, seedings: list[str], show: bool) -> list[str]:
    lines = []
    with FixtureWeb(topic_web=True, event=event, log_requests=False) as web, \
            tempfile.TemporaryDirectory() as tmp:
        pages = analyses(web, event)
        labels = {r["url"]: r for r in web.labels() if r["in_scope"]}
        want = {r["url"] for r in expected(web)}
        for seeding in seedings:
            focus = Focus.from_config(load_config(write_config(
                web, Path(tmp) / seeding, seeding=seeding)))
            # As after a crawl: the seeds' gate, then relevance feedback from what it kept
            # (crawler/feedback.py), then the gate again.
            coverage = [Zones.of(a.article.text, a.article.title or "") for a in
                        (focus.assess(pages[u]) for u in labels)
                        if a.article is not None and a.verdict is None]
            focus = replace(focus, topic=focus.topic.learned(
                [z for z in coverage if focus.topic.is_confident(z)]))
            kept, scores = set(), {}
            for url in labels:
                analysis = focus.assess(pages[url])
                scores[url] = (analysis.relevance, analysis.verdict)
                if analysis.article is not None and analysis.verdict is None:
                    kept.add(url)
            hits = kept & want
            recall = len(hits) / len(want)
            precision = len(hits) / len(kept) if kept else 0.0
            lines.append(f"{event:<20} {web.event.role:<11} {seeding:<9} expected {len(want):>3}"
                         f" kept {len(kept):>3}  recall {recall:.3f}  precision {precision:.3f}")
            if show and web.event.role != "held-out":
                for url in sorted(want - kept, key=lambda u: scores[u][0] or 0):
                    lines.append(f"    missed [{scores[url][0]}] {scores[url][1]}:"
                                 f" {labels[url]['title']}")
                for url in sorted(kept - want, key=lambda u: -(scores[u][0] or 0)):
                    row = labels[url]
                    lines.append(f"    wrong  [{scores[url][0]}] ({row['topic'] or 'off'},"
                                 f" {row['language']}): {row['title']}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", default=",".join(event_names()))
    parser.add_argument("--seeding", default=",".join(SEEDINGS))
    parser.add_argument("--explain", action="store_true")
    args = parser.parse_args(argv)
    for event in args.events.split(","):
        if event not in event_names():
            parser.error(f"no event web {event!r}; known: {', '.join(event_names())}")
        print("\n".join(judge(event, args.seeding.split(","), args.explain)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
