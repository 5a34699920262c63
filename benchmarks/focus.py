"""Focused crawling on every labeled topic web, with its ablations, in one run.

    python benchmarks/focus.py [--events a,b] [--budget-factor 3] [--no-ablations]
                               [--explain] [--json]

Webs: the team's reference web (kazakhstan-2022) and the blind event webs in
tests/fixtureweb/events/ (role in event.toml: "development" webs may be tuned on,
"held-out" webs are only ever reported on). Per web, with the same page budget:

- best-first: the full crawl config (keywords, aliases, seed texts, window);
- breadth-first: the same config, `-s LIPUTAN_BEST_FIRST=False`;
- one-seed: best-first with the first seed text only;
- keywords: best-first with keywords and aliases only, no seed text.

Per crawl: harvest rate (on-topic articles fetched / pages fetched), recall at budget
(expected coverage indexed / expected), precision of what was indexed, requests per on-topic
article. Expected coverage = on topic, Indonesian, in scope, in the date window (labels from
tests/fixtureweb, never read by the crawler). `--explain` lists, for development and
reference webs only, each expected article missed and each wrong one indexed, with its
relevance and verdict: what tuning may look at.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pipelines.urls import url_key  # noqa: E402
from tests.fixtureweb.events import event_names  # noqa: E402
from tests.fixtureweb.topiccrawl import expected, write_config  # noqa: E402
from tests.fixtureweb.web import FixtureWeb  # noqa: E402

# name -> (seeding of the config, extra settings)
CRAWLS = {
    "best-first": ("seeds", ()),
    "breadth-first": ("seeds", ("LIPUTAN_BEST_FIRST=False",)),
    "one-seed": ("one-seed", ()),
    "keywords": ("keywords", ()),
}


def crawl(config: Path, archive: Path, proxy: str, *settings: str) -> float:
    args = [sys.executable, "-m", "crawler.cli", "crawl", str(config), "--archive",
            str(archive), "--proxy", proxy, "-s", "LOG_LEVEL=WARNING"]
    for setting in settings:
        args += ["-s", setting]
    began = time.perf_counter()
    done = subprocess.run(args, cwd=REPO, capture_output=True, text=True)
    if done.returncode:
        lines = (done.stderr or done.stdout).strip().splitlines()
        raise SystemExit(f"crawl of {config} failed ({done.returncode}):"
                         f" {lines[-1] if lines else 'no output'}")
    return time.perf_counter() - began


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


def explain(web: FixtureWeb, archive: Path) -> list[str]:
    """Expected articles missed and wrong ones indexed, with what the crawl said of them."""
    want = {url_key(r["url"]): r for r in expected(web)}
    labels = {url_key(r["url"]): r for r in web.labels()}
    db = sqlite3.connect(archive / "index.db")
    seen = {url_key(u): (rel, verdict) for u, rel, verdict in db.execute(
        "SELECT url, relevance, verdict FROM captures WHERE url NOT LIKE '%/robots.txt'")}
    indexed = {url_key(u) for (u,) in db.execute("SELECT url FROM articles")}
    lines = []
    for key, row in sorted(want.items(), key=lambda kv: kv[1]["id"]):
        if key in indexed:
            continue
        rel, verdict = seen.get(key, (None, "not fetched"))
        lines.append(f"  missed {row['id']} [{rel}] {verdict or ''}: {row['title']}")
    for key in sorted(indexed - set(want)):
        row = labels.get(key, {})
        lines.append(f"  wrong  {row.get('id')} ({row.get('topic') or 'off'},"
                     f" {row.get('language')}) [{seen.get(key, (None,))[0]}]:"
                     f" {row.get('title')}")
    return lines


def run_web(event: str, budget_factor: float, crawls: dict, show: bool) -> dict:
    results: dict = {"crawls": {}}
    with FixtureWeb(topic_web=True, event=event, log_requests=False) as web, \
            tempfile.TemporaryDirectory() as tmp:
        results["role"] = web.event.role
        results["expected"] = len(expected(web))
        results["pages_in_web"] = len(web.labels())
        for name, (seeding, settings) in crawls.items():
            config = write_config(web, Path(tmp) / name, budget_factor=budget_factor,
                                  seeding=seeding)
            archive = Path(tmp) / name / "archive"
            seconds = crawl(config, archive, web.proxy_url, *settings)
            results["crawls"][name] = {**measure(web, archive), "seconds": round(seconds, 1)}
            if show and web.event.role != "held-out":
                results["crawls"][name]["explain"] = explain(web, archive)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", default=",".join(event_names()),
                        help="comma-separated event webs (default: every one)")
    parser.add_argument("--budget-factor", type=float, default=3.0)
    parser.add_argument("--no-ablations", action="store_true",
                        help="best-first and breadth-first only")
    parser.add_argument("--explain", action="store_true",
                        help="misses and wrong hits (development and reference webs only)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    events = [e for e in args.events.split(",") if e]
    unknown = [e for e in events if e not in event_names()]
    if unknown:
        parser.error(f"no event web {', '.join(unknown)}; known: {', '.join(event_names())}")
    crawls = {k: v for k, v in CRAWLS.items()
              if not args.no_ablations or k in ("best-first", "breadth-first")}
    results = {e: run_web(e, args.budget_factor, crawls, args.explain) for e in events}
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    print(f"budget {args.budget_factor:g}x the expected coverage of each web")
    print(f"{'web':<20} {'role':<11} {'crawl':<14} {'fetched':>7} {'harvest':>8} "
          f"{'recall':>7} {'precision':>9} {'req/on-topic':>12} {'s':>5}")
    for event, web in results.items():
        label = f"{event} ({web['expected']})"
        for name, r in web["crawls"].items():
            print(f"{label:<20} {web['role']:<11} {name:<14} {r['fetched']:>7} "
                  f"{r['harvest_rate']:>8} {r['recall']:>7} {r['precision']:>9} "
                  f"{r['requests_per_on_topic']!s:>12} {r['seconds']:>5}")
            for line in r.get("explain", ()):
                print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
