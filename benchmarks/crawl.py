"""End-to-end crawl throughput and memory, beside a bare Scrapy crawl and wget.

For each server latency (default: 0 ms, the CPU-bound ceiling, and 50 ms, closer to real
outlets) it serves a generated fixture web and crawls it three ways, one after another:

  liputan   the full job: crawl + WARC capture + extraction (process pool) + index
  bare      the same crawl with capture, extraction and index switched off
  wget      `wget --recursive --warc-file` through the same proxy (one connection)

after one untimed warm-up crawl (the fixture server renders pages on first request), and
prints pages/s and peak RSS (the whole process tree: crawler plus extraction workers).

    python benchmarks/crawl.py                        # 5 outlets x 1,000 articles
    python benchmarks/crawl.py --articles-per-outlet 200 --latency 0   # a quick look
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pipelines.warc import WarcError, iter_records  # noqa: E402


def tree_rss(pid: int) -> int:
    """Resident memory of a process and all its descendants, in bytes."""
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        try:
            with open(f"/proc/{current}/status") as fh:
                for line in fh:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as fh:
                    stack.extend(int(c) for c in fh.read().split())
        except (FileNotFoundError, ProcessLookupError, ValueError):
            continue
    return total


def run_measured(cmd: list[str], env: dict[str, str] | None = None,
                 cwd: Path | None = None) -> tuple[float, int, int]:
    """Run a command; returns (seconds, peak tree RSS in bytes, exit code)."""
    started = time.monotonic()
    proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, tree_rss(proc.pid))
            time.sleep(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    code = proc.wait()
    elapsed = time.monotonic() - started
    done.set()
    sampler.join()
    return elapsed, peak, code


def start_web(outlets: int, articles: int, latency: float) -> tuple[subprocess.Popen, dict]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.fixtureweb", "--port", "0", "--outlets", str(outlets),
         "--articles-per-outlet", str(articles), "--latency", str(latency)],
        cwd=REPO, stdout=subprocess.PIPE, text=True,
    )
    info = json.loads(proc.stdout.readline())
    return proc, info


def write_config(path: Path, web: dict) -> None:
    urls = ", ".join(json.dumps(u) for u in web["start_urls"])
    path.write_text(
        'name = "bench"\n[sources]\n'
        f"start_urls = [{urls}]\n"
        "[limits]\nmax_pages = 1000000\nmax_depth = 50\n"
        "[politeness]\ndelay_per_host = 0\nconcurrent_per_host = 8\n",
        encoding="utf-8",
    )


def liputan(work: Path, web: dict, bare: bool) -> dict:
    config = work / "bench.toml"
    write_config(config, web)
    archive = work / ("bare" if bare else "full")
    stats_file = work / "stats.json"
    cmd = [str(REPO / ".venv" / "bin" / "liputan"), "crawl", str(config), "--archive",
           str(archive), "--proxy", web["proxy_url"], "--stats-json", str(stats_file),
           "-s", "LOG_LEVEL=WARNING", "-s", "LIPUTAN_PROGRESS=never"]
    if bare:
        cmd += ["-s", "LIPUTAN_CAPTURE_ENABLED=False", "-s", "LIPUTAN_EXTRACT_ENABLED=False"]
    if not Path(cmd[0]).exists():
        cmd[0:1] = [sys.executable, "-m", "crawler.cli"]
    elapsed, peak, code = run_measured(cmd, cwd=REPO)
    stats = json.loads(stats_file.read_text()) if stats_file.exists() else {}
    pages = stats.get("downloader/response_count", 0)
    return {"run": "liputan-bare" if bare else "liputan", "exit": code, "pages": pages,
            "articles": stats.get("liputan/articles", 0), "seconds": round(elapsed, 1),
            "pages_per_s": round(pages / elapsed, 1), "peak_rss_mb": round(peak / 2**20)}


def wget(work: Path, web: dict) -> dict:
    if not shutil.which("wget"):
        return {"run": "wget", "skipped": "wget not installed"}
    domains = ",".join(web["hosts"])
    target = work / "wget"
    target.mkdir()
    env = {**os.environ, "http_proxy": web["proxy_url"], "no_proxy": ""}
    cmd = ["wget", "--recursive", "--level=inf", "--span-hosts", f"--domains={domains}",
           "--no-verbose", "--warc-file", str(target / "bench"), "--no-warc-keep-log",
           "--directory-prefix", str(target / "files"), "--tries=1", *web["start_urls"]]
    elapsed, peak, code = run_measured(cmd, env=env)
    pages = 0
    try:
        for stored in iter_records(target / "bench.warc.gz"):
            pages += stored.record.rec_type == "response"
    except WarcError:
        pass
    return {"run": "wget", "exit": code, "pages": pages, "seconds": round(elapsed, 1),
            "pages_per_s": round(pages / elapsed, 1), "peak_rss_mb": round(peak / 2**20)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--outlets", type=int, default=5)
    parser.add_argument("--articles-per-outlet", type=int, default=1000)
    parser.add_argument("--latency", type=float, nargs="+", default=[0.0, 0.05],
                        help="server latency per response, seconds (one run set each)")
    parser.add_argument("--skip-wget", action="store_true")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    results = []
    for latency in args.latency:
        proc, web = start_web(args.outlets, args.articles_per_outlet, latency)
        try:
            runs = []
            with tempfile.TemporaryDirectory(prefix="liputan-bench-") as tmp:
                # The fixture server renders each page on first request and caches it: warm
                # it with an untimed crawl so no measured run pays for rendering.
                (Path(tmp) / "warm").mkdir()
                liputan(Path(tmp) / "warm", web, bare=True)
                for name in ("liputan", "bare", "wget"):
                    work = Path(tmp) / name
                    work.mkdir()
                    if name == "wget":
                        if args.skip_wget:
                            continue
                        runs.append(wget(work, web))
                    else:
                        runs.append(liputan(work, web, bare=name == "bare"))
                    print(json.dumps({"latency_ms": latency * 1000, **runs[-1]}), flush=True)
            full, bare = runs[0], runs[1]
            ratio = full["pages_per_s"] / bare["pages_per_s"] if bare["pages_per_s"] else 0
            results.append({"latency_ms": latency * 1000, "runs": runs,
                            "full_vs_bare": round(ratio, 2)})
        finally:
            proc.terminate()
            proc.wait()
    print("\nlatency  run            pages   seconds  pages/s  peak RSS")
    for block in results:
        for run in block["runs"]:
            if "skipped" in run:
                print(f"{block['latency_ms']:>5.0f}ms  {run['run']:<13}  skipped: {run['skipped']}")
                continue
            print(f"{block['latency_ms']:>5.0f}ms  {run['run']:<13} {run['pages']:>6} "
                  f"{run['seconds']:>9} {run['pages_per_s']:>8} {run['peak_rss_mb']:>6} MB")
        print(f"         end-to-end / bare = {block['full_vs_bare']:.0%}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
