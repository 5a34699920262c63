"""Focused crawling on the labeled topic web: best-first with the relevance gate, beside a
breadth-first crawl of the same web with the same budget, in the same run.

    python benchmarks/focus.py [--budget-factor 3] [--event NAME] [--json]

`--event` picks the web's event: the team's reference web (kazakhstan-2022, the default),
or a blind event web (tests/fixtureweb/events/: held out, never tune on them).

Per crawl it prints harvest rate (on-topic articles fetched / pages fetched), recall at
budget (expected coverage indexed / expected), precision of the indexed coverage, and
requests per on-topic article. Expected coverage = on-topic, Indonesian, in scope, in the
date window (labels: tests/fixtureweb, never read by the crawler).
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pipelines.urls import url_key  # noqa: E402
from tests.fixtureweb.corpus import KAZAKHSTAN  # noqa: E402
from tests.fixtureweb.events import event_names  # noqa: E402
from tests.fixtureweb.topiccrawl import expected, write_config  # noqa: E402
from tests.fixtureweb.web import FixtureWeb  # noqa: E402


def crawl(config: Path, archive: Path, proxy: str, *settings: str) -> None:
    args = [sys.executable, "-m", "crawler.cli", "crawl", str(config), "--archive",
            str(archive), "--proxy", proxy, "-s", "LOG_LEVEL=WARNING"]
    for setting in settings:
        args += ["-s", setting]
    subprocess.run(args, cwd=REPO, check=True, capture_output=True, text=True)


def measure(web: FixtureWeb, archive: Path) -> dict:
    labels = {url_key(r["url"]): r for r in web.labels()}
    want = {url_key(r["url"]) for r in expected(web)}
    db = sqlite3.connect(archive / "index.db")
    fetched = [url_key(u) for (u,) in db.execute(
        "SELECT url FROM captures WHERE url NOT LIKE '%/robots.txt'")]
    indexed = [url_key(u) for (u,) in db.execute("SELECT url FROM articles")]
    on_topic = [k for k in fetched if k in labels and labels[k]["on_topic"]]
    hits = [k for k in indexed if k in want]
    return {
        "fetched": len(fetched), "on_topic_fetched": len(on_topic),
        "harvest_rate": round(len(on_topic) / len(fetched), 3) if fetched else 0.0,
        "recall": round(len(set(hits)) / len(want), 3),
        "precision": round(len(hits) / len(indexed), 3) if indexed else 0.0,
        "indexed": len(indexed),
        "requests_per_on_topic": round(len(fetched) / len(on_topic), 2) if on_topic else None,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget-factor", type=float, default=3.0)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--event", default=KAZAKHSTAN, choices=event_names())
    args = parser.parse_args(argv)
    results = {}
    with FixtureWeb(topic_web=True, event=args.event, log_requests=False) as web, \
            tempfile.TemporaryDirectory() as tmp:
        config = write_config(web, Path(tmp), budget_factor=args.budget_factor)
        runs = {"best-first": (), "breadth-first": ("LIPUTAN_BEST_FIRST=False",)}
        for name, settings in runs.items():
            archive = Path(tmp) / name
            crawl(config, archive, web.proxy_url, *settings)
            results[name] = measure(web, archive)
        results["expected"] = len(expected(web))
        results["pages_in_web"] = len(web.labels())
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    print(f"labeled topic web ({args.event}): {results['pages_in_web']} articles,"
          f" {results['expected']} expected coverage, budget {args.budget_factor:g}x")
    print(f"{'crawl':<14} {'fetched':>7} {'harvest':>8} {'recall':>7} {'precision':>9} "
          f"{'req/on-topic':>12}")
    for name in ("best-first", "breadth-first"):
        r = results[name]
        print(f"{name:<14} {r['fetched']:>7} {r['harvest_rate']:>8} {r['recall']:>7} "
              f"{r['precision']:>9} {r['requests_per_on_topic']!s:>12}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
