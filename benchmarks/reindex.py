"""Does `liputan reindex` of a focused crawl's WARC files give the crawl's index?

    python benchmarks/reindex.py [--budget-factors 2,3,5] [--json]

Crawls the demo web (crawls/demo.toml, twice into one archive: the second run's unchanged
pages are revisit records) and the labeled topic web at each budget, with the focus on;
reindexes each crawl's WARC files into a fresh archive, with the gates and with --no-gates.
Per crawl it prints the article counts, both directions of the set difference (by URL),
whether every article comes from the same record, and how many captures got another
relevance or verdict.
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

from tests.fixtureweb.topiccrawl import write_config  # noqa: E402
from tests.fixtureweb.web import FixtureWeb  # noqa: E402


def liputan(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "crawler.cli", *args], cwd=REPO, check=True,
                   capture_output=True, text=True)


def index_of(archive: Path) -> tuple[dict[str, str], dict[str, tuple]]:
    db = sqlite3.connect(archive / "index.db")
    articles = dict(db.execute("SELECT a.url, c.record_id FROM articles a"
                               " JOIN captures c ON c.id = a.capture_id"))
    verdicts = {r[0]: r[1:] for r in db.execute(
        "SELECT record_id, round(relevance, 9), verdict FROM captures"
        " WHERE record_id IS NOT NULL")}
    return articles, verdicts


def compare(crawled: Path) -> dict:
    warcs = [str(p) for p in sorted(crawled.rglob("*.warc.gz"))]
    articles, verdicts = index_of(crawled)
    out = {"crawl": len(articles)}
    for name, flags in (("reindex", ()), ("no_gates", ("--no-gates",))):
        target = crawled.parent / f"{crawled.name}-{name}"
        liputan("reindex", *warcs, "--archive", str(target), *flags)
        rebuilt, rebuilt_verdicts = index_of(target)
        out[name] = len(rebuilt)
        out[f"{name}_only_crawl"] = len(set(articles) - set(rebuilt))
        out[f"{name}_only_reindex"] = len(set(rebuilt) - set(articles))
        if name == "reindex":
            out["same_records"] = rebuilt == articles
            out["other_verdicts"] = sum(rebuilt_verdicts.get(k) != v
                                        for k, v in verdicts.items())
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget-factors", default="2,3,5")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        with FixtureWeb(log_requests=False) as web:
            for runs in (1, 2):
                archive = Path(tmp) / f"demo-{runs}-runs"
                for _ in range(runs):
                    liputan("crawl", str(REPO / "crawls" / "demo.toml"), "--archive",
                            str(archive), "--proxy", web.proxy_url, "-s", "LOG_LEVEL=WARNING")
                results[f"demo, {runs} run{'s' * (runs > 1)}"] = compare(archive)
        with FixtureWeb(topic_web=True, log_requests=False) as web:
            for factor in (float(f) for f in args.budget_factors.split(",")):
                folder = Path(tmp) / f"topic-{factor:g}"
                config = write_config(web, folder, budget_factor=factor)
                archive = folder / "archive"
                liputan("crawl", str(config), "--archive", str(archive), "--proxy",
                        web.proxy_url, "-s", "LOG_LEVEL=WARNING")
                results[f"topic web {factor:g}x"] = compare(archive)
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    print(f"{'crawl':<18} {'crawl':>5} {'reindex':>7} {'only crawl':>10} {'only reindex':>12}"
          f" {'same records':>12} {'other verdicts':>14} {'--no-gates':>10}")
    for name, r in results.items():
        print(f"{name:<18} {r['crawl']:>5} {r['reindex']:>7} {r['reindex_only_crawl']:>10}"
              f" {r['reindex_only_reindex']:>12} {r['same_records']!s:>12}"
              f" {r['other_verdicts']:>14} {r['no_gates']:>10}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
