"""What one damaged record costs `liputan reindex` and `liputan check`, and what a
decompression bomb costs reindex, extract and show.

    python benchmarks/damage.py [--articles 5000] [--bomb-gb 10] [--record-bomb-gb 2]
                                [--before /path/to/other/checkout] [--json]

Builds one large WARC of a generated fixture web (every article page and the sites' other
pages, written by our WARC writer, no crawl needed), reindexes it, then flips 16 bytes in
the middle of a copy (the damage of issue 13) and reindexes and checks that: records,
captures and articles kept against the pristine file, time, peak RSS. Then three bombs: a
200 text/html page whose gzip body inflates to --bomb-gb GB, a record whose own content is
--record-bomb-gb GB of zeros, and a .html.gz page of --bomb-gb GB for `liputan extract`;
`show --raw` of an article pointed at the first. `--before` runs the same commands with
another checkout's code (e.g. the main branch before the fix), for the comparison.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests import damaged as corpus  # noqa: E402
from tests.fixtureweb import FixtureWeb  # noqa: E402

OUTLETS = 10
# Address space of each measured command: code that inflates a bomb whole stops at it (a
# MemoryError) instead of taking the machine down. Far above the 400 MB we promise.
MEMORY_LIMIT_MB = 6144


def run(cwd: Path, *args: str) -> dict:
    started = time.monotonic()
    result, peak = corpus.run_measured(list(args), cwd, timeout=3600,
                                       memory_limit_mb=MEMORY_LIMIT_MB,
                                       keep_stdout=args[0] != "show")  # a body, maybe GBs
    return {"exit": result.returncode, "seconds": round(time.monotonic() - started, 1),
            "peak_mb": round(peak), "stdout": result.stdout or "", "stderr": result.stderr}


def counts(archive: Path) -> dict:
    path = archive / "index.db"
    if not path.exists():
        return {"captures": 0, "articles": 0}
    db = sqlite3.connect(path)
    return {"captures": db.execute("SELECT count(*) FROM captures").fetchone()[0],
            "articles": db.execute("SELECT count(*) FROM articles").fetchone()[0]}


def records_of(text: str) -> int | None:
    import re

    found = re.search(r"([\d,]+) records", text)
    return int(found.group(1).replace(",", "")) if found else None


def measure(code: Path, work: Path, pristine: Path, damaged: Path, bombs: dict[str, Path]
            ) -> dict:
    out: dict = {}
    for name, warc in (("pristine", pristine), ("damaged", damaged)):
        archive = work / f"{code.name}-{name}"
        shutil.rmtree(archive, ignore_errors=True)
        step = run(code, "reindex", "--no-gates", "--archive", str(archive), str(warc))
        step.update(counts(archive), records=records_of(step["stdout"]),
                    problem_lines=step["stderr"].count("problem:"))
        out[f"reindex {name}"] = step
    checked = work / f"{code.name}-check"
    shutil.rmtree(checked, ignore_errors=True)
    checked.mkdir()
    (checked / damaged.name).symlink_to(damaged)
    step = run(code, "check", "--archive", str(checked))
    step.update(records=records_of(step["stdout"]),
                problem_lines=step["stdout"].count("problem:") + step["stderr"].count(
                    "problem:"))
    out["check damaged"] = step
    for name in ("http bomb", "record bomb"):
        archive = work / f"{code.name}-{name.replace(' ', '-')}"
        shutil.rmtree(archive, ignore_errors=True)
        step = run(code, "reindex", "--no-gates", "--archive", str(archive), str(bombs[name]))
        step.update(counts(archive))
        out[f"reindex {name}"] = step
        if name == "http bomb" and (archive / "index.db").exists():
            article = corpus.point_an_article_at_bomb(archive)
            out["show --raw http bomb"] = run(code, "show", article, "--raw", "--archive",
                                              str(archive))
    out["extract html.gz bomb"] = run(code, "extract", str(bombs["page"]), "--url",
                                      "http://www.bomb.test/")
    return out


def build(work: Path, articles: int, bomb_gb: float, record_bomb_gb: float
          ) -> tuple[Path, Path, dict[str, Path], int]:
    web = FixtureWeb(outlets=OUTLETS, articles_per_outlet=max(1, articles // OUTLETS))
    pages = corpus.fixture_pages(web, corpus.site_urls(web))
    pristine = corpus.write_warc(work, "pristine", pages)
    damaged = work / "damaged.warc.gz"
    shutil.copyfile(pristine, damaged)
    corpus.flip_middle(damaged, 16)
    few = pages[:20]
    bombs = {
        "http bomb": corpus.http_bomb(work, "httpbomb", few, set(), int(bomb_gb * 2**30)).path,
        "record bomb": corpus.record_bomb(work, "recordbomb", few, set(),
                                          int(record_bomb_gb * 2**30)).path,
        "page": work / "page.html.gz",
    }
    with open(bombs["page"], "wb") as fh:
        for part in corpus.gzip_of_zeros(int(bomb_gb * 2**30), b"<html><body><p>"):
            fh.write(part)
    return pristine, damaged, bombs, len(pages)


def table(results: dict[str, dict], exchanges: int, pristine: Path, bombs: dict[str, Path]
          ) -> str:
    mb = {name: path.stat().st_size / 2**20 for name, path in bombs.items()}
    lines = [f"WARC of {exchanges:,} exchanges ({pristine.stat().st_size / 2**20:.0f} MB),"
             f" 16 bytes flipped in the middle; bombs {mb['http bomb']:.1f} MB (HTTP),"
             f" {mb['record bomb']:.1f} MB (record), {mb['page']:.1f} MB (page) on disk", "",
             "| code | step | exit | records | captures | articles | problem lines | time (s)"
             " | peak RSS (MB) |", "|---|---|---|---|---|---|---|---|---|"]
    for code, steps in results.items():
        for step, r in steps.items():
            lines.append(f"| {code} | {step} | {r['exit']} | {r.get('records') or ''} |"
                         f" {r.get('captures', '')} | {r.get('articles', '')} |"
                         f" {r.get('problem_lines', '')} | {r['seconds']} | {r['peak_mb']} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=5000)
    parser.add_argument("--bomb-gb", type=float, default=10)
    parser.add_argument("--record-bomb-gb", type=float, default=2)
    parser.add_argument("--before", type=Path, help="another checkout to compare with")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="liputan-damage-") as tmp:
        work = Path(tmp)
        pristine, damaged, bombs, exchanges = build(work, args.articles, args.bomb_gb,
                                                    args.record_bomb_gb)
        results = {}
        for code in ([args.before.resolve()] if args.before else []) + [REPO]:
            label = "this checkout" if code == REPO else str(code)
            results[label] = measure(code, work, pristine, damaged, bombs)
        for steps in results.values():
            for r in steps.values():
                r["last_line"] = (r.pop("stderr").strip().splitlines() or [""])[-1][:200]
                r.pop("stdout")
        if args.json:
            print(json.dumps(results, indent=2))
        else:
            print(table(results, exchanges, pristine, bombs))
            for code, steps in results.items():
                for step, r in steps.items():
                    if r["exit"]:
                        print(f"{code} / {step}: {r['last_line']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
