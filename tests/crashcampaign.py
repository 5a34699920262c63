"""The kill -9 campaign shared by tests/test_resume.py and benchmarks/crash.py.

A crawl of a fixture web is killed (SIGKILL to the crawl process only, as the OOM killer
would) at random moments and at failpoints (pipelines/failpoints.py: mid-WARC-record,
before and after an index commit), resumed each time with the same command, and finally
run to its end. `audit` then measures what DESIGN.md principle 3 promises: no URL archived
twice, nothing in the frontier left unfetched, no record missing from the index, no index
row pointing at nothing, every WARC valid, and the index equal to a reindex of the WARCs.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from pipelines.warc import WarcError, iter_records, target_uri, warc_label

REPO = Path(__file__).resolve().parents[1]



def write_config(path: Path, start_urls: list[str], name: str = "crash") -> Path:
    urls = ", ".join(json.dumps(u) for u in start_urls)
    path.write_text(
        f'name = "{name}"\n[sources]\nstart_urls = [{urls}]\n'
        "[limits]\nmax_pages = 1000000\nmax_depth = 50\n"
        "[politeness]\ndelay_per_host = 0\nconcurrent_per_host = 8\n",
        encoding="utf-8",
    )
    return path


def crawl_command(config: Path, archive: Path, proxy: str) -> list[str]:
    return [sys.executable, "-m", "crawler.cli", "crawl", str(config), "--archive",
            str(archive), "--proxy", proxy, "-s", "LOG_LEVEL=WARNING",
            "-s", "LIPUTAN_PROGRESS=never", "-s", "LIPUTAN_EXTRACT_WORKERS=2",
            "-s", "LIPUTAN_WARC_TEXT=True"]  # the articles' conversion records survive too


def _children(pid: int) -> list[int]:
    out: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as fh:
                out += [int(c) for c in fh.read().split()]
    except (FileNotFoundError, ProcessLookupError):
        pass
    return out


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@dataclass
class Kill:
    how: str  # "random after S s" or a failpoint name
    seconds: float
    orphans: int  # extraction workers still alive 2.5 s after their parent died
    exit_code: int | None


@dataclass
class Campaign:
    kills: list[Kill] = field(default_factory=list)
    final_exit: int | None = None
    final_output: str = ""


def run_campaign(config: Path, archive: Path, proxy: str, moments: list[str | float],
                 timeout: float = 600) -> Campaign:
    """Kill the crawl at each of `moments` (seconds after start, or a failpoint name with
    an optional ':N' pass count), resuming every time; then let it finish."""
    campaign = Campaign()
    cmd = crawl_command(config, archive, proxy)
    for moment in moments:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        if isinstance(moment, str):
            env["LIPUTAN_FAILPOINT"] = moment
        started = time.monotonic()
        proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        workers: set[int] = set()
        deadline = started + (moment if isinstance(moment, float) else timeout)
        while proc.poll() is None and time.monotonic() < deadline:
            workers.update(_children(proc.pid))
            time.sleep(0.05)
        if proc.poll() is None:
            workers.update(_children(proc.pid))
            proc.send_signal(signal.SIGKILL)
        code = proc.wait()
        time.sleep(2.5 if workers else 0.0)  # the parent-watch thread polls every second
        orphans = sum(_alive(pid) for pid in workers)
        for pid in workers:  # do not let a failure here poison the next round
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
        campaign.kills.append(Kill(str(moment), round(time.monotonic() - started, 2),
                                   orphans, code))
        if code == 0:  # the crawl finished before this kill: a later run would be a new one
            break
    if campaign.kills and campaign.kills[-1].exit_code == 0:
        return campaign
    done = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=timeout)
    campaign.final_exit = done.returncode
    campaign.final_output = done.stdout + done.stderr
    return campaign


def archived_urls(archive: Path) -> Counter:
    """How many response or revisit records each URL has (robots.txt left out: every
    process reads it again, as a polite crawler must)."""
    counts: Counter = Counter()
    for path in sorted(archive.rglob("*.warc.gz")):
        try:
            for stored in iter_records(path):
                if stored.record.rec_type in ("response", "revisit"):
                    url = target_uri(stored.record)
                    if not url.endswith("/robots.txt"):
                        counts[url] += 1
        except WarcError:
            pass
    return counts


def audit(archive: Path, reference: set[str] | None = None, *, reindex: bool = True) -> dict:
    """The campaign's figures; every count but `requests_redone` should be 0."""
    files = sorted(archive.rglob("*.warc.gz"))
    records: dict[str, tuple[str, int]] = {}
    texts: Counter = Counter()  # conversion records per response they were read from
    invalid = 0
    for path in files:
        check = subprocess.run([sys.executable, "-m", "warcio.cli", "check", str(path)],
                               capture_output=True, text=True)
        invalid += check.returncode != 0
        label = warc_label(path, archive)
        try:
            for stored in iter_records(path):
                if stored.record.rec_type in ("response", "revisit"):
                    records[stored.record.rec_headers.get_header("WARC-Record-ID")] = (
                        label, stored.offset)
                elif stored.record.rec_type == "conversion":
                    texts[stored.record.rec_headers.get_header("WARC-Refers-To")] += 1
        except WarcError:
            invalid += 1
    db = sqlite3.connect(archive / "index.db")
    rows = db.execute("SELECT record_id, warc_file, warc_offset FROM captures"
                      " WHERE warc_file IS NOT NULL").fetchall()
    indexed = {r[0]: (r[1], r[2]) for r in rows}
    counts = archived_urls(archive)
    unfinished = db.execute("SELECT count(*) FROM frontier WHERE state != 'done'").fetchone()[0]
    runs = db.execute("SELECT count(*), group_concat(status) FROM runs").fetchone()
    articles = {r[0] for r in db.execute("SELECT url FROM articles")}
    untexted = db.execute("SELECT count(*) FROM articles a LEFT JOIN conversions v"
                          " ON v.capture_id=a.capture_id WHERE v.capture_id IS NULL"
                          ).fetchone()[0] if texts else None
    linked = {r[0] for r in db.execute("SELECT record_id FROM conversions")}
    db.close()
    figures = {
        "warc_files": len(files),
        "open_files_left": len(list(archive.rglob("*.open"))),
        "records": len(records),
        "urls_archived": len(counts),
        "urls_archived_twice": sum(1 for c in counts.values() if c > 1),
        # which ones, so a failure says where to look
        "twice": sorted(u for u, c in counts.items() if c > 1)[:5],
        "frontier_unfetched": unfinished,
        "captures_missing_from_index": len(set(records) - set(indexed)),
        "index_rows_pointing_at_nothing": sum(
            1 for rid, where in indexed.items() if records.get(rid) != where),
        "warcs_failing_check": invalid,
        "runs": runs[0],
        "run_statuses": runs[1],
        "articles": len(articles),
        "texts_twice": sum(1 for c in texts.values() if c > 1),
        "articles_without_text": untexted,  # None: no conversion records (LIPUTAN_WARC_TEXT)
    }
    if reference is not None:
        figures["reference_urls_never_archived"] = len(reference - set(counts))
        figures["urls_not_in_reference"] = len(set(counts) - reference)
        figures["urls_not_in_reference_sample"] = sorted(set(counts) - reference)[:20]
    if reindex:
        fresh = archive.parent / (archive.name + "-reindex")
        result = subprocess.run(
            [sys.executable, "-m", "crawler.cli", "reindex", *map(str, files), "--archive",
             str(fresh), "--no-gates"], cwd=REPO, capture_output=True, text=True)
        if "no such option" in result.stderr.lower():  # before reindex learnt --no-gates
            result = subprocess.run(
                [sys.executable, "-m", "crawler.cli", "reindex", *map(str, files),
                 "--archive", str(fresh)], cwd=REPO, capture_output=True, text=True)
        db = sqlite3.connect(fresh / "index.db")
        again = {r[0] for r in db.execute("SELECT url FROM articles")}
        captured = {r[0] for r in db.execute(
            "SELECT record_id FROM captures WHERE warc_file IS NOT NULL")}
        relinked = {r[0] for r in db.execute("SELECT record_id FROM conversions")}
        db.close()
        figures["reindex_articles_differ"] = len(again ^ articles)
        figures["reindex_captures_differ"] = len(captured ^ set(indexed))
        figures["reindex_texts_differ"] = len(relinked ^ linked)
    return figures


def moments(rng: random.Random, count: int, low: float, high: float) -> list[str | float]:
    """`count` kill moments: the three failpoints (at a random pass each), then random
    seconds in [low, high)."""
    out: list[str | float] = [f"warc-mid-record:{rng.randint(100, 800)}",
                              f"index-before-commit:{rng.randint(3, 60)}",
                              f"index-after-commit:{rng.randint(3, 60)}"]
    out += [round(rng.uniform(low, high), 2) for _ in range(max(0, count - len(out)))]
    return out
