"""Serve the fixture web until killed: ``python -m tests.fixtureweb [options]``.

The first stdout line is one JSON object (proxy_url, start_urls, feeds, sitemaps, hosts,
specials) so a parent process can read where to crawl. SIGTERM and SIGINT stop it cleanly.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from pathlib import Path

from .corpus import CorpusError
from .web import FixtureWeb


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.fixtureweb",
                                     description="Serve the Liputan fixture web as an HTTP proxy.")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: any free)")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds before each response")
    parser.add_argument("--outlets", type=int, help="generate this many outlets")
    parser.add_argument("--articles-per-outlet", type=int, help="generated articles per outlet")
    parser.add_argument("--seed", type=int, default=0, help="seed of the generated web")
    parser.add_argument("--corpus-dir", help="folder of *.toml corpus files")
    parser.add_argument("--topic-web", action="store_true",
                        help="serve the labeled topic web (nine outlets, ~1,200 articles)")
    parser.add_argument("--manifest", metavar="FILE",
                        help="write the topic web's labels (JSON) and its outlet profiles "
                             "(FILE's folder, sites/) and exit")
    parser.add_argument("--log-requests", action="store_true",
                        help="keep a log of requests in memory (off: a long run would grow it)")
    args = parser.parse_args(argv)
    if args.latency < 0:
        parser.error("--latency must be >= 0")
    try:
        web = FixtureWeb(outlets=args.outlets, articles_per_outlet=args.articles_per_outlet,
                         latency=args.latency, seed=args.seed, corpus_dir=args.corpus_dir,
                         log_requests=args.log_requests, port=args.port,
                         topic_web=args.topic_web)
    except CorpusError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if args.manifest:
        write_manifest(web, Path(args.manifest))
        return 0
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    with web:
        print(json.dumps(web.describe()), flush=True)
        while not stop.wait(1.0):
            pass
    return 0


def write_manifest(web: FixtureWeb, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(web.labels(), ensure_ascii=False, indent=1), encoding="utf-8")
    sites = path.parent / "sites"
    sites.mkdir(exist_ok=True)
    for key, text in web.profiles().items():
        (sites / f"{key}.toml").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
