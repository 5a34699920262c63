"""The kill -9 campaign: crash a crawl at random moments and at failpoints, resume it each
time with the same command, and count what was lost or duplicated.

Serves a generated fixture web (default 5 outlets x 1,000 articles, ~6,500 pages), crawls
it once undisturbed for reference, then crawls it again into a fresh archive while killing
the crawl process (SIGKILL, the process only, as the OOM killer would) `--kills` times:
mid-WARC-record, just before and just after an index commit (pipelines/failpoints.py), and
at random seconds. Prints the audit of tests/crashcampaign.py as JSON: every figure but
`requests_redone` and `urls_not_in_reference` must be 0.

    python benchmarks/crash.py                       # 10 kills, ~6,500 pages
    python benchmarks/crash.py --kills 20 --seed 7
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.crashcampaign import (  # noqa: E402
    archived_urls,
    audit,
    crawl_command,
    moments,
    run_campaign,
    write_config,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--outlets", type=int, default=5)
    parser.add_argument("--articles-per-outlet", type=int, default=1000)
    parser.add_argument("--kills", type=int, default=10)
    parser.add_argument("--seed", type=int, default=2022)
    parser.add_argument("--earliest", type=float, default=2.0, help="seconds after start")
    parser.add_argument("--latest", type=float, default=9.0, help="seconds after start")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    web = subprocess.Popen(
        [sys.executable, "-m", "tests.fixtureweb", "--port", "0", "--outlets",
         str(args.outlets), "--articles-per-outlet", str(args.articles_per_outlet),
         "--log-requests"],
        cwd=REPO, stdout=subprocess.PIPE, text=True,
    )
    info = json.loads(web.stdout.readline())
    try:
        with tempfile.TemporaryDirectory(prefix="liputan-crash-") as tmp:
            work = Path(tmp)
            config = write_config(work / "crash.toml", info["start_urls"])
            started = time.monotonic()
            reference = subprocess.run(crawl_command(config, work / "reference",
                                                     info["proxy_url"]),
                                       cwd=REPO, capture_output=True, text=True)
            if reference.returncode != 0:
                sys.exit(f"reference crawl failed: {reference.stderr[-500:]}")
            clean_seconds = round(time.monotonic() - started, 1)
            urls = set(archived_urls(work / "reference"))
            plan = moments(random.Random(args.seed), args.kills, args.earliest, args.latest)
            started = time.monotonic()
            campaign = run_campaign(config, work / "crashed", info["proxy_url"], plan)
            figures = audit(work / "crashed", urls)
            result = {
                "pages_reference": len(urls),
                "clean_crawl_seconds": clean_seconds,
                "campaign_seconds": round(time.monotonic() - started, 1),
                "kills": [vars(k) for k in campaign.kills],
                "kills_done": sum(k.exit_code == -9 for k in campaign.kills),
                "orphan_workers": sum(k.orphans for k in campaign.kills),
                "final_exit": campaign.final_exit,
                **figures,
            }
    finally:
        web.terminate()
    print(json.dumps(result, indent=2))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
