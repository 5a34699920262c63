"""The hostile web's cost: a crawl of the fault web (tests/faultweb.py), and a crawl that
starts at its page of 50,000 links, with seconds, pages and peak RSS of the process tree.

    python benchmarks/faults.py                       # this checkout
    python benchmarks/faults.py --source /tmp/old     # another checkout's crawler, same web

`--source` runs `python -m crawler.cli` from that folder (a `git archive` of an older
commit), so a change is measured against what came before on the same fault web.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.crawl import run_measured  # noqa: E402
from tests.faultweb import HOST, FaultWeb, write_config  # noqa: E402


def crawl(source: Path, work: Path, config: Path, web: FaultWeb, *settings: str) -> dict:
    stats_file = work / "stats.json"
    cmd = [sys.executable, "-m", "crawler.cli", "crawl", str(config), "--archive",
           str(work / "archive"), "--proxy", web.proxy_url, "--stats-json", str(stats_file),
           "-s", "LOG_LEVEL=WARNING", "-s", "LIPUTAN_PROGRESS=never"]
    for setting in settings:
        cmd += ["-s", setting]
    elapsed, peak, code = run_measured(cmd, cwd=source)
    stats = json.loads(stats_file.read_text()) if stats_file.exists() else {}
    return {"exit": code, "seconds": round(elapsed, 1),
            "pages": stats.get("downloader/response_count", 0),
            "over_cap": stats.get("liputan/links/over_page_cap", 0),
            "peak_rss_mb": round(peak / 2**20)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=REPO,
                        help="checkout whose crawler runs (default: this one)")
    args = parser.parse_args()
    runs = {
        "fault web, 1 worker": ({}, ("DOWNLOAD_TIMEOUT=3", "RETRY_TIMES=1",
                                     "LIPUTAN_EXTRACT_WORKERS=1")),
        "fault web, workers per core": ({}, ("DOWNLOAD_TIMEOUT=3", "RETRY_TIMES=1")),
        "50k-link page, budget 5,000": ({"start_urls": [f"http://{HOST}/links"],
                                         "max_pages": 5000}, ()),
    }
    with FaultWeb() as web, tempfile.TemporaryDirectory() as tmp:
        for i, (name, (config_args, settings)) in enumerate(runs.items()):
            work = Path(tmp) / str(i)
            work.mkdir()
            figures = crawl(args.source, work, write_config(work, **config_args), web,
                            *settings)
            print(f"{name:<30} {json.dumps(figures)}", flush=True)


if __name__ == "__main__":
    main()
